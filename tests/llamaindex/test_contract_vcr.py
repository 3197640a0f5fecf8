"""The whole LlamaIndex surface against the azoai emulator, replayed from VCR cassettes.

CI replays ``cassettes/llamaindex/test_contract_vcr/*.yaml`` with the network blocked. To record
them again, against the emulator over loopback (it is started for you)::

    pytest tests/llamaindex/test_contract_vcr.py --record-mode=rewrite

To record against a real Azure resource instead, set ``AZOAI_LI_ENDPOINT`` and
``AZOAI_LI_API_KEY`` (deployments named ``gpt-4o``, ``gpt-35-turbo-instruct`` and
``text-embedding-3-small``) and use ``--record-mode=rewrite``. Keys, tokens and request ids are
scrubbed before anything is written; URIs are rewritten to ``http://azure.invalid``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llamaindex_azoai import (
    AzureOpenAI,
    AzureOpenAIEmbedding,
    AzureOpenAIMultiModal,
    ContentFilterError,
    DeploymentNotFoundError,
)
from tests._deployments import with_legacy

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(REPO / "cassettes" / "llamaindex" / "test_contract_vcr")


@pytest.fixture(scope="module")
def target(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """Where calls go: nowhere real on replay; the emulator (or a real resource) when recording."""
    mode = request.config.getoption("--record-mode", default="none") or "none"
    if mode == "none":
        yield "http://127.0.0.1:9", "replay-key"
        return
    if os.environ.get("AZOAI_LI_ENDPOINT"):
        yield os.environ["AZOAI_LI_ENDPOINT"], os.environ["AZOAI_LI_API_KEY"]
        return
    from shared_core.emulator.server import start_in_thread

    handle = start_in_thread(deployments=with_legacy())
    yield handle.url, handle.api_key
    handle.stop()


@pytest.fixture
def llm(target: tuple[str, str]) -> Iterator[AzureOpenAI]:
    url, key = target
    llm = AzureOpenAI(
        engine="gpt-4o",
        model="gpt-4o",
        azure_endpoint=url,
        api_key=key,
        api_version="2024-10-21",
        temperature=0.0,
        max_retries=0,
    )
    yield llm
    llm.close()


@pytest.fixture
def emb(target: tuple[str, str]) -> Iterator[AzureOpenAIEmbedding]:
    url, key = target
    emb = AzureOpenAIEmbedding(
        azure_deployment="text-embedding-3-small",
        model="text-embedding-3-small",
        azure_endpoint=url,
        api_key=key,
        api_version="2024-10-21",
        max_retries=0,
    )
    yield emb
    emb.close()


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers a and b."""
    return a * b


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=multiply)]


class City(BaseModel):
    name: str
    country: str


def test_chat(llm: AzureOpenAI) -> None:
    r = llm.chat(user("Say hello"))
    assert "Say hello" in (r.message.content or "")
    assert r.additional_kwargs["finish_reason"] == "stop"
    assert r.additional_kwargs["total_tokens"] > 0
    assert llm.metadata.model_name.startswith("gpt-4o")


async def test_achat(llm: AzureOpenAI) -> None:
    r = await llm.achat(user("Say hello async"))
    assert "Say hello async" in (r.message.content or "")
    await llm.aclose()


def test_complete_and_stream_complete(llm: AzureOpenAI) -> None:
    assert "Complete me" in llm.complete("Complete me").text
    chunks = list(llm.stream_complete("Stream me"))
    assert len([c for c in chunks if c.delta]) > 1
    assert "Stream me" in chunks[-1].text


async def test_acomplete_and_astream_complete(llm: AzureOpenAI) -> None:
    assert "Async complete" in (await llm.acomplete("Async complete")).text
    chunks = [c async for c in await llm.astream_complete("Async stream")]
    assert "Async stream" in chunks[-1].text
    await llm.aclose()


def test_stream_chat_has_usage_and_finish(llm: AzureOpenAI) -> None:
    chunks = list(llm.stream_chat(user("Stream a reply")))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    assert any(c.additional_kwargs.get("finish_reason") == "stop" for c in chunks)
    assert chunks[-1].additional_kwargs["total_tokens"] > 0
    assert any(c.additional_kwargs.get("prompt_filter_results") for c in chunks)


async def test_astream_chat(llm: AzureOpenAI) -> None:
    chunks = [c async for c in await llm.astream_chat(user("Stream async"))]
    assert "Stream async" in (chunks[-1].message.content or "")
    await llm.aclose()


def test_tools_sync(llm: AzureOpenAI) -> None:
    r = llm.chat_with_tools(TOOLS, user_msg="What is 3 plus 4? Use add.", tool_required=True)
    calls = llm.get_tool_calls_from_response(r)
    assert calls[0].tool_name == "add" and calls[0].tool_kwargs == {"a": 3, "b": 4}
    assert str(llm.predict_and_call(TOOLS, user_msg="What is 3 plus 4? Use add.", tool_required=True)) == "7"
    streamed = list(llm.stream_chat_with_tools(TOOLS, user_msg="What is 3 plus 4? Use add.", tool_required=True))
    assert llm.get_tool_calls_from_response(streamed[-1])[0].tool_kwargs == {"a": 3, "b": 4}


