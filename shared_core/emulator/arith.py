"""Arithmetic the way a careful model does it: parse the question's expression, then evaluate it one
operation at a time, innermost first, with the tools that fit (``multiply(2, 4)`` then ``add(20, 8)``
for "What is 20+(2*4)?"), each step fed by the results of the earlier ones."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .text import JSON, content_words, words

_WORD_OPS = (
    (re.compile(r"\bmultiplied\s+by\b|\btimes\b", re.I), "*"),
    (re.compile(r"\bdivided\s+by\b", re.I), "/"),
    (re.compile(r"\bplus\b", re.I), "+"),
    (re.compile(r"\bminus\b", re.I), "-"),
    (re.compile(r"\bto\s+the\s+power\s+of\b", re.I), "**"),
)
_EXPR = re.compile(r"[(\-]*\d[\d.\s+\-*/()]*[\d)]")
_SYMBOL = {"+": "+", "-": "-", "*": "×", "/": "÷", "**": "^"}
_FUNCS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
_AST_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
#: words in a tool's name or description that say which operation it performs
_TOOL_WORDS = {
    "+": ("add", "sum", "plus", "addition"),
    "-": ("subtract", "minus", "difference", "substract"),
    "*": ("multiply", "multiplies", "multiplication", "product", "times"),
    "/": ("divide", "divides", "division", "quotient"),
    "**": ("power", "exponent", "pow", "exponentiate"),
}
STEP_OPS = ("+", "-", "*", "/", "**")
_CALCULATOR = ("calculator", "calculate", "evaluate", "expression", "arithmetic", "math")


@dataclass(frozen=True)
class Step:
    """One binary operation; an operand is a number or the index of an earlier step."""

    op: str
    left: float | int
    right: float | int
    left_step: int | None
    right_step: int | None


@dataclass(frozen=True)
class Plan:
    expression: str
    steps: tuple[Step, ...]


def find_expression(question: str) -> str | None:
    """The arithmetic expression a question asks about, in Python syntax, or None."""
    text = question.replace("×", "*").replace("÷", "/").replace("^", "**")
    text = re.sub(r"(?<=\d)\s*x\s*(?=\d)", "*", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    for rx, sym in _WORD_OPS:
        text = rx.sub(f" {sym} ", text)
    best = ""
    for m in _EXPR.finditer(text):
        cand = m.group(0).strip()
        if re.search(r"\d\s*(?:\*\*|[-+*/])\s*[(\-]*\d", cand) and len(cand) > len(best):
            best = cand
    return " ".join(best.split()) or None


def plan(question: str) -> Plan | None:
    """The post-order steps of the question's expression, or None when it holds no expression."""
    expr = find_expression(question)
    if expr is None:
        return None
    while expr.count("(") > expr.count(")") and expr.startswith("("):
        expr = expr[1:]
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None
    steps: list[Step] = []

    def walk(node: ast.expr) -> tuple[float | int, int | None]:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value, None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            val, idx = walk(node.operand)
            if idx is None:
                return -val, None
            raise ValueError("negated sub-expression")
        if isinstance(node, ast.BinOp) and type(node.op) in _AST_OPS:
            lv, li = walk(node.left)
            rv, ri = walk(node.right)
            op = _AST_OPS[type(node.op)]
            steps.append(Step(op, lv, rv, li, ri))
            return compute(op, lv, rv), len(steps) - 1
        raise ValueError("unsupported")

    try:
        walk(tree)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return Plan(expr, tuple(steps)) if steps else None


def compute(op: str, a: float, b: float) -> float | int:
    if op == "**" and abs(b) > 64:
        raise OverflowError("exponent too large")
    return tidy(_FUNCS[op](a, b))


def tidy(value: float) -> float | int:
    if isinstance(value, int):
        return value
    return int(value) if value == int(value) and abs(value) < 1e15 else round(value, 10)


