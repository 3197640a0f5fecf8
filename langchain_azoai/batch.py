"""Bulk embeddings through Azure's Batch API, as a LangChain ``Embeddings``.

``AzureOpenAIBatchEmbeddings.embed_documents`` (and so a vector store's ``from_documents`` /
``add_documents``) sends its texts as one resumable batch job (``shared_core.services.batch_runner``:
half the price, its own quota, results within 24 hours); ``embed_query`` stays interactive, on
``azure_deployment`` (a Global-Batch deployment serves no interactive calls). The job's ids are on
``last_batch_ids`` after each call. :func:`batch_chat` / :func:`abatch_chat` run a list of chat
inputs the same way and return ``AIMessage``s in order. Everything but the field mapping is the core's.

Progress, as LangChain users look for it: an INFO line on the ``langchain_azoai.batch`` logger after
each poll that changed the counts (completed, failed, elapsed, ETA), an ``on_custom_event`` named
``azoai_batch_progress`` to the callback handlers (``callbacks=``, or the run this is called in),
and a tqdm bar with ``show_progress_bar`` / ``show_progress`` when tqdm is installed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.callbacks import Callbacks
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from pydantic import Field, PrivateAttr

from langchain_azoai.chat_models import AzureChatOpenAI
from langchain_azoai.embeddings import AzureOpenAIEmbeddings
from shared_core.services.batch_bodies import (
    abatch_embed,
    batch_embed,
    chat_requests,
    chat_results,
    require_complete,
)
from shared_core.services.batch_manifest import ManifestStore, MemoryManifestStore, manifest_store
from shared_core.services.batch_plan import BatchLimits
from shared_core.services.batch_progress import ProgressFn, bar_progress, fan_out, log_progress, progress_data
from shared_core.services.batch_results import BatchJobResult
from shared_core.services.batch_runner import BatchRunner

logger = logging.getLogger(__name__)
#: The ``on_custom_event`` name of a batch job's progress (data: ``progress_data``'s dict).
PROGRESS_EVENT = "azoai_batch_progress"


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
    batch_limits: BatchLimits | None = Field(default=None, exclude=True)
    """Requests and bytes per input file, and the deployment's enqueued-token quota (default:
    Azure's file limits, no token cap)."""
    callbacks: Callbacks = Field(default=None, exclude=True)
    """Handlers that receive the ``azoai_batch_progress`` custom event of each bulk call."""
    batch_blob: Any = Field(default=None, exclude=True)
    """A ``shared_core.services.blob_storage.BlobStorage``: input and results in Blob storage
    (``input_blob`` / ``output_folder``) instead of uploaded files (default: files)."""

    _batch_store: MemoryManifestStore = PrivateAttr(default_factory=MemoryManifestStore)
    _last_batch: BatchJobResult | None = PrivateAttr(default=None)

    @property
    def last_batch_ids(self) -> list[str]:
        """The batch ids of the last bulk call (empty before one)."""
        return list(self._last_batch.batch_ids) if self._last_batch is not None else []

    def _store(self) -> ManifestStore:
        return manifest_store(self.batch_manifest_dir, self._batch_store)

    def _runner(self, n: int, **options: Any) -> BatchRunner:
        deployment = self.batch_deployment or self.deployment or self.model or ""
        progress = _progress(n, "Embedding (batch)", self.show_progress_bar, self.callbacks)
        kw: dict[str, Any] = {
            "endpoint": "/embeddings",
            "store": self._store(),
            "on_failure": self.batch_on_failure,
            "limits": self.batch_limits,
            "poll_interval": self.batch_poll_interval,
            "timeout": self.batch_timeout,
            "progress": progress,
            "blob": self.batch_blob,
            **options,
        }
        return BatchRunner(self._client(), deployment, **kw)

    def embed_documents(self, texts: list[str], chunk_size: int | None = None, **kwargs: Any) -> list[list[float]]:
        """Embed texts through one batch job (resumed when the same texts were submitted before)."""
        if len(texts) < self.batch_min_texts:
            return super().embed_documents(texts, chunk_size, **kwargs)
        runner = self._runner(len(texts), **kwargs)
        vectors, self._last_batch = batch_embed(runner, texts, dimensions=self.dimensions, on_too_long=self._too_long())
        return vectors

    def _too_long(self) -> Literal["split", "error"]:
        # the interactive path's rule (``_embed_kwargs``), so a long text's vector equals its interactive one
        return "split" if self.check_embedding_ctx_length else "error"

    async def aembed_documents(
        self, texts: list[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """Async :meth:`embed_documents`."""
        if len(texts) < self.batch_min_texts:
            return await super().aembed_documents(texts, chunk_size, **kwargs)
        runner = self._runner(len(texts), **kwargs)
        vectors, self._last_batch = await abatch_embed(
            runner, texts, dimensions=self.dimensions, on_too_long=self._too_long()
        )
        return vectors


def _events(callbacks: Callbacks) -> ProgressFn | None:
    """``on_custom_event`` to the given handlers, or to those of the run this is called in."""
    from langchain_core.runnables.config import ensure_config, get_callback_manager_for_config

    config = ensure_config({"callbacks": callbacks} if callbacks is not None else None)
    manager = get_callback_manager_for_config(config)
    if not manager.handlers:
        return None
    run_id = manager.parent_run_id or uuid.uuid4()  # one id for the whole job, so handlers can join its events
    return lambda p: manager.on_custom_event(PROGRESS_EVENT, progress_data(p), run_id=run_id)


def _bar(total: int, label: str) -> ProgressFn | None:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # the log line and the events carry the progress
        return None
    return bar_progress(tqdm(total=total, desc=label))


def _progress(total: int, label: str, bar: bool, callbacks: Callbacks) -> ProgressFn | None:
    return fan_out(log_progress(logger, label), _events(callbacks), _bar(total, label) if bar else None)


def _chat_job(
    model: AzureChatOpenAI, inputs: Sequence[LanguageModelInput], options: Mapping[str, Any], kwargs: dict[str, Any]
) -> tuple[BatchRunner, list[dict[str, Any]], Any]:
    """The runner and bodies for a list of chat inputs (each built exactly as ``invoke`` builds it)."""
    reqs, schema = [], None
    for item in inputs:
        req, _call, schema = model._build_request(model._convert_input(item).to_messages(), None, False, dict(kwargs))
        reqs.append(req)
    deployment = options.get("batch_deployment") or model.deployment_name or model.model_name or ""
    store = options.get("store") or manifest_store(options.get("manifest_dir"))
    own = ("batch_deployment", "manifest_dir", "show_progress", "callbacks")
    runner_kw = {k: v for k, v in options.items() if k not in own}
    runner_kw["store"] = store
    shown = _progress(len(reqs), "Batch chat", bool(options.get("show_progress")), options.get("callbacks"))
    runner_kw["progress"] = fan_out(options.get("progress"), shown)
    runner = BatchRunner(model._client(), deployment, endpoint="/chat/completions", **runner_kw)
    return runner, chat_requests(reqs, deployment=deployment), schema


def _messages(
    model: AzureChatOpenAI, result: BatchJobResult, schema: Any, allow_partial: bool
) -> list[AIMessage | None]:
    if not allow_partial:
        require_complete(result)
    out: list[AIMessage | None] = []
    for item, parsed in zip(result.items, chat_results(result), strict=True):
        if parsed is None or item is None:
            out.append(None)
            continue
        msg = model._to_chat_result(parsed, schema).generations[0].message
        msg.response_metadata.update(batch_id=item.batch_id, batch_job=result.key)
        out.append(msg)  # type: ignore[arg-type]
    return out


def batch_chat(
    model: AzureChatOpenAI,
    inputs: Sequence[LanguageModelInput],
    *,
    allow_partial: bool = False,
    options: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> list[AIMessage | None]:
    """Run chat inputs (prompts or message lists) through the Batch API; ``AIMessage``s in order.

    ``kwargs`` are what ``invoke`` takes (``tools``, ``tool_choice``, ``response_format``, ...).
    ``options``: ``batch_deployment`` (Global-Batch; default the model's deployment), ``manifest_dir``
    (resume after a crash), ``show_progress`` (a tqdm bar), ``callbacks`` (handlers of the
    ``azoai_batch_progress`` event; default: the enclosing run's), and any ``BatchRunner`` argument (e.g.
    ``blob=BlobStorage(...)`` for input and results in Blob storage)
    (``on_failure``, ``poll_interval``, ``timeout``, ``progress``, ...). Each message's
    ``response_metadata`` carries ``batch_id`` and ``batch_job``. Unless ``allow_partial``, requests
    without an answer raise ``BatchIncompleteError`` (its ``result`` holds the rest); with it they are ``None``.
    """
    runner, bodies, schema = _chat_job(model, inputs, options or {}, kwargs)
    return _messages(model, runner.run(bodies), schema, allow_partial)


async def abatch_chat(
    model: AzureChatOpenAI,
    inputs: Sequence[LanguageModelInput],
    *,
    allow_partial: bool = False,
    options: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> list[AIMessage | None]:
    """Async :func:`batch_chat`."""
    runner, bodies, schema = _chat_job(model, inputs, options or {}, kwargs)
    return _messages(model, await runner.arun(bodies), schema, allow_partial)
