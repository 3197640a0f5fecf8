"""Today's models next to the legacy defaults: deployed, served, routed; retired ones answer as Azure."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared_core.emulator.app import create_app
from shared_core.emulator.config import (
    CURRENT_MODELS,
    LEGACY_DEFAULTS,
    ManualClock,
    default_deployments,
)

from .emulator_rules_support import USER, fn, post


def test_current_models_are_deployed_next_to_the_legacy_defaults() -> None:
    deps = default_deployments()
    assert set(LEGACY_DEFAULTS) | set(CURRENT_MODELS) == set(deps)
    assert {n: deps[n].kind for n in CURRENT_MODELS} == {
        "gpt-5.2": "reasoning",
        "gpt-5-mini": "reasoning",
        "model-router": "chat",
        "text-embedding-3-large": "embeddings",
        "gpt-image-1": "images",
        "gpt-4o-transcribe": "transcription",
        "gpt-4o-mini-tts": "speech",
    }
    assert deps["text-embedding-3-large"].dimensions == 3072


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_model_router_names_the_model_that_served(client: httpx.AsyncClient, style: str) -> None:
    # Learn model-router: the response `model` is the underlying model, e.g. gpt-5-mini-2025-08-07
    light = await post(client, style, "chat/completions", "model-router", {"messages": USER})
    heavy = await post(client, style, "chat/completions", "model-router", {"messages": USER, "tools": [fn()]})
    assert light.json()["model"] == "gpt-4.1-mini-2025-04-14"
    assert heavy.json()["model"] == "gpt-5-mini-2025-08-07"


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_current_models_serve_their_operations(client: httpx.AsyncClient, style: str) -> None:
    r = await post(client, style, "chat/completions", "gpt-5.2", {"messages": USER})
    assert r.status_code == 200 and r.json()["model"] == "gpt-5.2-2025-12-11"
    too_many = await post(
        client, style, "chat/completions", "gpt-5.2", {"messages": USER, "max_completion_tokens": 128_001}
    )
    assert too_many.json()["error"]["message"] == (
        "max_completion_tokens is too large: 128001. This model supports at most "
        "128000 completion tokens, whereas you provided 128001."
    )
    emb = await post(client, style, "embeddings", "text-embedding-3-large", {"input": "hi"})
    assert len(emb.json()["data"][0]["embedding"]) == 3072
    img = await post(client, style, "images/generations", "gpt-image-1", {"prompt": "a cat", "size": "1536x1024"})
    assert img.status_code == 200 and "b64_json" in img.json()["data"][0]
    speech = await post(client, style, "audio/speech", "gpt-4o-mini-tts", {"input": "hello there", "voice": "alloy"})
    assert speech.status_code == 200 and speech.content[:4] == b"RIFF"


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize(
    "model,operation,path,body",
    [
        ("o4-mini", "chatCompletion", "chat/completions", {"messages": USER}),  # retired 2026-10-16
        ("dall-e-2", "imageGeneration", "images/generations", {"prompt": "a cat"}),  # retired 2025-01-27
    ],
)
async def test_retired_model_deployments_answer_as_azure(
    style: str, model: str, operation: str, path: str, body: dict[str, Any]
) -> None:
    app = create_app(clock=ManualClock(), overrides={"deployments": {"legacy": model}})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        r = await post(c, style, path, "legacy", body)
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "code": "OperationNotSupported",
            "message": (
                f"The {operation} operation does not work with the specified model, {model}. Please choose different model and "
                "try again. You can learn more about which models can be used with each operation here: "
                "https://go.microsoft.com/fwlink/?linkid=2197993."
            ),
        }
    }
