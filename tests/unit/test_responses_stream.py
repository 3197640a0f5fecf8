"""Responses streams: events parsed and folded, malformed and cut streams, retries before the first
output, and a background stream resumed from its last ``sequence_number`` without repeating text.

Event shapes from the real Azure streams (../shared/azure-recordings, Mirascope gpt-4o-mini) and
OpenAI's ResponseStreamEvent reference; resume is Learn "Background mode":
``GET /responses/{id}?stream=true&starting_after=N``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from shared_core.errors import ContentFilterError, RateLimitError, StreamError, UnexpectedResponseError
from shared_core.types_responses import ResponsesRequest
from shared_core.wire.responses_stream import ResponseEventParser, ResponseStreamAccumulator

from .responses_fakes import RID, client, response, sse_answer, sse_events, text_events, v1_target
from .transport_fakes import AZ, FakeTime, Recorder


class Then(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends ``first`` and then fails with ``exc``."""

    def __init__(self, first: bytes, exc: Exception) -> None:
        self.first, self.exc = first, exc

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise self.exc

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self.first
        raise self.exc


def cut_after(body: bytes) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"content-type": "text/event-stream", **AZ},
        stream=Then(body, httpx.RemoteProtocolError("peer closed connection")),
    )


def fold(events: object) -> tuple[list[str], ResponseStreamAccumulator]:
    acc = ResponseStreamAccumulator()
    kinds = []
    for ev in events:  # type: ignore[attr-defined]
        acc.add(ev)
        kinds.append(ev.type)
    return kinds, acc


# ---- the parser ---------------------------------------------------------------------------------


def test_events_fold_into_the_result_with_meta_on_the_first_event_only() -> None:
    rec = Recorder(sse_answer(sse_events(text_events(["42", "00 + 42", " = 4242"]))))
    evs = list(client(rec).stream_response(ResponsesRequest(input="sum")))
    assert [e.meta is not None for e in evs] == [True] + [False] * (len(evs) - 1)
    assert [e.delta for e in evs if e.type == "response.output_text.delta"] == ["42", "00 + 42", " = 4242"]
    kinds, acc = fold(evs)
    res = acc.result()
    assert (res.id, res.status, res.output_text, res.usage and res.usage.total_tokens) == (
        RID,
        "completed",
        "4200 + 42 = 4242",
        27,
    )
    assert res.meta is not None and res.meta.request_id == "apim-1"
    assert json.loads(rec.requests[0].content)["stream"] is True


def test_function_call_reasoning_and_refusal_deltas_assemble_without_a_terminal_event() -> None:
    evs = [
        {"type": "response.created", "sequence_number": 0, "response": response("in_progress")},
        {
            "type": "response.output_item.added",
            "sequence_number": 1,
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_1", "summary": []},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "sequence_number": 2,
            "output_index": 0,
            "summary_index": 0,
            "delta": "Thinking",
        },
        {
            "type": "response.output_item.added",
            "sequence_number": 3,
            "output_index": 1,
            "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "add", "arguments": ""},
        },
        {"type": "response.function_call_arguments.delta", "sequence_number": 4, "output_index": 1, "delta": '{"a":'},
        {"type": "response.function_call_arguments.delta", "sequence_number": 5, "output_index": 1, "delta": "1}"},
    ]
    p = ResponseEventParser()
    _, acc = fold(p.feed(sse_events(evs)))
    res = acc.result()
    assert res.status == "in_progress"
    assert res.reasoning_summary == "Thinking"
    assert [(t.id, t.name, t.arguments) for t in res.tool_calls] == [("call_1", "add", '{"a":1}')]
    with pytest.raises(StreamError, match=r"ended before its final event: 6 event\(s\) received.*sequence_number 5"):
        p.finish()


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"data: not json\n\n", UnexpectedResponseError, "it is not JSON"),
        (b"data: [1, 2]\n\n", UnexpectedResponseError, "not a JSON object"),
        (b'data: {"sequence_number": 1}\n\n', UnexpectedResponseError, "no 'type'"),
        (b"", UnexpectedResponseError, "the body is empty"),
        (b"<html>gateway</html>", UnexpectedResponseError, "holds no server-sent event"),
        (
            b'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null,'
            b'"sequence_number":2}\n\n',
            RateLimitError,
            "slow down",
        ),
    ],
)
def test_malformed_streams_raise_typed_errors(body: bytes, error: type[Exception], message: str) -> None:
    rec = Recorder(sse_answer(body))
    with pytest.raises(error, match=message):
        list(client(rec, max_retries=0).stream_response(ResponsesRequest(input="x")))


