"""End to end against the emulator (loopback): a RAG chain and a tool-calling agent loop,
sync and async, streaming and not."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.tools import tool
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_azoai import AzureChatOpenAI, AzureOpenAIEmbeddings, ContentFilterError

KEY = "azoai-emulator-key"
DOCS = [
    "The Eiffel Tower is in Paris and was completed in 1889.",
    "Mount Fuji is the highest mountain in Japan at 3776 metres.",
    "The Danube flows through Vienna, Budapest and Belgrade.",
    "Photosynthesis turns light, water and carbon dioxide into sugar.",
]


@pytest.fixture(scope="module")
def endpoint(emulator: Any) -> str:
    return f"http://127.0.0.1:{emulator.port}"


@pytest.fixture()
def llm(endpoint: str) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_endpoint=endpoint, api_key=KEY, azure_deployment="gpt-4o", api_version="2024-10-21", temperature=0
    )


@pytest.fixture()
def embeddings(endpoint: str) -> AzureOpenAIEmbeddings:
    return AzureOpenAIEmbeddings(azure_endpoint=endpoint, api_key=KEY, azure_deployment="text-embedding-3-small")


def _rag(llm: AzureChatOpenAI, embeddings: AzureOpenAIEmbeddings) -> Any:
    store = InMemoryVectorStore.from_texts(DOCS, embeddings)
    retriever = store.as_retriever(search_kwargs={"k": 1})
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer from the context only.\n\nContext:\n{context}"),
            ("human", "{question}"),
        ]
    )

    def join(docs: list[Document]) -> str:
        return "\n".join(d.page_content for d in docs)

    return (
        {"context": retriever | join, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()
    ), retriever


QUESTION = "How high is Mount Fuji in Japan?"


def test_rag_chain_sync_invoke_and_stream(llm: AzureChatOpenAI, embeddings: AzureOpenAIEmbeddings) -> None:
    chain, retriever = _rag(llm, embeddings)
    assert retriever.invoke(QUESTION)[0].page_content == DOCS[1]
    answer = chain.invoke(QUESTION)
    assert "3776" in answer
    streamed = list(chain.stream(QUESTION))
    assert len(streamed) > 1 and "".join(streamed) == answer


async def test_rag_chain_async_invoke_and_stream(llm: AzureChatOpenAI, embeddings: AzureOpenAIEmbeddings) -> None:
    chain, retriever = _rag(llm, embeddings)
    assert (await retriever.ainvoke(QUESTION))[0].page_content == DOCS[1]
    answer = await chain.ainvoke(QUESTION)
    assert "3776" in answer
    parts = [p async for p in chain.astream(QUESTION)]
    assert len(parts) > 1 and "".join(parts) == answer


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers a and b."""
    return a * b


def _run_tools(msg: AIMessage) -> list[ToolMessage]:
    return [ToolMessage(str(multiply.invoke(tc["args"])), tool_call_id=tc["id"] or "") for tc in msg.tool_calls]


def _agent_sync(llm: AzureChatOpenAI, stream: bool) -> tuple[AIMessage, list[BaseMessage]]:
    bound = llm.bind_tools([multiply])
    history: list[BaseMessage] = [HumanMessage("Use the multiply tool: what is 6 multiplied by 7?")]
    for _ in range(4):  # bounded loop
        if stream:
            chunks = list(bound.stream(history))
            msg: Any = chunks[0]
            for c in chunks[1:]:
                msg = msg + c
            msg = AIMessage(content=msg.content, tool_calls=msg.tool_calls, id=msg.id)
        else:
            msg = bound.invoke(history)
        history.append(msg)
        if not msg.tool_calls:
            return msg, history
        history.extend(_run_tools(msg))
    raise AssertionError("agent did not finish in 4 turns")


async def _agent_async(llm: AzureChatOpenAI, stream: bool) -> tuple[AIMessage, list[BaseMessage]]:
    bound = llm.bind_tools([multiply])
    history: list[BaseMessage] = [HumanMessage("Use the multiply tool: what is 6 multiplied by 7?")]
    for _ in range(4):
        if stream:
            msg: Any = None
            async for c in bound.astream(history):
                msg = c if msg is None else msg + c
            msg = AIMessage(content=msg.content, tool_calls=msg.tool_calls, id=msg.id)
        else:
            msg = await bound.ainvoke(history)
        history.append(msg)
        if not msg.tool_calls:
            return msg, history
        history.extend(_run_tools(msg))
    raise AssertionError("agent did not finish in 4 turns")


def _check_agent(final: AIMessage, history: list[BaseMessage]) -> None:
    calls = [m for m in history if isinstance(m, AIMessage) and m.tool_calls]
    assert calls, "the model never called the tool"
    assert calls[0].tool_calls[0]["name"] == "multiply"
    tool_results = [m for m in history if isinstance(m, ToolMessage)]
    assert tool_results and tool_results[0].content == "42"
    assert isinstance(final.content, str) and final.content


@pytest.mark.parametrize("stream", [False, True])
def test_agent_loop_sync(llm: AzureChatOpenAI, stream: bool) -> None:
    _check_agent(*_agent_sync(llm, stream))


@pytest.mark.parametrize("stream", [False, True])
async def test_agent_loop_async(llm: AzureChatOpenAI, stream: bool) -> None:
    _check_agent(*await _agent_async(llm, stream))


def test_content_filter_policy_against_emulator(llm: AzureChatOpenAI) -> None:
    with pytest.raises(ContentFilterError) as info:
        llm.invoke("emulator-block-violence please")
    assert info.value.source == "prompt" and "violence" in info.value.categories
    msg = llm.invoke("say emulator-filter-output now")
    assert msg.response_metadata["finish_reason"] == "content_filter"
    assert msg.response_metadata["content_filter_results"]["violence"]["filtered"] is True
    chunks = list(llm.stream("say emulator-filter-output now"))
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.response_metadata["finish_reason"] == "content_filter"
    assert total.response_metadata["content_filter_results"]["violence"]["filtered"] is True
    with pytest.raises(ContentFilterError):
        list(llm.stream("emulator-block-violence please"))


def test_pickled_model_keeps_working(llm: AzureChatOpenAI, embeddings: AzureOpenAIEmbeddings) -> None:
    import pickle

    first = llm.invoke("hello there")
    embeddings.embed_query("warm up the client")
    assert llm._core is not None
    clone = pickle.loads(pickle.dumps(llm))
    assert clone._core is None  # live connections are not pickled
    assert clone.invoke("hello there").content == first.content
    e2 = pickle.loads(pickle.dumps(embeddings))
    assert e2.embed_query("abc") == embeddings.embed_query("abc")
