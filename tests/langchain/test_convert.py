"""Message conversion both ways: LangChain -> OpenAI wire dicts, core results -> AIMessage(Chunk)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_azoai._convert import (
    DeltaConverter,
    choice_to_message,
    message_to_wire,
    messages_to_wire,
    model_name_with_version,
    usage_to_metadata,
)
from shared_core.types import ChatDelta, ResponseMeta, ToolCallDelta, Usage
from shared_core.wire.chat import parse_chat, parse_chat_chunk
from shared_core.wire.sse import SSEDecoder

SAFE = {"filtered": False, "severity": "safe"}
CFR_SAFE = {"hate": SAFE, "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}


# ------------------------------------------------------------------ LangChain -> wire


def test_plain_roles_and_names() -> None:
    wire = messages_to_wire(
        [
            SystemMessage("be brief"),
            HumanMessage("hi", name="ann"),
            AIMessage("hello"),
            ChatMessage(role="developer", content="dev"),
            FunctionMessage(name="f", content="42"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "name": "ann"},
        {"role": "assistant", "content": "hello"},
        {"role": "developer", "content": "dev"},
        {"role": "function", "content": "42", "name": "f"},
    ]


def test_tool_calls_and_invalid_tool_calls_round_trip() -> None:
    ai = AIMessage(
        "",
        tool_calls=[{"name": "add", "args": {"a": 1, "b": "é"}, "id": "call_1"}],
        invalid_tool_calls=[
            {"name": "bad", "args": "{oops", "id": "call_2", "error": "x", "type": "invalid_tool_call"}
        ],
    )
    wire = message_to_wire(ai)
    assert wire == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"type": "function", "id": "call_1", "function": {"name": "add", "arguments": '{"a": 1, "b": "é"}'}},
            {"type": "function", "id": "call_2", "function": {"name": "bad", "arguments": "{oops"}},
        ],
    }
    assert message_to_wire(ToolMessage("3", tool_call_id="call_1", name="add")) == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "3",
    }


def test_tool_message_list_content_is_sanitised() -> None:
    msg = ToolMessage(content=[{"type": "text", "text": "r", "id": "x", "index": 0}], tool_call_id="c")
    assert message_to_wire(msg)["content"] == [{"type": "text", "text": "r"}]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        ),
        (
            {"type": "image", "base64": "QUJD", "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}},
        ),
        ({"type": "image", "url": "https://x/y.png"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}),
        (
            {"type": "image", "source_type": "base64", "data": "QUJD", "mime_type": "image/jpeg"},
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}},
        ),
        (
            {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "R0"}},
            {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0"}},
        ),
        (
            {"type": "image", "source": {"type": "url", "url": "https://a/b.jpg"}},
            {"type": "image_url", "image_url": {"url": "https://a/b.jpg"}},
        ),
        (
            {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf", "filename": "doc.pdf"},
            {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "doc.pdf"}},
        ),
        (
            {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        ),
    ],
)
def test_multimodal_blocks(block: dict[str, Any], expected: dict[str, Any]) -> None:
    wire = message_to_wire(HumanMessage(content=[{"type": "text", "text": "look"}, block]))
    assert wire["content"] == [{"type": "text", "text": "look"}, expected]


def test_v1_ai_message_history_drops_reasoning_and_tool_call_blocks() -> None:
    ai = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "hmm"},
            {"type": "text", "text": "hi", "index": 0, "annotations": []},
            {"type": "tool_call", "id": "c", "name": "f", "args": {}},
        ],
        tool_calls=[{"name": "f", "args": {}, "id": "c"}],
        response_metadata={"output_version": "v1"},
    )
    wire = message_to_wire(ai)
    assert wire["content"] == [{"type": "text", "text": "hi"}]
    assert wire["tool_calls"][0]["function"] == {"name": "f", "arguments": "{}"}


def test_audio_output_is_sent_back_by_id_only() -> None:
    ai = AIMessage("", additional_kwargs={"audio": {"id": "audio_1", "data": "AAAA"}})
    assert message_to_wire(ai)["audio"] == {"id": "audio_1"}


# ------------------------------------------------------------------ wire -> LangChain


def _chat_json(**choice: Any) -> dict[str, Any]:
    c = {
        "index": 0,
        "finish_reason": "stop",
        "logprobs": None,
        "message": {"role": "assistant", "content": "Bonjour"},
        "content_filter_results": CFR_SAFE,
    }
    c.update(choice)
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-2024-11-20",
        "system_fingerprint": "fp_1",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": CFR_SAFE}],
        "choices": [c],
        "usage": {
            "prompt_tokens": 20,
            "completion_tokens": 5,
            "total_tokens": 25,
            "prompt_tokens_details": {"cached_tokens": 8, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 3, "audio_tokens": 0},
        },
    }


META = ResponseMeta(
    status=200,
    headers={"apim-request-id": "req-1", "x-ms-region": "Sweden Central", "x-ratelimit-remaining-tokens": "999"},
    request_id="req-1",
    region="Sweden Central",
)


def test_result_to_ai_message_metadata_and_usage() -> None:
    result = parse_chat(_chat_json(), META)
    msg = choice_to_message(result.first, result, model_name="gpt-4o-2024-11-20", include_headers=False)
    assert msg.content == "Bonjour"
    assert msg.id == "chatcmpl-1"
    assert msg.usage_metadata == {
        "input_tokens": 20,
        "output_tokens": 5,
        "total_tokens": 25,
        "input_token_details": {"audio": 0, "cache_read": 8},
        "output_token_details": {"audio": 0, "reasoning": 3},
    }
    rm = msg.response_metadata
    assert rm["model_name"] == "gpt-4o-2024-11-20"
    assert rm["model_provider"] == "openai"
    assert rm["finish_reason"] == "stop"
    assert rm["system_fingerprint"] == "fp_1"
    assert rm["content_filter_results"] == CFR_SAFE
    assert rm["prompt_filter_results"][0]["content_filter_results"] == CFR_SAFE
    assert rm["token_usage"]["prompt_tokens_details"] == {"cached_tokens": 8, "audio_tokens": 0}
    assert rm["request_id"] == "req-1"
    assert rm["region"] == "Sweden Central"
    assert rm["ratelimit"] == {"remaining-tokens": "999"}
    assert "headers" not in rm
    with_headers = choice_to_message(result.first, result, model_name="m", include_headers=True)
    assert with_headers.response_metadata["headers"]["x-ms-region"] == "Sweden Central"


def test_tool_calls_valid_and_invalid() -> None:
    data = _chat_json(
        finish_reason="tool_calls",
        message={
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a":1}'}},
                {"id": "c2", "type": "function", "function": {"name": "add", "arguments": '{"a":'}},
                {"id": "c3", "type": "function", "function": {"name": "noargs", "arguments": ""}},
                {"id": "c4", "type": "function", "function": {"name": "arr", "arguments": "[1]"}},
            ],
        },
    )
    result = parse_chat(data, None)
    msg = choice_to_message(result.first, result, model_name=None, include_headers=False)
    assert msg.content == ""
    assert msg.tool_calls == [
        {"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"},
        {"name": "noargs", "args": {}, "id": "c3", "type": "tool_call"},
    ]
    assert [(t["id"], t["args"]) for t in msg.invalid_tool_calls] == [("c2", '{"a":'), ("c4", "[1]")]
    assert "not valid JSON" in (msg.invalid_tool_calls[0]["error"] or "")
    assert "must be a JSON object" in (msg.invalid_tool_calls[1]["error"] or "")
    assert len(msg.additional_kwargs["tool_calls"]) == 4


def test_filtered_completion_is_returned_with_categories() -> None:
    filtered = {**CFR_SAFE, "violence": {"filtered": True, "severity": "high"}}
    result = parse_chat(
        _chat_json(
            finish_reason="content_filter",
            message={"role": "assistant", "content": None},
            content_filter_results=filtered,
        ),
        None,
    )
    msg = choice_to_message(result.first, result, model_name="m", include_headers=False)
    assert msg.content == ""
    assert msg.response_metadata["finish_reason"] == "content_filter"
    assert msg.response_metadata["content_filter_results"]["violence"] == {"filtered": True, "severity": "high"}


def test_refusal_goes_to_additional_kwargs() -> None:
    result = parse_chat(
        _chat_json(message={"role": "assistant", "content": None, "refusal": "I can't help with that."}), None
    )
    msg = choice_to_message(result.first, result, model_name="m", include_headers=False)
    assert msg.additional_kwargs["refusal"] == "I can't help with that."


def test_usage_service_tier_prefixes() -> None:
    usage = Usage(
        prompt_tokens=10,
        completion_tokens=4,
        total_tokens=14,
        cached_tokens=2,
        reasoning_tokens=1,
        raw={"prompt_tokens_details": {"cached_tokens": 2}, "completion_tokens_details": {"reasoning_tokens": 1}},
    )
    md = usage_to_metadata(usage, "priority")
    assert md["input_token_details"] == {"priority_cache_read": 2, "priority": 8}
    assert md["output_token_details"] == {"priority_reasoning": 1, "priority": 3}


@pytest.mark.parametrize(
    ("model", "version", "expected"),
    [
        ("gpt-4o-2024-11-20", "2024-11-20", "gpt-4o-2024-11-20"),
        ("gpt-4o", "2024-11-20", "gpt-4o-2024-11-20"),
        ("gpt-35-turbo", "0125", "gpt-35-turbo-0125"),
        ("gpt-4o", "", "gpt-4o"),
        (None, "0125", None),
    ],
)
def test_model_version_appended_once(model: str | None, version: str, expected: str | None) -> None:
    assert model_name_with_version(model, version) == expected


# ------------------------------------------------------------------ streaming


def _stream_from_recording(path: Path) -> list[ChatDelta]:
    doc = yaml.safe_load(path.read_text())
    body = doc["interactions"][0]["response"]["body"]["string"]
    dec = SSEDecoder()
    events = dec.feed(body.encode()) + dec.flush()
    return [parse_chat_chunk(json.loads(e.data)) for e in events if e.data != "[DONE]"]


def _aggregate(deltas: list[ChatDelta], **kw: Any) -> tuple[list[AIMessageChunk], AIMessageChunk]:
    conv = DeltaConverter(**kw)
    chunks = [c for c in (conv.feed(d) for d in deltas) if c is not None]
    chunks.append(conv.finish())
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    return chunks, total


def test_real_azure_stream_aggregates_cleanly(recordings_dir: Path) -> None:
    path = (
        recordings_dir
        / "crewAIInc__crewAI"
        / "lib__crewai__tests__cassettes__llms__azure__test_azure_streaming_returns_usage_metrics.yaml"
    )
    deltas = _stream_from_recording(path)
    chunks, total = _aggregate(deltas)
    assert total.content.startswith("I now can give a great answer")
    rm = total.response_metadata
    # facts that must appear once are not concatenated
    assert rm["model_name"] == "gpt-4o-mini-2024-07-18"
    assert rm["finish_reason"] == "stop"
    assert rm["system_fingerprint"] == "fp_f97eff32c5"
    assert rm["model_provider"] == "openai"
    assert rm["content_filter_results"]["hate"] == SAFE
    assert len(rm["prompt_filter_results"]) == 1
    assert rm["prompt_filter_results"][0]["content_filter_results"]["jailbreak"] == {
        "filtered": False,
        "detected": False,
    }
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert total.usage_metadata is not None
    assert total.usage_metadata["total_tokens"] == (
        total.usage_metadata["input_tokens"] + total.usage_metadata["output_tokens"]
    )
    assert chunks[-1].chunk_position == "last"


def test_stream_filter_verdict_is_worst_over_chunks() -> None:
    low = {**CFR_SAFE, "violence": {"filtered": False, "severity": "low"}}
    high = {**CFR_SAFE, "violence": {"filtered": True, "severity": "high"}}
    deltas = [
        ChatDelta(id="c", model="gpt-4o", content="a", content_filter_results=low),
        ChatDelta(id="c", model="gpt-4o", content="b", content_filter_results=CFR_SAFE),
        ChatDelta(id="c", model="gpt-4o", finish_reason="content_filter", content_filter_results=high),
    ]
    _, total = _aggregate(deltas)
    assert total.content == "ab"
    assert total.response_metadata["finish_reason"] == "content_filter"
    assert total.response_metadata["content_filter_results"]["violence"] == {"filtered": True, "severity": "high"}
    assert total.response_metadata["content_filter_results"]["hate"] == SAFE


def test_stream_tool_call_chunks_assemble() -> None:
    deltas = [
        ChatDelta(id="c", model="m", tool_calls=(ToolCallDelta(0, id="call_1", name="add", arguments=""),)),
        ChatDelta(id="c", model="m", tool_calls=(ToolCallDelta(0, arguments='{"a": '),)),
        ChatDelta(id="c", model="m", tool_calls=(ToolCallDelta(0, arguments="1}"),)),
        ChatDelta(id="c", model="m", tool_calls=(ToolCallDelta(1, id="call_2", name="neg", arguments='{"x": 2}'),)),
        ChatDelta(id="c", model="m", finish_reason="tool_calls"),
        ChatDelta(id="c", model="m", usage=Usage(3, 4, 7)),
    ]
    chunks, total = _aggregate(deltas)
    assert chunks[0].tool_call_chunks == [
        {"name": "add", "args": "", "id": "call_1", "index": 0, "type": "tool_call_chunk"}
    ]
    assert total.tool_calls == [
        {"name": "add", "args": {"a": 1}, "id": "call_1", "type": "tool_call"},
        {"name": "neg", "args": {"x": 2}, "id": "call_2", "type": "tool_call"},
    ]
    assert total.usage_metadata == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}


def test_stream_usage_only_once_even_if_repeated() -> None:
    deltas = [
        ChatDelta(id="c", model="m", content="x", usage=Usage(1, 1, 2)),
        ChatDelta(id="c", model="m", finish_reason="stop", usage=Usage(1, 1, 2)),
    ]
    chunks, total = _aggregate(deltas)
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert total.usage_metadata == {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}


def test_stream_meta_on_first_chunk_only() -> None:
    deltas = [
        ChatDelta(
            id="", model="", meta=META, prompt_filter_results=({"prompt_index": 0, "content_filter_results": CFR_SAFE},)
        ),
        ChatDelta(id="c", model="m", content="hi"),
        ChatDelta(id="c", model="m", finish_reason="stop"),
    ]
    chunks, total = _aggregate(deltas, model_version="0125")
    assert chunks[0].response_metadata["request_id"] == "req-1"
    assert total.response_metadata["request_id"] == "req-1"
    assert total.response_metadata["region"] == "Sweden Central"
    assert total.response_metadata["model_name"] == "m-0125"


def test_fast_chunks_equal_validated_construction() -> None:
    from langchain_core.outputs import ChatGenerationChunk

    from langchain_azoai._convert import gen_chunk as _gen_chunk
    from langchain_azoai._convert import text_chunk

    fast = text_chunk("héllo", "chatcmpl-1")
    slow = AIMessageChunk(content="héllo", response_metadata={"model_provider": "openai"}, id="chatcmpl-1")
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_fields_set == slow.model_fields_set
    fast.response_metadata["x"] = 1  # fresh containers: no sharing between chunks
    assert text_chunk("a", None).response_metadata == {"model_provider": "openai"}
    assert text_chunk("a", None).tool_call_chunks is not text_chunk("b", None).tool_call_chunks
    gen = _gen_chunk(slow)
    assert gen == ChatGenerationChunk(message=slow)
    assert gen.text == "héllo"
    assert (gen + _gen_chunk(text_chunk("!", "chatcmpl-1"))).text == "héllo!"
