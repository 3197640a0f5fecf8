"""Token sources: where a ``BearerTokenCredential`` gets its tokens.

``StaticTokenSource`` (a token given once, never refreshed), ``ProviderSource`` (token provider
callables, sync and/or async), ``ObjectSource`` (an azure-core ``TokenCredential`` /
``AsyncTokenCredential`` passed in) and ``NamedSource`` (a named azure-identity mode, see
``identity.py``). A source only fetches; caching and single-flight live in ``token_cache.py``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from pydantic import SecretStr

from shared_core.connection.identity import (
    FetchedToken,
    NamedIdentitySource,
    ensure_picklable,
    fetch_async,
    fetch_sync,
    is_async_token_credential,
    token_from_access_token,
    what_to_do,
)
from shared_core.connection.secret_values import clean_secret, decode_jwt_claims
from shared_core.errors import ConfigurationError

T = TypeVar("T")
TokenProvider = Callable[[], Any]
AsyncTokenProvider = Callable[[], Awaitable[Any]]


def _provider_token(result: Any, what: str, *, returned: bool = True) -> FetchedToken:
    """Normalise what a token provider returned: a string (JWT ``exp`` read) or an AccessToken."""
    if isinstance(result, (str, SecretStr)):
        token = clean_secret(result, what, None, returned=returned)
        claims = decode_jwt_claims(token.get_secret_value())
        exp = claims.get("exp") if claims else None
        return FetchedToken(token, float(exp) if isinstance(exp, (int, float)) else None)
    if hasattr(result, "token") and hasattr(result, "expires_on"):
        fetched = token_from_access_token(result)
        return FetchedToken(
            clean_secret(fetched.token, what, None, returned=returned), fetched.expires_on, fetched.refresh_on
        )
    raise ConfigurationError(
        f"{what} returned {type(result).__name__}; it must return the token as a string (or an azure.core AccessToken)",
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
    refreshable = False  # a 401 is not replayed: the same token would go again

    def __init__(self, token: str | SecretStr, *, setting: str = "azure_ad_token") -> None:
        self.setting = setting
        self._token = _provider_token(token, setting, returned=False)

    @property
    def expires_on(self) -> float | None:
        """The JWT's ``exp`` (epoch seconds), when the token is a JWT that says one."""
        return self._token.expires_on

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
    refreshable = True

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
    refreshable = True

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
    refreshable = True

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


__all__ = [
    "AsyncTokenProvider",
    "NamedSource",
    "ObjectSource",
    "ProviderSource",
    "StaticTokenSource",
    "TokenProvider",
    "TokenSource",
]
