"""The Responses request on the wire: URLs of both route styles, body fields, input translation.

Expected shapes: OpenAI's CreateResponse (openai-openapi) and Azure's Responses page (Learn):
the dated route is ``/openai/responses?api-version=...`` with the deployment in the body's
``model``; input message items carry ``type: "message"`` (Azure answers 400 without it, the
reason langchain-azure-ai patches them: ../shared/research/anchors-2026-12.md).
"""

from __future__ import annotations

import json

import pytest

from shared_core.errors import ConfigurationError
from shared_core.types_responses import ResponsesRequest
from shared_core.wire.responses import build_responses_body
from shared_core.wire.tools import response_format_for

from .responses_fakes import USAGE, client, dated_target, json_answer, message, response, v1_target
from .transport_fakes import Recorder


def _sent(req: ResponsesRequest, *targets: object) -> tuple[str, dict[str, object], str]:
    rec = Recorder(json_answer(response(output=[message("ok")], usage=USAGE)))
    c = client(rec, *targets)  # type: ignore[arg-type]
    c.create_response(req)
    r = rec.requests[0]
    return str(r.url), json.loads(r.content), r.method


@pytest.mark.parametrize(
    ("target", "url"),
    [
        (v1_target(), "https://eastus.openai.azure.com/openai/v1/responses"),
        (dated_target(), "https://eastus.openai.azure.com/openai/responses?api-version=2025-04-01-preview"),
        (
            dated_target(host="cognitiveservices.azure.com"),
            "https://eastus.cognitiveservices.azure.com/openai/responses?api-version=2025-04-01-preview",
        ),
        (
            dated_target(host="services.ai.azure.com"),
            "https://eastus.services.ai.azure.com/openai/responses?api-version=2025-04-01-preview",
        ),
    ],
)
def test_create_url_of_each_route_style_with_the_deployment_in_the_body(target: object, url: str) -> None:
    sent_url, body, method = _sent(ResponsesRequest(input="hi"), target)
    assert (method, sent_url) == ("POST", url)
    assert body == {"model": "gpt-5.2", "input": "hi"}


def test_every_request_field_reaches_the_wire_under_its_responses_name() -> None:
    req = ResponsesRequest(
        input="hi",
        instructions="be brief",
        previous_response_id="resp_1",
        store=True,
        include=["reasoning.encrypted_content"],
        reasoning_effort="high",
        reasoning_summary="auto",
        text_format=response_format_for(
            {"title": "P", "type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
        ),
        verbosity="low",
        tools=[
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}},
            {"type": "code_interpreter", "container": {"type": "auto"}},
        ],
        tool_choice={"type": "function", "function": {"name": "f"}},
        parallel_tool_calls=False,
        truncation="auto",
        max_output_tokens=50,
        metadata={"k": "v"},
        service_tier="priority",
        background=True,
        extra_body={"top_logprobs": 2},
    )
    body = build_responses_body(req, deployment="gpt-5-mini")
    assert body == {
        "model": "gpt-5-mini",
        "input": "hi",
        "instructions": "be brief",
        "previous_response_id": "resp_1",
        "store": True,
        "include": ["reasoning.encrypted_content"],
        "reasoning": {"effort": "high", "summary": "auto"},
        "text": {
            "format": {
                "type": "json_schema",
                "name": "P",
                "schema": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}},
                    "required": ["a"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
            "verbosity": "low",
        },
        "tools": [
            {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}},
            {"type": "code_interpreter", "container": {"type": "auto"}},
        ],
        "tool_choice": {"type": "function", "name": "f"},
        "parallel_tool_calls": False,
        "truncation": "auto",
        "max_output_tokens": 50,
        "metadata": {"k": "v"},
        "service_tier": "priority",
        "background": True,
        "top_logprobs": 2,
    }


