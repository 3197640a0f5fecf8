"""``AzureChatOpenAI`` settings + per-call kwargs -> a core ``ChatRequest``, as a table of rules.

Each rule reads the model's fields and the per-call kwargs it owns (popping them), and writes
the request, the call options (``model``, ``headers``, ``timeout``) or the extra body. ``RULES``
runs them in order; each one is small enough to read and to test on its own. Precedence is the
same for every setting: a per-call kwarg wins over the field; whatever no rule claims goes to
the body, as in langchain-openai. Wrongly typed per-call options are refused with a
``ConfigurationError`` naming the option and the expected type, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shared_core.errors import ConfigurationError
from shared_core.types import ChatRequest

if TYPE_CHECKING:
    from langchain_azoai.chat_models import AzureChatOpenAI

#: Per-call kwargs that map onto ChatRequest fields one to one.
REQ_FIELDS = (
    "temperature",
    "top_p",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning_effort",
    "user",
)
#: Model fields copied to the request as they are.
_FIELD_COPY = (
    "temperature",
    "top_p",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "max_tokens",
)
#: Model fields that go to the body under their own name when set.
_FIELD_EXTRA = ("verbosity", "service_tier", "store")
#: Responses-API-only settings: refused loudly rather than silently ignored.
RESPONSES_ONLY = ("include", "truncation", "context_management", "previous_response_id", "text")
#: Per-call kwargs that only steer LangChain (structured output bookkeeping): never sent.
_INTERNAL = ("strict", "ls_structured_output_format")


@dataclass(slots=True)
class Build:
    """The state the rules share while one request is built."""

    llm: AzureChatOpenAI
    kw: dict[str, Any]
    req: ChatRequest
    stop: list[str] | None
    call: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    schema: Any = None


# ------------------------------------------------------------------ per-call option types


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _token_id(k: Any) -> bool:
    return _integer(k) or (isinstance(k, str) and k.strip().isdigit())


def _logit_bias(v: Any) -> bool:
    return isinstance(v, Mapping) and all(_token_id(k) and _number(b) for k, b in v.items())


def _stop(v: Any) -> bool:
    return isinstance(v, str) or (isinstance(v, (list, tuple)) and all(isinstance(s, str) for s in v))


def _timeout(v: Any) -> bool:
    import httpx

    return _number(v) or isinstance(v, (tuple, httpx.Timeout))


#: option -> (accepts, what to pass instead). Checked for per-call kwargs only: the model's own
#: fields are validated by pydantic when it is built.
_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "temperature": (_number, "a number, e.g. temperature=0.2"),
    "top_p": (_number, "a number between 0 and 1"),
    "presence_penalty": (_number, "a number between -2 and 2"),
    "frequency_penalty": (_number, "a number between -2 and 2"),
    "n": (_integer, "an integer >= 1"),
    "seed": (_integer, "an integer"),
    "top_logprobs": (_integer, "an integer between 0 and 20"),
    "max_tokens": (_integer, "an integer"),
    "max_completion_tokens": (_integer, "an integer"),
    "logprobs": (lambda v: isinstance(v, bool), "True or False"),
    "parallel_tool_calls": (lambda v: isinstance(v, bool), "True or False"),
    "logit_bias": (_logit_bias, "a dict of token id -> bias, e.g. logit_bias={50256: -100}"),
    "stop": (_stop, "a string or a list of strings"),
    "user": (lambda v: isinstance(v, str), "a string"),
    "reasoning_effort": (lambda v: isinstance(v, str), "'low', 'medium' or 'high'"),
    "tools": (lambda v: isinstance(v, (list, tuple)), "a list of tools (use bind_tools)"),
    "tool_choice": (lambda v: isinstance(v, (str, bool, Mapping)), "a tool name, 'auto', 'none', 'required' or a dict"),
    "extra_headers": (lambda v: isinstance(v, Mapping), "a dict of header -> value"),
    "extra_body": (lambda v: isinstance(v, Mapping), "a dict of body fields"),
    "stream_options": (lambda v: isinstance(v, Mapping), "a dict, e.g. {'include_usage': True}"),
    "timeout": (_timeout, "seconds as a number, or an httpx.Timeout"),
    "response_format": (lambda v: isinstance(v, (Mapping, type)), "a dict or a Pydantic model class"),
}


def check_option(name: str, value: Any) -> None:
    """Raise ``ConfigurationError`` when a typed option has the wrong type (None: not set)."""
    rule = _TYPES.get(name)
    if rule is not None and value is not None and not rule[0](value):
        raise ConfigurationError(
            f"{name}={value!r} ({type(value).__name__}) is not valid: {name} must be {rule[1]}.", setting=name
        )


def check_types(b: Build) -> None:
    """Every typed per-call option (and ``stop``) has the type Azure needs."""
    check_option("stop", b.stop)
    for name, value in b.kw.items():
        check_option(name, value)


# ------------------------------------------------------------------ rules


def refuse_responses_only(b: Build) -> None:
    for name in RESPONSES_ONLY:
        if b.kw.get(name) is not None:
            raise ConfigurationError(
                f"{name!r} is a Responses API parameter, not supported yet: remove it.",
                setting=name,
            )


def model_fields(b: Build) -> None:
    for name in _FIELD_COPY:
        setattr(b.req, name, getattr(b.llm, name))
    if b.llm.logit_bias is not None:
        b.req.logit_bias = {str(k): float(v) for k, v in b.llm.logit_bias.items()}
    reasoning = b.llm.reasoning
    b.req.reasoning_effort = b.llm.reasoning_effort or (reasoning.get("effort") if reasoning else None)
    b.req.stop = b.stop if b.stop is not None else (b.llm.stop or None)


def model_extras(b: Build) -> None:
    for name in _FIELD_EXTRA:
        value = getattr(b.llm, name)
        if value is not None:
            b.extra[name] = value
    if b.llm.prompt_cache_options:
        b.extra.update(b.llm.prompt_cache_options)


def call_fields(b: Build) -> None:
    for name in REQ_FIELDS:
        if name in b.kw:
            setattr(b.req, name, b.kw.pop(name))
    if b.req.logit_bias is not None:
        b.req.logit_bias = {str(k): float(v) for k, v in b.req.logit_bias.items()}


def call_adapter_default(b: Build) -> None:
    # structured output's one-call parallel_tool_calls=False is this adapter's default, not the
    # caller's: marked so, the core sends it only where the model family takes it
    value = b.kw.pop("parallel_tool_calls_if_supported", None)
    if value is not None and b.req.parallel_tool_calls is None:
        b.req.parallel_tool_calls = value
        b.req.defaults = b.req.defaults | {"parallel_tool_calls"}


def call_max_tokens(b: Build) -> None:
    # one intent, one wire name: the core decides max_tokens vs max_completion_tokens
    for alias in ("max_tokens", "max_completion_tokens"):
        if alias in b.kw:
            b.req.max_tokens = b.kw.pop(alias)


def call_stop(b: Build) -> None:
    if "stop" in b.kw:
        value = b.kw.pop("stop")
        if b.stop is None:  # the stop argument of invoke wins over a bound stop
            b.req.stop = value


def call_model(b: Build) -> None:
    model = b.kw.pop("model", None)
    if model:
        b.call["model"] = model  # routes to that deployment
        b.req.model = model  # and its family rules apply


def call_response_format(b: Build) -> None:
    if "response_format" not in b.kw:
        return
    rf = b.kw.pop("response_format")
    if isinstance(rf, type) and issubclass(rf, BaseModel):
        b.schema = rf
    if isinstance(rf, dict):
        b.req.response_format = rf
    else:
        from langchain_azoai._tools import response_format_for

        b.req.response_format = response_format_for(rf, strict=True)


def drop_internal(b: Build) -> None:
    for name in _INTERNAL:
        b.kw.pop(name, None)


def stream_usage(b: Build) -> None:
    usage = b.kw.pop("stream_usage", None)
    options = b.kw.pop("stream_options", None)
    if usage is None and isinstance(options, Mapping):
        usage = options.get("include_usage")
    if usage is None:
        usage = b.llm.stream_usage
    if usage is not None:
        b.req.include_usage = bool(usage)


def call_options(b: Build) -> None:
    if "extra_headers" in b.kw:
        b.call["headers"] = b.kw.pop("extra_headers")
    if "timeout" in b.kw:
        b.call["timeout"] = b.kw.pop("timeout")


def call_body(b: Build) -> None:
    body_extra = b.kw.pop("extra_body", None)
    b.extra.update(b.kw)  # anything no rule claimed goes to the body, as upstream
    b.kw.clear()
    if body_extra:
        b.extra.update(body_extra)


def model_extra_body(b: Build) -> None:
    if b.llm.extra_body:
        b.extra.update(b.llm.extra_body)


def finish(b: Build) -> None:
    if isinstance(b.req.stop, list) and not b.req.stop:
        b.req.stop = None
    if b.extra:
        b.req.extra_body = b.extra


RULES: tuple[Callable[[Build], None], ...] = (
    refuse_responses_only,
    check_types,
    model_fields,
    model_extras,
    call_fields,
    call_adapter_default,
    call_max_tokens,
    call_stop,
    call_model,
    call_response_format,
    drop_internal,
    stream_usage,
    call_options,
    call_body,
    model_extra_body,
    finish,
)


def build_request(
    llm: AzureChatOpenAI,
    messages: list[dict[str, Any]],
    stop: list[str] | None,
    stream: bool,
    kwargs: dict[str, Any],
) -> tuple[ChatRequest, dict[str, Any], Any]:
    """(ChatRequest, call options, parse schema) for one call: ``RULES`` applied in order."""
    kw = {**llm.model_kwargs, **kwargs} if llm.model_kwargs else dict(kwargs)
    b = Build(llm=llm, kw=kw, stop=stop, req=ChatRequest(messages=messages, model=llm.model_name, stream=stream))
    for rule in RULES:
        rule(b)
    return b.req, b.call, b.schema
