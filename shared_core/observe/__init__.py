"""What azoai tells observers about each call: the :class:`Observer` protocol and its registry.

The policy layer feeds one :class:`~shared_core.observe.calltrace.CallTrace` per call (operation
start, each attempt's outcome, operation end); the trace keeps the routing record that
``ResponseMeta.routing`` carries whether anyone observes or not, and forwards the events to the
active observers: those registered with :func:`add_observer`, plus OpenTelemetry's
(``shared_core.observe.otel``) when the application configured a tracer or meter provider.

Nothing here imports OpenTelemetry: the check for a configured provider looks at ``sys.modules``
first, so a process without the ``otel`` extra (or that never imported it) pays one dict lookup
per call.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared_core.types import Attempt

#: the standard opt-in of the GenAI semantic conventions for prompt and completion content
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@dataclass(slots=True)
class Operation:
    """One logical call as observers see it (GenAI semantic-convention vocabulary)."""

    name: str  # gen_ai.operation.name: chat, text_completion, embeddings, generate_content
    api: str  # azoai's operation: chat/completions, embeddings, images/generations...
    provider: str  # gen_ai.provider.name: azure.ai.openai, or openai for api.openai.com targets
    request_model: str | None  # the deployment called (Azure's model name for a request)
    server_address: str
    server_port: int | None
    output_type: str | None = None  # gen_ai.output.type: text, image, speech
    stream: bool = False
    capture_content: bool = False  # the user opted in to prompt and completion content
    request: Mapping[str, Any] | None = None  # the request body, set only when capture_content


@dataclass(slots=True)
class Outcome:
    """How a call ended: the error, or what its answer said (content only when opted in)."""

    error: BaseException | None = None
    abandoned: bool = False  # a stream the caller stopped reading
    response_id: str | None = None
    response_model: str | None = None
    finish_reasons: tuple[str, ...] = ()
    input_tokens: int | None = None
    output_tokens: int | None = None
    output: list[dict[str, Any]] | None = None  # gen_ai.output.messages, only when capture_content
    server_address: str | None = None  # of the attempt that answered (after a failover)
    server_port: int | None = None
    duration: float = 0.0
    attempts: Sequence[Attempt] = field(default_factory=tuple)


class Observer(Protocol):
    """Receives each observed call: :meth:`start` once, :meth:`attempt` per HTTP attempt (after
    its outcome is known), :meth:`end` once. ``start`` returns the per-call state handed back to
    the other two. Observers must not raise (an exception is logged and dropped)."""

    def start(self, op: Operation) -> Any: ...

    def attempt(self, state: Any, op: Operation, attempt: Attempt) -> None: ...

    def end(self, state: Any, op: Operation, outcome: Outcome) -> None: ...


_observers: list[Observer] = []
_settings: dict[str, bool | None] = {"otel": True, "capture_message_content": None}


def add_observer(observer: Observer) -> None:
    """Observe every call of every client of this process (until :func:`remove_observer`)."""
    if observer not in _observers:
        _observers.append(observer)


def remove_observer(observer: Observer) -> None:
    if observer in _observers:
        _observers.remove(observer)


_UNSET: Any = object()


def configure(*, otel: bool | None = None, capture_message_content: bool | None = _UNSET) -> None:
    """Process-wide settings; a setting left out keeps its value.

    ``otel=False``: no OpenTelemetry telemetry even when a provider is configured (``True``, the
    default: telemetry once the application sets a provider). ``capture_message_content``: record
    prompts and completions in spans; ``None`` (the default) lets the
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` environment variable decide (off unless ``true``)."""
    if otel is not None:
        _settings["otel"] = otel
    if capture_message_content is not _UNSET:
        _settings["capture_message_content"] = capture_message_content


def capture_content() -> bool:
    """Whether prompt and completion content may be recorded (the setting, else the env var)."""
    setting = _settings["capture_message_content"]
    if setting is not None:
        return setting
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in ("true", "1")


def active() -> tuple[Observer, ...]:
    """The observers of a call starting now (cheap when there are none)."""
    if _settings["otel"] and ("opentelemetry.trace" in sys.modules or "opentelemetry.metrics" in sys.modules):
        from shared_core.observe.otel import global_observer

        auto = global_observer()
        # an OpenTelemetry observer the user registered with their own providers replaces it
        if auto is not None and not any(getattr(o, "replaces_global_otel", False) for o in _observers):
            return (*_observers, auto)
    return tuple(_observers)


__all__ = [
    "CAPTURE_ENV",
    "Observer",
    "Operation",
    "Outcome",
    "active",
    "add_observer",
    "capture_content",
    "configure",
    "remove_observer",
]
