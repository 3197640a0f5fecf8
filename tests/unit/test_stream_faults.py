"""Stream faults on the wire (httpx.MockTransport): a 200 that stalls, is cut or carries an error
event before its first token is a fault of its target (breaker, failover); a stall is reported as
a stall; 429 waits grow and are bounded by time. Time is a fake clock: nothing sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from shared_core.connection.config import ClientOptions, Target
from shared_core.errors import RateLimitError, StreamError, StreamStalledError
from shared_core.policy.routing import Router
from shared_core.policy.transport import Call, astream_deltas, send_json, stream_deltas
from shared_core.wire.chat import parse_chat_chunk
from tests.unit.transport_fakes import (
    AZ,
    CHUNKS,
    FakeTime,
    Parts,
    Recorder,
    body_fn,
    err,
    ok,
    sse,
    stream_response,
    tgt,
)

UNKNOWN_EVENT = {"error": {"code": "brand_new_code", "message": "Something odd happened upstream."}}


class Then(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends ``first`` and then fails with ``exc`` (sync and async)."""

    def __init__(self, first: bytes, exc: Exception) -> None:
        self.first, self.exc = first, exc

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise self.exc

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self.first
        raise self.exc


def failing_stream(first: bytes, exc: Exception) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream", **AZ}, stream=Then(first, exc))


FAULTS: dict[str, Callable[[], httpx.Response]] = {
    "stall": lambda: failing_stream(sse(CHUNKS[0], done=False), httpx.ReadTimeout("timed out")),
    "cut": lambda: failing_stream(sse(CHUNKS[0], done=False), httpx.RemoteProtocolError("peer closed")),
    "error event": lambda: stream_response(sse(CHUNKS[0], UNKNOWN_EVENT)),
    "known error event": lambda: stream_response(
        sse(
            CHUNKS[0],
            {"error": {"message": "The server had an error while processing your request.", "type": "server_error"}},
        )
    ),
    "ended before [DONE]": lambda: stream_response(sse(CHUNKS[0], done=False)),
}


def shared_call(targets: list[Target], router: Router, t: FakeTime, **opts: Any) -> Call:
    return Call(targets, router, ClientOptions(**opts), "chat/completions", body_fn, hooks=t.hooks())


@pytest.mark.parametrize("fault", list(FAULTS))
def test_stream_fault_before_first_token_trips_the_breaker(fault: str) -> None:
    """A region that answers 200 and then fails is skipped once its breaker opens (it used to
    count as a success at the headers, so every streamed call paid for it again)."""
    t = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("eastus"):
            return FAULTS[fault]()
        return stream_response(sse(*CHUNKS))

    rec = Recorder(handler)
    http = httpx.Client(transport=httpx.MockTransport(rec))
    targets = [tgt("eastus"), tgt("westus", key="kb")]
    router = Router([1.0, 0.0], failure_threshold=3, cooldown=30.0, clock=t.clock, rng=lambda: 0.0)
    for _ in range(3):  # each call: eastus fails before the first token, westus serves it
        deltas = list(stream_deltas(http, shared_call(targets, router, t), parse_chat_chunk))
        assert [d.content for d in deltas] == [None, "Hi", None]
        assert deltas[0].meta is not None and deltas[0].meta.target == "westus"
    assert router.state(0) == "open"
    rec.requests.clear()
    list(stream_deltas(http, shared_call(targets, router, t), parse_chat_chunk))
    assert [r.url.host for r in rec.requests] == ["westus.openai.azure.com"]
    assert t.sleeps == []


def test_stream_success_closes_breaker_only_at_first_token() -> None:
    t = FakeTime()
    router = Router([1.0, 0.0], failure_threshold=1, cooldown=5.0, clock=t.clock, rng=lambda: 0.0)
    router.failure(0)
    t.now += 5.0  # half-open: the next call is the probe
    rec = Recorder(stream_response(sse(*CHUNKS)))
    http = httpx.Client(transport=httpx.MockTransport(rec))
    it = stream_deltas(http, shared_call([tgt("eastus"), tgt("westus")], router, t), parse_chat_chunk)
    first = next(it)  # the preamble is held until "Hi": the probe has delivered
    assert first.content is None and router.state(0) == "closed"
    list(it)


def test_stream_abandoned_before_first_token_frees_the_probe() -> None:
    t = FakeTime()
    router = Router([1.0, 0.0], failure_threshold=1, cooldown=5.0, clock=t.clock, rng=lambda: 0.0)
    router.failure(0)
    t.now += 5.0
    rec = Recorder(failing_stream(sse(CHUNKS[0], done=False), httpx.ReadTimeout("timed out")))
    http = httpx.Client(transport=httpx.MockTransport(rec))
    call = shared_call([tgt("eastus"), tgt("westus")], router, t)
    from shared_core.policy.sync_driver import send

    response, _ = send(http, call, stream=True)
    assert router.state(0) == "half_open" and router.pick() == 1  # probe in flight
    from shared_core.policy.streaming import StreamAttempt

    attempt = StreamAttempt(call, parse_chat_chunk, _)
    attempt.close()
    response.close()
    assert router.pick() == 0  # the probe slot is free again


