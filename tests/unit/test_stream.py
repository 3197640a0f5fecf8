"""Streaming: SSE bytes -> deltas (ChunkParser) -> one ChatResult (StreamAccumulator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared_core.errors import ContentFilterError, RateLimitError, ServerError, StreamError
from shared_core.types import ChatDelta, ResponseMeta, ToolCall, ToolCallDelta, Usage
from shared_core.wire.chat import parse_chat_chunk
from shared_core.wire.completions import parse_completion_chunk
from shared_core.wire.stream import ChunkParser, StreamAccumulator

PFR = [{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}]
SAFE = {"hate": {"filtered": False, "severity": "safe"}, "violence": {"filtered": False, "severity": "safe"}}


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    index: int = 0,
    cfr: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    choice = {
        "index": index,
        "delta": delta or {},
        "finish_reason": finish,
        "content_filter_results": cfr if cfr is not None else {},
    }
    return {
        "id": "chatcmpl-1",
        "model": "gpt-4o",
        "created": 1700000000,
        "object": "chat.completion.chunk",
        "choices": [choice],
        **top,
    }


def sse(*objs: Any, done: bool = True) -> bytes:
    out = b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in objs)
    return out + (b"data: [DONE]\n\n" if done else b"")


PREAMBLE = {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": PFR}
USAGE = {
    "id": "chatcmpl-1",
    "model": "gpt-4o",
    "choices": [],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
}


def run(
    body: bytes, step: int = 7, parse: Any = parse_chat_chunk, meta: ResponseMeta | None = None
) -> tuple[list[ChatDelta], StreamAccumulator]:
    p = ChunkParser(parse, meta)
    deltas: list[ChatDelta] = []
    for i in range(0, len(body), step):
        deltas += p.feed(body[i : i + step])
    deltas += p.finish()
    acc = StreamAccumulator()
    for d in deltas:
        acc.add(d)
    return deltas, acc


def test_azure_text_stream_with_preamble_usage_and_filters() -> None:
    body = sse(
        PREAMBLE,
        chunk({"role": "assistant", "content": "", "refusal": None}),
        chunk({"content": "Hel"}, cfr=SAFE),
        chunk(
            {"content": "lo"},
            cfr={"hate": {"filtered": False, "severity": "low"}, "violence": {"filtered": False, "severity": "safe"}},
        ),
        chunk({}, finish="stop"),
        USAGE,
    )
    meta = ResponseMeta(status=200, headers={"apim-request-id": "r"}, request_id="r")
    deltas, acc = run(body, meta=meta)
    assert deltas[0].meta is meta and all(d.meta is None for d in deltas[1:])
    assert deltas[0].prompt_filter_results == tuple(PFR)
    r = acc.result()
    assert (r.id, r.model, r.created) == ("chatcmpl-1", "gpt-4o", 1700000000)
    assert r.prompt_filter_results == tuple(PFR)
    assert r.usage == Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, raw=USAGE["usage"])
    assert len(r.choices) == 1
    c = r.first
    assert (c.role, c.content, c.finish_reason, c.tool_calls) == ("assistant", "Hello", "stop", ())
    assert c.content_filter_results == {
        "hate": {"filtered": False, "severity": "low"},
        "violence": {"filtered": False, "severity": "safe"},
    }
    assert r.meta is meta


def test_parallel_tool_calls_fragmented_two_in_one_chunk() -> None:
    body = sse(
        PREAMBLE,
        chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    },
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": '{"tz'},
                    },
                ],
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        chunk(
            {
                "tool_calls": [
                    {"index": 1, "function": {"arguments": '":"UTC"}'}},
                    {"index": 0, "function": {"arguments": '"Paris"}'}},
                ]
            }
        ),
        chunk({}, finish="tool_calls"),
    )
    _, acc = run(body, step=5)
    c = acc.result().first
    assert c.content is None and c.finish_reason == "tool_calls"
    assert c.tool_calls == (
        ToolCall(id="call_a", name="get_weather", arguments='{"city":"Paris"}'),
        ToolCall(id="call_b", name="get_time", arguments='{"tz":"UTC"}'),
    )


def test_refusal_and_reasoning_content() -> None:
    body = sse(
        chunk({"role": "assistant", "reasoning_content": "think"}),
        chunk({"reasoning_content": "ing"}),
        chunk({"refusal": "I can't "}),
        chunk({"refusal": "help."}),
        chunk({}, finish="stop"),
    )
    c = run(body)[1].result().first
    assert (c.content, c.refusal, c.reasoning_content) == (None, "I can't help.", "thinking")


def test_n2_choices_and_completion_filter() -> None:
    body = sse(
        chunk({"role": "assistant", "content": "A"}, index=0),
        chunk({"role": "assistant", "content": "B"}, index=1),
        chunk({}, finish="stop", index=0),
        chunk({}, finish="content_filter", index=1, cfr={"violence": {"filtered": True, "severity": "high"}}),
    )
    r = run(body)[1].result()
    assert [(c.index, c.content, c.finish_reason) for c in r.choices] == [(0, "A", "stop"), (1, "B", "content_filter")]
    assert r.choices[1].content_filter_results == {"violence": {"filtered": True, "severity": "high"}}


def test_empty_content_stream_gives_empty_string() -> None:
    c = run(sse(chunk({"role": "assistant", "content": ""}), chunk({}, finish="stop")))[1].result().first
    assert c.content == ""


def test_legacy_completions_text() -> None:
    def comp(text: str, finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": 1,
            "model": "gpt-35-turbo-instruct",
            "choices": [{"text": text, "index": 0, "finish_reason": finish, "logprobs": None}],
        }

    _, acc = run(sse(comp("Hello"), comp(" world", "length")), parse=parse_completion_chunk)
    c = acc.result().first
    assert (c.text, c.finish_reason) == ("Hello world", "length")


def test_accumulator_directly_with_tool_call_deltas() -> None:
    acc = StreamAccumulator()
    acc.add(
        ChatDelta(
            id="x",
            model="m",
            role="assistant",
            tool_calls=(ToolCallDelta(0, "c1", "f", '{"a"'), ToolCallDelta(1, "c2", "g", "")),
        )
    )
    acc.add(
        ChatDelta(
            id="x", model="m", tool_calls=(ToolCallDelta(0, None, None, ":1}"), ToolCallDelta(1, None, None, "{}"))
        )
    )
    acc.add(ChatDelta(id="x", model="m", finish_reason="tool_calls"))
    assert acc.result().first.tool_calls == (ToolCall("c1", "f", '{"a":1}'), ToolCall("c2", "g", "{}"))


def test_cut_before_done_names_what_arrived() -> None:
    body = sse(PREAMBLE, chunk({"role": "assistant", "content": "Hello"}), done=False)
    with pytest.raises(StreamError) as ei:
        run(body)
    assert str(ei.value).startswith(
        "The stream ended before [DONE]: 2 chunk(s) received, "
        "5 character(s) of content, 0 tool-call fragment(s), no finish_reason"
    )
    assert "retry" in str(ei.value)


def test_cut_by_connection_error_message() -> None:
    p = ChunkParser(parse_chat_chunk)
    p.feed(sse(chunk({"content": "abc"}, finish="stop"), done=False))
    err = p.cut(ConnectionResetError("reset by peer"))
    assert "ConnectionResetError: reset by peer" in str(err) and "finish_reason='stop'" in str(err)


def test_error_event_inside_200_is_typed() -> None:
    body = sse(
        PREAMBLE,
        {
            "error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "code": None,
            }
        },
    )
    with pytest.raises(ServerError, match="inside a 200 stream"):
        run(body)
    body = sse(
        {
            "error": {
                "code": "content_filter",
                "message": "filtered",
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {"sexual": {"filtered": True, "severity": "medium"}},
                },
            }
        }
    )
    with pytest.raises(ContentFilterError, match=r"sexual \(medium\)"):
        run(body)
    body = (
        b"event: error\ndata: "
        + json.dumps({"error": {"code": "rate_limit_exceeded", "message": "slow"}}).encode()
        + b"\n\n"
    )
    with pytest.raises(RateLimitError):
        run(body)


def test_non_json_event_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="not JSON"):
        run(b"data: <html>\n\n")


def test_events_after_done_ignored() -> None:
    deltas, _ = run(sse(chunk({"content": "a"})) + b"data: garbage\n\n")
    assert [d.content for d in deltas] == ["a"]


def test_real_recorded_tool_call_stream(recordings_dir: Path) -> None:
    f = (
        recordings_dir
        / "crewAIInc__crewAI"
        / (
            "lib__crewai__tests__cassettes__llms__TestAzureToolCallStreaming."
            "test_azure_streaming_emits_tool_call_events.yaml"
        )
    )
    body = yaml.safe_load(f.read_text())["interactions"][0]["response"]["body"]["string"].encode()
    deltas, acc = run(body, step=13)
    r = acc.result()
    assert r.prompt_filter_results and r.prompt_filter_results[0]["prompt_index"] == 0
    c = r.first
    assert c.finish_reason == "tool_calls"
    assert [t.name for t in c.tool_calls] == ["get_current_temperature"]
    assert json.loads(c.tool_calls[0].arguments) == {"city": "San Francisco"}
    assert c.tool_calls[0].id.startswith("call_")


def test_tool_calls_view_matches_result_while_streaming() -> None:
    from shared_core.types import ChatDelta, ToolCallDelta
    from shared_core.wire.stream import StreamAccumulator

    acc = StreamAccumulator()
    assert acc.tool_calls() == ()
    acc.add(
        ChatDelta(
            id="c",
            model="m",
            tool_calls=(
                ToolCallDelta(index=0, id="call_a", name="add", arguments='{"a": '),
                ToolCallDelta(index=1, id="call_b", name="mul", arguments='{"x"'),
            ),
        )
    )
    acc.add(ChatDelta(id="c", model="m", tool_calls=(ToolCallDelta(index=0, arguments="1}"),)))
    calls = acc.tool_calls()
    assert [(c.id, c.name, c.arguments) for c in calls] == [("call_a", "add", '{"a": 1}'), ("call_b", "mul", '{"x"')]
    assert calls == acc.result().first.tool_calls
