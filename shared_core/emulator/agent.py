"""Tool calling: which tools fit the question, their arguments, and the steps of a chain."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from .extraction import _NUM_RE, _Filler, synthesize
from .text import JSON, content_words, last_user_text, message_text


def _name_words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    return content_words(spaced)


def choose_tools(tools: Sequence[JSON], tool_choice: Any, messages: Sequence[JSON], parallel: bool) -> list[JSON]:
    """The function tools to call now, or [] to answer in text."""
    funcs = [t for t in tools if t.get("type", "function") == "function" and isinstance(t.get("function"), dict)]
    if not funcs or tool_choice == "none":
        return []
    text = last_user_text(messages)
    if messages and messages[-1].get("role") == "tool" and tool_choice in (None, "auto"):
        # the results are in: answer with them, unless the question orders further steps
        return _next_step(funcs, text, messages)
    if isinstance(tool_choice, dict):
        wanted = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
        return [t for t in funcs if t["function"].get("name") == wanted][:1]
    user = content_words(text)
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
    if not _SEQUENCE_RE.search(text):
        return []
    low = text.lower()
    named = [(low.find(str(t["function"].get("name", "")).lower()), t) for t in funcs]
    return [t for pos, t in sorted((p, t) for p, t in named if p >= 0 and t["function"].get("name"))]


def _since_question(messages: Sequence[JSON]) -> list[JSON]:
    """The messages after the last user message (this turn's calls and results), oldest first."""
    turn: list[JSON] = []
    for m in reversed(messages):
        if m.get("role") == "user":
            break
        turn.append(m)
    return turn[::-1]


def _calls(message: JSON) -> list[JSON]:
    """The ``function`` objects of a message's tool calls."""
    calls = [c.get("function") for c in message.get("tool_calls") or () if isinstance(c, dict)]
    return [fn for fn in calls if isinstance(fn, dict)]


def _next_step(funcs: Sequence[JSON], text: str, messages: Sequence[JSON]) -> list[JSON]:
    called = {str(fn.get("name")) for m in _since_question(messages) for fn in _calls(m)}
    return [t for t in _ordered_steps(funcs, text) if t["function"].get("name") not in called][:1]


def step_filler(messages: Sequence[JSON]) -> _Filler:
    """Values for the next call: this turn's tool results (in order), then the question's numbers that
    no earlier call of this turn used (``add(3, 4)`` = 7, then ``multiply(7, 5)`` for "(3 + 4) times 5")."""
    text = last_user_text(messages)
    results: list[str] = []
    used: list[str] = []
    for m in _since_question(messages):
        if m.get("role") == "tool":
            results += _NUM_RE.findall(message_text(m))
        used += [n for fn in _calls(m) for n in _NUM_RE.findall(str(fn.get("arguments", "")))]
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
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    filler = filler or _Filler(last_user_text(messages))
    args = synthesize(params, filler, all_properties=bool(fn.get("strict")))
    return json.dumps(args if isinstance(args, dict) else {}, ensure_ascii=False)


def make_filler(messages: Sequence[JSON]) -> _Filler:
    return _Filler(last_user_text(messages))
