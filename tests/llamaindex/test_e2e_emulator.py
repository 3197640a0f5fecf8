"""End to end against the azoai emulator: an index, a query engine (sync, async, streaming), an
agent calling two tools, with our classes set as LlamaIndex's global Settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding

DOCS = [
    Document(text="The capital of France is Paris. Paris is known for the Eiffel Tower."),
    Document(text="Contoso's refund policy allows returns within 30 days of purchase."),
    Document(text="The Azure OpenAI emulator answers from the context it is given."),
]


@pytest.fixture
def settings(emulator: Any) -> Iterator[tuple[AzureOpenAI, AzureOpenAIEmbedding]]:
    llm = AzureOpenAI(
        engine="gpt-5.2",
        model="gpt-5.2",
        azure_endpoint=emulator.url,
        api_key=emulator.api_key,
        api_version="2024-10-21",
    )
    emb = AzureOpenAIEmbedding(
        azure_deployment="text-embedding-3-small",
        model="text-embedding-3-small",
        azure_endpoint=emulator.url,
        api_key=emulator.api_key,
        api_version="2024-10-21",
    )
    old_llm, old_emb = Settings._llm, Settings._embed_model
    Settings.llm, Settings.embed_model = llm, emb
    yield llm, emb
    Settings._llm, Settings._embed_model = old_llm, old_emb
    llm.close()
    emb.close()


@pytest.fixture
def index(settings: Any) -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS)


def test_index_is_built_with_our_embeddings(index: VectorStoreIndex, settings: Any) -> None:
    _, emb = settings
    nodes = list(index.docstore.docs.values())
    assert len(nodes) == 3
    vector = emb.get_text_embedding(nodes[0].get_content())
    assert len(vector) == 1536
    assert emb.similarity(vector, emb.get_query_embedding("capital of France Paris")) > emb.similarity(
        vector, emb.get_query_embedding("refund policy returns")
    )


def test_query_engine_answers_from_the_documents(index: VectorStoreIndex) -> None:
    response = index.as_query_engine(similarity_top_k=3).query("What is Contoso's refund policy?")
    assert "30 days" in str(response)
    assert any("refund" in n.node.get_content() for n in response.source_nodes)


async def test_query_engine_async(index: VectorStoreIndex, settings: Any) -> None:
    response = await index.as_query_engine(similarity_top_k=3).aquery("What is the capital of France?")
    assert "Paris" in str(response)
    await settings[0].aclose()
    await settings[1].aclose()


def test_query_engine_streaming(index: VectorStoreIndex) -> None:
    streaming = index.as_query_engine(streaming=True, similarity_top_k=3).query("How many days for returns?")
    pieces = list(streaming.response_gen)
    assert len(pieces) > 1
    assert "30 days" in "".join(pieces)


async def test_function_agent_calls_two_tools(settings: Any) -> None:
    llm, _ = settings

    def add(a: int, b: int) -> int:
        """Add two integers a and b."""
        return a + b

    def multiply(a: int, b: int) -> int:
        """Multiply two integers a and b."""
        return a * b

    agent = FunctionAgent(tools=[add, multiply], llm=llm, system_prompt="Use the tools.")
    handler = agent.run("What is (3 + 4) times 5? Use add, then multiply.")
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    output = await handler
    assert [r.tool_name for r in results] == ["add", "multiply"]
    assert results[0].tool_kwargs == {"a": 3, "b": 4} and results[0].tool_output.content == "7"
    # one step per turn, the second fed by the first: (3 + 4) times 5
    assert results[1].tool_kwargs == {"a": 7, "b": 5} and results[1].tool_output.content == "35"
    assert str(output.response.content) == "The answer is 35: 3 + 4 = 7, then 7 × 5 = 35."
    await llm.aclose()


async def test_in_process_asgi_transport(emulator: Any) -> None:
    """The same app in-process (no socket) through httpx.ASGITransport."""
    from shared_core.emulator.app import create_app

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()))
    llm = AzureOpenAI(
        engine="gpt-5.2",
        model="gpt-5.2",
        azure_endpoint="http://127.0.0.1:9",
        api_key="azoai-emulator-key",
        async_http_client=client,
    )
    r = await llm.achat(
        [__import__("llama_index.core.llms", fromlist=["ChatMessage"]).ChatMessage(role="user", content="Say hi")]
    )
    assert "Say hi" in (r.message.content or "")
    assert r.additional_kwargs["total_tokens"] > 0
    await client.aclose()


def test_issue_20433_one_llm_across_event_loops(settings: Any) -> None:
    """asyncio.run() twice with one LLM (FastAPI workers, notebooks): no 'Event loop is closed'."""
    import asyncio

    from llama_index.core.llms import ChatMessage

    llm, emb = settings
    msgs = [ChatMessage(role="user", content="loop one")]
    first = asyncio.run(llm.achat(msgs))
    second = asyncio.run(llm.achat([ChatMessage(role="user", content="loop two")]))
    assert "loop one" in (first.message.content or "") and "loop two" in (second.message.content or "")
    assert len(asyncio.run(emb.aget_text_embedding_batch(["a", "b"]))) == 2
    assert len(asyncio.run(emb.aget_text_embedding_batch(["c"]))) == 1
