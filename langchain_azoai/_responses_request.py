"""``AzureChatOpenAI`` on the Responses API: when to use it, and the request body of one call.

The decision and the body follow langchain-openai's ``ChatOpenAI`` (``_use_responses_api``,
``_get_request_payload``), so the same settings and per-call kwargs select the Responses API and
give the same body; only routing options (``model`` as the deployment, ``extra_headers``,
``timeout``) are taken out for the core, which sends the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from langchain_azoai._responses_input import last_messages, responses_body
from shared_core.errors import ConfigurationError

if TYPE_CHECKING:
    from langchain_azoai.chat_models import AzureChatOpenAI

#: Chat Completions sampling settings the Responses API does not have (Azure answers 400).
_CHAT_ONLY = ("seed", "logit_bias", "presence_penalty", "frequency_penalty", "logprobs")
#: Per-call kwargs that only steer LangChain: never sent.
_INTERNAL = ("ls_structured_output_format", "stream_usage", "parallel_tool_calls_if_supported")


def field_payload(llm: AzureChatOpenAI) -> dict[str, Any]:
    """The model's settings, named as langchain-openai names them in its payload."""
    fields: dict[str, Any] = {
        "presence_penalty": llm.presence_penalty,
        "frequency_penalty": llm.frequency_penalty,
        "seed": llm.seed,
        "top_p": llm.top_p,
        "logprobs": llm.logprobs,
        "top_logprobs": llm.top_logprobs,
        "logit_bias": llm.logit_bias,
        "stop": llm.stop or None,
        "max_tokens": llm.max_tokens,
        "n": llm.n,
        "temperature": llm.temperature,
        "reasoning_effort": llm.reasoning_effort,
        "reasoning": llm.reasoning,
        "verbosity": llm.verbosity,
        "context_management": llm.context_management,
        "include": llm.include,
        "service_tier": llm.service_tier,
        "truncation": llm.truncation,
        "store": llm.store,
    }
    return {"model": llm.model_name, "stream": llm.streaming, **{k: v for k, v in fields.items() if v is not None}}


def _schema_of(response_format: Any) -> Any:
    """The Pydantic model to parse into, when the call asked for one."""
    if isinstance(response_format, type) and issubclass(response_format, BaseModel):
        return response_format
    return None


def build_responses_call(
    llm: AzureChatOpenAI,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    stream: bool,
    kwargs: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(Responses body, call options for the core, Pydantic schema to parse into) for one call."""
    payload = {**field_payload(llm), **llm.model_kwargs, **kwargs}
    if stop is not None:
        payload["stop"] = stop
    payload["stream"] = stream
    for name in _INTERNAL:
        payload.pop(name, None)
    call: dict[str, Any] = {}
    if "extra_headers" in payload:
        call["headers"] = payload.pop("extra_headers")
    if "timeout" in payload:
        call["timeout"] = payload.pop("timeout")
    extra_body = {**(llm.extra_body or {}), **(payload.pop("extra_body", None) or {})}
    schema = _schema_of(payload.get("response_format"))
    if schema is not None:
        from langchain_azoai._tools import response_format_for

        payload["response_format"] = response_format_for(schema, strict=payload.pop("strict", None))
    payload.pop("strict", None)
    if (n := payload.pop("n", None)) not in (None, 1):
        raise ConfigurationError(f"n={n}: the Responses API gives one answer per call; remove n.", setting="n")
    for name in _CHAT_ONLY:
        if payload.pop(name, None) is not None:
            raise ConfigurationError(
                f"{name} is a Chat Completions setting the Responses API does not accept: remove it "
                "or set use_responses_api=False.",
                setting=name,
            )
    if llm.use_previous_response_id:
        tail, previous = last_messages(messages)
        if previous:
            payload["previous_response_id"] = previous
            messages = tail
    body = responses_body(messages, payload)
    body.update(extra_body)  # as the OpenAI SDK does: extra_body is merged last
    if body.get("model") and body["model"] != llm.model_name:
        call["model"] = body["model"]  # a per-call model routes to that deployment
    return body, call, schema
