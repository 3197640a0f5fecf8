"""The trace of one call: its routing record (always) and its observers' events (when any).

:class:`~shared_core.policy.call.Call` tells it of each attempt (:meth:`CallTrace.begin`,
:meth:`CallTrace.answered`, :meth:`CallTrace.close`); the transport functions tell it how the call
ended (:meth:`CallTrace.end`, with the answer's JSON or a stream's folded deltas). Everything an
observer needs is computed only when there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from shared_core.connection.config import Target
from shared_core.observe import Observer, Operation, Outcome, active, capture_content
from shared_core.types import Attempt, ChatDelta, RoutingTrace

log = logging.getLogger("shared_core.observe")

#: azoai operation -> (gen_ai.operation.name, gen_ai.output.type). The GenAI conventions' well-known
#: names (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/): image and audio calls
#: are ``generate_content``, told apart by their output type and by ``azoai.operation``. Files,
#: batches, fine-tuning and model listing are no model calls: they get no span.
GENAI_OPERATIONS: dict[str, tuple[str, str | None]] = {
    "chat/completions": ("chat", "text"),
    "completions": ("text_completion", "text"),
    "responses": ("chat", "text"),
    "embeddings": ("embeddings", None),
    "images/generations": ("generate_content", "image"),
    "images/edits": ("generate_content", "image"),
    "audio/speech": ("generate_content", "speech"),
    "audio/transcriptions": ("generate_content", "text"),
    "audio/translations": ("generate_content", "text"),
}


def _address(target: Target) -> tuple[str, int | None]:
    parts = urlsplit(target.base)
    return parts.hostname or "", parts.port


def _host(target: Target) -> str:
    host, port = _address(target)
    return f"{host}:{port}" if port else host


class CallTrace:
    """The routing record of one call, and the events of its observers."""

    __slots__ = ("routing", "clock", "started", "current", "observers", "states", "op", "stream", "ended", "_fold")

    def __init__(self, operation: str, clock: Callable[[], float], started: float) -> None:
        self.routing = RoutingTrace(operation)
        self.clock = clock
        self.started = started
        self.current: Attempt | None = None
        self.observers: tuple[Observer, ...] = active() if operation.strip("/") in GENAI_OPERATIONS else ()
        self.states: list[Any] = []
        self.op: Operation | None = None
        self.stream = False
        self.ended = False
        self._fold: StreamFold | None = None

    # -- attempts (fed by Call) -------------------------------------------------------------

    def begin(self, number: int, target: Target, deployment: str | None) -> None:
        if self.current is not None:  # an attempt nobody closed (cannot happen; keep the record sane)
            self.close("fail")
        self.current = Attempt(number, target.name, _host(target), self.clock() - self.started)
        self.routing.attempts.append(self.current)
        if self.observers and self.op is None:
            self._start(target, deployment or target.deployment)

    def answered(self, status: int, region: str | None) -> None:
        current = self.current
        if current is not None:
            current.status, current.region = status, region

    def request_body(self, body: Mapping[str, Any] | None) -> None:
        """The request body of the first attempt: kept only when content capture is on."""
        op = self.op
        if op is not None and op.capture_content and op.request is None:
            op.request = body

    def close(self, outcome: str, reason: str | None = None, wait: float = 0.0, breaker: str | None = None) -> None:
        """The current attempt's outcome (a no-op when none is open)."""
        current = self.current
        if current is None:
            return
        self.current = None
        current.outcome, current.reason, current.wait, current.breaker = outcome, reason, wait, breaker
        current.duration = self.clock() - self.started - current.started
        if self.op is not None:
            for observer, state in zip(self.observers, self.states, strict=True):
                _safely(observer.attempt, state, self.op, current)

    # -- the end (fed by the transport functions) -------------------------------------------

    def fold(self) -> StreamFold | None:
        """The fold of a streamed call's deltas, when observed."""
        if self._fold is None and self.op is not None:
            self._fold = StreamFold(self.op.capture_content)
        return self._fold

    def end(self, *, error: BaseException | None = None, answer: Any = None, abandoned: bool = False) -> None:
        """The call ended: with ``error``, with ``answer`` (the parsed JSON), or a stream (folded)."""
        if self.ended:
            return
        self.ended = True
        if self.current is not None:
            self.close("abandoned" if abandoned else ("fail" if error is not None else "ok"))
        op = self.op
        if op is None:
            return
        outcome = Outcome(error=error, abandoned=abandoned, attempts=self.routing.attempts)
        if self._fold is not None:
            self._fold.into(outcome)
        elif isinstance(answer, Mapping):
            summarize(answer, outcome, op.capture_content)
        last = self.routing.attempts[-1] if self.routing.attempts else None
        if last is not None:
            host, _, port = last.host.partition(":")
            outcome.server_address, outcome.server_port = host, int(port) if port else None
        outcome.duration = self.clock() - self.started
        for observer, state in zip(self.observers, self.states, strict=True):
            _safely(observer.end, state, op, outcome)

    def _start(self, target: Target, model: str | None) -> None:
        api = self.routing.operation.strip("/")
        name, output_type = GENAI_OPERATIONS[api]
        address, port = _address(target)
        provider = "openai" if target.kind == "openai" else "azure.ai.openai"
        op = Operation(name, api, provider, model, address, port, output_type, self.stream, capture_content())
        self.op = op
        states = []
        for observer in self.observers:
            try:
                states.append(observer.start(op))
            except Exception:
                log.warning("observer %r failed to start", observer, exc_info=True)
                states.append(None)
        self.states = states


