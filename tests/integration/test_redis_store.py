"""The Redis pacing store against a real redis-server (tests/redis_server.py): the Lua scripts make
the decisions of ``limiter.py``, on Redis's clock, under namespaced expiring keys, and a store
whose Redis fails keeps pacing with its process's own state, says so once, and goes back."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from shared_core.errors import ConfigurationError
from shared_core.policy import limiter
from shared_core.policy.limiter import Limits, Seen
from shared_core.policy.pacing_store import LocalPacingStore
from shared_core.policy.redis_store import (
    NAMESPACE,
    TTL_SECONDS,
    RedisPacingStore,
    safe_redis_url,
    shared_state_url,
)
from tests.redis_server import RedisServer

KEY = "https://res.openai.azure.com|gpt-5.2"


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    s = RedisServer()
    yield s
    s.stop()


def store(url: str, **kw: object) -> RedisPacingStore:
    s = RedisPacingStore(SecretStr(url), **kw)  # type: ignore[arg-type]
    s._client.flushdb()
    return s


def _seen(rng: random.Random) -> Seen:
    def maybe(lo: float, hi: float) -> float | None:
        return None if rng.random() < 0.4 else round(rng.uniform(lo, hi), 3)

    return Seen(
        limit_requests=maybe(0, 1200),
        limit_tokens=maybe(0, 120000),
        remaining_requests=maybe(0, 30),
        remaining_tokens=maybe(0, 3000),
        reset_requests=maybe(0, 5),
        reset_tokens=maybe(0, 5),
        period_requests=maybe(0, 60),
        period_tokens=maybe(0, 60),
    )


@pytest.mark.parametrize("seed", range(6))
def test_scripts_decide_as_limiter_py(server: RedisServer, seed: int) -> None:
    """Random sequences of the five operations, on the same times, give the same waits and states."""
    rng = random.Random(seed)
    shared = store(server.url, server_clock=False)
    local = LocalPacingStore()
    limits = rng.choice([Limits(), Limits(rpm=600.0), Limits(tpm=60000.0), Limits(rpm=120.0, tpm=6000.0)])
    now = 1000.0
    for step in range(120):
        now += rng.choice([0.0, 0.001, 0.05, 0.5, 3.0])
        op = rng.choice(["reserve", "reserve", "reserve", "release", "settle", "block", "observe"])
        tokens = float(rng.choice([0, 10, 250, 5000]))
        if op == "reserve":
            args = (KEY, now, tokens, limits, rng.random() < 0.8, rng.random() < 0.8, rng.choice([math.inf, 0.5]))
            assert shared.reserve(*args) == local.reserve(*args), (seed, step)
        elif op == "release":
            shared.release(KEY, tokens, limits), local.release(KEY, tokens, limits)
        elif op == "settle":
            used = float(rng.choice([0, 40, 300]))
            shared.settle(KEY, tokens, used, limits), local.settle(KEY, tokens, used, limits)
        elif op == "block":
            until = now + rng.choice([0.0, 0.2, 2.0])
            shared.block(KEY, now, until, limits), local.block(KEY, now, until, limits)
        else:
            seen = _seen(rng)
            shared.observe(KEY, now, seen, limits), local.observe(KEY, now, seen, limits)
        got, want = shared.budget(KEY), local.budget(KEY)
        for field in ("blocked_until", "req_tat", "tok_tat", "rpm", "tpm", "usage_ratio"):
            assert getattr(got, field) == pytest.approx(getattr(want, field), rel=1e-12, abs=1e-9), (seed, step, field)
        assert (got.answered, got.probe_sent) == (want.answered, want.probe_sent), (seed, step)
    assert not shared.degraded


@pytest.mark.parametrize("seed", range(4))
def test_scripts_decide_the_probe_as_limiter_py(server: RedisServer, seed: int) -> None:
    """The first-request probe of a deployment that never answered: hold, leave (a caller with another
    target), expiry and release, on random times and flags, decided alike."""
    rng = random.Random(seed)
    shared = store(server.url, server_clock=False)
    local = LocalPacingStore()
    now = 1000.0
    for step in range(80):
        now += rng.choice([0.0, 0.01, 0.5, limiter.PROBE_SECONDS, limiter.PROBE_EXPIRES / 2])
        if rng.random() < 0.15:
            shared.release(KEY, 0.0, Limits()), local.release(KEY, 0.0, Limits())
        else:
            args = (KEY, now, 0.0, Limits(), True, rng.random() < 0.7, math.inf, rng.random() < 0.6)
            assert shared.reserve(*args) == local.reserve(*args), (seed, step)
        assert shared.budget(KEY).probe_sent == local.budget(KEY).probe_sent, (seed, step)
    assert not shared.degraded


def test_two_stores_share_one_budget_on_redis_time(server: RedisServer) -> None:
    """Two processes' stores (their clocks far apart) see each other's 429 block and reservations."""
    a, b = store(server.url), RedisPacingStore(SecretStr(server.url))
    a.block(KEY, 5.0, 7.0, Limits(rpm=600.0))  # a 429 advising 2 s, on a's clock
    wait, made = b.reserve(KEY, 1_000_000.0, 0.0, Limits(rpm=600.0))  # b's clock says something else
    assert made and 2.0 <= wait < 2.5, wait  # 2 s of block plus the refilled burst's pace
    again, _ = a.reserve(KEY, 5.0, 0.0, Limits(rpm=600.0))
    assert again > wait  # b's reservation holds a slot a sees
    assert limiter.SAFETY < 1.0  # the pace of 600 rpm is a little under 10/s: 0.103 s per request
    assert again - wait == pytest.approx(60.0 / 600.0 / limiter.SAFETY, abs=0.02)


def test_keys_are_namespaced_and_expire(server: RedisServer) -> None:
    s = store(server.url)
    s.reserve(KEY, 0.0, 0.0, Limits(rpm=60.0))
    assert [k.decode() for k in s._client.keys("*")] == [NAMESPACE + "pace:" + KEY]
    assert 0 < s._client.ttl(NAMESPACE + "pace:" + KEY) <= TTL_SECONDS
    s.block(KEY, 0.0, 100.0, Limits(rpm=60.0))  # the block outlives the idle expiry: so does the key
    assert TTL_SECONDS + 90 <= s._client.ttl(NAMESPACE + "pace:" + KEY) <= TTL_SECONDS + 101


def test_redis_down_falls_back_warns_once_and_comes_back(caplog: pytest.LogCaptureFixture) -> None:
    server = RedisServer(password="s3cret-pw")
    s = store(server.url, retry_seconds=0.0)
    caplog.set_level(logging.WARNING, logger="shared_core.policy")
    try:
        assert s.reserve(KEY, 0.0, 0.0, Limits(rpm=600.0)) == (0.0, True)
        server.stop()
        # each call still gets its decision, from this process's own budget
        outcomes = [s.reserve(KEY, 10.0, 0.0, Limits(rpm=600.0)) for _ in range(5)]
        assert all(made for _, made in outcomes)
        assert s.local.budget(KEY).req_tat > 0  # the fallback store holds what was reserved
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, warnings
        assert f"redis://***@127.0.0.1:{server.port}/0" in warnings[0]
        assert "own state" in warnings[0] and "s3cret-pw" not in caplog.text
        server = RedisServer(password="s3cret-pw", port=server.port)
        s.block(KEY, 0.0, 1.0, Limits(rpm=600.0))  # Redis answers again: the state is shared again
        assert s._client.exists(NAMESPACE + "pace:" + KEY) == 1
        assert "answers again" in caplog.records[-1].getMessage()
    finally:
        server.stop()


def test_the_password_never_shows() -> None:
    url = "redis://user:s3cret-pw@cache.internal:6380/2"
    assert safe_redis_url(url) == "redis://***@cache.internal:6380/2"
    s = RedisPacingStore(SecretStr(url))
    assert "s3cret-pw" not in repr(s) and "s3cret-pw" not in s.safe_url
    got = shared_state_url(url, env={})
    assert got is not None and "s3cret-pw" not in repr(got)
    with pytest.raises(ConfigurationError) as info:
        shared_state_url("http://:s3cret-pw@cache.internal:6380", env={})
    assert "s3cret-pw" not in str(info.value)
    assert str(info.value).startswith("shared_state='http://***@cache.internal:6380' is not a Redis URL: use")


def test_setting_and_environment_variable() -> None:
    assert shared_state_url(None, env={}) is None
    from_env = shared_state_url(None, env={"AZOAI_REDIS_URL": "redis://127.0.0.1:6390/0"})
    assert from_env is not None and from_env.get_secret_value() == "redis://127.0.0.1:6390/0"
    assert shared_state_url("local", env={"AZOAI_REDIS_URL": "redis://127.0.0.1:6390/0"}) is None
    with pytest.raises(ConfigurationError, match=r"^AZOAI_REDIS_URL='127.0.0.1:6379' is not a Redis URL") as info:
        shared_state_url(None, env={"AZOAI_REDIS_URL": "127.0.0.1:6379"})
    assert info.value.setting == "AZOAI_REDIS_URL"


def test_both_adapters_and_the_core_pace_through_redis(server: RedisServer) -> None:
    """``shared_state=`` on each adapter (a URL with a password): the call's budget is in Redis,
    and neither the adapter's repr nor its serialization shows the password."""
    from llama_index.core.llms import ChatMessage

    from langchain_azoai import AzureChatOpenAI
    from llamaindex_azoai import AzureOpenAI
    from shared_core.policy.redis_store import shared_store
    from tests.integration.test_pacing_loopback import RateLimitedServer

    secured = RedisServer(password="s3cret-pw")
    loopback = RateLimitedServer()
    common = {"azure_endpoint": loopback.url, "api_key": "k", "api_version": "2024-10-21"}
    try:
        lc = AzureChatOpenAI(azure_deployment="gpt-5.2", shared_state=secured.url, **common)
        li = AzureOpenAI(engine="gpt-5.2", shared_state=secured.url, **common)
        assert lc.invoke("hi").content == "hello"
        assert li.chat([ChatMessage(role="user", content="hi")]).message.content == "hello"
        for shown in (repr(lc), repr(li), str(lc.to_json()), li.model_dump_json()):
            assert "s3cret-pw" not in shown
        store = shared_store(SecretStr(secured.url))
        assert isinstance(store, RedisPacingStore) and not store.degraded
        key = NAMESPACE + "pace:" + loopback.url + "/openai|gpt-5.2"
        assert [k.decode() for k in store._client.keys("*")] == [key]
        assert float(store._client.hget(key, "rpm")) == 2400.0  # learned from the loopback's headers
        assert loopback.served == 2
    finally:
        loopback.stop()
        secured.stop()


