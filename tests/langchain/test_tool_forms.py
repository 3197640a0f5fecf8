"""Issue 9 §2-§4 for LangChain: every tool form langchain-core accepts, in ``bind_tools`` and
``with_structured_output`` (all three methods); parallel_tool_calls by model family; typed errors
for bad schemas and wrongly typed per-call options; the content filter in structured output;
``profile``.

The control for the tool bodies is langchain-openai itself (a dev dependency): the same call on
its ``AzureChatOpenAI`` against an ``httpx.MockTransport``, its request body captured.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import pytest
from langchain_core.tools import tool as lc_tool
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from langchain_azoai import AzureChatOpenAI
from shared_core.errors import ConfigurationError, ContentFilterError

from ._wire import CFR, FakeAzure, chat_body, model_kwargs, stream_chunks

PARAMS = {"type": "object", "properties": {"x": {"type": "integer", "description": "an x"}}, "required": ["x"]}
FORMS: dict[str, Any] = {
    "json_schema": {"title": "get_x", "description": "Get x", **PARAMS},
    "openai": {"type": "function", "function": {"name": "get_x", "description": "Get x", "parameters": PARAMS}},
    "flat": {"name": "get_x", "description": "Get x", "parameters": PARAMS},
    "anthropic": {"name": "get_x", "description": "Get x", "input_schema": PARAMS},
    "bedrock": {"toolSpec": {"name": "get_x", "description": "Get x", "inputSchema": {"json": PARAMS}}},
}


class Person(BaseModel):
    """A person."""

    name: str = Field(description="the name")
    age: int | None = None


class Documented(TypedDict):
    """A documented dict."""

    name: Annotated[str, ..., "the name"]


class Undocumented(TypedDict):
    name: str
    age: int


def add(a: int, b: int) -> int:
    """Add two ints.

    Args:
        a: first
        b: second
    """
    return a + b


@lc_tool
def mul(a: int, b: int) -> int:
    """Multiply."""
    return a * b


OBJECTS: dict[str, Any] = {"pydantic": Person, "typeddict": Documented, "function": add, "basetool": mul}


class Node(BaseModel):
    """A tree node."""

    value: int
    children: list[Node] = []


class Opaque:
    pass


class WithArbitrary(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    thing: Opaque


def _openai_body(make: Any) -> dict[str, Any]:
    """The body langchain-openai's AzureChatOpenAI sends for ``make(llm).invoke("hi")``."""
    from langchain_openai import AzureChatOpenAI as Anchor

    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=chat_body("{}"))

    llm = Anchor(
        azure_endpoint="https://res.openai.azure.com",
        api_key="k",
        api_version="2024-10-21",
        azure_deployment="gpt-4o",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    try:
        make(llm).invoke("hi")
    except Exception:  # the canned answer need not parse: the request is what we compare
        pass
    return seen[0]


def _our_body(make: Any, **kw: Any) -> dict[str, Any]:
    fake = FakeAzure(lambda r: FakeAzure.json(chat_body("{}")))
    try:
        make(AzureChatOpenAI(**model_kwargs(fake, **kw))).invoke("hi")
    except Exception:
        pass
    return fake.body


# ------------------------------------------------------------------ tools: same body as the anchor


@pytest.mark.parametrize("form", [*FORMS, *OBJECTS])
def test_bind_tools_sends_what_langchain_openai_sends(form: str) -> None:
    tool = {**FORMS, **OBJECTS}[form]
    ours = _our_body(lambda llm: llm.bind_tools([tool]))
    assert ours["tools"] == _openai_body(lambda llm: llm.bind_tools([tool]))["tools"]


@pytest.mark.parametrize("form", [*FORMS, *OBJECTS])
def test_function_calling_structured_output_sends_the_anchors_tool(form: str) -> None:
    schema = {**FORMS, **OBJECTS}[form]

    def make(llm: Any) -> Any:
        return llm.with_structured_output(schema, method="function_calling")

    ours, anchor = _our_body(make), _openai_body(make)
    assert (ours["tools"], ours["tool_choice"]) == (anchor["tools"], anchor["tool_choice"])


@pytest.mark.parametrize("form", list(FORMS))
def test_json_schema_structured_output_reads_every_dict_form(form: str) -> None:
    body = _our_body(lambda llm: llm.with_structured_output(FORMS[form], method="json_schema"))
    inner = body["response_format"]["json_schema"]
    assert (inner["name"], inner.get("description")) == ("get_x", "Get x")
    assert inner["schema"]["properties"] == PARAMS["properties"]
    assert inner["schema"]["required"] == ["x"]


def test_json_mode_accepts_every_dict_form() -> None:
    for schema in FORMS.values():
        body = _our_body(lambda llm, schema=schema: llm.with_structured_output(schema, method="json_mode"))
        assert body["response_format"] == {"type": "json_object"}


# ------------------------------------------------------------------ TypedDict description


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_typeddict_without_docstring_sends_no_description(method: str) -> None:
    body = _our_body(lambda llm: llm.with_structured_output(Undocumented, method=method))
    spec = body["response_format"]["json_schema"] if method == "json_schema" else body["tools"][0]["function"]
    assert spec["name"] == "Undocumented"
    assert "description" not in spec  # not dict's docstring
    assert "dict()" not in json.dumps(body)


def test_typeddict_with_docstring_sends_its_own() -> None:
    body = _our_body(lambda llm: llm.with_structured_output(Documented))
    assert body["response_format"]["json_schema"]["description"] == "A documented dict."


# ------------------------------------------------------------------ recursion kept


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_recursive_model_keeps_its_recursion(method: str) -> None:
    body = _our_body(lambda llm: llm.with_structured_output(Node, method=method))
    schema = (
        body["response_format"]["json_schema"]["schema"]
        if method == "json_schema"
        else body["tools"][0]["function"]["parameters"]
    )
    assert schema["type"] == "object"  # Azure wants an object at the root, not a bare $ref
    assert schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    node = schema["$defs"]["Node"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    if method == "json_schema":  # strict (the default): every object closed and fully required
        for obj in (schema, node):
            assert obj["additionalProperties"] is False
            assert obj["required"] == ["value", "children"]


def test_bound_recursive_tool_keeps_its_recursion() -> None:
    params = _our_body(lambda llm: llm.bind_tools([Node]))["tools"][0]["function"]["parameters"]
    assert params["type"] == "object"
    assert params["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}


# ------------------------------------------------------------------ typed errors


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_arbitrary_type_field_is_a_typed_error(method: str) -> None:
    fake = FakeAzure()
    with pytest.raises(ConfigurationError) as info:
        AzureChatOpenAI(**model_kwargs(fake)).with_structured_output(WithArbitrary, method=method)
    assert "WithArbitrary" in str(info.value) and "WithJsonSchema" in str(info.value)
    assert not fake.requests


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("logit_bias", "x"),
        ("logit_bias", {"a": 1}),
        ("temperature", "hot"),
        ("stop", 5),
        ("max_tokens", "10"),
        ("timeout", "slow"),
        ("extra_headers", ["x"]),
        ("n", 1.5),
    ],
)
def test_wrongly_typed_call_option_is_a_typed_error(option: str, value: Any) -> None:
    fake = FakeAzure()
    with pytest.raises(ConfigurationError) as info:
        AzureChatOpenAI(**model_kwargs(fake)).invoke("hi", **{option: value})
    assert info.value.setting == option
    assert str(info.value).startswith(f"{option}={value!r}") and "must be" in str(info.value)
    assert not fake.requests


def test_wrongly_typed_option_on_the_legacy_completions_class() -> None:
    from langchain_azoai import AzureOpenAI

    fake = FakeAzure()
    llm = AzureOpenAI(**model_kwargs(fake, azure_deployment="gpt-35-turbo-instruct"))
    with pytest.raises(ConfigurationError) as info:
        llm.invoke("hi", logit_bias="x")
    assert info.value.setting == "logit_bias" and not fake.requests


def test_legacy_completions_request_options_are_not_body_fields() -> None:
    from langchain_azoai import AzureOpenAI

    fake = FakeAzure(
        lambda r: FakeAzure.json(
            {
                "id": "c",
                "object": "text_completion",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "text": "ok", "finish_reason": "stop"}],
            }
        )
    )
    llm = AzureOpenAI(**model_kwargs(fake, azure_deployment="gpt-35-turbo-instruct"))
    assert llm.invoke("hi", extra_headers={"X-Team": "rag"}, extra_query={"trace": "1"}, timeout=7) == "ok"
    request = fake.last
    assert request.headers["x-team"] == "rag"
    assert request.url.params["trace"] == "1" and request.url.params["api-version"]
    assert request.extensions["timeout"]["read"] == 7
    assert not {"extra_headers", "extra_query", "timeout"} & set(fake.body)


