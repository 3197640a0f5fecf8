"""Chat-completion rules: parameters, model families, limits (tools, response formats and tool-message
order: ``rules_chat_tools``).

Sources are cited per rule (``azure-recordings/...`` = a real Azure response in
``../shared/azure-recordings``; ``issue`` = a public issue quoting Azure's answer).
"""

from __future__ import annotations

from typing import Any

from . import azure
from . import behaviour as bh
from .catalog import takes_sampling
from .rules import Ctx, rule

CHAT_PARAMS = frozenset(
    "messages model temperature top_p n stream stream_options stop max_tokens max_completion_tokens presence_penalty "
    "frequency_penalty logit_bias logprobs top_logprobs user response_format seed tools tool_choice parallel_tool_calls "
    "functions function_call data_sources reasoning_effort store metadata modalities audio prediction service_tier "
    "user_security_context verbosity prompt_cache_key safety_identifier web_search_options".split()
)
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
TOOL_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
FUNCTION_FIELDS = frozenset(("name", "description", "parameters", "strict"))
R_MAX_TOKENS = "azure-recordings/Mirascope__mirascope/python__tests__e2e__input__cassettes__test_call_with_params__azure_openai_gpt_5_mini.yaml"
ISSUE_29545 = "issue Azure/azure-rest-api-specs#29545 (Azure's answer quoted)"
NO_EFFORT_SAMPLING = (
    "OpenAI guide 'Using GPT-5.2' (GPT-5.2 parameter compatibility: temperature, top_p, logprobs only with "
    "reasoning effort none, gpt-5.1 likewise; issue vercel/ai#10932)"
)


def _messages(ctx: Ctx) -> list[Any]:
    m = ctx.body.get("messages")
    return m if isinstance(m, list) else []


def _tools(ctx: Ctx) -> list[Any]:
    t = ctx.body.get("tools")
    return t if isinstance(t, list) else []


# --- request shape -------------------------------------------------------------------------


@rule(
    "chat.unknown_parameter",
    "chat",
    stage=10,
    what="a top-level field Azure's chat schema does not define",
    code=None,
    param=None,
    message="Unrecognized request argument supplied: {name}",
    source=ISSUE_29545,
)
def _unknown(ctx: Ctx) -> None:
    for key in ctx.body:
        if key not in CHAT_PARAMS:
            raise azure.unrecognized_argument(key)


UNRECOGNIZED_VERSIONED = (
    "Unrecognized request argument supplied: {name}. Please contact us through an Azure support "
    "request at: https://go.microsoft.com/fwlink/?linkid=2213926 for further questions."
)


# Learn's changelog says parallel_tool_calls (like stream_options) arrived in 2024-09-01-preview, but real
# traffic shows stream_options accepted on 2024-08-01-preview; so only the api-versions with a recorded
# refusal (2024-05-01-preview and older) are gated.
@rule(
    "chat.api_version.parallel_tool_calls",
    "chat",
    stage=10,
    what="`parallel_tool_calls` on a dated api-version before 2024-06-01 (2024-05-01-preview and older)",
    code=None,
    param=None,
    message=UNRECOGNIZED_VERSIONED.format(name="parallel_tool_calls"),
    source=ISSUE_29545 + " (on 2024-05-01-preview)",
)
def _ptc_version(ctx: Ctx) -> None:
    if "parallel_tool_calls" in ctx.body and ctx.version_before("2024-06-01"):
        raise azure.bad_request(UNRECOGNIZED_VERSIONED.format(name="parallel_tool_calls"))


@rule(
    "chat.messages.required",
    "chat",
    stage=20,
    what="`messages` present, an array, not empty",
    code="missing_required_parameter",
    param="messages",
    message="Missing required parameter: 'messages'. / "
    "Invalid type for 'messages': expected an array. / [] is too short - 'messages'",
    source="OpenAI chat schema (`messages` minItems 1), passed through by Azure",
)
def _messages_required(ctx: Ctx) -> None:
    msgs = ctx.body.get("messages")
    if msgs is None:
        raise azure.missing_parameter("messages")
    if not isinstance(msgs, list):
        raise azure.invalid_type("messages", "an array")
    if not msgs:
        raise azure.bad_request("[] is too short - 'messages'", param="messages")


