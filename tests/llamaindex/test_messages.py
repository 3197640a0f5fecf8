"""Block conversion both ways: LlamaIndex ChatMessage <-> OpenAI wire dicts (no I/O)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from llamaindex_azoai.messages import to_wire_message, to_wire_messages
from shared_core.errors import ConfigurationError

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt "
    + b"\x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def test_plain_text_message_is_a_string() -> None:
    assert to_wire_message(ChatMessage(role="user", content="hi")) == {"role": "user", "content": "hi"}
    assert to_wire_message(ChatMessage(role="system", content="be brief")) == {"role": "system", "content": "be brief"}


def test_several_text_blocks_collapse_to_one_string() -> None:
    msg = ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")])
    assert to_wire_message(msg) == {"role": "user", "content": "ab"}


def test_image_url_block_keeps_url_and_detail() -> None:
    msg = ChatMessage(
        role="user", blocks=[TextBlock(text="what?"), ImageBlock(url="https://x.test/cat.png", detail="low")]
    )
    assert to_wire_message(msg) == {
        "role": "user",
        "content": [
            {"type": "text", "text": "what?"},
            {"type": "image_url", "image_url": {"url": "https://x.test/cat.png", "detail": "low"}},
        ],
    }


def test_image_bytes_base64_and_path_become_data_urls(tmp_path: Path) -> None:
    expected = "data:image/png;base64," + base64.b64encode(PNG).decode()
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    for block in (
        ImageBlock(image=PNG),
        ImageBlock(image=base64.b64encode(PNG)),
        ImageBlock(path=path),
    ):
        wire = to_wire_message(ChatMessage(role="user", blocks=[block]))
        assert wire["content"] == [{"type": "image_url", "image_url": {"url": expected}}]


def test_audio_block_becomes_input_audio() -> None:
    wire = to_wire_message(ChatMessage(role="user", blocks=[AudioBlock(audio=WAV, format="wav")]))
    assert wire["content"] == [
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(WAV).decode(), "format": "wav"}}
    ]


def test_audio_without_format_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigurationError, match=r"format='wav'") as err:
        to_wire_message(ChatMessage(role="user", blocks=[AudioBlock(audio=b"\x00\x01\x02\x03")]))
    assert err.value.setting == "messages"


def test_document_block_uses_the_nested_file_shape() -> None:
    block = DocumentBlock(data=PDF, title="report.pdf", document_mimetype="application/pdf")
    wire = to_wire_message(ChatMessage(role="user", blocks=[TextBlock(text="sum up"), block]))
    assert wire["content"][1] == {
        "type": "file",
        "file": {
            "filename": "report.pdf",
            "file_data": "data:application/pdf;base64," + base64.b64encode(PDF).decode(),
        },
    }


def test_tool_call_blocks_become_assistant_tool_calls_with_string_arguments() -> None:
    msg = ChatMessage(
        role="assistant",
        blocks=[
            ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
            ToolCallBlock(tool_call_id="call_2", tool_name="mul", tool_kwargs='{"a": 3}'),
        ],
    )
    wire = to_wire_message(msg)
    assert wire == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}},
            {"id": "call_2", "type": "function", "function": {"name": "mul", "arguments": '{"a": 3}'}},
        ],
    }
    assert json.loads(json.dumps(wire)) == wire


def test_tool_result_message_carries_tool_call_id() -> None:
    msg = ChatMessage(role=MessageRole.TOOL, content="3", additional_kwargs={"tool_call_id": "call_1"})
    assert to_wire_message(msg) == {"role": "tool", "content": "3", "tool_call_id": "call_1"}


def test_thinking_and_cache_point_are_skipped() -> None:
    msg = ChatMessage(
        role="user",
        blocks=[
            ThinkingBlock(content="hmm"),
            TextBlock(text="q"),
            CachePoint(cache_control=CacheControl(type="ephemeral")),
        ],
    )
    assert to_wire_message(msg) == {"role": "user", "content": "q"}


def test_citable_and_citation_blocks_degrade_to_their_content() -> None:
    msg = ChatMessage(
        role="user",
        blocks=[
            CitableBlock(title="t", source="s", content=[TextBlock(text="fact. ")]),
            CitationBlock(cited_content=TextBlock(text="quoted"), source="s", title="t", additional_location_info={}),
        ],
    )
    assert to_wire_message(msg) == {"role": "user", "content": "fact. quoted"}


def test_video_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="does not accept video input: send sampled frames as ImageBlocks"):
        to_wire_message(ChatMessage(role="user", blocks=[VideoBlock(url="https://x.test/v.mp4")]))


def test_image_in_a_system_message_is_refused_with_the_fix() -> None:
    msg = ChatMessage(role="system", blocks=[TextBlock(text="x"), ImageBlock(url="https://x.test/a.png")])
    with pytest.raises(ConfigurationError, match="Move images, audio and files into a 'user' message"):
        to_wire_message(msg)


def test_legacy_additional_kwargs_tool_calls_are_serialised() -> None:
    msg = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]
        },
    )
    wire = to_wire_message(msg)
    assert wire["tool_calls"] == [{"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    assert wire["content"] is None


def test_reference_audio_id_replaces_the_audio() -> None:
    msg = ChatMessage(
        role="assistant",
        blocks=[AudioBlock(audio=WAV, format="wav")],
        additional_kwargs={"reference_audio_id": "aud_1"},
    )
    assert to_wire_message(msg) == {"role": "assistant", "audio": {"id": "aud_1"}}


def test_order_and_roles_are_kept() -> None:
    msgs = [
        ChatMessage(role="system", content="s"),
        ChatMessage(role="user", content="u"),
        ChatMessage(role="assistant", content="a"),
    ]
    assert [m["role"] for m in to_wire_messages(msgs)] == ["system", "user", "assistant"]
