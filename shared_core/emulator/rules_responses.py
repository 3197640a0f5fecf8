"""Responses API rules: api-versions, the request shape, ``text.format``, model-family parameters,
limits, and the stored state a request refers to (tools: ``rules_responses_tools``).

Sources per rule; ``Learn responses`` is ``learn.microsoft.com/azure/foundry/openai/how-to/responses``.
Messages are OpenAI's, passed through by Azure, where a public report quotes them.
"""

from __future__ import annotations

from typing import Any

from . import azure
from . import behaviour as bh
from . import responses_input as ri
from .catalog import takes_sampling
from .rules import Ctx, rule
from .rules_schema import schema_problem, strict_problem

JSON = dict[str, Any]

RESPONSES_PARAMS = frozenset(
    "model input instructions previous_response_id store stream stream_options background include reasoning text "
    "tools tool_choice parallel_tool_calls max_output_tokens max_tool_calls metadata temperature top_p top_logprobs "
    "truncation user safety_identifier prompt_cache_key prompt_cache_retention service_tier conversation prompt "
    "context_management".split()
)
ROLES = ("assistant", "system", "developer", "user")
ITEM_TYPES = (
    "message",
    "function_call",
    "function_call_output",
    "reasoning",
    "item_reference",
    "web_search_call",
    "file_search_call",
    "code_interpreter_call",
    "image_generation_call",
    "mcp_list_tools",
    "mcp_call",
    "mcp_approval_response",
)
LEARN = "Learn responses"


@rule(
    "responses.api_version",
    "responses",
    stage=0,
    status=404,
    what="the dated `/openai/responses` route on an api-version before 2025-03-01-preview (v1 serves it always)",
    code="404",
    param=None,
    message="Resource not found",
    source=LEARN + " (API support: 2025-03-01-preview and later; v1 GA); the generic 404 body Azure gives a route "
    "an api-version does not carry (issue MicrosoftDocs/azure-docs#114602)",
)
def _api_version(ctx: Ctx) -> None:
    if ctx.version_before("2025-03-01"):
        raise azure.resource_not_found()


@rule(
    "responses.unknown_parameter",
    "responses",
    stage=10,
    what="a top-level field the Responses schema does not define (e.g. chat's `messages` or `response_format`)",
    code="unknown_parameter",
    param="{name}",
    message="Unknown parameter: '{name}'.",
    source="OpenAI Responses reference (request body), answer shape as for chat tools (`unknown_parameter`)",
)
def _unknown(ctx: Ctx) -> None:
    for key in ctx.body:
        if key not in RESPONSES_PARAMS:
            raise azure.unknown_parameter(key)


#: top-level field -> (JSON types accepted, the wording of "expected ...")
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "instructions": ((str,), "a string"),
    "previous_response_id": ((str,), "a string"),
    "tools": ((list,), "an array"),
    "reasoning": ((dict,), "an object"),
    "text": ((dict,), "an object"),
    "metadata": ((dict,), "an object"),
    "tool_choice": ((str, dict), "a string or an object"),
    "max_output_tokens": ((int,), "an integer"),
    "max_tool_calls": ((int,), "an integer"),
    "top_logprobs": ((int,), "an integer"),
    "temperature": ((int, float), "a number"),
    "top_p": ((int, float), "a number"),
    "stream": ((bool,), "a boolean"),
    "store": ((bool,), "a boolean"),
    "background": ((bool,), "a boolean"),
    "parallel_tool_calls": ((bool,), "a boolean"),
}
_RANGES = {"temperature": (0, 2), "top_p": (0, 1), "top_logprobs": (0, 20)}


@rule(
    "responses.param.type",
    "responses",
    stage=15,
    what="top-level fields of the JSON type the schema gives (tools an array, reasoning/text objects, "
    "max_output_tokens an integer, flags booleans, ...); temperature 0..2, top_p 0..1, top_logprobs 0..20; "
    "truncation auto/disabled",
    code="invalid_type",
    param="{name}",
    message="Invalid type for '{name}': expected {type}.",
    source="OpenAI Responses reference (request body types and ranges), answer shape as for chat (rules chat.param.*)",
)
def _param_types(ctx: Ctx) -> None:
    for name, (types, wording) in _TYPES.items():
        v = ctx.body.get(name)
        if v is None:
            continue
        bad_bool = isinstance(v, bool) and bool not in types
        if bad_bool or not isinstance(v, types):
            raise azure.invalid_type(name, wording)
    for name, (lo, hi) in _RANGES.items():
        v = ctx.body.get(name)
        if v is not None and not lo <= v <= hi:
            raise azure.invalid_value(name, f"Invalid '{name}': {v} is out of range ({lo} to {hi}).")
    t = ctx.body.get("truncation")
    if t is not None and t not in ("auto", "disabled"):
        raise azure.invalid_value("truncation", f"Invalid value: '{t}'. Supported values are: 'auto' and 'disabled'.")


