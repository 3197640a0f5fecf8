"""Credential resolution: which ``Credential`` a configuration gets.

Resolution order in ``resolve_credential`` (first match wins): ``credential``;
``azure_auth_mode``; ``azure_ad_token_provider`` / ``azure_ad_async_token_provider``;
``azure_ad_token``; ``api_key``; ``AZURE_OPENAI_AD_TOKEN``; ``AZURE_OPENAI_API_KEY``; workload
identity auto-detected from ``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + ``AZURE_FEDERATED_TOKEN_FILE``
(as langchain-openai does); else a ConfigurationError listing the ways to authenticate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

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
from shared_core.connection.token_sources import (
    AsyncTokenProvider,
    NamedSource,
    ObjectSource,
    ProviderSource,
    StaticTokenSource,
    TokenProvider,
)
from shared_core.errors import ConfigurationError


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


__all__ = ["AUTH_MODES", "resolve_credential"]
