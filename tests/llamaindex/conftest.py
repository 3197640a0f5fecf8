"""Fixtures for the LlamaIndex adapter tests: a scripted Azure behind httpx.MockTransport."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from li_canned import ENDPOINT, KEY, Azure  # noqa: E402

_AZURE_ENV = (
    "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT", "OPENAI_API_KEY", "OPENAI_API_BASE",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no Azure settings from the machine they run on."""
    for name in _AZURE_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def azure() -> Azure:
    return Azure()


@pytest.fixture
def make_llm(azure: Azure) -> Iterator[Callable[..., Any]]:
    from llamaindex_azoai import AzureOpenAI

    made: list[Any] = []

    def make(**kw: Any) -> Any:
        http, ahttp = azure.clients()
        args: dict[str, Any] = dict(engine="chat", azure_endpoint=ENDPOINT, api_key=KEY, api_version="2024-10-21",
                                    max_retries=0, http_client=http, async_http_client=ahttp)
        args.update(kw)
        llm = AzureOpenAI(**args)
        made.append(llm)
        return llm

    yield make


@pytest.fixture
def make_embed(azure: Azure) -> Callable[..., Any]:
    from llamaindex_azoai import AzureOpenAIEmbedding

    def make(**kw: Any) -> Any:
        http, ahttp = azure.clients()
        args: dict[str, Any] = dict(azure_deployment="emb", model="text-embedding-3-small", azure_endpoint=ENDPOINT,
                                    api_key=KEY, api_version="2024-10-21", max_retries=0, http_client=http,
                                    async_http_client=ahttp)
        args.update(kw)
        return AzureOpenAIEmbedding(**args)

    return make


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """The azoai emulator over loopback (127.0.0.1, a free port), for the whole session."""
    from shared_core.emulator.server import start_in_thread

    handle = start_in_thread()
    yield handle
    handle.stop()
