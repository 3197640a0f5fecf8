"""Chat body rules per model family and api-version."""

from __future__ import annotations

from typing import Any

import pytest

from shared_core.types import ChatRequest
from shared_core.wire.chat import build_chat_body, modern_api
from shared_core.wire.models import profile_for

SYSTEM = {"role": "system", "content": "Be brief."}
USER = {"role": "user", "content": "Hi"}
PTC_DEFAULT = frozenset({"parallel_tool_calls"})
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def body(
    req: ChatRequest,
    model: str | None = None,
    *,
    deployment: str | None = None,
    body_model: str | None = None,
    api_version: str | None = "2024-10-21",
) -> dict[str, Any]:
    return build_chat_body(
        req, profile=profile_for(model or req.model, deployment), body_model=body_model, api_version=api_version
    )


def test_non_reasoning_model_keeps_sampling_and_max_tokens() -> None:
    req = ChatRequest(
        messages=[SYSTEM, USER],
        model="gpt-4o",
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        presence_penalty=0.1,
        frequency_penalty=0.3,
        seed=7,
        stop=["\n"],
        n=2,
        logprobs=True,
        top_logprobs=2,
        user="u1",
        logit_bias={"50256": -100},
    )
    assert body(req) == {
        "messages": [SYSTEM, USER],
        "max_tokens": 50,
        "temperature": 0.2,
        "top_p": 0.9,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.3,
        "logit_bias": {"50256": -100},
        "logprobs": True,
        "top_logprobs": 2,
        "stop": ["\n"],
        "n": 2,
        "seed": 7,
        "user": "u1",
    }


_SAMPLING = {
    "temperature": 0.5,
    "top_p": 0.9,
    "presence_penalty": 0.1,
    "frequency_penalty": 0.1,
    "logprobs": True,
    "top_logprobs": 3,
    "logit_bias": {"1": 1},
}


def test_reasoning_model_rules() -> None:
    messages = [SYSTEM, USER]
    req = ChatRequest(messages=messages, model="o3-mini", max_tokens=500, reasoning_effort="low")
    assert body(req) == {
        "messages": [{"role": "developer", "content": "Be brief."}, USER],
        "max_completion_tokens": 500,
        "reasoning_effort": "low",
    }
    assert messages[0]["role"] == "system"  # the caller's messages are untouched


@pytest.mark.parametrize("model", ["o3-mini", "gpt-5-mini", "gpt-5.2"])
def test_reasoning_model_sends_sampling_the_caller_set(model: str) -> None:
    # the caller asked for exactly these: sent as given, and Azure's 400 ("Unsupported value:
    # 'temperature' does not support 0.5 with this model", microsoft/vscode#254389) comes back typed
    req = ChatRequest(messages=[USER], model=model, stop=["\n"], **_SAMPLING)  # type: ignore[arg-type]
    assert body(req) == {"messages": [USER], **_SAMPLING, "stop": ["\n"]}


@pytest.mark.parametrize("model", ["o3-mini", "gpt-5-mini", "gpt-5.2", "gpt-5.4"])
def test_reasoning_model_leaves_out_an_adapters_defaults(model: str) -> None:
    defaults = frozenset({*_SAMPLING, "stop"})
    req = ChatRequest(messages=[USER], model=model, stop=["\n"], defaults=defaults, **_SAMPLING)  # type: ignore[arg-type]
    assert body(req) == {"messages": [USER]}
    chat = ChatRequest(messages=[USER], model="gpt-4o", stop=["\n"], defaults=defaults, **_SAMPLING)  # type: ignore[arg-type]
    assert body(chat) == {"messages": [USER], **_SAMPLING, "stop": ["\n"]}  # defaults the family takes: sent


