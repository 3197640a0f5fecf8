"""Output lines of embedding batches parsed without scanning their vectors.

An embedding answer line is ~8 kB of base64 (1,536 float32s) around ~300 bytes of JSON, and
``json.loads`` of the whole line spends nearly all its time walking that one string. For a line of
the plain shape, :func:`embedding_record` cuts the ``"embedding"`` string out, parses the rest, and
puts the string back: the record is equal to ``json.loads(raw)``. Anything else (a backslash
anywhere, a second ``"embedding"`` key, a float list, non-ASCII, an error line) returns ``None`` and
the caller parses the whole line.

Why the cut is safe: with no backslash in the line there are no escapes, so every key named
``embedding`` is written as the bytes ``"embedding"`` before a colon, and a quote never occurs inside
a string; the line and the line with that one string emptied tokenise alike. With exactly one such
key and ``data[0].embedding == ""`` after parsing the rest, the cut string was ``data[0].embedding``.
The one difference left: a raw control character inside the vector string (invalid JSON, which
``json.loads`` refuses) is not looked for, since checking 8 kB byte by byte costs what the cut saves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.scanner import make_scanner
from typing import Any

# a key named embedding: the bytes "embedding" before a colon (JSON whitespace around it); one
# regular expression finds it in a third of the time a find() loop skipping the values takes
_KEY = re.compile(rb'"embedding"[ \t\r\n]*:[ \t\r\n]*')
# the C scanner json.loads runs, without its bytes-encoding sniffing and keyword handling
_scan: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_QUOTE = ord('"')


def _value_at(raw: bytes, start: int) -> int:
    """Where the value of the next ``"embedding"`` key after ``start`` begins, or -1."""
    found = _KEY.search(raw, start)
    return found.end() if found else -1


def embedding_record(raw: bytes) -> dict[str, Any] | None:
    """``json.loads(raw)`` for an embedding answer line with a base64 vector; ``None`` for any
    other line (parse it whole)."""
    if b"\\" in raw:
        return None
    j = _value_at(raw, 0)
    if j < 0 or j >= len(raw) or raw[j] != _QUOTE:
        return None
    k = raw.find(b'"', j + 1)
    if k < 0 or _value_at(raw, k + 1) >= 0:
        return None
    try:
        rest = (raw[: j + 1] + raw[k:]).decode()
        rec, end = _scan(rest, 0)
    except (ValueError, StopIteration):  # not UTF-8, leading space or BOM, not JSON: json.loads decides
        return None
    if end != len(rest) and rest[end:].strip(" \t\r\n"):
        return None
    try:
        item = rec["response"]["body"]["data"][0]
        if item["embedding"] != "":
            return None
    except (TypeError, KeyError, IndexError):
        return None
    try:
        item["embedding"] = raw[j + 1 : k].decode("ascii")
    except UnicodeDecodeError:
        return None
    return rec  # type: ignore[no-any-return]
