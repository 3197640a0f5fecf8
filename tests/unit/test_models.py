"""profile_for: families, Azure spellings, deployment-name fallback, and the documented default."""

from __future__ import annotations

import pytest

from shared_core.wire.models import DEFAULT_PROFILE, embedding_dimensions, profile_for


@pytest.mark.parametrize(
    ("name", "family", "reasoning", "context"),
    [
        ("gpt-35-turbo", "gpt-35-turbo", False, 16_385),
        ("gpt-3.5-turbo", "gpt-35-turbo", False, 16_385),
        ("gpt-35-turbo-0613", "gpt-35-turbo", False, 4096),
        ("gpt-35-turbo-16k", "gpt-35-turbo", False, 16_384),
        ("gpt-4", "gpt-4", False, 8192),
        ("gpt-4-32k", "gpt-4", False, 32_768),
        ("gpt-4-turbo-2024-04-09", "gpt-4-turbo", False, 128_000),
        ("gpt-4-1106-preview", "gpt-4-turbo", False, 128_000),
        ("gpt-4o", "gpt-4o", False, 128_000),
        ("gpt-4o-2024-08-06", "gpt-4o", False, 128_000),
        ("gpt-4o-mini", "gpt-4o-mini", False, 128_000),
        ("gpt-4.1", "gpt-4.1", False, 1_047_576),
        ("gpt-41", "gpt-4.1", False, 1_047_576),
        ("gpt-4.1-mini", "gpt-4.1-mini", False, 1_047_576),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano", False, 1_047_576),
        ("gpt-5", "gpt-5", True, 400_000),
        ("gpt-5-mini", "gpt-5", True, 400_000),
        ("gpt-5.2", "gpt-5", True, 400_000),
        ("gpt-5-chat", "gpt-5-chat", False, 128_000),
        ("gpt-5.1-chat", "gpt-5-chat", False, 128_000),
        ("o1", "o1", True, 200_000),
        ("o1-2024-12-17", "o1", True, 200_000),
        ("o1-mini", "o1-mini", True, 128_000),
        ("o3", "o3", True, 200_000),
        ("o3-mini", "o3-mini", True, 200_000),
        ("o4-mini", "o4-mini", True, 200_000),
    ],
)
def test_chat_families(name: str, family: str, reasoning: bool, context: int) -> None:
    p = profile_for(name)
    assert (p.family, p.reasoning, p.context_window, p.chat) == (family, reasoning, context, True)
    assert p.name == name
    if reasoning:
        assert (p.system_role, p.supports_temperature) == ("developer", False)
    else:
        assert (p.system_role, p.supports_temperature) == ("system", True)


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("text-embedding-ada-002", "embeddings"),
        ("text-embedding-3-small", "embeddings"),
        ("text-embedding-3-large", "embeddings"),
        ("dall-e-3", "image"),
        ("gpt-image-1", "image"),
        ("whisper", "whisper"),
        ("gpt-4o-transcribe", "whisper"),
        ("tts-hd", "tts"),
        ("gpt-4o-mini-tts", "tts"),
        ("gpt-35-turbo-instruct", "gpt-35-turbo-instruct"),
    ],
)
def test_non_chat_families(name: str, family: str) -> None:
    p = profile_for(name)
    assert (p.family, p.chat, p.supports_tools) == (family, False, False)


def test_capabilities_differ_where_azure_differs() -> None:
    assert profile_for("gpt-4o").supports_json_schema is True
    assert profile_for("gpt-4-0613").supports_json_schema is False
    assert profile_for("gpt-35-turbo-0613").supports_parallel_tool_calls is False
    assert profile_for("o1-mini").supports_tools is False
    assert profile_for("o3-mini").supports_vision is False
    assert profile_for("gpt-4o").max_output == 16_384


def test_deployment_name_is_the_fallback() -> None:
    p = profile_for(None, "prod-gpt-4o-mini-eastus")
    assert (p.family, p.name) == ("gpt-4o-mini", "prod-gpt-4o-mini-eastus")
    assert profile_for("", "o3-mini-batch").family == "o3-mini"


def test_model_wins_over_deployment() -> None:
    assert profile_for("o4-mini", "gpt-4o-deployment").family == "o4-mini"


def test_unknown_names_get_the_documented_default_and_never_raise() -> None:
    for model, deployment in [
        ("my-deployment", None),
        (None, "chat"),
        (None, None),
        ("DeepSeek-R1", "foundry"),
        ("gpt-4x", None),
    ]:
        p = profile_for(model, deployment)
        assert p.family == "unknown"
        assert (p.chat, p.context_window, p.supports_tools, p.supports_json_schema, p.reasoning, p.system_role) == (
            True,
            128_000,
            True,
            True,
            False,
            "system",
        )
    assert profile_for("my-deployment").name == "my-deployment"
    assert profile_for(None).name == "unknown"
    assert DEFAULT_PROFILE.context_window == 128_000


def test_case_and_provider_prefix_do_not_matter() -> None:
    assert profile_for("Azure/GPT-4o").family == "gpt-4o"
    assert profile_for("openai:o3").family == "o3"


def test_embedding_dimensions() -> None:
    assert embedding_dimensions("text-embedding-3-large") == 3072
    assert embedding_dimensions(None, "prod-text-embedding-3-small") == 1536
    assert embedding_dimensions("text-embedding-ada-002") == 1536
    assert embedding_dimensions("my-embedder") is None
