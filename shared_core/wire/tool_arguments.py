"""Tool-call arguments: the JSON object a model sent, read leniently while it is still streaming.

Split from ``shared_core.wire.tools`` (which re-exports ``parse_arguments``).
"""

from __future__ import annotations

import json
from typing import Any


def _close_partial(text: str) -> tuple[str | None, list[int]]:
    """(text with open strings and brackets closed, or None if malformed; positions of the
    ``,`` ``{`` ``[`` outside strings, where a dangling tail can be cut)."""
    stack: list[str] = []
    cuts: list[int] = []
    in_string = False
    escape = False
    for i, ch in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
            cuts.append(i)
        elif ch == ",":
            cuts.append(i)
        elif ch in "}]":
            if not stack or stack[-1] != ch:
                return None, cuts
            stack.pop()
    if in_string:
        if escape:
            text = text[:-1]  # a dangling backslash cannot be completed
        text += '"'
    return text + "".join(reversed(stack)), cuts


def parse_arguments(text: str | None) -> dict[str, Any]:
    """Tool-call arguments as a dict. Lenient with partial JSON (as streamed so far): unclosed
    strings, objects and arrays are closed, and a dangling key or comma is dropped. Raises
    ``ValueError`` naming the problem when the text is not a JSON object."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.strip()
        if not stripped.startswith("{"):
            raise ValueError(f"tool arguments are not a JSON object: {_excerpt(text)}") from exc
        value = _parse_partial(stripped)
        if value is None:
            raise ValueError(
                f"tool arguments are not valid JSON ({exc.msg} at position {exc.pos}): {_excerpt(text)}"
            ) from exc
    if not isinstance(value, dict):
        raise ValueError(f"tool arguments must be a JSON object, got {type(value).__name__}: {_excerpt(text)}")
    return value


def _parse_partial(text: str) -> Any:
    closed, cuts = _close_partial(text)
    if closed is None or closed == text:
        return None  # mismatched brackets or trailing garbage: malformed, not truncated
    try:
        return json.loads(closed)
    except json.JSONDecodeError:
        pass
    # a dangling key, literal or comma at the end: cut back to the last "," / "{" / "[" (a few
    # tries, not one per character: this runs on every streamed fragment)
    for pos in reversed(cuts):
        candidate = text[:pos] if text[pos] == "," else text[: pos + 1]
        closed, _ = _close_partial(candidate)
        if closed is None:
            return None
        try:
            return json.loads(closed)
        except json.JSONDecodeError:
            continue
    return None


def _excerpt(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


__all__ = ["parse_arguments"]
