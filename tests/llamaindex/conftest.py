"""Fixtures for the LlamaIndex adapter tests: a scripted Azure behind httpx.MockTransport, VCR settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._deployments import with_legacy

sys.path.insert(0, str(Path(__file__).parent))

from li_canned import ENDPOINT, KEY, Azure  # noqa: E402

_AZURE_ENV = (
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
    "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_DEPLOYMENT",
    "OPENAI_API_KEY",
    "OPENAI_API_BASE",
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
        args: dict[str, Any] = dict(
            engine="chat",
            azure_endpoint=ENDPOINT,
            api_key=KEY,
            api_version="2024-10-21",
            max_retries=0,
            http_client=http,
            async_http_client=ahttp,
        )
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
        args: dict[str, Any] = dict(
            azure_deployment="emb",
            model="text-embedding-3-small",
            azure_endpoint=ENDPOINT,
            api_key=KEY,
            api_version="2024-10-21",
            max_retries=0,
            http_client=http,
            async_http_client=ahttp,
        )
        args.update(kw)
        return AzureOpenAIEmbedding(**args)

    return make


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """The azoai emulator over loopback (127.0.0.1, a free port), for the whole session."""
    from shared_core.emulator.server import start_in_thread

    handle = start_in_thread(deployments=with_legacy())
    yield handle
    handle.stop()


# -- VCR cassettes (test_contract_vcr.py) -----------------------------------------------------------

RECORDED_HOST = "http://azure.invalid"
_SCRUB_HEADERS = ("apim-request-id", "x-request-id", "x-ms-client-request-id", "set-cookie", "azureml-model-session")


def _scrub_request(request: Any) -> Any:
    from tests._cassettes import scrub_credentials

    if "x-ms-client-request-id" in request.headers:
        request.headers["x-ms-client-request-id"] = "SCRUBBED"
    request.headers.pop("host", None)  # the loopback port changes every run
    scheme_host = request.uri.split("/openai/", 1)
    if len(scheme_host) == 2:
        request.uri = f"{RECORDED_HOST}/openai/{scheme_host[1]}"
    return scrub_credentials(request)


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _SCRUB_HEADERS:
            headers[name] = ["SCRUBBED"]
    # where this cassette was recorded, so nobody mistakes emulator answers for Azure's
    headers["x-azoai-recorded-against"] = ["azure" if os.environ.get("AZOAI_LI_ENDPOINT") else "azoai-emulator"]
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "path", "query", "azoai_body"],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }
