"""AzureChatOpenAI behaviour on the wire: tools, structured output, callbacks, cache, limits."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.globals import set_llm_cache
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_azoai import AzureChatOpenAI, ConfigurationError, RateLimitError
from tests.langchain._wire import (
    FakeAzure,
    auto,
    chat_body,
    model_kwargs,
    stream_chunks,
)


class GetWeather(BaseModel):
    """Get the current weather in a given location."""

    location: str = Field(..., description="The city and state, e.g. San Francisco, CA")


class JokeDict(TypedDict):
    """Joke to tell user."""

    setup: Annotated[str, ..., "question to set up a joke"]
    punchline: Annotated[str, ..., "answer to resolve the joke"]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _tool_answer(name: str, args: str) -> httpx.Response:
    return FakeAzure.json(
        chat_body(
            None,
            finish="tool_calls",
            tool_calls=[{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}],
        )
    )


# ------------------------------------------------------------------ tools


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("GetWeather", {"type": "function", "function": {"name": "GetWeather"}}),
    ],
)
def test_bind_tools_tool_choice(choice: Any, wire: Any) -> None:
    fake = FakeAzure(lambda r: _tool_answer("GetWeather", '{"location": "Paris"}'))
    m = AzureChatOpenAI(**model_kwargs(fake))
    msg = m.bind_tools([GetWeather, add], tool_choice=choice).invoke("weather?")
    body = fake.body
    assert body["tool_choice"] == wire
    assert [t["function"]["name"] for t in body["tools"]] == ["GetWeather", "add"]
    assert body["tools"][0]["function"]["parameters"]["properties"]["location"]["type"] == "string"
    assert "parallel_tool_calls" not in body
    assert msg.tool_calls == [
        {"name": "GetWeather", "args": {"location": "Paris"}, "id": "call_1", "type": "tool_call"}
    ]


def test_bind_tools_unknown_tool_choice_is_a_configuration_error() -> None:
    m = AzureChatOpenAI(azure_deployment="gpt-5.2")
    with pytest.raises(ConfigurationError, match="not one of the bound tools"):
        m.bind_tools([GetWeather], tool_choice="nope")


def test_bind_tools_strict_and_parallel() -> None:
    fake = FakeAzure(lambda r: _tool_answer("GetWeather", '{"location": "Paris"}'))
    m = AzureChatOpenAI(**model_kwargs(fake, model="gpt-5.2"))
    m.bind_tools([GetWeather], strict=True, parallel_tool_calls=False).invoke("x")
    fn = fake.body["tools"][0]["function"]
    assert fn["strict"] is True
    assert fn["parameters"]["additionalProperties"] is False
    assert fn["parameters"]["required"] == ["location"]
    assert fake.body["parallel_tool_calls"] is False


def test_invalid_tool_call_arguments_become_invalid_tool_calls() -> None:
    fake = FakeAzure(lambda r: _tool_answer("GetWeather", '{"location": '))
    msg = AzureChatOpenAI(**model_kwargs(fake)).bind_tools([GetWeather]).invoke("x")
    assert msg.tool_calls == []
    assert msg.invalid_tool_calls[0]["name"] == "GetWeather"
    assert msg.invalid_tool_calls[0]["args"] == '{"location": '


def test_streamed_tool_call_chunks() -> None:
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5.2"}
    chunks = [
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_9",
                                "type": "function",
                                "function": {"name": "add", "arguments": ""},
                            }
                        ],
                    },
                    "finish_reason": None,
                }
            ],
        },
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1, '}}]},
                    "finish_reason": None,
                }
            ],
        },
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '"b": 2}'}}]},
                    "finish_reason": None,
                }
            ],
        },
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    fake = FakeAzure(lambda r: FakeAzure.stream(chunks))
    out = list(AzureChatOpenAI(**model_kwargs(fake)).bind_tools([add]).stream("1+2"))
    assert [c.tool_call_chunks[0]["args"] for c in out if c.tool_call_chunks] == ["", '{"a": 1, ', '"b": 2}']
    total = out[0]
    for c in out[1:]:
        total += c
    assert total.tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_9", "type": "tool_call"}]


# ------------------------------------------------------------------ structured output


def _json_answer(obj: dict[str, Any]) -> FakeAzure:
    return FakeAzure(lambda r: FakeAzure.json(chat_body(json.dumps(obj))))


@pytest.mark.parametrize("schema", [GetWeather, JokeDict, GetWeather.model_json_schema()])
def test_structured_output_json_schema_default(schema: Any) -> None:
    answer = {"location": "Paris"} if schema is not JokeDict else {"setup": "s", "punchline": "p"}
    fake = _json_answer(answer)
    m = AzureChatOpenAI(**model_kwargs(fake))
    result = m.with_structured_output(schema).invoke("x")
    rf = fake.body["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["schema"]["additionalProperties"] is False
    if schema is GetWeather:
        assert result == GetWeather(location="Paris")
        assert rf["json_schema"]["name"] == "GetWeather"
    else:
        assert result == answer


def test_structured_output_function_calling_and_json_mode() -> None:
    fake = FakeAzure(lambda r: _tool_answer("GetWeather", '{"location": "Oslo"}'))
    m = AzureChatOpenAI(**model_kwargs(fake, model="gpt-5.2"))
    assert m.with_structured_output(GetWeather, method="function_calling").invoke("x") == (GetWeather(location="Oslo"))
    assert fake.body["tool_choice"] == {"type": "function", "function": {"name": "GetWeather"}}
    fake2 = _json_answer({"location": "Rome"})
    m2 = AzureChatOpenAI(**model_kwargs(fake2))
    assert m2.with_structured_output(method="json_mode").invoke("json please") == {"location": "Rome"}
    assert fake2.body["response_format"] == {"type": "json_object"}
    with pytest.raises(ConfigurationError, match="strict cannot be used with method='json_mode'"):
        m2.with_structured_output(GetWeather, method="json_mode", strict=True)


def test_structured_output_falls_back_when_api_version_predates_json_schema() -> None:
    # Azure answers 400 to json_schema before 2024-08-01-preview; fall back with a warning
    fake = FakeAzure(lambda r: _tool_answer("GetWeather", '{"location": "Oslo"}'))
    m = AzureChatOpenAI(**model_kwargs(fake, model="gpt-5.2", api_version="2024-05-01-preview"))
    with pytest.warns(UserWarning, match="needs api-version 2024-08-01-preview or later"):
        structured = m.with_structured_output(GetWeather)
    assert structured.invoke("x") == GetWeather(location="Oslo")
    assert "response_format" not in fake.body
    assert fake.body["tool_choice"] == {"type": "function", "function": {"name": "GetWeather"}}


def test_structured_output_include_raw_and_parse_errors() -> None:
    fake = FakeAzure(lambda r: FakeAzure.json(chat_body("not json")))
    m = AzureChatOpenAI(**model_kwargs(fake))
    out = m.with_structured_output(GetWeather, include_raw=True).invoke("x")
    assert isinstance(out["raw"], AIMessage) and out["raw"].content == "not json"
    assert out["parsed"] is None
    assert out["parsing_error"] is not None
    fake_ok = _json_answer({"location": "Oslo"})
    ok = AzureChatOpenAI(**model_kwargs(fake_ok)).with_structured_output(GetWeather, include_raw=True).invoke("x")
    assert ok["parsed"] == GetWeather(location="Oslo") and ok["parsing_error"] is None


def test_structured_output_strict_false() -> None:
    fake = _json_answer({"location": "Oslo"})
    AzureChatOpenAI(**model_kwargs(fake)).with_structured_output(GetWeather, strict=False).invoke("x")
    assert fake.body["response_format"]["json_schema"]["strict"] is False


def test_bind_response_format_pydantic_sets_parsed() -> None:
    fake = _json_answer({"location": "Oslo"})
    msg = AzureChatOpenAI(**model_kwargs(fake)).bind(response_format=GetWeather).invoke("x")
    assert msg.additional_kwargs["parsed"] == GetWeather(location="Oslo")


# ------------------------------------------------------------------ callbacks and plumbing


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_stream_calls_on_llm_new_token_once_per_chunk() -> None:
    fake = FakeAzure(lambda r: FakeAzure.stream(stream_chunks(["Hel", "lo"])))
    handler = Tokens()
    chunks = list(AzureChatOpenAI(**model_kwargs(fake)).stream("hi", config={"callbacks": [handler]}))
    assert "".join(c.content for c in chunks) == "Hello"  # type: ignore[misc]
    assert [t for t in handler.tokens if t] == ["Hel", "lo"]


def test_streaming_true_invoke_uses_sse_and_callbacks() -> None:
    fake = FakeAzure(lambda r: FakeAzure.stream(stream_chunks(["a", "b"])))
    handler = Tokens()
    msg = AzureChatOpenAI(**model_kwargs(fake, streaming=True)).invoke("hi", config={"callbacks": [handler]})
    assert fake.body["stream"] is True
    assert msg.content == "ab"
    assert msg.usage_metadata is not None and msg.usage_metadata["output_tokens"] == 2
    assert [t for t in handler.tokens if t] == ["a", "b"]


async def test_astream_events_and_output_version_v1() -> None:
    fake = FakeAzure(auto(["x", "y"]))
    m = AzureChatOpenAI(**model_kwargs(fake, output_version="v1"))
    kinds = [e["event"] async for e in m.astream_events("hi", version="v2")]
    assert kinds[0] == "on_chat_model_start" and kinds[-1] == "on_chat_model_end"
    assert kinds.count("on_chat_model_stream") >= 2
    msg = await m.ainvoke("hi")
    assert isinstance(msg.content, list)
    assert msg.content[0]["type"] == "text" and msg.content[0]["text"] == "xy"  # type: ignore[index]


def test_llm_cache_avoids_second_request() -> None:
    fake = FakeAzure()
    m = AzureChatOpenAI(**model_kwargs(fake), cache=InMemoryCache())
    first = m.invoke("same question")
    second = m.invoke("same question")
    assert first.content == second.content
    assert len(fake.requests) == 1
    set_llm_cache(None)


def test_rate_limiter_is_acquired_per_call() -> None:
    class Counting(InMemoryRateLimiter):
        acquired = 0

        def acquire(self, *, blocking: bool = True) -> bool:
            type(self).acquired += 1
            return True

    fake = FakeAzure()
    m = AzureChatOpenAI(**model_kwargs(fake), rate_limiter=Counting())
    m.batch(["a", "b", "c"])
    assert Counting.acquired == 3 and len(fake.requests) == 3


def test_model_override_per_call_routes_to_that_deployment() -> None:
    fake = FakeAzure()
    m = AzureChatOpenAI(**model_kwargs(fake))
    m.invoke("x", model="gpt-4o-mini")
    assert "/deployments/gpt-4o-mini/" in str(fake.last.url)
    assert m._get_ls_params(model="gpt-4o-mini")["ls_model_name"] == "gpt-4o-mini"


def test_per_call_kwargs_reach_the_body() -> None:
    fake = FakeAzure()
    m = AzureChatOpenAI(**model_kwargs(fake, model_kwargs={"user": "u1"}, seed=3))
    m.invoke("x", logprobs=True, top_logprobs=2, stop=["\n"], extra_body={"data_sources": []})
    body = fake.body
    assert (body["logprobs"], body["top_logprobs"], body["stop"], body["seed"], body["user"]) == (
        True,
        2,
        ["\n"],
        3,
        "u1",
    )
    assert body["data_sources"] == []


def test_rate_limit_error_is_typed_and_not_retried_past_max_wait() -> None:
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation "
            "have exceeded token rate limit. Please retry after 86400 seconds.",
        }
    }
    fake = FakeAzure(lambda r: FakeAzure.json(body, status=429, headers={"retry-after": "86400"}))
    m = AzureChatOpenAI(**model_kwargs(fake, max_retries=3))
    with pytest.raises(RateLimitError) as info:
        m.invoke("x")
    assert len(fake.requests) == 1
    assert info.value.retry_after == 86400


def test_responses_only_kwargs_are_refused_per_call_when_chat_completions_is_forced() -> None:
    m = AzureChatOpenAI(
        azure_deployment="gpt-5.2", azure_endpoint="https://r.openai.azure.com", api_key="k", use_responses_api=False
    )
    with pytest.raises(ConfigurationError, match="Responses API"):
        m.invoke("x", previous_response_id="resp_1")


# ------------------------------------------------------------------ serialization


def test_dumpd_has_no_secrets_and_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    m = AzureChatOpenAI(
        azure_endpoint="https://r.openai.azure.com",
        api_key="sekrit-1",
        azure_ad_token="sekrit-2",
        client_secret="sekrit-3",
        azure_deployment="gpt-5.2",
        temperature=0.2,
    )
    text = dumps(m)
    assert "sekrit" not in text
    data = dumpd(m)
    assert data["id"] == ["langchain_azoai", "chat_models", "AzureChatOpenAI"]
    assert data["kwargs"]["openai_api_key"] == {"lc": 1, "type": "secret", "id": ["AZURE_OPENAI_API_KEY"]}
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "sekrit-1")
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "sekrit-2")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "sekrit-3")
    back = load(data, valid_namespaces=["langchain_azoai"], allowed_objects=[AzureChatOpenAI], secrets_from_env=True)
    assert isinstance(back, AzureChatOpenAI)
    assert back.model_dump() == m.model_dump()


def test_dumpd_masks_credential_headers_and_query() -> None:
    m = AzureChatOpenAI(
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        azure_deployment="gpt-5.2",
        default_headers={"Ocp-Apim-Subscription-Key": "apim-secret-9", "X-Team": "rag"},
        default_query={"sig": "sas-secret-9", "tier": "gold"},
    )
    assert "secret-9" not in dumps(m)
    kwargs = dumpd(m)["kwargs"]
    assert kwargs["default_headers"] == {"Ocp-Apim-Subscription-Key": "**********", "X-Team": "rag"}
    assert kwargs["default_query"] == {"sig": "**********", "tier": "gold"}
    assert m.default_headers == {"Ocp-Apim-Subscription-Key": "apim-secret-9", "X-Team": "rag"}


def test_identifying_params_and_llm_type() -> None:
    m = AzureChatOpenAI(azure_deployment="dep", model="gpt-5.2", temperature=0)
    assert m._llm_type == "azure-openai-chat"
    assert m._identifying_params["azure_deployment"] == "dep"
    assert m._identifying_params["model_name"] == "gpt-5.2"
    ls = m._get_ls_params(stop=["x"])
    assert (ls["ls_provider"], ls["ls_model_name"], ls["ls_model_type"], ls["ls_stop"]) == (
        "azure",
        "gpt-5.2",
        "chat",
        ["x"],
    )


_ = HumanMessage


def test_stream_usage_can_be_turned_off() -> None:
    fake = FakeAzure(lambda r: FakeAzure.stream(stream_chunks(["a"], usage=False)))
    m = AzureChatOpenAI(**model_kwargs(fake, stream_usage=False))
    chunks = list(m.stream("x"))
    assert "stream_options" not in fake.body
    assert not any(c.usage_metadata for c in chunks)
    list(m.stream("x", stream_usage=True))
    assert fake.body["stream_options"] == {"include_usage": True}


def test_old_api_version_gets_no_stream_options() -> None:
    fake = FakeAzure(lambda r: FakeAzure.stream(stream_chunks(["a"], usage=False)))
    list(AzureChatOpenAI(**model_kwargs(fake, api_version="2024-02-01")).stream("x"))
    assert "stream_options" not in fake.body  # that version rejects it (openai-python #1469)


def test_per_call_model_override_applies_that_models_rules() -> None:
    fake = FakeAzure()
    m = AzureChatOpenAI(**model_kwargs(fake, model="gpt-4o", stop=["\n"]))
    m.invoke([SystemMessage("be terse"), HumanMessage("x")], model="o3-mini", max_tokens=9)
    assert "/deployments/o3-mini/" in str(fake.last.url)
    assert fake.body["max_completion_tokens"] == 9 and fake.body["messages"][0]["role"] == "developer"
    assert fake.body["stop"] == ["\n"]  # the caller's own setting: sent (o3-mini's 400 comes back typed)


def test_include_response_headers() -> None:
    fake = FakeAzure(auto(["a", "b"]))
    m = AzureChatOpenAI(**model_kwargs(fake, include_response_headers=True))
    assert m.invoke("x").response_metadata["headers"]["x-ms-region"] == "Sweden Central"
    chunks = list(m.stream("x"))
    assert sum(1 for c in chunks if "headers" in c.response_metadata) == 1


def test_transport_settings_reach_the_core() -> None:
    m = AzureChatOpenAI(
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        azure_deployment="d",
        timeout=7,
        max_retries=5,
        deadline=30,
        max_retry_wait=2.5,
    )
    opts = m._client().options
    assert (opts.timeout, opts.max_retries, opts.deadline, opts.max_retry_wait) == (7, 5, 30, 2.5)


def test_json_schema_falls_back_to_function_calling_for_old_models() -> None:
    fake = FakeAzure(lambda r: _tool_answer("GetWeather", '{"location": "Oslo"}'))
    m = AzureChatOpenAI(**model_kwargs(fake, model="gpt-35-turbo"))
    with pytest.warns(UserWarning, match="does not support json_schema"):
        structured = m.with_structured_output(GetWeather)
    assert structured.invoke("x") == GetWeather(location="Oslo")
    assert "response_format" not in fake.body
    assert fake.body["tool_choice"]["function"]["name"] == "GetWeather"


async def test_async_token_provider_only_works_sync_and_async() -> None:
    # langchain-openai: invoke raises "Sync client is not available" in this setup
    fake = FakeAzure()
    calls: list[int] = []

    async def token() -> str:
        calls.append(1)
        return "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9."

    m = AzureChatOpenAI(**model_kwargs(fake, api_key=None, azure_ad_async_token_provider=token))
    assert (await m.ainvoke("x")).content == "Hello!"
    assert fake.last.headers["authorization"].startswith("Bearer eyJ")
    assert "api-key" not in fake.last.headers


def test_declared_rate_limits_reach_every_target_they_were_given_for() -> None:
    m = AzureChatOpenAI(
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        azure_deployment="gpt-5.2",
        rpm=600,
        tpm=100_000,
        fallbacks=[{"azure_endpoint": "https://r2.openai.azure.com", "api_key": "k2", "tpm": 50_000}],
    )
    targets = m._client().targets
    assert [(t.rpm, t.tpm) for t in targets] == [(600, 100_000), (None, 50_000)]
    with pytest.raises(ConfigurationError, match=r"rpm=0 must be a positive whole number of requests per minute"):
        AzureChatOpenAI(azure_endpoint="https://r.openai.azure.com", api_key="k", azure_deployment="d", rpm=0).invoke(
            "x"
        )
