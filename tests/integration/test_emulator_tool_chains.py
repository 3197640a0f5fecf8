"""The emulator's agent behaviour when a question orders its steps: one tool call per turn, each
fed by the earlier results (issue 11 §3), on the wire, with no framework in between."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared_core.emulator.app import create_app
from shared_core.emulator.config import ManualClock

H = {"api-key": "azoai-emulator-key"}
CHAT = "/openai/deployments/gpt-5.2/chat/completions?api-version=2024-10-21"


def _tool(name: str, what: str) -> dict[str, Any]:
    params = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    }
    return {
        "type": "function",
        "function": {"name": name, "description": f"{what} two integers a and b.", "parameters": params},
    }


TOOLS = [_tool("add", "Add"), _tool("multiply", "Multiply")]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(clock=ManualClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        yield c


async def _turn(client: httpx.AsyncClient, messages: list[dict[str, Any]]) -> dict[str, Any]:
    r = await client.post(CHAT, headers=H, json={"messages": messages, "tools": TOOLS})
    assert r.status_code == 200, r.text
    message: dict[str, Any] = r.json()["choices"][0]["message"]
    return message


async def test_ordered_steps_are_called_one_per_turn_each_fed_by_the_last(client: httpx.AsyncClient) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What is (3 + 4) times 5? Use add, then multiply."}]
    first = await _turn(client, messages)
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in first["tool_calls"]] == [
        ("add", {"a": 3, "b": 4})
    ]
    messages += [first, {"role": "tool", "tool_call_id": first["tool_calls"][0]["id"], "content": "7"}]
    second = await _turn(client, messages)
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in second["tool_calls"]] == [
        ("multiply", {"a": 7, "b": 5})
    ]
    messages += [second, {"role": "tool", "tool_call_id": second["tool_calls"][0]["id"], "content": "35"}]
    final = await _turn(client, messages)
    assert not final.get("tool_calls") and "35" in final["content"]


async def test_unordered_question_still_gets_parallel_calls(client: httpx.AsyncClient) -> None:
    # no ordering word: both fitting tools in one turn, as before
    message = await _turn(client, [{"role": "user", "content": "Add 2 and 3, and multiply 4 by 6."}])
    assert sorted(c["function"]["name"] for c in message["tool_calls"]) == ["add", "multiply"]


async def test_an_expression_is_worked_innermost_first_and_the_answer_uses_the_results(
    client: httpx.AsyncClient,
) -> None:
    # no ordering words: the parentheses order the work, multiply(2, 4) first, then add(20, 8)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What is 20+(2*4)?"}]
    steps = []
    for result in ("8", "28"):
        message = await _turn(client, messages)
        (call,) = message["tool_calls"]
        steps.append((call["function"]["name"], json.loads(call["function"]["arguments"])))
        messages += [message, {"role": "tool", "tool_call_id": call["id"], "content": result}]
    assert steps == [("multiply", {"a": 2, "b": 4}), ("add", {"a": 20, "b": 8})]
    final = await _turn(client, messages)
    assert not final.get("tool_calls")
    assert final["content"] == "The answer is 28: 2 × 4 = 8, then 20 + 8 = 28."
