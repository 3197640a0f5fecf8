"""Where the pacing budgets live, and a call's dealings with the one of its target.

:class:`PacingStore` is the interface: five atomic operations on the :class:`~.limiter.Budget`
of a key (``"{resource}|{deployment}"``), each one of the pure functions of ``limiter.py``
applied to the stored state. :class:`LocalPacingStore` holds the budgets of this process under
one lock (no operation sleeps or awaits while holding it, so threads and asyncio tasks share it
safely); a shared store (Redis, one Lua script per operation) implements the same five methods.

:func:`store_for` is the process-wide registry: every client on the real monotonic clock and
sleeps shares one budget per deployment, while tests that inject a clock or a sleep get their own
(times from two clocks never meet in one budget, and one test's 429 never holds another's calls).

:class:`Pacer` is one call's side: it reserves before each attempt, learns from each answer,
blocks everyone on a 429, gives back what an error answer never used and settles on the usage.
The drivers only sleep what it says.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from shared_core.policy import limiter
from shared_core.policy.limiter import Budget, Limits, Seen

if TYPE_CHECKING:
    from shared_core.connection.config import Target

Clock = Callable[[], float]


class PacingStore(Protocol):
    """Atomic operations on the budget of ``key``; times are on the store's clock."""

    def reserve(
        self,
        key: str,
        now: float,
        tokens: float,
        limits: Limits,
        honour_block: bool = True,
        may_poll: bool = True,
        max_wait: float = math.inf,
        may_leave: bool = False,
    ) -> tuple[float, bool]:
        """Reserve one request of ``tokens``: the seconds to wait, and whether it was reserved
        (if not: wait and ask again while the deployment's first request is out; with no wait,
        the request goes unbooked; ``limiter.LEAVE``: go to another target: see ``limiter.reserve``)."""
        ...

    def release(self, key: str, tokens: float, limits: Limits) -> None:
        """Give back a reservation the server did not count."""
        ...

    def settle(self, key: str, charged: float, used: float, limits: Limits) -> None:
        """Replace the estimated ``charged`` tokens of an answered request by its ``used``."""
        ...

    def block(self, key: str, now: float, until: float, limits: Limits) -> None:
        """A 429: every caller waits until ``until``."""
        ...

    def observe(self, key: str, now: float, seen: Seen, limits: Limits) -> None:
        """Learn from an answer's ``x-ratelimit-*`` headers."""
        ...

    def budget(self, key: str) -> Budget:
        """The current state of ``key`` (reports, progress, tests)."""
        ...


@runtime_checkable
class AsyncPacingStore(Protocol):
    """A store whose reads also have async twins (Redis): an async call awaits them instead of
    blocking its event loop; its writes never wait (the store queues them, in order)."""

    async def areserve(
        self,
        key: str,
        now: float,
        tokens: float,
        limits: Limits,
        honour_block: bool = True,
        may_poll: bool = True,
        max_wait: float = math.inf,
        may_leave: bool = False,
    ) -> tuple[float, bool]: ...

    async def abudget(self, key: str) -> Budget: ...


class LocalPacingStore:
    """The budgets of this process, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._budgets: dict[str, Budget] = {}

    def reserve(
        self,
        key: str,
        now: float,
        tokens: float,
        limits: Limits,
        honour_block: bool = True,
        may_poll: bool = True,
        max_wait: float = math.inf,
        may_leave: bool = False,
    ) -> tuple[float, bool]:
        with self._lock:
            state, wait, made = limiter.reserve(
                self._budgets.get(key, _EMPTY),
                now,
                tokens,
                limits,
                honour_block=honour_block,
                may_poll=may_poll,
                max_wait=max_wait,
                may_leave=may_leave,
            )
            self._budgets[key] = state
        return wait, made

    def release(self, key: str, tokens: float, limits: Limits) -> None:
        with self._lock:
            if key in self._budgets:
                self._budgets[key] = limiter.release(self._budgets[key], tokens, limits)

    def settle(self, key: str, charged: float, used: float, limits: Limits) -> None:
        with self._lock:
            if key in self._budgets:
                self._budgets[key] = limiter.settle(self._budgets[key], charged, used, limits)

    def block(self, key: str, now: float, until: float, limits: Limits) -> None:
        with self._lock:
            self._budgets[key] = limiter.block(self._budgets.get(key, _EMPTY), now, until, limits)

    def observe(self, key: str, now: float, seen: Seen, limits: Limits) -> None:
        with self._lock:
            self._budgets[key] = limiter.observe(self._budgets.get(key, _EMPTY), now, seen, limits)

    def budget(self, key: str) -> Budget:
        with self._lock:
            return self._budgets.get(key, _EMPTY)


_EMPTY = Budget()
_PROCESS_STORE: PacingStore = LocalPacingStore()
_OTHER_STORES: dict[tuple[object, ...], PacingStore] = {}
_REGISTRY_LOCK = threading.Lock()


def store_for(clock: Clock, *waits: object) -> PacingStore:
    """The store of budgets measured on ``clock``: the process's own for the real clock, else
    (and for injected sleep functions ``waits``) one per such set, so that a test's injected
    clock or sleep never shares budgets (and 429 blocks) with another's."""
    if clock is time.monotonic and not waits:
        return _PROCESS_STORE
    key = (clock, *waits)
    with _REGISTRY_LOCK:
        store = _OTHER_STORES.get(key)
        if store is None:
            if len(_OTHER_STORES) >= 256:  # test runs make many; each lives as long as its calls
                _OTHER_STORES.clear()
            store = _OTHER_STORES[key] = LocalPacingStore()
        return store


