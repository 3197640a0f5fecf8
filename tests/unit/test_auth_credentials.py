"""Credentials without a socket: API keys, the resolution order and its configuration errors
(azure-identity over HTTP: integration/test_identity.py).
"""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from pydantic import SecretStr

from shared_core.connection.auth import (
    AUTH_MODES,
    ApiKeyCredential,
    Credential,
    NoCredential,
    resolve_credential,
)
from shared_core.errors import ConfigurationError

from .auth_fakes import SCOPE, bearer

# ---------------------------------------------------------------------------------------------
# API keys


def test_api_key_header_and_bearer_style() -> None:
    cred = resolve_credential(api_key=" k3y \n", scope=SCOPE, env={})
    assert cred.kind == "api_key"
    assert cred.headers() == {"api-key": "k3y"}
    assert isinstance(cred, ApiKeyCredential)
    assert cred.with_style("bearer").headers() == {"Authorization": "Bearer k3y"}
    assert resolve_credential(api_key=SecretStr("k3y"), key_style="bearer", scope=SCOPE, env={}).headers() == {
        "Authorization": "Bearer k3y"
    }
    assert cred.describe() == "an API key"
    assert cred.with_style("bearer").describe() == "an API key (sent as Authorization: Bearer)"
    assert cred.last_token_claims() is None
    assert "k3y" not in repr(cred) and "k3y" not in str(cred)


async def test_api_key_async_and_invalidate_is_a_no_op() -> None:
    cred = resolve_credential(api_key="k3y", scope=SCOPE, env={})
    cred.invalidate()
    assert await cred.aheaders() == {"api-key": "k3y"}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "api_key is empty"),
        ("key-one\nkey-two", "contains whitespace or control characters"),
    ],
)
def test_bad_api_key_is_refused(value: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(api_key=value, scope=SCOPE, env={})
    assert info.value.setting == "api_key"
    assert fragment in str(info.value) and "AZURE_OPENAI_API_KEY" in str(info.value)


def test_azure_key_credential_is_read_on_every_request() -> None:
    holder = AzureKeyCredential("first")
    cred = resolve_credential(credential=holder, scope=SCOPE, env={})
    assert cred.headers() == {"api-key": "first"}
    holder.update("second")
    assert cred.headers() == {"api-key": "second"}


def test_api_key_pickles_and_copies() -> None:
    cred = resolve_credential(api_key="k3y", key_style="bearer", scope=SCOPE, env={})
    assert pickle.loads(pickle.dumps(cred)).headers() == {"Authorization": "Bearer k3y"}
    assert copy.deepcopy(cred) is cred


# ---------------------------------------------------------------------------------------------
# resolution order and configuration errors


def test_precedence() -> None:
    env = {"AZURE_OPENAI_API_KEY": "env-key", "AZURE_OPENAI_AD_TOKEN": "env-token"}
    assert bearer(resolve_credential(scope=SCOPE, env=env)) == "env-token"
    assert resolve_credential(scope=SCOPE, env={"AZURE_OPENAI_API_KEY": "env-key"}).headers() == {"api-key": "env-key"}
    assert resolve_credential(api_key="arg", scope=SCOPE, env=env).headers() == {"api-key": "arg"}
    assert bearer(resolve_credential(api_key="arg", azure_ad_token="tok", scope=SCOPE, env=env)) == "tok"
    assert (
        bearer(resolve_credential(azure_ad_token="tok", azure_ad_token_provider=lambda: "prov", scope=SCOPE, env=env))
        == "prov"
    )
    assert (
        bearer(
            resolve_credential(
                credential=lambda: "obj",
                azure_ad_token_provider=lambda: "prov",
                azure_auth_mode="key",
                scope=SCOPE,
                env=env,
            )
        )
        == "obj"
    )
    assert resolve_credential(azure_auth_mode="key", azure_ad_token="tok", scope=SCOPE, env=env).headers() == {
        "api-key": "env-key"
    }


def test_nothing_configured_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(scope=SCOPE, env={})
    msg = str(info.value)
    assert info.value.setting == "api_key"
    assert "AZURE_OPENAI_API_KEY" in msg and "azure_ad_token_provider=" in msg
    assert all(mode in msg for mode in AUTH_MODES)


def test_unknown_mode_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="kerberos", scope=SCOPE, env={})
    assert info.value.setting == "azure_auth_mode"
    assert str(info.value) == (
        "azure_auth_mode='kerberos' is not a known mode; use one of: key, token, entra, "
        "service_principal, managed, workload, default, cli, none"
    )


def test_mode_aliases_and_none() -> None:
    assert resolve_credential(azure_auth_mode=" Managed-Identity ", scope=SCOPE, env={}).describe() == (
        "an Entra ID token from ManagedIdentityCredential (system-assigned)"
    )
    none = resolve_credential(azure_auth_mode="none", api_key="ignored", scope=SCOPE, env={})
    assert isinstance(none, NoCredential) and none.kind == "none" and none.headers() == {}


