"""Chat completions: request body with per-family rules, and response / stream-chunk parsing.

Body rules (``build_chat_body``):

* Reasoning models (o-series, gpt-5 except ``-chat``): the caller's ``max_tokens`` goes on the wire
  as ``max_completion_tokens``; ``system`` messages become ``developer`` (``user`` for o1-mini and
  o1-preview, which accept neither); ``reasoning_effort`` is sent.
* Parameters a family refuses (``temperature``, ``top_p``, ``presence_penalty``,
  ``frequency_penalty``, ``logit_bias``, ``logprobs``, ``top_logprobs`` on reasoning models, except
  what gpt-5.1/5.2 take with ``reasoning_effort="none"``; ``stop`` on the o-series and gpt-5 up to
  gpt-5.4; ``parallel_tool_calls`` on the o-series: ``shared_core.wire.models.accepts``): a value
  the caller set is sent as given, and Azure's 400 comes back typed, naming the parameter and the
  fix (``diagnose_rules``); a value an adapter filled in itself (``req.defaults``) is left out.
* The older non-reasoning families (gpt-35-turbo, gpt-4, gpt-4-turbo, gpt-4o, gpt-4.1, gpt-4.5)
  send ``max_tokens``, which they accept on every api-version. Everything else that is not a
  reasoning model (gpt-5-chat, unknown names) sends ``max_completion_tokens`` when the api-version
  knows it (v1, or dated >= 2024-09-01-preview) -- an unknown deployment may well be a reasoning
  model, and newer models are documented with ``max_completion_tokens`` -- and ``max_tokens`` on
  older versions.
  ``max_tokens`` and ``max_completion_tokens`` are never both sent, whatever ``extra_body`` says.
* ``reasoning_effort`` follows the same rule: a value the caller set is sent (a known non-reasoning
  family answers 400, typed); an adapter's default only to reasoning and unknown families.
* ``stream_options: {"include_usage": true}`` when streaming with ``include_usage``, except on
  dated api-versions older than 2024-09-01-preview, which reject ``stream_options``.
* ``parallel_tool_calls`` and ``tool_choice`` only with tools; an adapter's default
  ``parallel_tool_calls`` also only where the api-version knows the parameter (2024-06-01 and
  later; 2024-05-01-preview refuses it).
* ``body_model`` (v1 / openai kinds) becomes ``model``; ``extra_body`` is merged last and wins.

The body shares the caller's ``messages`` list (no copy) unless a role must be rewritten.

Parsing is the hot path of every streamed chunk: one pass over plain dicts, no copies.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from shared_core.types import (
    JSON,
    ChatDelta,
    ChatRequest,
    ChatResult,
    Choice,
    ResponseMeta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from shared_core.wire.models import SAMPLING_PARAMETERS, ModelProfile, accepts
from shared_core.wire.shape import ShapeError, opt_str, wrong

log = logging.getLogger("shared_core.wire.chat")

#: families that have always taken ``max_tokens`` on every api-version
_MAX_TOKENS_FAMILIES = frozenset(
    {
        "gpt-35-turbo",
        "gpt-35-turbo-instruct",
        "gpt-4",
        "gpt-4-turbo",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4.5",
    }
)
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


def _default_refused(req: ChatRequest, name: str, profile: ModelProfile) -> bool:
    """True when ``name`` holds an adapter's default that the family refuses: it stays off the wire."""
    if name not in req.defaults or accepts(profile, name, req.reasoning_effort):
        return False
    log.debug("leaving out the default %s: %s does not take it", name, profile.name)
    return True


