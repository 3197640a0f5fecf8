"""Resolve arguments and environment into one validated, immutable ``Target``.

Everything a request needs to find its way (endpoint kind, URL prefix, deployment, api-version,
cloud, token scope, credential) is decided here, before any request, and every bad input raises
``ConfigurationError(setting=...)`` naming the setting and the fix.

Precedence: an argument wins over the environment. Environment variables: ``AZURE_OPENAI_ENDPOINT``,
``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_AD_TOKEN``, ``AZURE_OPENAI_API_VERSION`` then
``OPENAI_API_VERSION``, ``AZURE_OPENAI_DEPLOYMENT``. For ``api.openai.com`` the key comes from
``OPENAI_API_KEY`` (an Azure key is never sent to OpenAI).

Where the endpoint comes from (give one of the three):

``azure_endpoint``
    The resource URL, ``https://{resource}.openai.azure.com/`` (or ``.cognitiveservices.azure.com``,
    ``.services.ai.azure.com``, ``.openai.azure.us``, ``.openai.azure.cn``, a custom domain, or
    ``http://127.0.0.1:port`` for the emulator). ``/openai`` is appended, as the openai SDK does;
    a path already ending in ``/openai`` or ``/openai/v1`` is respected. A pasted request URL
    (``https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=...``) is
    taken apart into endpoint, deployment and api-version.
``resource_name``
    Shortcut for ``https://{resource_name}.openai.azure.com``.
``base_url``
    The full URL prefix, for API gateways (APIM, proxies) in front of Azure. Rule:
    a path ending in ``/v1`` is the v1 API (``{base_url}/{op}``, deployment in the body);
    a path containing ``/deployments/{d}`` carries the deployment (dated API, prefix before it);
    otherwise ``base_url`` replaces ``https://{resource}.openai.azure.com/openai`` (dated API:
    ``{base_url}/deployments/{d}/{op}?api-version=...``; with ``api_version="v1"``:
    ``{base_url}/v1/{op}``).

The API generation follows ``api_version``: a dated ``YYYY-MM-DD[-preview]`` selects the dated API
(default ``2024-10-21`` when none is given); ``"v1"``, ``"preview"`` or ``"latest"`` select the v1
API (``/openai/v1/...``, deployment in the body's ``model``; ``preview``/``latest`` are sent as
``api-version``, ``v1`` is not). A URL that says ``/openai/v1`` selects v1 by itself, and then an
api-version from the *environment* is ignored (a dated one given as an argument is refused).
Query parameters of a pasted URL other than ``api-version`` become ``default_query``.

Precedence for the deployment: the argument; else one a pasted URL names; else
``AZURE_OPENAI_DEPLOYMENT``; else ``default_deployment`` (the adapters' model name, which names the
deployment when nothing else does, as in langchain-openai). A pasted URL and an explicit argument
that disagree are refused.

``resolve_target`` runs ``RULES``, a table of small steps, each of which reads the settings and
what earlier steps decided, and either records its decision or raises naming the fix. Messages
name each setting through the caller's ``Spelling`` (``spelling.py``): the adapters and the CLI
pass their own, so that a LangChain user reads ``azure_deployment=`` and a CLI user ``--deployment``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from shared_core.connection.endpoints import (
    CHINA_SCOPE,
    OPENAI_BASE,
    PUBLIC_SCOPE,
    USGOV_SCOPE,
    Cloud,
    Kind,
    _Parsed,
    cloud_for_host,
    deployment_in_endpoint,
    is_loopback,
    parse_endpoint,
)
from shared_core.connection.redact import masked_setting, refuse_masked
from shared_core.connection.redact import public_params as public_params  # its old home
from shared_core.connection.spelling import CORE, Spelling
from shared_core.errors import ConfigurationError

if TYPE_CHECKING:
    from shared_core.connection.credentials import Credential

DEFAULT_API_VERSION = "2024-10-21"
V1_VERSIONS = frozenset({"v1", "preview", "latest"})

_DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-preview)?$")
_RESOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
_AUTH_HEADERS = frozenset({"api-key", "authorization"})
_ENDPOINT_SETTINGS = ("azure_endpoint", "resource_name", "base_url")


@dataclass(frozen=True, slots=True)
class Target:
    """One place requests go to: validated, immutable, safe to log (no secret in repr)."""

    name: str
    kind: Kind
    base: str
    deployment: str | None
    api_version: str | None
    cloud: Cloud
    token_scope: str
    credential: Credential
    weight: float = 1.0
    default_headers: Mapping[str, str] = field(default_factory=dict)
    default_query: Mapping[str, str] = field(default_factory=dict)
    #: body parameters this target's requests carry over the caller's (a routing config's override_params)
    override_params: Mapping[str, Any] = field(default_factory=dict)
    # how the user who configured it spells settings (for errors raised later, e.g. routes)
    spelling: Spelling = field(default=CORE, compare=False, repr=False)
    # the deployment's quota as the user declared it (None: learned from the answers' headers)
    rpm: int | None = None
    tpm: int | None = None

    def __repr__(self) -> str:
        # default_headers / default_query may hold APIM keys or SAS signatures: masked by name
        shown = ", ".join(f"{f.name}={masked_setting(f.name, getattr(self, f.name))!r}" for f in fields(self) if f.repr)
        return f"Target({shown})"


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Transport options shared by every target of a client."""

    timeout: float | httpx.Timeout | None = 60.0  # per attempt
    max_retries: int = 2
    deadline: float | None = None  # overall seconds for one call, all attempts
    max_retry_wait: float = 60.0  # seconds one call may wait on 429s in total; a single longer wait raises at once
    use_aiohttp: bool | None = None  # None = use it when installed (own async client only)
    proxy: str | None = None
    verify: bool | str = True
    # seconds, or "p95": then the same chat request also goes to a second target (policy/hedging.py)
    hedge_after: float | str | None = None

    def __post_init__(self) -> None:
        hedge = self.hedge_after
        if hedge is not None and hedge != "p95" and (isinstance(hedge, (bool, str)) or not hedge > 0):
            raise ConfigurationError(
                f"hedge_after={hedge!r} must be positive seconds, or 'p95' (the 95th percentile of recent calls)",
                setting="hedge_after",
            )
        if self.max_retries < 0:
            raise ConfigurationError(
                f"max_retries={self.max_retries} is negative: use 0 to disable retries",
                setting="max_retries",
            )
        if isinstance(self.timeout, (int, float)) and self.timeout <= 0:
            raise ConfigurationError(
                f"timeout={self.timeout} must be positive seconds (or None for no timeout)",
                setting="timeout",
            )
        if self.deadline is not None and self.deadline <= 0:
            raise ConfigurationError(
                f"deadline={self.deadline} must be positive seconds (or None for no limit)",
                setting="deadline",
            )
        if self.max_retry_wait < 0:
            raise ConfigurationError(
                f"max_retry_wait={self.max_retry_wait} must be >= 0 seconds",
                setting="max_retry_wait",
            )


