"""Structured outputs: JSON instances of a schema, each field filled from the prompt's content."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import fields
from .answers import best_sentences, gather_context
from .text import _STOP, JSON, last_user_text, words

_NUM_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_QUOTED_RE = re.compile(r"\"([^\"]+)\"|'([^']+)'|“([^”]+)”")
_ID_RE = re.compile(r"\b[A-Za-z]+[_-]?\d[\w-]*\b|\b\w+_\w+\b")
_PROPER_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_DATE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


class _Filler:
    """Hands out values found in the user's text, each used once, in order of appearance."""

    def __init__(self, text: str, context: str = "") -> None:
        self.text = text
        self.context = context
        self.numbers = [m.group(0) for m in _NUM_RE.finditer(text)]
        self.quoted = [next(g for g in m.groups() if g) for m in _QUOTED_RE.finditer(text)]
        self.ids = [m.group(0) for m in _ID_RE.finditer(text) if not m.group(0).isdigit()]
        self.proper = [m.group(1) for m in _PROPER_RE.finditer(text) if m.group(1).lower() not in _STOP]
        self.dates: list[str] = _DATE_RE.findall(text)
        self.used: set[str] = set()
        self.used_numbers: set[int] = set()

    def number_for(self, name: str, prop: JSON, integer: bool) -> int | float:
        """The number the field names ("34" for age), else the next number of the text."""
        found = fields.number_value(name, str(prop.get("description", "")), self.text, self.used_numbers, integer)
        if found is not None:
            val, pos = found
            self.used_numbers.add(pos)
            raw = fields.tidy_number(val)
            if raw in self.numbers:
                self.numbers.remove(raw)
            return int(val) if integer or val == int(val) else val
        return self.number(integer)

    def list_for(self, name: str, prop: JSON) -> list[str] | None:
        got = fields.list_value(name, str(prop.get("description", "")), self.text)
        if got:
            self.used.update(got)
        return got

    def number(self, integer: bool) -> int | float:
        if self.numbers:
            raw = self.numbers.pop(0)
            val = float(raw)
            return int(val) if integer or val == int(val) else val
        return 0

    def string(self, name: str, prop: JSON) -> str:
        found = fields.string_value(name, str(prop.get("description", "")), self.text, self.used)
        if found is not None:
            self.used.add(found)
            for pool in (self.quoted, self.proper, self.ids, self.dates):
                if found in pool:
                    pool.remove(found)
            return found
        hint = f"{name} {prop.get('description', '')}".lower()
        if prop.get("format") == "date" or "date" in hint:
            if self.dates:
                return self.dates.pop(0)
        if self.quoted:
            return self.quoted.pop(0)
        if self.ids and any(h in hint for h in ("id", "number", "code", "key", "sku")):
            return self.ids.pop(0)
        if self.proper and any(
            h in hint for h in ("city", "location", "place", "name", "country", "person", "title", "author", "company")
        ):
            return self.proper.pop(0)
        if self.context:
            picked = best_sentences(self.context, f"{hint} {self.text}", k=1)
            if picked:
                return picked[0]
        if self.ids:
            return self.ids.pop(0)
        if self.proper:
            return self.proper.pop(0)
        words_ = [w for w in words(self.text) if w not in _STOP]
        return " ".join(words_[:8]) or name


def _resolve(schema: JSON, root: JSON) -> JSON:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = str(schema["$ref"])
        node: Any = root
        for part in ref.lstrip("#/").split("/"):
            if not part:
                continue
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node if isinstance(node, dict) else {}
        seen += 1
    return schema


def synthesize(
    schema: JSON,
    filler: _Filler,
    *,
    root: JSON | None = None,
    name: str = "value",
    depth: int = 0,
    all_properties: bool = False,
) -> Any:
    """An instance valid against ``schema`` (the subset OpenAI tools and structured outputs use)."""
    root = root if root is not None else schema
    schema = _resolve(schema, root)
    if depth > 8:
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema and schema["enum"]:
        text = filler.text.lower()
        for v in schema["enum"]:
            if isinstance(v, str) and re.search(rf"\b{re.escape(v.lower())}\b", text):
                return v
        for v in schema["enum"]:
            if isinstance(v, str) and v.lower() in text:
                return v
        return fields.enum_value(name, schema["enum"], filler.text)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolve(o, root) for o in schema[key]]
            non_null = [o for o in options if o.get("type") != "null"] or options
            return synthesize(non_null[0], filler, root=root, name=name, depth=depth + 1, all_properties=all_properties)
    if "allOf" in schema:
        merged: JSON = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part, root))
        return synthesize(merged, filler, root=root, name=name, depth=depth + 1, all_properties=all_properties)
    typ = schema.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "null")
    if typ is None:
        typ = "object" if "properties" in schema else "string"
    if typ == "object":
        props: JSON = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: JSON = {}
        for pname, pschema in props.items():
            if pname in required or all_properties or _has_value_for(_resolve(pschema, root), filler):
                out[pname] = synthesize(
                    pschema, filler, root=root, name=pname, depth=depth + 1, all_properties=all_properties
                )
        return out
    if typ == "array":
        items = schema.get("items") or {"type": "string"}
        if _resolve(items, root).get("type", "string") == "string" and "enum" not in _resolve(items, root):
            listed = filler.list_for(name, schema)
            if listed:
                return listed
        n = max(1, int(schema.get("minItems", 1)))
        return [
            synthesize(items, filler, root=root, name=name, depth=depth + 1, all_properties=all_properties)
            for _ in range(n)
        ]
    if typ == "integer":
        val = filler.number_for(name, schema, True)
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and val < lo:
            val = int(lo)
        if hi is not None and val > hi:
            val = int(hi)
        return val
    if typ == "number":
        return filler.number_for(name, schema, False)
    if typ == "boolean":
        said = fields.boolean_value(name, filler.text)
        return said if said is not None else any(w in filler.text.lower() for w in ("yes", "true", "enable"))
    if typ == "null":
        return None
    return filler.string(name, schema)


def _has_value_for(schema: JSON, filler: _Filler) -> bool:
    """Whether the user's words hold a value for an optional property (so it is worth sending)."""
    if "enum" in schema:
        return any(isinstance(v, str) and v.lower() in filler.text.lower() for v in schema["enum"])
    if schema.get("type") in ("integer", "number"):
        return bool(filler.numbers)
    return False


def json_output(schema: JSON, messages: Sequence[JSON], *, strict: bool) -> Any:
    """A value for ``response_format: json_schema``, filled from the context and the question."""
    context, question = gather_context(messages)
    full = last_user_text(messages)
    return synthesize(schema, _Filler(full or question, context or question), all_properties=True)
