"""LangChain messages and settings -> a Responses API request body (``POST .../responses``).

The rules mirror langchain-openai's ``_construct_responses_api_payload`` / ``_construct_responses_api_input``
(langchain-openai 1.8) so that a program written for ``ChatOpenAI(use_responses_api=True)`` sends
the same body through ours; ``tests/langchain/test_responses_parity.py`` compares the two.
Non-AI messages go through the chat translation (``message_to_wire``) first; AI messages keep
their Responses content blocks (reasoning, function calls, server tool calls), which the next turn
must send back as input items.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from langchain_azoai._convert import message_to_wire
from langchain_azoai._responses_v03 import from_v03

#: Output items that go back as input items unchanged (minus LangChain's streaming ``index``).
_REPLAYED_ITEMS = frozenset(
    {
        "compaction",
        "web_search_call",
        "file_search_call",
        "function_call",
        "computer_call",
        "custom_tool_call",
        "code_interpreter_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "tool_search_call",
        "tool_search_output",
        "apply_patch_call",
        "apply_patch_call_output",
    }
)
_NON_MESSAGE_INPUTS = frozenset({"mcp_approval_response", "tool_search_output", "apply_patch_call_output"})
_LC_AUTO_PREFIX = "lc_"


def last_messages(messages: Sequence[BaseMessage]) -> tuple[Sequence[BaseMessage], str | None]:
    """The messages after the last AI message that carries a Responses id (``resp_...``), and
    that id; all messages and None when there is none."""
    for i in range(len(messages) - 1, -1, -1):
        msg = messages[i]
        if isinstance(msg, AIMessage):
            rid = msg.response_metadata.get("id")
            if isinstance(rid, str) and rid.startswith("resp_"):
                return messages[i + 1 :], rid
    return messages, None


def _strip_index(block: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in block.items() if k != "index"}
    if isinstance(out.get("summary"), list):
        out["summary"] = [
            {k: v for k, v in s.items() if k != "index"} if isinstance(s, Mapping) else s for s in out["summary"]
        ]
    return out


def _chat_block_to_input(block: Any) -> Any:
    """Chat content block -> Responses input block (text, image, file); others unchanged."""
    if not isinstance(block, Mapping):
        return block
    btype = block.get("type")
    new: dict[str, Any]
    if btype == "text":
        new = {"type": "input_text", "text": block["text"]}
    elif btype == "image_url":
        image = block["image_url"]
        new = {"type": "input_image", "image_url": image["url"]}
        if image.get("detail"):
            new["detail"] = image["detail"]
    elif btype == "file":
        new = {"type": "input_file", **block["file"]}
    else:
        return block
    if "prompt_cache_breakpoint" in block:
        new["prompt_cache_breakpoint"] = block["prompt_cache_breakpoint"]
    return new


def _tool_output(content: Any) -> Any:
    if isinstance(content, str):
        return content
    kinds = ("input_text", "input_image", "input_file", "text", "image_url", "file")
    if isinstance(content, list) and all(isinstance(b, Mapping) and b.get("type") in kinds for b in content):
        return [_chat_block_to_input(b) for b in content]
    try:  # as langchain-core's tool stringification: JSON first
        return json.dumps(content, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(content)


def _annotation_from_lc(annotation: Mapping[str, Any]) -> dict[str, Any]:
    # LangChain reserves "index" for stream aggregation, so file citations carry "file_index"
    out = dict(annotation)
    if out.get("type") == "file_citation" and "file_index" in out:
        out["index"] = out.pop("file_index")
    return out


def _assistant_text(items: list[dict[str, Any]], block: Mapping[str, Any], store: bool | None) -> None:
    btype = block["type"]
    if btype == "refusal":
        new: dict[str, Any] = {"type": "refusal", "refusal": block["refusal"]}
    else:
        if block.get("text") is None:
            return
        annotations = [_annotation_from_lc(a) for a in block.get("annotations") or []]
        new = {"type": "output_text", "text": block["text"], "annotations": annotations}
    msg_id, phase = block.get("id"), block.get("phase")
    for item in items:
        if item.get("id") and item.get("id") == msg_id:
            item.setdefault("content", []).append(new)
            if phase is not None:
                item["phase"] = phase
            return
    out: dict[str, Any] = {"type": "message", "content": [new], "role": "assistant"}
    if store is not False and isinstance(msg_id, str) and msg_id and not msg_id.startswith(_LC_AUTO_PREFIX):
        out["id"] = msg_id  # only ids the service issued (msg_...) can be referenced
    if phase is not None:
        out["phase"] = phase
    items.append(out)


def _v1_call(block: Mapping[str, Any], calls: Sequence[Any]) -> dict[str, Any]:
    extras = block.get("extras") or {}
    out: dict[str, Any] = {"type": "function_call", "call_id": block["id"]}
    if "item_id" in extras:
        out["id"] = extras["item_id"]
    if "name" in block:
        out["name"] = block["name"]
    if "arguments" in extras:
        out["arguments"] = extras["arguments"]
    match = next((c for c in calls if c["id"] == block["id"]), None)
    if match is not None:
        out.setdefault("name", match["name"])
        out.setdefault("arguments", json.dumps(match["args"], separators=(",", ":")))
    for key in ("status", "namespace", "async"):
        if key in extras:
            out[key] = extras[key]
    return out


def _from_v1(content: list[Any], calls: Sequence[Any]) -> list[Any]:
    """LangChain's standard (``"v1"``) blocks of an earlier answer -> Responses blocks: reasoning
    pieces of one item joined into its summary (extras such as ``encrypted_content`` restored),
    tool calls as function call items (as langchain-openai restores them). Server tool calls and results are not sent back (the
    anchor rebuilds them; here they stay out of the next turn's input)."""
    out: list[Any] = []
    for block in content:
        if not isinstance(block, Mapping):
            continue
        btype = block.get("type")
        if btype == "reasoning" and "summary" not in block:
            extras = dict(block.get("extras") or {})
            piece = {"type": "summary_text", "text": block["reasoning"]} if "reasoning" in block else None
            prev = out[-1] if out else None
            if piece and prev and prev.get("type") == "reasoning" and prev.get("id") == block.get("id"):
                prev["summary"].append(piece)
                continue
            item = {k: v for k, v in block.items() if k not in ("reasoning", "extras", "index")}
            out.append({**item, **extras, "summary": [piece] if piece else []})
        elif btype == "tool_call":
            out.append(_v1_call(block, calls))
        elif btype in ("text", "refusal"):
            out.append(block)
    return out


def _assistant_items(items: list[dict[str, Any]], message: AIMessage, store: bool | None) -> None:
    content = message.content
    if isinstance(content, list) and message.response_metadata.get("output_version") == "v1":
        content = _from_v1(content, message.tool_calls)
    if isinstance(content, list):
        for block in content:
            if not isinstance(block, Mapping) or not block.get("type"):
                continue
            btype = block["type"]
            if btype in ("text", "output_text", "refusal"):
                _assistant_text(items, block, store)
            elif btype == "reasoning":
                # without storage, only encrypted reasoning can be replayed
                if store is not False or block.get("encrypted_content"):
                    items.append(_strip_index(block))
            elif btype in _REPLAYED_ITEMS:
                items.append(_strip_index(block))
            elif btype == "image_generation_call":
                if store is not False:
                    items.append({"type": "image_generation_call", "id": block["id"]})
                else:
                    full = _strip_index(block)
                    if set(full) - {"type", "id"}:
                        items.append(full)
    elif isinstance(content, str) and content:
        items.append(
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": content, "annotations": []}],
            }
        )
    wire = message_to_wire(message)
    known = {b.get("call_id") for b in items if b.get("type") in ("function_call", "custom_tool_call")}
    for tc in wire.get("tool_calls") or ():
        if tc["id"] not in known:
            items.append(
                {
                    "type": "function_call",
                    "name": tc["function"]["name"],
                    "arguments": tc["function"]["arguments"],
                    "call_id": tc["id"],
                }
            )


