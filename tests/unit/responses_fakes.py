"""Canned Responses API answers and streams (shapes copied from the real Azure recordings in
../shared/azure-recordings: Mirascope's gpt-4o-mini streams, crewAI's gpt-5.2-chat answer)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, Target, resolve_target

from .transport_fakes import AZ, FakeTime

RID = "resp_0326378503895f4100690c217bc9e88190acd59dc9fdbb99ba"
MID = "msg_0326378503895f4100690c217c423081908f2ac3b3183d5eef"


def response(status: str = "completed", output: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    out = {
        "id": RID,
        "object": "response",
        "created_at": 1762402683,
        "status": status,
        "background": False,
        "content_filters": None,
        "error": None,
        "incomplete_details": None,
        "model": "gpt-5.2",
        "output": output if output is not None else [],
        "previous_response_id": None,
        "service_tier": "default",
        "store": True,
        "usage": None,
        "metadata": {},
    }
    out.update(extra)
    return out


def message(text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "id": MID,
        "type": "message",
        "status": status,
        "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}],
        "role": "assistant",
    }


USAGE = {
    "input_tokens": 16,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 11,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 27,
}


def text_events(text_parts: list[str], *, final: str = "response.completed", start: int = 0) -> list[dict[str, Any]]:
    """The event sequence of a one-message answer, as Azure streams it (sequence numbers from ``start``)."""
    text = "".join(text_parts)
    evs: list[dict[str, Any]] = [
        {"type": "response.created", "response": response("in_progress")},
        {"type": "response.in_progress", "response": response("in_progress")},
        {"type": "response.output_item.added", "output_index": 0, "item": {**message(""), "content": []}},
        {
            "type": "response.content_part.added",
            "item_id": MID,
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "annotations": [], "text": ""},
        },
    ]
    for p in text_parts:
        evs.append(
            {
                "type": "response.output_text.delta",
                "item_id": MID,
                "output_index": 0,
                "content_index": 0,
                "delta": p,
            }
        )
    evs += [
        {"type": "response.output_text.done", "item_id": MID, "output_index": 0, "content_index": 0, "text": text},
        {"type": "response.output_item.done", "output_index": 0, "item": message(text)},
        {"type": final, "response": response(final.split(".")[1], [message(text)], usage=USAGE)},
    ]
    for i, e in enumerate(evs):
        e["sequence_number"] = start + i
    return evs


def sse_events(evs: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in evs)


def json_answer(body: dict[str, Any], status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers={**AZ, **headers})


def sse_answer(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={**AZ, "content-type": "text/event-stream"}, content=body)


def v1_target(name: str = "eastus", **kw: Any) -> Target:
    return resolve_target(
        base_url=f"https://{name}.openai.azure.com/openai/v1",
        deployment="gpt-5.2",
        api_key="k-secret",
        name=name,
        env={},
        **kw,
    )


def dated_target(name: str = "eastus", host: str = "openai.azure.com") -> Target:
    return resolve_target(
        azure_endpoint=f"https://{name}.{host}",
        deployment="gpt-5.2",
        api_key="k-secret",
        api_version="2025-04-01-preview",
        name=name,
        env={},
    )


def client(handler: Any, *targets: Target, t: FakeTime | None = None, **opts: Any) -> CoreClient:
    t = t or FakeTime()
    return CoreClient(
        targets or (v1_target(),),
        options=ClientOptions(**opts),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        hooks=t.hooks(),
    )
