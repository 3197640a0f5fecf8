"""Bad input gets a typed error naming the fix, before any request (issue 9 §4).

Where LlamaIndex's own classes accept something (a ChatMessage in its dict form, which
``ChatMessage.model_validate`` and the instrumentation events take), it is accepted and sent as
they would read it. What the anchor fails on deep inside (``AttributeError: 'dict' object has no
attribute 'blocks'`` / ``'metadata'``) or rewrites silently (``complete(None)`` sends an empty
prompt) is refused with ``ConfigurationError``.
"""

from __future__ import annotations

from typing import Any

import pytest
from li_canned import Azure, chat_body, text_stream, tool_call
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llamaindex_azoai import ConfigurationError


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    name: str
    age: int


TOOL = FunctionTool.from_defaults(fn=add)
ONE_CALL = chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls")


# -- messages -----------------------------------------------------------------------------------------


def test_chat_messages_in_dict_form_are_sent_as_llamaindex_reads_them(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    llm = make_llm()
    llm.chat(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "blocks": [{"block_type": "text", "text": "yes?"}]},
            {"role": "tool", "content": "3", "additional_kwargs": {"tool_call_id": "c1"}},
        ]
    )
    assert azure.body()["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yes?"},
        {"role": "tool", "content": "3", "tool_call_id": "c1"},
    ]


async def test_async_and_stream_take_dict_messages_too(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    llm = make_llm()
    await llm.achat([{"role": "user", "content": "a"}])
    assert azure.body()["messages"] == [{"role": "user", "content": "a"}]
    azure.answers.clear()
    azure.add_sse(text_stream(["x"]))
    list(llm.stream_chat([{"role": "user", "content": "b"}]))
    assert azure.body()["messages"] == [{"role": "user", "content": "b"}]
    async for _ in await llm.astream_chat([{"role": "user", "content": "c"}]):
        pass
    assert azure.body()["messages"] == [{"role": "user", "content": "c"}]


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        (None, r"messages must be a list of ChatMessage, got None"),
        ("hello", r"got str: complete\(prompt\) takes a plain string"),
        (ChatMessage(role="user", content="x"), r"got ChatMessage: pass ChatMessage.*in a list"),
        ([None], r"messages\[0\] is None, not a ChatMessage: pass ChatMessage\(role='user'"),
        (["hello"], r"messages\[0\] is str, not a ChatMessage"),
        ([{"role": "bogus", "content": "x"}], r"messages\[0\] is not a valid ChatMessage \(role.*Roles: system"),
        (
            [{"role": "user", "content": [{"type": "text", "text": "a"}]}],
            r"messages\[0\] is not a valid ChatMessage.*not OpenAI content parts",
        ),
        (
            [{"role": "tool", "content": "3", "tool_call_id": "c1"}],
            r"messages\[0\] has key\(s\) 'tool_call_id'.*additional_kwargs",
        ),
        ([{"role": "user", "content": 123}], r"messages\[0\] has content of type int.*empty message"),
    ],
)
def test_bad_messages_are_refused_with_the_fix(make_llm: Any, azure: Azure, messages: Any, match: str) -> None:
    azure.add_json(chat_body())
    llm = make_llm()
    with pytest.raises(ConfigurationError, match=match) as info:
        llm.chat(messages)
    assert info.value.setting == "messages"
    with pytest.raises(ConfigurationError, match=match):
        list(llm.stream_chat(messages))
    assert azure.requests == []


async def test_bad_messages_are_refused_in_async_calls(make_llm: Any, azure: Azure) -> None:
    llm = make_llm()
    with pytest.raises(ConfigurationError, match=r"messages\[1\] is None"):
        await llm.achat([ChatMessage(role="user", content="a"), None])
    with pytest.raises(ConfigurationError, match=r"messages\[0\] is int"):
        await llm.astream_chat([1])
    assert azure.requests == []


# -- chat_with_tools -------------------------------------------------------------------------------


def test_chat_with_tools_takes_dict_user_msg_and_history(make_llm: Any, azure: Azure) -> None:
    azure.add_json(ONE_CALL)
    history = [{"role": "user", "content": "first"}]
    make_llm().chat_with_tools([TOOL], user_msg={"role": "user", "content": "1+2?"}, chat_history=history)
    assert azure.body()["messages"] == [{"role": "user", "content": "first"}, {"role": "user", "content": "1+2?"}]
    assert history == [{"role": "user", "content": "first"}]  # the caller's list is left alone


