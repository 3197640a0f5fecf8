"""Connection settings shared by the chat model, the embeddings and the legacy LLM: one place.

Field names, aliases and environment variables match langchain-openai's Azure classes so that
changing the import line is the whole migration. Everything here is plain data: the core client
is created on first use (construction stays well under a millisecond), and all resolution,
validation of endpoints and credentials happens in ``shared_core``.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Self

from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, Field, FieldSerializationInfo, PrivateAttr, SecretStr, field_serializer

from shared_core.connection.redact import masked_setting, scrub_exception
from shared_core.connection.regions import FallbacksField
from shared_core.connection.routing_config import RoutingField
from shared_core.connection.spelling import Spelling

if TYPE_CHECKING:
    from shared_core.client import CoreClient

_CLIENT_LOCK = threading.Lock()
#: the settings of this object that still apply under routing= (transport options, HTTP clients)
_ROUTING_OPTIONS = frozenset(
    {"timeout", "max_retries", "deadline", "max_retry_wait", "hedge_after", "proxy", "http_client", "http_async_client"}
)

ApiKey = SecretStr | Callable[[], str] | Callable[[], Awaitable[str]]


# how LangChain users spell the core's settings in error messages (every class here takes
# azure_deployment=, none takes token_scope=)
SPELLING = Spelling({"deployment": "azure_deployment", "token_scope": None})


# the secret id each fallback's secret gets in dumpd: fallbacks[1].api_key ->
# AZURE_OPENAI_FALLBACK_1_API_KEY (load it back with secrets_map= or secrets_from_env=True)
_FALLBACK_SECRET_IDS = {"api_key": "API_KEY", "azure_ad_token": "AD_TOKEN", "client_secret": "CLIENT_SECRET"}


def fallback_secret_id(index: int, setting: str) -> str:
    """The ``dumpd`` secret id of ``fallbacks[index].<setting>``."""
    return f"AZURE_OPENAI_FALLBACK_{index}_{_FALLBACK_SECRET_IDS[setting]}"


def _secret(value: Any) -> Any:
    """SecretStr -> str for the core; callables and None pass through."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


