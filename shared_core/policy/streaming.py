"""One streamed attempt, sans-I/O: what both drivers do with each network chunk and each failure.

Azure's preamble (the prompt-filter chunk, the role delta) is held back until the stream says
something, so an error event inside the 200, a stall or a cut before any content is retried or
fails over like an error status (and counts against the target's breaker), instead of reaching
the caller after deltas were yielded. After the first content delta, failures raise: a stall as
a stall (no data for the read timeout), a closed connection as a cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

from shared_core.errors import APIStatusError, StreamError
from shared_core.policy import faults
from shared_core.policy.call import Call, Step
from shared_core.policy.limiter import prompt_of, used_of
from shared_core.types import ChatDelta, ResponseMeta
from shared_core.wire.stream import ChunkParser, ParseChunk

T_co = TypeVar("T_co", covariant=True)

_HOLD_MAX = 64  # preamble deltas held at most (Azure sends 2)


class Held:
    """Stream deltas held back until one says something (content, tool call, finish...)."""

    __slots__ = ("deltas", "open")

    def __init__(self) -> None:
        self.deltas: list[ChatDelta] = []
        self.open = True

    def take(self, deltas: list[ChatDelta]) -> list[ChatDelta]:
        """The deltas to hand out now (all of them once the stream has said something)."""
        if not self.open:
            return deltas
        self.deltas.extend(deltas)
        if len(self.deltas) > _HOLD_MAX or any(_says_something(d) for d in deltas):
            return self.release()
        return []

    def release(self) -> list[ChatDelta]:
        out, self.deltas, self.open = self.deltas, [], False
        return out


def _says_something(d: ChatDelta) -> bool:
    return bool(d.content or d.tool_calls or d.refusal or d.reasoning_content or d.text or d.finish_reason or d.usage)


class StreamUsage:
    """What a streamed attempt used, for its deployment's budget: the usage its last chunk reports
    (``stream_options.include_usage``; a Responses stream's terminal event), else the prompt
    estimate plus a local count of the text it streamed. A non-streamed call is corrected by its
    answer's usage the same way (``transport.send_answer``)."""

    __slots__ = ("reported", "pieces")

    def __init__(self) -> None:
        self.reported: int | None = None
        self.pieces: list[str] = []

    def usage(self, data: Mapping[str, Any]) -> None:
        """A mapping that may carry ``usage`` (a chunk, a terminal event's response)."""
        if isinstance(data.get("usage"), Mapping):
            self.reported = used_of(data)

    def text(self, piece: str | None) -> None:
        if piece:
            self.pieces.append(piece)

    def settle(self, call: Call) -> None:
        """The stream ended: its usage (or count) replaces the estimate its reservation charged."""
        tokens = self.reported
        if tokens is None and call.pacer.charged is not None:
            from shared_core.wire.tokens import estimate_tokens

            tokens = prompt_of(call.operation, call.bodies.get(call.index)) + estimate_tokens("".join(self.pieces))
        call.pacer.used(tokens)


class Attempt(Protocol[T_co]):
    """What the drivers' stream loop needs of one streamed attempt (chat's :class:`StreamAttempt`,
    the Responses API's ``ResponseStreamAttempt``): it decides, the loop sends, reads and sleeps."""

    step: Step | None

    @property
    def stop(self) -> bool: ...

    def feed(self, chunk: bytes) -> Sequence[T_co]: ...

    def failed(self, exc: Exception) -> None: ...

    def end(self) -> Sequence[T_co]: ...

    def close(self) -> None: ...


class StreamAttempt:
    """The state of one streamed attempt. The driver feeds it chunks until :attr:`stop`, hands
    out what :meth:`feed` / :meth:`end` return, reports a network failure to :meth:`failed`,
    and, when :attr:`step` is set, waits ``step.wait`` and starts the next attempt."""

    __slots__ = ("call", "parser", "held", "step", "counted")

    def __init__(self, call: Call, parse: ParseChunk, meta: ResponseMeta) -> None:
        self.call = call
        self.parser = ChunkParser(parse, meta)
        self.held = Held()
        self.counted = StreamUsage()
        self.step: Step | None = None  # set when this attempt failed and another one follows

    @property
    def stop(self) -> bool:
        """Read no further: ``[DONE]`` came, or the attempt failed."""
        return self.parser.done or self.step is not None

    def feed(self, chunk: bytes) -> list[ChatDelta]:
        """The deltas to hand out for a network chunk (none while the preamble is held)."""
        try:
            deltas = self.parser.feed(chunk)
        except (APIStatusError, StreamError) as exc:
            if not self.held.open:
                raise
            self.step = self.call.in_band(exc)
            return []
        if not deltas:
            return deltas
        self._count(deltas)
        out = self.held.take(deltas)
        if out:
            self.call.delivered()
        return out

    def failed(self, exc: Exception) -> None:
        """The network failed mid-stream: raise the stall or cut, or (before anything was handed
        out) set the step of the next attempt."""
        error: StreamError
        if faults.kind_of(exc) == "timeout":
            error = faults.stall_error(
                self.parser.received(), read_timeout=self.call.read_timeout, deadline_capped=self.call.deadline_capped
            )
        else:
            error = self.parser.cut(faults.real_cause(exc))
        if not self.held.open:
            raise error from exc
        self.step = self.call.failed(exc, stream_error=error)

    def end(self) -> list[ChatDelta]:
        """The body ended: the last deltas (an end before ``[DONE]`` counts as a failure)."""
        try:
            tail = self.parser.finish()
        except StreamError as exc:
            if not self.held.open:
                raise
            self.step = self.call.in_band(exc)
            return []
        self.call.delivered()
        self._count(tail)
        self.counted.settle(self.call)
        return self.held.release() + tail

    def _count(self, deltas: list[ChatDelta]) -> None:
        counted = self.counted
        for d in deltas:
            if d.usage is not None:
                counted.usage(d.raw)
            for piece in (d.content, d.reasoning_content, d.refusal, d.text):
                counted.text(piece)
            for t in d.tool_calls:
                counted.text(t.name)
                counted.text(t.arguments)

    def close(self) -> None:
        """The response is closed: a stream abandoned before it said anything frees its target."""
        self.call.abandoned()


__all__ = ["Attempt", "Held", "StreamAttempt", "StreamUsage"]
