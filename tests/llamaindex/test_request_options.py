"""Per-call request options (issue 9 §2): ``timeout``, ``extra_headers``, ``extra_query`` and
``extra_body`` are what the openai SDK's ``create()`` (and so the anchor, which hands it every kwarg)
treats as request options, not JSON body fields. Azure answers 400 for unknown body fields.

Also the ``parallel_tool_calls`` default of ``chat_with_tools``: the anchor sends
``allow_parallel_tool_calls`` (``False`` unless set) except to reasoning models, which reject it
(o3-mini answers 400 even for ``False``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from typing import Any

import httpx
import pytest
from li_canned import KEY, Azure, chat_body, text_stream, tool_call
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from llamaindex_azoai import APITimeoutError, AzureOpenAI, ConfigurationError

OPTIONS = {
    "timeout": 3.5,
    "extra_headers": {"x-apim-trace": "on"},
    "extra_query": {"trace": "1", "debug": True},
    "extra_body": {"data_sources": [{"type": "azure_search"}]},
}


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def assert_options_applied(request: httpx.Request) -> None:
    body = json.loads(request.content)
    assert not {"timeout", "extra_headers", "extra_query", "extra_body"} & set(body)
    assert body["data_sources"] == [{"type": "azure_search"}]
    assert request.headers["x-apim-trace"] == "on"
    # the query is added to, never replacing, api-version
    assert request.url.params["api-version"] == "2024-10-21"
    assert request.url.params["trace"] == "1"
    assert request.url.params["debug"] == "true"
    assert request.extensions["timeout"] == {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}


def test_chat_request_options_are_not_body_fields(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    make_llm().chat(user("hi"), **OPTIONS)
    assert_options_applied(azure.requests[-1])


def test_complete_and_stream_request_options(make_llm: Any, azure: Azure) -> None:
    llm = make_llm()
    azure.add_json(chat_body())
    llm.complete("hi", **OPTIONS)
    assert_options_applied(azure.requests[-1])
    azure.answers.clear()
    azure.add_sse(text_stream(["a", "b"]))
    assert [r.delta for r in llm.stream_chat(user("hi"), **OPTIONS)][-1] == ""
    assert_options_applied(azure.requests[-1])


async def test_async_request_options(make_llm: Any, azure: Azure) -> None:
    llm = make_llm()
    azure.add_json(chat_body())
    await llm.achat(user("hi"), **OPTIONS)
    assert_options_applied(azure.requests[-1])
    azure.answers.clear()
    azure.add_sse(text_stream(["a"]))
    async for _ in await llm.astream_chat(user("hi"), **OPTIONS):
        pass
    assert_options_applied(azure.requests[-1])


def test_legacy_completions_request_options(make_llm: Any, azure: Azure) -> None:
    azure.add_json(
        {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": 1,
            "model": "gpt-35-turbo-instruct",
            "choices": [{"index": 0, "text": "ok", "finish_reason": "stop", "logprobs": None}],
        }
    )
    make_llm(model="gpt-35-turbo-instruct").complete("hi", **OPTIONS)
    assert azure.requests[-1].url.path.endswith("/completions")
    assert_options_applied(azure.requests[-1])


def test_additional_kwargs_options_merge_with_per_call_ones(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    llm = make_llm(
        additional_kwargs={"extra_headers": {"x-a": "1", "x-b": "1"}, "extra_body": {"k": 1}, "timeout": 9, "seed": 7}
    )
    llm.chat(user("hi"), extra_headers={"x-b": "2"})
    r = azure.requests[-1]
    assert (r.headers["x-a"], r.headers["x-b"]) == ("1", "2")
    body = json.loads(r.content)
    assert body["k"] == 1 and body["seed"] == 7
    assert "extra_headers" not in body and "timeout" not in body
    assert r.extensions["timeout"]["read"] == 9


def test_chat_with_tools_passes_options_through(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls"))
    make_llm().chat_with_tools([FunctionTool.from_defaults(fn=add)], user_msg="1+2", **OPTIONS)
    assert_options_applied(azure.requests[-1])


@pytest.mark.parametrize(
    ("option", "value", "fix"),
    [
        ("timeout", "soon", "pass seconds"),
        ("timeout", -1, "pass seconds"),
        ("extra_headers", ["x-a"], "must be a dict"),
        ("extra_headers", {"x-a": object()}, "values must be strings"),
        ("extra_query", "a=b", "must be a dict"),
        ("extra_body", "{}", "extra_body must be a dict"),
    ],
)
def test_bad_request_options_are_refused_before_sending(
    make_llm: Any, azure: Azure, option: str, value: Any, fix: str
) -> None:
    azure.add_json(chat_body())
    with pytest.raises(ConfigurationError, match=fix) as info:
        make_llm().chat(user("hi"), **{option: value})
    assert info.value.setting == option
    assert azure.requests == []


def test_per_call_timeout_is_enforced_on_a_stalled_server() -> None:
    """A loopback server that accepts and never answers: the per-call timeout, not the
    constructor's 60 s, ends the call."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        llm = AzureOpenAI(
            engine="chat",
            azure_endpoint=f"http://127.0.0.1:{port}",
            api_key=KEY,
            api_version="2024-10-21",
            max_retries=0,
            timeout=60.0,
        )
        with pytest.raises(APITimeoutError):
            llm.chat(user("hi"), timeout=0.3)
        with pytest.raises(APITimeoutError):
            asyncio.run(llm.achat(user("hi"), timeout=0.3))
        llm.close()
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


