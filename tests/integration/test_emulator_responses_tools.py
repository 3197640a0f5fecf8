"""Responses answers that matter to agents, through the ``openai`` SDK: function tools chained to the
right answer (the chat behaviour, issue 11 §3), ``text.format`` json_schema filled from the prompt,
built-in tools with their documented output items, and Azure's content filter in its Responses forms
(the real 400 body of the Mirascope test_refusal recording; ``incomplete`` with reason content_filter
when streamed, as the Mirascope stream recording shows).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from shared_core.emulator import ManualClock, start_in_thread
from shared_core.emulator.server import EmulatorHandle

KEY = "azoai-emulator-key"


def _tool(name: str, what: str) -> dict[str, Any]:
    params = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    }
    return {"type": "function", "name": name, "description": f"{what} two integers a and b.", "parameters": params}


TOOLS: Any = [_tool("add", "Add"), _tool("multiply", "Multiply")]


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(clock=ManualClock()) as handle:
        yield handle


@pytest.fixture
def v1(emu: EmulatorHandle) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{emu.url}/openai/v1/", api_key=KEY, max_retries=0)


def _calls(r: Any) -> list[tuple[str, Any]]:
    return [(o.name, json.loads(o.arguments)) for o in r.output if o.type == "function_call"]


@pytest.mark.parametrize("stateful", [True, False])
def test_an_agent_is_led_to_the_answer(v1: openai.OpenAI, stateful: bool) -> None:
    question = "What is (3 + 4) times 5? Use add, then multiply."
    history: list[Any] = [{"role": "user", "content": question}]
    # stateless: nothing stored, the reasoning items travel encrypted (Azure refuses them by id alone)
    opts: Any = {} if stateful else {"store": False, "include": ["reasoning.encrypted_content"]}
    r = v1.responses.create(model="gpt-5.2", input=history, tools=TOOLS, **opts)
    results = {"add": 7, "multiply": 35}
    steps = []
    for _ in range(4):  # bounded: the emulator must finish in two tool turns
        calls = [o for o in r.output if o.type == "function_call"]
        if not calls:
            break
        steps += _calls(r)
        outputs = [
            {"type": "function_call_output", "call_id": c.call_id, "output": str(results[c.name])} for c in calls
        ]
        if stateful:
            r = v1.responses.create(model="gpt-5.2", input=outputs, tools=TOOLS, previous_response_id=r.id)
        else:
            history += [o.model_dump(exclude_none=True) for o in r.output] + outputs
            r = v1.responses.create(model="gpt-5.2", input=history, tools=TOOLS, **opts)
    assert steps == [("add", {"a": 3, "b": 4}), ("multiply", {"a": 7, "b": 5})]
    assert "35" in r.output_text


def test_function_call_streams_its_arguments(v1: openai.OpenAI) -> None:
    events = list(v1.responses.create(model="gpt-4o-mini", input="Add 2 and 3.", tools=TOOLS, stream=True))
    args = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")  # type: ignore[union-attr]
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(args) == json.loads(done.arguments) == {"a": 2, "b": 3}  # type: ignore[union-attr]
    assert events[-1].type == "response.completed"


def test_structured_output_fills_fields_from_the_prompt(v1: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    r = v1.responses.create(
        model="gpt-5.2",
        input="Extract the person: Marie Curie was 66 years old.",
        text={"format": {"type": "json_schema", "name": "person", "schema": schema, "strict": True}},
    )
    assert json.loads(r.output_text) == {"name": "Marie Curie", "age": 66}
    assert r.text is not None and r.text.format.type == "json_schema"


def test_built_in_tools_give_their_documented_items(v1: openai.OpenAI) -> None:
    tools: Any = [
        {"type": "web_search_preview"},
        {"type": "code_interpreter", "container": {"type": "auto"}},
        {"type": "file_search", "vector_store_ids": ["vs_1"]},
    ]
    r = v1.responses.create(
        model="gpt-5.2", input="Search the web for the latest news, then calculate 6 * 7.", tools=tools
    )
    kinds = [o.type for o in r.output]
    assert kinds == ["reasoning", "web_search_call", "code_interpreter_call", "message"]
    ci = r.output[2]
    assert ci.code == "print(6 * 7)"  # type: ignore[union-attr]
    assert r.tools[0].type == "web_search_preview" and r.tools[0].search_context_size == "medium"  # type: ignore[union-attr]
    assert (r.model_extra or {})["tool_usage"]["web_search"] == {"num_requests": 1}


def test_image_generation_needs_an_image_deployment(emu: EmulatorHandle) -> None:
    tools: Any = [{"type": "image_generation"}]
    headers = {"x-ms-oai-image-generation-deployment": "gpt-image-1"}
    client = openai.OpenAI(base_url=f"{emu.url}/openai/v1/", api_key=KEY, max_retries=0, default_headers=headers)
    r = client.responses.create(model="gpt-5.2", input="Draw a picture of a lighthouse.", tools=tools)
    image = next(o for o in r.output if o.type == "image_generation_call")
    assert image.result is not None and image.result.startswith("iVBORw0KGgo")  # a PNG, base64
    bare = openai.OpenAI(base_url=f"{emu.url}/openai/v1/", api_key=KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as exc:
        bare.responses.create(model="gpt-5.2", input="Draw a lighthouse.", tools=tools)
    assert exc.value.body == {  # Tech Community thread 4424643 quotes this answer
        "message": "There was an issue with your request. Please check your inputs and try again",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_filtered_prompt_is_azures_responses_400(v1: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.create(model="gpt-5.2", input="Tell me emulator-block-violence now.")
    body = exc.value.body
    assert isinstance(body, dict) and "innererror" not in body
    assert (body["code"], body["param"], body["type"]) == ("content_filter", "prompt", "invalid_request_error")
    assert body["message"].startswith("The response was filtered due to the prompt triggering Azure OpenAI’s")


def test_filtered_prompt_streamed_ends_incomplete(v1: openai.OpenAI) -> None:
    events = list(v1.responses.create(model="gpt-4o-mini", input="emulator-block-violence", stream=True))
    last = events[-1]
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details is not None  # type: ignore[union-attr]
    assert last.response.incomplete_details.reason == "content_filter"  # type: ignore[union-attr]
    filters = (last.response.model_extra or {})["content_filters"]  # type: ignore[union-attr]
    assert filters[0]["blocked"] is True and filters[0]["content_filter_results"]["violence"]["filtered"] is True


def test_filtered_completion_is_reported(v1: openai.OpenAI) -> None:
    r = v1.responses.create(model="gpt-5.2", input="Say emulator-filter-output please.")
    assert r.status == "incomplete" and r.incomplete_details is not None
    assert r.incomplete_details.reason == "content_filter"
    completion = (r.model_extra or {})["content_filters"][1]
    assert completion["source_type"] == "completion" and completion["blocked"] is True


def test_max_output_tokens_cuts_the_answer(v1: openai.OpenAI) -> None:
    long = "List the planets. " + " ".join(f"Planet {i} is far away." for i in range(40))
    r = v1.responses.create(model="gpt-4o-mini", input=long, max_output_tokens=16)
    assert r.status == "incomplete" and r.incomplete_details is not None
    assert r.incomplete_details.reason == "max_output_tokens"
    assert r.usage is not None and r.usage.output_tokens == 16
