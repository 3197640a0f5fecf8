"""The embedding runners' adaptive concurrency and the progress they report (client_embeddings.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shared_core.client_embeddings import Concurrency, EmbeddingPart, EmbedProgress, arun_batches, run_batches
from shared_core.types import ResponseMeta, Usage


def part(attempts: int = 1, headers: dict[str, str] | None = None, tokens: int = 10) -> EmbeddingPart:
    meta = ResponseMeta(status=200, headers=httpx.Headers(headers or {}), attempts=attempts)
    return [[0.0]], Usage(prompt_tokens=tokens, total_tokens=tokens), "text-embedding-3-small", meta


def test_concurrency_rises_by_one_per_clean_answer_and_halves_on_a_retried_one() -> None:
    gate = Concurrency(6)
    seen = [gate.allowed]
    for retried in (False, False, False, False, False, True, True, True, True, False):
        gate.after(retried)
        seen.append(gate.allowed)
    assert seen == [2, 3, 4, 5, 6, 6, 3, 1, 1, 1, 2]
    assert Concurrency(1).allowed == 1


async def test_the_async_runner_starts_two_then_follows_the_gate() -> None:
    release = [asyncio.Event() for _ in range(8)]
    outcome = {k: part() for k in range(8)}
    outcome[1] = part(attempts=2)  # a 429 was retried
    scheduled: list[int] = []
    started = [asyncio.Event() for _ in range(8)]

    async def body(k: int) -> EmbeddingPart:
        started[k].set()
        await release[k].wait()
        return outcome[k]

    def run(k: int) -> Any:
        scheduled.append(k)
        return body(k)

    job = asyncio.ensure_future(arun_batches(run, [[k] for k in range(8)], 8, None, 8))
    await started[1].wait()
    assert scheduled == [0, 1]
    release[0].set()  # clean: 3 at once
    await started[3].wait()
    assert scheduled == [0, 1, 2, 3]
    release[1].set()  # retried: 3 halves to 1, and 2 are still in flight
    release[2].set()  # clean: 2 at once, 1 in flight (3): one more
    await started[4].wait()
    assert scheduled == [0, 1, 2, 3, 4]
    for event in release:
        event.set()
    results = await job
    assert results == [outcome[k] for k in range(8)]


def test_progress_with_three_arguments_gets_throughput_and_what_is_left() -> None:
    got: list[EmbedProgress] = []
    two: list[tuple[int, int]] = []
    headers = {"x-ratelimit-remaining-tokens": "349000", "x-ratelimit-remaining-requests": "2099"}

    def run(k: int) -> EmbeddingPart:
        return part(headers=headers, tokens=100)

    run_batches(run, [[0, 1], [2]], 4, lambda done, total, stats: got.append(stats), 3)
    run_batches(run, [[0, 1], [2]], 4, lambda done, total: two.append((done, total)), 3)
    assert len(got) == 2
    last = got[-1]
    assert (last.done, last.total, last.remaining_tokens, last.remaining_requests) == (3, 3, 349000, 2099)
    assert last.tokens_per_second > 0 and last.texts_per_second > 0 and last.concurrency >= 1
    assert [t for _, t in two] == [3, 3] and two[-1][0] == 3
