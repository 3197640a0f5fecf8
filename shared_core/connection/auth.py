"""Credentials: what authenticates a request, and one token cache for every token-based kind.

Kinds
-----
``ApiKeyCredential``
    ``api-key: KEY``. With ``style="bearer"`` it sends ``Authorization: Bearer KEY`` instead (OpenAI
    proper, and the v1 API, which accepts both). ``resolve_credential(key_style="bearer")`` picks it.
``BearerTokenCredential``
    ``Authorization: Bearer TOKEN`` from a *source*: a static Entra ID token, token provider
    callables (sync and/or async), an azure-core ``TokenCredential`` / ``AsyncTokenCredential``
    passed directly, or a named mode built on azure-identity (``identity.py``).
``NoCredential``
    Sends nothing (``azure_auth_mode="none"``): gateways that authenticate on their own.

The token cache (one per ``BearerTokenCredential``)
---------------------------------------------------
* A token is reused until its refresh time: ``refresh_on`` when the source gives one, else 5
  minutes before ``expires_on`` (half-life for tokens that live less than 10 minutes). Past that
  time one caller refreshes while the others keep using the still-valid token; a failed refresh
  keeps the old token (with a warning) until it really expires.
* At most one fetch is in flight, across threads *and* event loops: the flight is a
  ``concurrent.futures.Future`` that waiters block on (threads) or await through
  ``asyncio.wrap_future`` (tasks), so no asyncio lock is bound to a loop.
* A sync source used from async code runs in the loop's default executor, never on the loop. An
  async-only source used from sync code runs on a private event loop in a daemon thread. Named
  modes use the *sync* azure-identity class on both sides (in the executor for async code): no
  aiohttp session tied to one event loop, and one object whose cache both sides share.
* Bare string tokens have no known expiry: the JWT ``exp`` claim is used when the string is a
  JWT; otherwise the token is not cached and the provider is called for every request.
* ``invalidate()`` (after a 401) drops the cached token, and for named modes the azure-identity
  object and so its internal cache too, so the next ``headers()`` really fetches a new token.
  Extensions beyond the contract: ``invalidate(claims=...)`` passes a CAE claims challenge to the
  next azure-identity request (which bypasses its cache), and ``invalidate(rejected_token=...)``
  is a no-op when the cache already holds a different token (so 20 concurrent 401s cause one
  refetch, not 20). A user-supplied azure-identity object keeps its own cache: without claims it
  may hand back the same token.
* ``clock`` (epoch seconds, default ``time.time``) is a public attribute so tests can move time.

Named modes (``azure_auth_mode``): ``key``; ``token``; ``entra`` / ``service_principal``
(``ClientSecretCredential``: tenant_id/AZURE_TENANT_ID, client_id/AZURE_CLIENT_ID,
client_secret/AZURE_CLIENT_SECRET); ``managed`` (``ManagedIdentityCredential``; client_id= or
AZURE_CLIENT_ID selects a user-assigned identity, as DefaultAzureCredential does); ``workload``
(``WorkloadIdentityCredential`` from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE
and AZURE_AUTHORITY_HOST in ``env``); ``default`` (``DefaultAzureCredential``); ``cli``
(``AzureCliCredential``); ``none``. Aliases such as ``managed_identity`` are accepted. Entra
authorities follow the scope's cloud unless AZURE_AUTHORITY_HOST is set (see ``identity.py``).

Resolution order in ``resolve_credential`` (first match wins): ``credential``;
``azure_auth_mode``; ``azure_ad_token_provider`` / ``azure_ad_async_token_provider``;
``azure_ad_token``; ``api_key``; ``AZURE_OPENAI_AD_TOKEN``; ``AZURE_OPENAI_API_KEY``; workload
identity auto-detected from ``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + ``AZURE_FEDERATED_TOKEN_FILE``
(as langchain-openai does); else a ConfigurationError listing the ways to authenticate.

Pickling: keys and static tokens travel (a pickle is for another process, which needs them);
cached tokens, locks, threads and live azure-identity objects are dropped and rebuilt lazily. A
user-supplied provider or credential object that cannot be pickled raises
``pickle.PicklingError`` naming it and what to use instead (a module-level function, or an
``azure_auth_mode``) rather than being silently dropped. ``copy``/``deepcopy`` return the same
credential (it is immutable configuration plus a shared cache).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import inspect
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import (
    Any,
    Literal,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from pydantic import SecretStr

from shared_core.errors import AzureOpenAIError, ConfigurationError, TokenAcquisitionError
from shared_core.connection.identity import (
    IDENTITY_MODES,
    FetchedToken,
    NamedIdentitySource,
    authority_for,
    ensure_picklable,
    fetch_async,
    fetch_sync,
    is_async_token_credential,
    is_token_credential,
    token_from_access_token,
    what_to_do,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
CredentialKind = Literal["api_key", "token", "none"]
KeyStyle = Literal["api-key", "bearer"]
TokenProvider = Callable[[], Any]
AsyncTokenProvider = Callable[[], Awaitable[Any]]

REFRESH_MARGIN = 300.0  # seconds before expiry (azure-core's default)
RETRY_DELAY = 30.0  # after a refresh that failed or changed nothing, wait before trying again
EXPIRY_SKEW = 10.0  # a token this close to expiry is not reused (at most a tenth of its life)

#: Every accepted ``azure_auth_mode`` (after aliases), in the order error messages list them.
AUTH_MODES = ("key", "token", "entra", "service_principal", "managed", "workload", "default", "cli", "none")
_MODE_ALIASES = {
    "api_key": "key",
    "apikey": "key",
    "ad_token": "token",
    "azure_ad_token": "token",
    "client_secret": "entra",
    "entra_id": "entra",
    "service_principal": "entra",
    "managed_identity": "managed",
    "msi": "managed",
    "workload_identity": "workload",
    "azure_cli": "cli",
    "default_azure_credential": "default",
}
_WORKLOAD_VARS = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE")
_CLAIMS_KEPT = ("aud", "iss", "tid", "appid", "azp", "oid", "idtyp", "scp", "roles", "exp", "nbf", "iat", "ver")


@runtime_checkable
class Credential(Protocol):
    """What the transport calls to authenticate a request (see docs/core-api.md)."""

    kind: CredentialKind

    def headers(self) -> dict[str, str]: ...

    async def aheaders(self) -> dict[str, str]: ...

    def invalidate(self) -> None: ...

    def describe(self) -> str: ...

    def last_token_claims(self) -> dict[str, Any] | None: ...


def decode_jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, unverified (for diagnosis only), or None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


def _clean_secret(value: str | SecretStr, setting: str, env_var: str | None, *, returned: bool = False) -> SecretStr:
    """Strip a pasted secret (and a ``Bearer `` prefix); refuse empty or multi-line values."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(raw, str):
        raise ConfigurationError(f"{setting} must be a string, got {type(raw).__name__}", setting=setting)
    raw = raw.strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    subject = f"{setting} returned a token that" if returned else setting
    where = f" (check {env_var})" if env_var else ""
    if not raw:
        raise ConfigurationError(
            f"{subject} is empty{where}: it must be the secret itself", setting=setting
        )
    if any(c.isspace() or ord(c) < 32 for c in raw):
        raise ConfigurationError(
            f"{subject} contains whitespace or control characters{where}: it was probably pasted "
            "with a line break or several values; give the secret alone",
            setting=setting,
        )
    return SecretStr(raw)