@rule(
    "chat.messages.role",
    "chat",
    stage=20,
    what="every message an object with a known `role`",
    code="invalid_value",
    param="messages[i].role",
    message="Invalid value: '{role}'. Supported values are: 'system', "
    "'assistant', 'user', 'function', 'tool', and 'developer'.",
    source="OpenAI chat schema (role enum)",
)
def _roles(ctx: Ctx) -> None:
    for i, m in enumerate(_messages(ctx)):
        if not isinstance(m, dict):
            raise azure.invalid_type(f"messages[{i}]", "an object")
        role = m.get("role")
        if role is None:
            raise azure.missing_parameter(f"messages[{i}].role")
        if role not in ROLES:
            raise azure.invalid_value(
                f"messages[{i}].role",
                f"Invalid value: '{role}'. Supported values are: 'system', "
                "'assistant', 'user', 'function', 'tool', and 'developer'.",
            )


@rule(
    "chat.messages.content_required",
    "chat",
    stage=20,
    what="`content` on user/system/developer messages, `tool_call_id` on tool messages",
    code="missing_required_parameter",
    param="messages[i].content",
    message="Missing required parameter: 'messages[i].content'.",
    source="OpenAI chat schema (required fields per role)",
)
def _content_required(ctx: Ctx) -> None:
    for i, m in enumerate(_messages(ctx)):
        if m.get("role") == "tool" and not m.get("tool_call_id"):
            raise azure.missing_parameter(f"messages[{i}].tool_call_id")
        if m.get("role") in ("user", "system", "developer") and "content" not in m:
            raise azure.missing_parameter(f"messages[{i}].content")


@rule(
    "chat.stream_options.without_stream",
    "chat",
    stage=20,
    what="`stream_options` sent without `stream: true`",
    code=None,
    param="stream_options",
    message="The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    source="issue BerriAI/litellm#5803 (the model service's answer quoted)",
)
def _stream_options(ctx: Ctx) -> None:
    if ctx.body.get("stream_options") is not None and ctx.body.get("stream") is not True:
        raise azure.bad_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )


# --- numeric ranges ------------------------------------------------------------------------

_NUMBERS = {"temperature": (0, 2), "top_p": (0, 1), "presence_penalty": (-2, 2), "frequency_penalty": (-2, 2)}
_INTEGERS = {"n": (1, 128), "max_tokens": (1, None), "max_completion_tokens": (1, None), "top_logprobs": (0, 20)}


@rule(
    "chat.param.number_range",
    "chat",
    stage=30,
    what="temperature 0..2, top_p 0..1, penalties -2..2 (numbers)",
    code="invalid_value",
    param="{name}",
    message="Invalid '{name}': {value} is out of range ({lo} to {hi}).",
    source="OpenAI chat schema (minimum/maximum), passed through by Azure",
)
def _number_ranges(ctx: Ctx) -> None:
    for name, (lo, hi) in _NUMBERS.items():
        v = ctx.body.get(name)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise azure.invalid_type(name, "a number")
        if not lo <= v <= hi:
            raise azure.invalid_value(name, f"Invalid '{name}': {v} is out of range ({lo} to {hi}).")


@rule(
    "chat.param.integer_range",
    "chat",
    stage=30,
    what="n 1..128, max_tokens / max_completion_tokens >= 1, top_logprobs 0..20 (integers)",
    code="invalid_value",
    param="{name}",
    message="Invalid '{name}': integer {value} is out of range (minimum {lo}) (maximum {hi}).",
    source="OpenAI chat schema (minimum/maximum), passed through by Azure",
)
def _integer_ranges(ctx: Ctx) -> None:
    for name, (lo, hi) in _INTEGERS.items():
        v = ctx.body.get(name)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            raise azure.invalid_type(name, "an integer")
        if v < lo or (hi is not None and v > hi):
            raise azure.invalid_value(
                name,
                f"Invalid '{name}': integer {v} is out of range (minimum {lo})"
                f"{f' (maximum {hi})' if hi is not None else ''}.",
            )


@rule(
    "chat.logprobs.top_logprobs",
    "chat",
    stage=30,
    what="`logprobs` a boolean, and true whenever `top_logprobs` is set",
    code="invalid_value",
    param="logprobs",
    message="Invalid value for 'logprobs': must be true when 'top_logprobs' is specified.",
    source="OpenAI chat reference (top_logprobs requires logprobs), passed through by Azure",
)
def _logprobs(ctx: Ctx) -> None:
    want = ctx.body.get("logprobs")
    if want is not None and not isinstance(want, bool):
        raise azure.invalid_type("logprobs", "a boolean")
    if ctx.body.get("top_logprobs") is not None and want is not True:
        raise azure.invalid_value(
            "logprobs", "Invalid value for 'logprobs': must be true when 'top_logprobs' is specified."
        )


# --- model family --------------------------------------------------------------------------


