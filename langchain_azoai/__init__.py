"""LangChain integration for Azure OpenAI, built on shared_core.

Change ``from langchain_openai import AzureChatOpenAI, AzureOpenAIEmbeddings`` to
``from langchain_azoai import ...``: same fields, faster, Azure's quirks handled. Every exception
raised is one of ``shared_core.errors``, re-exported here.

The model classes are imported on first access (PEP 562), so ``import langchain_azoai`` costs
almost nothing until a class is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared_core._lazy import lazy_exports, require

require(__name__, {"langchain_core": "langchain-core"}, extra="langchain")

from shared_core import errors as _errors  # noqa: E402  (after the check: a missing framework is named first)
from shared_core.errors import *  # noqa: E402, F403  (every error, re-exported)

if TYPE_CHECKING:
    from langchain_azoai.audio import AzureOpenAITextToSpeech, AzureOpenAIWhisperParser
    from langchain_azoai.batch import AzureOpenAIBatchEmbeddings
    from langchain_azoai.chat_models import AzureChatOpenAI
    from langchain_azoai.embeddings import AzureOpenAIEmbeddings
    from langchain_azoai.images import AzureDallEAPIWrapper
    from langchain_azoai.llms import AzureOpenAI
    from langchain_azoai.tools import AzureOpenAIImageTool, AzureOpenAITextToSpeechTool

_LAZY = {
    "AzureChatOpenAI": "langchain_azoai.chat_models",
    "AzureOpenAIEmbeddings": "langchain_azoai.embeddings",
    "AzureOpenAIBatchEmbeddings": "langchain_azoai.batch",
    "AzureOpenAI": "langchain_azoai.llms",
    "AzureDallEAPIWrapper": "langchain_azoai.images",
    "AzureOpenAIWhisperParser": "langchain_azoai.audio",
    "AzureOpenAITextToSpeech": "langchain_azoai.audio",
    "AzureOpenAIImageTool": "langchain_azoai.tools",
    "AzureOpenAITextToSpeechTool": "langchain_azoai.tools",
}

__all__ = [
    "AzureChatOpenAI",
    "AzureDallEAPIWrapper",
    "AzureOpenAI",
    "AzureOpenAIBatchEmbeddings",
    "AzureOpenAIEmbeddings",
    "AzureOpenAIImageTool",
    "AzureOpenAITextToSpeech",
    "AzureOpenAITextToSpeechTool",
    "AzureOpenAIWhisperParser",
]
__all__ += _errors.__all__

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
