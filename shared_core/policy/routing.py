"""Several targets: weighted choice, failover, a circuit breaker per target.

Pure logic with an injectable clock and RNG; the drivers ask :meth:`Router.pick` for the target
of each attempt and report back with :meth:`Router.success` / :meth:`Router.failure`.

Breaker per target: *closed* (normal) -> after ``failure_threshold`` consecutive faults (connection
errors, timeouts, 5xx) *open* for ``cooldown`` seconds (not picked while another target is usable)
-> *half-open*: one probe request at a time; a success closes it, a failure re-opens it.
A 429 is backpressure, not a fault: it never trips the breaker, but the target is skipped until
the wait the server asked for has passed.

With ``shared`` (a :class:`~.redis_breakers.RedisBreakers`, from ``shared_state=``) the records
are the fleet's: refreshed from Redis before each pick, each outcome sent there too.

Under concurrency, a success only speaks for the target's state when its request started after
the target's last fault: each fault bumps the target's epoch, a request notes the epoch it started
in (:meth:`Router.epoch`), and a success from an older epoch is ignored. Otherwise the slow
successes of requests sent before a region began failing would keep its breaker closed.

Which target: the routing tree (``shared_core.connection.routing_plan``). A first attempt walks it
from the root; a failover walks up from the target that failed to the nearest strategy that still
has a usable target, whose ``on_status_codes`` decide whether that status moves the call at all.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from shared_core.policy.redis_breakers import RedisBreakers

from shared_core.connection.routing_plan import Group, Leaf, Node, plan_from_weights
from shared_core.policy.retry import is_retryable_status

State = Literal["closed", "open", "half_open"]


class _Health:
    __slots__ = ("failures", "open_until", "probing", "blocked_until", "tripped", "epoch")

    def __init__(self) -> None:
        self.failures = 0
        self.open_until = 0.0  # breaker open while clock() < open_until
        self.probing = False  # a half-open probe is in flight
        self.blocked_until = 0.0  # 429: the server asked us to wait until then
        self.tripped = False  # breaker has opened at least once since the last success
        self.epoch = 0  # faults so far: a success from a request sent before the last one is stale


class Router:
    """Chooses a target per attempt. Thread-safe; shared by every call of one client."""

    def __init__(
        self,
        weights: Sequence[float],
        *,
        failure_threshold: int = 3,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        plan: Node | None = None,
        shared: RedisBreakers | None = None,
    ) -> None:
        if not weights:
            raise ValueError("Router needs at least one target")
        self.weights = [max(0.0, float(w)) for w in weights]
        self.plan: Node = plan if plan is not None else plan_from_weights(self.weights)
        # each target's strategies, root first: a failover walks them from the innermost
        self._paths: list[list[Group]] = [[] for _ in self.weights]
        self._index_paths(self.plan, [])
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.clock = clock
        self.rng = rng
        self._health = [_Health() for _ in weights]
        self._lock = threading.Lock()
        self.shared = shared if len(weights) > 1 else None  # one target: no breaker to share
        if self.shared is not None:
            self.shared.apply, self.shared.records = self._lay, self._records

    def _records(self) -> list[tuple[float, float]]:
        """Each target's (seconds its breaker stays open, seconds it is skipped for a 429)."""
        with self._lock:
            now = self.clock()
            return [(h.open_until - now if h.tripped else 0.0, h.blocked_until - now) for h in self._health]

    def _pull(self) -> None:
        """Lay the fleet's records (Redis) onto ours; kept as they are when Redis failed."""
        rows = self.shared.load() if self.shared is not None else None
        if rows is not None:
            self._lay(rows)

    def _lay(self, rows: list[tuple[int, float, bool, float, bool, int]]) -> None:
        with self._lock:
            now = self.clock()
            for h, (failures, open_in, probing, blocked_in, tripped, epoch) in zip(self._health, rows, strict=True):
                h.failures, h.probing, h.tripped, h.epoch = failures, probing, tripped, epoch
                h.open_until = now + open_in if tripped else 0.0
                h.blocked_until = now + blocked_in if blocked_in > 0 else 0.0

    def __len__(self) -> int:
        return len(self.weights)

    def _index_paths(self, node: Node, path: list[Group]) -> None:
        if isinstance(node, Leaf):
            if not 0 <= node.index < len(self.weights):
                raise ValueError(f"routing plan names target {node.index}, but there are {len(self.weights)}")
            self._paths[node.index] = path
            return
        for child in node.children:
            self._index_paths(child, [*path, node])

    def state(self, index: int) -> State:
        """The breaker state of target ``index`` now."""
        h = self._health[index]
        if not h.tripped:
            return "closed"
        return "open" if self.clock() < h.open_until else "half_open"

    def _usable(self, i: int, now: float) -> bool:
        h = self._health[i]
        if h.blocked_until > now:
            return False
        if not h.tripped:
            return True
        return now >= h.open_until and not h.probing

    def pick(self, exclude: frozenset[int] | set[int] = frozenset(), after: int | None = None) -> int:
        """Index of the target for the next attempt.

        From the root of the routing tree, or on a failover (``after``: the target that just
        failed) from its nearest strategy with a usable target not in ``exclude``. When none is
        usable, the one that becomes usable soonest (so a call still goes somewhere rather than
        failing without trying).
        """
        n = len(self.weights)
        if n == 1:
            return 0
        self._pull()
        with self._lock:
            now = self.clock()
            choice: int | None = None
            if after is not None:
                for group in reversed(self._paths[after]):
                    choice = self._choose(group, exclude, now)
                    if choice is not None:
                        break
            else:
                choice = self._choose(self.plan, exclude, now)
            if choice is None:
                pool = [i for i in range(n) if i not in exclude] or list(range(n))
                choice = min(pool, key=lambda i: self._ready_at(i))
            h = self._health[choice]
            claim = h.tripped and now >= h.open_until
            if claim:
                h.probing = True
        if claim and self.shared is not None:
            self.shared.claim(choice)
        return choice

    def _has(self, node: Node, exclude: frozenset[int] | set[int], now: float) -> bool:
        if isinstance(node, Leaf):
            return node.index not in exclude and self._usable(node.index, now)
        return any(self._has(c, exclude, now) for c in node.children)

    def _choose(self, node: Node, exclude: frozenset[int] | set[int], now: float) -> int | None:
        if isinstance(node, Leaf):
            return node.index if node.index not in exclude and self._usable(node.index, now) else None
        if node.mode == "fallback":
            for child in node.children:
                found = self._choose(child, exclude, now)
                if found is not None:
                    return found
            return None
        candidates = [k for k, c in enumerate(node.children) if self._has(c, exclude, now)]
        if not candidates:
            return None
        k = candidates[0] if len(candidates) == 1 else self._weighted(candidates, node.weights)
        return self._choose(node.children[k], exclude, now)

    def _ready_at(self, i: int) -> float:
        h = self._health[i]
        return max(h.blocked_until, h.open_until if h.tripped else 0.0)

    def _weighted(self, candidates: list[int], weights: tuple[float, ...]) -> int:
        total = sum(weights[i] for i in candidates)
        if total <= 0:
            return candidates[0]
        x = self.rng() * total
        for i in candidates:
            x -= weights[i]
            if x < 0:
                return i
        return candidates[-1]

    def has_alternative(self, tried: set[int] | frozenset[int]) -> bool:
        """Is there a usable target not yet tried in this call?"""
        if len(self.weights) == 1:
            return False
        self._pull()
        now = self.clock()
        return any(i not in tried and self._usable(i, now) for i in range(len(self.weights)))

    def may_fail_over(self, index: int, tried: set[int] | frozenset[int], status: int | None) -> bool:
        """Does a failure of ``index`` (``status`` None: no HTTP answer) move the call to another
        target? The nearest strategy above ``index`` that has a usable untried target decides:
        any fault without a status moves it; a status moves it when listed in that strategy's
        ``on_status_codes`` (by default: 408, 429 and 5xx)."""
        if len(self.weights) == 1:
            return False
        now = self.clock()
        for group in reversed(self._paths[index]):
            if self._has(group, tried, now):
                if status is None:
                    return True
                codes = group.on_status_codes
                return is_retryable_status(status) if codes is None else status in codes
        return False

    def epoch(self, index: int) -> int:
        """The fault epoch of target ``index`` now: pass it back to :meth:`success`."""
        return self._health[index].epoch

    def success(self, index: int, epoch: int | None = None) -> None:
        """A success on target ``index``; ``epoch`` is :meth:`epoch` when its request started
        (a success of a request older than the target's last fault changes nothing)."""
        h = self._health[index]
        if h.failures or h.tripped or h.probing:
            with self._lock:
                if epoch is not None and epoch != h.epoch:
                    return
                h.failures = 0
                h.tripped = False
                h.probing = False
                h.open_until = 0.0
            if self.shared is not None:
                self.shared.success(index, epoch)

    def failure(self, index: int, *, trip: bool = False) -> bool:
        """A fault (connection error, timeout, 5xx, a stream failing before its first token) on
        target ``index``. True when this fault opened the breaker. ``trip``: open it now, whatever
        the count (no answer from a deployment that never answered: like a half-open probe's fault)."""
        if len(self.weights) == 1 and self.failure_threshold > 0:
            # one target: nowhere else to go, so a breaker would only refuse work
            return False
        with self._lock:
            h = self._health[index]
            h.failures += 1
            h.epoch += 1
            opened = False
            if trip or h.probing or h.failures >= self.failure_threshold:
                opened = not h.tripped or self.clock() >= h.open_until
                h.tripped = True
                h.open_until = self.clock() + self.cooldown
            h.probing = False
        if self.shared is not None:
            shared = self.shared.failure(index, 1 if trip else self.failure_threshold, self.cooldown)
            if shared is not None:
                return shared  # the fleet's breaker: opened by this fault, or already open
        return opened

    def throttled(self, index: int, wait: float | None) -> None:
        """A 429 on target ``index``: skip it for ``wait`` seconds (backpressure, not a fault)."""
        with self._lock:
            h = self._health[index]
            h.probing = False
            if wait:
                h.blocked_until = max(h.blocked_until, self.clock() + wait)
        if self.shared is not None:
            self.shared.throttled(index, wait)

    def release(self, index: int) -> None:
        """An attempt ended with neither success nor fault (e.g. a 400): free the probe slot."""
        h = self._health[index]
        if h.probing:
            with self._lock:
                h.probing = False
            if self.shared is not None:
                self.shared.release(index)


__all__ = ["Router", "State"]
