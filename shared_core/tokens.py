"""Token estimates without tiktoken (no 6 MB vocabulary download, no import cost).

``estimate_tokens`` mimics o200k_base's pre-tokenizer and then BPE's behaviour on each piece:

* a run of ASCII letters (plus an English contraction suffix such as ``'s``) is one token up to
  8 letters, plus one per further 8
  (common English words are single tokens; long and rare words split);
* a number is one token per 3 digits (o200k splits digits in groups of 3);
* a run of other punctuation is one token per 3 characters;
* whitespace between words is free (it merges into the next word); a newline run or an
  indentation run of 2+ spaces is one token;
* non-ASCII letters: CJK / kana / hangul about 0.6 token per character (o200k merges common
  pairs), other scripts (Cyrillic, Greek, Arabic, accented letters...) one token per 3 characters.

Calibrated on sentences whose o200k counts are known (``tests/unit/test_tokens.py``): exact on
plain English sentences, and within about 10-15% of o200k on English prose and code; rougher for
other languages and for rare words. It is an estimate for budgeting and batching, never billing.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

_PIECE = re.compile(
    r"[A-Za-z]+(?:'(?:s|t|re|ve|m|ll|d))?"  # ascii words (+ contraction)
    r"|\d+"  # numbers
    r"|[^\W\d_A-Za-z]+"  # non-ascii letters
    r"|[^\w\s]+"  # punctuation runs
    r"|_+"
    r"|\s*\n\s*|[ \t]{2,}"  # newline runs, indentation
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

#: per-message overhead of the chat format (role markers), and the reply priming
MESSAGE_OVERHEAD = 3
REPLY_PRIMING = 3
#: an image part: low detail is 85 tokens; high/auto is estimated as a 1024x1024 image
IMAGE_TOKENS_LOW = 85
IMAGE_TOKENS_HIGH = 765


def estimate_tokens(text: str) -> int:
    """Estimated o200k token count of ``text`` (see the module docstring for the method)."""
    if not text:
        return 0
    total = 0
    for piece in _PIECE.findall(text):
        c = piece[0]
        n = len(piece)
        if c.isascii():
            if c.isalpha():
                total += 1 + (n - 1) // 8
            elif c.isdigit():
                total += (n + 2) // 3
            elif c in " \t\r\n":
                total += 1
            else:
                total += (n + 2) // 3
        elif c.isalpha():
            cjk = len(_CJK.findall(piece))
            total += max(1, round(cjk * 0.6 + (n - cjk) / 3))
        else:
            total += (n + 2) // 3
    return total


def _content_tokens(content: Any) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return estimate_tokens(content)
    total = 0
    for part in content:
        if isinstance(part, str):
            total += estimate_tokens(part)
            continue
        kind = part.get("type")
        if kind == "text":
            total += estimate_tokens(part.get("text") or "")
        elif kind == "image_url":
            detail = (part.get("image_url") or {}).get("detail")
            total += IMAGE_TOKENS_LOW if detail == "low" else IMAGE_TOKENS_HIGH
        elif kind == "refusal":
            total += estimate_tokens(part.get("refusal") or "")
        else:  # input_audio, file: unknowable without decoding; count the visible text
            total += estimate_tokens(str(part.get(kind) or ""))
    return total


def estimate_message_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Estimated prompt tokens of chat messages: content + names + tool calls + format overhead."""
    total = REPLY_PRIMING
    for m in messages:
        total += MESSAGE_OVERHEAD + _content_tokens(m.get("content"))
        if m.get("name"):
            total += 1 + estimate_tokens(str(m["name"]))
        for tc in m.get("tool_calls") or ():
            fn = tc.get("function") or {}
            total += 3 + estimate_tokens(fn.get("name") or "") + estimate_tokens(
                fn.get("arguments") or "")
        fc = m.get("function_call")
        if fc:
            total += 3 + estimate_tokens(fc.get("name") or "") + estimate_tokens(
                fc.get("arguments") or "")
    return total


__all__ = ["estimate_message_tokens", "estimate_tokens"]