def _safely(fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.warning("observer %r failed", fn, exc_info=True)


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def summarize(data: Mapping[str, Any], out: Outcome, capture: bool) -> None:
    """What a JSON answer says of itself: id, model, finish reasons, usage (content on opt-in)."""
    if isinstance(data.get("id"), str):
        out.response_id = data["id"]
    if isinstance(data.get("model"), str):
        out.response_model = data["model"]
    usage = data.get("usage")
    if isinstance(usage, Mapping):
        # chat/completions/embeddings say prompt_/completion_tokens; images and audio input_/output_tokens
        out.input_tokens = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
        out.output_tokens = _int(usage.get("completion_tokens", usage.get("output_tokens")))
    choices = data.get("choices")
    if isinstance(choices, list):
        out.finish_reasons = tuple(
            c["finish_reason"] for c in choices if isinstance(c, Mapping) and isinstance(c.get("finish_reason"), str)
        )
        if capture:
            out.output = [_output_message(c) for c in choices if isinstance(c, Mapping)]


def _output_message(choice: Mapping[str, Any]) -> dict[str, Any]:
    message = choice.get("message")
    text = message.get("content") if isinstance(message, Mapping) else choice.get("text")
    parts: list[dict[str, Any]] = [{"type": "text", "content": text}] if isinstance(text, str) else []
    if isinstance(message, Mapping):
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                fn = call["function"]
                parts.append(
                    {
                        "type": "tool_call",
                        "id": call.get("id"),
                        "name": fn.get("name"),
                        "arguments": fn.get("arguments"),
                    }
                )
    return {"role": "assistant", "parts": parts, "finish_reason": choice.get("finish_reason") or ""}


def input_messages(request: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """A chat or completions request body as ``gen_ai.input.messages`` (role and parts)."""
    if not request:
        return []
    messages = request.get("messages")
    if isinstance(messages, list):
        out = []
        for m in messages:
            if not isinstance(m, Mapping):
                continue
            content = m.get("content")
            if isinstance(content, str):
                parts: list[dict[str, Any]] = [{"type": "text", "content": content}]
            elif isinstance(content, list):
                parts = [
                    {"type": "text", "content": p.get("text")}
                    for p in content
                    if isinstance(p, Mapping) and p.get("type") == "text"
                ]
            else:
                parts = []
            out.append({"role": m.get("role"), "parts": parts})
        return out
    prompt = request.get("prompt")
    if isinstance(prompt, str):
        return [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
    return []


class StreamFold:
    """A streamed answer folded for its span: ids, finish reasons, usage (content on opt-in)."""

    __slots__ = ("capture", "id", "model", "finish", "usage_in", "usage_out", "texts")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.id: str | None = None
        self.model: str | None = None
        self.finish: dict[int, str] = {}
        self.usage_in: int | None = None
        self.usage_out: int | None = None
        self.texts: dict[int, list[str]] = {}

    def add(self, d: ChatDelta) -> None:
        if d.id and self.id is None:
            self.id = d.id
        if d.model and self.model is None:
            self.model = d.model
        if d.finish_reason:
            self.finish[d.choice_index] = d.finish_reason
        if d.usage is not None:
            self.usage_in, self.usage_out = d.usage.prompt_tokens, d.usage.completion_tokens
        if self.capture:
            text = d.content if d.content is not None else d.text
            if text:
                self.texts.setdefault(d.choice_index, []).append(text)

    def into(self, out: Outcome) -> None:
        out.response_id, out.response_model = self.id, self.model
        out.finish_reasons = tuple(self.finish[i] for i in sorted(self.finish))
        out.input_tokens, out.output_tokens = self.usage_in, self.usage_out
        if self.capture:
            indexes = sorted(set(self.texts) | set(self.finish))
            out.output = [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "".join(self.texts.get(i, ()))}],
                    "finish_reason": self.finish.get(i, ""),
                }
                for i in indexes
            ]


__all__ = ["GENAI_OPERATIONS", "CallTrace", "StreamFold", "input_messages", "summarize"]
