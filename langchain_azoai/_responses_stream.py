"""Responses API stream events (the JSON of each SSE event) -> LangChain ``AIMessageChunk``.

Mirrors langchain-openai's ``_convert_responses_chunk_to_generation_chunk`` (1.8): the same events
give the same chunks, so ``stream()`` and the sum of its chunks equal ``ChatOpenAI``'s. One
converter per stream keeps the content-block index (a block per output item and content part).
The core delivers the events in order and assembled from SSE; this only translates them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessageChunk

from langchain_azoai._convert import fast_copy
from langchain_azoai._responses_output import drop_none, response_to_message
from langchain_azoai._responses_v03 import to_v03
from shared_core.errors import AzureOpenAIError

#: Items whose ``output_item.done`` carries a server tool's call and result: one block each.
_DONE_ITEMS = frozenset(
    {
        "compaction",
        "web_search_call",
        "file_search_call",
        "computer_call",
        "code_interpreter_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "image_generation_call",
        "tool_search_call",
        "tool_search_output",
        "apply_patch_call",
        "apply_patch_call_output",
    }
)


_PLAIN_TEMPLATE = AIMessageChunk(
    content=[], tool_call_chunks=[], usage_metadata=None, response_metadata={}, additional_kwargs={}, id=None
)
_PLAIN_SET = frozenset(_PLAIN_TEMPLATE.model_fields_set | {"chunk_position"})


def _plain_chunk(content: Any, rm: dict[str, Any], additional_kwargs: dict[str, Any], id_: Any) -> AIMessageChunk:
    """Equal to ``AIMessageChunk(content=..., tool_call_chunks=[], usage_metadata=None,
    response_metadata=rm, additional_kwargs=..., id=id_, chunk_position=None)`` without
    validation (most of a streamed event's cost); tests compare it with langchain-openai's chunks."""
    chunk: AIMessageChunk = fast_copy(
        _PLAIN_TEMPLATE,
        _PLAIN_SET,
        {
            "content": content,
            "id": id_,
            "response_metadata": rm,
            "additional_kwargs": additional_kwargs,
            "tool_calls": [],
            "invalid_tool_calls": [],
            "tool_call_chunks": [],
        },
    )
    return chunk


class ResponsesStreamConverter:
    """Feed each event's JSON; get the chunk to yield, or None for events that add nothing."""

    def __init__(self, *, schema: Any = None, metadata: Mapping[str, Any] | None = None, v0: bool = False) -> None:
        self.schema = schema
        self.v0 = v0  # output_version="v0": each chunk reshaped as langchain-openai 0.3 gave it
        self.has_reasoning = False  # (v0) a chunk already carried the reasoning item
        self._first_meta = dict(metadata or {})
        self.seen_meta = False
        self.index = -1
        self.output_index = -1
        self.sub_index = -1
        self.item_indices: dict[str, int] = {}
        self.arguments: dict[str, str] = {}

    def add_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Response facts (Azure's request id, region, headers) for the first chunk."""
        self._first_meta.update(metadata)
        self.seen_meta = True

    def _advance(self, item_id: Any, output_idx: int, sub_idx: int | None = None) -> None:
        # several built-in calls can move an item's later events to another output_index: keep
        # each item on the block its first event opened
        if item_id in self.item_indices:
            output_idx = self.item_indices[item_id]
        if sub_idx is None:
            if self.output_index != output_idx:
                self.index += 1
        else:
            if self.output_index != output_idx or self.sub_index != sub_idx:
                self.index += 1
            self.sub_index = sub_idx
        self.output_index = output_idx

    def feed(self, event: Mapping[str, Any]) -> AIMessageChunk | None:
        """The chunk for one event (raises ``AzureOpenAIError`` on ``response.failed`` / ``error``)."""
        etype = event.get("type")
        item = event.get("item") if isinstance(event.get("item"), Mapping) else None
        item_id = (item or {}).get("id") or event.get("item_id")
        if item_id is not None and event.get("output_index") is not None:
            self.item_indices.setdefault(item_id, event["output_index"])
        c = _Chunk()
        handler = _HANDLERS.get(str(etype))
        if handler is not None:
            handler(self, event, item, item_id, c)
        elif etype == "response.output_item.added" and item is not None:
            self._item_added(event, item, c)
        elif etype == "response.output_item.done" and item is not None:
            self._item_done(event, item, c)
        else:
            return None
        if c.empty:
            return None
        metadata = self._first_meta
        self._first_meta = {}
        rm = {**metadata, **c.response_metadata, "model_provider": "openai"}
        if not c.tool_call_chunks and c.usage_metadata is None and c.position is None:
            chunk = _plain_chunk(c.content, rm, c.additional_kwargs, c.id)  # text deltas: the hot path
        else:
            chunk = AIMessageChunk(
                content=c.content,
                tool_call_chunks=c.tool_call_chunks,
                usage_metadata=c.usage_metadata,
                response_metadata=rm,
                additional_kwargs=c.additional_kwargs,
                id=c.id,
                chunk_position=c.position,
            )
        if self.v0:
            chunk = to_v03(chunk, has_reasoning=self.has_reasoning)
            self.has_reasoning = self.has_reasoning or "reasoning" in chunk.additional_kwargs
        return chunk

    def _item_added(self, event: Mapping[str, Any], item: Mapping[str, Any], c: _Chunk) -> None:
        itype = item.get("type")
        if itype == "message":
            c.empty = False  # an empty chunk, as langchain-openai yields
            if self.v0:
                c.id = item.get("id")  # v0 names the message item, not the response
            elif (phase := item.get("phase")) is not None:
                self._advance(item.get("id"), event["output_index"], 0)
                c.add({"type": "text", "text": "", "phase": phase, "index": self.index})
        elif itype == "function_call":
            self._advance(item.get("id"), event["output_index"])
            self.arguments[item["id"]] = item.get("arguments") or ""
            c.tool_call_chunks.append(
                {
                    "type": "tool_call_chunk",
                    "name": item.get("name"),
                    "args": item.get("arguments"),
                    "id": item.get("call_id"),
                    "index": self.index,
                }
            )
            block = {
                "type": "function_call",
                "name": item.get("name"),
                "arguments": item.get("arguments"),
                "call_id": item.get("call_id"),
                "id": item.get("id"),
                "index": self.index,
            }
            for extra in ("namespace", "async"):
                if item.get(extra) is not None:
                    block[extra] = item[extra]
            c.add(block)
        elif itype == "reasoning":
            self._advance(item.get("id"), event["output_index"])
            self.sub_index = 0
            block = drop_none(item)
            # complete only on the item's done event: both would concatenate under one index
            block.pop("encrypted_content", None)
            block["index"] = self.index
            c.add(block)

    def _item_done(self, event: Mapping[str, Any], item: Mapping[str, Any], c: _Chunk) -> None:
        itype = item.get("type")
        if itype in _DONE_ITEMS:
            self._advance(item.get("id"), event["output_index"])
            c.add({**drop_none(item), "index": self.index})
        elif itype == "custom_tool_call":
            self._advance(item.get("id"), event["output_index"])
            c.add({**drop_none(item), "index": self.index})
            c.tool_call_chunks.append(
                {
                    "type": "tool_call_chunk",
                    "name": item.get("name"),
                    "args": json.dumps({"__arg1": item.get("input")}),
                    "id": item.get("call_id"),
                    "index": self.index,
                }
            )
        elif itype == "reasoning" and item.get("encrypted_content"):
            self._advance(item.get("id"), event["output_index"])
            c.add(
                {
                    "type": "reasoning",
                    "id": item.get("id"),
                    "summary": [],
                    "encrypted_content": item["encrypted_content"],
                    "index": self.index,
                }
            )


class _Chunk:
    __slots__ = (
        "additional_kwargs",
        "content",
        "empty",
        "id",
        "position",
        "response_metadata",
        "tool_call_chunks",
        "usage_metadata",
    )

    def __init__(self) -> None:
        self.content: list[Any] = []
        self.tool_call_chunks: list[Any] = []
        self.additional_kwargs: dict[str, Any] = {}
        self.response_metadata: dict[str, Any] = {}
        self.usage_metadata: Any = None
        self.id: str | None = None
        self.position: Any = None
        self.empty = True

    def add(self, block: dict[str, Any]) -> None:
        self.content.append(block)
        self.empty = False


Handler = Any


def _text_delta(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    conv._advance(item_id, e["output_index"], e["content_index"])
    c.add({"type": "text", "text": e.get("delta"), "index": conv.index})


def _annotation(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    conv._advance(item_id, e["output_index"], e["content_index"])
    annotation = drop_none(e.get("annotation") or {})
    if annotation.get("type") == "file_citation" and "index" in annotation:
        annotation["file_index"] = annotation.pop("index")
    c.add({"type": "text", "annotations": [annotation], "index": conv.index})


def _text_done(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    conv._advance(item_id, e["output_index"], e["content_index"])
    c.add({"type": "text", "text": "", "id": e.get("item_id"), "index": conv.index})


def _created(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    rid = (e.get("response") or {}).get("id")
    c.id = rid
    c.response_metadata["id"] = rid
    c.empty = False


def _failed(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    response = e.get("response") or {}
    error = response.get("error")
    raise AzureOpenAIError(f"Response {response.get('id')} failed: {error or 'no error detail given'}")


def _error(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    code, message = e.get("code"), e.get("message")
    raise AzureOpenAIError(f"{code}: {message}" if code else str(message))


def _completed(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    msg = response_to_message(e.get("response") or {}, schema=conv.schema)
    if parsed := msg.additional_kwargs.get("parsed"):
        c.additional_kwargs["parsed"] = parsed
    c.usage_metadata = msg.usage_metadata
    c.response_metadata = {k: v for k, v in msg.response_metadata.items() if k != "id"}
    c.position = "last"
    c.empty = False


def _args_delta(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    conv._advance(item_id, e["output_index"])
    conv.arguments[e["item_id"]] = conv.arguments.get(e["item_id"], "") + (e.get("delta") or "")
    c.tool_call_chunks.append({"type": "tool_call_chunk", "args": e.get("delta"), "index": conv.index})
    c.add({"type": "function_call", "arguments": e.get("delta"), "index": conv.index})


def _args_done(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    # the service may skip some or all argument deltas: send what is still missing
    streamed = conv.arguments.get(e["item_id"], "")
    arguments = e.get("arguments") or ""
    conv.arguments[e["item_id"]] = arguments
    remaining = arguments[len(streamed) :] if arguments.startswith(streamed) else ""
    if remaining:
        conv._advance(item_id, e["output_index"])
        c.tool_call_chunks.append({"type": "tool_call_chunk", "args": remaining, "index": conv.index})
        c.add({"type": "function_call", "arguments": remaining, "index": conv.index})


def _refusal_done(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    c.add({"type": "refusal", "refusal": e.get("refusal")})


def _summary_part(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    conv._advance(item_id, e["output_index"])
    c.add(
        {
            "summary": [{"index": e.get("summary_index"), "type": "summary_text", "text": ""}],
            "index": conv.index,
            "type": "reasoning",
            "id": e.get("item_id"),
        }
    )


def _summary_delta(conv: ResponsesStreamConverter, e: Mapping[str, Any], item: Any, item_id: Any, c: _Chunk) -> None:
    conv._advance(item_id, e["output_index"])
    c.add(
        {
            "summary": [{"index": e.get("summary_index"), "type": "summary_text", "text": e.get("delta")}],
            "index": conv.index,
            "type": "reasoning",
        }
    )


_HANDLERS: dict[str, Handler] = {
    "response.output_text.delta": _text_delta,
    "response.output_text.annotation.added": _annotation,
    "response.output_text.done": _text_done,
    "response.created": _created,
    "response.failed": _failed,
    "error": _error,
    "response.completed": _completed,
    "response.incomplete": _completed,
    "response.function_call_arguments.delta": _args_delta,
    "response.function_call_arguments.done": _args_done,
    "response.refusal.done": _refusal_done,
    "response.reasoning_summary_part.added": _summary_part,
    "response.reasoning_summary_text.delta": _summary_delta,
}