def messages_to_input(messages: Sequence[BaseMessage], *, store: bool | None = None) -> list[dict[str, Any]]:
    """Responses ``input`` items for ``messages``. With ``store=False`` nothing refers to stored
    items: assistant message ids are left out and only encrypted reasoning is replayed."""
    items: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, AIMessage):
            _assistant_items(items, from_v03(message), store)  # a v0 answer back in its Responses shape
            continue
        msg = message_to_wire(message)
        msg.pop("name", None)  # the Responses API has no per-message name
        role = msg["role"]
        if role == "tool":
            items.append(
                {"type": "function_call_output", "output": _tool_output(msg["content"]), "call_id": msg["tool_call_id"]}
            )
        elif role in ("user", "system", "developer"):
            content = msg["content"]
            if isinstance(content, list):
                blocks = []
                for block in content:
                    btype = block.get("type") if isinstance(block, Mapping) else None
                    if btype in ("text", "image_url", "file"):
                        blocks.append(_chat_block_to_input(block))
                    elif btype in ("input_text", "input_image", "input_file"):
                        blocks.append(block)
                    elif btype in _NON_MESSAGE_INPUTS:
                        items.append(dict(block))
                if blocks:
                    items.append({"role": role, "content": blocks, "type": "message"})
            else:
                msg["type"] = "message"
                items.append(msg)
        else:
            items.append(msg)
    return items


