"""Rule cases for the Responses API (``rules_responses``): one request per rule and Azure's answer.

Expected answers come from the sources cited per rule in docs/emulator-rules.md.
"""

from __future__ import annotations

from typing import Any

from .emulator_rules_support import Case, err

Q = "What is the weather in Paris?"
FN: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
NOT_PERSISTED = (
    "Item with id 'rs_unknown' not found. Items are not persisted when `store` is set to false. "
    "Try again with `store` set to true, or remove this item from your input."
)

RESPONSES_CASES: dict[str, Case] = {
    "responses.api_version": (
        "responses",
        "gpt-5.2",
        {"input": Q},
        {"code": "404", "message": "Resource not found"},
        "2024-10-21",
    ),
    "responses.unknown_parameter": (
        "responses",
        "gpt-5.2",
        {"input": Q, "messages": []},
        err("unknown_parameter", "messages", "Unknown parameter: 'messages'."),
        None,
    ),
    "responses.param.type": (
        "responses",
        "gpt-5.2",
        {"input": Q, "max_output_tokens": "10"},
        err("invalid_type", "max_output_tokens", "Invalid type for 'max_output_tokens': expected an integer."),
        None,
    ),
    "responses.input.type": (
        "responses",
        "gpt-5.2",
        {"input": {"role": "user"}},
        err("invalid_type", "input", "Invalid type for 'input': expected a string or an array."),
        None,
    ),
    "responses.input.role": (
        "responses",
        "gpt-5.2",
        {"input": [{"role": "tool", "content": "x"}]},
        err(
            "invalid_value",
            "input[0].role",
            "Invalid value: 'tool'. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
        ),
        None,
    ),
    "responses.input.call_output": (
        "responses",
        "gpt-5.2",
        {
            "input": [
                {"role": "user", "content": Q},
                {"type": "function_call_output", "call_id": "call_9", "output": "1"},
            ]
        },
        err(None, "input", "No tool call found for function call output with call_id call_9."),
        None,
    ),
    "responses.previous_response_id": (
        "responses",
        "gpt-5.2",
        {"input": Q, "previous_response_id": "resp_unknown"},
        err(
            "previous_response_not_found", "previous_response_id", "Previous response with id 'resp_unknown' not found."
        ),
        None,
    ),
    "responses.reasoning_item.not_persisted": (
        "responses",
        "gpt-5-mini",
        {"input": [{"role": "user", "content": Q}, {"type": "reasoning", "id": "rs_unknown", "summary": []}]},
        err(None, "input", NOT_PERSISTED),
        None,
    ),
    "responses.reasoning_item.encrypted_content": (
        "responses",
        "gpt-5-mini",
        {
            "input": [
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAAnotours"},
                {"role": "user", "content": Q},
            ]
        },
        err(
            "invalid_encrypted_content",
            "input[0].encrypted_content",
            "The encrypted content for item rs_1 could not be verified.",
        ),
        None,
    ),
    "responses.tools.type": (
        "responses",
        "gpt-5.2",
        {"input": Q, "tools": [{"type": "browser"}]},
        {"code": "invalid_value", "param": "tools[0].type"},
        None,
    ),
    "responses.tools.web_search.api_version": (
        "responses",
        "gpt-5.2",
        {"input": Q, "tools": [{"type": "web_search_preview"}]},
        {"code": "invalid_value", "param": "tools[0].type"},
        "2025-04-01-preview",
    ),
    "responses.tools.function_name": (
        "responses",
        "gpt-5.2",
        {"input": Q, "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]},
        err("missing_required_parameter", "tools[0].name", "Missing required parameter: 'tools[0].name'."),
        None,
    ),
    "responses.tools.count": (
        "responses",
        "gpt-5.2",
        {"input": Q, "tools": [FN | {"name": f"f{i}"} for i in range(129)]},
        {"code": "array_above_max_length", "param": "tools"},
        None,
    ),
    "responses.tools.schema": (
        "responses",
        "gpt-5.2",
        {"input": Q, "tools": [FN | {"strict": True}]},
        err(
            "invalid_function_parameters",
            "tools[0].parameters",
            "Invalid schema for function 'get_weather': In context=(), 'additionalProperties' is required to be "
            "supplied and to be false.",
        ),
        None,
    ),
    "responses.tools.builtin_required": (
        "responses",
        "gpt-5.2",
        {"input": Q, "tools": [{"type": "code_interpreter"}]},
        err("missing_required_parameter", "tools[0].container", "Missing required parameter: 'tools[0].container'."),
        None,
    ),
    "responses.tools.image_generation.deployment": (
        "responses",
        "gpt-5.2",
        {"input": "Draw a cat", "tools": [{"type": "image_generation"}]},
        err(None, None, "There was an issue with your request. Please check your inputs and try again"),
        None,
    ),
    "responses.tool_choice": (
        "responses",
        "gpt-5.2",
        {"input": Q, "tools": [FN], "tool_choice": {"type": "function", "name": "nope"}},
        err("invalid_value", "tool_choice", "Tool choice 'nope' not found in 'tools' parameter."),
        None,
    ),
    "responses.text.format": (
        "responses",
        "gpt-5.2",
        {"input": Q, "text": {"format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}}},
        err("missing_required_parameter", "text.format.name", "Missing required parameter: 'text.format.name'."),
        None,
    ),
    "responses.text.format.schema": (
        "responses",
        "gpt-5.2",
        {
            "input": Q,
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "w",
                    "strict": True,
                    "schema": {"type": "object", "properties": {"a": {"type": "strng"}}},
                }
            },
        },
        err(
            "invalid_json_schema",
            "text.format.schema",
            "Invalid schema for response_format 'w': 'strng' is not valid under any of the given schemas.",
        ),
        None,
    ),
    "responses.reasoning.unsupported": (
        "responses",
        "gpt-4o-mini",
        {"input": Q, "reasoning": {"effort": "low"}},
        err(
            "unsupported_parameter",
            "reasoning.effort",
            "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
        ),
        None,
    ),
    "responses.reasoning.effort": (
        "responses",
        "gpt-5-mini",
        {"input": Q, "reasoning": {"effort": "extreme"}},
        {"code": "unsupported_value", "param": "reasoning.effort"},
        None,
    ),
    "responses.sampling": (
        "responses",
        "gpt-5-mini",
        {"input": Q, "temperature": 0.2},
        err(
            "unsupported_parameter",
            "temperature",
            "Unsupported parameter: 'temperature' is not supported with this model.",
        ),
        None,
    ),
    "responses.max_output_tokens": (
        "responses",
        "gpt-5.2",
        {"input": Q, "max_output_tokens": 5},
        err(
            "integer_below_min_value",
            "max_output_tokens",
            "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 5 instead.",
        ),
        None,
    ),
    "responses.context_window": (
        "responses",
        "gpt-4o-mini",
        {"input": "word " * 130_000},
        err(
            "context_length_exceeded",
            "input",
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
        ),
        None,
    ),
    "responses.background.store": (
        "responses",
        "gpt-5.2",
        {"input": Q, "background": True, "store": False},
        err("invalid_value", "store", "Background mode requires `store` to be true."),
        None,
    ),
    "responses.include": (
        "responses",
        "gpt-5.2",
        {"input": Q, "include": ["reasoning.summary"]},
        {"code": "invalid_value", "param": "include[0]"},
        None,
    ),
    "responses.stream_options": (
        "responses",
        "gpt-5.2",
        {"input": Q, "stream_options": {"include_obfuscation": False}},
        err(None, "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
        None,
    ),
}