def validate_api_version(
    value: str, setting: str = "api_version", *, spelling: Spelling = CORE, subject: str | None = None
) -> str:
    """Return the stripped api-version or raise naming the accepted forms.

    ``subject`` replaces ``setting=value`` at the start of the message (a version found in a URL).
    """
    v = value.strip()
    if v.lower() in V1_VERSIONS:
        return v.lower()
    m = _DATED.match(v)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return v
    raise ConfigurationError(
        f"{subject or spelling.kw(setting, value)} is not an Azure OpenAI api-version: use a dated "
        f"version such as '{DEFAULT_API_VERSION}' or '2025-04-01-preview' (YYYY-MM-DD or "
        "YYYY-MM-DD-preview), or 'v1' for the v1 API (/openai/v1, no api-version)",
        setting=spelling.name(setting),
    )


def missing_deployment(spelling: Spelling = CORE) -> ConfigurationError:
    """The error for a dated-API target without a deployment (adapters that check at construction
    raise this one too, so the message is the same everywhere)."""
    return ConfigurationError(
        f"no deployment: pass {spelling.kw('deployment', '<deployment name>')} or set "
        "AZURE_OPENAI_DEPLOYMENT. It is the name you gave the deployment in Azure AI Foundry "
        "(under Deployments), which is not always the model name",
        setting=spelling.name("deployment"),
    )


