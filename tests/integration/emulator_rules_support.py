"""Request builders and Azure error shapes shared by the emulator rule tests and their case tables."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from shared_core.emulator import rules
from shared_core.emulator.app import create_app
from shared_core.emulator.config import (
    ManualClock,
    default_deployments,
    make_deployment,
)
from shared_core.emulator.media import png

H = {"api-key": "azoai-emulator-key"}
USER = [{"role": "user", "content": "What is the weather in Paris?"}]
PNG_URL = "data:image/png;base64," + base64.b64encode(png("x")).decode()


def fn(name: str = "get_weather", **extra: Any) -> dict[str, Any]:
    f = {
        "name": name,
        "description": "Get the weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    f.update(extra)
    return {"type": "function", "function": f}


def image(url: str) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": "What is in it?"}, {"type": "image_url", "image_url": {"url": url}}],
        }
    ]


def err(code: str | None, param: str | None, message: str) -> dict[str, Any]:
    return {"message": message, "type": "invalid_request_error", "param": param, "code": code}


KIND = (
    "The chatCompletion operation does not work with the specified model, {}. Please choose different model and try "
    "again. You can learn more about which models can be used with each operation here: "
    "https://go.microsoft.com/fwlink/?linkid=2197993."
)
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
CALL2 = {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
STRICT_RF = {
    "type": "json_schema",
    "json_schema": {
        "name": "a",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "required": ["a"],
            "additionalProperties": False,
        },
    },
}


# operation, deployment, body, expected error object, dated api-version (None: the default)
Case = tuple[str, str, dict[str, Any], dict[str, Any], str | None]


def emulator_app(**changes: Any) -> Any:
    deps = default_deployments() | {
        "old-gpt-4": make_deployment("old-gpt-4", "gpt-4"),
        "ada": make_deployment("ada", "text-embedding-ada-002"),
    }
    return create_app(clock=ManualClock(), deployments=deps, **changes)


async def post(
    client: httpx.AsyncClient, style: str, op: str, dep: str, body: dict[str, Any], version: str | None = None
) -> httpx.Response:
    unscoped = op in ("files", "batches")  # no deployment: /openai/{op} and /openai/v1/{op}
    if "__file__" in body:  # multipart operations: the model goes in a form field on v1
        fields = {k: v for k, v in body.items() if k != "__file__"} | ({"model": dep} if style == "v1" and dep else {})
        url = (
            f"/openai/v1/{op}"
            if style == "v1"
            else f"/openai/{op}?api-version=2024-10-21"
            if unscoped
            else f"/openai/deployments/{dep}/{op}?api-version=2024-10-21"
        )
        return await client.post(url, data=fields, files={"file": body["__file__"]}, headers=H)
    if op == "responses":  # model (= deployment) in the body on both styles; dated from 2025-03-01-preview
        url = (
            "/openai/v1/responses"
            if style == "v1"
            else f"/openai/responses?api-version={version or '2025-04-01-preview'}"
        )
        return await client.post(url, json=body | {"model": dep}, headers=H)
    if unscoped:
        url = f"/openai/v1/{op}" if style == "v1" else f"/openai/{op}?api-version=2024-10-21"
        return await client.post(url, json=body, headers=H)
    if style == "v1":
        return await client.post(f"/openai/v1/{op}", json=body | {"model": dep}, headers=H)
    return await client.post(
        f"/openai/deployments/{dep}/{op}?api-version={version or '2024-10-21'}", json=body, headers=H
    )


async def check_rule(client: httpx.AsyncClient, rule_id: str, case: Case, style: str) -> None:
    """Send a rule's case on one route style and check Azure's answer (v1 serves every api-version feature)."""
    op, dep, body, expected, version = case
    r = await post(client, style, op, dep, body, version)
    if version is not None and style == "v1":  # api-version gates: v1 serves every feature
        assert r.status_code == 200, r.text
        return
    status = next(x.status for x in rules.load() if x.id == rule_id)
    assert r.status_code == status, r.text
    got = r.json()["error"]
    assert {k: got.get(k) for k in expected} == expected
