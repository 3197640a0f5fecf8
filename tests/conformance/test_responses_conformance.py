"""Every real Responses API interaction in the recordings, run through the core.

Two levels, one test each per interaction (id ``repo:file-stem#index``):

* parsers: ``wire.responses.parse_response`` on each answer, ``ResponseEventParser`` +
  ``ResponseStreamAccumulator`` on each stream (fed in random cuts), ``error_from_response`` on
  each error;
* the client: ``CoreClient.create_response`` / ``stream_response`` over an ``httpx.MockTransport``
  answering with the recording, given the neutral request that reproduces the recorded one: the
  URL and body it sends must be the recorded ones (plus the ``type: "message"`` Azure requires on
  input messages), the result, metadata and typed errors what the recording says.

Expected values come from the recordings' raw JSON (``responses_expect.py``), never from the core.
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from shared_core import errors as E

from ._cases import cases
from .expectations import expected_request_id
from .recordings import Interaction
from .responses_expect import expected_of, got_of, request_of, settings_of, wire_form

pytestmark = pytest.mark.conformance

_DROP = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


def _meta(ix: Interaction) -> Any:
    from shared_core.types import ResponseMeta

    h = ix.response_headers
    return ResponseMeta(status=ix.status, headers=h, request_id=expected_request_id(h), region=h.get("x-ms-region"))


def _check(result: Any, ix: Interaction) -> None:
    exp = expected_of(ix)
    got = got_of(result)
    for name in ("id", "status", "model", "text", "calls", "reasoning", "item_types", "usage"):
        assert getattr(got, name) == getattr(exp, name), name
    assert (got.incomplete_reason, got.filters) == (exp.incomplete_reason, exp.filters)
    if exp.streamed_text is not None:
        assert result.output_text == exp.streamed_text  # the deltas add up to the final text
    # a filtered output is reported, never raised
    assert result.output_filtered == (
        exp.incomplete_reason == "content_filter" or any(b and s != "prompt" for b, s, _ in exp.filters)
    )


def _cuts(body: bytes, seed: str) -> list[bytes]:
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(body):
        n = rng.randint(1, 300)
        out.append(body[i : i + n])
        i += n
    return out


# ---- parsers ----------------------------------------------------------------------------------


@cases("responses", where=lambda ix: ix.status == 200 and not ix.stream)
def test_responses_answer(ix: Interaction) -> None:
    from shared_core.wire.responses import parse_response

    _check(parse_response(ix.json(), _meta(ix)), ix)


@cases("responses", where=lambda ix: ix.status == 200 and ix.stream)
def test_responses_stream(ix: Interaction) -> None:
    from shared_core.wire.responses_stream import ResponseEventParser, ResponseStreamAccumulator

    parser = ResponseEventParser(_meta(ix))
    acc = ResponseStreamAccumulator()
    kinds: list[str] = []
    for chunk in _cuts(ix.body, ix.id):
        for ev in parser.feed(chunk):
            acc.add(ev)
            kinds.append(ev.type)
    for ev in parser.finish():
        acc.add(ev)
        kinds.append(ev.type)
    assert kinds == [e["type"] for e in ix.sse_json()]  # every event, in order, none invented
    assert parser.done
    result = acc.result()
    _check(result, ix)
    assert result.meta is not None and result.meta.request_id == expected_request_id(ix.response_headers)


@cases("responses", where=lambda ix: ix.status >= 400)
def test_responses_error(ix: Interaction) -> None:
    from shared_core.wire.diagnose import error_from_response

    exc = error_from_response(ix.status, ix.response_headers, ix.body)
    err = ix.json()["error"]
    if err.get("code") == "content_filter":
        assert isinstance(exc, E.ContentFilterError)
        assert exc.source == "prompt"
    assert (exc.status, exc.code) == (ix.status, err.get("code"))


# ---- the client -------------------------------------------------------------------------------


def _client(ix: Interaction, seen: list[httpx.Request]) -> Any:
    from shared_core.client import CoreClient

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = [(k, v) for k, v in ix.response_headers.items() if k not in _DROP]
        return httpx.Response(ix.status, headers=headers, content=ix.body)

    async def aanswer(request: httpx.Request) -> httpx.Response:
        await request.aread()
        return answer(request)

    return CoreClient.from_settings(
        **settings_of(ix),
        api_key="conformance-key",
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(aanswer)),
        max_retries=0,
        env={},
    )


def _check_request(seen: list[httpx.Request], ix: Interaction) -> None:
    assert len(seen) == 1
    assert (seen[0].method, str(seen[0].url)) == (ix.method, ix.uri)
    assert json.loads(seen[0].content) == wire_form(ix.request_json())


def _check_meta(meta: Any, ix: Interaction) -> None:
    assert meta is not None
    assert (meta.status, meta.attempts) == (ix.status, 1)
    assert meta.request_id == expected_request_id(ix.response_headers)
    assert meta.region == ix.response_headers.get("x-ms-region")


@cases("responses")
def test_client_responses(ix: Interaction) -> None:
    from shared_core.wire.responses_stream import ResponseStreamAccumulator

    seen: list[httpx.Request] = []
    client = _client(ix, seen)
    req = request_of(ix)
    if ix.status >= 400:
        call = client.stream_response if req.stream else client.create_response
        with pytest.raises(E.APIStatusError) as info:
            out = call(req)
            list(out) if req.stream else None
        if ix.json()["error"].get("code") == "content_filter":
            assert isinstance(info.value, E.ContentFilterError)
        assert info.value.request_id == expected_request_id(ix.response_headers)
        _check_request(seen, ix)
        return
    if req.stream:
        acc = ResponseStreamAccumulator()
        for ev in client.stream_response(req):
            acc.add(ev)
        result = acc.result()
    else:
        result = client.create_response(req)
    _check_request(seen, ix)
    _check(result, ix)
    _check_meta(result.meta, ix)


@cases("responses", where=lambda ix: ix.status == 200)
async def test_client_aresponses(ix: Interaction) -> None:
    from shared_core.wire.responses_stream import ResponseStreamAccumulator

    seen: list[httpx.Request] = []
    client = _client(ix, seen)
    req = request_of(ix)
    if req.stream:
        acc = ResponseStreamAccumulator()
        async for ev in client.astream_response(req):
            acc.add(ev)
        result = acc.result()
    else:
        result = await client.acreate_response(req)
    _check_request(seen, ix)
    _check(result, ix)
    _check_meta(result.meta, ix)