def _pick(arg: str | None, env: Mapping[str, str], *names: str) -> tuple[str | None, str | None]:
    """(value, where it came from): the argument, else the first set environment variable."""
    if arg is not None and str(arg).strip():
        return str(arg).strip(), "argument"
    for n in names:
        v = env.get(n)
        if v and v.strip():
            return v.strip(), n
    return None, None


@dataclass(frozen=True, slots=True)
class Settings:
    """``resolve_target``'s arguments, as given (secrets included: never logged)."""

    azure_endpoint: str | None = None
    resource_name: str | None = None
    base_url: str | None = None
    deployment: str | None = None
    default_deployment: str | None = None
    api_version: str | None = None
    api_key: str | SecretStr | Callable[[], Any] | None = None
    azure_ad_token: str | SecretStr | None = None
    azure_ad_token_provider: Any = None
    azure_ad_async_token_provider: Any = None
    credential: Any = None
    azure_auth_mode: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | SecretStr | None = None
    token_scope: str | None = None
    name: str | None = None
    default_headers: Mapping[str, str] | None = None
    default_query: Mapping[str, str] | None = None
    weight: float = 1.0
    require_deployment: bool = True
    rpm: int | None = None
    tpm: int | None = None

    def __repr__(self) -> str:
        return "Settings(...)"  # holds secrets


@dataclass(slots=True)
class Draft:
    """What the rules have decided so far."""

    settings: Settings
    env: Mapping[str, str]
    spelling: Spelling = CORE
    endpoint_setting: str = "azure_endpoint"  # a setting name, or the environment variable
    parsed: _Parsed | None = None
    api_version: str | None = None
    deployment: str | None = None
    kind: Kind = "dated"
    base: str = ""
    cloud: Cloud = "custom"
    token_scope: str = PUBLIC_SCOPE
    default_headers: dict[str, str] = field(default_factory=dict)
    default_query: dict[str, str] = field(default_factory=dict)
    credential: Credential | None = None

    @property
    def endpoint(self) -> _Parsed:
        assert self.parsed is not None, "the endpoint rule runs first"
        return self.parsed

    @property
    def where(self) -> str:
        """The endpoint's setting as the user spells it."""
        return self.spelling.name(self.endpoint_setting)

    def target(self) -> Target:
        assert self.credential is not None, "the credential rule runs last"
        return Target(
            name=self.settings.name or self.endpoint.host,
            kind=self.kind,
            base=self.base,
            deployment=self.deployment,
            api_version=self.api_version,
            cloud=self.cloud,
            token_scope=self.token_scope,
            credential=self.credential,
            weight=float(self.settings.weight),
            default_headers=self.default_headers,
            default_query=self.default_query,
            spelling=self.spelling,
            rpm=self.settings.rpm,
            tpm=self.settings.tpm,
        )


Rule = Callable[[Draft], None]


def rule_one_endpoint_setting(d: Draft) -> None:
    """At most one of azure_endpoint / resource_name / base_url."""
    sp = d.spelling
    given = [n for n in _ENDPOINT_SETTINGS if getattr(d.settings, n)]
    if len(given) > 1:
        uses = {
            "azure_endpoint": "for a resource URL",
            "resource_name": "for its name",
            "base_url": "for a gateway's full URL prefix",
        }
        which = ", ".join(f"{sp.kw(n)} {uses[n]}" for n in _ENDPOINT_SETTINGS if sp.has(n))
        raise ConfigurationError(
            f"{' and '.join(sp.kw(n) for n in given)} were both given: pass only one ({which})",
            setting=sp.name(given[1]),
        )


