"""Answer a Responses API request: the response object, its output items, usage and ``content_filters``.

Shapes follow the real Azure recordings in ``../shared/azure-recordings`` (Mirascope gpt-4o-mini on
``/openai/responses?api-version=2025-03-01-preview``; crewAI, ruby_llm and pydantic-ai gpt-5.x on
``/openai/v1/responses``): field order, ``content_filters`` entries with ``content_filter_offsets``,
reasoning items with ``encrypted_content`` when ``include`` asks, ``tool_usage``. The answer itself
comes from the chat behaviour (:mod:`.behaviour`, :mod:`.json_mode`), so agents on Responses are
led to the answer as chat ones are.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from . import azure, json_mode
from . import behaviour as bh
from . import responses_input as ri
from . import responses_tools as rt
from .catalog import spec_for
from .config import Deployment, EmulatorConfig
from .ops import _filter_trigger, _truncate, served_model

JSON = dict[str, Any]

#: Reasoning tokens spent per effort (the chat emulation's figures, so both APIs agree).
EFFORT_TOKENS = {"none": 0, "minimal": 0, "low": 64, "medium": 192, "high": 448, "xhigh": 640}
REFUSAL = "I'm sorry, but I cannot assist with that request."


@dataclass(slots=True)
class Answer:
    """One created response: the final object and what a later turn or ``input_items`` needs."""

    obj: JSON
    input_items: list[JSON]  # this request's input items, with ids (``GET .../input_items``)
    messages: list[JSON]  # the whole conversation in chat form, this response's output included
    prompt_filtered: str | None = None  # category, when the prompt tripped the filter
    extra: JSON = field(default_factory=dict)


def rid(cfg: EmulatorConfig, prefix: str, *parts: Any) -> str:
    """An id in Azure's style (``resp_`` + 50 hex-ish characters), stable for a seed and request number."""
    return prefix + hashlib.sha256("\x1f".join(str(p) for p in (cfg.seed, *parts)).encode()).hexdigest()[:50]


def rid_plain(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:50]


def filter_results(source: str, *, category: str | None = None) -> JSON:
    """One ``content_filters`` entry, as in the recordings (prompt: jailbreak; completion: protected material)."""
    if source == "prompt":
        res = {c: {"filtered": False, "severity": "safe"} for c in ("hate", "sexual", "violence", "self_harm")}
        res["jailbreak"] = {"detected": False, "filtered": False}
    else:
        res = {
            "protected_material_code": {"detected": False, "filtered": False},
            "protected_material_text": {"detected": False, "filtered": False},
        }
        res.update({c: {"filtered": False, "severity": "safe"} for c in ("hate", "sexual", "violence", "self_harm")})
    if category is not None:
        res[category] = (
            {"detected": True, "filtered": True}
            if category in azure.DETECTION_CATEGORIES
            else {"filtered": True, "severity": "high" if source == "completion" else "medium"}
        )
    return res


def filter_entry(source: str, end: int, *, category: str | None = None) -> JSON:
    return {
        "blocked": category is not None,
        "source_type": source,
        "content_filter_raw": [],
        "content_filter_results": filter_results(source, category=category),
        "content_filter_offsets": {"start_offset": 0, "end_offset": end, "check_offset": 0},
    }


def prompt_filtered_error() -> azure.AzureError:
    """The real Responses 400 for a filtered prompt: OpenAI-shaped, no ``innererror`` (Mirascope test_refusal)."""
    return azure.bad_request(
        "The response was filtered due to the prompt triggering Azure OpenAI’s content management policy. "
        "Please modify your prompt and retry. To learn more about our content filtering policies please read "
        "our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        param="prompt",
        code="content_filter",
    )


def effort_of(body: JSON, dep: Deployment) -> str | None:
    r = body.get("reasoning")
    effort = r.get("effort") if isinstance(r, dict) else None
    if effort is None and (dep.kind == "reasoning" or spec_for(dep.model).router):
        return "medium"
    return str(effort) if effort is not None else None


def _text_format(body: JSON) -> JSON:
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict):
        return {"type": "text"}
    if fmt.get("type") == "json_schema":
        return {"type": "json_schema", "description": fmt.get("description"), **fmt}
    return dict(fmt)


def _answer_text(body: JSON, messages: list[JSON]) -> str:
    fmt = _text_format(body)
    if fmt.get("type") == "json_schema":
        value = bh.json_output(fmt.get("schema") or {}, messages, strict=bool(fmt.get("strict")))
        return json.dumps(value, ensure_ascii=False)
    if fmt.get("type") == "json_object":
        return json.dumps(json_mode.json_object_output(messages), ensure_ascii=False)
    return bh.compose_answer(messages)


def message_item(item_id: str, text: str, status: str = "completed") -> JSON:
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    return {"id": item_id, "type": "message", "status": status, "content": [part], "role": "assistant"}


