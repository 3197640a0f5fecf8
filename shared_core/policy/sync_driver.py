"""The sync driver: :class:`Call` and :class:`StreamAttempt` decide, this loop sends and sleeps.

    target = call.begin(); request = call.request(http, credential headers)
    send -> call.succeeded(response) | call.rejected(status, headers, body) | call.failed(exc)
    sleep as told, or the typed error propagates

Its async twin (``async_driver.py``) is the same loop with ``await``; neither decides anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx

from shared_core.connection.config import Target
from shared_core.policy.call import Call, Step
from shared_core.policy.faults import NETWORK_ERRORS
from shared_core.policy.streaming import Attempt, StreamAttempt
from shared_core.types import ChatDelta, ResponseMeta
from shared_core.wire.stream import ParseChunk

T = TypeVar("T")


def refresh(call: Call, target: Target, step: Step) -> None:
    """After a 401 with a token: drop it, so the replay fetches a new one."""
    from shared_core.connection.auth import BearerTokenCredential

    cred = target.credential
    if isinstance(cred, BearerTokenCredential):
        # rejected_token: 20 concurrent 401s for one token cause one refetch, not 20
        cred.invalidate(claims=step.claims, rejected_token=call.sent_auth)
    else:
        cred.invalidate()


def send(http: httpx.Client, call: Call, *, stream: bool = False) -> tuple[httpx.Response, ResponseMeta]:
    """Run the attempts of ``call``; the response of the first success (open when ``stream``)."""
    while True:
        target = call.begin()
        request = call.request(http, target.credential.headers())
        wait = call.pace()
        if wait:  # paced by the deployment's shared budget; rebuilt after (timeout from now, fresh token)
            while wait > 0:
                call.hooks.sleep(wait)
                wait = call.pace()
            if wait < 0:  # REROUTE: the target failed while this attempt waited; begin on the next
                continue
            request = call.request(http, target.credential.headers())
        try:
            response = http.send(request, stream=stream)
        except Exception as exc:  # classified in Call.failed (non-httpx errors re-raised there)
            if not isinstance(exc, NETWORK_ERRORS):
                raise
            step = call.failed(exc)
        else:
            status = response.status_code
            if status < 300:  # a redirect that was not followed is no answer (diagnose: redirect)
                return response, call.succeeded(response, stream=stream)
            try:
                body = response.read()
            except httpx.HTTPError:
                body = b""
            finally:
                response.close()
            step = call.rejected(status, response.headers, body)
        if step.refresh:
            refresh(call, target, step)
        if step.wait > 0:
            call.hooks.sleep(step.wait)


def stream_deltas(http: httpx.Client, call: Call, parse: ParseChunk) -> Iterator[ChatDelta]:
    """A streamed call: deltas as they arrive. Closes the response when done or abandoned."""
    return stream_attempts(http, call, lambda meta: StreamAttempt(call, parse, meta))


def stream_attempts(http: httpx.Client, call: Call, attempt_of: Callable[[ResponseMeta], Attempt[T]]) -> Iterator[T]:
    """The stream loop of every streamed operation: send, feed each attempt's bytes to the attempt
    ``attempt_of`` makes, and retry or fail over as it decides. Closes the response when done or abandoned."""
    while True:
        response, meta = send(http, call, stream=True)
        attempt = attempt_of(meta)
        try:
            try:
                for chunk in response.iter_bytes():
                    out = attempt.feed(chunk)
                    if out:
                        yield from out
                    if attempt.stop:
                        break
            except NETWORK_ERRORS as exc:
                attempt.failed(exc)
            if attempt.step is None:
                out = attempt.end()
                if attempt.step is None:
                    yield from out
                    return
        finally:
            attempt.close()
            response.close()
        if attempt.step.wait > 0:
            call.hooks.sleep(attempt.step.wait)


__all__ = ["refresh", "send", "stream_attempts", "stream_deltas"]
