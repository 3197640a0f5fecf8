"""Streaming: SSE events -> deltas (:class:`ChunkParser`) and deltas -> one result (:class:`StreamAccumulator`).

The parser is what both drivers run per network chunk: decode SSE, stop at ``[DONE]``, turn an
``{"error": ...}`` event inside a 200 into the matching typed error, attach the response metadata
to the first delta, and notice a stream cut before ``[DONE]`` (a :class:`StreamError` that says
what had arrived). The accumulator is what an adapter (or a user) folds the deltas into.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from shared_core.errors import StreamError, UnexpectedResponseError
from shared_core.types import ChatDelta, ChatResult, Choice, ResponseMeta, ToolCall, Usage
from shared_core.wire.shape import ShapeError
from shared_core.wire.shape import kind as kind_of
from shared_core.wire.sse import SSEDecoder, SSEEvent

ParseChunk = Callable[[dict[str, Any]], ChatDelta]
_raw_decode = json.JSONDecoder().raw_decode
_HEAD_MAX = 4096  # bytes of a body without events kept to quote it

_SEVERITY = {"safe": 0, "low": 1, "medium": 2, "high": 3}


class ChunkParser:
    """Bytes of one stream in, :class:`ChatDelta` out. One instance per stream."""

    __slots__ = ("_decoder", "_parse", "_meta", "_where", "_head", "done", "chunks", "_chars", "_tool_frags", "_finish")

    def __init__(self, parse: ParseChunk, meta: ResponseMeta | None = None) -> None:
        self._decoder = SSEDecoder()
        self._parse = parse
        self._meta = meta  # attached to the first delta only, then dropped
        self._where = meta  # kept for error messages
        self._head: bytes | None = b""  # the body's start until the first event (None after it)
        self.done = False
        self.chunks = 0
        self._chars = 0
        self._tool_frags = 0
        self._finish: str | None = None

    def feed(self, data: bytes) -> list[ChatDelta]:
        """Parse a network chunk. Raises the typed error of an in-band ``error`` event."""
        if self.done:
            return []
        if self._head is not None and len(self._head) < _HEAD_MAX:
            self._head += data[:_HEAD_MAX]
        events = self._decoder.feed_data(data)
        if not events:
            return []
        self._head = None
        return self._events(events)

    def finish(self) -> list[ChatDelta]:
        """The body ended: parse what is left; raise :class:`StreamError` if ``[DONE]`` never came."""
        events = [] if self.done else self._decoder.flush_data()
        if events:
            self._head = None
        out = self._events(events) if events else []
        if not self.done:
            if self._head is not None:
                raise self._not_a_stream(self._head)
            raise StreamError(f"The stream ended before [DONE]: {self.received()}. {_CUT_ADVICE}")
        return out

    def cut(self, cause: BaseException) -> StreamError:
        """The error for a connection lost mid-stream (raise it ``from cause``)."""
        kind = type(cause).__name__
        return StreamError(f"The stream was cut ({kind}: {cause}) before [DONE]: {self.received()}. {_CUT_ADVICE}")

    def received(self) -> str:
        """What arrived so far, for error messages."""
        text = (
            f"{self.chunks} chunk(s) received, {self._chars} character(s) of content"
            f", {self._tool_frags} tool-call fragment(s)"
        )
        return text + (f", finish_reason={self._finish!r}" if self._finish else ", no finish_reason")

    def _events(self, events: list[str | SSEEvent]) -> list[ChatDelta]:
        out: list[ChatDelta] = []
        for ev in events:
            if type(ev) is str:
                raw, kind = ev, None
            else:
                assert isinstance(ev, SSEEvent)
                raw, kind = ev.data, ev.event
            if raw == "[DONE]":
                self.done = True
                break
            try:
                # raw_decode skips json.loads' two whitespace regex scans; anything odd takes the slow path
                data, end = _raw_decode(raw)
                if end != len(raw):
                    data = json.loads(raw)
            except (ValueError, RecursionError):
                try:
                    data = json.loads(raw)
                except (ValueError, RecursionError) as exc:
                    problem = "it is JSON nested too deeply" if isinstance(exc, RecursionError) else "it is not JSON"
                    raise self._unexpected(problem, raw) from None
            if type(data) is not dict:
                raise self._unexpected(f"it is {kind_of(data)}, not a JSON object", raw)
            if kind == "error" or ("error" in data and not data.get("choices")):
                from shared_core.wire.diagnose import stream_error_from_event

                raise stream_error_from_event(data, self._meta)
            try:
                delta = self._parse(data)
            except (ShapeError, AttributeError, TypeError, KeyError, IndexError) as exc:
                raise self._unexpected(exc, raw) from None
            self.chunks += 1
            if delta.content:
                self._chars += len(delta.content)
            elif delta.text:
                self._chars += len(delta.text)
            if delta.tool_calls:
                self._tool_frags += len(delta.tool_calls)
            if delta.finish_reason:
                self._finish = delta.finish_reason
            if self._meta is not None:
                delta = dataclasses.replace(delta, meta=self._meta)
                self._meta = None
            out.append(delta)
        return out

    def _not_a_stream(self, head: bytes) -> Exception:
        """A 200 whose body held no event at all: a gateway's JSON error, an HTML page, nothing."""
        from shared_core.wire.diagnose import answer_error, unexpected_answer  # error path only

        try:
            data = json.loads(head)
        except (ValueError, RecursionError):
            data = None
        if type(data) is dict and data.get("error"):
            return answer_error(data, self._where)
        problem = "the body is empty" if not head else "the body holds no server-sent event ('data:' line)"
        return unexpected_answer(problem, self._where, raw=head, expected="an event stream")

    def _unexpected(self, problem: str | Exception, raw: str) -> UnexpectedResponseError:
        from shared_core.wire.diagnose import unexpected_answer  # error path only

        return unexpected_answer(
            problem, self._where, raw=raw, expected="a chunk of the answer", received=self.received()
        )


