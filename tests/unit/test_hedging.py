"""Hedging: after ``hedge_after`` the same chat request goes to a second healthy target; the first
answer wins. Never for a stored completion, a single target, or an operation with side effects.
Slow targets are fakes that hold their answer on an event (no sleeps); every wait is bounded."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions
from shared_core.connection.regions import resolve_targets
from shared_core.errors import ConfigurationError
from shared_core.policy.hedging import HEDGEABLE, Latencies, hedge_delay
from tests.unit.transport_fakes import OK, FakeTime, make_call, tgt

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


def targets() -> tuple:  # type: ignore[type-arg]
    return resolve_targets(
        {"azure_endpoint": "https://slow.openai.azure.com", "api_key": "k", "deployment": "gpt-5.2", "name": "slow"},
        [{"azure_endpoint": "https://fast.openai.azure.com", "api_key": "k2", "name": "fast"}],
        env={},
    )


def test_async_hedge_answers_from_the_second_target_and_cancels_the_first() -> None:
    async def scenario() -> tuple[list[httpx.Request], str | None]:
        seen: list[httpx.Request] = []
        never = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if request.url.host.startswith("slow"):
                await never.wait()  # cancelled by the hedge's answer
            return httpx.Response(200, json=OK)

        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        client = CoreClient(targets(), options=ClientOptions(hedge_after=0.01), http_async_client=http)
        result = await asyncio.wait_for(client.achat(REQ), 5)
        await http.aclose()
        return seen, result.meta.target

    seen, served = asyncio.run(scenario())
    assert [r.url.host for r in seen] == ["slow.openai.azure.com", "fast.openai.azure.com"] and served == "fast"
    assert json.loads(seen[0].content) == json.loads(seen[1].content)  # the same request


def test_sync_hedge_answers_from_the_second_target() -> None:
    seen: list[str] = []
    release = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if request.url.host.startswith("slow"):
            release.wait(5)  # the loser finishes once released; nobody reads it
        return httpx.Response(200, json=OK)

    client = CoreClient(targets(), options=ClientOptions(hedge_after=0.01),
                        http_client=httpx.Client(transport=httpx.MockTransport(handler)))  # fmt: skip
    try:
        assert client.chat(REQ).meta.target == "fast"
    finally:
        release.set()
    assert seen == ["slow.openai.azure.com", "fast.openai.azure.com"]


def test_when_a_call_is_hedged() -> None:
    t = FakeTime()
    two = make_call([tgt("eastus"), tgt("westus")], t)
    one = make_call([tgt("eastus")], t)
    lat = Latencies()
    assert hedge_delay(0.5, two, stored=False, latencies=lat) == 0.5
    assert hedge_delay(0.5, two, stored=True, latencies=lat) is None  # a stored conversation: never twice
    assert hedge_delay(0.5, one, stored=False, latencies=lat) is None  # nowhere else to go
    assert hedge_delay(None, two, stored=False, latencies=lat) is None  # off by default
    assert HEDGEABLE == {"chat/completions"}  # no uploads, batch creates, image generation...
    images = make_call([tgt("eastus"), tgt("westus")], t)
    images.operation = "images/generations"
    assert hedge_delay(0.5, images, stored=False, latencies=lat) is None
    # "p95": no hedge until 20 calls are known, then their 95th percentile
    for k in range(19):
        lat.add("chat/completions", 0.1 * (k + 1))
    assert hedge_delay("p95", two, stored=False, latencies=lat) is None
    lat.add("chat/completions", 2.0)
    assert hedge_delay("p95", two, stored=False, latencies=lat) == pytest.approx(1.9)


def test_hedge_after_is_validated() -> None:
    for bad in (0, -1, "p99", True):
        with pytest.raises(ConfigurationError, match=r"^hedge_after=.* must be positive seconds, or 'p95'"):
            ClientOptions(hedge_after=bad)  # type: ignore[arg-type]


def test_a_stored_completion_is_never_hedged() -> None:
    client = CoreClient(targets(), options=ClientOptions(hedge_after=0.01))
    stored = ChatRequest(messages=[{"role": "user", "content": "hi"}], extra_body={"store": True})
    assert client._hedging(stored)["stored"] is True and client._hedging(REQ)["stored"] is False
