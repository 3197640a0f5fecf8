"""Per-deployment rate limits: TPM and RPM over a sliding minute, plus Azure's 10-second burst rule.

Tokens are charged at admission from an estimate (prompt tokens + requested max tokens), as Azure
does, not from actual usage. RPM defaults to 6 per 1,000 TPM. Time comes from the injected clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from .config import Clock, Deployment


@dataclass(slots=True)
class Verdict:
    """Admission result and the values for the ``x-ratelimit-*`` / ``retry-after`` headers."""

    allowed: bool
    which: str = ""  # "token" or "call" when refused
    retry_after: float = 0.0
    limit_requests: int = 0
    limit_tokens: int = 0
    remaining_requests: int = 0
    remaining_tokens: int = 0
    reset_requests: float = 0.0
    reset_tokens: float = 0.0

    def headers(self) -> dict[str, str]:
        if not (self.limit_requests or self.limit_tokens):
            return {}
        out = {}
        if self.limit_requests:
            out["x-ratelimit-limit-requests"] = str(self.limit_requests)
            out["x-ratelimit-remaining-requests"] = str(max(0, self.remaining_requests))
            out["x-ratelimit-reset-requests"] = _secs(self.reset_requests)
        if self.limit_tokens:
            out["x-ratelimit-limit-tokens"] = str(self.limit_tokens)
            out["x-ratelimit-remaining-tokens"] = str(max(0, self.remaining_tokens))
            out["x-ratelimit-reset-tokens"] = _secs(self.reset_tokens)
        return out


def _secs(s: float) -> str:
    return str(math.ceil(s)) if s > 0 else "0"


@dataclass(slots=True)
class _Window:
    requests: deque[float] = field(default_factory=deque)
    tokens: deque[tuple[float, int]] = field(default_factory=deque)
    token_sum: int = 0


class RateLimiter:
    """Sliding-window limiter keyed by deployment name."""

    WINDOW = 60.0
    BURST_WINDOW = 10.0

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._windows: dict[str, _Window] = {}

    def reset(self) -> None:
        self._windows.clear()

    def snapshot(self) -> dict[str, dict[str, int]]:
        now = self.clock()
        out = {}
        for name, w in self._windows.items():
            self._expire(w, now)
            out[name] = {"requests": len(w.requests), "tokens": w.token_sum}
        return out

    def _expire(self, w: _Window, now: float) -> None:
        while w.requests and w.requests[0] <= now - self.WINDOW:
            w.requests.popleft()
        while w.tokens and w.tokens[0][0] <= now - self.WINDOW:
            w.token_sum -= w.tokens.popleft()[1]

    def admit(self, dep: Deployment, tokens: int) -> Verdict:
        """Charge one request of ``tokens`` estimated tokens, or refuse it with the wait."""
        rpm, tpm = dep.requests_per_minute, dep.tpm
        if not rpm and not tpm:
            return Verdict(True)
        now = self.clock()
        w = self._windows.setdefault(dep.name, _Window())
        self._expire(w, now)
        v = Verdict(True, limit_requests=rpm, limit_tokens=tpm)
        if rpm:
            burst = max(1, math.ceil(rpm / 6))
            recent = [t for t in w.requests if t > now - self.BURST_WINDOW]
            if len(w.requests) >= rpm:
                v.allowed, v.which = False, "call"
                v.retry_after = w.requests[0] + self.WINDOW - now
            elif len(recent) >= burst:
                v.allowed, v.which = False, "call"
                v.retry_after = recent[0] + self.BURST_WINDOW - now
        if v.allowed and tpm and w.token_sum + tokens > tpm:
            v.allowed, v.which = False, "token"
            if tokens > tpm:
                v.retry_after = self.WINDOW
            else:
                need, acc = w.token_sum + tokens - tpm, 0
                v.retry_after = self.WINDOW
                for t, n in w.tokens:
                    acc += n
                    if acc >= need:
                        v.retry_after = t + self.WINDOW - now
                        break
        if v.allowed:
            w.requests.append(now)
            if tokens:
                w.tokens.append((now, tokens))
                w.token_sum += tokens
        v.remaining_requests = rpm - len(w.requests) if rpm else 0
        v.remaining_tokens = tpm - w.token_sum if tpm else 0
        v.reset_requests = (w.requests[0] + self.WINDOW - now) if (rpm and w.requests and not v.allowed) else 0.0
        v.reset_tokens = (w.tokens[0][0] + self.WINDOW - now) if (tpm and w.tokens and not v.allowed) else 0.0
        v.retry_after = max(v.retry_after, 0.001) if not v.allowed else 0.0
        return v