def key_of(target: Target, deployment: str | None) -> str:
    """One budget per (resource, deployment): the same key whichever client or setting names it."""
    name = deployment or target.deployment or ""
    key = _KEYS.get((target.base, name))
    if key is None:
        from shared_core.policy.exchange import safe_url  # no query, no userinfo: keys may be shown

        if len(_KEYS) >= 1024:
            _KEYS.clear()
        key = _KEYS[(target.base, name)] = f"{safe_url(target.base).rstrip('/')}|{name}"
    return key


_KEYS: dict[tuple[str, str], str] = {}


def limits_of(target: Target) -> Limits:
    return Limits(float(target.rpm or 0), float(target.tpm or 0))


class Pacer:
    """One call's dealings with the budget of the target of its current attempt."""

    __slots__ = ("store", "clock", "key", "limits", "charged", "own_block", "polls", "attempt")

    def __init__(self, clock: Clock, store: PacingStore | None = None) -> None:
        self.store = store if store is not None else store_for(clock)
        self.clock = clock
        self.key = ""
        self.limits = Limits()
        self.charged: float | None = None  # tokens reserved for the attempt in flight (None: none)
        self.own_block = False  # this call already slept its own 429's advice
        self.polls = 0  # times this call looked whether the deployment's first request was answered
        self.attempt = 0  # the attempt whose reservation is made

    def before(
        self,
        attempt: int,
        target: Target,
        deployment: str | None,
        cost: Callable[[], float],
        max_wait: float = math.inf,
        may_leave: bool = False,
    ) -> float:
        """The seconds to wait before sending ``attempt``; once its reservation is made, 0. The
        driver sleeps and asks again until 0 (a bounded number of times: ``PROBE_SECONDS``).
        ``cost()`` (the request's estimated tokens) is only estimated when a token limit is known.
        ``limiter.LEAVE`` (``may_leave``: the call has another target): nothing reserved, go there."""
        if self.attempt == attempt:
            return 0.0
        self.key = key_of(target, deployment)
        self.limits = limits_of(target)
        tokens = cost() if self.limits.tpm or self.store.budget(self.key).tpm else 0.0
        may_poll = self.polls * limiter.PROBE_POLL < limiter.PROBE_SECONDS
        wait, made = self.store.reserve(
            self.key, self.clock(), tokens, self.limits, not self.own_block, may_poll, max_wait, may_leave
        )
        return self._booked(attempt, tokens, wait, made)

    async def abefore(
        self,
        attempt: int,
        target: Target,
        deployment: str | None,
        cost: Callable[[], float],
        max_wait: float = math.inf,
        may_leave: bool = False,
    ) -> float:
        """Async :meth:`before`: the same decisions; a store with async I/O (Redis) is awaited."""
        store = self.store
        if not isinstance(store, AsyncPacingStore):  # in-process: no I/O to wait for
            return self.before(attempt, target, deployment, cost, max_wait, may_leave)
        if self.attempt == attempt:
            return 0.0
        self.key = key_of(target, deployment)
        self.limits = limits_of(target)
        tokens = cost() if self.limits.tpm or (await store.abudget(self.key)).tpm else 0.0
        may_poll = self.polls * limiter.PROBE_POLL < limiter.PROBE_SECONDS
        wait, made = await store.areserve(
            self.key, self.clock(), tokens, self.limits, not self.own_block, may_poll, max_wait, may_leave
        )
        return self._booked(attempt, tokens, wait, made)

    def _booked(self, attempt: int, tokens: float, wait: float, made: bool) -> float:
        if not made:
            if wait < 0:  # LEAVE: nothing reserved here; the call goes elsewhere
                return wait
            if wait == 0:  # longer than the call accepts to wait: it goes unbooked
                self.attempt = attempt
                self.own_block = False
                return 0.0
            self.polls += 1
            return wait
        self.own_block = False
        self.attempt = attempt
        self.charged = tokens
        return wait

    def answered(self, headers: Mapping[str, str]) -> None:
        """A success: learn what its headers say of the budget."""
        if self.key:  # even with no x-ratelimit-* headers: the deployment answered (no more probe)
            self.store.observe(self.key, self.clock(), limiter.seen_in(headers), self.limits)

    def refused(self, status: int, headers: Mapping[str, str], advised: float | None, wait: float) -> None:
        """An error answer: its reservation goes back; a 429 blocks every caller until the
        advised time (this call's own wait when the server named none)."""
        if not self.key:
            return
        charged, self.charged = self.charged, None
        if charged is not None:
            self.store.release(self.key, charged, self.limits)
        now = self.clock()
        self.store.observe(self.key, now, limiter.seen_in(headers), self.limits)
        if status == 429:
            self.store.block(self.key, now, now + (advised if advised is not None else wait), self.limits)
            self.own_block = True

    def unanswered(self) -> bool:
        """Whether the deployment of this call's attempt has never answered (its first request's
        fault says more than one fault)."""
        return bool(self.key) and not self.store.budget(self.key).answered

    def lost(self) -> bool:
        """No answer: the reservation goes back (the server may not have counted it). True when
        the deployment has never answered (the request was its first: its fault says more)."""
        charged, self.charged = self.charged, None
        if not self.key:
            return False
        if charged is not None:
            self.store.release(self.key, charged, self.limits)
        return not self.store.budget(self.key).answered

    def used(self, tokens: int | None) -> None:
        """The answer's usage replaces the estimate of its reservation."""
        charged, self.charged = self.charged, None
        if charged is not None and tokens is not None and self.key:
            self.store.settle(self.key, charged, float(tokens), self.limits)


__all__ = ["AsyncPacingStore", "LocalPacingStore", "Pacer", "PacingStore", "key_of", "limits_of", "store_for"]
