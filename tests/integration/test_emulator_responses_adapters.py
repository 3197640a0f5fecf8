"""Agents on the Responses API through both adapters, against the local emulator (loopback).

A LangChain tool loop (``bind_tools``) and a LlamaIndex ``FunctionAgent``, each with two function
tools and Azure's built-in code interpreter, solve "(3 + 4) times 5" in two tool turns, stored
(``previous_response_id``) and stateless (``store=False``, reasoning sent back encrypted). The
emulator answers as Azure does (``tests/integration/test_emulator_responses_tools.py``); the
requests it saw show which conversation state each turn carried.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared_core.emulator import ManualClock, start_in_thread
from shared_core.emulator.server import EmulatorHandle

KEY = "azoai-emulator-key"
CODE = {"type": "code_interpreter", "container": {"type": "auto"}}
QUESTION = "What is (3 + 4) times 5? Use add, then multiply."
STATELESS = {"store": False, "include": ["reasoning.encrypted_content"]}


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers a and b."""
    return a * b


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(clock=ManualClock()) as handle:
        yield handle


class Spy:
    """Keeps the JSON body of every request on its way to the emulator."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def sync(self) -> httpx.Client:
        return httpx.Client(event_hooks={"request": [self._see]})

    def async_(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(event_hooks={"request": [self._asee]})

    def _see(self, request: httpx.Request) -> None:
        self.bodies.append(json.loads(request.read()))

    async def _asee(self, request: httpx.Request) -> None:
        self.bodies.append(json.loads(await request.aread()))


def _check_turns(bodies: list[dict[str, Any]], stateful: bool) -> None:
    assert len(bodies) == 3  # question, after add, after multiply
    assert sorted(t["type"] for t in bodies[0]["tools"]) == ["code_interpreter", "function", "function"]
    last = bodies[2]
    if stateful:
        # the service holds the conversation: only the new tool output travels
        assert last["previous_response_id"].startswith("resp")
        assert [i["type"] for i in last["input"]] == ["function_call_output"]
    else:
        assert "previous_response_id" not in last and last["store"] is False
        kinds = [i.get("type") for i in last["input"]]
        assert kinds.count("function_call_output") == 2
        reasoning = [i for i in last["input"] if i.get("type") == "reasoning"]
        assert reasoning and all(i.get("encrypted_content") for i in reasoning)


@pytest.mark.parametrize("stateful", [True, False], ids=["stored", "stateless"])
def test_langchain_tool_loop_with_a_function_tool_and_a_built_in_tool(emu: EmulatorHandle, stateful: bool) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    from langchain_azoai import AzureChatOpenAI

    spy = Spy()
    opts: dict[str, Any] = {"use_previous_response_id": True} if stateful else dict(STATELESS)
    model = AzureChatOpenAI(
        azure_endpoint=emu.url,
        api_key=KEY,  # type: ignore[arg-type]
        azure_deployment="gpt-5.2",
        api_version="2025-04-01-preview",
        max_retries=0,
        http_client=spy.sync(),
        **opts,
    )
    agent = model.bind_tools([add, multiply, CODE])
    tools = {"add": add, "multiply": multiply}
    messages: list[Any] = [HumanMessage(QUESTION)]
    steps = []
    for _ in range(4):  # bounded: two tool turns, then the answer
        reply = agent.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for tc in reply.tool_calls:
            steps.append((tc["name"], tc["args"]))
            messages.append(ToolMessage(str(tools[tc["name"]](**tc["args"])), tool_call_id=tc["id"]))
    assert steps == [("add", {"a": 3, "b": 4}), ("multiply", {"a": 7, "b": 5})]
    assert "35" in messages[-1].text
    assert "code_interpreter_call" in [b["type"] for b in messages[1].content]
    _check_turns(spy.bodies, stateful)


@pytest.mark.parametrize("stateful", [True, False], ids=["stored", "stateless"])
def test_llamaindex_function_agent_with_a_function_tool_and_a_built_in_tool(
    emu: EmulatorHandle, stateful: bool
) -> None:
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
    from llama_index.core.tools import FunctionTool

    from llamaindex_azoai import AzureOpenAIResponses

    spy = Spy()
    opts: dict[str, Any] = {"track_previous_responses": True} if stateful else dict(STATELESS)
    llm = AzureOpenAIResponses(
        engine="gpt-5.2",
        azure_endpoint=emu.url,
        api_key=KEY,
        api_version="2025-04-01-preview",
        max_retries=0,
        built_in_tools=[CODE],
        http_client=spy.sync(),
        async_http_client=spy.async_(),
        **opts,
    )
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)], llm=llm)

    async def run() -> tuple[str, list[tuple[str, Any]]]:
        handler = agent.run(user_msg=QUESTION)
        steps = []
        async for ev in handler.stream_events():
            if isinstance(ev, ToolCallResult):
                steps.append((ev.tool_name, ev.tool_kwargs))
        return str(await handler), steps

    answer, steps = asyncio.run(run())
    assert steps == [("add", {"a": 3, "b": 4}), ("multiply", {"a": 7, "b": 5})]
    assert "35" in answer
    _check_turns(spy.bodies, stateful)
