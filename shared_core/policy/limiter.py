"""Pacing decisions: the budget of one (resource, deployment), as pure functions of its state.

Every client, thread and task of a process that targets the same deployment shares one
:class:`Budget` (held by a :mod:`~shared_core.policy.pacing_store`). Each function here takes the
state and the time and returns the new state (and a wait): no clock, no lock, no I/O, so the
in-process store applies them under a lock and a Redis store can run the same arithmetic in one
Lua script.

The budget is two token buckets in GCRA form (a "theoretical arrival time" per bucket, the
moment it would be full again), one for requests and one for tokens, plus ``blocked_until``:

* **Limits** are the user's (``rpm=`` / ``tpm=``) when declared, else learned from
  ``x-ratelimit-limit-requests`` / ``-tokens`` over ``x-ratelimit-renewalperiod-*`` (60 s when
  absent). Azure enforces a per-minute limit over 1 or 10 second intervals (Learn, "Manage Azure
  OpenAI quota": a 600 RPM deployment refuses an 11th request within one second), so a bucket holds
  one second of its rate and refills at the rate.
* **Probe**: until the deployment has answered once (and with no declared limit), one request
  goes first and the others poll until its answer has taught the limits (at most
  ``PROBE_SECONDS``): thirty callers starting at once would otherwise all be sent blind. Once its
  hold has passed with the probe still unanswered, a caller that has another target to go to
  (``may_leave``) goes there instead of joining it (a region that accepts and never answers would
  hold them all until their timeouts); one with nowhere else goes, as the probe's answer or
  timeout would decide anyway. A probe unanswered for ``PROBE_EXPIRES`` is presumed lost (its
  caller died): the next such caller probes anew, so a deployment is never left for good.
* **Reserve**: a request costs one request and its estimated tokens (the prompt estimate of
  ``wire/tokens.py`` plus ``max_tokens``: what Azure reserves at admission). The reservation is
  made at once, for the earliest time both buckets and the block allow; the caller sleeps until
  then and sends. Callers are thus spaced at the rate instead of racing and relearning it.
* **Observe**: ``x-ratelimit-remaining-requests`` / ``-tokens`` lower the bucket to what the
  server says is left (it sees other processes' traffic; never raised: our own requests in flight
  are not in its figure yet). With no known limit, ``remaining 0`` and its reset block instead.
* **Settle**: the usage of an answer replaces its charge (Azure releases the difference once the
  request completes), and teaches what requests really use per estimated token: a reservation is
  admitted on its whole estimate, as Azure admits, but charged that share of it, so callers already
  queued are not spaced by ``max_tokens`` that will never be used.
* **Block**: a 429 blocks every caller until the advised time and empties the known buckets at
  that time, so that callers resume at the rate, not all at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

#: a bucket holds this many seconds of its rate (Azure checks per-minute limits over 1 s intervals)
BURST_SECONDS = 1.0
#: pace a little below the limit: arrival jitter must not turn an exact pace into 429s
SAFETY = 0.97
#: the longest callers wait on the first request to a deployment before going unpaced
PROBE_SECONDS = 2.0
#: how often they look whether it was answered
PROBE_POLL = 0.02
#: a probe unanswered this long is presumed lost (the default per-attempt ``timeout``)
PROBE_EXPIRES = 60.0
#: :func:`reserve`'s wait when the caller should go to another target (the probe hangs)
LEAVE = -1.0
#: tokens charged for a chat without ``max_tokens`` (Azure reserves more; usage corrects it)
DEFAULT_COMPLETION_TOKENS = 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-minute limits: declared by the user, or 0 for "learn it from the server"."""

    rpm: float = 0.0
    tpm: float = 0.0


