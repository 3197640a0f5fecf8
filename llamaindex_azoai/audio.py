"""Speech for LlamaIndex: ``AzureOpenAITextToSpeech`` and ``AzureOpenAIAudioToolSpec``.

Transcription lives in ``readers.py`` (``AzureOpenAIWhisperReader``), where LlamaIndex users look
for anything that turns a file into ``Document``s.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.tools.tool_spec.base import BaseToolSpec
from pydantic import AliasChoices

from .images import MediaConnection

if TYPE_CHECKING:
    from shared_core.wire.media import SpeechResult


class AzureOpenAITextToSpeech(MediaConnection):
    """Text to speech with an Azure OpenAI tts / gpt-4o-mini-tts deployment.

    Examples:
        ```python
        from llamaindex_azoai.audio import AzureOpenAITextToSpeech

        tts = AzureOpenAITextToSpeech(azure_deployment="gpt-4o-mini-tts", voice="nova")
        mp3 = tts.speak("Hello!").audio
        ```
    """

    deployment: str = Field(
        default="gpt-4o-mini-tts",
        validation_alias=AliasChoices("azure_deployment", "deployment_name", "deployment"),
        description="The speech deployment (default gpt-4o-mini-tts; tts retires 2026-12-15).",
    )
    voice: str = Field(
        default="alloy", description="alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, shimmer or verse."
    )
    response_format: str | None = Field(default=None, description="mp3 (default), opus, aac, flac, wav, pcm.")
    speed: float | None = Field(default=None, description="0.25 to 4.0 (default 1).")
    instructions: str | None = Field(default=None, description="How to speak (gpt-4o-mini-tts only).")

    @classmethod
    def class_name(cls) -> str:
        return "AzureOpenAITextToSpeech"

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
        return "." + (self.response_format or "mp3")


class AzureOpenAIAudioToolSpec(BaseToolSpec):
    """``text_to_speech`` as a LlamaIndex tool: writes the audio to a file, answers its path.

    Files go to ``save_dir`` (default: the system's temporary directory); the caller owns them.
    Keyword arguments build an ``AzureOpenAITextToSpeech``; or pass one as ``speaker``.
    """

    spec_functions = [("text_to_speech", "atext_to_speech")]

    def __init__(
        self, speaker: AzureOpenAITextToSpeech | None = None, *, save_dir: str | None = None, **kwargs: Any
    ) -> None:
        self.speaker = speaker if speaker is not None else AzureOpenAITextToSpeech(**kwargs)
        self.save_dir = save_dir

    def _save(self, result: SpeechResult) -> str:
        if self.save_dir is not None:
            os.makedirs(self.save_dir, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            prefix="azoai-speech-", suffix=self.speaker.file_extension, dir=self.save_dir, delete=False
        ) as fh:
            fh.write(result.audio)
            return fh.name

    def text_to_speech(self, text: str) -> str:
        """Read text aloud (text to speech). Returns the path of the audio file."""
        return self._save(self.speaker.speak(text))

    async def atext_to_speech(self, text: str) -> str:
        """Read text aloud (text to speech). Returns the path of the audio file."""
        result = await self.speaker.aspeak(text)
        return await asyncio.to_thread(self._save, result)


__all__ = ["AzureOpenAIAudioToolSpec", "AzureOpenAITextToSpeech"]
