"""Rule cases for chat completions: messages, content parts, parameters, tools, structured output, reasoning.

Expected answers are Azure's as quoted in docs/emulator-rules.md (recordings, public issues, Learn),
never the emulator's own output.
"""

from __future__ import annotations

import base64

from .emulator_rules_support import CALL, CALL2, KIND, PNG_URL, STRICT_RF, USER, Case, err, fn, image

# rule id -> (operation, deployment, body, expected error object, dated api-version or None for the default).
# On v1 routes the same request carries ``model`` and gets the same answer, except api-version rows
# (v1 serves every feature): there the same body is accepted.


CHAT_CASES: dict[str, Case] = {
    "any.operation_kind": (
        "chat/completions",
        "text-embedding-3-small",
        {"messages": USER},
        {"code": "OperationNotSupported", "message": KIND.format("text-embedding-3-small")},
        None,
    ),
    "any.retired_model": (
        "chat/completions",
        "old-gpt-4",
        {"messages": USER},
        {"code": "OperationNotSupported", "message": KIND.format("gpt-4")},
        None,
    ),
    "chat.unknown_parameter": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "chat.api_version.parallel_tool_calls": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [fn()], "parallel_tool_calls": False},
        err(
            None,
            None,
            "Unrecognized request argument supplied: parallel_tool_calls. Please contact us through an Azure "
            "support request at: https://go.microsoft.com/fwlink/?linkid=2213926 for further questions.",
        ),
        "2024-05-01-preview",
    ),
    "chat.messages.required": (
        "chat/completions",
        "gpt-4o",
        {},
        err("missing_required_parameter", "messages", "Missing required parameter: 'messages'."),
        None,
    ),
    "chat.messages.role": (
        "chat/completions",
        "gpt-4o",
        {"messages": [{"role": "robot", "content": "hi"}]},
        err(
            "invalid_value",
            "messages[0].role",
            "Invalid value: 'robot'. Supported values are: "
            "'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
        ),
        None,
    ),
    "chat.messages.content_required": (
        "chat/completions",
        "gpt-4o",
        {"messages": [{"role": "user"}]},
        err("missing_required_parameter", "messages[0].content", "Missing required parameter: 'messages[0].content'."),
        None,
    ),
    "chat.service_tier": (
        "chat/completions",
        "gpt-5.2",
        {"messages": USER, "service_tier": "premium"},
        err(
            "invalid_value",
            "service_tier",
            "Invalid value: 'premium'. Supported values are: 'auto', 'default', 'flex', and 'priority'.",
        ),
        None,
    ),
    "chat.stream_options.without_stream": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "stream_options": {"include_usage": True}},
        err(None, "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
        None,
    ),
    "chat.content.part_type": (
        "chat/completions",
        "gpt-4o",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Repeat what you hear:"},
                        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "mp3"}},
                    ],
                }
            ]
        },
        err(
            "invalid_value",
            "messages[0]",
            "Invalid 'messages[0]'. Content blocks are expected to be either text or image_url type.",
        ),
        None,
    ),
    "chat.content.image_unsupported": (
        "chat/completions",
        "o3-mini",
        {"messages": image(PNG_URL)},
        err(
            None,
            "messages.[0].content.[1].type",
            "Invalid content type. image_url is only supported by certain models.",
        ),
        None,
    ),
    "chat.content.image_url_scheme": (
        "chat/completions",
        "gpt-4o",
        {"messages": image("ftp://files.example/cat.png")},
        {
            "code": "BadRequest",
            "message": "Invalid image URL. The URL must be a valid HTTP "
            "or HTTPS URL, or a data URL with base64 encoding.",
        },
        None,
    ),
    "chat.content.image_base64": (
        "chat/completions",
        "gpt-4o",
        {"messages": image("data:image/png;base64,@@not base64@@")},
        err("invalid_base64", None, "Invalid base64 image_url."),
        None,
    ),
    "chat.content.image_format": (
        "chat/completions",
        "gpt-4o",
        {"messages": image("data:image/png;base64," + base64.b64encode(b"plain text, not an image").decode())},
        err(
            "invalid_image_format",
            None,
            "You uploaded an unsupported image. Please make sure your image has of one the "
            "following formats: ['png', 'jpeg', 'gif', 'webp'].",
        ),
        None,
    ),
    "chat.content.image_reachable": (
        "chat/completions",
        "gpt-4o",
        {"messages": image("https://x.test/cat.png")},
        err("invalid_image_url", None, "Timeout while downloading https://x.test/cat.png."),
        None,
    ),
    "chat.param.number_range": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "temperature": 3},
        err("invalid_value", "temperature", "Invalid 'temperature': 3 is out of range (0 to 2)."),
        None,
    ),
    "chat.param.integer_range": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "n": 0},
        err("invalid_value", "n", "Invalid 'n': integer 0 is out of range (minimum 1) (maximum 128)."),
        None,
    ),
    "chat.logprobs.top_logprobs": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "top_logprobs": 3},
        err(
            "invalid_value", "logprobs", "Invalid value for 'logprobs': must be true when 'top_logprobs' is specified."
        ),
        None,
    ),
    "chat.tools.shape": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [{"type": "function", "function": {"description": "x"}}]},
        err(
            "missing_required_parameter",
            "tools[0].function.name",
            "Missing required parameter: 'tools[0].function.name'.",
        ),
        None,
    ),
    "chat.tools.unknown_field": (
        "chat/completions",
        "gpt-4o",
        {
            "messages": USER,
            "tools": [
                {
                    "type": "function",
                    "function": {"name": "get_weather", "input_schema": {"type": "object", "properties": {}}},
                }
            ],
        },
        err(
            "unknown_parameter",
            "tools[0].function.input_schema",
            "Unknown parameter: 'tools[0].function.input_schema'.",
        ),
        None,
    ),
    "chat.tools.count": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [fn(f"t{i}") for i in range(129)]},
        err(
            "array_above_max_length",
            "tools",
            "Invalid 'tools': array too long. Expected an array with "
            "maximum length 128, but got an array with length 129 instead.",
        ),
        None,
    ),
    "chat.tools.name_pattern": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [fn("get weather")]},
        err(
            "invalid_value",
            "tools[0].function.name",
            "Invalid 'tools[0].function.name': string "
            "does not match pattern. Expected a string that matches the pattern "
            "'^[a-zA-Z0-9_-]+$'.",
        ),
        None,
    ),
    "chat.tools.name_length": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [fn("a" * 65)]},
        err(
            "string_above_max_length",
            "tools[0].function.name",
            "Invalid 'tools[0].function.name': "
            "string too long. Expected a string with maximum length 64, but got a string with "
            "length 65 instead.",
        ),
        None,
    ),
    "chat.tool_choice": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tool_choice": "auto"},
        err(
            None,
            "tool_choice",
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        ),
        None,
    ),
    "chat.response_format.type": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "response_format": {"type": "xml"}},
        err(
            "invalid_value",
            "response_format.type",
            "Invalid value: 'xml'. Supported values are: 'json_object', 'json_schema', and 'text'.",
        ),
        None,
    ),
    "chat.api_version.json_schema": (
        "chat/completions",
        "gpt-4o",
        {
            "messages": USER,
            "response_format": STRICT_RF
            | {"json_schema": {"name": "a", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}},
        },
        {
            "code": "BadRequest",
            "message": "response_format value as json_schema is enabled only for api versions "
            "2024-08-01-preview and later",
        },
        "2024-06-01",
    ),
    "chat.response_format.json_word": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "response_format": {"type": "json_object"}},
        err(
            None,
            "messages",
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        ),
        None,
    ),
    "chat.tools.schema_valid": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [fn(parameters={"type": "object", "properties": {"city": {"type": "strng"}}})]},
        err(
            "invalid_function_parameters",
            "tools[0].function.parameters",
            "Invalid schema for function 'get_weather': 'strng' is not valid under any of the given schemas.",
        ),
        None,
    ),
    "chat.tools.schema_object": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [fn(parameters={"type": "object"})]},
        err(
            "invalid_function_parameters",
            "tools[0].function.parameters",
            "Invalid schema for function 'get_weather': In context=(), object schema missing properties.",
        ),
        None,
    ),
    "chat.tools.strict": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "tools": [fn(strict=True)]},
        err(
            "invalid_function_parameters",
            "tools[0].function.parameters",
            "Invalid schema for function 'get_weather': In context=(), 'additionalProperties' is "
            "required to be supplied and to be false.",
        ),
        None,
    ),
    "chat.response_format.schema_valid": (
        "chat/completions",
        "gpt-4o",
        {
            "messages": USER,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "a", "schema": {"type": "object", "properties": {"a": {"type": "strng"}}}},
            },
        },
        err(
            None,
            "response_format",
            "Invalid schema for response_format 'a': 'strng' is not valid under any of the given schemas.",
        ),
        None,
    ),
    "chat.response_format.strict": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "response_format": STRICT_RF},
        err(
            None,
            "response_format",
            "Invalid schema for response_format 'a': In context=(), "
            "'required' is required to be supplied and to be an array including every key in "
            "properties. Missing 'b'.",
        ),
        None,
    ),
    "chat.reasoning.max_tokens": (
        "chat/completions",
        "o3-mini",
        {"messages": USER, "max_tokens": 500},
        err(
            "unsupported_parameter",
            "max_tokens",
            "Unsupported parameter: 'max_tokens' is not "
            "supported with this model. Use 'max_completion_tokens' instead.",
        ),
        None,
    ),
    "chat.reasoning.sampling_refused": (
        "chat/completions",
        "o3-mini",
        {"messages": USER, "temperature": 0.5},
        err(
            "unsupported_parameter",
            "temperature",
            "Unsupported parameter: 'temperature' is not supported with this model.",
        ),
        None,
    ),
    "chat.reasoning.sampling_default_only": (
        "chat/completions",
        "gpt-5-mini",
        {"messages": USER, "temperature": 0.7},
        err(
            "unsupported_value",
            "temperature",
            "Unsupported value: 'temperature' does "
            "not support 0.7 with this model. Only the default (1) value is "
            "supported.",
        ),
        None,
    ),
    "chat.reasoning.penalties_logprobs": (
        "chat/completions",
        "o3-mini",
        {"messages": USER, "logprobs": True},
        err("unsupported_parameter", "logprobs", "Unsupported parameter: 'logprobs' is not supported with this model."),
        None,
    ),
    "chat.reasoning.stop": (
        "chat/completions",
        "gpt-5-mini",
        {"messages": USER, "stop": ["\nObservation:"]},
        err("unsupported_parameter", "stop", "Unsupported parameter: 'stop' is not supported with this model."),
        None,
    ),
    "chat.reasoning.parallel_tool_calls": (
        "chat/completions",
        "o3-mini",
        {"messages": USER, "tools": [fn()], "parallel_tool_calls": False},
        err(
            "unsupported_parameter",
            "parallel_tool_calls",
            "Unsupported parameter: 'parallel_tool_calls' is not supported with this model.",
        ),
        None,
    ),
    "chat.reasoning_effort.unsupported": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "reasoning_effort": "low"},
        err(None, None, "Unrecognized request argument supplied: reasoning_effort"),
        None,
    ),
    "chat.reasoning_effort.value": (
        "chat/completions",
        "o3-mini",
        {"messages": USER, "reasoning_effort": "minimal"},
        err(
            "unsupported_value",
            "reasoning_effort",
            "Unsupported value: 'reasoning_effort' "
            "does not support 'minimal' with this model. Supported values are: 'low', "
            "'medium', and 'high'.",
        ),
        None,
    ),
    "chat.limits.max_output": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "max_tokens": 100_000},
        err(
            "invalid_value",
            "max_tokens",
            "max_tokens is too large: 100000. This model supports at "
            "most 16384 completion tokens, whereas you provided 100000.",
        ),
        None,
    ),
    "chat.limits.context_window": (
        "chat/completions",
        "gpt-4o",
        {"messages": [{"role": "user", "content": "word " * 140_000}]},
        {"code": "context_length_exceeded", "param": "messages"},
        None,
    ),
    "chat.order.tool_answers_call": (
        "chat/completions",
        "gpt-4o",
        {"messages": USER + [{"role": "tool", "tool_call_id": "call_1", "content": "18C"}]},
        err(
            None,
            "messages.[1].role",
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
            "message with 'tool_calls'.",
        ),
        None,
    ),
    "chat.order.every_call_answered": (
        "chat/completions",
        "gpt-4o",
        {
            "messages": USER
            + [
                {"role": "assistant", "content": None, "tool_calls": [CALL, CALL2]},
                {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
                {"role": "user", "content": "And Rome?"},
            ]
        },
        err(
            None,
            "messages.[1].role",
            "An assistant message with 'tool_calls' must be followed by tool messages "
            "responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_2",
        ),
        None,
    ),
}