def reasoning_text(messages: list[JSON]) -> str:
    """What the reasoning of a turn says (its summary, and the payload of its sealed content)."""
    question = " ".join(bh.last_user_text(messages).split()[:12])
    return f"**Answering the question**\n\nThe user asks: {question}" if question else "**Answering**"


def with_included(obj: JSON, include: list[str], messages: list[JSON]) -> JSON:
    """A stored response as ``GET /responses/{id}?include[]=...`` shows it: the includable fields asked
    for filled in as a create with that ``include`` fills them (values that add nothing here pass)."""
    out = []
    for item in obj["output"]:
        kind = item.get("type")
        if kind == "reasoning" and "reasoning.encrypted_content" in include and "encrypted_content" not in item:
            sealed = ri.seal_reasoning(item["id"], reasoning_text(messages))
            item = {**item, "content": [], "encrypted_content": sealed}
        elif kind == "file_search_call" and "file_search_call.results" in include and item.get("results") is None:
            item = {**item, "results": []}
        elif kind == "code_interpreter_call" and "code_interpreter_call.outputs" in include and not item.get("outputs"):
            item = {**item, "outputs": rt.code_outputs(bh.last_user_text(messages))}
        out.append(item)
    return {**obj, "output": out}


def reasoning_item(item_id: str, body: JSON, messages: list[JSON]) -> JSON:
    """A reasoning item: ``summary`` filled when ``reasoning.summary`` asks, the sealed content when ``include`` asks."""
    r = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    summary_text = reasoning_text(messages)
    item: JSON = {"id": item_id, "type": "reasoning"}
    include = body.get("include") or []
    if "reasoning.encrypted_content" in include:
        item["content"] = []
        item["encrypted_content"] = ri.seal_reasoning(item_id, summary_text)
    want_summary = isinstance(r, dict) and r.get("summary") in ("auto", "concise", "detailed")
    item["summary"] = [{"type": "summary_text", "text": summary_text}] if want_summary else []
    return item


