"""30 threads and 30 asyncio tasks, through two clients, share one deployment's budget.

A loopback server of our own enforces a request limit as Azure does (a per-minute limit checked
over one second: a token bucket holding one second of the rate) and answers with Azure's headers:
``x-ratelimit-limit-requests`` / ``-remaining-requests`` on every answer, ``retry-after-ms`` /
``retry-after`` on a 429. It counts what it served and refused; the test asserts counts, never
times. Without a shared limiter every caller learned the limit on its own: about 1.4 429s per
request (issue 13).
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target

RATE = 40.0  # requests per second
CALLS_EACH = 2
OK = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-5.2-2025-12-11",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
    }
).encode()
THROTTLED = json.dumps(
    {"error": {"code": "429", "message": "Requests have exceeded call rate limit. Please retry after 1 second."}}
).encode()


class Backlogged(ThreadingHTTPServer):
    request_queue_size = 128  # 60 callers connect at once (the default backlog of 5 drops some)


class RateLimitedServer:
    """A request token bucket of ``RATE`` per second holding one second; counts answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.level = RATE
        self.at = time.monotonic()
        self.served = 0
        self.throttled = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with outer.lock:
                    now = time.monotonic()
                    outer.level = min(RATE, outer.level + (now - outer.at) * RATE)
                    outer.at = now
                    wait = 0.0 if outer.level >= 1 else (1 - outer.level) / RATE
                    if wait:
                        outer.throttled += 1
                    else:
                        outer.level -= 1
                        outer.served += 1
                    remaining = max(0, math.floor(outer.level))
                body = THROTTLED if wait else OK
                self.send_response(429 if wait else 200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.send_header("x-ratelimit-limit-requests", str(int(RATE * 60)))
                self.send_header("x-ratelimit-remaining-requests", str(remaining))
                if wait:
                    self.send_header("retry-after-ms", str(math.ceil(wait * 1000)))
                    self.send_header("retry-after", str(math.ceil(wait)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = Backlogged(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def client(url: str) -> CoreClient:
    target = resolve_target(azure_endpoint=url, deployment="gpt-5.2", api_key="test-key")
    return CoreClient(target, options=ClientOptions(use_aiohttp=False))


def test_threads_and_tasks_of_two_clients_share_one_budget() -> None:
    server = RateLimitedServer()
    req = ChatRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    threaded, tasked = client(server.url), client(server.url)

    def sync_caller(_: int) -> int:
        return sum(1 for _ in range(CALLS_EACH) if threaded.chat(req).choices)

    async def async_callers() -> int:
        async def one() -> int:
            return sum([1 for _ in range(CALLS_EACH) if (await tasked.achat(req)).choices])

        try:
            return sum(await asyncio.gather(*(one() for _ in range(30))))
        finally:
            await tasked.aclose()

    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            threads = pool.map(sync_caller, range(30))
            tasks = asyncio.run(async_callers())
            served_by_threads = sum(threads)
    finally:
        threaded.close()
        server.stop()
    assert (served_by_threads, tasks) == (30 * CALLS_EACH, 30 * CALLS_EACH)
    assert server.served == 120
    # every 429 blocks all callers and resumes them at the rate: a handful at most, where
    # callers learning on their own drew more than one per request
    assert server.throttled <= 6, server.throttled
