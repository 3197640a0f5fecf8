"""AzureOpenAIEmbedding against a scripted Azure: URLs, bodies, batching, async bounds, events."""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import struct
from typing import Any

import httpx
import pytest
from li_canned import ENDPOINT, HEADERS, KEY, Azure
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler

from llamaindex_azoai import AzureOpenAIEmbedding, ConfigurationError

URL = f"{ENDPOINT}/openai/deployments/emb/embeddings?api-version=2024-10-21"


def _echo(request: httpx.Request) -> httpx.Response:
    """Embeds each input as [index-in-request, len(text)], base64 when asked, like Azure."""
    body = json.loads(request.content)
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = []
    for i, text in enumerate(inputs):
        vec = [float(i), float(len(text))]
        emb: Any = vec
        if body.get("encoding_format") == "base64":
            emb = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
        data.append({"object": "embedding", "index": i, "embedding": emb})
    out = {
        "object": "list",
        "model": "text-embedding-3-small",
        "data": data,
        "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
    }
    return httpx.Response(200, headers=HEADERS, content=json.dumps(out).encode())


def test_is_a_base_embedding_with_the_anchor_class_name(make_embed: Any) -> None:
    assert isinstance(make_embed(), BaseEmbedding)
    assert AzureOpenAIEmbedding.class_name() == "AzureOpenAIEmbedding"


def test_query_and_text_embedding_send_input_unchanged(make_embed: Any, azure: Azure) -> None:
    azure.add(_echo)
    emb = make_embed(dimensions=256)
    assert emb.get_query_embedding("line one\nline two") == [0.0, 17.0]
    req = azure.requests[0]
    assert str(req.url) == URL
    assert req.headers["api-key"] == KEY
    body = json.loads(req.content)
    assert body["input"] == ["line one\nline two"]  # no "\n" -> " " rewrite
    assert body["dimensions"] == 256
    assert body["encoding_format"] == "base64"
    assert emb.get_text_embedding("abc") == [0.0, 3.0]


def test_batches_follow_embed_batch_size_and_keep_order(make_embed: Any, azure: Azure) -> None:
    azure.add(_echo)
    texts = [f"t{'x' * i}" for i in range(25)]
    vectors = make_embed(embed_batch_size=10).get_text_embedding_batch(texts, show_progress=False)
    assert [v[1] for v in vectors] == [float(len(t)) for t in texts]
    assert [len(json.loads(r.content)["input"]) for r in azure.requests] == [10, 10, 5]


async def test_async_forms(make_embed: Any, azure: Azure) -> None:
    azure.add(_echo)
    emb = make_embed()
    assert await emb.aget_query_embedding("ab") == [0.0, 2.0]
    assert await emb.aget_text_embedding("abc") == [0.0, 3.0]
    vectors = await emb.aget_text_embedding_batch(["a", "bb", "ccc"])
    assert [v[1] for v in vectors] == [1.0, 2.0, 3.0]


async def test_async_batches_run_with_bounded_concurrency(azure: Azure) -> None:
    state = {"inflight": 0, "max": 0}
    gate = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        state["inflight"] += 1
        state["max"] = max(state["max"], state["inflight"])
        if state["inflight"] >= 4:
            gate.set()
        await gate.wait()
        state["inflight"] -= 1
        return _echo(request)

    emb = AzureOpenAIEmbedding(
        azure_deployment="emb",
        azure_endpoint=ENDPOINT,
        api_key=KEY,
        api_version="2024-10-21",
        embed_batch_size=2,
        num_workers=None,
        max_retries=0,
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    # num_workers unset: llama-index would gather all 10 batches at once; we keep 4 in flight
    vectors = await emb.aget_text_embedding_batch(["x" * (i + 1) for i in range(20)])
    assert [v[1] for v in vectors] == [float(i + 1) for i in range(20)]
    assert state["max"] == 4


def test_free_form_model_and_deployment_names(make_embed: Any, azure: Azure) -> None:
    azure.add(_echo)
    emb = make_embed(model="my-finetuned-embedder", azure_deployment=None)
    emb.get_text_embedding("x")
    assert (
        str(azure.requests[0].url)
        == f"{ENDPOINT}/openai/deployments/my-finetuned-embedder/embeddings?api-version=2024-10-21"
    )
    make_embed(deployment_name="alias-dep", azure_deployment=None).get_text_embedding("x")
    assert "/deployments/alias-dep/" in str(azure.requests[1].url)


def test_events_are_emitted_per_batch(make_embed: Any, azure: Azure) -> None:
    class Names(BaseEventHandler):
        names: list = []

        @classmethod
        def class_name(cls) -> str:
            return "Names"

        def handle(self, event: Any, **kwargs: Any) -> None:
            self.names.append(event.class_name())

    azure.add(_echo)
    handler = Names(names=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        make_embed(embed_batch_size=2).get_text_embedding_batch(["a", "b", "c"])
    finally:
        root.event_handlers.remove(handler)
    assert handler.names.count("EmbeddingStartEvent") == 2
    assert handler.names.count("EmbeddingEndEvent") == 2


def test_serialization_without_secrets_and_pickle(make_embed: Any, azure: Azure) -> None:
    azure.add(_echo)
    emb = make_embed()
    d = emb.to_dict()
    assert KEY not in json.dumps(d, default=str) and d["class_name"] == "AzureOpenAIEmbedding"
    assert d["azure_deployment"] == "emb"
    emb.get_text_embedding("warm")
    clone = pickle.loads(pickle.dumps(emb))
    assert clone.azure_deployment == "emb" and clone.api_key.get_secret_value() == KEY


def test_bad_on_too_long_is_a_configuration_error(make_embed: Any) -> None:
    with pytest.raises(ConfigurationError, match="on_too_long='drop' is not one of 'error', 'split', 'truncate'"):
        make_embed(on_too_long="drop")


def test_token_provider_sends_bearer_per_request(make_embed: Any, azure: Azure) -> None:
    azure.add(_echo)
    tokens = iter(["tok-1", "tok-2", "tok-3"])
    emb = make_embed(api_key=None, azure_ad_token_provider=lambda: next(tokens))
    emb.get_text_embedding("a")
    req = azure.requests[0]
    assert req.headers["authorization"].startswith("Bearer tok-")
    assert "api-key" not in req.headers


def test_long_batches_show_progress(make_embed: Any, azure: Azure, capsys: pytest.CaptureFixture[str]) -> None:
    azure.add(_echo)
    vectors = make_embed(embed_batch_size=5).get_text_embedding_batch([f"t{i}" for i in range(12)], show_progress=True)
    assert len(vectors) == 12
    err = capsys.readouterr().err
    assert "Generating embeddings" in err and "12/12" in err


def test_inputs_over_the_token_limit_fail_before_sending_or_are_split(make_embed: Any, azure: Azure) -> None:
    azure.add(_echo)
    long_text = "lorem ipsum dolor sit amet " * 3000  # well over 8191 tokens
    with pytest.raises(ConfigurationError, match="on_too_long") as err:
        make_embed().get_text_embedding(long_text)
    assert azure.requests == []
    assert "8191" in str(err.value)
    vector = make_embed(on_too_long="split").get_text_embedding(long_text)
    assert len(vector) == 2 and len(azure.requests) >= 1
    assert all(len(json.loads(r.content)["input"]) >= 2 for r in azure.requests)
