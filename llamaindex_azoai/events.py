"""Instrumentation events of our own, for what LlamaIndex's events have no field for (imported
from here, as LlamaIndex's own events are from ``llama_index.core.instrumentation.events``).

LlamaIndex's ``EmbeddingEndEvent`` carries chunks and vectors only; the routing trace of an
embedding call (attempts, targets, waits, the region that answered) goes out as
:class:`AzureOpenAIEmbeddingRequestsEvent`, inside the same span, to the same event handlers.
Chat calls need none: their ``ChatResponse.additional_kwargs`` (which ``LLMChatEndEvent`` holds)
carries the same facts.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.instrumentation.events import BaseEvent
from llama_index_instrumentation import get_dispatcher

from shared_core.types import EmbeddingResult

dispatcher = get_dispatcher(__name__)


class AzureOpenAIEmbeddingRequestsEvent(BaseEvent):
    """The HTTP requests one embedding call took: per request, what ``ChatResponse.additional_kwargs``
    says of a chat call (``request_id``, ``region``, ``azure_target``, ``deployment``, ``ratelimit``,
    ``attempts``, ``routing``)."""

    model: str
    requests: list[dict[str, Any]]

    @classmethod
    def class_name(cls) -> str:
        return "AzureOpenAIEmbeddingRequestsEvent"


def report_requests(result: EmbeddingResult) -> None:
    """Send the event for one embedding call's result."""
    dispatcher.event(AzureOpenAIEmbeddingRequestsEvent(model=result.model, requests=[m.facts() for m in result.metas]))


__all__ = ["AzureOpenAIEmbeddingRequestsEvent", "report_requests"]
