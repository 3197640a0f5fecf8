"""Embeddings: batching, request body, fast base64 decoding, ordering by ``index``.

The flow a client follows::

    texts, owners = split_long_inputs(texts, on_too_long=...)   # only for "split"/"truncate"
    for batch in plan_batches(texts, ...):                       # lists of indices into texts
        body = build_embeddings_body([texts[i] for i in batch], body_model=..., dimensions=...)
        vectors, usage = parse_embeddings(response_json)         # in batch order
    merge_pieces(all_vectors, owners, count)                     # only when split

Token counts are estimates (``tokens.estimate_tokens``); Azure still enforces the real limit
(8191 tokens per input for the text-embedding models) and answers 400 beyond it.
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from shared_core.errors import ConfigurationError
from shared_core.types import ResponseMeta, Usage
from shared_core.wire.chat import parse_usage
from shared_core.wire.shape import ShapeError, kind, wrong
from shared_core.wire.tokens import estimate_tokens, token_pieces

OnTooLong = Literal["error", "split", "truncate"]
_ON_TOO_LONG = ("error", "split", "truncate")
_BIG_ENDIAN = sys.byteorder == "big"


def _check_on_too_long(on_too_long: str) -> None:
    if on_too_long not in _ON_TOO_LONG:
        raise ConfigurationError(
            f"on_too_long={on_too_long!r} is unknown: use 'error', 'split' or 'truncate'",
            setting="on_too_long",
        )


def _too_long(index: int, tokens: int, limit: int) -> ConfigurationError:
    return ConfigurationError(
        f"input {index} is about {tokens} tokens, over the per-input limit of {limit}: shorten it, "
        "or pass on_too_long='split' (embed the pieces and average them) or 'truncate'",
        setting="on_too_long",
    )


def plan_batches(
    texts: Sequence[str],
    *,
    max_inputs: int = 2048,
    max_tokens: int = 300_000,
    max_input_tokens: int = 8191,
    on_too_long: OnTooLong = "error",
    token_counts: Sequence[int] | None = None,
) -> list[list[int]]:
    """Group input indices into requests of at most ``max_inputs`` inputs and ``max_tokens``
    estimated tokens, in input order.

    With ``on_too_long="error"`` an input estimated over ``max_input_tokens`` raises
    ``ConfigurationError`` naming its index; otherwise it is budgeted at ``max_input_tokens`` (the
    caller has split or truncated it with ``split_long_inputs``). ``token_counts``, when the caller
    already has them (``split_long_inputs_counted``), saves estimating every text twice.
    """
    _check_on_too_long(on_too_long)
    if max_inputs < 1:
        raise ConfigurationError(f"batch size {max_inputs} must be >= 1", setting="batch_size")
    batches: list[list[int]] = []
    current: list[int] = []
    budget = 0
    for i, text in enumerate(texts):
        n = token_counts[i] if token_counts is not None else estimate_tokens(text)
        if n > max_input_tokens:
            if on_too_long == "error":
                raise _too_long(i, n, max_input_tokens)
            n = max_input_tokens
        if current and (len(current) >= max_inputs or budget + n > max_tokens):
            batches.append(current)
            current, budget = [], 0
        current.append(i)
        budget += n
    if current:
        batches.append(current)
    return batches


def split_long_inputs(
    texts: Sequence[str], *, max_input_tokens: int = 8191, on_too_long: OnTooLong = "error"
) -> tuple[list[str], list[int]]:
    """(texts to send, index of the original input for each): over-long inputs are split into
    consecutive pieces (``"split"``), cut (``"truncate"``), or rejected (``"error"``)."""
    out, owners, _ = split_long_inputs_counted(texts, max_input_tokens=max_input_tokens, on_too_long=on_too_long)
    return out, owners


def split_long_inputs_counted(
    texts: Sequence[str], *, max_input_tokens: int = 8191, on_too_long: OnTooLong = "error"
) -> tuple[list[str], list[int], list[int]]:
    """``split_long_inputs`` plus the estimated tokens of each text sent, for ``plan_batches``."""
    _check_on_too_long(on_too_long)
    out: list[str] = []
    owners: list[int] = []
    counts: list[int] = []
    for i, text in enumerate(texts):
        n = estimate_tokens(text)
        if n <= max_input_tokens:
            out.append(text)
            owners.append(i)
            counts.append(n)
        elif on_too_long == "error":
            raise _too_long(i, n, max_input_tokens)
        elif on_too_long == "truncate":
            piece, n = next(token_pieces(text, max_input_tokens))
            out.append(piece)
            owners.append(i)
            counts.append(n)
        else:
            # one pass (re-estimating the rest after each cut was quadratic: 4 MB took 18 s)
            for piece, n in token_pieces(text, max_input_tokens):
                out.append(piece)
                owners.append(i)
                counts.append(n)
    return out, owners, counts


def merge_pieces(
    vectors: Sequence[Sequence[float]],
    owners: Sequence[int],
    count: int,
    weights: Sequence[float] | None = None,
) -> list[list[float]]:
    """One vector per original input: pieces averaged (weighted, e.g. by length) and normalised."""
    if len(owners) == count and all(o == i for i, o in enumerate(owners)):
        # nothing was split: hand the vectors back as they are (copying 10k x 1536 floats is most
        # of an embedding call's client CPU)
        return [v if isinstance(v, list) else list(v) for v in vectors]
    sums: list[list[float] | None] = [None] * count
    for k, (vec, owner) in enumerate(zip(vectors, owners, strict=False)):
        w = weights[k] if weights is not None else 1.0
        acc = sums[owner]
        if acc is None:
            sums[owner] = [x * w for x in vec]
        else:
            for j, x in enumerate(vec):
                acc[j] += x * w
    out: list[list[float]] = []
    for i, acc in enumerate(sums):
        if acc is None:
            raise ValueError(f"no embedding for input {i}")
        norm = math.sqrt(sum(x * x for x in acc)) or 1.0
        out.append([x / norm for x in acc])
    return out


def build_embeddings_body(
    inputs: Sequence[str],
    *,
    body_model: str | None,
    dimensions: int | None,
    encoding_format: str | None = "base64",
) -> dict[str, Any]:
    """The JSON body; base64 by default (a quarter of the bytes of a float list, parsed faster)."""
    body: dict[str, Any] = {"input": list(inputs)}
    if body_model:
        body["model"] = body_model
    if encoding_format:
        body["encoding_format"] = encoding_format
    if dimensions is not None:
        if dimensions < 1:
            raise ConfigurationError(f"dimensions={dimensions} must be >= 1", setting="dimensions")
        body["dimensions"] = dimensions
    return body


def _vector(embedding: Any, pos: int) -> list[float]:
    if isinstance(embedding, str):
        try:
            floats = array("f", base64.b64decode(embedding))
        except ValueError:  # bad base64, or a byte count that is not float32s
            raise ShapeError(f"'data[{pos}].embedding' is a string that is not base64 of float32 values") from None
        if _BIG_ENDIAN:
            floats.byteswap()
        vector = floats.tolist()
    elif type(embedding) is list:
        vector = embedding
    else:
        raise wrong(f"data[{pos}].embedding", embedding, "a list of numbers or base64")
    # the first value stands for the rest: checking all of them would cost more than the parsing
    if not vector or type(vector[0]) not in (float, int):
        what = "empty" if not vector else f"a list whose first value is {kind(vector[0])}"
        raise ShapeError(f"'data[{pos}].embedding' is {what}, not a vector of numbers")
    return vector


def parse_embeddings(
    data: Mapping[str, Any], meta: ResponseMeta | None = None
) -> tuple[list[list[float]], Usage | None]:
    """Vectors in input order (sorted by ``index`` when Azure did not keep order), and usage.

    An answer without a ``data`` list of vectors, or carrying ``{"error": ...}`` (gateways send
    them with 200), raises the typed error (``UnexpectedResponseError`` or the diagnosed one).
    """
    try:
        items = data.get("data")
        if type(items) is not list:
            if data.get("error"):
                from shared_core.wire.diagnose import answer_error  # error path only

                raise answer_error(data, meta)
            raise ShapeError("'data' is missing") if items is None else wrong("data", items, "a list")
        vectors = []
        for pos, item in enumerate(items):
            if type(item) is not dict:
                raise wrong(f"data[{pos}]", item, "an object")
            if "embedding" not in item:
                raise ShapeError(f"'data[{pos}].embedding' is missing")
            vectors.append(_vector(item["embedding"], pos))
        for pos, item in enumerate(items):
            index = item.get("index", pos)
            if index != pos:
                if type(index) is not int:
                    raise wrong(f"data[{pos}].index", index, "a number")
                order = sorted(range(len(items)), key=lambda k: items[k].get("index", k))
                vectors = [vectors[k] for k in order]
                break
        return vectors, parse_usage(data.get("usage"))
    except (ShapeError, AttributeError, TypeError, KeyError, IndexError) as exc:
        from shared_core.wire.diagnose import unexpected_answer  # error path only

        raise unexpected_answer(exc, meta, body=data, expected="an embeddings answer") from None


__all__ = [
    "build_embeddings_body",
    "merge_pieces",
    "parse_embeddings",
    "plan_batches",
    "split_long_inputs",
    "split_long_inputs_counted",
]
