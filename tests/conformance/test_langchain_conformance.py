"""Real Azure answers replayed through ``langchain_azoai.AzureChatOpenAI``.

Every recorded chat completion (plain, tools, parallel tools, vision, structured output, Foundry
``/models``), every stream and every chat error is served by an ``httpx.MockTransport`` to a
real ``AzureChatOpenAI``; the ``AIMessage`` / summed ``AIMessageChunk`` must hold what the raw
JSON holds (content, tool calls, ``usage_metadata``, Azure's filter results and ids in
``response_metadata``), and every error must surface as the core's typed exception.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr

import langchain_azoai as lc
from shared_core import errors as E

from ._cases import cases, sample_cases, shape_cases
from .expectations import (
    ResultExpectation,
    expected_error,
    expected_request_id,
    expected_response,
    expected_stream,
    expected_vectors,
    prompt_filters,
    usage_tuple,
)
from .recordings import Interaction
from .replay import REPLAY_MODEL, Replay

pytestmark = pytest.mark.conformance


PROMPT = [("human", "hi")]


def _chat_error(ix: Interaction) -> bool:
    return ix.operation in ("chat/completions", "unknown")


def _model(rp: Replay) -> Any:
    s = rp.settings()
    return lc.AzureChatOpenAI(
        azure_endpoint=s["azure_endpoint"],
        azure_deployment=s["deployment"],
        model=REPLAY_MODEL,  # not the deployment: the URL must name the deployment
        api_version=s["api_version"],
        api_key=SecretStr("conformance-key"),
        http_client=rp.client(),
        http_async_client=rp.async_client(),
        max_retries=0,
    )


def _tool_calls(want_calls: list[tuple[str, str, str]]) -> list[tuple[str, str, Any]]:
    return [(i, n, json.loads(a)) for i, n, a in want_calls]


def _check_usage(md: Any, exp: ResultExpectation) -> None:
    want = usage_tuple(exp.usage)
    if want is None:
        assert md is None
        return
    assert md is not None
    assert (md["input_tokens"], md["output_tokens"], md["total_tokens"]) == want[:3]
    u = exp.usage or {}
    if (u.get("prompt_tokens_details") or {}).get("cached_tokens") is not None:
        assert md["input_token_details"]["cache_read"] == want[3]
    if (u.get("completion_tokens_details") or {}).get("reasoning_tokens") is not None:
        assert md["output_token_details"]["reasoning"] == want[4]


def _check_common_metadata(rm: dict[str, Any], exp: ResultExpectation, ix: Interaction) -> None:
    want = exp.first
    assert rm["finish_reason"] == want.finish_reason
    assert rm.get("model_name") == exp.model
    assert prompt_filters(rm.get("prompt_filter_results") or []) == prompt_filters(exp.prompt_filters)
    assert rm.get("request_id") == expected_request_id(ix.response_headers)
    assert rm.get("region") == ix.response_headers.get("x-ms-region")


def _check_message(msg: Any, exp: ResultExpectation, ix: Interaction, *, streamed: bool) -> None:
    want = exp.first
    assert msg.content == (want.content or "")
    if want.legacy_function_call is not None:
        assert [(t["name"], t["args"]) for t in msg.tool_calls] == [
            (want.legacy_function_call[0], json.loads(want.legacy_function_call[1]))
        ]
    else:
        assert [(t["id"], t["name"], t["args"]) for t in msg.tool_calls] == _tool_calls(want.tool_calls)
    assert not msg.invalid_tool_calls
    if want.refusal:
        assert msg.additional_kwargs.get("refusal") == want.refusal
    _check_usage(msg.usage_metadata, exp)
    if exp.id:
        assert msg.id == exp.id
    rm = msg.response_metadata
    assert rm["model_provider"] == "openai"
    _check_common_metadata(rm, exp, ix)
    if not streamed:
        assert rm["id"] == exp.id
        if want.filters is not None:
            assert rm["content_filter_results"] == want.filters
    else:
        filtered = {k for k, v in (rm.get("content_filter_results") or {}).items() if v.get("filtered")}
        assert filtered == want.filtered


def _check_stream_chunks(chunks: list[Any], exp: ResultExpectation, ix: Interaction) -> None:
    assert chunks
    with_usage = [c for c in chunks if c.usage_metadata]
    assert len(with_usage) == (1 if exp.usage else 0), "usage_metadata on exactly one chunk"
    _check_message(chunks[0] + chunks[1:] if len(chunks) > 1 else chunks[0], exp, ix, streamed=True)


def _check_error(exc: BaseException, ix: Interaction) -> None:
    exp_type, fields = expected_error(ix)
    assert type(exc) is exp_type
    assert isinstance(exc, E.APIStatusError)
    err = ix.json()["error"]
    assert (exc.status, exc.code) == (ix.status, str(err["code"]))
    assert exc.request_id == expected_request_id(ix.response_headers)
    assert exc.region == ix.response_headers.get("x-ms-region")
    for name, value in fields.items():
        assert getattr(exc, name) == value, name


# ---- sync: every interaction -------------------------------------------------------------------


@shape_cases("chat")
def test_invoke(ix: Interaction) -> None:
    rp = Replay(ix)
    msg = _model(rp).invoke(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_message(msg, expected_response(ix.json()), ix, streamed=False)


@shape_cases("chat-stream")
def test_stream(ix: Interaction) -> None:
    rp = Replay(ix)
    chunks = list(_model(rp).stream(PROMPT))
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_stream_chunks(chunks, expected_stream(ix.sse_json()), ix)


@shape_cases("error", where=_chat_error)
def test_error(ix: Interaction) -> None:
    rp = Replay(ix)
    model = _model(rp)
    streamed = bool((ix.request_json() or {}).get("stream"))
    with pytest.raises(E.APIStatusError) as info:
        if streamed:
            list(model.stream(PROMPT))
        else:
            model.invoke(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_error(info.value, ix)


# ---- async: one per shape ----------------------------------------------------------------------


@sample_cases("chat")
async def test_ainvoke(ix: Interaction) -> None:
    rp = Replay(ix)
    msg = await _model(rp).ainvoke(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_message(msg, expected_response(ix.json()), ix, streamed=False)


@sample_cases("chat-stream")
async def test_astream(ix: Interaction) -> None:
    rp = Replay(ix)
    chunks = [c async for c in _model(rp).astream(PROMPT)]
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_stream_chunks(chunks, expected_stream(ix.sse_json()), ix)


@sample_cases("error", where=_chat_error)
async def test_aerror(ix: Interaction) -> None:
    rp = Replay(ix)
    with pytest.raises(E.APIStatusError) as info:
        await _model(rp).ainvoke(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_error(info.value, ix)


def _several_choices(ix: Interaction) -> bool:
    return len(ix.json().get("choices") or []) > 1


@cases("chat", where=_several_choices)
def test_generate_keeps_every_choice(ix: Interaction) -> None:
    """``n > 1``: ``generate`` returns one generation per choice, in Azure's order."""
    from langchain_core.messages import HumanMessage

    rp = Replay(ix)
    result = _model(rp).generate([[HumanMessage("hi")]])
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    exp = expected_response(ix.json())
    gens = result.generations[0]
    assert [g.message.content for g in gens] == [c.content or "" for c in exp.choices]
    assert [g.generation_info["finish_reason"] for g in gens] == [c.finish_reason for c in exp.choices]
    assert (result.llm_output or {})["token_usage"]["total_tokens"] == (exp.usage or {})["total_tokens"]


