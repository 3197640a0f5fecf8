"""OpenTelemetry for azoai, following the GenAI semantic conventions (needs ``azoai[otel]``).

One CLIENT span per model call, named ``{gen_ai.operation.name} {gen_ai.request.model}``
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/), with ``gen_ai.provider.name``
``azure.ai.openai`` (https://opentelemetry.io/docs/specs/semconv/registry/attributes/gen-ai/),
request and response model, response id, finish reasons, token usage, ``server.address`` /
``server.port`` and ``error.type``; one ``azoai.attempt`` event per HTTP attempt (target, region,
status, outcome, reason, wait, breaker state); the ``gen_ai.client.operation.duration`` and
``gen_ai.client.token.usage`` histograms with the conventions' advisory buckets
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/). Prompts and completions go
into ``gen_ai.input.messages`` / ``gen_ai.output.messages`` only on opt-in.

Used automatically once the application sets a tracer or meter provider (``global_observer``), or
registered explicitly with its own providers: ``add_observer(OpenTelemetryObserver(...))``.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared_core import __version__ as VERSION
from shared_core.observe import Operation, Outcome
from shared_core.observe.calltrace import input_messages
from shared_core.types import Attempt

SCOPE = "azoai"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
#: the conventions' advisory bucket boundaries
DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
#: ``Attempt.as_dict`` key -> event attribute
ATTEMPT_ATTRIBUTES = {
    "attempt": "azoai.attempt.number",
    "target": "azoai.attempt.target",
    "host": "server.address",
    "status": "http.response.status_code",
    "region": "azure.region",
    "outcome": "azoai.attempt.outcome",
    "reason": "azoai.attempt.reason",
    "breaker": "azoai.breaker.state",
    "wait": "azoai.attempt.wait",
    "duration": "azoai.attempt.duration",
}


class OpenTelemetryObserver:
    """Spans, attempt events and the GenAI metrics, on the given providers (the global ones by default)."""

    #: registered by the user, it replaces the automatic observer of the global providers
    replaces_global_otel = True

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self.tracer = trace.get_tracer(SCOPE, VERSION, tracer_provider, schema_url=SCHEMA_URL)
        meter = metrics.get_meter(SCOPE, VERSION, meter_provider, schema_url=SCHEMA_URL)
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )

    def start(self, op: Operation) -> trace.Span:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": op.name,
            "gen_ai.provider.name": op.provider,
            "gen_ai.system": op.provider,  # the attribute's name before semantic conventions 1.37
            "server.address": op.server_address,
            "azoai.operation": op.api,
        }
        if op.request_model:
            attributes["gen_ai.request.model"] = op.request_model
        if op.server_port is not None:
            attributes["server.port"] = op.server_port
        if op.output_type:
            attributes["gen_ai.output.type"] = op.output_type
        if op.stream:
            attributes["azoai.stream"] = True
        name = f"{op.name} {op.request_model}" if op.request_model else op.name
        return self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)

    def attempt(self, state: Any, op: Operation, attempt: Attempt) -> None:
        span: trace.Span = state
        if not span.is_recording():
            return
        # the facts the routing trace gives the adapters' metadata, under the conventions' names
        attributes = {ATTEMPT_ATTRIBUTES[key]: value for key, value in attempt.as_dict().items()}
        attributes["server.address"] = attempt.host.partition(":")[0]
        span.add_event("azoai.attempt", attributes)

    def end(self, state: Any, op: Operation, outcome: Outcome) -> None:
        span: trace.Span = state
        common: dict[str, Any] = {"gen_ai.operation.name": op.name, "gen_ai.provider.name": op.provider}
        if op.request_model:
            common["gen_ai.request.model"] = op.request_model
        if outcome.response_model:
            common["gen_ai.response.model"] = outcome.response_model
        if outcome.server_address:
            common["server.address"] = outcome.server_address
            if outcome.server_port is not None:
                common["server.port"] = outcome.server_port
        error_type = type(outcome.error).__qualname__ if outcome.error is not None else None
        if span.is_recording():
            attributes = dict(common)
            if outcome.response_id:
                attributes["gen_ai.response.id"] = outcome.response_id
            if outcome.finish_reasons:
                attributes["gen_ai.response.finish_reasons"] = list(outcome.finish_reasons)
            if outcome.input_tokens is not None:
                attributes["gen_ai.usage.input_tokens"] = outcome.input_tokens
            if outcome.output_tokens is not None:
                attributes["gen_ai.usage.output_tokens"] = outcome.output_tokens
            attributes["azoai.attempts"] = len(outcome.attempts)
            if outcome.abandoned:
                attributes["azoai.stream.abandoned"] = True
            if op.capture_content:
                messages = input_messages(op.request)
                if messages:
                    attributes["gen_ai.input.messages"] = json.dumps(messages, ensure_ascii=False)
                if outcome.output is not None:
                    attributes["gen_ai.output.messages"] = json.dumps(outcome.output, ensure_ascii=False)
            if error_type is not None:
                attributes["error.type"] = error_type
                span.set_status(Status(StatusCode.ERROR, str(outcome.error)[:500]))
            span.set_attributes(attributes)
        span.end()
        if error_type is not None:
            common["error.type"] = error_type
        self.duration.record(outcome.duration, common)
        if outcome.input_tokens is not None:
            self.tokens.record(outcome.input_tokens, {**common, "gen_ai.token.type": "input"})
        if outcome.output_tokens is not None:
            self.tokens.record(outcome.output_tokens, {**common, "gen_ai.token.type": "output"})


_global: list[OpenTelemetryObserver] = []


def configured() -> bool:
    """Whether the application set a tracer or meter provider (the API's defaults are proxies to no-ops)."""
    tp = trace.get_tracer_provider()
    if not isinstance(tp, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return True
    mp = metrics.get_meter_provider()
    return not isinstance(mp, (metrics.NoOpMeterProvider, _proxy_meter_provider()))


def _proxy_meter_provider() -> type:
    from opentelemetry.metrics import _internal  # the proxy's class has no public name

    return _internal._ProxyMeterProvider


def global_observer() -> OpenTelemetryObserver | None:
    """The observer of the global providers, when the application configured one."""
    if not configured():
        return None
    if not _global:
        _global.append(OpenTelemetryObserver())
    return _global[0]


__all__ = ["DURATION_BUCKETS", "OpenTelemetryObserver", "TOKEN_BUCKETS", "configured", "global_observer"]
