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


def test_the_default_deployments_are_todays_models() -> None:
    deps = default_deployments()
    assert set(CURRENT_MODELS) == set(deps) and not set(LEGACY_DEFAULTS) & set(deps)
    assert {n: deps[n].kind for n in CURRENT_MODELS} == {
        "gpt-5.2": "reasoning",
        "text-embedding-3-small": "embeddings",
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
    # gpt-4.1-mini, the former light pick, retired 2026-10-14 (anchors-2026-12.md, Deprecations)
    assert light.json()["model"] == "gpt-5-nano-2025-08-07"
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


RETIRED_LEGACY = [
    ("gpt-4o", "chatCompletion", "chat/completions", {"messages": USER}),  # retired 2026-10-01
    ("o3-mini", "chatCompletion", "chat/completions", {"messages": USER}),  # retired 2026-10-01
    ("gpt-35-turbo-instruct", "completion", "completions", {"prompt": "Say hi"}),  # no completions model left
    ("dall-e-3", "imageGeneration", "images/generations", {"prompt": "a cat"}),  # retired 2026-03-04
]


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize("model,operation,path,body", RETIRED_LEGACY)
async def test_former_defaults_answer_as_retired_unless_configured_to_serve(
    style: str, model: str, operation: str, path: str, body: dict[str, Any]
) -> None:
    today = ManualClock(1_796_256_000.0)  # 2026-12-03T00:00:00Z
    app = create_app(
        clock=today, overrides={"deployments": {"old": model, "kept": {"model": model, "serve_retired": True}}}
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        old = await post(c, style, path, "old", body)
        kept = await post(c, style, path, "kept", body)
    assert old.status_code == 400
    assert old.json()["error"]["code"] == "OperationNotSupported"
    assert old.json()["error"]["message"].startswith(
        f"The {operation} operation does not work with the specified model, {model}."
    )
    assert kept.status_code == 200, kept.text


@pytest.mark.parametrize("model", ["whisper", "tts"])
async def test_whisper_and_tts_retire_on_2026_12_15(model: str) -> None:
    body = (
        {"input": "hello", "voice": "alloy"}
        if model == "tts"
        else {"__file__": ("a.wav", b"RIFF0000WAVEfmt ", "audio/wav")}
    )
    path = "audio/speech" if model == "tts" else "audio/transcriptions"
    answers = []
    for now in (1_797_292_799.0, 1_797_292_800.0):  # 2026-12-14T23:59:59Z, 2026-12-15T00:00:00Z
        app = create_app(clock=ManualClock(now), overrides={"deployments": {"d": model}})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
            answers.append(await post(c, "dated", path, "d", body))
    assert answers[1].status_code == 400 and answers[1].json()["error"]["code"] == "OperationNotSupported"
    assert answers[0].status_code == 200, answers[0].text


def test_serve_retired_and_provisioned_are_deployment_options() -> None:
    from shared_core.emulator.config import parse_deployment_arg
    from shared_core.errors import ConfigurationError

    d = parse_deployment_arg("old=gpt-4o,serve_retired=true")
    assert (d.name, d.model, d.serve_retired, d.provisioned) == ("old", "gpt-4o", True, False)
    p = parse_deployment_arg("ptu=gpt-5.2,provisioned=yes,spillover=gpt-5.2")
    assert (p.provisioned, p.spillover) == (True, "gpt-5.2")
    with pytest.raises(ConfigurationError, match=r"deployment 'old': serve_retired='maybe' is not a boolean"):
        parse_deployment_arg("old=gpt-4o,serve_retired=maybe")
