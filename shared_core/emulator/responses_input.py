"""Responses API requests seen as a chat conversation, so the chat behaviour answers them too.

A Responses ``input`` (a string, or a list of messages and items: ``function_call``,
``function_call_output``, ``reasoning``, ``item_reference``) and ``instructions`` become the chat
messages :mod:`.behaviour` reads; flat Responses function tools become chat tools. Reasoning items
carry ``encrypted_content`` that this module seals and opens (a stand-in for Azure's opaque blob:
base64 JSON behind Fernet's ``gAAAAA`` prefix, so a client can round-trip it but not forge it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from . import azure

JSON = dict[str, Any]

_SEAL = b"azoai-emulator-reasoning"


def seal_reasoning(item_id: str, summary: str) -> str:
    """The ``encrypted_content`` of reasoning item ``item_id`` (opaque to clients, checked on the way back)."""
    payload = json.dumps({"id": item_id, "summary": summary}, separators=(",", ":")).encode()
    mac = hashlib.sha256(_SEAL + payload).digest()[:12]
    return "gAAAAA" + base64.urlsafe_b64encode(mac + payload).decode()


def open_reasoning(blob: Any) -> JSON | None:
    """The sealed payload, or None when ``blob`` was not made by :func:`seal_reasoning`."""
    if not isinstance(blob, str) or not blob.startswith("gAAAAA"):
        return None
    try:
        raw = base64.urlsafe_b64decode(blob[6:])
    except (ValueError, TypeError):
        return None
    mac, payload = raw[:12], raw[12:]
    if hashlib.sha256(_SEAL + payload).digest()[:12] != mac:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and part.get("type") in ("input_text", "output_text", "text", "refusal"):
        return str(part.get("text") or part.get("refusal") or "")
    return ""


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(t for t in (part_text(p) for p in content) if t)
    return ""


def input_items(body: JSON) -> list[JSON]:
    """The request's ``input`` as a list of items (a string is one user message)."""
    raw = body.get("input")
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    return [i for i in raw if isinstance(i, dict)] if isinstance(raw, list) else []


def item_kind(item: JSON) -> str:
    """``message`` for role-bearing items (``type`` may be left out, as the OpenAI SDK allows), else the type."""
    t = item.get("type")
    if t is None and "role" in item:
        return "message"
    return str(t)


def to_messages(items: list[JSON]) -> list[JSON]:
    """Chat messages for a list of Responses items (in order; reasoning items carry no text for the model)."""
    out: list[JSON] = []
    for item in items:
        kind = item_kind(item)
        if kind == "message":
            role = str(item.get("role") or "user")
            out.append({"role": role, "content": content_text(item.get("content"))})
        elif kind == "function_call":
            call = {
                "id": str(item.get("call_id")),
                "type": "function",
                "function": {"name": str(item.get("name")), "arguments": str(item.get("arguments") or "")},
            }
            if out and out[-1].get("role") == "assistant" and out[-1].get("tool_calls"):
                out[-1]["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else content_text(output) or json.dumps(output)
            out.append({"role": "tool", "tool_call_id": str(item.get("call_id")), "content": text})
    return out


def chat_tools(tools: Any) -> list[JSON]:
    """Responses function tools (flat ``name``/``parameters``) in chat's nested form; built-in tools are left out."""
    out: list[JSON] = []
    for t in tools if isinstance(tools, list) else []:
        if isinstance(t, dict) and t.get("type") == "function":
            fn = {k: t[k] for k in ("name", "description", "parameters", "strict") if k in t}
            out.append({"type": "function", "function": fn})
    return out


def chat_tool_choice(choice: Any) -> Any:
    """``{"type": "function", "name": n}`` as chat's ``{"type": "function", "function": {"name": n}}``."""
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    if isinstance(choice, dict):
        return "auto"  # a built-in tool forced: the function picker sees no function to force
    return choice


def item_not_persisted(item_id: str) -> azure.AzureError:
    """Azure's 400 for a reasoning item sent by id whose response was not stored (openclaw/openclaw#21782, #42800)."""
    return azure.bad_request(
        f"Item with id '{item_id}' not found. Items are not persisted when `store` is set to false. "
        "Try again with `store` set to true, or remove this item from your input.",
        param="input",
    )