def _parallel_tool_calls(req: ChatRequest, profile: ModelProfile, api_version: str | None) -> bool | None:
    if "parallel_tool_calls" in req.defaults and not _api_takes_parallel_tool_calls(api_version):
        return None
    if req.parallel_tool_calls is None or _default_refused(req, "parallel_tool_calls", profile):
        return None
    return req.parallel_tool_calls


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
    for name in SAMPLING_PARAMETERS:
        value = getattr(req, name)
        if value is not None and not _default_refused(req, name, profile):
            body[name] = value
    if req.reasoning_effort is not None and not _default_refused(req, "reasoning_effort", profile):
        body["reasoning_effort"] = req.reasoning_effort
    if req.stop is not None and not _default_refused(req, "stop", profile):
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
# Every field the parsers index or hand on is type-checked (one type() test): a wrong one raises
# ShapeError, which the caller turns into UnexpectedResponseError naming where the answer came from.


def _count(value: Any, field: str) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise wrong(field, value, "a whole number")


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if type(value) is dict or isinstance(value, Mapping):
        return value
    raise wrong(field, value, "an object")


def parse_usage(u: Mapping[str, Any] | None) -> Usage | None:
    """``Usage`` from a usage object (chat, completions, embeddings), or None.

    Raises ``ShapeError`` when it is not an object of token counts.
    """
    if not u:
        return None
    u = _object(u, "usage")
    prompt = u.get("prompt_tokens") or 0
    completion = u.get("completion_tokens") or 0
    total = u.get("total_tokens") or 0
    ptd = _object(u.get("prompt_tokens_details") or {}, "usage.prompt_tokens_details")
    ctd = _object(u.get("completion_tokens_details") or {}, "usage.completion_tokens_details")
    cached = ptd.get("cached_tokens") or 0
    reasoning = ctd.get("reasoning_tokens") or 0
    audio_in = ptd.get("audio_tokens") or u.get("audio_prompt_tokens") or 0
    audio_out = ctd.get("audio_tokens") or 0
    if not (
        type(prompt)
        is type(completion)
        is type(total)
        is type(cached)
        is type(reasoning)
        is type(audio_in)
        is type(audio_out)
        is int
    ):
        prompt = _count(prompt, "usage.prompt_tokens")
        completion = _count(completion, "usage.completion_tokens")
        total = _count(total, "usage.total_tokens")
        cached = _count(cached, "usage.prompt_tokens_details.cached_tokens")
        reasoning = _count(reasoning, "usage.completion_tokens_details.reasoning_tokens")
        audio_in = _count(audio_in, "usage.prompt_tokens_details.audio_tokens")
        audio_out = _count(audio_out, "usage.completion_tokens_details.audio_tokens")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total or prompt + completion,
        cached_tokens=cached,
        reasoning_tokens=reasoning,
        audio_input_tokens=audio_in,
        audio_output_tokens=audio_out,
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
    if type(pfr) is not list:
        raise wrong("prompt_filter_results", pfr, "a list")
    out: list[Mapping[str, Any]] = []
    for entry in pfr:
        if type(entry) is not dict:
            raise wrong("prompt_filter_results[]", entry, "an object")
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


def _tool_call(tc: Any) -> ToolCall:
    if type(tc) is not dict:
        raise wrong("message.tool_calls[]", tc, "an object")
    fn = tc.get("function") or {}
    if type(fn) is not dict:
        raise wrong("message.tool_calls[].function", fn, "an object")
    return ToolCall(
        id=opt_str(tc, "id", "message.tool_calls[]") or "",
        name=opt_str(fn, "name", "message.tool_calls[].function") or "",
        arguments=_arguments_text(fn.get("arguments")),
        type=opt_str(tc, "type", "message.tool_calls[]") or "function",
    )


def _tool_calls(msg: Mapping[str, Any], index: int) -> tuple[ToolCall, ...]:
    raw = msg.get("tool_calls")
    if raw:
        if type(raw) is not list:
            raise wrong("message.tool_calls", raw, "a list")
        return tuple(_tool_call(tc) for tc in raw)
    fc = msg.get("function_call")
    if fc:
        if type(fc) is not dict:
            raise wrong("message.function_call", fc, "an object")
        return (
            ToolCall(
                id=LEGACY_FUNCTION_CALL_ID.format(index=index),
                name=opt_str(fc, "name", "message.function_call") or "",
                arguments=_arguments_text(fc.get("arguments")),
            ),
        )
    return ()


