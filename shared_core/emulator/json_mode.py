"""``response_format: json_object`` answers: the keys the prompt names, filled deterministically.

Real models follow instructions like "Return a JSON object with key 'random_ints' and a value of 10
random ints in [0-99]"; the emulator reads the same instructions: a quoted JSON schema, a quoted
example object, or key names near the words key/field/property, and shapes each value from the
words after its name (counts, ranges) or from its name (``age`` is a number, ``tags`` a list).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from .behaviour import (
    _NUM_RE,
    _STOP,
    JSON,
    _Filler,
    best_sentences,
    compose_answer,
    gather_context,
    json_output,
    last_user_text,
    message_text,
    words,
)


def json_object_output(messages: Sequence[JSON]) -> JSON:
    """A value for ``response_format: json_object``: the keys the prompt asks for, else ``{"answer": ...}``.

    Keys come from, in order: a JSON schema quoted in the prompt (LangChain format instructions),
    an example object quoted in the prompt, or words like "with keys 'setup' and 'punchline'".
    """
    texts = [message_text(m) for m in messages if m.get("role") in ("system", "developer", "user")]
    joined = "\n".join(texts)
    schema, example = _quoted_json(joined)
    if schema is not None:
        # The instructions quoting the schema are not context to answer from.
        kept = [
            {**m, "content": _strip_json(message_text(m))} if m.get("role") == "user" else m
            for m in messages
            if not (m.get("role") in ("system", "developer") and "{" in message_text(m))
        ]
        return json_output(schema, kept, strict=True)  # type: ignore[no-any-return]
    asked = requested_keys(joined) if example is None else [(k, "") for k in example]
    if not asked:
        return {"answer": compose_answer(messages)}
    names = {k.lower() for k, _ in asked}
    plain = _strip_json(last_user_text(messages))
    filler = _Filler(plain)
    filler.quoted = [q for q in filler.quoted if q.lower() not in names]
    filler.proper = [p for p in filler.proper if p.lower() not in names and p.lower() not in ("json", "return")]
    if example is not None:
        return {k: _like(v, k, messages, filler) for k, v in example.items()}
    return {key: _value_for(key, hint, messages, filler) for key, hint in asked}


def _strip_json(text: str) -> str:
    decoder = json.JSONDecoder()
    out, i = [], 0
    while (j := text.find("{", i)) != -1:
        try:
            _, end = decoder.raw_decode(text, j)
        except ValueError:
            out.append(text[i : j + 1])
            i = j + 1
            continue
        out.append(text[i:j])
        i = end
    out.append(text[i:])
    return "".join(out)


_KEY_WORD = r"(?:keys?|fields?|properties|attributes?|entries)"
_IDENT = r"[A-Za-z_][\w-]{0,40}"
_QUOTED_IDENT = re.compile(r"[\"'`\u201c\u2018](" + _IDENT + r")[\"'`\u201d\u2019]")
_LIST_OF = rf"({_IDENT}(?:\s*,\s*(?:and\s+)?{_IDENT}|\s+and\s+{_IDENT})*)"
_AFTER_KEYWORD = re.compile(rf"\b{_KEY_WORD}\s*(?:named|called|:)?\s*{_LIST_OF}", re.IGNORECASE)
_BEFORE_KEYWORD = re.compile(rf"{_LIST_OF}\s+{_KEY_WORD}\b", re.IGNORECASE)
_NOT_KEYS = _STOP | {
    "following",
    "json",
    "object",
    "these",
    "two",
    "three",
    "single",
    "one",
    "named",
    "called",
    "key",
    "keys",
    "field",
    "fields",
    "value",
    "values",
    "only",
    "exactly",
    "both",
    "each",
    "all",
    "return",
    "returns",
    "result",
    "output",
    "containing",
    "contains",
    "including",
    "must",
    "should",
    "has",
    "some",
    "any",
    "no",
    "not",
    "valid",
    "same",
    "other",
}


def requested_keys(text: str) -> list[tuple[str, str]]:
    """(key, hint) for each key the prompt names; the hint is the text after the key up to the next one."""
    found: list[tuple[str, str]] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        if not re.search(rf"\b{_KEY_WORD}\b", sentence, re.IGNORECASE):
            continue
        spans = [(m.start(), m.end(), m.group(1)) for m in _QUOTED_IDENT.finditer(sentence)]
        if not spans:
            for rx in (_AFTER_KEYWORD, _BEFORE_KEYWORD):
                for m in rx.finditer(sentence):
                    for name in re.findall(_IDENT, m.group(1)):
                        if name.lower() not in _NOT_KEYS:
                            at = sentence.find(name, m.start(1))
                            spans.append((at, at + len(name), name))
                if spans:
                    break
        spans.sort()
        for i, (_start, end, name) in enumerate(spans):
            nxt = spans[i + 1][0] if i + 1 < len(spans) else len(sentence)
            if name not in {k for k, _ in found}:
                found.append((name, sentence[end:nxt]))
    return found


def _quoted_json(text: str) -> tuple[JSON | None, JSON | None]:
    """(schema, example): the last JSON schema and the first plain JSON object quoted in the text."""
    schema: JSON | None = None
    example: JSON | None = None
    decoder = json.JSONDecoder()
    i = text.find("{")
    while i != -1:
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(value, dict) and value:
            if isinstance(value.get("properties"), dict):
                schema = value
            elif example is None:
                example = value
        i = text.find("{", end)
    return schema, example


_COUNT_RE = re.compile(
    r"\b(\d{1,3})\s+(?:random\s+|distinct\s+|unique\s+|different\s+|short\s+)?"
    r"(ints?|integers?|numbers?|floats?|decimals?|strings?|words?|items?|names?|sentences?|"
    r"elements?|values?|entries|booleans?)\b",
    re.IGNORECASE,
)
_RANGE_RE = re.compile(
    r"\[\s*(-?\d+)\s*(?:-|,|\.\.|to)\s*(-?\d+)\s*\]|between\s+(-?\d+)\s+and\s+(-?\d+)|"
    r"from\s+(-?\d+)\s+to\s+(-?\d+)",
    re.IGNORECASE,
)
_NUMERIC_KEY = re.compile(
    r"(?:^|_)(?:count|num|number|age|year|total|amount|price|score|rating|quantity|qty|"
    r"size|length|id|index|rank)$|^(?:n|num|count)_",
    re.IGNORECASE,
)
_LIST_KEY = re.compile(r"(?:list|ints|integers|numbers|items|tags|names|values|steps|ideas|examples)$", re.IGNORECASE)
_ANSWER_KEY = re.compile(r"^(?:answer|response|result|reply|output|text|content|summary|message)$", re.IGNORECASE)


def _value_for(key: str, hint: str, messages: Sequence[JSON], filler: _Filler) -> Any:
    """A deterministic value for ``key``, shaped by the prompt's hint ("10 random ints in [0-99]")."""
    count = _COUNT_RE.search(hint)
    rng = _RANGE_RE.search(hint)
    lo, hi = 0, 99
    if rng:
        nums = [int(g) for g in rng.groups() if g is not None]
        lo, hi = min(nums), max(nums)
    if count:
        n, kind = int(count.group(1)), count.group(2).lower()
        if kind.startswith(("float", "decimal")):
            return [round(lo + (hi - lo) * _det_int(key, hint, i, 0, 10_000) / 10_000, 2) for i in range(n)]
        if kind.startswith("boolean"):
            return [_det_int(key, hint, i, 0, 1) == 1 for i in range(n)]
        if kind.startswith(("int", "number", "value")) or rng:
            return [_det_int(key, hint, i, lo, hi) for i in range(n)]
        return [f"{_singular(key)} {i + 1}" for i in range(n)]
    if re.match(r"^(?:is|has|can|should)_", key):
        return False
    if _NUMERIC_KEY.search(key):
        nums = _NUM_RE.findall(hint)
        if nums:
            return int(float(nums[0]))
        return filler.number(True) if filler.numbers or not rng else _det_int(key, hint, 0, lo, hi)
    if _LIST_KEY.search(key):
        return [f"{_singular(key)} {i + 1}" for i in range(3)]
    return _text_for(key, messages, filler)


