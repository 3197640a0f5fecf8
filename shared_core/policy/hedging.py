"""Hedged requests: after a delay, the same idempotent request to a second healthy target; the
first answer wins.

Only for chat completions that store nothing (a chat with ``store: true`` is a stored
conversation: a duplicate would store it twice), never for a side-effecting operation (file
uploads, batch creates, image generation...), and only with several targets. The delay is the
``hedge_after`` option: seconds, or ``"p95"`` for the 95th percentile of this client's recent
successful calls of that operation (no hedge until 20 are known). The loser is cancelled (async)
or left to finish unread (sync); its target hears of its outcome like any attempt's.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shared_core.policy.call import Call, log
from shared_core.types import ResponseMeta

#: operations that may be sent twice: they read, and store nothing
HEDGEABLE = frozenset({"chat/completions"})
MIN_SAMPLES = 20
_WINDOW = 200

Answer = tuple[Any, ResponseMeta]


class Latencies:
    """Recent successful call durations per operation (a bounded window) for ``hedge_after="p95"``."""

    def __init__(self) -> None:
        self._by_op: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def add(self, operation: str, seconds: float) -> None:
        with self._lock:
            self._by_op.setdefault(operation, deque(maxlen=_WINDOW)).append(seconds)

    def p95(self, operation: str) -> float | None:
        with self._lock:
            samples = sorted(self._by_op.get(operation, ()))
        if len(samples) < MIN_SAMPLES:
            return None
        return samples[int(0.95 * (len(samples) - 1))]


def hedge_delay(option: float | str | None, call: Call, *, stored: bool, latencies: Latencies) -> float | None:
    """Seconds after which ``call`` is hedged, or None for no hedge (the one decision of both drivers)."""
    if option is None or stored or not call.multi or call.operation not in HEDGEABLE:
        return None
    if option == "p95":
        return latencies.p95(call.operation)
    return float(option)


def _second(first: Call, make: Callable[[], Call], delay: float) -> Call | None:
    """The hedge's call, started away from the first's target; None when no other target is usable."""
    if not first.router.has_alternative({first.index}):
        return None
    second = make()
    second.avoid(first.index, f"hedging: no answer after {delay:.3g} s")
    return second


def send_hedged(
    http: httpx.Client,
    call: Call,
    make: Callable[[], Call],
    send: Callable[[httpx.Client, Call], Answer],
    *,
    option: float | str | None,
    stored: bool,
    latencies: Latencies,
) -> Answer:
    """``send(http, call)``, hedged per :func:`hedge_delay` (threads: the loser is left to finish)."""
    timed = option == "p95"
    delay = hedge_delay(option, call, stored=stored, latencies=latencies)
    started = call.hooks.clock()
    if delay is None:
        answer = send(http, call)
    else:
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        pool = ThreadPoolExecutor(2, thread_name_prefix="azoai-hedge")
        try:
            futures = {pool.submit(send, http, call)}
            done, _ = wait(futures, timeout=delay)
            second = None if done else _second(call, make, delay)
            if second is not None:
                futures.add(pool.submit(send, http, second))
            error: BaseException | None = None
            found: Answer | None = None
            while futures and found is None:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for f in done:
                    exc = f.exception()
                    if exc is not None:
                        error = error or exc
                    elif found is None:
                        found = f.result()
            if found is None:
                assert error is not None
                raise error
            answer = found
        finally:
            pool.shutdown(wait=False)  # a slow loser finishes on its own; nobody reads it
    if timed:
        latencies.add(call.operation, call.hooks.clock() - started)
    return answer


async def asend_hedged(
    http: httpx.AsyncClient,
    call: Call,
    make: Callable[[], Call],
    send: Callable[[httpx.AsyncClient, Call], Awaitable[Answer]],
    *,
    option: float | str | None,
    stored: bool,
    latencies: Latencies,
) -> Answer:
    """Async :func:`send_hedged`: the loser's task is cancelled."""
    import asyncio

    timed = option == "p95"
    delay = hedge_delay(option, call, stored=stored, latencies=latencies)
    started = call.hooks.clock()
    if delay is None:
        answer = await send(http, call)
    else:
        calls: dict[asyncio.Future[Answer], Call] = {asyncio.ensure_future(send(http, call)): call}
        done, _ = await asyncio.wait(set(calls), timeout=delay)
        second = None if done else _second(call, make, delay)
        if second is not None:
            calls[asyncio.ensure_future(send(http, second))] = second
        pending = set(calls)
        error: BaseException | None = None
        answer_or_none: Answer | None = None
        try:
            while pending and answer_or_none is None:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.exception() is None and answer_or_none is None:
                        answer_or_none = task.result()
                    elif task.exception() is not None:
                        error = error or task.exception()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
                for task in pending:
                    calls[task].abandoned()  # cancelled mid-attempt: neither success nor fault
        if answer_or_none is None:
            assert error is not None
            raise error
        answer = answer_or_none
        if len(calls) > 1:
            log.info("hedged %s: answered by %s", call.operation, answer[1].target)
    if timed:
        latencies.add(call.operation, call.hooks.clock() - started)
    return answer


__all__ = ["HEDGEABLE", "Latencies", "MIN_SAMPLES", "asend_hedged", "hedge_delay", "send_hedged"]