@dataclass(frozen=True, slots=True)
class Budget:
    """The shared state of one deployment (times on the store's clock)."""

    blocked_until: float = 0.0
    req_tat: float = 0.0  # when the requests bucket would be full again (GCRA)
    tok_tat: float = 0.0  # when the tokens bucket would be full again
    rpm: float = 0.0  # learned from the server's headers (0: unknown)
    tpm: float = 0.0
    #: what answers really used per estimated token (EWMA): the charge of a reservation
    usage_ratio: float = 1.0
    answered: bool = False  # the deployment answered once (a probe is no longer needed)
    probe_sent: float | None = None  # when the first request went, unanswered so far


@dataclass(frozen=True, slots=True)
class Seen:
    """What an answer's ``x-ratelimit-*`` headers said (None: not said)."""

    limit_requests: float | None = None
    limit_tokens: float | None = None
    remaining_requests: float | None = None
    remaining_tokens: float | None = None
    reset_requests: float | None = None
    reset_tokens: float | None = None
    period_requests: float | None = None
    period_tokens: float | None = None

    @property
    def empty(self) -> bool:
        return self == _NOTHING


_NOTHING = Seen()


def _rates(b: Budget, limits: Limits) -> tuple[float, float]:
    """(requests/s, tokens/s) to pace at; 0 for an unknown limit."""
    rpm = limits.rpm or b.rpm
    tpm = limits.tpm or b.tpm
    return rpm / 60.0 * SAFETY, tpm / 60.0 * SAFETY


def _earliest(tat: float, now: float, cost: float, rate: float) -> float:
    """The earliest time a cost fits a bucket (GCRA): a cost above capacity waits for a full bucket."""
    capacity = max(1.0, rate * BURST_SECONDS)
    return max(tat, now) + (min(cost, capacity) - capacity) / rate


def reserve(
    b: Budget,
    now: float,
    tokens: float,
    limits: Limits,
    *,
    honour_block: bool = True,
    may_poll: bool = True,
    max_wait: float = math.inf,
    may_leave: bool = False,
) -> tuple[Budget, float, bool]:
    """Reserve one request of ``tokens``: the new state, the seconds to wait, and whether the
    reservation was made. Not made (a probe is out: ``may_poll``): wait, then ask again.

    ``honour_block`` False: the caller already waited out its own 429's advice. A wait longer
    than ``max_wait`` (the call's ``max_retry_wait``: a daily quota's 429) is not booked: the
    request goes now, unpaced, and the server's answer decides (``(b, 0.0, False)`` with no poll).
    ``may_leave``: the caller has another target; ``(b, LEAVE, False)`` sends it there unsent
    once its hold has passed (``PROBE_SECONDS`` since the probe went, or ``may_poll`` False: the
    caller itself waited that long) with the probe still out (see the module docstring).
    """
    if not b.answered and not (limits.rpm or limits.tpm):
        if b.probe_sent is None:
            if may_poll:
                return replace(b, probe_sent=now), 0.0, True
        elif may_poll and now - b.probe_sent < PROBE_SECONDS:
            return b, PROBE_POLL, False
        elif may_leave:
            if now - b.probe_sent < PROBE_EXPIRES:
                return b, LEAVE, False
            return replace(b, probe_sent=now), 0.0, True
    r_rate, t_rate = _rates(b, limits)
    at = max(now, b.blocked_until) if honour_block else now
    if r_rate > 0:
        at = max(at, _earliest(b.req_tat, now, 1.0, r_rate))
    if t_rate > 0 and tokens > 0:
        # admitted on the whole estimate (as Azure admits), charged what such requests really use
        at = max(at, _earliest(b.tok_tat, now, tokens * max(1.0, b.usage_ratio), t_rate))
    if at - now > max_wait:
        return b, 0.0, False
    req_tat, tok_tat = b.req_tat, b.tok_tat
    if r_rate > 0:
        req_tat = max(req_tat, at) + 1.0 / r_rate
    if t_rate > 0 and tokens > 0:
        tok_tat = max(tok_tat, at) + tokens * b.usage_ratio / t_rate
    return replace(b, req_tat=req_tat, tok_tat=tok_tat), max(0.0, at - now), True


