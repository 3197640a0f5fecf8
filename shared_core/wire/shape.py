"""Cheap type checks for the answer parsers: what they index must be what they expect.

A parser raises :class:`ShapeError` naming the field; its caller, which knows where the answer came
from, turns it into ``UnexpectedResponseError`` (``diagnose.unexpected_answer``). Only what the
parsers index or hand on is checked (one ``type()`` test each), never the whole document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_KIND = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


class ShapeError(ValueError):
    """A field of an answer is missing or of the wrong type; the message names it."""


def kind(value: Any) -> str:
    """``"a string ('x')"``, ``"a list"``, ``"null"``: what a value is, for messages."""
    if value is None:
        return "null"
    name = _KIND.get(type(value), type(value).__name__)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = repr(value)
        name += f" ({text if len(text) <= 40 else text[:39] + '…'})"
    return name


def wrong(field: str, value: Any, expected: str) -> ShapeError:
    """``'choices' is a string ('x'), not a list``."""
    return ShapeError(f"{field!r} is {kind(value)}, not {expected}")


def opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """``obj[key]`` when it is a string or absent/null; else :class:`ShapeError`."""
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise wrong(f"{where}.{key}", value, "a string")


__all__ = ["ShapeError", "kind", "opt_str", "wrong"]
