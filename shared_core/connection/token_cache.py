"""The token cache: one per ``BearerTokenCredential``, shared by sync and async callers.

Refresh-ahead (``refresh_on``, else 5 minutes before expiry), at most one fetch in flight across
threads and event loops, a failed refresh keeps the still-valid token; see ``auth.py`` for the
full contract.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared_core.connection.identity import FetchedToken
from shared_core.connection.token_sources import TokenSource, _await, _BackgroundLoop, _running_loop
from shared_core.errors import AuthenticationError, AzureOpenAIError, TokenAcquisitionError

if TYPE_CHECKING:
    from shared_core.connection.credentials import BearerTokenCredential

# one documented logger for everything about credentials (it predates the split of auth.py)
log = logging.getLogger("shared_core.connection.auth")

REFRESH_MARGIN = 300.0  # seconds before expiry (azure-core's default)
RETRY_DELAY = 30.0  # after a refresh that failed or changed nothing, wait before trying again
EXPIRY_SKEW = 10.0  # a token this close to expiry is not reused (at most a tenth of its life)
#: after a 401, a source that hands back the refused token is asked again, waiting this long at first
#: (doubling, at most 1 s apart) for at most REFUSED_BUDGET s when the token expires within that
#: time (a cache that hands its token out until ``exp``, a server clock ahead of ours), else
#: REFUSED_QUICK s (the 401 is not about expiry: no wait will mend it)
REFUSED_FIRST_WAIT = 0.05
REFUSED_BUDGET = 10.0
REFUSED_QUICK = 0.35


@dataclass(frozen=True, slots=True)
class _Entry:
    token: FetchedToken
    refresh_at: float
    expires_at: float


class _Aborted(Exception):
    """The leader of a flight went away (its loop closed); waiters start over."""


class _Flight:
    __slots__ = ("future", "keep", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.future: concurrent.futures.Future[FetchedToken] = concurrent.futures.Future()
        self.future.set_running_or_notify_cancel()  # a cancelled waiter cannot cancel the others
        self.loop = loop  # the loop whose progress this flight needs, if any
        self.keep: Any = None  # a reference to the leader's task or executor future


def _schedule(token: FetchedToken, now: float) -> _Entry | None:
    """When to refresh and when to stop using a token; None when it must not be cached."""
    if token.expires_on is None:
        return None
    lifetime = token.expires_on - now
    if lifetime <= 0:
        return None
    expires_at = token.expires_on - min(EXPIRY_SKEW, lifetime / 10)
    if token.refresh_on is not None and now < token.refresh_on < expires_at:
        refresh_at = token.refresh_on
    else:
        refresh_at = token.expires_on - min(REFRESH_MARGIN, lifetime / 2)
    return _Entry(token, refresh_at, expires_at)


def refused_wait(tries: int, waited: float, token: FetchedToken, now: float) -> float | None:
    """The wait before asking a source again for a token to replace the one a 401 refused, when
    it handed that one back after ``tries`` asks and ``waited`` seconds; None: give up."""
    wait = min(1.0, REFUSED_FIRST_WAIT * 2**tries)
    expiring = token.expires_on is not None and token.expires_on - now <= REFUSED_BUDGET
    return wait if waited + wait <= (REFUSED_BUDGET if expiring else REFUSED_QUICK) + 1e-9 else None


def _backoff(entry: _Entry, now: float) -> _Entry:
    return _Entry(entry.token, min(now + RETRY_DELAY, (now + entry.expires_at) / 2), entry.expires_at)


class _TokenCache:
    def __init__(self, source: TokenSource, scope: str, owner: BearerTokenCredential) -> None:
        self.source = source
        self.scope = scope
        self.owner = owner
        self.lock = threading.Lock()  # guards the fields below; never held across I/O
        self.entry: _Entry | None = None
        self.flight: _Flight | None = None
        self.claims: str | None = None
        self.rejected: str | None = None
        self.last: FetchedToken | None = None
        # the source kept handing back the refused token: every caller fails with this until then
        self.verdict: AuthenticationError | None = None
        self.verdict_until = 0.0

    # -- decisions (shared by sync and async) --

    def plan(self, loop: asyncio.AbstractEventLoop | None) -> tuple[str, _Entry | None, _Flight | None, str | None]:
        now = self.owner.clock()
        with self.lock:
            if self.verdict is not None and now < self.verdict_until:
                raise self.verdict  # asked again and again just now: no use asking once more
            entry = self.entry
            if entry is not None and now < entry.refresh_at:
                return "use", entry, None, None
            valid = entry if entry is not None and now < entry.expires_at else None
            if self.flight is not None:
                if valid is not None:
                    return "use", valid, None, None
                return "wait", None, self.flight, None
            self.flight = _Flight(loop)
            claims, self.claims = self.claims, None
            return "lead", valid, self.flight, claims

    def settle(
        self, flight: _Flight, token: FetchedToken | None, error: BaseException | None, old: _Entry | None
    ) -> None:
        now = self.owner.clock()
        with self.lock:
            current = self.flight is flight
            if token is not None:
                self.last, self.verdict = token, None
                if current:
                    entry = _schedule(token, now)
                    if entry is not None and entry.refresh_at <= now:
                        entry = _backoff(entry, now)  # the source handed out an ageing token again
                    self.entry = entry
            elif current and old is not None and self.entry is old:
                self.entry = _backoff(old, now)
            if current:
                self.flight = None
        if token is not None:
            flight.future.set_result(token)
        else:
            assert error is not None
            flight.future.set_exception(error)

    def wrap(self, exc: Exception) -> AzureOpenAIError:
        if isinstance(exc, AzureOpenAIError):
            return exc
        what = self.source.describe()
        error = TokenAcquisitionError(
            f"{what[0].upper()}{what[1:]} could not be obtained for scope {self.scope}: "
            f"{type(exc).__name__}: {exc}. What to do: {self.source.what_to_do()}.",
            credential=what,
        )
        error.__cause__ = exc
        return error

    def refused(self, token: FetchedToken) -> bool:
        with self.lock:
            return self.rejected is not None and token.token.get_secret_value() == self.rejected

    def stuck(self, token: FetchedToken, asks: int, waited: float) -> AuthenticationError:
        """The source keeps handing back the token a 401 refused: what happened and what to do."""
        from shared_core.connection.credentials import _utc  # the credential's own date format

        what = self.source.describe()
        now, expires = self.owner.clock(), token.expires_on
        if expires is None:
            why = "Its expiry is not known (not a JWT), so no wait would mend it."
        elif expires - now <= REFUSED_BUDGET:
            why = (
                f"It expire{'d' if expires <= now else 's'} at {_utc(expires)}: the source keeps handing out an"
                " expired (or nearly expired) token, and Azure's clock may run ahead of this machine's."
            )
        else:
            why = (
                f"It is valid until {_utc(expires)}, so the 401 is not about its expiry: check its audience"
                " (https://cognitiveservices.azure.com) and tenant."
            )
        error = AuthenticationError(
            f"Azure OpenAI refused {what} (HTTP 401), and the source handed back that same token each of the"
            f" {asks} times azoai asked for a new one over {waited:.2g} s, so the request was not replayed. {why}"
            " What to do: make the source return a new token when it is asked again after a 401 (refresh"
            " before expiry, as azure-identity's credentials do 5 minutes ahead, or drop its own cache), or"
            f" use an azure-identity credential / azure_auth_mode; {self.source.what_to_do()}.",
            status=401,
            code="RefusedTokenReturned",
        )
        with self.lock:  # for as long as it was asked: the callers whose 401s trail this one share it
            self.verdict, self.verdict_until = error, now + max(waited, REFUSED_FIRST_WAIT)
        return error

    def fallback(self, old: _Entry | None, error: BaseException) -> str:
        if old is None or isinstance(error, _Aborted):
            raise error
        log.warning("token refresh failed, reusing the current token until it expires: %s", error)
        return old.token.token.get_secret_value()

    # -- sync driver --

    def _fetch_sync(self, claims: str | None) -> FetchedToken:
        fetch = self.source.fetch
        if fetch is not None:
            return fetch(self.scope, claims)
        afetch = self.source.afetch
        assert afetch is not None
        return _BackgroundLoop.run(_await(afetch(self.scope, claims)))

    def _lead_sync(self, flight: _Flight, old: _Entry | None, claims: str | None) -> None:
        token: FetchedToken | None = None
        error: BaseException | None = None
        try:
            token = self._fetch_sync(claims)
            asks, waited = 1, 0.0
            while self.refused(token) and self.flight is flight:  # the 401's token again: ask anew
                wait = refused_wait(asks - 1, waited, token, self.owner.clock())
                if wait is None:
                    raise self.stuck(token, asks, waited)
                self.owner.sleep(wait)
                waited += wait
                self.source.reset()  # azure-identity: a new object, so its cache is bypassed too
                token, asks = self._fetch_sync(claims), asks + 1
        except Exception as exc:  # noqa: BLE001 - any source failure becomes one typed error
            token, error = None, self.wrap(exc)
        except BaseException:
            self.settle(flight, None, _Aborted(), old)
            raise
        self.settle(flight, token, error, old)

    def get(self) -> str:
        while True:
            action, entry, flight, claims = self.plan(None)
            if action == "use":
                assert entry is not None
                return entry.token.token.get_secret_value()
            assert flight is not None
            if action == "lead":
                self._lead_sync(flight, entry, claims)
            elif flight.loop is not None and flight.loop is _running_loop():
                # The leader is a task on the loop this thread is blocking: waiting would deadlock.
                return self._fetch_detached()
            try:
                return flight.future.result().token.get_secret_value()
            except _Aborted:
                continue
            except AzureOpenAIError as exc:
                if action == "lead":
                    return self.fallback(entry, exc)
                raise

    def _fetch_detached(self) -> str:
        try:
            fetch = self.source.fetch
            if fetch is not None:
                token = fetch(self.scope, None)
            else:
                afetch = self.source.afetch
                assert afetch is not None
                token = _BackgroundLoop.run(_await(afetch(self.scope, None)))
        except Exception as exc:
            raise self.wrap(exc) from exc
        return token.token.get_secret_value()

    # -- async driver --

    async def _lead_async(self, flight: _Flight, old: _Entry | None, claims: str | None) -> None:
        afetch = self.source.afetch
        assert afetch is not None
        try:
            token = await afetch(self.scope, claims)
            asks, waited = 1, 0.0
            while self.refused(token) and self.flight is flight:  # as _lead_sync
                wait = refused_wait(asks - 1, waited, token, self.owner.clock())
                if wait is None:
                    raise self.stuck(token, asks, waited)
                await self.owner.asleep(wait)
                waited += wait
                self.source.reset()
                token, asks = await afetch(self.scope, claims), asks + 1
        except Exception as exc:  # noqa: BLE001 - any source failure becomes one typed error
            self.settle(flight, None, self.wrap(exc), old)
        except BaseException:
            self.settle(flight, None, _Aborted(), old)
            raise
        else:
            self.settle(flight, token, None, old)

    async def aget(self) -> str:
        loop = asyncio.get_running_loop()
        native = self.source.afetch is not None
        while True:
            action, entry, flight, claims = self.plan(loop if native else None)
            if action == "use":
                assert entry is not None
                return entry.token.token.get_secret_value()
            assert flight is not None
            if action == "lead":
                if native:
                    flight.keep = loop.create_task(self._lead_async(flight, entry, claims))
                elif self.source.inline:
                    self._lead_sync(flight, entry, claims)
                else:
                    # The leader's own cancellation must not abort the fetch the others wait for.
                    try:
                        flight.keep = loop.run_in_executor(None, self._lead_sync, flight, entry, claims)
                    except BaseException:  # executor shut down: free the waiters before failing
                        self.settle(flight, None, _Aborted(), entry)
                        raise
            try:
                result = await asyncio.wrap_future(flight.future)
                return result.token.get_secret_value()
            except _Aborted:
                continue
            except AzureOpenAIError as exc:
                if action == "lead":
                    return self.fallback(entry, exc)
                raise

    def invalidate(self, claims: str | None, rejected_token: str | None) -> bool:
        with self.lock:
            if rejected_token is not None:
                if rejected_token == self.rejected:
                    return False  # another 401 for the same token already did this
                held = self.entry.token.token.get_secret_value() if self.entry is not None else None
                if held is not None and held != rejected_token:
                    return False
                self.rejected = rejected_token
            self.verdict = None  # a new refusal, or invalidate(): ask the source whatever it said before
            self.entry = None
            self.flight = None  # a fetch in flight may come back with the refused token: don't keep it
            self.claims = claims
        self.source.reset()
        return True


__all__ = [
    "EXPIRY_SKEW",
    "REFRESH_MARGIN",
    "REFUSED_BUDGET",
    "REFUSED_FIRST_WAIT",
    "REFUSED_QUICK",
    "RETRY_DELAY",
    "refused_wait",
]
