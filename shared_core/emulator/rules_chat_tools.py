"""Chat-completion rules about tools: definitions, ``tool_choice``, response formats, and the order of
tool calls and tool answers in ``messages``.

Sources are cited per rule (``azure-recordings/...`` = a real Azure response in
``../shared/azure-recordings``; ``issue`` = a public issue quoting Azure's answer).
"""

from __future__ import annotations

from typing import Any

from . import azure
from . import behaviour as bh
from .rules import Ctx, rule
from .rules_chat import FUNCTION_FIELDS, TOOL_NAME_CHARS, _messages, _tools
from .rules_schema import check_tool_count

# --- tools ---------------------------------------------------------------------------------


@rule(
    "chat.tools.shape",
    "chat",
    stage=40,
    what="`tools` an array of `{type: function, function: {name, ...}}`",
    code="missing_required_parameter",
    param="tools[i].function.name",
    message="Missing required parameter: 'tools[i].function.name'.",
    source="OpenAI chat schema (ChatCompletionTool)",
)
def _tools_shape(ctx: Ctx) -> None:
    tools = ctx.body.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list):
        raise azure.invalid_type("tools", "an array")
    for i, t in enumerate(tools):
        if not isinstance(t, dict) or not isinstance(t.get("function"), dict):
            raise azure.missing_parameter(f"tools[{i}].function")
        if not t["function"].get("name"):
            raise azure.missing_parameter(f"tools[{i}].function.name")


@rule(
    "chat.tools.unknown_field",
    "chat",
    stage=40,
    what="a function definition carrying a field the schema does not "
    "define (e.g. Anthropic's `input_schema` instead of `parameters`)",
    code="unknown_parameter",
    param="tools[i].function.{field}",
    message="Unknown parameter: 'tools[i].function.{field}'.",
    source="issue openai/openai-python#1492 (Azure's `unknown_parameter` answer quoted)",
)
def _tools_unknown(ctx: Ctx) -> None:
    for i, t in enumerate(_tools(ctx)):
        for key in t["function"]:
            if key not in FUNCTION_FIELDS:
                raise azure.unknown_parameter(f"tools[{i}].function.{key}")


@rule(
    "chat.tools.count",
    "chat",
    stage=40,
    what="at most 128 tools",
    code="array_above_max_length",
    param="tools",
    message="Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with "
    "length {n} instead.",
    source="issue julep-ai/julep#330 (the model service's answer quoted)",
)
def _tools_count(ctx: Ctx) -> None:
    check_tool_count(_tools(ctx))


@rule(
    "chat.tools.name_pattern",
    "chat",
    stage=40,
    what="tool names match `^[a-zA-Z0-9_-]+$`",
    code="invalid_value",
    param="tools[i].function.name",
    message="Invalid 'tools[i].function.name': string does not match pattern. "
    "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
    source="issue Vortiago/mcp-azure-devops#30 (the model service's answer quoted)",
)
def _tool_name_pattern(ctx: Ctx) -> None:
    for i, t in enumerate(_tools(ctx)):
        name = t["function"]["name"]
        if not isinstance(name, str) or not set(name) <= TOOL_NAME_CHARS:
            raise azure.invalid_value(
                f"tools[{i}].function.name",
                f"Invalid 'tools[{i}].function.name': string does "
                "not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
            )


@rule(
    "chat.tools.name_length",
    "chat",
    stage=40,
    what="tool names at most 64 characters",
    code="string_above_max_length",
    param="tools[i].function.name",
    message="Invalid 'tools[i].function.name': string too long. Expected a string "
    "with maximum length 64, but got a string with length {n} instead.",
    source="OpenAI function-calling reference (name: a-z, A-Z, 0-9, _ and -, maximum length 64)",
)
def _tool_name_length(ctx: Ctx) -> None:
    for i, t in enumerate(_tools(ctx)):
        name = t["function"]["name"]
        if len(name) > 64:
            raise azure.bad_request(
                f"Invalid 'tools[{i}].function.name': string too long. Expected a string with maximum "
                f"length 64, but got a string with length {len(name)} instead.",
                param=f"tools[{i}].function.name",
                code="string_above_max_length",
            )


@rule(
    "chat.tool_choice",
    "chat",
    stage=40,
    what="`tool_choice` only with `tools`; 'none'/'auto'/'required' or a named tool that is in `tools`",
    code=None,
    param="tool_choice",
    message="Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
    source="OpenAI chat reference (tool_choice), passed through by Azure",
)
def _tool_choice(ctx: Ctx) -> None:
    tc = ctx.body.get("tool_choice")
    if tc is None:
        return
    tools = _tools(ctx)
    if not tools:
        raise azure.bad_request(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
        )
    if isinstance(tc, str) and tc not in ("none", "auto", "required"):
        raise azure.invalid_value(
            "tool_choice", f"Invalid value: '{tc}'. Supported values are: 'none', 'auto', and 'required'."
        )
    if isinstance(tc, dict):
        name = (tc.get("function") or {}).get("name")
        if name not in {t["function"]["name"] for t in tools}:
            raise azure.invalid_value(
                "tool_choice", f"Invalid value for 'tool_choice': tool '{name}' is not in 'tools'."
            )


