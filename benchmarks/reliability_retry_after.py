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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with outer.lock:
                    now = time.monotonic()
                    if outer.start is None:
                        outer.start = now
                    limited = now - outer.start < LIMIT_SECONDS
                    if limited:
                        outer.throttled += 1
                    else:
                        outer.served += 1
                body = THROTTLED if limited else CHAT
                self.send_response(429 if limited else 200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                if limited:
                    self.send_header("retry-after", str(-(-RETRY_AFTER_MS // 1000)))
                    self.send_header("retry-after-ms", str(RETRY_AFTER_MS))
                self.send_header("x-ms-region", "Sweden Central")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


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
