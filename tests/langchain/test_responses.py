"""``AzureChatOpenAI`` on the Responses API through the core, against a fake Azure.

The fake (``tests/responses_adapter_fakes.py``) answers with Azure's shapes and event order; the
expected messages come from langchain-openai's ``ChatOpenAI`` given the same answer, or from the
answer itself. Covered: an agent loop with a function tool and a built-in tool, stateful
(``previous_response_id``) and stateless (encrypted reasoning) multi-turn, streaming, ``"v1"``
blocks, structured output, usage with reasoning and cached tokens, and the settings refused.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from pydantic import BaseModel

from langchain_azoai import AzureChatOpenAI
from shared_core.errors import ConfigurationError
from tests.responses_adapter_fakes import (
    USAGE,
    FakeResponses,
    answer,
    call,
    code_interpreter,
    reasoning,
    text,
)

CODE_TOOL = {"type": "code_interpreter", "container": {"type": "auto"}}


def model(fake: FakeResponses, **settings: Any) -> AzureChatOpenAI:
    settings.setdefault("model", "gpt-5-mini")
    return AzureChatOpenAI(
        azure_deployment="gpt-5-mini",
        api_key="k",  # type: ignore[arg-type]
        azure_endpoint="https://example.openai.azure.com",
        api_version="2025-04-01-preview",
        max_retries=0,
        **fake.clients(),
        **settings,
    )


def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


def test_invoke_goes_to_the_responses_route_with_usage_and_azure_facts() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", "Hello!")))
    msg = model(fake, use_responses_api=True).invoke("hi")
    assert fake.requests[0].url.path == "/openai/responses"
    assert fake.requests[0].url.params["api-version"] == "2025-04-01-preview"
    assert fake.bodies[0] == {"model": "gpt-5-mini", "input": [{"role": "user", "content": "hi", "type": "message"}]}
    assert msg.text == "Hello!"
    assert msg.id == "resp_1"
    assert msg.usage_metadata == {
        "input_tokens": 120,
        "output_tokens": 40,
        "total_tokens": 160,
        "input_token_details": {"cache_read": 64},
        "output_token_details": {"reasoning": 24},
    }
    assert msg.response_metadata["request_id"] == "00000000-0000-4000-8000-00000000abcd"
    assert msg.response_metadata["model_provider"] == "openai"
    assert msg.response_metadata["status"] == "completed"


def test_agent_loop_with_a_function_tool_and_a_built_in_tool() -> None:
    first = answer(
        "resp_1",
        code_interpreter("ci_1", "print(6*7)", "42\n"),
        call("fc_1", "call_1", "get_weather", '{"city": "Oslo"}'),
    )
    fake = FakeResponses(first, answer("resp_2", text("msg_2", "42, and sunny in Oslo.")))
    agent = model(fake).bind_tools([get_weather, CODE_TOOL])
    messages: list[Any] = [HumanMessage("What is 6*7, and the weather in Oslo?")]
    for _ in range(3):  # bounded: the agent ends in two turns
        reply = agent.invoke(messages)
        assert isinstance(reply, AIMessage)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for tc in reply.tool_calls:
            messages.append(ToolMessage(get_weather(**tc["args"]), tool_call_id=tc["id"]))
    assert messages[-1].text == "42, and sunny in Oslo."
    turn1, turn2 = fake.bodies
    # a built-in tool in the call selects the Responses API; function tools go flat
    assert turn1["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather in a city.",
            "parameters": {"properties": {"city": {"type": "string"}}, "required": ["city"], "type": "object"},
        },
        CODE_TOOL,
    ]
    first_reply = messages[1]
    assert [b["type"] for b in first_reply.content] == ["code_interpreter_call", "function_call"]
    assert first_reply.tool_calls == [
        {"name": "get_weather", "args": {"city": "Oslo"}, "id": "call_1", "type": "tool_call"}
    ]
    # the second turn replays the server tool's call, the function call and its output
    assert turn2["input"][1:] == [
        code_interpreter("ci_1", "print(6*7)", "42\n"),
        call("fc_1", "call_1", "get_weather", '{"city": "Oslo"}'),
        {"type": "function_call_output", "output": "sunny in Oslo", "call_id": "call_1"},
    ]


def test_stateful_multi_turn_sends_previous_response_id_and_only_new_messages() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", "Hi Ann.")), answer("resp_2", text("msg_2", "Ann.")))
    llm = model(fake, use_previous_response_id=True)
    history: list[Any] = [HumanMessage("I am Ann.")]
    history.append(llm.invoke(history))
    history.append(HumanMessage("Who am I?"))
    assert llm.invoke(history).text == "Ann."
    assert fake.bodies[1] == {
        "model": "gpt-5-mini",
        "previous_response_id": "resp_1",
        "input": [{"role": "user", "content": "Who am I?", "type": "message"}],
    }


def test_stateless_multi_turn_replays_encrypted_reasoning() -> None:
    first = answer("resp_1", reasoning("rs_1", "Greeting.", encrypted="gAAAA-1"), text("msg_1", "Hi Ann."), store=False)
    fake = FakeResponses(first, answer("resp_2", text("msg_2", "Ann."), store=False))
    llm = model(
        fake, store=False, include=["reasoning.encrypted_content"], reasoning={"effort": "low", "summary": "auto"}
    )
    history: list[Any] = [HumanMessage("I am Ann.")]
    history.append(llm.invoke(history))
    history.append(HumanMessage("Who am I?"))
    llm.invoke(history)
    body = fake.bodies[1]
    assert body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert body["input"] == [
        {"role": "user", "content": "I am Ann.", "type": "message"},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Greeting."}],
            "encrypted_content": "gAAAA-1",
        },
        # not stored: the message's id would not resolve, so it is left out
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi Ann.", "annotations": []}],
        },
        {"role": "user", "content": "Who am I?", "type": "message"},
    ]


def _anchor(response: dict[str, Any], stream: bool, **settings: Any) -> AIMessage:
    """What langchain-openai's ChatOpenAI makes of the same answer (served by the same fake)."""
    from langchain_openai import ChatOpenAI

    fake = FakeResponses(response)
    anchor = ChatOpenAI(
        model="gpt-5-mini",
        api_key="k",  # type: ignore[arg-type]
        base_url="http://127.0.0.1:9/openai/v1",
        http_client=httpx.Client(transport=fake.transport()),
        max_retries=0,
        **settings,
    )
    if stream:
        chunks = list(anchor.stream("hi"))
        total = chunks[0]
        for c in chunks[1:]:
            total = total + c
        return AIMessage(
            **{k: v for k, v in total.model_dump().items() if k not in ("type", "tool_call_chunks", "chunk_position")}
        )
    return anchor.invoke("hi")


