"""Shared state in Redis (``shared_state="redis://..."`` or ``AZOAI_REDIS_URL``): the pacing budget
of each deployment, its 429 block included, shared by every process of a fleet (the circuit
breakers ride on the same client and fallback: ``redis_breakers.py``).

:class:`RedisPacingStore` implements :class:`~.pacing_store.PacingStore` with one Lua script per
operation (``redis_scripts.py``: the arithmetic of ``limiter.py``), so each decision is one
atomic round trip and nothing is cached here: a process sees every other's reservations and
blocks as of its own last operation. Times are Redis's ``TIME``: the processes' clocks never meet.

When Redis is unreachable or errs, the store keeps going with this process's own budgets (a
:class:`~.pacing_store.LocalPacingStore`), logs one warning naming the URL without its password,
and tries Redis again ``RETRY_SECONDS`` later: a fleet then paces per process until Redis is back.
Then the first operation first merges back what the process learned meanwhile (each 429 block
still in the future, each breaker its router holds open: the existing scripts), then runs.

Inside a running event loop nothing here blocks: the loop's own ``redis.asyncio`` client runs the
same scripts from one ordered queue (``redis_async.py``); writes are queued, reads awaited.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from shared_core.errors import ConfigurationError
from shared_core.policy import limiter, redis_scripts
from shared_core.policy.limiter import Budget, Limits, Seen
from shared_core.policy.pacing_store import LocalPacingStore
from shared_core.policy.redis_async import LoopIO, Thunk, loop_io, running_loop

log = logging.getLogger("shared_core.policy")

#: the environment variable that turns shared state on when no ``shared_state`` is given
ENV_VAR = "AZOAI_REDIS_URL"
#: every key starts with this (``{NAMESPACE}pace:{resource}|{deployment}``)
NAMESPACE = "azoai:v1:"
#: a budget untouched this long (past its block) expires: learned limits are learned again
TTL_SECONDS = 600
#: how long the store keeps to its own state after a Redis error before trying Redis again
RETRY_SECONDS = 5.0
#: one Redis operation's connect/read timeout: a hanging Redis must not hold calls
SOCKET_TIMEOUT = 0.5

_SCHEMES = ("redis://", "rediss://", "unix://")
_OPS = ("reserve", "release", "settle", "block", "observe")
T = TypeVar("T")


def safe_redis_url(url: str) -> str:
    """The URL with its password (and user name) replaced by ``***``: fit for logs and errors."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parses the port: a bad one raises ValueError
    except ValueError:  # unparseable (a bad IPv6 host or port): mask whatever precedes the last '@'
        return re.sub(r"^([^:/]*://)?[^/?#]*@", lambda m: (m.group(1) or "") + "***@", url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def shared_state_url(setting: str | SecretStr | None, env: Mapping[str, str] | None = None) -> SecretStr | None:
    """The Redis URL of ``shared_state=`` (else ``AZOAI_REDIS_URL``), checked; None: in-process state.
    ``shared_state="local"`` keeps state in-process whatever the environment says."""
    raw = setting.get_secret_value() if isinstance(setting, SecretStr) else setting
    where = "shared_state"
    if raw is None:
        raw = (os.environ if env is None else env).get(ENV_VAR) or None
        where = ENV_VAR
    if raw is None or raw.strip() == "local":
        return None
    raw = raw.strip()
    if not raw.startswith(_SCHEMES):
        shown = safe_redis_url(raw) if "@" in raw else raw
        raise ConfigurationError(
            f"{where}={shown!r} is not a Redis URL: use 'redis://[:password@]host:port/db' (or rediss://,"
            " unix:///path/to/socket), or 'local' for this process's own state",
            setting=where,
        )
    _import_redis(where)
    reason = _unparseable(raw)
    if reason is not None:
        raise ConfigurationError(
            f"{where}={safe_redis_url(raw)!r} is not a Redis URL the client can use ({reason}): use"
            " 'redis://[:password@]host:port/db' (or rediss://, unix:///path/to/socket), or 'local' for this"
            " process's own state",
            setting=where,
        )
    return SecretStr(raw)


def _unparseable(url: str) -> str | None:
    """Why redis-py cannot parse ``url`` (its own reason, the password masked), or None."""
    from redis import connection

    parse_url: Callable[[str], object] = connection.parse_url  # redis-py's own parser: the one from_url uses
    try:
        parse_url(url)
    except ValueError as exc:
        why = str(exc)
        password = None
        try:
            password = urlsplit(url).password
        except ValueError:
            pass
        return why.replace(password, "***") if password else why
    return None


def _budget_of(raw: Mapping[bytes, bytes]) -> Budget:
    if not raw:
        return Budget()
    got = {k.decode(): v.decode() for k, v in raw.items()}
    probe = got.get("probe_sent", "")
    return Budget(
        blocked_until=float(got["blocked_until"]),
        req_tat=float(got["req_tat"]),
        tok_tat=float(got["tok_tat"]),
        rpm=float(got["rpm"]),
        tpm=float(got["tpm"]),
        usage_ratio=float(got["usage_ratio"]),
        answered=got["answered"] == "1",
        probe_sent=float(probe) if probe else None,
    )


class Rejoiner(Protocol):
    """State kept beside the store's (the breakers') that goes back to Redis when Redis does."""

    def rejoin_ops(self) -> list[tuple[str, list[str], list[str]]]:
        """(script name, keys, argv) of each script that merges it."""
        ...


def _import_redis(where: str = "shared_state") -> Any:
    try:
        import redis
    except ImportError:
        raise ConfigurationError(f'{where} needs the Redis client: pip install "azoai[redis]"', setting=where) from None
    return redis


class RedisPacingStore:
    """The budgets in Redis, with this process's own as the fallback (module docstring).

    ``server_clock`` False: the times the caller passes are used instead of Redis's ``TIME``
    (tests comparing the scripts with ``limiter.py`` on the same times)."""

    def __init__(
        self,
        url: SecretStr,
        *,
        namespace: str = NAMESPACE,
        retry_seconds: float = RETRY_SECONDS,
        socket_timeout: float = SOCKET_TIMEOUT,
        server_clock: bool = True,
    ) -> None:
        redis = _import_redis()
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = url
        self.safe_url = safe_redis_url(url.get_secret_value())
        self.namespace = namespace
        self.retry_seconds = retry_seconds
        self.socket_timeout = socket_timeout
        self.server_clock = server_clock
        self.local = LocalPacingStore()
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        # no client-side retries: an error falls back at once, and Redis is tried again later
        self._client = redis.Redis.from_url(
            url.get_secret_value(),
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry_on_timeout=False,
            retry=Retry(NoBackoff(), 0),
        )
        #: the Lua source of every script run on this Redis (the breakers add theirs)
        self.sources = {op: getattr(redis_scripts, op.upper()) for op in _OPS}
        self._scripts: dict[str, Any] = {}
        #: each event loop's async client and queue (``redis_async.py``)
        self.ios: weakref.WeakKeyDictionary[Any, LoopIO] = weakref.WeakKeyDictionary()
        #: what else holds state to merge back when Redis returns (the breakers)
        self.rejoiners: weakref.WeakSet[Rejoiner] = weakref.WeakSet()
        # 429 blocks this process set while Redis was away: key -> (until, now, monotonic then, limits)
        self._lost: dict[str, tuple[float, float, float, Limits]] = {}
        self._lock = threading.Lock()
        self._down_until = 0.0  # on time.monotonic(): Redis is not tried before then
        self._warned = False  # the current outage was reported (and its state is not merged back yet)
        self._rejoining = False
        self._merged: int | None = None  # None: this outage's state is not merged back yet

    def __repr__(self) -> str:
        return f"RedisPacingStore({self.safe_url!r})"

    @property
    def degraded(self) -> bool:
        """True while calls are paced with this process's own state (Redis failed lately)."""
        return self._down_until > time.monotonic()

    @property
    def client(self) -> Any:
        """The sync redis client."""
        return self._client

    def add_scripts(self, sources: Mapping[str, str]) -> None:
        """Scripts others run on this Redis through :meth:`execute` (the breakers')."""
        self.sources.update(sources)

    def script(self, name: str) -> Any:
        """The sync client's script ``name``."""
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._client.register_script(self.sources[name])
        return script

    # -- running an operation: sync, queued on the event loop, or awaited --------------------------

    def run(self, operation: Callable[[], T]) -> T | None:
        """``operation()`` on Redis; None (reported once) when Redis is down or failed just now."""
        if self._down_until > time.monotonic():
            return None
        if self._warned and not self._rejoin_sync():
            return None
        try:
            result = operation()
        except self._errors as exc:
            self._failed(exc)
            return None
        if self._warned:
            self._back()
        return result

    async def arun(self, thunk: Thunk, io: LoopIO) -> Any:
        """Async :meth:`run` of ``thunk`` on the loop's client (the queue's worker calls it)."""
        if self._down_until > time.monotonic():
            return None
        if self._warned and not await self._rejoin_async(io):
            return None
        try:
            result = await thunk(io)
        except self._errors as exc:
            self._failed(exc)
            return None
        if self._warned:
            self._back()
        return result

    def execute(self, name: str, keys: list[str], argv: list[str], local: Callable[[], Any] | None = None) -> Any:
        """Script ``name``: its result, or ``local()``'s when Redis failed. Inside a running event
        loop it is queued instead (nothing waits for it: the result is None)."""
        loop = running_loop()
        if loop is not None:

            def done(result: Any) -> None:
                if result is None and local is not None:
                    local()

            if loop_io(self, loop).submit(lambda io: io.script(name)(keys=keys, args=argv), done):
                return None
        result = self.run(lambda: self.script(name)(keys=keys, args=argv))
        return local() if result is None and local is not None else result

    async def aexecute(
        self, name: str, keys: list[str], argv: list[str], orphaned: Callable[[Any], None] | None = None
    ) -> Any:
        """Async script ``name`` in its turn on this loop's queue: its result, None when Redis failed
        (``orphaned``: see :meth:`~.redis_async.LoopIO.call`)."""
        io = loop_io(self, asyncio.get_running_loop())
        return await io.call(lambda io: io.script(name)(keys=keys, args=argv), orphaned)

    # -- an outage: reported once; what this process learned meanwhile goes back when Redis does ---

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_seconds
            self._merged = None  # what this outage adds is merged when Redis returns
            if self._warned:
                return
            self._warned = True
        secret = self.url.get_secret_value()
        password = urlsplit(secret).password
        why = str(exc).replace(secret, self.safe_url)
        if password:
            why = why.replace(password, "***")
        log.warning(
            "shared state: Redis at %s failed (%s: %s); pacing and breakers use this process's own state,"
            " trying Redis again every %.0f s",
            self.safe_url,
            type(exc).__name__,
            why,
            self.retry_seconds,
        )

    def _rejoin_ops(self) -> list[tuple[str, list[str], list[str]]]:
        """The scripts that lay this process's outage state onto Redis's: each 429 block still in
        the future (the block script keeps the later of two blocks) and each open breaker."""
        ops = []
        elapsed_now = time.monotonic()
        for key, (until, now, at, limits) in list(self._lost.items()):
            left = until - now - (elapsed_now - at)
            if left > 0:
                argv = [*self._argv(now + elapsed_now - at), *self._limits(limits), repr(left)]
                ops.append(("block", [self.namespace + "pace:" + key], argv))
        for other in list(self.rejoiners):
            ops.extend(other.rejoin_ops())
        return ops

    def _start_rejoin(self) -> list[tuple[str, list[str], list[str]]] | None:
        with self._lock:
            if not self._warned or self._rejoining or self._merged is not None:
                return None  # merged already, or another thread/task is merging: go on
            self._rejoining = True
        try:
            return self._rejoin_ops()
        except BaseException:
            self._rejoining = False
            raise

    def _end_rejoin(self, ops: list[tuple[str, list[str], list[str]]], error: BaseException | None) -> bool:
        with self._lock:
            self._rejoining = False
            if error is None:
                self._merged = len(ops)
                self._lost.clear()
        if error is not None:
            self._failed(error)
            return False
        return True

    def _back(self) -> None:
        """An operation succeeded after an outage (its state merged first): say so, once."""
        with self._lock:
            if not self._warned:
                return
            self._warned = False
            merged, self._merged = self._merged, None
        log.warning(
            "shared state: Redis at %s answers again; state is shared again (%d blocks and breakers of this"
            " process merged into it)",
            self.safe_url,
            merged or 0,
        )

    def _rejoin_sync(self) -> bool:
        ops = self._start_rejoin()
        if ops is None:
            return True
        try:
            for name, keys, argv in ops:
                self.script(name)(keys=keys, args=argv)
        except self._errors as exc:
            return self._end_rejoin(ops, exc)
        return self._end_rejoin(ops, None)

    async def _rejoin_async(self, io: LoopIO) -> bool:
        ops = self._start_rejoin()
        if ops is None:
            return True
        try:
            for name, keys, argv in ops:
                await io.script(name)(keys=keys, args=argv)
        except self._errors as exc:
            return self._end_rejoin(ops, exc)
        return self._end_rejoin(ops, None)

    # -- the five operations -----------------------------------------------------------------------

    def _argv(self, now: float) -> list[str]:
        return [
            repr(limiter.SAFETY),
            repr(limiter.BURST_SECONDS),
            repr(limiter.PROBE_SECONDS),
            repr(limiter.PROBE_POLL),
            "" if self.server_clock else repr(now),
        ]

    def _run(self, op: str, key: str, now: float, args: list[Any], local: Callable[[], T]) -> Any:
        return self.execute(op, [self.namespace + "pace:" + key], self._argv(now) + args, local)

    @staticmethod
    def _limits(limits: Limits) -> list[str]:
        return [repr(limits.rpm), repr(limits.tpm), str(TTL_SECONDS)]

    @classmethod
    def _reserve_args(
        cls, tokens: float, limits: Limits, honour_block: bool, may_poll: bool, max_wait: float, may_leave: bool
    ) -> list[str]:
        return [
            *cls._limits(limits),
            repr(float(tokens)),
            "1" if honour_block else "0",
            "1" if may_poll else "0",
            "-1" if math.isinf(max_wait) else repr(max(0.0, max_wait)),
            "1" if may_leave else "0",
            repr(limiter.PROBE_EXPIRES),
            repr(limiter.LEAVE),
        ]

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
        args = self._argv(now) + self._reserve_args(tokens, limits, honour_block, may_poll, max_wait, may_leave)
        result = self.run(lambda: self.script("reserve")(keys=[self.namespace + "pace:" + key], args=args))
        if result is None:
            return self.local.reserve(key, now, tokens, limits, honour_block, may_poll, max_wait, may_leave)
        wait, made = result
        return float(wait), bool(int(made))

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
    ) -> tuple[float, bool]:
        """Async :meth:`reserve` (the same script, awaited on the loop's queue)."""
        args = self._argv(now) + self._reserve_args(tokens, limits, honour_block, may_poll, max_wait, may_leave)

        def orphaned(result: Any) -> None:  # the caller was cancelled while Redis reserved for it
            if int(result[1]):
                self.release(key, tokens, limits)

        result = await self.aexecute("reserve", [self.namespace + "pace:" + key], args, orphaned)
        if result is None:
            return self.local.reserve(key, now, tokens, limits, honour_block, may_poll, max_wait, may_leave)
        wait, made = result
        return float(wait), bool(int(made))

    def release(self, key: str, tokens: float, limits: Limits) -> None:
        def local() -> None:
            self.local.release(key, tokens, limits)

        self._run("release", key, 0.0, [*self._limits(limits), repr(float(tokens))], local)

    def settle(self, key: str, charged: float, used: float, limits: Limits) -> None:
        def local() -> None:
            self.local.settle(key, charged, used, limits)

        self._run("settle", key, 0.0, [*self._limits(limits), repr(float(charged)), repr(float(used))], local)

    def block(self, key: str, now: float, until: float, limits: Limits) -> None:
        def local() -> None:
            self.local.block(key, now, until, limits)
            with self._lock:  # merged into Redis's budget when Redis returns (bounded: the latest 1024)
                self._lost.pop(key, None)
                self._lost[key] = (until, now, time.monotonic(), limits)
                while len(self._lost) > 1024:
                    del self._lost[next(iter(self._lost))]

        self._run("block", key, now, [*self._limits(limits), repr(max(0.0, until - now))], local)

    def observe(self, key: str, now: float, seen: Seen, limits: Limits) -> None:
        def local() -> None:
            self.local.observe(key, now, seen, limits)

        figures = (
            seen.limit_requests,
            seen.limit_tokens,
            seen.remaining_requests,
            seen.remaining_tokens,
            seen.reset_requests,
            seen.reset_tokens,
            seen.period_requests,
            seen.period_tokens,
        )
        args = [*self._limits(limits), *("" if f is None else repr(float(f)) for f in figures)]
        self._run("observe", key, now, args, local)

    def budget(self, key: str) -> Budget:
        raw = self.run(lambda: self._client.hgetall(self.namespace + "pace:" + key))
        return self.local.budget(key) if raw is None else _budget_of(raw)

    async def abudget(self, key: str) -> Budget:
        """Async :meth:`budget`."""
        io = loop_io(self, asyncio.get_running_loop())
        raw = await io.call(lambda io: io.client.hgetall(self.namespace + "pace:" + key))
        return self.local.budget(key) if raw is None else _budget_of(raw)

    def close(self) -> None:
        self._client.close()


_STORES: dict[str, RedisPacingStore] = {}
_STORES_LOCK = threading.Lock()


def shared_store(url: SecretStr) -> RedisPacingStore:
    """The process's one store for ``url`` (every client naming the same Redis shares it)."""
    with _STORES_LOCK:
        store = _STORES.get(url.get_secret_value())
        if store is None:
            store = _STORES[url.get_secret_value()] = RedisPacingStore(url)
        return store


__all__ = [
    "ENV_VAR",
    "NAMESPACE",
    "RETRY_SECONDS",
    "RedisPacingStore",
    "TTL_SECONDS",
    "safe_redis_url",
    "shared_state_url",
    "shared_store",
]
