"""The routing trace reaches each framework's own channels: LangChain's ``response_metadata`` and
the ``LLMResult.llm_output`` its callbacks receive; LlamaIndex's ``ChatResponse.additional_kwargs``
as its instrumentation events (``LLMChatEndEvent``) carry it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent

from tests.langchain._wire import FakeAzure, chat_body, model_kwargs

# a 503 with a 1 ms retry-after-ms: the retry happens at once
BUSY = httpx.Response(
    503, json={"error": {"code": "ServiceUnavailable", "message": "busy"}}, headers={"retry-after-ms": "1"}
)
RETRIED = [
    {"attempt": 1, "target": "res.openai.azure.com", "status": 503, "outcome": "retry", "reason": "HTTP 503, server asked 0.001 s"},
    {"attempt": 2, "target": "res.openai.azure.com", "status": 200, "region": "Sweden Central", "outcome": "ok"},
]  # fmt: skip


def _busy_once() -> FakeAzure:
    answers = [BUSY]
    return FakeAzure(lambda r: answers.pop() if answers else FakeAzure.json(chat_body()))


@contextmanager
def _events(kind: type) -> Iterator[list[Any]]:
    """The LlamaIndex instrumentation events of ``kind`` sent inside the block."""
    seen: list[Any] = []

    class Handler(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "RoutingEvents"

        def handle(self, event: Any, **kwargs: Any) -> None:
            if isinstance(event, kind):
                seen.append(event)

    handler = Handler()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield seen
    finally:
        root.event_handlers.remove(handler)


def _shape(routing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trace without the host and timings (which vary): what it promises to say."""
    return [{k: v for k, v in a.items() if k not in ("host", "duration", "wait")} for a in routing]


def test_langchain_response_metadata_and_llm_output_carry_the_routing_trace() -> None:
    from langchain_azoai import AzureChatOpenAI

    ends: list[LLMResult] = []

    class Ends(BaseCallbackHandler):
        def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
            ends.append(response)

    fake = _busy_once()
    model = AzureChatOpenAI(**model_kwargs(fake, max_retries=1))
    message = model.invoke("hi", config={"callbacks": [Ends()]})
    assert len(fake.requests) == 2
    assert _shape(message.response_metadata["routing"]) == RETRIED
    assert message.response_metadata["routing"][0]["wait"] == 0.001
    [end] = ends
    assert end.llm_output is not None and _shape(end.llm_output["routing"]) == RETRIED


def test_langchain_stream_carries_the_routing_trace_once() -> None:
    from langchain_azoai import AzureChatOpenAI
    from tests.langchain._wire import auto

    model = AzureChatOpenAI(**model_kwargs(FakeAzure(auto(["a", "b"]))))
    chunks = list(model.stream("hi"))
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c  # type: ignore[assignment]
    assert _shape(merged.response_metadata["routing"]) == [
        {"attempt": 1, "target": "res.openai.azure.com", "status": 200, "region": "Sweden Central", "outcome": "ok"}
    ]


def test_llamaindex_instrumentation_event_carries_the_routing_trace() -> None:
    from llamaindex_azoai import AzureOpenAI

    fake = _busy_once()
    llm = AzureOpenAI(
        engine="gpt-4o",
        azure_endpoint="https://res.openai.azure.com",
        api_key="test-key",
        api_version="2024-10-21",
        max_retries=1,
        http_client=fake.client(),
        async_http_client=fake.aclient(),
    )
    with _events(LLMChatEndEvent) as seen:
        response = llm.chat([ChatMessage(role="user", content="hi")])
    assert _shape(response.additional_kwargs["routing"]) == RETRIED
    [event] = seen
    assert event.response is not None
    assert _shape(event.response.additional_kwargs["routing"]) == RETRIED


def test_llamaindex_embedding_requests_event_carries_the_routing_trace() -> None:
    """LlamaIndex's ``EmbeddingEndEvent`` has no field for it: our own event, in the same span."""
    from llamaindex_azoai import AzureOpenAIEmbedding
    from llamaindex_azoai.events import AzureOpenAIEmbeddingRequestsEvent

    # Azure's embeddings answer shape (REST spec Embeddings_Create): one vector per input
    vector = {"object": "embedding", "index": 0, "embedding": [0.25, -0.5]}
    usage = {"prompt_tokens": 1, "total_tokens": 1}
    answers = [BUSY]
    fake = FakeAzure(
        lambda r: (
            answers.pop()
            if answers
            else FakeAzure.json({"object": "list", "data": [vector], "model": "text-embedding-3-small", "usage": usage})
        )
    )
    embed = AzureOpenAIEmbedding(
        deployment_name="text-embedding-3-small",
        azure_endpoint="https://res.openai.azure.com",
        api_key="test-key",
        api_version="2024-10-21",
        max_retries=1,
        http_client=fake.client(),
        async_http_client=fake.aclient(),
    )
    with _events(AzureOpenAIEmbeddingRequestsEvent) as seen:
        assert embed.get_text_embedding("hi") == [0.25, -0.5]
    [event] = seen
    assert event.model == "text-embedding-3-small"
    [request] = event.requests
    assert _shape(request["routing"]) == RETRIED and request["attempts"] == 2
