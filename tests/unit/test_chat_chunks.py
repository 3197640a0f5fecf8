"""Parsing of Azure's real chat chunk shapes."""

from __future__ import annotations

from shared_core.types import ToolCallDelta
from shared_core.wire.chat import parse_chat_chunk

from .chat_samples import CFR_SAFE, PFR

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
