"""The model operations: validate a request as Azure does, then answer it deterministically.

Each ``*_plan`` function raises :class:`~.azure.AzureError` for bad input and returns the
response body (or the stream events) plus the token estimate the rate limiter charges.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import azure, json_mode, media
from . import behaviour as bh
from . import logprobs as lp
from .config import Deployment, EmulatorConfig

JSON = dict[str, Any]

CHAT_PARAMS = frozenset(
    "messages model temperature top_p n stream stream_options stop max_tokens max_completion_tokens presence_penalty "
    "frequency_penalty logit_bias logprobs top_logprobs user response_format seed tools tool_choice parallel_tool_calls "
    "functions function_call data_sources reasoning_effort store metadata modalities audio prediction service_tier "
    "user_security_context verbosity prompt_cache_key safety_identifier web_search_options".split()
)
COMPLETION_PARAMS = frozenset(
    "prompt model max_tokens temperature top_p n stream stream_options logprobs suffix echo stop presence_penalty "
    "frequency_penalty best_of logit_bias user seed".split()
)
EMBEDDING_PARAMS = frozenset("input model user input_type encoding_format dimensions".split())
IMAGE_PARAMS = frozenset("prompt model n size quality style response_format user output_format background moderation "
                         "output_compression".split())
SPEECH_PARAMS = frozenset("input model voice response_format speed instructions stream_format".split())
REASONING_UNSUPPORTED = ("temperature", "top_p", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "logit_bias")
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")
AUDIO_EXTS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
CONTEXT_WINDOW = {"chat": 128_000, "reasoning": 200_000, "completions": 4_097, "embeddings": 8_192}
SEVERITY4 = {c: {"filtered": False, "severity": "safe"} for c in azure.SEVERITY_CATEGORIES}


def served_model(dep: Deployment) -> str:
    """The ``model`` field Azure reports: model name plus dated version, as in real responses."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", dep.model_version):
        return f"{dep.model}-{dep.model_version}"
    return dep.model


def fingerprint(dep: Deployment) -> str:
    return "fp_" + bh.stable_id("", dep.model, dep.model_version, length=10).lower()


def _check_unknown(body: JSON, known: frozenset[str]) -> None:
    for key in body:
        if key not in known:
            raise azure.unrecognized_argument(key)


def _int(body: JSON, name: str, lo: int | None = None, hi: int | None = None) -> int | None:
    v = body.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise azure.invalid_type(name, "an integer")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise azure.invalid_value(name, f"Invalid '{name}': integer {v} is out of range"
                                  f"{f' (minimum {lo})' if lo is not None else ''}{f' (maximum {hi})' if hi is not None else ''}.")
    return v


def _num(body: JSON, name: str, lo: float, hi: float) -> None:
    v = body.get(name)
    if v is None:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise azure.invalid_type(name, "a number")
    if not lo <= v <= hi:
        raise azure.invalid_value(name, f"Invalid '{name}': {v} is out of range ({lo} to {hi}).")


def _version_date(api_version: str | None) -> str:
    return (api_version or "9999")[:10]


def _filter_trigger(texts: list[str], terms: dict[str, str]) -> str | None:
    joined = "\n".join(texts).lower()
    for term, category in terms.items():
        if term.lower() in joined:
            return category
    return None


def _usage(prompt: int, completion: int, reasoning: int = 0) -> JSON:
    return {
        "completion_tokens": completion,
        "completion_tokens_details": {"accepted_prediction_tokens": 0, "audio_tokens": 0, "reasoning_tokens": reasoning,
                                      "rejected_prediction_tokens": 0},
        "prompt_tokens": prompt,
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        "total_tokens": prompt + completion,
    }


def _truncate(text: str, max_tokens: int | None, stop: Any) -> tuple[str, str]:
    finish = "stop"
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    for s in stops:
        if isinstance(s, str) and s and s in text:
            text = text[: text.index(s)]
    if max_tokens is not None:
        pieces = bh.split_tokens(text)
        if len(pieces) > max_tokens:
            text, finish = "".join(pieces[:max_tokens]), "length"
    return text, finish


