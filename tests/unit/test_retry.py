"""Retry decisions: what is retried, how long to wait, when to give up."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass

import pytest

from shared_core.policy.retry import Decision, backoff, decide, parse_duration, server_wait, throttle_wait


@dataclass(frozen=True)
class Opts:
    max_retries: int = 2
    max_retry_wait: float = 60.0
    deadline: float | None = None


def half() -> float:
    return 0.5


def go(
    attempt: int = 1,
    status: int | None = 500,
    headers: dict[str, str] | None = None,
    elapsed: float = 0.0,
    opts: Opts = Opts(),
    **kw: object,
) -> Decision:
    return decide(attempt, status=status, headers=headers, elapsed=elapsed, options=opts, rng=half, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value,seconds",
    [
        ("0", 0.0),
        ("60", 60.0),
        ("1.5", 1.5),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("2s", 2.0),
        ("86400", 86400.0),
    ],
)
def test_parse_duration(value: str, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "soon", "5x", "-1", "nan", "1m-2s"])
def test_parse_duration_rejects(value: str) -> None:
    assert parse_duration(value) is None


def test_server_wait_variants() -> None:
    assert server_wait({"retry-after-ms": "250"}) == 0.25
    assert server_wait({"x-ms-retry-after-ms": "1500"}) == 1.5
    assert server_wait({"Retry-After": "7"}) == 7.0
    # Foundry 429: both, ms=0 -> the longer one is the one to honour
    assert server_wait({"retry-after": "1", "retry-after-ms": "0"}) == 1.0
    date = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert server_wait({"retry-after": date}, now=1_000_000.0) == pytest.approx(30.0)
    assert server_wait({"retry-after": "garbage"}) is None
    assert server_wait({}) is None


def test_ratelimit_reset_headers_only_on_429() -> None:
    h = {"x-ratelimit-reset-requests": "0", "x-ratelimit-reset-tokens": "6m0s"}
    assert server_wait(h, status=429) == 360.0
    assert server_wait(h, status=500) is None
    assert server_wait({"x-ratelimit-reset-tokens": "0"}, status=429) is None  # Azure's "0": no info
    assert server_wait({"retry-after": "2", "x-ratelimit-reset-tokens": "60"}, status=429) == 2.0


def test_backoff_exponential_capped_and_jittered() -> None:
    assert [backoff(n, lambda: 0.0) for n in (1, 2, 3, 4, 5, 6, 10)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert backoff(1, lambda: 1.0) == 0.375


@pytest.mark.parametrize("status", [None, 408, 409, 429, 500, 502, 503, 504])
def test_retryable(status: int | None) -> None:
    assert go(1, status) == Decision("retry", 0.5 * 0.875)


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422])
def test_not_retried(status: int) -> None:
    assert go(1, status) == Decision("fail", reason="not_retryable")


def test_401_refresh_once_for_tokens_only() -> None:
    assert go(1, 401, token_refreshable=True) == Decision("retry", 0.0, "refresh")
    assert go(2, 401, token_refreshable=True, refreshed=True).reason == "not_retryable"
    assert go(1, 401, token_refreshable=False).reason == "not_retryable"


def test_x_should_retry_overrides() -> None:
    assert go(1, 500, {"x-should-retry": "false"}).reason == "not_retryable"
    assert go(1, 400, {"x-should-retry": "true"}).action == "retry"


def test_retry_after_honoured_and_exhaustion() -> None:
    assert go(1, 429, {"retry-after": "3"}) == Decision("retry", 3.0, server_wait=3.0)
    assert go(3, 503, {"retry-after": "3"}) == Decision("fail", reason="exhausted", server_wait=3.0)
    assert go(1, 429, {"retry-after": "3"}, opts=Opts(max_retries=0)).reason == "exhausted"


def test_precise_retry_after_ms_wins_over_rounded_retry_after() -> None:
    # retry-after is retry-after-ms rounded up to whole seconds: a 30 ms wait must not cost 1 s
    assert server_wait({"retry-after": "1", "retry-after-ms": "30"}) == 0.03
    assert server_wait({"retry-after": "2", "retry-after-ms": "1500"}) == 1.5
    assert server_wait({"retry-after": "3", "x-ms-retry-after-ms": "3000"}) == 3.0
    assert go(1, 429, {"retry-after": "1", "retry-after-ms": "30"}).wait == 0.03
    # disagreeing pair (Foundry, REPORT.md: retry-after 1 with retry-after-ms 0): the longer is safe
    assert server_wait({"retry-after": "5", "retry-after-ms": "100"}) == 5.0


def test_429_retried_beyond_max_retries_within_max_retry_wait() -> None:
    # throttled again after waiting as told: the wait doubles (rng half: 12.5 % jitter off)
    d = go(5, 429, {"retry-after": "1"}, throttled=3.0, previous_throttle_wait=2.0)
    assert d == Decision("retry", 3.5, server_wait=1.0)
    assert throttle_wait(1.0, None, 1, half) == 1.0
    assert throttle_wait(None, None, 1, half) == backoff(1, half)
    assert throttle_wait(0.0, 0.0, 3, lambda: 0.0) == 1.0  # grows from the backoff floor
    assert throttle_wait(1.0, 30.0, 9, lambda: 0.0) == 30.0  # capped
    assert throttle_wait(45.0, 30.0, 9, lambda: 0.0) == 45.0  # never below what the server asks
    # the budget: 429 waits of one call stop at max_retry_wait; the last grown wait is clipped
    assert go(9, 429, {"retry-after": "1"}, throttled=58.0, previous_throttle_wait=16.0) == Decision(
        "retry", 2.0, server_wait=1.0
    )
    assert go(9, 429, {"retry-after": "1"}, throttled=60.0, previous_throttle_wait=2.0).reason == ("throttled_too_long")
    assert go(9, 429, {"retry-after": "3"}, throttled=58.0, previous_throttle_wait=2.0).reason == ("throttled_too_long")


def test_wait_beyond_max_retry_wait_fails_at_once_or_fails_over() -> None:
    d = go(1, 429, {"retry-after": "86400"})
    assert d == Decision("fail", reason="wait_too_long", server_wait=86400.0)
    assert go(1, 429, {"retry-after": "86400"}, can_failover=True) == Decision("failover", 0.0, server_wait=86400.0)


def test_failover_not_bounded_by_max_retries() -> None:
    assert go(5, 503, opts=Opts(max_retries=0), can_failover=True).action == "failover"
    assert go(1, 503, opts=Opts(max_retries=0)).reason == "exhausted"


def test_deadline_covers_the_wait() -> None:
    assert go(1, 429, {"retry-after": "5"}, elapsed=6.0, opts=Opts(deadline=10.0)).reason == "deadline"
    assert go(1, 429, {"retry-after": "5"}, elapsed=4.0, opts=Opts(deadline=10.0)).action == "retry"
