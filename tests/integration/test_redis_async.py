"""The async path's Redis I/O does not block the event loop (redis.asyncio, the same scripts),
and what a process learned while Redis was away goes back to Redis when it returns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target
from shared_core.policy import redis_store
from shared_core.policy.limiter import Limits
from shared_core.policy.pacing_store import key_of
from shared_core.policy.redis_breakers import RedisBreakers
from shared_core.policy.redis_store import NAMESPACE, RedisPacingStore
from shared_core.policy.routing import Router
from tests.integration.redis_proxy import HoldingProxy
from tests.redis_server import RedisServer, free_port

ANSWER = {
    "id": "c", "object": "chat.completion", "created": 1, "model": "gpt-5.2",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
}  # fmt: skip


@pytest.fixture
def server() -> Iterator[RedisServer]:
    s = RedisServer()
    yield s
    s.stop()


@pytest.mark.parametrize("targets", [1, 2])
def test_an_async_call_waiting_on_redis_leaves_the_loop_free(
    server: RedisServer, targets: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis's replies are held until the test lets them go: meanwhile another task runs (it is
    counted), the call waits for its reservation, and then completes with its state in Redis
    (no fallback). With two targets the breakers' records are read from Redis too."""
    proxy = HoldingProxy(server.port)
    url = proxy.url()
    # the process's store for this URL, with a timeout no loaded machine reaches: only the gate decides
    store = RedisPacingStore(SecretStr(url), socket_timeout=30.0)
    monkeypatch.setitem(redis_store._STORES, url, store)
    ends = ["https://east.openai.azure.com", "https://west.openai.azure.com"][:targets]
    sites = [resolve_target(azure_endpoint=e, deployment="gpt-5.2", api_key="k") for e in ends]
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=ANSWER)))
    core = CoreClient(sites, options=ClientOptions(shared_state=url), http_async_client=http)
    ran = 0

    async def main() -> None:
        nonlocal ran
        call = asyncio.create_task(core.achat(ChatRequest(messages=[{"role": "user", "content": "hi"}])))
        try:
            for _ in range(5000):  # until Redis's first reply is held at the gate (bounded poll)
                if proxy.held:
                    break
                await asyncio.sleep(0.001)
            assert proxy.held, "no Redis reply reached the proxy"
            for _ in range(100):  # the loop is free: this task runs while the call waits on Redis
                await asyncio.sleep(0)
                ran += 1
            assert not call.done()
        finally:
            proxy.gate.set()
        result = await call
        assert result.choices[0].content == "hi"

    try:
        asyncio.run(main())
        assert ran == 100
        assert not store.degraded
        # the call's outcome is Redis's state, not a fallback's (with two targets: either served it)
        assert [store.budget(key_of(site, None)).answered for site in sites].count(True) == 1
        if targets == 2:
            assert store.client.exists(NAMESPACE + "breaker:" + key_of(sites[1], None)) == 0  # only records read
    finally:
        proxy.gate.set()
        core.close()
        store.close()
        proxy.stop()


def test_what_a_process_learned_during_an_outage_goes_back_to_redis(caplog: pytest.LogCaptureFixture) -> None:
    """Redis stopped: a 429 block and an open breaker are this process's alone. Redis restarted
    (empty, on the same port): this process's next operation first merges them, so another
    process sees the block (what is left of it) and the open breaker."""
    caplog.set_level(logging.WARNING, logger="shared_core.policy")
    port = free_port()
    first = RedisServer(port=port)
    keys = ["https://east.openai.azure.com/openai|gpt-5.2", "https://west.openai.azure.com/openai|gpt-5.2"]
    mine = RedisPacingStore(SecretStr(first.url), retry_seconds=0.0)
    router = Router([1.0, 1.0], rng=lambda: 0.0, cooldown=300.0, shared=RedisBreakers(mine, keys))
    pace_key = "https://east.openai.azure.com|gpt-5.2"
    second: RedisServer | None = None
    try:
        first.stop()
        mine.block(pace_key, 100.0, 400.0, Limits())  # a 429 advising 300 s (on this process's clock)
        mine.block("https://gone.openai.azure.com|gpt-5.2", 100.0, 100.0, Limits())  # over already: not merged
        assert [router.failure(0) for _ in range(3)] == [False, False, True]  # opened locally
        assert mine.degraded or mine.retry_seconds == 0.0
        second = RedisServer(port=port)
        other = RedisPacingStore(SecretStr(second.url))  # another process
        for _ in range(50):  # the first operation after the return merges (bounded: reconnects)
            mine.budget(pace_key)
            if not mine.degraded and "answers again" in caplog.text:
                break
        wait, _ = other.reserve(pace_key, 0.0, 0.0, Limits())
        assert 290.0 < wait <= 300.0  # what is left of the block, on Redis's clock
        assert not other.client.exists(NAMESPACE + "pace:https://gone.openai.azure.com|gpt-5.2")
        rows = RedisBreakers(other, keys).load()
        assert rows is not None
        failures, open_in, _, _, tripped, _ = rows[0]
        assert tripped and 290.0 < open_in <= 300.0 and failures >= 1
        assert not rows[1][4]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 2, warnings
        assert "answers again" in warnings[1] and "(2 blocks and breakers of this process merged" in warnings[1]
        other.close()
    finally:
        mine.close()
        first.stop()
        if second is not None:
            second.stop()


def test_a_reservation_whose_caller_was_cancelled_is_given_back(server: RedisServer) -> None:
    """A hedge's loser cancelled while Redis books its reservation: the booking goes back (else the
    deployment's first-request probe would stay taken and hold every caller)."""
    proxy = HoldingProxy(server.port)
    store = RedisPacingStore(SecretStr(proxy.url()), socket_timeout=30.0)
    key = "https://east.openai.azure.com|gpt-5.2"

    async def main() -> None:
        task = asyncio.create_task(store.areserve(key, 0.0, 0.0, Limits()))
        try:
            for _ in range(5000):  # until Redis's reply is held (bounded poll)
                if proxy.held:
                    break
                await asyncio.sleep(0.001)
            assert proxy.held
            task.cancel()
        finally:
            proxy.gate.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        await store.abudget(key)  # in the queue behind the reservation: its release is queued after
        after = await store.abudget(key)
        assert after.probe_sent is None and after.req_tat == 0.0
        assert await store.areserve(key, 0.0, 0.0, Limits()) == (0.0, True)  # the next caller may probe

    try:
        asyncio.run(main())
        assert not store.degraded
    finally:
        proxy.gate.set()
        store.close()
        proxy.stop()