def estimate_tokens(op: str, body: JSON) -> int:
    """The rate-limit charge Azure estimates at admission: prompt tokens + requested output (16 if unset)."""
    try:
        if op == "chat/completions":
            msgs = [m for m in body.get("messages") or [] if isinstance(m, dict)]
            out = body.get("max_completion_tokens") or body.get("max_tokens") or 16
            return bh.count_message_tokens(msgs) + (out if isinstance(out, int) else 16)
        if op == "completions":
            p = body.get("prompt")
            texts = [p] if isinstance(p, str) else [t for t in p or [] if isinstance(t, str)]
            out = body.get("max_tokens") or 16
            return sum(bh.count_tokens(t) for t in texts) + (out if isinstance(out, int) else 16)
        if op == "embeddings":
            raw = body.get("input")
            texts = [raw] if isinstance(raw, str) else [t for t in raw or [] if isinstance(t, str)]
            return sum(bh.count_tokens(t) for t in texts) or 1
    except (TypeError, AttributeError):
        pass
    return 0


# --- chat ------------------------------------------------------------------------------------

@dataclass(slots=True)
class ChatChoice:
    index: int
    content: str | None
    tool_calls: list[JSON] | None
    finish_reason: str
    filtered: str | None = None  # category, when the completion is filtered


@dataclass(slots=True)
class ChatPlan:
    id: str
    created: int
    model: str
    fingerprint: str | None
    choices: list[ChatChoice]
    usage: JSON
    estimate: int
    stream: bool = False
    include_usage: bool = False
    extra: JSON = field(default_factory=dict)
    top_logprobs: int | None = None  # None: logprobs not requested
    obfuscate: bool = False  # v1 routes pad stream chunks with an ``obfuscation`` string


