"""resolve_targets: what a fallback inherits, what it must say itself, and the errors naming it."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from shared_core.client import CoreClient, client_from_settings
from shared_core.connection.config import resolve_target
from shared_core.connection.regions import (
    hide_secrets,
    normalize_fallback,
    public_settings,
    resolve_targets,
)
from shared_core.errors import ConfigurationError
from shared_core.policy.transport import Hooks
from shared_core.types import ChatRequest

EAST = "https://east.openai.azure.com/"
WEST = "https://west.openai.azure.com/"
PRIMARY: dict[str, Any] = {"azure_endpoint": EAST, "deployment": "gpt-4o", "api_key": "k-east", "name": "eastus"}


def _token() -> str:
    return "tok"


def _resolve(fallbacks: Any, primary: dict[str, Any] | None = None, **kw: Any) -> Any:
    return resolve_targets(primary or PRIMARY, fallbacks, env={}, **kw)


def _error(fallbacks: Any, primary: dict[str, Any] | None = None, **kw: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        _resolve(fallbacks, primary, **kw)
    return info.value


# ------------------------------------------------------------------ inheritance


def test_no_fallbacks_is_the_primary_alone() -> None:
    (only,) = _resolve(None)
    expected = resolve_target(**PRIMARY, env={})
    assert (only.name, only.base, only.deployment, only.api_version, only.weight) == (
        expected.name,
        expected.base,
        expected.deployment,
        expected.api_version,
        1.0,
    )
    assert only.credential.headers() == {"api-key": "k-east"}


def test_dict_fallback_inherits_deployment_and_api_version_not_the_key() -> None:
    primary = {**PRIMARY, "api_version": "2025-04-01-preview"}
    east, west = _resolve([{"azure_endpoint": WEST, "api_key": "k-west"}], primary)
    assert (west.base, west.deployment, west.api_version) == (
        "https://west.openai.azure.com/openai",
        "gpt-4o",
        "2025-04-01-preview",
    )
    assert west.credential.headers() == {"api-key": "k-west"}
    assert east.credential.headers() == {"api-key": "k-east"}
    assert west.name == "west.openai.azure.com"


def test_bare_url_to_another_resource_refuses_to_reuse_the_key() -> None:
    err = _error([WEST])
    assert err.setting == "fallbacks[0].api_key"
    assert str(err).startswith(
        "fallbacks[0]: https://west.openai.azure.com is another resource than "
        "the primary (https://east.openai.azure.com)"
    )
    assert "give it its own, e.g. {'azure_endpoint': 'https://west.openai.azure.com/', 'api_key': '...'}" in str(err)
    assert "k-east" not in str(err)


def test_env_key_describes_the_primary_only() -> None:
    env = {"AZURE_OPENAI_ENDPOINT": EAST, "AZURE_OPENAI_API_KEY": "k-env", "AZURE_OPENAI_DEPLOYMENT": "gpt-4o"}
    with pytest.raises(ConfigurationError) as info:
        resolve_targets({}, [WEST], env=env)
    assert info.value.setting == "fallbacks[0].api_key"
    east, west = resolve_targets({}, [{"azure_endpoint": WEST, "api_key": "k-west"}], env=env)
    assert east.credential.headers() == {"api-key": "k-env"}
    assert (west.credential.headers(), west.deployment) == ({"api-key": "k-west"}, "gpt-4o")


def test_same_resource_other_deployment_shares_key_and_headers() -> None:
    primary = {**PRIMARY, "default_headers": {"Ocp-Apim-Subscription-Key": "apim"}}
    ptu, paygo = _resolve([{"azure_endpoint": EAST, "deployment": "gpt-4o-paygo"}], primary)
    assert paygo.credential is ptu.credential
    assert dict(paygo.default_headers) == {"Ocp-Apim-Subscription-Key": "apim"}
    assert (paygo.deployment, paygo.name) == ("gpt-4o-paygo", "east.openai.azure.com")


def test_headers_and_query_are_not_sent_to_another_origin() -> None:
    primary = {**PRIMARY, "default_headers": {"Ocp-Apim-Subscription-Key": "apim"}, "default_query": {"code": "q"}}
    _, west = _resolve([{"azure_endpoint": WEST, "api_key": "k-west"}], primary)
    assert dict(west.default_headers) == {} and dict(west.default_query) == {}


def test_entra_credential_crosses_resources_of_one_cloud_with_one_cache() -> None:
    primary = {"azure_endpoint": EAST, "deployment": "gpt-4o", "azure_ad_token_provider": _token}
    east, west, sweden = _resolve([WEST, {"resource_name": "sweden"}], primary)
    assert west.credential is east.credential is sweden.credential
    assert west.credential.headers() == {"Authorization": "Bearer tok"}
    assert sweden.base == "https://sweden.openai.azure.com/openai"


def test_entra_credential_does_not_cross_clouds_or_reach_gateways() -> None:
    primary = {"azure_endpoint": EAST, "deployment": "gpt-4o", "azure_ad_token_provider": _token}
    err = _error(["https://gov.openai.azure.us/"], primary)
    assert err.setting == "fallbacks[0].credential"
    assert "https://gov.openai.azure.us is on the usgov cloud, the primary on public" in str(err)
    err = _error([{"base_url": "https://apim.contoso.com/openai"}], primary)
    assert "is a custom domain or gateway, not a known Azure host" in str(err)
    # its own credential is fine
    _, gw = _resolve([{"base_url": "https://apim.contoso.com/openai", "credential": _token}], primary)
    assert gw.credential.headers() == {"Authorization": "Bearer tok"}


def test_v1_primary_makes_bare_fallbacks_speak_v1() -> None:
    primary = {
        "azure_endpoint": "https://east.openai.azure.com/openai/v1",
        "deployment": "gpt-4o",
        "azure_ad_token_provider": _token,
    }
    _, west = _resolve([WEST], primary)
    assert (west.kind, west.base, west.api_version) == ("v1", "https://west.openai.azure.com/openai/v1", None)


def test_url_that_carries_deployment_and_version_wins_over_inheritance() -> None:
    url = "https://west.openai.azure.com/openai/deployments/gpt-4o-west/chat/completions?api-version=2024-06-01"
    _, west = _resolve([{"azure_endpoint": url, "api_key": "k"}])
    assert (west.deployment, west.api_version) == ("gpt-4o-west", "2024-06-01")


def test_openai_as_last_resort_needs_model_and_its_own_key() -> None:
    east, west, oai = _resolve(
        [
            {"azure_endpoint": WEST, "api_key": "k-west"},
            {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini", "api_key": "sk-x", "name": "openai"},
        ]
    )
    assert (oai.kind, oai.deployment, oai.name) == ("openai", "gpt-4o-mini", "openai")
    assert oai.credential.headers() == {"Authorization": "Bearer sk-x"}
    err = _error([{"base_url": "https://api.openai.com/v1", "api_key": "sk-x"}])
    assert err.setting == "fallbacks[0].model"
    assert "is OpenAI itself, which takes a model name" in str(err)
    with pytest.raises(ConfigurationError) as info:
        resolve_targets(
            PRIMARY,
            [{"base_url": "https://api.openai.com/v1", "model": "gpt-4o"}],
            env={"AZURE_OPENAI_API_KEY": "never-to-openai"},
        )
    assert info.value.setting == "fallbacks[0].api_key"
    assert "no OpenAI API key for api.openai.com" in str(info.value)
    (_, oai2) = resolve_targets(
        PRIMARY, [{"base_url": "https://api.openai.com/v1", "model": "gpt-4o"}], env={"OPENAI_API_KEY": "sk-env"}
    )
    assert oai2.credential.headers() == {"Authorization": "Bearer sk-env"}


def test_ready_target_is_used_as_is() -> None:
    t = resolve_target(azure_endpoint=WEST, deployment="other", api_key="k-w", name="westeurope", env={})
    _, west = _resolve([t], load_balancing="weighted")
    assert west is t


# ------------------------------------------------------------------ load balancing


def test_priority_gives_the_primary_all_weight_and_fallbacks_backup_order() -> None:
    targets = _resolve([{"azure_endpoint": WEST, "api_key": "a"}, {"resource_name": "third", "api_key": "b"}])
    assert [t.weight for t in targets] == [1.0, 0.0, 0.0]


def test_weighted_keeps_weights() -> None:
    targets = _resolve(
        [{"azure_endpoint": WEST, "api_key": "a", "weight": 3}], {**PRIMARY, "weight": 1}, load_balancing="weighted"
    )
    assert [t.weight for t in targets] == [1.0, 3.0]


def _wire(seen: list[str], down: set[str]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if request.url.host in down:
            return httpx.Response(503, json={"error": {"code": "ServiceUnavailable", "message": "down"}})
        return httpx.Response(
            200,
            headers={"x-ms-region": request.url.host.split(".")[0]},
            json={
                "id": "c",
                "object": "chat.completion",
                "created": 0,
                "model": "gpt-4o",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
            },
        )

    return httpx.Client(transport=httpx.MockTransport(handler))


def _client(targets: Any, http: httpx.Client, rng: float = 0.999) -> CoreClient:
    return CoreClient(targets, http_client=http, hooks=Hooks(sleep=lambda s: None, rng=lambda: rng))


def test_priority_on_the_wire_primary_first_then_in_order() -> None:
    seen: list[str] = []
    targets = _resolve(
        [{"azure_endpoint": WEST, "api_key": "a", "name": "westeurope"}, {"resource_name": "third", "api_key": "b"}]
    )
    client = _client(targets, _wire(seen, down=set()))
    req = ChatRequest(messages=[{"role": "user", "content": "x"}])
    # rng near 1 would pick the last target under weights; priority ignores it
    assert {client.chat(req).meta.target for _ in range(3)} == {"eastus"}
    client = _client(targets, _wire(seen, down={"east.openai.azure.com"}))
    seen.clear()
    result = client.chat(req)
    assert (result.meta.target, result.meta.region) == ("westeurope", "west")
    assert seen == ["east.openai.azure.com", "west.openai.azure.com"]


def test_weighted_on_the_wire_follows_rng() -> None:
    seen: list[str] = []
    targets = _resolve([{"azure_endpoint": WEST, "api_key": "a", "name": "westeurope"}], load_balancing="weighted")
    req = ChatRequest(messages=[{"role": "user", "content": "x"}])
    assert _client(targets, _wire(seen, set()), rng=0.999).chat(req).meta.target == "westeurope"
    assert _client(targets, _wire(seen, set()), rng=0.1).chat(req).meta.target == "eastus"


def test_client_from_settings_builds_options_and_targets() -> None:
    client = client_from_settings(
        **PRIMARY, fallbacks=[{"azure_endpoint": WEST, "api_key": "w"}], max_retries=5, env={}
    )
    assert [t.name for t in client.targets] == ["eastus", "west.openai.azure.com"]
    assert client.options.max_retries == 5
    clone = pickle.loads(pickle.dumps(client))
    assert [t.weight for t in clone.targets] == [1.0, 0.0]
    assert "k-east" not in repr(client.targets) and "'w'" not in repr(client.targets)


# ------------------------------------------------------------------ validation messages


@pytest.mark.parametrize(
    ("fallbacks", "setting", "message"),
    [
        (
            [{"azure_endpoit": WEST}],
            "fallbacks[0].azure_endpoit",
            "fallbacks[0]: unknown setting 'azure_endpoit': did you mean 'azure_endpoint'?",
        ),
        ([{"api_key": "k"}], "fallbacks[0].azure_endpoint", "fallbacks[0]: says no endpoint: give 'azure_endpoint'"),
        (
            [{"azure_endpoint": WEST, "base_url": WEST}],
            "fallbacks[0].base_url",
            "fallbacks[0]: gives both 'azure_endpoint' and 'base_url': keep one",
        ),
        (
            [{"azure_endpoint": WEST, "deployment": "a", "azure_deployment": "b"}],
            "fallbacks[0].deployment",
            "'deployment' is given twice",
        ),
        (["  "], "fallbacks[0].azure_endpoint", "fallbacks[0]: is an empty string"),
        ([42], "fallbacks[0].type", "fallbacks[0]: is a int: give an endpoint URL"),
        (
            [{"azure_endpoint": WEST, "api_key": "k"}, "http://west.example.com"],
            "fallbacks[1].azure_endpoint",
            "fallbacks[1]: azure_endpoint='http://west.example.com' uses plain http",
        ),
        (
            [{"azure_endpoint": WEST, "api_key": "k", "api_version": "2024-13-01"}],
            "fallbacks[0].api_version",
            "fallbacks[0]: api_version='2024-13-01' is not an Azure OpenAI api-version",
        ),
        (
            [{"azure_endpoint": WEST, "api_key": "k", "weight": 2}],
            "fallbacks[0].weight",
            "weight is given but load_balancing='priority' ignores weights",
        ),
        (
            [{"azure_endpoint": WEST, "api_key": "k", "model": "gpt-4o"}],
            "fallbacks[0].model",
            "'model' is only for an api.openai.com fallback",
        ),
        (
            [{"azure_endpoint": EAST}],
            "fallbacks[0].deployment",
            "fallbacks[0]: repeats target 'eastus' (https://east.openai.azure.com/openai, deployment 'gpt-4o')",
        ),
        (
            [
                {"azure_endpoint": EAST, "deployment": "b"},
                {"azure_endpoint": EAST, "deployment": "c"},
                {"azure_endpoint": "https://east.openai.azure.com/openai/deployments/b", "name": "x"},
            ],
            "fallbacks[2].deployment",
            "fallbacks[2]: repeats target 'east.openai.azure.com'",
        ),
        (
            [{"azure_endpoint": WEST, "api_key": "k", "name": "eastus"}],
            "fallbacks[0].name",
            "name 'eastus' is already used",
        ),
        ([{"azure_endpoint": WEST, "api_key": "k", "name": ""}], "fallbacks[0].name", "must be a non-empty string"),
    ],
)
def test_errors_name_the_fallback_and_setting(fallbacks: Any, setting: str, message: str) -> None:
    err = _error(fallbacks)
    assert err.setting == setting
    assert message in str(err)


def test_errors_on_the_call_shape() -> None:
    err = _error(WEST)
    assert (err.setting, str(err)) == ("fallbacks", "fallbacks must be a list, got a str: wrap it, fallbacks=[...]")
    err = _error([], load_balancing="round-robin")
    assert err.setting == "load_balancing" and "'priority'" in str(err) and "'weighted'" in str(err)
    err = _error([], {**PRIMARY, "weight": 2})
    assert err.setting == "weight"
    err = _error([{"azure_endpoint": WEST, "api_key": "k", "weight": "heavy"}], load_balancing="weighted")
    assert (err.setting, str(err)) == (
        "fallbacks[0].weight",
        "fallbacks[0]: weight='heavy' is not a number: give e.g. 1 or 0.5",
    )
    err = _error([{"azure_endpoint": WEST, "api_key": "k", "weight": 0}], load_balancing="weighted")
    assert (err.setting, str(err)) == ("fallbacks[0].weight", "fallbacks[0]: weight=0 must be > 0")


# ------------------------------------------------------------------ helpers for the adapters


def test_normalize_folds_aliases() -> None:
    assert normalize_fallback(
        {"azure_endpoint": WEST, "azure_deployment": "d", "openai_api_key": "k", "api_base": None}, 0
    ) == {"azure_endpoint": WEST, "deployment": "d", "api_key": "k"}


def test_hide_and_public_settings_keep_secrets_out() -> None:
    hidden = hide_secrets(
        {
            "azure_endpoint": WEST,
            "api_key": "k-w",
            "openai_api_key": "k2",
            "client_secret": SecretStr("cs"),
            "weight": 2,
        }
    )
    assert isinstance(hidden["api_key"], SecretStr) and isinstance(hidden["openai_api_key"], SecretStr)
    assert "k-w" not in repr(hidden) and "k2" not in repr(hidden)
    assert hide_secrets(WEST) == WEST
    entry = {**hidden, "credential": _token, "default_headers": {"x-a": "1"}}
    assert public_settings(entry) == {"azure_endpoint": WEST, "weight": 2, "default_headers": {"x-a": "1"}}
    marked = public_settings(entry, secret=lambda s: f"<{s}>")
    assert marked["api_key"] == "<api_key>" and marked["openai_api_key"] == "<api_key>"
    assert marked["client_secret"] == "<client_secret>" and "credential" not in marked
    assert public_settings(WEST) == WEST
