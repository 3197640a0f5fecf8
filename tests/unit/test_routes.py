"""build_route: every (kind x operation x host style x cloud) with the exact URL expected."""

from __future__ import annotations

from typing import Any

import pytest

from shared_core.connection.config import resolve_target
from shared_core.connection.routes import build_route
from shared_core.errors import ConfigurationError

SCOPED = [
    "chat/completions",
    "completions",
    "embeddings",
    "audio/transcriptions",
    "audio/translations",
    "audio/speech",
    "images/generations",
    "images/edits",
]
UNSCOPED = ["files", "batches", "fine_tuning/jobs", "models"]

# host style -> (settings, the URL prefix Azure's "/openai" maps to, cloud, token scope)
HOSTS: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "openai.azure.com": (
        {"azure_endpoint": "https://res.openai.azure.com/"},
        "https://res.openai.azure.com/openai",
        "public",
        "https://cognitiveservices.azure.com/.default",
    ),
    "cognitiveservices": (
        {"azure_endpoint": "https://res.cognitiveservices.azure.com"},
        "https://res.cognitiveservices.azure.com/openai",
        "public",
        "https://cognitiveservices.azure.com/.default",
    ),
    "foundry": (
        {"azure_endpoint": "https://res.services.ai.azure.com"},
        "https://res.services.ai.azure.com/openai",
        "public",
        "https://cognitiveservices.azure.com/.default",
    ),
    "usgov": (
        {"azure_endpoint": "https://res.openai.azure.us"},
        "https://res.openai.azure.us/openai",
        "usgov",
        "https://cognitiveservices.azure.us/.default",
    ),
    "china": (
        {"azure_endpoint": "https://res.openai.azure.cn"},
        "https://res.openai.azure.cn/openai",
        "china",
        "https://cognitiveservices.azure.cn/.default",
    ),
    "custom-domain": (
        {"azure_endpoint": "https://ai.contoso.com"},
        "https://ai.contoso.com/openai",
        "custom",
        "https://cognitiveservices.azure.com/.default",
    ),
    "gateway": (
        {"base_url": "https://apim.contoso.com/aoai-east"},
        "https://apim.contoso.com/aoai-east",
        "custom",
        "https://cognitiveservices.azure.com/.default",
    ),
    "emulator": (
        {"azure_endpoint": "http://127.0.0.1:8765"},
        "http://127.0.0.1:8765/openai",
        "custom",
        "https://cognitiveservices.azure.com/.default",
    ),
}

# kind -> (api_version setting, URL for a deployment-scoped op, URL for an unscoped op, body model)
KINDS = {
    "dated": (
        "2024-10-21",
        "{p}/deployments/dep-1/{op}?api-version=2024-10-21",
        "{p}/{op}?api-version=2024-10-21",
        None,
    ),
    "dated-preview": (
        "2025-04-01-preview",
        "{p}/deployments/dep-1/{op}?api-version=2025-04-01-preview",
        "{p}/{op}?api-version=2025-04-01-preview",
        None,
    ),
    "v1": ("v1", "{p}/v1/{op}", "{p}/v1/{op}", "dep-1"),
    "v1-preview": ("preview", "{p}/v1/{op}?api-version=preview", "{p}/v1/{op}?api-version=preview", "dep-1"),
}

CASES = [(host, kind, op) for host in HOSTS for kind in KINDS for op in SCOPED + UNSCOPED] + [
    ("api.openai.com", "openai", op) for op in SCOPED + UNSCOPED
]


@pytest.mark.parametrize(("host", "kind", "op"), CASES)
def test_every_route(host: str, kind: str, op: str) -> None:
    if kind == "openai":
        target = resolve_target(base_url="https://api.openai.com/v1", deployment="dep-1", api_key="sk-test", env={})
        expected_url = f"https://api.openai.com/v1/{op}"
        expected_model = "dep-1" if op in SCOPED else None
        cloud, scope = "custom", "https://cognitiveservices.azure.com/.default"
    else:
        settings, prefix, cloud, scope = HOSTS[host]
        version, scoped_url, unscoped_url, model = KINDS[kind]
        target = resolve_target(**settings, deployment="dep-1", api_version=version, api_key="k", env={})
        expected_url = (scoped_url if op in SCOPED else unscoped_url).format(p=prefix, op=op)
        expected_model = model if op in SCOPED else None
    route = build_route(target, op)
    assert route.url == expected_url
    assert route.method == "POST"
    assert route.body_model == expected_model
    assert (target.cloud, target.token_scope) == (cloud, scope)
    assert not {"api-key", "authorization"} & {h.lower() for h in route.headers}


def test_literal_urls_for_the_common_cases() -> None:
    dated = resolve_target(azure_endpoint="https://my-res.openai.azure.com/", deployment="gpt-4o", api_key="k", env={})
    assert build_route(dated, "chat/completions").url == (
        "https://my-res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
    )
    v1 = resolve_target(
        azure_endpoint="https://my-res.openai.azure.com/openai/v1/", deployment="gpt-4o", api_key="k", env={}
    )
    r = build_route(v1, "embeddings", deployment="te3-small")
    assert (r.url, r.body_model) == ("https://my-res.openai.azure.com/openai/v1/embeddings", "te3-small")


def test_suffix_method_and_headers() -> None:
    t = resolve_target(
        azure_endpoint="https://r.openai.azure.com",
        deployment="d",
        api_key="k",
        env={},
        default_headers={"x-team": "a"},
        default_query={"trace": "on"},
    )
    r = build_route(t, "files", method="get", suffix="file-abc/content")
    assert r.method == "GET"
    assert r.url == "https://r.openai.azure.com/openai/files/file-abc/content?api-version=2024-10-21&trace=on"
    assert dict(r.headers) == {"accept": "application/json", "x-team": "a"}
    assert dict(build_route(t, "chat/completions").headers) == {
        "accept": "application/json",
        "content-type": "application/json",
        "x-team": "a",
    }
    # multipart: httpx sets content-type with the boundary
    assert "content-type" not in build_route(t, "audio/transcriptions").headers
    assert "content-type" not in build_route(t, "files").headers
    assert build_route(t, "audio/speech").headers["accept"] == "application/octet-stream"
    assert (
        build_route(t, "batches", suffix="/batch_1/cancel").url
        == "https://r.openai.azure.com/openai/batches/batch_1/cancel?api-version=2024-10-21&trace=on"
    )


def test_deployment_override_and_quoting() -> None:
    t = resolve_target(azure_endpoint="https://r.openai.azure.com", deployment="d", api_key="k", env={})
    assert build_route(t, "embeddings", deployment="emb large").url == (
        "https://r.openai.azure.com/openai/deployments/emb%20large/embeddings?api-version=2024-10-21"
    )


def test_default_query_may_override_api_version() -> None:
    t = resolve_target(
        base_url="https://gw.contoso.com/aoai",
        deployment="d",
        api_key="k",
        env={},
        default_query={"api-version": "2025-04-01-preview"},
    )
    assert build_route(t, "chat/completions").url == (
        "https://gw.contoso.com/aoai/deployments/d/chat/completions?api-version=2025-04-01-preview"
    )


def test_scoped_operation_without_any_deployment() -> None:
    t = resolve_target(azure_endpoint="https://r.openai.azure.com", api_version="v1", api_key="k", env={})
    with pytest.raises(ConfigurationError) as e:
        build_route(t, "chat/completions")
    assert e.value.setting == "deployment"
    assert "chat/completions needs a deployment" in str(e.value)
    assert build_route(t, "models", method="GET").url == "https://r.openai.azure.com/openai/v1/models"
