"""Audio for LangChain: ``AzureOpenAIWhisperParser`` (audio blobs -> ``Document``s) and
``AzureOpenAITextToSpeech`` (text -> audio), with the chat model's connection settings.

The parser is a drop-in for langchain-community's ``AzureOpenAIWhisperParser``
(``deployment_name``, ``language``, ``prompt``, ``response_format``, ``temperature``) that reads
any blob (a path or in-memory data), can translate to English instead (``translate=True``), and
refuses files over Azure's 25 MB limit with a typed error before uploading them.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import Any

from langchain_core.document_loaders import BaseBlobParser
from langchain_core.document_loaders.blob_loaders import Blob
from langchain_core.documents import Document
from pydantic import AliasChoices, ConfigDict, Field

from langchain_azoai._fields import AzureConnectionFields
from shared_core.wire.media import SpeechResult, Transcription


def _blob_file(blob: Blob) -> tuple[str, bytes, str]:
    """(filename, bytes, content type): Azure tells the audio format by the file's extension."""
    name = None
    if blob.path is not None:
        name = str(blob.path).replace("\\", "/").rsplit("/", 1)[-1]
    elif blob.source:
        name = str(blob.source).replace("\\", "/").rsplit("/", 1)[-1].split("?", 1)[0]
    ctype = blob.mimetype
    if not name or "." not in name:
        ext = (mimetypes.guess_extension(ctype) if ctype else None) or ".wav"
        name = (name or "audio") + ext
    ctype = ctype or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name, blob.as_bytes(), ctype


def transcription_document(result: Transcription, source: str | None) -> Document:
    """A ``Document`` for a transcript: the text, plus language and duration when Azure said."""
    metadata: dict[str, Any] = {"source": source}
    if result.language:
        metadata["language"] = result.language
    if result.duration is not None:
        metadata["duration"] = result.duration
    return Document(page_content=result.text, metadata=metadata)


class AzureOpenAIWhisperParser(AzureConnectionFields, BaseBlobParser):
    """Transcribe audio blobs with an Azure OpenAI Whisper (or gpt-4o-transcribe) deployment.

    Example:
        ```python
        from langchain_core.document_loaders import Blob
        from langchain_azoai.audio import AzureOpenAIWhisperParser

        parser = AzureOpenAIWhisperParser(deployment_name="gpt-4o-transcribe")
        docs = parser.parse(Blob.from_path("meeting.mp3"))
        ```

    One ``Document`` per blob, ``metadata["source"]`` as upstream (plus ``language`` and
    ``duration`` with ``response_format="verbose_json"``).
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    deployment_name: str = Field(
        default="gpt-4o-transcribe",
        validation_alias=AliasChoices("deployment_name", "azure_deployment", "deployment"),
    )
    """The transcription deployment (default ``gpt-4o-transcribe``; whisper retires 2026-12-15)."""
    language: str | None = None
    """The audio's language (ISO-639-1, e.g. ``nl``): improves accuracy and latency."""
    prompt: str | None = None
    """Context or spellings to guide the model (names, jargon)."""
    response_format: str | None = None
    """``json`` (default), ``text``, ``srt``, ``vtt`` (the subtitles become the text), or
    ``verbose_json`` (adds language and duration to the metadata)."""
    temperature: float | None = None
    translate: bool = False
    """True: translate the speech to English text (``audio/translations``) instead."""

    def _deployment_for_core(self) -> str | None:
        return self.deployment_name

    def _plan(self, blob: Blob) -> Any:
        from shared_core.services import media_client

        file = _blob_file(blob)
        if self.translate:
            return media_client.plan_translation(
                self._client(),
                file,
                prompt=self.prompt,
                response_format=self.response_format,
                temperature=self.temperature,
            )
        return media_client.plan_transcription(
            self._client(),
            file,
            language=self.language,
            prompt=self.prompt,
            response_format=self.response_format,
            temperature=self.temperature,
        )

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        """Transcribe ``blob``: one ``Document``."""
        result: Transcription = self._plan(blob).send(self._client())
        yield transcription_document(result, blob.source)

    async def aparse(self, blob: Blob) -> list[Document]:
        """Async transcription of ``blob``."""
        result: Transcription = await self._plan(blob).asend(self._client())
        return [transcription_document(result, blob.source)]


class AzureOpenAITextToSpeech(AzureConnectionFields):
    """Text to speech with an Azure OpenAI tts / gpt-4o-mini-tts deployment.

    Example:
        ```python
        from langchain_azoai.audio import AzureOpenAITextToSpeech

        tts = AzureOpenAITextToSpeech(azure_deployment="gpt-4o-mini-tts", voice="nova")
        audio = tts.speak("Hello!").audio   # mp3 bytes
        ```
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    deployment: str = Field(
        default="gpt-4o-mini-tts",
        validation_alias=AliasChoices("azure_deployment", "deployment_name", "deployment"),
    )
    """The speech deployment (default ``gpt-4o-mini-tts``; tts retires 2026-12-15)."""
    voice: str = "alloy"
    """alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, shimmer or verse."""
    response_format: str | None = None
    """mp3 (default), opus, aac, flac, wav or pcm."""
    speed: float | None = None
    """0.25 to 4.0 (default 1)."""
    instructions: str | None = None
    """How to speak (gpt-4o-mini-tts only)."""

    def _deployment_for_core(self) -> str | None:
        return self.deployment

    def _options(self, overrides: dict[str, Any]) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "voice": self.voice,
            "response_format": self.response_format,
            "speed": self.speed,
            "instructions": self.instructions,
        }
        kw.update(overrides)
        return kw

    def speak(self, text: str, **kwargs: Any) -> SpeechResult:
        """The audio for ``text`` (bytes and content type); ``kwargs`` override the fields."""
        from shared_core.services.media_client import speech

        return speech(self._client(), text, **self._options(kwargs))

    async def aspeak(self, text: str, **kwargs: Any) -> SpeechResult:
        """Async :meth:`speak`."""
        from shared_core.services.media_client import aspeech

        return await aspeech(self._client(), text, **self._options(kwargs))

    @property
    def file_extension(self) -> str:
        """The extension for files of this format (``.mp3`` by default)."""
        return "." + (self.response_format or "mp3")


__all__ = ["AzureOpenAITextToSpeech", "AzureOpenAIWhisperParser"]
