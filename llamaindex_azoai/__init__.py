"""LlamaIndex integration for Azure OpenAI, built on shared_core.

Change one import line::

    from llama_index.llms.azure_openai import AzureOpenAI          # before
    from llamaindex_azoai import AzureOpenAI                       # after

``AzureOpenAIEmbedding`` and ``AzureOpenAIMultiModal`` likewise. Classes load on first access, so
``import llamaindex_azoai`` costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared_core import errors as _errors
from shared_core.errors import *  # noqa: F403  (every error, re-exported)

if TYPE_CHECKING:
    from .embeddings import AzureOpenAIEmbedding
    from .llms import AzureOpenAI
    from .audio import AzureOpenAIAudioToolSpec, AzureOpenAITextToSpeech
    from .images import AzureOpenAIImageGeneration, AzureOpenAIImageToolSpec
    from .multi_modal_llms import AzureOpenAIMultiModal
    from .readers import AzureOpenAIWhisperReader

_LAZY = {
    "AzureOpenAI": "llms",
    "AzureOpenAIEmbedding": "embeddings",
    "AzureOpenAIMultiModal": "multi_modal_llms",
    "AzureOpenAIImageGeneration": "images",
    "AzureOpenAIImageToolSpec": "images",
    "AzureOpenAITextToSpeech": "audio",
    "AzureOpenAIAudioToolSpec": "audio",
    "AzureOpenAIWhisperReader": "readers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llamaindex_azoai' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AzureOpenAI",
    "AzureOpenAIAudioToolSpec",
    "AzureOpenAIEmbedding",
    "AzureOpenAIImageGeneration",
    "AzureOpenAIImageToolSpec",
    "AzureOpenAIMultiModal",
    "AzureOpenAITextToSpeech",
    "AzureOpenAIWhisperReader",
]
__all__ += _errors.__all__
