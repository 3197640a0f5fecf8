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

from . import azure, json_mode, rules
from . import behaviour as bh
from . import logprobs as lp
from .catalog import ROUTER_PICKS, spec_for
from .config import Deployment, EmulatorConfig

JSON = dict[str, Any]

SEVERITY4 = {c: {"filtered": False, "severity": "safe"} for c in azure.SEVERITY_CATEGORIES}


def served_model(dep: Deployment, body: JSON | None = None) -> str:
    """The ``model`` field Azure reports: model name plus dated version, as in real responses.

    A ``model-router`` deployment reports the model that served the request (Learn: model-router):
    here a reasoning model when the request has tools or asks for reasoning effort, else a light one.
    """
    if spec_for(dep.model).router:
        heavy = bool(body and (body.get("tools") or body.get("reasoning_effort") or body.get("response_format")))
        name, version = ROUTER_PICKS["reasoning" if heavy else "light"]
        return f"{name}-{version}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", dep.model_version):
        return f"{dep.model}-{dep.model_version}"
    return dep.model


def fingerprint(dep: Deployment) -> str:
    return "fp_" + bh.stable_id("", dep.model, dep.model_version, length=10).lower()


def _filter_trigger(texts: list[str], terms: dict[str, str]) -> str | None:
    joined = "\n".join(texts).lower()
    for term, category in terms.items():
        if term.lower() in joined:
            return category
    return None


def _usage(prompt: int, completion: int, reasoning: int = 0) -> JSON:
    return {
        "completion_tokens": completion,
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": reasoning,
            "rejected_prediction_tokens": 0,
        },
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
    images: bool = False  # the prompt has image parts (judged by the multimodal filter)


def validate_chat(ctx: rules.Ctx) -> None:
    """Apply the chat rule table (``rules_chat``, ``rules_chat_tools``, ``rules_content``, ``rules_schema``) to the request."""
    rules.run("chat", ctx)


def chat_plan(
    body: JSON,
    dep: Deployment,
    cfg: EmulatorConfig,
    api_version: str | None,
    seq: int,
    now: int,
    *,
    style: str = "dated",
    base_url: str = "",
) -> ChatPlan:
    """Validate and answer a chat completion request."""
    validate_chat(rules.Ctx("chat", body, dep, api_version, style, cfg, base_url))
    msgs: list[JSON] = body["messages"]
    texts = [bh.message_text(m) for m in msgs]
    category = _filter_trigger(texts, cfg.prompt_filter_terms)
    if category:
        raise azure.prompt_filtered(category)
    tools = body.get("tools") or []
    prompt_tokens = bh.count_message_tokens(msgs, tools)
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
            filler = bh.step_filler(msgs) if msgs and msgs[-1].get("role") == "tool" else bh.make_filler(msgs)
            calls: list[JSON] = [
                {
                    "id": bh.stable_id("call_", cfg.seed, seq, i, j),
                    "type": "function",
                    "function": {"name": t["function"]["name"], "arguments": bh.tool_arguments(t, msgs, filler)},
                }
                for j, t in enumerate(chosen)
            ]
            completion_tokens += sum(bh.count_tokens(c["function"]["arguments"]) + 5 for c in calls)
            choices.append(ChatChoice(i, None, calls, "tool_calls"))
            continue
        rf = body.get("response_format") or {}
        if rf.get("type") == "json_schema":
            js = rf["json_schema"]
            text = json.dumps(
                bh.json_output(js.get("schema") or {}, msgs, strict=bool(js.get("strict"))), ensure_ascii=False
            )
        elif rf.get("type") == "json_object":
            text = json.dumps(json_mode.json_object_output(msgs), ensure_ascii=False)
        else:
            text = bh.compose_answer(msgs)
        text, finish = _truncate(text, max_out, body.get("stop"))
        completion_tokens += bh.count_tokens(text)
        choices.append(ChatChoice(i, text, None, finish))
    reasoning = 0
    if dep.kind == "reasoning":
        efforts = spec_for(dep.model).efforts
        effort = body.get("reasoning_effort") or ("none" if "none" in efforts else "medium")
        reasoning = {"none": 0, "minimal": 0, "low": 64, "medium": 192, "high": 448, "xhigh": 960}.get(
            str(effort), 192
        ) * n
        if max_out is not None and reasoning >= max_out:
            reasoning = max_out
            choices = [ChatChoice(c.index, "", None, "length") for c in choices]
            completion_tokens = 0
    stream_opts = body.get("stream_options") or {}
    extra: JSON = {}
    tier = served_tier(dep, body["service_tier"]) if body.get("service_tier") is not None else None
    if tier is not None:
        extra["service_tier"] = tier
    return ChatPlan(
        id=bh.stable_id("chatcmpl-", cfg.seed, dep.name, seq, length=29),
        created=now,
        model=served_model(dep, body),
        fingerprint=None if dep.kind == "reasoning" else fingerprint(dep),
        choices=choices,
        usage=_usage(prompt_tokens, completion_tokens + reasoning, reasoning),
        estimate=prompt_tokens + int(max_out or 16),
        stream=bool(body.get("stream")),
        include_usage=bool(stream_opts.get("include_usage")),
        top_logprobs=int(body.get("top_logprobs") or 0) if body.get("logprobs") is True else None,
        extra=extra,
        images=any(
            isinstance(part, dict) and part.get("type") == "image_url"
            for m in msgs
            if isinstance(m.get("content"), list)
            for part in m["content"]
        ),
    )


