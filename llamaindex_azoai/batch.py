"""Bulk embeddings through Azure's Batch API, as a LlamaIndex embedding model.

``AzureOpenAIBatchEmbedding.get_text_embedding_batch`` (what ``VectorStoreIndex`` and
``IngestionPipeline`` call for nodes) sends all its texts as one resumable batch job
(``shared_core.services.batch_runner``) instead of ``embed_batch_size`` interactive requests, with
one embedding event around the job; queries stay interactive on ``azure_deployment``. The job's ids
are on ``last_batch_ids``. Everything but the field mapping is the core's.
"""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.base.embeddings.base import Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.callbacks.schema import CBEventType, EventPayload
from llama_index.core.instrumentation.events.embedding import EmbeddingEndEvent, EmbeddingStartEvent
from llama_index_instrumentation import get_dispatcher

from shared_core.services.batch_bodies import abatch_embed, batch_embed, counted
from shared_core.services.batch_manifest import FileManifestStore, ManifestStore, MemoryManifestStore
from shared_core.services.batch_results import BatchJobResult
from shared_core.services.batch_runner import BatchRunner

from .embeddings import AzureOpenAIEmbedding

dispatcher = get_dispatcher(__name__)


def _tqdm_progress(total: int) -> Any:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    bar = tqdm(total=total, desc="Generating embeddings (batch)")

    def update(done: int, total_: int) -> None:
        bar.n = done
        bar.refresh()
        if done >= total_:
            bar.close()

    return counted(update)


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

    _batch_store: Any = PrivateAttr(default=None)
    _last_batch: BatchJobResult | None = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "AzureOpenAIBatchEmbedding"

    @property
    def last_batch_ids(self) -> list[str]:
        """The batch ids of the last bulk call (empty before one)."""
        return list(self._last_batch.batch_ids) if self._last_batch is not None else []

    def _store(self) -> ManifestStore:
        if self.batch_manifest_dir:
            return FileManifestStore(self.batch_manifest_dir)
        if self._batch_store is None:
            self._batch_store = MemoryManifestStore()
        store: ManifestStore = self._batch_store
        return store

    def _runner(self, n: int, show_progress: bool) -> BatchRunner:
        return BatchRunner(
            self._client(),
            self.batch_deployment or self.deployment,
            endpoint="/embeddings",
            store=self._store(),
            on_failure=self.batch_on_failure,
            poll_interval=self.batch_poll_interval,
            timeout=self.batch_timeout,
            progress=_tqdm_progress(n) if show_progress else None,
        )

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
            self._runner(len(texts), show_progress), texts, dimensions=self.dimensions
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
        vectors, self._last_batch = await abatch_embed(runner, texts, dimensions=self.dimensions)
        self._end(event_id, texts, vectors)
        return vectors
