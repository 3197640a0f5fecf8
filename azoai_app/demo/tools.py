"""The agent's local tools: an arithmetic evaluator (no ``eval``) and a unit converter."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

_BIN_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}  # fmt: skip
_UNARY_OPS: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression (``+ - * / // % **``, parentheses) without ``eval``."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 100:
                raise ValueError("exponent too large")
            return float(_BIN_OPS[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_OPS:
            return float(_UNARY_OPS[type(node.op)](ev(node.operand)))
        raise ValueError(f"unsupported expression element {type(node).__name__}")

    try:
        value = ev(ast.parse(expression.replace(",", "").replace("$", ""), mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError) as exc:
        return f"error: cannot evaluate {expression!r}: {exc}"
    return f"{value:g}" if math.isfinite(value) and value != int(value) else f"{int(value)}"


_LINEAR_UNITS: dict[str, tuple[str, float]] = {
    "m": ("length", 1.0), "cm": ("length", 0.01), "mm": ("length", 0.001), "ft": ("length", 0.3048),
    "in": ("length", 0.0254), "m2": ("area", 1.0), "ft2": ("area", 0.09290304),
    "l": ("volume", 1.0), "gal": ("volume", 3.785411784), "kg": ("mass", 1.0), "g": ("mass", 0.001),
    "lb": ("mass", 0.45359237), "km/h": ("speed", 1.0), "mph": ("speed", 1.609344),
}  # fmt: skip


def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert ``value`` between units (see ``CONVERT_DESCRIPTION``); an error string if unknown."""
    src, dst = from_unit.strip().lower(), to_unit.strip().lower()
    temps = {"c", "f", "celsius", "fahrenheit"}
    if src in temps and dst in temps:
        c = value if src[0] == "c" else (value - 32) * 5 / 9
        out = c if dst[0] == "c" else c * 9 / 5 + 32
        return f"{value:g} {from_unit} = {out:.4g} {to_unit}"
    if src in _LINEAR_UNITS and dst in _LINEAR_UNITS and _LINEAR_UNITS[src][0] == _LINEAR_UNITS[dst][0]:
        out = value * _LINEAR_UNITS[src][1] / _LINEAR_UNITS[dst][1]
        return f"{value:g} {from_unit} = {out:.4g} {to_unit}"
    return f"error: cannot convert {from_unit!r} to {to_unit!r}"


__all__ = ["calculate", "convert_units"]
