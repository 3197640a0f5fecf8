"""Deterministic model behaviour: tokens, embeddings, answers, tool calls and JSON outputs.

Nothing here is random or learnt. Embeddings are feature-hashed bags of words, so texts sharing
words are close and retrieval works; answers are the context sentences that best match the
question; tool arguments and JSON outputs are synthesised from the request's JSON schemas and the
user's words. The same request always gets the same answer.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from collections.abc import Iterable, Sequence
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


# --- embeddings -----------------------------------------------------------------------------


def embed(text: str, dimensions: int) -> list[float]:
    """Feature-hashed bag of content words and bigrams, signed, L2-normalised. Deterministic.

    Stop words are left out (unless a text has nothing else): hashed in, they outweigh the few
    content words of a question and retrieval picks passages by their grammar.
    """
    vec = [0.0] * dimensions
    all_words = words(text)
    toks = [_stem(w) for w in all_words if w not in _STOP] or [_stem(w) for w in all_words]
    feats = [(t, 1.0) for t in toks] + [(f"{a} {b}", 0.5) for a, b in zip(toks, toks[1:], strict=False)]
    if not feats:
        feats = [("\x00empty", 1.0)]
    for feat, weight in feats:
        h = hashlib.blake2b(feat.encode(), digest_size=8).digest()
        idx = int.from_bytes(h[:4], "little") % dimensions
        sign = 1.0 if h[4] & 1 else -1.0
        vec[idx] += sign * weight
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def embedding_base64(vec: Sequence[float]) -> str:
    import base64

    return base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()


# --- sentences and context ------------------------------------------------------------------


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


def last_user_text(messages: Sequence[JSON]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return message_text(m)
    return ""


# --- JSON schema synthesis ------------------------------------------------------------------

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

    def number(self, integer: bool) -> int | float:
        if self.numbers:
            raw = self.numbers.pop(0)
            val = float(raw)
            return int(val) if integer or val == int(val) else val
        return 0

    def string(self, name: str, prop: JSON) -> str:
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
            if isinstance(v, str) and v.lower() in text:
                return v
        return schema["enum"][0]
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
        n = max(1, int(schema.get("minItems", 1)))
        return [
            synthesize(items, filler, root=root, name=name, depth=depth + 1, all_properties=all_properties)
            for _ in range(n)
        ]
    if typ == "integer":
        val = filler.number(True)
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and val < lo:
            val = int(lo)
        if hi is not None and val > hi:
            val = int(hi)
        return val
    if typ == "number":
        return filler.number(False)
    if typ == "boolean":
        return any(w in filler.text.lower() for w in ("yes", "true", "enable"))
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
    return synthesize(schema, _Filler(question, context or question), all_properties=True)


# --- tools ----------------------------------------------------------------------------------


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


def stable_id(prefix: str, *parts: Iterable[Any] | Any, length: int = 24) -> str:
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = int(h, 16)
    chars = []
    for _ in range(length):
        n, r = divmod(n, len(alphabet))
        chars.append(alphabet[r])
    return prefix + "".join(chars)
