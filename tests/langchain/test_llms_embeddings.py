"""The legacy completions LLM and the embeddings class, against the emulator and a fake Azure."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler

from langchain_azoai import AzureOpenAI, AzureOpenAIEmbeddings
from tests.langchain._wire import FakeAzure, model_kwargs

KEY = "azoai-emulator-key"


@pytest.fixture()
def llm(emulator: Any) -> AzureOpenAI:
    return AzureOpenAI(
        azure_endpoint=f"http://127.0.0.1:{emulator.port}",
        api_key=KEY,
        azure_deployment="gpt-35-turbo-instruct",
        api_version="2024-10-21",
        max_tokens=20,
    )


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_llm_invoke_generate_and_usage(llm: AzureOpenAI) -> None:
    text = llm.invoke("Say hello to the world")
    assert isinstance(text, str) and text
    result = llm.generate(["one prompt", "two prompt"])
    assert len(result.generations) == 2
    info = result.generations[0][0].generation_info or {}
    assert info["finish_reason"] in ("stop", "length")
    assert "content_filter_results" in info
    usage = (result.llm_output or {})["token_usage"]
    assert usage["prompt_tokens"] > 0 and usage["total_tokens"] == (usage["prompt_tokens"] + usage["completion_tokens"])


def test_llm_stream_with_callbacks(llm: AzureOpenAI) -> None:
    handler = Tokens()
    parts = list(llm.stream("Say hello to the world", config={"callbacks": [handler]}))
    assert len(parts) > 1
    assert "".join(parts) == llm.invoke("Say hello to the world")
    assert [t for t in handler.tokens if t] == [p for p in parts if p]


async def test_llm_async_and_batch(llm: AzureOpenAI) -> None:
    out = await llm.ainvoke("Say hello")
    parts = [p async for p in llm.astream("Say hello")]
    assert "".join(parts) == out
    assert await llm.abatch(["a", "b"]) == llm.batch(["a", "b"])


def test_llm_wire_logprobs_and_stop() -> None:
    body = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1,
        "model": "gpt-35-turbo-instruct",
        "prompt_filter_results": [],
        "choices": [
            {
                "text": " hi",
                "index": 0,
                "finish_reason": "stop",
                "logprobs": {"tokens": [" hi"], "token_logprobs": [-0.1]},
                "content_filter_results": {},
            }
        ],
        "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3},
    }
    fake = FakeAzure(lambda r: FakeAzure.json(body))
    llm = AzureOpenAI(**model_kwargs(fake, azure_deployment="instruct", logprobs=1))
    result = llm.generate(["x"], stop=["\n"])
    sent = fake.body
    assert (sent["prompt"], sent["logprobs"], sent["stop"], sent["max_tokens"]) == ("x", 1, ["\n"], 256)
    assert str(fake.last.url).endswith("/deployments/instruct/completions?api-version=2024-10-21")
    gen = result.generations[0][0]
    assert gen.text == " hi"
    assert (gen.generation_info or {})["logprobs"]["token_logprobs"] == [-0.1]


# ------------------------------------------------------------------ embeddings


def _vectors(request: httpx.Request) -> httpx.Response:
    payload = json.loads(request.content)
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": base64.b64encode(struct.pack("<2f", float(len(t)), 2.0)).decode(),
        }
        for i, t in enumerate(payload["input"])
    ]
    return FakeAzure.json(
        {"object": "list", "data": data, "model": "m", "usage": {"prompt_tokens": 1, "total_tokens": 1}}
    )


def test_embeddings_batches_by_chunk_size_in_order() -> None:
    fake = FakeAzure(_vectors)
    e = AzureOpenAIEmbeddings(**model_kwargs(fake, azure_deployment="emb", chunk_size=3, dimensions=2))
    texts = ["a" * (i + 1) for i in range(7)]
    vecs = e.embed_documents(texts)
    assert [v[0] for v in vecs] == [float(len(t)) for t in texts]
    # batches run concurrently: compare the batch sizes, not their arrival order
    assert sorted(len(json.loads(r.content)["input"]) for r in fake.requests) == [1, 3, 3]
    assert all(json.loads(r.content)["dimensions"] == 2 for r in fake.requests)
    assert e.embed_documents(texts, chunk_size=5) == vecs
    assert sorted(len(json.loads(r.content)["input"]) for r in fake.requests[3:]) == [2, 5]
    assert e.embed_query("abc") == [3.0, 2.0]
    assert e.embed_documents([]) == []


def test_embeddings_call_the_deployment_not_the_model() -> None:
    fake = FakeAzure(_vectors)
    e = AzureOpenAIEmbeddings(
        **model_kwargs(fake, azure_deployment="my-emb", model="text-embedding-3-small", dimensions=2)
    )
    e.embed_documents(["a", "bb"])
    assert fake.last.url.path == "/openai/deployments/my-emb/embeddings"
    # without a deployment the model name stands in for it, as upstream
    fake2 = FakeAzure(_vectors)
    e2 = AzureOpenAIEmbeddings(
        **model_kwargs(fake2, azure_deployment=None, model="text-embedding-3-small", dimensions=2)
    )
    e2.embed_query("a")
    assert fake2.last.url.path == "/openai/deployments/text-embedding-3-small/embeddings"


async def test_async_embeddings_respect_max_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return _vectors(request)
        finally:
            in_flight -= 1

    e = AzureOpenAIEmbeddings(
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        azure_deployment="emb",
        chunk_size=1,
        max_concurrency=1,
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    vecs = await e.aembed_documents(["a", "bb", "ccc"])
    assert [v[0] for v in vecs] == [1.0, 2.0, 3.0]
    assert peak == 1


def test_show_progress_bar_writes_progress_to_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("tqdm"):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    fake = FakeAzure(_vectors)
    e = AzureOpenAIEmbeddings(**model_kwargs(fake, azure_deployment="emb", chunk_size=2, show_progress_bar=True))
    e.embed_documents(["a", "b", "c"])
    err = capsys.readouterr().err
    assert "Embedding: 3/3 texts (100%)" in err
    assert "texts/s" in err and "tokens/s" in err and "at once" in err  # throughput and concurrency
    assert err.endswith("\n")


def test_embeddings_against_emulator_similarity(emulator: Any) -> None:
    e = AzureOpenAIEmbeddings(
        azure_endpoint=f"http://127.0.0.1:{emulator.port}",
        api_key=KEY,
        azure_deployment="text-embedding-3-small",
        dimensions=256,
    )
    a, b, c = e.embed_documents(["the cat sat on the mat", "a cat on a mat", "quarterly revenue grew"])
    assert len(a) == 256

    def dot(x: list[float], y: list[float]) -> float:
        return sum(p * q for p, q in zip(x, y, strict=False))

    assert dot(a, b) > dot(a, c)
