"""Every real Responses API interaction replayed through both adapters.

``langchain_azoai.AzureChatOpenAI(use_responses_api=True)`` (``invoke``, or ``stream`` summed) and
``llamaindex_azoai.AzureOpenAIResponses`` (``chat`` / ``stream_chat``) each get the recorded answer
from an ``httpx.MockTransport``; the message must hold what the raw JSON holds, field by field
(id, status, model, text, function calls, reasoning items, the other output items, usage, the
incomplete reason, Azure's content filters and request id), and every recorded error must surface
as the core's typed exception. Expected values: ``responses_expect.expected_of`` (the raw JSON).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from shared_core import errors as E

from ._cases import cases
from .expectations import expected_request_id
from .recordings import Interaction
from .responses_expect import expected_of, settings_of

pytestmark = pytest.mark.conformance

_DROP = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


def _transport(ix: Interaction, seen: list[httpx.Request]) -> dict[str, Any]:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = [(k, v) for k, v in ix.response_headers.items() if k not in _DROP]
        return httpx.Response(ix.status, headers=headers, content=ix.body)

    return {"sync": httpx.Client(transport=httpx.MockTransport(answer))}


def _connection(ix: Interaction) -> dict[str, Any]:
    s = settings_of(ix)
    if "base_url" in s:
        host = urlsplit(s["base_url"]).hostname
        return {"azure_endpoint": f"https://{host}", "deployment": s["deployment"], "api_version": "v1"}
    return s


def _check_request(seen: list[httpx.Request], ix: Interaction) -> None:
    assert len(seen) == 1, "one call, no retries"
    assert seen[0].url.path == urlsplit(ix.uri).path.replace("//", "/")
    assert json.loads(seen[0].content)["model"] == _connection(ix)["deployment"]


# ---- LangChain ----------------------------------------------------------------------------------


def _lc_model(ix: Interaction, seen: list[httpx.Request]) -> Any:
    from langchain_azoai import AzureChatOpenAI

    c = _connection(ix)
    return AzureChatOpenAI(
        azure_endpoint=c["azure_endpoint"],
        azure_deployment=c["deployment"],
        api_version=c["api_version"],
        api_key="conformance-key",  # type: ignore[arg-type]
        use_responses_api=True,
        http_client=_transport(ix, seen)["sync"],
        max_retries=0,
    )


def _lc_message(ix: Interaction, seen: list[httpx.Request]) -> Any:
    model = _lc_model(ix, seen)
    if not ix.stream:
        return model.invoke("hi")
    chunks = list(model.stream("hi"))
    assert sum(1 for c in chunks if c.usage_metadata) == (1 if expected_of(ix).usage else 0)
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    return total


def _lc_got(msg: Any) -> dict[str, Any]:
    rm = msg.response_metadata
    blocks = [b for b in msg.content if isinstance(b, dict)]
    md = msg.usage_metadata
    return {
        "id": msg.id,
        "status": rm.get("status"),
        "model": rm.get("model_name"),
        "text": "".join(b.get("text") or "" for b in blocks if b.get("type") == "text"),
        "calls": tuple((t["id"], t["name"], t["args"]) for t in [*msg.tool_calls, *msg.invalid_tool_calls]),
        "reasoning": tuple(
            (b["id"], tuple(s["text"] for s in b.get("summary") or []), b.get("encrypted_content"))
            for b in blocks
            if b.get("type") == "reasoning"
        ),
        "items": tuple(b["type"] for b in blocks if b.get("type") not in ("text", "refusal")),
        "usage": None
        if md is None
        else (
            md["input_tokens"],
            md["output_tokens"],
            md["total_tokens"],
            md.get("input_token_details", {}).get("cache_read") or 0,
            md.get("output_token_details", {}).get("reasoning") or 0,
        ),
        "incomplete": (rm.get("incomplete_details") or {}).get("reason"),
        "filters": tuple(
            (bool(f.get("blocked")), f.get("source_type") or "", f.get("content_filter_results") or {})
            for f in rm.get("content_filters") or []
        ),
        "request_id": rm.get("request_id"),
    }


def _want(ix: Interaction, args_parsed: bool) -> dict[str, Any]:
    exp = expected_of(ix)

    def args(a: str) -> Any:
        if not args_parsed:
            return a
        try:
            return json.loads(a)
        except ValueError:
            return a

    return {
        "id": exp.id,
        "status": exp.status,
        "model": exp.model,
        "text": exp.text,
        "calls": tuple((i, n, args(a)) for i, n, a in exp.calls),
        "reasoning": exp.reasoning,
        "items": tuple(t for t in exp.item_types if t != "message"),
        "usage": exp.usage,
        "incomplete": exp.incomplete_reason,
        "filters": exp.filters,
        "request_id": expected_request_id(ix.response_headers),
    }


@cases("responses", where=lambda ix: ix.status == 200)
def test_langchain_responses(ix: Interaction) -> None:
    seen: list[httpx.Request] = []
    got = _lc_got(_lc_message(ix, seen))
    _check_request(seen, ix)
    want = _want(ix, args_parsed=True)
    if ix.stream:
        # a stream's chunks carry a reasoning item's encrypted content from its output_item.done
        # event (langchain-openai's rule); Azure encrypts it afresh for the terminal event
        done = {
            e["item"]["id"]: e["item"].get("encrypted_content")
            for e in ix.sse_json()
            if e.get("type") == "response.output_item.done" and e["item"].get("type") == "reasoning"
        }
        want["reasoning"] = tuple((i, s, done.get(i, enc)) for i, s, enc in want["reasoning"])
    for name in want:
        assert got[name] == want[name], name


@cases("responses", where=lambda ix: ix.status >= 400)
def test_langchain_responses_error(ix: Interaction) -> None:
    seen: list[httpx.Request] = []
    model = _lc_model(ix, seen)
    with pytest.raises(E.APIStatusError) as info:
        model.invoke("hi") if not ix.stream else list(model.stream("hi"))
    _check_error(info.value, ix)


def _check_error(exc: E.APIStatusError, ix: Interaction) -> None:
    err = ix.json()["error"]
    assert (exc.status, exc.code) == (ix.status, err.get("code"))
    assert exc.request_id == expected_request_id(ix.response_headers)
    if err.get("code") == "content_filter":
        assert isinstance(exc, E.ContentFilterError)


# ---- LlamaIndex ---------------------------------------------------------------------------------


def _li_llm(ix: Interaction, seen: list[httpx.Request]) -> Any:
    from llamaindex_azoai import AzureOpenAIResponses

    c = _connection(ix)
    return AzureOpenAIResponses(
        engine=c["deployment"],
        azure_endpoint=c["azure_endpoint"],
        api_version=c["api_version"],
        api_key="conformance-key",
        http_client=_transport(ix, seen)["sync"],
        max_retries=0,
    )


def _li_got(r: Any) -> dict[str, Any]:
    from llama_index.core.base.llms.types import ThinkingBlock, ToolCallBlock

    kw = r.additional_kwargs
    blocks = r.message.blocks
    usage = (
        None
        if "prompt_tokens" not in kw
        else (
            kw["prompt_tokens"],
            kw["completion_tokens"],
            kw["total_tokens"],
            kw.get("cached_tokens", 0),
            kw.get("reasoning_tokens", 0),
        )
    )
    thinking = [b for b in blocks if isinstance(b, ThinkingBlock)]
    return {
        "id": kw.get("response_id"),
        "status": kw.get("status"),
        "model": kw.get("model"),
        "text": r.message.content or "",
        "calls": tuple((b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks if isinstance(b, ToolCallBlock)),
        "reasoning": tuple(
            (b.additional_information["id"], b.additional_information.get("encrypted_content")) for b in thinking
        ),
        "items": tuple(sorted(i["type"] for i in kw.get("built_in_tool_calls") or [])),
        "usage": usage,
        "incomplete": (kw.get("incomplete_details") or {}).get("reason"),
        "filtered": kw.get("finish_reason") == "content_filter",
        "request_id": kw.get("request_id"),
    }


@cases("responses", where=lambda ix: ix.status == 200)
def test_llamaindex_responses(ix: Interaction) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    seen: list[httpx.Request] = []
    llm = _li_llm(ix, seen)
    messages = [ChatMessage(role="user", content="hi")]
    r = llm.chat(messages) if not ix.stream else list(llm.stream_chat(messages))[-1]
    _check_request(seen, ix)
    got = _li_got(r)
    want = _want(ix, args_parsed=False)
    want["reasoning"] = tuple((i, enc) for i, _, enc in want["reasoning"])
    builtin = ("function_call", "reasoning")
    want["items"] = tuple(sorted(t for t in want["items"] if t not in builtin))
    filters = want.pop("filters")
    want["filtered"] = want["incomplete"] == "content_filter" or any(b and s != "prompt" for b, s, _ in filters)
    for name in want:
        assert got[name] == want[name], name


@cases("responses", where=lambda ix: ix.status >= 400)
def test_llamaindex_responses_error(ix: Interaction) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    seen: list[httpx.Request] = []
    llm = _li_llm(ix, seen)
    messages = [ChatMessage(role="user", content="hi")]
    with pytest.raises(E.APIStatusError) as info:
        llm.chat(messages) if not ix.stream else list(llm.stream_chat(messages))
    _check_error(info.value, ix)
