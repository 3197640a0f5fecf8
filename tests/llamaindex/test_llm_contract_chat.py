"""The LlamaIndex LLM contract for chat and complete, sync, async and streamed, with events and the rate limiter,
against a scripted Azure (httpx.MockTransport).

Each test checks what went on the wire and what came back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from li_canned import (
    ENDPOINT,
    KEY,
    SAFE,
    Azure,
    chat_body,
    chunk,
    prompt_filter_chunk,
    text_stream,
    usage_chunk,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    MessageRole,
    ThinkingBlock,
)
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.function_calling import FunctionCallingLLM

from llamaindex_azoai import AzureOpenAI

from .llm_contract_support import URL, _Events, user

# -- identity -----------------------------------------------------------------------------------


def test_is_a_function_calling_llm_with_the_anchor_class_name(make_llm: Any) -> None:
    llm = make_llm()
    assert isinstance(llm, FunctionCallingLLM)
    assert AzureOpenAI.class_name() == "azure_openai_llm"


@pytest.mark.parametrize("alias", ["engine", "deployment_name", "deployment_id", "deployment", "azure_deployment"])
def test_every_deployment_alias_routes_the_call(make_llm: Any, azure: Azure, alias: str) -> None:
    azure.add_json(chat_body())
    kw: dict[str, Any] = {"engine": None}
    kw[alias] = "dep-x"
    llm = make_llm(**kw)
    llm.chat(user("hi"))
    assert str(azure.requests[0].url) == f"{ENDPOINT}/openai/deployments/dep-x/chat/completions?api-version=2024-10-21"


# -- chat / complete, sync and async ---------------------------------------------------------------


def test_chat_sends_wire_messages_and_parses_everything(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("Hello there."))
    llm = make_llm(max_tokens=50)
    r = llm.chat([ChatMessage(role="system", content="be brief"), *user("hi")])

    req = azure.requests[0]
    assert str(req.url) == URL
    assert req.headers["api-key"] == KEY
    assert "authorization" not in req.headers
    body = azure.body()
    assert body["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert body["temperature"] == 0.1
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 50  # which one: the core's rule
    assert "stream" not in body or body["stream"] is False

    assert r.message.role == MessageRole.ASSISTANT
    assert r.message.content == "Hello there."
    assert r.raw["id"] == "chatcmpl-1"
    kw = r.additional_kwargs
    assert (kw["prompt_tokens"], kw["completion_tokens"], kw["total_tokens"]) == (11, 7, 18)
    assert kw["finish_reason"] == "stop"
    assert kw["content_filter_results"] == SAFE
    assert kw["prompt_filter_results"][0]["prompt_index"] == 0
    assert kw["request_id"] == "5b5b2a1e-0000-4000-8000-000000000001"
    assert kw["region"] == "Sweden Central"


async def test_achat_matches_chat(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("async hello"))
    r = await make_llm().achat(user("hi"))
    assert str(azure.requests[0].url) == URL
    assert azure.body()["messages"] == [{"role": "user", "content": "hi"}]
    assert r.message.content == "async hello"
    assert r.additional_kwargs["total_tokens"] == 18


def test_complete_goes_through_chat(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("done"))
    r = make_llm().complete("say done")
    assert azure.body()["messages"] == [{"role": "user", "content": "say done"}]
    assert r.text == "done"
    assert r.additional_kwargs["finish_reason"] == "stop"
    assert r.raw["id"] == "chatcmpl-1"


async def test_acomplete(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("done"))
    r = await make_llm().acomplete("say done")
    assert r.text == "done"


def test_per_call_kwargs_and_additional_kwargs_reach_the_body(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    llm = make_llm(additional_kwargs={"seed": 7, "user": "u1", "custom_flag": True})
    llm.chat(user("hi"), temperature=0.5, stop=["\n"])
    body = azure.body()
    assert (body["seed"], body["user"], body["custom_flag"]) == (7, "u1", True)
    assert (body["temperature"], body["stop"]) == (0.5, ["\n"])


# -- streaming -------------------------------------------------------------------------------------


def test_stream_chat_yields_cumulative_message_and_deltas(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["Hel", "lo", "!"]))
    chunks = list(make_llm().stream_chat(user("hi")))
    body = azure.body()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}  # usage by default

    deltas = [c.delta for c in chunks]
    assert "".join(deltas) == "Hello!"
    texts = [c.message.content for c in chunks if c.delta]
    assert texts == ["Hel", "Hello", "Hello!"]
    assert chunks[-1].message.content == "Hello!"
    assert any(c.additional_kwargs.get("finish_reason") == "stop" for c in chunks)
    assert chunks[-1].additional_kwargs["total_tokens"] == 18
    assert any(c.additional_kwargs.get("prompt_filter_results") for c in chunks)


async def test_astream_chat(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["a", "b"]))
    gen = await make_llm().astream_chat(user("hi"))
    chunks = [c async for c in gen]
    assert "".join(c.delta or "" for c in chunks) == "ab"
    assert chunks[-1].message.content == "ab"
    assert chunks[-1].additional_kwargs["completion_tokens"] == 7


def test_stream_complete(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["x", "y"]))
    chunks = list(make_llm().stream_complete("go"))
    assert [c.text for c in chunks if c.delta] == ["x", "xy"]
    assert chunks[-1].additional_kwargs["total_tokens"] == 18


async def test_astream_complete(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["x", "y"]))
    gen = await make_llm().astream_complete("go")
    chunks = [c async for c in gen]
    assert chunks[-1].text == "xy"


def test_include_usage_can_be_turned_off(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["x"]))
    list(make_llm(include_usage=False).stream_chat(user("hi")))
    assert "stream_options" not in azure.body()


def test_reasoning_content_becomes_a_thinking_block(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("42", reasoning_content="think think"))
    r = make_llm().chat(user("?"))
    assert isinstance(r.message.blocks[0], ThinkingBlock)
    assert r.message.blocks[0].content == "think think"
    assert r.message.content == "42"


def test_streamed_reasoning_is_a_thinking_block_with_thinking_delta(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [
            prompt_filter_chunk(),
            chunk({"reasoning_content": "hm"}),
            chunk({"reasoning_content": "m"}),
            chunk({"content": "ok"}),
            chunk({}, finish_reason="stop"),
            usage_chunk(),
        ]
    )
    chunks = list(make_llm().stream_chat(user("?")))
    assert [c.additional_kwargs.get("thinking_delta") for c in chunks if "thinking_delta" in c.additional_kwargs] == [
        "hm",
        "m",
    ]
    last = chunks[-1].message
    assert isinstance(last.blocks[0], ThinkingBlock) and last.blocks[0].content == "hmm"
    assert last.content == "ok"


# -- events, callbacks, rate limiter -----------------------------------------------------------------


def test_instrumentation_events_and_legacy_callbacks(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["a", "b"]))
    handler = _Events(names=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    debug = LlamaDebugHandler()
    try:
        llm = make_llm(callback_manager=CallbackManager([debug]))
        list(llm.stream_chat(user("hi")))
    finally:
        root.event_handlers.remove(handler)
    names = handler.names
    assert names[0] == "LLMChatStartEvent"
    assert names[-1] == "LLMChatEndEvent"
    assert names.count("LLMChatInProgressEvent") >= 2
    pairs = debug.get_event_pairs(CBEventType.LLM)
    assert len(pairs) == 1
    serialized = pairs[0][0].payload["serialized"]
    assert serialized["class_name"] == "azure_openai_llm"
    assert KEY not in json.dumps(serialized, default=str)


def test_rate_limiter_is_acquired_per_call(make_llm: Any, azure: Azure) -> None:
    class Counting:
        n = 0

        def acquire(self) -> None:
            Counting.n += 1

        async def async_acquire(self) -> None:
            Counting.n += 1

    azure.add_json(chat_body())
    llm = make_llm(rate_limiter=Counting())
    llm.chat(user("a"))
    llm.complete("b")
    assert Counting.n == 2