def show(value: float) -> str:
    v = tidy(value)
    return str(v) if isinstance(v, int) else f"{v:g}"


def evaluate(question: str) -> str | None:
    """'28' for "What is 20+(2*4)?" (no tools at hand), else None."""
    p = plan(question)
    if p is None:
        return None
    values = run(p, [])
    return show(values[-1])


def run(p: Plan, results: Sequence[float | None]) -> list[float | int]:
    """Every step's value: the tool's result where one came back, else computed."""
    values: list[float | int] = []
    for i, s in enumerate(p.steps):
        a = values[s.left_step] if s.left_step is not None else s.left
        b = values[s.right_step] if s.right_step is not None else s.right
        got = results[i] if i < len(results) else None
        try:
            values.append(tidy(got) if got is not None else compute(s.op, a, b))
        except (ZeroDivisionError, OverflowError):
            values.append(float("nan"))
    return values


def operands(p: Plan, index: int, values: Sequence[float | int]) -> tuple[float | int, float | int]:
    s = p.steps[index]
    a = values[s.left_step] if s.left_step is not None else s.left
    b = values[s.right_step] if s.right_step is not None else s.right
    return a, b


def _tool_text(tool: JSON) -> tuple[set[str], set[str]]:
    fn = tool["function"]
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(fn.get("name", ""))).replace("_", " ").replace("-", " ")
    return set(words(name)), set(words(str(fn.get("description", ""))))


def calculator(funcs: Sequence[JSON]) -> JSON | None:
    """A tool that evaluates a whole expression given as one string."""
    for t in funcs:
        props = (t["function"].get("parameters") or {}).get("properties") or {}
        strings = [k for k, v in props.items() if isinstance(v, dict) and v.get("type", "string") == "string"]
        name_w, desc_w = _tool_text(t)
        if len(props) == 1 and strings and (name_w | desc_w) & set(_CALCULATOR):
            return t
    return None


def tool_for(op: str, funcs: Sequence[JSON]) -> JSON | None:
    """The tool performing ``op``: by its name first, then by its description."""
    keys = _TOOL_WORDS[op]
    for by in (0, 1):
        for t in funcs:
            texts = _tool_text(t)[by]
            if any(w in texts or (by == 0 and any(x.startswith(w) for x in texts)) for w in keys):
                others = [o for o, ks in _TOOL_WORDS.items() if o != op and set(ks) & texts]
                if by == 0 or not others:
                    return t
    return None


def arguments(tool: JSON, a: float | int, b: float | int) -> JSON:
    """The two operands placed in the tool's numeric parameters, in schema order."""
    params = tool["function"].get("parameters") or {}
    props: JSON = params.get("properties") or {}
    out: JSON = {}
    pending = [a, b]
    for name, schema in props.items():
        typ = schema.get("type") if isinstance(schema, dict) else None
        if typ == "array" and pending:
            out[name] = [_typed(v, (schema.get("items") or {}).get("type")) for v in pending]
            pending = []
        elif typ in ("integer", "number", None) and pending:
            out[name] = _typed(pending.pop(0), typ)
    return out


def _typed(v: float | int, typ: object) -> float | int:
    if typ == "integer" and v == int(v):
        return int(v)
    return tidy(v)


def answer(p: Plan, values: Sequence[float | int]) -> str:
    """'The answer is 28: 2 × 4 = 8, then 20 + 8 = 28.'"""
    parts = []
    for i, s in enumerate(p.steps):
        a, b = operands(p, i, values)
        parts.append(f"{show(a)} {_SYMBOL[s.op]} {show(b)} = {show(values[i])}")
    return f"The answer is {show(values[-1])}: " + ", then ".join(parts) + "."


def fits(question: str) -> bool:
    """Whether the question asks for a computation (not just mentions numbers)."""
    return bool(content_words(question)) and plan(question) is not None


def is_calculator_name(name: str) -> bool:
    return bool(set(words(name.replace("_", " "))) & set(_CALCULATOR))