def rule_endpoint(d: Draft) -> None:
    """Parse the endpoint: resource_name, base_url, else azure_endpoint / AZURE_OPENAI_ENDPOINT."""
    s, sp = d.settings, d.spelling
    if s.resource_name:
        if not _RESOURCE.match(s.resource_name.strip()):
            raise ConfigurationError(
                f"{sp.kw('resource_name', s.resource_name)} is not an Azure resource name (letters, "
                f"digits, hyphens): for a full URL use {sp.kw('azure_endpoint')} instead",
                setting=sp.name("resource_name"),
            )
        d.endpoint_setting = "resource_name"
        url, is_base = f"https://{s.resource_name.strip()}.openai.azure.com", False
    elif s.base_url:
        d.endpoint_setting = "base_url"
        url, is_base = s.base_url, True
    else:
        endpoint, source = _pick(s.azure_endpoint, d.env, "AZURE_OPENAI_ENDPOINT")
        if endpoint is None:
            others = sp.choices("resource_name", "base_url")
            alt = f" (or {' or '.join(others)} for a gateway)" if others else ""
            raise ConfigurationError(
                "no Azure OpenAI endpoint: pass "
                f"{sp.kw('azure_endpoint', 'https://<resource>.openai.azure.com/')}{alt} or set "
                "AZURE_OPENAI_ENDPOINT",
                setting=sp.name("azure_endpoint"),
            )
        d.endpoint_setting = "azure_endpoint" if source == "argument" else "AZURE_OPENAI_ENDPOINT"
        url, is_base = endpoint, False
    d.parsed = parse_endpoint(url, setting=d.endpoint_setting, is_base_url=is_base, spelling=sp)
    d.kind, d.base = d.parsed.kind, d.parsed.base


def rule_api_version(d: Draft) -> None:
    """The URL's api-version, else the argument, else (dated API only) the environment's."""
    s, sp, url = d.settings, d.spelling, d.endpoint
    arg = validate_api_version(s.api_version, spelling=sp) if s.api_version else None
    if url.api_version is not None:
        found = validate_api_version(
            url.api_version,
            d.endpoint_setting,
            spelling=sp,
            subject=f"the api-version {url.api_version!r} in {d.where}",
        )
        if arg and arg != found:
            raise ConfigurationError(
                f"{d.where} says api-version={found} but {sp.kw('api_version', arg)} was given: "
                f"put only the resource URL (https://<resource>.openai.azure.com/) in {d.where} "
                f"and the version in {sp.name('api_version')}",
                setting=sp.name("api_version"),
            )
        d.api_version = found
    elif arg:
        d.api_version = arg
    elif url.kind == "dated":
        raw, source = _pick(None, d.env, "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION")
        d.api_version = validate_api_version(raw, source or "api_version", spelling=sp) if raw else None


def rule_deployment(d: Draft) -> None:
    """The argument; else the pasted URL's; else AZURE_OPENAI_DEPLOYMENT; else the default."""
    s, sp, named = d.settings, d.spelling, d.endpoint.deployment
    arg = s.deployment.strip() if s.deployment and s.deployment.strip() else None
    if named is not None and arg and arg != named:
        raise ConfigurationError(
            f"{d.where} names deployment {named!r} but {sp.kw('deployment', arg)} was given: put "
            f"only the resource URL in {d.where} and the deployment name in {sp.name('deployment')}",
            setting=sp.name("deployment"),
        )
    default = s.default_deployment.strip() if s.default_deployment else None
    d.deployment = named or _pick(arg, d.env, "AZURE_OPENAI_DEPLOYMENT")[0] or default or None


