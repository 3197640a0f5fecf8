"""A fake Azure Responses API on ``httpx.MockTransport`` for the adapters' tests.

It answers each ``POST /responses`` with the next scripted response object, as JSON or, when the
body asks for ``stream``, as the event sequence Azure streams for that object (item added, text
and argument deltas, item done, completed: the order of the real recordings, e.g. Mirascope's
``test_call_with_tools`` streams). Every request body is kept for the test to check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

AZ_HEADERS = {"apim-request-id": "00000000-0000-4000-8000-00000000abcd", "x-ms-region": "Sweden Central"}
USAGE = {
    "input_tokens": 120,
    "input_tokens_details": {"cached_tokens": 64},
    "output_tokens": 40,
    "output_tokens_details": {"reasoning_tokens": 24},
    "total_tokens": 160,
}


def answer(rid: str, *output: dict[str, Any], model: str = "gpt-5-mini-2025-08-07", **extra: Any) -> dict[str, Any]:
    """A completed response object holding ``output``."""
    return {
        "id": rid,
        "object": "response",
        "created_at": 1764700000,
        "status": "completed",
        "model": model,
        "output": list(output),
        "usage": USAGE,
        "content_filters": [],
        **extra,
    }


def text(mid: str, value: str, annotations: list[Any] | None = None) -> dict[str, Any]:
    part = {"type": "output_text", "text": value, "annotations": annotations or [], "logprobs": []}
    return {"type": "message", "id": mid, "status": "completed", "role": "assistant", "content": [part]}


def call(fid: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": fid,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def reasoning(rsid: str, summary: str | None = None, encrypted: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "reasoning", "id": rsid, "summary": []}
    if summary:
        item["summary"] = [{"type": "summary_text", "text": summary}]
    if encrypted:
        item["encrypted_content"] = encrypted
    return item


def code_interpreter(cid: str, code: str, logs: str) -> dict[str, Any]:
    return {
        "type": "code_interpreter_call",
        "id": cid,
        "status": "completed",
        "code": code,
        "container_id": "cntr_1",
        "outputs": [{"type": "logs", "logs": logs}],
    }


def _item_events(i: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    kind = item["type"]
    iid = item["id"]
    if kind == "message":
        full = item["content"][0]["text"]
        half = len(full) // 2
        stub = {**item, "status": "in_progress", "content": []}
        base = {"item_id": iid, "output_index": i, "content_index": 0}
        return [
            {"type": "response.output_item.added", "output_index": i, "item": stub},
            {
                **base,
                "type": "response.content_part.added",
                "part": {"type": "output_text", "text": "", "annotations": []},
            },
            {**base, "type": "response.output_text.delta", "delta": full[:half]},
            {**base, "type": "response.output_text.delta", "delta": full[half:]},
            {**base, "type": "response.output_text.done", "text": full},
            {**base, "type": "response.content_part.done", "part": item["content"][0]},
            {"type": "response.output_item.done", "output_index": i, "item": item},
        ]
    if kind == "function_call":
        stub = {**item, "status": "in_progress", "arguments": ""}
        base = {"item_id": iid, "output_index": i}
        return [
            {"type": "response.output_item.added", "output_index": i, "item": stub},
            {**base, "type": "response.function_call_arguments.delta", "delta": item["arguments"]},
            {**base, "type": "response.function_call_arguments.done", "arguments": item["arguments"]},
            {"type": "response.output_item.done", "output_index": i, "item": item},
        ]
    if kind == "reasoning":
        stub = {k: v for k, v in item.items() if k != "encrypted_content"} | {"summary": []}
        events: list[dict[str, Any]] = [{"type": "response.output_item.added", "output_index": i, "item": stub}]
        for s, part in enumerate(item.get("summary") or ()):
            base = {"item_id": iid, "output_index": i, "summary_index": s}
            events += [
                {**base, "type": "response.reasoning_summary_part.added", "part": {"type": "summary_text", "text": ""}},
                {**base, "type": "response.reasoning_summary_text.delta", "delta": part["text"]},
                {**base, "type": "response.reasoning_summary_text.done", "text": part["text"]},
                {**base, "type": "response.reasoning_summary_part.done", "part": part},
            ]
        return [*events, {"type": "response.output_item.done", "output_index": i, "item": item}]
    stub = {**item, "status": "in_progress"}
    return [
        {"type": "response.output_item.added", "output_index": i, "item": stub},
        {"type": "response.output_item.done", "output_index": i, "item": item},
    ]


def stream_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Azure's event sequence for ``response``."""
    pending = {**response, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": pending},
        {"type": "response.in_progress", "response": pending},
    ]
    for i, item in enumerate(response["output"]):
        events += _item_events(i, item)
    events.append({"type": f"response.{response['status']}", "response": response})
    for n, ev in enumerate(events):
        ev["sequence_number"] = n
    return events


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


class FakeResponses:
    """Answers ``POST .../responses`` from ``script`` in order; keeps each request."""

    def __init__(self, *script: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path.endswith("/responses"), request.url
        body = json.loads(request.content)
        if not self.script:
            raise AssertionError(f"unexpected request {len(self.requests)}: {body}")
        nxt = self.script.pop(0)
        response = nxt(body) if callable(nxt) else nxt
        if body.get("stream"):
            return httpx.Response(
                200, headers={**AZ_HEADERS, "content-type": "text/event-stream"}, content=sse(stream_events(response))
            )
        return httpx.Response(200, json=response, headers=AZ_HEADERS)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def clients(self) -> dict[str, Any]:
        """``http_client`` / ``http_async_client`` keyword arguments wired to this fake."""
        return {
            "http_client": httpx.Client(transport=self.transport()),
            "http_async_client": httpx.AsyncClient(transport=self.transport()),
        }