@pytest.mark.parametrize("fault", ["error event", "ended before [DONE]"])
def test_unknown_in_band_error_before_content_is_retried(fault: str) -> None:
    t = FakeTime()
    rec = Recorder(FAULTS[fault](), stream_response(sse(*CHUNKS)))
    deltas = list(
        stream_deltas(
            httpx.Client(transport=httpx.MockTransport(rec)), shared_call([tgt()], Router([1.0]), t), parse_chat_chunk
        )
    )
    assert len(rec.requests) == 2 and t.sleeps == [0.5]
    assert [d.content for d in deltas] == [None, "Hi", None]


async def test_unknown_in_band_error_before_content_fails_over_async() -> None:
    t = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("eastus"):
            return FAULTS["error event"]()
        return stream_response(sse(*CHUNKS))

    rec = Recorder(handler)
    router = Router([1.0, 0.0], clock=t.clock, rng=lambda: 0.0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(rec)) as http:
        deltas = [
            d
            async for d in astream_deltas(
                http, shared_call([tgt("eastus"), tgt("westus")], router, t), parse_chat_chunk
            )
        ]
    assert [r.url.host for r in rec.requests] == ["eastus.openai.azure.com", "westus.openai.azure.com"]
    assert deltas[0].meta is not None and deltas[0].meta.target == "westus" and t.sleeps == []


def test_unknown_in_band_error_exhausted_raises_it() -> None:
    t = FakeTime()
    rec = Recorder(lambda request: FAULTS["error event"]())
    with pytest.raises(StreamError, match="Something odd happened upstream"):
        list(
            stream_deltas(
                httpx.Client(transport=httpx.MockTransport(rec)),
                shared_call([tgt()], Router([1.0]), t, max_retries=1),
                parse_chat_chunk,
            )
        )
    assert len(rec.requests) == 2


def test_unknown_in_band_error_after_content_is_raised_not_retried() -> None:
    t = FakeTime()
    body = Parts(sse(CHUNKS[0], CHUNKS[1], done=False), sse(UNKNOWN_EVENT, done=False))
    rec = Recorder(httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body))
    got = []
    with pytest.raises(StreamError, match="Something odd happened upstream"):
        for d in stream_deltas(
            httpx.Client(transport=httpx.MockTransport(rec)), shared_call([tgt()], Router([1.0]), t), parse_chat_chunk
        ):
            got.append(d.content)
    assert got == [None, "Hi"] and len(rec.requests) == 1


def test_stall_after_content_is_reported_as_a_stall() -> None:
    t = FakeTime()
    rec = Recorder(failing_stream(sse(*CHUNKS[:2], done=False), httpx.ReadTimeout("The read operation timed out")))
    got = []
    with pytest.raises(StreamStalledError) as ei:
        for d in stream_deltas(
            httpx.Client(transport=httpx.MockTransport(rec)),
            shared_call([tgt()], Router([1.0]), t, timeout=7.0),
            parse_chat_chunk,
        ):
            got.append(d)
    msg = str(ei.value)
    assert msg.startswith("The stream stalled: no data for 7 s after 2 chunk(s) received, 2 character(s)")
    assert "timeout=7 s is the per-attempt read timeout" in msg and "raise timeout=" in msg
    assert "cut" not in msg and len(got) == 2 and len(rec.requests) == 1


async def test_async_stall_names_the_read_part_of_an_httpx_timeout() -> None:
    t = FakeTime()
    rec = Recorder(failing_stream(sse(*CHUNKS[:2], done=False), httpx.ReadTimeout("timed out")))
    async with httpx.AsyncClient(transport=httpx.MockTransport(rec)) as http:
        with pytest.raises(StreamStalledError, match=r"^The stream stalled: no data for 4 s after 2 chunk\(s\)"):
            async for _ in astream_deltas(
                http, shared_call([tgt()], Router([1.0]), t, timeout=httpx.Timeout(60.0, read=4.0)), parse_chat_chunk
            ):
                pass


def test_stall_before_first_token_is_retried_then_reported_as_a_stall() -> None:
    t = FakeTime()
    rec = Recorder(lambda request: FAULTS["stall"]())
    with pytest.raises(StreamStalledError, match=r"^The stream stalled: no data for 9 s after 1 chunk\(s\)"):
        list(
            stream_deltas(
                httpx.Client(transport=httpx.MockTransport(rec)),
                shared_call([tgt()], Router([1.0]), t, timeout=9.0, max_retries=1),
                parse_chat_chunk,
            )
        )
    assert len(rec.requests) == 2 and t.sleeps == [0.5]


