"""Responses API rules for tools: tool types (function and the built-in tools Azure offers), function
tools in the flat Responses form with valid schemas, the built-in tools' required fields and routing
headers, ``tool_choice``, and the ``include`` values.

Sources per rule; ``Learn responses`` is ``learn.microsoft.com/azure/foundry/openai/how-to/responses``.
"""

from __future__ import annotations

from typing import Any

from . import azure
from . import responses_tools as rt
from .rules import Ctx, rule
from .rules_schema import FunctionDef, check_function_schemas, check_tool_count

JSON = dict[str, Any]
LEARN = "Learn responses"
_SUPPORTED_TOOLS = ", ".join(f"'{t}'" for t in rt.TOOL_TYPES[:-1]) + f", and '{rt.TOOL_TYPES[-1]}'"


def _tools(ctx: Ctx) -> list[JSON]:
    t = ctx.body.get("tools")
    return [x for x in t if isinstance(x, dict)] if isinstance(t, list) else []


def _functions(ctx: Ctx) -> list[tuple[int, JSON]]:
    return [(i, t) for i, t in enumerate(_tools(ctx)) if t.get("type") == "function"]


# --- tools ------------------------------------------------------------------------------------


@rule(
    "responses.tools.type",
    "responses",
    stage=40,
    what="each tool's `type` is one the Responses API on Azure offers",
    code="invalid_value",
    param="tools[i].type",
    message="Invalid value: '{type}'. Supported values are: 'function', 'custom', 'web_search_preview', ...",
    source=LEARN + " (tools: function, web search, file search, code interpreter, image generation, remote MCP)",
)
def _tool_type(ctx: Ctx) -> None:
    for i, t in enumerate(_tools(ctx)):
        if t.get("type") not in rt.TOOL_TYPES:
            raise azure.invalid_value(
                f"tools[{i}].type", f"Invalid value: '{t.get('type')}'. Supported values are: {_SUPPORTED_TOOLS}."
            )


@rule(
    "responses.tools.web_search.api_version",
    "responses",
    stage=40,
    what="web search tools on the dated api-versions (2025-03-01-preview / 2025-04-01-preview do not carry them)",
    code="invalid_value",
    param="tools[i].type",
    message="Invalid value: '{type}'. Supported values are: 'function', 'file_search', 'code_interpreter', "
    "'image_generation', and 'mcp'.",
    source=LEARN + ' (2025 note: "The web search tool is ... not part of the 2025-03-01-preview API"); '
    "azure-recordings crewAI TestAzureResponsesCall (web_search_preview accepted on v1)",
)
def _web_search_version(ctx: Ctx) -> None:
    if ctx.style == "v1":
        return
    for i, t in enumerate(_tools(ctx)):
        if str(t.get("type")).startswith("web_search"):
            raise azure.invalid_value(
                f"tools[{i}].type",
                f"Invalid value: '{t.get('type')}'. Supported values are: 'function', 'file_search', "
                "'code_interpreter', 'image_generation', and 'mcp'.",
            )


@rule(
    "responses.tools.function_name",
    "responses",
    stage=40,
    what="function tools in the flat Responses form (`name` at the top; chat's nested `function` object is refused)",
    code="missing_required_parameter",
    param="tools[i].name",
    message="Missing required parameter: 'tools[i].name'.",
    source="OpenAI Responses reference (FunctionTool); the answer for chat-shaped tools is widely reported",
)
def _function_name(ctx: Ctx) -> None:
    for i, t in _functions(ctx):
        if not isinstance(t.get("name"), str):
            raise azure.missing_parameter(f"tools[{i}].name")


@rule(
    "responses.tools.count",
    "responses",
    stage=40,
    what="at most 128 tools",
    code="array_above_max_length",
    param="tools",
    message="Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with "
    "length {n} instead.",
    source="issue julep-ai/julep#330 (the model service's answer for chat, same limit on Responses)",
)
def _count(ctx: Ctx) -> None:
    check_tool_count(_tools(ctx))


@rule(
    "responses.tools.schema",
    "responses",
    stage=45,
    what="function `parameters` a valid JSON Schema; with `strict: true` every object closed and every property "
    "required",
    code="invalid_function_parameters",
    param="tools[i].parameters",
    message="Invalid schema for function '{name}': {problem}",
    source="issues evalstate/fast-agent#143, kevinwatt/mysql-mcp#5 (chat answers quoted; the same validator serves "
    "Responses, with the flat param path)",
)
def _function_schema(ctx: Ctx) -> None:
    # `parameters` may be null on Responses (FunctionTool: a nullable field): nothing to check then
    check_function_schemas(FunctionDef(f"tools[{i}]", t) for i, t in _functions(ctx) if t.get("parameters") is not None)


@rule(
    "responses.tools.builtin_required",
    "responses",
    stage=45,
    what="built-in tools carry their required field: `container` (code_interpreter), `vector_store_ids` "
    "(file_search), `server_label` (mcp)",
    code="missing_required_parameter",
    param="tools[i].container",
    message="Missing required parameter: 'tools[i].container'.",
    source="OpenAI Responses reference (CodeInterpreterTool, FileSearchTool, MCPTool required fields)",
)
def _builtin_required(ctx: Ctx) -> None:
    needs = {"code_interpreter": "container", "file_search": "vector_store_ids", "mcp": "server_label"}
    for i, t in enumerate(_tools(ctx)):
        field = needs.get(str(t.get("type")))
        if field and field not in t:
            raise azure.missing_parameter(f"tools[{i}].{field}")


@rule(
    "responses.tools.image_generation.deployment",
    "responses",
    stage=45,
    what="`image_generation` needs the `x-ms-oai-image-generation-deployment` header naming a gpt-image-1 deployment",
    code=None,
    param=None,
    message="There was an issue with your request. Please check your inputs and try again",
    source="Microsoft Tech Community thread 4424643 (Azure's answer quoted; the header is the fix); " + LEARN,
)
def _image_generation(ctx: Ctx) -> None:
    if not any(t.get("type") == "image_generation" for t in _tools(ctx)):
        return
    name = (ctx.scratch.get("headers") or {}).get("x-ms-oai-image-generation-deployment")
    dep = ctx.config.deployments.get(name or "")
    if dep is None or dep.kind != "images":
        raise azure.bad_request("There was an issue with your request. Please check your inputs and try again")


@rule(
    "responses.tool_choice",
    "responses",
    stage=45,
    what="a named `tool_choice` function is one of `tools`",
    code="invalid_value",
    param="tool_choice",
    message="Tool choice '{name}' not found in 'tools' parameter.",
    source="OpenAI Responses reference (ToolChoiceFunction)",
)
def _tool_choice(ctx: Ctx) -> None:
    tc = ctx.body.get("tool_choice")
    if isinstance(tc, dict) and tc.get("type") == "function":
        names = {t.get("name") for _, t in _functions(ctx)}
        if tc.get("name") not in names:
            raise azure.invalid_value("tool_choice", f"Tool choice '{tc.get('name')}' not found in 'tools' parameter.")


@rule(
    "responses.include",
    "responses",
    stage=30,
    what="`include` values the Responses API defines (e.g. `reasoning.encrypted_content`)",
    code="invalid_value",
    param="include[i]",
    message="Invalid value: '{value}'. Supported values are: 'code_interpreter_call.outputs', ...",
    source="OpenAI Responses reference (include enum)",
)
def _include(ctx: Ctx) -> None:
    inc = ctx.body.get("include")
    if inc is None:
        return
    if not isinstance(inc, list):
        raise azure.invalid_type("include", "an array")
    rt.check_include(inc)
