"""resolve_target: arguments, environment, URL shapes, clouds, and every refusal's message."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import pytest

from shared_core.connection.config import ClientOptions, Target, resolve_target
from shared_core.errors import ConfigurationError

KEY = "k-secret-123"


def resolve(env: dict[str, str] | None = None, **kw: Any) -> Target:
    return resolve_target(env=env or {}, **kw)


# ---------------------------------------------------------------------------- environment


def test_everything_from_the_environment() -> None:
    t = resolve(
        {
            "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/",
            "AZURE_OPENAI_API_KEY": KEY,
            "AZURE_OPENAI_DEPLOYMENT": "chat-prod",
            "AZURE_OPENAI_API_VERSION": "2025-04-01-preview",
            "OPENAI_API_VERSION": "2024-06-01",
        }
    )
    assert (t.kind, t.base, t.deployment, t.api_version) == (
        "dated",
        "https://res.openai.azure.com/openai",
        "chat-prod",
        "2025-04-01-preview",
    )
    assert (t.cloud, t.token_scope, t.name) == (
        "public",
        "https://cognitiveservices.azure.com/.default",
        "res.openai.azure.com",
    )
    assert t.credential.headers() == {"api-key": KEY}


def test_openai_api_version_is_the_fallback_and_2024_10_21_the_default() -> None:
    base = {"AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com", "AZURE_OPENAI_API_KEY": KEY}
    assert resolve({**base, "OPENAI_API_VERSION": "2024-06-01"}, deployment="d").api_version == "2024-06-01"
    assert resolve(base, deployment="d").api_version == "2024-10-21"


def test_arguments_win_over_the_environment() -> None:
    t = resolve(
        {
            "AZURE_OPENAI_ENDPOINT": "https://env.openai.azure.com",
            "AZURE_OPENAI_API_KEY": "envkey",
            "AZURE_OPENAI_DEPLOYMENT": "env-dep",
            "AZURE_OPENAI_API_VERSION": "2024-06-01",
        },
        azure_endpoint="https://arg.openai.azure.com",
        api_key="argkey",
        deployment="arg-dep",
        api_version="2024-10-21",
    )
    assert (t.base, t.deployment, t.api_version) == ("https://arg.openai.azure.com/openai", "arg-dep", "2024-10-21")
    assert t.credential.headers() == {"api-key": "argkey"}


def test_resource_name_shortcut() -> None:
    t = resolve(resource_name="contoso-aoai", deployment="d", api_key=KEY)
    assert t.base == "https://contoso-aoai.openai.azure.com/openai"


def test_secret_never_in_repr_or_pickle_text() -> None:
    t = resolve(azure_endpoint="https://res.openai.azure.com", deployment="d", api_key=KEY)
    assert KEY not in repr(t)
    assert KEY not in str(t)
    again = pickle.loads(pickle.dumps(t))
    assert again.base == t.base and again.credential.headers() == {"api-key": KEY}


# ----------------------------------------------------------------------------- URL shapes


def test_pasted_request_url_is_taken_apart() -> None:
    t = resolve(
        azure_endpoint="https://res.openai.azure.com/openai/deployments/gpt-4o-prod/chat/"
        "completions?api-version=2025-04-01-preview",
        api_key=KEY,
    )
    assert (t.kind, t.base, t.deployment, t.api_version) == (
        "dated",
        "https://res.openai.azure.com/openai",
        "gpt-4o-prod",
        "2025-04-01-preview",
    )


def test_pasted_url_agreeing_with_arguments_is_fine_and_wins_over_env() -> None:
    t = resolve(
        {"AZURE_OPENAI_DEPLOYMENT": "other", "OPENAI_API_VERSION": "2024-06-01"},
        azure_endpoint="https://res.openai.azure.com/openai/deployments/d1/embeddings?api-version=2024-10-21",
        deployment="d1",
        api_version="2024-10-21",
        api_key=KEY,
    )
    assert (t.deployment, t.api_version) == ("d1", "2024-10-21")


def test_pasted_url_conflicting_deployment_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(
            azure_endpoint="https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21",
            deployment="d2",
            api_key=KEY,
        )
    assert e.value.setting == "deployment"
    assert str(e.value) == (
        "azure_endpoint names deployment 'd1' but deployment='d2' was given: put only the resource "
        "URL in azure_endpoint and the deployment name in deployment"
    )


def test_pasted_url_conflicting_api_version_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(
            azure_endpoint="https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21",
            api_version="2025-04-01-preview",
            api_key=KEY,
        )
    assert e.value.setting == "api_version"
    assert "azure_endpoint says api-version=2024-10-21 but api_version='2025-04-01-preview'" in str(e.value)
    assert "the version in api_version" in str(e.value)


def test_pasted_url_extra_query_becomes_default_query() -> None:
    t = resolve(
        azure_endpoint="https://res.openai.azure.com/openai/deployments/d/chat/completions"
        "?api-version=2024-10-21&tenant=blue",
        api_key=KEY,
    )
    assert dict(t.default_query) == {"tenant": "blue"}


@pytest.mark.parametrize("version", ["v1", "V1", "preview", "latest"])
def test_v1_selected_by_api_version(version: str) -> None:
    t = resolve(azure_endpoint="https://res.openai.azure.com/", api_version=version, api_key=KEY)
    assert (t.kind, t.base, t.deployment) == ("v1", "https://res.openai.azure.com/openai/v1", None)
    assert t.api_version == (None if version.lower() == "v1" else version)


def test_v1_url_selects_v1_and_ignores_a_dated_version_from_env() -> None:
    t = resolve(
        {"OPENAI_API_VERSION": "2024-10-21"},
        azure_endpoint="https://res.openai.azure.com/openai/v1/",
        deployment="gpt-4o",
        api_key=KEY,
    )
    assert (t.kind, t.base, t.api_version, t.deployment) == (
        "v1",
        "https://res.openai.azure.com/openai/v1",
        None,
        "gpt-4o",
    )


def test_v1_url_with_explicit_dated_version_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="https://res.openai.azure.com/openai/v1", api_version="2024-10-21", api_key=KEY)
    assert e.value.setting == "api_version"
    assert "takes no dated api-version" in str(e.value) and "drop api_version" in str(e.value)


def test_pasted_v1_request_url() -> None:
    t = resolve(
        azure_endpoint="https://res.openai.azure.com/openai/v1/chat/completions?api-version=preview", api_key=KEY
    )
    assert (t.kind, t.base, t.api_version) == ("v1", "https://res.openai.azure.com/openai/v1", "preview")


def test_base_url_gateway_replaces_resource_openai_prefix() -> None:
    t = resolve(base_url="https://apim.contoso.com/aoai/", deployment="d", api_key=KEY)
    assert (t.kind, t.base, t.cloud) == ("dated", "https://apim.contoso.com/aoai", "custom")
    v1 = resolve(base_url="https://apim.contoso.com/aoai", api_version="v1", api_key=KEY)
    assert (v1.kind, v1.base) == ("v1", "https://apim.contoso.com/aoai/v1")


def test_base_url_ending_in_v1_is_the_v1_api() -> None:
    t = resolve(base_url="https://gw.example.com/openai/v1", api_key=KEY)
    assert (t.kind, t.base) == ("v1", "https://gw.example.com/openai/v1")
    t2 = resolve(base_url="https://gw.example.com/llm/v1/", api_key=KEY)
    assert (t2.kind, t2.base) == ("v1", "https://gw.example.com/llm/v1")


def test_base_url_carrying_the_deployment() -> None:
    t = resolve(base_url="https://gw.example.com/aoai/deployments/chat-1", api_key=KEY)
    assert (t.kind, t.base, t.deployment, t.api_version) == (
        "dated",
        "https://gw.example.com/aoai",
        "chat-1",
        "2024-10-21",
    )


def test_endpoint_with_openai_path_is_not_doubled() -> None:
    t = resolve(azure_endpoint="https://res.openai.azure.com/openai/", deployment="d", api_key=KEY)
    assert t.base == "https://res.openai.azure.com/openai"


def test_endpoint_without_scheme_or_with_env_file_quotes() -> None:
    t = resolve(azure_endpoint="res.openai.azure.com", deployment="d", api_key=KEY)
    assert t.base == "https://res.openai.azure.com/openai"
    q = resolve({"AZURE_OPENAI_ENDPOINT": '"https://res.openai.azure.com/"'}, deployment="d", api_key=KEY)
    assert q.base == "https://res.openai.azure.com/openai"


@pytest.mark.parametrize(
    ("endpoint", "cloud", "scope"),
    [
        ("https://r.openai.azure.com", "public", "https://cognitiveservices.azure.com/.default"),
        ("https://r.cognitiveservices.azure.com", "public", "https://cognitiveservices.azure.com/.default"),
        ("https://r.services.ai.azure.com", "public", "https://cognitiveservices.azure.com/.default"),
        ("https://r.openai.azure.us", "usgov", "https://cognitiveservices.azure.us/.default"),
        ("https://r.openai.azure.cn", "china", "https://cognitiveservices.azure.cn/.default"),
        ("https://aoai.contoso.com", "custom", "https://cognitiveservices.azure.com/.default"),
    ],
)
def test_cloud_and_token_scope_from_host(endpoint: str, cloud: str, scope: str) -> None:
    t = resolve(azure_endpoint=endpoint, deployment="d", api_key=KEY)
    assert (t.cloud, t.token_scope) == (cloud, scope)


def test_token_scope_override() -> None:
    t = resolve(
        azure_endpoint="https://aoai.contoso.com", deployment="d", api_key=KEY, token_scope="api://my-gateway/.default"
    )
    assert t.token_scope == "api://my-gateway/.default"
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="https://aoai.contoso.com", deployment="d", api_key=KEY, token_scope="cognitiveservices")
    assert e.value.setting == "token_scope"


def test_entra_token_goes_as_bearer_and_uses_the_cloud_scope() -> None:
    t = resolve(azure_endpoint="https://r.openai.azure.us", deployment="d", azure_ad_token="eyJ.static.token")
    assert t.credential.headers() == {"Authorization": "Bearer eyJ.static.token"}
    assert t.token_scope == "https://cognitiveservices.azure.us/.default"


def test_openai_proper() -> None:
    t = resolve(
        {"OPENAI_API_KEY": "sk-test", "AZURE_OPENAI_API_KEY": "azure-key"},
        base_url="https://api.openai.com/v1",
        deployment="gpt-4o-mini",
        api_version="2024-10-21",
    )
    assert (t.kind, t.base, t.api_version, t.deployment) == ("openai", "https://api.openai.com/v1", None, "gpt-4o-mini")
    assert t.credential.headers() == {"Authorization": "Bearer sk-test"}


def test_openai_proper_never_gets_the_azure_key() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve({"AZURE_OPENAI_API_KEY": "azure-key"}, base_url="https://api.openai.com/v1")
    assert e.value.setting == "api_key"
    assert "OPENAI_API_KEY" in str(e.value)


def test_openai_proper_refuses_an_entra_token() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(base_url="https://api.openai.com/v1", azure_ad_token="tok")
    assert e.value.setting == "azure_ad_token"
    assert "not an Entra ID token" in str(e.value)


def test_loopback_http_is_allowed_for_the_emulator() -> None:
    for host in ("http://127.0.0.1:8765", "http://localhost:8000/", "http://[::1]:9000"):
        t = resolve(azure_endpoint=host, deployment="d", api_key=KEY)
        assert t.base == host.rstrip("/") + "/openai"
        assert t.cloud == "custom"


def test_default_headers_and_query_are_kept() -> None:
    t = resolve(
        azure_endpoint="https://r.openai.azure.com",
        deployment="d",
        api_key=KEY,
        default_headers={"x-team": "search"},
        default_query={"trace": "1"},
    )
    assert dict(t.default_headers) == {"x-team": "search"}
    assert dict(t.default_query) == {"trace": "1"}


def test_not_requiring_a_deployment() -> None:
    t = resolve(azure_endpoint="https://r.openai.azure.com", api_key=KEY, require_deployment=False)
    assert t.deployment is None


# --------------------------------------------------------------------------------- refusals


def test_no_endpoint() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(api_key=KEY, deployment="d")
    assert e.value.setting == "azure_endpoint"
    assert "AZURE_OPENAI_ENDPOINT" in str(e.value) and "azure_endpoint=" in str(e.value)


@pytest.mark.parametrize("bad", ["2024-10", "2024/10/21", "2024-13-01", "2024-10-21-beta", "october", "v2"])
def test_malformed_api_version(bad: str) -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="https://r.openai.azure.com", deployment="d", api_key=KEY, api_version=bad)
    assert e.value.setting == "api_version"
    assert f"api_version={bad!r} is not an Azure OpenAI api-version" in str(e.value)
    assert "YYYY-MM-DD or YYYY-MM-DD-preview" in str(e.value) and "'v1'" in str(e.value)


def test_malformed_api_version_from_env_names_the_variable() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(
            {"OPENAI_API_VERSION": "2024"}, azure_endpoint="https://r.openai.azure.com", deployment="d", api_key=KEY
        )
    assert e.value.setting == "OPENAI_API_VERSION"


def test_missing_deployment_for_dated_api() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="https://r.openai.azure.com", api_key=KEY)
    assert e.value.setting == "deployment"
    assert "AZURE_OPENAI_DEPLOYMENT" in str(e.value) and "not always the model name" in str(e.value)


def test_v1_does_not_require_a_deployment() -> None:
    t = resolve(azure_endpoint="https://r.openai.azure.com", api_key=KEY, api_version="v1")
    assert t.kind == "v1" and t.deployment is None


# An API key and an Entra ID token both configured: the anchors send the token. openai's
# AzureOpenAI._prepare_options puts "Authorization: Bearer" whenever _get_azure_ad_token() gives one
# (azure_ad_token, else AZURE_OPENAI_AD_TOKEN, else the provider) and api-key only otherwise;
# langchain-openai's AzureChatOpenAI.validate_environment sets api_key=None when a token is set.
KEY_AND_TOKEN = [
    ("args", {}, {"api_key": KEY, "azure_ad_token": "tok"}, "api_key=", "azure_ad_token="),
    (
        "env",
        {"AZURE_OPENAI_API_KEY": KEY, "AZURE_OPENAI_AD_TOKEN": "tok"},
        {},
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_AD_TOKEN",
    ),
    ("argkey-envtoken", {"AZURE_OPENAI_AD_TOKEN": "tok"}, {"api_key": KEY}, "api_key=", "AZURE_OPENAI_AD_TOKEN"),
    (
        "envkey-argtoken",
        {"AZURE_OPENAI_API_KEY": KEY},
        {"azure_ad_token": "tok"},
        "AZURE_OPENAI_API_KEY",
        "azure_ad_token=",
    ),
]


@pytest.mark.parametrize(("case", "env", "kw", "key_from", "token_from"), KEY_AND_TOKEN)
def test_key_and_token_the_token_wins_with_one_warning(
    case: str, env: dict[str, str], kw: dict[str, Any], key_from: str, token_from: str
) -> None:
    endpoint = f"https://both-{case}.openai.azure.com"
    with pytest.warns(UserWarning) as caught:
        t = resolve(env, azure_endpoint=endpoint, deployment="d", **kw)
    assert t.credential.headers() == {"Authorization": "Bearer tok"}
    assert len(caught) == 1
    assert str(caught[0].message) == (
        f"both an API key ({key_from}) and an Entra ID token ({token_from}) are configured for "
        f"{endpoint}/openai: the token is sent (Authorization: Bearer) and the key is not, as "
        "langchain-openai and llama-index do. Remove one of them to silence this warning."
    )
    assert KEY not in str(caught[0].message) and "tok" not in str(caught[0].message).split(")")[-1]
    # once per process per configuration
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = resolve(env, azure_endpoint=endpoint, deployment="d", **kw)
    assert again.credential.headers() == {"Authorization": "Bearer tok"}


def test_key_and_provider_the_provider_wins() -> None:
    with pytest.warns(UserWarning, match=r"\(api_key=\) and an Entra ID token \(azure_ad_token_provider=\)"):
        t = resolve(
            azure_endpoint="https://key-and-provider.openai.azure.com",
            deployment="d",
            api_key=KEY,
            azure_ad_token_provider=lambda: "from-provider",
        )
    assert t.credential.headers() == {"Authorization": "Bearer from-provider"}


def test_provider_argument_wins_over_env_token_and_env_key() -> None:
    # among tokens an argument wins over the environment (and a provider can refresh)
    with pytest.warns(
        UserWarning, match=r"\(AZURE_OPENAI_API_KEY\) and an Entra ID token \(azure_ad_token_provider=\)"
    ):
        t = resolve(
            {"AZURE_OPENAI_AD_TOKEN": "env-tok", "AZURE_OPENAI_API_KEY": KEY},
            azure_endpoint="https://provider-over-env.openai.azure.com",
            deployment="d",
            azure_ad_token_provider=lambda: "from-provider",
        )
    assert t.credential.headers() == {"Authorization": "Bearer from-provider"}


def test_a_key_alone_from_argument_or_env_warns_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = resolve(
            {"AZURE_OPENAI_API_KEY": "env-key"},
            azure_endpoint="https://r.openai.azure.com",
            deployment="d",
            api_key=KEY,
        )
        b = resolve({"AZURE_OPENAI_API_KEY": "env-key"}, azure_endpoint="https://r.openai.azure.com", deployment="d")
        c = resolve(
            {"AZURE_OPENAI_AD_TOKEN": "  "}, azure_endpoint="https://r.openai.azure.com", deployment="d", api_key=KEY
        )
    assert a.credential.headers() == {"api-key": KEY} == c.credential.headers()
    assert b.credential.headers() == {"api-key": "env-key"}


def test_key_holder_and_key_provider_are_passed_to_auth() -> None:
    class Holder:  # azure.core.credentials.AzureKeyCredential's shape
        key = "held-key"

    t = resolve(azure_endpoint="https://r.openai.azure.com", deployment="d", api_key=Holder())
    assert t.credential.headers() == {"api-key": "held-key"}
    p = resolve(azure_endpoint="https://r.openai.azure.com", deployment="d", api_key=lambda: "tok-from-callable")
    assert p.credential.headers() == {"Authorization": "Bearer tok-from-callable"}


def test_auth_mode_key_picks_the_env_key_over_env_token() -> None:
    t = resolve(
        {"AZURE_OPENAI_API_KEY": KEY, "AZURE_OPENAI_AD_TOKEN": "tok"},
        azure_endpoint="https://r.openai.azure.com",
        deployment="d",
        azure_auth_mode="key",
    )
    assert t.credential.headers() == {"api-key": KEY}


def test_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="http://r.openai.azure.com", deployment="d", api_key=KEY)
    assert e.value.setting == "azure_endpoint"
    assert "plain http to a non-loopback host" in str(e.value) and "Use https://" in str(e.value)


def test_unknown_auth_mode() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="https://r.openai.azure.com", deployment="d", azure_auth_mode="kerberos")
    assert e.value.setting == "azure_auth_mode"
    assert "kerberos" in str(e.value) and "managed" in str(e.value)


def test_two_endpoint_sources() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="https://r.openai.azure.com", base_url="https://gw/x", deployment="d", api_key=KEY)
    assert e.value.setting == "base_url"
    assert "pass only one" in str(e.value)


def test_bad_resource_name() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(resource_name="https://r.openai.azure.com", deployment="d", api_key=KEY)
    assert e.value.setting == "resource_name" and "use azure_endpoint" in str(e.value)


def test_auth_in_default_headers_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(
            azure_endpoint="https://r.openai.azure.com",
            deployment="d",
            api_key=KEY,
            default_headers={"Api-Key": "leak"},
        )
    assert e.value.setting == "default_headers"
    assert "leak" not in str(e.value)


def test_foundry_model_inference_url_is_refused_clearly() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(
            azure_endpoint="https://r.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview",
            api_key=KEY,
        )
    assert e.value.setting == "azure_endpoint"
    assert "model-inference route, which azoai does not speak" in str(e.value)
    assert "give the resource URL (https://r.services.ai.azure.com/) with deployment=" in str(e.value)


def test_doubled_slashes_are_collapsed() -> None:
    t = resolve(
        azure_endpoint="https://r.openai.azure.com//openai/deployments/d/completions?api-version=2023-03-15-preview",
        api_key=KEY,
    )
    assert (t.base, t.deployment) == ("https://r.openai.azure.com/openai", "d")


def test_not_a_url() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(azure_endpoint="ftp://r.openai.azure.com", deployment="d", api_key=KEY)
    assert e.value.setting == "azure_endpoint" and "not an http(s) URL" in str(e.value)


def test_v1_version_with_a_deployment_url_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        resolve(
            azure_endpoint="https://r.openai.azure.com/openai/deployments/d/chat/completions",
            api_version="v1",
            api_key=KEY,
        )
    assert e.value.setting == "api_version" and "no /deployments/ path" in str(e.value)


# ---------------------------------------------------------------------------- ClientOptions


def test_client_options_defaults_and_validation() -> None:
    o = ClientOptions()
    assert (o.timeout, o.max_retries, o.deadline, o.max_retry_wait) == (60.0, 2, None, 60.0)
    with pytest.raises(ConfigurationError) as e:
        ClientOptions(max_retries=-1)
    assert e.value.setting == "max_retries"
    with pytest.raises(ConfigurationError) as e:
        ClientOptions(timeout=0)
    assert e.value.setting == "timeout"
    with pytest.raises(ConfigurationError) as e:
        ClientOptions(deadline=-5)
    assert e.value.setting == "deadline"


def test_public_params_mask_credential_like_entries() -> None:
    from shared_core.connection.config import public_params

    params = {
        "Ocp-Apim-Subscription-Key": "a",
        "x-gateway-token": "b",
        "X-Client-Secret": "c",
        "sig": "d",
        "code": "e",
        "Proxy-Authorization": "f",
        "X-Team": "rag",
        "tier": "gold",
        "signature": "g",
        "Cookie": "h",
    }
    masked = {k: "**********" for k in params if k not in ("X-Team", "tier")}
    assert public_params(params) == {**masked, "X-Team": "rag", "tier": "gold"}
    assert public_params(None) is None
    assert public_params({}) == {}
