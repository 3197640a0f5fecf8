"""LlamaIndex tools <-> OpenAI tool specs and tool calls.

The schema rules (strict-mode rewrite, tool_choice forms, lenient argument parsing) are the core's
(``shared_core.wire.tools``); this module only reads LlamaIndex objects and calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatResponse, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

JSON = dict[str, Any]


def tool_specs(tools: Sequence[BaseTool], *, strict: bool) -> list[JSON]:
    """OpenAI ``tools`` entries for LlamaIndex tools; ``strict`` rewrites each schema for strict mode."""
    from shared_core.wire.tools import strict_schema

    specs: list[JSON] = []
    for tool in tools:
        spec = tool.metadata.to_openai_tool(skip_length_check=True)
        if strict and spec.get("type") == "function":
            fn = spec["function"]
            fn["parameters"] = strict_schema(fn.get("parameters") or {"type": "object", "properties": {}})
            fn["strict"] = True
        specs.append(spec)
    return specs


def tool_choice_for(choice: str | JSON | None, tool_required: bool, names: Sequence[str]) -> str | JSON | None:
    """``tool_required`` -> ``"required"``; a bare tool name -> the function form (core rules)."""
    from shared_core.wire.tools import normalize_tool_choice

    if choice is None:
        choice = "required" if tool_required else "auto"
    return normalize_tool_choice(choice, names)


def _arguments(raw: Any) -> dict[str, Any]:
    """Tool arguments as a dict: lenient for streamed partial JSON, ``{}`` for non-JSON."""
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    from shared_core.wire.tools import parse_arguments

    try:
        parsed = parse_arguments(str(raw))
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def tool_selections(response: ChatResponse, *, error_on_no_tool_call: bool) -> list[ToolSelection]:
    """Every tool call in ``response`` (blocks first, then ``additional_kwargs["tool_calls"]``).

    With ``error_on_no_tool_call`` (the caller needs a call), a completion stopped by Azure's
    content filter raises ``ContentFilterError``: a call in it is cut short, and "no tool call"
    would hide why."""
    if error_on_no_tool_call:
        from .responses import raise_if_filtered

        raise_if_filtered(response, "tool call")
    selections = [
        ToolSelection(tool_id=b.tool_call_id or "", tool_name=b.tool_name, tool_kwargs=_arguments(b.tool_kwargs))
        for b in response.message.blocks
        if isinstance(b, ToolCallBlock)
    ]
    if not selections:
        for tc in response.message.additional_kwargs.get("tool_calls") or ():
            if isinstance(tc, dict):
                fn = tc.get("function") or {}
                tc_id, name, args = tc.get("id"), fn.get("name", ""), fn.get("arguments")
            else:  # an SDK object from another integration's history
                fn = getattr(tc, "function", None)
                tc_id, name, args = getattr(tc, "id", ""), getattr(fn, "name", ""), getattr(fn, "arguments", None)
            selections.append(ToolSelection(tool_id=tc_id or "", tool_name=name or "", tool_kwargs=_arguments(args)))
    if not selections and error_on_no_tool_call:
        content = response.message.content
        detail = f" The model answered with text instead: {content[:200]!r}." if content else ""
        raise ValueError(
            "Expected at least one tool call, but the response has none."
            f"{detail} Pass tool_required=True (tool_choice='required') to force a call."
        )
    return selections


def single_tool_call(response: ChatResponse) -> None:
    """Keep only the first tool call (when parallel calls were not allowed), in place."""
    calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    if len(calls) <= 1:
        return
    response.message.blocks = [b for b in response.message.blocks if not isinstance(b, ToolCallBlock)] + [calls[0]]
    kw = response.message.additional_kwargs
    if isinstance(kw.get("tool_calls"), list) and kw["tool_calls"]:
        kw["tool_calls"] = kw["tool_calls"][:1]
