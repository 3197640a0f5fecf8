"""``AzureOpenAIWhisperReader``: audio files to ``Document``s with an Azure OpenAI Whisper deployment.

Shaped like ``llama_index.readers.whisper.WhisperReader`` (``load_data(file, extra_info=None)``
with a path or bytes), on the azoai core with the LLM's connection settings, real async
(``aload_data``), translation to English (``translate=True``), and a typed error for files over
Azure's 25 MB limit before any upload.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.readers.base import BasePydanticReader
from llama_index.core.schema import Document
from pydantic import AliasChoices

from .images import MediaConnection

if TYPE_CHECKING:
    from shared_core.services.media_client import MediaRequest
    from shared_core.wire.media import Transcription

AudioFile = str | Path | bytes


class AzureOpenAIWhisperReader(BasePydanticReader, MediaConnection):
    """Transcribe (or translate) audio files into ``Document``s.

    Examples:
        ```python
        from llamaindex_azoai.readers import AzureOpenAIWhisperReader

        reader = AzureOpenAIWhisperReader(azure_deployment="gpt-4o-transcribe", language="en")
        documents = reader.load_data("meeting.mp3")
        ```

    ``file`` is a path or the audio bytes (bytes are sent as ``audio.wav`` unless ``file_name``
    says otherwise: Azure tells the format by the extension). One ``Document`` per file; its
    metadata is ``extra_info`` plus ``file_name`` (for paths) and, with
    ``response_format="verbose_json"``, ``language`` and ``duration``.
    """

    is_remote: bool = True
    deployment: str = Field(
        default="gpt-4o-transcribe",
        validation_alias=AliasChoices("azure_deployment", "deployment_name", "deployment"),
        description="The transcription deployment (default gpt-4o-transcribe; whisper retires 2026-12-15).",
    )
    language: str | None = Field(default=None, description="The audio's language (ISO-639-1, e.g. 'nl').")
    prompt: str | None = Field(default=None, description="Context or spellings to guide the model.")
    response_format: str | None = Field(default=None, description="json, text, srt, vtt or verbose_json.")
    temperature: float | None = Field(default=None)
    translate: bool = Field(default=False, description="Translate the speech to English text instead.")

    @classmethod
    def class_name(cls) -> str:
        return "AzureOpenAIWhisperReader"

    def _plan(self, file: AudioFile, file_name: str | None) -> MediaRequest[Transcription]:
        from shared_core.services import media_client

        upload: Any = (file_name or "audio.wav", file) if isinstance(file, (bytes, bytearray)) else file
        if self.translate:
            return media_client.plan_translation(
                self._client(),
                upload,
                prompt=self.prompt,
                response_format=self.response_format,
                temperature=self.temperature,
            )
        return media_client.plan_transcription(
            self._client(),
            upload,
            language=self.language,
            prompt=self.prompt,
            response_format=self.response_format,
            temperature=self.temperature,
        )

    @staticmethod
    def _document(result: Transcription, file: AudioFile, extra_info: dict[str, Any] | None) -> Document:
        metadata: dict[str, Any] = dict(extra_info or {})
        if not isinstance(file, (bytes, bytearray)):
            metadata.setdefault("file_name", os.path.basename(os.fspath(file)))
        if result.language:
            metadata["language"] = result.language
        if result.duration is not None:
            metadata["duration"] = result.duration
        return Document(text=result.text, metadata=metadata)

    def lazy_load_data(
        self, file: AudioFile, extra_info: dict[str, Any] | None = None, file_name: str | None = None, **kwargs: Any
    ) -> Iterable[Document]:
        """:meth:`load_data`, one ``Document`` at a time."""
        yield from self.load_data(file, extra_info, file_name)

    def load_data(
        self, file: AudioFile, extra_info: dict[str, Any] | None = None, file_name: str | None = None, **kwargs: Any
    ) -> list[Document]:
        """Transcribe ``file`` (a path or bytes): one ``Document``."""
        result = self._plan(file, file_name).send(self._client())
        return [self._document(result, file, extra_info)]

    async def aload_data(
        self, file: AudioFile, extra_info: dict[str, Any] | None = None, file_name: str | None = None, **kwargs: Any
    ) -> list[Document]:
        """Async :meth:`load_data` (the upload does not block the event loop)."""
        result = await self._plan(file, file_name).asend(self._client())
        return [self._document(result, file, extra_info)]


__all__ = ["AzureOpenAIWhisperReader"]
