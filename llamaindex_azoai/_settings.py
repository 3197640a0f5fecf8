"""Connection settings shared by the LLM and the embedding classes.

LlamaIndex spellings (``api_base``, ``use_azure_ad``, deployment aliases, ``reuse_client``) are
translated here into the core's ``resolve_target`` / ``ClientOptions`` arguments. The core client
itself is created lazily, on the first call, so constructing (and importing) stays cheap.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, cast

from llama_index.core.bridge.pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_serializer,
    field_validator,
)

from shared_core.connection.redact import masked_setting, scrub_exception
from shared_core.connection.regions import FallbacksField
from shared_core.connection.routing_config import RoutingField
from shared_core.connection.spelling import Spelling

if TYPE_CHECKING:
    from shared_core.client import CoreClient


def first_of(*values: str | None) -> str | None:
    """The first value that is set (the anchors' ``resolve_from_aliases``)."""
    for v in values:
        if v:
            return v
    return None


class AzureConnection(BaseModel):
    """Endpoint, credentials and retry policy. Secrets and callables never serialise."""

    # Build validators on first construction, not at import: keeps `from llamaindex_azoai import
    # AzureOpenAI` cheap for applications that import it and configure it later.
    model_config = ConfigDict(defer_build=True)
    #: how this class's users spell the core's settings in error messages (the LLM: ``engine``)
    SPELLING: ClassVar[Mapping[str, str | None]] = {"deployment": "azure_deployment", "base_url": "api_base"}

    azure_endpoint: str | None = Field(
        default=None, description="https://RESOURCE.openai.azure.com/ (env AZURE_OPENAI_ENDPOINT)."
    )
    resource_name: str | None = Field(default=None, description="The resource name, instead of azure_endpoint.")
    api_base: str | None = Field(
        default=None,
        description="Full base URL of a gateway / APIM / proxy in front of Azure OpenAI (sent as is).",
    )
    api_version: str | None = Field(
        default=None,
        description="Dated api-version, or 'v1' for the /openai/v1 route (env AZURE_OPENAI_API_VERSION, "
        "OPENAI_API_VERSION; default the latest GA).",
    )
    api_key: SecretStr | None = Field(default=None, exclude=True, description="Key (env AZURE_OPENAI_API_KEY).")
    azure_ad_token: SecretStr | None = Field(default=None, exclude=True, description="A static Entra ID token.")
    azure_ad_token_provider: Callable[[], Any] | None = Field(
        default=None, exclude=True, description="Sync (or async) callable returning an Entra ID token."
    )
    azure_ad_async_token_provider: Callable[[], Any] | None = Field(
        default=None, exclude=True, description="Async callable returning an Entra ID token."
    )
    credential: Any | None = Field(default=None, exclude=True, description="An azure-identity credential.")
    use_azure_ad: bool = Field(
        default=False, description="Use Entra ID; with no token or provider, DefaultAzureCredential."
    )
    azure_auth_mode: str | None = Field(
        default=None,
        description="api_key, token, default, managed_identity, workload_identity, client_secret, azure_cli or none.",
    )
    tenant_id: str | None = Field(default=None)
    client_id: str | None = Field(default=None)
    client_secret: SecretStr | None = Field(default=None, exclude=True)
    token_scope: str | None = Field(default=None, description="Entra ID scope (default per cloud).")
    default_headers: dict[str, str] | None = Field(
        default=None, description="Extra headers on every request (e.g. Ocp-Apim-Subscription-Key)."
    )
    default_query: dict[str, str] | None = Field(default=None, description="Extra query parameters.")
    max_retries: int = Field(default=3, ge=0, description="Retries after the first attempt (one layer).")
    timeout: Any = Field(default=60.0, description="Seconds per attempt, or an httpx.Timeout.")
    deadline: float | None = Field(default=None, gt=0, description="Overall seconds for one call, all attempts.")
    max_retry_wait: float = Field(
        default=60.0,
        ge=0,
        description="Seconds one call may wait on 429s in total (a single longer wait raises at once).",
    )
    rpm: int | None = Field(
        default=None,
        description="The deployment's requests-per-minute quota, if you declare it: every call of the process "
        "to this deployment is paced below it. Default: learned from Azure's x-ratelimit-* headers.",
    )
    tpm: int | None = Field(
        default=None,
        description="The deployment's tokens-per-minute quota, if you declare it (each call charged its prompt "
        "estimate plus max_tokens, corrected by the usage). Default: learned from the headers.",
    )
    fallbacks: FallbacksField = Field(
        default=None,
        description="Other deployments to use when this one fails or is throttled (other regions, a "
        "pay-as-you-go deployment behind a PTU, OpenAI as a last resort): endpoint URLs or dicts of the "
        "same settings (azure_endpoint / api_base / resource_name, engine, api_version, api_key, "
        "credential, name, weight...). Unsaid settings are inherited, except that an API key only goes "
        "to the same resource; Entra ID credentials apply across the same cloud. Secrets never serialise.",
    )
    load_balancing: Literal["priority", "weighted"] = Field(
        default="priority",
        description="'priority': this deployment first, fallbacks in order on failure or 429; "
        "'weighted': spread calls over all of them by each one's weight.",
    )
    routing: RoutingField = Field(
        default=None,
        description="Every target in Portkey's config shape instead of this object's endpoint settings: "
        "{'strategy': {'mode': 'fallback' | 'loadbalance', 'on_status_codes': [...]}, 'targets': [...]} "
        "(nested strategies, weight, override_params; providers 'azure-openai' and 'openai'), or the path "
        "of a JSON / YAML file holding it. Validated before any request; errors name the entry's path.",
    )
    hedge_after: float | Literal["p95"] | None = Field(
        default=None,
        description="Latency hedging with several targets: a chat call unanswered after this many seconds (or "
        "'p95' of recent calls) also goes to a second healthy target; the first answer wins. Never for a stored "
        "completion. Default: off.",
    )
    spillover_deployment: str | None = Field(
        default=None,
        description="The standard deployment (same resource) that takes a provisioned deployment's overflow: "
        "sent as x-ms-spillover-deployment; a response it served says so in raw['spillover_from_deployment'].",
    )
    reuse_client: bool = Field(
        default=True,
        description="Kept for compatibility. One connection pool is always reused, and a client you pass "
        "in is never closed.",
    )

    _core: CoreClient | None = PrivateAttr(default=None)
    _http_client: Any = PrivateAttr(default=None)
    _async_http_client: Any = PrivateAttr(default=None)

    def __repr_args__(self) -> Any:
        # repr / str (span handlers print the instance): credential-like headers / query entries
        # (APIM keys, SAS signatures) keep their names only
        for name, value in super().__repr_args__():
            yield name, masked_setting(name or "", value)

    @field_serializer("default_headers", "default_query")
    def _dump_params(self, value: dict[str, str] | None) -> dict[str, str] | None:
        # credential-like entries (APIM subscription keys, gateway tokens) never serialize
        from shared_core.connection.redact import public_params

        return public_params(value)

    @field_serializer("timeout")
    def _dump_timeout(self, value: Any) -> Any:
        if value is None or isinstance(value, (int, float)):
            return value
        as_dict = getattr(value, "as_dict", None)  # httpx.Timeout
        return as_dict() if callable(as_dict) else str(value)

    @field_serializer("routing")
    def _dump_routing(self, value: Any) -> Any:
        from shared_core.connection.routing_config import public_routing

        return public_routing(value)

    @field_serializer("fallbacks")
    def _dump_fallbacks(self, value: Any) -> Any:
        if not value:
            return value
        from shared_core.connection.regions import public_settings

        return [public_settings(f) for f in value]

    @field_validator("timeout", mode="before")
    @classmethod
    def _load_timeout(cls, value: Any) -> Any:
        if isinstance(value, dict):
            import httpx

            return httpx.Timeout(**value)
        return value

    def _target_kwargs(self, deployment: str | None, default_deployment: str | None = None) -> dict[str, Any]:
        # an async provider in the sync slot (azure.identity.aio's get_bearer_token_provider) is
        # routed to the async slot by the core (auth.ProviderSource)
        sync_provider = self.azure_ad_token_provider
        async_provider = self.azure_ad_async_token_provider
        mode = self.azure_auth_mode
        token_given = self.azure_ad_token or sync_provider or async_provider or self.credential
        if self.use_azure_ad and mode is None and not token_given:
            mode = "default"
        api_key: Any = None if self.use_azure_ad else self.api_key
        if api_key is None and mode is None and not token_given:
            # The anchors (and their README) also take the key from OPENAI_API_KEY when neither
            # Azure variable is set. Private until the core offers it (move to core).
            env = os.environ
            if not env.get("AZURE_OPENAI_API_KEY") and not env.get("AZURE_OPENAI_AD_TOKEN"):
                api_key = env.get("OPENAI_API_KEY") or None
        return dict(
            azure_endpoint=None if self.api_base else self.azure_endpoint,
            resource_name=self.resource_name,
            base_url=self.api_base,
            deployment=deployment,
            api_version=self.api_version,
            api_key=api_key,
            azure_ad_token=self.azure_ad_token,
            azure_ad_token_provider=sync_provider,
            azure_ad_async_token_provider=async_provider,
            credential=self.credential,
            azure_auth_mode=mode,
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_scope=self.token_scope,
            default_headers=self.default_headers,
            default_query=self.default_query,
            default_deployment=default_deployment,
            spelling=Spelling(self.SPELLING),
            spillover_deployment=self.spillover_deployment,
            rpm=self.rpm,
            tpm=self.tpm,
        )

    def _build_core(
        self, deployment: str | None, http_client: Any, async_http_client: Any, default_deployment: str | None = None
    ) -> CoreClient:
        from shared_core.client import CoreClient
        from shared_core.connection.config import ClientOptions, resolve_target

        plan = None
        targets: Any
        if self.routing is not None:
            from shared_core.connection.routing_config import refuse_beside_routing, resolve_routing

            # routing= holds every target: none of this object's own endpoint settings may say otherwise
            given = {k: getattr(self, k) for k in _CONNECTION_SETTINGS}
            refuse_beside_routing({k: v for k, v in given.items() if v not in (None, False)}, self.fallbacks)
            targets, plan = resolve_routing(self.routing)
        elif self.fallbacks:
            from shared_core.connection.regions import resolve_targets

            targets = resolve_targets(
                self._target_kwargs(deployment, default_deployment), self.fallbacks, load_balancing=self.load_balancing
            )
        else:
            targets = resolve_target(**self._target_kwargs(deployment, default_deployment))
        options = ClientOptions(
            timeout=self.timeout,
            max_retries=self.max_retries,
            deadline=self.deadline,
            max_retry_wait=self.max_retry_wait,
            hedge_after=self.hedge_after,
        )
        return CoreClient(
            targets, options=options, http_client=http_client, http_async_client=async_http_client, plan=plan
        )


_CLIENT_LOCK = threading.Lock()
#: the settings that say where calls go: refused beside routing=
_CONNECTION_SETTINGS = (
    "azure_endpoint", "resource_name", "api_base", "api_version", "api_key", "azure_ad_token",
    "azure_ad_token_provider", "azure_ad_async_token_provider", "credential", "use_azure_ad", "azure_auth_mode",
    "tenant_id", "client_id", "client_secret", "token_scope", "default_headers", "default_query",
    "spillover_deployment",
)  # fmt: skip
#: live objects a pickled copy starts without: clients (re-created on first use), per-loop state
_LIVE = ("_core", "_http_client", "_async_http_client", "_semaphores")


class CoreClientOwner:
    """The core client of an ``AzureConnection``: built once on first use (under a lock, so
    threads racing to make the first call share one), closed by ``close()`` / ``aclose()`` or a
    ``with`` block, or when the object is collected; never pickled. Listed first among the bases
    so that its ``__getstate__`` runs before LlamaIndex's generic one."""

    if TYPE_CHECKING:
        _core: CoreClient | None
        _http_client: Any
        _async_http_client: Any

        def _build_core(
            self,
            deployment: str | None,
            http_client: Any,
            async_http_client: Any,
            default_deployment: str | None = None,
        ) -> CoreClient: ...

    def _core_deployment(self) -> str | None:
        """The deployment this object calls; each class names its field."""
        raise NotImplementedError

    def _core_default_deployment(self) -> str | None:
        """The deployment to use only when nothing else names one (argument, pasted URL, env)."""
        return None

    def _core_built(self, core: CoreClient) -> None:
        """Called once, under the lock, with the new client."""

    def _client(self) -> CoreClient:
        core = self._core
        if core is None:
            with _CLIENT_LOCK:
                core = self._core
                if core is None:
                    try:
                        core = self._build_core(
                            self._core_deployment(),
                            self._http_client,
                            self._async_http_client,
                            default_deployment=self._core_default_deployment(),
                        )
                    except Exception as exc:  # errors quote a pasted URL, query keys included
                        scrub_exception(exc)
                        raise
                    self._core = core
                    self._core_built(core)
        return core

    def close(self) -> None:
        """Close our connection pools (never a client you passed in)."""
        if self._core is not None:
            self._core.close()

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        if self._core is not None:
            await self._core.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __getstate__(self) -> dict[Any, Any]:
        return drop_unpicklable(cast(dict[str, Any], super().__getstate__()), _LIVE)


def drop_unpicklable(state: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Pickled copies start without live clients; they are re-created on first use."""
    private = state.get("__pydantic_private__")
    if private:
        private = dict(private)
        for n in names:
            if n in private:
                private[n] = None
        state = {**state, "__pydantic_private__": private}
    return state
