"""LlamaIndex integration for Azure OpenAI, built on shared_core.

Change one import line::

    from llama_index.llms.azure_openai import AzureOpenAI          # before
    from llamaindex_azoai import AzureOpenAI                       # after

``AzureOpenAIEmbedding`` and ``AzureOpenAIMultiModal`` likewise. Classes load on first access, so
``import llamaindex_azoai`` costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared_core._lazy import lazy_exports, require

require(
    __name__,
    {"llama_index.core": "llama-index-core", "llama_index_instrumentation": "llama-index-core"},
    extra="llamaindex",
)

from shared_core import errors as _errors  # noqa: E402  (after the check: a missing framework is named first)
from shared_core.errors import *  # noqa: E402, F403  (every error, re-exported)

if TYPE_CHECKING:
    from .audio import AzureOpenAIAudioToolSpec, AzureOpenAITextToSpeech
    from .batch import AzureOpenAIBatchEmbedding
    from .embeddings import AzureOpenAIEmbedding
    from .images import AzureOpenAIImageGeneration, AzureOpenAIImageToolSpec
    from .llms import AzureOpenAI
    from .multi_modal_llms import AzureOpenAIMultiModal
    from .readers import AzureOpenAIWhisperReader
    from .responses_api import AzureOpenAIResponses

_LAZY = {
    "AzureOpenAI": ".llms",
    "AzureOpenAIEmbedding": ".embeddings",
    "AzureOpenAIBatchEmbedding": ".batch",
    "AzureOpenAIMultiModal": ".multi_modal_llms",
    "AzureOpenAIResponses": ".responses_api",
    "AzureOpenAIImageGeneration": ".images",
    "AzureOpenAIImageToolSpec": ".images",
    "AzureOpenAITextToSpeech": ".audio",
    "AzureOpenAIAudioToolSpec": ".audio",
    "AzureOpenAIWhisperReader": ".readers",
}


__all__ = [
    "AzureOpenAI",
    "AzureOpenAIAudioToolSpec",
    "AzureOpenAIBatchEmbedding",
    "AzureOpenAIEmbedding",
    "AzureOpenAIImageGeneration",
    "AzureOpenAIImageToolSpec",
    "AzureOpenAIMultiModal",
    "AzureOpenAIResponses",
    "AzureOpenAITextToSpeech",
    "AzureOpenAIWhisperReader",
]
__all__ += _errors.__all__

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
