"""Canned Azure OpenAI answers (shapes from ../shared/azure-recordings) behind httpx.MockTransport.

Every request is recorded, so tests assert the bytes we sent as well as what we parsed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

ENDPOINT = "https://unit-test.openai.azure.com"
KEY = "test-key-0123456789"
HEADERS = {
    "content-type": "application/json",
    "apim-request-id": "5b5b2a1e-0000-4000-8000-000000000001",
    "x-ms-region": "Sweden Central",
    "x-ms-deployment-name": "chat",
    "x-ratelimit-remaining-requests": "249",
    "x-ratelimit-remaining-tokens": "249000",
}
SAFE = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}
PROMPT_FILTER = [
    {"prompt_index": 0, "content_filter_results": {**SAFE, "jailbreak": {"filtered": False, "detected": False}}}
]
USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def chat_body(
    content: str | None = "Hello there.",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    model: str = "gpt-4o-2024-08-06",
    content_filter_results: dict[str, Any] | None = None,
    reasoning_content: str | None = None,
    refusal: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if reasoning_content:
        message["reasoning_content"] = reasoning_content
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_1",
        "prompt_filter_results": PROMPT_FILTER,
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "logprobs": None,
                "message": message,
                "content_filter_results": content_filter_results if content_filter_results is not None else SAFE,
            }
        ],
        "usage": USAGE,
    }


def tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish_reason: str | None = None,
    cfr: dict[str, Any] | None = None,
    model: str = "gpt-4o-2024-08-06",
) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "finish_reason": finish_reason, "logprobs": None}
    if cfr is not None:
        choice["content_filter_results"] = cfr
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_1",
        "choices": [choice],
    }


def prompt_filter_chunk() -> dict[str, Any]:
    """Azure's first stream chunk: empty choices, prompt_filter_results, model ''."""
    return {"id": "", "object": "", "created": 0, "model": "", "choices": [], "prompt_filter_results": PROMPT_FILTER}


def usage_chunk() -> dict[str, Any]:
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-2024-08-06",
        "choices": [],
        "usage": USAGE,
    }


def text_stream(
    pieces: Iterable[str], *, finish_reason: str = "stop", cfr: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    out = [prompt_filter_chunk(), chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": p}, cfr=SAFE) for p in pieces]
    out.append(chunk({}, finish_reason=finish_reason, cfr=cfr))
    out.append(usage_chunk())
    return out


def sse(chunks: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


def embeddings_body(n: int, dims: int = 3) -> dict[str, Any]:
    return {
        "object": "list",
        "model": "text-embedding-3-small",
        "data": [{"object": "embedding", "index": i, "embedding": [float(i)] + [0.5] * (dims - 1)} for i in range(n)],
        "usage": {"prompt_tokens": n, "total_tokens": n},
    }


Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class Azure:
    """A scripted Azure: answers are popped in order (the last one repeats); requests are kept."""

    answers: list[Any] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def add_json(self, body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Azure:
        self.answers.append((status, {**HEADERS, **(headers or {})}, json.dumps(body).encode()))
        return self

    def add_sse(self, chunks: list[dict[str, Any]]) -> Azure:
        self.answers.append((200, {**HEADERS, "content-type": "text/event-stream"}, sse(chunks)))
        return self

    def add(self, responder: Responder) -> Azure:
        self.answers.append(responder)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer):
            return answer(request)
        status, headers, body = answer
        return httpx.Response(status, headers=headers, content=body)

    def body(self, i: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[i].content)

    def clients(self) -> tuple[httpx.Client, httpx.AsyncClient]:
        transport = httpx.MockTransport(self)
        return httpx.Client(transport=transport), httpx.AsyncClient(transport=transport)
