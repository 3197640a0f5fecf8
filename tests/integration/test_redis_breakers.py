"""The circuit breakers in Redis: two routers (two processes' clients) see one breaker per target."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from shared_core.policy.redis_breakers import RedisBreakers
from shared_core.policy.redis_store import NAMESPACE, RedisPacingStore
from shared_core.policy.routing import Router
from tests.redis_server import RedisServer

KEYS = ["https://east.openai.azure.com/openai|gpt-5.2", "https://west.openai.azure.com/openai|gpt-5.2"]


@pytest.fixture
def server() -> Iterator[RedisServer]:
    s = RedisServer()
    yield s
    s.stop()


def router(url: str, **kw: float) -> Router:
    store = RedisPacingStore(SecretStr(url), **kw)  # type: ignore[arg-type]
    return Router([1.0, 1.0], rng=lambda: 0.0, shared=RedisBreakers(store, KEYS))


def test_a_breaker_opened_by_one_process_is_open_for_another(server: RedisServer) -> None:
    a, b = router(server.url), router(server.url)
    assert b.pick() == 0  # rng 0: the first usable target
    assert [a.failure(0) for _ in range(3)] == [False, False, True]
    assert b.pick() == 1 and b.state(0) == "open"  # b never saw a fault itself
    assert b.has_alternative({1}) is False
    epoch = b.epoch(0)
    assert epoch == 3
    a.success(0, epoch=2)  # a success of a request older than the last fault changes nothing
    assert b.pick() == 1
    key = NAMESPACE + "breaker:" + KEYS[0]
    assert a.shared is not None and 0 < a.shared.store.client.ttl(key) <= 3600 + 31
    a.success(0, epoch=3)
    assert b.pick() == 0 and b.state(0) == "closed"


def test_a_429_skips_the_target_for_every_process(server: RedisServer) -> None:
    a, b = router(server.url), router(server.url)
    a.throttled(0, 30.0)
    assert b.pick() == 1 and b.pick(exclude={1}) == 0  # skipped, yet still the one left


def test_redis_down_the_router_keeps_its_own_records(server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="shared_core.policy")
    a = router(server.url, retry_seconds=60.0)
    server.stop()
    assert [a.failure(0) for _ in range(3)] == [False, False, True]  # decided locally
    assert a.pick() == 1 and a.state(0) == "open"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "own state" in warnings[0], warnings
