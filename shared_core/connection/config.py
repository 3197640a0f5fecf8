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
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
from pydantic import SecretStr

from shared_core.connection.redact import masked_setting, refuse_masked
from shared_core.connection.redact import public_params as public_params  # its old home
from shared_core.errors import ConfigurationError

if TYPE_CHECKING:
    from shared_core.connection.auth import Credential

DEFAULT_API_VERSION = "2024-10-21"
V1_VERSIONS = frozenset({"v1", "preview", "latest"})
PUBLIC_SCOPE = "https://cognitiveservices.azure.com/.default"
USGOV_SCOPE = "https://cognitiveservices.azure.us/.default"
CHINA_SCOPE = "https://cognitiveservices.azure.cn/.default"
OPENAI_BASE = "https://api.openai.com/v1"

Kind = Literal["dated", "v1", "openai"]
Cloud = Literal["public", "usgov", "china", "custom"]

_DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-preview)?$")
_RESOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
_DEPLOYMENT_IN_PATH = re.compile(r"^(?P<prefix>.*?)/deployments/(?P<deployment>[^/]+)(?P<rest>/.*)?$")
# a v1 prefix, optionally followed by a pasted operation path
_V1_PATH = re.compile(
    r"^(?P<head>.*/v1)(?:/(?:chat/completions|completions|embeddings|audio/[a-z]+|images/[a-z]+"
    r"|files|batches|fine_tuning/jobs|models|responses)(?:/.*)?)?$"
)
_OPERATION_TAIL = re.compile(
    r"/(?:chat/completions|completions|embeddings|audio/[a-z]+|images/[a-z]+|responses)$"
)
_PUBLIC_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
_USGOV_SUFFIXES = (".openai.azure.us", ".cognitiveservices.azure.us", ".services.ai.azure.us")
_CHINA_SUFFIXES = (".openai.azure.cn", ".cognitiveservices.azure.cn", ".services.ai.azure.cn")
_AUTH_HEADERS = frozenset({"api-key", "authorization"})


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

    def __repr__(self) -> str:
        # default_headers / default_query may hold APIM keys or SAS signatures: masked by name
        shown = ", ".join(f"{f.name}={masked_setting(f.name, getattr(self, f.name))!r}"
                          for f in fields(self))
        return f"Target({shown})"


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Transport options shared by every target of a client."""

    timeout: float | httpx.Timeout | None = 60.0  # per attempt
    max_retries: int = 2
    deadline: float | None = None  # overall seconds for one call, all attempts
    max_retry_wait: float = 60.0  # a server-requested wait longer than this raises at once
    use_aiohttp: bool | None = None  # None = use it when installed (own async client only)
    proxy: str | None = None
    verify: bool | str = True

    def __post_init__(self) -> None:
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


def is_loopback(host: str) -> bool:
    """True for localhost / 127.0.0.0/8 / ::1 (the emulator may speak plain http there)."""
    h = host.strip("[]").lower()
    return h == "localhost" or h.endswith(".localhost") or h == "::1" or h.startswith("127.")


def cloud_for_host(host: str) -> tuple[Cloud, str]:
    """(cloud, default token scope) from the endpoint's host name."""
    h = host.lower()
    if h.endswith(_USGOV_SUFFIXES):
        return "usgov", USGOV_SCOPE
    if h.endswith(_CHINA_SUFFIXES):
        return "china", CHINA_SCOPE
    if h.endswith(_PUBLIC_SUFFIXES):
        return "public", PUBLIC_SCOPE
    return "custom", PUBLIC_SCOPE