async def test_tools_async(llm: AzureOpenAI) -> None:
    r = await llm.achat_with_tools(TOOLS, user_msg="What is 3 plus 4? Use add.", tool_required=True)
    assert llm.get_tool_calls_from_response(r)[0].tool_name == "add"
    assert str(await llm.apredict_and_call(TOOLS, user_msg="What is 3 plus 4? Use add.", tool_required=True)) == "7"
    gen = await llm.astream_chat_with_tools(TOOLS, user_msg="What is 3 plus 4? Use add.", tool_required=True)
    last = [c async for c in gen][-1]
    assert llm.get_tool_calls_from_response(last)[0].tool_kwargs == {"a": 3, "b": 4}
    await llm.aclose()


def test_structured_predict_and_structured_llm(llm: AzureOpenAI) -> None:
    city = llm.structured_predict(City, PromptTemplate("Name a city in {country}."), country="France")
    assert isinstance(city, City)
    r = llm.as_structured_llm(City).chat(user("Name a city."))
    assert isinstance(r.raw, City)


async def test_astructured_predict(llm: AzureOpenAI) -> None:
    city = await llm.astructured_predict(City, PromptTemplate("Name a city."))
    assert isinstance(city, City)
    await llm.aclose()


def test_image_blocks(llm: AzureOpenAI) -> None:
    msg = ChatMessage(
        role="user", blocks=[TextBlock(text="Describe the image"), ImageBlock(url="https://example.com/cat.png")]
    )
    assert llm.chat([msg]).additional_kwargs["finish_reason"] == "stop"


def test_multimodal_compat(target: tuple[str, str]) -> None:
    url, key = target
    with pytest.warns(DeprecationWarning):
        mm = AzureOpenAIMultiModal(engine="gpt-4o", model="gpt-4o", azure_endpoint=url, api_key=key, max_retries=0)
    r = mm.complete("Describe", image_documents=[ImageBlock(url="https://example.com/cat.png")])
    assert r.additional_kwargs["finish_reason"] == "stop"
    assert list(mm.stream_complete("Describe", image_documents=[]))[-1].text


def test_legacy_completions_deployment(target: tuple[str, str]) -> None:
    url, key = target
    llm = AzureOpenAI(
        engine="gpt-35-turbo-instruct",
        model="gpt-35-turbo-instruct",
        azure_endpoint=url,
        api_key=key,
        max_tokens=20,
        max_retries=0,
    )
    assert llm.metadata.is_chat_model is False
    assert llm.complete("Once upon a time").text
    assert list(llm.stream_complete("Once upon a time"))[-1].text
    assert llm.chat(user("Once upon a time")).message.content


def test_unknown_deployment_is_diagnosed(target: tuple[str, str]) -> None:
    url, key = target
    llm = AzureOpenAI(engine="no-such-deployment", azure_endpoint=url, api_key=key, max_retries=0)
    with pytest.raises(DeploymentNotFoundError, match="no-such-deployment"):
        llm.chat(user("x"))


def test_embeddings_sync(emb: AzureOpenAIEmbedding) -> None:
    q = emb.get_query_embedding("refund policy")
    t = emb.get_text_embedding("Returns are accepted within 30 days.")
    batch = emb.get_text_embedding_batch(["a cat", "a dog", "refund policy"])
    assert len(q) == len(t) == 1536 and len(batch) == 3
    assert emb.similarity(q, batch[2]) > emb.similarity(q, batch[0])


async def test_embeddings_async(emb: AzureOpenAIEmbedding) -> None:
    q = await emb.aget_query_embedding("refund policy")
    batch = await emb.aget_text_embedding_batch(["a cat", "refund policy"])
    assert emb.similarity(q, batch[1]) > emb.similarity(q, batch[0])
    await emb.aclose()


def test_prompt_content_filter_is_a_typed_error(llm: AzureOpenAI) -> None:
    with pytest.raises(ContentFilterError) as err:
        llm.chat(user("Please write about emulator-block-violence"))
    assert err.value.source == "prompt"
    assert err.value.categories["violence"]["filtered"] is True
    assert "violence" in str(err.value)


def test_completion_content_filter_is_surfaced(llm: AzureOpenAI) -> None:
    r = llm.chat(user("Tell me about emulator-filter-output"))
    assert r.additional_kwargs["finish_reason"] == "content_filter"
    assert r.additional_kwargs["content_filter_results"]["violence"]["filtered"] is True
    chunks = list(llm.stream_chat(user("Tell me about emulator-filter-output")))
    finals = [c for c in chunks if c.additional_kwargs.get("finish_reason")]
    assert finals[-1].additional_kwargs["finish_reason"] == "content_filter"