def test_cut_stays_a_cut() -> None:
    t = FakeTime()
    rec = Recorder(failing_stream(sse(*CHUNKS[:2], done=False), httpx.RemoteProtocolError("peer closed")))
    with pytest.raises(StreamError, match=r"^The stream was cut \(RemoteProtocolError: peer closed\)"):
        list(
            stream_deltas(
                httpx.Client(transport=httpx.MockTransport(rec)),
                shared_call([tgt()], Router([1.0]), t),
                parse_chat_chunk,
            )
        )


# ------------------------------------------------------------------------------ retry-after


def test_precise_retry_after_ms_is_the_wait() -> None:
    t = FakeTime()
    rec = Recorder(err(429, **{"retry-after": "1", "retry-after-ms": "30"}), ok())
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), shared_call([tgt()], Router([1.0]), t))
    assert t.sleeps == [0.03]


class Throttle:
    """A deployment limited for ``lasts`` seconds (of the fake clock) from its first request,
    advertising a ``retry-after`` shorter than that (Azure's lying retry-after)."""

    def __init__(self, t: FakeTime, lasts: float, advertised_ms: int) -> None:
        self.t, self.lasts, self.ms = t, lasts, advertised_ms
        self.start: float | None = None
        self.throttled = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.start is None:
            self.start = self.t.now
        if self.t.now - self.start < self.lasts:
            self.throttled += 1
            return err(429, **{"retry-after-ms": str(self.ms), "retry-after": str(-(-self.ms // 1000))})
        return ok()


def test_lying_retry_after_grows_the_wait_until_the_limit_lifts() -> None:
    """retry-after says 1 s while the limit lasts 5 s: with default settings the call succeeds
    (max_retries=2 alone would give up after 2 s)."""
    t = FakeTime()
    server = Throttle(t, lasts=5.0, advertised_ms=1000)
    data, meta = send_json(
        httpx.Client(transport=httpx.MockTransport(Recorder(server))), shared_call([tgt()], Router([1.0]), t)
    )
    assert data["choices"][0]["message"]["content"] == "hello"
    assert t.sleeps == [1.0, 2.0, 4.0] and meta.attempts == 4 and server.throttled == 3


def test_429_budget_is_max_retry_wait() -> None:
    t = FakeTime()
    server = Throttle(t, lasts=1e9, advertised_ms=1000)
    with pytest.raises(RateLimitError) as ei:
        send_json(
            httpx.Client(transport=httpx.MockTransport(Recorder(server))),
            shared_call([tgt()], Router([1.0]), t, max_retry_wait=20.0),
        )
    assert t.sleeps == [1.0, 2.0, 4.0, 8.0, 5.0] and sum(t.sleeps) == 20.0
    assert "waited 20 s on 429s in this call (6 throttled attempts)" in str(ei.value)
    assert "max_retry_wait=20 s" in str(ei.value)


def test_interleaved_calls_success_started_before_a_fault_does_not_reset_the_breaker() -> None:
    t = FakeTime()
    router = Router([1.0, 0.0], failure_threshold=2, cooldown=30.0, clock=t.clock, rng=lambda: 0.0)
    targets = [tgt("eastus"), tgt("westus")]
    a, b, c = (shared_call(targets, router, t) for _ in range(3))
    assert a.begin().name == "eastus" and b.begin().name == "eastus"  # both in flight
    assert b.rejected(503, {}, b"").wait == 0.0  # b fails (and fails over)
    a.succeeded(ok())  # a's answer, sent before b's fault, arrives late
    assert c.begin().name == "eastus"
    c.rejected(503, {}, b"")
    assert router.state(0) == "open"


def test_stall_names_the_deadline_when_it_set_the_read_timeout() -> None:
    t = FakeTime()
    rec = Recorder(failing_stream(sse(*CHUNKS[:2], done=False), httpx.ReadTimeout("timed out")))
    with pytest.raises(StreamStalledError) as ei:
        list(
            stream_deltas(
                httpx.Client(transport=httpx.MockTransport(rec)),
                shared_call([tgt()], Router([1.0]), t, timeout=60.0, deadline=5.0),
                parse_chat_chunk,
            )
        )
    assert str(ei.value).startswith("The stream stalled: no data for 5 s after 2 chunk(s)")
    assert isinstance(ei.value, TimeoutError)  # caught by `except TimeoutError`, as APITimeoutError is
    assert "The read timeout (5 s) was what was left of the call's deadline=." in str(ei.value)
