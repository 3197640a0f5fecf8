"""The emulator's request-rule table: one case per row, on both route styles, and the doc kept equal to the code.

Expected answers are Azure's as quoted in docs/emulator-rules.md (recordings, public issues, Learn),
never the emulator's own output.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_core.emulator import rules
from shared_core.emulator.app import create_app
from shared_core.emulator.config import (
    CURRENT_MODELS,
    LEGACY_DEFAULTS,
    ManualClock,
    default_deployments,
    make_deployment,
)
from shared_core.emulator.media import png
from shared_core.emulator.ruledoc import render

REPO = Path(__file__).resolve().parents[2]
H = {"api-key": "azoai-emulator-key"}
USER = [{"role": "user", "content": "What is the weather in Paris?"}]
PNG_URL = "data:image/png;base64," + base64.b64encode(png("x")).decode()


def fn(name: str = "get_weather", **extra: Any) -> dict[str, Any]:
    f = {
        "name": name,
        "description": "Get the weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    f.update(extra)
    return {"type": "function", "function": f}


def image(url: str) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": "What is in it?"}, {"type": "image_url", "image_url": {"url": url}}],
        }
    ]


def err(code: str | None, param: str | None, message: str) -> dict[str, Any]:
    return {"message": message, "type": "invalid_request_error", "param": param, "code": code}


KIND = (
    "The chatCompletion operation does not work with the specified model, {}. Please choose different model and try "
    "again. You can learn more about which models can be used with each operation here: "
    "https://go.microsoft.com/fwlink/?linkid=2197993."
)
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
CALL2 = {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
STRICT_RF = {
    "type": "json_schema",
    "json_schema": {
        "name": "a",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "required": ["a"],
            "additionalProperties": False,
        },
    },
}

# rule id -> (operation, deployment, body, expected error object, dated api-version or None for the default).
# On v1 routes the same request carries ``model`` and gets the same answer, except api-version rows
# (v1 serves every feature): there the same body is accepted.
CASES: dict[str, tuple[str, str, dict[str, Any], dict[str, Any], str | None]] = {
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
    "completions.unknown_parameter": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "completions.prompt": (
        "completions",
        "gpt-35-turbo-instruct",
        {},
        err("missing_required_parameter", "prompt", "Missing required parameter: 'prompt'."),
        None,
    ),
    "completions.ranges": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "n": 0},
        err("invalid_value", "n", "Invalid 'n': integer 0 is out of range (minimum 1) (maximum 128)."),
        None,
    ),
    "completions.stream_options.without_stream": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "stream_options": {"include_usage": True}},
        err(None, "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
        None,
    ),
    "completions.context_window": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "max_tokens": 5000},
        {"code": "context_length_exceeded", "param": None},
        None,
    ),
    "images.unknown_parameter": (
        "images/generations",
        "dall-e-3",
        {"prompt": "a cat", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "images.prompt": (
        "images/generations",
        "dall-e-3",
        {"n": 1},
        err("missing_required_parameter", "prompt", "Missing required parameter: 'prompt'."),
        None,
    ),
    "images.n": (
        "images/generations",
        "dall-e-3",
        {"prompt": "a cat", "n": 2},
        err("invalid_value", "n", "You must provide n=1 for this model."),
        None,
    ),
    "images.size": (
        "images/generations",
        "gpt-image-1",
        {"prompt": "a cat", "size": "1792x1024"},
        err(
            "invalid_value",
            "size",
            "The size is not supported by this model. Supported values are: 1024x1024, 1536x1024, 1024x1536, auto.",
        ),
        None,
    ),
    "images.enums": (
        "images/generations",
        "dall-e-3",
        {"prompt": "a cat", "style": "baroque"},
        err("invalid_value", "style", "Invalid value: 'baroque'. Supported values are: 'vivid' and 'natural'."),
        None,
    ),
    "speech.unknown_parameter": (
        "audio/speech",
        "tts",
        {"input": "hi", "voice": "alloy", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "speech.input": (
        "audio/speech",
        "gpt-4o-mini-tts",
        {"voice": "alloy"},
        err("missing_required_parameter", "input", "Missing required parameter: 'input'."),
        None,
    ),
    "speech.voice_format_speed": (
        "audio/speech",
        "tts",
        {"input": "hi", "voice": "alloy", "speed": 5},
        err("invalid_value", "speed", "Invalid 'speed': 5 is out of range (0.25 to 4.0)."),
        None,
    ),
    "transcription.file": (
        "audio/transcriptions",
        "whisper",
        {"__file__": ("notes.txt", b"hello")},
        err(
            None,
            "file",
            "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', "
            "'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
        ),
        None,
    ),
    "transcription.file_size": (
        "audio/transcriptions",
        "gpt-4o-transcribe",
        {"__file__": ("big.wav", b"\0" * (25 * 1024 * 1024 + 1))},
        {
            "code": "RequestEntityTooLarge",
            "message": "Maximum content size limit (26214400) exceeded (26214401 bytes read)",
        },
        None,
    ),
    "transcription.response_format": (
        "audio/transcriptions",
        "whisper",
        {"__file__": ("a.wav", b"RIFF"), "response_format": "docx"},
        err(
            "invalid_value",
            "response_format",
            "Invalid value: 'docx'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'.",
        ),
        None,
    ),
    "files.purpose": (
        "files",
        "",
        {"__file__": ("in.jsonl", b"{}"), "purpose": "training"},
        err(
            "invalid_value",
            "purpose",
            "Invalid value for 'purpose': 'training'. Supported values are: "
            "fine-tune, batch, assistants, evals, vision, user_data.",
        ),
        None,
    ),
    "files.jsonl": (
        "files",
        "",
        {"__file__": ("in.txt", b"{}"), "purpose": "batch"},
        err("invalid_value", "file", "Invalid file format for batch. Only .jsonl files are supported."),
        None,
    ),
    "batches.fields": (
        "batches",
        "",
        {"input_file_id": "file-x", "endpoint": "/completions", "completion_window": "24h"},
        err(
            "invalid_value",
            "endpoint",
            "Invalid value for 'endpoint': '/completions'. Supported values "
            "are: '/chat/completions' and '/embeddings'.",
        ),
        None,
    ),
    "embeddings.unknown_parameter": (
        "embeddings",
        "text-embedding-3-small",
        {"input": "hi", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "embeddings.input": (
        "embeddings",
        "text-embedding-3-small",
        {},
        err("missing_required_parameter", "input", "Missing required parameter: 'input'."),
        None,
    ),
    "embeddings.input_count": (
        "embeddings",
        "text-embedding-3-small",
        {"input": ["a"] * 2049},
        err(
            None,
            None,
            "Too many inputs. The max number of inputs is 2048.  We hope to increase the "
            "number of inputs per request soon. Please contact us through an Azure support request "
            "at: https://go.microsoft.com/fwlink/?linkid=2213926 for further questions.",
        ),
        None,
    ),
    "embeddings.input_tokens": (
        "embeddings",
        "text-embedding-3-small",
        {"input": ["word " * 9000]},
        {"code": "context_length_exceeded", "param": "input"},
        None,
    ),
    "embeddings.dimensions": (
        "embeddings",
        "ada",
        {"input": "hi", "dimensions": 256},
        err(None, "dimensions", "This model does not support specifying dimensions."),
        None,
    ),
    "embeddings.encoding_format": (
        "embeddings",
        "text-embedding-3-small",
        {"input": "hi", "encoding_format": "hex"},
        err("invalid_value", "encoding_format", "Invalid value: 'hex'. Supported values are: 'float' and 'base64'."),
        None,
    ),
}


def _app(**changes: Any) -> Any:
    deps = default_deployments() | {
        "old-gpt-4": make_deployment("old-gpt-4", "gpt-4"),
        "ada": make_deployment("ada", "text-embedding-ada-002"),
    }
    return create_app(clock=ManualClock(), deployments=deps, **changes)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://emu") as c:
        yield c


async def test_fields_real_azure_accepted_on_older_api_versions_stay_accepted(client: httpx.AsyncClient) -> None:
    # azure-recordings/elastic__elastic-otel-python-instrumentations/...test_stream_with_include_usage_option[...]:
    # stream_options answered 200 on 2024-08-01-preview; ...test_embeddings__test_basic[...]: encoding_format on 2023-05-15
    chat = await post(
        client,
        "dated",
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "stream": True, "stream_options": {"include_usage": True}},
        "2024-08-01-preview",
    )
    assert chat.status_code == 200
    emb = await post(
        client,
        "dated",
        "embeddings",
        "text-embedding-3-small",
        {"input": "hi", "encoding_format": "base64"},
        "2023-05-15",
    )
    assert emb.status_code == 200


async def post(
    client: httpx.AsyncClient, style: str, op: str, dep: str, body: dict[str, Any], version: str | None = None
) -> httpx.Response:
    unscoped = op in ("files", "batches")  # no deployment: /openai/{op} and /openai/v1/{op}
    if "__file__" in body:  # multipart operations: the model goes in a form field on v1
        fields = {k: v for k, v in body.items() if k != "__file__"} | ({"model": dep} if style == "v1" and dep else {})
        url = (
            f"/openai/v1/{op}"
            if style == "v1"
            else f"/openai/{op}?api-version=2024-10-21"
            if unscoped
            else f"/openai/deployments/{dep}/{op}?api-version=2024-10-21"
        )
        return await client.post(url, data=fields, files={"file": body["__file__"]}, headers=H)
    if unscoped:
        url = f"/openai/v1/{op}" if style == "v1" else f"/openai/{op}?api-version=2024-10-21"
        return await client.post(url, json=body, headers=H)
    if style == "v1":
        return await client.post(f"/openai/v1/{op}", json=body | {"model": dep}, headers=H)
    return await client.post(
        f"/openai/deployments/{dep}/{op}?api-version={version or '2024-10-21'}", json=body, headers=H
    )


def test_every_rule_has_a_case_and_every_case_a_rule() -> None:
    assert {r.id for r in rules.load()} == set(CASES)


def test_doc_is_generated_from_the_table() -> None:
    doc = (REPO / "docs" / "emulator-rules.md").read_text(encoding="utf-8")
    assert doc == render(), "regenerate: python -m shared_core.emulator.ruledoc > docs/emulator-rules.md"
    for r in rules.load():
        assert f"| `{r.id}` |" in doc


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize("rule_id", sorted(CASES))
async def test_rule(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, rule_id: str, style: str) -> None:
    op, dep, body, expected, version = CASES[rule_id]
    # a pending rule is switched off only for our own client's sake; its answer is still Azure's
    monkeypatch.setattr(rules, "PENDING_CLIENT_FIXES", {})
    r = await post(client, style, op, dep, body, version)
    if version is not None and style == "v1":  # api-version gates: v1 serves every feature
        assert r.status_code == 200, r.text
        return
    status = next(x.status for x in rules.load() if x.id == rule_id)
    assert r.status_code == status, r.text
    got = r.json()["error"]
    assert {k: got.get(k) for k in expected} == expected


async def test_pending_rules_are_off_until_the_client_is_fixed(client: httpx.AsyncClient) -> None:
    for rule_id in rules.PENDING_CLIENT_FIXES:
        op, dep, body, _expected, version = CASES[rule_id]
        r = await post(client, "dated", op, dep, body, version)
        assert r.status_code == 200, (rule_id, r.text)


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize(
    "dep,body",
    [
        ("gpt-5-mini", {"messages": USER, "temperature": 1}),  # the default value is accepted
        (
            "gpt-5-mini",
            {"messages": USER, "tools": [fn()], "parallel_tool_calls": False},
        ),  # gpt-5 takes it, o-series does not
        ("gpt-5-mini", {"messages": USER, "reasoning_effort": "minimal"}),
        (
            "gpt-4o",
            {
                "messages": USER,
                "tools": [
                    fn(
                        strict=True,
                        parameters={
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                            "additionalProperties": False,
                        },
                    )
                ],
            },
        ),
        ("gpt-4o", {"messages": image(PNG_URL)}),
        (
            "gpt-4o",
            {
                "messages": USER
                + [
                    {"role": "assistant", "content": None, "tool_calls": [CALL, CALL2]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
                    {"role": "tool", "tool_call_id": "call_2", "content": "21C"},
                ]
            },
        ),
        ("gpt-5.2", {"messages": USER, "max_completion_tokens": 128_000}),
        ("gpt-4o", {"messages": USER, "stream": True, "stream_options": {"include_usage": True}}),
    ],
)
async def test_valid_requests_near_a_rule_are_served(
    client: httpx.AsyncClient, style: str, dep: str, body: dict[str, Any]
) -> None:
    r = await post(client, style, "chat/completions", dep, body)
    assert r.status_code == 200, r.text


async def test_listed_image_hosts_and_own_blobs_are_reachable() -> None:
    app = _app(image_url_hosts=("images.contoso.test",))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        r = await post(
            c, "dated", "chat/completions", "gpt-4o", {"messages": image("https://images.contoso.test/cat.png")}
        )
        assert r.status_code == 200, r.text
        gen = await post(c, "dated", "images/generations", "dall-e-3", {"prompt": "a cat", "response_format": "url"})
        url = gen.json()["data"][0]["url"]
        r = await post(c, "dated", "chat/completions", "gpt-4o", {"messages": image(url)})
        assert r.status_code == 200, r.text


# --- today's models (additive) --------------------------------------------------------------


def test_current_models_are_deployed_next_to_the_legacy_defaults() -> None:
    deps = default_deployments()
    assert set(LEGACY_DEFAULTS) | set(CURRENT_MODELS) == set(deps)
    assert {n: deps[n].kind for n in CURRENT_MODELS} == {
        "gpt-5.2": "reasoning",
        "gpt-5-mini": "reasoning",
        "model-router": "chat",
        "text-embedding-3-large": "embeddings",
        "gpt-image-1": "images",
        "gpt-4o-transcribe": "transcription",
        "gpt-4o-mini-tts": "speech",
    }
    assert deps["text-embedding-3-large"].dimensions == 3072


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_model_router_names_the_model_that_served(client: httpx.AsyncClient, style: str) -> None:
    # Learn model-router: the response `model` is the underlying model, e.g. gpt-5-mini-2025-08-07
    light = await post(client, style, "chat/completions", "model-router", {"messages": USER})
    heavy = await post(client, style, "chat/completions", "model-router", {"messages": USER, "tools": [fn()]})
    assert light.json()["model"] == "gpt-4.1-mini-2025-04-14"
    assert heavy.json()["model"] == "gpt-5-mini-2025-08-07"


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_current_models_serve_their_operations(client: httpx.AsyncClient, style: str) -> None:
    r = await post(client, style, "chat/completions", "gpt-5.2", {"messages": USER})
    assert r.status_code == 200 and r.json()["model"] == "gpt-5.2-2025-12-11"
    too_many = await post(
        client, style, "chat/completions", "gpt-5.2", {"messages": USER, "max_completion_tokens": 128_001}
    )
    assert too_many.json()["error"]["message"] == (
        "max_completion_tokens is too large: 128001. This model supports at most "
        "128000 completion tokens, whereas you provided 128001."
    )
    emb = await post(client, style, "embeddings", "text-embedding-3-large", {"input": "hi"})
    assert len(emb.json()["data"][0]["embedding"]) == 3072
    img = await post(client, style, "images/generations", "gpt-image-1", {"prompt": "a cat", "size": "1536x1024"})
    assert img.status_code == 200 and "b64_json" in img.json()["data"][0]
    speech = await post(client, style, "audio/speech", "gpt-4o-mini-tts", {"input": "hello there", "voice": "alloy"})
    assert speech.status_code == 200 and speech.content[:4] == b"RIFF"


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize(
    "model,operation,path,body",
    [
        ("o4-mini", "chatCompletion", "chat/completions", {"messages": USER}),  # retired 2026-10-16
        ("dall-e-2", "imageGeneration", "images/generations", {"prompt": "a cat"}),  # retired 2025-01-27
    ],
)
async def test_retired_model_deployments_answer_as_azure(
    style: str, model: str, operation: str, path: str, body: dict[str, Any]
) -> None:
    app = create_app(clock=ManualClock(), overrides={"deployments": {"legacy": model}})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        r = await post(c, style, path, "legacy", body)
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "code": "OperationNotSupported",
            "message": (
                f"The {operation} operation does not work with the specified model, {model}. Please choose different model and "
                "try again. You can learn more about which models can be used with each operation here: "
                "https://go.microsoft.com/fwlink/?linkid=2197993."
            ),
        }
    }