# --- response_format -----------------------------------------------------------------------


@rule(
    "chat.response_format.type",
    "chat",
    stage=40,
    what="`response_format.type` one of text / json_object / json_schema, json_schema with a `name`",
    code="invalid_value",
    param="response_format.type",
    message="Invalid value: '{type}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
    source="OpenAI chat schema (ResponseFormat)",
)
def _rf_type(ctx: Ctx) -> None:
    rf = ctx.body.get("response_format")
    if rf is None:
        return
    rtype = rf.get("type") if isinstance(rf, dict) else None
    if rtype not in ("text", "json_object", "json_schema"):
        raise azure.invalid_value(
            "response_format.type",
            f"Invalid value: '{rtype}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
        )
    if rtype == "json_schema" and not ctx.version_before("2024-08-01"):
        js = rf.get("json_schema")
        if not isinstance(js, dict) or not js.get("name"):
            raise azure.missing_parameter("response_format.json_schema.name")


@rule(
    "chat.api_version.json_schema",
    "chat",
    stage=40,
    what="`response_format: json_schema` on a dated api-version before 2024-08-01-preview",
    code="BadRequest",
    param=None,
    message="response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later",
    source='Learn how-to/structured-outputs ("API support: first added in 2024-08-01-preview"); Azure-native error shape',
)
def _rf_version(ctx: Ctx) -> None:
    rf = ctx.body.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_schema" and ctx.version_before("2024-08-01"):
        raise azure.azure_bad_request(
            "response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later"
        )


@rule(
    "chat.response_format.json_word",
    "chat",
    stage=40,
    what="`json_object` mode with the word 'json' somewhere in the messages",
    code=None,
    param="messages",
    message="'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
    source="OpenAI JSON-mode guide, passed through by Azure",
)
def _json_word(ctx: Ctx) -> None:
    rf = ctx.body.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_object":
        if "json" not in " ".join(bh.message_text(m) for m in _messages(ctx)).lower():
            raise azure.bad_request(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                param="messages",
            )


# --- message order -------------------------------------------------------------------------


@rule(
    "chat.order.tool_answers_call",
    "chat",
    stage=80,
    what="a tool message answers a tool call of the assistant "
    "message before it (directly, or after that message's other tool answers)",
    code=None,
    param="messages.[i].role",
    message="Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
    source="issue lobehub/lobehub#3613 (Azure answer quoted, param `messages.[1].role`)",
)
def _tool_answers(ctx: Ctx) -> None:
    open_ids: set[Any] | None = None  # ids of the current assistant turn's calls, None outside such a turn
    for i, m in enumerate(_messages(ctx)):
        role = m.get("role")
        if role == "tool":
            if open_ids is None or m.get("tool_call_id") not in open_ids:
                raise azure.bad_request(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                    "message with 'tool_calls'.",
                    param=f"messages.[{i}].role",
                )
            continue
        calls = m.get("tool_calls") if role == "assistant" else None
        open_ids = {c.get("id") for c in calls if isinstance(c, dict)} if isinstance(calls, list) and calls else None


@rule(
    "chat.order.every_call_answered",
    "chat",
    stage=80,
    what="every tool call of an assistant message is answered by a tool message before the next non-tool message",
    code=None,
    param="messages.[i].role",
    message="An assistant message with 'tool_calls' must be followed by tool messages responding to each "
    "'tool_call_id'. The following tool_call_ids did not have response messages: {ids}",
    source="PR microsoft/promptflow#3130 (the service's message quoted)",
)
def _calls_answered(ctx: Ctx) -> None:
    msgs = _messages(ctx)
    for i, m in enumerate(msgs):
        calls = m.get("tool_calls") if m.get("role") == "assistant" else None
        if not isinstance(calls, list) or not calls:
            continue
        answered = set()
        for later in msgs[i + 1 :]:
            if later.get("role") != "tool":
                break
            answered.add(later.get("tool_call_id"))
        missing = [c.get("id") for c in calls if isinstance(c, dict) and c.get("id") not in answered]
        if missing:
            raise azure.bad_request(
                "An assistant message with 'tool_calls' must be followed by tool messages responding "
                "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                + ", ".join(str(x) for x in missing),
                param=f"messages.[{i}].role",
            )