# -- parallel_tool_calls ------------------------------------------------------------------------------

TOOLS = [FunctionTool.from_defaults(fn=add)]
ONE_CALL = chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls")


@pytest.mark.parametrize("model", ["gpt-5.2", "gpt-4.1-mini", None])
def test_parallel_tool_calls_default_is_the_anchors_false(make_llm: Any, azure: Azure, model: str | None) -> None:
    # llama-index-llms-openai _prepare_chat_with_tools: kwargs["parallel_tool_calls"] = allow_parallel_tool_calls
    azure.add_json(ONE_CALL)
    llm = make_llm(model=model)
    llm.chat_with_tools(TOOLS, user_msg="x")
    assert azure.body()["parallel_tool_calls"] is False
    llm.chat_with_tools(TOOLS, user_msg="x", allow_parallel_tool_calls=True)
    assert azure.body()["parallel_tool_calls"] is True


def test_no_parallel_tool_calls_without_tools(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    make_llm(model="gpt-5.2").chat_with_tools([], user_msg="x")
    assert "parallel_tool_calls" not in azure.body() and "tool_choice" not in azure.body()


@pytest.mark.parametrize("model", ["o1"])
def test_parallel_tool_calls_left_out_for_reasoning_models(make_llm: Any, azure: Azure, model: str) -> None:
    azure.add_json(ONE_CALL)
    llm = make_llm(model=model)
    for allow in (False, True):
        llm.chat_with_tools(TOOLS, user_msg="x", allow_parallel_tool_calls=allow)
        assert "parallel_tool_calls" not in azure.body()
    azure.answers.clear()
    azure.add_sse(text_stream(["a"]))
    list(llm.stream_chat_with_tools(TOOLS, user_msg="x"))
    assert "parallel_tool_calls" not in azure.body()


@pytest.mark.parametrize("model", ["o3-mini", "o4-mini"])
def test_parallel_tool_calls_left_out_for_newer_reasoning_models(make_llm: Any, azure: Azure, model: str) -> None:
    # The anchor leaves it out for every O1_MODELS name (o1, o3, o3-mini, o4-mini, gpt-5...):
    # llama_index/llms/openai/base.py, `if tool_specs and self.model not in O1_MODELS`.
    azure.add_json(ONE_CALL)
    make_llm(model=model).chat_with_tools(TOOLS, user_msg="x")
    assert "parallel_tool_calls" not in azure.body()
