"""The LlamaIndex LLM contract, method by method, against a scripted Azure (httpx.MockTransport).

Each test checks what went on the wire and what came back.
"""

from __future__ import annotations

import json
import pickle
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
    tool_call,
    usage_chunk,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llamaindex_azoai import AzureOpenAI, ConfigurationError, ContentFilterError

URL = f"{ENDPOINT}/openai/deployments/chat/chat/completions?api-version=2024-10-21"


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def mul(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=mul)]


class Person(BaseModel):
    name: str
    age: int


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


class _Events(BaseEventHandler):
    names: list = []

    @classmethod
    def class_name(cls) -> str:
        return "_Events"

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.names.append(event.class_name())


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


# -- tools ---------------------------------------------------------------------------------------------


def test_chat_with_tools_sends_specs_choice_and_parallel_flag(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls"))
    llm = make_llm()
    r = llm.chat_with_tools(TOOLS, user_msg="1+2?")
    body = azure.body()
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "mul"]
    assert body["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False
    assert body["messages"] == [{"role": "user", "content": "1+2?"}]
    calls = llm.get_tool_calls_from_response(r)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [("c1", "add", {"a": 1, "b": 2})]


def test_tool_required_and_named_tool_choice(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "mul", {"a": 2, "b": 3})], finish_reason="tool_calls"))
    llm = make_llm()
    llm.chat_with_tools(TOOLS, user_msg="x", tool_required=True)
    assert azure.body()["tool_choice"] == "required"
    llm.chat_with_tools(TOOLS, user_msg="x", tool_choice="mul")
    assert azure.body()["tool_choice"] == {"type": "function", "function": {"name": "mul"}}


def test_strict_tools_get_a_strict_schema(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls"))
    make_llm(strict=True).chat_with_tools(TOOLS, user_msg="x")
    fn = azure.body()["tools"][0]["function"]
    assert fn["strict"] is True
    assert fn["parameters"]["additionalProperties"] is False
    assert sorted(fn["parameters"]["required"]) == ["a", "b"]


def test_parallel_calls_kept_only_when_allowed(make_llm: Any, azure: Azure) -> None:
    two = chat_body(
        None,
        tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2}), tool_call("c2", "mul", {"a": 2, "b": 3})],
        finish_reason="tool_calls",
    )
    azure.add_json(two)
    llm = make_llm()
    one = llm.chat_with_tools(TOOLS, user_msg="x")
    assert [c.tool_name for c in llm.get_tool_calls_from_response(one)] == ["add"]
    both = llm.chat_with_tools(TOOLS, user_msg="x", allow_parallel_tool_calls=True)
    assert azure.body()["parallel_tool_calls"] is True
    assert [c.tool_name for c in llm.get_tool_calls_from_response(both)] == ["add", "mul"]


def test_no_tool_call_error_says_what_to_do(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("I'd rather chat."))
    llm = make_llm()
    r = llm.chat_with_tools(TOOLS, user_msg="x")
    with pytest.raises(
        ValueError, match=r"none\. The model answered with text instead: \"I'd rather chat\.\".*tool_required=True"
    ):
        llm.get_tool_calls_from_response(r)
    assert llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) == []


async def test_achat_with_tools_and_predict_and_call(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "mul", {"a": 6, "b": 7})], finish_reason="tool_calls"))
    llm = make_llm()
    r = await llm.achat_with_tools(TOOLS, user_msg="6*7")
    assert llm.get_tool_calls_from_response(r)[0].tool_kwargs == {"a": 6, "b": 7}
    assert str(llm.predict_and_call(TOOLS, user_msg="6*7")) == "42"
    assert str(await llm.apredict_and_call(TOOLS, user_msg="6*7")) == "42"


def test_stream_chat_with_tools_assembles_fragments(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [
            prompt_filter_chunk(),
            chunk(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"index": 0, "id": "c1", "type": "function", "function": {"name": "add", "arguments": ""}}
                    ],
                }
            ),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": ', "b": 2}'}}]}),
            chunk({}, finish_reason="tool_calls"),
            usage_chunk(),
        ]
    )
    llm = make_llm()
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="1+2"))
    assert azure.body()["stream"] is True
    calls = llm.get_tool_calls_from_response(chunks[-1])
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [("c1", "add", {"a": 1, "b": 2})]
    # a partial view mid-stream parses leniently
    mid = llm.get_tool_calls_from_response(chunks[2])
    assert mid[0].tool_kwargs == {"a": 1}