@pytest.mark.parametrize(
    ("tools", "match"),
    [
        (
            [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            r"tools\[0\] is dict, not a LlamaIndex BaseTool: a raw OpenAI tool spec.*chat\(messages, tools=\[spec\]\)",
        ),
        ([add], r"tools\[0\] is function, not a LlamaIndex BaseTool: wrap it: FunctionTool.from_defaults\(fn=add\)"),
        ([TOOL, None], r"tools\[1\] is None, not a LlamaIndex BaseTool: pass a BaseTool"),
        (None, r"tools must be a list of LlamaIndex tools, got None"),
    ],
)
def test_tools_that_are_not_basetools_are_refused(make_llm: Any, azure: Azure, tools: Any, match: str) -> None:
    azure.add_json(ONE_CALL)
    llm = make_llm()
    with pytest.raises(ConfigurationError, match=match) as info:
        llm.chat_with_tools(tools, user_msg="x")
    assert info.value.setting == "tools"
    with pytest.raises(ConfigurationError, match=match):
        llm.stream_chat_with_tools(tools, user_msg="x")
    assert azure.requests == []


def test_bad_user_msg_and_history_are_refused(make_llm: Any, azure: Azure) -> None:
    llm = make_llm()
    with pytest.raises(ConfigurationError, match=r"user_msg is int, not a ChatMessage"):
        llm.chat_with_tools([TOOL], user_msg=5)
    with pytest.raises(ConfigurationError, match=r"messages\[0\] is None"):
        llm.chat_with_tools([TOOL], user_msg="x", chat_history=[None])
    assert azure.requests == []


# -- prompts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "kind"), [(None, "None"), (123, "int"), (b"hi", "bytes")])
def test_complete_refuses_a_prompt_that_is_not_text(make_llm: Any, azure: Azure, prompt: Any, kind: str) -> None:
    # The anchor sends {"role": "user", "content": ""} for all three.
    azure.add_json(chat_body())
    llm = make_llm()
    match = rf"the prompt is {kind}, not a str: it would be sent as an empty prompt"
    with pytest.raises(ConfigurationError, match=match) as info:
        llm.complete(prompt)
    assert info.value.setting == "prompt"
    with pytest.raises(ConfigurationError, match=match):
        list(llm.stream_complete(prompt))
    with pytest.raises(ConfigurationError, match=match):
        make_llm(model="gpt-35-turbo-instruct").complete(prompt)
    assert azure.requests == []


async def test_async_complete_refuses_a_prompt_that_is_not_text(make_llm: Any, azure: Azure) -> None:
    llm = make_llm()
    with pytest.raises(ConfigurationError, match="the prompt is None"):
        await llm.acomplete(None)
    with pytest.raises(ConfigurationError, match="the prompt is int"):
        await llm.astream_complete(7)
    assert azure.requests == []


def test_empty_prompt_is_still_sent_as_given(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    make_llm().complete("")
    assert azure.body()["messages"] == [{"role": "user", "content": ""}]


def test_multimodal_complete_refuses_a_prompt_that_is_not_text(azure: Azure) -> None:
    from li_canned import ENDPOINT, KEY

    from llamaindex_azoai import AzureOpenAIMultiModal

    http, ahttp = azure.clients()
    with pytest.warns(DeprecationWarning):
        llm = AzureOpenAIMultiModal(
            engine="chat",
            azure_endpoint=ENDPOINT,
            api_key=KEY,
            api_version="2024-10-21",
            http_client=http,
            async_http_client=ahttp,
        )
    with pytest.raises(ConfigurationError, match="the prompt is None"):
        llm.complete(None, image_documents=[])
    assert azure.requests == []


# -- output classes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output_cls", "fix"),
    [
        (dict, "define one, e.g. class Answer"),
        ({"type": "object"}, "define one"),
        (str, "define one"),
        (Person(name="a", age=1), "pass the class Person, not an instance of it"),
    ],
)
@pytest.mark.parametrize("api_version", ["2024-10-21", "2024-06-01"])  # native json_schema, and the tool path
def test_output_class_must_be_a_pydantic_model(
    make_llm: Any, azure: Azure, output_cls: Any, fix: str, api_version: str
) -> None:
    azure.add_json(chat_body('{"name": "a", "age": 1}'))
    llm = make_llm(api_version=api_version)
    prompt = PromptTemplate("Who? {q}")
    with pytest.raises(ConfigurationError, match=rf"output_cls is .*, not a Pydantic model class: {fix}") as info:
        llm.structured_predict(output_cls, prompt, q="x")
    assert info.value.setting == "output_cls"
    with pytest.raises(ConfigurationError, match=fix):
        llm.as_structured_llm(output_cls)
    with pytest.raises(ConfigurationError, match=fix):
        list(llm.stream_structured_predict(output_cls, prompt, q="x"))
    assert azure.requests == []


async def test_async_output_class_must_be_a_pydantic_model(make_llm: Any, azure: Azure) -> None:
    llm = make_llm()
    with pytest.raises(ConfigurationError, match="not a Pydantic model class"):
        await llm.astructured_predict(dict, PromptTemplate("x"))
    assert azure.requests == []