def _provider_token(result: Any, what: str, *, returned: bool = True) -> FetchedToken:
    """Normalise what a token provider returned: a string (JWT ``exp`` read) or an AccessToken."""
    if isinstance(result, (str, SecretStr)):
        token = _clean_secret(result, what, None, returned=returned)
        claims = decode_jwt_claims(token.get_secret_value())
        exp = claims.get("exp") if claims else None
        return FetchedToken(token, float(exp) if isinstance(exp, (int, float)) else None)
    if hasattr(result, "token") and hasattr(result, "expires_on"):
        fetched = token_from_access_token(result)
        return FetchedToken(
            _clean_secret(fetched.token, what, None, returned=returned), fetched.expires_on, fetched.refresh_on
        )
    raise ConfigurationError(
        f"{what} returned {type(result).__name__}; it must return the token as a string "
        "(or an azure.core AccessToken)",
        setting=what,
    )


# ---------------------------------------------------------------------------------------------
# a private event loop for async-only sources used from sync code


class _BackgroundLoop:
    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid = 0

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid() or cls._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="azoai-auth-loop", daemon=True)
                thread.start()
                cls._loop, cls._pid = loop, os.getpid()
            return cls._loop

    @classmethod
    def run(cls, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, cls.get()).result()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


# ---------------------------------------------------------------------------------------------
# token sources: where a BearerTokenCredential gets its tokens