def choice_index(c: Any, where: str) -> int:
    """The ``index`` of a choice object (0 when absent); ShapeError when ``c`` is not an object."""
    if type(c) is not dict:
        raise wrong(where, c, "an object")
    index = c.get("index") or 0
    if type(index) is not int:
        raise wrong(f"{where}.index", index, "a number")
    return index


def _choice(c: Mapping[str, Any]) -> Choice:
    index = choice_index(c, "choices[]")
    msg = c.get("message")
    cfr = c.get("content_filter_results")
    if cfr is None:
        cfr = c.get("content_filter_result")
    finish = opt_str(c, "finish_reason", "choices[]")
    if msg is None:  # Azure's filtered completion: no message key at all
        return Choice(
            index=index,
            role=None,
            content=None,
            finish_reason=finish,
            content_filter_results=cfr,
            logprobs=c.get("logprobs"),
        )
    if type(msg) is not dict:
        raise wrong("choices[].message", msg, "an object")
    annotations = msg.get("annotations")
    if annotations and type(annotations) is not list:
        raise wrong("message.annotations", annotations, "a list")
    reasoning = opt_str(msg, "reasoning_content", "message")
    return Choice(
        index=index,
        role=opt_str(msg, "role", "message"),
        content=opt_str(msg, "content", "message"),
        finish_reason=finish,
        tool_calls=_tool_calls(msg, index),
        refusal=opt_str(msg, "refusal", "message"),
        reasoning_content=reasoning if reasoning is not None else opt_str(msg, "reasoning", "message"),
        content_filter_results=cfr,
        logprobs=c.get("logprobs"),
        audio=msg.get("audio"),
        annotations=tuple(annotations) if annotations else (),
    )


def parse_chat(data: Mapping[str, Any], meta: ResponseMeta | None) -> ChatResult:
    """A non-streamed chat completion into ``ChatResult`` (filtered choices included).

    An answer without choices, with mistyped fields, or carrying ``{"error": ...}`` (gateways send
    them with 200) raises the typed error (``UnexpectedResponseError`` or the diagnosed one).
    """
    return result_of(data, meta, _choice)


def result_of(
    data: Mapping[str, Any],
    meta: ResponseMeta | None,
    choice: Callable[[Mapping[str, Any]], Choice],
    what: str = "a chat completion",
) -> ChatResult:
    """The envelope shared by chat and legacy completions, each choice parsed by ``choice``."""
    try:
        choices = data.get("choices")
        if type(choices) is not list or not choices:
            if data.get("error"):
                from shared_core.wire.diagnose import answer_error  # error path only

                raise answer_error(data, meta)
            if choices is None:
                raise ShapeError("'choices' is missing")
            raise ShapeError("'choices' is empty") if choices == [] else wrong("choices", choices, "a list")
        return ChatResult(
            id=data.get("id") or "",
            model=data.get("model") or "",
            created=data.get("created") or 0,
            choices=tuple(choice(c) for c in choices),
            usage=parse_usage(data.get("usage")),
            system_fingerprint=data.get("system_fingerprint"),
            prompt_filter_results=prompt_filter_results(data),
            meta=meta,
            raw=data,
            service_tier=data.get("service_tier"),
        )
    except (ShapeError, AttributeError, TypeError, KeyError, IndexError) as exc:
        from shared_core.wire.diagnose import unexpected_answer  # error path only

        raise unexpected_answer(exc, meta, body=data, expected=what) from None


