"""How ``CoreClient.embed`` / ``aembed`` split, run and reassemble a list of texts.

The plan (which inputs go in which request, long ones split first), the sync and async runners
and the merge of the answers back into one ``EmbeddingResult`` in input order. The client supplies
the one request per batch.

The runners' concurrency adapts (:class:`Concurrency`, additive increase, multiplicative decrease):
it starts at 2 and rises by one with each batch answered at the first attempt, up to
``max_concurrency``, and halves when a batch needed a retry (a 429, a fault). The deployment's
shared budget (``policy/pacing_store.py``) spaces the requests themselves; this keeps no more
requests waiting on it than it lets through, and backs off when the server pushes back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared_core.errors import ConfigurationError
from shared_core.types import EmbeddingResult, ResponseMeta, Usage
from shared_core.wire.embeddings import (
    OnTooLong,
    merge_pieces,
    parse_embeddings,
    plan_batches,
    split_long_inputs_counted,
)

#: ``progress(done, total)``, or ``progress(done, total, stats)`` with an :class:`EmbedProgress`
Progress = Callable[..., None]
#: one request's answer: vectors, usage, the model Azure names, the response metadata
EmbeddingPart = tuple[list[list[float]], Usage | None, str, ResponseMeta]


def embed_plan(
    texts: Sequence[str], batch_size: int, on_too_long: OnTooLong
) -> tuple[list[str], list[int] | None, list[list[int]]]:
    """The inputs sent, their owners (``None`` when nothing was split) and the batches of indexes."""
    if isinstance(texts, str):
        raise ConfigurationError(
            "embed() takes a list of texts, not one string: wrap it, embed([text])", setting="texts"
        )
    owners: list[int] | None = None
    counts: list[int] | None = None
    sent = list(texts)
    if on_too_long != "error":
        sent, owners, counts = split_long_inputs_counted(sent, on_too_long=on_too_long)
        if len(owners) == len(texts):
            owners = None  # nothing was split: no merge step
    batches = plan_batches(sent, max_inputs=batch_size, on_too_long=on_too_long, token_counts=counts)
    return sent, owners, batches


@dataclass(frozen=True, slots=True)
class EmbedProgress:
    """How an embedding job is going, after each answered request."""

    done: int  # inputs embedded
    total: int
    elapsed: float  # seconds since the job started
    texts_per_second: float
    tokens_per_second: float  # from the answers' usage
    concurrency: int  # requests the runner lets run at once now
    #: what the deployment's last answer said is left (``x-ratelimit-remaining-*``), if it said
    remaining_requests: int | None = None
    remaining_tokens: int | None = None


class Concurrency:
    """How many requests may run at once: +1 per clean answer, halved on a retried one."""

    __slots__ = ("limit", "ceiling")

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(min(2, self.ceiling))

    @property
    def allowed(self) -> int:
        return int(self.limit)

    def after(self, retried: bool) -> None:
        if retried:
            self.limit = max(1.0, self.limit / 2)
        else:
            self.limit = min(float(self.ceiling), self.limit + 1.0)


class Tracker:
    """Counts what was done and tells ``progress`` (with the stats when it takes a third argument)."""

    __slots__ = ("progress", "total", "done", "tokens", "started", "rich")

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = self.tokens = 0
        self.started = time.monotonic()
        self.rich = progress is not None and _takes_stats(progress)

    def add(self, inputs: int, part: EmbeddingPart, concurrency: int) -> None:
        self.done += inputs
        usage, meta = part[1], part[3]
        if usage is not None:
            self.tokens += usage.total_tokens
        if self.progress is None:
            return
        if not self.rich:
            self.progress(self.done, self.total)
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        headers = meta.headers
        self.progress(
            self.done,
            self.total,
            EmbedProgress(
                done=self.done,
                total=self.total,
                elapsed=elapsed,
                texts_per_second=self.done / elapsed,
                tokens_per_second=self.tokens / elapsed,
                concurrency=concurrency,
                remaining_requests=_int(headers.get("x-ratelimit-remaining-requests")),
                remaining_tokens=_int(headers.get("x-ratelimit-remaining-tokens")),
            ),
        )


def _int(raw: str | None) -> int | None:
    try:
        value = int(raw) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


def _takes_stats(progress: Progress) -> bool:
    import inspect

    try:
        params = list(inspect.signature(progress).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: the documented two arguments
        return False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3


def _retried(part: EmbeddingPart) -> bool:
    return part[3].attempts > 1


def run_batches(
    run: Callable[[int], EmbeddingPart],
    batches: list[list[int]],
    max_concurrency: int,
    progress: Progress | None,
    total: int,
) -> list[EmbeddingPart | None]:
    """``run(k)`` for every batch, on up to ``max_concurrency`` threads (adaptive: :class:`Concurrency`)."""
    results: list[EmbeddingPart | None] = [None] * len(batches)
    tracker = Tracker(progress, total)
    if len(batches) <= 1 or max_concurrency <= 1:
        for k in range(len(batches)):
            part = results[k] = run(k)
            tracker.add(len(batches[k]), part, 1)
        return results
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    gate = Concurrency(max_concurrency)
    with ThreadPoolExecutor(max_workers=min(max_concurrency, len(batches))) as pool:
        pending: dict[Future[EmbeddingPart], int] = {}
        following = 0
        while following < len(batches) or pending:
            while following < len(batches) and len(pending) < gate.allowed:
                pending[pool.submit(run, following)] = following
                following += 1
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                k = pending.pop(future)
                part = results[k] = future.result()
                gate.after(_retried(part))
                tracker.add(len(batches[k]), part, gate.allowed)
    return results


async def arun_batches(
    run: Callable[[int], Awaitable[EmbeddingPart]],
    batches: list[list[int]],
    max_concurrency: int,
    progress: Progress | None,
    total: int,
) -> list[EmbeddingPart | None]:
    """Async :func:`run_batches`: at most ``max_concurrency`` requests in flight (adaptive)."""
    import asyncio

    results: list[EmbeddingPart | None] = [None] * len(batches)
    tracker = Tracker(progress, total)
    gate = Concurrency(max_concurrency)
    pending: dict[asyncio.Future[EmbeddingPart], int] = {}
    following = 0
    try:
        while following < len(batches) or pending:
            while following < len(batches) and len(pending) < gate.allowed:
                pending[asyncio.ensure_future(run(following))] = following
                following += 1
            finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                k = pending.pop(task)
                part = results[k] = task.result()
                gate.after(_retried(part))
                tracker.add(len(batches[k]), part, gate.allowed)
    finally:
        for task in pending:  # a batch failed: the others are not needed any more
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    return results


def embedding_part(data: dict[str, Any], meta: ResponseMeta) -> EmbeddingPart:
    vectors, usage = parse_embeddings(data, meta)
    return vectors, usage, str(data.get("model") or ""), meta


def embedding_result(
    results: list[EmbeddingPart | None],
    batches: list[list[int]],
    owners: list[int] | None,
    sent: list[str],
    count: int,
) -> EmbeddingResult:
    """The answers merged in input order (split inputs averaged back), usage summed."""
    vectors: list[list[float]] = [[] for _ in sent]
    prompt = total = 0
    any_usage = False
    model = ""
    meta: ResponseMeta | None = None
    metas: list[ResponseMeta] = []
    for batch, part in zip(batches, results, strict=True):
        assert part is not None
        vecs, usage, part_model, meta = part
        if meta is not None:
            metas.append(meta)
        if len(vecs) != len(batch):
            from shared_core.wire.diagnose import unexpected_answer  # error path only

            raise unexpected_answer(
                f"it holds {len(vecs)} embeddings for {len(batch)} inputs", meta, expected="one embedding per input"
            )
        for i, vec in zip(batch, vecs, strict=True):
            vectors[i] = vec
        if usage is not None:
            any_usage = True
            prompt += usage.prompt_tokens
            total += usage.total_tokens
        model = model or part_model
    if owners is not None:
        vectors = merge_pieces(vectors, owners, count, weights=[float(len(s)) for s in sent])
    return EmbeddingResult(
        vectors=vectors,
        model=model,
        usage=Usage(prompt_tokens=prompt, total_tokens=total) if any_usage else None,
        meta=meta,
        requests=len(batches),
        metas=tuple(metas),
    )
