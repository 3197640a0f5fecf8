"""Credential resolution: which ``Credential`` a configuration gets.

Resolution order in ``resolve_credential`` (first match wins): ``credential``;
``azure_auth_mode``; ``azure_ad_token_provider`` / ``azure_ad_async_token_provider``;
``azure_ad_token``; ``api_key``; ``AZURE_OPENAI_AD_TOKEN``; ``AZURE_OPENAI_API_KEY``; workload
identity auto-detected from ``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + ``AZURE_FEDERATED_TOKEN_FILE``
(as langchain-openai does); else a ConfigurationError listing the ways to authenticate.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from shared_core.connection.credentials import (
    ApiKeyCredential,
    BearerTokenCredential,
    Credential,
    KeyStyle,
    NoCredential,
)
from shared_core.connection.identity import IDENTITY_MODES, NamedIdentitySource, authority_for, is_token_credential
from shared_core.connection.secret_values import clean_secret
from shared_core.connection.spelling import CORE, Spelling
from shared_core.connection.token_sources import (
    AsyncTokenProvider,
    NamedSource,
    ObjectSource,
    ProviderSource,
    StaticTokenSource,
    TokenProvider,
)
from shared_core.errors import ConfigurationError

if TYPE_CHECKING:
    from shared_core.connection.config import Settings
    from shared_core.connection.endpoints import Kind


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


def _need_scope(scope: str, what: str) -> str:
    if not scope or not isinstance(scope, str):
        raise ConfigurationError(
            f"{what} needs a token scope, e.g. https://cognitiveservices.azure.com/.default: pass token_scope=",
            setting="token_scope",
        )
    return scope


def _mode(sp: Spelling, mode: str) -> str:
    """``azure_auth_mode="managed"`` as the user spells it."""
    flag = sp.name("azure_auth_mode")
    return f"{flag} {mode}" if sp.flags and flag.startswith("-") else f'{flag}="{mode}"'


def _named(
    mode: str,
    *,
    scope: str,
    env: Mapping[str, str],
    tenant_id: str | None,
    client_id: str | None,
    client_secret: str | SecretStr | None,
    spelling: Spelling = CORE,
) -> BearerTokenCredential:
    sp = spelling
    _need_scope(scope, _mode(sp, mode))
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
            secret = clean_secret(raw_secret, "client_secret", "AZURE_CLIENT_SECRET")
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
            f"set {var}" if arg == var or not sp.has(arg) else f"set {var} or pass {sp.kw(arg)}" for arg, var in missing
        )
        first = missing[0][0]
        raise ConfigurationError(
            f"{_mode(sp, mode)} ({IDENTITY_MODES[mode]}) is missing settings: {what}",
            setting=sp.name(first) if sp.has(first) else missing[0][1],
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


def _from_object(credential: Any, scope: str, key_style: KeyStyle, sp: Spelling = CORE) -> Credential:
    if isinstance(credential, (ApiKeyCredential, NoCredential, BearerTokenCredential)):
        return credential
    if isinstance(credential, (str, SecretStr)):
        raise ConfigurationError(
            f"{sp.kw('credential')} takes a credential object (e.g. "
            f"azure.identity.DefaultAzureCredential()); pass a key as {sp.kw('api_key')} and a token "
            f"as {sp.kw('azure_ad_token')}",
            setting=sp.name("credential"),
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
        f"{sp.kw('credential')} got a {type(credential).__name__}; pass an azure-identity credential "
        "(TokenCredential or AsyncTokenCredential), an AzureKeyCredential or a token provider callable",
        setting=sp.name("credential"),
    )


def _canonical_mode(mode: str, sp: Spelling = CORE) -> str:
    norm = str(mode).strip().lower().replace("-", "_")
    norm = _MODE_ALIASES.get(norm, norm)
    if norm not in AUTH_MODES:
        raise ConfigurationError(
            f"{sp.kw('azure_auth_mode', str(mode))} is not a known mode; use one of: {', '.join(AUTH_MODES)}",
            setting=sp.name("azure_auth_mode"),
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
    spelling: Spelling = CORE,
) -> Credential:
    """Turn settings into one Credential (precedence in the module docstring).

    ``key_style="bearer"`` (an extension) sends an API key as ``Authorization: Bearer``.
    ``api_key`` may be a callable: it is then a bearer token provider (the OpenAI client style).
    ``spelling`` names the settings in messages as the caller's users spell them.
    """
    sp = spelling
    if credential is not None:
        return _from_object(credential, scope, key_style, sp)
    if azure_auth_mode is not None:
        mode = _canonical_mode(azure_auth_mode, sp)
        if mode == "none":
            return NoCredential()
        if mode == "key":
            key = api_key if api_key is not None else env.get("AZURE_OPENAI_API_KEY")
            if key is None or callable(key):
                raise ConfigurationError(
                    f"{_mode(sp, 'key')} needs an API key: pass {sp.kw('api_key')} or set AZURE_OPENAI_API_KEY",
                    setting=sp.name("api_key"),
                )
            return ApiKeyCredential(key, style=key_style, setting=sp.name("api_key"))
        if mode == "token":
            if azure_ad_token_provider is not None or azure_ad_async_token_provider is not None:
                return _providers(azure_ad_token_provider, azure_ad_async_token_provider, scope)
            token = azure_ad_token if azure_ad_token is not None else env.get("AZURE_OPENAI_AD_TOKEN")
            if token is None:
                given = " or ".join(sp.choices("azure_ad_token", "azure_ad_token_provider"))
                raise ConfigurationError(
                    f"{_mode(sp, 'token')} needs a token: "
                    f"{f'pass {given}, or ' if given else ''}set AZURE_OPENAI_AD_TOKEN",
                    setting=sp.name("azure_ad_token") if sp.has("azure_ad_token") else "AZURE_OPENAI_AD_TOKEN",
                )
            return BearerTokenCredential(StaticTokenSource(token, setting=sp.name("azure_ad_token")), scope=scope)
        return _named(
            mode,
            scope=scope,
            env=env,
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=client_secret,
            spelling=sp,
        )
    if azure_ad_token_provider is not None or azure_ad_async_token_provider is not None:
        return _providers(azure_ad_token_provider, azure_ad_async_token_provider, scope)
    if azure_ad_token is not None:
        return BearerTokenCredential(StaticTokenSource(azure_ad_token, setting=sp.name("azure_ad_token")), scope=scope)
    if api_key is not None:
        if callable(api_key) and not isinstance(api_key, SecretStr):
            return BearerTokenCredential(ProviderSource(api_key, setting=sp.name("api_key")), scope=scope)
        return ApiKeyCredential(api_key, style=key_style, setting=sp.name("api_key"))
    if env.get("AZURE_OPENAI_AD_TOKEN"):
        return BearerTokenCredential(
            StaticTokenSource(env["AZURE_OPENAI_AD_TOKEN"], setting="AZURE_OPENAI_AD_TOKEN"), scope=scope
        )
    if env.get("AZURE_OPENAI_API_KEY"):
        return ApiKeyCredential(env["AZURE_OPENAI_API_KEY"], style=key_style, setting="AZURE_OPENAI_API_KEY")
    if all(env.get(v) for v in _WORKLOAD_VARS):
        try:
            return _named(
                "workload", scope=scope, env=env, tenant_id=None, client_id=None, client_secret=None, spelling=sp
            )
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"{', '.join(_WORKLOAD_VARS)} are set, so workload identity was selected, but: {exc} "
                "(or pass api_key= / another credential)",
                setting=exc.setting,
            ) from exc
    raise no_credential(sp)


def no_credential(sp: Spelling = CORE) -> ConfigurationError:
    """The error for a configuration that names no way to authenticate."""
    key = f" (or pass {sp.kw('api_key')})" if sp.has("api_key") else ""
    ways = [f"set AZURE_OPENAI_API_KEY{key}"]
    entra = sp.choices("azure_ad_token_provider", "credential")
    if entra:
        ways.append(f"pass {' or '.join(entra)} (Entra ID, e.g. an azure-identity credential)")
    if sp.has("azure_auth_mode"):
        ways.append(f"choose {sp.kw('azure_auth_mode')} one of: {', '.join(AUTH_MODES)}")
    return ConfigurationError(
        "no credential for Azure OpenAI: " + ", or ".join(ways),
        setting=sp.name("api_key") if sp.has("api_key") else "AZURE_OPENAI_API_KEY",
    )


# ---------------------------------------------------------------------------------------------
# which of the configured settings authenticates (``config.resolve_target``'s credential rule)

_CONSUMED_ENV = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_KEY")
_TOKEN_SETTINGS = ("credential", "azure_ad_token_provider", "azure_ad_async_token_provider", "azure_ad_token")
_warned: set[tuple[str, str, str]] = set()
_warned_lock = threading.Lock()


def _secret(value: str | SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value if value.get_secret_value() else None
    return SecretStr(value) if value.strip() else None


def _warn_key_ignored(key_from: str, token_from: str, where: str) -> None:
    """Once per process per (key, token, endpoint): the key is not sent."""
    with _warned_lock:
        if (key_from, token_from, where) in _warned:
            return
        _warned.add((key_from, token_from, where))
    warnings.warn(
        f"both an API key ({key_from}) and an Entra ID token ({token_from}) are configured for "
        f"{where}: the token is sent (Authorization: Bearer) and the key is not, as "
        "langchain-openai and llama-index do. Remove one of them to silence this warning.",
        UserWarning,
        stacklevel=2,
    )


def _openai_key(
    s: Settings, key: Any, token_like: list[str], scope: str, env: Mapping[str, str], sp: Spelling
) -> Credential:
    """api.openai.com: an OpenAI key (argument, else ``OPENAI_API_KEY``) sent as a Bearer header."""
    if token_like or (callable(s.api_key) and not isinstance(s.api_key, SecretStr)):
        what = sp.kw(token_like[0]) if token_like else f"a callable {sp.kw('api_key')}"
        raise ConfigurationError(
            f"{what} was given for api.openai.com, which takes an OpenAI API key (sk-...), not "
            f"an Entra ID token: pass {sp.kw('api_key')} or set OPENAI_API_KEY",
            setting=sp.name(token_like[0] if token_like else "api_key"),
        )
    key = key if key is not None else _secret(env.get("OPENAI_API_KEY"))
    if key is None:
        raise ConfigurationError(
            f"no OpenAI API key for api.openai.com: pass {sp.kw('api_key', 'sk-...')} or set OPENAI_API_KEY",
            setting=sp.name("api_key"),
        )
    return resolve_credential(api_key=key, scope=scope, env={}, key_style="bearer", spelling=sp)


def _token_over_key(
    key: Any, token_like: list[str], env: Mapping[str, str], sp: Spelling, where: str
) -> tuple[Any, dict[str, str]]:
    """(the key still to send, the environment ``resolve_credential`` may read): a token from
    anywhere beats a key from anywhere; among keys and among tokens an argument beats the
    environment. Only the environment variable chosen stays visible, so auth cannot re-pick."""
    auth_env = {k: v for k, v in env.items() if k not in _CONSUMED_ENV}
    env_key = "AZURE_OPENAI_API_KEY" if _secret(env.get("AZURE_OPENAI_API_KEY")) is not None else None
    env_token = "AZURE_OPENAI_AD_TOKEN" if _secret(env.get("AZURE_OPENAI_AD_TOKEN")) is not None else None
    key_from = sp.kw("api_key") if key is not None else env_key
    token_from = sp.kw(token_like[0]) if token_like else env_token
    if key_from is not None and token_from is not None:
        _warn_key_ignored(key_from, token_from, where)
        key, key_from = None, None
    for chosen in (key_from, token_from):
        if chosen is not None and chosen in (env_key, env_token):
            auth_env[chosen] = env[chosen]
    return key, auth_env


def choose_credential(
    settings: Settings,
    *,
    kind: Kind,
    scope: str,
    env: Mapping[str, str],
    spelling: Spelling = CORE,
    where: str = "this endpoint",
) -> Credential:
    """The credential of a target, then ``resolve_credential`` builds it.

    Arguments win over the environment, except that an Entra ID token (``azure_ad_token``, a
    token provider, ``credential``, or ``AZURE_OPENAI_AD_TOKEN``) wins over an API key from
    anywhere: the openai SDK's ``AzureOpenAI`` sends ``Authorization: Bearer`` whenever it has a
    token (``_prepare_options``), and langchain-openai drops the key when a token is set. The key
    is then not sent, and ``warnings.warn`` says so once. With ``azure_auth_mode`` the mode
    decides. For api.openai.com the key is ``OPENAI_API_KEY`` sent as a Bearer header.
    """
    s, sp = settings, spelling
    # str / SecretStr are cleaned here; a provider or a key holder (AzureKeyCredential) goes as is
    key = _secret(s.api_key) if isinstance(s.api_key, (str, SecretStr)) or s.api_key is None else s.api_key
    token = _secret(s.azure_ad_token)
    given = {
        "azure_ad_token": token,
        "azure_ad_token_provider": s.azure_ad_token_provider,
        "azure_ad_async_token_provider": s.azure_ad_async_token_provider,
        "credential": s.credential,
    }
    token_like = [n for n in _TOKEN_SETTINGS if given[n] is not None]
    if kind == "openai":
        return _openai_key(s, key, token_like, scope, env, sp)
    auth_env: Mapping[str, str] = env
    if s.azure_auth_mode is None:
        key, auth_env = _token_over_key(key, token_like, env, sp, where)
    return resolve_credential(
        api_key=key,
        azure_ad_token=token,
        azure_ad_token_provider=s.azure_ad_token_provider,
        azure_ad_async_token_provider=s.azure_ad_async_token_provider,
        credential=s.credential,
        azure_auth_mode=s.azure_auth_mode,
        tenant_id=s.tenant_id,
        client_id=s.client_id,
        client_secret=s.client_secret,
        scope=scope,
        env=auth_env,
        spelling=sp,
    )


__all__ = ["AUTH_MODES", "choose_credential", "no_credential", "resolve_credential"]