# OpenAI's "Using GPT-5.2" guide, "GPT-5.2 parameter compatibility": temperature, top_p and logprobs
# "only supported when using GPT-5.2 with reasoning effort set to none"; "Requests to GPT-5.2 or
# GPT-5.1 with any other reasoning effort setting, or to older GPT-5 models ... will raise an error".
@pytest.mark.parametrize(
    ("model", "effort", "taken"),
    [
        ("gpt-5.2", "none", True),
        ("gpt-5.1", "none", True),
        ("prod-gpt-52", "none", True),
        ("gpt-5.2", "low", False),
        ("gpt-5.2", None, False),
        ("gpt-5-mini", "none", False),
        ("gpt-5", "minimal", False),
        ("o3", "low", False),
    ],
)
def test_sampling_defaults_at_reasoning_effort_none(model: str, effort: str | None, taken: bool) -> None:
    defaults = frozenset(_SAMPLING)
    req = ChatRequest(messages=[USER], reasoning_effort=effort, defaults=defaults, **_SAMPLING)  # type: ignore[arg-type]
    out = body(req, deployment=model)
    kept = {k: out[k] for k in _SAMPLING if k in out}
    # penalties and logit_bias stay refused whatever the effort
    assert kept == ({"temperature": 0.5, "top_p": 0.9, "logprobs": True, "top_logprobs": 3} if taken else {})


# Azure answers "Unsupported parameter: 'stop' is not supported with this model." for the o-series and
# gpt-5 to gpt-5.4 (MaartenGr/BERTopic#2423, OpenHands/software-agent-sdk#1062); gpt-5.5 and later take
# it again (BerriAI/litellm#28650).
@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("gpt-5-mini", False),
        ("gpt-5.2", False),
        ("prod-gpt-5.4", False),
        ("o3-mini", False),
        ("o3", False),
        ("gpt-5.5", True),
        ("GPT-55", True),
        ("gpt-5-chat", True),
        ("gpt-4o", True),
        ("my-deployment", True),
    ],
)
def test_default_stop_is_sent_only_to_families_that_take_it(name: str, sent: bool) -> None:
    req = ChatRequest(messages=[USER], stop=["\nObservation:"], defaults=frozenset({"stop"}))
    out = body(req, deployment=name)
    assert ("stop" in out) is sent
    if sent:
        assert out["stop"] == ["\nObservation:"]
    # the caller's own stop goes everywhere (a refusing family answers 400, raised typed)
    assert body(ChatRequest(messages=[USER], stop=["\nObservation:"]), deployment=name)["stop"] == ["\nObservation:"]


def test_gpt5_on_v1_puts_the_deployment_in_model() -> None:
    req = ChatRequest(messages=[SYSTEM, USER], max_tokens=100, temperature=1.0, defaults=frozenset({"temperature"}))
    out = body(req, deployment="gpt-5-mini", body_model="gpt-5-mini", api_version=None)
    assert out == {
        "model": "gpt-5-mini",
        "messages": [{"role": "developer", "content": "Be brief."}, USER],
        "max_completion_tokens": 100,
    }


def test_gpt5_chat_is_not_a_reasoning_model() -> None:
    req = ChatRequest(messages=[SYSTEM, USER], model="gpt-5-chat", max_tokens=10, temperature=0.3)
    assert body(req) == {"messages": [SYSTEM, USER], "max_completion_tokens": 10, "temperature": 0.3}
    assert body(req, api_version="2024-06-01") == {"messages": [SYSTEM, USER], "max_tokens": 10, "temperature": 0.3}


def test_reasoning_effort_the_caller_set_is_sent_an_adapters_default_only_where_taken() -> None:
    """Azure refuses it on a model that does not reason (rule ``chat.reasoning_effort.unsupported``):
    the caller's own value goes as asked (the 400 comes back typed); a default stays off the wire."""
    asked = ChatRequest(messages=[USER], model="gpt-5-chat", reasoning_effort="high")
    assert body(asked) == {"messages": [USER], "reasoning_effort": "high"}
    default = ChatRequest(
        messages=[USER], model="gpt-5-chat", reasoning_effort="high", defaults=frozenset({"reasoning_effort"})
    )
    assert body(default) == {"messages": [USER]}
    for model in ("gpt-5-mini", None):  # a reasoning model; an unknown name
        taken = ChatRequest(
            messages=[USER], model=model, reasoning_effort="low", defaults=frozenset({"reasoning_effort"})
        )
        assert body(taken, "my-reasoner")["reasoning_effort"] == "low"