async def test_astream_chat_with_tools(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [
            chunk(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "mul", "arguments": '{"a": 2, "b": 5}'},
                        }
                    ],
                }
            ),
            chunk({}, finish_reason="tool_calls"),
        ]
    )
    llm = make_llm()
    gen = await llm.astream_chat_with_tools(TOOLS, user_msg="2*5")
    chunks = [c async for c in gen]
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs == {"a": 2, "b": 5}


def test_tool_call_round_trip_through_history(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})], finish_reason="tool_calls"))
    llm = make_llm()
    first = llm.chat_with_tools(TOOLS, user_msg="1+2")
    history = [
        *user("1+2"),
        first.message,
        ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "c1", "name": "add"}),
    ]
    azure.add_json(chat_body("It is 3."))
    llm.chat(history)
    sent = azure.body()["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}],
    }
    assert sent[2] == {"role": "tool", "content": "3", "tool_call_id": "c1", "name": "add"}
    # legacy readers of additional_kwargs["tool_calls"] get SDK-like attribute access
    assert first.message.additional_kwargs["tool_calls"][0].function.name == "add"


# -- structured output -------------------------------------------------------------------------------


def test_structured_predict_uses_native_json_schema(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"name": "Ada", "age": 36}'))
    out = make_llm(model="gpt-4o").structured_predict(Person, PromptTemplate("Who is {who}?"), who="Ada")
    assert out == Person(name="Ada", age=36)
    rf = azure.body()["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["name"] == "Person"
    assert rf["json_schema"]["strict"] is True
    assert "tools" not in azure.body()


def test_structured_predict_emits_its_events(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"name": "Ada", "age": 36}'))
    handler = _Events(names=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        make_llm(model="gpt-4o").structured_predict(Person, PromptTemplate("Who?"))
    finally:
        root.event_handlers.remove(handler)
    names = handler.names
    assert names.index("LLMStructuredPredictStartEvent") < names.index("LLMChatStartEvent")
    assert names.index("LLMChatEndEvent") < names.index("LLMStructuredPredictEndEvent")


async def test_astructured_predict_and_as_structured_llm(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"name": "Ada", "age": 36}'))
    llm = make_llm(model="gpt-4o")
    assert await llm.astructured_predict(Person, PromptTemplate("Who?")) == Person(name="Ada", age=36)
    sllm = llm.as_structured_llm(Person)
    r = sllm.chat(user("Who?"))
    assert r.raw == Person(name="Ada", age=36)


def test_structured_predict_falls_back_to_a_forced_tool_call_on_old_api_versions(make_llm: Any, azure: Azure) -> None:
    azure.add_json(
        chat_body(None, tool_calls=[tool_call("c1", "Person", {"name": "Bo", "age": 5})], finish_reason="tool_calls")
    )
    out = make_llm(model="gpt-4o", api_version="2024-06-01").structured_predict(Person, PromptTemplate("Who?"))
    assert out == Person(name="Bo", age=5)
    body = azure.body()
    assert "response_format" not in body
    assert body["tool_choice"] in ("required", {"type": "function", "function": {"name": "Person"}})


def test_stream_structured_predict(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [chunk({"content": '{"name": "A'}), chunk({"content": 'da", "age": 36}'}), chunk({}, finish_reason="stop")]
    )
    parts = list(make_llm(model="gpt-4o").stream_structured_predict(Person, PromptTemplate("Who?")))
    assert parts[-1].name == "Ada" and parts[-1].age == 36


def test_refusal_in_structured_output_is_reported(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, refusal="I can't help with that."))
    with pytest.raises(ValueError, match="refused to produce a Person: I can't help with that."):
        make_llm(model="gpt-4o").structured_predict(Person, PromptTemplate("Who?"))


# -- blocks ---------------------------------------------------------------------------------------------


def test_image_blocks_go_out_as_image_url_parts(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("a cat"))
    msg = ChatMessage(role="user", blocks=[TextBlock(text="what?"), ImageBlock(url="https://x.test/cat.png")])
    assert make_llm().chat([msg]).message.content == "a cat"
    assert azure.body()["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "https://x.test/cat.png"},
    }


def test_logprobs_are_converted(make_llm: Any, azure: Azure) -> None:
    body = chat_body("hi")
    body["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": "hi",
                "logprob": -0.1,
                "bytes": [104, 105],
                "top_logprobs": [
                    {"token": "hi", "logprob": -0.1, "bytes": [104, 105]},
                    {"token": "yo", "logprob": -2.0, "bytes": None},
                ],
            }
        ]
    }
    azure.add_json(body)
    r = make_llm(logprobs=True, top_logprobs=2).chat(user("x"))
    sent = azure.body()
    assert (sent["logprobs"], sent["top_logprobs"]) == (True, 2)
    assert [(lp.token, lp.logprob) for lp in r.logprobs[0]] == [("hi", -0.1), ("yo", -2.0)]


