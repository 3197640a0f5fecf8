"""The Responses API on the wire: request bodies out, response objects in. Pure functions.

Sources: OpenAI's Responses reference (openai-openapi ``CreateResponse`` / ``Response``) and
Microsoft Learn "Azure OpenAI Responses API" (operations, background mode, built-in tools); the
real Azure answers in ``../shared/azure-recordings`` (Mirascope, crewAI, ruby_llm, pydantic-ai).

Two Azure facts shape the builder: the deployment always travels in the body's ``model`` (the
dated route is ``/openai/responses?api-version=...``, not ``/deployments/{d}/...``), and input
message items need ``"type": "message"`` (langchain-azure-ai patches this because Azure answers
400 without it: ../shared/research/anchors-2026-12.md).

Model-family rules are the chat ones (``shared_core.wire.models.accepts``): a ``temperature`` /
``top_p`` / ``parallel_tool_calls`` the caller set is sent as given (a family that refuses it
answers 400, raised typed), one an adapter filled in (``req.defaults``) only where the family takes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared_core.errors import ConfigurationError, ContentFilterError
from shared_core.types import JSON, ResponseMeta, Usage
from shared_core.types_responses import (
    ContentFilter,
    FunctionCallItem,
    InputItemsPage,
    OutputItem,
    OutputMessage,
    ReasoningItem,
    ResponsesRequest,
    ResponsesResult,
    ToolItem,
)
from shared_core.wire.chat import parse_usage
from shared_core.wire.models import ModelProfile, accepts, profile_for
from shared_core.wire.shape import ShapeError

# ---- request ---------------------------------------------------------------------------------

_PART_TYPES = {"text": "input_text", "image_url": "input_image", "file": "input_file", "input_audio": "input_audio"}


def _content_part(part: Any, role: str) -> JSON:
    """A chat content part as a Responses content part (already-Responses parts pass through)."""
    if isinstance(part, str):
        return {"type": "output_text" if role == "assistant" else "input_text", "text": part}
    if not isinstance(part, Mapping):
        raise ConfigurationError(f"a message content part must be a dict or a string, not {type(part).__name__}")
    kind = part.get("type")
    if kind == "text":
        return {"type": "output_text" if role == "assistant" else "input_text", "text": part.get("text", "")}
    if kind == "image_url":
        img = part.get("image_url")
        out: JSON = {"type": "input_image"}
        if isinstance(img, Mapping):
            out["image_url"] = img.get("url")
            if img.get("detail"):
                out["detail"] = img["detail"]
        else:
            out["image_url"] = img
        out.setdefault("detail", "auto")
        return out
    if kind == "file":
        f = part.get("file")
        out = {"type": "input_file"}
        if isinstance(f, Mapping):
            out.update({k: v for k, v in f.items() if k in ("file_id", "file_data", "filename", "file_url")})
        return out
    return dict(part)  # input_text, input_image, input_file, output_text, refusal...: as given


#: chat message keys the Responses API has no place for on a message item
_CHAT_ONLY = frozenset({"tool_calls", "function_call", "name", "refusal", "audio", "reasoning_content", "type"})


def _message_items(msg: Mapping[str, Any]) -> list[JSON]:
    """One chat wire-form message as Responses input items."""
    role = msg.get("role")
    if role == "tool":
        content = msg.get("content")
        if not isinstance(content, str):
            content = "".join(str(p.get("text", "")) if isinstance(p, Mapping) else str(p) for p in (content or []))
        return [{"type": "function_call_output", "call_id": msg.get("tool_call_id"), "output": content}]
    if role not in ("user", "system", "developer", "assistant"):
        raise ConfigurationError(
            f"input message role {role!r} is not one the Responses API takes: use user, system,"
            " developer, assistant or tool",
            setting="input",
        )
    items: list[JSON] = []
    content = msg.get("content")
    # keys of the item itself (id, status of an output message sent back) are kept
    rest = {k: v for k, v in msg.items() if k not in _CHAT_ONLY}
    if isinstance(content, list):
        parts = [_content_part(p, role) for p in content]
        if parts:
            items.append({"type": "message", **rest, "content": parts})
    elif content is not None and (content != "" or not msg.get("tool_calls")):
        items.append({"type": "message", **rest})
    if role == "assistant" and msg.get("refusal") and not content:
        items.append({"type": "message", "role": role, "content": [{"type": "refusal", "refusal": msg["refusal"]}]})
    for tc in msg.get("tool_calls") or ():
        fn = tc.get("function") or {}
        items.append(
            {
                "type": "function_call",
                "call_id": tc.get("id"),
                "name": fn.get("name"),
                "arguments": fn.get("arguments") or "{}",
            }
        )
    return items


def input_items(value: str | list[JSON]) -> str | list[JSON]:
    """``ResponsesRequest.input`` on the wire: text as is; chat messages as message / function
    call / function call output items (``type`` added); Responses items passed through."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ConfigurationError(
            f"input must be a string or a list of message / item dicts, not {type(value).__name__}", setting="input"
        )
    out: list[JSON] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise ConfigurationError(f"input items must be dicts, not {type(item).__name__}", setting="input")
        kind = item.get("type")
        if kind is not None and kind != "message":
            out.append(dict(item))  # function_call_output, reasoning, item_reference...: as given
        elif kind == "message" and not item.get("tool_calls") and item.get("role") != "tool":
            out.append(dict(item))
        elif "role" in item:
            out.extend(_message_items(item))
        else:
            raise ConfigurationError(f"input item {dict(item)!r} has neither a type nor a role", setting="input")
    return out


