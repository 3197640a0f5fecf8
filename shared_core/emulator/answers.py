"""Text answers: context sentences for RAG prompts, tool-result summaries, arithmetic."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from . import arith, rag
from .react import react_answer
from .text import JSON, content_words, last_user_text, message_text, turn_calls, words


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


def _arith_answer(question: str, messages: Sequence[JSON]) -> str | None:
    """The result of an arithmetic question the tools just worked out, with its steps."""
    p = arith.plan(question)
    if p is None:
        return None
    results: list[float | None] = []
    for name, _, out in turn_calls(messages):
        probe = {"function": {"name": name}}
        if not any(arith.tool_for(op, [probe]) for op in arith.STEP_OPS) and not arith.is_calculator_name(name):
            continue
        nums = _NUMBER.findall((out or "").replace(",", ""))
        results.append(float(nums[-1]) if nums else None)
    if not results:
        return None
    if len(results) == 1 and len(p.steps) > 1 and results[0] is not None:
        return f"The answer is {arith.show(results[0])}."
    return arith.answer(p, arith.run(p, results))


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")


def compose_answer(messages: Sequence[JSON]) -> str:
    """A short deterministic reply: tool results, else context sentences, else arithmetic, else an echo."""
    react = react_answer(messages)
    if react is not None:
        return react
    tail_tools: list[JSON] = []
    for m in reversed(messages):
        if m.get("role") == "tool":
            tail_tools.append(m)
        else:
            break
    if tail_tools:
        names = _tool_call_names(messages)
        question = last_user_text(messages)
        computed = _arith_answer(question, messages) or _fitting_answer(messages)
        if computed is not None:
            return computed
        parts = [
            tool_sentence(names.get(str(m.get("tool_call_id")), "the tool"), message_text(m), question)
            for m in reversed(tail_tools)
        ]
        return "Based on the tool results: " + " ".join(parts)
    context, question = rag.rag_parts(messages)
    facts = "\n\n".join(x for x in sentences(context) if not rag.is_template(x))
    if facts:
        picked = best_sentences(facts, question)
        if picked and not rag.unanswered(facts, question, picked):
            return " ".join(picked)
    worked = arith.evaluate(question)
    if worked is not None:
        return worked
    if facts:
        return rag.not_in_context(question)
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


_UNIT_NAMES = {"m2": "square metre", "ft2": "square feet", "km": "kilometre", "kg": "kilogram", "l": "litre"}
_RESULT_QTY = re.compile(r"=\s*(-?\d[\d,]*(?:\.\d+)?)\s*([A-Za-z][\w/]*)\s*$")
_UP_TO = re.compile(r"\bup to\s+(\d[\d,]*(?:\.\d+)?)\s+([a-z]+(?:\s[a-z]+)?)", re.I)


def _fitting_answer(messages: Sequence[JSON]) -> str | None:
    """A quantity one tool computed, matched against "up to N" limits another tool's passages state:
    the passage with the smallest limit that still holds the quantity is the one that fits."""
    made = turn_calls(messages)
    qty: tuple[float, str, str] | None = None
    for _, _, out in made:
        m = _RESULT_QTY.search((out or "").strip())
        if m and m.group(2).lower() in _UNIT_NAMES:
            qty = (float(m.group(1).replace(",", "")), _UNIT_NAMES[m.group(2).lower()], out or "")
    if qty is None:
        return None
    value, unit, said = qty
    best: tuple[float, str] | None = None
    for _, _, out in made:
        for sent in sentences(_TOOL_LABELS.sub("\n", out or "")):
            for m in _UP_TO.finditer(sent):
                limit = float(m.group(1).replace(",", ""))
                if m.group(2).lower().startswith(unit[:8]) and limit >= value and (best is None or limit < best[0]):
                    best = (limit, sent)
    if best is None:
        return None
    sent = best[1]
    head = sent.split(":", 1)[0] if ":" in sent and len(sent.split(":", 1)[0].split()) <= 6 else ""
    lead = f"{said.strip().rstrip('.')}, so the {head} fits" if head else said.strip().rstrip(".")
    return f"{lead}: {sent}"


_TOOL_LABELS = re.compile(r"(?:^|\n)\s*\[[^\]\n]{1,80}\]\s*")