def test_well_typed_logit_bias_is_sent() -> None:
    fake = FakeAzure()
    AzureChatOpenAI(**model_kwargs(fake)).invoke("hi", logit_bias={50256: -100, "42": 5})
    assert fake.body["logit_bias"] == {"50256": -100.0, "42": 5.0}


# ------------------------------------------------------------------ parallel_tool_calls


def _tool_answer() -> FakeAzure:
    return FakeAzure(
        lambda r: FakeAzure.json(
            chat_body(
                None,
                finish="tool_calls",
                tool_calls=[
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "Person", "arguments": '{"name": "A", "age": 1}'},
                    }
                ],
            )
        )
    )


@pytest.mark.parametrize("model", ["o3-mini", "o1", "o3", "o4-mini"])
def test_structured_output_leaves_parallel_tool_calls_out_for_the_o_series(model: str) -> None:
    fake = _tool_answer()
    m = AzureChatOpenAI(**model_kwargs(fake, azure_deployment="prod", model=model))
    assert m.with_structured_output(Person, method="function_calling").invoke("q") == Person(name="A", age=1)
    assert "parallel_tool_calls" not in fake.body  # o3-mini answers 400 even for false


def test_structured_output_keeps_parallel_tool_calls_false_where_accepted() -> None:
    fake = _tool_answer()
    m = AzureChatOpenAI(**model_kwargs(fake, azure_deployment="prod", model="gpt-4o"))
    m.with_structured_output(Person, method="function_calling").invoke("q")
    assert fake.body["parallel_tool_calls"] is False  # as langchain-openai