class TokenSource(Protocol):
    """Fetches tokens. ``fetch`` is the sync path, ``afetch`` the async one (either may be None)."""

    inline: bool  # fetch() never blocks: async code may call it on the loop

    @property
    def fetch(self) -> Callable[[str, str | None], FetchedToken] | None: ...

    @property
    def afetch(self) -> Callable[[str, str | None], Awaitable[FetchedToken]] | None: ...

    def describe(self) -> str: ...

    def what_to_do(self) -> str: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


class StaticTokenSource:
    """A token given once (``azure_ad_token``). It cannot be refreshed."""

    inline = True

    def __init__(self, token: str | SecretStr, *, setting: str = "azure_ad_token") -> None:
        self.setting = setting
        self._token = _provider_token(token, setting, returned=False)

    @property
    def fetch(self) -> Callable[[str, str | None], FetchedToken]:
        return lambda scope, claims: self._token

    @property
    def afetch(self) -> None:
        return None

    def describe(self) -> str:
        return f"a static Entra ID token ({self.setting})"

    def what_to_do(self) -> str:
        return "pass a fresh token, or a token provider / credential that can refresh it"

    def reset(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return "StaticTokenSource(token=SecretStr('**********'))"


def _is_async_callable(fn: Any) -> bool:
    # a callable object with ``async def __call__`` counts too
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(type(fn), "__call__", None))  # noqa: B004


def _name_of(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or type(fn).__qualname__)