@rule(
    "responses.input.type",
    "responses",
    stage=20,
    what="`input` a string or an array of items, each of a known `type`",
    code="invalid_type",
    param="input",
    message="Invalid type for 'input': expected a string or an array. / Invalid value: '{type}'. Supported values are: ...",
    source="OpenAI Responses reference (input: string or array of input items)",
)
def _input_type(ctx: Ctx) -> None:
    raw = ctx.body.get("input")
    if raw is None or isinstance(raw, str):
        return
    if not isinstance(raw, list):
        raise azure.invalid_type("input", "a string or an array")
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise azure.invalid_type(f"input[{i}]", "an object")
        kind = ri.item_kind(item)
        if kind not in ITEM_TYPES:
            listed = ", ".join(f"'{t}'" for t in ITEM_TYPES)
            raise azure.invalid_value(f"input[{i}].type", f"Invalid value: '{kind}'. Supported values are: {listed}.")


@rule(
    "responses.input.role",
    "responses",
    stage=20,
    what="every input message has a role of assistant / system / developer / user (chat's `tool` role is not one)",
    code="invalid_value",
    param="input[i].role",
    message="Invalid value: '{role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
    source="OpenAI Responses reference (EasyInputMessage role enum)",
)
def _roles(ctx: Ctx) -> None:
    for i, item in enumerate(ri.input_items(ctx.body)):
        if ri.item_kind(item) == "message" and item.get("role") not in ROLES:
            raise azure.invalid_value(
                f"input[{i}].role",
                f"Invalid value: '{item.get('role')}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
            )


@rule(
    "responses.input.call_output",
    "responses",
    stage=25,
    what="each `function_call_output` answers a `function_call` of this input or of the previous response",
    code=None,
    param="input",
    message="No tool call found for function call output with call_id {call_id}.",
    source="OpenAI's answer quoted in public reports (e.g. openai/codex issues; param `input`)",
)
def _call_outputs(ctx: Ctx) -> None:
    known = set(ctx.scratch.get("prior_call_ids") or ())
    for item in ri.input_items(ctx.body):
        kind = ri.item_kind(item)
        if kind == "function_call":
            known.add(str(item.get("call_id")))
        elif kind == "function_call_output" and str(item.get("call_id")) not in known:
            raise azure.bad_request(
                f"No tool call found for function call output with call_id {item.get('call_id')}.", param="input"
            )


@rule(
    "responses.previous_response_id",
    "responses",
    stage=5,
    what="`previous_response_id` names a stored response of this resource (not deleted, not `store: false`)",
    code="previous_response_not_found",
    param="previous_response_id",
    message="Previous response with id '{id}' not found.",
    source="issue microsoft/agent-framework#6419 (Azure's answer quoted)",
)
def _previous(ctx: Ctx) -> None:
    prev = ctx.body.get("previous_response_id")
    lookup = ctx.scratch.get("lookup")
    if prev is not None and lookup is not None and lookup(str(prev)) is None:
        raise azure.bad_request(
            f"Previous response with id '{prev}' not found.",
            param="previous_response_id",
            code="previous_response_not_found",
        )


@rule(
    "responses.reasoning_item.not_persisted",
    "responses",
    stage=25,
    what="a reasoning item sent by id only, whose response was not stored (`store: false`) or is unknown",
    code=None,
    param="input",
    message="Item with id '{id}' not found. Items are not persisted when `store` is set to false. "
    "Try again with `store` set to true, or remove this item from your input.",
    source="issues openclaw/openclaw#21782, #42800 (Azure's answer quoted)",
)
def _reasoning_persisted(ctx: Ctx) -> None:
    stored = ctx.scratch.get("reasoning_stored") or (lambda _id: False)
    for item in ri.input_items(ctx.body):
        if ri.item_kind(item) == "reasoning" and item.get("encrypted_content") is None:
            if not stored(str(item.get("id"))):
                raise ri.item_not_persisted(str(item.get("id")))


