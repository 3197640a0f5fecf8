"""Router: weighted choice, failover order, circuit breaker with a half-open probe, 429 blocks."""

from __future__ import annotations

import random
from collections import Counter

from shared_core.policy.routing import Router


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_single_target_always_zero_and_never_trips() -> None:
    r = Router([1.0])
    for _ in range(10):
        r.failure(0)
    assert r.pick() == 0 and r.state(0) == "closed" and not r.has_alternative(set())


def test_weighted_choice_follows_weights() -> None:
    rnd = random.Random(7)
    r = Router([3.0, 1.0], rng=rnd.random)
    counts = Counter(r.pick() for _ in range(4000))
    assert 2800 < counts[0] < 3200 and counts[0] + counts[1] == 4000


def test_zero_weight_is_backup_only() -> None:
    r = Router([1.0, 0.0], rng=lambda: 0.999)
    assert {r.pick() for _ in range(20)} == {0}
    assert r.pick(exclude={0}) == 1


def test_exclude_gives_failover_order() -> None:
    r = Router([1.0, 1.0, 1.0], rng=lambda: 0.0)
    assert r.pick() == 0
    assert r.pick(exclude={0}) == 1
    assert r.pick(exclude={0, 1}) == 2
    assert r.has_alternative({0, 1}) and not r.has_alternative({0, 1, 2})


def test_breaker_opens_half_opens_and_closes() -> None:
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=2, cooldown=30.0, clock=clock, rng=lambda: 0.0)
    r.failure(0)
    assert r.state(0) == "closed" and r.pick() == 0
    r.failure(0)
    assert r.state(0) == "open"
    assert {r.pick() for _ in range(5)} == {1}
    clock.t = 30.0
    assert r.state(0) == "half_open"
    assert r.pick() == 0  # the probe
    assert r.pick() == 1  # only one probe in flight
    r.success(0)
    assert r.state(0) == "closed" and r.pick() == 0


def test_failed_probe_reopens() -> None:
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=1, cooldown=10.0, clock=clock, rng=lambda: 0.0)
    r.failure(0)
    clock.t = 10.0
    assert r.pick() == 0
    r.failure(0)
    assert r.state(0) == "open"
    clock.t = 19.0
    assert r.pick() == 1
    clock.t = 20.0
    assert r.pick() == 0


def test_all_open_picks_soonest_ready() -> None:
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=1, cooldown=10.0, clock=clock)
    r.failure(0)
    clock.t = 5.0
    r.failure(1)
    assert r.pick() == 0


def test_429_blocks_for_the_wait_without_tripping() -> None:
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=1, clock=clock, rng=lambda: 0.0)
    r.throttled(0, 4.0)
    assert r.state(0) == "closed"
    assert r.pick() == 1
    clock.t = 4.0
    assert r.pick() == 0


def test_release_frees_probe_slot() -> None:
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=1, cooldown=1.0, clock=clock, rng=lambda: 0.0)
    r.failure(0)
    clock.t = 1.0
    assert r.pick() == 0
    r.release(0)
    assert r.pick() == 0


def test_success_of_a_request_older_than_the_last_fault_is_ignored() -> None:
    """Concurrency: slow successes of requests sent before a target began failing must not keep
    its breaker closed (issue 13 §3: a 50 %-failing primary kept most first attempts)."""
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=2, cooldown=30.0, clock=clock, rng=lambda: 0.0)
    early = r.epoch(0)  # request A starts
    r.failure(0)  # request B (sent later) fails
    r.success(0, early)  # A succeeds: it says nothing of the target since B's fault
    assert r.failure(0) is True  # C fails: two faults in a row, the breaker opens
    assert r.state(0) == "open" and r.pick() == 1


def test_success_of_a_request_after_the_last_fault_resets() -> None:
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=2, cooldown=30.0, clock=clock, rng=lambda: 0.0)
    r.failure(0)
    r.success(0, r.epoch(0))
    assert r.failure(0) is False and r.state(0) == "closed"


def test_stale_success_does_not_close_a_half_open_breaker() -> None:
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=1, cooldown=10.0, clock=clock, rng=lambda: 0.0)
    early = r.epoch(0)
    r.failure(0)
    clock.t = 10.0
    assert r.pick() == 0 and r.state(0) == "half_open"  # the probe
    r.success(0, early)  # a request from before the trip answers late
    assert r.pick() == 1  # still half-open with its probe in flight
    r.success(0, r.epoch(0))  # the probe succeeds
    assert r.state(0) == "closed"


def test_a_tripping_fault_opens_the_breaker_at_once() -> None:
    # the first request to a deployment that never answered got no answer: like a half-open probe
    clock = Clock()
    r = Router([1.0, 1.0], failure_threshold=3, cooldown=10.0, clock=clock, rng=lambda: 0.0)
    e = r.epoch(0)
    assert r.failure(0, trip=True) is True
    assert r.state(0) == "open" and r.epoch(0) == e + 1 and r.pick() == 1
    clock.t = 10.0
    assert r.pick() == 0  # half-open after the cooldown, as any breaker
