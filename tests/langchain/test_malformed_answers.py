"""LangChain adapter: malformed success answers reach the caller as the core's typed errors
(issue 9 §4), from invoke, stream, ainvoke, astream and the embeddings, never as raw exceptions or
empty messages. The fake server is httpx.MockTransport (tests/malformed_fakes.py)."""

from __future__ import annotations

import asyncio

import pytest

from langchain_azoai import AzureChatOpenAI, AzureOpenAIEmbeddings
from shared_core.errors import APIStatusError
from tests.malformed_fakes import CHAT_CASES, EMBED_CASES, ENDPOINT, KEY, STREAM_CASES, Case, check, mock


def _chat(case: Case) -> AzureChatOpenAI:
    http, ahttp, _ = mock(case)
    return AzureChatOpenAI(
        azure_endpoint=ENDPOINT,
        azure_deployment="chat",
        model="gpt-4o",
        api_key=KEY,
        api_version="2024-10-21",
        max_retries=0,
        http_client=http,
        http_async_client=ahttp,
    )


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


@pytest.mark.parametrize("case", CHAT_CASES, ids=_ids(CHAT_CASES))
def test_invoke_and_ainvoke(case: Case) -> None:
    with pytest.raises(APIStatusError) as err:
        _chat(case).invoke("hi")
    check(err.value, case)
    with pytest.raises(APIStatusError) as aerr:
        asyncio.run(_chat(case).ainvoke("hi"))
    check(aerr.value, case)


@pytest.mark.parametrize("case", STREAM_CASES, ids=_ids(STREAM_CASES))
def test_stream_and_astream(case: Case) -> None:
    with pytest.raises(APIStatusError) as err:
        for _ in _chat(case).stream("hi"):
            pass
    check(err.value, case)

    async def run() -> None:
        async for _ in _chat(case).astream("hi"):
            pass

    with pytest.raises(APIStatusError) as aerr:
        asyncio.run(run())
    check(aerr.value, case)


@pytest.mark.parametrize("case", EMBED_CASES, ids=_ids(EMBED_CASES))
def test_embeddings(case: Case) -> None:
    def make() -> AzureOpenAIEmbeddings:
        http, ahttp, _ = mock(case)
        return AzureOpenAIEmbeddings(
            azure_endpoint=ENDPOINT,
            azure_deployment="emb",
            api_key=KEY,
            api_version="2024-10-21",
            max_retries=0,
            http_client=http,
            http_async_client=ahttp,
        )

    with pytest.raises(APIStatusError) as err:
        make().embed_documents(["a"])
    check(err.value, case)
    with pytest.raises(APIStatusError) as qerr:
        make().embed_query("a")
    check(qerr.value, case)
    with pytest.raises(APIStatusError) as aerr:
        asyncio.run(make().aembed_documents(["a"]))
    check(aerr.value, case)