@rule(
    "chat.reasoning.max_tokens",
    "chat",
    stage=60,
    what="`max_tokens` on a reasoning model (o-series, gpt-5)",
    code="unsupported_parameter",
    param="max_tokens",
    message="Unsupported parameter: 'max_tokens' is not supported "
    "with this model. Use 'max_completion_tokens' instead.",
    source=R_MAX_TOKENS,
)
def _reasoning_max_tokens(ctx: Ctx) -> None:
    if ctx.spec.reasoning and "max_tokens" in ctx.body:
        raise azure.unsupported_parameter("max_tokens", "max_completion_tokens")


@rule(
    "chat.reasoning.sampling_refused",
    "chat",
    stage=60,
    what="temperature / top_p on o1 and o3-mini (any value)",
    code="unsupported_parameter",
    param="temperature",
    message="Unsupported parameter: 'temperature' is not supported with this model.",
    source="issue immersive-translate/immersive-translate#2694 (Azure o3-mini answer quoted)",
)
def _sampling_refused(ctx: Ctx) -> None:
    if ctx.spec.sampling == "none":
        for p in ("temperature", "top_p"):
            if p in ctx.body:
                raise azure.unsupported_parameter(p)


@rule(
    "chat.reasoning.sampling_default_only",
    "chat",
    stage=60,
    what="temperature / top_p other than 1 on o3, o4-mini, gpt-5 (gpt-5.1 and gpt-5.2 take them at "
    "reasoning_effort none, their default)",
    code="unsupported_value",
    param="temperature",
    message="Unsupported value: 'temperature' does not support "
    "{value} with this model. Only the default (1) value is supported.",
    source="issue microsoft/vscode#254389 (Azure o4-mini answer quoted); " + NO_EFFORT_SAMPLING,
)
def _sampling_default(ctx: Ctx) -> None:
    if ctx.spec.sampling == "default_only" and not takes_sampling(ctx.spec, ctx.body.get("reasoning_effort")):
        for p in ("temperature", "top_p"):
            v = ctx.body.get(p)
            if v is not None and v != 1:
                raise azure.unsupported_value(
                    p,
                    f"Unsupported value: '{p}' does not support {v} with this model. Only the "
                    "default (1) value is supported.",
                )


@rule(
    "chat.reasoning.penalties_logprobs",
    "chat",
    stage=60,
    what="presence/frequency penalties, logit_bias, logprobs, top_logprobs on reasoning models (gpt-5.1 "
    "and gpt-5.2 take logprobs / top_logprobs at reasoning_effort none)",
    code="unsupported_parameter",
    param="{name}",
    message="Unsupported parameter: '{name}' is not supported with this model.",
    source="issue immersive-translate/immersive-translate#2694 (same "
    'message shape); Learn how-to/reasoning ("Not supported" parameter list); ' + NO_EFFORT_SAMPLING,
)
def _penalties(ctx: Ctx) -> None:
    spec = ctx.spec
    logprobs = spec.logprobs or takes_sampling(spec, ctx.body.get("reasoning_effort"))
    names = ([] if spec.penalties else ["presence_penalty", "frequency_penalty", "logit_bias"]) + (
        [] if logprobs else ["logprobs", "top_logprobs"]
    )
    for p in names:
        if p in ctx.body:
            raise azure.unsupported_parameter(p)


@rule(
    "chat.reasoning.stop",
    "chat",
    stage=60,
    what="`stop` on reasoning models (o-series, gpt-5 to gpt-5.4; gpt-5.5 and later accept it)",
    code="unsupported_parameter",
    param="stop",
    message="Unsupported parameter: 'stop' is not supported with this model.",
    source="issues MaartenGr/BERTopic#2423 (Azure answer quoted), OpenHands/software-agent-sdk#1062 "
    "(Azure gpt-5); BerriAI/litellm#28650 (gpt-5.5+ accepts stop)",
)
def _stop(ctx: Ctx) -> None:
    if "stop" in ctx.body and not ctx.spec.stop:
        raise azure.unsupported_parameter("stop")


@rule(
    "chat.reasoning.parallel_tool_calls",
    "chat",
    stage=60,
    what="`parallel_tool_calls` (even false) on o-series reasoning models (o1, o3-mini, o3, o4-mini)",
    code="unsupported_parameter",
    param="parallel_tool_calls",
    message="Unsupported parameter: 'parallel_tool_calls' is not supported with this model.",
    source="issue UKGovernmentBEIS/inspect_ai#1460 (Azure o3-mini answer quoted); langchain-ai/langchain#29704 (False too)",
)
def _parallel(ctx: Ctx) -> None:
    if "parallel_tool_calls" in ctx.body and not ctx.spec.parallel_tool_calls:
        raise azure.unsupported_parameter("parallel_tool_calls")


