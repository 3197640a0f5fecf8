"""The emulator's HTTP surface in-process: routes, auth, api-versions, headers, bad input."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared_core.emulator.app import create_app
from shared_core.emulator.config import ManualClock
from tests._deployments import with_legacy

KEY = "azoai-emulator-key"
DATED = "/openai/deployments/{}/{}?api-version=2024-10-21"
H = {"api-key": KEY}
MSGS = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(deployments=with_legacy(), clock=clock, region="Sweden Central")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        yield c


def jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


async def test_dated_route_answers_with_azure_headers(client: httpx.AsyncClient) -> None:
    r = await client.post(
        DATED.format("gpt-4o-mini", "chat/completions"),
        json={"messages": MSGS},
        headers={**H, "x-ms-client-request-id": "my-id-1"},
    )
    assert r.status_code == 200
    h = r.headers
    assert h["x-ms-region"] == "Sweden Central"
    assert h["x-ms-deployment-name"] == "gpt-4o-mini"
    assert h["x-ms-client-request-id"] == "my-id-1"
    assert h["x-ms-rai-invoked"] == "true"
    assert h["content-type"] == "application/json"
    assert len(h["apim-request-id"]) == 36 and len(h["x-request-id"]) == 36
    assert h["x-ratelimit-limit-tokens"] == "1000000" and h["x-ratelimit-limit-requests"] == "6000"
    assert int(h["x-ratelimit-remaining-tokens"]) < 1000000
    assert h["x-ratelimit-remaining-requests"] == "5999"
    assert h["strict-transport-security"].startswith("max-age=31536000")
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-mini-2024-07-18"
    assert body["choices"][0]["message"]["content"].startswith("This is a deterministic reply")


async def test_v1_route_takes_deployment_from_body_and_key_as_bearer(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/openai/v1/chat/completions",
        json={"model": "gpt-5.2", "messages": MSGS},
        headers={"authorization": f"Bearer {KEY}"},
    )
    assert r.status_code == 200
    assert r.headers["x-ms-deployment-name"] == "gpt-5.2"
    r2 = await client.post(
        "/openai/v1/chat/completions?api-version=preview", json={"model": "gpt-5.2", "messages": MSGS}, headers=H
    )
    assert r2.status_code == 200
    assert r.json()["choices"] == r2.json()["choices"]


async def test_request_ids_are_unique_and_deterministic(clock: ManualClock) -> None:
    async def ids() -> list[str]:
        app = create_app(deployments=with_legacy(), clock=clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
            return [
                (await c.post(DATED.format("gpt-5.2", "chat/completions"), json={"messages": MSGS}, headers=H)).headers[
                    "apim-request-id"
                ]
                for _ in range(3)
            ]

    first, second = await ids(), await ids()
    assert first == second and len(set(first)) == 3


@pytest.mark.parametrize(
    "headers, message",
    [
        ({"api-key": "wrong"}, "Access denied due to invalid subscription key or wrong API endpoint."),
        ({}, "Access denied due to missing subscription key."),
    ],
)
async def test_bad_key_gets_azure_401(client: httpx.AsyncClient, headers: dict[str, str], message: str) -> None:
    r = await client.post(DATED.format("gpt-5.2", "chat/completions"), json={"messages": MSGS}, headers=headers)
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == "401" and err["message"].startswith(message)
    assert set(r.headers) == {"apim-request-id", "content-type", "content-length"}


async def test_bearer_token_audience_and_expiry(client: httpx.AsyncClient, clock: ManualClock) -> None:
    url = DATED.format("gpt-5.2", "chat/completions")
    good = jwt({"aud": "https://cognitiveservices.azure.com", "exp": clock() + 600, "tid": "t"})
    assert (
        await client.post(url, json={"messages": MSGS}, headers={"authorization": f"Bearer {good}"})
    ).status_code == 200
    for token in (
        jwt({"aud": "https://management.azure.com", "exp": clock() + 600}),
        jwt({"aud": "https://cognitiveservices.azure.com", "exp": clock() - 1}),
        "not-a-jwt",
        KEY,
    ):
        r = await client.post(url, json={"messages": MSGS}, headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert r.json()["error"]["message"] == (
            "Unauthorized. Access token is missing, invalid, audience is incorrect "
            "(https://cognitiveservices.azure.com), or have expired."
        )


async def test_configured_audience_is_accepted(clock: ManualClock) -> None:
    app = create_app(deployments=with_legacy(), clock=clock, token_audiences=("https://cognitiveservices.azure.us",))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        tok = jwt({"aud": "https://cognitiveservices.azure.us", "exp": clock() + 60})
        r = await c.post(
            "/openai/v1/embeddings",
            json={"model": "text-embedding-3-small", "input": "x"},
            headers={"authorization": f"Bearer {tok}"},
        )
        assert r.status_code == 200


@pytest.mark.parametrize("query", ["", "?api-version=2099-01-01", "?api-version=v1"])
async def test_dated_route_without_valid_api_version_is_404(client: httpx.AsyncClient, query: str) -> None:
    r = await client.post(f"/openai/deployments/gpt-5.2/chat/completions{query}", json={"messages": MSGS}, headers=H)
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "404", "message": "Resource not found"}}


async def test_v1_route_with_dated_version_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/openai/v1/chat/completions?api-version=2024-10-21", json={"model": "gpt-5.2", "messages": MSGS}, headers=H
    )
    assert r.status_code == 400
    assert r.json() == {"error": {"code": "BadRequest", "message": "API version not supported"}}


async def test_unknown_deployment_dated_404_and_v1_unknown_model(client: httpx.AsyncClient) -> None:
    r = await client.post(DATED.format("nope", "chat/completions"), json={"messages": MSGS}, headers=H)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "DeploymentNotFound"
    assert r.json()["error"]["message"].startswith("The API deployment for this resource does not exist.")
    assert "x-ratelimit-remaining-requests" not in r.headers and r.headers["x-ms-region"] == "Sweden Central"
    r = await client.post("/openai/v1/chat/completions", json={"model": "nope", "messages": MSGS}, headers=H)
    assert r.status_code == 400
    assert r.json() == {
        "error": {"code": "unknown_model", "message": "Unknown model: nope", "details": "Unknown model: nope"}
    }


async def test_wrong_operation_for_kind(client: httpx.AsyncClient) -> None:
    r = await client.post(
        DATED.format("text-embedding-3-small", "chat/completions"), json={"messages": MSGS}, headers=H
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "OperationNotSupported"
    assert err["message"].startswith(
        "The chatCompletion operation does not work with the specified model, text-embedding-3-small."
    )


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post("/openai/deployments/gpt-5.2/assistants?api-version=2024-10-21", json={}, headers=H)
    assert r.status_code == 404 and r.json()["error"]["message"] == "Resource not found"


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    r = await client.post(
        DATED.format("gpt-5.2", "chat/completions"),
        content=b"{not json",
        headers={**H, "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("We could not parse the JSON body of your request.")


async def test_wrong_content_type(client: httpx.AsyncClient) -> None:
    r = await client.post(
        DATED.format("gpt-5.2", "chat/completions"), content=b"hello", headers={**H, "content-type": "text/plain"}
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Unsupported content type: 'text/plain'.")


@pytest.mark.parametrize(
    "body, param, code, message",
    [
        ({}, "messages", "missing_required_parameter", "Missing required parameter: 'messages'."),
        ({"messages": []}, "messages", None, "[] is too short - 'messages'"),
        (
            {"messages": [{"role": "robot", "content": "x"}]},
            "messages[0].role",
            "invalid_value",
            "Invalid value: 'robot'.",
        ),
        ({"messages": MSGS, "temperature": 3}, "temperature", "invalid_value", "Invalid 'temperature'"),
        ({"messages": MSGS, "tool_choice": "auto"}, "tool_choice", None, "Invalid value for 'tool_choice'"),
    ],
)
async def test_bad_chat_input(
    client: httpx.AsyncClient, body: dict[str, Any], param: str, code: str | None, message: str
) -> None:
    r = await client.post(DATED.format("gpt-5.2", "chat/completions"), json=body, headers=H)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == param and err["code"] == code and err["message"].startswith(message)
    assert err["type"] == "invalid_request_error"


async def test_unknown_parameter(client: httpx.AsyncClient) -> None:
    r = await client.post(
        DATED.format("gpt-5.2", "chat/completions"), json={"messages": MSGS, "colour": "red"}, headers=H
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Unrecognized request argument supplied: colour"


async def test_json_schema_needs_recent_api_version(client: httpx.AsyncClient) -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    r = await client.post(
        "/openai/deployments/gpt-5.2/chat/completions?api-version=2024-06-01",
        json={"messages": MSGS, "response_format": rf},
        headers=H,
    )
    assert r.status_code == 400
    assert "2024-08-01-preview and later" in r.json()["error"]["message"]


async def test_double_slash_path_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "http://emu//openai/deployments/gpt-5.2/chat/completions?api-version=2024-10-21",
        json={"messages": MSGS},
        headers=H,
    )
    assert r.status_code == 200