def _tools(tools: Sequence[Mapping[str, Any]], stream: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools:
        if tool.get("type") == "function" and "function" in tool:
            extra = {k: v for k, v in tool.items() if k not in ("type", "function")}
            out.append({"type": "function", **tool["function"], **extra})
        elif tool.get("type") == "image_generation" and stream and "partial_images" not in tool:
            out.append({**tool, "partial_images": 1})  # the service requires it when streaming
        else:
            out.append(dict(tool))
    return out


def responses_body(messages: Sequence[BaseMessage], payload: dict[str, Any]) -> dict[str, Any]:
    """Chat-style ``payload`` (settings and per-call kwargs) + ``messages`` -> Responses body.

    ``payload`` is consumed: legacy names are renamed (``max_tokens`` -> ``max_output_tokens``,
    ``reasoning_effort`` -> ``reasoning.effort``, ``response_format`` -> ``text.format``,
    ``verbosity`` -> ``text.verbosity``) and ``stop``, which the Responses API lacks, is dropped.
    """
    for legacy in ("max_tokens", "max_completion_tokens"):
        if legacy in payload:
            payload["max_output_tokens"] = payload.pop(legacy)
    if "reasoning_effort" in payload and "reasoning" not in payload:
        payload["reasoning"] = {"effort": payload.pop("reasoning_effort")}
    payload.pop("stop", None)
    payload["input"] = messages_to_input(messages, store=payload.get("store"))
    if tools := payload.pop("tools", None):
        payload["tools"] = _tools(tools, bool(payload.get("stream")))
    if tool_choice := payload.pop("tool_choice", None):
        if isinstance(tool_choice, Mapping) and tool_choice.get("type") == "function" and "function" in tool_choice:
            tool_choice = {"type": "function", **tool_choice["function"]}
        payload["tool_choice"] = tool_choice
    if isinstance(payload.get("text"), Mapping):
        payload["text"] = dict(payload["text"])
    if (fmt := payload.pop("response_format", None)) is not None:
        _text_format(payload, fmt)
    if (verbosity := payload.pop("verbosity", None)) is not None:
        payload.setdefault("text", {})["verbosity"] = verbosity
    return payload


def _text_format(payload: dict[str, Any], fmt: Mapping[str, Any]) -> None:
    """Chat ``response_format`` -> Responses ``text.format`` (json_schema is flattened)."""
    if fmt.get("type") == "json_object":
        value: dict[str, Any] = {"type": "json_object"}
    elif fmt.get("type") == "json_schema" and isinstance(fmt.get("json_schema"), Mapping):
        value = {"type": "json_schema", **fmt["json_schema"]}
    else:
        return
    text = payload.get("text")
    if isinstance(text, dict):
        text["format"] = value
    else:
        payload["text"] = {"format": value}
