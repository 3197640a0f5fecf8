"""The OpenTelemetry SDK on in-memory exporters, registered as an azoai observer for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared_core import observe
from shared_core.observe.otel import OpenTelemetryObserver
from tests.observe.otel_fakes import Telemetry


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    observer = OpenTelemetryObserver(tracer_provider=tracer_provider, meter_provider=meter_provider)
    observe.add_observer(observer)
    try:
        yield Telemetry(exporter, reader)
    finally:
        observe.remove_observer(observer)
        observe.configure(capture_message_content=None)
        meter_provider.shutdown()
        tracer_provider.shutdown()
