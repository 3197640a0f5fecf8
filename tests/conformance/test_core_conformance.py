"""Every real chat / completions / embeddings answer in the recordings, run through the core.

Expectations are computed here, straight from the raw JSON of each recording, without the
core's help: the text, tool calls, finish reasons, usage and filter results it holds. Then the
core's parsers (``shared_core.wire.chat``, ``completions``, ``embeddings``), its SSE decoder and
stream parser/accumulator (``sse``, ``stream``) and its error mapping (``diagnose``, ``retry``)
must produce exactly that. One test per interaction (id: ``repo:file-stem#index``).

The Responses API recordings run through the core in ``test_responses_conformance.py``. Realtime
recordings are not supported by the core yet: they are counted
(``test_unsupported_recordings_are_counted_not_exercised``) and reported in the session summary,
never passed.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from shared_core import errors as E
from shared_core.types import ChatResult, ResponseMeta

from ._cases import all_interactions, cases, missing_reason, recordings_present
from .expectations import (
    expected_error,
    expected_request_id,
    expected_response,
    expected_stream,
    expected_vectors,
    prompt_filters,
    raw_prompt_filters,
    usage_tuple,
)
from .recordings import COMPLETIONS, Interaction, kind_of

pytestmark = pytest.mark.conformance


# ---- helpers ----------------------------------------------------------------------------------


def _meta(ix: Interaction) -> ResponseMeta:
    h = ix.response_headers
    return ResponseMeta(
        status=ix.status,
        headers=h,
        request_id=expected_request_id(h),
        region=h.get("x-ms-region"),
        deployment=h.get("x-ms-deployment-name"),
    )


def _got_usage(u: Any) -> tuple[int, ...] | None:
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


def _calls(choice: Any) -> list[tuple[str, str, str]]:
    return [(t.id, t.name, t.arguments) for t in choice.tool_calls]


# ---- non-streamed 200s -----------------------------------------------------------------------


@cases("chat", "completions")
def test_chat_response(ix: Interaction) -> None:
    data = ix.json()
    meta = _meta(ix)
    if ix.operation == COMPLETIONS:
        from shared_core.wire.completions import parse_completion as parse
    else:
        from shared_core.wire.chat import parse_chat as parse
    res: ChatResult = parse(data, meta)
    exp = expected_response(data)

    assert res.meta is meta
    assert (res.id, res.model, res.created) == (exp.id, exp.model, data.get("created") or 0)
    assert res.system_fingerprint == exp.system_fingerprint
    assert _got_usage(res.usage) == usage_tuple(exp.usage)
    assert prompt_filters(res.prompt_filter_results) == prompt_filters(exp.prompt_filters)
    assert [c.index for c in res.choices] == [c.index for c in exp.choices]
    for got, want in zip(res.choices, exp.choices, strict=False):
        assert got.finish_reason == want.finish_reason
        assert got.content_filter_results == want.filters
        if ix.operation == COMPLETIONS:
            assert got.text == want.text
            continue
        if not want.has_message:  # a completion Azure filtered: no message at all
            assert (got.content, got.tool_calls) == (None, ())
            continue
        assert (got.role, got.content, got.refusal) == (want.role, want.content, want.refusal)
        if want.legacy_function_call is not None:
            # legacy functions (2023): one call, no id of its own
            assert [(t.name, t.arguments) for t in got.tool_calls] == [want.legacy_function_call]
        else:
            assert _calls(got) == want.tool_calls
            for t in got.tool_calls:
                json.loads(t.arguments)  # real arguments are JSON text, kept verbatim


# ---- streamed 200s ---------------------------------------------------------------------------


def _chunkings(body: bytes, seed: str) -> Iterator[tuple[str, list[bytes]]]:
    """Several ways the same bytes can arrive from the network."""
    yield "whole", [body]
    yield "lines", body.splitlines(keepends=True)
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(body):
        n = rng.randint(1, 512)
        out.append(body[i : i + n])
        i += n
    yield "random-1-512", out
    head = min(len(body), 4096)
    yield "bytewise-head", [body[i : i + 1] for i in range(head)] + [body[head:]]


@cases("chat-stream", "completions-stream")
def test_chat_stream(ix: Interaction) -> None:
    from shared_core.wire.sse import SSEDecoder
    from shared_core.wire.stream import ChunkParser, StreamAccumulator

    if ix.operation == COMPLETIONS:
        from shared_core.wire.completions import parse_completion_chunk as parse_chunk
    else:
        from shared_core.wire.chat import parse_chat_chunk as parse_chunk

    reference = ix.sse_events()  # the plain reading in recording_record.py
    raw_chunks = ix.sse_json()
    meta = _meta(ix)
    results = {}
    for name, pieces in _chunkings(ix.body, ix.id):
        decoder = SSEDecoder()
        events = [ev for piece in pieces for ev in decoder.feed(piece)] + decoder.flush()
        assert [(ev.event, ev.data) for ev in events] == reference, f"SSE events differ when fed {name}"

        parser = ChunkParser(parse_chunk, meta)
        deltas = [d for piece in pieces for d in parser.feed(piece)] + parser.finish()
        assert parser.done, name
        assert len(deltas) == len(raw_chunks), f"one delta per JSON event ({name})"
        assert deltas[0].meta is meta and all(d.meta is None for d in deltas[1:]), name
        acc = StreamAccumulator()
        for d in deltas:
            acc.add(d)
        results[name] = acc.result()

    # every chunking assembles the same result
    first = results["whole"]
    for name, res in results.items():
        assert (res.choices, res.usage, res.prompt_filter_results) == (
            first.choices,
            first.usage,
            first.prompt_filter_results,
        ), name

    # each chunk, parsed alone, says what its JSON says
    for raw in raw_chunks:
        d = parse_chunk(raw)
        assert _got_usage(d.usage) == usage_tuple(raw.get("usage"))
        assert prompt_filters(d.prompt_filter_results) == prompt_filters(raw_prompt_filters(raw))
        if raw.get("choices"):
            c = raw["choices"][0]
            delta = c.get("delta") or {}
            assert d.choice_index == (c.get("index") or 0)
            assert d.finish_reason == c.get("finish_reason")
            if ix.operation == COMPLETIONS:
                assert d.text == c.get("text")
                continue
            assert (d.role, d.content, d.refusal) == (delta.get("role"), delta.get("content"), delta.get("refusal"))
            assert [(t.index, t.id, t.name, t.arguments) for t in d.tool_calls if "function_call" not in delta] == [
                (
                    t["index"],
                    t.get("id"),
                    (t.get("function") or {}).get("name"),
                    (t.get("function") or {}).get("arguments"),
                )
                for t in delta.get("tool_calls") or []
            ]

    exp = expected_stream(raw_chunks)
    res = first
    assert res.meta is meta
    assert (res.id, res.model) == (exp.id, exp.model)
    assert _got_usage(res.usage) == usage_tuple(exp.usage)
    assert prompt_filters(res.prompt_filter_results) == prompt_filters(exp.prompt_filters)
    assert [c.index for c in res.choices] == [c.index for c in exp.choices]
    for got, want in zip(res.choices, exp.choices, strict=False):
        assert got.finish_reason == want.finish_reason
        if ix.operation == COMPLETIONS:
            assert (got.text or "") == want.text
            continue
        assert got.role == (want.role or "assistant")
        assert (got.content or "") == want.content
        assert (got.refusal or "") == want.refusal
        if want.legacy_function_call is not None:
            assert [(t.name, t.arguments) for t in got.tool_calls] == [want.legacy_function_call]
        else:
            assert _calls(got) == want.tool_calls
            for t in got.tool_calls:
                json.loads(t.arguments)  # fragments joined back into the JSON the model wrote
        filtered = {
            k for k, v in (got.content_filter_results or {}).items() if isinstance(v, Mapping) and v.get("filtered")
        }
        assert filtered == want.filtered


# ---- embeddings ------------------------------------------------------------------------------


@cases("embeddings")
def test_embeddings_response(ix: Interaction) -> None:
    from shared_core.wire.embeddings import parse_embeddings

    data = ix.json()
    vectors, usage = parse_embeddings(data)
    expected = expected_vectors(data)
    assert len(vectors) == len(ix.request_json()["input"]) == len(expected)
    assert [len(v) for v in vectors] == [len(v) for v in expected]
    assert vectors == expected
    u = data.get("usage")
    if u:
        assert usage is not None
        assert (usage.prompt_tokens, usage.total_tokens) == (u.get("prompt_tokens") or 0, u.get("total_tokens") or 0)
    else:
        assert usage is None


# ---- errors ----------------------------------------------------------------------------------


@cases("error")
def test_error_response(ix: Interaction) -> None:
    from shared_core.policy.retry import server_wait
    from shared_core.wire.diagnose import error_from_response

    h = ix.response_headers
    err = ix.json()["error"]
    wait = server_wait(h, status=ix.status)
    exc = error_from_response(ix.status, h, ix.body, retry_after=wait)

    exp_type, fields = expected_error(ix)
    assert type(exc) is exp_type
    assert isinstance(exc, E.APIStatusError)
    assert (exc.status, exc.status_code) == (ix.status, ix.status)
    assert exc.code == str(err["code"])
    assert exc.param == err.get("param")
    assert exc.request_id == expected_request_id(h)
    assert exc.region == h.get("x-ms-region")
    assert exc.body == ix.json()
    assert dict(exc.headers) == dict(h)
    for name, value in fields.items():
        assert getattr(exc, name) == value, name

    msg = str(exc)
    azure_said = " ".join(str(err.get("message") or "").split())
    assert azure_said[:80] in msg, "Azure's own message is quoted"
    if exc.request_id:
        assert exc.request_id in msg
    # the diagnosis says what to do, per type
    if isinstance(exc, E.ContentFilterError):
        assert fields["categories"], "these recordings all name a filtered category"
        for cat, detail in fields["categories"].items():
            assert cat in msg and str(detail.get("severity", "")) in msg
    elif isinstance(exc, E.DeploymentNotFoundError):
        assert "deployment name, not model name" in msg
    elif isinstance(exc, E.AuthenticationError):
        assert "key" in msg.lower() or "token" in msg.lower()
    elif isinstance(exc, E.RateLimitError):
        wait = fields["retry_after"]
        assert re.search(rf"\b{int(wait)}(\.0+)?\s*(s|sec|seconds?)\b", msg), "the wait Azure asked for"
        assert "limit" in msg.lower()
    elif err.get("code") == "unsupported_parameter":
        assert repr(err["param"]) in msg and "max_completion_tokens" in msg


def test_deployment_not_found_names_deployment_and_resource_when_the_target_is_known() -> None:
    """With the target the call was made for, the 404 diagnosis names both (real 404 bodies)."""
    if not recordings_present():
        pytest.skip(missing_reason())
    from shared_core.connection.config import resolve_target
    from shared_core.wire.diagnose import error_from_response

    checked = 0
    for ix in all_interactions():
        if kind_of(ix) != "error" or ix.status != 404 or ix.host_kind in ("redacted", "none"):
            continue
        host = ix.uri.split("/")[2]
        deployment = ix.path.split("/deployments/")[1].split("/")[0]
        target = resolve_target(
            azure_endpoint=f"https://{host}", deployment=deployment, api_key="not-a-real-key", env={}
        )
        exc = error_from_response(ix.status, ix.response_headers, ix.body, target=target)
        assert isinstance(exc, E.DeploymentNotFoundError)
        assert repr(deployment) in str(exc) and host in str(exc), ix.id
        assert "not-a-real-key" not in str(exc) + repr(exc)
        checked += 1
    assert checked == 3


# ---- what the core does not support yet: counted, never passed --------------------------------


def test_unsupported_recordings_are_counted_not_exercised() -> None:
    """Realtime and non-Azure exchanges are reported, never run as passes; every Responses
    exchange is exercised (test_responses_conformance.py), none left aside."""
    if not recordings_present():
        pytest.skip(missing_reason())
    kinds = Counter(kind_of(ix) for ix in all_interactions())
    responses = [ix for ix in all_interactions() if kind_of(ix) == "responses"]
    realtime = [ix for ix in all_interactions() if kind_of(ix) == "realtime"]
    other = [ix for ix in all_interactions() if kind_of(ix) == "other"]
    assert all("/responses" in ix.path for ix in responses)
    assert all(ix.transport == "ws" or "/realtime/" in ix.path for ix in realtime)
    assert all(ix.host_kind == "non-azure" for ix in other)
    assert (kinds["responses"], kinds["realtime"], kinds["other"]) == (len(responses), len(realtime), len(other))
    # none of these is among the exercised kinds
    exercised = {"chat", "chat-stream", "completions", "completions-stream", "embeddings", "error", "responses"}
    assert not exercised & {kind_of(ix) for ix in realtime + other}
    # the Responses ones are all: answers, streams and errors, each run by one test
    shapes = Counter((ix.status == 200, ix.stream) for ix in responses)
    assert (len(responses), shapes[(True, False)], shapes[(True, True)], shapes[(False, False)]) == (93, 56, 35, 2)