def response_tool(tool: Any) -> JSON:
    """A tool as the Responses API takes it: function tools flat (``{"type": "function", "name",
    "parameters"...}``; chat-form tools, flat or Anthropic dicts, Pydantic models and functions are
    converted as ``wire.tools.to_openai_tool`` does), built-in tools as given."""
    from shared_core.wire.tools import is_builtin_tool, to_openai_tool

    if is_builtin_tool(tool):
        return dict(tool)
    if isinstance(tool, Mapping) and tool.get("type") == "function" and "name" in tool:
        return dict(tool)  # already the Responses form
    return {"type": "function", **to_openai_tool(tool)["function"]}


def response_tool_choice(choice: str | Mapping[str, Any]) -> str | JSON:
    """``tool_choice``: ``{"type": "function", "function": {"name": n}}`` becomes the flat form."""
    if isinstance(choice, Mapping):
        fn = choice.get("function")
        if choice.get("type") == "function" and isinstance(fn, Mapping):
            return {"type": "function", "name": fn.get("name")}
        return dict(choice)
    return choice


def text_format(fmt: Mapping[str, Any]) -> JSON:
    """``text.format`` from a chat ``response_format`` (as ``wire.tools.response_format_for``
    builds it) or a flat Responses format (passed through)."""
    inner = fmt.get("json_schema")
    if fmt.get("type") == "json_schema" and isinstance(inner, Mapping):
        return {"type": "json_schema", **inner}
    return dict(fmt)


def build_responses_body(req: ResponsesRequest, *, deployment: str | None, profile: ModelProfile | None = None) -> JSON:
    """The JSON body of ``POST /responses``. ``deployment`` goes in ``model`` (every route kind);
    ``profile`` (default: from ``req.model``, else the deployment's name) decides which of the
    adapter's defaults go too."""
    if not deployment:
        raise ConfigurationError(
            "the Responses API needs a deployment (it travels in the body's model): pass"
            " deployment='<name>' (or set AZURE_OPENAI_DEPLOYMENT)",
            setting="deployment",
        )
    body: JSON = {"model": deployment, "input": input_items(req.input)}
    if req.instructions is not None:
        body["instructions"] = req.instructions
    if req.previous_response_id:
        body["previous_response_id"] = req.previous_response_id
    if req.store is not None:
        body["store"] = req.store
    if req.include:
        body["include"] = list(req.include)
    reasoning: JSON = {}
    if req.reasoning_effort is not None:
        reasoning["effort"] = req.reasoning_effort
    if req.reasoning_summary is not None:
        reasoning["summary"] = req.reasoning_summary
    if reasoning:
        body["reasoning"] = reasoning
    text: JSON = {}
    if req.text_format is not None:
        text["format"] = text_format(req.text_format)
    if req.verbosity is not None:
        text["verbosity"] = req.verbosity
    if text:
        body["text"] = text
    if req.tools:
        body["tools"] = [response_tool(t) for t in req.tools]
    if req.tool_choice is not None:
        body["tool_choice"] = response_tool_choice(req.tool_choice)
    for name in (
        "parallel_tool_calls",
        "max_tool_calls",
        "truncation",
        "max_output_tokens",
        "temperature",
        "top_p",
        "metadata",
        "service_tier",
        "background",
        "prompt_cache_key",
        "safety_identifier",
        "user",
    ):
        value = getattr(req, name)
        if value is not None and (name not in req.defaults or _accepted(req, name, profile, deployment)):
            body[name] = value
    if req.background and req.store is False:
        # Learn "Background mode": background responses must be stored; Azure would answer 400
        raise ConfigurationError(
            "background=True needs a stored response: leave store unset (or True)", setting="store"
        )
    if req.stream:
        body["stream"] = True
    for key, value in req.extra_body.items():
        # one level deep for the nested settings (reasoning.context, text.verbosity...): extra
        # keys join the ones the request's fields set, and win on a clash
        old = body.get(key)
        body[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, Mapping) else value
    return body