def validate_chat(body: JSON, dep: Deployment, api_version: str | None) -> None:
    _check_unknown(body, CHAT_PARAMS)
    msgs = body.get("messages")
    if msgs is None:
        raise azure.missing_parameter("messages")
    if not isinstance(msgs, list):
        raise azure.invalid_type("messages", "an array")
    if not msgs:
        raise azure.bad_request("[] is too short - 'messages'", param="messages")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            raise azure.invalid_type(f"messages[{i}]", "an object")
        role = m.get("role")
        if role is None:
            raise azure.missing_parameter(f"messages[{i}].role")
        if role not in ROLES:
            raise azure.invalid_value(f"messages[{i}].role", f"Invalid value: '{role}'. Supported values are: 'system', "
                                      "'assistant', 'user', 'function', 'tool', and 'developer'.")
        if role == "tool" and not m.get("tool_call_id"):
            raise azure.missing_parameter(f"messages[{i}].tool_call_id")
        if role in ("user", "system", "developer") and "content" not in m:
            raise azure.missing_parameter(f"messages[{i}].content")
    if dep.kind == "reasoning":
        for p in REASONING_UNSUPPORTED:
            if p in body:
                raise azure.unsupported_parameter(p)
        if "max_tokens" in body:
            raise azure.unsupported_parameter("max_tokens", "max_completion_tokens")
    _num(body, "temperature", 0, 2)
    _num(body, "top_p", 0, 1)
    _num(body, "presence_penalty", -2, 2)
    _num(body, "frequency_penalty", -2, 2)
    _int(body, "n", 1, 128)
    _int(body, "max_tokens", 1)
    _int(body, "max_completion_tokens", 1)
    _check_chat_logprobs(body)
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise azure.invalid_type("tools", "an array")
        for i, t in enumerate(tools):
            if not isinstance(t, dict) or not isinstance(t.get("function"), dict) or not t["function"].get("name"):
                raise azure.missing_parameter(f"tools[{i}].function.name" if isinstance(t, dict) and isinstance(t.get("function"), dict) else f"tools[{i}].function")
    tc = body.get("tool_choice")
    if tc is not None and not tools:
        raise azure.bad_request("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                                param="tool_choice")
    if isinstance(tc, str) and tc not in ("none", "auto", "required"):
        raise azure.invalid_value("tool_choice", f"Invalid value: '{tc}'. Supported values are: 'none', 'auto', and 'required'.")
    if isinstance(tc, dict):
        name = (tc.get("function") or {}).get("name")
        if name not in {t["function"]["name"] for t in tools or []}:
            raise azure.invalid_value("tool_choice", f"Invalid value for 'tool_choice': tool '{name}' is not in 'tools'.")
    rf = body.get("response_format")
    if rf is not None:
        rtype = rf.get("type") if isinstance(rf, dict) else None
        if rtype not in ("text", "json_object", "json_schema"):
            raise azure.invalid_value("response_format.type", f"Invalid value: '{rtype}'. Supported values are: 'json_object', "
                                      "'json_schema', and 'text'.")
        if rtype == "json_schema":
            if api_version is not None and _version_date(api_version) < "2024-08-01":
                raise azure.AzureError(400, {"error": {"code": "BadRequest", "message": "response_format value as json_schema "
                                                       "is enabled only for api versions 2024-08-01-preview and later"}})
            js = rf.get("json_schema")
            if not isinstance(js, dict) or not js.get("name"):
                raise azure.missing_parameter("response_format.json_schema.name")
        if rtype == "json_object":
            texts = " ".join(bh.message_text(m) for m in msgs).lower()
            if "json" not in texts:
                raise azure.bad_request("'messages' must contain the word 'json' in some form, to use 'response_format' of "
                                        "type 'json_object'.", param="messages")


def _check_chat_logprobs(body: JSON) -> None:
    want = body.get("logprobs")
    if want is not None and not isinstance(want, bool):
        raise azure.invalid_type("logprobs", "a boolean")
    if _int(body, "top_logprobs", 0, 20) is not None and want is not True:
        raise azure.invalid_value("logprobs", "Invalid value for 'logprobs': must be true when 'top_logprobs' is specified.")


def chat_plan(body: JSON, dep: Deployment, cfg: EmulatorConfig, api_version: str | None, seq: int, now: int) -> ChatPlan:
    """Validate and answer a chat completion request."""
    validate_chat(body, dep, api_version)
    msgs: list[JSON] = body["messages"]
    texts = [bh.message_text(m) for m in msgs]
    category = _filter_trigger(texts, cfg.prompt_filter_terms)
    if category:
        raise azure.prompt_filtered(category)
    tools = body.get("tools") or []
    prompt_tokens = bh.count_message_tokens(msgs, tools)
    window = CONTEXT_WINDOW.get(dep.kind, 128_000)
    if prompt_tokens > window:
        raise azure.context_length_exceeded(window, prompt_tokens)
    max_out = body.get("max_completion_tokens") or body.get("max_tokens")
    out_filter = _filter_trigger(texts[-1:], cfg.completion_filter_terms)
    n = body.get("n") or 1
    parallel = body.get("parallel_tool_calls", True) is not False
    chosen = bh.choose_tools(tools, body.get("tool_choice"), msgs, parallel)
    choices: list[ChatChoice] = []
    completion_tokens = 0
    for i in range(n):
        if out_filter:
            choices.append(ChatChoice(i, None, None, "content_filter", out_filter))
            completion_tokens += 0
            continue
        if chosen:
            filler = bh.make_filler(msgs)
            calls: list[JSON] = [{"id": bh.stable_id("call_", cfg.seed, seq, i, j), "type": "function",
                      "function": {"name": t["function"]["name"], "arguments": bh.tool_arguments(t, msgs, filler)}}
                     for j, t in enumerate(chosen)]
            completion_tokens += sum(bh.count_tokens(c["function"]["arguments"]) + 5 for c in calls)
            choices.append(ChatChoice(i, None, calls, "tool_calls"))
            continue
        rf = body.get("response_format") or {}
        if rf.get("type") == "json_schema":
            js = rf["json_schema"]
            text = json.dumps(bh.json_output(js.get("schema") or {}, msgs, strict=bool(js.get("strict"))), ensure_ascii=False)
        elif rf.get("type") == "json_object":
            text = json.dumps(json_mode.json_object_output(msgs), ensure_ascii=False)
        else:
            text = bh.compose_answer(msgs)
        text, finish = _truncate(text, max_out, body.get("stop"))
        completion_tokens += bh.count_tokens(text)
        choices.append(ChatChoice(i, text, None, finish))
    reasoning = 0
    if dep.kind == "reasoning":
        effort = body.get("reasoning_effort") or "medium"
        reasoning = {"minimal": 0, "low": 64, "medium": 192, "high": 448}.get(str(effort), 192) * n
        if max_out is not None and reasoning >= max_out:
            reasoning = max_out
            choices = [ChatChoice(c.index, "", None, "length") for c in choices]
            completion_tokens = 0
    stream_opts = body.get("stream_options") or {}
    return ChatPlan(
        id=bh.stable_id("chatcmpl-", cfg.seed, dep.name, seq, length=29),
        created=now, model=served_model(dep),
        fingerprint=None if dep.kind == "reasoning" else fingerprint(dep), choices=choices,
        usage=_usage(prompt_tokens, completion_tokens + reasoning, reasoning),
        estimate=prompt_tokens + int(max_out or 16), stream=bool(body.get("stream")),
        include_usage=bool(stream_opts.get("include_usage")),
        top_logprobs=int(body.get("top_logprobs") or 0) if body.get("logprobs") is True else None,
    )


def _choice_filter(c: ChatChoice) -> JSON:
    if c.filtered:
        return azure.filtered_results(c.filtered, jailbreak=False, severity="high")
    if c.tool_calls:
        return {}
    return azure.safe_filter_results(protected=True)


def chat_json(p: ChatPlan) -> JSON:
    choices = []
    for c in p.choices:
        ch: JSON = {"content_filter_results": _choice_filter(c), "finish_reason": c.finish_reason, "index": c.index,
                    "logprobs": _message_logprobs(p, c)}
        if not c.filtered:
            msg: JSON = {"annotations": [], "content": c.content, "refusal": None, "role": "assistant"}
            if c.tool_calls:
                msg["tool_calls"] = c.tool_calls
            ch["message"] = msg
        choices.append(ch)
    return {"choices": choices, "created": p.created, "id": p.id, "model": p.model, "object": "chat.completion",
            "prompt_filter_results": azure.prompt_filter_results(), "system_fingerprint": p.fingerprint, "usage": p.usage}


def _message_logprobs(p: ChatPlan, c: ChatChoice) -> JSON | None:
    if p.top_logprobs is None or c.filtered or c.tool_calls or c.content is None:
        return None
    return lp.chat_logprobs(bh.split_tokens(c.content), p.top_logprobs)


def chat_events(p: ChatPlan) -> Iterator[tuple[JSON, bool]]:
    """Stream events in Azure's order; the flag marks content-bearing chunks (for stream faults).

    On v1 routes (``p.obfuscate``) every chunk after the prompt-filter one carries an
    ``obfuscation`` string, as real v1 traffic does (its length varies to pad chunk sizes).
    """
    for i, (event, flag) in enumerate(_chat_events(p)):
        if p.obfuscate and i > 0:
            pad = bh.stable_id("", p.id, i, length=16)
            event = dict(sorted({**event, "obfuscation": pad[: 1 + ord(pad[0]) % 15]}.items()))
        yield event, flag


def _chat_events(p: ChatPlan) -> Iterator[tuple[JSON, bool]]:
    yield {"choices": [], "created": 0, "id": "", "model": "", "object": "",
           "prompt_filter_results": azure.prompt_filter_results()}, False
    base: JSON = {"created": p.created, "id": p.id, "model": p.model, "object": "chat.completion.chunk",
                  "system_fingerprint": p.fingerprint}
    if p.include_usage:
        base["usage"] = None

    def chunk(index: int, delta: JSON, finish: str | None = None, cfr: JSON | None = None,
              logprobs: JSON | None = None) -> JSON:
        c = {"choices": [{"content_filter_results": cfr if cfr is not None else {}, "delta": delta, "finish_reason": finish,
                          "index": index, "logprobs": logprobs}]}
        c.update(base)
        return c

    for c in p.choices:
        if c.tool_calls:
            yield chunk(c.index, {"content": None, "refusal": None, "role": "assistant"}), False
            for k, call in enumerate(c.tool_calls):
                yield chunk(c.index, {"tool_calls": [{"function": {"arguments": "", "name": call["function"]["name"]},
                                                      "id": call["id"], "index": k, "type": "function"}]}), True
                for piece in _pieces(call["function"]["arguments"], 8):
                    yield chunk(c.index, {"tool_calls": [{"function": {"arguments": piece}, "index": k}]}), True
        else:
            yield chunk(c.index, {"content": "", "refusal": None, "role": "assistant"}), False
            prefix = ""
            for piece in bh.split_tokens(c.content or ""):
                logprobs = None
                if p.top_logprobs is not None:
                    logprobs = {"content": [lp.chat_entry(prefix, piece, p.top_logprobs)], "refusal": None}
                prefix += piece
                yield chunk(c.index, {"content": piece}, cfr=dict(SEVERITY4), logprobs=logprobs), True
        yield chunk(c.index, {}, c.finish_reason, _choice_filter(c) if c.filtered else {}), False
    if p.include_usage:
        last = dict(base)
        last.update(choices=[], usage=p.usage)
        yield {"choices": [], **{k: v for k, v in last.items() if k != "choices"}}, False


def _pieces(s: str, size: int) -> list[str]:
    return [s[i:i + size] for i in range(0, len(s), size)] or [""]


# --- legacy completions ----------------------------------------------------------------------

def completion_plan(body: JSON, dep: Deployment, cfg: EmulatorConfig, seq: int, now: int) -> tuple[JSON, list[JSON], int, bool]:
    """(response body, stream events, token estimate, stream?) for ``/completions``."""
    _check_unknown(body, COMPLETION_PARAMS)
    prompt = body.get("prompt")
    if prompt is None:
        raise azure.missing_parameter("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise azure.invalid_type("prompt", "a string or an array of strings")
    _num(body, "temperature", 0, 2)
    max_tokens = _int(body, "max_tokens", 0)
    max_tokens = 16 if max_tokens is None else max_tokens
    n = _int(body, "n", 1, 128) or 1
    top = _int(body, "logprobs", 0, 5)
    category = _filter_trigger(prompts, cfg.prompt_filter_terms)
    if category:
        raise azure.prompt_filtered(category)
    prompt_tokens = sum(bh.count_tokens(p) for p in prompts)
    if prompt_tokens + max_tokens > CONTEXT_WINDOW["completions"]:
        raise azure.bad_request(f"This model's maximum context length is {CONTEXT_WINDOW['completions']} tokens, however you "
                                f"requested {prompt_tokens + max_tokens} tokens ({prompt_tokens} in your prompt; {max_tokens} "
                                "for the completion). Please reduce your prompt; or completion length.",
                                code="context_length_exceeded")
    choices: list[JSON] = []
    pieces: dict[int, list[str]] = {}  # choice index -> its text's tokens (logprobs and stream agree)
    completion_tokens = 0
    for pi, p in enumerate(prompts):
        filtered = _filter_trigger([p], cfg.completion_filter_terms)
        text = bh.compose_answer([{"role": "user", "content": p}])
        text, finish = _truncate(" " + text, max_tokens, body.get("stop"))
        toks = bh.split_tokens(text)
        logprobs: JSON | None = None
        if body.get("echo"):
            toks = bh.split_tokens(p) + toks
            if top is not None:
                logprobs = lp.completion_logprobs(toks, top, echo_pieces=len(toks) - len(bh.split_tokens(text)))
            text = p + text
        elif top is not None:
            logprobs = lp.completion_logprobs(toks, top, offset=len(p))
        for j in range(n):
            idx = pi * n + j
            if filtered:
                choices.append({"text": "", "index": idx, "finish_reason": "content_filter", "logprobs": None,
                                "content_filter_results": azure.filtered_results(filtered, jailbreak=False, severity="high")})
                continue
            completion_tokens += bh.count_tokens(text)
            pieces[idx] = toks
            choices.append({"text": text, "index": idx, "finish_reason": finish, "logprobs": logprobs,
                            "content_filter_results": dict(SEVERITY4)})
    cid = bh.stable_id("cmpl-", cfg.seed, dep.name, seq, length=29)
    usage = {"completion_tokens": completion_tokens, "prompt_tokens": prompt_tokens,
             "total_tokens": prompt_tokens + completion_tokens}
    model = served_model(dep)
    full = {"id": cid, "object": "text_completion", "created": now, "model": model,
            "prompt_filter_results": azure.prompt_filter_results(len(prompts)), "choices": choices, "usage": usage}
    events: list[JSON] = [{"choices": [], "created": 0, "id": "", "model": "", "object": "",
                           "prompt_filter_results": azure.prompt_filter_results(len(prompts))}]
    for c in choices:
        full_lp = c["logprobs"]
        for k, piece in enumerate(pieces.get(c["index"], [])):
            piece_lp = None if full_lp is None else {key: vals[k:k + 1] for key, vals in full_lp.items()}
            events.append({"id": cid, "object": "text_completion", "created": now, "model": model,
                           "choices": [{"text": piece, "index": c["index"], "finish_reason": None, "logprobs": piece_lp,
                                        "content_filter_results": dict(SEVERITY4)}]})
        events.append({"id": cid, "object": "text_completion", "created": now, "model": model,
                       "choices": [{"text": "", "index": c["index"], "finish_reason": c["finish_reason"], "logprobs": None,
                                    "content_filter_results": c["content_filter_results"] if c["finish_reason"] == "content_filter" else {}}]})
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append({"id": cid, "object": "text_completion", "created": now, "model": model, "choices": [], "usage": usage})
    return full, events, prompt_tokens + max_tokens * n, bool(body.get("stream"))


# --- embeddings ------------------------------------------------------------------------------

def embeddings_plan(body: JSON, dep: Deployment) -> tuple[JSON, int]:
    _check_unknown(body, EMBEDDING_PARAMS)
    raw = body.get("input")
    if raw is None:
        raise azure.missing_parameter("input")
    if isinstance(raw, str):
        inputs: list[str] = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(t, int) for t in raw):
        inputs = [" ".join(map(str, raw))]
    elif isinstance(raw, list):
        inputs = []
        for i, item in enumerate(raw):
            if isinstance(item, str):
                inputs.append(item)
            elif isinstance(item, list) and all(isinstance(t, int) for t in item):
                inputs.append(" ".join(map(str, item)))
            else:
                raise azure.invalid_type(f"input[{i}]", "a string or an array of integers")
    else:
        raise azure.invalid_type("input", "a string or an array")
    if not inputs:
        raise azure.bad_request("'$.input' is invalid. Please check the API reference: "
                                "https://platform.openai.com/docs/api-reference.")
    if len(inputs) > 2048:
        raise azure.too_many_inputs()
    if any(s == "" for s in inputs):
        raise azure.bad_request("'$.input' is invalid. Please check the API reference: "
                                "https://platform.openai.com/docs/api-reference.")
    counts = [bh.count_tokens(s) for s in inputs]
    for c in counts:
        if c > 8191:
            raise azure.bad_request(f"This model's maximum context length is 8192 tokens, however you requested {c} tokens "
                                    f"({c} in your prompt; 0 for the completion). Please reduce your prompt; or completion "
                                    "length.", param="input", code="context_length_exceeded")
    native = dep.dimensions or 1536
    dims = body.get("dimensions")
    if dims is not None:
        if "text-embedding-3" not in dep.model:
            raise azure.bad_request("This model does not support specifying dimensions.", param="dimensions")
        if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= native:
            raise azure.invalid_value("dimensions", f"Invalid value for 'dimensions': must be an integer between 1 and {native}.")
    fmt = body.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise azure.invalid_value("encoding_format", f"Invalid value: '{fmt}'. Supported values are: 'float' and 'base64'.")
    size = int(dims or native)
    data = []
    for i, s in enumerate(inputs):
        vec = bh.embed(s, size)
        data.append({"object": "embedding", "index": i, "embedding": bh.embedding_base64(vec) if fmt == "base64" else vec})
    total = sum(counts)
    return {"object": "list", "data": data, "model": dep.model,
            "usage": {"prompt_tokens": total, "total_tokens": total}}, total


# --- images ----------------------------------------------------------------------------------

SIZES = {"dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
         "dall-e-2": ("256x256", "512x512", "1024x1024"),
         "gpt-image-1": ("1024x1024", "1536x1024", "1024x1536", "auto")}


def image_plan(body: JSON, dep: Deployment, cfg: EmulatorConfig, now: int, seq: int,
               store_blob: Any, base_url: str, edit_source: bytes | None = None) -> JSON:
    """Images for generations (and edits, with ``edit_source``): PNGs as b64_json or emulator URLs."""
    if edit_source is None:
        _check_unknown(body, IMAGE_PARAMS)
    prompt = body.get("prompt")
    if not prompt:
        raise azure.missing_parameter("prompt")
    if not isinstance(prompt, str):
        raise azure.invalid_type("prompt", "a string")
    if len(prompt) > 4000:
        raise azure.invalid_value("prompt", "Invalid 'prompt': string too long. Expected a string with maximum length 4000.")
    n = int(body.get("n") or 1)
    if dep.model == "dall-e-3" and n != 1:
        raise azure.invalid_value("n", "You must provide n=1 for this model.")
    if not 1 <= n <= 10:
        raise azure.invalid_value("n", "Invalid value for 'n': must be between 1 and 10.")
    size = body.get("size") or "1024x1024"
    allowed = SIZES.get(dep.model, SIZES["dall-e-3"])
    if size not in allowed:
        raise azure.invalid_value("size", f"The size is not supported by this model. Supported values are: {', '.join(allowed)}.")
    quality = body.get("quality") or "standard"
    if quality not in ("standard", "hd", "low", "medium", "high", "auto"):
        raise azure.invalid_value("quality", f"Invalid value: '{quality}'. Supported values are: 'standard' and 'hd'.")
    style = body.get("style") or "vivid"
    if style not in ("vivid", "natural"):
        raise azure.invalid_value("style", f"Invalid value: '{style}'. Supported values are: 'vivid' and 'natural'.")
    fmt = body.get("response_format") or ("b64_json" if dep.model.startswith("gpt-image") else "url")
    if fmt not in ("url", "b64_json"):
        raise azure.invalid_value("response_format", f"Invalid value: '{fmt}'. Supported values are: 'url' and 'b64_json'.")
    category = _filter_trigger([prompt], cfg.prompt_filter_terms)
    if category:
        raise azure.image_prompt_filtered(category, prompt)
    import base64

    data = []
    for i in range(n):
        seed = f"{prompt}|{size}|{quality}|{style}|{i}|{len(edit_source or b'')}"
        img = media.png(seed)
        item: JSON = {}
        if fmt == "b64_json":
            item["b64_json"] = base64.b64encode(img).decode()
        else:
            item["url"] = store_blob(bh.stable_id("img", cfg.seed, seq, i, length=20) + ".png", img, base_url)
        item["revised_prompt"] = prompt
        item["content_filter_results"] = dict(SEVERITY4)
        item["prompt_filter_results"] = azure.safe_filter_results(jailbreak=True)
        data.append(item)
    return {"created": now, "data": data}


# --- audio -----------------------------------------------------------------------------------

def speech_plan(body: JSON) -> tuple[bytes, str]:
    _check_unknown(body, SPEECH_PARAMS)
    text = body.get("input")
    if text is None:
        raise azure.missing_parameter("input")
    if not isinstance(text, str):
        raise azure.invalid_type("input", "a string")
    if len(text) > 4096:
        raise azure.invalid_value("input", "Invalid 'input': string too long. Expected a string with maximum length 4096.")
    voice = body.get("voice")
    if voice is None:
        raise azure.missing_parameter("voice")
    if voice not in VOICES:
        raise azure.invalid_value("voice", f"Invalid value: '{voice}'. Supported values are: {', '.join(repr(v) for v in VOICES)}.")
    fmt = body.get("response_format") or "mp3"
    if fmt not in ("mp3", "opus", "aac", "flac", "wav", "pcm"):
        raise azure.invalid_value("response_format", f"Invalid value: '{fmt}'. Supported values are: 'mp3', 'opus', 'aac', "
                                  "'flac', 'wav', and 'pcm'.")
    _num(body, "speed", 0.25, 4.0)
    speed = float(body.get("speed") or 1.0)
    if fmt == "pcm":
        return media.pcm(text, speed=speed), "audio/pcm"
    # Only WAV is synthesised; the content type says so whatever format was asked for.
    return media.wav(text, speed=speed), "audio/wav"


def transcription_plan(fields: JSON, files: JSON, translate: bool) -> tuple[bytes, str]:
    up = files.get("file")
    if up is None:
        raise azure.missing_parameter("file")
    ext = up.filename.rsplit(".", 1)[-1].lower() if "." in up.filename else ""
    if ext not in AUDIO_EXTS:
        raise azure.bad_request(f"Invalid file format. Supported formats: {AUDIO_EXTS!r}".replace("(", "[").replace(")", "]"),
                                param="file")
    if len(up.data) > 25 * 1024 * 1024:
        raise azure.AzureError(413, {"error": {"code": "RequestEntityTooLarge", "message": "Maximum content size limit "
                                               f"(26214400) exceeded ({len(up.data)} bytes read)"}})
    if not up.data:
        raise azure.bad_request("The audio file is empty.", param="file")
    fmt = fields.get("response_format") or "json"
    if fmt not in ("json", "text", "srt", "verbose_json", "vtt"):
        raise azure.invalid_value("response_format", f"Invalid value: '{fmt}'. Supported values are: 'json', 'text', 'srt', "
                                  "'verbose_json', and 'vtt'.")
    text = media.transcript(up.data)
    duration = media.wav_duration(up.data) or round(len(up.data) / 16000, 2)
    if fmt == "text":
        return (text + "\n").encode(), "text/plain; charset=utf-8"
    if fmt in ("srt", "vtt"):
        return media.subtitles(text, duration, fmt).encode(), "text/plain; charset=utf-8"
    if fmt == "verbose_json":
        out: JSON = {"task": "translate" if translate else "transcribe", "language": "english" if translate else
                     (fields.get("language") or "english"), "duration": duration, "text": text,
                     "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": duration, "text": text, "tokens": [],
                                   "temperature": 0.0, "avg_logprob": -0.1, "compression_ratio": 1.0, "no_speech_prob": 0.0}]}
        return azure.dumps(out), "application/json"
    return azure.dumps({"text": text}), "application/json"
