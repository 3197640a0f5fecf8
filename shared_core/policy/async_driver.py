"""The async driver: the sync driver's loop with ``await`` (same :class:`Call`, same decisions)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import httpx

from shared_core.policy.call import Call
from shared_core.policy.faults import NETWORK_ERRORS
from shared_core.policy.streaming import Attempt, StreamAttempt
from shared_core.policy.sync_driver import refresh
from shared_core.types import ChatDelta, ResponseMeta
from shared_core.wire.stream import ParseChunk

T = TypeVar("T")


async def asend(http: httpx.AsyncClient, call: Call, *, stream: bool = False) -> tuple[httpx.Response, ResponseMeta]:
    """Async twin of :func:`~shared_core.policy.sync_driver.send`."""
    while True:
        target = call.begin()
        request = call.request(http, await target.credential.aheaders())
        wait = await call.apace()
        if wait:  # paced by the deployment's shared budget; rebuilt after (timeout from now, fresh token)
            while wait > 0:
                await call.hooks.asleep(wait)
                wait = await call.apace()
            if wait < 0:  # REROUTE: the target failed while this attempt waited; begin on the next
                continue
            request = call.request(http, await target.credential.aheaders())
        try:
            response = await http.send(request, stream=stream)
        except asyncio.CancelledError:
            call.pacer.lost()  # a cancelled attempt (a hedge's loser) gives its reservation, or probe, back
            raise
        except Exception as exc:
            if not isinstance(exc, NETWORK_ERRORS):
                raise
            step = call.failed(exc)
        else:
            status = response.status_code
            if status < 300:  # a redirect that was not followed is no answer (diagnose: redirect)
                return response, call.succeeded(response, stream=stream)
            try:
                body = await response.aread()
            except httpx.HTTPError:
                body = b""
            finally:
                await response.aclose()
            step = call.rejected(status, response.headers, body)
        if step.refresh:
            refresh(call, target, step)
        if step.wait > 0:
            await call.hooks.asleep(step.wait)


def astream_deltas(http: httpx.AsyncClient, call: Call, parse: ParseChunk) -> AsyncIterator[ChatDelta]:
    """Async twin of :func:`~shared_core.policy.sync_driver.stream_deltas`."""
    return astream_attempts(http, call, lambda meta: StreamAttempt(call, parse, meta))


async def astream_attempts(
    http: httpx.AsyncClient, call: Call, attempt_of: Callable[[ResponseMeta], Attempt[T]]
) -> AsyncIterator[T]:
    """Async twin of :func:`~shared_core.policy.sync_driver.stream_attempts`."""
    while True:
        response, meta = await asend(http, call, stream=True)
        attempt = attempt_of(meta)
        try:
            try:
                async for chunk in response.aiter_bytes():
                    for item in attempt.feed(chunk):
                        yield item
                    if attempt.stop:
                        break
            except NETWORK_ERRORS as exc:
                attempt.failed(exc)
            if attempt.step is None:
                out = attempt.end()
                if attempt.step is None:
                    for item in out:
                        yield item
                    return
        finally:
            attempt.close()
            await response.aclose()
        if attempt.step.wait > 0:
            await call.hooks.asleep(attempt.step.wait)


__all__ = ["asend", "astream_attempts", "astream_deltas"]
