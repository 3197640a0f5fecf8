"""Tool calling: which tools fit the question, their arguments, and the steps of a chain."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from . import arith
from .extraction import _NUM_RE, _Filler, synthesize
from .text import (
    _STOP,
    JSON,
    _stem,
    calls_of,
    content_words,
    last_user_text,
    message_text,
    since_question,
    turn_calls,
    words,
)

#: what a question says and the word a tool's description uses for it ("people live in" -> population)
_RELATED: dict[str, tuple[str, ...]] = {
    "people": ("population",),
    "inhabitants": ("population",),
    "populous": ("population",),
    "live": ("population",),
    "temperature": ("weather",),
    "rain": ("weather",),
    "raining": ("weather",),
    "sunny": ("weather",),
    "forecast": ("weather",),
    "cost": ("price",),
    "costs": ("price",),
    "exchange": ("currency", "convert"),
    "dollars": ("currency",),
    "euros": ("currency",),
    "far": ("distance",),
    "translate": ("translation", "language"),
}


def _name_words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    return content_words(spaced)


def choose_tools(tools: Sequence[JSON], tool_choice: Any, messages: Sequence[JSON], parallel: bool) -> list[JSON]:
    """The function tools to call now, or [] to answer in text."""
    funcs = [t for t in tools if t.get("type", "function") == "function" and isinstance(t.get("function"), dict)]
    if not funcs or tool_choice == "none":
        return []
    text = last_user_text(messages)
    if not isinstance(tool_choice, dict):
        routed = _arith_route(funcs, messages, text)
        if routed is not None:
            return routed[:1] if routed or tool_choice != "required" else funcs[:1]
    if messages and messages[-1].get("role") == "tool" and tool_choice in (None, "auto"):
        # the results are in: answer with them, unless the question orders further steps
        return _next_step(funcs, text, messages)
    if isinstance(tool_choice, dict):
        wanted = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
        return [t for t in funcs if t["function"].get("name") == wanted][:1]
    user = content_words(text)
    user |= {_stem(r) for w in words(text) for r in _RELATED.get(w, ())}
    scored = []
    for i, t in enumerate(funcs):
        fn = t["function"]
        by_name = len(user & _name_words(str(fn.get("name", ""))))
        by_desc = len(user & content_words(str(fn.get("description", ""))))
        score = 2 * by_name + by_desc
        if by_name >= 1 or by_desc >= 2:
            scored.append((score, -i, t))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    picked = [t for _, _, t in scored]
    if not picked and tool_choice == "required":
        picked = funcs[:1]
    chain = _ordered_steps(funcs, text)
    if len(chain) > 1 and chain[0] in picked:
        return chain[:1]  # "use add, then multiply": one step now, the next uses its result
    if not parallel:
        picked = picked[:1]
    return picked


# A question that orders its steps ("use add, then multiply") is answered one tool call per turn, as
# a model does when a later call needs an earlier result; tools are taken in the order they are named.
_SEQUENCE_RE = re.compile(r"\b(then|after that|afterwards|next|followed by)\b", re.I)


def _ordered_steps(funcs: Sequence[JSON], text: str) -> list[JSON]:
    """The tools the question names, in the order it names them ("convert ..., then search the docs")."""
    if not _SEQUENCE_RE.search(text):
        return []
    low = text.lower()
    stems = [_stem(w) for w in words(text)]
    named: list[tuple[int, int, JSON]] = []
    for i, t in enumerate(funcs):
        name = str(t["function"].get("name", ""))
        pos = low.find(name.lower()) if name else -1
        if pos >= 0:
            named.append((pos, i, t))
            continue
        # by its verb: the first word of its name ("convert" for convert_units), as a word of the text
        first = next(iter(sorted(_name_words(name), key=lambda w: _name_order(name, w))), None)
        if first and first in stems and len(first) > 2:
            at = stems.index(first)
            named.append((len(" ".join(words(text)[:at])), i, t))
    return [t for _, _, t in sorted(named, key=lambda n: (n[0], n[1]))]


def _name_order(name: str, stem: str) -> int:
    parts = [_stem(w) for w in words(re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " "))]
    return parts.index(stem) if stem in parts else 99


def _arith_route(funcs: Sequence[JSON], messages: Sequence[JSON], text: str) -> list[JSON] | None:
    """The next tool of an arithmetic question, [] once all steps are done, None if it is not one."""
    p = arith.plan(text)
    if p is None:
        return None
    made = turn_calls(messages)
    calc = arith.calculator(funcs)
    found = [arith.tool_for(s.op, funcs) for s in p.steps]
    step_tools = [t for t in found if t is not None]
    if len(step_tools) == len(found):
        names = {str(t["function"]["name"]) for t in step_tools}
        k = sum(1 for name, _, _ in made if name in names)
        return step_tools[k : k + 1]
    if calc is not None:
        return [] if any(name == calc["function"]["name"] for name, _, _ in made) else [calc]
    return None


def arith_arguments(tool: JSON, messages: Sequence[JSON]) -> JSON | None:
    """The arguments of an arithmetic step (its operands, fed by earlier results), or None."""
    text = last_user_text(messages)
    p = arith.plan(text)
    if p is None:
        return None
    fn = tool["function"]
    if arith.calculator([tool]) is tool:
        props = list((fn.get("parameters") or {}).get("properties") or {})
        return {props[0]: p.expression}
    made = [c for c in turn_calls(messages) if c[0] in _step_names(p, tool, messages)]
    k = len(made)
    if k >= len(p.steps) or arith.tool_for(p.steps[k].op, [tool]) is not tool:
        return None
    values = arith.run(p, [_number(r) for _, _, r in made])
    return arith.arguments(tool, *arith.operands(p, k, values))


def _step_names(p: arith.Plan, tool: JSON, messages: Sequence[JSON]) -> set[str]:
    """Names of the tools that performed this question's steps so far (any tool whose name says an operation)."""
    names = {str(tool["function"].get("name"))}
    for name, _, _ in turn_calls(messages):
        probe = {"function": {"name": name}}
        if any(arith.tool_for(op, [probe]) is not None for op in arith._TOOL_WORDS):
            names.add(name)
    return names


