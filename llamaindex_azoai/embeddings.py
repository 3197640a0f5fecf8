"""``AzureOpenAIEmbedding``: a LlamaIndex ``BaseEmbedding`` on the azoai core.

Drop-in for ``llama_index.embeddings.azure_openai.AzureOpenAIEmbedding``. Differences that are
fixes: any deployment/model name is accepted (no fixed model enum), inputs are sent unchanged (no
``"\\n"`` -> ``" "`` rewrite), batches follow Azure's per-request limits (inputs and tokens, planned
by the core), vectors travel as base64, ``timeout`` / ``max_retries`` are honoured (one retry
layer), and async batches run with bounded concurrency (``num_workers``, default 4) instead of all
at once.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.callbacks.base import CallbackManager

from shared_core.errors import ConfigurationError

from ._settings import AzureConnection, CoreClientOwner, first_of
from .events import report_requests

if TYPE_CHECKING:
    pass

#: Default inputs per request. Azure accepts up to 2048 (and a token budget the core enforces);
#: the anchors' 10 makes ingestion needlessly chatty.
DEFAULT_AZURE_EMBED_BATCH_SIZE = 256
#: Requests in flight at once for async batches when ``num_workers`` is not set.
DEFAULT_MAX_CONCURRENCY = 4


class AzureOpenAIEmbedding(CoreClientOwner, BaseEmbedding, AzureConnection):
    """Azure OpenAI embeddings deployments for LlamaIndex.

    ``azure_deployment`` (alias ``deployment_name``) names the deployment; when omitted, ``model``
    is used as the deployment name, as the anchors do. ``model`` is free-form.

    Examples:
        ```python
        from llamaindex_azoai import AzureOpenAIEmbedding

        embed_model = AzureOpenAIEmbedding(
            model="text-embedding-3-small",
            deployment_name="my-embeddings",
            api_key="...",
            azure_endpoint="https://my-resource.openai.azure.com/",
            api_version="2024-10-21",
        )
        vector = embed_model.get_text_embedding("hello world")
        ```
    """

    model: str = Field(default="text-embedding-ada-002", description="Embedding model (any name).")
    azure_deployment: str | None = Field(default=None, description="The deployment name.")
    dimensions: int | None = Field(default=None, gt=0, description="Output dimensions (text-embedding-3).")
    additional_kwargs: dict[str, Any] = Field(default_factory=dict, description="Kept for compatibility.")
    mode: str = Field(default="text_search", description="Kept for compatibility (legacy models only).")
    on_too_long: str = Field(
        default="error",
        description="An input over the model's token limit: 'error' (typed error naming it), "
        "'split' (embed the parts and average) or 'truncate'.",
    )
    max_retries: int = Field(default=10, ge=0, description="Retries after the first attempt (one layer).")

    _semaphores: Any = PrivateAttr(default=None)

    def __init__(
        self,
        mode: str = "text_search",
        model: str = "text-embedding-ada-002",
        embed_batch_size: int = DEFAULT_AZURE_EMBED_BATCH_SIZE,
        dimensions: int | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        api_key: str | None = None,
        api_version: str | None = None,
        api_base: str | None = None,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        azure_ad_token_provider: Callable[[], Any] | None = None,
        use_azure_ad: bool = False,
        deployment_name: str | None = None,
        max_retries: int = 10,
        reuse_client: bool = True,
        callback_manager: CallbackManager | None = None,
        num_workers: int | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        **kwargs: Any,
    ) -> None:
        model = str(getattr(model, "value", model))  # the anchors' enum members work too
        additional_kwargs = dict(additional_kwargs or {})
        if dimensions is None and "dimensions" in additional_kwargs:
            dimensions = additional_kwargs.pop("dimensions")
        kwargs.setdefault("model_name", model)
        # one dict: mypy checks the call against BaseEmbedding alone, not the AzureConnection mixin
        fields: dict[str, Any] = dict(
            mode=mode,
            model=model,
            embed_batch_size=embed_batch_size,
            dimensions=dimensions,
            additional_kwargs=additional_kwargs,
            api_key=api_key,
            api_version=api_version,
            api_base=api_base,
            azure_endpoint=azure_endpoint,
            azure_deployment=first_of(azure_deployment, deployment_name),
            azure_ad_token_provider=azure_ad_token_provider,
            use_azure_ad=use_azure_ad,
            max_retries=max_retries,
            reuse_client=reuse_client,
            callback_manager=callback_manager,
            num_workers=num_workers,
            **kwargs,
        )
        super().__init__(**fields)
        if self.on_too_long not in ("error", "split", "truncate"):
            raise ConfigurationError(
                f"on_too_long={self.on_too_long!r} is not one of 'error', 'split', 'truncate'",
                setting="on_too_long",
            )
        self._http_client = http_client
        self._async_http_client = async_http_client

    @classmethod
    def class_name(cls) -> str:
        return "AzureOpenAIEmbedding"

    @property
    def deployment(self) -> str:
        """The deployment that serves the calls (``azure_deployment``, else ``model``)."""
        return self.azure_deployment or self.model

    def _core_deployment(self) -> str | None:
        return self.azure_deployment

    def _core_default_deployment(self) -> str | None:
        # the model names the deployment only when nothing else does (argument, pasted URL, env)
        return self.model

    @property
    def max_concurrency(self) -> int:
        return self.num_workers if self.num_workers and self.num_workers > 0 else DEFAULT_MAX_CONCURRENCY

    def _semaphore(self) -> asyncio.Semaphore:
        """One semaphore per event loop bounds requests in flight across concurrent batches."""
        if self._semaphores is None:
            self._semaphores = weakref.WeakKeyDictionary()
        loop = asyncio.get_running_loop()
        sem: asyncio.Semaphore | None = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.max_concurrency)
        return sem

    def _embed_kwargs(self) -> dict[str, Any]:
        return dict(
            dimensions=self.dimensions,
            batch_size=self.embed_batch_size,
            max_concurrency=self.max_concurrency,
            on_too_long=self.on_too_long,
        )

    def _embed(self, texts: list[str]) -> list[Embedding]:
        result = self._client().embed(texts, **self._embed_kwargs())
        report_requests(result)
        return result.vectors

    async def _aembed(self, texts: list[str]) -> list[Embedding]:
        async with self._semaphore():
            result = await self._client().aembed(texts, **self._embed_kwargs())
        report_requests(result)
        return result.vectors

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aembed([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aembed([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self._aembed(texts)
