"""Each verified langchain-openai Azure defect (research §5, B1-B14) shown absent here.

Requests go to a fake Azure on ``httpx.MockTransport`` (tests/langchain/_wire.py): assertions
are on the bytes we send and on what the user gets back.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from langchain_azoai import (
    AzureChatOpenAI,
    AzureOpenAIEmbeddings,
    ContentFilterError,
    UnsupportedAPIVersionError,
)
from tests.langchain._wire import CFR, FakeAzure, chat_body, model_kwargs, stream_chunks


class Answer(BaseModel):
    """An answer."""

    text: str


# B1 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["max_tokens", "max_completion_tokens"])
def test_b1_per_call_max_tokens_sent_once_under_the_models_name(alias: str) -> None:
    fake = FakeAzure()
    m = AzureChatOpenAI(**model_kwargs(fake, model="o3-mini", azure_deployment="o3-mini"))
    m.invoke("hi", **{alias: 5})
    body = fake.body
    assert body["max_completion_tokens"] == 5
    assert "max_tokens" not in body
    m2 = AzureChatOpenAI(**model_kwargs(fake, model="o3-mini", max_tokens=7))
    m2.invoke("hi")
    assert fake.body["max_completion_tokens"] == 7 and "max_tokens" not in fake.body


# B2 ---------------------------------------------------------------------------------------


def test_b2_model_version_not_appended_twice() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return FakeAzure.stream(stream_chunks(["hi"], model="gpt-4o-2024-11-20"))
        return FakeAzure.json(chat_body(model="gpt-4o-2024-11-20"))

    fake = FakeAzure(respond)
    m = AzureChatOpenAI(**model_kwargs(fake, model="gpt-4o", model_version="2024-11-20"))
    msg = m.invoke("hi")
    assert msg.response_metadata["model_name"] == "gpt-4o-2024-11-20"
    assert m._get_ls_params()["ls_model_name"] == "gpt-4o-2024-11-20"
    chunks = list(m.stream("hi"))
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.response_metadata.get("model_name") == "gpt-4o-2024-11-20"


# B3 ---------------------------------------------------------------------------------------


def test_b3_reasoning_model_maps_system_role_and_sends_the_callers_sampling() -> None:
    fake = FakeAzure()
    m = AzureChatOpenAI(**model_kwargs(fake, model="o3-mini", azure_deployment="o3-mini", temperature=0.5, top_p=0.9))
    m.invoke([SystemMessage("be terse"), HumanMessage("hi")])
    body = fake.body
    # set by the caller: sent, so Azure's 400 comes back typed with the fix instead of the setting
    # silently vanishing (issue 11); langchain-openai drops it for o1 and gpt-5 only
    assert (body["temperature"], body["top_p"]) == (0.5, 0.9)
    assert body["messages"][0] == {"role": "developer", "content": "be terse"}
    fake2 = FakeAzure()
    AzureChatOpenAI(**model_kwargs(fake2, model="gpt-4o", temperature=0.5)).invoke(
        [SystemMessage("be terse"), HumanMessage("hi")]
    )
    assert fake2.body["temperature"] == 0.5
    assert fake2.body["messages"][0]["role"] == "system"


# B4 ---------------------------------------------------------------------------------------


def test_b4_user_http_client_keeps_streaming_usage() -> None:
    fake = FakeAzure(lambda r: FakeAzure.stream(stream_chunks(["a", "b"])))
    m = AzureChatOpenAI(**model_kwargs(fake))  # http_client and http_async_client given
    chunks = list(m.stream("hi"))
    assert fake.body["stream_options"] == {"include_usage": True}
    with_usage = [c for c in chunks if c.usage_metadata]
    assert len(with_usage) == 1
    assert with_usage[0].usage_metadata == {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}


# B5 ---------------------------------------------------------------------------------------


def test_b5_openai_proxy_is_applied_to_our_client() -> None:
    m = AzureChatOpenAI(
        azure_endpoint="https://res.openai.azure.com",
        api_key="k",
        azure_deployment="gpt-4o",
        openai_proxy="http://proxy.local:3128",
    )
    core = m._client()
    assert core.options.proxy == "http://proxy.local:3128"
    http = core._client()
    mounts = {str(k.pattern): v for k, v in http._mounts.items() if v is not None}
    assert mounts, "proxy not mounted on the httpx client"
    proxies = {
        (t._pool._proxy_url.host, t._pool._proxy_url.port)  # type: ignore[attr-defined]
        for t in mounts.values()
    }
    assert proxies == {(b"proxy.local", 3128)}
    core.close()


# B6 ---------------------------------------------------------------------------------------


def test_b6_api_key_may_be_a_callable_and_tokens_are_cached() -> None:
    fake = FakeAzure()

    def key() -> str:
        return "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9."

    # a callable api_key is a token provider (the core's rule, as in the openai client)
    m = AzureChatOpenAI(**model_kwargs(fake, api_key=key))
    m.invoke("hi")
    assert fake.last.headers["authorization"] == f"Bearer {key()}"
    fake2 = FakeAzure()
    provider_calls: list[int] = []

    def token() -> str:
        provider_calls.append(1)
        return "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9."  # exp in 2100

    m2 = AzureChatOpenAI(**model_kwargs(fake2, api_key=None, azure_ad_token_provider=token))
    m2.invoke("hi")
    m2.invoke("again")
    assert fake2.last.headers["authorization"].startswith("Bearer eyJ")
    assert "api-key" not in fake2.last.headers
    assert len(provider_calls) == 1  # cached until near expiry, not called per request


# B7 ---------------------------------------------------------------------------------------


def test_b7_v1_api_url_and_body_model() -> None:
    fake = FakeAzure()
    AzureChatOpenAI(**model_kwargs(fake, api_version="v1", azure_deployment="my-4o")).invoke("x")
    assert str(fake.last.url) == "https://res.openai.azure.com/openai/v1/chat/completions"
    assert fake.body["model"] == "my-4o"
    fake2 = FakeAzure()
    AzureChatOpenAI(**model_kwargs(fake2, azure_deployment="my-4o")).invoke("x")
    assert str(fake2.last.url) == (
        "https://res.openai.azure.com/openai/deployments/my-4o/chat/completions?api-version=2024-10-21"
    )


# B8 ---------------------------------------------------------------------------------------


def test_b8_streaming_keeps_filter_results_and_same_policy_as_invoke() -> None:
    filtered = {**CFR, "violence": {"filtered": True, "severity": "high"}}
    fake = FakeAzure(
        lambda r: FakeAzure.stream(stream_chunks(["Once", " upon"], finish="content_filter", cfr=filtered))
    )
    m = AzureChatOpenAI(**model_kwargs(fake))
    chunks = list(m.stream("tell me"))
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.content == "Once upon"
    rm = total.response_metadata
    assert rm["finish_reason"] == "content_filter"
    assert rm["content_filter_results"]["violence"] == {"filtered": True, "severity": "high"}
    assert rm["prompt_filter_results"][0]["content_filter_results"] == CFR
    fake_invoke = FakeAzure(lambda r: FakeAzure.json(chat_body("Once upon", finish="content_filter", cfr=filtered)))
    msg = AzureChatOpenAI(**model_kwargs(fake_invoke)).invoke("tell me")
    assert msg.content == "Once upon"
    assert msg.response_metadata["finish_reason"] == "content_filter"
    assert msg.response_metadata["content_filter_results"] == rm["content_filter_results"]


# B9 ---------------------------------------------------------------------------------------


def _real_filter_body(recordings_dir: Path) -> dict[str, Any]:
    path = (
        recordings_dir / "Azure__azure-sdk-for-go" / "sdk__ai__azopenai__testdata__content_filter_response_error.json"
    )
    return json.loads(path.read_text())


def test_b9_filtered_prompt_raises_typed_error(recordings_dir: Path) -> None:
    body = _real_filter_body(recordings_dir)
    fake = FakeAzure(lambda r: FakeAzure.json(body, status=400))
    m = AzureChatOpenAI(**model_kwargs(fake))
    with pytest.raises(ContentFilterError) as info:
        m.invoke("something violent")
    err = info.value
    assert err.status == 400 and err.source == "prompt"
    assert err.categories["violence"] == {"filtered": True, "severity": "medium"}
    assert "violence" in str(err)
    with pytest.raises(ContentFilterError):
        list(m.stream("something violent"))


# B10 --------------------------------------------------------------------------------------


def test_b10_token_counts_work_without_model_or_tiktoken() -> None:
    m = AzureChatOpenAI(azure_deployment="my-deployment")
    assert m.model_name is None
    n = m.get_num_tokens_from_messages([HumanMessage("Hello there, how are you today?")])
    assert 5 <= n <= 30
    assert m.get_num_tokens("Hello there") >= 2
    assert m.get_num_tokens_from_messages([HumanMessage("hi")], tools=[Answer]) > n - 20


# B11 --------------------------------------------------------------------------------------


def _embedding_response(request: httpx.Request) -> httpx.Response:
    import base64
    import struct

    inputs = json.loads(request.content)["input"]
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": base64.b64encode(struct.pack("<3f", float(len(t)), 1.0, 0.5)).decode(),
        }
        for i, t in enumerate(inputs)
    ]
    return FakeAzure.json(
        {
            "object": "list",
            "data": data,
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }
    )


def test_b11_embeddings_modern_version_model_follows_deployment_base64() -> None:
    fake = FakeAzure(_embedding_response)
    e = AzureOpenAIEmbeddings(**model_kwargs(fake, azure_deployment="text-embedding-3-small", api_version=None))
    vecs = e.embed_documents(["a", "bbb"])
    assert vecs == [[1.0, 1.0, 0.5], [3.0, 1.0, 0.5]]
    assert "api-version=2023-05-15" not in str(fake.last.url)
    assert "text-embedding-3-small/embeddings" in str(fake.last.url)
    assert fake.body["encoding_format"] == "base64"
    assert fake.body.get("model") in (None, "text-embedding-3-small")


async def test_b11_async_embedding_batches_run_concurrently() -> None:
    in_flight = 0
    peak = 0
    both_started = asyncio.Event()
    requests: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        requests.append(1)
        if in_flight >= 2:
            both_started.set()
        # wait (bounded) until a second batch is in flight: proves they overlap
        try:
            await asyncio.wait_for(both_started.wait(), timeout=5)
        finally:
            in_flight -= 1
        return _embedding_response(request)

    e = AzureOpenAIEmbeddings(
        azure_endpoint="https://res.openai.azure.com",
        api_key="k",
        max_retries=0,
        azure_deployment="text-embedding-3-small",
        chunk_size=2,
        max_concurrency=3,
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    texts = [f"t{'x' * i}" for i in range(6)]
    vecs = await e.aembed_documents(texts)
    assert len(requests) == 3 and peak >= 2
    assert [v[0] for v in vecs] == [float(len(t)) for t in texts]  # order preserved


# B12 --------------------------------------------------------------------------------------


def test_b12_import_and_construction_pull_in_no_sdk() -> None:
    code = (
        "import sys; import langchain_core.language_models; before = set(sys.modules); "
        "import langchain_azoai as l; "
        "m = l.AzureChatOpenAI(azure_endpoint='https://r.openai.azure.com', api_key='k'); "
        "e = l.AzureOpenAIEmbeddings(); "
        "bad = [n for n in ('openai', 'tiktoken', 'requests', 'azure.identity') "
        "if n in sys.modules and n not in before]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
    m = AzureChatOpenAI(azure_endpoint="https://r.openai.azure.com", api_key="k")
    assert m._core is None
    clone = pickle.loads(pickle.dumps(m))
    assert clone.azure_endpoint == m.azure_endpoint


# B13 --------------------------------------------------------------------------------------


def test_b13_parallel_tool_calls_follow_the_model_profile() -> None:
    fake = FakeAzure(
        lambda r: FakeAzure.json(
            chat_body(
                None,
                finish="tool_calls",
                tool_calls=[
                    {"id": "c1", "type": "function", "function": {"name": "Answer", "arguments": '{"text": "x"}'}}
                ],
            )
        )
    )
    m = AzureChatOpenAI(**model_kwargs(fake, model="gpt-4o-mini"))
    m.with_structured_output(Answer, method="function_calling").invoke("q")
    assert fake.body["parallel_tool_calls"] is False  # not only for model == "gpt-4o"
    old = AzureChatOpenAI(**model_kwargs(fake, model="gpt-35-turbo-0613"))
    old.with_structured_output(Answer, method="function_calling").invoke("q")
    assert "parallel_tool_calls" not in fake.body  # that model rejects the parameter


# B14 --------------------------------------------------------------------------------------


def test_b14_json_schema_on_old_api_version_is_explained() -> None:
    body = {
        "error": {
            "code": "BadRequest",
            "message": "response_format value as json_schema "
            "is enabled only for api versions 2024-08-01-preview and later",
        }
    }
    fake = FakeAzure(lambda r: FakeAzure.json(body, status=400))
    m = AzureChatOpenAI(**model_kwargs(fake, api_version="2024-06-01"))
    with (
        pytest.raises(UnsupportedAPIVersionError) as info,
        pytest.warns(UserWarning, match="does not support json_schema structured outputs"),
    ):
        m.with_structured_output(Answer).invoke("q")
    assert info.value.needed is not None and info.value.needed >= "2024-08-01"
    assert "api_version" in str(info.value) or "api-version" in str(info.value)