class AzureConnectionFields(BaseModel):
    """Endpoint, credential and transport settings (see ``shared_core.connection.config.resolve_target``)."""

    azure_endpoint: str | None = Field(default_factory=from_env("AZURE_OPENAI_ENDPOINT", default=None))
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
    azure_ad_token: SecretStr | None = Field(default_factory=secret_from_env("AZURE_OPENAI_AD_TOKEN", default=None))
    """A static Entra ID token (env ``AZURE_OPENAI_AD_TOKEN``); expires after about an hour:
    prefer ``credential`` or a token provider."""
    azure_ad_token_provider: Callable[[], str] | None = Field(default=None, exclude=True)
    """Sync callable returning a bearer token; cached by the core until near expiry."""
    azure_ad_async_token_provider: Callable[[], Awaitable[str]] | None = Field(default=None, exclude=True)
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
    request_timeout: float | tuple[float, float] | Any | None = Field(default=None, alias="timeout")
    """Per-attempt timeout in seconds (or an ``httpx.Timeout``); default 60 s."""
    max_retries: int | None = None
    """Retries after the first attempt (default 2): connection errors, 408, 409, 429, 5xx."""
    deadline: float | None = None
    """Overall seconds for one call across all attempts; None = no limit."""
    max_retry_wait: float | None = None
    """A server-requested wait longer than this raises ``RateLimitError`` at once (default 60)."""
    rpm: int | None = None
    """The deployment's requests-per-minute quota, if you want to declare it: calls of every
    client, thread and task of the process to this deployment are paced below it. Default: learned
    from Azure's ``x-ratelimit-*`` headers."""
    tpm: int | None = None
    """The deployment's tokens-per-minute quota, if you want to declare it (each call is charged its
    prompt estimate plus ``max_tokens``, corrected by the usage). Default: learned from the headers."""
    default_headers: Mapping[str, str] | None = None
    default_query: Mapping[str, object] | None = None
    fallbacks: FallbacksField = None
    """Other deployments to use when this one fails or is throttled: other regions, another
    deployment on the same resource (PTU then pay-as-you-go), OpenAI as a last resort. Each is
    an endpoint URL or a dict of the same settings (``azure_endpoint`` / ``base_url`` /
    ``resource_name``, ``azure_deployment``, ``api_version``, ``api_key``, ``credential``,
    ``name``, ``weight``, ...). Unsaid settings are inherited from this object, except that an API
    key (and ``default_headers``) only go to the same resource; Entra ID credentials apply across
    the same cloud. Failover happens inside one call, per attempt, before any token is streamed,
    with a circuit breaker per target: unlike ``Runnable.with_fallbacks``, which re-runs the whole
    runnable on another model after this one has given up (retries included)."""
    load_balancing: Literal["priority", "weighted"] | None = None
    """``"priority"`` (default): this deployment first, fallbacks in order when it fails or is
    throttled. ``"weighted"``: spread calls over all of them by each one's ``weight``."""
    routing: RoutingField = None
    """Every target in Portkey's config shape instead of this object's endpoint settings: a dict
    ``{"strategy": {"mode": "fallback" | "loadbalance", "on_status_codes": [...]}, "targets":
    [...]}`` (nested strategies, ``weight``, ``override_params``; targets of provider
    ``"azure-openai"`` or ``"openai"``) or the path of a JSON / YAML file holding it. Validated
    before any request; errors name the entry's path (``targets[1].weight``). See
    ``shared_core.connection.routing_config``."""
    hedge_after: float | Literal["p95"] | None = None
    """Latency hedging with several targets: a chat call still unanswered after this many seconds
    (or ``"p95"``: the 95th percentile of recent calls) also goes to a second healthy target, and
    the first answer wins. Never for a stored completion (``store=True``). Default: off."""
    spillover_deployment: str | None = None
    """The standard deployment (same resource) that takes a provisioned deployment's overflow:
    sent as ``x-ms-spillover-deployment``; a response it served says so in
    ``response_metadata["spillover_from_deployment"]``."""
    http_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (never closed by us)."""
    http_async_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` (never closed by us)."""

    _core: Any = PrivateAttr(default=None)

    @field_serializer("routing")
    def _dump_routing(self, value: Any) -> Any:
        from shared_core.connection.routing_config import public_routing

        return public_routing(value)

    @field_serializer("default_headers", "default_query", "fallbacks")
    def _dump_masked(self, value: Any, info: FieldSerializationInfo) -> Any:
        # model_dump: credential-like headers / query entries (APIM keys) keep their names only
        return masked_setting(info.field_name, value)

    def __repr_args__(self) -> Any:
        # repr / str, and the "repr" LangChain's dumpd writes for classes it cannot serialize
        for name, value in super().__repr_args__():
            yield name, masked_setting(name or "", value)

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The secret fields of every class built on these settings, and their env vars.

        "fallbacks" is listed so that LangChain leaves the secret markers ``to_json()`` puts
        inside it alone; the list itself is never replaced by one marker (see ``to_json``)."""
        return {
            "openai_api_key": "AZURE_OPENAI_API_KEY",
            "azure_ad_token": "AZURE_OPENAI_AD_TOKEN",
            "client_secret": "AZURE_CLIENT_SECRET",
            "fallbacks": "AZURE_OPENAI_FALLBACKS",
        }

    def to_json(self) -> Any:
        """LangChain's serialization, with each fallback's secrets as secret markers
        (``AZURE_OPENAI_FALLBACK_<i>_API_KEY``...), live objects (credentials) left out, and
        credential-like ``default_headers`` / ``default_query`` entries (APIM keys) left out."""
        data: Any = super().to_json()  # type: ignore[misc]  # Serializable's, next in the MRO
        kwargs = data.get("kwargs") if isinstance(data, dict) else None
        if isinstance(kwargs, dict):
            from shared_core.connection.redact import public_params

            for name in ("default_headers", "default_query"):
                if isinstance(kwargs.get(name), Mapping):
                    kwargs[name] = public_params(kwargs[name])
        if isinstance(kwargs, dict) and self.fallbacks:
            from shared_core.connection.regions import public_settings

            def marker(index: int) -> Callable[[str], dict[str, Any]]:
                return lambda setting: {"lc": 1, "type": "secret", "id": [fallback_secret_id(index, setting)]}

            kwargs["fallbacks"] = [public_settings(f, secret=marker(i)) for i, f in enumerate(self.fallbacks)]
        if isinstance(kwargs, dict) and self.routing is not None:
            from shared_core.connection.routing_config import public_routing

            kwargs["routing"] = public_routing(self.routing)  # secrets left out; ${VARIABLE} references kept
        return data

    # ------------------------------------------------------------------ core client

    def _deployment_for_core(self) -> str | None:
        """The deployment this object routes to; subclasses name their field."""
        raise NotImplementedError

    def _default_deployment_for_core(self) -> str | None:
        """The deployment when none is given, pasted or in the environment (the model name)."""
        return None

    def _core_settings(self) -> dict[str, Any]:
        """Keyword arguments for ``CoreClient.from_settings``: values only, no decisions."""
        kw: dict[str, Any] = {
            "azure_endpoint": self.azure_endpoint,
            "resource_name": self.resource_name,
            "base_url": self.openai_api_base,
            "deployment": self._deployment_for_core(),
            "default_deployment": self._default_deployment_for_core(),
            "spelling": SPELLING,
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
            "default_query": ({k: str(v) for k, v in self.default_query.items()} if self.default_query else None),
            "rpm": self.rpm,
            "tpm": self.tpm,
            "http_client": self.http_client,
            "http_async_client": self.http_async_client,
            "spillover_deployment": self.spillover_deployment,
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
        if self.hedge_after is not None:
            kw["hedge_after"] = self.hedge_after
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
                    settings = self._core_settings()
                    try:
                        if self.routing is not None:
                            from shared_core.client import client_from_settings

                            # routing= holds every target: this object's endpoint settings (and
                            # the AZURE_OPENAI_* variables they were read from) are not used
                            core = client_from_settings(
                                routing=self.routing,
                                fallbacks=self.fallbacks,
                                spillover_deployment=self.spillover_deployment,
                                **{k: v for k, v in settings.items() if k in _ROUTING_OPTIONS},
                            )
                        elif self.fallbacks:
                            from shared_core.client import client_from_settings

                            core = client_from_settings(
                                fallbacks=self.fallbacks, load_balancing=self.load_balancing or "priority", **settings
                            )
                        else:
                            from shared_core.client import CoreClient

                            core = CoreClient.from_settings(**settings)
                    except Exception as exc:  # errors quote a pasted URL, query keys included
                        scrub_exception(exc)
                        raise
                    self._core = core
        return core  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the connections this object opened (never an ``http_client`` you passed in).
        A later call opens new ones; a dropped object closes them when it is collected."""
        core = self._core
        if core is not None:
            core.close()

    async def aclose(self) -> None:
        """Async :meth:`close` (also closes the async connections)."""
        core = self._core
        if core is not None:
            await core.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __getstate__(self) -> dict[Any, Any]:
        # The core client holds sockets and locks: rebuild it lazily after unpickling.
        state = super().__getstate__()
        private = state.get("__pydantic_private__")
        if private and private.get("_core") is not None:
            state = dict(state)
            state["__pydantic_private__"] = {**private, "_core": None}
        return state


class ClosesItsWrapper:
    """``close()`` / ``aclose()`` and ``with`` / ``async with`` for the agent tools: they close
    the connection object they hold as ``api_wrapper``."""

    if TYPE_CHECKING:
        api_wrapper: AzureConnectionFields

    def close(self) -> None:
        """Close the connections the wrapper opened (never an ``http_client`` you passed in)."""
        self.api_wrapper.close()

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        await self.api_wrapper.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
