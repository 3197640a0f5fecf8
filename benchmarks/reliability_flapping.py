"""Reliability: a flapping region (issue 13 §3). How many first attempts still go to it?

Two loopback "regions": the primary answers 503 to half of its requests (at random, after 20 ms),
the secondary always 200. 200 calls through one ``CoreClient`` with the secondary as fallback:
async (20 in flight at a time) and sync (one after the other). Counted: first attempts that went to the
primary (a breaker that sees every fault keeps them away), and calls lost.

    python benchmarks/reliability_flapping.py

Each mode runs twice: with the breakers as they are, and with the stale-success rule switched off
(``Router.success`` hearing every success, whenever its request started: the behaviour before the
rule), so the before/after figures come from the same machine and run.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from fault_region import Loopback

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.regions import resolve_targets

CALLS = 200
IN_FLIGHT = 20  # async calls in flight at once
CHAT = json.dumps(
    {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi."}}],
    }
).encode()
FAULT = json.dumps({"error": {"code": "ServiceUnavailable", "message": "The service is busy."}}).encode()


class Region:
    def __init__(self, fail_rate: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.fail_rate = fail_rate
        server = Loopback(self.handle)
        self.url, self.stop = server.url, server.stop

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        with self.lock:
            self.seen.append(h.headers["x-ms-client-request-id"])
            fail = self.rng.random() < self.fail_rate
        time.sleep(0.02)
        body = FAULT if fail else CHAT
        h.send_response(503 if fail else 200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def scenario(mode: str, stale_rule: bool = True) -> dict[str, Any]:
    from shared_core.policy.routing import Router

    success = Router.success
    if not stale_rule:
        Router.success = lambda self, index, epoch=None: success(self, index, None)  # type: ignore[method-assign]
    try:
        return _scenario(mode)
    finally:
        Router.success = success  # type: ignore[method-assign]


def _scenario(mode: str) -> dict[str, Any]:
    primary, secondary = Region(0.5, seed=1), Region(0.0, seed=2)
    targets = resolve_targets(
        {"azure_endpoint": primary.url, "api_key": "k", "deployment": "gpt-4o", "name": "primary"},
        [{"azure_endpoint": secondary.url, "api_key": "k", "name": "secondary"}],
    )
    req = ChatRequest(messages=[{"role": "user", "content": "hi"}])
    client = CoreClient(targets)
    results: list[Any]
    try:
        if mode == "async":

            async def one(gate: asyncio.Semaphore) -> Any:
                async with gate:
                    return await client.achat(req)

            async def go() -> list[Any]:
                gate = asyncio.Semaphore(IN_FLIGHT)
                async with client:
                    return await asyncio.gather(*(one(gate) for _ in range(CALLS)), return_exceptions=True)

            results = asyncio.run(go())
        else:
            results = []
            for _ in range(CALLS):
                try:
                    results.append(client.chat(req))
                except Exception as exc:  # counted as lost
                    results.append(exc)
            client.close()
    finally:
        primary.stop()
        secondary.stop()
    first_to_primary = len(set(primary.seen))  # a call's id appears once per attempt; first attempts
    lost = sum(isinstance(r, BaseException) for r in results)
    return {"mode": mode, "first_to_primary": first_to_primary, "lost": lost}


def main() -> None:
    print(f"\nFlapping primary (503 on half of its requests), {CALLS} calls, fallback to a healthy region\n")
    print("| mode | breakers | first attempts to the primary | calls lost |")
    print("|---|---|---|---|")
    for mode in ("async", "sync"):
        for stale_rule in (False, True):
            r = scenario(mode, stale_rule)
            label = "stale successes ignored" if stale_rule else "every success counts (before)"
            print(f"| {r['mode']} | {label} | {r['first_to_primary']} of {CALLS} | {r['lost']} |")


if __name__ == "__main__":
    main()
