"""The streaming drivers on the wire (httpx.MockTransport): retries before the first byte, cuts, in-band errors,
sync and async. Time is a fake clock: nothing sleeps.
"""

from __future__ import annotations

import httpx
import pytest

from shared_core.errors import (
    BadRequestError,
    ServerError,
    StreamError,
)
from shared_core.policy.transport import (
    astream_deltas,
    stream_deltas,
)
from shared_core.wire.chat import parse_chat_chunk

from .transport_fakes import CHUNKS, FakeTime, Parts, Recorder, err, make_call, sse, stream_response, tgt


def test_stream_retried_before_first_byte_then_deltas_with_meta() -> None:
    t = FakeTime()
    rec = Recorder(err(503, **{"retry-after": "1"}), stream_response(sse(*CHUNKS)))
    deltas = list(
        stream_deltas(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk)
    )
    assert [d.content for d in deltas] == [None, "Hi", None]
    assert deltas[0].meta is not None and deltas[0].meta.attempts == 2 and t.sleeps == [1.0]


def test_stream_error_status_raised_before_anything_is_yielded() -> None:
    t = FakeTime()
    rec = Recorder(
        err(
            400,
            {
                "error": {
                    "code": "content_filter",
                    "message": "filtered",
                    "innererror": {
                        "code": "ResponsibleAIPolicyViolation",
                        "content_filter_result": {"hate": {"filtered": True, "severity": "high"}},
                    },
                }
            },
        )
    )
    it = stream_deltas(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk)
    with pytest.raises(BadRequestError, match=r"hate \(high\)"):
        next(it)


class CutStream(httpx.SyncByteStream):
    def __init__(self, first: bytes) -> None:
        self.first = first
        self.closed = False

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield self.first
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    def close(self) -> None:
        self.closed = True


def test_stream_cut_midway_is_stream_error_and_response_closed() -> None:
    t = FakeTime()
    cut = CutStream(sse(*CHUNKS[:2], done=False))
    rec = Recorder(httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=cut))
    got = []
    with pytest.raises(StreamError) as ei:
        for d in stream_deltas(
            httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk
        ):
            got.append(d)
    assert len(got) == 2 and len(rec.requests) == 1  # no retry once bytes were yielded
    assert "RemoteProtocolError" in str(ei.value) and "2 chunk(s) received, 2 character(s)" in str(ei.value)
    assert cut.closed


def test_stream_abandoned_early_closes_response() -> None:
    t = FakeTime()
    cut = CutStream(sse(*CHUNKS))
    rec = Recorder(httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=cut))
    it = stream_deltas(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk)
    next(it)
    it.close()  # type: ignore[attr-defined]
    assert cut.closed


async def test_async_stream_and_cut() -> None:
    t = FakeTime()
    rec = Recorder(stream_response(sse(*CHUNKS)))
    async with httpx.AsyncClient(transport=httpx.MockTransport(rec)) as http:
        deltas = [d async for d in astream_deltas(http, make_call([tgt()], t), parse_chat_chunk)]
        assert [d.finish_reason for d in deltas] == [None, None, "stop"]
        rec = Recorder(stream_response(sse(*CHUNKS, done=False)))
        http2 = httpx.AsyncClient(transport=httpx.MockTransport(rec))
        with pytest.raises(StreamError, match="ended before \\[DONE\\]"):
            async for _ in astream_deltas(http2, make_call([tgt()], t), parse_chat_chunk):
                pass
        await http2.aclose()


IN_BAND_500 = {"error": {"message": "The server had an error while processing your request.", "type": "server_error"}}


def test_in_band_error_after_preamble_is_retried_nothing_leaks() -> None:
    t = FakeTime()
    rec = Recorder(stream_response(sse(CHUNKS[0], IN_BAND_500)), stream_response(sse(*CHUNKS)))
    deltas = list(
        stream_deltas(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk)
    )
    assert len(rec.requests) == 2 and t.sleeps == [0.5]
    assert [d.content for d in deltas] == [None, "Hi", None]  # one preamble, from the good attempt
    assert deltas[0].meta is not None and deltas[0].meta.attempts == 2


def test_in_band_error_fails_over_to_next_target() -> None:
    t = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("eastus"):
            return stream_response(sse(CHUNKS[0], IN_BAND_500))
        return stream_response(sse(*CHUNKS))

    rec = Recorder(handler)
    deltas = list(
        stream_deltas(
            httpx.Client(transport=httpx.MockTransport(rec)),
            make_call([tgt("eastus"), tgt("westus")], t),
            parse_chat_chunk,
        )
    )
    assert [r.url.host for r in rec.requests] == ["eastus.openai.azure.com", "westus.openai.azure.com"]
    assert deltas[0].meta is not None and deltas[0].meta.target == "westus" and t.sleeps == []


def test_in_band_error_after_content_is_raised_not_retried() -> None:
    t = FakeTime()
    body = Parts(sse(CHUNKS[0], CHUNKS[1], done=False), sse(IN_BAND_500, done=False))
    rec = Recorder(httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body))
    got = []
    with pytest.raises(ServerError, match="inside a 200 stream"):
        for d in stream_deltas(
            httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk
        ):
            got.append(d.content)
    assert len(rec.requests) == 1 and got == [None, "Hi"]


async def test_async_in_band_content_filter_not_retried() -> None:
    t = FakeTime()
    cf = {
        "error": {
            "code": "content_filter",
            "message": "filtered",
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": {"violence": {"filtered": True, "severity": "high"}},
            },
        }
    }
    rec = Recorder(stream_response(sse(CHUNKS[0], cf)), stream_response(sse(*CHUNKS)))
    async with httpx.AsyncClient(transport=httpx.MockTransport(rec)) as http:
        with pytest.raises(BadRequestError, match=r"violence \(high\)") as ei:
            async for _ in astream_deltas(http, make_call([tgt()], t), parse_chat_chunk):
                pass
        assert len(rec.requests) == 1 and ei.value.attempts == 1
        rec2 = Recorder(stream_response(sse(CHUNKS[0], IN_BAND_500)), stream_response(sse(*CHUNKS)))
        http2 = httpx.AsyncClient(transport=httpx.MockTransport(rec2))
        deltas = [d async for d in astream_deltas(http2, make_call([tgt()], t), parse_chat_chunk)]
        await http2.aclose()
    assert len(rec2.requests) == 2 and [d.content for d in deltas] == [None, "Hi", None]


class RawCut(httpx.SyncByteStream):
    def __iter__(self):  # type: ignore[no-untyped-def]
        yield sse(*CHUNKS[:2], done=False)
        raise ConnectionResetError("peer reset")


def test_raw_oserror_mid_stream_is_stream_error() -> None:
    t = FakeTime()
    rec = Recorder(httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=RawCut()))
    with pytest.raises(StreamError, match="ConnectionResetError: peer reset"):
        list(stream_deltas(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk))


class CutAfterPreamble(httpx.SyncByteStream):
    def __iter__(self):  # type: ignore[no-untyped-def]
        yield sse(CHUNKS[0], done=False)
        raise httpx.RemoteProtocolError("peer closed connection")


def test_cut_after_preamble_only_is_retried() -> None:
    t = FakeTime()
    rec = Recorder(
        httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=CutAfterPreamble()),
        stream_response(sse(*CHUNKS)),
    )
    deltas = list(
        stream_deltas(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t), parse_chat_chunk)
    )
    assert len(rec.requests) == 2 and [d.content for d in deltas] == [None, "Hi", None] and t.sleeps == [0.5]
