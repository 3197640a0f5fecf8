"""LlamaIndex call kwargs -> the core's ``ChatRequest`` / ``CompletionRequest`` plus request options.

Translation only: the core decides what reaches the body (per-family rules, ``parallel_tool_calls``,
``max_tokens`` naming). The anchor hands every kwarg to the openai SDK's ``create``, where
``timeout``, ``extra_headers``, ``extra_query`` and ``extra_body`` are request options, not body
fields (https://github.com/openai/openai-python#undocumented-request-params); they are split off
here, from ``additional_kwargs`` and per-call kwargs alike, so that none of them reaches Azure's
JSON body (which answers 400 for unknown fields).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from llama_index.core.base.llms.types import ChatMessage

from shared_core.errors import ConfigurationError
from shared_core.types import ChatRequest, CompletionRequest

from .messages import to_wire_messages

if TYPE_CHECKING:
    from .llms import AzureOpenAI

# Per-call kwargs that are ChatRequest fields; anything else goes to the body as is.
_REQUEST_FIELDS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
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
        "response_format",
        "reasoning_effort",
        "user",
    }
)
_COMPLETION_FIELDS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "n",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logprobs",
        "echo",
        "best_of",
        "suffix",
        "user",
    }
)
# LlamaIndex-internal kwargs that are not API parameters.
_NOT_SENT = frozenset({"use_chat_completions", "formatted", "stream"})
# The openai SDK's per-request options (``create(..., timeout=, extra_headers=, ...)``).
_OPTIONS = ("timeout", "extra_headers", "extra_query", "extra_body")


@dataclass(slots=True)
class CallOptions:
    """Per-call request options for the core client's ``chat`` / ``complete`` methods."""

    timeout: float | httpx.Timeout | None = None
    headers: dict[str, str] | None = None
    params: dict[str, str] | None = None


def _text_values(name: str, value: Any, *, query: bool) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{name} must be a dict of names to values, got {type(value).__name__}: e.g. {name}={{'x-name': 'value'}}.",
            setting=name,
        )
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool) and query:
            out[str(key)] = "true" if item else "false"  # as httpx writes a query bool
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            out[str(key)] = str(item)
        else:
            raise ConfigurationError(
                f"{name}[{key!r}] is {type(item).__name__}; values must be strings (or numbers).", setting=name
            )
    return out


def _timeout(value: Any) -> float | httpx.Timeout | None:
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ConfigurationError(
        f"timeout={value!r} is not a timeout: pass seconds (> 0) or an httpx.Timeout.", setting="timeout"
    )


def split_options(base: Mapping[str, Any], call: dict[str, Any]) -> tuple[dict[str, Any], CallOptions, dict[str, Any]]:
    """``additional_kwargs`` (``base``) and per-call kwargs (``call``, consumed) -> the merged API
    parameters, the request options, and the ``extra_body`` fields. Per-call values win; the dict
    options merge key by key."""
    merged: dict[str, Any] = {**base, **call} if base else call
    opts = CallOptions()
    body: dict[str, Any] = {}
    if not any(k in merged for k in _OPTIONS):
        return merged, opts, body
    merged = dict(merged)
    for name in _OPTIONS:
        if name not in merged:
            continue
        del merged[name]
        if name == "timeout":
            opts.timeout = _timeout(call["timeout"] if "timeout" in call else base.get("timeout"))
            continue
        values: dict[str, Any] = {}
        for source in (base, call):
            value = source.get(name)
            if value is None:
                continue
            if name == "extra_body":
                if not isinstance(value, Mapping):
                    raise ConfigurationError(
                        f"extra_body must be a dict of body fields, got {type(value).__name__}.", setting="extra_body"
                    )
                values.update(value)
            else:
                values.update(_text_values(name, value, query=name == "extra_query"))
        if name == "extra_body":
            body = values
        elif name == "extra_headers":
            opts.headers = values or None
        else:
            opts.params = values or None
    return merged, opts, body


def adapter_defaults(llm: AzureOpenAI) -> frozenset[str]:
    """The model fields whose value is the class default, not one the caller set: the core sends
    them only where the model family takes them (LlamaIndex's temperature 0.1 on a reasoning model
    is left out, an explicit temperature=0.1 is sent and Azure's 400 explains it)."""
    return frozenset() if "temperature" in llm.model_fields_set else frozenset({"temperature"})


def chat_request(
    llm: AzureOpenAI, messages: Sequence[ChatMessage], stream: bool, kwargs: dict[str, Any]
) -> tuple[ChatRequest, CallOptions]:
    """The core request and options for a chat call of ``llm`` with per-call ``kwargs``."""
    req = ChatRequest(
        messages=to_wire_messages(messages),
        model=llm.model or llm._observed_model,
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,
        reasoning_effort=llm.reasoning_effort,
        stream=stream,
        include_usage=llm.include_usage,
        defaults=adapter_defaults(llm),
    )
    if llm.logprobs:
        req.logprobs = True
        req.top_logprobs = llm.top_logprobs or None
    extra: dict[str, Any] = {}
    if llm.modalities is not None:
        extra["modalities"] = llm.modalities
    if llm.audio_config is not None:
        extra["audio"] = llm.audio_config
    params, opts, body_extra = split_options(llm.additional_kwargs, kwargs)
    for key, value in params.items():
        if key in _REQUEST_FIELDS:
            setattr(req, key, value)
            req.defaults -= {key}  # the caller's own value
        elif key == "parallel_tool_calls_if_supported":
            if "parallel_tool_calls" not in params:
                req.parallel_tool_calls = value
                req.defaults |= {"parallel_tool_calls"}
        elif key == "max_completion_tokens":
            req.max_tokens = value
        elif key == "stream_options":
            if isinstance(value, dict) and "include_usage" in value:
                req.include_usage = bool(value["include_usage"])
        elif key not in _NOT_SENT:
            extra[key] = value
    extra.update(body_extra)
    if extra:
        req.extra_body = extra
    return req, opts


def completion_request(
    llm: AzureOpenAI, prompt: str, stream: bool, kwargs: dict[str, Any]
) -> tuple[CompletionRequest, CallOptions]:
    """The core request and options for a legacy ``/completions`` call of ``llm``."""
    req = CompletionRequest(
        prompt=prompt,
        model=llm.model or llm._observed_model,
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,
        stream=stream,
        include_usage=llm.include_usage,
    )
    extra: dict[str, Any] = {}
    params, opts, body_extra = split_options(llm.additional_kwargs, kwargs)
    for key, value in params.items():
        if key in _COMPLETION_FIELDS:
            setattr(req, key, value)
        elif key == "stream_options":
            if isinstance(value, dict) and "include_usage" in value:
                req.include_usage = bool(value["include_usage"])
        elif key not in _NOT_SENT:
            extra[key] = value
    extra.update(body_extra)
    if req.max_tokens is None:
        # Legacy /completions defaults to 16 tokens: give it the room the window leaves.
        from shared_core.wire.tokens import estimate_tokens

        req.max_tokens = max(16, llm.metadata.context_window - estimate_tokens(prompt))
    if extra:
        req.extra_body = extra
    return req, opts


__all__ = ["CallOptions", "adapter_defaults", "chat_request", "completion_request", "split_options"]
