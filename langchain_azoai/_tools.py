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


def _is_typeddict(obj: Any) -> bool:
    from typing_extensions import is_typeddict

    return isinstance(obj, type) and bool(is_typeddict(obj))


def _is_pydantic_v1(obj: Any) -> bool:
    from pydantic.v1 import BaseModel as V1Model

    return isinstance(obj, type) and issubclass(obj, V1Model)


def lc_normalise(tool: Any) -> Any:
    """LangChain-only objects (``BaseTool``, runnables, TypedDicts with ``Annotated`` docs, on
    every Python) -> an OpenAI tool dict via langchain-core; anything else unchanged."""
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool

    if isinstance(tool, (BaseTool, Runnable)) or _is_pydantic_v1(tool):
        return convert_to_openai_tool(tool)
    if _is_typeddict(tool):
        try:
            converted = convert_to_openai_tool(tool)
        except Exception as exc:  # pydantic raises several types for unsupported hints
            raise _core_tools().schema_error(tool.__name__, exc, "tools") from exc
        if not tool.__dict__.get("__doc__"):
            # langchain-core describes a TypedDict without a docstring by ``dict``'s docstring
            converted["function"].pop("description", None)
        return converted
    return tool


def to_wire_tool(tool: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """Any LangChain tool-like object -> ``{"type": "function", "function": {...}}``.

    Every dict form langchain-core's ``convert_to_openai_tool`` reads is accepted (the core
    normalises them); built-in tool dicts (``{"type": "code_interpreter"}``) pass untouched.
    """
    core = _core_tools()
    if core.is_builtin_tool(tool):
        return dict(tool)
    result: dict[str, Any] = core.to_openai_tool(lc_normalise(tool), strict=strict)
    return result


def tool_names(tools: Sequence[dict[str, Any]]) -> list[str]:
    return [t["function"]["name"] for t in tools if t.get("type") == "function"]


def normalize_tool_choice(choice: Any, names: Sequence[str]) -> str | dict[str, Any] | None:
    """LangChain's ``tool_choice`` semantics, decided by the core."""
    result: str | dict[str, Any] | None = _core_tools().normalize_tool_choice(choice, names)
    return result


def response_format_for(schema: Any, *, strict: bool | None) -> dict[str, Any]:
    """A json_schema ``response_format`` for a Pydantic model, TypedDict, function, tool or JSON
    schema (any dict form of a tool is read as the schema of the answer)."""
    if isinstance(schema, dict) and schema.get("type") == "json_schema":
        return schema
    if not isinstance(schema, dict) and callable(schema) and not isinstance(schema, type):
        schema = to_wire_tool(schema)  # functions: their parameters are the answer's schema
    rf: dict[str, Any] = _core_tools().response_format_for(
        lc_normalise(schema), strict=True if strict is None else strict
    )
    return rf


def parse_json_content(text: str) -> Any:
    return json.loads(text)
