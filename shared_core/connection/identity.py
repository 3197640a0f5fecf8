"""azure-identity, imported lazily: named auth modes and user-supplied credential objects.

Nothing here imports ``azure.identity`` at module import; it is imported the first time a named
mode (``azure_auth_mode="managed"`` ...) is resolved or a credential object is used. A missing
install is a ``ConfigurationError`` that says ``pip install "azoai[identity]"``.

Named modes (``NamedIdentitySource``) keep only their settings when pickled; the azure-identity
object is rebuilt on first use in the new process, and also after ``reset()`` (called by the
token cache on ``invalidate()``) so that a token refused with a 401 is not handed out again from
azure-identity's own in-memory cache.

Sovereign clouds: when ``AZURE_AUTHORITY_HOST`` is not set, the Entra authority follows the token
scope (``*.azure.us`` -> ``login.microsoftonline.us``, ``*.azure.cn`` ->
``login.chinacloudapi.cn``). Authority hosts that are not a known Microsoft cloud (Azure Stack,
private clouds, a local test authority) get ``disable_instance_discovery=True``.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from pydantic import SecretStr

from shared_core.errors import ConfigurationError

INSTALL_HINT = 'pip install "azoai[identity]"'

#: Named modes served by azure-identity, mapped to the class each one builds.
IDENTITY_MODES: Mapping[str, str] = {
    "entra": "ClientSecretCredential",
    "managed": "ManagedIdentityCredential",
    "workload": "WorkloadIdentityCredential",
    "default": "DefaultAzureCredential",
    "cli": "AzureCliCredential",
}

_KNOWN_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "sts.windows.net",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)

_WHAT_TO_DO: Mapping[str, str] = {
    "entra": "check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (client secrets expire)",
    "managed": (
        "check that a managed identity is enabled on this host and, for a user-assigned identity, "
        "that client_id / AZURE_CLIENT_ID is its client id"
    ),
    "workload": (
        "check that the app registration has a federated credential for this service account and "
        "that AZURE_FEDERATED_TOKEN_FILE is readable"
    ),
    "default": "DefaultAzureCredential tried each credential in its chain; the reasons are listed above",
    "cli": "run `az login` (and `az account set` for the right tenant)",
}


@dataclass(frozen=True, slots=True)
class FetchedToken:
    """One access token as a source returned it. ``expires_on``/``refresh_on`` are epoch seconds."""

    token: SecretStr
    expires_on: float | None
    refresh_on: float | None = None


def import_identity(feature: str, *, setting: str) -> Any:
    """Import ``azure.identity`` or raise a ConfigurationError naming the extra to install."""
    try:
        return importlib.import_module("azure.identity")
    except ImportError as exc:
        raise ConfigurationError(
            f"{feature} needs the azure-identity package, which is not installed. Install it with: {INSTALL_HINT}",
            setting=setting,
        ) from exc


def authority_for(scope: str, env: Mapping[str, str]) -> str | None:
    """The Entra authority host: ``AZURE_AUTHORITY_HOST``, else the one matching the scope's cloud."""
    explicit = (env.get("AZURE_AUTHORITY_HOST") or "").strip()
    if explicit:
        return explicit
    host = (urlparse(scope).hostname or "").lower()
    if host.endswith(".azure.us"):
        return "login.microsoftonline.us"
    if host.endswith(".azure.cn"):
        return "login.chinacloudapi.cn"
    return None


def _authority_kwargs(authority: str | None) -> dict[str, Any]:
    if not authority:
        return {}
    parsed = urlparse(authority if "://" in authority else "https://" + authority)
    if parsed.scheme != "https":
        raise ConfigurationError(
            f"AZURE_AUTHORITY_HOST={authority!r} is not an https URL; Entra ID authorities must use "
            "TLS: set it to a host such as login.microsoftonline.us or https://login.microsoftonline.us",
            setting="AZURE_AUTHORITY_HOST",
        )
    kwargs: dict[str, Any] = {"authority": authority}
    if (parsed.hostname or "").lower() not in _KNOWN_AUTHORITY_HOSTS:
        # MSAL would otherwise ask login.microsoftonline.com to validate an unknown host.
        kwargs["disable_instance_discovery"] = True
    return kwargs


def _expiry(value: Any) -> float | None:
    return None if value is None else float(value)


def token_from_access_token(result: Any) -> FetchedToken:
    """An ``AccessToken`` / ``AccessTokenInfo`` (or anything with ``token`` and ``expires_on``)."""
    return FetchedToken(
        SecretStr(str(result.token)),
        _expiry(getattr(result, "expires_on", None)),
        _expiry(getattr(result, "refresh_on", None)),
    )


def is_async_token_credential(obj: Any) -> bool:
    """True for an ``AsyncTokenCredential`` (``get_token`` is a coroutine function)."""
    method = getattr(obj, "get_token_info", None) or getattr(obj, "get_token", None)
    return inspect.iscoroutinefunction(method)


def is_token_credential(obj: Any) -> bool:
    """True for anything shaped like an azure-core ``TokenCredential`` or ``SupportsTokenInfo``."""
    return callable(getattr(obj, "get_token_info", None)) or callable(getattr(obj, "get_token", None))


def fetch_sync(obj: Any, scope: str, claims: str | None) -> FetchedToken:
    """Ask a sync azure-core credential for a token; ``claims`` (a CAE challenge) bypasses its cache."""
    if callable(getattr(obj, "get_token_info", None)):
        if claims:
            return token_from_access_token(obj.get_token_info(scope, options={"claims": claims}))
        return token_from_access_token(obj.get_token_info(scope))
    if claims:
        return token_from_access_token(obj.get_token(scope, claims=claims))
    return token_from_access_token(obj.get_token(scope))