@pytest.mark.parametrize("model", ["gpt-35-turbo", "gpt-4", "gpt-4o-mini", "gpt-4.1-nano"])
def test_older_families_keep_max_tokens_on_new_api_versions(model: str) -> None:
    req = ChatRequest(messages=[USER], model=model, max_tokens=10)
    assert body(req, api_version=None) == {"messages": [USER], "max_tokens": 10}


def test_reasoning_effort_is_kept_for_unknown_names() -> None:
    req = ChatRequest(messages=[USER], reasoning_effort="high")
    assert body(req, "my-reasoner") == {"messages": [USER], "reasoning_effort": "high"}


def test_o1_mini_takes_neither_system_nor_developer() -> None:
    req = ChatRequest(messages=[SYSTEM, USER], model="o1-mini")
    assert body(req)["messages"] == [{"role": "user", "content": "Be brief."}, USER]


def test_messages_are_shared_not_copied_when_nothing_changes() -> None:
    req = ChatRequest(messages=[SYSTEM, USER], model="gpt-4o")
    assert body(req)["messages"] is req.messages
    reasoning_no_system = ChatRequest(messages=[USER], model="o3")
    assert body(reasoning_no_system)["messages"] is reasoning_no_system.messages


@pytest.mark.parametrize(
    ("version", "field"),
    [
        ("2024-10-21", "max_completion_tokens"),
        ("2024-09-01-preview", "max_completion_tokens"),
        (None, "max_completion_tokens"),
        ("preview", "max_completion_tokens"),
        ("2024-08-01-preview", "max_tokens"),
        ("2024-06-01", "max_tokens"),
    ],
)
def test_unknown_family_uses_max_completion_tokens_where_the_version_knows_it(version: str | None, field: str) -> None:
    req = ChatRequest(messages=[USER], max_tokens=64)
    out = body(req, "my-deployment", api_version=version)
    assert out == {"messages": [USER], field: 64}


@pytest.mark.parametrize(
    ("version", "sent"),
    [
        ("2024-10-21", True),
        ("2024-09-01-preview", True),
        ("2025-04-01-preview", True),
        (None, True),
        ("preview", True),
        ("2024-08-01-preview", False),
        ("2024-06-01", False),
        ("2023-05-15", False),
    ],
)
def test_stream_options_only_where_the_api_version_accepts_it(version: str | None, sent: bool) -> None:
    req = ChatRequest(messages=[USER], model="gpt-4o", stream=True)
    out = body(req, api_version=version)
    assert out["stream"] is True
    assert ("stream_options" in out) is sent
    if sent:
        assert out["stream_options"] == {"include_usage": True}
    no_usage = ChatRequest(messages=[USER], model="gpt-4o", stream=True, include_usage=False)
    assert "stream_options" not in body(no_usage, api_version=version)


def test_modern_api_thresholds() -> None:
    assert modern_api("2024-09-01-preview") and not modern_api("2024-08-01-preview")
    assert modern_api("latest") and modern_api("v1") and modern_api(None)


def test_tools_tool_choice_and_parallel_tool_calls() -> None:
    plain = ChatRequest(messages=[USER], model="gpt-4o", tools=[TOOL], tool_choice="auto")
    assert body(plain) == {"messages": [USER], "tools": [TOOL], "tool_choice": "auto"}
    explicit = ChatRequest(messages=[USER], model="gpt-4o", tools=[TOOL], parallel_tool_calls=False)
    assert body(explicit)["parallel_tool_calls"] is False
    # without tools, tool_choice / parallel_tool_calls would be a 400: dropped
    bare = ChatRequest(messages=[USER], model="gpt-4o", tool_choice="required", parallel_tool_calls=False)
    assert body(bare) == {"messages": [USER]}
    # o1 does not take parallel_tool_calls: an adapter's default is left out there
    o1 = ChatRequest(messages=[USER], model="o1", tools=[TOOL], parallel_tool_calls=False, defaults=PTC_DEFAULT)
    assert "parallel_tool_calls" not in body(o1)


