"""Malformed success answers become typed errors naming what came back and from where (issue 9 §4).

Before: silent empty results, or raw IndexError / AttributeError / KeyError / RecursionError.
The cases (tests/malformed_fakes.py) are answered by httpx.MockTransport and by a loopback server.
"""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import pytest

from shared_core import ChatRequest, ClientOptions, CompletionRequest, CoreClient, resolve_target
from shared_core.errors import (
    APIStatusError,
    StreamError,
    UnexpectedResponseError,
    UnexpectedStreamEventError,
)
from shared_core.types import ResponseMeta
from shared_core.wire.chat import parse_chat, parse_chat_chunk
from shared_core.wire.completions import parse_completion
from shared_core.wire.diagnose import answer_error, unexpected_answer
from shared_core.wire.embeddings import parse_embeddings
from shared_core.wire.shape import ShapeError
from tests.malformed_fakes import (
    CHAT_CASES,
    EMBED_CASES,
    ENDPOINT,
    HELLO,
    KEY,
    PREAMBLE,
    SSE,
    STREAM_CASES,
    Case,
    check,
    mock,
    sse,
)

MSGS = [{"role": "user", "content": "hi"}]


def _client(case: Case, deployment: str = "chat") -> CoreClient:
    http, ahttp, _ = mock(case)
    target = resolve_target(azure_endpoint=ENDPOINT, deployment=deployment, api_key=KEY, env={})
    return CoreClient(target, options=ClientOptions(max_retries=0), http_client=http, http_async_client=ahttp)


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


@pytest.mark.parametrize("case", CHAT_CASES, ids=_ids(CHAT_CASES))
def test_chat_malformed_answer_is_a_typed_error(case: Case) -> None:
    with pytest.raises(APIStatusError) as sync_err:
        _client(case).chat(ChatRequest(messages=MSGS))
    check(sync_err.value, case)

    async def run() -> None:
        await _client(case).achat(ChatRequest(messages=MSGS))

    with pytest.raises(APIStatusError) as async_err:
        asyncio.run(run())
    check(async_err.value, case)
    assert str(async_err.value) == str(sync_err.value)  # one implementation


@pytest.mark.parametrize("case", STREAM_CASES, ids=_ids(STREAM_CASES))
def test_stream_malformed_event_is_a_typed_error(case: Case) -> None:
    req = ChatRequest(messages=MSGS, stream=True)
    got: list[Any] = []
    with pytest.raises(APIStatusError) as sync_err:
        for delta in _client(case).stream_chat(req):
            got.append(delta)
    check(sync_err.value, case)
    if case.error is UnexpectedStreamEventError:
        assert isinstance(sync_err.value, StreamError)  # `except StreamError` still catches it

    async def run() -> None:
        async for _ in _client(case).astream_chat(req):
            pass

    with pytest.raises(APIStatusError) as async_err:
        asyncio.run(run())
    check(async_err.value, case)
    assert not got  # the whole body is one network read here: the bad event came before any delta


@pytest.mark.parametrize("case", EMBED_CASES, ids=_ids(EMBED_CASES))
def test_embeddings_malformed_answer_is_a_typed_error(case: Case) -> None:
    with pytest.raises(APIStatusError) as sync_err:
        _client(case, "emb").embed(["a"])
    check(sync_err.value, case)

    async def run() -> None:
        await _client(case, "emb").aembed(["a"])

    with pytest.raises(APIStatusError) as async_err:
        asyncio.run(run())
    check(async_err.value, case)


def test_embeddings_count_mismatch_names_both_counts() -> None:
    vec = base64.b64encode(struct.pack("<2f", 0.5, 0.5)).decode()
    case = Case(
        "one vector for two inputs",
        200,
        f'{{"data": [{{"index": 0, "embedding": "{vec}"}}]}}'.encode(),
        UnexpectedResponseError,
        ("it holds 1 embeddings for 2 inputs", "one embedding per input"),
    )
    with pytest.raises(APIStatusError) as err:
        _client(case, "emb").embed(["a", "b"])
    check(err.value, case)


@pytest.mark.parametrize(
    "body, says",
    [
        (b'{"id": "x", "object": "text_completion", "choices": []}', "'choices' is empty"),
        (b'{"choices": [{"text": 5}]}', "'choices[].text' is a number (5), not a string"),
        (b'{"choices": [{"text": "a", "index": "0"}]}', "'choices[].index' is a string ('0'), not a number"),
    ],
)
def test_legacy_completion_malformed_answer_is_a_typed_error(body: bytes, says: str) -> None:
    case = Case("completion", 200, body, UnexpectedResponseError, (says, "not with a text completion"))
    with pytest.raises(APIStatusError) as err:
        _client(case, "instruct").complete(CompletionRequest(prompt="hi"))
    check(err.value, case)