def rule_api_generation(d: Draft) -> None:
    """dated / v1 / openai, and the api-version each one sends."""
    sp, version = d.spelling, d.api_version
    if d.kind == "openai":
        d.api_version = None
    elif d.kind == "v1":
        if version is not None and version not in V1_VERSIONS:
            raise ConfigurationError(
                f"{d.where} points at the v1 API (/openai/v1), which takes no dated api-version, "
                f"but {sp.kw('api_version', version)} was given: drop {sp.name('api_version')} (or "
                "pass 'v1' / 'preview'), or point at https://<resource>.openai.azure.com/ for the "
                "dated API",
                setting=sp.name("api_version"),
            )
        d.api_version = version if version in ("preview", "latest") else None
    elif version in V1_VERSIONS:
        if d.endpoint.deployment is not None:
            raise ConfigurationError(
                f"{sp.kw('api_version', version)} selects the v1 API, which has no /deployments/ "
                f"path, but {d.where} is a deployment URL: give the resource URL only and pass the "
                f"deployment name as {sp.kw('deployment')}",
                setting=sp.name("api_version"),
            )
        d.kind, d.base = "v1", d.base + "/v1"
        d.api_version = version if version in ("preview", "latest") else None
    elif version is None:
        d.api_version = DEFAULT_API_VERSION


def rule_deployment_required(d: Draft) -> None:
    """The dated API needs a deployment (v1 may name it per call)."""
    if d.kind == "dated" and d.settings.require_deployment and not d.deployment:
        raise missing_deployment(d.spelling)


def rule_cloud_and_scope(d: Draft) -> None:
    """The cloud from the host; the token scope from it unless token_scope says otherwise."""
    d.cloud, d.token_scope = cloud_for_host(d.endpoint.host.split(":")[0])
    given = d.settings.token_scope
    if given:
        d.token_scope = given.strip()
        if not d.token_scope.startswith(("https://", "api://")):
            raise ConfigurationError(
                f"{d.spelling.kw('token_scope', given)} is not a scope: use e.g. '{PUBLIC_SCOPE}'",
                setting=d.spelling.name("token_scope"),
            )


def rule_extras(d: Draft) -> None:
    """default_headers never carry auth (that is the credential's job); the URL's query first."""
    sp = d.spelling
    d.default_headers = dict(d.settings.default_headers or {})
    for h in d.default_headers:
        if h.lower() in _AUTH_HEADERS:
            token = " or ".join(sp.choices("azure_ad_token", "azure_ad_token_provider"))
            raise ConfigurationError(
                f"{sp.name('default_headers')} contains {h!r}: pass the key as {sp.kw('api_key')}"
                f"{f' (or a token as {token})' if token else ''} so it is kept secret and sent right",
                setting=sp.name("default_headers"),
            )
    d.default_query = {**d.endpoint.query, **dict(d.settings.default_query or {})}
    refuse_masked(d.default_headers, sp.name("default_headers"))
    refuse_masked(d.default_query, sp.name("default_query"))
    if d.settings.weight <= 0:
        raise ConfigurationError(f"weight={d.settings.weight} must be > 0", setting="weight")


