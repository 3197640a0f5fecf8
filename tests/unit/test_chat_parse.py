"""Parsing of Azure's real chat response shapes."""

from __future__ import annotations

import json

from shared_core.types import ResponseMeta, ToolCall, Usage
from shared_core.wire.chat import parse_chat

from .chat_samples import CFR_SAFE, OK_CHOICE, PFR


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
