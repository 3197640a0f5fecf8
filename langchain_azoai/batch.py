"""Bulk embeddings through Azure's Batch API, as a LangChain ``Embeddings``.

``AzureOpenAIBatchEmbeddings.embed_documents`` (and so a vector store's ``from_documents`` /
``add_documents``) sends its texts as one resumable batch job (``shared_core.services.batch_runner``:
half the price, its own quota, results within 24 hours); ``embed_query`` stays interactive, on
``azure_deployment`` (a Global-Batch deployment serves no interactive calls). The job's ids are on
``last_batch_ids`` after each call. Everything but the field mapping is the core's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr

from langchain_azoai.embeddings import AzureOpenAIEmbeddings, _progress_reporter
from shared_core.services.batch_bodies import abatch_embed, batch_embed, counted
from shared_core.services.batch_manifest import FileManifestStore, ManifestStore, MemoryManifestStore
from shared_core.services.batch_results import BatchJobResult
from shared_core.services.batch_runner import BatchRunner


class AzureOpenAIBatchEmbeddings(AzureOpenAIEmbeddings):
    """``AzureOpenAIEmbeddings`` whose bulk calls go through the Batch API.

    Example:
        ```python
        from langchain_azoai.batch import AzureOpenAIBatchEmbeddings

        embed = AzureOpenAIBatchEmbeddings(
            azure_deployment="text-embedding-3-small",          # queries
            batch_deployment="text-embedding-3-small-batch",    # bulk (Global-Batch)
            batch_manifest_dir=".azoai-batches",                # resume after a crash
        )
        store = FAISS.from_documents(docs, embed)
        ```
    """

    batch_deployment: str | None = None
    """The Global-Batch deployment for bulk calls (default: the interactive deployment)."""
    batch_manifest_dir: str | None = None
    """Directory of the job manifests that make a restarted process resume instead of paying twice
    (default: kept in memory, so only this object resumes)."""
    batch_min_texts: int = Field(default=2, ge=1)
    """Fewer texts than this go through the interactive path."""
    batch_poll_interval: float = Field(default=30.0, gt=0)
    batch_timeout: float = Field(default=2 * 86400.0, gt=0)
    """Seconds to wait for the job; past it ``APITimeoutError`` (the batches keep running)."""
    batch_on_failure: Literal["retry", "interactive", "report"] = "retry"
    """Failed lines: retried in follow-up batches, sent interactively, or reported (an error)."""

    _batch_store: Any = PrivateAttr(default=None)
    _last_batch: BatchJobResult | None = PrivateAttr(default=None)

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

    def _runner(self, n: int, **options: Any) -> BatchRunner:
        deployment = self.batch_deployment or self.deployment or self.model or ""
        progress = counted(_progress_reporter(n)) if self.show_progress_bar else None
        kw: dict[str, Any] = {
            "endpoint": "/embeddings",
            "store": self._store(),
            "on_failure": self.batch_on_failure,
            "poll_interval": self.batch_poll_interval,
            "timeout": self.batch_timeout,
            "progress": progress,
            **options,
        }
        return BatchRunner(self._client(), deployment, **kw)

    def embed_documents(self, texts: list[str], chunk_size: int | None = None, **kwargs: Any) -> list[list[float]]:
        """Embed texts through one batch job (resumed when the same texts were submitted before)."""
        if len(texts) < self.batch_min_texts:
            return super().embed_documents(texts, chunk_size, **kwargs)
        vectors, self._last_batch = batch_embed(self._runner(len(texts), **kwargs), texts, dimensions=self.dimensions)
        return vectors

    async def aembed_documents(
        self, texts: list[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """Async :meth:`embed_documents`."""
        if len(texts) < self.batch_min_texts:
            return await super().aembed_documents(texts, chunk_size, **kwargs)
        runner = self._runner(len(texts), **kwargs)
        vectors, self._last_batch = await abatch_embed(runner, texts, dimensions=self.dimensions)
        return vectors