def served_tier(dep: Deployment, asked: str) -> str | None:
    """The tier that serves a request asking for ``asked`` (the response's ``service_tier``), or None.

    Learn priority processing: ``priority`` on GlobalStandard / DataZoneStandard deployments of model
    versions 2025-12-01 or later; for those, ``auto`` and ``default`` run at the default tier and the
    response names it. Older models have no tiers: the field is absent (recorded: gpt-4o-mini answering
    ``service_tier: "default"``, azure-recordings elastic ``test_all_the_client_options``).
    """
    dated = re.fullmatch(r"\d{4}-\d{2}-\d{2}", dep.model_version) is not None
    if not dated or dep.model_version < "2025-12-01":
        return None
    return "priority" if asked == "priority" and not dep.provisioned else "default"


def _choice_filter(c: ChatChoice) -> JSON:
    if c.filtered:
        return azure.filtered_results(c.filtered, jailbreak=False, severity="high")
    if c.tool_calls:
        return {}
    return azure.safe_filter_results(protected=True)


def chat_json(p: ChatPlan) -> JSON:
    choices = []
    for c in p.choices:
        ch: JSON = {
            "content_filter_results": _choice_filter(c),
            "finish_reason": c.finish_reason,
            "index": c.index,
            "logprobs": _message_logprobs(p, c),
        }
        if not c.filtered:
            msg: JSON = {"annotations": [], "content": c.content, "refusal": None, "role": "assistant"}
            if c.tool_calls:
                msg["tool_calls"] = c.tool_calls
            ch["message"] = msg
        choices.append(ch)
    return {
        "choices": choices,
        "created": p.created,
        "id": p.id,
        "model": p.model,
        "object": "chat.completion",
        "prompt_filter_results": azure.prompt_filter_results(images=p.images),
        "system_fingerprint": p.fingerprint,
        "usage": p.usage,
        **p.extra,
    }


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
    yield (
        {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": azure.prompt_filter_results(images=p.images),
        },
        False,
    )
    base: JSON = {
        "created": p.created,
        "id": p.id,
        "model": p.model,
        "object": "chat.completion.chunk",
        "system_fingerprint": p.fingerprint,
        **p.extra,
    }
    if p.include_usage:
        base["usage"] = None

    def chunk(
        index: int, delta: JSON, finish: str | None = None, cfr: JSON | None = None, logprobs: JSON | None = None
    ) -> JSON:
        c = {
            "choices": [
                {
                    "content_filter_results": cfr if cfr is not None else {},
                    "delta": delta,
                    "finish_reason": finish,
                    "index": index,
                    "logprobs": logprobs,
                }
            ]
        }
        c.update(base)
        return c

    for c in p.choices:
        if c.tool_calls:
            yield chunk(c.index, {"content": None, "refusal": None, "role": "assistant"}), False
            for k, call in enumerate(c.tool_calls):
                yield (
                    chunk(
                        c.index,
                        {
                            "tool_calls": [
                                {
                                    "function": {"arguments": "", "name": call["function"]["name"]},
                                    "id": call["id"],
                                    "index": k,
                                    "type": "function",
                                }
                            ]
                        },
                    ),
                    True,
                )
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
    return [s[i : i + size] for i in range(0, len(s), size)] or [""]