def test_calls_keep_working_when_redis_stops_mid_run(caplog: pytest.LogCaptureFixture) -> None:
    """Redis stopped between two waves of calls (threads of one client): every call is served,
    paced by the process's own budget, and one warning says so."""
    from concurrent.futures import ThreadPoolExecutor

    from shared_core import ChatRequest
    from shared_core.client import CoreClient
    from shared_core.connection.config import ClientOptions, resolve_target
    from tests.integration.test_pacing_loopback import RateLimitedServer

    redis = RedisServer(password="s3cret-pw")
    loopback = RateLimitedServer()
    target = resolve_target(azure_endpoint=loopback.url, deployment="gpt-5.2", api_key="k")
    client = CoreClient(target, options=ClientOptions(use_aiohttp=False, shared_state=redis.url))
    req = ChatRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    caplog.set_level(logging.WARNING, logger="shared_core.policy")

    def wave() -> int:
        with ThreadPoolExecutor(8) as pool:
            return sum(1 for r in pool.map(lambda _: client.chat(req), range(40)) if r.choices)

    try:
        assert wave() == 40
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        redis.stop()
        assert wave() == 40
    finally:
        client.close()
        loopback.stop()
        redis.stop()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert f"Redis at redis://***@127.0.0.1:{redis.port}/0 failed" in warnings[0]
    assert "s3cret-pw" not in caplog.text
    assert loopback.served == 80 and loopback.throttled <= 8, loopback.throttled
