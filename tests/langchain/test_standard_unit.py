"""langchain-tests' standard unit suites (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from langchain_azoai import AzureChatOpenAI, AzureOpenAIEmbeddings

_PARAMS = {
    "azure_endpoint": "https://test.openai.azure.com",
    "azure_deployment": "gpt-4o",
    "api_version": "2024-10-21",
    "api_key": "test",
    "model": "gpt-4o",
}
_ENV = {
    "AZURE_OPENAI_API_KEY": "api_key",
    "AZURE_OPENAI_ENDPOINT": "https://endpoint.openai.azure.com",
    "OPENAI_API_VERSION": "2024-10-21",
}


class TestAzureChatOpenAIUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[AzureChatOpenAI]:
        return AzureChatOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return dict(_PARAMS)

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            dict(_ENV),
            {"azure_deployment": "gpt-4o"},
            {
                "azure_endpoint": "https://endpoint.openai.azure.com",
                "openai_api_key": "api_key",
                "openai_api_version": "2024-10-21",
            },
        )

    @pytest.mark.xfail(
        strict=True,
        reason="langchain-core 1.7 load(allowed_objects='all') admits only classes listed in "
        "langchain_core.load.mapping, which a third-party package cannot extend; the dumpd "
        "snapshot half passes, and test_serialization.py does the same round trip with "
        "allowed_objects=[AzureChatOpenAI]",
    )
    def test_serdes(self, model: BaseChatModel, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)


class TestAzureOpenAIEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[AzureOpenAIEmbeddings]:
        return AzureOpenAIEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {**_PARAMS, "azure_deployment": "text-embedding-3-small", "model": "text-embedding-3-small"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            dict(_ENV),
            {"azure_deployment": "text-embedding-3-small"},
            {"azure_endpoint": "https://endpoint.openai.azure.com", "openai_api_key": "api_key"},
        )
