"""Deterministic token log-probabilities in OpenAI's chat and legacy-completions shapes.

The emulator's "model" always picks its most likely token, so each emitted token carries the
highest log-probability of its alternatives. Values come from a hash of the text before the token
and the token itself: the same request gets the same numbers, different contexts get different ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

JSON = dict[str, Any]

#: Fillers for the runner-up alternatives (chosen so at least 20 are distinct from any token).
_ALTERNATES = (
    " the",
    ",",
    ".",
    " and",
    " a",
    " to",
    " of",
    " is",
    " in",
    " that",
    "\n",
    " it",
    " for",
    " on",
    " with",
    " as",
    " this",
    " be",
    " at",
    " by",
    " or",
    " an",
)


def _unit(*parts: str) -> float:
    h = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") / 2**64


def token_logprob(prefix: str, token: str) -> float:
    """The emitted token's log-probability: between -1.5 and 0, rounded like the service does."""
    return round(-1.5 * _unit("lp", prefix[-64:], token) ** 3, 6)


def alternatives(prefix: str, token: str, k: int) -> list[tuple[str, float]]:
    """The k most likely tokens at this position, best first; the emitted token is the first."""
    if k <= 0:
        return []
    best = token_logprob(prefix, token)
    out = [(token, best)]
    candidates = [token.strip().lower(), token.strip().capitalize(), " " + token.strip()] + list(_ALTERNATES)
    lp = best
    for cand in candidates:
        if len(out) >= k:
            break
        if not cand or any(cand == t for t, _ in out):
            continue
        lp = round(lp - 0.5 - 3.0 * _unit("alt", prefix[-64:], token, cand), 6)
        out.append((cand, lp))
    return out


def chat_entry(prefix: str, token: str, top: int) -> JSON:
    """One ``choices[].logprobs.content[]`` item."""
    return {
        "token": token,
        "logprob": token_logprob(prefix, token),
        "bytes": list(token.encode("utf-8")),
        "top_logprobs": [
            {"token": t, "logprob": lp, "bytes": list(t.encode("utf-8"))} for t, lp in alternatives(prefix, token, top)
        ],
    }


def chat_logprobs(pieces: Sequence[str], top: int) -> JSON:
    """``choices[].logprobs`` for a message whose content is ``"".join(pieces)``."""
    content = []
    prefix = ""
    for piece in pieces:
        content.append(chat_entry(prefix, piece, top))
        prefix += piece
    return {"content": content, "refusal": None}


def completion_logprobs(pieces: Sequence[str], top: int, *, offset: int = 0, echo_pieces: int = 0) -> JSON:
    """Legacy ``choices[].logprobs``: tokens, token_logprobs, top_logprobs and text_offset.

    ``offset`` is where the first piece starts in prompt + completion (the prompt's length unless
    echoed); the first ``echo_pieces`` are the echoed prompt, whose very first token has no
    log-probability (nothing precedes it), as in OpenAI's responses.
    """
    tokens: list[str] = []
    token_lps: list[float | None] = []
    tops: list[dict[str, float] | None] = []
    offsets: list[int] = []
    prefix = ""
    pos = offset
    for i, piece in enumerate(pieces):
        tokens.append(piece)
        offsets.append(pos)
        if i == 0 and echo_pieces:
            token_lps.append(None)
            tops.append(None)
        else:
            token_lps.append(token_logprob(prefix, piece))
            tops.append(dict(alternatives(prefix, piece, max(top, 1))))
        prefix += piece
        pos += len(piece)
    return {"tokens": tokens, "token_logprobs": token_lps, "top_logprobs": tops, "text_offset": offsets}
