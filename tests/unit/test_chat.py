"""Chat body rules per model family, and parsing of Azure's real response / chunk shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared_core.types import ChatRequest, ResponseMeta, ToolCall, ToolCallDelta, Usage
from shared_core.wire.chat import build_chat_body, modern_api, parse_chat, parse_chat_chunk
from shared_core.wire.models import profile_for

SYSTEM = {"role": "system", "content": "Be brief."}
USER = {"role": "user", "content": "Hi"}
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


# ------------------------------------------------------------------------------------ build


#: a well-formed choice, for tests about other fields (an answer without choices is an error)
OK_CHOICE = [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]


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


def test_reasoning_model_rules() -> None:
    messages = [SYSTEM, USER]
    req = ChatRequest(
        messages=messages,
        model="o3-mini",
        temperature=0.5,
        top_p=0.9,
        max_tokens=500,
        presence_penalty=0.1,
        frequency_penalty=0.1,
        logprobs=True,
        top_logprobs=3,
        logit_bias={"1": 1},
        reasoning_effort="low",
    )
    assert body(req) == {
        "messages": [{"role": "developer", "content": "Be brief."}, USER],
        "max_completion_tokens": 500,
        "reasoning_effort": "low",
    }
    assert messages[0]["role"] == "system"  # the caller's messages are untouched


def test_gpt5_on_v1_puts_the_deployment_in_model() -> None:
    req = ChatRequest(messages=[SYSTEM, USER], max_tokens=100, temperature=1.0)
    out = body(req, deployment="gpt-5-mini", body_model="gpt-5-mini", api_version=None)
    assert out == {
        "model": "gpt-5-mini",
        "messages": [{"role": "developer", "content": "Be brief."}, USER],
        "max_completion_tokens": 100,
    }


def test_gpt5_chat_is_not_a_reasoning_model() -> None:
    req = ChatRequest(
        messages=[SYSTEM, USER], model="gpt-5-chat", max_tokens=10, temperature=0.3, reasoning_effort="high"
    )
    assert body(req) == {"messages": [SYSTEM, USER], "max_completion_tokens": 10, "temperature": 0.3}
    assert body(req, api_version="2024-06-01") == {"messages": [SYSTEM, USER], "max_tokens": 10, "temperature": 0.3}


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
    o1 = ChatRequest(messages=[USER], model="o1", tools=[TOOL], parallel_tool_calls_if_supported=False)
    assert "parallel_tool_calls" not in body(o1)


@pytest.mark.parametrize("model", ["o1", "o3-mini", "o3", "o4-mini", "codex-mini"])
def test_parallel_tool_calls_default_left_out_for_the_o_series(model: str) -> None:
    # Azure's reasoning-models page: "Parallel Tool Calls" unsupported for every o-series model;
    # o3-mini answers 400 "Unsupported parameter: 'parallel_tool_calls'" even for false
    # (langchain-ai/langchain#29704)
    default = ChatRequest(messages=[USER], model=model, tools=[TOOL], parallel_tool_calls_if_supported=False)
    assert "parallel_tool_calls" not in body(default)
    # the caller asked explicitly: sent, and Azure's 400 comes back typed
    explicit = ChatRequest(messages=[USER], model=model, tools=[TOOL], parallel_tool_calls=False)
    assert body(explicit)["parallel_tool_calls"] is False


def test_parallel_tool_calls_default_kept_where_the_family_takes_it() -> None:
    for model in ("gpt-4o", "gpt-4.1", "gpt-5", "some-unknown-deployment"):
        req = ChatRequest(messages=[USER], model=model, tools=[TOOL], parallel_tool_calls_if_supported=False)
        assert body(req)["parallel_tool_calls"] is False, model
    # gpt-5 with reasoning_effort="minimal": "Parallel tool calls are not supported" (Azure docs)
    minimal = ChatRequest(
        messages=[USER], model="gpt-5", tools=[TOOL], reasoning_effort="minimal", parallel_tool_calls_if_supported=False
    )
    assert "parallel_tool_calls" not in body(minimal)


def test_parallel_tool_calls_default_left_out_on_api_versions_that_refuse_it() -> None:
    # 2024-05-01-preview answers 400 "Unrecognized request argument supplied: parallel_tool_calls"
    # (Azure/azure-rest-api-specs#29545, Azure's answer quoted); 2024-06-01 GA and later know it
    req = ChatRequest(messages=[USER], model="gpt-4o", tools=[TOOL], parallel_tool_calls_if_supported=False)
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


# ------------------------------------------------------------------------------- parse_chat

CFR_SAFE = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}
PFR = [{"prompt_index": 0, "content_filter_results": {**CFR_SAFE, "jailbreak": {"filtered": False, "detected": False}}}]


def test_parse_a_full_azure_response() -> None:
    data = json.loads(
        json.dumps(
            {
                "choices": [
                    {
                        "content_filter_results": {
                            **CFR_SAFE,
                            "protected_material_text": {"filtered": False, "detected": False},
                        },
                        "finish_reason": "stop",
                        "index": 0,
                        "logprobs": None,
                        "message": {"annotations": [], "content": "Hello!", "refusal": None, "role": "assistant"},
                    }
                ],
                "created": 1737000000,
                "id": "chatcmpl-AZ1",
                "model": "gpt-4o-2024-11-20",
                "object": "chat.completion",
                "prompt_filter_results": PFR,
                "system_fingerprint": "fp_b705f0c291",
                "service_tier": "default",
                "usage": {
                    "completion_tokens": 3,
                    "prompt_tokens": 19,
                    "total_tokens": 22,
                    "completion_tokens_details": {
                        "accepted_prediction_tokens": 0,
                        "audio_tokens": 0,
                        "reasoning_tokens": 0,
                        "rejected_prediction_tokens": 0,
                    },
                    "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
                },
            }
        )
    )
    meta = ResponseMeta(status=200, headers={"apim-request-id": "x"})
    r = parse_chat(data, meta)
    assert (r.id, r.model, r.created, r.system_fingerprint, r.service_tier, r.meta) == (
        "chatcmpl-AZ1",
        "gpt-4o-2024-11-20",
        1737000000,
        "fp_b705f0c291",
        "default",
        meta,
    )
    c = r.first
    assert (c.index, c.role, c.content, c.finish_reason, c.refusal, c.tool_calls, c.annotations) == (
        0,
        "assistant",
        "Hello!",
        "stop",
        None,
        (),
        (),
    )
    assert c.content_filter_results is not None
    assert c.content_filter_results["protected_material_text"] == {"filtered": False, "detected": False}
    assert r.prompt_filter_results == tuple(PFR)
    assert r.usage == Usage(prompt_tokens=19, completion_tokens=3, total_tokens=22, raw=data["usage"])
    assert r.raw is data


def test_usage_details_cached_reasoning_audio() -> None:
    data = {
        "id": "c",
        "model": "o3-mini",
        "created": 1,
        "choices": OK_CHOICE,
        "usage": {
            "prompt_tokens": 2000,
            "completion_tokens": 900,
            "total_tokens": 2900,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 5},
            "completion_tokens_details": {"reasoning_tokens": 832, "audio_tokens": 7},
        },
    }
    u = parse_chat(data, None).usage
    assert u is not None
    assert (u.cached_tokens, u.reasoning_tokens, u.audio_input_tokens, u.audio_output_tokens) == (1024, 832, 5, 7)


def test_filtered_completion_has_no_message_key() -> None:
    data = {
        "choices": [
            {
                "content_filter_results": {
                    "hate": {"filtered": True, "severity": "high"},
                    "self_harm": {"filtered": False, "severity": "safe"},
                },
                "finish_reason": "content_filter",
                "index": 0,
                "logprobs": None,
            }
        ],
        "created": 1,
        "id": "chatcmpl-x",
        "model": "gpt-35-turbo",
        "object": "chat.completion",
        "prompt_filter_results": PFR,
        "usage": {"completion_tokens": 40, "prompt_tokens": 20, "total_tokens": 60},
    }
    c = parse_chat(data, None).first
    assert (c.content, c.role, c.finish_reason) == (None, None, "content_filter")
    assert c.content_filter_results == data["choices"][0]["content_filter_results"]


def test_tool_calls_and_refusal() -> None:
    data = {
        "id": "c",
        "model": "gpt-4o",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                        },
                        {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                    ],
                },
            }
        ],
    }
    c = parse_chat(data, None).first
    assert c.tool_calls == (ToolCall("call_1", "get_weather", '{"city":"Oslo"}'), ToolCall("call_2", "get_time", "{}"))
    refusal = {
        "id": "c",
        "model": "gpt-4o",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": None, "refusal": "I can't help with that."},
            }
        ],
    }
    assert parse_chat(refusal, None).first.refusal == "I can't help with that."


def test_legacy_function_call_becomes_a_tool_call() -> None:
    data = {
        "id": "c",
        "model": "gpt-4",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "finish_reason": "function_call",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "function_call": {
                        "name": "get_future_temperature",
                        "arguments": '{\n  "locationName": "San Francisco"\n}',
                    },
                },
            }
        ],
    }
    c = parse_chat(data, None).first
    assert c.tool_calls == (
        ToolCall("call_function_0", "get_future_temperature", '{\n  "locationName": "San Francisco"\n}'),
    )


def test_prompt_annotations_2023_and_singular_content_filter_result() -> None:
    old = {
        "id": "c",
        "model": "gpt-35-turbo",
        "created": 1,
        "choices": OK_CHOICE,
        "prompt_annotations": [{"prompt_index": 0, "content_filter_results": CFR_SAFE}],
    }
    assert parse_chat(old, None).prompt_filter_results == ({"prompt_index": 0, "content_filter_results": CFR_SAFE},)
    vision = {
        "id": "c",
        "model": "gpt-4o",
        "created": 1,
        "choices": OK_CHOICE,
        "prompt_filter_results": [
            {
                "prompt_index": 1,
                "content_filter_result": {**CFR_SAFE, "custom_blocklists": {"filtered": False, "details": []}},
            },
            {"prompt_index": 0, "content_filter_result": {}},
        ],
    }
    assert parse_chat(vision, None).prompt_filter_results == (
        {
            "prompt_index": 1,
            "content_filter_results": {**CFR_SAFE, "custom_blocklists": {"filtered": False, "details": []}},
        },
        {"prompt_index": 0, "content_filter_results": {}},
    )


def test_foundry_null_prompt_filters_reasoning_content_audio_logprobs() -> None:
    data = {
        "id": "0b1f",
        "model": "DeepSeek-R1",
        "created": 1,
        "prompt_filter_results": None,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": {"content": [{"token": "4", "logprob": -0.01}]},
                "message": {
                    "role": "assistant",
                    "content": "4",
                    "reasoning_content": "2+2 is 4",
                    "audio": {"id": "audio_1", "data": "UklG", "transcript": "four"},
                },
            }
        ],
    }
    r = parse_chat(data, None)
    assert r.prompt_filter_results == ()
    c = r.first
    assert c.reasoning_content == "2+2 is 4"
    assert c.audio == {"id": "audio_1", "data": "UklG", "transcript": "four"}
    assert c.logprobs == {"content": [{"token": "4", "logprob": -0.01}]}


def test_on_your_data_annotations_are_kept() -> None:
    ann = [{"type": "url_citation", "url_citation": {"url": "https://x", "title": "X"}}]
    data = {
        "id": "c",
        "model": "gpt-4o",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "see", "annotations": ann},
            }
        ],
    }
    assert parse_chat(data, None).first.annotations == tuple(ann)


# -------------------------------------------------------------------------------- chunks


def test_azure_first_chunk_with_empty_choices() -> None:
    d = parse_chat_chunk(
        {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": PFR}
    )
    assert (d.id, d.model, d.content, d.role, d.finish_reason, d.usage) == ("", "", None, None, None, None)
    assert d.prompt_filter_results == tuple(PFR)


def test_2023_first_chunk_prompt_annotations() -> None:
    d = parse_chat_chunk(
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "usage": None,
            "prompt_annotations": [{"prompt_index": 0, "content_filter_results": CFR_SAFE}],
        }
    )
    assert d.prompt_filter_results == ({"prompt_index": 0, "content_filter_results": CFR_SAFE},)


def test_role_content_finish_and_usage_chunks() -> None:
    role = parse_chat_chunk(
        {
            "choices": [
                {
                    "content_filter_results": {},
                    "delta": {"content": "", "refusal": None, "role": "assistant"},
                    "finish_reason": None,
                    "index": 0,
                    "logprobs": None,
                }
            ],
            "created": 1,
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini",
            "object": "chat.completion.chunk",
            "system_fingerprint": "fp_1",
        }
    )
    assert (role.role, role.content, role.content_filter_results, role.system_fingerprint) == (
        "assistant",
        "",
        {},
        "fp_1",
    )
    text = parse_chat_chunk(
        {
            "choices": [
                {"content_filter_results": CFR_SAFE, "delta": {"content": "Hel"}, "finish_reason": None, "index": 0}
            ],
            "created": 1,
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini",
            "obfuscation": "xyz",
        }
    )
    assert (text.content, text.content_filter_results) == ("Hel", CFR_SAFE)
    finish = parse_chat_chunk(
        {
            "choices": [{"delta": {}, "finish_reason": "stop", "index": 0, "content_filter_results": {}}],
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini",
            "created": 1,
        }
    )
    assert (finish.finish_reason, finish.content) == ("stop", None)
    usage = parse_chat_chunk(
        {
            "choices": [],
            "created": 1,
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini",
            "usage": {
                "completion_tokens": 9,
                "prompt_tokens": 12,
                "total_tokens": 21,
                "prompt_tokens_details": {"cached_tokens": 0},
            },
        }
    )
    assert usage.usage is not None and (usage.usage.prompt_tokens, usage.usage.total_tokens) == (12, 21)


def test_tool_call_chunks_two_calls_in_one_chunk() -> None:
    d = parse_chat_chunk(
        {
            "id": "c",
            "model": "gpt-4o",
            "created": 1,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": None,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_a",
                                "type": "function",
                                "function": {"name": "f", "arguments": ""},
                            },
                            {
                                "index": 1,
                                "id": "call_b",
                                "type": "function",
                                "function": {"name": "g", "arguments": '{"x"'},
                            },
                        ]
                    },
                }
            ],
        }
    )
    assert d.tool_calls == (ToolCallDelta(0, "call_a", "f", ""), ToolCallDelta(1, "call_b", "g", '{"x"'))
    cont = parse_chat_chunk(
        {
            "id": "c",
            "model": "gpt-4o",
            "created": 1,
            "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "function": {"arguments": ":1}"}}]}}],
        }
    )
    assert cont.tool_calls == (ToolCallDelta(1, None, None, ":1}"),)


def test_legacy_function_call_chunks() -> None:
    first = parse_chat_chunk(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": None,
                    "delta": {"role": "assistant", "function_call": {"name": "get_future_temperature"}},
                    "content_filter_results": {},
                }
            ],
            "usage": None,
        }
    )
    assert first.tool_calls == (ToolCallDelta(0, "call_function_0", "get_future_temperature", None),)
    more = parse_chat_chunk(
        {
            "id": "c",
            "created": 1,
            "model": "gpt-4",
            "choices": [{"index": 0, "delta": {"function_call": {"arguments": "{\n"}}}],
        }
    )
    assert more.tool_calls == (ToolCallDelta(0, None, None, "{\n"),)


def test_chunk_with_n_gt_1_keeps_choice_index_and_singular_filter_name() -> None:
    d = parse_chat_chunk(
        {
            "id": "c",
            "model": "m",
            "created": 1,
            "choices": [{"index": 2, "delta": {"content": "x"}, "content_filter_result": {"hate": {}}}],
        }
    )
    assert (d.choice_index, d.content, d.content_filter_results) == (2, "x", {"hate": {}})


def test_reasoning_content_chunk() -> None:
    d = parse_chat_chunk(
        {"id": "c", "model": "m", "created": 1, "choices": [{"index": 0, "delta": {"reasoning_content": "think"}}]}
    )
    assert (d.reasoning_content, d.content) == ("think", None)