# -- content filter ---------------------------------------------------------------------------------------


FILTERED = {**SAFE, "violence": {"filtered": True, "severity": "medium"}}


def test_filtered_completion_is_surfaced_not_silent(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, finish_reason="content_filter", content_filter_results=FILTERED))
    r = make_llm().chat(user("x"))
    assert r.message.content is None
    assert r.additional_kwargs["finish_reason"] == "content_filter"
    assert r.additional_kwargs["content_filter_results"]["violence"] == {"filtered": True, "severity": "medium"}
    assert r.raw["choices"][0]["finish_reason"] == "content_filter"


def test_filtered_completion_can_raise(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, finish_reason="content_filter", content_filter_results=FILTERED))
    with pytest.raises(ContentFilterError) as err:
        make_llm(raise_on_content_filter=True).chat(user("x"))
    assert err.value.source == "completion"
    assert err.value.categories["violence"]["severity"] == "medium"
    assert "violence" in str(err.value)


def test_filtered_stream_surfaces_finish_reason_and_results(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["Once"], finish_reason="content_filter", cfr=FILTERED))
    chunks = list(make_llm().stream_chat(user("x")))
    final = [c for c in chunks if c.additional_kwargs.get("finish_reason")][0]
    assert final.additional_kwargs["finish_reason"] == "content_filter"
    assert final.additional_kwargs["content_filter_results"]["violence"]["filtered"] is True
    assert final.raw["choices"][0]["content_filter_results"]["violence"]["filtered"] is True


def test_filtered_stream_can_raise(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["Once"], finish_reason="content_filter", cfr=FILTERED))
    with pytest.raises(ContentFilterError) as err:
        list(make_llm(raise_on_content_filter=True).stream_chat(user("x")))
    assert err.value.source == "completion"


def test_filtered_prompt_raises_content_filter_error(make_llm: Any, azure: Azure) -> None:
    azure.add_json(
        {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {**SAFE, "hate": {"filtered": True, "severity": "high"}},
                },
            }
        },
        status=400,
    )
    with pytest.raises(ContentFilterError) as err:
        make_llm().chat(user("x"))
    assert err.value.source == "prompt"
    assert err.value.categories["hate"]["severity"] == "high"
    assert err.value.status == 400
    assert len(azure.requests) == 1  # never retried


# -- metadata ---------------------------------------------------------------------------------------------


def test_metadata_overrides_win(make_llm: Any) -> None:
    m = make_llm(model="gpt-4o", context_window=5000, is_chat_model=True, is_function_calling_model=False).metadata
    assert (m.context_window, m.is_chat_model, m.is_function_calling_model) == (5000, True, False)


def test_metadata_from_model_and_from_the_model_azure_reports(make_llm: Any, azure: Azure) -> None:
    assert make_llm(model="gpt-4o").metadata.context_window == 128000
    llm = make_llm(engine="my-deployment")
    before = llm.metadata
    assert before.model_name == "my-deployment"
    azure.add_json(chat_body(model="gpt-4.1-2025-04-14"))
    llm.chat(user("x"))
    after = llm.metadata
    assert after.model_name == "gpt-4.1-2025-04-14"
    assert after.context_window > 128000


def test_metadata_never_raises_for_unknown_names(make_llm: Any) -> None:
    for name in ("gpt-5.1-chat", "gpt-4.1-global", "my-deployment", "", "???"):
        m = make_llm(model=name or None).metadata
        assert m.context_window > 0 and m.is_chat_model


# -- serialization ----------------------------------------------------------------------------------------


def test_to_dict_has_no_secrets_and_from_dict_round_trips(make_llm: Any) -> None:
    llm = make_llm(model="gpt-4o", azure_ad_token_provider=None)
    d = llm.to_dict()
    text = json.dumps(d, default=str)
    assert KEY not in text and "api_key" not in d
    assert d["class_name"] == "azure_openai_llm"
    clone = AzureOpenAI.from_dict({**d}, api_key="other")
    assert (clone.engine, clone.model, clone.api_version) == ("chat", "gpt-4o", "2024-10-21")


def test_to_dict_masks_credential_headers_but_sends_them(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("via the gateway"))
    llm = make_llm(
        default_headers={"Ocp-Apim-Subscription-Key": "apim-secret-9", "X-Team": "rag"},
        default_query={"subscription-key": "q-secret-9", "tier": "gold"},
    )
    text = json.dumps(llm.to_dict(), default=str) + llm.to_json()
    assert "apim-secret-9" not in text and "q-secret-9" not in text
    assert llm.to_dict()["default_headers"] == {"Ocp-Apim-Subscription-Key": "**********", "X-Team": "rag"}
    assert llm.to_dict()["default_query"] == {"subscription-key": "**********", "tier": "gold"}
    llm.chat(user("hi"))  # the live object still sends them
    sent = azure.requests[-1]
    assert sent.headers["ocp-apim-subscription-key"] == "apim-secret-9"
    assert sent.url.params["subscription-key"] == "q-secret-9"


