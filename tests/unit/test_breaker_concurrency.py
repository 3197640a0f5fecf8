"""Breakers under concurrency: successes of requests that started before a fault do not keep a
flapping target's breaker closed (issue 13 §3), on a deterministic sequence.

Twenty calls are in flight on a primary that fails every other request. The ten faults answer
first and open its breaker; the ten successes of requests sent before those faults answer after.
Counting them would close the breaker again and send the next calls back to the flapping primary.
"""

from __future__ import annotations

import asyncio

import httpx

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.regions import resolve_targets
from tests.unit.transport_fakes import OK, FakeTime

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
FAULT = {"error": {"code": "ServiceUnavailable", "message": "busy"}}


def test_late_successes_of_early_requests_do_not_close_an_open_breaker() -> None:
    async def scenario() -> tuple[int, int]:
        first_wave = 20
        primary_seen = 0
        secondary_seen = 0
        warm = True
        all_in, faults_failed_over = asyncio.Event(), asyncio.Event()
        release_faults, release_successes = asyncio.Event(), asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal primary_seen, secondary_seen
            if request.url.host.startswith("secondary"):
                secondary_seen += 1
                if secondary_seen == first_wave // 2:
                    faults_failed_over.set()
                return httpx.Response(200, json=OK)
            if warm:
                return httpx.Response(200, json=OK)
            n = primary_seen
            primary_seen += 1
            fail = n % 2 == 0
            if n < first_wave:
                if primary_seen == first_wave:
                    all_in.set()
                await (release_faults if fail else release_successes).wait()
            return httpx.Response(503, json=FAULT) if fail else httpx.Response(200, json=OK)

        targets = resolve_targets(
            {
                "azure_endpoint": "https://primary.openai.azure.com",
                "api_key": "k",
                "deployment": "gpt-5.2",
                "name": "primary",
            },
            [{"azure_endpoint": "https://secondary.openai.azure.com", "api_key": "k2", "name": "secondary"}],
            env={},
        )
        t = FakeTime()  # the clock never reaches the 30 s cooldown: the breaker stays open if it opened
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        client = CoreClient(targets, http_async_client=http, hooks=t.hooks())
        # a deployment that has answered before: the wave is not held on a first request (the
        # limiter's probe), which would send the held calls to the secondary once their hold passed
        await client.achat(REQ)
        warm = False
        wave = [asyncio.create_task(client.achat(REQ)) for _ in range(first_wave)]
        await asyncio.wait_for(all_in.wait(), 5)
        release_faults.set()
        await asyncio.wait_for(faults_failed_over.wait(), 5)
        release_successes.set()
        results = await asyncio.wait_for(asyncio.gather(*wave), 5)
        assert sorted(r.meta.target for r in results) == ["primary"] * 10 + ["secondary"] * 10
        before = primary_seen
        for _ in range(100):
            await client.achat(REQ)
        await http.aclose()
        return primary_seen - before, secondary_seen

    later_to_primary, secondary_seen = asyncio.run(scenario())
    # without the stale-success rule (Router.success ignoring the epoch) all 100 went to the primary:
    # its breaker closed again, and alternating faults never make the three in a row that reopen it
    assert later_to_primary == 0 and secondary_seen == 110
