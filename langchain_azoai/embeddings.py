"""``AzureOpenAIEmbeddings``: a drop-in for langchain-openai's, on the httpx-native core.

Batching (by input count and by estimated tokens), base64 transfer, ordering and concurrent
async batches are the core's (``CoreClient.embed``); this class maps LangChain's settings onto
it. No tiktoken: nothing is downloaded at run time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from langchain_core.embeddings import Embeddings
from langchain_core.utils.utils import _build_model_kwargs, get_pydantic_field_names
from pydantic import ConfigDict, Field, model_validator

from langchain_azoai._fields import AzureConnectionFields
from shared_core.errors import ConfigurationError

if TYPE_CHECKING:
    from shared_core.client_embeddings import EmbedProgress


class AzureOpenAIEmbeddings(AzureConnectionFields, Embeddings):
    """Azure OpenAI embeddings: same fields and env vars as langchain-openai's.

    Example:
        ```python
        from langchain_azoai import AzureOpenAIEmbeddings

        embed = AzureOpenAIEmbeddings(azure_deployment="text-embedding-3-large")
        vectors = embed.embed_documents(["hello", "goodbye"])
        ```

    Differences that fix upstream defects: a current default api-version (the core's GA
    version, not ``2023-05-15``); ``model`` follows the deployment instead of staying
    ``text-embedding-ada-002``; async batches run concurrently (``max_concurrency``); requests
    use base64 transfer; no tokenizer download.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    deployment: str | None = Field(default=None, alias="azure_deployment")
    """The embeddings deployment (env ``AZURE_OPENAI_DEPLOYMENT``; else ``model``)."""
    model: str | None = None
    """The underlying model (e.g. ``text-embedding-3-small``)."""
    dimensions: int | None = None
    """Output dimensions (text-embedding-3 models)."""
    chunk_size: int = 2048
    """Maximum inputs per request (Azure's limit is 2048; older deployments allow 16)."""
    max_concurrency: int = 4
    """Concurrent requests for async calls (and sync calls over several batches)."""
    embedding_ctx_length: int = 8191
    """Maximum tokens per input."""
    check_embedding_ctx_length: bool = True
    """True: inputs longer than ``embedding_ctx_length`` are split and averaged (as upstream);
    False: they are sent as they are (Azure rejects them with a clear error)."""
    tiktoken_enabled: bool = True
    """Accepted for compatibility: token counts use the core's estimate (no tiktoken)."""
    tiktoken_model_name: str | None = None
    """Accepted for compatibility."""
    allowed_special: Any = None
    disallowed_special: Any = None
    skip_empty: bool = False
    """Accepted for compatibility."""
    show_progress_bar: bool = False
    """Print progress to stderr (tqdm when installed, else a plain line)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    retry_min_seconds: int = 4
    """Accepted for compatibility (retry waits come from Azure's headers and backoff)."""
    retry_max_seconds: int = 20
    """Accepted for compatibility."""
    openai_api_type: str | None = None
    validate_base_url: bool = True
    """Accepted for compatibility; the core validates every endpoint shape."""
    headers: Any = None
    """Accepted for compatibility (use ``default_headers``)."""

    @model_validator(mode="before")
    @classmethod
    def build_extra(cls, values: dict[str, Any]) -> Any:
        """Unknown kwargs go to ``model_kwargs`` with a warning, as upstream."""
        return _build_model_kwargs(values, get_pydantic_field_names(cls))

    @model_validator(mode="after")
    def _validate_azoai_embeddings(self) -> Self:
        if self.chunk_size < 1:
            raise ConfigurationError(
                f"chunk_size={self.chunk_size}: must be at least 1 (Azure accepts up to 2048).", setting="chunk_size"
            )
        if self.max_concurrency < 1:
            raise ConfigurationError(
                f"max_concurrency={self.max_concurrency}: must be at least 1.", setting="max_concurrency"
            )
        return self

    def _deployment_for_core(self) -> str | None:
        return self.deployment

    def _default_deployment_for_core(self) -> str | None:
        # as upstream: without a deployment (argument, pasted URL, env), the model names it
        return self.model

    def _embed_kwargs(self, n: int) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "dimensions": self.dimensions,
            "batch_size": min(self.chunk_size, 2048),
            "max_concurrency": self.max_concurrency,
            "on_too_long": "split" if self.check_embedding_ctx_length else "error",
        }
        # no ``model=`` here: for the core that names the deployment to call, and the deployment
        # is already the target's (``model`` only stands in for it when none is set)
        if self.show_progress_bar:
            kw["progress"] = _progress_reporter(n)
        return kw

    def embed_documents(self, texts: list[str], chunk_size: int | None = None, **kwargs: Any) -> list[list[float]]:
        """Embed texts, in input order."""
        if not texts:
            return []
        kw = self._embed_kwargs(len(texts))
        if chunk_size:
            kw["batch_size"] = min(chunk_size, 2048)
        kw.update(kwargs)
        return self._client().embed(list(texts), **kw).vectors

    async def aembed_documents(
        self, texts: list[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """Embed texts, batches concurrently (bounded by ``max_concurrency``), in input order."""
        if not texts:
            return []
        kw = self._embed_kwargs(len(texts))
        if chunk_size:
            kw["batch_size"] = min(chunk_size, 2048)
        kw.update(kwargs)
        return (await self._client().aembed(list(texts), **kw)).vectors

    def embed_query(self, text: str, **kwargs: Any) -> list[float]:
        """Embed one text."""
        return self.embed_documents([text], **kwargs)[0]

    async def aembed_query(self, text: str, **kwargs: Any) -> list[float]:
        """Embed one text."""
        return (await self.aembed_documents([text], **kwargs))[0]


def _progress_reporter(total: int) -> Callable[[int, int, EmbedProgress], None]:
    """A progress callback: tqdm when importable, else one rewritten line on stderr; both show the
    throughput and what the deployment's budget has left."""
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=total, desc="Embedding", unit="text")

        def update_bar(done: int, total_: int, stats: EmbedProgress) -> None:
            bar.n = done
            bar.set_postfix_str(_rates(stats), refresh=False)
            bar.refresh()
            if done >= total_:
                bar.close()

        return update_bar

    def update_line(done: int, total_: int, stats: EmbedProgress) -> None:
        pct = 100 * done // max(total_, 1)
        end = "\n" if done >= total_ else ""
        sys.stderr.write(f"\rEmbedding: {done}/{total_} texts ({pct}%) {stats.elapsed:.1f}s, {_rates(stats)}{end}")
        sys.stderr.flush()

    return update_line


def _rates(stats: EmbedProgress) -> str:
    out = f"{stats.texts_per_second:.0f} texts/s, {stats.tokens_per_second:.0f} tokens/s, {stats.concurrency} at once"
    if stats.remaining_tokens is not None:
        out += f", {stats.remaining_tokens} tokens left"
    elif stats.remaining_requests is not None:
        out += f", {stats.remaining_requests} requests left"
    return out