def _tool_call_deltas(delta: Mapping[str, Any], index: int) -> tuple[ToolCallDelta, ...]:
    raw = delta.get("tool_calls")
    if raw:
        if type(raw) is not list:
            raise wrong("delta.tool_calls", raw, "a list")
        out = []
        for i, tc in enumerate(raw):
            if type(tc) is not dict:
                raise wrong("delta.tool_calls[]", tc, "an object")
            tc_index = tc.get("index", i)
            if type(tc_index) is not int:
                raise wrong("delta.tool_calls[].index", tc_index, "a number")
            fn = tc.get("function")
            if fn:
                if type(fn) is not dict:
                    raise wrong("delta.tool_calls[].function", fn, "an object")
                args = fn.get("arguments")
                out.append(
                    ToolCallDelta(
                        index=tc_index,
                        id=opt_str(tc, "id", "delta.tool_calls[]"),
                        name=opt_str(fn, "name", "delta.tool_calls[].function"),
                        arguments=args if args is None or isinstance(args, str) else json.dumps(args),
                    )
                )
            else:
                out.append(ToolCallDelta(index=tc_index, id=opt_str(tc, "id", "delta.tool_calls[]")))
        return tuple(out)
    fc = delta.get("function_call")
    if fc:
        if type(fc) is not dict:
            raise wrong("delta.function_call", fc, "an object")
        name = opt_str(fc, "name", "delta.function_call")
        return (
            ToolCallDelta(
                index=0,
                id=LEGACY_FUNCTION_CALL_ID.format(index=index) if name else None,
                name=name,
                arguments=opt_str(fc, "arguments", "delta.function_call"),
            ),
        )
    return ()


def parse_chat_chunk(data: Mapping[str, Any]) -> ChatDelta:
    """One streamed chunk into ``ChatDelta`` (first choice; empty-choices chunks kept).

    Mistyped fields raise ``ShapeError`` (the stream parser reports it with where it came from).
    """
    choices = data.get("choices")
    usage = data.get("usage")
    pfr = data.get("prompt_filter_results") or data.get("prompt_annotations")
    if not choices:
        if choices is not None and type(choices) is not list:
            raise wrong("choices", choices, "a list")
        return ChatDelta(
            id=data.get("id") or "",
            model=data.get("model") or "",
            prompt_filter_results=prompt_filter_results(data) if pfr else (),
            usage=parse_usage(usage) if usage else None,
            system_fingerprint=data.get("system_fingerprint"),
            raw=data,
        )
    if type(choices) is not list:
        raise wrong("choices", choices, "a list")
    c = choices[0]
    index = choice_index(c, "choices[0]")
    delta = c.get("delta") or {}
    if type(delta) is not dict:
        raise wrong("choices[0].delta", delta, "an object")
    content = delta.get("content")
    if content is not None and type(content) is not str:
        raise wrong("delta.content", content, "a string")
    finish = c.get("finish_reason")
    if finish is not None and type(finish) is not str:
        raise wrong("choices[0].finish_reason", finish, "a string")
    cfr = c.get("content_filter_results")
    if cfr is None:
        cfr = c.get("content_filter_result")
    reasoning = delta.get("reasoning_content")
    if reasoning is None:
        reasoning = delta.get("reasoning")
    if reasoning is not None and type(reasoning) is not str:
        raise wrong("delta.reasoning_content", reasoning, "a string")
    return ChatDelta(
        id=data.get("id") or "",
        model=data.get("model") or "",
        choice_index=index,
        role=delta.get("role"),
        content=content,
        refusal=opt_str(delta, "refusal", "delta") if "refusal" in delta else None,
        reasoning_content=reasoning,
        tool_calls=_tool_call_deltas(delta, index) if "tool_calls" in delta or "function_call" in delta else (),
        finish_reason=finish,
        content_filter_results=cfr,
        prompt_filter_results=prompt_filter_results(data) if pfr else (),
        logprobs=c.get("logprobs"),
        usage=parse_usage(usage) if usage else None,
        system_fingerprint=data.get("system_fingerprint"),
        raw=data,
    )


__all__ = [
    "LEGACY_FUNCTION_CALL_ID",
    "build_chat_body",
    "modern_api",
    "parse_chat",
    "parse_chat_chunk",
    "parse_usage",
    "prompt_filter_results",
]
