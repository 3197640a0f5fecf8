"""LlamaIndex messages <-> the Responses API, for ``AzureOpenAIResponses``. Translation only.

Messages go to the core as chat wire dicts (``to_wire_messages``, the same as for chat): the core
builds the Responses input items. What chat has no form for is added here: a ``ThinkingBlock``
that came from a reasoning item goes back as that item (its encrypted content for stateless
multi-turn, its id when the conversation is stored).

Results come from the core's ``ResponsesResult`` / ``ResponseEvent`` and take the shapes of
llama-index's ``OpenAIResponses``: text in ``TextBlock``s, reasoning in ``ThinkingBlock``s (the
item's fields in ``additional_information``), function calls in ``ToolCallBlock``s (arguments
as the model's JSON text), built-in tool calls in ``additional_kwargs["built_in_tool_calls"]``
(the service's item dicts) and a generated image as an ``ImageBlock``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from .messages import to_wire_message
from .responses import fast_chat_response, fast_message, fast_text, meta_kwargs, usage_kwargs

if TYPE_CHECKING:
    from shared_core.types import JSON
    from shared_core.types_responses import ResponseEvent, ResponsesResult

#: Output items that are a built-in (server-side) tool's call and result.
_BUILT_IN = frozenset(
    {
        "code_interpreter_call",
        "image_generation_call",
        "file_search_call",
        "web_search_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "computer_call",
    }
)


def _reasoning_item(block: ThinkingBlock, store: bool) -> JSON | None:
    info = block.additional_information or {}
    if info.get("type") != "reasoning" or not info.get("id"):
        return None
    summary = [{"type": "summary_text", "text": block.content}] if block.content else []
    if info.get("encrypted_content"):
        return {
            "type": "reasoning",
            "id": info["id"],
            "summary": summary,
            "encrypted_content": info["encrypted_content"],
        }
    if store:
        return {"type": "reasoning", "id": info["id"], "summary": summary}
    return None  # neither stored nor encrypted: the service could not resolve it


def input_messages(messages: Sequence[ChatMessage], *, store: bool) -> list[JSON]:
    """The ``input`` of a Responses call: chat wire dicts, with reasoning items before the
    assistant message that followed them."""
    out: list[JSON] = []
    for message in messages:
        if message.role == MessageRole.ASSISTANT:
            for block in message.blocks:
                if isinstance(block, ThinkingBlock) and (item := _reasoning_item(block, store)) is not None:
                    out.append(item)
        wire = to_wire_message(message)
        if wire.get("role") == "assistant" and not wire.get("content") and not wire.get("tool_calls"):
            continue  # a reasoning-only turn: its item is above
        out.append(wire)
    return out


def after_last_answer(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The messages after the last assistant message: what a stored conversation (continued by
    ``previous_response_id``) does not hold yet."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == MessageRole.ASSISTANT:
            return list(messages[i + 1 :])
    return list(messages)


def _thinking(item: Mapping[str, Any], reasoning_tokens: int | None) -> ThinkingBlock:
    texts = [c.get("text", "") for c in item.get("content") or () if isinstance(c, Mapping)]
    texts += [s.get("text", "") for s in item.get("summary") or () if isinstance(s, Mapping)]
    info = {k: v for k, v in item.items() if k not in ("content", "summary")}
    return ThinkingBlock(content="\n".join(texts) or None, additional_information=info, num_tokens=reasoning_tokens)


def _image(item: Mapping[str, Any]) -> ImageBlock | None:
    result = item.get("result")
    if item.get("status") == "failed" or not isinstance(result, str):
        return None
    return ImageBlock(image=base64.b64decode(result))


def response_message(raw: Mapping[str, Any], reasoning_tokens: int | None) -> tuple[ChatMessage, dict[str, Any]]:
    """A response object's output -> (assistant message, its additional kwargs)."""
    blocks: list[Any] = []
    built_in: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    texts: list[str] = []
    for item in raw.get("output") or ():
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or ():
                if part.get("type") == "output_text":
                    if not texts:  # one TextBlock, where the text starts: the SDK's output_text
                        blocks.append(TextBlock(text=""))
                    texts.append(part.get("text") or "")
                    if part.get("annotations"):
                        kwargs.setdefault("annotations", []).extend(part["annotations"])
                elif part.get("type") == "refusal":
                    kwargs["refusal"] = part.get("refusal")
        elif kind == "function_call":
            blocks.append(
                ToolCallBlock(
                    tool_name=item.get("name") or "",
                    tool_call_id=item.get("call_id"),
                    tool_kwargs=item.get("arguments") or "",
                )
            )
        elif kind == "reasoning":
            blocks.append(_thinking(item, reasoning_tokens))
        elif kind in _BUILT_IN:
            built_in.append(dict(item))
            if kind == "image_generation_call" and (image := _image(item)) is not None:
                blocks.append(image)
    if texts:
        next(b for b in blocks if isinstance(b, TextBlock)).text = "".join(texts)
    kwargs["built_in_tool_calls"] = built_in
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks), kwargs


