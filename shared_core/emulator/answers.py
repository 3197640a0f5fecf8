"""Text answers: context sentences for RAG prompts, tool-result summaries, arithmetic."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence

from .text import JSON, content_words, last_user_text, message_text, words


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*\d]+[.)]?\s|\[\d+\]|Source|Document|Passage))", text):
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])", block.strip()):
            s = _LABEL.sub("", " ".join(s.split()))
            if s:
                out.append(s)
    return out


_LABEL = re.compile(r"^(?:context|passages?|documents?|sources?|information|\[\d+\]|\d+[.)])\s*:?\s*", re.IGNORECASE)
_QUESTION_MARKERS = re.compile(r"(?:^|\n)\s*(?:question|query|q)\s*:\s*", re.IGNORECASE)
_CONTEXT_HEADER = re.compile(r"^\s*(?:context|passages?|documents?|sources?|information)\s*:?\s*$", re.IGNORECASE)


def split_question(text: str) -> tuple[str, str]:
    """(context, question) from a user message that may embed retrieved passages."""
    parts = _QUESTION_MARKERS.split(text)
    if len(parts) > 1:
        question = parts[-1].strip().split("\n")[0]
        return "\n".join(parts[:-1]), question
    lines = [ln for ln in text.strip().split("\n") if ln.strip()]
    if len(lines) > 1:
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].strip().endswith("?"):
                return "\n".join(lines[:i] + lines[i + 1 :]), lines[i].strip()
        return "\n".join(lines[:-1]), lines[-1].strip()
    return "", text.strip()


def best_sentences(context: str, question: str, k: int = 2) -> list[str]:
    """The k context sentences sharing the most question words, in their original order."""
    q = content_words(question)
    if not q:
        return []
    scored = []
    for i, s in enumerate(sentences(context)):
        if _CONTEXT_HEADER.match(s) or len(words(s)) < 3:
            continue
        overlap = len(q & content_words(s))
        if overlap:
            scored.append((overlap, -i, s))
    scored.sort(reverse=True)
    top = scored[:k]
    if len(top) > 1 and top[1][0] * 2 < top[0][0]:
        top = top[:1]  # a weak runner-up only adds noise
    return [s for _, _, s in sorted(top, key=lambda t: -t[1])]


_ARITH = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×^])\s*(-?\d+(?:\.\d+)?)")


def _arithmetic(question: str) -> str | None:
    m = _ARITH.search(question)
    if not m:
        return None
    a, op, b = float(m.group(1)), m.group(2), float(m.group(3))
    try:
        val = {"+": a + b, "-": a - b, "*": a * b, "x": a * b, "×": a * b, "/": a / b if b else math.nan, "^": a**b}[op]
    except OverflowError:
        return None
    return str(int(val)) if val == int(val) else f"{val:g}"


def compose_answer(messages: Sequence[JSON]) -> str:
    """A short deterministic reply: tool results, else context sentences, else arithmetic, else an echo."""
    tail_tools: list[JSON] = []
    for m in reversed(messages):
        if m.get("role") == "tool":
            tail_tools.append(m)
        else:
            break
    if tail_tools:
        names = _tool_call_names(messages)
        question = last_user_text(messages)
        parts = [
            tool_sentence(names.get(str(m.get("tool_call_id")), "the tool"), message_text(m), question)
            for m in reversed(tail_tools)
        ]
        return "Based on the tool results: " + " ".join(parts)
    context, question = gather_context(messages)
    if context:
        picked = best_sentences(context, question)
        if picked:
            return " ".join(picked)
    arith = _arithmetic(question)
    if arith is not None:
        return arith
    if context:
        return "The provided context does not contain the answer."
    shown = " ".join(question.split()[:16])
    return (
        f"This is a deterministic reply from the azoai emulator to: {shown}"
        if shown
        else "Hello from the azoai emulator."
    )


_TOOL_LABEL = re.compile(r"^\s*\[[^\]\n]{1,80}\]\s*")
_TOOL_SUMMARY_WORDS = 30


def tool_sentence(name: str, output: str, question: str) -> str:
    """One sentence reporting a tool result: short results whole, long ones by their best sentence.

    A short result (a number, a conversion, a status line) is quoted whole so its values survive;
    a long one (retrieved passages) is cut to the sentence that best answers the question.
    """
    text = output.strip()
    summary = _json_summary(text)
    if summary is None:
        flat = " ".join(_TOOL_LABEL.sub("", text).split())
        sents = [_TOOL_LABEL.sub("", s) for s in sentences(text)]
        if len(words(flat)) <= 25 and len(sents) <= 1:
            summary = flat
        else:
            picked = best_sentences(text, question, k=1) or sents[:1] or [flat]
            summary = _clip_words(_TOOL_LABEL.sub("", picked[0]), _TOOL_SUMMARY_WORDS)
    if summary.endswith("..."):
        return f"{name} returned {summary}"
    summary = summary.rstrip(" .;:,") or "nothing"
    return f"{name} returned {summary}."


def _clip_words(text: str, limit: int) -> str:
    parts = text.split()
    return text if len(parts) <= limit else " ".join(parts[:limit]).rstrip(",;:") + "..."


def _json_summary(text: str) -> str | None:
    """'key value, key value' for a JSON object result (scalars only), 'N items: ...' for an array."""
    if not text.startswith(("{", "[")):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        items = [
            f"{k} {json.dumps(v, ensure_ascii=False) if isinstance(v, (bool, type(None))) else v}"
            for k, v in data.items()
            if not isinstance(v, (dict, list))
        ]
        return _clip_words(", ".join(items[:6]), _TOOL_SUMMARY_WORDS) if items else None
    if isinstance(data, list):
        shown = ", ".join(str(v) for v in data[:5] if not isinstance(v, (dict, list)))
        n = len(data)
        head = f"{n} item{'s' if n != 1 else ''}"
        return _clip_words(f"{head}: {shown}" if shown else head, _TOOL_SUMMARY_WORDS)
    return None


def _tool_call_names(messages: Sequence[JSON]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in messages:
        for call in m.get("tool_calls") or []:
            out[str(call.get("id"))] = str(call.get("function", {}).get("name", "the tool"))
    return out


def gather_context(messages: Sequence[JSON]) -> tuple[str, str]:
    """(context, question): retrieved passages from system/user messages, and the user's question."""
    users = [m for m in messages if m.get("role") == "user"]
    last = message_text(users[-1]) if users else ""
    ctx_in_user, question = split_question(last)
    pieces = [message_text(m) for m in messages if m.get("role") in ("system", "developer")]
    pieces = [p for p in pieces if len(words(p)) >= 12]  # short instructions are not context
    if ctx_in_user.strip():
        pieces.append(ctx_in_user)
    return "\n\n".join(pieces), question