def release(b: Budget, tokens: float, limits: Limits) -> Budget:
    """Give back a reservation the server never counted (an error answer, no answer). A probe
    that got no answer lets the next caller probe."""
    probe = b.probe_sent if b.answered else None
    r_rate, t_rate = _rates(b, limits)
    tok_tat = b.tok_tat - tokens * b.usage_ratio / t_rate if t_rate > 0 else b.tok_tat
    return replace(b, req_tat=_minus(b.req_tat, r_rate), tok_tat=tok_tat, probe_sent=probe)


def _minus(tat: float, rate: float) -> float:
    return tat - 1.0 / rate if rate > 0 else tat


def settle(b: Budget, estimated: float, used: float, limits: Limits) -> Budget:
    """Replace the charge of a request of ``estimated`` tokens by the ``used`` its answer reports,
    and learn from it what requests really use per estimated token."""
    t_rate = _rates(b, limits)[1]
    if t_rate <= 0 or estimated <= 0:
        return b
    return replace(
        b,
        tok_tat=b.tok_tat + (used - estimated * b.usage_ratio) / t_rate,
        usage_ratio=min(4.0, max(0.05, 0.8 * b.usage_ratio + 0.2 * used / estimated)),
    )


def block(b: Budget, now: float, until: float, limits: Limits) -> Budget:
    """A 429 advised waiting until ``until``: every caller waits, then resumes at the rate."""
    r_rate, t_rate = _rates(b, limits)
    req_tat, tok_tat = b.req_tat, b.tok_tat
    if r_rate > 0:
        req_tat = max(req_tat, until + max(1.0, r_rate * BURST_SECONDS) / r_rate)
    if t_rate > 0:
        tok_tat = max(tok_tat, until + max(1.0, t_rate * BURST_SECONDS) / t_rate)
    return replace(
        b, blocked_until=max(b.blocked_until, until), req_tat=req_tat, tok_tat=tok_tat, answered=True, probe_sent=None
    )


def observe(b: Budget, now: float, seen: Seen, limits: Limits) -> Budget:
    """Learn from an answer's ``x-ratelimit-*`` headers (see the module docstring)."""
    rpm, tpm = b.rpm, b.tpm
    if seen.limit_requests and seen.limit_requests > 0:
        rpm = seen.limit_requests * 60.0 / (seen.period_requests or 60.0)
    if seen.limit_tokens and seen.limit_tokens > 0:
        tpm = seen.limit_tokens * 60.0 / (seen.period_tokens or 60.0)
    b = replace(b, rpm=rpm, tpm=tpm, answered=True, probe_sent=None)
    if seen.empty:
        return b
    r_rate, t_rate = _rates(b, limits)
    req_tat, tok_tat, blocked = b.req_tat, b.tok_tat, b.blocked_until
    if seen.remaining_requests is not None:
        if r_rate > 0:
            capacity = max(1.0, r_rate * BURST_SECONDS)
            left = min(capacity, max(0.0, seen.remaining_requests))
            req_tat = max(req_tat, now + (capacity - left) / r_rate)
        elif seen.remaining_requests <= 0 and seen.reset_requests:
            blocked = max(blocked, now + seen.reset_requests)
    if seen.remaining_tokens is not None:
        if t_rate > 0:
            capacity = max(1.0, t_rate * BURST_SECONDS)
            left = min(capacity, max(0.0, seen.remaining_tokens))
            tok_tat = max(tok_tat, now + (capacity - left) / t_rate)
        elif seen.remaining_tokens <= 0 and seen.reset_tokens:
            blocked = max(blocked, now + seen.reset_tokens)
    return replace(b, req_tat=req_tat, tok_tat=tok_tat, blocked_until=blocked)