def test_an_error_event_with_a_content_filter_code_is_a_content_filter_error() -> None:
    body = sse_events(text_events(["x"])[:2]) + (
        b'event: error\ndata: {"type":"error","code":"content_filter","message":"filtered","param":null}\n\n'
    )
    with pytest.raises(ContentFilterError):
        list(client(Recorder(sse_answer(body)), max_retries=0).stream_response(ResponsesRequest(input="x")))


# ---- retries and cuts ----------------------------------------------------------------------------


def test_a_cut_before_the_first_output_is_retried_and_nothing_is_repeated() -> None:
    preamble = sse_events(text_events(["a"])[:2])
    rec = Recorder(lambda r: cut_after(preamble), sse_answer(sse_events(text_events(["Hel", "lo"]))))
    t = FakeTime()
    kinds, acc = fold(client(rec, t=t).stream_response(ResponsesRequest(input="x")))
    assert len(rec.requests) == 2
    assert kinds.count("response.created") == 1  # the held preamble of the failed attempt was dropped
    assert acc.result().output_text == "Hello"


def test_a_cut_after_output_of_a_foreground_stream_raises_and_says_how_to_resume() -> None:
    evs = text_events(["Hel", "lo"])
    rec = Recorder(lambda r: cut_after(sse_events(evs[:5])))
    it = client(rec).stream_response(ResponsesRequest(input="x"))
    got = []
    with pytest.raises(StreamError, match=r"cut \(RemoteProtocolError: peer closed connection\).*background=True"):
        for ev in it:
            got.append(ev.type)
    assert got[-1] == "response.output_text.delta" and len(rec.requests) == 1


def _background_events() -> list[dict[str, object]]:
    evs = text_events(["The ", "answer ", "is ", "42."])
    for e in evs:
        if "response" in e:
            e["response"] = {**e["response"], "background": True}  # type: ignore[dict-item]
    return evs


@pytest.mark.parametrize("replayed", [False, True])
def test_a_cut_background_stream_resumes_from_its_last_sequence_number_without_duplicating(replayed: bool) -> None:
    evs = _background_events()
    # cut after the second delta (sequence_number 5); the resumed stream starts after it, or (a
    # server that replays) repeats events the client already has: they must be dropped
    first = sse_events(evs[:6])
    rest = sse_events(evs[3:] if replayed else evs[6:])
    rec = Recorder(lambda r: cut_after(first), sse_answer(rest))
    kinds, acc = fold(client(rec).stream_response(ResponsesRequest(input="x", background=True)))
    assert [str(r.url) for r in rec.requests] == [
        "https://eastus.openai.azure.com/openai/v1/responses",
        f"https://eastus.openai.azure.com/openai/v1/responses/{RID}?stream=true&starting_after=5",
    ]
    assert rec.requests[1].method == "GET"
    assert acc.text == "The answer is 42."
    assert acc.result().output_text == "The answer is 42."
    assert kinds == [e["type"] for e in evs]


async def test_async_resume_matches_sync() -> None:
    evs = _background_events()
    rec = Recorder(lambda r: cut_after(sse_events(evs[:6])), sse_answer(sse_events(evs[6:])))
    acc = ResponseStreamAccumulator()
    async for ev in client(rec).astream_response(ResponsesRequest(input="x", background=True)):
        acc.add(ev)
    assert acc.result().output_text == "The answer is 42."
    assert str(rec.requests[1].url).endswith("?stream=true&starting_after=5")


def test_resumes_are_bounded() -> None:
    evs = _background_events()
    head = sse_events(evs[:6])
    rec = Recorder(lambda r: cut_after(head))
    with pytest.raises(StreamError, match=r"resumed 5 times already; azoai gave up"):
        list(client(rec, max_retries=0).stream_response(ResponsesRequest(input="x", background=True)))
    assert len(rec.requests) == 6  # the create, then 5 resumes


def test_resume_response_stream_by_hand_goes_to_the_storing_target() -> None:
    evs = _background_events()
    rec = Recorder(sse_answer(sse_events(evs[6:])))
    c = client(rec, v1_target("eastus"), v1_target("westeurope"))
    kinds, acc = fold(c.resume_response_stream(RID, starting_after=5, target="westeurope"))
    assert str(rec.requests[0].url) == (
        f"https://westeurope.openai.azure.com/openai/v1/responses/{RID}?stream=true&starting_after=5"
    )
    assert acc.text == "is 42." and kinds[-1] == "response.completed"
