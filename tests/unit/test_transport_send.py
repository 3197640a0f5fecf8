"""The drivers on the wire (httpx.MockTransport): headers, retries, waits, deadline, 401 replay,
failover, connection errors. Time is a fake clock: nothing sleeps.
"""

from __future__ import annotations

import base64
import itertools
import uuid
from typing import Any

import httpx
import pytest

from shared_core.connection.config import resolve_target
from shared_core.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    DeploymentNotFoundError,
    RateLimitError,
    ServerError,
)
from shared_core.policy.transport import (
    USER_AGENT,
    asend_json,
    safe_url,
    send_json,
)

from .transport_fakes import OK, FakeTime, Recorder, err, make_call, ok, tgt


def test_bytes_on_the_wire_and_meta() -> None:
    t = FakeTime()
    rec = Recorder(ok())
    data, meta = send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    (req,) = rec.requests
    assert (
        str(req.url)
        == "https://eastus.openai.azure.com/openai/deployments/chat/chat/completions?api-version=2024-10-21"
    )
    assert req.method == "POST"
    assert req.headers["api-key"] == "key-one"
    assert req.headers["user-agent"] == USER_AGENT
    assert req.headers["content-type"] == "application/json"
    assert uuid.UUID(req.headers["x-ms-client-request-id"]).version == 4
    assert req.content == b'{"messages":[{"role":"user","content":"hi"}]}'
    assert data == OK
    assert (meta.status, meta.request_id, meta.region, meta.deployment, meta.attempts, meta.target) == (
        200,
        "apim-1",
        "East US",
        "chat",
        1,
        "eastus",
    )
    assert meta.client_request_id == req.headers["x-ms-client-request-id"]
    assert meta.headers["x-ms-region"] == "East US"


def test_retry_after_honoured_same_client_request_id() -> None:
    t = FakeTime()
    rec = Recorder(err(429, **{"retry-after-ms": "1500"}), err(503, **{"retry-after": "2"}), ok())
    _, meta = send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    assert t.sleeps == [1.5, 2.0]
    assert meta.attempts == 3
    ids = {r.headers["x-ms-client-request-id"] for r in rec.requests}
    assert len(ids) == 1 and len(rec.requests) == 3
    assert [r.content for r in rec.requests] == [rec.requests[0].content] * 3


def test_backoff_without_server_wait() -> None:
    t = FakeTime()
    rec = Recorder(err(500), err(502), ok())
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    assert t.sleeps == [0.5, 1.0]


def test_exhausted_retries_raise_typed_error_with_headers() -> None:
    t = FakeTime()
    rec = Recorder(err(500, **{"apim-request-id": "r-9", "x-ms-region": "West US"}))
    with pytest.raises(ServerError) as ei:
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t, max_retries=2))
    e = ei.value
    assert len(rec.requests) == 3 and e.attempts == 3
    assert (e.status, e.request_id, e.region, e.headers["x-ms-region"]) == (500, "r-9", "West US", "West US")
    assert "after 3 attempts" in e.message


@pytest.mark.parametrize("status", [400, 403, 404])
def test_client_errors_not_retried(status: int) -> None:
    t = FakeTime()
    body = {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}}
    rec = Recorder(err(status, body))
    with pytest.raises(Exception) as ei:
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    assert len(rec.requests) == 1 and t.sleeps == []
    if status == 404:
        assert isinstance(ei.value, DeploymentNotFoundError)
        assert "Deployment 'chat' was not found on resource eastus.openai.azure.com" in str(ei.value)


def test_daily_quota_wait_raises_at_once_naming_wait() -> None:
    t = FakeTime()
    rec = Recorder(
        err(429, {"error": {"code": "429", "message": "exceeded token rate limit"}}, **{"retry-after": "86400"})
    )
    with pytest.raises(RateLimitError) as ei:
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    assert len(rec.requests) == 1 and t.sleeps == []
    assert ei.value.retry_after == 86400.0
    assert "86400 s" in str(ei.value) and "max_retry_wait=60" in str(ei.value)


def test_deadline_covers_all_attempts() -> None:
    t = FakeTime()
    rec = Recorder(err(429, **{"retry-after": "2"}))
    with pytest.raises(RateLimitError) as ei:
        send_json(
            httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t, deadline=10.0, max_retries=10)
        )
    # throttled again after the advised 2 s: the wait doubles; a third wait (8 s) would pass 10 s
    assert t.sleeps == [2.0, 4.0] and len(rec.requests) == 3
    assert "deadline (10 s)" in str(ei.value)


def test_deadline_caps_the_attempt_timeout() -> None:
    t = FakeTime()
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        t.now += 3.0
        return err(500)

    with pytest.raises(ServerError):
        send_json(
            httpx.Client(transport=httpx.MockTransport(handler)),
            make_call([tgt()], t, deadline=5.0, timeout=60.0, max_retries=5),
        )
    assert seen[0]["read"] == 5.0
    assert seen[1]["read"] == pytest.approx(1.5)


def test_connection_errors_retried_then_typed() -> None:
    t = FakeTime()
    rec = Recorder(httpx.ConnectError("[Errno -2] Name or service not known"))
    with pytest.raises(APIConnectionError) as ei:
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt(key="sekrit")], t))
    e = ei.value
    assert type(e) is APIConnectionError and e.attempts == 3 and len(rec.requests) == 3
    assert e.url == "https://eastus.openai.azure.com/openai/deployments/chat/chat/completions"
    assert "Name or service not known" in e.message and "HTTPS_PROXY" in e.message
    assert "sekrit" not in e.message and "api-version" not in e.message


def test_timeouts_become_api_timeout_error() -> None:
    t = FakeTime()
    rec = Recorder(httpx.ReadTimeout("timed out"))
    with pytest.raises(APITimeoutError, match="timed out") as ei:
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t, max_retries=1))
    assert ei.value.attempts == 2


def test_401_refresh_and_replay_once_for_tokens() -> None:
    tokens = (f"tok-{n}" for n in itertools.count(1))
    target = resolve_target(
        azure_endpoint="https://r.openai.azure.com",
        deployment="chat",
        azure_ad_token_provider=lambda: next(tokens),
        env={},
    )
    t = FakeTime()
    rec = Recorder(err(401), ok())
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([target], t))
    assert [r.headers["authorization"] for r in rec.requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert t.sleeps == []
    rec = Recorder(err(401))
    with pytest.raises(AuthenticationError, match="Entra ID token"):
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([target], t))
    assert [r.headers["authorization"] for r in rec.requests] == ["Bearer tok-3", "Bearer tok-4"]


def test_401_with_key_not_replayed() -> None:
    t = FakeTime()
    rec = Recorder(err(401))
    with pytest.raises(AuthenticationError, match="API key"):
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    assert len(rec.requests) == 1


def test_failover_between_two_targets() -> None:
    t = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("eastus"):
            return err(503)
        return ok(**{"x-ms-region": "West US"})

    rec = Recorder(handler)
    a, b = tgt("eastus", key="ka"), tgt("westus", key="kb")
    _, meta = send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([a, b], t))
    assert [r.url.host for r in rec.requests] == ["eastus.openai.azure.com", "westus.openai.azure.com"]
    assert [r.headers["api-key"] for r in rec.requests] == ["ka", "kb"]
    assert len({r.headers["x-ms-client-request-id"] for r in rec.requests}) == 1
    assert t.sleeps == []
    assert (meta.target, meta.region, meta.attempts) == ("westus", "West US", 2)


def test_failover_on_connection_error_and_long_429() -> None:
    t = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("eastus"):
            raise httpx.ConnectError("refused")
        if request.url.host.startswith("westus"):
            return err(429, **{"retry-after": "86400"})
        return ok()

    rec = Recorder(handler)
    _, meta = send_json(
        httpx.Client(transport=httpx.MockTransport(rec)),
        make_call([tgt("eastus"), tgt("westus"), tgt("sweden")], t, max_retries=0),
    )
    assert meta.target == "sweden" and meta.attempts == 3 and t.sleeps == []


