"""Real Azure answers through the whole core client (``CoreClient`` and its httpx driver).

The parsers are checked interaction by interaction in ``test_core_conformance``; here the same
answers come back over an ``httpx.MockTransport`` to ``CoreClient.chat`` / ``stream_chat`` /
``embed`` / ``complete``, so the driver's reading of status, headers and (streamed) bodies is
held to the recordings too: results, ``ResponseMeta`` and typed errors.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared_core import errors as E
from shared_core.types import ChatRequest, CompletionRequest

from ._cases import cases, sample_cases, shape_cases
from .expectations import (
    expected_error,
    expected_request_id,
    expected_response,
    expected_stream,
    expected_vectors,
    prompt_filters,
    usage_tuple,
)
from .recordings import Interaction
from .replay import Replay

pytestmark = pytest.mark.conformance

HI = [{"role": "user", "content": "hi"}]


def _client(rp: Replay) -> Any:
    from shared_core.client import CoreClient

    s = rp.settings()
    return CoreClient.from_settings(
        azure_endpoint=s["azure_endpoint"],
        deployment=s["deployment"],
        api_version=s["api_version"],
        api_key="conformance-key",
        http_client=rp.client(),
        http_async_client=rp.async_client(),
        max_retries=0,
        env={},
    )


def _usage(u: Any) -> tuple[int, ...] | None:
    if u is None:
        return None
    return (
        u.prompt_tokens,
        u.completion_tokens,
        u.total_tokens,
        u.cached_tokens,
        u.reasoning_tokens,
        u.audio_input_tokens,
        u.audio_output_tokens,
    )


def _check_meta(meta: Any, ix: Interaction) -> None:
    assert meta is not None
    assert (meta.status, meta.attempts) == (ix.status, 1)
    assert meta.request_id == expected_request_id(ix.response_headers)
    assert meta.region == ix.response_headers.get("x-ms-region")
    assert meta.client_request_id  # the id we sent, for support tickets
    assert {k.lower(): v for k, v in meta.headers.items()}.get("apim-request-id") == ix.response_headers.get(
        "apim-request-id"
    )


def _check_result(res: Any, exp: Any) -> None:
    assert _usage(res.usage) == usage_tuple(exp.usage)
    assert prompt_filters(res.prompt_filter_results) == prompt_filters(exp.prompt_filters)
    got, want = res.choices[0], exp.first
    assert (got.content or "") == (want.content or "")
    assert got.finish_reason == want.finish_reason
    if want.legacy_function_call is None:
        assert [(t.id, t.name, t.arguments) for t in got.tool_calls] == want.tool_calls


@shape_cases("chat")
def test_chat(ix: Interaction) -> None:
    rp = Replay(ix)
    with _client(rp) as client:
        res = client.chat(ChatRequest(messages=HI))
    rp.check_request()
    _check_meta(res.meta, ix)
    _check_result(res, expected_response(ix.json()))


@shape_cases("chat-stream")
def test_stream_chat(ix: Interaction) -> None:
    from shared_core.wire.stream import StreamAccumulator

    rp = Replay(ix)
    acc = StreamAccumulator()
    with _client(rp) as client:
        deltas = list(client.stream_chat(ChatRequest(messages=HI, stream=True)))
    rp.check_request()
    assert len(deltas) == len(ix.sse_json())
    _check_meta(deltas[0].meta, ix)
    for d in deltas:
        acc.add(d)
    _check_result(acc.result(), expected_stream(ix.sse_json()))


@sample_cases("chat-stream")
async def test_astream_chat(ix: Interaction) -> None:
    from shared_core.wire.stream import StreamAccumulator

    rp = Replay(ix)
    acc = StreamAccumulator()
    client = _client(rp)
    deltas = [d async for d in client.astream_chat(ChatRequest(messages=HI, stream=True))]
    await client.aclose()
    rp.check_request()
    _check_meta(deltas[0].meta, ix)
    for d in deltas:
        acc.add(d)
    _check_result(acc.result(), expected_stream(ix.sse_json()))


@cases("embeddings")
def test_embed(ix: Interaction) -> None:
    rp = Replay(ix)
    texts = list(ix.request_json()["input"])
    with _client(rp) as client:
        res = client.embed(texts)
    rp.check_request()
    assert res.vectors == expected_vectors(ix.json())
    assert res.requests == 1
    _check_meta(res.meta, ix)
    u = ix.json().get("usage")
    assert (res.usage is None) == (not u)
    if u:
        assert (res.usage.prompt_tokens, res.usage.total_tokens) == (u["prompt_tokens"], u["total_tokens"])


@cases("error")
def test_error(ix: Interaction) -> None:
    rp = Replay(ix)
    with _client(rp) as client, pytest.raises(E.APIStatusError) as info:
        if ix.operation == "embeddings":
            client.embed(list((ix.request_json() or {}).get("input") or ["hi"]))
        elif ix.operation == "completions":
            client.complete(CompletionRequest(prompt="hi"))
        elif (ix.request_json() or {}).get("stream"):
            list(client.stream_chat(ChatRequest(messages=HI, stream=True)))
        else:
            client.chat(ChatRequest(messages=HI))
    rp.check_request()
    exc = info.value
    exp_type, fields = expected_error(ix)
    assert type(exc) is exp_type
    assert (exc.status, exc.code, exc.attempts) == (ix.status, str(ix.json()["error"]["code"]), 1)
    assert exc.request_id == expected_request_id(ix.response_headers)
    assert exc.region == ix.response_headers.get("x-ms-region")
    for name, value in fields.items():
        assert getattr(exc, name) == value, name
