"""A loopback "region" for the reliability report: answers chat calls, or fails them one chosen way.

The emulator's fault injection (``shared_core/emulator/faults.py``) decides faults per request but
keeps no record of which *call* each request belonged to; the report needs that record (a call
answered in full twice is a duplicate), so this small server tags every request with the ``job-N``
its prompt carries and counts, per job, the full answers it gave. Fault names follow ``FaultSpec``
(``region_down`` "503" / "close", ``stream_cut_after``) plus the ones the emulator cannot produce
over ASGI (a hang, an answer cut mid-body, a lying ``retry-after``, expiring tokens).

Modes:

========================  ==============================================================================
``ok``                    200 (JSON, or SSE when ``stream`` is set), after ``latency`` seconds
``503``                   503 ``ServiceUnavailable`` (``region_down="503"``)
``close``                 status line, headers and half the body, then the connection is closed
``hang``                  reads the request and never answers (closes after ``hang`` seconds)
``flap``                  503 on a seeded half of its requests, else ``ok``
``limit``                 429 for ``limit_for`` seconds from the first request, advising ``retry_after``
``stream_cut_before``     a 200 event stream cut before its first content chunk (chunked, unterminated)
``stream_cut_after``      a 200 event stream cut after its first content chunk
``expiring``              401 for a bearer token whose ``exp`` has passed (by ``skew`` seconds' early
                          clock), else ``ok``
========================  ==============================================================================
"""

from __future__ import annotations

import base64
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = ["Hello", " from", " the region."]  # a full answer, in stream chunks
JOB = re.compile(rb"job-(\d+)")


def chat_body() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-5.2-2025-12-11",
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "".join(ANSWER)}}
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
        }
    ).encode()


def sse_events() -> list[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-5.2-2025-12-11",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    first = chunk({"role": "assistant", "content": ANSWER[0]})
    return [first, *(chunk({"content": c}) for c in ANSWER[1:]), chunk({}, "stop"), b"data: [DONE]\n\n"]


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def jwt(exp: float) -> str:
    """An unsigned JWT-shaped token carrying ``exp`` (what the server checks, what caches read)."""

    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'exp': exp, 'aud': 'https://cognitiveservices.azure.com'})}.x"


def exp_of(token: str) -> float:
    payload = token.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


class Backlogged(ThreadingHTTPServer):
    request_queue_size = 128  # every caller connects at once (the default backlog of 5 drops some)


class Loopback:
    """A threaded HTTP/1.1 server on 127.0.0.1 (a free port) calling ``handle(handler, body)`` for
    each POST: the scaffolding of every benchmark's fake server."""

    def __init__(self, handle: Callable[[BaseHTTPRequestHandler, bytes], None]) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                handle(self, self.rfile.read(int(self.headers.get("content-length") or 0)))

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = Backlogged(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Region:
    """One loopback region; counts requests, full answers per job, 429s and 401s."""

    def __init__(
        self,
        mode: str = "ok",
        *,
        latency: float = 0.02,
        hang: float = 8.0,
        limit_for: float = 0.0,
        retry_after: float = 1.0,
        skew: float = 0.0,
        seed: int = 1,
    ) -> None:
        self.mode, self.latency, self.hang = mode, latency, hang
        self.limit_for, self.retry_after, self.skew = limit_for, retry_after, skew
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.throttled = 0
        self.unauthorized = 0
        self.answered: Counter[int] = Counter()  # job -> full answers sent
        self.first: float | None = None
        self.server = Loopback(self.handle)
        self.url, self.stop = self.server.url, self.server.stop

    # -- answering --------------------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        found = JOB.search(raw)
        job = int(found.group(1)) if found else -1
        stream = b'"stream": true' in raw or b'"stream":true' in raw
        with self.lock:
            self.requests += 1
            now = time.monotonic()
            if self.first is None:
                self.first = now
            mode = self.mode
            if mode == "flap":
                mode = "503" if self.rng.random() < 0.5 else "ok"
            elif mode == "limit":
                mode = "429" if now - self.first < self.limit_for else "ok"
            elif mode == "expiring":
                token = (h.headers.get("authorization") or "").removeprefix("Bearer ")
                mode = "401" if exp_of(token) <= time.time() + self.skew else "ok"
            if mode == "429":
                self.throttled += 1
            elif mode == "401":
                self.unauthorized += 1
        if mode == "hang":
            time.sleep(self.hang)
            h.close_connection = True
            return
        time.sleep(self.latency)
        if mode == "503":
            self.send(h, 503, error_body("ServiceUnavailable", "The service is temporarily unavailable."))
        elif mode == "429":
            wait = self.retry_after
            message = f"Requests have exceeded call rate limit. Please retry after {max(1, round(wait))} second."
            headers = {"retry-after": str(max(1, round(wait))), "retry-after-ms": str(round(wait * 1000))}
            self.send(h, 429, error_body("429", message), headers)
        elif mode == "401":
            self.send(h, 401, error_body("401", "Access denied due to invalid subscription key or token expired."))
        elif mode == "close":
            body = chat_body()
            h.send_response(200)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            self.cut(h)
        elif stream:
            self.stream(h, job, mode)
        else:
            self.send(h, 200, chat_body())
            with self.lock:
                self.answered[job] += 1

    def send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        h.send_header("x-ms-region", "Sweden Central")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def stream(self, h: BaseHTTPRequestHandler, job: int, mode: str) -> None:
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()
        events = sse_events()
        keep = {"stream_cut_before": 0, "stream_cut_after": 1}.get(mode)
        for event in events[:keep]:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        h.wfile.flush()
        if keep is not None:
            self.cut(h)  # no terminating chunk: the client sees the connection end mid-body
            return
        h.wfile.write(b"0\r\n\r\n")
        with self.lock:
            self.answered[job] += 1

    @staticmethod
    def cut(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def refused_url() -> str:
    """The URL of a loopback port nothing listens on (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"
