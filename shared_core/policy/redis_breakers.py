"""The circuit breakers of ``routing.py`` in Redis, beside the pacing budgets: a fleet shares
each target's breaker (faults, open until, the half-open probe, a 429's "skip until").

The :class:`~.routing.Router` keeps deciding on its own ``_Health`` records; with a
:class:`RedisBreakers` it refreshes them from Redis before it picks (one script reading every
target, times returned relative to Redis's ``TIME`` and laid onto the router's clock) and sends
each outcome to Redis as one atomic script doing what it did locally. A probe claim expires after
``PROBE_TTL`` seconds, so a worker that died mid-probe does not hold a breaker half-open. Redis
failing: the router goes on with its own records (the store's fallback, one warning).

Staleness: a pick sees every outcome reported before it; two processes may both pick the same
half-open target between one's pull and its claim (at most one probe per process).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from shared_core.policy.redis_async import loop_io, running_loop
from shared_core.policy.redis_store import NAMESPACE, RedisPacingStore

if TYPE_CHECKING:
    from pydantic import SecretStr

    from shared_core.connection.config import Target

#: a half-open probe not answered in this many seconds lets another caller probe
PROBE_TTL = 60.0
#: a breaker's record outlives its last change (or its open/skip time) by this many seconds
TTL_SECONDS = 3600

_PRELUDE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function fmt(x) return string.format('%.17g', x) end
local function load(key)
  local raw = redis.call('HGETALL', key)
  local h = {failures = 0, open_until = 0, probing_until = 0, blocked_until = 0, tripped = 0, epoch = 0}
  for j = 1, #raw, 2 do h[raw[j]] = tonumber(raw[j + 1]) end
  return h, #raw > 0
end
local function save(key, h)
  redis.call('HSET', key, 'failures', h.failures, 'open_until', fmt(h.open_until),
    'probing_until', fmt(h.probing_until), 'blocked_until', fmt(h.blocked_until),
    'tripped', h.tripped, 'epoch', h.epoch)
  local last = math.max(now, h.open_until, h.blocked_until)
  redis.call('EXPIRE', key, math.ceil(last - now) + tonumber(ARGV[1]))
end
"""

#: every key's record: failures, open_in, probing (0/1), blocked_in, tripped (0/1), epoch
LOAD = (
    _PRELUDE
    + """
local out = {}
for i, key in ipairs(KEYS) do
  local h = load(key)
  local probing = 0
  if h.probing_until > now then probing = 1 end
  out[i] = {tostring(h.failures), fmt(h.open_until - now), tostring(probing), fmt(h.blocked_until - now),
    tostring(h.tripped), tostring(h.epoch)}
end
return out
"""
)

#: ARGV 2 probe ttl: a half-open target picked for a probe
CLAIM = (
    _PRELUDE
    + """
local h = load(KEYS[1])
if h.tripped == 1 and now >= h.open_until then
  h.probing_until = now + tonumber(ARGV[2])
  save(KEYS[1], h)
end
return 1
"""
)

#: ARGV 2 the epoch the request started in ('' = any)
SUCCESS = (
    _PRELUDE
    + """
local h, stored = load(KEYS[1])
if not stored then return 0 end
if h.failures > 0 or h.tripped == 1 or h.probing_until > now then
  if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= h.epoch then return 0 end
  h.failures, h.tripped, h.probing_until, h.open_until = 0, 0, 0, 0
  save(KEYS[1], h)
end
return 1
"""
)

#: ARGV 2 failure threshold, 3 cooldown -> 1 when this fault opened the breaker
FAILURE = (
    _PRELUDE
    + """
local h = load(KEYS[1])
h.failures = h.failures + 1
h.epoch = h.epoch + 1
local opened = 0
if h.probing_until > now or h.failures >= tonumber(ARGV[2]) then
  if h.tripped == 0 or now >= h.open_until then opened = 1 end
  h.tripped = 1
  h.open_until = now + tonumber(ARGV[3])
end
h.probing_until = 0
save(KEYS[1], h)
return opened
"""
)

#: ARGV 2 seconds to skip the target (a 429's advice; 0: none)
THROTTLED = (
    _PRELUDE
    + """
local h = load(KEYS[1])
h.probing_until = 0
local wait = tonumber(ARGV[2])
if wait > 0 then h.blocked_until = math.max(h.blocked_until, now + wait) end
save(KEYS[1], h)
return 1
"""
)

RELEASE = (
    _PRELUDE
    + """
local h, stored = load(KEYS[1])
if not stored or h.probing_until == 0 then return 0 end
h.probing_until = 0
save(KEYS[1], h)
return 1
"""
)


