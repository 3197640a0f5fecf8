"""LlamaIndex adapter: malformed success answers reach the caller as the core's typed errors
(issue 9 §4), from chat, stream_chat, achat, astream_chat, complete and the embeddings. Before, an
answer without choices gave a silent ``None`` message. The fake server is httpx.MockTransport
(tests/malformed_fakes.py)."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.base.llms.types import ChatMessage

from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding
from shared_core.errors import APIStatusError
from tests.malformed_fakes import CHAT_CASES, EMBED_CASES, ENDPOINT, KEY, STREAM_CASES, Case, check, mock

MSGS = [ChatMessage(role="user", content="hi")]


def _llm(case: Case) -> AzureOpenAI:
    http, ahttp, _ = mock(case)
    return AzureOpenAI(
        engine="chat",
        model="gpt-4o",
        azure_endpoint=ENDPOINT,
        api_key=KEY,
        api_version="2024-10-21",
        max_retries=0,
        http_client=http,
        async_http_client=ahttp,
    )


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


@pytest.mark.parametrize("case", CHAT_CASES, ids=_ids(CHAT_CASES))
def test_chat_achat_and_complete(case: Case) -> None:
    with pytest.raises(APIStatusError) as err:
        _llm(case).chat(MSGS)
    check(err.value, case)
    with pytest.raises(APIStatusError) as aerr:
        asyncio.run(_llm(case).achat(MSGS))
    check(aerr.value, case)
    with pytest.raises(APIStatusError) as cerr:
        _llm(case).complete("hi")
    check(cerr.value, case)


@pytest.mark.parametrize("case", STREAM_CASES, ids=_ids(STREAM_CASES))
def test_stream_chat_and_astream_chat(case: Case) -> None:
    with pytest.raises(APIStatusError) as err:
        for _ in _llm(case).stream_chat(MSGS):
            pass
    check(err.value, case)

    async def run() -> None:
        async for _ in await _llm(case).astream_chat(MSGS):
            pass

    with pytest.raises(APIStatusError) as aerr:
        asyncio.run(run())
    check(aerr.value, case)


@pytest.mark.parametrize("case", EMBED_CASES, ids=_ids(EMBED_CASES))
def test_embeddings(case: Case) -> None:
    def make() -> AzureOpenAIEmbedding:
        http, ahttp, _ = mock(case)
        return AzureOpenAIEmbedding(
            azure_deployment="emb",
            model="text-embedding-3-small",
            azure_endpoint=ENDPOINT,
            api_key=KEY,
            api_version="2024-10-21",
            max_retries=0,
            http_client=http,
            async_http_client=ahttp,
        )

    with pytest.raises(APIStatusError) as err:
        make().get_text_embedding("a")
    check(err.value, case)
    with pytest.raises(APIStatusError) as aerr:
        asyncio.run(make().aget_text_embedding("a"))
    check(aerr.value, case)
