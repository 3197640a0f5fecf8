"""The LlamaIndex LLM contract for tools and structured output, against a scripted Azure (httpx.MockTransport).

Each test checks what went on the wire and what came back.
"""

from __future__ import annotations

from typing import Any

import pytest
from li_canned import (
    Azure,
    chat_body,
    chunk,
    prompt_filter_chunk,
    tool_call,
    usage_chunk,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
)
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.prompts import PromptTemplate

from .llm_contract_support import TOOLS, Person, _Events, user

# -- tools ---------------------------------------------------------------------------------------------


def test_chat_with_tools_sends_specs_choice_and_parallel_flag(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls"))
    llm = make_llm()
    r = llm.chat_with_tools(TOOLS, user_msg="1+2?")
    body = azure.body()
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "mul"]
    assert body["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False
    assert body["messages"] == [{"role": "user", "content": "1+2?"}]
    calls = llm.get_tool_calls_from_response(r)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [("c1", "add", {"a": 1, "b": 2})]


def test_tool_required_and_named_tool_choice(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "mul", {"a": 2, "b": 3})], finish_reason="tool_calls"))
    llm = make_llm()
    llm.chat_with_tools(TOOLS, user_msg="x", tool_required=True)
    assert azure.body()["tool_choice"] == "required"
    llm.chat_with_tools(TOOLS, user_msg="x", tool_choice="mul")
    assert azure.body()["tool_choice"] == {"type": "function", "function": {"name": "mul"}}


def test_strict_tools_get_a_strict_schema(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls"))
    make_llm(strict=True).chat_with_tools(TOOLS, user_msg="x")
    fn = azure.body()["tools"][0]["function"]
    assert fn["strict"] is True
    assert fn["parameters"]["additionalProperties"] is False
    assert sorted(fn["parameters"]["required"]) == ["a", "b"]


def test_parallel_calls_kept_only_when_allowed(make_llm: Any, azure: Azure) -> None:
    two = chat_body(
        None,
        tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2}), tool_call("c2", "mul", {"a": 2, "b": 3})],
        finish_reason="tool_calls",
    )
    azure.add_json(two)
    llm = make_llm()
    one = llm.chat_with_tools(TOOLS, user_msg="x")
    assert [c.tool_name for c in llm.get_tool_calls_from_response(one)] == ["add"]
    both = llm.chat_with_tools(TOOLS, user_msg="x", allow_parallel_tool_calls=True)
    assert azure.body()["parallel_tool_calls"] is True
    assert [c.tool_name for c in llm.get_tool_calls_from_response(both)] == ["add", "mul"]


def test_no_tool_call_error_says_what_to_do(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("I'd rather chat."))
    llm = make_llm()
    r = llm.chat_with_tools(TOOLS, user_msg="x")
    with pytest.raises(
        ValueError, match=r"none\. The model answered with text instead: \"I'd rather chat\.\".*tool_required=True"
    ):
        llm.get_tool_calls_from_response(r)
    assert llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) == []


async def test_achat_with_tools_and_predict_and_call(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "mul", {"a": 6, "b": 7})], finish_reason="tool_calls"))
    llm = make_llm()
    r = await llm.achat_with_tools(TOOLS, user_msg="6*7")
    assert llm.get_tool_calls_from_response(r)[0].tool_kwargs == {"a": 6, "b": 7}
    assert str(llm.predict_and_call(TOOLS, user_msg="6*7")) == "42"
    assert str(await llm.apredict_and_call(TOOLS, user_msg="6*7")) == "42"


def test_stream_chat_with_tools_assembles_fragments(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [
            prompt_filter_chunk(),
            chunk(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"index": 0, "id": "c1", "type": "function", "function": {"name": "add", "arguments": ""}}
                    ],
                }
            ),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": ', "b": 2}'}}]}),
            chunk({}, finish_reason="tool_calls"),
            usage_chunk(),
        ]
    )
    llm = make_llm()
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="1+2"))
    assert azure.body()["stream"] is True
    calls = llm.get_tool_calls_from_response(chunks[-1])
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [("c1", "add", {"a": 1, "b": 2})]
    # a partial view mid-stream parses leniently
    mid = llm.get_tool_calls_from_response(chunks[2])
    assert mid[0].tool_kwargs == {"a": 1}


