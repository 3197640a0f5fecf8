"""Fault injection, rate limits and the admin routes, in-process with a manual clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared_core.emulator.app import create_app, iter_sse
from shared_core.emulator.config import FaultSpec, ManualClock, make_deployment
from tests._deployments import with_legacy

H = {"api-key": "azoai-emulator-key"}
CHAT = "/openai/deployments/{}/chat/completions?api-version=2024-10-21"
BODY = {"messages": [{"role": "user", "content": "Tell me about the history of the Roman empire"}]}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    deps = {
        "chat": make_deployment("chat", "gpt-4o-mini", tpm=1000),  # 6 RPM, 1 per 10 s
        "big": make_deployment("big", "gpt-4o", tpm=0),
    }
    app = create_app(clock=clock, deployments=deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        yield c


async def set_faults(client: httpx.AsyncClient, **spec: Any) -> dict[str, Any]:
    r = await client.post("/_emulator/faults", json=spec)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def statuses(client: httpx.AsyncClient, n: int, deployment: str = "big") -> list[int]:
    return [(await client.post(CHAT.format(deployment), json=BODY, headers=H)).status_code for _ in range(n)]


async def test_rpm_burst_rule_and_retry_after(client: httpx.AsyncClient, clock: ManualClock) -> None:
    ok = await client.post(CHAT.format("chat"), json=BODY, headers=H)
    assert ok.status_code == 200 and ok.headers["x-ratelimit-limit-requests"] == "6"
    r = await client.post(CHAT.format("chat"), json=BODY, headers=H)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "10" and r.headers["retry-after-ms"] == "10000"
    assert r.headers["x-ratelimit-remaining-requests"] == "5"
    assert r.json()["error"]["code"] == "429"
    assert r.json()["error"]["message"].startswith(
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API "
        "version 2024-10-21 have exceeded call rate limit"
    )
    clock.advance(4)
    r = await client.post(CHAT.format("chat"), json=BODY, headers=H)
    assert r.headers["retry-after"] == "6" and r.headers["retry-after-ms"] == "6000"
    clock.advance(6)
    assert (await client.post(CHAT.format("chat"), json=BODY, headers=H)).status_code == 200


async def test_token_limit(client: httpx.AsyncClient, clock: ManualClock) -> None:
    body = {**BODY, "max_tokens": 600}
    assert (await client.post(CHAT.format("chat"), json=body, headers=H)).status_code == 200
    clock.advance(11)
    r = await client.post(CHAT.format("chat"), json=body, headers=H)
    assert r.status_code == 429 and "exceeded token rate limit" in r.json()["error"]["message"]
    assert r.headers["retry-after"] == "49"
    clock.advance(49)
    assert (await client.post(CHAT.format("chat"), json=body, headers=H)).status_code == 200


async def test_error_every_nth_per_deployment(client: httpx.AsyncClient) -> None:
    await set_faults(client, deployment="big", error_every=3, error_status=503)
    assert await statuses(client, 7) == [200, 200, 503, 200, 200, 503, 200]
    r = await client.post(CHAT.format("big"), json=BODY, headers=H)
    r = await client.post(CHAT.format("big"), json=BODY, headers=H)
    assert r.status_code == 503 and r.json()["error"]["code"] == "503"
    state = (await client.get("/_emulator/state")).json()
    assert state["faults"]["injected"] == {"503": 3}
    assert state["faults"]["deployments"]["big"]["error_every"] == 3


async def test_seeded_error_rate_is_reproducible(clock: ManualClock) -> None:
    async def run() -> list[int]:
        app = create_app(deployments=with_legacy(), clock=clock, seed=7, faults=FaultSpec(error_rate=0.3))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
            return await statuses(c, 20, "gpt-4o")

    a, b = await run(), await run()
    assert a == b and 0 < a.count(500) < 20 and set(a) == {200, 500}


async def test_500_body(client: httpx.AsyncClient) -> None:
    await set_faults(client, error_every=1)
    r = await client.post(CHAT.format("big"), json=BODY, headers=H)
    assert r.status_code == 500
    err = r.json()["error"]
    assert err["type"] == "server_error" and r.headers["apim-request-id"] in err["message"]


async def test_429_burst_then_recovery(client: httpx.AsyncClient) -> None:
    await set_faults(client, burst_429=2, retry_after=2.5)
    first = await client.post(CHAT.format("big"), json=BODY, headers=H)
    assert (
        first.status_code == 429 and first.headers["retry-after"] == "3" and first.headers["retry-after-ms"] == "2500"
    )
    assert await statuses(client, 2) == [429, 200]


async def test_region_down_503_and_close(client: httpx.AsyncClient) -> None:
    await set_faults(client, region_down="503")
    r = await client.post(CHAT.format("nope"), json=BODY, headers=H)
    assert r.status_code == 503 and r.headers["x-ms-region"] == "East US"
    await set_faults(client, region_down="close")
    with pytest.raises(ConnectionResetError, match="connection closed without a response"):
        await client.post(CHAT.format("big"), json=BODY, headers=H)
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert await statuses(client, 1) == [200]


async def test_error_inside_200_stream(client: httpx.AsyncClient) -> None:
    await set_faults(client, deployment="big", stream_error_after=2)
    r = await client.post(CHAT.format("big"), json={**BODY, "stream": True}, headers=H)
    assert r.status_code == 200
    events = list(iter_sse(r.content))
    assert "[DONE]" not in events
    last = json.loads(events[-1])
    assert last["error"]["type"] == "server_error"
    contents = [json.loads(e)["choices"][0]["delta"].get("content") for e in events[2:-1]]
    assert len(contents) == 2


async def test_stream_cut_in_process_raises(client: httpx.AsyncClient) -> None:
    await set_faults(client, stream_cut_after=1)
    with pytest.raises(ConnectionResetError):
        await client.post(CHAT.format("big"), json={**BODY, "stream": True}, headers=H)


async def test_stream_stall_delays_then_completes(client: httpx.AsyncClient) -> None:
    await set_faults(client, stream_stall_after=1, stall_seconds=0.01)
    r = await client.post(CHAT.format("big"), json={**BODY, "stream": True}, headers=H)
    assert r.status_code == 200 and r.text.endswith("data: [DONE]\n\n")


async def test_admin_rejects_unknown_fault_fields_and_deployments(client: httpx.AsyncClient) -> None:
    r = await client.post("/_emulator/faults", json={"explode": True})
    assert r.status_code == 400 and "unknown fault field(s) ['explode']" in r.json()["error"]["message"]
    r = await client.post("/_emulator/faults", json={"deployment": "ghost", "error_every": 2})
    assert r.status_code == 400 and "Unknown deployment 'ghost'" in r.json()["error"]["message"]


async def test_state_and_reset(client: httpx.AsyncClient, clock: ManualClock) -> None:
    await statuses(client, 2, "chat")
    state = (await client.get("/_emulator/state")).json()
    assert state["served"] == {"chat": 1} and state["rate_limits"]["chat"]["requests"] == 1
    assert state["deployments"]["chat"] == {
        "model": "gpt-4o-mini",
        "kind": "chat",
        "tpm": 1000,
        "rpm": 6,
        "dimensions": None,
    }
    await client.post("/_emulator/reset")
    assert await statuses(client, 1, "chat") == [200]


async def test_latency_fault_applies(client: httpx.AsyncClient) -> None:
    state = await set_faults(client, latency_ms=1)
    assert state["faults"]["instance"]["latency_ms"] == 1
    assert await statuses(client, 1) == [200]
