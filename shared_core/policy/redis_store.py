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
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from shared_core.errors import ConfigurationError
from shared_core.policy import limiter, redis_scripts
from shared_core.policy.limiter import Budget, Limits, Seen
from shared_core.policy.pacing_store import LocalPacingStore

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

        self._url = url
        self.safe_url = safe_redis_url(url.get_secret_value())
        self.namespace = namespace
        self.retry_seconds = retry_seconds
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
        self._scripts = {
            name: self._client.register_script(getattr(redis_scripts, name.upper()))
            for name in ("reserve", "release", "settle", "block", "observe")
        }
        self._lock = threading.Lock()
        self._down_until = 0.0  # on time.monotonic(): Redis is not tried before then
        self._warned = False  # the current outage was reported

    def __repr__(self) -> str:
        return f"RedisPacingStore({self.safe_url!r})"

    @property
    def degraded(self) -> bool:
        """True while calls are paced with this process's own state (Redis failed lately)."""
        return self._down_until > time.monotonic()

    @property
    def client(self) -> Any:
        """The redis client (the breakers' scripts run on it too)."""
        return self._client

    def run(self, operation: Callable[[], T]) -> T | None:
        """``operation()`` on Redis; None (reported once) when Redis is down or failed just now."""
        if self._down_until > time.monotonic():
            return None
        try:
            result = operation()
        except self._errors as exc:
            self._failed(exc)
            return None
        if self._warned:
            with self._lock:
                if self._warned:
                    self._warned = False
                    log.warning("shared state: Redis at %s answers again; state is shared again", self.safe_url)
        return result

    def _run(self, op: str, key: str, now: float, args: list[Any], local: Callable[[], T]) -> Any:
        shared = [
            repr(limiter.SAFETY),
            repr(limiter.BURST_SECONDS),
            repr(limiter.PROBE_SECONDS),
            repr(limiter.PROBE_POLL),
            "" if self.server_clock else repr(now),
        ]
        script = self._scripts[op]
        result = self.run(lambda: script(keys=[self.namespace + "pace:" + key], args=shared + args))
        return local() if result is None else result

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_seconds
            if self._warned:
                return
            self._warned = True
        secret = self._url.get_secret_value()
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

    @staticmethod
    def _limits(limits: Limits) -> list[str]:
        return [repr(limits.rpm), repr(limits.tpm), str(TTL_SECONDS)]

    def reserve(
        self,
        key: str,
        now: float,
        tokens: float,
        limits: Limits,
        honour_block: bool = True,
        may_poll: bool = True,
        max_wait: float = math.inf,
    ) -> tuple[float, bool]:
        def local() -> tuple[float, bool]:
            return self.local.reserve(key, now, tokens, limits, honour_block, may_poll, max_wait)

        args = [
            *self._limits(limits),
            repr(float(tokens)),
            "1" if honour_block else "0",
            "1" if may_poll else "0",
            "-1" if math.isinf(max_wait) else repr(max(0.0, max_wait)),
        ]
        result = self._run("reserve", key, now, args, local)
        if isinstance(result, tuple):
            return result
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
        if raw is None:
            return self.local.budget(key)
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