def respond(
    body: JSON,
    dep: Deployment,
    cfg: EmulatorConfig,
    seq: int,
    now: int,
    *,
    history: list[JSON],
    history_tokens: int,
    builtins: rt.BuiltinContext,
) -> Answer:
    """Answer a validated create request (``history``: the stored conversation ``previous_response_id`` names)."""
    items = ri.input_items(body)
    instructions = body.get("instructions")
    system = [{"role": "developer", "content": instructions}] if isinstance(instructions, str) and instructions else []
    turn = ri.to_messages(items)
    messages = system + history + turn
    texts = [bh.message_text(m) for m in turn] + ([str(instructions)] if system else [])
    resp_id = rid(cfg, "resp_", dep.name, seq)
    input_with_ids = [
        {"id": rid(cfg, "msg_", dep.name, seq, "in", i), **it}
        if ri.item_kind(it) == "message" and "id" not in it
        else it
        for i, it in enumerate(items)
    ]
    tools = ri.chat_tools(body.get("tools"))
    input_tokens = bh.count_message_tokens(messages, tools)
    prompt_len = sum(len(t) for t in texts) + sum(len(json.dumps(t)) for t in tools)
    category = _filter_trigger(texts, cfg.prompt_filter_terms)
    effort = effort_of(body, dep)
    reasoning_tokens = EFFORT_TOKENS.get(str(effort), 192) if dep.kind == "reasoning" and effort else 0
    output: list[JSON] = []
    status, incomplete = "completed", None
    filters = [filter_entry("prompt", prompt_len, category=category)]
    if category:  # only a streamed request gets here (a plain one is refused with a 400 before)
        output.append(message_item(rid(cfg, "msg_", resp_id, 0), REFUSAL, "incomplete"))
        status, incomplete = "incomplete", {"reason": "content_filter"}
        obj = _object(body, dep, cfg, resp_id, now, status, incomplete, output, filters, (0, 0, 0, 0))
        return Answer(obj, input_with_ids, messages, category)
    if reasoning_tokens or (dep.kind == "reasoning" and effort not in (None, "none")):
        output.append(reasoning_item(rid(cfg, "rs_", resp_id, 0), body, messages))
    out_filter = _filter_trigger(texts[-1:], cfg.completion_filter_terms)
    max_out = body.get("max_output_tokens")
    completion_tokens = 0
    if out_filter:
        status, incomplete = "incomplete", {"reason": "content_filter"}
        filters.append(filter_entry("completion", 0, category=out_filter))
    else:
        output += builtins.calls(body, messages, rid(cfg, "", resp_id))
        parallel = body.get("parallel_tool_calls", True) is not False
        chosen = bh.choose_tools(tools, ri.chat_tool_choice(body.get("tool_choice")), messages, parallel)
        if chosen:
            last_is_result = bool(messages) and messages[-1].get("role") == "tool"
            filler = bh.step_filler(messages) if last_is_result else bh.make_filler(messages)
            for j, t in enumerate(chosen):
                args = bh.tool_arguments(t, messages, filler)
                completion_tokens += bh.count_tokens(args) + 5
                output.append(
                    {
                        "id": rid(cfg, "fc_", resp_id, j),
                        "type": "function_call",
                        "status": "completed",
                        "arguments": args,
                        "call_id": bh.stable_id("call_", cfg.seed, seq, j),
                        "name": t["function"]["name"],
                    }
                )
        else:
            text = _answer_text(body, with_memory(messages))
            text, finish = _truncate(text, max_out if isinstance(max_out, int) else None, None)
            if finish == "length":
                status, incomplete = "incomplete", {"reason": "max_output_tokens"}
            completion_tokens += bh.count_tokens(text)
            output.append(message_item(rid(cfg, "msg_", resp_id, 1), text, "incomplete" if incomplete else "completed"))
        filters.append(filter_entry("completion", sum(len(json.dumps(o)) for o in output)))
    if isinstance(max_out, int) and reasoning_tokens >= max_out:
        reasoning_tokens, completion_tokens = max_out, 0
        output = [o for o in output if o["type"] == "reasoning"]
        status, incomplete = "incomplete", {"reason": "max_output_tokens"}
    cached = (history_tokens // 128) * 128 if history_tokens >= 1024 else 0  # OpenAI prompt caching: 1,024+ in 128s
    counts = (input_tokens, cached, completion_tokens + reasoning_tokens, reasoning_tokens)
    obj = _object(body, dep, cfg, resp_id, now, status, incomplete, output, filters, counts)
    conversation = history + turn + ri.to_messages([o for o in output if o["type"] == "function_call"])
    msg = next((o for o in output if o["type"] == "message"), None)
    if msg is not None:
        conversation.append({"role": "assistant", "content": msg["content"][0]["text"]})
    return Answer(obj, input_with_ids, conversation)


def with_memory(messages: list[JSON]) -> list[JSON]:
    """The messages with the user's earlier turns restated as context ("What is my name?" finds "My name is Ada.").

    Only for a turn that ends with the user's question (after tool results, those answer); the chat
    behaviour reads context from system/developer messages, so the earlier turns are given as one.
    """
    if not messages or messages[-1].get("role") != "user":
        return messages
    earlier = [bh.message_text(m) for m in messages[:-1] if m.get("role") == "user" and bh.message_text(m)]
    if not earlier:
        return messages
    return [{"role": "developer", "content": "The user said before:\n\n" + "\n\n".join(earlier)}, *messages]


def usage(counts: tuple[int, int, int, int]) -> JSON:
    inp, cached, out, reasoning = counts
    return {
        "input_tokens": inp,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inp + out,
    }


def _object(
    body: JSON,
    dep: Deployment,
    cfg: EmulatorConfig,
    resp_id: str,
    now: int,
    status: str,
    incomplete: JSON | None,
    output: list[JSON],
    filters: list[JSON],
    counts: tuple[int, int, int, int],
) -> JSON:
    r = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    reasoning: JSON = {"effort": effort_of(body, dep), "summary": r.get("summary") if isinstance(r, dict) else None}
    text: JSON = {"format": _text_format(body), "verbosity": "medium"}
    if isinstance(body.get("text"), dict) and body["text"].get("verbosity"):
        text["verbosity"] = body["text"]["verbosity"]
    # model-router names the model that served; it routes on the same request traits as for chat
    fmt = text["format"]
    traits = {"tools": body.get("tools"), "reasoning_effort": r.get("effort") if isinstance(r, dict) else None}
    traits["response_format"] = fmt if fmt.get("type") != "text" else None
    model = served_model(dep, traits) if spec_for(dep.model).router else dep.name
    return {
        "id": resp_id,
        "object": "response",
        "created_at": now,
        "status": status,
        "background": bool(body.get("background")),
        "completed_at": now if status in ("completed", "incomplete") else None,
        "content_filters": filters,
        "error": None,
        "frequency_penalty": float(body.get("frequency_penalty") or 0.0),
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "moderation": None,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "presence_penalty": float(body.get("presence_penalty") or 0.0),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "prompt_cache_retention": body.get("prompt_cache_retention") or "in_memory",
        "reasoning": reasoning,
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "priority" if body.get("service_tier") == "priority" else "default",
        "store": body.get("store", True) is not False,
        "temperature": _num(body.get("temperature")),
        "text": text,
        "tool_choice": body.get("tool_choice") or "auto",
        "tool_usage": rt.tool_usage(output),
        "tools": rt.echo_tools(body.get("tools")),
        "top_logprobs": int(body.get("top_logprobs") or 0),
        "top_p": _num(body.get("top_p")),
        "truncation": body.get("truncation") or "disabled",
        "usage": usage(counts),
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def _num(v: Any, default: float = 1.0) -> float:
    return float(v) if isinstance(v, (int, float)) else default