_NAMED_KEY = re.compile(r"city|location|place|name|country|person|title|author|company|brand|team", re.IGNORECASE)


def _text_for(key: str, messages: Sequence[JSON], filler: _Filler) -> str:
    context, question = gather_context(messages)
    label = " ".join(key.replace("-", "_").split("_")).strip()
    if context:
        picked = best_sentences(context, f"{label} {question}", k=1)
        if picked:
            return picked[0]
    if filler.quoted:
        return filler.quoted.pop(0)
    if filler.proper and _NAMED_KEY.search(key):
        return filler.proper.pop(0)
    if _ANSWER_KEY.match(key):
        return compose_answer(messages)
    return f"{label[:1].upper()}{label[1:]}: {_topic(messages)}"


def _topic(messages: Sequence[JSON]) -> str:
    """The user's request without its formatting instructions: 'Tell me a joke about cats'."""
    text = _strip_json(last_user_text(messages))
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        s = sentence.strip()
        if s and not re.search(rf"\bjson\b|\b{_KEY_WORD}\b|\breturn\b", s, re.IGNORECASE):
            return s.rstrip(".!")
    return " ".join([w for w in words(text) if w not in _NOT_KEYS][:8]) or "the request"


def _singular(key: str) -> str:
    word = key.replace("-", "_").split("_")[-1] or key
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _det_int(key: str, hint: str, i: int, lo: int, hi: int) -> int:
    h = hashlib.blake2b(f"{key}\x1f{hint}\x1f{i}".encode(), digest_size=8).digest()
    return lo + int.from_bytes(h, "little") % (hi - lo + 1)


def _like(example: Any, key: str, messages: Sequence[JSON], filler: _Filler) -> Any:
    """A value of the same JSON type as a quoted example value."""
    if isinstance(example, bool):
        return example
    if isinstance(example, (int, float)):
        value = _value_for(key, "", messages, filler) if _NUMERIC_KEY.search(key) or filler.numbers else example
        return value if isinstance(value, (int, float)) else example
    if isinstance(example, list):
        return [_like(v, key, messages, filler) for v in example[:3]]
    if isinstance(example, dict):
        return {k: _like(v, k, messages, filler) for k, v in example.items()}
    if example is None:
        return None
    return _text_for(key, messages, filler)
