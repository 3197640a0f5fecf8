"""Tools for agents: ``AzureOpenAIImageTool`` (text -> image) and ``AzureOpenAITextToSpeechTool``.

Both are ``BaseTool``s with ``response_format="content_and_artifact"``: the model sees a short
text (image URLs, the audio file's path) and the caller gets the full result as the
``ToolMessage.artifact`` (``ImageResult``, ``SpeechResult``).
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import Literal

from langchain_core.callbacks import (
    AsyncCallbackManagerForToolRun,
    CallbackManagerForToolRun,
)
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

from langchain_azoai._fields import ClosesItsWrapper
from langchain_azoai.audio import AzureOpenAITextToSpeech
from langchain_azoai.images import AzureDallEAPIWrapper
from shared_core.wire.media import ImageResult, SpeechResult


class _ImageInput(BaseModel):
    prompt: str = Field(description="A detailed description of the image to draw.")


class _SpeechInput(BaseModel):
    text: str = Field(description="The text to read aloud.")


class AzureOpenAIImageTool(ClosesItsWrapper, BaseTool):
    """Lets an agent draw images with an Azure OpenAI image deployment.

    Example:
        ```python
        from langchain_azoai.images import AzureDallEAPIWrapper
        from langchain_azoai.tools import AzureOpenAIImageTool

        tool = AzureOpenAIImageTool(api_wrapper=AzureDallEAPIWrapper(azure_deployment="gpt-image-1"))
        llm_with_tools = chat_model.bind_tools([tool])
        ```
    """

    name: str = "generate_image"
    description: str = (
        "Generate an image (draw a picture) from a text description with Azure OpenAI DALL-E. "
        "Input: a detailed description of the image. Output: the image URL."
    )
    args_schema: type[BaseModel] = _ImageInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    api_wrapper: AzureDallEAPIWrapper = Field(default_factory=AzureDallEAPIWrapper)
    save_dir: str | None = None
    """Save the images as PNG files here and tell the model their paths (instead of URLs)."""

    def _run(
        self,
        prompt: str,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, ImageResult]:
        from shared_core.services.media_client import image_answer, save_images

        result = self.api_wrapper.generate(prompt)
        paths = save_images(result, self.save_dir) if self.save_dir is not None else None
        return image_answer(result, paths, self.api_wrapper.separator), result

    async def _arun(
        self,
        prompt: str,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, ImageResult]:
        from shared_core.services.media_client import asave_images, image_answer

        result = await self.api_wrapper.agenerate(prompt)
        paths = await asave_images(result, self.save_dir) if self.save_dir is not None else None
        return image_answer(result, paths, self.api_wrapper.separator), result


def _save(result: SpeechResult, suffix: str) -> str:
    with tempfile.NamedTemporaryFile(prefix="azoai-speech-", suffix=suffix, delete=False) as fh:
        fh.write(result.audio)
        return fh.name


class AzureOpenAITextToSpeechTool(ClosesItsWrapper, BaseTool):
    """Lets an agent speak: the audio is written to a temporary file whose path is returned
    (as langchain-community's Azure speech tools do). The caller owns and deletes the file."""

    name: str = "text_to_speech"
    description: str = (
        "Read text aloud (text to speech) with Azure OpenAI. Input: the text to speak. "
        "Output: the path of the audio file."
    )
    args_schema: type[BaseModel] = _SpeechInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    api_wrapper: AzureOpenAITextToSpeech = Field(default_factory=AzureOpenAITextToSpeech)

    def _run(
        self,
        text: str,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, SpeechResult]:
        result = self.api_wrapper.speak(text)
        return _save(result, self.api_wrapper.file_extension), result

    async def _arun(
        self,
        text: str,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, SpeechResult]:
        result = await self.api_wrapper.aspeak(text)
        path = await asyncio.to_thread(_save, result, self.api_wrapper.file_extension)
        return path, result


__all__ = ["AzureOpenAIImageTool", "AzureOpenAITextToSpeechTool"]