def _accepted(req: ResponsesRequest, name: str, profile: ModelProfile | None, deployment: str | None) -> bool:
    return accepts(profile or profile_for(req.model, deployment), name, req.reasoning_effort)


# ---- answers -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_item(item: Mapping[str, Any]) -> OutputItem:
    """One output item, typed by its ``type``."""
    if not isinstance(item, Mapping):
        raise ShapeError(f"an output item is {type(item).__name__}, not an object")
    kind = item.get("type")
    iid = _text(item.get("id"))
    status = item.get("status")
    if kind == "message":
        parts = tuple(p for p in item.get("content") or () if isinstance(p, Mapping))
        text = "".join(_text(p.get("text")) for p in parts if p.get("type") in ("output_text", "text", "input_text"))
        refusal = "".join(_text(p.get("refusal")) for p in parts if p.get("type") == "refusal") or None
        annotations = tuple(a for p in parts for a in p.get("annotations") or () if isinstance(a, Mapping))
        return OutputMessage(
            id=iid,
            status=status,
            role=_text(item.get("role")) or "assistant",
            text=text,
            annotations=annotations,
            refusal=refusal,
            parts=parts,
            raw=item,
        )
    if kind == "function_call":
        args = item.get("arguments")
        return FunctionCallItem(
            id=iid,
            call_id=_text(item.get("call_id")),
            name=_text(item.get("name")),
            arguments=args if isinstance(args, str) else "",
            status=status,
            raw=item,
        )
    if kind == "reasoning":
        summary = tuple(_text(s.get("text")) for s in item.get("summary") or () if isinstance(s, Mapping))
        content = tuple(_text(s.get("text")) for s in item.get("content") or () if isinstance(s, Mapping))
        enc = item.get("encrypted_content")
        return ReasoningItem(
            id=iid,
            summary=summary,
            encrypted_content=enc if isinstance(enc, str) else None,
            content=content,
            status=status,
            raw=item,
        )
    return ToolItem(type=str(kind or ""), id=iid, status=status, raw=item)


def parse_content_filters(value: Any) -> tuple[ContentFilter, ...]:
    """Azure's top-level ``content_filters`` (null on OpenAI and in streams' first events)."""
    if not isinstance(value, list):
        return ()
    out = []
    for f in value:
        if not isinstance(f, Mapping):
            continue
        results = f.get("content_filter_results")
        offsets = f.get("content_filter_offsets")
        out.append(
            ContentFilter(
                blocked=bool(f.get("blocked")),
                source_type=_text(f.get("source_type")),
                content_filter_results=results if isinstance(results, Mapping) else {},
                offsets=offsets if isinstance(offsets, Mapping) else None,
                raw=f,
            )
        )
    return tuple(out)


def parse_responses_usage(u: Any) -> Usage | None:
    """``Usage`` from a Responses ``usage`` (input/output tokens) in the chat names."""
    if not u or not isinstance(u, Mapping):
        return None
    chat_form = {
        "prompt_tokens": u.get("input_tokens") or 0,
        "completion_tokens": u.get("output_tokens") or 0,
        "total_tokens": u.get("total_tokens") or 0,
        "prompt_tokens_details": u.get("input_tokens_details") or {},
        "completion_tokens_details": u.get("output_tokens_details") or {},
    }
    usage = parse_usage(chat_form)
    if usage is None:
        return None
    from dataclasses import replace

    return replace(usage, raw=u)