def test_chat_messages_become_responses_items_with_type_message() -> None:
    msgs = [
        {"role": "system", "content": "sys"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}},
                {"type": "file", "file": {"file_id": "file-1"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
        {"role": "assistant", "content": "done"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
    ]
    body = build_responses_body(ResponsesRequest(input=msgs), deployment="d")
    assert body["input"] == [
        {"type": "message", "role": "system", "content": "sys"},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"},
                {"type": "input_file", "file_id": "file-1"},
            ],
        },
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": '{"a":1}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "42"},
        {"type": "message", "role": "assistant", "content": "done"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
    ]


def test_stream_flag_and_background_need_store() -> None:
    assert build_responses_body(ResponsesRequest(input="x", stream=True), deployment="d")["stream"] is True
    with pytest.raises(ConfigurationError, match="background=True needs a stored response"):
        build_responses_body(ResponsesRequest(input="x", background=True, store=False), deployment="d")


def test_bad_input_is_a_configuration_error_naming_the_fix() -> None:
    with pytest.raises(ConfigurationError, match="role 'function' is not one the Responses API takes"):
        build_responses_body(ResponsesRequest(input=[{"role": "function", "content": "x"}]), deployment="d")
    with pytest.raises(ConfigurationError, match="needs a deployment"):
        build_responses_body(ResponsesRequest(input="x"), deployment=None)


def test_function_tools_in_any_form_become_flat_responses_tools() -> None:
    def lookup(city: str) -> str:
        """Find a city."""
        return city

    tools = [
        lookup,
        {"name": "g", "description": "flat chat function", "parameters": {"type": "object", "properties": {}}},
        {"type": "function", "name": "h", "parameters": {"type": "object", "properties": {}}, "strict": True},
        {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example/sse", "require_approval": "never"},
    ]
    body = build_responses_body(ResponsesRequest(input="x", tools=tools), deployment="d")
    assert body["tools"] == [
        {
            "type": "function",
            "name": "lookup",
            "description": "Find a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
        {
            "type": "function",
            "name": "g",
            "description": "flat chat function",
            "parameters": {"type": "object", "properties": {}},
        },
        {"type": "function", "name": "h", "parameters": {"type": "object", "properties": {}}, "strict": True},
        {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example/sse", "require_approval": "never"},
    ]


# The chat family rules (shared_core.wire.models.accepts) decide for Responses too: a value the caller
# set is sent (Azure's 400 comes back typed), an adapter's default only where the family takes it.
# gpt-5.2 takes temperature at reasoning effort none (OpenAI "Using GPT-5.2", parameter compatibility).
@pytest.mark.parametrize(
    ("deployment", "effort", "default_sent"),
    [("gpt-5-mini", None, False), ("gpt-5.2", "none", True), ("gpt-5.2", "low", False), ("my-chat", None, True)],
)
def test_temperature_explicit_vs_adapter_default(deployment: str, effort: str | None, default_sent: bool) -> None:
    explicit = ResponsesRequest(input="x", temperature=0.2, reasoning_effort=effort)
    assert build_responses_body(explicit, deployment=deployment)["temperature"] == 0.2
    default = ResponsesRequest(input="x", temperature=0.2, reasoning_effort=effort, defaults=frozenset({"temperature"}))
    assert ("temperature" in build_responses_body(default, deployment=deployment)) is default_sent


def test_parallel_tool_calls_default_left_out_for_the_o_series() -> None:
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object"}}]
    default = ResponsesRequest(
        input="x", tools=tools, parallel_tool_calls=False, defaults=frozenset({"parallel_tool_calls"})
    )
    assert "parallel_tool_calls" not in build_responses_body(default, deployment="o3")
    assert build_responses_body(default, deployment="gpt-5.2")["parallel_tool_calls"] is False
    explicit = ResponsesRequest(input="x", tools=tools, parallel_tool_calls=False)
    assert build_responses_body(explicit, deployment="o3")["parallel_tool_calls"] is False