def _number(result: str | None) -> float | None:
    if result is None:
        return None
    found = _NUM_RE.findall(result.replace(",", ""))
    return float(found[-1]) if len(found) == 1 or (found and result.strip().startswith(found[-1])) else None


def _next_step(funcs: Sequence[JSON], text: str, messages: Sequence[JSON]) -> list[JSON]:
    called = {str(fn.get("name")) for m in since_question(messages) for fn in calls_of(m)}
    return [t for t in _ordered_steps(funcs, text) if t["function"].get("name") not in called][:1]


def step_filler(messages: Sequence[JSON]) -> _Filler:
    """Values for the next call: this turn's tool results (in order), then the question's numbers that
    no earlier call of this turn used (``add(3, 4)`` = 7, then ``multiply(7, 5)`` for "(3 + 4) times 5")."""
    text = last_user_text(messages)
    results: list[str] = []
    used: list[str] = []
    for m in since_question(messages):
        if m.get("role") == "tool":
            results += _NUM_RE.findall(message_text(m))
        used += [n for fn in calls_of(m) for n in _NUM_RE.findall(str(fn.get("arguments", "")))]
    filler = _Filler(text)
    left = list(filler.numbers)
    for n in used:
        for i, q in enumerate(left):
            if float(q) == float(n):
                del left[i]
                break
    filler.numbers = results + left
    return filler


def tool_arguments(tool: JSON, messages: Sequence[JSON], filler: _Filler | None = None) -> str:
    fn = tool["function"]
    computed = arith_arguments(tool, messages)
    if computed is not None:
        return json.dumps(computed, ensure_ascii=False)
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    filler = filler or _Filler(last_user_text(messages))
    args = synthesize(params, filler, all_properties=bool(fn.get("strict")))
    if isinstance(args, dict):
        for key, schema in (params.get("properties") or {}).items():
            if key in args and key.lower() in _QUERY_KEYS and isinstance(schema, dict):
                found = [r for _, _, r in turn_calls(messages) if r]
                args[key] = search_query(last_user_text(messages), found) or args[key]
    return json.dumps(args if isinstance(args, dict) else {}, ensure_ascii=False)


def make_filler(messages: Sequence[JSON]) -> _Filler:
    return _Filler(last_user_text(messages))


_QUERY_KEYS = frozenset({"query", "q", "search", "search_query", "search_term", "keywords", "question", "topic"})
_SEGMENTS = re.compile(r"(?<=[.!?])\s+|[,;]?\s*\b(?:then|and then|after that|next)\b\s*|:\s+")


_UNIT_WORDS = {
    "m2": "square metres",
    "ft2": "square feet",
    "km": "kilometres",
    "mi": "miles",
    "kg": "kilograms",
    "lb": "pounds",
    "l": "litres",
    "gal": "gallons",
    "c": "degrees Celsius",
    "f": "degrees Fahrenheit",
}
_QUANTITY = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)\s*([A-Za-z][A-Za-z0-9/]*)\s*$")


def search_query(question: str, earlier: Sequence[str] = ()) -> str:
    """What a model types into a search tool: the content words of the part of the question that asks."""
    parts = [p.strip() for p in _SEGMENTS.split(question) if p and p.strip()]
    asking = [p for p in parts if p.endswith("?")] or parts[-1:]
    if not asking:
        return ""
    kept = [w for w in re.findall(r"[\w$.'-]+", asking[-1]) if w.lower().strip(".'") not in _STOP and len(w) > 1]
    query = " ".join(w.strip(".") for w in kept)
    # a quantity an earlier step produced ("1200 ft2 = 111.5 m2") is what the search is about
    for result in earlier:
        m = _QUANTITY.search(result.split("=")[-1].strip()) if len(result) < 80 else None
        if m and m.group(2).lower() in _UNIT_WORDS:
            query += f" {m.group(1)} {_UNIT_WORDS[m.group(2).lower()]}"
    return query