# --- legacy completions ----------------------------------------------------------------------


def completion_plan(
    body: JSON, dep: Deployment, cfg: EmulatorConfig, seq: int, now: int
) -> tuple[JSON, list[JSON], int, bool]:
    """(response body, stream events, token estimate, stream?) for ``/completions``."""
    rules.run("completions", rules.Ctx("completions", body, dep, None, "dated", cfg))
    prompt = body["prompt"]
    prompts = [prompt] if isinstance(prompt, str) else prompt
    max_tokens = body.get("max_tokens")
    max_tokens = 16 if max_tokens is None else max_tokens
    n = body.get("n") or 1
    top = body.get("logprobs")
    category = _filter_trigger(prompts, cfg.prompt_filter_terms)
    if category:
        raise azure.prompt_filtered(category)
    prompt_tokens = sum(bh.count_tokens(p) for p in prompts)
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
                choices.append(
                    {
                        "text": "",
                        "index": idx,
                        "finish_reason": "content_filter",
                        "logprobs": None,
                        "content_filter_results": azure.filtered_results(filtered, jailbreak=False, severity="high"),
                    }
                )
                continue
            completion_tokens += bh.count_tokens(text)
            pieces[idx] = toks
            choices.append(
                {
                    "text": text,
                    "index": idx,
                    "finish_reason": finish,
                    "logprobs": logprobs,
                    "content_filter_results": dict(SEVERITY4),
                }
            )
    cid = bh.stable_id("cmpl-", cfg.seed, dep.name, seq, length=29)
    usage = {
        "completion_tokens": completion_tokens,
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    model = served_model(dep)
    full = {
        "id": cid,
        "object": "text_completion",
        "created": now,
        "model": model,
        "prompt_filter_results": azure.prompt_filter_results(len(prompts)),
        "choices": choices,
        "usage": usage,
    }
    events: list[JSON] = [
        {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": azure.prompt_filter_results(len(prompts)),
        }
    ]
    for c in choices:
        full_lp = c["logprobs"]
        for k, piece in enumerate(pieces.get(c["index"], [])):
            piece_lp = None if full_lp is None else {key: vals[k : k + 1] for key, vals in full_lp.items()}
            events.append(
                {
                    "id": cid,
                    "object": "text_completion",
                    "created": now,
                    "model": model,
                    "choices": [
                        {
                            "text": piece,
                            "index": c["index"],
                            "finish_reason": None,
                            "logprobs": piece_lp,
                            "content_filter_results": dict(SEVERITY4),
                        }
                    ],
                }
            )
        events.append(
            {
                "id": cid,
                "object": "text_completion",
                "created": now,
                "model": model,
                "choices": [
                    {
                        "text": "",
                        "index": c["index"],
                        "finish_reason": c["finish_reason"],
                        "logprobs": None,
                        "content_filter_results": c["content_filter_results"]
                        if c["finish_reason"] == "content_filter"
                        else {},
                    }
                ],
            }
        )
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(
            {"id": cid, "object": "text_completion", "created": now, "model": model, "choices": [], "usage": usage}
        )
    return full, events, prompt_tokens + max_tokens * n, bool(body.get("stream"))
