"""``AzureDallEAPIWrapper``: image generation (DALL-E 3, gpt-image-1) with the chat model's settings.

Shaped like langchain-community's ``DallEAPIWrapper`` (``run(prompt) -> str`` of image URLs,
joined by ``separator``), on the azoai core: the same connection fields, env vars, retries and
typed errors as ``AzureChatOpenAI``. ``generate`` returns the full ``ImageResult`` (revised
prompts, filter results, base64 data). Agents use it through ``AzureOpenAIImageTool``.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, ConfigDict, Field

from langchain_azoai._fields import AzureConnectionFields
from shared_core.wire.media import ImageResult


class AzureDallEAPIWrapper(AzureConnectionFields):
    """Generate images with an Azure OpenAI image deployment.

    Example:
        ```python
        from langchain_azoai.images import AzureDallEAPIWrapper

        dalle = AzureDallEAPIWrapper(azure_deployment="gpt-image-1", size="1536x1024")
        url = dalle.run("a lighthouse at dusk, watercolour")
        ```

    ``size``, ``quality`` and ``style`` left as None use the model's defaults; values the
    deployment's model cannot take (when its name says which model it is) raise
    ``ConfigurationError`` before any request.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    deployment: str = Field(
        default="gpt-image-1",
        validation_alias=AliasChoices("azure_deployment", "deployment_name", "deployment"),
    )
    """The image deployment (default ``gpt-image-1``, named after its model; dall-e-3 retired 2026-03-04)."""
    n: int = 1
    """Images per request (dall-e-3 makes one)."""
    size: str | None = None
    """``1024x1024``, ``1792x1024``, ``1024x1792`` (dall-e-3); ``1536x1024``, ... (gpt-image-1)."""
    quality: str | None = None
    """``standard`` or ``hd`` (dall-e-3); ``low``, ``medium``, ``high`` (gpt-image-1)."""
    style: str | None = None
    """``vivid`` or ``natural`` (dall-e-3 only)."""
    response_format: str | None = None
    """``url`` (links valid for 24 hours) or ``b64_json``; gpt-image-1 always returns base64."""
    separator: str = "\n"
    """Between image URLs in ``run``'s answer."""
    user: str | None = None

    def _deployment_for_core(self) -> str | None:
        return self.deployment

    def _options(self, overrides: dict[str, Any]) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "n": self.n,
            "size": self.size,
            "quality": self.quality,
            "style": self.style,
            "response_format": self.response_format,
            "user": self.user,
        }
        kw.update(overrides)
        return kw

    def generate(self, prompt: str, **kwargs: Any) -> ImageResult:
        """The full result: images (URL or base64), revised prompts, filter results, metadata.
        ``kwargs`` override the fields for this call (``size=...``)."""
        from shared_core.services.media_client import generate_image

        return generate_image(self._client(), prompt, **self._options(kwargs))

    async def agenerate(self, prompt: str, **kwargs: Any) -> ImageResult:
        """Async :meth:`generate`."""
        from shared_core.services.media_client import agenerate_image

        return await agenerate_image(self._client(), prompt, **self._options(kwargs))

    def run(self, query: str) -> str:
        """The image URLs for ``query``, joined by ``separator`` (as ``DallEAPIWrapper.run``)."""
        from shared_core.services.media_client import image_answer

        return image_answer(self.generate(query), separator=self.separator)

    async def arun(self, query: str) -> str:
        """Async :meth:`run`."""
        from shared_core.services.media_client import image_answer

        return image_answer(await self.agenerate(query), separator=self.separator)


__all__ = ["AzureDallEAPIWrapper"]