def test_non_httpx_exception_propagates_unchanged() -> None:
    t = FakeTime()
    rec = Recorder(RuntimeError("bug"))
    with pytest.raises(RuntimeError, match="bug"):
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))


def test_unsupported_protocol_not_retried() -> None:
    t = FakeTime()
    rec = Recorder(httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."))
    with pytest.raises(APIConnectionError, match="Check azure_endpoint"):
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    assert len(rec.requests) == 1


def test_safe_url_drops_query_and_userinfo() -> None:
    assert (
        safe_url("https://u:p@gw.example.com:8443/openai/x?subscription-key=s")
        == "https://gw.example.com:8443/openai/x"
    )


async def test_async_driver_same_decisions() -> None:
    t = FakeTime()
    rec = Recorder(err(429, **{"retry-after": "3"}), err(401), ok())
    tokens = iter(["a", "b", "c"])
    target = resolve_target(
        azure_endpoint="https://r.openai.azure.com",
        deployment="chat",
        azure_ad_token_provider=lambda: next(tokens),
        env={},
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(rec)) as http:
        data, meta = await asend_json(http, make_call([target], t))
    assert data == OK and meta.attempts == 3 and t.sleeps == [3.0]
    assert [r.headers["authorization"] for r in rec.requests] == ["Bearer a", "Bearer b", "Bearer c"]
    assert len({r.headers["x-ms-client-request-id"] for r in rec.requests}) == 1


def test_429_wait_from_message_when_no_header() -> None:
    t = FakeTime()
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation have exceeded token rate limit. Please retry after 7 seconds.",
        }
    }
    rec = Recorder(err(429, body), ok())
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t))
    assert t.sleeps == [7.0]


class AccessToken:
    def __init__(self, token: str, expires_on: int) -> None:
        self.token, self.expires_on = token, expires_on


class FakeAzureCredential:
    """Shaped like an azure-core TokenCredential (get_token(*scopes, claims=...))."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def get_token(self, *scopes: str, claims: str | None = None, **kw: Any) -> AccessToken:
        self.calls.append((scopes[0], claims))
        return AccessToken(f"az-{len(self.calls)}", 4_000_000_000)


def test_401_cae_claims_challenge_passed_to_credential() -> None:
    azcred = FakeAzureCredential()
    target = resolve_target(azure_endpoint="https://r.openai.azure.com", deployment="chat", credential=azcred, env={})
    claims = '{"access":{"nbf":{"essential":true,"value":"1700000000"}}}'
    challenge = f'Bearer realm="", error="insufficient_claims", claims="{base64.b64encode(claims.encode()).decode()}"'
    t = FakeTime()
    rec = Recorder(err(401, **{"www-authenticate": challenge}), ok())
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([target], t))
    assert [r.headers["authorization"] for r in rec.requests] == ["Bearer az-1", "Bearer az-2"]
    assert azcred.calls == [
        ("https://cognitiveservices.azure.com/.default", None),
        ("https://cognitiveservices.azure.com/.default", claims),
    ]


def test_default_headers_kept_user_agent_of_user_wins() -> None:
    t = FakeTime()
    rec = Recorder(ok())
    target = tgt(default_headers={"User-Agent": "myapp/2", "x-team": "search"})
    send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([target], t))
    req = rec.requests[0]
    assert req.headers.get_list("user-agent") == ["myapp/2"] and req.headers["x-team"] == "search"


def test_raw_oserrors_from_custom_transports_are_network_errors() -> None:
    t = FakeTime()
    rec = Recorder(ConnectionResetError("closed without a response"))
    with pytest.raises(APIConnectionError, match="ConnectionResetError: closed without a response") as ei:
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t, max_retries=1))
    assert ei.value.attempts == 2 and type(ei.value) is APIConnectionError
    rec = Recorder(TimeoutError("slow"))
    with pytest.raises(APITimeoutError):
        send_json(httpx.Client(transport=httpx.MockTransport(rec)), make_call([tgt()], t, max_retries=0))
