"""Cassette request matching shared by both frameworks' VCR suites.

Bodies are compared as JSON by content, with whitespace inside strings folded: tool descriptions come
from docstrings, and Python 3.13 strips docstrings' common indentation where 3.11 and 3.12 keep it, so
the same test sends different bytes on different Pythons. UUIDs (LangChain's example tool-call ids) are
masked.
"""

from __future__ import annotations

import json
import re
from typing import Any

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fold(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_fold(v) for v in value]
    if isinstance(value, dict):
        return {k: _fold(v) for k, v in value.items()}
    return value


def canonical_body(body: Any) -> str:
    """The request body as compared for matching: canonical JSON, or the text itself if not JSON."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = body or ""
    try:
        text = json.dumps(_fold(json.loads(text)), sort_keys=True)
    except ValueError:
        pass
    return _UUID_RE.sub("<uuid>", text)


def body_matcher(r1: Any, r2: Any) -> None:
    """A vcrpy matcher: raises AssertionError when the two requests' bodies differ."""
    assert canonical_body(r1.body) == canonical_body(r2.body)