@rule(
    "responses.reasoning_item.encrypted_content",
    "responses",
    stage=25,
    what="a reasoning item's `encrypted_content` is one the service issued",
    code="invalid_encrypted_content",
    param="input[i].encrypted_content",
    message="The encrypted content for item {id} could not be verified.",
    source="OpenAI's answer (code `invalid_encrypted_content`) as reported publicly; wording not found in a stored source",
)
def _encrypted(ctx: Ctx) -> None:
    for i, item in enumerate(ri.input_items(ctx.body)):
        blob = item.get("encrypted_content")
        if ri.item_kind(item) == "reasoning" and blob is not None and ri.open_reasoning(blob) is None:
            raise azure.bad_request(
                f"The encrypted content for item {item.get('id') or f'input[{i}]'} could not be verified.",
                param=f"input[{i}].encrypted_content",
                code="invalid_encrypted_content",
            )


# --- text.format ------------------------------------------------------------------------------


def _format(ctx: Ctx) -> JSON | None:
    text = ctx.body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    return fmt if isinstance(fmt, dict) else None


@rule(
    "responses.text.format",
    "responses",
    stage=45,
    what="`text.format` of type text / json_object / json_schema; json_schema flat, with a `name`",
    code="missing_required_parameter",
    param="text.format.name",
    message="Missing required parameter: 'text.format.name'.",
    source="OpenAI's answer for chat-shaped (nested `json_schema`) formats, quoted in many public reports",
)
def _format_shape(ctx: Ctx) -> None:
    fmt = _format(ctx)
    if fmt is None:
        return
    if fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise azure.invalid_value(
            "text.format.type",
            f"Invalid value: '{fmt.get('type')}'. Supported values are: 'text', 'json_object', and 'json_schema'.",
        )
    if fmt.get("type") == "json_schema" and not isinstance(fmt.get("name"), str):
        raise azure.missing_parameter("text.format.name")


@rule(
    "responses.text.format.schema",
    "responses",
    stage=45,
    what="`text.format.schema` a valid JSON Schema; with `strict: true` every object closed, every property "
    "required, no unsupported keyword",
    code="invalid_json_schema",
    param="text.format.schema",
    message="Invalid schema for response_format '{name}': {problem}",
    source="issue moeru-ai/xsai#202 (chat answer quoted; Responses reports it on `text.format.schema`); "
    "Learn how-to/structured-outputs",
)
def _format_schema(ctx: Ctx) -> None:
    fmt = _format(ctx)
    if fmt is None or fmt.get("type") != "json_schema" or "schema" not in fmt:
        return
    problem = schema_problem(fmt["schema"])
    problem = problem + "." if problem else None
    if problem is None and fmt.get("strict") is True:
        problem = strict_problem(fmt["schema"])
    if problem:
        raise azure.bad_request(
            f"Invalid schema for response_format '{fmt.get('name')}': {problem}",
            param="text.format.schema",
            code="invalid_json_schema",
        )


# --- model family, limits, modes --------------------------------------------------------------


@rule(
    "responses.reasoning.unsupported",
    "responses",
    stage=60,
    what="`reasoning` options (effort, summary) on a model that does not reason (gpt-4o, gpt-4.1, ...)",
    code="unsupported_parameter",
    param="reasoning.effort",
    message="Unsupported parameter: 'reasoning.effort' is not supported with this model.",
    source="OpenAI's answer for non-reasoning models (chat's `reasoning_effort` rule, issue AAswordman/Operit#1048)",
)
def _reasoning_unsupported(ctx: Ctx) -> None:
    r = ctx.body.get("reasoning")
    if isinstance(r, dict) and not ctx.spec.efforts:
        for key in ("effort", "summary"):
            if r.get(key) is not None:
                raise azure.unsupported_parameter(f"reasoning.{key}")