def validate_api_version(value: str, setting: str = "api_version") -> str:
    """Return the stripped api-version or raise naming the accepted forms."""
    v = value.strip()
    if v.lower() in V1_VERSIONS:
        return v.lower()
    m = _DATED.match(v)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return v
    raise ConfigurationError(
        f"{setting}={value!r} is not an Azure OpenAI api-version: use a dated version such as "
        f"'{DEFAULT_API_VERSION}' or '2025-04-01-preview' (YYYY-MM-DD or YYYY-MM-DD-preview), or "
        "'v1' for the v1 API (/openai/v1, no api-version)",
        setting=setting,
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


def _secret(value: str | SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value if value.get_secret_value() else None
    return SecretStr(value) if value.strip() else None


@dataclass(slots=True)
class _Parsed:
    kind: Kind
    base: str
    host: str
    deployment: str | None = None
    api_version: str | None = None
    query: dict[str, str] = field(default_factory=dict)


def _split_url(url: str, setting: str) -> tuple[str, str, str, dict[str, str], str | None]:
    """(scheme, netloc, path without trailing slash, extra query, api-version from the query)."""
    raw = url.strip().strip("\"'")  # quotes pasted from a .env file
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{setting}={url!r} is not an http(s) URL: use e.g. "
            "'https://my-resource.openai.azure.com/'",
            setting=setting,
        )
    if scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{setting}={url!r} uses plain http to a non-loopback host: keys and tokens would travel "
            "unencrypted. Use https:// (plain http is only allowed to localhost / 127.0.0.1, e.g. "
            "the azoai emulator)",
            setting=setting,
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            f"{setting} contains user:password@: put the key in api_key instead", setting=setting
        )
    query: dict[str, str] = {}
    version: str | None = None
    for k, v in parse_qsl(parts.query, keep_blank_values=True):
        if k.lower() == "api-version":
            version = v
        else:
            query[k] = v
    path = re.sub(r"/{2,}", "/", unquote(parts.path)).rstrip("/")  # "//openai" (Java SDK)
    return scheme, parts.netloc.lower(), path, query, version


def parse_endpoint(url: str, *, setting: str, is_base_url: bool) -> _Parsed:
    """Take an endpoint or base URL apart: kind, prefix, host, and any deployment, api-version and
    query it carries (``regions.py`` uses it to compare fallbacks with the primary)."""
    scheme, netloc, path, query, version = _split_url(url, setting)
    origin = f"{scheme}://{netloc}"
    host = netloc.rsplit("@", 1)[-1]
    if host.split(":")[0] == "api.openai.com":
        return _Parsed("openai", OPENAI_BASE, host, query=query, api_version=version)
    m = _DEPLOYMENT_IN_PATH.match(path)
    if m:
        prefix = m.group("prefix")
        if not is_base_url and not prefix.endswith("/openai"):
            prefix += "/openai"
        return _Parsed("dated", origin + prefix, host, deployment=m.group("deployment"),
                       api_version=version, query=query)
    v1 = _V1_PATH.match(path)
    if v1 and (is_base_url or v1.group("head").endswith("/openai/v1")):
        return _Parsed("v1", origin + v1.group("head"), host, api_version=version, query=query)
    if not is_base_url and _OPERATION_TAIL.search(path):
        hint = (" (that is Azure AI Foundry's model-inference route, which azoai does not speak)"
                if path.startswith("/models/") else "")
        raise ConfigurationError(
            f"{setting}={url!r} looks like a request URL, but not one of Azure OpenAI's{hint}: "
            f"give the resource URL ({origin}/) with deployment='<name>', or paste a URL of the "
            "form .../openai/deployments/<name>/chat/completions?api-version=... or "
            ".../openai/v1/chat/completions",
            setting=setting,
        )
    if is_base_url or path.endswith("/openai"):
        return _Parsed("dated", origin + path, host, api_version=version, query=query)
    return _Parsed("dated", origin + path + "/openai", host, api_version=version, query=query)


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
    env: Mapping[str, str] | None = None,
    require_deployment: bool = True,
) -> Target:
    """Resolve and validate one target. Raises ``ConfigurationError`` naming setting and fix."""
    environ: Mapping[str, str] = os.environ if env is None else env

    # 1. where: exactly one of azure_endpoint / resource_name / base_url, else the environment
    given = [n for n, v in (("azure_endpoint", azure_endpoint), ("resource_name", resource_name),
                            ("base_url", base_url)) if v]
    if len(given) > 1:
        raise ConfigurationError(
            f"{' and '.join(given)} were both given: pass only one (azure_endpoint for a resource "
            "URL, resource_name for its name, base_url for a gateway's full URL prefix)",
            setting=given[1],
        )
    if resource_name:
        if not _RESOURCE.match(resource_name.strip()):
            raise ConfigurationError(
                f"resource_name={resource_name!r} is not an Azure resource name (letters, digits, "
                "hyphens): for a full URL use azure_endpoint instead",
                setting="resource_name",
            )
        endpoint_setting = "resource_name"
        parsed = parse_endpoint(f"https://{resource_name.strip()}.openai.azure.com",
                                 setting=endpoint_setting, is_base_url=False)
    elif base_url:
        endpoint_setting = "base_url"
        parsed = parse_endpoint(base_url, setting=endpoint_setting, is_base_url=True)
    else:
        endpoint, source = _pick(azure_endpoint, environ, "AZURE_OPENAI_ENDPOINT")
        if endpoint is None:
            raise ConfigurationError(
                "no Azure OpenAI endpoint: pass azure_endpoint='https://<resource>.openai.azure.com/' "
                "(or resource_name=, or base_url= for a gateway) or set AZURE_OPENAI_ENDPOINT",
                setting="azure_endpoint",
            )
        endpoint_setting = "azure_endpoint" if source == "argument" else "AZURE_OPENAI_ENDPOINT"
        parsed = parse_endpoint(endpoint, setting=endpoint_setting, is_base_url=False)

    # 2. which deployment and api-version; a URL that carries them must not contradict arguments
    arg_version = validate_api_version(api_version) if api_version else None
    env_version_raw, env_version_src = _pick(None, environ, "AZURE_OPENAI_API_VERSION",
                                             "OPENAI_API_VERSION")
    if parsed.api_version is not None:
        url_version = validate_api_version(parsed.api_version, setting=endpoint_setting)
        if arg_version and arg_version != url_version:
            raise ConfigurationError(
                f"{endpoint_setting} says api-version={url_version} but api_version={arg_version!r} "
                "was given: put only the resource URL (https://<resource>.openai.azure.com/) in "
                f"{endpoint_setting} and the version in api_version",
                setting="api_version",
            )
        version: str | None = url_version
    elif arg_version:
        version = arg_version
    elif env_version_raw and parsed.kind == "dated":
        version = validate_api_version(env_version_raw, setting=env_version_src or "api_version")
    else:
        version = None

    dep_arg = deployment.strip() if deployment and deployment.strip() else None
    if parsed.deployment is not None:
        if dep_arg and dep_arg != parsed.deployment:
            raise ConfigurationError(
                f"{endpoint_setting} names deployment {parsed.deployment!r} but "
                f"deployment={dep_arg!r} was given: put only the resource URL in "
                f"{endpoint_setting} and the deployment name in deployment",
                setting="deployment",
            )
        dep: str | None = parsed.deployment
    else:
        dep, _ = _pick(dep_arg, environ, "AZURE_OPENAI_DEPLOYMENT")

    kind: Kind = parsed.kind
    base = parsed.base
    if kind == "openai":
        version = None
    elif kind == "v1":
        if version is not None and version not in V1_VERSIONS:
            raise ConfigurationError(
                f"{endpoint_setting} points at the v1 API (/openai/v1), which takes no dated "
                f"api-version, but api_version={version!r} was given: drop api_version (or pass "
                "'v1' / 'preview'), or point at https://<resource>.openai.azure.com/ for the "
                "dated API",
                setting="api_version",
            )
        version = version if version in ("preview", "latest") else None
    elif version in V1_VERSIONS:
        if parsed.deployment is not None:
            raise ConfigurationError(
                f"api_version={version!r} selects the v1 API, which has no /deployments/ path, but "
                f"{endpoint_setting} is a deployment URL: give the resource URL only and pass the "
                "deployment name as deployment",
                setting="api_version",
            )
        kind = "v1"
        base = base + "/v1"
        version = version if version in ("preview", "latest") else None
    elif version is None:
        version = DEFAULT_API_VERSION

    if kind == "dated" and require_deployment and not dep:
        raise ConfigurationError(
            "no deployment: pass deployment='<name>' or set AZURE_OPENAI_DEPLOYMENT. It is the "
            "deployment name shown under Deployments in Azure AI Foundry, which is not always the "
            "model name",
            setting="deployment",
        )

    # 3. cloud and token scope
    cloud, scope = cloud_for_host(parsed.host.split(":")[0])
    if token_scope:
        scope = token_scope.strip()
        if not scope.startswith(("https://", "api://")):
            raise ConfigurationError(
                f"token_scope={token_scope!r} is not a scope: use e.g. '{PUBLIC_SCOPE}'",
                setting="token_scope",
            )

    # 4. extras: user headers never carry auth (that is the credential's job)
    headers = dict(default_headers or {})
    for h in headers:
        if h.lower() in _AUTH_HEADERS:
            raise ConfigurationError(
                f"default_headers contains {h!r}: pass the key as api_key (or a token as "
                "azure_ad_token / azure_ad_token_provider) so it is kept secret and sent right",
                setting="default_headers",
            )
    query = {**parsed.query, **dict(default_query or {})}
    refuse_masked(headers, "default_headers")
    refuse_masked(query, "default_query")
    if weight <= 0:
        raise ConfigurationError(f"weight={weight} must be > 0", setting="weight")

    cred = _resolve_credential(
        kind=kind, api_key=api_key, azure_ad_token=azure_ad_token,
        azure_ad_token_provider=azure_ad_token_provider,
        azure_ad_async_token_provider=azure_ad_async_token_provider, credential=credential,
        azure_auth_mode=azure_auth_mode, tenant_id=tenant_id, client_id=client_id,
        client_secret=client_secret, scope=scope, env=environ,
    )
    return Target(
        name=name or parsed.host, kind=kind, base=base, deployment=dep, api_version=version,
        cloud=cloud, token_scope=scope, credential=cred, weight=float(weight),
        default_headers=headers, default_query=query,
    )


_CONSUMED_ENV = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_KEY")


def _resolve_credential(
    *, kind: Kind, api_key: Any, azure_ad_token: str | SecretStr | None,
    azure_ad_token_provider: Any, azure_ad_async_token_provider: Any, credential: Any,
    azure_auth_mode: str | None, tenant_id: str | None, client_id: str | None,
    client_secret: str | SecretStr | None, scope: str, env: Mapping[str, str],
) -> Credential:
    """Refuse ambiguous auth (key and token both given), then ask ``auth.resolve_credential``.

    Arguments win over the environment. With ``azure_auth_mode`` the mode decides (``auth``
    validates it). For api.openai.com the key is ``OPENAI_API_KEY`` sent as a Bearer header.
    """
    from shared_core.connection import auth  # lazily: keeps import light; auth imports azure-identity lazily

    key_is_provider = callable(api_key) and not isinstance(api_key, SecretStr)
    # str / SecretStr are cleaned here; a provider or a key holder (AzureKeyCredential) goes as is
    key = _secret(api_key) if isinstance(api_key, (str, SecretStr)) or api_key is None else api_key
    token = _secret(azure_ad_token)
    token_like = [n for n, v in (("azure_ad_token", token),
                                 ("azure_ad_token_provider", azure_ad_token_provider),
                                 ("azure_ad_async_token_provider", azure_ad_async_token_provider),
                                 ("credential", credential)) if v is not None]
    if key is not None and token_like:
        raise ConfigurationError(
            f"both api_key and {token_like[0]} were given: use one (a key is sent as the api-key "
            "header, a token as Authorization: Bearer)",
            setting="api_key",
        )
    if kind == "openai":
        if token_like or key_is_provider:
            what = token_like[0] if token_like else "a callable api_key"
            raise ConfigurationError(
                f"{what} was given for api.openai.com, which takes an OpenAI API key (sk-...), not "
                "an Entra ID token: pass api_key or set OPENAI_API_KEY",
                setting=token_like[0] if token_like else "api_key",
            )
        key = key if key is not None else _secret(env.get("OPENAI_API_KEY"))
        if key is None:
            raise ConfigurationError(
                "no OpenAI API key for api.openai.com: pass api_key='sk-...' or set OPENAI_API_KEY",
                setting="api_key",
            )
        return auth.resolve_credential(api_key=key, scope=scope, env={}, key_style="bearer")
    if azure_auth_mode is not None:
        return auth.resolve_credential(
            api_key=key, azure_ad_token=token, azure_ad_token_provider=azure_ad_token_provider,
            azure_ad_async_token_provider=azure_ad_async_token_provider, credential=credential,
            azure_auth_mode=azure_auth_mode, tenant_id=tenant_id, client_id=client_id,
            client_secret=client_secret, scope=scope, env=env,
        )
    if key is None and not token_like:
        env_key = _secret(env.get("AZURE_OPENAI_API_KEY"))
        env_token = _secret(env.get("AZURE_OPENAI_AD_TOKEN"))
        if env_key is not None and env_token is not None:
            raise ConfigurationError(
                "both AZURE_OPENAI_API_KEY and AZURE_OPENAI_AD_TOKEN are set: unset one, or pass "
                "azure_auth_mode='key' or 'token' to choose",
                setting="AZURE_OPENAI_API_KEY",
            )
        key, token = env_key, env_token
    # the choice is made: hide the consumed variables so auth's own env fallback cannot re-pick
    auth_env = {k: v for k, v in env.items() if k not in _CONSUMED_ENV}
    return auth.resolve_credential(
        api_key=key, azure_ad_token=token, azure_ad_token_provider=azure_ad_token_provider,
        azure_ad_async_token_provider=azure_ad_async_token_provider, credential=credential,
        tenant_id=tenant_id, client_id=client_id, client_secret=client_secret, scope=scope,
        env=auth_env,
    )


__all__ = [
    "CHINA_SCOPE", "ClientOptions", "DEFAULT_API_VERSION", "PUBLIC_SCOPE", "Target",
    "USGOV_SCOPE", "V1_VERSIONS", "cloud_for_host", "is_loopback", "resolve_target",
    "validate_api_version",
]
