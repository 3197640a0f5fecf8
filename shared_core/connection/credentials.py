"""Credentials: what authenticates a request (the ``Credential`` protocol and its three kinds).

``ApiKeyCredential`` (``api-key: KEY``, or ``Authorization: Bearer KEY`` with ``style="bearer"``),
``BearerTokenCredential`` (``Authorization: Bearer TOKEN`` from a token source through the token
cache) and ``NoCredential``. Which one a configuration gets is decided in
``credential_resolution.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import SecretStr

from shared_core.connection.secret_values import clean_secret, decode_jwt_claims
from shared_core.connection.token_cache import _TokenCache
from shared_core.connection.token_sources import TokenSource
from shared_core.errors import ConfigurationError, TokenAcquisitionError

CredentialKind = Literal["api_key", "token", "none"]
KeyStyle = Literal["api-key", "bearer"]
# Entra ID tokens are validated with a clock skew allowance (Microsoft.IdentityModel's
# TokenValidationParameters.DefaultClockSkew: 5 minutes); a static token is refused before sending
# only once Azure would certainly refuse it.
STATIC_TOKEN_SKEW = 300.0
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


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
            self._key = clean_secret(key, setting, "AZURE_OPENAI_API_KEY")
        elif isinstance(getattr(key, "key", None), str):
            self._holder = key
        else:
            raise ConfigurationError(
                f"{setting} must be a string, a SecretStr or an AzureKeyCredential, got {type(key).__name__}",
                setting=setting,
            )

    def _secret(self) -> str:
        if self._holder is not None:
            return clean_secret(self._holder.key, "AzureKeyCredential.key", None).get_secret_value()
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
        # waits for a source that hands back a refused token (token_cache.refused_wait); public, like clock
        self.sleep: Callable[[float], None] = time.sleep
        self.asleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._cache = _TokenCache(source, scope, self)

    @property
    def refreshable(self) -> bool:
        """Whether a refused token can be replaced (False for a static token: no 401 replay)."""
        return bool(getattr(self.source, "refreshable", True))

    def _expired_at(self) -> float | None:
        """The expiry of a token that nothing can refresh, once it has passed; else None."""
        expires_on = None if self.refreshable else getattr(self.source, "expires_on", None)
        if isinstance(expires_on, (int, float)) and self.clock() >= expires_on:
            return float(expires_on)
        return None

    def _refuse_expired(self) -> None:
        # Past exp plus the validator's clock skew Azure would answer 401 whatever we do; before
        # that the token is still sent (Azure may accept it) and a 401 names the expiry (describe).
        expired = self._expired_at()
        if expired is None or self.clock() < expired + STATIC_TOKEN_SKEW:
            return
        what = self.source.describe()
        ago = int(self.clock() - expired) // 60
        raise TokenAcquisitionError(
            f"{what[0].upper()}{what[1:]} expired at {_utc(expired)} ({ago} min ago) and nothing "
            f"can refresh it, so no request was sent: {self.source.what_to_do()}.",
            credential=what,
            setting=getattr(self.source, "setting", None),
        )

    def headers(self) -> dict[str, str]:
        self._refuse_expired()
        return {"Authorization": "Bearer " + self._cache.get()}

    async def aheaders(self) -> dict[str, str]:
        self._refuse_expired()
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
        expired = self._expired_at()
        if expired is not None:
            return f"{self.source.describe()}, which expired at {_utc(expired)} and cannot be refreshed"
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


__all__ = ["ApiKeyCredential", "BearerTokenCredential", "Credential", "CredentialKind", "KeyStyle", "NoCredential"]