# -- reading answers and requests ----------------------------------------------------------------


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    # Azure's Responses API has sent -1 for "not tracked here" (research/azure-rest-surface.md)
    return value if value >= 0 and value == value else None


def seen_in(headers: Mapping[str, str]) -> Seen:
    """The ``x-ratelimit-*`` figures of an answer (``headers``: httpx's, case-insensitive)."""
    if "x-ratelimit-remaining-requests" not in headers and "x-ratelimit-remaining-tokens" not in headers:
        if "x-ratelimit-limit-requests" not in headers and "x-ratelimit-limit-tokens" not in headers:
            return _NOTHING
    from shared_core.policy.retry import parse_duration

    def duration(name: str) -> float | None:
        raw = headers.get(name)
        return parse_duration(raw) if raw is not None else None

    return Seen(
        limit_requests=_number(headers, "x-ratelimit-limit-requests"),
        limit_tokens=_number(headers, "x-ratelimit-limit-tokens"),
        remaining_requests=_number(headers, "x-ratelimit-remaining-requests"),
        remaining_tokens=_number(headers, "x-ratelimit-remaining-tokens"),
        reset_requests=duration("x-ratelimit-reset-requests"),
        reset_tokens=duration("x-ratelimit-reset-tokens"),
        period_requests=duration("x-ratelimit-renewalperiod-requests"),
        period_tokens=duration("x-ratelimit-renewalperiod-tokens"),
    )


#: operations whose requests count against a deployment's tokens-per-minute limit
TOKEN_OPERATIONS = frozenset({"chat/completions", "completions", "embeddings", "responses"})


def cost_of(operation: str, body: Mapping[str, Any] | None) -> int:
    """The tokens Azure reserves for a request body: its prompt estimate plus the most it may
    answer (``max_tokens`` / ``max_completion_tokens`` / ``max_output_tokens``)."""
    prompt = prompt_of(operation, body)
    if not body or operation not in TOKEN_OPERATIONS or operation == "embeddings":
        return prompt  # embeddings: no completion
    answer = body.get("max_completion_tokens") or body.get("max_tokens") or body.get("max_output_tokens")
    if not isinstance(answer, int) or answer <= 0:
        answer = DEFAULT_COMPLETION_TOKENS
    return prompt + answer * max(1, int(body.get("n") or 1))


def prompt_of(operation: str, body: Mapping[str, Any] | None) -> int:
    """The estimated prompt tokens of a request body (what :func:`cost_of` charges besides the answer)."""
    if not body or operation not in TOKEN_OPERATIONS:
        return 0
    from shared_core.wire.tokens import estimate_message_tokens, estimate_tokens

    prompt = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        prompt = estimate_message_tokens(m for m in messages if isinstance(m, Mapping))
    for key in ("input", "prompt"):
        value = body.get(key)
        if isinstance(value, str):
            prompt += estimate_tokens(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    prompt += estimate_tokens(item)
                elif isinstance(item, Mapping):
                    prompt += estimate_message_tokens([item])
    return prompt


def used_of(data: Mapping[str, Any]) -> int | None:
    """The tokens an answer reports it used (``usage.total_tokens``), or None."""
    usage = data.get("usage")
    if not isinstance(usage, Mapping):
        return None
    total = usage.get("total_tokens")
    if isinstance(total, int) and total >= 0:
        return total
    parts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens")]
    counted = [p for p in parts if isinstance(p, int)]
    return sum(counted) if counted else None


__all__ = [
    "BURST_SECONDS",
    "Budget",
    "DEFAULT_COMPLETION_TOKENS",
    "LEAVE",
    "Limits",
    "PROBE_EXPIRES",
    "PROBE_POLL",
    "PROBE_SECONDS",
    "SAFETY",
    "Seen",
    "TOKEN_OPERATIONS",
    "block",
    "cost_of",
    "observe",
    "prompt_of",
    "release",
    "reserve",
    "seen_in",
    "settle",
    "used_of",
]
