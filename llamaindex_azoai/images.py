"""Image generation for LlamaIndex: ``AzureOpenAIImageGeneration`` and ``AzureOpenAIImageToolSpec``.

The tool spec gives agents a ``generate_image(prompt)`` ``FunctionTool`` (sync and async) that
answers with the image URL, or with the saved file's path when ``save_dir`` is set (base64
images, from gpt-image-1 or ``response_format="b64_json"``, are best saved: a data URL is long).
Connection settings are the LLM's (``AzureConnection``): ``azure_endpoint``, ``api_key``,
``api_version``, Entra ID, retries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.tools.tool_spec.base import BaseToolSpec
from pydantic import AliasChoices

from ._settings import AzureConnection, CoreClientOwner

if TYPE_CHECKING:
    from shared_core.wire.media import ImageResult


class MediaConnection(CoreClientOwner, AzureConnection):
    """An ``AzureConnection`` bound to one deployment, with its core client made on first use."""

    deployment: str = Field(
        default="",
        validation_alias=AliasChoices("azure_deployment", "deployment_name", "deployment"),
        description="The deployment to call.",
    )

    def __init__(self, *, http_client: Any = None, async_http_client: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._http_client = http_client
        self._async_http_client = async_http_client

    def _core_deployment(self) -> str | None:
        return self.deployment


class AzureOpenAIImageGeneration(MediaConnection):
    """Generate images with an Azure OpenAI image deployment (dall-e-3, gpt-image-1).

    Examples:
        ```python
        from llamaindex_azoai.images import AzureOpenAIImageGeneration

        images = AzureOpenAIImageGeneration(azure_deployment="gpt-image-1", size="1536x1024")
        url = images.generate("a lighthouse at dusk").images[0].url
        ```
    """

    deployment: str = Field(
        default="gpt-image-1",
        validation_alias=AliasChoices("azure_deployment", "deployment_name", "deployment"),
        description="The image deployment (default gpt-image-1; dall-e-3 retired 2026-03-04).",
    )
    size: str | None = Field(default=None, description="1024x1024, 1792x1024, 1024x1792 (dall-e-3).")
    quality: str | None = Field(
        default=None, description="standard or hd (dall-e-3); low, medium or high (gpt-image-1)."
    )
    style: str | None = Field(default=None, description="vivid or natural (dall-e-3 only).")
    response_format: str | None = Field(default=None, description="url (valid 24 hours) or b64_json.")
    n: int | None = Field(default=None, description="Images per request (dall-e-3 makes one).")

    @classmethod
    def class_name(cls) -> str:
        return "AzureOpenAIImageGeneration"

    def _options(self, overrides: dict[str, Any]) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "n": self.n,
            "size": self.size,
            "quality": self.quality,
            "style": self.style,
            "response_format": self.response_format,
        }
        kw.update(overrides)
        return kw

    def generate(self, prompt: str, **kwargs: Any) -> ImageResult:
        """Images for ``prompt`` (``kwargs`` override the fields for this call)."""
        from shared_core.services.media_client import generate_image

        return generate_image(self._client(), prompt, **self._options(kwargs))

    async def agenerate(self, prompt: str, **kwargs: Any) -> ImageResult:
        """Async :meth:`generate`."""
        from shared_core.services.media_client import agenerate_image

        return await agenerate_image(self._client(), prompt, **self._options(kwargs))


class AzureOpenAIImageToolSpec(BaseToolSpec):
    """``generate_image`` as a LlamaIndex tool (``to_tool_list()``), sync and async.

    Examples:
        ```python
        from llamaindex_azoai.images import AzureOpenAIImageToolSpec

        tools = AzureOpenAIImageToolSpec(azure_deployment="gpt-image-1").to_tool_list()
        ```

    Keyword arguments build an ``AzureOpenAIImageGeneration``; or pass one as ``generator``.
    With ``save_dir``, images are saved there as PNG files and the tool answers with their paths.
    """

    spec_functions = [("generate_image", "agenerate_image")]

    def __init__(
        self, generator: AzureOpenAIImageGeneration | None = None, *, save_dir: str | None = None, **kwargs: Any
    ) -> None:
        self.generator = generator if generator is not None else AzureOpenAIImageGeneration(**kwargs)
        self.save_dir = save_dir

    def generate_image(self, prompt: str) -> str:
        """Generate an image (draw a picture) from a detailed text description of it.
        Returns the image's URL (or its file path when the tool saves images)."""
        from shared_core.services.media_client import image_answer, save_images

        result = self.generator.generate(prompt)
        paths = save_images(result, self.save_dir) if self.save_dir is not None else None
        return image_answer(result, paths)

    async def agenerate_image(self, prompt: str) -> str:
        """Generate an image (draw a picture) from a detailed text description of it.
        Returns the image's URL (or its file path when the tool saves images)."""
        from shared_core.services.media_client import asave_images, image_answer

        result = await self.generator.agenerate(prompt)
        paths = await asave_images(result, self.save_dir) if self.save_dir is not None else None
        return image_answer(result, paths)


__all__ = ["AzureOpenAIImageGeneration", "AzureOpenAIImageToolSpec"]
