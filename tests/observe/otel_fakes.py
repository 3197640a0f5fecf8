"""An OpenTelemetry SDK wired to in-memory exporters, and small Azure fakes to observe."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions
from shared_core.policy.transport import Hooks
from tests.unit.core_fakes import target

if TYPE_CHECKING:  # the subprocess checks import this module where OpenTelemetry must stay unloaded
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Telemetry:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def only_span(self) -> ReadableSpan:
        spans = self.finished()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def points(self, name: str) -> list[tuple[dict[str, Any], int, float]]:
        """(attributes, count, sum) of each histogram point of metric ``name``."""
        data = self.metrics.get_metrics_data()
        out = []
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == name:
                        for p in metric.data.data_points:
                            out.append((dict(p.attributes or {}), p.count, p.sum))  # type: ignore[union-attr]
        return out


NO_WAIT = Hooks(sleep=lambda s: None, asleep=lambda s: _done(), rng=lambda: 0.5)


async def _done() -> None:
    return None


def chat_answer(model: str = "gpt-5.2-2025-12-11", content: str = "Hello!") -> dict[str, Any]:
    """A chat.completion as Azure returns it (shape of the recordings in ../shared/azure-recordings)."""
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
    }


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


def sse_error(event: dict[str, Any]) -> bytes:
    """A 200 stream whose first event is an error (Azure sends these mid-stream)."""
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def stream_body(content: str = "Hi there") -> bytes:
    preamble = {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": []}
    words = content.split(" ")
    chunks = [
        {
            "id": "chatcmpl-s",
            "model": "gpt-5.2-2025-12-11",
            "choices": [{"index": 0, "delta": {"content": w if i == 0 else " " + w}, "finish_reason": None}],
        }
        for i, w in enumerate(words)
    ]
    end = {
        "id": "chatcmpl-s",
        "model": "gpt-5.2-2025-12-11",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    usage = {
        "id": "chatcmpl-s",
        "model": "gpt-5.2-2025-12-11",
        "choices": [],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    return sse(preamble, *chunks, end, usage)


Handler = Callable[[httpx.Request], httpx.Response]


def streaming(content: str = "Hi there") -> Handler:
    """A handler answering every request with the SSE stream of ``content``."""
    return lambda r: httpx.Response(200, content=stream_body(content), headers={"content-type": "text/event-stream"})


def client(handler: Handler, *targets: Any, max_retries: int = 2, deployment: str = "gpt-5.2") -> CoreClient:
    """A CoreClient on ``handler`` (sync and async), targets default to one Azure resource."""
    chosen = targets or (target(deployment=deployment),)
    return CoreClient(
        chosen,
        options=ClientOptions(max_retries=max_retries),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        hooks=NO_WAIT,
    )
