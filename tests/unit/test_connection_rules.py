"""resolve_target's rule table one rule at a time, the Spelling of messages, malformed endpoints,
pasted URLs with a default deployment, and static tokens that expired (before sending and on 401)."""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared_core import ChatRequest, ClientOptions, CoreClient
from shared_core.connection.config import (
    RULES,
    Draft,
    Settings,
    deployment_in_endpoint,
    resolve_target,
    rule_api_generation,
    rule_api_version,
    rule_deployment,
    rule_endpoint,
)
from shared_core.connection.routes import build_route
from shared_core.connection.spelling import Spelling
from shared_core.errors import AuthenticationError, ConfigurationError, TokenAcquisitionError

KEY = "k-secret-123"
LC = Spelling({"deployment": "azure_deployment", "token_scope": None})
CLI = Spelling(
    {
        "azure_endpoint": "--endpoint",
        "deployment": "--deployment",
        "api_version": "--api-version",
        "api_key": "--api-key",
        "azure_auth_mode": "--auth-mode",
        "base_url": "--base-url",
    },
    flags=True,
)


def draft(env: dict[str, str] | None = None, spelling: Spelling | None = None, **kw: Any) -> Draft:
    return Draft(Settings(**kw), env or {}, spelling or Spelling())


# ------------------------------------------------------------------------- the table, rule by rule


def test_rules_run_in_a_documented_order() -> None:
    assert [name for name, _ in RULES] == [
        "one endpoint setting",
        "endpoint",
        "api-version",
        "deployment",
        "API generation",
        "deployment required",
        "cloud and token scope",
        "headers, query, weight",
        "declared rate limits",
        "credential",
    ]


def test_rule_endpoint_alone() -> None:
    d = draft(
        azure_endpoint="https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21&x=1"
    )
    rule_endpoint(d)
    assert (d.kind, d.base, d.endpoint.deployment, d.endpoint.api_version, d.endpoint.query) == (
        "dated",
        "https://res.openai.azure.com/openai",
        "d1",
        "2024-10-21",
        {"x": "1"},
    )


def test_rule_api_version_alone_env_only_for_the_dated_api() -> None:
    env = {"OPENAI_API_VERSION": "2024-06-01"}
    d = draft(env, azure_endpoint="https://res.openai.azure.com")
    rule_endpoint(d)
    rule_api_version(d)
    assert d.api_version == "2024-06-01"
    v1 = draft(env, azure_endpoint="https://res.openai.azure.com/openai/v1")
    rule_endpoint(v1)
    rule_api_version(v1)
    assert v1.api_version is None


@pytest.mark.parametrize(
    ("env", "kw", "expected"),
    [
        ({}, {"deployment": "arg", "default_deployment": "model"}, "arg"),
        ({"AZURE_OPENAI_DEPLOYMENT": "env"}, {"default_deployment": "model"}, "env"),
        ({}, {"default_deployment": "gpt-4o"}, "gpt-4o"),
        ({"AZURE_OPENAI_DEPLOYMENT": "env"}, {"deployment": "arg"}, "arg"),
    ],
)
def test_rule_deployment_precedence(env: dict[str, str], kw: dict[str, Any], expected: str) -> None:
    d = draft(env, azure_endpoint="https://res.openai.azure.com", **kw)
    rule_endpoint(d)
    rule_deployment(d)
    assert d.deployment == expected


def test_rule_deployment_a_pasted_url_beats_env_and_the_default() -> None:
    d = draft(
        {"AZURE_OPENAI_DEPLOYMENT": "env"},
        default_deployment="gpt-4o",
        azure_endpoint="https://res.openai.azure.com/openai/deployments/d1/chat/completions",
    )
    rule_endpoint(d)
    rule_deployment(d)
    assert d.deployment == "d1"


def test_rule_api_generation_alone() -> None:
    d = draft(azure_endpoint="https://res.openai.azure.com", api_version="preview")
    rule_endpoint(d)
    rule_api_version(d)
    rule_api_generation(d)
    assert (d.kind, d.base, d.api_version) == ("v1", "https://res.openai.azure.com/openai/v1", "preview")


def test_pasted_url_with_a_model_named_default_deployment_resolves() -> None:
    # LangChain's AzureChatOpenAI(azure_endpoint=<pasted>, model="gpt-4o"): the model names the
    # deployment only when nothing else does (before: "names deployment 'd1' but deployment='gpt-4o'")
    t = resolve_target(
        azure_endpoint="https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21",
        default_deployment="gpt-4o",
        api_key=KEY,
        env={},
    )
    assert (t.deployment, t.api_version) == ("d1", "2024-10-21")
    assert build_route(t, "chat/completions").url == (
        "https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21"
    )


