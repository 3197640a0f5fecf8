"""Reliability: a lying ``retry-after`` (issue 9 §5). langchain_azoai vs langchain-openai.

A loopback server throttles every request for ``LIMIT_SECONDS`` (5 s) from the first one it sees,
answering 429 with ``retry-after: 1`` and ``retry-after-ms: 1000`` (as Azure does: the advised
wait is shorter than the limit really lasts). 60 calls start at once (``batch`` with 60 threads),
each client with its default settings. Printed: calls served and lost, 429s received, wall time.

    python benchmarks/reliability_retry_after.py
"""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from fault_region import Loopback

warnings.filterwarnings("ignore")

CALLS = 60
LIMIT_SECONDS = 5.0
RETRY_AFTER_MS = 1000
CHAT = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-2024-11-20",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi."}}],
        "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10},
    }
).encode()
THROTTLED = json.dumps(
    {
        "error": {
            "code": "429",
            "message": (
                "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have"
                " exceeded call rate limit of your current AIServices S0 pricing tier. Please retry after 1 second."
            ),
        }
    }
).encode()


class LyingServer:
    """429 with retry-after 1 s for ``LIMIT_SECONDS`` from the first request, then 200."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.start: float | None = None
        self.throttled = 0
        self.served = 0
        server = Loopback(self.handle)
        self.url, self.stop = server.url, server.stop

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        with self.lock:
            now = time.monotonic()
            if self.start is None:
                self.start = now
            limited = now - self.start < LIMIT_SECONDS
            if limited:
                self.throttled += 1
            else:
                self.served += 1
        body = THROTTLED if limited else CHAT
        h.send_response(429 if limited else 200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        if limited:
            h.send_header("retry-after", str(-(-RETRY_AFTER_MS // 1000)))
            h.send_header("retry-after-ms", str(RETRY_AFTER_MS))
        h.send_header("x-ms-region", "Sweden Central")
        h.end_headers()
        h.wfile.write(body)


def azoai(url: str) -> Any:
    from langchain_azoai import AzureChatOpenAI

    return AzureChatOpenAI(azure_endpoint=url, api_key="bench-key", azure_deployment="gpt-4o", api_version="2024-10-21")


def anchor(url: str) -> Any:
    from langchain_openai import AzureChatOpenAI

    return AzureChatOpenAI(azure_endpoint=url, api_key="bench-key", azure_deployment="gpt-4o", api_version="2024-10-21")


def run(name: str, make: Callable[[str], Any]) -> dict[str, Any]:
    server = LyingServer()
    try:
        llm = make(server.url)
        started = time.monotonic()
        results = llm.batch(["Hello"] * CALLS, config={"max_concurrency": CALLS}, return_exceptions=True)
        wall = time.monotonic() - started
    finally:
        server.stop()
    errors = [r for r in results if isinstance(r, BaseException)]
    kinds = sorted({type(e).__name__ for e in errors})
    return {
        "client": name,
        "served": CALLS - len(errors),
        "lost": len(errors),
        "429s": server.throttled,
        "wall": wall,
        "errors": ", ".join(kinds) or "-",
    }


def main() -> None:
    rows = [run("langchain_azoai.AzureChatOpenAI", azoai), run("langchain_openai.AzureChatOpenAI", anchor)]
    print(
        f"\nLying retry-after: 429 'retry-after: 1' while the limit lasts {LIMIT_SECONDS:g} s;"
        f" {CALLS} concurrent calls, default settings\n"
    )
    print("| client | served | lost | 429s received | 429s per call | wall time | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['client']} | {r['served']}/{CALLS} | {r['lost']} | {r['429s']} | {r['429s'] / CALLS:.1f}"
            f" | {r['wall']:.1f} s | {r['errors']} |"
        )
    print(f"\nideal wall time: {LIMIT_SECONDS:g} s (the limit) plus one round trip")


if __name__ == "__main__":
    main()