def _result_kwargs(result: ResponsesResult) -> dict[str, Any]:
    out: dict[str, Any] = {**meta_kwargs(result.meta), **usage_kwargs(result.usage)}
    out["response_id"] = result.id
    out["status"] = result.status
    if result.model:
        out["model"] = result.model
    if result.raw.get("usage") is not None:
        out["usage"] = result.raw["usage"]
    if result.incomplete_details:
        out["incomplete_details"] = dict(result.incomplete_details)
    if result.output_filtered:
        out["finish_reason"] = "content_filter"
        out["content_filter_results"] = [dict(f.content_filter_results) for f in result.content_filters]
    return out


def chat_response(result: ResponsesResult) -> ChatResponse:
    """One Responses result -> ``ChatResponse`` (``raw`` is the service's JSON)."""
    message, kwargs = response_message(result.raw, result.usage.reasoning_tokens if result.usage else None)
    return ChatResponse(message=message, raw=dict(result.raw), additional_kwargs={**kwargs, **_result_kwargs(result)})


class ResponsesStreamState:
    """Responses events -> cumulative ``ChatResponse``s (message so far, ``delta`` = new text),
    as ``AzureOpenAI`` streams chat; the terminal event's response gives the final message."""

    __slots__ = ("text", "blocks", "built_in", "meta", "response_id", "final")

    def __init__(self) -> None:
        self.text = ""
        self.blocks: list[Any] = []  # thinking, tool call and image blocks, in output order
        self.built_in: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = {}
        self.response_id: str | None = None
        self.final: ChatResponse | None = None

    def feed(self, event: ResponseEvent) -> ChatResponse:
        if event.meta is not None:
            self.meta = meta_kwargs(event.meta)
        kind = event.type
        if event.response is not None and event.response.id:
            self.response_id = event.response.id
        if kind in ("response.completed", "response.incomplete") and event.response is not None:
            final = chat_response(event.response)
            final.delta = ""
            final.additional_kwargs.update(self.meta)
            self.final = final
            return final
        delta = ""
        if kind == "response.output_text.delta":
            delta = event.delta or ""
            self.text += delta
        elif kind == "response.output_item.done" and isinstance(event.raw.get("item"), Mapping):
            self._item_done(event.raw["item"])
        blocks: list[Any] = [fast_text(self.text), *self.blocks]
        kwargs: dict[str, Any] = {**self.meta, "built_in_tool_calls": list(self.built_in)}
        if self.response_id:
            kwargs["response_id"] = self.response_id
        # per event: built without re-validating (as the chat stream's), from already-checked values
        return fast_chat_response(
            message=fast_message(MessageRole.ASSISTANT, blocks, {}),
            raw=dict(event.raw),
            delta=delta,
            logprobs=None,
            additional_kwargs=kwargs,
        )

    def _item_done(self, item: Mapping[str, Any]) -> None:
        kind = item.get("type")
        if kind == "function_call":
            self.blocks.append(
                ToolCallBlock(
                    tool_name=item.get("name") or "",
                    tool_call_id=item.get("call_id"),
                    tool_kwargs=item.get("arguments") or "",
                )
            )
        elif kind == "reasoning":
            self.blocks.append(_thinking(item, None))
        elif kind in _BUILT_IN:
            self.built_in.append(dict(item))
            if kind == "image_generation_call" and (image := _image(item)) is not None:
                self.blocks.append(image)