@rule(
    "responses.reasoning.effort",
    "responses",
    stage=60,
    what="`reasoning.effort` a value the model accepts",
    code="unsupported_value",
    param="reasoning.effort",
    message="Unsupported value: 'reasoning.effort' does not support '{value}' with this model. "
    "Supported values are: 'minimal', 'low', 'medium', and 'high'.",
    source="issue Kilo-Org/cloud#3807 (answer quoted, chat form)",
)
def _effort(ctx: Ctx) -> None:
    r = ctx.body.get("reasoning")
    v = r.get("effort") if isinstance(r, dict) else None
    efforts = ctx.spec.efforts
    if v is not None and efforts and v not in efforts + ("none",):
        listed = ", ".join(f"'{e}'" for e in efforts[:-1]) + f", and '{efforts[-1]}'"
        raise azure.unsupported_value(
            "reasoning.effort",
            f"Unsupported value: 'reasoning.effort' does not support '{v}' with this model. Supported values are: {listed}.",
        )


@rule(
    "responses.sampling",
    "responses",
    stage=60,
    what="`temperature` / `top_p` other than 1 on reasoning models (gpt-5.1 and gpt-5.2 take them at "
    "reasoning.effort none, their default)",
    code="unsupported_parameter",
    param="temperature",
    message="Unsupported parameter: 'temperature' is not supported with this model.",
    source="azure-recordings Mirascope test_call_with_params (gpt-5-mini refuses sampling on chat); same service; "
    "OpenAI guide 'Using GPT-5.2' (GPT-5.2 parameter compatibility)",
)
def _sampling(ctx: Ctx) -> None:
    reasoning = ctx.body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    if ctx.spec.sampling == "any" or takes_sampling(ctx.spec, effort):
        return
    for name in ("temperature", "top_p"):
        v = ctx.body.get(name)
        if v is not None and v != 1:
            raise azure.unsupported_parameter(name)


@rule(
    "responses.max_output_tokens",
    "responses",
    stage=70,
    what="`max_output_tokens` at least 16 and at most the model's output limit",
    code="integer_below_min_value",
    param="max_output_tokens",
    message="Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got {n} instead.",
    source="OpenAI Responses reference (max_output_tokens minimum 16); upper bound: issue tailcallhq/forgecode#1185",
)
def _max_output(ctx: Ctx) -> None:
    v = ctx.body.get("max_output_tokens")
    if not isinstance(v, int):
        return
    if v < 16:
        raise azure.bad_request(
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got {v} instead.",
            param="max_output_tokens",
            code="integer_below_min_value",
        )
    if v > ctx.spec.max_output:
        raise azure.invalid_value(
            "max_output_tokens",
            f"max_output_tokens is too large: {v}. This model supports at most {ctx.spec.max_output} "
            f"completion tokens, whereas you provided {v}.",
        )


@rule(
    "responses.context_window",
    "responses",
    stage=70,
    what="input tokens (instructions, input, history, tools) above the context window",
    code="context_length_exceeded",
    param="input",
    message="Your input exceeds the context window of this model. Please adjust your input and try again.",
    source="OpenAI Responses answer for context overflow (code `context_length_exceeded`, param `input`)",
)
def _context(ctx: Ctx) -> None:
    msgs = ri.to_messages(ri.input_items(ctx.body)) + list(ctx.scratch.get("history") or [])
    tokens = bh.count_message_tokens(msgs, ri.chat_tools(ctx.body.get("tools")))
    if tokens > ctx.spec.context_window:
        raise azure.bad_request(
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
            param="input",
            code="context_length_exceeded",
        )


@rule(
    "responses.background.store",
    "responses",
    stage=30,
    what="`background: true` with `store: false`",
    code="invalid_value",
    param="store",
    message="Background mode requires `store` to be true.",
    source=LEARN + " (background mode: responses must be stored); message text is the emulator's (no quote found)",
)
def _background_store(ctx: Ctx) -> None:
    if ctx.body.get("background") is True and ctx.body.get("store") is False:
        raise azure.invalid_value("store", "Background mode requires `store` to be true.")


@rule(
    "responses.stream_options",
    "responses",
    stage=30,
    what="`stream_options` only with `stream: true`",
    code=None,
    param="stream_options",
    message="The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    source="OpenAI reference (stream_options), chat's answer (rule chat.stream_options.without_stream)",
)
def _stream_options(ctx: Ctx) -> None:
    if ctx.body.get("stream_options") is not None and ctx.body.get("stream") is not True:
        raise azure.bad_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )
