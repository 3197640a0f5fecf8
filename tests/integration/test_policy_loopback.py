"""The drivers against tiny loopback servers of our own, for what the emulator cannot produce: a
server that closes the connection without answering, a stream that stalls mid-way, a 429 window
that outlasts the advertised ``retry-after``. Both async transports (httpx's own pool and aiohttp)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target
from shared_core.errors import APIConnectionError, APITimeoutError, StreamStalledError
from shared_core.policy.transport import Hooks

pytest.importorskip("httpx_aiohttp")

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
OK = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
}
PREAMBLE = {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": []}
HI = {
    "id": "c",
    "model": "m",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None}],
}

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A threaded HTTP/1.1 server on 127.0.0.1 that runs ``behaviour`` for every POST."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.requests = 0
        self.release = threading.Event()  # lets stalled handlers finish at teardown
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.requests += 1
                behaviour(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], Server]]:
    servers: list[Server] = []

    def start(behaviour: Behaviour) -> Server:
        servers.append(Server(behaviour))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


async def _no_wait(seconds: float) -> None:
    pass


NO_WAIT = Hooks(sleep=lambda seconds: None, asleep=_no_wait)  # backoff between attempts, not timeouts


def client(server: Server, hooks: Hooks | None = None, **options: Any) -> CoreClient:
    target = resolve_target(azure_endpoint=server.url, deployment="chat", api_key="k", env={})
    return CoreClient(target, options=ClientOptions(**options), hooks=hooks)


def hang_up(h: BaseHTTPRequestHandler) -> None:
    h.close_connection = True  # no status line at all: the socket closes


def json_answer(h: BaseHTTPRequestHandler, status: int, body: Any, **headers: str) -> None:
    data = json.dumps(body).encode()
    h.send_response(status)
    h.send_header("content-type", "application/json")
    h.send_header("content-length", str(len(data)))
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(data)


# --------------------------------------------------------------------------- dropped connection


@pytest.mark.parametrize("aiohttp", [False, True], ids=["httpx-pool", "aiohttp"])
async def test_async_dropped_connection_is_a_connection_error_not_a_timeout(
    serve: Callable[[Behaviour], Server], aiohttp: bool
) -> None:
    server = serve(hang_up)
    core = client(server, NO_WAIT, max_retries=1, use_aiohttp=aiohttp)
    async with core:
        assert type(core._aclient()).__name__ == ("HttpxAiohttpClient" if aiohttp else "AsyncClient")
        with pytest.raises(APIConnectionError) as ei:
            await core.achat(REQ)
    e = ei.value
    assert not isinstance(e, APITimeoutError)
    assert str(e).startswith(
        f"The connection to {server.url}/openai/deployments/chat/chat/completions was"
        " closed before an answer came (2 attempts) ("
    )
    assert ("ServerDisconnectedError" if aiohttp else "RemoteProtocolError") in str(e)
    assert "this is not a timeout" in str(e) and "Raise timeout=" not in str(e)
    assert e.attempts == 2 and server.requests == 2


def test_sync_dropped_connection_is_a_connection_error(serve: Callable[[Behaviour], Server]) -> None:
    server = serve(hang_up)
    with client(server, max_retries=0) as core, pytest.raises(APIConnectionError) as ei:
        core.chat(REQ)
    assert not isinstance(ei.value, APITimeoutError) and "closed before an answer came" in str(ei.value)


# --------------------------------------------------------------------------------- stalled stream


def stall_after_content(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("content-type", "text/event-stream")
    h.send_header("connection", "close")
    h.end_headers()
    h.wfile.write(b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in (PREAMBLE, HI)))
    h.wfile.flush()
    h.server.release.wait(10)  # type: ignore[attr-defined]  # holds the connection open, silent
    h.close_connection = True


@pytest.mark.parametrize("aiohttp", [False, True], ids=["httpx-pool", "aiohttp"])
async def test_async_stall_mid_stream_is_a_stall(serve: Callable[[Behaviour], Server], aiohttp: bool) -> None:
    server = serve(stall_after_content)
    server.httpd.release = server.release  # type: ignore[attr-defined]
    got = []
    async with client(server, timeout=1.0, use_aiohttp=aiohttp) as core:
        with pytest.raises(StreamStalledError) as ei:
            async for d in core.astream_chat(REQ):
                got.append(d.content)
    assert got == [None, "Hi"]
    assert str(ei.value).startswith("The stream stalled: no data for 1 s after 2 chunk(s) received")
    assert "timeout=1 s is the per-attempt read timeout" in str(ei.value)


def test_sync_stall_mid_stream_is_a_stall(serve: Callable[[Behaviour], Server]) -> None:
    server = serve(stall_after_content)
    server.httpd.release = server.release  # type: ignore[attr-defined]
    with (
        client(server, timeout=1.0) as core,
        pytest.raises(StreamStalledError, match="^The stream stalled: no data for 1 s"),
    ):
        list(core.stream_chat(REQ))


# ----------------------------------------------------------------------- lying retry-after (scaled)


class Window:
    """Throttles every request for ``lasts`` s from the first one, advertising ``ms`` ms."""

    def __init__(self, lasts: float, ms: int) -> None:
        self.lasts, self.ms = lasts, ms
        self.start: float | None = None
        self.lock = threading.Lock()
        self.throttled: dict[str, int] = {}  # 429s per call (x-ms-client-request-id)

    def __call__(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            now = time.monotonic()
            if self.start is None:
                self.start = now
            limited = now - self.start < self.lasts
            if limited:
                call = h.headers["x-ms-client-request-id"]
                self.throttled[call] = self.throttled.get(call, 0) + 1
        if limited:
            # retry-after-ms only: its rounded-up retry-after (1 s) would be as long as this scaled-down window
            json_answer(
                h,
                429,
                {"error": {"code": "429", "message": "Rate limit is exceeded."}},
                **{"retry-after-ms": str(self.ms)},
            )
        else:
            json_answer(h, 200, OK)


async def test_limit_outlasting_retry_after_every_call_succeeds_with_defaults(
    serve: Callable[[Behaviour], Server],
) -> None:
    """Scaled-down lying retry-after (the full-scale run is benchmarks/reliability_retry_after.py):
    retry-after-ms says 100 ms while the limit lasts 2 s; 12 concurrent calls, default settings.
    (2 s, not 1: the shared pacing budget holds the others while the first call learns the limit,
    which shifts every call's third attempt to about 1 s.)"""
    window = Window(lasts=2.0, ms=100)
    server = serve(window)
    started = time.monotonic()
    async with client(server) as core:
        results = await asyncio.gather(*(core.achat(REQ) for _ in range(12)), return_exceptions=True)
    assert [r.first.content for r in results if not isinstance(r, BaseException)] == ["hello"] * 12
    # some call was throttled more often than max_retries=2 allows, and still got its answer
    assert max(window.throttled.values()) >= 3 and time.monotonic() - started < 10.0


@pytest.mark.parametrize("aiohttp", [False, True], ids=["httpx-pool", "aiohttp"])
async def test_async_refused_connection_is_a_connection_error_not_a_timeout(aiohttp: bool) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on (bound, then released)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = resolve_target(azure_endpoint=f"http://127.0.0.1:{port}", deployment="chat", api_key="k", env={})
    async with CoreClient(target, options=ClientOptions(max_retries=0, use_aiohttp=aiohttp)) as core:
        with pytest.raises(APIConnectionError) as ei:
            await core.achat(REQ)
    assert not isinstance(ei.value, APITimeoutError)
    assert str(ei.value).startswith(f"Could not connect to http://127.0.0.1:{port}/openai/deployments/chat/")
    assert "Raise timeout=" not in str(ei.value)
