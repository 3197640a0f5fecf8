"""Chat completions: request body with per-family rules, and response / stream-chunk parsing.

Body rules (``build_chat_body``):

* Reasoning models (o-series, gpt-5 except ``-chat``): the caller's ``max_tokens`` goes on the wire
  as ``max_completion_tokens``; ``temperature``, ``top_p``, ``presence_penalty``,
  ``frequency_penalty``, ``logprobs``, ``top_logprobs`` and ``logit_bias`` are dropped (Azure
  answers 400 for them); ``system`` messages become ``developer`` (``user`` for o1-mini and
  o1-preview, which accept neither); ``reasoning_effort`` is sent.
* The older non-reasoning families (gpt-35-turbo, gpt-4, gpt-4-turbo, gpt-4o, gpt-4.1, gpt-4.5)
  send ``max_tokens``, which they accept on every api-version. Everything else that is not a
  reasoning model (gpt-5-chat, unknown names) sends ``max_completion_tokens`` when the api-version
  knows it (v1, or dated >= 2024-09-01-preview) -- an unknown deployment may well be a reasoning
  model, and newer models are documented with ``max_completion_tokens`` -- and ``max_tokens`` on
  older versions.
  ``max_tokens`` and ``max_completion_tokens`` are never both sent, whatever ``extra_body`` says.
* ``reasoning_effort`` is dropped for known non-reasoning families (kept for unknown names: the
  caller may know the deployment is a reasoning model our table does not know yet).
* ``stream_options: {"include_usage": true}`` when streaming with ``include_usage``, except on
  dated api-versions older than 2024-09-01-preview, which reject ``stream_options``.
* ``parallel_tool_calls`` and ``tool_choice`` only with tools. An explicit
  ``req.parallel_tool_calls`` is sent as given (a family that rejects it answers 400, raised
  typed); an adapter's default (``req.parallel_tool_calls_if_supported``) only where
  ``accepts_parallel_tool_calls`` says the family takes it (the o-series answer 400 even for
  ``false``; sources in ``shared_core.wire.models``) and the api-version knows the parameter
  (2024-06-01 and later; 2024-05-01-preview refuses it).
* ``body_model`` (v1 / openai kinds) becomes ``model``; ``extra_body`` is merged last and wins.

The body shares the caller's ``messages`` list (no copy) unless a role must be rewritten.

Parsing is the hot path of every streamed chunk: one pass over plain dicts, no copies.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Mapping

from shared_core.wire.models import UNKNOWN_FAMILY, ModelProfile, accepts_parallel_tool_calls
from shared_core.types import JSON, ChatDelta, ChatRequest, ChatResult, Choice, ResponseMeta, ToolCall, \
    ToolCallDelta, Usage

log = logging.getLogger("shared_core.wire.chat")

_REASONING_DROPS = ("temperature", "top_p", "presence_penalty", "frequency_penalty", "logprobs",
                    "top_logprobs", "logit_bias")
#: families that have always taken ``max_tokens`` on every api-version
_MAX_TOKENS_FAMILIES = frozenset({"gpt-35-turbo", "gpt-35-turbo-instruct", "gpt-4", "gpt-4-turbo",
                                  "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini",
                                  "gpt-4.1-nano", "gpt-4.5"})
_NO_SYSTEM_OR_DEVELOPER = frozenset({"o1-mini", "o1-preview"})
#: synthetic id for a legacy ``function_call`` (it has none); ``{index}`` is the choice index
LEGACY_FUNCTION_CALL_ID = "call_function_{index}"


def modern_api(api_version: str | None) -> bool:
    """True when the api-version knows ``stream_options`` / ``max_completion_tokens``.

    That is v1 (``None``, ``"v1"``, ``"preview"``, ``"latest"``) or dated >= 2024-09-01-preview.
    """
    if api_version is None or not api_version[:1].isdigit():
        return True
    return api_version[:10] >= "2024-09-01"


#: dated api-versions before this one reject ``response_format`` json_schema (Azure 400)
JSON_SCHEMA_MIN_VERSION = "2024-08-01"


def json_schema_supported(profile: ModelProfile, target_kind: str, api_version: str | None) -> bool:
    """Whether a call can use ``response_format`` json_schema: the model supports it and, on the
    dated API, the api-version is 2024-08-01-preview or later (the v1 API and OpenAI always do).

    Adapters fall back to a forced tool call when this is False, instead of meeting Azure's 400.
    """
    if not profile.supports_json_schema:
        return False
    if target_kind != "dated":
        return True
    return bool(api_version) and str(api_version)[:10] >= JSON_SCHEMA_MIN_VERSION


def _uses_max_completion_tokens(profile: ModelProfile, api_version: str | None) -> bool:
    if profile.reasoning:
        return True
    return profile.family not in _MAX_TOKENS_FAMILIES and modern_api(api_version)


#: the first dated api-version that knows ``parallel_tool_calls``: 2024-05-01-preview answers 400
#: "Unrecognized request argument supplied: parallel_tool_calls" (Azure/azure-rest-api-specs#29545)
PARALLEL_TOOL_CALLS_MIN_VERSION = "2024-06-01"


def _api_takes_parallel_tool_calls(api_version: str | None) -> bool:
    return modern_api(api_version) or str(api_version)[:10] >= PARALLEL_TOOL_CALLS_MIN_VERSION


def _parallel_tool_calls(req: ChatRequest, profile: ModelProfile, api_version: str | None) -> bool | None:
    if req.parallel_tool_calls is not None:
        return req.parallel_tool_calls
    if (req.parallel_tool_calls_if_supported is not None and _api_takes_parallel_tool_calls(api_version)
            and accepts_parallel_tool_calls(profile, req.reasoning_effort)):
        return req.parallel_tool_calls_if_supported
    return None


def _rewrite_roles(messages: list[JSON], to: str) -> list[JSON]:
    if not any(m.get("role") == "system" for m in messages):
        return messages
    return [{**m, "role": to} if m.get("role") == "system" else m for m in messages]


def build_chat_body(
    req: ChatRequest,
    *,
    profile: ModelProfile,
    body_model: str | None,
    api_version: str | None,
) -> dict[str, Any]:
    """The JSON body for ``req`` on a model of ``profile`` (rules in the module docstring)."""
    reasoning = profile.reasoning
    messages = req.messages
    if reasoning:
        if profile.family in _NO_SYSTEM_OR_DEVELOPER:
            messages = _rewrite_roles(messages, "user")
        elif profile.system_role == "developer":
            messages = _rewrite_roles(messages, "developer")
    body: dict[str, Any] = {}
    if body_model:
        body["model"] = body_model
    body["messages"] = messages

    use_mct = _uses_max_completion_tokens(profile, api_version)
    if req.max_tokens is not None:
        body["max_completion_tokens" if use_mct else "max_tokens"] = req.max_tokens
    if reasoning:
        dropped = [n for n in _REASONING_DROPS if getattr(req, n) is not None]
        if dropped:
            log.debug("dropping %s: %s is a reasoning model", ", ".join(dropped), profile.name)
        if req.reasoning_effort is not None:
            body["reasoning_effort"] = req.reasoning_effort
    else:
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if req.presence_penalty is not None:
            body["presence_penalty"] = req.presence_penalty
        if req.frequency_penalty is not None:
            body["frequency_penalty"] = req.frequency_penalty
        if req.logit_bias is not None:
            body["logit_bias"] = req.logit_bias
        if req.logprobs is not None:
            body["logprobs"] = req.logprobs
        if req.top_logprobs is not None:
            body["top_logprobs"] = req.top_logprobs
        if req.reasoning_effort is not None:
            if profile.family == UNKNOWN_FAMILY:  # the caller may know better than our table
                body["reasoning_effort"] = req.reasoning_effort
            else:
                log.debug("dropping reasoning_effort: %s is not a reasoning model", profile.name)
    if req.stop is not None:
        body["stop"] = req.stop
    if req.n is not None:
        body["n"] = req.n
    if req.seed is not None:
        body["seed"] = req.seed
    if req.user is not None:
        body["user"] = req.user
    if req.tools:
        body["tools"] = req.tools
        if req.tool_choice is not None:
            body["tool_choice"] = req.tool_choice
        parallel = _parallel_tool_calls(req, profile, api_version)
        if parallel is not None:
            body["parallel_tool_calls"] = parallel
    if req.response_format is not None:
        body["response_format"] = req.response_format
    if req.stream:
        body["stream"] = True
        if req.include_usage and modern_api(api_version):
            body["stream_options"] = {"include_usage": True}
    if req.extra_body:
        body.update(req.extra_body)
        if "max_tokens" in body and "max_completion_tokens" in body:
            # never both: keep the name the model takes, with the value the caller set last
            extra = req.extra_body
            value = extra.get("max_completion_tokens", extra.get("max_tokens"))
            del body["max_tokens"], body["max_completion_tokens"]
            body["max_completion_tokens" if use_mct else "max_tokens"] = value
        elif reasoning and "max_tokens" in body:
            body["max_completion_tokens"] = body.pop("max_tokens")
    return body


# ---------------------------------------------------------------------------------- parsing


def parse_usage(u: Mapping[str, Any] | None) -> Usage | None:
    """``Usage`` from a usage object (chat, completions, embeddings), or None."""
    if not u:
        return None
    prompt = u.get("prompt_tokens") or 0
    completion = u.get("completion_tokens") or 0
    ptd = u.get("prompt_tokens_details") or {}
    ctd = u.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=u.get("total_tokens") or prompt + completion,
        cached_tokens=ptd.get("cached_tokens") or 0,
        reasoning_tokens=ctd.get("reasoning_tokens") or 0,
        audio_input_tokens=ptd.get("audio_tokens") or u.get("audio_prompt_tokens") or 0,
        audio_output_tokens=ctd.get("audio_tokens") or 0,
        raw=u,
    )


def prompt_filter_results(data: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """Top-level prompt filter results, whichever name Azure used (2023: ``prompt_annotations``).

    Entries using the singular ``content_filter_result`` (seen on vision prompts) are normalised
    to ``content_filter_results``.
    """
    pfr = data.get("prompt_filter_results")
    if pfr is None:
        pfr = data.get("prompt_annotations")
    if not pfr:
        return ()
    out: list[Mapping[str, Any]] = []
    for entry in pfr:
        if "content_filter_result" in entry and "content_filter_results" not in entry:
            fixed = {k: v for k, v in entry.items() if k != "content_filter_result"}
            fixed["content_filter_results"] = entry["content_filter_result"]
            entry = fixed
        out.append(entry)
    return tuple(out)


def _arguments_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _tool_calls(msg: Mapping[str, Any], index: int) -> tuple[ToolCall, ...]:
    raw = msg.get("tool_calls")
    if raw:
        return tuple(
            ToolCall(
                id=tc.get("id") or "",
                name=(tc.get("function") or {}).get("name") or "",
                arguments=_arguments_text((tc.get("function") or {}).get("arguments")),
                type=tc.get("type") or "function",
            )
            for tc in raw
        )
    fc = msg.get("function_call")
    if fc:
        return (ToolCall(id=LEGACY_FUNCTION_CALL_ID.format(index=index), name=fc.get("name") or "",
                         arguments=_arguments_text(fc.get("arguments"))),)
    return ()


def _choice(c: Mapping[str, Any]) -> Choice:
    index = c.get("index") or 0
    msg = c.get("message")
    cfr = c.get("content_filter_results")
    if cfr is None:
        cfr = c.get("content_filter_result")
    if msg is None:  # Azure's filtered completion: no message key at all
        return Choice(index=index, role=None, content=None, finish_reason=c.get("finish_reason"),
                      content_filter_results=cfr, logprobs=c.get("logprobs"))
    annotations = msg.get("annotations")
    reasoning = msg.get("reasoning_content")
    return Choice(
        index=index,
        role=msg.get("role"),
        content=msg.get("content"),
        finish_reason=c.get("finish_reason"),
        tool_calls=_tool_calls(msg, index),
        refusal=msg.get("refusal"),
        reasoning_content=reasoning if reasoning is not None else msg.get("reasoning"),
        content_filter_results=cfr,
        logprobs=c.get("logprobs"),
        audio=msg.get("audio"),
        annotations=tuple(annotations) if annotations else (),
    )


def parse_chat(data: Mapping[str, Any], meta: ResponseMeta | None) -> ChatResult:
    """A non-streamed chat completion into ``ChatResult`` (filtered choices included)."""
    return result_of(data, meta, _choice)


def result_of(
    data: Mapping[str, Any], meta: ResponseMeta | None, choice: Callable[[Mapping[str, Any]], Choice]
) -> ChatResult:
    """The envelope shared by chat and legacy completions, each choice parsed by ``choice``."""
    return ChatResult(
        id=data.get("id") or "",
        model=data.get("model") or "",
        created=data.get("created") or 0,
        choices=tuple(choice(c) for c in data.get("choices") or ()),
        usage=parse_usage(data.get("usage")),
        system_fingerprint=data.get("system_fingerprint"),
        prompt_filter_results=prompt_filter_results(data),
        meta=meta,
        raw=data,
        service_tier=data.get("service_tier"),
    )


def _tool_call_deltas(delta: Mapping[str, Any], index: int) -> tuple[ToolCallDelta, ...]:
    raw = delta.get("tool_calls")
    if raw:
        out = []
        for i, tc in enumerate(raw):
            fn = tc.get("function")
            if fn:
                args = fn.get("arguments")
                out.append(ToolCallDelta(
                    index=tc.get("index", i), id=tc.get("id"), name=fn.get("name"),
                    arguments=args if args is None or isinstance(args, str) else json.dumps(args),
                ))
            else:
                out.append(ToolCallDelta(index=tc.get("index", i), id=tc.get("id")))
        return tuple(out)
    fc = delta.get("function_call")
    if fc:
        name = fc.get("name")
        return (ToolCallDelta(
            index=0, id=LEGACY_FUNCTION_CALL_ID.format(index=index) if name else None, name=name,
            arguments=fc.get("arguments"),
        ),)
    return ()


def parse_chat_chunk(data: Mapping[str, Any]) -> ChatDelta:
    """One streamed chunk into ``ChatDelta`` (first choice; empty-choices chunks kept)."""
    choices = data.get("choices")
    usage = data.get("usage")
    pfr = data.get("prompt_filter_results") or data.get("prompt_annotations")
    if not choices:
        return ChatDelta(
            id=data.get("id") or "",
            model=data.get("model") or "",
            prompt_filter_results=prompt_filter_results(data) if pfr else (),
            usage=parse_usage(usage) if usage else None,
            system_fingerprint=data.get("system_fingerprint"),
            raw=data,
        )
    c = choices[0]
    index = c.get("index") or 0
    delta = c.get("delta") or {}
    cfr = c.get("content_filter_results")
    if cfr is None:
        cfr = c.get("content_filter_result")
    reasoning = delta.get("reasoning_content")
    return ChatDelta(
        id=data.get("id") or "",
        model=data.get("model") or "",
        choice_index=index,
        role=delta.get("role"),
        content=delta.get("content"),
        refusal=delta.get("refusal"),
        reasoning_content=reasoning if reasoning is not None else delta.get("reasoning"),
        tool_calls=_tool_call_deltas(delta, index)
        if "tool_calls" in delta or "function_call" in delta else (),
        finish_reason=c.get("finish_reason"),
        content_filter_results=cfr,
        prompt_filter_results=prompt_filter_results(data) if pfr else (),
        logprobs=c.get("logprobs"),
        usage=parse_usage(usage) if usage else None,
        system_fingerprint=data.get("system_fingerprint"),
        raw=data,
    )


__all__ = [
    "LEGACY_FUNCTION_CALL_ID", "build_chat_body", "modern_api", "parse_chat", "parse_chat_chunk",
    "parse_usage", "prompt_filter_results",
]
