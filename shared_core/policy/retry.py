"""Retry decisions: (attempt, what happened, headers, elapsed, options) -> what to do next.

Pure functions, no I/O and no clock of their own: both drivers ask :func:`decide` after every
failed attempt and then sleep, fail over or raise as told. Waits come from the server when it
says one (``retry-after-ms``, ``x-ms-retry-after-ms``, ``retry-after`` in seconds or as an HTTP
date, then ``x-ratelimit-reset-requests/-tokens`` as ``"60"`` or ``"6m0s"``), otherwise from
jittered exponential backoff.

Throttling (429) is bounded by time, not by count: Azure's advised wait can be shorter than the
limit really lasts, so a call that is throttled again after waiting as told waits longer each
time (:func:`throttle_wait`), and keeps retrying while its 429 waits fit in ``max_retry_wait``.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

#: Statuses worth another attempt: timeouts, conflicts (lock contention), throttling, server faults.
RETRYABLE_STATUSES = frozenset({408, 409, 429})

BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
#: a wait grown after repeated 429s never exceeds this (unless the server itself asks for more)
THROTTLE_WAIT_MAX = 30.0

Action = Literal["retry", "failover", "fail"]
Reason = Literal[
    "retryable",  # retry / failover
    "not_retryable",  # 4xx that another attempt cannot fix
    "exhausted",  # max_retries used up
    "wait_too_long",  # the server asked for longer than max_retry_wait
    "throttled_too_long",  # 429 waits of this call would pass max_retry_wait in total
    "deadline",  # the wait would pass the call's deadline
    "refresh",  # 401 with a token: refresh the credential and replay once
]


# compiled by re's cache on first use (error paths only): nothing compiled at import
_RETRY_AFTER_TEXT = rb"(?i)retry after (\d{1,6}) seconds?"


def with_body_retry_after(status: int, headers: Mapping[str, str], body: bytes) -> Mapping[str, str]:
    """``headers`` plus ``retry-after`` from the body of a 429 that says its wait only there (Azure TPM
    429s have said "Please retry after N seconds" in the body only)."""
    if status == 429 and body and b"etry after" in body:
        m = re.search(_RETRY_AFTER_TEXT, body[:4000])
        if m and "retry-after" not in headers and "retry-after-ms" not in headers:
            return {**headers, "retry-after": m.group(1).decode()}
    return headers


if TYPE_CHECKING:  # a Protocol class costs import time; only the type checker needs it
    from typing import Protocol

    class RetryOptions(Protocol):
        """The fields of ``ClientOptions`` that retry decisions read."""

        @property
        def max_retries(self) -> int: ...
        @property
        def max_retry_wait(self) -> float: ...
        @property
        def deadline(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """What the driver does next. ``wait`` is seconds to sleep before the next attempt."""

    action: Action
    wait: float = 0.0
    reason: Reason = "retryable"
    #: the wait the server asked for, if it named one (for error messages)
    server_wait: float | None = None


_DURATION = r"(\d+(?:\.\d+)?)(ms|h|m|s)"  # compiled by re's cache on first use


def parse_duration(value: str) -> float | None:
    """Seconds from ``"60"``, ``"1.5"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"``; None if unparsable."""
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None  # rejects NaN
    pos = 0
    total = 0.0
    for m in re.finditer(_DURATION, value):
        if m.start() != pos:
            return None
        pos = m.end()
        n = float(m.group(1))
        total += n * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]
    return total if pos == len(value) else None


