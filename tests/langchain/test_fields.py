"""The pydantic field surface matches langchain-openai's (names, aliases, env vars, defaults)."""

from __future__ import annotations

import langchain_openai
import pytest
from pydantic import SecretStr

from langchain_azoai import AzureChatOpenAI, AzureOpenAI, AzureOpenAIEmbeddings
from shared_core.errors import ConfigurationError

# Fields of the anchor that are SDK handles (client objects) or features we refuse loudly.
_NOT_OURS = {"client", "async_client", "root_client", "root_async_client", "reasoning"}


def _surface(cls: type) -> dict[str, str | None]:
    return {name: f.alias for name, f in cls.model_fields.items()}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("ours", "anchor"),
    [
        (AzureChatOpenAI, langchain_openai.AzureChatOpenAI),
        (AzureOpenAIEmbeddings, langchain_openai.AzureOpenAIEmbeddings),
        (AzureOpenAI, langchain_openai.AzureOpenAI),
    ],
)
def test_every_anchor_field_and_alias_exists(ours: type, anchor: type) -> None:
    mine, theirs = _surface(ours), _surface(anchor)
    missing = sorted(n for n in theirs if n not in mine and n not in _NOT_OURS)
    assert missing == []
    wrong_alias = sorted(n for n, a in theirs.items() if n in mine and a is not None and mine[n] != a)
    assert wrong_alias == []


def test_aliases_populate_by_name_and_alias() -> None:
    m = AzureChatOpenAI(
        azure_deployment="d",
        api_version="2024-10-21",
        api_key="sekrit-key-123",
        model="gpt-4o",
        timeout=5,
        max_completion_tokens=7,
        stop_sequences=["x"],
        azure_endpoint="https://r.openai.azure.com",
    )
    assert (m.deployment_name, m.openai_api_version, m.model_name, m.request_timeout, m.max_tokens, m.stop) == (
        "d",
        "2024-10-21",
        "gpt-4o",
        5,
        7,
        ["x"],
    )
    assert isinstance(m.openai_api_key, SecretStr)
    assert "sekrit" not in repr(m)
    m2 = AzureChatOpenAI(deployment_name="d", openai_api_version="v1", model_name="o3-mini", max_tokens=9)
    assert (m2.deployment_name, m2.openai_api_version, m2.model_name, m2.max_tokens) == ("d", "v1", "o3-mini", 9)


def test_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://env.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "envkey")
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "envtoken")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-06-01")
    monkeypatch.setenv("OPENAI_PROXY", "http://proxy:3128")
    m = AzureChatOpenAI()
    assert m.azure_endpoint == "https://env.openai.azure.com"
    assert m.openai_api_key.get_secret_value() == "envkey"  # type: ignore[union-attr]
    assert m.azure_ad_token.get_secret_value() == "envtoken"  # type: ignore[union-attr]
    assert m.openai_api_version == "2024-06-01"
    assert m.openai_proxy == "http://proxy:3128"
    monkeypatch.setenv("AZURE_OPENAI_API_VERSION", "2025-04-01-preview")
    assert AzureOpenAIEmbeddings().openai_api_version == "2025-04-01-preview"


def test_unknown_kwargs_go_to_model_kwargs_with_warning() -> None:
    with pytest.warns(UserWarning, match="frobnicate"):
        m = AzureChatOpenAI(frobnicate=1)
    assert m.model_kwargs == {"frobnicate": 1}


def test_defaults_match_anchor() -> None:
    m = AzureChatOpenAI()
    a = langchain_openai.AzureChatOpenAI(
        api_version="2024-10-21", api_key="k", azure_endpoint="https://r.openai.azure.com"
    )
    for name in (
        "model_name",
        "temperature",
        "streaming",
        "n",
        "max_tokens",
        "model_version",
        "openai_api_type",
        "include_response_headers",
        "stop",
        "logprobs",
    ):
        assert getattr(m, name) == getattr(a, name), name
    e = AzureOpenAIEmbeddings()
    assert (e.chunk_size, e.embedding_ctx_length, e.dimensions) == (2048, 8191, None)
    llm = AzureOpenAI()
    assert (llm.temperature, llm.max_tokens, llm.top_p, llm.n) == (0.7, 256, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "setting", "fix"),
    [
        ({"output_version": "responses/v2"}, "output_version", "use 'v0', 'v1' or 'responses/v1'"),
        ({"n": 0}, "n", "at least 1"),
        ({"n": 2, "streaming": True}, "n", "set n=1 or streaming=False"),
        (
            {"reasoning": {"effort": "low", "summary": "auto"}, "use_responses_api": False},
            "reasoning",
            "reasoning_effort=",
        ),
        ({"truncation": "auto", "use_responses_api": False}, "truncation", "remove one of them"),
        ({"use_previous_response_id": True, "use_responses_api": False}, "use_previous_response_id", "remove one"),
    ],
)
def test_refused_settings_raise_configuration_error(kwargs: dict, setting: str, fix: str) -> None:
    with pytest.raises(Exception) as info:
        AzureChatOpenAI(**kwargs)
    err = info.value
    # pydantic wraps validator errors; the cause is our typed error
    cause = err if isinstance(err, ConfigurationError) else err.__cause__ or err
    assert fix in str(err)
    assert setting in str(err)
    assert isinstance(cause, (ConfigurationError, ValueError))


def test_reasoning_effort_from_reasoning_dict_is_accepted() -> None:
    assert AzureChatOpenAI(reasoning={"effort": "low"}).reasoning == {"effort": "low"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_version": "responses/v1"},
        {"reasoning": {"effort": "low", "summary": "auto"}},
        {"include": ["reasoning.encrypted_content"]},
        {"truncation": "auto"},
        {"use_previous_response_id": True},
        {"model": "gpt-5-codex"},
        {"model": "gpt-5.2-pro"},
        {"azure_deployment": "o3-pro"},
    ],
)
def test_responses_only_settings_select_the_responses_api(kwargs: dict) -> None:
    # as langchain-openai's ChatOpenAI: the instance says which API it will use
    assert AzureChatOpenAI(**kwargs).use_responses_api is True


def test_plain_settings_keep_chat_completions() -> None:
    assert AzureChatOpenAI(model="gpt-5.2").use_responses_api is None


def test_construction_creates_no_client() -> None:
    m = AzureChatOpenAI(azure_endpoint="https://r.openai.azure.com", api_key="k", azure_deployment="d")
    assert m._core is None  # the core client is created on first call, not here


def test_profile_from_core_models() -> None:
    p = AzureChatOpenAI(model="o3-mini").profile
    assert p is not None and p["reasoning_output"] is True
    assert AzureChatOpenAI(azure_deployment="prod-gpt-4o").profile["max_input_tokens"] == 128_000  # type: ignore[index]


def test_every_core_error_is_re_exported() -> None:
    import langchain_azoai
    from shared_core import errors

    for name in errors.__all__:
        assert getattr(langchain_azoai, name) is getattr(errors, name)
        assert name in langchain_azoai.__all__
