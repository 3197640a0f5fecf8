"""One streamed Responses attempt, sans-I/O, and the two drivers that run it.

The twin of ``streaming.py`` for ``/responses`` streams (typed events, a terminal event instead of
``[DONE]``): the preamble (``response.created`` / ``in_progress`` / ``queued``) is held back until
the stream says something, so an error event, a stall or a cut before any output is retried or
fails over like an error status; after that, failures raise (:class:`StreamError`), and the client
decides whether a background response resumes from its last ``sequence_number``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from shared_core.errors import APIStatusError, StreamError
from shared_core.policy import faults
from shared_core.policy.async_driver import astream_attempts
from shared_core.policy.call import Call, Step
from shared_core.policy.streaming import StreamUsage
from shared_core.policy.sync_driver import stream_attempts
from shared_core.types import ResponseMeta
from shared_core.types_responses import ResponseEvent
from shared_core.wire.responses_stream import ResponseEventParser, says_something

_HOLD_MAX = 16  # preamble events held at most (Azure sends 2)


class ResponseStreamAttempt:
    """The state of one streamed attempt (see ``streaming.StreamAttempt``)."""

    __slots__ = ("call", "parser", "held", "open", "step", "counted")

    def __init__(self, call: Call, meta: ResponseMeta, starting_after: int | None) -> None:
        self.call = call
        self.parser = ResponseEventParser(meta, starting_after=starting_after)
        self.held: list[ResponseEvent] = []
        self.open = True  # still holding the preamble
        self.step: Step | None = None
        self.counted = StreamUsage()

    @property
    def stop(self) -> bool:
        return self.parser.done or self.step is not None

    def _take(self, events: list[ResponseEvent]) -> list[ResponseEvent]:
        if not self.open:
            return events
        self.held.extend(events)
        if len(self.held) > _HOLD_MAX or any(says_something(e) for e in events):
            out, self.held, self.open = self.held, [], False
            self.call.delivered()
            return out
        return []

    def feed(self, chunk: bytes) -> list[ResponseEvent]:
        try:
            events = self.parser.feed(chunk)
        except (APIStatusError, StreamError) as exc:
            if not self.open:
                raise
            self.step = self.call.in_band(exc)
            return []
        if not events:
            return events
        self._count(events)
        return self._take(events)

    def _count(self, events: list[ResponseEvent]) -> None:
        for e in events:
            if e.type.endswith(".delta"):
                self.counted.text(e.delta)
            response = e.raw.get("response")
            if isinstance(response, dict):  # created / completed / incomplete: the terminal one has usage
                self.counted.usage(response)

    def failed(self, exc: Exception) -> None:
        error: StreamError
        if faults.kind_of(exc) == "timeout":
            error = faults.stall_error(
                self.parser.received(), read_timeout=self.call.read_timeout, deadline_capped=self.call.deadline_capped
            )
        else:
            error = self.parser.cut(faults.real_cause(exc))
        if not self.open:
            raise error from exc
        self.step = self.call.failed(exc, stream_error=error)

    def end(self) -> list[ResponseEvent]:
        try:
            tail = self.parser.finish()
        except (APIStatusError, StreamError) as exc:
            if not self.open:
                raise
            self.step = self.call.in_band(exc)
            return []
        self.call.delivered()
        self._count(tail)
        self.counted.settle(self.call)
        out, self.held, self.open = self.held + tail, [], False
        return out

    def close(self) -> None:
        self.call.abandoned()


def stream_events(http: httpx.Client, call: Call, *, starting_after: int | None = None) -> Iterator[ResponseEvent]:
    """A streamed Responses call: events as they arrive (closes the response when done)."""
    return stream_attempts(http, call, lambda meta: ResponseStreamAttempt(call, meta, starting_after))


def astream_events(
    http: httpx.AsyncClient, call: Call, *, starting_after: int | None = None
) -> AsyncIterator[ResponseEvent]:
    """Async twin of :func:`stream_events`."""
    return astream_attempts(http, call, lambda meta: ResponseStreamAttempt(call, meta, starting_after))


__all__ = ["ResponseStreamAttempt", "astream_events", "stream_events"]
