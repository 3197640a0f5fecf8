"""Real Azure answers replayed through ``llamaindex_azoai.AzureOpenAI``.

Every recorded chat completion, stream and chat error is served by an ``httpx.MockTransport``
to a real ``AzureOpenAI`` LLM; the ``ChatResponse`` (or the last streamed one) must hold what
the raw JSON holds: text, tool calls (``get_tool_calls_from_response``), token counts and
Azure's filter results / request id in ``additional_kwargs``, the body in ``raw``; every error
must surface as the core's typed exception.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

import llamaindex_azoai as li
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


PROMPT = [ChatMessage(role="user", content="hi")]


def _chat_error(ix: Interaction) -> bool:
    return ix.operation in ("chat/completions", "unknown")


def _llm(rp: Replay) -> Any:
    s = rp.settings()
    return li.AzureOpenAI(
        engine=s["deployment"],
        model=REPLAY_MODEL,  # not the deployment: the URL must name the deployment
        azure_endpoint=s["azure_endpoint"],
        api_version=s["api_version"],
        api_key="conformance-key",
        http_client=rp.client(),
        async_http_client=rp.async_client(),
        max_retries=0,
    )


def _check_calls(llm: Any, resp: Any, exp: ResultExpectation) -> None:
    want = exp.first
    got = llm.get_tool_calls_from_response(resp, error_on_no_tool_call=False)
    if want.legacy_function_call is not None:
        name, args = want.legacy_function_call
        assert [(t.tool_name, t.tool_kwargs) for t in got] == [(name, json.loads(args))]
        return
    assert [(t.tool_id, t.tool_name, t.tool_kwargs) for t in got] == [
        (i, n, json.loads(a)) for i, n, a in want.tool_calls
    ]


def _check_kwargs(kw: dict[str, Any], exp: ResultExpectation, ix: Interaction) -> None:
    want = usage_tuple(exp.usage)
    if want is None:
        assert "prompt_tokens" not in kw
    else:
        assert (kw["prompt_tokens"], kw["completion_tokens"], kw["total_tokens"]) == want[:3]
        assert kw.get("cached_tokens", 0) == want[3]
        assert kw.get("reasoning_tokens", 0) == want[4]
    assert kw.get("finish_reason") == exp.first.finish_reason
    assert prompt_filters(kw.get("prompt_filter_results") or []) == prompt_filters(exp.prompt_filters)
    assert kw.get("request_id") == expected_request_id(ix.response_headers)
    assert kw.get("region") == ix.response_headers.get("x-ms-region")


def _merged_kwargs(responses: list[Any]) -> dict[str, Any]:
    """What a consumer sees over the whole stream: later values win, filter lists add up."""
    out: dict[str, Any] = {}
    pfr: list[Any] = []
    for r in responses:
        kw = dict(r.additional_kwargs)
        pfr += kw.pop("prompt_filter_results", None) or []
        out.update({k: v for k, v in kw.items() if v is not None})
    if pfr:
        out["prompt_filter_results"] = pfr
    return out


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


def _check_chat(llm: Any, resp: Any, ix: Interaction) -> None:
    data = ix.json()
    exp = expected_response(data)
    assert (resp.message.content or "") == (exp.first.content or "")
    assert resp.raw == data
    _check_calls(llm, resp, exp)
    if exp.first.refusal:
        assert resp.message.additional_kwargs.get("refusal") == exp.first.refusal
    _check_kwargs(dict(resp.additional_kwargs), exp, ix)
    if exp.first.filters:
        assert resp.additional_kwargs["content_filter_results"] == exp.first.filters


def _check_streamed(llm: Any, responses: list[Any], ix: Interaction) -> None:
    exp = expected_stream(ix.sse_json())
    assert responses
    last = responses[-1]
    assert "".join(r.delta or "" for r in responses) == exp.first.content
    assert (last.message.content or "") == exp.first.content
    _check_calls(llm, last, exp)
    _check_kwargs(_merged_kwargs(responses), exp, ix)


# ---- sync: every interaction -------------------------------------------------------------------


@shape_cases("chat")
def test_chat(ix: Interaction) -> None:
    rp = Replay(ix)
    llm = _llm(rp)
    resp = llm.chat(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_chat(llm, resp, ix)


@shape_cases("chat-stream")
def test_stream_chat(ix: Interaction) -> None:
    rp = Replay(ix)
    llm = _llm(rp)
    responses = list(llm.stream_chat(PROMPT))
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_streamed(llm, responses, ix)


@shape_cases("error", where=_chat_error)
def test_error(ix: Interaction) -> None:
    rp = Replay(ix)
    llm = _llm(rp)
    streamed = bool((ix.request_json() or {}).get("stream"))
    with pytest.raises(E.APIStatusError) as info:
        if streamed:
            list(llm.stream_chat(PROMPT))
        else:
            llm.chat(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_error(info.value, ix)


# ---- async: one per shape ----------------------------------------------------------------------


@sample_cases("chat")
async def test_achat(ix: Interaction) -> None:
    rp = Replay(ix)
    llm = _llm(rp)
    resp = await llm.achat(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_chat(llm, resp, ix)


@sample_cases("chat-stream")
async def test_astream_chat(ix: Interaction) -> None:
    rp = Replay(ix)
    llm = _llm(rp)
    responses = [r async for r in await llm.astream_chat(PROMPT)]
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_streamed(llm, responses, ix)


@sample_cases("error", where=_chat_error)
async def test_aerror(ix: Interaction) -> None:
    rp = Replay(ix)
    with pytest.raises(E.APIStatusError) as info:
        await _llm(rp).achat(PROMPT)
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_error(info.value, ix)


# ---- embeddings ----------------------------------------------------------------------------------


def _embedding(rp: Replay) -> Any:
    s = rp.settings()
    return li.AzureOpenAIEmbedding(
        azure_deployment=s["deployment"],
        model=REPLAY_MODEL,
        azure_endpoint=s["azure_endpoint"],
        api_version=s["api_version"],
        api_key="conformance-key",
        http_client=rp.client(),
        async_http_client=rp.async_client(),
        max_retries=0,
    )


@cases("embeddings")
def test_text_embedding_batch(ix: Interaction) -> None:
    rp = Replay(ix)
    vectors = _embedding(rp).get_text_embedding_batch(list(ix.request_json()["input"]))
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    assert vectors == expected_vectors(ix.json())


@cases("error", where=lambda ix: ix.operation == "embeddings")
def test_embedding_error(ix: Interaction) -> None:
    rp = Replay(ix)
    with pytest.raises(E.APIStatusError) as info:
        _embedding(rp).get_text_embedding_batch(list(ix.request_json()["input"]))
    rp.check_request()
    rp.check_deployment(rp.settings()["deployment"])
    _check_error(info.value, ix)
