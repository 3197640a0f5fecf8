"""Each OpenTelemetry promise, read back from the SDK's in-memory span exporter and metric reader.

Attribute names and values are the GenAI semantic conventions'
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/ and .../gen-ai-metrics/):
span ``{gen_ai.operation.name} {gen_ai.request.model}`` of kind CLIENT, ``gen_ai.provider.name``
``azure.ai.openai``, ``error.type`` on failure, the two client histograms.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from shared_core import ChatRequest, CompletionRequest
from shared_core.errors import APIStatusError
from tests.observe.otel_fakes import Telemetry, chat_answer, client, sse_error, stream_body, streaming
from tests.unit.core_fakes import target

REQ = ChatRequest(messages=[{"role": "user", "content": "Say hello"}])
REGION = {"x-ms-region": "Sweden Central"}


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=chat_answer(), headers=REGION)


def events(span: Any) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == "azoai.attempt"]


def test_chat_span_follows_the_genai_conventions(telemetry: Telemetry) -> None:
    result = client(ok).chat(REQ)
    span = telemetry.only_span()
    assert (span.name, span.kind) == ("chat gpt-5.2", SpanKind.CLIENT)
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "azure.ai.openai",
        "gen_ai.system": "azure.ai.openai",
        "gen_ai.request.model": "gpt-5.2",
        "gen_ai.output.type": "text",
        "server.address": "res.openai.azure.com",
        "azoai.operation": "chat/completions",
        "gen_ai.response.model": "gpt-5.2-2025-12-11",
        "gen_ai.response.id": "chatcmpl-abc",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 3,
        "azoai.attempts": 1,
    }
    assert span.status.status_code is StatusCode.UNSET
    [attempt] = events(span)
    assert attempt["azoai.attempt.outcome"] == "ok"
    assert attempt["http.response.status_code"] == 200
    assert attempt["azure.region"] == "Sweden Central"
    assert attempt["azoai.attempt.target"] == "res.openai.azure.com"
    assert result.meta is not None and result.meta.routing is not None
    assert [a.outcome for a in result.meta.routing.attempts] == ["ok"]


def test_an_attempt_event_carries_what_the_routing_trace_says(telemetry: Telemetry) -> None:
    answers = iter([httpx.Response(503, headers={"retry-after-ms": "250"}), ok(httpx.Request("POST", "/"))])
    result = client(lambda r: next(answers)).chat(REQ)
    assert result.meta is not None
    routing = result.meta.facts()["routing"]
    first, second = events(telemetry.only_span())
    assert first == {
        "azoai.attempt.number": 1,
        "azoai.attempt.target": "res.openai.azure.com",
        "server.address": "res.openai.azure.com",
        "http.response.status_code": 503,
        "azoai.attempt.outcome": "retry",
        "azoai.attempt.reason": "HTTP 503, server asked 0.25 s",
        "azoai.attempt.wait": 0.25,
        "azoai.attempt.duration": routing[0]["duration"],  # rounded as in the adapters' metadata
    }
    assert second == {
        "azoai.attempt.number": 2,
        "azoai.attempt.target": "res.openai.azure.com",
        "server.address": "res.openai.azure.com",
        "http.response.status_code": 200,
        "azure.region": "Sweden Central",
        "azoai.attempt.outcome": "ok",
        "azoai.attempt.duration": routing[1]["duration"],
    }


def test_embeddings_and_completion_spans_name_their_operation(telemetry: Telemetry) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/embeddings"):
            return httpx.Response(
                200,
                json={
                    "object": "list",
                    "model": "text-embedding-3-small",
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                    "usage": {"prompt_tokens": 2, "total_tokens": 2},
                },
            )
        return httpx.Response(
            200,
            json={
                "id": "cmpl-1",
                "object": "text_completion",
                "model": "gpt-35-turbo-instruct",
                "choices": [{"index": 0, "text": "ok", "finish_reason": "length"}],
                "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5},
            },
        )

    c = client(handler)
    c.embed(["hello"], model="text-embedding-3-small")
    c.complete(CompletionRequest(prompt="Say"), model="gpt-35-turbo-instruct")
    embed, complete = telemetry.finished()
    assert embed.name == "embeddings text-embedding-3-small"
    attrs = dict(embed.attributes or {})
    assert (attrs["gen_ai.operation.name"], attrs["gen_ai.usage.input_tokens"]) == ("embeddings", 2)
    assert "gen_ai.usage.output_tokens" not in attrs and "gen_ai.output.type" not in attrs
    assert complete.name == "text_completion gpt-35-turbo-instruct"
    assert dict(complete.attributes or {})["gen_ai.response.finish_reasons"] == ("length",)


def test_image_and_speech_calls_are_generate_content_with_their_output_type(telemetry: Telemetry) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/audio/speech"):
            return httpx.Response(200, content=b"ID3audio", headers={"content-type": "audio/mpeg"})
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": "aGk="}]})

    c = client(handler)
    c.request_json("images/generations", {"prompt": "a cat"}, model="gpt-image-1")
    c.request_json("audio/speech", {"input": "hi", "voice": "alloy"}, model="gpt-4o-mini-tts")
    c.request_json("files", method="GET")  # no model call: no span
    image, speech = telemetry.finished()
    assert image.name == "generate_content gpt-image-1"
    assert dict(image.attributes or {})["gen_ai.output.type"] == "image"
    assert dict(image.attributes or {})["azoai.operation"] == "images/generations"
    assert speech.name == "generate_content gpt-4o-mini-tts"
    assert dict(speech.attributes or {})["gen_ai.output.type"] == "speech"


def test_a_retry_is_an_attempt_event_with_status_reason_and_wait(telemetry: Telemetry) -> None:
    answers = iter([httpx.Response(503, headers={"retry-after-ms": "250"}), ok(httpx.Request("POST", "/"))])
    result = client(lambda r: next(answers)).chat(REQ)
    span = telemetry.only_span()
    first, second = events(span)
    assert first["azoai.attempt.outcome"] == "retry"
    assert first["http.response.status_code"] == 503
    assert first["azoai.attempt.reason"] == "HTTP 503, server asked 0.25 s"
    assert first["azoai.attempt.wait"] == pytest.approx(0.25)
    assert (second["azoai.attempt.number"], second["azoai.attempt.outcome"]) == (2, "ok")
    assert dict(span.attributes or {})["azoai.attempts"] == 2
    assert result.meta is not None
    assert [(a["attempt"], a["status"], a["outcome"]) for a in result.meta.facts()["routing"]] == [
        (1, 503, "retry"),
        (2, 200, "ok"),
    ]


def test_a_failover_names_both_targets_and_the_breaker(telemetry: Telemetry) -> None:
    primary = target("primary", "https://primary.openai.azure.com/openai", deployment="gpt-5.2")
    secondary = target("secondary", "https://secondary.openai.azure.com/openai", deployment="gpt-5.2", weight=0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("primary"):
            return httpx.Response(503)
        return httpx.Response(200, json=chat_answer(), headers={"x-ms-region": "West US"})

    client(handler, primary, secondary).chat(REQ)
    span = telemetry.only_span()
    first, second = events(span)
    assert (first["azoai.attempt.target"], first["azoai.attempt.outcome"]) == ("primary", "failover")
    assert first["azoai.attempt.reason"] == "HTTP 503"
    assert first["azoai.breaker.state"] == "closed"  # one fault of three
    assert (second["azoai.attempt.target"], second["server.address"]) == ("secondary", "secondary.openai.azure.com")
    assert second["azure.region"] == "West US"
    # the span starts on the first target and names the one that answered
    assert dict(span.attributes or {})["server.address"] == "secondary.openai.azure.com"


def test_failure_sets_error_type_status_and_the_duration_metric(telemetry: Telemetry) -> None:
    body = {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}}
    with pytest.raises(APIStatusError) as caught:
        client(lambda r: httpx.Response(404, json=body)).chat(REQ)
    span = telemetry.only_span()
    attrs = dict(span.attributes or {})
    assert attrs["error.type"] == type(caught.value).__qualname__ == "DeploymentNotFoundError"
    assert span.status.status_code is StatusCode.ERROR
    [(point, count, _)] = telemetry.points("gen_ai.client.operation.duration")
    assert count == 1
    assert point == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "azure.ai.openai",
        "gen_ai.request.model": "gpt-5.2",
        "server.address": "res.openai.azure.com",
        "error.type": "DeploymentNotFoundError",
    }
    assert telemetry.points("gen_ai.client.token.usage") == []
    [attempt] = events(span)
    assert (attempt["azoai.attempt.outcome"], attempt["azoai.attempt.reason"]) == ("fail", "not_retryable")


def test_token_usage_metric_per_token_type(telemetry: Telemetry) -> None:
    client(ok).chat(REQ)
    points = {
        p["gen_ai.token.type"]: (count, total) for p, count, total in telemetry.points("gen_ai.client.token.usage")
    }
    assert points == {"input": (1, 11), "output": (1, 3)}
    [(attrs, _, duration)] = telemetry.points("gen_ai.client.operation.duration")
    assert attrs["gen_ai.response.model"] == "gpt-5.2-2025-12-11" and duration >= 0


def test_a_stream_span_ends_at_the_stream_end(telemetry: Telemetry) -> None:
    handler = streaming()
    deltas = client(handler).stream_chat(REQ)
    first = next(d for d in deltas if d.content)
    assert first.content == "Hi" and telemetry.finished() == []  # still open while the stream is read
    rest = list(deltas)
    assert "".join(d.content or "" for d in rest) == " there"
    span = telemetry.only_span()
    attrs = dict(span.attributes or {})
    assert attrs["azoai.stream"] is True
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.response.finish_reasons"]) == ("chatcmpl-s", ("stop",))
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (9, 2)
    assert "azoai.stream.abandoned" not in attrs and "error.type" not in attrs


def test_an_abandoned_stream_ends_its_span(telemetry: Telemetry) -> None:
    handler = streaming("a b c d")
    deltas = client(handler).stream_chat(REQ)
    next(deltas)
    deltas.close()  # type: ignore[attr-defined]
    attrs = dict(telemetry.only_span().attributes or {})
    assert attrs["azoai.stream.abandoned"] is True
    assert "error.type" not in attrs and "gen_ai.response.finish_reasons" not in attrs


def test_async_chat_and_stream_are_observed_alike(telemetry: Telemetry) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if b'"stream":true' in request.content:
            return httpx.Response(200, content=stream_body(), headers={"content-type": "text/event-stream"})
        return ok(request)

    c = client(handler)

    async def run() -> str:
        await c.achat(REQ)
        return "".join([d.content or "" async for d in c.astream_chat(REQ)])

    assert asyncio.run(run()) == "Hi there"
    chat, stream = telemetry.finished()
    assert dict(chat.attributes or {})["gen_ai.usage.output_tokens"] == 3
    assert dict(stream.attributes or {})["gen_ai.usage.output_tokens"] == 2
    assert [e["azoai.attempt.outcome"] for e in events(stream)] == ["ok"]


# ------------------------------------------------------------------------------- content opt-in


def test_content_is_not_recorded_by_default(telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    client(ok).chat(REQ)
    attrs = dict(telemetry.only_span().attributes or {})
    assert not {"gen_ai.input.messages", "gen_ai.output.messages"} & set(attrs)
    assert "Say hello" not in repr(attrs) and "Hello!" not in repr(attrs)


def test_the_standard_env_var_opts_in_to_content(telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    client(ok).chat(REQ)
    attrs = dict(telemetry.only_span().attributes or {})
    assert attrs["gen_ai.input.messages"] == '[{"role": "user", "parts": [{"type": "text", "content": "Say hello"}]}]'
    assert attrs["gen_ai.output.messages"] == (
        '[{"role": "assistant", "parts": [{"type": "text", "content": "Hello!"}], "finish_reason": "stop"}]'
    )


def test_the_setting_opts_in_and_wins_over_the_env_var(telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_core import observe

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    observe.configure(capture_message_content=False)
    client(ok).chat(REQ)
    assert "gen_ai.input.messages" not in dict(telemetry.finished()[0].attributes or {})
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    observe.configure(capture_message_content=True)
    handler = streaming()
    list(client(handler).stream_chat(REQ))
    attrs = dict(telemetry.finished()[1].attributes or {})
    assert attrs["gen_ai.output.messages"] == (
        '[{"role": "assistant", "parts": [{"type": "text", "content": "Hi there"}], "finish_reason": "stop"}]'
    )


def test_a_connection_failure_fails_over_with_no_status(telemetry: Telemetry) -> None:
    primary = target("primary", "https://primary.openai.azure.com/openai", deployment="gpt-5.2")
    secondary = target("secondary", "https://secondary.openai.azure.com/openai", deployment="gpt-5.2", weight=0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("primary"):
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return ok(request)

    result = client(handler, primary, secondary).chat(REQ)
    first, second = events(telemetry.only_span())
    assert "http.response.status_code" not in first
    assert (first["azoai.attempt.outcome"], first["azoai.attempt.reason"]) == (
        "failover",
        "could not connect (ConnectError: [Errno 111] Connection refused)",
    )
    assert second["azoai.attempt.outcome"] == "ok"
    assert result.meta is not None and result.meta.target == "secondary"


def test_a_stream_error_event_before_the_first_token_is_a_retried_attempt(telemetry: Telemetry) -> None:
    failing = {"error": {"code": "server_error", "message": "The server had an error while processing your request."}}
    bodies = iter([sse_error(failing), stream_body()])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=next(bodies), headers={"content-type": "text/event-stream"})

    text = "".join(d.content or "" for d in client(handler).stream_chat(REQ))
    assert text == "Hi there"
    first, second = events(telemetry.only_span())
    assert first["azoai.attempt.outcome"] == "retry"
    assert first["azoai.attempt.reason"].startswith("error event in the stream")
    assert (second["azoai.attempt.number"], second["azoai.attempt.outcome"]) == (2, "ok")


def test_configure_keeps_the_settings_it_is_not_given(telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_core import observe

    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    observe.configure(capture_message_content=True)
    observe.configure(otel=True)
    assert observe.capture_content() is True
    observe.configure(capture_message_content=None)
    assert observe.capture_content() is False