def parse_response(data: Mapping[str, Any], meta: ResponseMeta | None) -> ResponsesResult:
    """A response object (``object: "response"``) as :class:`ResponsesResult`.

    A body that is only ``{"error": ...}`` (gateways send them with 200) raises the diagnosed
    error; mistyped fields raise ``UnexpectedResponseError``. A response whose own ``error`` is
    set (``status: "failed"``) is a result: the caller reads ``error``.
    """
    try:
        if isinstance(data, Mapping) and data.get("error") and not data.get("id") and "output" not in data:
            from shared_core.wire.diagnose import answer_error  # error path only

            raise answer_error(data, meta)
        return _response(data, meta)
    except (ShapeError, AttributeError, TypeError, KeyError, IndexError) as exc:
        from shared_core.wire.diagnose import unexpected_answer  # error path only

        raise unexpected_answer(exc, meta, body=data, expected="a response object") from None


def _response(data: Mapping[str, Any], meta: ResponseMeta | None) -> ResponsesResult:
    if not isinstance(data, Mapping):
        raise ShapeError(f"the response is {type(data).__name__}, not an object")
    output = data.get("output")
    if output is not None and not isinstance(output, list):
        raise ShapeError(f"output is {type(output).__name__}, not a list")
    incomplete = data.get("incomplete_details")
    error = data.get("error")
    created = data.get("created_at")
    return ResponsesResult(
        id=_text(data.get("id")),
        status=_text(data.get("status")),
        model=_text(data.get("model")),
        output=tuple(parse_item(i) for i in output or ()),
        usage=parse_responses_usage(data.get("usage")),
        created_at=created if isinstance(created, int) else None,
        incomplete_details=incomplete if isinstance(incomplete, Mapping) else None,
        error=error if isinstance(error, Mapping) else None,
        content_filters=parse_content_filters(data.get("content_filters")),
        previous_response_id=data.get("previous_response_id") or None,
        background=data.get("background") if isinstance(data.get("background"), bool) else None,
        service_tier=data.get("service_tier") or None,
        meta=meta,
        raw=data,
    )


def parse_input_items(data: Mapping[str, Any], meta: ResponseMeta | None) -> InputItemsPage:
    """A page of ``GET /responses/{id}/input_items`` (``object: "list"``)."""
    items = data.get("data")
    if not isinstance(items, list):
        raise ShapeError("data is not a list")
    return InputItemsPage(
        data=tuple(i for i in items if isinstance(i, Mapping)),
        first_id=data.get("first_id"),
        last_id=data.get("last_id"),
        has_more=bool(data.get("has_more")),
        meta=meta,
    )


def blocked_prompt(result: ResponsesResult) -> ContentFilter | None:
    """The ``content_filters`` entry that blocked the input, if any (raise, as for chat's 400)."""
    for f in result.content_filters:
        if f.blocked and f.source_type == "prompt":
            return f
    return None


def prompt_blocked_error(f: ContentFilter, meta: ResponseMeta | None) -> ContentFilterError:
    """A 200 response whose ``content_filters`` say the input was blocked, as the same
    ``ContentFilterError`` chat raises for a filtered prompt (``source="prompt"``)."""
    from shared_core.wire.error_body import context, describe_categories, filtered  # error path only

    cats = filtered(f.content_filter_results)
    headers = dict(meta.headers.items()) if meta else {}
    rid = meta.request_id if meta else None
    status = meta.status if meta else 200
    return ContentFilterError(
        f"Azure's content filter blocked the input of this Responses call"
        f" ({describe_categories(cats) if cats else 'categories not reported'}). Rephrase the input, or"
        " ask the resource owner to adjust the deployment's content filtering policy."
        + context(status, rid, meta.region if meta else None, meta.attempts if meta else 1),
        categories=cats,
        source="prompt",
        status=status,
        code="content_filter",
        headers=headers,
        request_id=rid,
        region=meta.region if meta else None,
        deployment=meta.deployment if meta else None,
        attempts=meta.attempts if meta else 1,
    )


__all__ = [
    "blocked_prompt",
    "prompt_blocked_error",
    "build_responses_body",
    "input_items",
    "parse_content_filters",
    "parse_input_items",
    "parse_item",
    "parse_response",
    "parse_responses_usage",
    "response_tool",
    "response_tool_choice",
    "text_format",
]
