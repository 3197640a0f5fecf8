"""A region that accepts the first request to its deployment and never answers it, with callers held
on that request (the shared limiter's probe): once the hold has passed with the probe still
unanswered, a caller with another target goes there unsent (recorded in its routing trace, no
attempt counted) instead of joining the probe in the hanging region; with a single target it is
sent there as before. Time is the test's clock, moved only by the held callers' waits, so the
hold passes without waiting; the hanging request ends when the test says. Loopback servers only."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target
from shared_core.connection.routing_plan import Group, Leaf
from shared_core.policy import limiter
from shared_core.policy.hooks import Hooks
from shared_core.types import ChatResult
from tests.integration.test_failover_first_answer import REQ, Server
from tests.integration.test_policy_loopback import OK, hang_up, json_answer

HELD = 8
WHY = f"the deployment's first request unanswered for over {limiter.PROBE_SECONDS:g} s"


class Clock:
    """The calls' clock: it moves only when a held caller waits, by what it waits, once all
    ``HELD`` callers are held (each one's first wait lets it in only when every one has come)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        self.sleepers: set[object] = set()
        self.lock = threading.Lock()
        self.gate = threading.Barrier(HELD)
        self.agate: asyncio.Event | None = None

    def __call__(self) -> float:
        return self.now

    def _wait(self, who: object, seconds: float) -> bool:
        """Count a wait; True on ``who``'s first."""
        with self.lock:
            first = who not in self.sleepers
            self.sleepers.add(who)
            self.waits.append(seconds)
        return first

    def _move(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        if self._wait(threading.get_ident(), seconds):
            self.gate.wait(10)
        self._move(seconds)

    async def asleep(self, seconds: float) -> None:
        if self.agate is None:
            self.agate = asyncio.Event()
        if self._wait(asyncio.current_task(), seconds):
            if len(self.sleepers) == HELD:
                self.agate.set()
            await asyncio.wait_for(self.agate.wait(), 10)
        self._move(seconds)
        await asyncio.sleep(0)  # lets the loop run the other tasks' I/O; no wait

    def hooks(self) -> Hooks:
        return Hooks(sleep=self.sleep, asleep=self.asleep, clock=self, rng=lambda: 0.5)


class Primary:
    """Its first request is held until :meth:`end`, then ``first`` ends it; the others get ``rest``."""

    def __init__(self, first: Callable[[BaseHTTPRequestHandler], None], rest: Callable[[BaseHTTPRequestHandler], None]):
        self.received = threading.Event()
        self.server = Server(self._behaviour)
        self._first, self._rest = first, rest
        self._lock = threading.Lock()
        self._taken = False

    def _behaviour(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            first, self._taken = not self._taken, True
        if not first:
            self._rest(h)
            return
        self.received.set()
        self.server.release.wait(30)  # the test ends it (teardown at the latest)
        self._first(h)

    def end(self) -> None:
        self.server.release.set()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    made: list[Server] = []
    yield made
    for s in made:
        s.stop()


def answer(name: str) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: json_answer(h, 200, {**OK, "id": f"from-{name}"})


def client_for(urls: list[str], clock: Clock, *, aiohttp: bool = False) -> CoreClient:
    names = ["primary", "secondary"]
    targets = [
        resolve_target(azure_endpoint=u, deployment="gpt-5.2", api_key="k", name=n, env={})
        for u, n in zip(urls, names, strict=False)
    ]
    plan = Group("fallback", tuple(Leaf(i) for i in range(len(targets))), (1.0,) * len(targets))
    # a per-attempt timeout far past the hold: only the test ends the hanging request
    options = ClientOptions(timeout=30.0, use_aiohttp=aiohttp)
    return CoreClient(targets, options=options, plan=plan if len(targets) > 1 else None, hooks=clock.hooks())


def hanging_regions(servers: list[Server]) -> tuple[Primary, Server]:
    primary = Primary(hang_up, hang_up)  # a request that does reach it after the first hangs up too
    secondary = Server(answer("secondary"))
    servers.extend([primary.server, secondary])
    return primary, secondary


def check_moved(held: list[ChatResult]) -> None:
    """Each held call was served by the secondary in one HTTP attempt, its move recorded unsent."""
    assert [r.id for r in held] == ["from-secondary"] * HELD
    for r in held:
        assert r.meta is not None and r.meta.routing is not None
        trace = r.meta.routing.as_list()
        assert [(a["target"], a["outcome"], a.get("status")) for a in trace] == [
            ("primary", "failover", None),
            ("secondary", "ok", 200),
        ]
        assert trace[0]["reason"] == WHY
        assert r.meta.attempts == 1  # a move before sending is no attempt (nor a retry of max_retries)


def test_threads_held_on_a_hanging_probe_go_to_the_secondary_once_the_hold_passes(servers: list[Server]) -> None:
    primary, secondary = hanging_regions(servers)
    clock = Clock()
    client = client_for([primary.server.url, secondary.url], clock)
    with client, ThreadPoolExecutor(HELD + 1) as pool:
        probe = pool.submit(client.chat, REQ)
        assert primary.received.wait(10)
        held = [pool.submit(client.chat, REQ) for _ in range(HELD)]
        done, _ = wait(held, timeout=20)
        try:
            assert len(done) == HELD  # all served while the primary still hangs on its first request
            assert primary.server.requests == 1
            check_moved([f.result() for f in held])
            assert len(clock.sleepers) == HELD  # each was held on the probe first
            assert clock.now - 1000.0 >= limiter.PROBE_SECONDS  # they waited out the hold first
        finally:
            primary.end()
        # the probe itself: the primary hangs up, it fails over
        assert probe.result(timeout=20).id == "from-secondary"
    assert primary.server.requests == 1
    assert secondary.requests == HELD + 1
    assert client._router.state(0) == "open"


@pytest.mark.parametrize("aiohttp", [False, True], ids=["httpx-pool", "aiohttp"])
async def test_tasks_held_on_a_hanging_probe_go_to_the_secondary_once_the_hold_passes(
    servers: list[Server], aiohttp: bool
) -> None:
    primary, secondary = hanging_regions(servers)
    clock = Clock()
    client = client_for([primary.server.url, secondary.url], clock, aiohttp=aiohttp)
    async with client:
        probe = asyncio.ensure_future(client.achat(REQ))
        assert await asyncio.to_thread(primary.received.wait, 10)
        try:
            held = await asyncio.wait_for(asyncio.gather(*(client.achat(REQ) for _ in range(HELD))), 20)
            assert primary.server.requests == 1
            check_moved(list(held))
            assert len(clock.sleepers) == HELD  # each was held on the probe first
            assert clock.now - 1000.0 >= limiter.PROBE_SECONDS
        finally:
            primary.end()
        assert (await asyncio.wait_for(probe, 20)).id == "from-secondary"
    assert primary.server.requests == 1
    assert secondary.requests == HELD + 1


def check_stayed(held: list[Any], primary: Primary) -> None:
    """With nowhere else to go, each held call waited on the probe, then was sent to the primary."""
    assert [r.id for r in held] == ["from-primary"] * HELD
    for r in held:
        trace = r.meta.routing.as_list()
        assert [(a["target"], a["outcome"], a.get("status")) for a in trace] == [("primary", "ok", 200)]
    assert primary.server.requests == HELD + 1


def test_threads_held_with_a_single_target_wait_for_the_probe_then_go_there(servers: list[Server]) -> None:
    primary = Primary(answer("primary"), answer("primary"))
    servers.append(primary.server)
    clock = Clock()
    client = client_for([primary.server.url], clock)
    with client, ThreadPoolExecutor(HELD + 1) as pool:
        probe = pool.submit(client.chat, REQ)
        assert primary.received.wait(10)
        held = [pool.submit(client.chat, REQ) for _ in range(HELD)]
        done, _ = wait(held, timeout=20)
        try:
            assert len(done) == HELD
            check_stayed([f.result() for f in held], primary)
            # every held thread waited on the probe first, in polls, until the hold had passed
            assert len(clock.sleepers) == HELD and set(clock.waits) == {limiter.PROBE_POLL}
            assert clock.now - 1000.0 >= limiter.PROBE_SECONDS
        finally:
            primary.end()
        assert probe.result(timeout=20).id == "from-primary"


async def test_tasks_held_with_a_single_target_wait_for_the_probe_then_go_there(servers: list[Server]) -> None:
    primary = Primary(answer("primary"), answer("primary"))
    servers.append(primary.server)
    clock = Clock()
    client = client_for([primary.server.url], clock)
    async with client:
        probe = asyncio.ensure_future(client.achat(REQ))
        assert await asyncio.to_thread(primary.received.wait, 10)
        try:
            held = await asyncio.wait_for(asyncio.gather(*(client.achat(REQ) for _ in range(HELD))), 20)
            check_stayed(list(held), primary)
            assert len(clock.sleepers) == HELD and set(clock.waits) == {limiter.PROBE_POLL}
            assert clock.now - 1000.0 >= limiter.PROBE_SECONDS
        finally:
            primary.end()
        assert (await asyncio.wait_for(probe, 20)).id == "from-primary"
