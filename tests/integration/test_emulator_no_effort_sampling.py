"""gpt-5.1 and gpt-5.2 take temperature, top_p and logprobs at reasoning effort ``none`` only.

Source: OpenAI's "Using GPT-5.2" guide, "GPT-5.2 parameter compatibility": these parameters are "only
supported when using GPT-5.2 with reasoning effort set to none"; "Requests to GPT-5.2 or GPT-5.1 with
any other reasoning effort setting, or to older GPT-5 models (e.g., gpt-5, gpt-5-mini, or gpt-5-nano)
that include these fields will raise an error" (gpt-5.1 likewise: vercel/ai#10932). ``none`` is
their default effort (Learn ReasoningEffort: "gpt-5.1 defaults to none"; the guide for gpt-5.2).
The refusals are Azure's answers quoted in docs/emulator-rules.md (rows
``chat.reasoning.sampling_default_only``, ``chat.reasoning.penalties_logprobs``, ``responses.sampling``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared_core.emulator.app import create_app
from shared_core.emulator.config import ManualClock, make_deployment

from .emulator_rules_support import USER, post

DEPLOYMENTS = ("gpt-5.1", "gpt-5.2", "gpt-5-mini")


async def _post(style: str, op: str, dep: str, body: dict[str, Any]) -> httpx.Response:
    app = create_app(clock=ManualClock(), deployments={d: make_deployment(d, d) for d in DEPLOYMENTS})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        return await post(c, style, op, dep, body)


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize(
    ("dep", "effort", "taken"),
    [
        ("gpt-5.2", "none", True),
        ("gpt-5.2", None, True),  # none is gpt-5.2's default
        ("gpt-5.1", "none", True),
        ("gpt-5.2", "low", False),
        ("gpt-5.1", "medium", False),
        ("gpt-5-mini", None, False),
    ],
)
async def test_chat_sampling_at_reasoning_effort_none(style: str, dep: str, effort: str | None, taken: bool) -> None:
    body: dict[str, Any] = {"messages": USER, "temperature": 0.2, "top_p": 0.5, "logprobs": True, "top_logprobs": 2}
    if effort is not None:
        body["reasoning_effort"] = effort
    r = await _post(style, "chat/completions", dep, body)
    if taken:
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["logprobs"]["content"]
    else:
        assert r.status_code == 400
        assert r.json()["error"] == {
            "message": "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1)"
            " value is supported.",
            "type": "invalid_request_error",
            "param": "temperature",
            "code": "unsupported_value",
        }


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_chat_penalties_stay_refused_at_none(style: str) -> None:
    body = {"messages": USER, "reasoning_effort": "none", "presence_penalty": 0.5}
    r = await _post(style, "chat/completions", "gpt-5.2", body)
    assert r.status_code == 400 and r.json()["error"]["param"] == "presence_penalty"


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize(("effort", "status"), [("none", 200), ("low", 400)])
async def test_responses_temperature_at_reasoning_effort_none(style: str, effort: str, status: int) -> None:
    body = {"input": "Name the capital of France.", "temperature": 0.2, "reasoning": {"effort": effort}}
    r = await _post(style, "responses", "gpt-5.2", body)
    assert r.status_code == status, r.text
    if status == 400:
        assert r.json()["error"]["message"] == "Unsupported parameter: 'temperature' is not supported with this model."
