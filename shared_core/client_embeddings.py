"""How ``CoreClient.embed`` / ``aembed`` split, run and reassemble a list of texts.

The plan (which inputs go in which request, long ones split first), the sync and async runners
(bounded concurrency, progress after each request) and the merge of the answers back into one
``EmbeddingResult`` in input order. The client supplies the one request per batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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

Progress = Callable[[int, int], None]
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


def run_batches(
    run: Callable[[int], EmbeddingPart],
    batches: list[list[int]],
    max_concurrency: int,
    progress: Progress | None,
    total: int,
) -> list[EmbeddingPart | None]:
    """``run(k)`` for every batch, up to ``max_concurrency`` threads at once."""
    results: list[EmbeddingPart | None] = [None] * len(batches)
    done = 0
    if len(batches) <= 1 or max_concurrency <= 1:
        for k in range(len(batches)):
            results[k] = run(k)
            done += len(batches[k])
            if progress is not None:
                progress(done, total)
    else:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        with ThreadPoolExecutor(max_workers=min(max_concurrency, len(batches))) as pool:
            futures = {pool.submit(run, k): k for k in range(len(batches))}
            for future in as_completed(futures):
                k = futures[future]
                results[k] = future.result()
                done += len(batches[k])
                if progress is not None:
                    progress(done, total)
    return results


async def arun_batches(
    run: Callable[[int], Awaitable[EmbeddingPart]],
    batches: list[list[int]],
    max_concurrency: int,
    progress: Progress | None,
    total: int,
) -> list[EmbeddingPart | None]:
    """Async :func:`run_batches`: at most ``max_concurrency`` requests in flight."""
    import asyncio

    results: list[EmbeddingPart | None] = [None] * len(batches)
    gate = asyncio.Semaphore(max(1, max_concurrency))
    done = 0

    async def one(k: int) -> None:
        nonlocal done
        async with gate:
            results[k] = await run(k)
        done += len(batches[k])
        if progress is not None:
            progress(done, total)

    if len(batches) == 1:
        await one(0)
    elif batches:
        await asyncio.gather(*(one(k) for k in range(len(batches))))
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
    for batch, part in zip(batches, results, strict=True):
        assert part is not None
        vecs, usage, part_model, meta = part
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
    )