def _get(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not hasattr(headers, "multi_items"):  # plain dicts: be case-insensitive
        for k, v in headers.items():
            if k.lower() == name:
                return v
    return value


def server_wait(headers: Mapping[str, str], *, status: int | None = None, now: float | None = None) -> float | None:
    """The wait (seconds) the server asked for, or None when it named none.

    ``retry-after-ms`` is the precise wait and ``retry-after`` the same rounded up to whole
    seconds (PTU 429s send both): when they agree, the precise one wins, so a 30 ms wait costs
    30 ms, not a second. When they disagree (Foundry sent ``retry-after: 1`` with
    ``retry-after-ms: 0``) the longer one is the safe reading. The rate-limit reset headers are
    only read on a 429 and only when no ``retry-after`` was given.
    """
    precise: float | None = None
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        raw = _get(headers, name)
        if raw is not None:
            try:
                ms = float(raw)
            except ValueError:
                continue
            if ms >= 0 and ms == ms:
                precise = ms / 1000.0
                break
    rounded: float | None = None
    raw = _get(headers, "retry-after")
    if raw is not None:
        seconds = parse_duration(raw)
        if seconds is None:
            import email.utils  # HTTP dates are rare: not worth the import on every start

            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                seconds = max(0.0, when.timestamp() - (time.time() if now is None else now))
        rounded = seconds
    if precise is not None and rounded is not None:
        return precise if rounded - 1.0 < precise <= rounded else max(precise, rounded)
    if precise is not None or rounded is not None:
        return precise if precise is not None else rounded
    if status == 429:
        resets = [
            s
            for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
            if (raw := _get(headers, name)) is not None and (s := parse_duration(raw)) is not None and s > 0
        ]
        if resets:
            return max(resets)
    return None


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Jittered exponential backoff for retry number ``attempt`` (1-based): 0.5 s, 1 s, 2 s... <= 8 s."""
    base = min(BACKOFF_MAX, BACKOFF_INITIAL * (2.0 ** max(0, attempt - 1)))
    return base * (1.0 - 0.25 * rng())  # up to 25 % shorter, so synchronized clients spread out


def throttle_wait(
    asked: float | None, previous: float | None, attempt: int, rng: Callable[[], float] = random.random
) -> float:
    """The wait before retrying a 429. ``previous`` is the wait before the attempt that was just
    throttled again (None on the call's first 429).

    The first 429 waits what the server asked (or backs off). Throttled again after that wait,
    the server's advice proved too short: the wait doubles (jittered, at most
    ``THROTTLE_WAIT_MAX``) and never falls below what the server asks now.
    """
    if previous is None:
        return asked if asked is not None else backoff(attempt, rng)
    grown = min(THROTTLE_WAIT_MAX, 2.0 * max(previous, BACKOFF_INITIAL)) * (1.0 - 0.25 * rng())
    return max(grown, asked or 0.0)


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def decide(
    attempt: int,
    *,
    status: int | None,
    headers: Mapping[str, str] | None,
    elapsed: float,
    options: RetryOptions,
    can_failover: bool = False,
    token_refreshable: bool = False,
    refreshed: bool = False,
    rng: Callable[[], float] = random.random,
    now: float | None = None,
    throttled: float = 0.0,
    previous_throttle_wait: float | None = None,
) -> Decision:
    """Decide after failed attempt number ``attempt`` (1-based; 429s are not counted in it).

    ``status`` None means no HTTP answer (connection error or timeout). ``can_failover`` says
    another healthy target exists; ``token_refreshable`` that the credential can fetch a new token
    (401 is replayed once, after ``invalidate()``); ``refreshed`` that this call already did so.
    ``throttled`` is the time this call already waited on 429s, ``previous_throttle_wait`` the
    last of those waits: 429s are retried while their waits fit in ``max_retry_wait``, however
    many it takes (``max_retries=0`` still turns every retry off).
    """
    hdrs = headers or {}
    if status is not None:
        if status == 401:
            if token_refreshable and not refreshed:
                return Decision("retry", 0.0, "refresh")
            return Decision("fail", reason="not_retryable")
        should = _get(hdrs, "x-should-retry")
        if should == "false":
            return Decision("fail", reason="not_retryable")
        if not is_retryable_status(status) and should != "true":
            return Decision("fail", reason="not_retryable")
    asked = server_wait(hdrs, status=status, now=now)
    if asked is not None and asked > options.max_retry_wait:
        if can_failover:
            return Decision("failover", 0.0, server_wait=asked)
        return Decision("fail", reason="wait_too_long", server_wait=asked)
    if can_failover:
        # Another region answers now; the same region would need a wait. Failovers are bounded by
        # the number of targets, not by max_retries.
        return Decision("failover", 0.0, server_wait=asked)
    if options.max_retries == 0 or (attempt > options.max_retries and status != 429):
        return Decision("fail", reason="exhausted", server_wait=asked)
    if status == 429:
        wait = throttle_wait(asked, previous_throttle_wait, attempt, rng)
        budget = options.max_retry_wait - throttled
        if wait > budget:
            if budget <= 0 or (asked is not None and asked > budget):
                return Decision("fail", reason="throttled_too_long", server_wait=asked)
            wait = budget  # the grown part is a guess: the last try may wait less
    else:
        wait = asked if asked is not None else backoff(attempt, rng)
    deadline = options.deadline
    if deadline is not None and elapsed + wait >= deadline:
        return Decision("fail", wait, reason="deadline", server_wait=asked)
    return Decision("retry", wait, server_wait=asked)


__all__ = [
    "Decision",
    "RETRYABLE_STATUSES",
    "backoff",
    "decide",
    "is_retryable_status",
    "parse_duration",
    "server_wait",
    "throttle_wait",
]