_SOURCES = {
    "breaker_load": LOAD,
    "breaker_claim": CLAIM,
    "breaker_success": SUCCESS,
    "breaker_failure": FAILURE,
    "breaker_throttled": THROTTLED,
    "breaker_release": RELEASE,
}

#: every target's record as :meth:`RedisBreakers.load` gives it
Rows = list[tuple[int, float, bool, float, bool, int]]


class RedisBreakers:
    """The breakers of a router's targets (``keys``: one per target) in the Redis of ``store``.

    Inside a running event loop nothing here waits for Redis: outcomes are queued on the loop
    (``redis_async.py``), and :meth:`load` returns None (the router picks on its own records) while
    it queues a read whose rows are laid onto the router's records (``apply``) when they come: a
    pick then sees the fleet as of the previous pick, plus its own process's outcomes."""

    def __init__(self, store: RedisPacingStore, keys: Sequence[str]) -> None:
        self.store = store
        self.keys = [NAMESPACE + "breaker:" + k for k in keys]
        store.add_scripts(_SOURCES)
        store.rejoiners.add(self)
        #: set by the router: lays rows onto its records / its records (open in, blocked in) per target
        self.apply: Callable[[Rows], None] | None = None
        self.records: Callable[[], list[tuple[float, float]]] | None = None
        self._loading = False

    def _run(self, name: str, keys: list[str], *args: object) -> Any:
        return self.store.execute("breaker_" + name, keys, [str(TTL_SECONDS), *map(str, args)])

    @staticmethod
    def _rows(raw: Any) -> Rows:
        return [(int(f), float(o), p == b"1", float(b), t == b"1", int(e)) for f, o, p, b, t, e in raw]

    def load(self) -> Rows | None:
        """Every target's record (times in seconds from now), or None when Redis failed (or, in an
        event loop, until the queued read comes back)."""
        loop = running_loop()
        argv = [str(TTL_SECONDS)]
        if loop is not None:
            if self._loading:
                return None
            self._loading = True
            if loop_io(self.store, loop).submit(
                lambda io: io.script("breaker_load")(keys=self.keys, args=argv), self._loaded
            ):
                return None
            self._loading = False
        rows = self.store.run(lambda: self.store.script("breaker_load")(keys=self.keys, args=argv))
        return None if rows is None else self._rows(rows)

    def _loaded(self, raw: Any) -> None:
        self._loading = False
        if raw is not None and self.apply is not None:
            self.apply(self._rows(raw))

    def rejoin_ops(self) -> list[tuple[str, list[str], list[str]]]:
        """Redis is back: each breaker this process holds open, and each 429 skip, goes to the
        fleet (a fault with a threshold of 1 opens it for what is left of its cooldown; a skip
        keeps the later time)."""
        ops: list[tuple[str, list[str], list[str]]] = []
        for key, (open_in, blocked_in) in zip(self.keys, self.records() if self.records else [], strict=False):
            if open_in > 0:
                ops.append(("breaker_failure", [key], [str(TTL_SECONDS), "1", repr(open_in)]))
            if blocked_in > 0:
                ops.append(("breaker_throttled", [key], [str(TTL_SECONDS), repr(blocked_in)]))
        return ops

    def claim(self, index: int) -> None:
        self._run("claim", [self.keys[index]], repr(PROBE_TTL))

    def success(self, index: int, epoch: int | None) -> None:
        self._run("success", [self.keys[index]], "" if epoch is None else epoch)

    def failure(self, index: int, threshold: int, cooldown: float) -> bool | None:
        """True when this fault opened the breaker fleet-wide; None when Redis failed (or the
        outcome was queued on the event loop)."""
        opened = self._run("failure", [self.keys[index]], threshold, repr(float(cooldown)))
        return None if opened is None else bool(int(opened))

    def throttled(self, index: int, wait: float | None) -> None:
        self._run("throttled", [self.keys[index]], repr(float(wait or 0.0)))

    def release(self, index: int) -> None:
        self._run("release", [self.keys[index]])


__all__ = ["PROBE_TTL", "RedisBreakers"]


def fleet_state(
    shared_state: SecretStr | str | None, targets: Sequence[Target]
) -> tuple[RedisPacingStore | None, RedisBreakers | None]:
    """The fleet's pacing budgets and (with several targets) its breakers in the Redis that
    ``shared_state`` / ``AZOAI_REDIS_URL`` names; ``(None, None)`` without one."""
    from shared_core.policy.pacing_store import key_of
    from shared_core.policy.redis_store import shared_state_url, shared_store

    url = shared_state_url(shared_state)
    if url is None:
        return None, None
    store = shared_store(url)
    breakers = RedisBreakers(store, [key_of(t, None) for t in targets]) if len(targets) > 1 else None
    return store, breakers