def test_explicit_parallel_tool_calls_is_sent_even_to_the_o_series() -> None:
    fake = _tool_answer()
    m = AzureChatOpenAI(**model_kwargs(fake, azure_deployment="prod", model="o3-mini"))
    m.bind_tools([Person], parallel_tool_calls=False).invoke("q")
    assert fake.body["parallel_tool_calls"] is False  # the user asked: Azure decides


# ------------------------------------------------------------------ content filter


FILTERED = {**CFR, "violence": {"filtered": True, "severity": "medium"}}


def _filtered_answer(content: str | None) -> FakeAzure:
    def respond(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return FakeAzure.stream(stream_chunks([], finish="content_filter", cfr=FILTERED))
        body = chat_body(content, finish="content_filter", cfr=FILTERED)
        if content is None:  # Azure's filtered completion: no message at all
            del body["choices"][0]["message"]
        return FakeAzure.json(body)

    return FakeAzure(respond)


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
@pytest.mark.parametrize("content", ["", None])
def test_filtered_completion_in_structured_output_is_a_content_filter_error(method: str, content: str | None) -> None:
    fake = _filtered_answer(content)
    runnable = AzureChatOpenAI(**model_kwargs(fake)).with_structured_output(Person, method=method)
    with pytest.raises(ContentFilterError) as info:
        runnable.invoke("q")
    assert info.value.source == "completion"
    assert info.value.categories == {"violence": {"filtered": True, "severity": "medium"}}
    assert "structured output" in str(info.value) and "violence (medium)" in str(info.value)


def test_filtered_completion_when_streaming_structured_output() -> None:
    fake = _filtered_answer("")
    runnable = AzureChatOpenAI(**model_kwargs(fake)).with_structured_output(Person)
    with pytest.raises(ContentFilterError):
        list(runnable.stream("q"))


async def test_filtered_completion_async_and_include_raw() -> None:
    fake = _filtered_answer(None)
    m = AzureChatOpenAI(**model_kwargs(fake))
    with pytest.raises(ContentFilterError):
        await m.with_structured_output(Person).ainvoke("q")
    out = await m.with_structured_output(Person, include_raw=True).ainvoke("q")
    assert out["parsed"] is None and isinstance(out["parsing_error"], ContentFilterError)


# ------------------------------------------------------------------ profile


def test_profile_from_model_not_deployment() -> None:
    p = AzureChatOpenAI(**model_kwargs(FakeAzure(), azure_deployment="prod-4o", model="gpt-4o")).profile
    assert p is not None
    # langchain-openai's profile for gpt-4o (langchain_openai/data/_profiles.py)
    assert {
        k: p[k]
        for k in (
            "name",
            "max_input_tokens",
            "max_output_tokens",
            "text_inputs",  # type: ignore[literal-required]
            "image_inputs",
            "pdf_inputs",
            "tool_calling",
            "tool_call_streaming",
            "structured_output",
            "reasoning_output",
            "temperature",
        )
    } == {
        "name": "GPT-4o",
        "max_input_tokens": 128_000,
        "max_output_tokens": 16_384,
        "text_inputs": True,
        "image_inputs": True,
        "pdf_inputs": True,
        "tool_calling": True,
        "tool_call_streaming": True,
        "structured_output": True,
        "reasoning_output": False,
        "temperature": True,
    }


def test_profile_from_deployment_then_none() -> None:
    p = AzureChatOpenAI(**model_kwargs(FakeAzure(), azure_deployment="prod-o3-mini")).profile
    assert p is not None
    assert (p["name"], p["reasoning_output"], p["image_inputs"], p["temperature"], p["max_input_tokens"]) == (
        "o3-mini",
        True,
        False,
        False,
        200_000,
    )
    assert AzureChatOpenAI(**model_kwargs(FakeAzure(), azure_deployment="prod")).profile is None
    assert (
        AzureChatOpenAI(**model_kwargs(FakeAzure(), azure_deployment="text-davinci-003")).profile is None
    )  # a completions model: no chat profile


def test_structured_output_still_streams_partial_results() -> None:
    # the content-filter check sits in front of the parser without buffering the stream
    fake = FakeAzure(lambda r: FakeAzure.stream(stream_chunks(['{"na', 'me": "Al', 'ice"}'])))
    parts = list(
        AzureChatOpenAI(**model_kwargs(fake))
        .with_structured_output(
            {"title": "P", "type": "object", "properties": {"name": {"type": "string"}}}, method="json_mode"
        )
        .stream("q")
    )
    assert parts[-1] == {"name": "Alice"} and len(parts) > 1
