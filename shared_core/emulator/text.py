"""Text primitives the emulator's answers share: tokens, words, stems, message text."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

JSON = dict[str, Any]

_TOKEN_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_WORD_RE = re.compile(r"[a-z0-9]+(?:['_-][a-z0-9]+)*")
_STOP = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its "
    "me my of on or our please so than that the their them then there these they this to us was we were what "
    "when where which who whom why will with would you your about tell give show find get using use".split()
)


# --- tokens ---------------------------------------------------------------------------------


def count_tokens(text: str) -> int:
    """The emulator's tokenizer: one token per word run or punctuation mark (documented estimate)."""
    return len(_TOKEN_RE.findall(text))


def split_tokens(text: str) -> list[str]:
    """Split text into token strings that concatenate back to the text (for streaming deltas)."""
    return re.findall(r"\s*(?:\w+|[^\w\s])", text) or ([text] if text else [])


def message_text(message: JSON) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") in ("text", "input_text")
        )
    return ""


def count_message_tokens(messages: Sequence[JSON], tools: Sequence[JSON] | None = None) -> int:
    """OpenAI's accounting shape: 3 per message + role + content (+ tool calls), + 3 to prime the reply."""
    total = 3
    for m in messages:
        total += 3 + count_tokens(str(m.get("role", ""))) + count_tokens(message_text(m))
        for call in m.get("tool_calls") or []:
            fn = call.get("function", {})
            total += 3 + count_tokens(str(fn.get("name", ""))) + count_tokens(str(fn.get("arguments", "")))
    if tools:
        total += count_tokens(json.dumps(tools))
    return total


# --- words ----------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in words(text) if w not in _STOP}


def _stem(w: str) -> str:
    """A crude stem so 'delivered', 'delivery' and 'deliveries' meet: strip a suffix, keep 6 letters."""
    for suffix in ("ies", "ing", "ed", "es", "s", "y"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    return w[:6] if w.isalpha() else w


def last_user_text(messages: Sequence[JSON]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return message_text(m)
    return ""


def since_question(messages: Sequence[JSON]) -> list[JSON]:
    """The messages after the last user message (this turn's calls and results), oldest first."""
    turn: list[JSON] = []
    for m in reversed(messages):
        if m.get("role") == "user":
            break
        turn.append(m)
    return turn[::-1]


def calls_of(message: JSON) -> list[JSON]:
    """The ``function`` objects of a message's tool calls."""
    calls = [c.get("function") for c in message.get("tool_calls") or () if isinstance(c, dict)]
    return [fn for fn in calls if isinstance(fn, dict)]


def turn_calls(messages: Sequence[JSON]) -> list[tuple[str, str, str | None]]:
    """(name, arguments, result text or None) of each tool call made since the question, in order."""
    turn = since_question(messages)
    results = {str(m.get("tool_call_id")): message_text(m) for m in turn if m.get("role") == "tool"}
    out: list[tuple[str, str, str | None]] = []
    for m in turn:
        for c in m.get("tool_calls") or ():
            fn = c.get("function") if isinstance(c, dict) else None
            if isinstance(fn, dict):
                out.append((str(fn.get("name")), str(fn.get("arguments", "")), results.get(str(c.get("id")))))
    return out