@pytest.mark.parametrize("model", ["o1", "o3-mini", "o3", "o4-mini", "codex-mini"])
def test_parallel_tool_calls_default_left_out_for_the_o_series(model: str) -> None:
    # Azure's reasoning-models page: "Parallel Tool Calls" unsupported for every o-series model;
    # o3-mini answers 400 "Unsupported parameter: 'parallel_tool_calls'" even for false
    # (langchain-ai/langchain#29704)
    default = ChatRequest(messages=[USER], model=model, tools=[TOOL], parallel_tool_calls=False, defaults=PTC_DEFAULT)
    assert "parallel_tool_calls" not in body(default)
    # the caller asked explicitly: sent, and Azure's 400 comes back typed
    explicit = ChatRequest(messages=[USER], model=model, tools=[TOOL], parallel_tool_calls=False)
    assert body(explicit)["parallel_tool_calls"] is False


def test_parallel_tool_calls_default_kept_where_the_family_takes_it() -> None:
    for model in ("gpt-4o", "gpt-4.1", "gpt-5", "some-unknown-deployment"):
        req = ChatRequest(messages=[USER], model=model, tools=[TOOL], parallel_tool_calls=False, defaults=PTC_DEFAULT)
        assert body(req)["parallel_tool_calls"] is False, model
    # gpt-5 with reasoning_effort="minimal": "Parallel tool calls are not supported" (Azure docs)
    minimal = ChatRequest(
        messages=[USER],
        model="gpt-5",
        tools=[TOOL],
        reasoning_effort="minimal",
        parallel_tool_calls=False,
        defaults=PTC_DEFAULT,
    )
    assert "parallel_tool_calls" not in body(minimal)


def test_parallel_tool_calls_default_left_out_on_api_versions_that_refuse_it() -> None:
    # 2024-05-01-preview answers 400 "Unrecognized request argument supplied: parallel_tool_calls"
    # (Azure/azure-rest-api-specs#29545, Azure's answer quoted); 2024-06-01 GA and later know it
    req = ChatRequest(messages=[USER], model="gpt-4o", tools=[TOOL], parallel_tool_calls=False, defaults=PTC_DEFAULT)
    old = build_chat_body(req, profile=profile_for("gpt-4o"), body_model=None, api_version="2024-05-01-preview")
    assert "parallel_tool_calls" not in old
    for version in ("2024-06-01", "2024-10-21", None):
        new = build_chat_body(req, profile=profile_for("gpt-4o"), body_model=None, api_version=version)
        assert new["parallel_tool_calls"] is False, version
    explicit = ChatRequest(messages=[USER], model="gpt-4o", tools=[TOOL], parallel_tool_calls=False)
    sent = build_chat_body(explicit, profile=profile_for("gpt-4o"), body_model=None, api_version="2024-05-01-preview")
    assert sent["parallel_tool_calls"] is False  # asked for: sent, and Azure's 400 comes back typed


def test_response_format_passthrough() -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    req = ChatRequest(messages=[USER], model="gpt-4o", response_format=rf)
    assert body(req)["response_format"] is rf


def test_extra_body_wins_and_never_both_max_token_fields() -> None:
    req = ChatRequest(
        messages=[USER],
        model="gpt-4o",
        max_tokens=10,
        temperature=0.1,
        extra_body={"temperature": 0.9, "data_sources": [{"type": "azure_search"}]},
    )
    assert body(req) == {
        "messages": [USER],
        "max_tokens": 10,
        "temperature": 0.9,
        "data_sources": [{"type": "azure_search"}],
    }
    # a reasoning model with max_tokens in extra_body: renamed
    r = ChatRequest(messages=[USER], model="o4-mini", extra_body={"max_tokens": 30})
    assert body(r) == {"messages": [USER], "max_completion_tokens": 30}
    # both would be sent: keep the model's field with the caller's last value
    both = ChatRequest(messages=[USER], model="gpt-4o", max_tokens=10, extra_body={"max_completion_tokens": 99})
    assert body(both) == {"messages": [USER], "max_tokens": 99}
    both_r = ChatRequest(messages=[USER], model="o3", max_tokens=10, extra_body={"max_tokens": 77})
    assert body(both_r) == {"messages": [USER], "max_completion_tokens": 77}
