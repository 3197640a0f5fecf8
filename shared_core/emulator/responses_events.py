"""The SSE event sequence of a Responses stream, in the order the real Azure recordings show.

``response.created`` and ``response.in_progress`` carry the response with empty ``output``,
``usage: null`` and ``content_filters: null``; each output item then gets ``output_item.added``,
its own events (content part and text deltas, function-call argument deltas, reasoning summary
parts, built-in call progress) and ``output_item.done``; ``response.completed`` (or
``response.incomplete``) carries the final object. Every event has a ``sequence_number`` counting
from 0; text and argument deltas carry an ``obfuscation`` pad, as Azure sends on both route styles.
Background streams start ``queued`` and add ``response.queued`` (OpenAI background guide).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import behaviour as bh

JSON = dict[str, Any]

#: Events that carry model output (stream faults count these, as they count content chunks in chat).
CONTENT_EVENTS = frozenset(
    ("response.output_text.delta", "response.function_call_arguments.delta", "response.reasoning_summary_text.delta")
)

_BUILTIN_PROGRESS = {
    "web_search_call": (
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
    ),
    "file_search_call": (
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
    ),
    "code_interpreter_call": (
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
    ),
    "image_generation_call": (
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.completed",
    ),
    "mcp_list_tools": ("response.mcp_list_tools.in_progress", "response.mcp_list_tools.completed"),
}


def _pad(key: str, i: int) -> str:
    pad = bh.stable_id("", key, i, length=16)
    return pad[: 1 + ord(pad[0]) % 15]


def _pieces(s: str, size: int) -> list[str]:
    return [s[i : i + size] for i in range(0, len(s), size)] or [""]


def _pending(obj: JSON, status: str) -> JSON:
    return {
        **obj,
        "status": status,
        "output": [],
        "usage": None,
        "content_filters": None,
        "completed_at": None,
        "incomplete_details": None,
    }


def events(obj: JSON, *, obfuscate: bool = True) -> list[JSON]:
    """Every event of the stream that produced ``obj`` (a final response object), numbered.

    ``obfuscate=False`` (``stream_options.include_obfuscation: false``) leaves the delta padding out.
    """
    out: list[JSON] = []
    for ev in _events(obj):
        if not obfuscate:
            ev.pop("obfuscation", None)
        ev["sequence_number"] = len(out)
        out.append(ev)
    return out


def _events(obj: JSON) -> Iterator[JSON]:
    background = bool(obj.get("background"))
    first = "queued" if background else "in_progress"
    yield {"type": "response.created", "response": _pending(obj, first)}
    if background:
        yield {"type": "response.queued", "response": _pending(obj, "queued")}
    yield {"type": "response.in_progress", "response": _pending(obj, "in_progress")}
    for idx, item in enumerate(obj["output"]):
        yield from _item_events(obj["id"], idx, item)
    final = obj["status"]
    kind = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}
    yield {"type": kind.get(final, "response.completed"), "response": obj}


def _item_events(resp_id: str, idx: int, item: JSON) -> Iterator[JSON]:
    t = item["type"]
    iid = item["id"]
    base = {"output_index": idx}
    if t == "message":
        yield {"type": "response.output_item.added", **base, "item": {**item, "status": "in_progress", "content": []}}
        for ci, part in enumerate(item["content"]):
            ref = {"item_id": iid, **base, "content_index": ci}
            yield {"type": "response.content_part.added", **ref, "part": {**part, "text": ""}}
            for k, piece in enumerate(bh.split_tokens(part["text"])):
                yield {
                    "type": "response.output_text.delta",
                    **ref,
                    "delta": piece,
                    "logprobs": [],
                    "obfuscation": _pad(iid, k),
                }
            yield {"type": "response.output_text.done", **ref, "text": part["text"], "logprobs": []}
            yield {"type": "response.content_part.done", **ref, "part": part}
    elif t == "function_call":
        yield {"type": "response.output_item.added", **base, "item": {**item, "status": "in_progress", "arguments": ""}}
        for k, piece in enumerate(_pieces(item["arguments"], 8)):
            yield {
                "type": "response.function_call_arguments.delta",
                "item_id": iid,
                **base,
                "delta": piece,
                "obfuscation": _pad(iid, k),
            }
        yield {"type": "response.function_call_arguments.done", "item_id": iid, **base, "arguments": item["arguments"]}
    elif t == "reasoning":
        yield {"type": "response.output_item.added", **base, "item": {**item, "summary": []}}
        for si, part in enumerate(item.get("summary") or []):
            ref = {"item_id": iid, **base, "summary_index": si}
            yield {"type": "response.reasoning_summary_part.added", **ref, "part": {**part, "text": ""}}
            for k, piece in enumerate(bh.split_tokens(part["text"])):
                yield {
                    "type": "response.reasoning_summary_text.delta",
                    **ref,
                    "delta": piece,
                    "obfuscation": _pad(iid + "s", k),
                }
            yield {"type": "response.reasoning_summary_text.done", **ref, "text": part["text"]}
            yield {"type": "response.reasoning_summary_part.done", **ref, "part": part}
    else:
        added = {**item, "status": "in_progress"} if "status" in item else dict(item)
        if t == "image_generation_call":
            added["result"] = None
        yield {"type": "response.output_item.added", **base, "item": added}
        for name in _BUILTIN_PROGRESS.get(t, ()):
            yield {"type": name, "item_id": iid, **base}
    yield {"type": "response.output_item.done", **base, "item": item}