RICH = answer(
    "resp_9",
    reasoning("rs_9", "Thinking about it."),
    text(
        "msg_9",
        "The answer.",
        [
            {
                "type": "url_citation",
                "url": "https://learn.microsoft.com",
                "title": "Learn",
                "start_index": 0,
                "end_index": 3,
            }
        ],
    ),
    code_interpreter("ci_9", "1+1", "2\n"),
    call("fc_9", "call_9", "get_weather", '{"city": "Oslo"}'),
)


@pytest.mark.parametrize("output_version", ["responses/v1", "v1"])
@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_message_equals_chat_openai_for_the_same_answer(output_version: str, stream: bool) -> None:
    settings = {"use_responses_api": True, "output_version": output_version}
    fake = FakeResponses(RICH)
    llm = model(fake, **settings)
    if stream:
        chunks = list(llm.stream("hi"))
        assert all(isinstance(c, AIMessageChunk) for c in chunks)
        total = chunks[0]
        for c in chunks[1:]:
            total = total + c
        ours = AIMessage(
            **{k: v for k, v in total.model_dump().items() if k not in ("type", "tool_call_chunks", "chunk_position")}
        )
    else:
        ours = llm.invoke("hi")
    theirs = _anchor(RICH, stream, **settings)
    for field in ("content", "tool_calls", "invalid_tool_calls", "usage_metadata", "id"):
        assert getattr(ours, field) == getattr(theirs, field), field
    azure_only = {"request_id", "region", "azure_target", "deployment", "ratelimit", "attempts", "routing"}
    assert {k: v for k, v in ours.response_metadata.items() if k not in azure_only} == theirs.response_metadata
    if output_version == "v1":
        kinds = [b["type"] for b in ours.content_blocks]
        assert kinds == ["reasoning", "text", "server_tool_call", "server_tool_result", "tool_call"]