async def test_astream_chat_with_tools(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [
            chunk(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "mul", "arguments": '{"a": 2, "b": 5}'},
                        }
                    ],
                }
            ),
            chunk({}, finish_reason="tool_calls"),
        ]
    )
    llm = make_llm()
    gen = await llm.astream_chat_with_tools(TOOLS, user_msg="2*5")
    chunks = [c async for c in gen]
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs == {"a": 2, "b": 5}


def test_tool_call_round_trip_through_history(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls"))
    llm = make_llm()
    first = llm.chat_with_tools(TOOLS, user_msg="1+2")
    history = [
        *user("1+2"),
        first.message,
        ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "c1", "name": "add"}),
    ]
    azure.add_json(chat_body("It is 3."))
    llm.chat(history)
    sent = azure.body()["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}],
    }
    assert sent[2] == {"role": "tool", "content": "3", "tool_call_id": "c1", "name": "add"}
    # legacy readers of additional_kwargs["tool_calls"] get SDK-like attribute access
    assert first.message.additional_kwargs["tool_calls"][0].function.name == "add"


# -- structured output -------------------------------------------------------------------------------


def test_structured_predict_uses_native_json_schema(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"name": "Ada", "age": 36}'))
    out = make_llm(model="gpt-5.2").structured_predict(Person, PromptTemplate("Who is {who}?"), who="Ada")
    assert out == Person(name="Ada", age=36)
    rf = azure.body()["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["name"] == "Person"
    assert rf["json_schema"]["strict"] is True
    assert "tools" not in azure.body()


def test_structured_predict_emits_its_events(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"name": "Ada", "age": 36}'))
    handler = _Events(names=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        make_llm(model="gpt-5.2").structured_predict(Person, PromptTemplate("Who?"))
    finally:
        root.event_handlers.remove(handler)
    names = handler.names
    assert names.index("LLMStructuredPredictStartEvent") < names.index("LLMChatStartEvent")
    assert names.index("LLMChatEndEvent") < names.index("LLMStructuredPredictEndEvent")


async def test_astructured_predict_and_as_structured_llm(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"name": "Ada", "age": 36}'))
    llm = make_llm(model="gpt-5.2")
    assert await llm.astructured_predict(Person, PromptTemplate("Who?")) == Person(name="Ada", age=36)
    sllm = llm.as_structured_llm(Person)
    r = sllm.chat(user("Who?"))
    assert r.raw == Person(name="Ada", age=36)


def test_structured_predict_falls_back_to_a_forced_tool_call_on_old_api_versions(make_llm: Any, azure: Azure) -> None:
    azure.add_json(
        chat_body(None, tool_calls=[tool_call("c1", "Person", {"name": "Bo", "age": 5})], finish_reason="tool_calls")
    )
    out = make_llm(model="gpt-5.2", api_version="2024-06-01").structured_predict(Person, PromptTemplate("Who?"))
    assert out == Person(name="Bo", age=5)
    body = azure.body()
    assert "response_format" not in body
    assert body["tool_choice"] in ("required", {"type": "function", "function": {"name": "Person"}})


def test_stream_structured_predict(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [chunk({"content": '{"name": "A'}), chunk({"content": 'da", "age": 36}'}), chunk({}, finish_reason="stop")]
    )
    parts = list(make_llm(model="gpt-5.2").stream_structured_predict(Person, PromptTemplate("Who?")))
    assert parts[-1].name == "Ada" and parts[-1].age == 36


def test_refusal_in_structured_output_is_reported(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, refusal="I can't help with that."))
    with pytest.raises(ValueError, match="refused to produce a Person: I can't help with that."):
        make_llm(model="gpt-5.2").structured_predict(Person, PromptTemplate("Who?"))