def rule_rate_limits(d: Draft) -> None:
    """``rpm`` / ``tpm``, the deployment's quota if the user declares it: positive whole numbers."""
    for name in ("rpm", "tpm"):
        value = getattr(d.settings, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            what = "requests" if name == "rpm" else "tokens"
            raise ConfigurationError(
                f"{d.spelling.name(name)}={value!r} must be a positive whole number of {what} per minute, as"
                " the deployment's quota says in Azure AI Foundry (Azure gives 6 RPM per 1,000 TPM),"
                " or None to learn it from Azure's x-ratelimit-* headers",
                setting=d.spelling.name(name),
            )


def rule_credential(d: Draft) -> None:
    """Which credential (``credential_resolution.choose_credential``)."""
    # lazily: keeps the import light; identity imports azure-identity lazily too
    from shared_core.connection.credential_resolution import choose_credential

    d.credential = choose_credential(
        d.settings, kind=d.kind, scope=d.token_scope, env=d.env, spelling=d.spelling, where=d.base
    )


#: The steps of ``resolve_target``, in order: (what it decides, rule).
RULES: tuple[tuple[str, Rule], ...] = (
    ("one endpoint setting", rule_one_endpoint_setting),
    ("endpoint", rule_endpoint),
    ("api-version", rule_api_version),
    ("deployment", rule_deployment),
    ("API generation", rule_api_generation),
    ("deployment required", rule_deployment_required),
    ("cloud and token scope", rule_cloud_and_scope),
    ("headers, query, weight", rule_extras),
    ("declared rate limits", rule_rate_limits),
    ("credential", rule_credential),
)


def resolve_target(
    *,
    azure_endpoint: str | None = None,
    resource_name: str | None = None,
    base_url: str | None = None,
    deployment: str | None = None,
    api_version: str | None = None,
    api_key: str | SecretStr | Callable[[], Any] | None = None,
    azure_ad_token: str | SecretStr | None = None,
    azure_ad_token_provider: Any = None,
    azure_ad_async_token_provider: Any = None,
    credential: Any = None,
    azure_auth_mode: str | None = None,
    tenant_id: str | None = None,
    client_id: str | None = None,
    client_secret: str | SecretStr | None = None,
    token_scope: str | None = None,
    name: str | None = None,
    default_headers: Mapping[str, str] | None = None,
    default_query: Mapping[str, str] | None = None,
    weight: float = 1.0,
    rpm: int | None = None,
    tpm: int | None = None,
    env: Mapping[str, str] | None = None,
    require_deployment: bool = True,
    default_deployment: str | None = None,
    spelling: Spelling | None = None,
    spillover_deployment: str | None = None,
) -> Target:
    """Resolve and validate one target. Raises ``ConfigurationError`` naming setting and fix.

    ``default_deployment`` names the deployment when nothing else does (module docstring);
    ``spelling`` is how the caller's users spell the settings in messages (default: these names).
    ``spillover_deployment``: the standard deployment (same resource) Azure sends a provisioned
    deployment's overflow to, as the ``x-ms-spillover-deployment`` header of every request.
    """
    if spillover_deployment is not None:
        from shared_core.connection.spillover import spillover_headers

        default_headers = spillover_headers(default_headers, spillover_deployment, spelling or CORE)
    settings = Settings(
        azure_endpoint=azure_endpoint,
        resource_name=resource_name,
        base_url=base_url,
        deployment=deployment,
        default_deployment=default_deployment,
        api_version=api_version,
        api_key=api_key,
        azure_ad_token=azure_ad_token,
        azure_ad_token_provider=azure_ad_token_provider,
        azure_ad_async_token_provider=azure_ad_async_token_provider,
        credential=credential,
        azure_auth_mode=azure_auth_mode,
        tenant_id=tenant_id,
        client_id=client_id,
        client_secret=client_secret,
        token_scope=token_scope,
        name=name,
        default_headers=default_headers,
        default_query=default_query,
        weight=weight,
        require_deployment=require_deployment,
        rpm=rpm,
        tpm=tpm,
    )
    draft = Draft(settings, os.environ if env is None else env, spelling or CORE)
    for _, rule in RULES:
        rule(draft)
    return draft.target()


__all__ = [
    "CHINA_SCOPE",
    "ClientOptions",
    "DEFAULT_API_VERSION",
    "Draft",
    "OPENAI_BASE",
    "PUBLIC_SCOPE",
    "RULES",
    "Settings",
    "Spelling",
    "Target",
    "USGOV_SCOPE",
    "V1_VERSIONS",
    "cloud_for_host",
    "deployment_in_endpoint",
    "is_loopback",
    "missing_deployment",
    "parse_endpoint",
    "public_params",
    "resolve_target",
    "validate_api_version",
]
