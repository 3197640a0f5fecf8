"""Bulk embeddings through Azure's Batch API, as a LlamaIndex embedding model.

``AzureOpenAIBatchEmbedding.get_text_embedding_batch`` (what ``VectorStoreIndex`` and
``IngestionPipeline`` call for nodes) sends all its texts as one resumable batch job
(``shared_core.services.batch_runner``) instead of ``embed_batch_size`` interactive requests, with
one embedding event around the job; queries stay interactive on ``azure_deployment``. The job's ids
are on ``last_batch_ids``. :func:`batch_chat` / :func:`abatch_chat` run a list of conversations the
same way and return ``ChatResponse``s in order. Everything but the field mapping is the core's.

``show_progress`` is honoured as LlamaIndex honours it (``get_tqdm_iterable``): a ``tqdm.auto`` bar,
"Generating embeddings" for nodes, counting requests completed and failed; nothing when False.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from llama_index.core.base.embeddings.base import Embedding
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr
from llama_index.core.callbacks.schema import CBEventType, EventPayload
from llama_index.core.instrumentation.events.embedding import EmbeddingEndEvent, EmbeddingStartEvent
from llama_index.core.utils import get_tqdm_iterable
from llama_index_instrumentation import get_dispatcher

from shared_core.errors import ConfigurationError
from shared_core.services.batch_bodies import (
    abatch_embed,
    batch_embed,
    chat_requests,
    chat_results,
    require_complete,
)
from shared_core.services.batch_manifest import ManifestStore, MemoryManifestStore, manifest_store
from shared_core.services.batch_plan import BatchLimits
from shared_core.services.batch_progress import ProgressFn, bar_progress, fan_out
from shared_core.services.batch_results import BatchJobResult
from shared_core.services.batch_runner import BatchRunner
from shared_core.wire.embeddings import OnTooLong

from .embeddings import AzureOpenAIEmbedding
from .inputs import output_class
from .llms import AzureOpenAI
from .request_builder import chat_request

dispatcher = get_dispatcher(__name__)


def _bar(total: int, desc: str, show_progress: bool) -> ProgressFn | None:
    """LlamaIndex's own progress bar (``get_tqdm_iterable``, as ``BaseEmbedding`` draws it for the
    same step): a tqdm bar when ``show_progress`` and tqdm is installed, else nothing."""
    bar = get_tqdm_iterable(range(total), show_progress, desc, total=total)
    return bar_progress(bar) if hasattr(bar, "set_postfix") else None


class AzureOpenAIBatchEmbedding(AzureOpenAIEmbedding):
    """``AzureOpenAIEmbedding`` whose batch calls go through the Batch API.

    Examples:
        ```python
        from llamaindex_azoai.batch import AzureOpenAIBatchEmbedding

        embed_model = AzureOpenAIBatchEmbedding(
            azure_deployment="text-embedding-3-small",        # queries
            batch_deployment="text-embedding-3-small-batch",  # ingestion (Global-Batch)
            batch_manifest_dir=".azoai-batches",              # resume after a crash
        )
        index = VectorStoreIndex.from_documents(docs, embed_model=embed_model)
        ```
    """

    batch_deployment: str | None = Field(default=None, description="The Global-Batch deployment for bulk calls.")
    batch_manifest_dir: str | None = Field(
        default=None, description="Directory of job manifests (resume after a crash); default in memory."
    )
    batch_min_texts: int = Field(default=2, ge=1, description="Fewer texts go through the interactive path.")
    batch_poll_interval: float = Field(default=30.0, gt=0, description="Seconds between polls.")
    batch_timeout: float = Field(default=2 * 86400.0, gt=0, description="Seconds to wait for the job.")
    batch_on_failure: Literal["retry", "interactive", "report"] = Field(
        default="retry", description="Failed lines: retried in follow-up batches, sent interactively, or reported."
    )
    batch_keep_files: bool = Field(
        default=False,
        description="Leave the job's input, output and error files (and its manifest) on Azure once joined; "
        "default: deleted (Azure caps files per resource).",
    )
    batch_blob: Any = Field(
        default=None,
        exclude=True,
        description="A BlobStorage: input and results in Blob storage (input_blob / output_folder), not files.",
    )

    batch_limits: BatchLimits | None = Field(
        default=None,
        exclude=True,
        description="Requests and bytes per input file and the enqueued-token quota (default: Azure's file limits).",
    )

    _batch_store: MemoryManifestStore = PrivateAttr(default_factory=MemoryManifestStore)
    _last_batch: BatchJobResult | None = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "AzureOpenAIBatchEmbedding"

    @property
    def last_batch_ids(self) -> list[str]:
        """The batch ids of the last bulk call (empty before one)."""
        return list(self._last_batch.batch_ids) if self._last_batch is not None else []

    def _store(self) -> ManifestStore:
        return manifest_store(self.batch_manifest_dir, self._batch_store)

    def _runner(self, n: int, show_progress: bool) -> BatchRunner:
        return BatchRunner(
            self._client(),
            self.batch_deployment or self.deployment,
            endpoint="/embeddings",
            store=self._store(),
            on_failure=self.batch_on_failure,
            limits=self.batch_limits,
            poll_interval=self.batch_poll_interval,
            timeout=self.batch_timeout,
            progress=_bar(n, "Generating embeddings", show_progress),
            blob=self.batch_blob,
            keep_files=self.batch_keep_files,
        )

    def _too_long(self) -> OnTooLong:
        return cast("OnTooLong", self.on_too_long)  # checked in __init__, as the interactive path uses it

    def _start(self) -> tuple[dict[str, Any], str]:
        model_dict = self.to_payload()
        dispatcher.event(EmbeddingStartEvent(model_dict=model_dict))
        event_id = self.callback_manager.on_event_start(
            CBEventType.EMBEDDING, payload={EventPayload.SERIALIZED: model_dict}
        )
        return model_dict, event_id

    def _end(self, event_id: str, texts: list[str], vectors: list[Embedding]) -> None:
        dispatcher.event(EmbeddingEndEvent(chunks=texts, embeddings=vectors))
        self.callback_manager.on_event_end(
            CBEventType.EMBEDDING,
            payload={EventPayload.CHUNKS: texts, EventPayload.EMBEDDINGS: vectors},
            event_id=event_id,
        )

    def get_text_embedding_batch(self, texts: list[str], show_progress: bool = False, **kwargs: Any) -> list[Embedding]:
        """All ``texts`` in one batch job (resumed when the same texts were submitted before)."""
        if len(texts) < self.batch_min_texts:
            return super().get_text_embedding_batch(texts, show_progress, **kwargs)
        _payload, event_id = self._start()
        vectors, self._last_batch = batch_embed(
            self._runner(len(texts), show_progress), texts, dimensions=self.dimensions, on_too_long=self._too_long()
        )
        self._end(event_id, texts, vectors)
        return vectors

    async def aget_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """Async :meth:`get_text_embedding_batch`."""
        if len(texts) < self.batch_min_texts:
            return await super().aget_text_embedding_batch(texts, show_progress, **kwargs)
        _payload, event_id = self._start()
        runner = self._runner(len(texts), show_progress)
        vectors, self._last_batch = await abatch_embed(
            runner, texts, dimensions=self.dimensions, on_too_long=self._too_long()
        )
        self._end(event_id, texts, vectors)
        return vectors


def _chat_job(
    llm: AzureOpenAI,
    inputs: Sequence[Sequence[ChatMessage]],
    options: Mapping[str, Any],
    kwargs: dict[str, Any],
    output_cls: type[BaseModel] | None,
) -> tuple[BatchRunner, list[dict[str, Any]]]:
    """The runner and bodies for a list of conversations (each built exactly as ``chat`` builds it)."""
    if output_cls is not None:
        output_class(output_cls)
        if not llm._should_use_structured_outputs():
            raise ConfigurationError(
                f"output_cls needs native structured output (json_schema), which {llm.engine or llm.model!r} at "
                f"api_version {llm.api_version!r} lacks: use a deployment and api_version that support it, or "
                "pass tools and read the tool calls",
                setting="output_cls",
            )
        kwargs = llm._prepare_schema(kwargs, output_cls)
    reqs = [chat_request(llm, list(messages), False, dict(kwargs))[0] for messages in inputs]
    deployment = options.get("batch_deployment") or llm.engine or llm.azure_deployment or llm.model or ""
    store = options.get("store") or manifest_store(options.get("manifest_dir"))
    runner_kw = {k: v for k, v in options.items() if k not in ("batch_deployment", "manifest_dir", "show_progress")}
    runner_kw["store"] = store
    shown = _bar(len(reqs), "Batch chat", bool(options.get("show_progress")))
    runner_kw["progress"] = fan_out(options.get("progress"), shown)
    runner = BatchRunner(llm._client(), deployment, endpoint="/chat/completions", **runner_kw)
    return runner, chat_requests(reqs, deployment=deployment)


def _responses(
    llm: AzureOpenAI, result: BatchJobResult, allow_partial: bool, output_cls: type[BaseModel] | None
) -> list[ChatResponse | None]:
    if not allow_partial:
        require_complete(result)
    out: list[ChatResponse | None] = []
    for item, parsed in zip(result.items, chat_results(result), strict=True):
        if parsed is None or item is None:
            out.append(None)
            continue
        response = llm._chat_result(parsed)
        response.additional_kwargs.update(batch_id=item.batch_id, batch_job=result.key)
        if output_cls is not None:  # as StructuredLLM.chat answers: the object in ``raw``
            response.raw = llm._parse_structured(output_cls, response)
        out.append(response)
    return out


def batch_chat(
    llm: AzureOpenAI,
    inputs: Sequence[Sequence[ChatMessage]],
    *,
    allow_partial: bool = False,
    options: Mapping[str, Any] | None = None,
    output_cls: type[BaseModel] | None = None,
    **kwargs: Any,
) -> list[ChatResponse | None]:
    """Run conversations through the Batch API; ``ChatResponse``s in order.

    ``kwargs`` are what ``chat`` takes (``tools``, ``tool_choice``, ``response_format``, ...).
    ``options``: ``batch_deployment`` (Global-Batch; default the LLM's deployment), ``manifest_dir``
    (resume after a crash), ``show_progress`` (a tqdm bar), and any ``BatchRunner`` argument (e.g.
    ``blob=BlobStorage(...)``: input and results in Blob storage). Each
    response's ``additional_kwargs`` carries ``batch_id`` and ``batch_job``. ``output_cls`` (a Pydantic
    model class): structured output as ``structured_predict`` asks for it, the object in each
    response's ``raw`` (as ``StructuredLLM.chat`` returns it). Unless ``allow_partial``,
    requests without an answer raise ``BatchIncompleteError``; with it they are ``None``.
    """
    runner, bodies = _chat_job(llm, inputs, options or {}, kwargs, output_cls)
    return _responses(llm, runner.run(bodies), allow_partial, output_cls)


async def abatch_chat(
    llm: AzureOpenAI,
    inputs: Sequence[Sequence[ChatMessage]],
    *,
    allow_partial: bool = False,
    options: Mapping[str, Any] | None = None,
    output_cls: type[BaseModel] | None = None,
    **kwargs: Any,
) -> list[ChatResponse | None]:
    """Async :func:`batch_chat`."""
    runner, bodies = _chat_job(llm, inputs, options or {}, kwargs, output_cls)
    return _responses(llm, await runner.arun(bodies), allow_partial, output_cls)