class ProviderSource:
    """Token provider callables (no arguments, return a token string or AccessToken).

    A provider declared sync that returns an awaitable is awaited (LlamaIndex users pass
    ``azure.identity.aio.get_bearer_token_provider`` there).
    """

    inline = False

    def __init__(
        self,
        provider: TokenProvider | None = None,
        async_provider: AsyncTokenProvider | None = None,
        *,
        setting: str = "azure_ad_token_provider",
    ) -> None:
        if provider is not None and _is_async_callable(provider) and async_provider is None:
            provider, async_provider = None, provider
        if provider is None and async_provider is None:
            raise ValueError("ProviderSource needs a provider")
        for name, fn in (("azure_ad_token_provider", provider), ("azure_ad_async_token_provider", async_provider)):
            if fn is not None and not callable(fn):
                raise ConfigurationError(
                    f"{name} must be a callable returning a token, got {type(fn).__name__}", setting=name
                )
        self.provider = provider
        self.async_provider = async_provider
        self.setting = setting

    def _fetch(self, scope: str, claims: str | None) -> FetchedToken:
        assert self.provider is not None
        result = self.provider()
        if inspect.isawaitable(result):
            result = _BackgroundLoop.run(_await(result))
        return _provider_token(result, self.setting)

    async def _afetch(self, scope: str, claims: str | None) -> FetchedToken:
        assert self.async_provider is not None
        result = self.async_provider()
        if inspect.isawaitable(result):
            result = await result
        return _provider_token(result, "azure_ad_async_token_provider")

    @property
    def fetch(self) -> Callable[[str, str | None], FetchedToken] | None:
        return self._fetch if self.provider is not None else None

    @property
    def afetch(self) -> Callable[[str, str | None], Awaitable[FetchedToken]] | None:
        return self._afetch if self.async_provider is not None else None

    def describe(self) -> str:
        fn = self.provider if self.provider is not None else self.async_provider
        return f"an Entra ID token from the token provider {_name_of(fn)}"

    def what_to_do(self) -> str:
        return "check the credential behind your token provider"

    def reset(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        names = [_name_of(fn) for fn in (self.provider, self.async_provider) if fn is not None]
        return f"ProviderSource({', '.join(names)})"

    def __getstate__(self) -> dict[str, Any]:
        hint = (
            "Use a module-level function as the provider, or azure_auth_mode= (managed, workload, "
            "entra, default, cli), which is rebuilt in the other process."
        )
        for fn in (self.provider, self.async_provider):
            if fn is not None:
                ensure_picklable(fn, "token provider", hint)
        return dict(self.__dict__)


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


class ObjectSource:
    """An azure-core ``TokenCredential`` or ``AsyncTokenCredential`` passed in by the user."""

    inline = False

    def __init__(self, credential: Any) -> None:
        self.credential = credential
        self.is_async = is_async_token_credential(credential)

    @property
    def fetch(self) -> Callable[[str, str | None], FetchedToken] | None:
        if self.is_async:
            return None
        return lambda scope, claims: fetch_sync(self.credential, scope, claims)

    @property
    def afetch(self) -> Callable[[str, str | None], Awaitable[FetchedToken]] | None:
        if not self.is_async:
            return None
        return lambda scope, claims: fetch_async(self.credential, scope, claims)

    def describe(self) -> str:
        return f"an Entra ID token from {type(self.credential).__name__}"

    def what_to_do(self) -> str:
        return f"check the configuration of the {type(self.credential).__name__} you passed"

    def reset(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"ObjectSource({type(self.credential).__name__})"

    def __getstate__(self) -> dict[str, Any]:
        ensure_picklable(
            self.credential,
            "credential object",
            "Live azure-identity credentials hold connections and locks: pass azure_auth_mode= "
            '(e.g. "managed", "workload", "default") instead, which is rebuilt in the other process.',
        )
        return dict(self.__dict__)


class NamedSource:
    """A named azure-identity mode; the live object is built lazily and dropped on reset/pickle."""

    inline = False

    def __init__(self, named: NamedIdentitySource) -> None:
        self.named = named

    @property
    def fetch(self) -> Callable[[str, str | None], FetchedToken]:
        return self.named.fetch

    @property
    def afetch(self) -> None:
        # The sync credential in a thread: no aiohttp session bound to one event loop.
        return None

    def describe(self) -> str:
        return f"an Entra ID token from {self.named.describe()}"

    def what_to_do(self) -> str:
        return what_to_do(self.named.mode)

    def reset(self) -> None:
        self.named.reset()

    def close(self) -> None:
        self.named.close()

    def __repr__(self) -> str:
        return repr(self.named)


# ---------------------------------------------------------------------------------------------
# the cache


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

    # -- decisions (shared by sync and async) --

    def plan(self, loop: asyncio.AbstractEventLoop | None) -> tuple[str, _Entry | None, _Flight | None, str | None]:
        now = self.owner.clock()
        with self.lock:
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

    def settle(self, flight: _Flight, token: FetchedToken | None, error: BaseException | None,
               old: _Entry | None) -> None:
        now = self.owner.clock()
        with self.lock:
            current = self.flight is flight
            if token is not None:
                self.last = token
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

    def fallback(self, old: _Entry | None, error: BaseException) -> str:
        if old is None or isinstance(error, _Aborted):
            raise error
        log.warning("token refresh failed, reusing the current token until it expires: %s", error)
        return old.token.token.get_secret_value()

    # -- sync driver --

    def _lead_sync(self, flight: _Flight, old: _Entry | None, claims: str | None) -> None:
        token: FetchedToken | None = None
        error: BaseException | None = None
        try:
            fetch = self.source.fetch
            if fetch is not None:
                token = fetch(self.scope, claims)
            else:
                afetch = self.source.afetch
                assert afetch is not None
                token = _BackgroundLoop.run(_await(afetch(self.scope, claims)))
        except Exception as exc:  # noqa: BLE001 - any source failure becomes one typed error
            error = self.wrap(exc)
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
            self.entry = None
            self.flight = None  # a fetch in flight may come back with the refused token: don't keep it
            self.claims = claims
        self.source.reset()
        return True


# ---------------------------------------------------------------------------------------------
# credentials


class ApiKeyCredential:
    """An API key: ``api-key: KEY``, or ``Authorization: Bearer KEY`` with ``style="bearer"``.

    ``key`` may also be an ``azure.core.credentials.AzureKeyCredential``; its current ``key`` is
    read on every request, so ``update()`` rotates it.
    """

    kind: CredentialKind = "api_key"

    def __init__(self, key: str | SecretStr | Any, *, style: KeyStyle = "api-key", setting: str = "api_key") -> None:
        if style not in ("api-key", "bearer"):
            raise ConfigurationError(f"key style must be 'api-key' or 'bearer', got {style!r}", setting="key_style")
        self.style: KeyStyle = style
        self._holder: Any = None
        self._key: SecretStr | None = None
        if isinstance(key, (str, SecretStr)):
            self._key = _clean_secret(key, setting, "AZURE_OPENAI_API_KEY")
        elif isinstance(getattr(key, "key", None), str):
            self._holder = key
        else:
            raise ConfigurationError(
                f"{setting} must be a string, a SecretStr or an AzureKeyCredential, got {type(key).__name__}",
                setting=setting,
            )

    def _secret(self) -> str:
        if self._holder is not None:
            return _clean_secret(self._holder.key, "AzureKeyCredential.key", None).get_secret_value()
        assert self._key is not None
        return self._key.get_secret_value()

    def with_style(self, style: KeyStyle) -> ApiKeyCredential:
        """The same key sent in the other header style."""
        clone = ApiKeyCredential.__new__(ApiKeyCredential)
        clone.__dict__.update(self.__dict__)
        if style not in ("api-key", "bearer"):
            raise ConfigurationError(f"key style must be 'api-key' or 'bearer', got {style!r}", setting="key_style")
        clone.style = style
        return clone

    def headers(self) -> dict[str, str]:
        if self.style == "bearer":
            return {"Authorization": "Bearer " + self._secret()}
        return {"api-key": self._secret()}

    async def aheaders(self) -> dict[str, str]:
        return self.headers()

    def invalidate(self, *, claims: str | None = None, rejected_token: str | None = None) -> None:
        """Nothing to refresh: a refused key stays refused."""

    def describe(self) -> str:
        if self.style == "bearer":
            return "an API key (sent as Authorization: Bearer)"
        return "an API key"

    def last_token_claims(self) -> dict[str, Any] | None:
        return None

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"ApiKeyCredential(key=SecretStr('**********'), style={self.style!r})"

    def __copy__(self) -> ApiKeyCredential:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ApiKeyCredential:
        return self


class NoCredential:
    """No authentication header (``azure_auth_mode="none"``)."""

    kind: CredentialKind = "none"

    def headers(self) -> dict[str, str]:
        return {}

    async def aheaders(self) -> dict[str, str]:
        return {}

    def invalidate(self, *, claims: str | None = None, rejected_token: str | None = None) -> None:
        return None

    def describe(self) -> str:
        return "no credential"

    def last_token_claims(self) -> dict[str, Any] | None:
        return None

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return "NoCredential()"


class BearerTokenCredential:
    """``Authorization: Bearer TOKEN`` from a token source, through one refresh-ahead cache."""

    kind: CredentialKind = "token"

    def __init__(self, source: TokenSource, *, scope: str, clock: Callable[[], float] | None = None) -> None:
        self.source = source
        self.scope = scope
        self.clock: Callable[[], float] = clock or time.time
        self._cache = _TokenCache(source, scope, self)

    def headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + self._cache.get()}

    async def aheaders(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + await self._cache.aget()}

    def invalidate(self, *, claims: str | None = None, rejected_token: str | None = None) -> None:
        """Forget the cached token so the next ``headers()`` fetches a new one.

        ``claims``: a CAE claims challenge from the 401's ``WWW-Authenticate``, passed to the next
        azure-identity request. ``rejected_token``: the token the 401 answered (with or without
        ``Bearer ``); when the cache already holds another one, nothing is dropped.
        """
        if rejected_token is not None and rejected_token[:7].lower() == "bearer ":
            rejected_token = rejected_token[7:]
        self._cache.invalidate(claims, rejected_token)

    def describe(self) -> str:
        return self.source.describe()

    def last_token_claims(self) -> dict[str, Any] | None:
        """Diagnostic claims (aud, tid, appid/oid, exp, ...) of the last token sent; unverified."""
        last = self._cache.last
        if last is None:
            return None
        claims = decode_jwt_claims(last.token.get_secret_value())
        if claims is None:
            return None
        return {k: claims[k] for k in _CLAIMS_KEPT if k in claims}

    def close(self) -> None:
        """Close a live azure-identity object built for a named mode (user objects are left open)."""
        self.source.close()

    def __repr__(self) -> str:
        return f"BearerTokenCredential(source={self.source!r}, scope={self.scope!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"source": self.source, "scope": self.scope}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["source"], scope=state["scope"])  # type: ignore[misc]

    def __copy__(self) -> BearerTokenCredential:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> BearerTokenCredential:
        return self


# ---------------------------------------------------------------------------------------------
# resolution


def _need_scope(scope: str, what: str) -> str:
    if not scope or not isinstance(scope, str):
        raise ConfigurationError(
            f"{what} needs a token scope, e.g. https://cognitiveservices.azure.com/.default: pass token_scope=",
            setting="token_scope",
        )
    return scope


def _named(mode: str, *, scope: str, env: Mapping[str, str], tenant_id: str | None, client_id: str | None,
           client_secret: str | SecretStr | None) -> BearerTokenCredential:
    _need_scope(scope, f'azure_auth_mode="{mode}"')
    tenant = tenant_id or env.get("AZURE_TENANT_ID") or None
    client = client_id or env.get("AZURE_CLIENT_ID") or None
    secret: SecretStr | None = None
    token_file: str | None = None
    missing: list[tuple[str, str]] = []
    if mode == "entra":
        raw_secret = client_secret or env.get("AZURE_CLIENT_SECRET") or None
        if tenant is None:
            missing.append(("tenant_id", "AZURE_TENANT_ID"))
        if client is None:
            missing.append(("client_id", "AZURE_CLIENT_ID"))
        if raw_secret is None:
            missing.append(("client_secret", "AZURE_CLIENT_SECRET"))
        else:
            secret = _clean_secret(raw_secret, "client_secret", "AZURE_CLIENT_SECRET")
    elif mode == "workload":
        token_file = env.get("AZURE_FEDERATED_TOKEN_FILE") or None
        if tenant is None:
            missing.append(("tenant_id", "AZURE_TENANT_ID"))
        if client is None:
            missing.append(("client_id", "AZURE_CLIENT_ID"))
        if token_file is None:
            missing.append(("AZURE_FEDERATED_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE"))
    if missing:
        what = "; ".join(
            f"set {var}" if arg == var else f"set {var} or pass {arg}=" for arg, var in missing
        )
        raise ConfigurationError(
            f'azure_auth_mode="{mode}" ({IDENTITY_MODES[mode]}) is missing settings: {what}',
            setting=missing[0][0],
        )
    named = NamedIdentitySource(
        mode,
        tenant_id=tenant if mode in ("entra", "workload", "cli") else None,
        client_id=client if mode != "cli" else None,
        client_secret=secret,
        token_file=token_file,
        authority=authority_for(scope, env) if mode in ("entra", "workload", "default") else None,
    )
    named.credential()  # build now: a missing package or a bad setting fails before any request
    return BearerTokenCredential(NamedSource(named), scope=scope)


def _from_object(credential: Any, scope: str, key_style: KeyStyle) -> Credential:
    if isinstance(credential, (ApiKeyCredential, NoCredential, BearerTokenCredential)):
        return credential
    if isinstance(credential, (str, SecretStr)):
        raise ConfigurationError(
            "credential= takes a credential object (e.g. azure.identity.DefaultAzureCredential()); "
            "pass a key as api_key= and a token as azure_ad_token=",
            setting="credential",
        )
    if is_token_credential(credential):
        return BearerTokenCredential(ObjectSource(credential), scope=_need_scope(scope, "credential="))
    if isinstance(getattr(credential, "key", None), str):
        return ApiKeyCredential(credential, style=key_style, setting="credential")
    if callable(getattr(credential, "headers", None)) and callable(getattr(credential, "aheaders", None)):
        return credential  # type: ignore[no-any-return]  # already one of ours (protocol)
    if callable(credential):
        return BearerTokenCredential(
            ProviderSource(credential, setting="credential"), scope=_need_scope(scope, "credential=")
        )
    raise ConfigurationError(
        f"credential= got a {type(credential).__name__}; pass an azure-identity credential "
        "(TokenCredential or AsyncTokenCredential), an AzureKeyCredential or a token provider callable",
        setting="credential",
    )


def _canonical_mode(mode: str) -> str:
    norm = str(mode).strip().lower().replace("-", "_")
    norm = _MODE_ALIASES.get(norm, norm)
    if norm not in AUTH_MODES:
        raise ConfigurationError(
            f"azure_auth_mode={mode!r} is not a known mode; use one of: {', '.join(AUTH_MODES)}",
            setting="azure_auth_mode",
        )
    return norm


def _providers(provider: Any, async_provider: Any, scope: str) -> BearerTokenCredential:
    return BearerTokenCredential(
        ProviderSource(provider, async_provider), scope=_need_scope(scope, "azure_ad_token_provider")
    )


def resolve_credential(
    *,
    api_key: str | SecretStr | Callable[[], Any] | None = None,
    azure_ad_token: str | SecretStr | None = None,
    azure_ad_token_provider: TokenProvider | None = None,
    azure_ad_async_token_provider: AsyncTokenProvider | None = None,
    credential: Any = None,
    azure_auth_mode: str | None = None,
    tenant_id: str | None = None,
    client_id: str | None = None,
    client_secret: str | SecretStr | None = None,
    scope: str,
    env: Mapping[str, str],
    key_style: KeyStyle = "api-key",
) -> Credential:
    """Turn settings into one Credential (precedence in the module docstring).

    ``key_style="bearer"`` (an extension) sends an API key as ``Authorization: Bearer``.
    ``api_key`` may be a callable: it is then a bearer token provider (the OpenAI client style).
    """
    if credential is not None:
        return _from_object(credential, scope, key_style)
    if azure_auth_mode is not None:
        mode = _canonical_mode(azure_auth_mode)
        if mode == "none":
            return NoCredential()
        if mode == "key":
            key = api_key if api_key is not None else env.get("AZURE_OPENAI_API_KEY")
            if key is None or callable(key):
                raise ConfigurationError(
                    'azure_auth_mode="key" needs an API key: pass api_key= or set AZURE_OPENAI_API_KEY',
                    setting="api_key",
                )
            return ApiKeyCredential(key, style=key_style)
        if mode == "token":
            if azure_ad_token_provider is not None or azure_ad_async_token_provider is not None:
                return _providers(azure_ad_token_provider, azure_ad_async_token_provider, scope)
            token = azure_ad_token if azure_ad_token is not None else env.get("AZURE_OPENAI_AD_TOKEN")
            if token is None:
                raise ConfigurationError(
                    'azure_auth_mode="token" needs a token: pass azure_ad_token= or '
                    "azure_ad_token_provider=, or set AZURE_OPENAI_AD_TOKEN",
                    setting="azure_ad_token",
                )
            return BearerTokenCredential(StaticTokenSource(token), scope=scope)
        return _named(mode, scope=scope, env=env, tenant_id=tenant_id, client_id=client_id,
                      client_secret=client_secret)
    if azure_ad_token_provider is not None or azure_ad_async_token_provider is not None:
        return _providers(azure_ad_token_provider, azure_ad_async_token_provider, scope)
    if azure_ad_token is not None:
        return BearerTokenCredential(StaticTokenSource(azure_ad_token), scope=scope)
    if api_key is not None:
        if callable(api_key) and not isinstance(api_key, SecretStr):
            return BearerTokenCredential(ProviderSource(api_key, setting="api_key"), scope=scope)
        return ApiKeyCredential(api_key, style=key_style)
    if env.get("AZURE_OPENAI_AD_TOKEN"):
        return BearerTokenCredential(
            StaticTokenSource(env["AZURE_OPENAI_AD_TOKEN"], setting="AZURE_OPENAI_AD_TOKEN"), scope=scope
        )
    if env.get("AZURE_OPENAI_API_KEY"):
        return ApiKeyCredential(env["AZURE_OPENAI_API_KEY"], style=key_style, setting="AZURE_OPENAI_API_KEY")
    if all(env.get(v) for v in _WORKLOAD_VARS):
        try:
            return _named("workload", scope=scope, env=env, tenant_id=None, client_id=None, client_secret=None)
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"{', '.join(_WORKLOAD_VARS)} are set, so workload identity was selected, but: {exc} "
                "(or pass api_key= / another credential)",
                setting=exc.setting,
            ) from exc
    raise ConfigurationError(
        "no credential for Azure OpenAI: set AZURE_OPENAI_API_KEY (or pass api_key=), pass "
        "azure_ad_token_provider= or credential= (an azure-identity credential), or choose "
        f"azure_auth_mode= one of: {', '.join(AUTH_MODES)}",
        setting="api_key",
    )


__all__ = [
    "AUTH_MODES",
    "ApiKeyCredential",
    "BearerTokenCredential",
    "Credential",
    "NamedSource",
    "NoCredential",
    "ObjectSource",
    "ProviderSource",
    "StaticTokenSource",
    "TokenAcquisitionError",
    "TokenSource",
    "decode_jwt_claims",
    "resolve_credential",
]
