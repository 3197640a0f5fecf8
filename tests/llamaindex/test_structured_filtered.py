"""Structured output on a completion Azure's content filter stopped (issue 9 §3).

Azure ends such a completion with ``finish_reason: "content_filter"``, the filtered category
marked ``filtered: true`` in the choice's ``content_filter_results``, and no (or a cut) content
(https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter, "finish_reason
content_filter"). Parsing that as the schema used to raise pydantic's ValidationError on an empty
string; it is a ``ContentFilterError`` saying so, on every structured path, with the default
``raise_on_content_filter=False``.
"""

from __future__ import annotations

from typing import Any

import pytest
from li_canned import SAFE, Azure, chat_body, chunk, prompt_filter_chunk, tool_call
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.program import FunctionCallingProgram
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from llamaindex_azoai import ContentFilterError

VIOLENCE = {**SAFE, "violence": {"filtered": True, "severity": "medium"}}
NATIVE = "2024-10-21"  # json_schema response_format
TOOL_PATH = "2024-06-01"  # before json_schema: a forced tool call
PROMPT = PromptTemplate("Describe {who}.")


class Person(BaseModel):
    name: str
    age: int


def filtered_body(content: str | None = None, tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return chat_body(content, tool_calls=tool_calls, finish_reason="content_filter", content_filter_results=VIOLENCE)


def filtered_stream(delta: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        prompt_filter_chunk(),
        chunk({"role": "assistant", "content": ""}),
        chunk(delta, cfr=SAFE),
        chunk({}, finish_reason="content_filter", cfr=VIOLENCE),
    ]


def assert_filtered(exc: ContentFilterError, expected: str = "Person") -> None:
    assert exc.source == "completion"
    assert exc.categories == {"violence": {"filtered": True, "severity": "medium"}}
    assert str(exc).startswith(f"No {expected}")
    assert "content filter stopped the completion" in str(exc)
    assert "violence (medium)" in str(exc)


@pytest.mark.parametrize("api_version", [NATIVE, TOOL_PATH])
def test_structured_predict_on_a_filtered_completion(make_llm: Any, azure: Azure, api_version: str) -> None:
    azure.add_json(filtered_body())
    llm = make_llm(api_version=api_version)
    with pytest.raises(ContentFilterError) as info:
        llm.structured_predict(Person, PROMPT, who="someone")
    assert_filtered(info.value, "Person" if api_version == NATIVE else "tool call")
    assert info.value.request_id == "5b5b2a1e-0000-4000-8000-000000000001"


def test_a_tool_call_cut_by_the_filter_is_not_parsed(make_llm: Any, azure: Azure) -> None:
    azure.add_json(filtered_body(tool_calls=[tool_call("c1", "Person", '{"name": "Jo')]))
    with pytest.raises(ContentFilterError) as info:
        make_llm(api_version=TOOL_PATH).structured_predict(Person, PROMPT, who="someone")
    assert_filtered(info.value, "tool call")


@pytest.mark.parametrize("api_version", [NATIVE, TOOL_PATH])
async def test_astructured_predict_on_a_filtered_completion(make_llm: Any, azure: Azure, api_version: str) -> None:
    azure.add_json(filtered_body())
    with pytest.raises(ContentFilterError) as info:
        await make_llm(api_version=api_version).astructured_predict(Person, PROMPT, who="someone")
    assert_filtered(info.value, "Person" if api_version == NATIVE else "tool call")


@pytest.mark.parametrize("api_version", [NATIVE, TOOL_PATH])
def test_as_structured_llm_on_a_filtered_completion(make_llm: Any, azure: Azure, api_version: str) -> None:
    azure.add_json(filtered_body())
    sllm = make_llm(api_version=api_version).as_structured_llm(Person)
    with pytest.raises(ContentFilterError):
        sllm.chat([ChatMessage(role="user", content="Describe someone.")])


def test_function_calling_program_on_a_filtered_completion(make_llm: Any, azure: Azure) -> None:
    azure.add_json(filtered_body())
    program = FunctionCallingProgram.from_defaults(output_cls=Person, prompt=PROMPT, llm=make_llm())
    with pytest.raises(ContentFilterError) as info:
        program(who="someone")
    assert_filtered(info.value, "tool call")


def test_stream_structured_predict_native_on_a_filtered_stream(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(filtered_stream({"content": '{"name": "Jo'}))
    with pytest.raises(ContentFilterError) as info:
        list(make_llm().stream_structured_predict(Person, PROMPT, who="someone"))
    assert_filtered(info.value)


def test_stream_structured_predict_tool_path_on_a_filtered_stream(make_llm: Any, azure: Azure) -> None:
    cut = {
        "tool_calls": [
            {"index": 0, "id": "c1", "type": "function", "function": {"name": "Person", "arguments": '{"name": "Jo'}}
        ]
    }
    azure.add_sse(filtered_stream(cut))
    with pytest.raises(ContentFilterError) as info:
        list(make_llm(api_version=TOOL_PATH).stream_structured_predict(Person, PROMPT, who="someone"))
    assert_filtered(info.value)
    assert azure.body()["tool_choice"] == "required"  # as the non-streamed FunctionCallingProgram sends it


@pytest.mark.parametrize("api_version", [NATIVE, TOOL_PATH])
async def test_astream_structured_predict_on_a_filtered_stream(make_llm: Any, azure: Azure, api_version: str) -> None:
    azure.add_sse(filtered_stream({"content": '{"name": "Jo'}))
    gen = await make_llm(api_version=api_version).astream_structured_predict(Person, PROMPT, who="someone")
    with pytest.raises(ContentFilterError):
        async for _ in gen:
            pass


def test_unfiltered_structured_output_still_parses(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"name": "Ada", "age": 36}'))
    assert make_llm().structured_predict(Person, PROMPT, who="Ada") == Person(name="Ada", age=36)
    azure.answers.clear()
    azure.add_json(
        chat_body(None, tool_calls=[tool_call("c1", "Person", {"name": "Ada", "age": 36})], finish_reason="tool_calls")
    )
    assert make_llm(api_version=TOOL_PATH).structured_predict(Person, PROMPT, who="Ada") == Person(name="Ada", age=36)


def test_plain_chat_on_a_filtered_completion_still_does_not_raise_by_default(make_llm: Any, azure: Azure) -> None:
    azure.add_json(filtered_body())
    r = make_llm().chat([ChatMessage(role="user", content="x")])
    assert r.additional_kwargs["finish_reason"] == "content_filter"
    # an agent that does not need a call sees none, and why
    assert make_llm().get_tool_calls_from_response(r, error_on_no_tool_call=False) == []


def test_stream_structured_predict_tool_path_yields_the_object(make_llm: Any, azure: Azure) -> None:
    pieces = ['{"name": "Ad', 'a", "age": 36}']
    stream = [
        prompt_filter_chunk(),
        chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {"index": 0, "id": "c1", "type": "function", "function": {"name": "Person", "arguments": ""}}
                ],
            }
        ),
    ]
    stream += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces]
    stream.append(chunk({}, finish_reason="tool_calls", cfr=SAFE))
    azure.add_sse(stream)
    results = list(make_llm(api_version=TOOL_PATH).stream_structured_predict(Person, PROMPT, who="Ada"))
    assert results[-1].model_dump() == {"name": "Ada", "age": 36}
    body = azure.body()
    assert [t["function"]["name"] for t in body["tools"]] == ["Person"]
    assert body["messages"] == [{"role": "user", "content": "Describe Ada."}]