def test_to_json_works_with_a_token_provider_and_leaks_nothing(make_llm: Any) -> None:
    llm = make_llm(api_key=None, azure_ad_token_provider=lambda: "tok-secret-1")
    text = llm.to_json()
    assert "tok-secret-1" not in text and "azure_ad_token_provider" not in json.loads(text)


def test_pickle_round_trip_keeps_settings_and_works(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("after pickle"))
    llm = make_llm(model="gpt-4o")
    llm.chat(user("warm up"))  # a live core client exists now
    clone = pickle.loads(pickle.dumps(llm))
    assert clone.model == "gpt-4o" and clone.api_key.get_secret_value() == KEY
    assert "test-key" not in repr(clone)


def test_httpx_timeout_and_deadline_round_trip_and_reach_the_request(make_llm: Any, azure: Azure) -> None:
    import httpx

    azure.add_json(chat_body())
    llm = make_llm(timeout=httpx.Timeout(20.0, connect=2.0), deadline=90.0)
    data = json.loads(llm.to_json())
    assert data["timeout"] == {"connect": 2.0, "read": 20.0, "write": 20.0, "pool": 20.0}
    clone = AzureOpenAI.from_dict(data, http_client=httpx.Client(transport=httpx.MockTransport(azure)), api_key=KEY)
    assert clone.timeout == httpx.Timeout(20.0, connect=2.0) and clone.deadline == 90.0
    clone.chat(user("x"))
    sent = azure.requests[-1].extensions["timeout"]
    assert sent["connect"] == pytest.approx(2.0) and sent["read"] <= 20.0


def test_resource_name_and_auth_mode_are_passed_to_the_core(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    make_llm(azure_endpoint=None, resource_name="contoso-east").chat(user("x"))
    assert str(azure.requests[0].url).startswith("https://contoso-east.openai.azure.com/openai/deployments/chat/")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY") as err:
        make_llm(api_key=None, azure_auth_mode="api_key").chat(user("x"))
    assert err.value.setting == "api_key"
    assert len(azure.requests) == 1


def test_missing_deployment_fails_at_construction_with_the_fix() -> None:
    with pytest.raises(
        ConfigurationError, match="pass engine='<deployment name>'.*or set AZURE_OPENAI_DEPLOYMENT"
    ) as err:
        AzureOpenAI(azure_endpoint=ENDPOINT, api_key=KEY)
    assert err.value.setting == "engine"
    assert isinstance(err.value, ValueError)  # what the anchor raised, so old handlers still catch it


def test_audio_output_becomes_an_audio_block_and_is_referenced_in_history(make_llm: Any, azure: Azure) -> None:
    import base64

    body = chat_body(None)
    wav = base64.b64encode(b"RIFF....WAVEfmt ").decode()
    body["choices"][0]["message"]["audio"] = {"id": "audio_1", "data": wav, "transcript": "hi there", "expires_at": 1}
    azure.add_json(body)
    llm = make_llm(modalities=["text", "audio"], audio_config={"voice": "alloy", "format": "wav"})
    r = llm.chat(user("say hi"))
    sent = azure.body()
    assert (sent["modalities"], sent["audio"]) == (["text", "audio"], {"voice": "alloy", "format": "wav"})
    audio = [b for b in r.message.blocks if b.block_type == "audio"][0]
    assert audio.format == "wav"
    assert r.message.additional_kwargs["reference_audio_id"] == "audio_1"
    assert r.message.additional_kwargs["audio_transcript"] == "hi there"
    llm.chat([*user("say hi"), r.message, *user("again")])
    assert azure.body()["messages"][1] == {"role": "assistant", "audio": {"id": "audio_1"}}


def test_everything_from_the_environment(azure: Azure, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", ENDPOINT)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT", "env-dep")
    azure.add_json(chat_body())
    llm = AzureOpenAI(http_client=httpx.Client(transport=httpx.MockTransport(azure)))
    llm.chat(user("x"))
    req = azure.requests[0]
    assert str(req.url) == f"{ENDPOINT}/openai/deployments/env-dep/chat/completions?api-version=2025-04-01-preview"
    assert req.headers["api-key"] == KEY
    assert llm.engine == "env-dep"
