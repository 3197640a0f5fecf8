"""Responses API streams: SSE bytes -> :class:`ResponseEvent` s -> one :class:`ResponsesResult`.

Event names and fields: OpenAI's ``ResponseStreamEvent`` union (openai-openapi) and the real Azure
streams in ``../shared/azure-recordings`` (``response.created`` .. ``response.completed``, each with
a ``sequence_number``; no ``[DONE]`` line: a stream ends after its terminal event, and
``content_filters`` is null in ``response.created`` on Azure). An ``error`` event raises the typed
error (its fields are top-level: ``code``, ``message``, ``param``). A body that ends before a
terminal event is a cut stream.

``sequence_number`` makes a dropped stream resumable (``GET /responses/{id}?stream=true&
starting_after=N``, Learn "Background mode"): the parser drops every event at or below the last
number it handed out, so a resumed stream never repeats text even if the server replays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared_core.errors import StreamError, UnexpectedResponseError
from shared_core.types import ResponseMeta
from shared_core.types_responses import (
    FunctionCallItem,
    OutputItem,
    OutputMessage,
    ReasoningItem,
    ResponseEvent,
    ResponsesResult,
    ToolItem,
)
from shared_core.wire.responses import parse_item, parse_response
from shared_core.wire.shape import ShapeError
from shared_core.wire.sse import SSEDecoder, SSEEvent

#: events that end a stream (the response is in a final state)
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed", "response.cancelled"})
#: events that carry a whole response object
_RESPONSE_EVENTS = TERMINAL_EVENTS | {"response.created", "response.in_progress", "response.queued"}
_HEAD_MAX = 4096


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def parse_event(data: Mapping[str, Any], meta: ResponseMeta | None = None) -> ResponseEvent:
    """One decoded event object as :class:`ResponseEvent` (any ``type``: unknown ones keep ``raw``)."""
    kind = data.get("type")
    if type(kind) is not str:
        raise ShapeError("the event has no 'type'")
    ev = ResponseEvent(
        type=kind,
        sequence_number=_int(data.get("sequence_number")),
        output_index=_int(data.get("output_index")),
        item_id=_str(data.get("item_id")),
        content_index=_int(data.get("content_index")),
        summary_index=_int(data.get("summary_index")),
        delta=_str(data.get("delta")),
        raw=data,
    )
    if kind in _RESPONSE_EVENTS:
        response = data.get("response")
        if isinstance(response, Mapping):
            ev.response = parse_response(response, meta)
    elif kind.startswith("response.output_item."):
        item = data.get("item")
        if isinstance(item, Mapping):
            ev.item = parse_item(item)
    elif kind.endswith(".done"):
        ev.text = _str(data.get("text"))
        if ev.text is None:
            ev.text = _str(data.get("arguments")) or _str(data.get("refusal"))
    return ev


class ResponseEventParser:
    """Bytes of one Responses stream in, events out. ``starting_after``: drop events numbered at
    or below it (a resumed stream). One instance per HTTP response."""

    __slots__ = ("_decoder", "_meta", "_where", "_head", "done", "events", "chars", "last_sequence", "kinds")

    def __init__(self, meta: ResponseMeta | None = None, *, starting_after: int | None = None) -> None:
        self._decoder = SSEDecoder()
        self._meta = meta  # attached to the first event handed out
        self._where = meta
        self._head: bytes | None = b""
        self.done = False
        self.events = 0
        self.chars = 0
        self.last_sequence = starting_after
        self.kinds: set[str] = set()

    def feed(self, data: bytes) -> list[ResponseEvent]:
        """Parse a network chunk. Raises the typed error of an ``error`` event."""
        if self.done:
            return []
        if self._head is not None and len(self._head) < _HEAD_MAX:
            self._head += data[:_HEAD_MAX]
        events = self._decoder.feed(data)
        if not events:
            return []
        self._head = None
        return self._events(events)

    def finish(self) -> list[ResponseEvent]:
        """The body ended: the last events; :class:`StreamError` when no terminal event came."""
        out = [] if self.done else self._events(self._decoder.flush())
        if out:
            self._head = None
        if not self.done:
            if self._head is not None and self.events == 0:
                raise self._not_a_stream(self._head)
            raise StreamError(f"The Responses stream ended before its final event: {self.received()}. {_CUT_ADVICE}")
        return out

    def cut(self, cause: BaseException) -> StreamError:
        kind = type(cause).__name__
        return StreamError(
            f"The Responses stream was cut ({kind}: {cause}) before its final event: {self.received()}. {_CUT_ADVICE}"
        )

    def received(self) -> str:
        last = f", last sequence_number {self.last_sequence}" if self.last_sequence is not None else ""
        return f"{self.events} event(s) received, {self.chars} character(s) of text{last}"

    def _events(self, events: list[SSEEvent]) -> list[ResponseEvent]:
        out: list[ResponseEvent] = []
        for sse in events:
            raw = sse.data
            if raw == "[DONE]":  # OpenAI-compatible gateways may add it
                continue
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError):
                raise self._unexpected("it is not JSON", raw) from None
            if type(data) is not dict:
                raise self._unexpected("it is not a JSON object", raw)
            if data.get("type") == "error" or sse.event == "error" or ("error" in data and "type" not in data):
                from shared_core.wire.diagnose import stream_error_from_event  # error path only

                inner = data.get("error")
                err: Mapping[str, Any] = inner if isinstance(inner, Mapping) else data
                raise stream_error_from_event({"error": {k: v for k, v in err.items() if k != "type"}}, self._where)
            try:
                ev = parse_event(data, self._where)
            except (ShapeError, UnexpectedResponseError, AttributeError, TypeError) as exc:
                raise self._unexpected(str(exc), raw) from None
            seq = ev.sequence_number
            if seq is not None:
                if self.last_sequence is not None and seq <= self.last_sequence:
                    continue  # already handed out before a resume
                self.last_sequence = seq
            self.events += 1
            self.kinds.add(ev.type)
            if ev.delta and ev.type.endswith("text.delta"):
                self.chars += len(ev.delta)
            if self._meta is not None:
                ev.meta = self._meta
                self._meta = None
            out.append(ev)
            if ev.type in TERMINAL_EVENTS:
                self.done = True
                break
        return out

    def _not_a_stream(self, head: bytes) -> Exception:
        from shared_core.wire.diagnose import answer_error, unexpected_answer  # error path only

        try:
            data = json.loads(head)
        except (ValueError, RecursionError):
            data = None
        if type(data) is dict and data.get("error"):
            return answer_error(data, self._where)
        problem = "the body is empty" if not head else "the body holds no server-sent event"
        return unexpected_answer(problem, self._where, raw=head, expected="an event stream")

    def _unexpected(self, problem: str, raw: str) -> UnexpectedResponseError:
        from shared_core.wire.diagnose import unexpected_answer  # error path only

        return unexpected_answer(problem, self._where, raw=raw, expected="a Responses event", received=self.received())


_CUT_ADVICE = (
    "A proxy, load balancer or the network probably closed the connection; the partial answer is"
    " incomplete. A background response (background=True) can be resumed where it stopped"
    " (resume_response_stream with starting_after); otherwise retry the call"
)

#: events after which the stream has said something (the preamble is created / in_progress / queued)
_PREAMBLE = frozenset({"response.created", "response.in_progress", "response.queued"})


def says_something(ev: ResponseEvent) -> bool:
    """False for the preamble events, which a retry may safely discard."""
    return ev.type not in _PREAMBLE


class ResponseStreamAccumulator:
    """Fold :class:`ResponseEvent` s into one :class:`ResponsesResult`.

    The terminal event's response is the answer when it came (with the first event's ``meta``);
    otherwise (a stream cut or still running) the result is assembled from the item and delta
    events so far, with the last known status.
    """

    __slots__ = ("_base", "_final", "_meta", "_items", "_text", "_args", "_summary", "_refusal", "events")

    def __init__(self) -> None:
        self._base: ResponsesResult | None = None
        self._final: ResponsesResult | None = None
        self._meta: ResponseMeta | None = None
        self._items: dict[int, OutputItem] = {}
        self._text: dict[int, list[str]] = {}
        self._args: dict[int, list[str]] = {}
        self._summary: dict[int, dict[int, list[str]]] = {}
        self._refusal: dict[int, list[str]] = {}
        self.events = 0

    def add(self, ev: ResponseEvent) -> None:
        self.events += 1
        if ev.meta is not None and self._meta is None:
            self._meta = ev.meta
        if ev.response is not None:
            if ev.type in TERMINAL_EVENTS:
                self._final = ev.response
            else:
                self._base = ev.response
            return
        i = ev.output_index if ev.output_index is not None else 0
        t = ev.type
        if ev.item is not None:
            self._items[i] = ev.item
        elif t == "response.output_text.delta" and ev.delta:
            self._text.setdefault(i, []).append(ev.delta)
        elif t == "response.function_call_arguments.delta" and ev.delta:
            self._args.setdefault(i, []).append(ev.delta)
        elif t == "response.reasoning_summary_text.delta" and ev.delta:
            self._summary.setdefault(i, {}).setdefault(ev.summary_index or 0, []).append(ev.delta)
        elif t == "response.refusal.delta" and ev.delta:
            self._refusal.setdefault(i, []).append(ev.delta)

    @property
    def text(self) -> str:
        """The output text so far (progress displays)."""
        return "".join("".join(parts) for _, parts in sorted(self._text.items()))

    @property
    def response_id(self) -> str | None:
        r = self._final or self._base
        return r.id if r is not None else None

    def result(self) -> ResponsesResult:
        """The assembled result, as the non-streamed call would have returned it."""
        import dataclasses

        if self._final is not None:
            return dataclasses.replace(self._final, meta=self._meta)
        base = self._base
        output = tuple(self._item(i) for i in sorted(set(self._items) | set(self._text) | set(self._args)))
        return ResponsesResult(
            id=base.id if base else "",
            status=base.status if base else "in_progress",
            model=base.model if base else "",
            output=output,
            usage=None,
            created_at=base.created_at if base else None,
            previous_response_id=base.previous_response_id if base else None,
            background=base.background if base else None,
            meta=self._meta,
            raw={"object": "response", "streamed": True, "events": self.events},
        )

    def _item(self, i: int) -> OutputItem:
        import dataclasses

        item = self._items.get(i)
        text = "".join(self._text.get(i, ()))
        if item is None:
            if i in self._args:
                return FunctionCallItem(id="", call_id="", name="", arguments="".join(self._args[i]))
            return OutputMessage(id="", status="in_progress", role="assistant", text=text)
        if isinstance(item, OutputMessage) and not item.text and (text or i in self._refusal):
            return dataclasses.replace(item, text=text, refusal="".join(self._refusal.get(i, ())) or item.refusal)
        if isinstance(item, FunctionCallItem) and not item.arguments and i in self._args:
            return dataclasses.replace(item, arguments="".join(self._args[i]))
        if isinstance(item, ReasoningItem) and not item.summary and i in self._summary:
            parts = self._summary[i]
            return dataclasses.replace(item, summary=tuple("".join(parts[k]) for k in sorted(parts)))
        return item


__all__ = [
    "ResponseEventParser",
    "ResponseStreamAccumulator",
    "TERMINAL_EVENTS",
    "ToolItem",
    "parse_event",
    "says_something",
]