async def fetch_async(obj: Any, scope: str, claims: str | None) -> FetchedToken:
    """The same for an ``AsyncTokenCredential``."""
    if callable(getattr(obj, "get_token_info", None)):
        if claims:
            return token_from_access_token(await obj.get_token_info(scope, options={"claims": claims}))
        return token_from_access_token(await obj.get_token_info(scope))
    if claims:
        return token_from_access_token(await obj.get_token(scope, claims=claims))
    return token_from_access_token(await obj.get_token(scope))


def ensure_picklable(obj: Any, role: str, hint: str) -> None:
    """Raise a PicklingError that says what to use instead when a user object cannot be pickled."""
    try:
        pickle.dumps(obj)
    except Exception as exc:
        raise pickle.PicklingError(
            f"cannot pickle this credential: its {role} ({type(obj).__qualname__}) cannot be pickled ({exc}). {hint}"
        ) from exc


def what_to_do(mode: str) -> str:
    """The fix to suggest when a named mode fails to produce a token."""
    return _WHAT_TO_DO.get(mode, "check the credential's configuration")


class NamedIdentitySource:
    """Settings for one named azure-identity mode, and the credential object built from them.

    The object is built on first use (and once at resolve time, to validate), dropped by
    ``reset()`` and when pickled.
    """

    def __init__(
        self,
        mode: str,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: SecretStr | None = None,
        token_file: str | None = None,
        authority: str | None = None,
    ) -> None:
        if mode not in IDENTITY_MODES:
            raise ValueError(f"not an azure-identity mode: {mode!r}")
        self.mode = mode
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_file = token_file
        self.authority = authority
        self._lock = threading.Lock()
        self._credential: Any = None

    @property
    def class_name(self) -> str:
        return IDENTITY_MODES[self.mode]

    def build(self) -> Any:
        """Construct the azure-identity credential; bad settings become ConfigurationError."""
        identity = import_identity(f'azure_auth_mode="{self.mode}"', setting="azure_auth_mode")
        cls = getattr(identity, self.class_name)
        kwargs: dict[str, Any] = {}
        if self.mode == "entra":
            assert self.client_secret is not None
            kwargs = dict(
                tenant_id=self.tenant_id,
                client_id=self.client_id,
                client_secret=self.client_secret.get_secret_value(),
                **_authority_kwargs(self.authority),
            )
        elif self.mode == "managed":
            if self.client_id:
                kwargs["client_id"] = self.client_id
        elif self.mode == "workload":
            kwargs = dict(
                tenant_id=self.tenant_id,
                client_id=self.client_id,
                token_file_path=self.token_file,
                **_authority_kwargs(self.authority),
            )
        elif self.mode == "default":
            kwargs = _authority_kwargs(self.authority)
            if self.client_id:
                kwargs["managed_identity_client_id"] = self.client_id
        elif self.mode == "cli" and self.tenant_id:
            kwargs["tenant_id"] = self.tenant_id
        try:
            return cls(**kwargs)
        except ValueError as exc:
            setting = "tenant_id" if "tenant" in str(exc).lower() else "azure_auth_mode"
            raise ConfigurationError(f"{self.class_name} rejected its settings: {exc}", setting=setting) from exc

    def credential(self) -> Any:
        """The live azure-identity object, built on first use."""
        with self._lock:
            if self._credential is None:
                self._credential = self.build()
            return self._credential

    def fetch(self, scope: str, claims: str | None) -> FetchedToken:
        return fetch_sync(self.credential(), scope, claims)

    def reset(self) -> None:
        """Forget the live object (and with it azure-identity's token cache)."""
        # Not closed: another thread may be inside get_token on it; the GC closes its session.
        with self._lock:
            self._credential = None

    def close(self) -> None:
        with self._lock:
            cred, self._credential = self._credential, None
        if cred is not None and callable(getattr(cred, "close", None)):
            cred.close()

    def describe(self) -> str:
        parts: list[str] = []
        if self.mode in ("entra", "workload"):
            parts.append(f"tenant {self.tenant_id}, client id {self.client_id}")
        elif self.client_id:
            parts.append(f"client id {self.client_id}")
        elif self.mode == "managed":
            parts.append("system-assigned")
        if self.authority:
            parts.append(f"authority {self.authority}")
        return self.class_name + (f" ({', '.join(parts)})" if parts else "")

    def __repr__(self) -> str:
        secret = ", client_secret=SecretStr('**********')" if self.client_secret else ""
        return (
            f"NamedIdentitySource(mode={self.mode!r}, tenant_id={self.tenant_id!r}, "
            f"client_id={self.client_id!r}{secret}, token_file={self.token_file!r}, "
            f"authority={self.authority!r})"
        )

    def __getstate__(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "token_file": self.token_file,
            "authority": self.authority,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state.pop("mode"), **state)  # type: ignore[misc]


__all__ = [
    "IDENTITY_MODES",
    "INSTALL_HINT",
    "FetchedToken",
    "NamedIdentitySource",
    "authority_for",
    "ensure_picklable",
    "fetch_async",
    "fetch_sync",
    "import_identity",
    "is_async_token_credential",
    "is_token_credential",
    "token_from_access_token",
    "what_to_do",
]
