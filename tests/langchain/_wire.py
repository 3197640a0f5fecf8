"""A fake Azure on ``httpx.MockTransport``: records every request, answers with canned bodies.

It stands in for the network only; everything of ours (core and adapter) runs for real.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import httpx

AZURE_HEADERS = {
    "apim-request-id": "5d7c0b9c-0000-4000-8000-000000000001",
    "x-ms-region": "Sweden Central",
    "x-ratelimit-remaining-requests": "99",
    "x-ratelimit-remaining-tokens": "9000",
    "x-ms-deployment-name": "gpt-4o",
}
SAFE = {"filtered": False, "severity": "safe"}
CFR = {"hate": SAFE, "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}
PFR = [{"prompt_index": 0, "content_filter_results": CFR}]


def chat_body(
    content: str | None = "Hello!",
    *,
    model: str = "gpt-4o-2024-11-20",
    finish: str = "stop",
    tool_calls: list[dict[str, Any]] | None = None,
    cfr: dict[str, Any] | None = None,
    usage: dict[str, Any] | None = None,
) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_x",
        "prompt_filter_results": PFR,
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "logprobs": None,
                "message": message,
                "content_filter_results": CFR if cfr is None else cfr,
            }
        ],
        "usage": usage or {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }


def sse(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + (b"data: [DONE]\n\n")


def stream_chunks(
    text_parts: list[str],
    *,
    model: str = "gpt-4o-2024-11-20",
    finish: str = "stop",
    cfr: dict[str, Any] | None = None,
    usage: bool = True,
) -> list[dict[str, Any]]:
    base = {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_x",
    }
    out: list[dict[str, Any]] = [
        {"id": "", "object": "", "created": 0, "model": "", "choices": [], "prompt_filter_results": PFR}
    ]
    out.append(
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "finish_reason": None,
                    "content_filter_results": {},
                }
            ],
        }
    )
    for part in text_parts:
        out.append(
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"content": part}, "finish_reason": None, "content_filter_results": CFR}
                ],
            }
        )
    out.append(
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish, "content_filter_results": cfr or CFR}]}
    )
    if usage:
        out.append(
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": 5,
                    "completion_tokens": len(text_parts),
                    "total_tokens": 5 + len(text_parts),
                },
            }
        )
    return out


def auto(parts: list[str], **kw: Any) -> Callable[[httpx.Request], httpx.Response]:
    """Answer SSE when the request asks to stream, else JSON, with the same text."""

    def respond(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return FakeAzure.stream(stream_chunks(parts, **kw))
        return FakeAzure.json(chat_body("".join(parts), **kw))

    return respond


class FakeAzure:
    """Records requests; ``respond(request) -> httpx.Response`` decides the answer."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._respond = respond or (lambda r: self.json(chat_body()))

    @staticmethod
    def json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.Response(status, json=body, headers={**AZURE_HEADERS, **(headers or {})})

    @staticmethod
    def stream(chunks: list[dict[str, Any]]) -> httpx.Response:
        return httpx.Response(200, content=sse(chunks), headers={**AZURE_HEADERS, "content-type": "text/event-stream"})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._respond(request)

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        return self.handler(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))

    def aclient(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.ahandler))

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.last.content)


def model_kwargs(fake: FakeAzure, **kw: Any) -> dict[str, Any]:
    """Settings for a model that talks to ``fake`` (sync and async clients)."""
    base = {
        "azure_endpoint": "https://res.openai.azure.com",
        "api_key": "test-key",
        "azure_deployment": "gpt-4o",
        "api_version": "2024-10-21",
        "max_retries": 0,
        "http_client": fake.client(),
        "http_async_client": fake.aclient(),
    }
    base.update(kw)
    return base


def png(width: int = 4, height: int = 4) -> bytes:
    """A tiny valid RGB PNG (no download)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
