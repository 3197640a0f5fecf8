"""LangChain tool objects -> OpenAI tool dicts, and structured-output plumbing.

LangChain-specific inputs (``BaseTool``, runnables, TypedDicts with ``Annotated`` docs) are
converted with langchain-core's own converter; everything after that (strict rewrite, tool
choice, ``response_format``) is the core's decision (``shared_core.wire.tools``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_tool


def _core_tools() -> Any:
    from shared_core.wire import tools

    return tools


def to_wire_tool(tool: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """Any LangChain tool-like object -> ``{"type": "function", "function": {...}}``."""
    if isinstance(tool, dict) and tool.get("type") not in (None, "function"):
        return tool  # built-in tool dicts pass through untouched
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool

    core = _core_tools()
    if isinstance(tool, (BaseTool, Runnable)):
        # LangChain's own objects: LangChain knows their schema; the core decides the rest.
        tool = convert_to_openai_tool(tool)  # type: ignore[arg-type]
    result: dict[str, Any] = core.to_openai_tool(tool, strict=strict)
    return result


def tool_names(tools: Sequence[dict[str, Any]]) -> list[str]:
    return [t["function"]["name"] for t in tools if t.get("type") == "function"]


def normalize_tool_choice(choice: Any, names: Sequence[str]) -> str | dict[str, Any] | None:
    """LangChain's ``tool_choice`` semantics, decided by the core."""
    result: str | dict[str, Any] | None = _core_tools().normalize_tool_choice(choice, names)
    return result


def response_format_for(schema: Any, *, strict: bool | None) -> dict[str, Any]:
    """A json_schema ``response_format`` for a Pydantic model, TypedDict or JSON schema."""
    from langchain_core.utils.function_calling import convert_to_json_schema

    if isinstance(schema, dict) and schema.get("type") == "json_schema":
        return schema
    js = schema if isinstance(schema, dict) else convert_to_json_schema(schema)
    name = js.get("title") or (getattr(schema, "__name__", None)) or "response"
    rf: dict[str, Any] = _core_tools().response_format_for(
        js, strict=True if strict is None else strict, name=name
    )
    return rf


def parse_json_content(text: str) -> Any:
    return json.loads(text)