# ---- embeddings ----------------------------------------------------------------------------------


def _embeddings(rp: Replay) -> Any:
    s = rp.settings()
    return lc.AzureOpenAIEmbeddings(
        azure_endpoint=s["azure_endpoint"],
        azure_deployment=s["deployment"],
        model=REPLAY_MODEL,
        api_version=s["api_version"],
        api_key=SecretStr("conformance-key"),
        http_client=rp.client(),
        http_async_client=rp.async_client(),
        max_retries=0,
    )


@cases("embeddings")
def test_embed_documents(ix: Interaction) -> None:
    rp = Replay(ix)
    vectors = _embeddings(rp).embed_documents(list(ix.request_json()["input"]))
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    assert vectors == expected_vectors(ix.json())


@cases("error", where=lambda ix: ix.operation == "embeddings")
def test_embed_error(ix: Interaction) -> None:
    rp = Replay(ix)
    with pytest.raises(E.APIStatusError) as info:
        _embeddings(rp).embed_documents(list(ix.request_json()["input"]))
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_error(info.value, ix)


# ---- legacy completions ------------------------------------------------------------------------


def _completions(rp: Replay) -> Any:
    s = rp.settings()
    return lc.AzureOpenAI(
        azure_endpoint=s["azure_endpoint"],
        azure_deployment=s["deployment"],
        model=REPLAY_MODEL,
        api_version=s["api_version"],
        api_key=SecretStr("conformance-key"),
        http_client=rp.client(),
        http_async_client=rp.async_client(),
        max_retries=0,
    )


@cases("error", where=lambda ix: ix.operation == "completions")
def test_completions_error(ix: Interaction) -> None:
    rp = Replay(ix)
    with pytest.raises(E.APIStatusError) as info:
        _completions(rp).invoke(ix.request_json().get("prompt") or "hi")
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_error(info.value, ix)
