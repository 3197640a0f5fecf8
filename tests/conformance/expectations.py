"""What a recording says, computed straight from its raw JSON (no ``shared_core`` involved).

Shared by the core conformance tests and the adapters' replay tests, so that all of them hold
the code under test to the same reading of the same bytes.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared_core import errors as E

from .recordings import Interaction


def filters_of(entry: Mapping[str, Any]) -> Any:
    """A choice's / prompt entry's filter verdicts, under either key Azure used."""
    # vision prompts use the singular key; either spelling is the same information
    if "content_filter_results" in entry:
        return entry["content_filter_results"]
    return entry.get("content_filter_result")


def raw_prompt_filters(obj: Mapping[str, Any]) -> list[Any]:
    """Top-level prompt filter entries (2023: ``prompt_annotations``; Foundry: null -> [])."""
    pfr = obj.get("prompt_filter_results")
    if pfr is None:
        pfr = obj.get("prompt_annotations")
    return list(pfr or [])


def prompt_filters(entries: Any) -> list[tuple[Any, Any]]:
    """Entries as ``(prompt_index, verdicts)``: the comparable content, whatever the key."""
    return [(e.get("prompt_index"), filters_of(e)) for e in entries or ()]


def usage_tuple(u: Mapping[str, Any] | None) -> tuple[int, ...] | None:
    """(prompt, completion, total, cached, reasoning, audio in, audio out) as the JSON says."""
    if not u:
        return None
    ptd = u.get("prompt_tokens_details") or {}
    ctd = u.get("completion_tokens_details") or {}
    return (
        u.get("prompt_tokens") or 0,
        u.get("completion_tokens") or 0,
        u.get("total_tokens") or 0,
        ptd.get("cached_tokens") or 0,
        ctd.get("reasoning_tokens") or 0,
        ptd.get("audio_tokens") or u.get("audio_prompt_tokens") or 0,
        ctd.get("audio_tokens") or 0,
    )


@dataclass
class ChoiceExpectation:
    index: int
    role: str | None = None
    content: str | None = None  # streams: the concatenation ("" when no text)
    refusal: str | None = None
    text: str | None = None  # legacy completions
    finish_reason: str | None = None
    tool_calls: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, arguments)
    legacy_function_call: tuple[str, str] | None = None  # (name, arguments), 2023 `functions`
    filters: Any = None  # non-stream: the choice's verdicts as sent
    filtered: set[str] = field(default_factory=set)  # categories filtered at any point
    has_message: bool = True


@dataclass
class ResultExpectation:
    id: str
    model: str
    choices: list[ChoiceExpectation]
    usage: Mapping[str, Any] | None
    prompt_filters: list[Any]
    system_fingerprint: str | None = None

    @property
    def first(self) -> ChoiceExpectation:
        return self.choices[0]


def expected_response(data: Mapping[str, Any]) -> ResultExpectation:
    """A non-streamed chat (or legacy completions) body."""
    choices = []
    for c in sorted(data.get("choices") or [], key=lambda c: c.get("index") or 0):
        msg = c.get("message")
        ce = ChoiceExpectation(
            index=c.get("index") or 0,
            finish_reason=c.get("finish_reason"),
            filters=filters_of(c),
            text=c.get("text"),
            has_message=msg is not None,
        )
        ce.filtered = {k for k, v in (ce.filters or {}).items() if isinstance(v, Mapping) and v.get("filtered")}
        if msg is not None:
            ce.role, ce.content, ce.refusal = msg.get("role"), msg.get("content"), msg.get("refusal")
            ce.tool_calls = [
                (t["id"], t["function"]["name"], t["function"]["arguments"]) for t in msg.get("tool_calls") or []
            ]
            fc = msg.get("function_call")
            if fc and not ce.tool_calls:
                ce.legacy_function_call = (fc.get("name") or "", fc.get("arguments") or "")
        choices.append(ce)
    return ResultExpectation(
        id=data.get("id") or "",
        model=data.get("model") or "",
        choices=choices,
        usage=data.get("usage"),
        prompt_filters=raw_prompt_filters(data),
        system_fingerprint=data.get("system_fingerprint"),
    )


def expected_stream(chunks: list[Mapping[str, Any]]) -> ResultExpectation:
    """What concatenating the raw deltas of a stream gives (per choice), usage, prompt filters."""
    states: dict[int, ChoiceExpectation] = {}
    tools: dict[int, dict[int, list[str]]] = {}
    usage = None
    pfr: list[Any] = []
    first_id = first_model = ""
    for ch in chunks:
        first_id = first_id or ch.get("id") or ""
        first_model = first_model or ch.get("model") or ""
        if ch.get("usage"):
            usage = ch["usage"]
        pfr += raw_prompt_filters(ch)
        for c in ch.get("choices") or []:
            idx = c.get("index") or 0
            st = states.setdefault(idx, ChoiceExpectation(index=idx, content="", refusal="", text=""))
            d = c.get("delta") or {}
            st.role = st.role or d.get("role")
            st.content = (st.content or "") + (d.get("content") or "")
            st.refusal = (st.refusal or "") + (d.get("refusal") or "")
            st.text = (st.text or "") + (c.get("text") or "")
            for tc in d.get("tool_calls") or []:
                t = tools.setdefault(idx, {}).setdefault(tc["index"], ["", "", ""])
                fn = tc.get("function") or {}
                t[0] = t[0] or tc.get("id") or ""
                t[1] = t[1] or fn.get("name") or ""
                t[2] += fn.get("arguments") or ""
            if d.get("function_call"):
                name, args = st.legacy_function_call or ("", "")
                st.legacy_function_call = (
                    name or d["function_call"].get("name") or "",
                    args + (d["function_call"].get("arguments") or ""),
                )
            if c.get("finish_reason"):
                st.finish_reason = c["finish_reason"]
            for name, detail in (c.get("content_filter_results") or {}).items():
                if isinstance(detail, Mapping) and detail.get("filtered"):
                    st.filtered.add(name)
    for idx, st in states.items():
        st.tool_calls = [(t[0], t[1], t[2]) for _, t in sorted(tools.get(idx, {}).items())]
    return ResultExpectation(
        id=first_id,
        model=first_model,
        choices=[states[i] for i in sorted(states)],
        usage=usage,
        prompt_filters=pfr,
    )


def expected_vectors(data: Mapping[str, Any]) -> list[list[float]]:
    """Embedding vectors in input order (``base64`` = little-endian float32)."""
    out = []
    for d in sorted(data["data"], key=lambda d: d["index"]):
        v = d["embedding"]
        if isinstance(v, str):
            raw = base64.b64decode(v)
            out.append(list(struct.unpack(f"<{len(raw) // 4}f", raw)))
        else:
            out.append([float(x) for x in v])
    return out


def expected_error(ix: Interaction) -> tuple[type[E.APIStatusError], dict[str, Any]]:
    """The exception type an error answer must map to, and the type-specific fields it carries."""
    err = ix.json()["error"]
    code = err.get("code")
    inner = err.get("innererror") or {}
    if code == "content_filter" or inner.get("code") == "ResponsibleAIPolicyViolation":
        results = inner.get("content_filter_result") or inner.get("content_filter_results") or {}
        cats = {k: v for k, v in results.items() if isinstance(v, Mapping) and v.get("filtered")}
        return E.ContentFilterError, {"categories": cats, "source": "prompt"}
    if ix.status == 404 and code == "DeploymentNotFound":
        return E.DeploymentNotFoundError, {}
    if ix.status == 401:
        return E.AuthenticationError, {}
    if ix.status == 429:
        h = ix.response_headers
        waits = [float(h["retry-after"])] if "retry-after" in h else []
        waits += [float(h["retry-after-ms"]) / 1000] if "retry-after-ms" in h else []
        return E.RateLimitError, {"retry_after": max(waits) if waits else None}
    if code == "context_length_exceeded":
        return E.ContextLengthExceededError, {}
    if code in ("unsupported_parameter", "unsupported_value"):
        return E.UnsupportedParameterError, {}
    if ix.status == 400:
        return E.BadRequestError, {}
    raise AssertionError(f"no expectation written for {ix.status} {code}")


def expected_request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("apim-request-id") or headers.get("x-request-id")
