"""Deterministic model behaviour: tokens, embeddings, answers, tool calls and JSON outputs.

Nothing here is random or learnt. Embeddings are feature-hashed bags of words, so texts sharing
words are close and retrieval works; answers are the context sentences that best match the
question; tool arguments and JSON outputs are synthesised from the request's JSON schemas and the
user's words. The same request always gets the same answer.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterable, Sequence
from typing import Any

# The answer logic lives in modules named for what it holds; these names stay importable from here.
from .agent import choose_tools, make_filler, step_filler, tool_arguments
from .answers import (
    best_sentences,
    compose_answer,
    gather_context,
    sentences,
    split_question,
    tool_sentence,
)
from .extraction import _NUM_RE, _Filler, json_output, synthesize
from .text import (
    _STOP,
    JSON,
    _stem,
    content_words,
    count_message_tokens,
    count_tokens,
    last_user_text,
    message_text,
    split_tokens,
    words,
)

__all__ = [
    "JSON",
    "best_sentences",
    "choose_tools",
    "compose_answer",
    "content_words",
    "count_message_tokens",
    "count_tokens",
    "embed",
    "embedding_base64",
    "gather_context",
    "json_output",
    "last_user_text",
    "make_filler",
    "message_text",
    "sentences",
    "split_question",
    "split_tokens",
    "stable_id",
    "step_filler",
    "synthesize",
    "tool_arguments",
    "tool_sentence",
    "words",
    "_NUM_RE",
    "_STOP",
    "_Filler",
]


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


def stable_id(prefix: str, *parts: Iterable[Any] | Any, length: int = 24) -> str:
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = int(h, 16)
    chars = []
    for _ in range(length):
        n, r = divmod(n, len(alphabet))
        chars.append(alphabet[r])
    return prefix + "".join(chars)