def test_async_invoke_and_stream() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", "one")), answer("resp_2", text("msg_2", "two")))
    llm = model(fake, use_responses_api=True)

    async def run() -> tuple[str, str]:
        first = await llm.ainvoke("a")
        chunks = [c async for c in llm.astream("b")]
        return first.text, "".join(c.text for c in chunks)

    assert asyncio.run(run()) == ("one", "two")
    assert fake.bodies[1]["stream"] is True


class Person(BaseModel):
    name: str
    age: int


def test_structured_output_uses_text_format_and_parses() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", json.dumps({"name": "Ann", "age": 30}))))
    person = model(fake, use_responses_api=True).with_structured_output(Person).invoke("Ann, 30")
    assert person == Person(name="Ann", age=30)
    fmt = fake.bodies[0]["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Person", True)


@pytest.mark.parametrize(
    ("settings", "call_kwargs", "setting", "fix"),
    [
        ({"use_responses_api": True, "n": 2}, {}, "n", "one answer per call"),
        ({"use_responses_api": True}, {"seed": 1}, "seed", "set use_responses_api=False"),
    ],
)
def test_settings_the_responses_api_cannot_take_are_refused_before_sending(
    settings: dict[str, Any], call_kwargs: dict[str, Any], setting: str, fix: str
) -> None:
    fake = FakeResponses()
    with pytest.raises(ConfigurationError, match=fix) as info:
        model(fake, **settings).invoke("hi", **call_kwargs)
    assert info.value.setting == setting
    assert fake.requests == []


def test_usage_sums_tiers_as_the_anchor() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", "x"), service_tier="priority"))
    msg = model(fake, use_responses_api=True).invoke("hi")
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["input_token_details"] == {"priority_cache_read": 64, "priority": 120 - 64}
    assert msg.usage_metadata["output_token_details"] == {"priority_reasoning": 24, "priority": 40 - 24}
    assert USAGE["total_tokens"] == msg.usage_metadata["total_tokens"]


def test_a_built_in_tool_or_a_gpt_6_tool_call_selects_the_responses_api_per_call() -> None:
    fake = FakeResponses(answer("resp_1", text("msg_1", "a")), answer("resp_2", text("msg_2", "b")))
    # use_responses_api unset: the call decides, as langchain-openai's ChatOpenAI does
    assert model(fake).bind_tools([CODE_TOOL]).invoke("x").text == "a"
    assert model(fake, model="gpt-6-mini").bind_tools([get_weather]).invoke("y").text == "b"
    assert [r.url.path for r in fake.requests] == ["/openai/responses", "/openai/responses"]


@pytest.mark.parametrize("store", [None, False], ids=["stored", "stateless"])
def test_v1_history_goes_back_as_chat_openai_sends_it(store: bool | None) -> None:
    from langchain_openai import ChatOpenAI

    first = answer(
        "resp_1",
        reasoning("rs_1", "Think.", encrypted="gAAAA-1"),
        text("msg_1", "Hi"),
        call("fc_1", "call_1", "get_weather", '{"city": "Oslo"}'),
    )
    settings: dict[str, Any] = {"output_version": "v1", "use_responses_api": True}
    settings["include"] = ["reasoning.encrypted_content"]
    if store is False:
        settings["store"] = False
    inputs = []
    for ours in (True, False):
        fake = FakeResponses(first, answer("resp_2", text("msg_2", "Done")))
        if ours:
            llm: Any = model(fake, **settings)
        else:
            llm = ChatOpenAI(
                model="gpt-5-mini",
                api_key="k",  # type: ignore[arg-type]
                base_url="http://127.0.0.1:9/openai/v1",
                http_client=httpx.Client(transport=fake.transport()),
                max_retries=0,
                **settings,
            )
        reply = llm.invoke("hi")
        assert reply.response_metadata["output_version"] == "v1"
        llm.invoke([HumanMessage("hi"), reply, ToolMessage("sunny", tool_call_id="call_1")])
        inputs.append(fake.bodies[1]["input"])
    assert inputs[0] == inputs[1]
    assert {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAAA-1"}.items() <= inputs[0][1].items()