_CUT_ADVICE = (
    "The connection was probably closed by a proxy or load balancer (idle timeout) or the network;"
    " the partial answer is incomplete, so retry the call"
)


class _ChoiceState:
    __slots__ = (
        "role",
        "content",
        "refusal",
        "reasoning",
        "text",
        "tools",
        "finish",
        "filters",
        "logprobs",
        "seen_content",
    )

    def __init__(self) -> None:
        self.role: str | None = None
        self.content: list[str] = []
        self.refusal: list[str] = []
        self.reasoning: list[str] = []
        self.text: list[str] = []
        self.tools: dict[int, list[Any]] = {}  # index -> [id, name, [argument fragments], type]
        self.finish: str | None = None
        self.filters: dict[str, Any] | None = None
        self.logprobs: dict[str, list[Any]] | None = None
        self.seen_content = False


def merge_filter_results(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    """Merge one chunk's ``content_filter_results`` into the running view: the worst wins."""
    for name, detail in new.items():
        old = into.get(name)
        if not isinstance(detail, Mapping) or not isinstance(old, Mapping):
            if old is None or isinstance(detail, Mapping):
                into[name] = dict(detail) if isinstance(detail, Mapping) else detail
            continue
        merged = dict(old)
        for key, value in detail.items():
            if key in ("filtered", "detected"):
                merged[key] = bool(merged.get(key)) or bool(value)
            elif key == "severity":
                if _SEVERITY.get(str(value), -1) > _SEVERITY.get(str(merged.get(key)), -1):
                    merged[key] = value
            else:
                merged.setdefault(key, value)
        into[name] = merged


class StreamAccumulator:
    """Fold streamed :class:`ChatDelta` s into one :class:`ChatResult`.

    Handles content, refusal, reasoning content, legacy ``text``, several tool calls whose
    arguments arrive in fragments (several per chunk too), ``n > 1`` choices, finish reasons,
    the usage chunk, Azure's first chunk (empty ``choices``, ``prompt_filter_results``: kept) and
    per-choice ``content_filter_results`` (merged, worst severity wins).
    """

    __slots__ = (
        "_id",
        "_model",
        "_created",
        "_fingerprint",
        "_usage",
        "_prompt_filters",
        "_meta",
        "_choices",
        "_service_tier",
        "chunks",
    )

    def __init__(self) -> None:
        self._id = ""
        self._model = ""
        self._created = 0
        self._fingerprint: str | None = None
        self._usage: Usage | None = None
        self._prompt_filters: list[Mapping[str, Any]] = []
        self._meta: ResponseMeta | None = None
        self._choices: dict[int, _ChoiceState] = {}
        self._service_tier: str | None = None
        self.chunks = 0

    def add(self, delta: ChatDelta) -> None:
        """Fold one delta in."""
        self.chunks += 1
        if delta.id and not self._id:
            self._id = delta.id
        if delta.model and not self._model:
            self._model = delta.model
        raw = delta.raw
        if not self._created and raw:
            created = raw.get("created")
            if isinstance(created, int):
                self._created = created
        if self._service_tier is None and raw and raw.get("service_tier"):
            self._service_tier = str(raw["service_tier"])
        if delta.system_fingerprint:
            self._fingerprint = delta.system_fingerprint
        if delta.meta is not None and self._meta is None:
            self._meta = delta.meta
        if delta.prompt_filter_results:
            self._prompt_filters.extend(delta.prompt_filter_results)
        if delta.usage is not None:
            self._usage = delta.usage
        if not _has_choice_payload(delta, raw):
            return
        st = self._choices.get(delta.choice_index)
        if st is None:
            st = self._choices[delta.choice_index] = _ChoiceState()
        if delta.role and st.role is None:
            st.role = delta.role
        if delta.content is not None:
            st.seen_content = True
            if delta.content:
                st.content.append(delta.content)
        if delta.refusal:
            st.refusal.append(delta.refusal)
        if delta.reasoning_content:
            st.reasoning.append(delta.reasoning_content)
        if delta.text:
            st.text.append(delta.text)
        for tc in delta.tool_calls:
            slot = st.tools.get(tc.index)
            if slot is None:
                slot = st.tools[tc.index] = [tc.id, tc.name, [], "function"]
            else:
                if tc.id and not slot[0]:
                    slot[0] = tc.id
                if tc.name and not slot[1]:
                    slot[1] = tc.name
            if tc.arguments:
                slot[2].append(tc.arguments)
        if delta.finish_reason:
            st.finish = delta.finish_reason
        if delta.content_filter_results:
            if st.filters is None:
                st.filters = {}
            merge_filter_results(st.filters, delta.content_filter_results)
        if delta.logprobs:
            if st.logprobs is None:
                st.logprobs = {}
            for key, value in delta.logprobs.items():
                if isinstance(value, list):
                    st.logprobs.setdefault(key, []).extend(value)

    @property
    def content(self) -> str:
        """Content of choice 0 so far (handy for progress displays)."""
        st = self._choices.get(0)
        return "".join(st.content) if st else ""

    def tool_calls(self, choice: int = 0) -> tuple[ToolCall, ...]:
        """The tool calls of one choice assembled so far (cheaper than ``result()`` per chunk)."""
        st = self._choices.get(choice)
        return _tool_calls(st) if st is not None else ()

    def result(self) -> ChatResult:
        """The assembled result, as a non-streamed call would have returned it."""
        choices = []
        for index in sorted(self._choices):
            st = self._choices[index]
            calls = _tool_calls(st)
            text = "".join(st.content)
            refusal = "".join(st.refusal) or None
            content = text if text or (st.seen_content and not calls and refusal is None) else None
            choices.append(
                Choice(
                    index=index,
                    role=st.role or "assistant",
                    content=content,
                    finish_reason=st.finish,
                    tool_calls=calls,
                    refusal=refusal,
                    reasoning_content="".join(st.reasoning) or None,
                    content_filter_results=st.filters,
                    logprobs=st.logprobs,
                    text="".join(st.text) if st.text else None,
                )
            )
        return ChatResult(
            id=self._id,
            model=self._model,
            created=self._created,
            choices=tuple(choices),
            usage=self._usage,
            system_fingerprint=self._fingerprint,
            prompt_filter_results=tuple(self._prompt_filters),
            meta=self._meta,
            raw={"object": "chat.completion", "streamed": True, "chunks": self.chunks},
            service_tier=self._service_tier,
        )


def _tool_calls(st: _ChoiceState) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(id=slot[0] or "", name=slot[1] or "", arguments="".join(slot[2]), type=slot[3])
        for _, slot in sorted(st.tools.items())
    )


def _has_choice_payload(delta: ChatDelta, raw: Mapping[str, Any]) -> bool:
    """False for Azure's preamble and the usage chunk (both have ``choices: []``)."""
    if raw and "choices" in raw:
        return bool(raw["choices"])
    return bool(
        delta.role
        or delta.content is not None
        or delta.refusal
        or delta.reasoning_content
        or delta.tool_calls
        or delta.finish_reason
        or delta.text is not None
        or delta.content_filter_results
    )


__all__ = ["ChunkParser", "ParseChunk", "StreamAccumulator", "merge_filter_results"]
