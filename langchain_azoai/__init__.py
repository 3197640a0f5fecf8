"""LangChain integration for Azure OpenAI, built on shared_core.

Change ``from langchain_openai import AzureChatOpenAI, AzureOpenAIEmbeddings`` to
``from langchain_azoai import ...``: same fields, faster, Azure's quirks handled. Every exception
raised is one of ``shared_core.errors``, re-exported here.
"""

from langchain_azoai.chat_models import AzureChatOpenAI
from langchain_azoai.embeddings import AzureOpenAIEmbeddings
from langchain_azoai.llms import AzureOpenAI
from shared_core.errors import *  # noqa: F403
from shared_core.errors import __all__ as _errors_all

__all__ = ["AzureChatOpenAI", "AzureOpenAI", "AzureOpenAIEmbeddings", *_errors_all]
