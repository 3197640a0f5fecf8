"""A streamed call is charged like the same call answered in one piece: its reservation (prompt
estimate plus max_tokens) is replaced by the usage the stream's last chunk reports (chat with
``stream_options.include_usage``; the Responses stream's ``response.completed``), or, when the
stream ends without usage, by the prompt estimate plus a local count of the streamed text.
Chat and Responses, sync and async, against a fake that answers with known usage."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import resolve_target
from shared_core.policy.call import Hooks
from shared_core.policy.limiter import SAFETY, cost_of, prompt_of
from shared_core.policy.pacing_store import key_of, store_for
from shared_core.types_responses import ResponsesRequest
from shared_core.wire.tokens import estimate_tokens

START = 1000.0
RATE = 100 * SAFETY  # tpm=6000: 100 tokens a second, times the safety margin
TEXT = ["Hello", " there, ", "streaming world."]
CHAT_USAGE = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
RESP_USAGE = {"input_tokens": 20, "output_tokens": 10, "total_tokens": 30}


def _sse(events: list[dict[str, Any]], done: bool) -> bytes:
    out = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return out + (b"data: [DONE]\n\n" if done else b"")


def _chat(body: dict[str, Any], usage: bool) -> httpx.Response:
    if not body.get("stream"):
        message = {"role": "assistant", "content": "".join(TEXT)}
        answer = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-5.2", "usage": CHAT_USAGE,
                  "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}  # fmt: skip
        return httpx.Response(200, json=answer)
    head = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5.2"}
    chunks = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    chunks += [{**head, "choices": [{"index": 0, "delta": {"content": t}}]} for t in TEXT]
    chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage:
        chunks.append({**head, "choices": [], "usage": CHAT_USAGE})
    return httpx.Response(200, content=_sse(chunks, True), headers={"content-type": "text/event-stream"})


def _responses(body: dict[str, Any], usage: bool) -> httpx.Response:
    done: dict[str, Any] = {"id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-5.2",
                            "status": "completed", "output": [{"type": "message", "id": "m1", "role": "assistant",
                            "status": "completed", "content": [{"type": "output_text", "text": "".join(TEXT)}]}]}  # fmt: skip
    if usage or not body.get("stream"):
        done["usage"] = RESP_USAGE
    if not body.get("stream"):
        return httpx.Response(200, json=done)
    created = {**done, "status": "in_progress", "output": [], "usage": None}
    events = [{"type": "response.created", "sequence_number": 0, "response": created}]
    events += [
        {"type": "response.output_text.delta", "sequence_number": i + 1, "item_id": "m1", "output_index": 0,
         "content_index": 0, "delta": t}
        for i, t in enumerate(TEXT)
    ]  # fmt: skip
    events.append({"type": "response.completed", "sequence_number": len(TEXT) + 1, "response": done})
    return httpx.Response(200, content=_sse(events, False), headers={"content-type": "text/event-stream"})


class Clock:
    now = START

    def __call__(self) -> float:
        return self.now


def _run(api: str, mode: str, usage: bool = True) -> tuple[float, dict[str, Any]]:
    """One call on a fresh budget; the budget's token time after it, and the body sent."""
    clock = Clock()
    sent: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.update(json.loads(request.content))
        return (_chat if api == "chat" else _responses)(sent, usage)

    async def asleep(seconds: float) -> None:
        clock.now += seconds

    def sleep(seconds: float) -> None:
        clock.now += seconds

    hooks = Hooks(sleep=sleep, asleep=asleep, clock=clock)
    t = resolve_target(azure_endpoint="https://pace.openai.azure.com", deployment="gpt-5.2", api_key="k", tpm=6000)
    mock = httpx.MockTransport(handler)
    core = CoreClient(
        t, http_client=httpx.Client(transport=mock), http_async_client=httpx.AsyncClient(transport=mock), hooks=hooks
    )
    chat = ChatRequest(messages=[{"role": "user", "content": "say hello"}], max_tokens=500)
    resp = ResponsesRequest(input="say hello", max_output_tokens=500)

    async def drain_async() -> None:
        if mode == "async":
            await (core.achat(chat) if api == "chat" else core.acreate_response(resp))
        elif api == "chat":
            async for _ in core.astream_chat(chat):
                pass
        else:
            async for _ in core.astream_response(resp):
                pass

    if mode == "sync":
        core.chat(chat) if api == "chat" else core.create_response(resp)
    elif mode == "stream":
        for _ in core.stream_chat(chat) if api == "chat" else core.stream_response(resp):
            pass
    else:
        asyncio.run(drain_async())
    core.close()
    return store_for(clock, sleep, asleep).budget(key_of(t, None)).tok_tat, sent


@pytest.mark.parametrize("api", ["chat", "responses"])
@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_a_streamed_call_leaves_the_budget_of_the_same_call_answered_whole(api: str, mode: str) -> None:
    whole, _ = _run(api, "sync" if mode == "stream" else "async")
    assert whole == pytest.approx(START + 30 / RATE)  # the answer's usage: 30 tokens
    streamed, body = _run(api, mode)
    if api == "chat":
        assert body["stream_options"] == {"include_usage": True}
    assert streamed == pytest.approx(whole)


@pytest.mark.parametrize("api", ["chat", "responses"])
@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_a_stream_without_usage_is_charged_its_prompt_and_a_count_of_its_text(api: str, mode: str) -> None:
    streamed, body = _run(api, mode, usage=False)
    operation = "chat/completions" if api == "chat" else "responses"
    counted = prompt_of(operation, body) + estimate_tokens("".join(TEXT))
    assert 0 < counted < cost_of(operation, body) - 400  # far below the reservation (max_tokens 500)
    assert streamed == pytest.approx(START + counted / RATE)