def test_legacy_completion_stream_chunk_with_object_choices() -> None:
    case = Case(
        "completion stream",
        200,
        sse(PREAMBLE, {"choices": {"text": "x"}}),
        UnexpectedStreamEventError,
        ("'choices' is an object, not a list",),
        headers=dict(SSE),
    )
    with pytest.raises(APIStatusError) as err:
        list(_client(case, "instruct").stream_complete(CompletionRequest(prompt="hi", stream=True)))
    check(err.value, case)


def test_well_formed_answers_still_parse() -> None:
    """The checks reject only what is wrong: Azure's real shapes (filtered choice without a message,
    legacy function_call, float-typed counts, list vectors) still parse."""
    ok = Case(
        "ok",
        200,
        (
            b'{"id": "c", "choices": [{"index": 0, "finish_reason": "content_filter"},'
            b' {"index": 1, "message": {"role": "assistant", "content": null,'
            b' "function_call": {"name": "f", "arguments": "{}"}}}],'
            b' "usage": {"prompt_tokens": 3.0, "completion_tokens": 1, "total_tokens": 4}}'
        ),
        UnexpectedResponseError,
        (),
    )
    result = _client(ok).chat(ChatRequest(messages=MSGS))
    assert [c.finish_reason for c in result.choices] == ["content_filter", None]
    assert result.choices[1].tool_calls[0].name == "f"
    assert result.usage is not None and result.usage.prompt_tokens == 3
    emb = Case(
        "ok",
        200,
        b'{"data": [{"index": 1, "embedding": [0, 1.5]}, {"index": 0, "embedding": [2.5, 0]}]}',
        UnexpectedResponseError,
        (),
    )
    assert _client(emb, "emb").embed(["a", "b"]).vectors == [[2.5, 0], [0, 1.5]]
    stream = Case("ok", 200, sse(PREAMBLE, HELLO), UnexpectedResponseError, (), headers=dict(SSE))
    assert [d.content for d in _client(stream).stream_chat(ChatRequest(messages=MSGS, stream=True)) if d.content] == [
        "Hel"
    ]


# ------------------------------------------------------------------ the parsers, called directly


META = ResponseMeta(
    status=200,
    headers={"content-type": "application/json", "apim-request-id": "r1"},
    request_id="r1",
    url="https://gw.example/openai/deployments/d/chat/completions",
)


def test_parsers_raise_typed_errors_without_metadata_too() -> None:
    with pytest.raises(UnexpectedResponseError, match="'choices' is missing") as err:
        parse_chat({}, None)
    assert err.value.status == 200 and err.value.url is None
    with pytest.raises(UnexpectedResponseError, match="not with a text completion: 'choices' is a number"):
        parse_completion({"choices": 3}, None)
    with pytest.raises(UnexpectedResponseError, match="'data' is missing"):
        parse_embeddings({})
    with pytest.raises(ShapeError, match="'choices' is an object, not a list"):
        parse_chat_chunk({"choices": {}})


def test_the_message_names_status_content_type_excerpt_and_source() -> None:
    with pytest.raises(UnexpectedResponseError) as err:
        parse_chat({"id": "c1", "object": "weird"}, META)
    exc = err.value
    assert str(exc) == (
        "Azure answered HTTP 200 from https://gw.example/openai/deployments/d/chat/completions, but not"
        " with a chat completion: 'choices' is missing. It came with content-type 'application/json' and"
        ' the body \'{"id": "c1", "object": "weird"}\'. A proxy, gateway or API Management policy'
        " between the client and Azure may be rewriting answers: check that azure_endpoint / base_url"
        " point at the resource (or at a gateway that passes Azure's answers through), or retry the"
        " call. [HTTP 200, request id r1]"
    )
    assert (exc.content_type, exc.excerpt, exc.request_id) == (
        "application/json",
        '{"id": "c1", "object": "weird"}',
        "r1",
    )


def test_long_bodies_are_quoted_short() -> None:
    exc = unexpected_answer("x", META, raw=b"<html>" + b"a" * 10_000)
    assert exc.excerpt is not None and len(exc.excerpt) == 200 and exc.excerpt.endswith("…")


def test_error_object_in_200_keeps_azure_code_and_message() -> None:
    exc = answer_error(
        {
            "error": {
                "code": "DeploymentNotFound",
                "message": "The API deployment for this resource does not exist.",
                "status": 404,
            }
        },
        META,
    )
    assert type(exc).__name__ == "DeploymentNotFoundError"
    assert exc.code == "DeploymentNotFound" and exc.status == 404
    assert "came with HTTP 200 from https://gw.example/openai/deployments/d/chat/completions" in str(exc)