@pytest.mark.parametrize(
    ("mode", "setting", "fragment"),
    [
        ("key", "api_key", 'azure_auth_mode="key" needs an API key: pass api_key= or set AZURE_OPENAI_API_KEY'),
        ("token", "azure_ad_token", "set AZURE_OPENAI_AD_TOKEN"),
        (
            "entra",
            "tenant_id",
            (
                "set AZURE_TENANT_ID or pass tenant_id=; set AZURE_CLIENT_ID or pass client_id=; "
                "set AZURE_CLIENT_SECRET or pass client_secret="
            ),
        ),
        (
            "workload",
            "tenant_id",
            (
                "set AZURE_TENANT_ID or pass tenant_id=; set AZURE_CLIENT_ID or pass client_id=; "
                "set AZURE_FEDERATED_TOKEN_FILE"
            ),
        ),
    ],
)
def test_missing_pieces_name_the_env_var(mode: str, setting: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode=mode, scope=SCOPE, env={})
    assert info.value.setting == setting
    assert fragment in str(info.value)


def test_entra_missing_only_the_secret() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="service_principal", tenant_id="t", client_id="c", scope=SCOPE, env={})
    assert info.value.setting == "client_secret"
    assert str(info.value) == (
        'azure_auth_mode="entra" (ClientSecretCredential) is missing settings: '
        "set AZURE_CLIENT_SECRET or pass client_secret="
    )


def test_entra_authority_follows_the_cloud_unless_set() -> None:
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s3cr3t"}
    gov = resolve_credential(azure_auth_mode="entra", scope="https://cognitiveservices.azure.us/.default", env=env)
    assert gov.describe() == (
        "an Entra ID token from ClientSecretCredential (tenant t, client id c, authority login.microsoftonline.us)"
    )
    cn = resolve_credential(azure_auth_mode="entra", scope="https://cognitiveservices.azure.cn/.default", env=env)
    assert "authority login.chinacloudapi.cn" in cn.describe()
    public = resolve_credential(azure_auth_mode="entra", scope=SCOPE, env=env)
    assert public.describe() == "an Entra ID token from ClientSecretCredential (tenant t, client id c)"
    assert "s3cr3t" not in repr(public)
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="entra", scope=SCOPE, env={**env, "AZURE_AUTHORITY_HOST": "http://idp"})
    assert info.value.setting == "AZURE_AUTHORITY_HOST" and "must use TLS" in str(info.value)


def test_invalid_tenant_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(
            azure_auth_mode="entra", tenant_id="bad tenant!", client_id="c", client_secret="s", scope=SCOPE, env={}
        )
    assert info.value.setting == "tenant_id"
    assert str(info.value).startswith("ClientSecretCredential rejected its settings: ")


def test_cli_and_default_modes_build() -> None:
    assert resolve_credential(azure_auth_mode="cli", tenant_id="t", scope=SCOPE, env={}).describe() == (
        "an Entra ID token from AzureCliCredential"
    )
    assert resolve_credential(azure_auth_mode="default", scope=SCOPE, env={}).kind == "token"


def test_workload_identity_auto_detected() -> None:
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}
    assert resolve_credential(scope=SCOPE, env=env).describe() == (
        "an Entra ID token from WorkloadIdentityCredential (tenant t, client id c)"
    )
    # an explicit key wins over the auto-detection
    assert resolve_credential(api_key="k", scope=SCOPE, env=env).kind == "api_key"


def test_missing_azure_identity_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="managed", scope=SCOPE, env={})
    assert info.value.setting == "azure_auth_mode"
    assert str(info.value) == (
        'azure_auth_mode="managed" needs the azure-identity package, which is not '
        'installed. Install it with: pip install "azoai[identity]"'
    )
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(scope=SCOPE, env=env)
    assert "so workload identity was selected" in str(info.value)
    assert 'pip install "azoai[identity]"' in str(info.value)
    # keys and providers never need it
    assert resolve_credential(api_key="k", scope=SCOPE, env={}).headers() == {"api-key": "k"}


def test_importing_the_core_does_not_import_azure_identity() -> None:
    code = "import sys, shared_core, shared_core.connection.auth; print('azure.identity' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("value", ["a string", 42])
def test_bad_credential_object(value: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(credential=value, scope=SCOPE, env={})
    assert info.value.setting == "credential"


def test_every_kind_satisfies_the_protocol() -> None:
    for cred in (
        resolve_credential(api_key="k", scope=SCOPE, env={}),
        NoCredential(),
        resolve_credential(azure_ad_token="t", scope=SCOPE, env={}),
    ):
        assert isinstance(cred, Credential)
