"""Connection settings shared by the chat model, the embeddings and the legacy LLM: one place.

Field names, aliases and environment variables match langchain-openai's Azure classes so that
changing the import line is the whole migration. Everything here is plain data: the core client
is created on first use (construction stays well under a millisecond), and all resolution,
validation of endpoints and credentials happens in ``shared_core``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, Field, PrivateAttr, SecretStr

if TYPE_CHECKING:
    from shared_core.client import CoreClient

_CLIENT_LOCK = threading.Lock()

ApiKey = SecretStr | Callable[[], str] | Callable[[], Awaitable[str]]


def _env_deployment() -> str | None:
    return os.environ.get("AZURE_OPENAI_DEPLOYMENT") or None


def _secret(value: Any) -> Any:
    """SecretStr -> str for the core; callables and None pass through."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


class AzureConnectionFields(BaseModel):
    """Endpoint, credential and transport settings (see ``shared_core.config.resolve_target``)."""

    azure_endpoint: str | None = Field(
        default_factory=from_env("AZURE_OPENAI_ENDPOINT", default=None)
    )
    """``https://<resource>.openai.azure.com/`` (env ``AZURE_OPENAI_ENDPOINT``). A pasted full
    URL (with ``/openai/deployments/...`` or ``/openai/v1``) is taken apart by the core."""
    resource_name: str | None = None
    """Alternative to ``azure_endpoint``: just the resource name."""
    openai_api_base: str | None = Field(default=None, alias="base_url")
    """A full base URL: API gateways (APIM), custom domains, ``.../openai/v1``."""
    openai_api_version: str | None = Field(
        alias="api_version",
        default_factory=from_env(["AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION"], default=None),
    )
    """REST API version (not the model version). ``"v1"`` selects the v1 GA API. Env
    ``AZURE_OPENAI_API_VERSION`` then ``OPENAI_API_VERSION``; default: the core's GA version."""
    openai_api_key: ApiKey | None = Field(
        alias="api_key",
        default_factory=secret_from_env(["AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"], default=None),
    )
    """Key (env ``AZURE_OPENAI_API_KEY``, then ``OPENAI_API_KEY``), or a sync/async callable
    returning one."""
    azure_ad_token: SecretStr | None = Field(
        default_factory=secret_from_env("AZURE_OPENAI_AD_TOKEN", default=None)
    )
    """A static Entra ID token (env ``AZURE_OPENAI_AD_TOKEN``); expires after about an hour:
    prefer ``credential`` or a token provider."""
    azure_ad_token_provider: Callable[[], str] | None = Field(default=None, exclude=True)
    """Sync callable returning a bearer token; cached by the core until near expiry."""
    azure_ad_async_token_provider: Callable[[], Awaitable[str]] | None = Field(
        default=None, exclude=True
    )
    """Async callable returning a bearer token, used by async calls."""
    credential: Any | None = Field(default=None, alias="azure_credential", exclude=True)
    """An ``azure.core`` ``TokenCredential`` (e.g. ``DefaultAzureCredential()``)."""
    azure_auth_mode: str | None = None
    """Force an auth mode (``"key"``, ``"token"``, ``"default"``, ``"managed_identity"``,
    ``"client_secret"``, ``"workload_identity"``, ``"cli"``, ``"none"``); default: inferred."""
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    openai_organization: str | None = Field(default=None, alias="organization")
    """Legacy; accepted for compatibility, not sent to Azure."""
    openai_proxy: str | None = Field(default_factory=from_env("OPENAI_PROXY", default=None))
    """HTTP proxy URL for our own clients (honoured, unlike langchain-openai's Azure classes)."""
    request_timeout: float | tuple[float, float] | Any | None = Field(
        default=None, alias="timeout"
    )
    """Per-attempt timeout in seconds (or an ``httpx.Timeout``); default 60 s."""
    max_retries: int | None = None
    """Retries after the first attempt (default 2): connection errors, 408, 409, 429, 5xx."""
    deadline: float | None = None
    """Overall seconds for one call across all attempts; None = no limit."""
    max_retry_wait: float | None = None
    """A server-requested wait longer than this raises ``RateLimitError`` at once (default 60)."""
    default_headers: Mapping[str, str] | None = None
    default_query: Mapping[str, object] | None = None
    http_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (never closed by us)."""
    http_async_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` (never closed by us)."""

    _core: Any = PrivateAttr(default=None)

    # ------------------------------------------------------------------ core client

    def _deployment_for_core(self) -> str | None:
        """The deployment this object routes to; subclasses name their field."""
        raise NotImplementedError

    def _core_settings(self) -> dict[str, Any]:
        """Keyword arguments for ``CoreClient.from_settings``: values only, no decisions."""
        kw: dict[str, Any] = {
            "azure_endpoint": self.azure_endpoint,
            "resource_name": self.resource_name,
            "base_url": self.openai_api_base,
            "deployment": self._deployment_for_core(),
            "api_version": self.openai_api_version,
            "api_key": _secret(self.openai_api_key),
            "azure_ad_token": _secret(self.azure_ad_token),
            "azure_ad_token_provider": self.azure_ad_token_provider,
            "azure_ad_async_token_provider": self.azure_ad_async_token_provider,
            "credential": self.credential,
            "azure_auth_mode": self.azure_auth_mode,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": _secret(self.client_secret),
            "default_headers": dict(self.default_headers) if self.default_headers else None,
            "default_query": (
                {k: str(v) for k, v in self.default_query.items()} if self.default_query else None
            ),
            "http_client": self.http_client,
            "http_async_client": self.http_async_client,
        }
        if self.request_timeout is not None:
            timeout = self.request_timeout
            if isinstance(timeout, tuple):
                import httpx

                timeout = httpx.Timeout(timeout[1], connect=timeout[0])
            kw["timeout"] = timeout
        if self.max_retries is not None:
            kw["max_retries"] = self.max_retries
        if self.deadline is not None:
            kw["deadline"] = self.deadline
        if self.max_retry_wait is not None:
            kw["max_retry_wait"] = self.max_retry_wait
        if self.openai_proxy:
            kw["proxy"] = self.openai_proxy
        return kw

    def _client(self) -> CoreClient:
        """The core client, created on first use (and after unpickling)."""
        core = self._core
        if core is None:
            with _CLIENT_LOCK:
                core = self._core
                if core is None:
                    from shared_core.client import CoreClient

                    core = CoreClient.from_settings(**self._core_settings())
                    self._core = core
        return core  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[Any, Any]:
        # The core client holds sockets and locks: rebuild it lazily after unpickling.
        state = super().__getstate__()
        private = state.get("__pydantic_private__")
        if private and private.get("_core") is not None:
            state = dict(state)
            state["__pydantic_private__"] = {**private, "_core": None}
        return state
