"""``AzureOpenAIResponses`` (LlamaIndex) on the core, against a fake Azure Responses API.

The fake (``tests/responses_adapter_fakes.py``) answers with Azure's shapes and event order.
Covered: chat / stream / async / complete, the blocks llama-index's ``OpenAIResponses`` gives
(text, thinking with the reasoning item, tool calls, built-in tool calls, generated images),
function calling and a ``FunctionAgent`` with a function tool and a built-in tool, stored
(``track_previous_responses``) and stateless (encrypted reasoning) multi-turn, structured output.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llamaindex_azoai import AzureOpenAIResponses
from tests.responses_adapter_fakes import FakeResponses, answer, call, code_interpreter, reasoning, text

CODE_TOOL = {"type": "code_interpreter", "container": {"type": "auto"}}


def llm(fake: FakeResponses, **settings: Any) -> AzureOpenAIResponses:
    clients = fake.clients()
    return AzureOpenAIResponses(
        engine="gpt-5-mini",
        model="gpt-5-mini",
        api_key="k",
        azure_endpoint="https://example.openai.azure.com",
        api_version="2025-04-01-preview",
        max_retries=0,
        http_client=clients["http_client"],
        async_http_client=clients["http_async_client"],
        **settings,
    )


def user(text_: str) -> ChatMessage:
    return ChatMessage(role="user", content=text_)


def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


WEATHER = FunctionTool.from_defaults(get_weather)


def test_chat_sends_a_responses_call_and_gives_thinking_and_text_blocks() -> None:
    fake = FakeResponses(answer("resp_1", reasoning("rs_1", "Greeting.", encrypted="gAAAA-1"), text("msg_1", "Hello!")))
    r = llm(fake, reasoning_options={"effort": "low", "summary": "auto"}, instructions="Be brief.").chat([user("hi")])
    assert fake.requests[0].url.path == "/openai/responses"
    assert fake.bodies[0] == {
        "model": "gpt-5-mini",
        "input": [{"type": "message", "role": "user", "content": "hi"}],
        "instructions": "Be brief.",
        "store": False,
        "reasoning": {"effort": "low", "summary": "auto"},
        "truncation": "disabled",
    }
    thinking, answer_text = r.message.blocks
    assert isinstance(thinking, ThinkingBlock) and isinstance(answer_text, TextBlock)
    assert thinking.content == "Greeting."
    assert thinking.num_tokens == 24
    assert thinking.additional_information == {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAAA-1"}
    assert r.message.content == "Hello!"
    kw = r.additional_kwargs
    assert (kw["prompt_tokens"], kw["completion_tokens"], kw["reasoning_tokens"], kw["cached_tokens"]) == (
        120,
        40,
        24,
        64,
    )
    assert kw["response_id"] == "resp_1"
    assert kw["built_in_tool_calls"] == []
    assert kw["request_id"] == "00000000-0000-4000-8000-00000000abcd"


def test_stream_chat_is_cumulative_with_text_deltas() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", "Hello!")))
    responses = list(llm(fake).stream_chat([user("hi")]))
    assert fake.bodies[0]["stream"] is True
    assert "".join(r.delta or "" for r in responses) == "Hello!"
    assert [r.message.content for r in responses if r.delta] == ["Hel", "Hello!"]
    assert responses[-1].message.content == "Hello!"
    assert responses[-1].additional_kwargs["total_tokens"] == 160


def test_async_chat_stream_and_complete() -> None:
    fake = FakeResponses(*(answer(f"resp_{i}", text(f"msg_{i}", f"answer {i}")) for i in range(4)))
    model = llm(fake)

    async def run() -> list[str]:
        a = await model.achat([user("a")])
        b = [r async for r in await model.astream_chat([user("b")])][-1]
        c = await model.acomplete("c")
        d = model.complete("d")
        return [str(a.message.content), str(b.message.content), c.text, d.text]

    assert asyncio.run(run()) == ["answer 0", "answer 1", "answer 2", "answer 3"]
    assert [b["input"][0]["content"] for b in fake.bodies] == ["a", "b", "c", "d"]


def test_chat_with_tools_and_get_tool_calls() -> None:
    fake = FakeResponses(answer("resp_1", call("fc_1", "call_1", "get_weather", '{"city": "Oslo"}')))
    model = llm(fake, built_in_tools=[CODE_TOOL])
    r = model.chat_with_tools([WEATHER], user_msg="Weather in Oslo?")
    body = fake.bodies[0]
    assert body["tools"][0] == CODE_TOOL
    assert body["tools"][1]["type"] == "function" and body["tools"][1]["name"] == "get_weather"
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False  # chat_with_tools' default, as the anchor sends it
    assert isinstance(r.message.blocks[0], ToolCallBlock)
    (sel,) = model.get_tool_calls_from_response(r)
    assert (sel.tool_id, sel.tool_name, sel.tool_kwargs) == ("call_1", "get_weather", {"city": "Oslo"})


def test_predict_and_call_runs_the_tool() -> None:
    fake = FakeResponses(answer("resp_1", call("fc_1", "call_1", "get_weather", '{"city": "Oslo"}')))
    out = llm(fake).predict_and_call([WEATHER], user_msg="Weather in Oslo?")
    assert str(out) == "sunny in Oslo"


def test_function_agent_with_a_function_tool_and_a_built_in_tool() -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    first = answer(
        "resp_1",
        code_interpreter("ci_1", "print(6*7)", "42\n"),
        call("fc_1", "call_1", "get_weather", '{"city": "Oslo"}'),
    )
    fake = FakeResponses(first, answer("resp_2", text("msg_2", "42, and sunny in Oslo.")))
    agent = FunctionAgent(tools=[WEATHER], llm=llm(fake, built_in_tools=[CODE_TOOL]))

    async def run() -> str:
        return str(await agent.run(user_msg="What is 6*7, and the weather in Oslo?"))

    assert asyncio.run(run()) == "42, and sunny in Oslo."
    turn1, turn2 = fake.bodies
    assert [t["type"] for t in turn1["tools"]] == ["code_interpreter", "function"]
    items = turn2["input"]
    assert {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city": "Oslo"}',
    } in items
    assert {"type": "function_call_output", "call_id": "call_1", "output": "sunny in Oslo"} in items


def test_track_previous_responses_continues_the_stored_conversation() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", "Hi Ann.")), answer("resp_2", text("msg_2", "Ann.")))
    model = llm(fake, track_previous_responses=True)
    assert model.store is True
    first = model.chat([user("I am Ann.")])
    model.chat([user("I am Ann."), first.message, user("Who am I?")])
    assert model.previous_response_id == "resp_2"
    body = fake.bodies[1]
    assert body["previous_response_id"] == "resp_1"
    assert body["store"] is True
    # the service holds the conversation up to its answer: only what follows is sent
    assert body["input"] == [{"type": "message", "role": "user", "content": "Who am I?"}]


def test_stateless_multi_turn_sends_encrypted_reasoning_back() -> None:
    first = answer("resp_1", reasoning("rs_1", "Greeting.", encrypted="gAAAA-1"), text("msg_1", "Hi Ann."))
    fake = FakeResponses(first, answer("resp_2", text("msg_2", "Ann.")))
    model = llm(fake, include=["reasoning.encrypted_content"], reasoning_options={"effort": "low"})
    reply = model.chat([user("I am Ann.")])
    model.chat([user("I am Ann."), reply.message, user("Who am I?")])
    body = fake.bodies[1]
    assert body["store"] is False and "previous_response_id" not in body
    assert body["input"] == [
        {"type": "message", "role": "user", "content": "I am Ann."},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Greeting."}],
            "encrypted_content": "gAAAA-1",
        },
        {"type": "message", "role": "assistant", "content": "Hi Ann."},
        {"type": "message", "role": "user", "content": "Who am I?"},
    ]


class Person(BaseModel):
    name: str
    age: int


def test_structured_predict_uses_text_format() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", json.dumps({"name": "Ann", "age": 30}))))
    person = llm(fake).structured_predict(Person, PromptTemplate("Extract: {t}"), t="Ann is 30")
    assert person == Person(name="Ann", age=30)
    fmt = fake.bodies[0]["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Person", True)


def test_generated_image_is_an_image_block() -> None:
    png = base64.b64encode(b"\x89PNG-bytes").decode()
    item = {"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": png}
    fake = FakeResponses(answer("resp_1", item, text("msg_1", "Here it is.")))
    r = llm(fake, built_in_tools=[{"type": "image_generation"}]).chat([user("draw")])
    images = [b for b in r.message.blocks if isinstance(b, ImageBlock)]
    assert len(images) == 1 and images[0].resolve_image().read() == b"\x89PNG-bytes"
    assert r.additional_kwargs["built_in_tool_calls"] == [item]


def test_stream_structured_predict_streams_partial_objects() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", json.dumps({"name": "Ann", "age": 30}))))
    parts = list(llm(fake).stream_structured_predict(Person, PromptTemplate("Extract: {t}"), t="Ann is 30"))
    assert fake.bodies[0]["stream"] is True and fake.bodies[0]["text"]["format"]["name"] == "Person"
    assert parts[-1] == Person(name="Ann", age=30)
