"""Retries, failovers and waits are logged on ``shared_core.policy``: INFO with the reason, the
target (name, host, deployment) and the wait; DEBUG for details; never a secret."""

from __future__ import annotations

import logging

import httpx
import pytest

from shared_core.errors import AuthenticationError
from shared_core.policy.routing import Router
from shared_core.policy.transport import send_json, stream_deltas
from shared_core.wire.chat import parse_chat_chunk
from tests.unit.test_stream_faults import FAULTS, shared_call
from tests.unit.transport_fakes import CHUNKS, FakeTime, Recorder, err, ok, sse, stream_response, tgt

LOGGER = "shared_core.policy"


def infos(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.INFO]


def test_retry_logged_with_reason_target_and_wait(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    t = FakeTime()
    rec = Recorder(err(429, **{"retry-after-ms": "1500", "retry-after": "2"}), err(503), ok())
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), shared_call([tgt()], Router([1.0]), t))
    assert infos(caplog) == [
        "retrying chat/completions on eastus (eastus.openai.azure.com, deployment chat) in 1.5 s"
        " (attempt 1 failed: HTTP 429 rate limited, server asked 1.5 s)",
        "retrying chat/completions on eastus (eastus.openai.azure.com, deployment chat) in 0.5 s"
        " (attempt 2 failed: HTTP 503)",
    ]


def test_failover_logged_with_both_targets_and_reason(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    t = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("eastus"):
            return FAULTS["stall"]()
        return stream_response(sse(*CHUNKS))

    list(
        stream_deltas(
            httpx.Client(transport=httpx.MockTransport(Recorder(handler))),
            shared_call([tgt("eastus"), tgt("westus")], Router([1.0, 0.0]), t, timeout=5.0),
            parse_chat_chunk,
        )
    )
    assert infos(caplog) == [
        "failing over chat/completions from eastus (eastus.openai.azure.com, deployment chat) to westus"
        " (westus.openai.azure.com, deployment chat) (attempt 2): The stream stalled: no data for 5 s"
        " after 1 chunk(s) received, 0 character(s) of content, 0 tool-call fragment(s), no finish_reason",
    ]


def test_connection_errors_and_breaker_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    t = FakeTime()
    router = Router([1.0, 0.0], failure_threshold=1, clock=t.clock, rng=lambda: 0.0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("eastus"):
            raise httpx.ConnectError("[Errno 111] Connection refused")
        return ok()

    send_json(
        httpx.Client(transport=httpx.MockTransport(Recorder(handler))),
        shared_call([tgt("eastus"), tgt("westus")], router, t),
    )
    assert infos(caplog) == [
        "circuit breaker of eastus (eastus.openai.azure.com, deployment chat) opened for 30 s after repeated faults",
        "failing over chat/completions from eastus (eastus.openai.azure.com, deployment chat) to westus"
        " (westus.openai.azure.com, deployment chat) (attempt 2): could not connect (ConnectError: [Errno 111]"
        " Connection refused)",
    ]


def test_no_secret_in_any_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    t = FakeTime()
    target = tgt(
        key="sekrit-api-key",
        default_headers={"Ocp-Apim-Subscription-Key": "apim-sekrit"},
        default_query={"subscription-key": "query-sekrit"},
    )
    leaky = httpx.ConnectError("failed for https://gw.example.com/openai?subscription-key=query-sekrit&sig=sas-sekrit")
    rec = Recorder(leaky, err(401), err(429, **{"retry-after": "1"}), ok())
    with pytest.raises(AuthenticationError):
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), shared_call([target], Router([1.0]), t))
    rec = Recorder(leaky, err(429, **{"retry-after": "1"}), ok())
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), shared_call([target], Router([1.0]), t))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert "https://gw.example.com/openai?..." in text
    for secret in ("sekrit-api-key", "apim-sekrit", "query-sekrit", "sas-sekrit"):
        assert secret not in text