@pytest.mark.parametrize(
    ("url", "is_base", "expected"),
    [
        ("https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21", False, "d1"),
        ("https://gw.example.com/aoai/deployments/d2", True, "d2"),
        ("https://res.openai.azure.com/", False, None),
        ("https://x.openai.azure.com:443:444/openai/deployments/d1", False, None),
        (None, False, None),
    ],
)
def test_deployment_in_endpoint(url: str | None, is_base: bool, expected: str | None) -> None:
    assert deployment_in_endpoint(url, is_base_url=is_base) == expected


# ------------------------------------------------------------------------- spelling of messages


def error(spelling: Spelling, env: dict[str, str] | None = None, **kw: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        resolve_target(env=env or {}, spelling=spelling, **kw)
    return info.value


def test_langchain_spelling() -> None:
    e = error(LC, azure_endpoint="https://r.openai.azure.com", api_key=KEY)
    assert (e.setting, str(e)) == (
        "azure_deployment",
        (
            "no deployment: pass azure_deployment='<deployment name>' or set AZURE_OPENAI_DEPLOYMENT. It is "
            "the name you gave the deployment in Azure AI Foundry (under Deployments), which is not always "
            "the model name"
        ),
    )
    e = error(
        LC, azure_endpoint="https://r.openai.azure.com/openai/deployments/d1/embeddings", deployment="d2", api_key=KEY
    )
    assert (e.setting, str(e)) == (
        "azure_deployment",
        (
            "azure_endpoint names deployment 'd1' but azure_deployment='d2' was given: put only the resource "
            "URL in azure_endpoint and the deployment name in azure_deployment"
        ),
    )
    assert "deployment=" not in str(e).replace("azure_deployment=", "")


def test_cli_spelling_names_flags_and_only_existing_ones() -> None:
    e = error(CLI, api_key=KEY, deployment="d")
    assert (e.setting, str(e)) == (
        "--endpoint",
        (
            "no Azure OpenAI endpoint: pass --endpoint https://<resource>.openai.azure.com/ (or --base-url for "
            "a gateway) or set AZURE_OPENAI_ENDPOINT"
        ),
    )
    e = error(CLI, azure_endpoint="https://r.openai.azure.com", api_key=KEY)
    assert e.setting == "--deployment" and "pass --deployment <deployment name> or set" in str(e)
    e = error(CLI, azure_endpoint="https://r.openai.azure.com", deployment="d", api_version="2024")
    assert (e.setting, str(e).split(":")[0]) == (
        "--api-version",
        "--api-version 2024 is not an Azure OpenAI api-version",
    )
    e = error(CLI, azure_endpoint="https://r.openai.azure.com", deployment="d")
    assert (e.setting, str(e)) == (
        "--api-key",
        (
            "no credential for Azure OpenAI: set AZURE_OPENAI_API_KEY (or pass --api-key), or choose "
            "--auth-mode one of: key, token, entra, service_principal, managed, workload, default, cli, none"
        ),
    )


def test_core_spelling_is_unchanged_for_direct_callers() -> None:
    e = error(Spelling(), azure_endpoint="https://r.openai.azure.com", deployment="d")
    assert e.setting == "api_key"
    assert str(e) == (
        "no credential for Azure OpenAI: set AZURE_OPENAI_API_KEY (or pass api_key=), or pass "
        "azure_ad_token_provider= or credential= (Entra ID, e.g. an azure-identity credential), or choose "
        "azure_auth_mode= one of: key, token, entra, service_principal, managed, workload, default, cli, none"
    )


def test_a_route_error_later_keeps_the_callers_spelling() -> None:
    t = resolve_target(azure_endpoint="https://r.openai.azure.com", api_version="v1", api_key=KEY, env={}, spelling=LC)
    with pytest.raises(ConfigurationError) as info:
        build_route(t, "chat/completions")
    assert info.value.setting == "azure_deployment"
    assert "pass azure_deployment='<name>' (or set AZURE_OPENAI_DEPLOYMENT)" in str(info.value)
    assert pickle.loads(pickle.dumps(t)).spelling == LC


# ------------------------------------------------------------------------- malformed endpoints


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://x.openai.azure.com:443:444", "its port '443:444' is not one number"),
        ("https://x.openai.azure.com:abc/", "its port 'abc' is not one number"),
        ("https://x.openai.azure.com:99999", "its port '99999' is not one number"),
        ("https://x.openai.azure.com:0", "port 0 is not a port"),
        ("https://[::1", "Invalid IPv6 URL"),
        ("https://[fe80::zz]:8080", "does not appear to be an IPv4 or IPv6 address"),
        ("https://my res.openai.azure.com", "the host 'my res.openai.azure.com' contains spaces"),
        ("https://x..openai.azure.com", "has an empty label (two dots in a row)"),
        ("https://-x.openai.azure.com", "has the label '-x', which a DNS name cannot have"),
        ("https://x.openai.azure.com\\openai", "it contains a backslash"),
    ],
)
def test_malformed_endpoint_is_a_typed_error_naming_the_fix(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_target(azure_endpoint=url, deployment="d", api_key=KEY, env={})
    assert info.value.setting == "azure_endpoint"
    text = str(info.value)
    assert text.startswith(f"azure_endpoint={url!r} is not a valid endpoint URL: ")
    assert why in text and text.endswith("e.g. 'https://my-resource.openai.azure.com/'")


def test_malformed_endpoint_from_env_and_in_cli_spelling() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_target(deployment="d", api_key=KEY, env={"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com:1:2"})
    assert info.value.setting == "AZURE_OPENAI_ENDPOINT"
    assert str(info.value).startswith("AZURE_OPENAI_ENDPOINT='https://x.openai.azure.com:1:2' is not a valid")
    e = error(CLI, azure_endpoint="https://x.openai.azure.com:1:2", deployment="d", api_key=KEY)
    assert e.setting == "--endpoint"
    assert str(e).startswith("--endpoint https://x.openai.azure.com:1:2 is not a valid endpoint URL")


@pytest.mark.parametrize(
    "url",
    [
        "https://x.openai.azure.com:443/",
        "http://127.0.0.1:8080",
        "http://[::1]:9000/",
        "https://münchen-aoai.openai.azure.com",
        "https://gw_1.corp.example",
    ],
)
def test_well_formed_endpoints_still_resolve(url: str) -> None:
    t = resolve_target(azure_endpoint=url, deployment="d", api_key=KEY, env={})
    assert t.base.endswith("/openai")


# ------------------------------------------------------------------------- an expired static token


def jwt(**claims: Any) -> str:
    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_with(token: str, handler: Any) -> tuple[CoreClient, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)  # type: ignore[no-any-return]

    target = resolve_target(
        azure_endpoint="https://res.openai.azure.com", deployment="chat", azure_ad_token=token, env={}
    )
    transport = httpx.MockTransport(record)
    return CoreClient(
        target,
        options=ClientOptions(max_retries=3),
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
    ), sent


REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


def test_a_long_expired_static_token_is_refused_before_sending() -> None:
    exp = 1_700_000_000  # 2023-11-14T22:13:20Z
    client, sent = client_with(
        jwt(aud="https://cognitiveservices.azure.com", exp=exp), lambda r: httpx.Response(200, json={})
    )
    with pytest.raises(TokenAcquisitionError) as info:
        client.chat(REQ)
    text = str(info.value)
    assert text.startswith("A static Entra ID token (azure_ad_token) expired at 2023-11-14T22:13:20Z (")
    assert "nothing can refresh it, so no request was sent" in text
    assert "pass a fresh token, or a token provider / credential that can refresh it" in text
    assert info.value.setting == "azure_ad_token" and sent == []
    with pytest.raises(TokenAcquisitionError, match="expired at 2023-11-14T22:13:20Z"):
        asyncio.run(client.achat(REQ))
    assert sent == []


def test_a_just_expired_static_token_gets_one_401_naming_its_expiry_and_no_replay() -> None:
    # within Azure's clock skew the token is still sent; the 401 is final (nothing can refresh it)
    exp = int(time.time()) - 60
    unauthorized = {
        "error": {
            "code": "401",
            "message": "Unauthorized. Access token is missing, invalid, audience "
            "is incorrect (https://cognitiveservices.azure.com), or have expired.",
        }
    }
    client, sent = client_with(
        jwt(aud="https://cognitiveservices.azure.com", exp=exp), lambda r: httpx.Response(401, json=unauthorized)
    )
    with pytest.raises(AuthenticationError) as info:
        client.chat(REQ)
    assert len(sent) == 1  # before: replayed once with the same token
    assert sent[0].headers["authorization"].startswith("Bearer ey")
    assert f"a static Entra ID token (azure_ad_token), which expired at {utc(exp)} and cannot be refreshed" in str(
        info.value
    )
    with pytest.raises(AuthenticationError):
        asyncio.run(client.achat(REQ))
    assert len(sent) == 2


def test_a_valid_static_token_is_sent_and_described_plainly() -> None:
    exp = int(time.time()) + 3600
    client, sent = client_with(
        jwt(exp=exp),
        lambda r: httpx.Response(
            200,
            json={
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "model": "gpt-4o",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            },
        ),
    )
    assert client.chat(REQ).choices[0].content == "ok"
    assert len(sent) == 1
    assert client.targets[0].credential.describe() == "a static Entra ID token (azure_ad_token)"
