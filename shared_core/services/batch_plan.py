"""How a list of requests becomes batch input files within Azure's limits.

Limits (Learn ``includes/global-batch-limits``): 100,000 requests and 200 MB per input file; the
deployment's enqueued-token quota caps the input tokens of its unfinished batches together (a
batch over it fails with ``token_limit_exceeded``). :func:`plan_parts` walks the requests once,
measuring each line's bytes and estimated tokens, and cuts a new part whenever the next line
would break a limit; :func:`part_file` builds one part's JSONL when it is about to be uploaded, so
only one file is ever in memory. ``custom_id`` is the request's index in the input
(:func:`custom_id` / :func:`index_of`), so every output line maps back without a lookup table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared_core.errors import ConfigurationError
from shared_core.services.batch_manifest import Part, encode_body, key_hasher
from shared_core.services.job_objects import check_batch_create
from shared_core.wire.tokens import estimate_message_tokens, estimate_tokens

MAX_REQUESTS = 100_000
MAX_BYTES = 200 * 1024 * 1024
PREFIX = "azoai-"


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """Per input file: ``max_requests`` and ``max_bytes``; per batch: ``max_tokens`` (set it to the
    deployment's enqueued-token quota, or less when other jobs share it; ``None``: no cap)."""

    max_requests: int = MAX_REQUESTS
    max_bytes: int = MAX_BYTES
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_requests <= MAX_REQUESTS:
            raise ConfigurationError(
                f"max_requests={self.max_requests}: Azure takes 1 to {MAX_REQUESTS:,} requests per file",
                setting="max_requests",
            )
        if not 1 <= self.max_bytes <= MAX_BYTES:
            raise ConfigurationError(
                f"max_bytes={self.max_bytes}: Azure takes input files up to 200 MB ({MAX_BYTES} bytes)",
                setting="max_bytes",
            )
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigurationError(f"max_tokens={self.max_tokens} must be >= 1 or None", setting="max_tokens")


def check_endpoint(endpoint: str) -> str:
    return check_batch_create(endpoint)


def custom_id(index: int) -> str:
    return f"{PREFIX}{index}"


def index_of(cid: Any, total: int) -> int | None:
    """The input index a ``custom_id`` names, or ``None`` for one this job never wrote."""
    if not isinstance(cid, str) or not cid.startswith(PREFIX):
        return None
    digits = cid[len(PREFIX) :]
    if not digits.isdigit():
        return None
    index = int(digits)
    return index if index < total else None


def request_tokens(body: Mapping[str, Any]) -> int:
    """Estimated input tokens of one request (what Azure counts against the enqueued quota)."""
    messages = body.get("messages")
    if isinstance(messages, list):
        return estimate_message_tokens(messages)
    inp = body.get("input")
    if isinstance(inp, str):
        return estimate_tokens(inp)
    if isinstance(inp, list):
        return sum(estimate_tokens(x) if isinstance(x, str) else len(x) if isinstance(x, list) else 1 for x in inp)
    return estimate_tokens(encode_body(body))


def _body(body: Mapping[str, Any], deployment: str) -> str:
    text = encode_body(body)
    if len(text) < 3 or "model" in body:  # {} or a model to replace: build the dict
        return encode_body({**body, "model": deployment})
    return f'{text[:-1]},"model":{encode_body(deployment)}}}'  # no copy of the body


def line(endpoint: str, deployment: str, index: int, body: Mapping[str, Any]) -> bytes:
    """One JSONL line: ``custom_id``, ``method``, ``url`` and the body with ``model`` = the deployment."""
    return _line(encode_body(endpoint), deployment, index, body).encode()


def _line(url: str, deployment: str, index: int, body: Mapping[str, Any]) -> str:
    # ASCII-only JSON (the encoder escapes the rest), so len() is the byte count
    return f'{{"custom_id":"{PREFIX}{index}","method":"POST","url":{url},"body":{_body(body, deployment)}}}\n'


def plan_parts(
    bodies: Iterable[Mapping[str, Any]],
    endpoint: str,
    deployment: str,
    limits: BatchLimits,
    *,
    count_tokens: bool = False,
) -> tuple[list[Part], int, str]:
    """Consecutive runs of requests that each fit one file and one batch, the total input tokens
    (estimated when ``count_tokens`` or a token cap applies, else 0), and the job's key
    (:func:`~shared_core.services.batch_manifest.input_key`), all in one pass over the bodies."""
    parts: list[Part] = []
    start = count = size = tokens = total_tokens = 0
    index = -1
    url = encode_body(endpoint)
    cap = limits.max_tokens
    counting = count_tokens or cap is not None
    key = key_hasher(endpoint, deployment)
    pending: list[str] = []  # bodies hashed a thousand at a time (one update call per body is slower)
    # a line is this plus its index's digits plus the body (see _line): one encoding per body here
    fixed = len(_line(url, deployment, 0, {"x": 0})) - 1 - len('{"x":0}')
    fast = _encoder(bodies)
    items: Iterable[tuple[int, Mapping[str, Any] | None]] = (
        enumerate(bodies) if fast is None else ((i, None) for i in range(len(bodies)))  # type: ignore[arg-type]
    )
    for index, body in items:
        if body is None:  # bodies that encode themselves: never a "model" key
            text = fast(index)  # type: ignore[misc]
            n = fixed + len(str(index)) + len(text)
        else:
            text = encode_body(body)
            if len(text) < 3 or "model" in body:
                n = len(_line(url, deployment, index, body))
            else:
                n = fixed + len(str(index)) + len(text)
        pending.append(text)
        if len(pending) == 1000:
            key.update(("\x1e" + "\x1e".join(pending)).encode())
            pending.clear()
        t = request_tokens(body if body is not None else bodies[index]) if counting else 0  # type: ignore[index]
        if n > limits.max_bytes or (cap is not None and t > cap):
            raise ConfigurationError(
                f"request {index} alone is {n} bytes / ~{t} tokens, over one batch's limit "
                f"({limits.max_bytes} bytes / {cap} tokens): shorten it or send it interactively",
                setting="requests",
            )
        if count and (count == limits.max_requests or size + n > limits.max_bytes or (cap and tokens + t > cap)):
            parts.append(Part(start, count, tokens=tokens))
            start, count, size, tokens = index, 0, 0, 0
        count, size, tokens = count + 1, size + n, tokens + t
        total_tokens += t
    if count:
        parts.append(Part(start, count, tokens=tokens))
    if pending:
        key.update(("\x1e" + "\x1e".join(pending)).encode())
    if index < 0:
        raise ConfigurationError("no requests to batch: pass at least one", setting="requests")
    return parts, total_tokens, str(key.hexdigest()[:40])


def part_file(bodies: Sequence[Mapping[str, Any]], endpoint: str, deployment: str, indexes: Iterable[int]) -> bytes:
    """The JSONL input file holding the requests at ``indexes``."""
    url = encode_body(endpoint)
    fast = _encoder(bodies)
    if fast is None:
        return "".join([_line(url, deployment, i, bodies[i]) for i in indexes]).encode()
    head = f'","method":"POST","url":{url},"body":'
    tail = f',"model":{encode_body(deployment)}}}}}\n'  # as _body adds the model: the same bytes
    return "".join([f'{{"custom_id":"{PREFIX}{i}{head}{fast(i)[:-1]}{tail}' for i in indexes]).encode()


def _encoder(bodies: object) -> Callable[[int], str] | None:
    """``bodies.encoded(i)``: ``encode_body(bodies[i])`` of a body without a ``model`` key, made
    without the dict (:class:`~shared_core.services.batch_bodies.EmbeddingBodies`)."""
    fast = getattr(bodies, "encoded", None)
    return fast if callable(fast) else None


@dataclass(frozen=True, slots=True)
class BatchEstimate:
    """What a job will submit, before it does: requests, batches, estimated input tokens, and the
    input cost when a price per million input tokens was given (Batch is billed at its own rate,
    half of Global Standard: pass the batch price)."""

    requests: int
    batches: int
    input_tokens: int
    input_cost: float | None


def estimate(
    bodies: Sequence[Mapping[str, Any]],
    endpoint: str,
    deployment: str,
    limits: BatchLimits | None = None,
    *,
    price_per_million_input: float | None = None,
) -> BatchEstimate:
    """The :class:`BatchEstimate` of a job (nothing is sent)."""
    parts, tokens, _key = plan_parts(
        bodies, check_endpoint(endpoint), deployment, limits or BatchLimits(), count_tokens=True
    )
    cost = None if price_per_million_input is None else tokens * price_per_million_input / 1_000_000
    return BatchEstimate(len(bodies), len(parts), tokens, cost)
