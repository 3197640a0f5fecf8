"""What a recorded Responses API interaction says, computed from its raw JSON without the core.

Also the hook for the adapters' Responses conformance suites: :func:`expected_of` gives the
expected fields of any 200 Responses interaction (streamed or not), :func:`request_of` the
neutral ``ResponsesRequest`` that reproduces its recorded request, :func:`settings_of` the
connection settings a user of that resource would configure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .recordings import Interaction


@dataclass(frozen=True)
class ExpectedResponse:
    id: str
    status: str
    model: str
    text: str  # every output_text part of every message item, joined
    calls: tuple[tuple[str, str, str], ...]  # (call_id, name, arguments)
    reasoning: tuple[tuple[str, tuple[str, ...], str | None], ...]  # (id, summary texts, encrypted)
    item_types: tuple[str, ...]
    usage: tuple[int, int, int, int, int] | None  # input, output, total, cached, reasoning
    incomplete_reason: str | None
    filters: tuple[tuple[bool, str, Any], ...]  # (blocked, source_type, content_filter_results)
    streamed_text: str | None = None  # the output_text.delta fragments joined (streams only)
    streamed_args: tuple[str, ...] = field(default=())  # function_call_arguments.delta joined per item


def _usage(u: Any) -> tuple[int, int, int, int, int] | None:
    if not u:
        return None
    return (
        u.get("input_tokens") or 0,
        u.get("output_tokens") or 0,
        u.get("total_tokens") or 0,
        (u.get("input_tokens_details") or {}).get("cached_tokens") or 0,
        (u.get("output_tokens_details") or {}).get("reasoning_tokens") or 0,
    )


def expected_object(obj: dict[str, Any]) -> ExpectedResponse:
    """The fields of a response object."""
    out = obj.get("output") or []
    text = "".join(
        p.get("text") or ""
        for i in out
        if i.get("type") == "message"
        for p in i.get("content") or []
        if p.get("type") == "output_text"
    )
    calls = tuple((i["call_id"], i["name"], i["arguments"]) for i in out if i.get("type") == "function_call")
    reasoning = tuple(
        (i["id"], tuple(s.get("text", "") for s in i.get("summary") or []), i.get("encrypted_content"))
        for i in out
        if i.get("type") == "reasoning"
    )
    filters = tuple(
        (bool(f.get("blocked")), f.get("source_type") or "", f.get("content_filter_results") or {})
        for f in obj.get("content_filters") or []
    )
    return ExpectedResponse(
        id=obj["id"],
        status=obj["status"],
        model=obj["model"],
        text=text,
        calls=calls,
        reasoning=reasoning,
        item_types=tuple(i.get("type") for i in out),
        usage=_usage(obj.get("usage")),
        incomplete_reason=(obj.get("incomplete_details") or {}).get("reason"),
        filters=filters,
    )


def expected_stream(events: list[dict[str, Any]]) -> ExpectedResponse:
    """The fields of a streamed answer: its terminal event's response, plus its deltas joined."""
    terminal = [e for e in events if e.get("type") in ("response.completed", "response.incomplete", "response.failed")]
    assert len(terminal) == 1, "a recorded stream ends with exactly one terminal event"
    exp = expected_object(terminal[0]["response"])
    text = "".join(e["delta"] for e in events if e.get("type") == "response.output_text.delta")
    args: dict[int, str] = {}
    for e in events:
        if e.get("type") == "response.function_call_arguments.delta":
            args[e["output_index"]] = args.get(e["output_index"], "") + e["delta"]
    return ExpectedResponse(
        **{**exp.__dict__, "streamed_text": text, "streamed_args": tuple(args[k] for k in sorted(args))}
    )


def expected_of(ix: Interaction) -> ExpectedResponse:
    return expected_stream(ix.sse_json()) if ix.stream else expected_object(ix.json())


def got_of(result: Any) -> ExpectedResponse:
    """The same fields from a parsed ``ResponsesResult`` (for one ``==`` per field)."""
    u = result.usage
    return ExpectedResponse(
        id=result.id,
        status=result.status,
        model=result.model,
        text=result.output_text,
        calls=tuple((t.id, t.name, t.arguments) for t in result.tool_calls),
        reasoning=tuple(
            (i.id, i.summary, i.encrypted_content) for i in result.output if getattr(i, "type", "") == "reasoning"
        ),
        item_types=tuple(i.type for i in result.output),
        usage=None
        if u is None
        else (u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens, u.reasoning_tokens),
        incomplete_reason=(result.incomplete_details or {}).get("reason"),
        filters=tuple((f.blocked, f.source_type, dict(f.content_filter_results)) for f in result.content_filters),
    )


def settings_of(ix: Interaction) -> dict[str, Any]:
    """``resolve_target`` settings that rebuild the recorded URL: v1 base URL, or the resource
    endpoint with the recorded api-version (dated ``/openai/responses``)."""
    u = urlsplit(ix.uri)
    model = (ix.request_json() or {}).get("model")
    if "/openai/v1/" in u.path:
        return {"base_url": f"https://{u.hostname}/openai/v1", "deployment": model}
    version = parse_qs(u.query).get("api-version", [None])[0]
    return {"azure_endpoint": f"https://{u.hostname}", "deployment": model, "api_version": version}


#: recorded request fields -> ResponsesRequest fields (the rest go through extra_body)
_DIRECT = (
    "instructions",
    "previous_response_id",
    "store",
    "include",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "truncation",
    "max_output_tokens",
    "temperature",
    "top_p",
    "metadata",
    "service_tier",
    "background",
)


def request_of(ix: Interaction) -> Any:
    """The neutral ``ResponsesRequest`` an adapter would hand the core for this recorded request."""
    from shared_core.types_responses import ResponsesRequest

    body = dict(ix.request_json() or {})
    body.pop("model", None)
    stream = bool(body.pop("stream", False))
    kw: dict[str, Any] = {k: body.pop(k) for k in _DIRECT if k in body}
    reasoning = body.pop("reasoning", None) or {}
    text = body.pop("text", None) or {}
    more = {k: v for k, v in reasoning.items() if k not in ("effort", "summary")}
    if more:
        body["reasoning"] = more
    return ResponsesRequest(
        input=body.pop("input"),
        reasoning_effort=reasoning.get("effort"),
        reasoning_summary=reasoning.get("summary"),
        text_format=text.get("format"),
        verbosity=text.get("verbosity"),
        stream=stream,
        extra_body=body,
        **kw,
    )


def wire_form(request_body: dict[str, Any]) -> dict[str, Any]:
    """A recorded request as azoai sends it: input message items carry ``type: "message"`` (Azure
    rejects them without it; langchain-azure-ai patches the same); ``stream: false``, the
    default, is not sent; everything else unchanged."""
    out = dict(request_body)
    if out.get("stream") is False:
        del out["stream"]
    if isinstance(out.get("input"), list):
        out["input"] = [
            {"type": "message", **i} if isinstance(i, dict) and "role" in i and "type" not in i else i
            for i in out["input"]
        ]
    return out


__all__ = ["ExpectedResponse", "expected_of", "got_of", "request_of", "settings_of", "wire_form"]