@rule(
    "chat.reasoning_effort.unsupported",
    "chat",
    stage=60,
    what="`reasoning_effort` on a model that does not reason (gpt-4o, gpt-4.1, ...)",
    code=None,
    param=None,
    message="Unrecognized request argument supplied: reasoning_effort",
    source="issue AAswordman/Operit#1048 (the model service's answer for gpt-4o quoted)",
)
def _effort_unsupported(ctx: Ctx) -> None:
    if "reasoning_effort" in ctx.body and not ctx.spec.efforts:
        raise azure.unrecognized_argument("reasoning_effort")


@rule(
    "chat.reasoning_effort.value",
    "chat",
    stage=60,
    what="`reasoning_effort` a value the model accepts ('minimal' only on gpt-5)",
    code="unsupported_value",
    param="reasoning_effort",
    message="Unsupported value: 'reasoning_effort' "
    "does not support '{value}' with this model. Supported values are: 'low', 'medium', and 'high'.",
    source="issue Kilo-Org/cloud#3807 (answer quoted)",
)
def _effort_value(ctx: Ctx) -> None:
    v = ctx.body.get("reasoning_effort")
    efforts = ctx.spec.efforts
    if v is not None and efforts and v not in efforts:
        listed = ", ".join(f"'{e}'" for e in efforts[:-1]) + f", and '{efforts[-1]}'"
        raise azure.unsupported_value(
            "reasoning_effort",
            f"Unsupported value: 'reasoning_effort' does not support '{v}' "
            f"with this model. Supported values are: {listed}.",
        )


# --- limits --------------------------------------------------------------------------------


@rule(
    "chat.limits.max_output",
    "chat",
    stage=70,
    what="`max_tokens` / `max_completion_tokens` above the model's output "
    "limit (gpt-4o 16,384; gpt-4.1 32,768; o-series 100,000; gpt-5 128,000)",
    code="invalid_value",
    param="max_tokens",
    message="max_tokens is too large: {n}. This model supports at most {limit} completion tokens, whereas you "
    "provided {n}.",
    source="issue tailcallhq/forgecode#1185 (gpt-4o answer quoted)",
)
def _max_output(ctx: Ctx) -> None:
    limit = ctx.spec.max_output
    for name in ("max_tokens", "max_completion_tokens"):
        v = ctx.body.get(name)
        if isinstance(v, int) and v > limit:
            raise azure.invalid_value(
                name,
                f"{name} is too large: {v}. This model supports at most {limit} completion "
                f"tokens, whereas you provided {v}.",
            )


@rule(
    "chat.limits.context_window",
    "chat",
    stage=70,
    what="prompt tokens (messages + tools) above the context window",
    code="context_length_exceeded",
    param="messages",
    message="This model's maximum context length is {limit} tokens. "
    "However, your messages resulted in {n} tokens. Please reduce the length of the messages.",
    source="OpenAI context_length_exceeded answer, passed through by Azure (issue ChatGPTNextWeb/NextChat#3195)",
)
def _context(ctx: Ctx) -> None:
    msgs = [m for m in _messages(ctx) if isinstance(m, dict)]
    tokens = bh.count_message_tokens(msgs, _tools(ctx))
    ctx.scratch["prompt_tokens"] = tokens
    window = ctx.spec.context_window
    if tokens > window:
        raise azure.context_length_exceeded(window, tokens)


SERVICE_TIERS = ("auto", "default", "flex", "priority")


@rule(
    "chat.service_tier",
    "chat",
    stage=30,
    what="`service_tier` is one of auto, default, flex, priority (priority serves models from version 2025-12-01 "
    "on standard deployments; elsewhere the request is served, and reported, as default; flex is accepted: "
    "which models refuse it is not documented)",
    code="invalid_value",
    param="service_tier",
    message="Invalid value: '{value}'. Supported values are: 'auto', 'default', 'flex', and 'priority'.",
    source="Learn priority-processing include (09/24/2026: auto, default, priority; the response names the tier "
    "that served; model versions 2025-12-01 or later) and 03/20/2026 (flex); anchors-2026-12.md §3",
)
def _service_tier(ctx: Ctx) -> None:
    v = ctx.body.get("service_tier")
    if v is not None and v not in SERVICE_TIERS:
        raise azure.invalid_value(
            "service_tier",
            f"Invalid value: '{v}'. Supported values are: 'auto', 'default', 'flex', and 'priority'.",
        )
