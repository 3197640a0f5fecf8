"""Fixtures for the LangChain adapter: the emulator (loopback) and VCR cassettes.

Cassettes live in ``cassettes/langchain/``. They are recorded against the local emulator over
loopback and replayed with the network blocked::

    # record (or re-record) against the emulator
    pytest tests/langchain --record-mode=rewrite
    # replay only, as CI does
    pytest tests/langchain --record-mode=none --block-network

Recording against a real Azure resource: set ``AZURE_OPENAI_ENDPOINT`` and
``AZURE_OPENAI_API_KEY`` (and ``AZOAI_TEST_CHAT_DEPLOYMENT`` / ``AZOAI_TEST_EMBED_DEPLOYMENT``
if your deployment names differ) and run with ``--record-mode=rewrite``. Either way the
request host is rewritten to a placeholder that says where it was recorded
(``emulator.azoai.invalid`` or ``azure.azoai.invalid``), credential-like headers and query
parameters (keys, tokens, APIM subscription keys, SAS signatures) keep their names and show
``**********``, and request ids and client ids in responses are zeroed before writing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._deployments import with_legacy

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes" / "langchain"
EMULATOR_KEY = "azoai-emulator-key"
ZERO_ID = "00000000-0000-0000-0000-000000000000"

_REAL_ENDPOINT = os.environ.get("AZURE_OPENAI_ENDPOINT") if os.environ.get("AZOAI_RECORD_REAL") else None
_PLACEHOLDER_HOST = "https://azure.azoai.invalid" if _REAL_ENDPOINT else ("https://emulator.azoai.invalid")
_HOST_RE = re.compile(r"^https?://[^/]+")
_SCRUB_RESPONSE_HEADERS = {
    "apim-request-id",
    "x-request-id",
    "x-ms-client-request-id",
    "set-cookie",
    "azureml-model-session",
    "openai-organization",
}
_DROP_RESPONSE_HEADERS = {"date", "content-length"}


def _before_record_request(request: Any) -> Any:
    from tests._cassettes import scrub_credentials

    request.uri = _HOST_RE.sub(_PLACEHOLDER_HOST, request.uri)
    return scrub_credentials(request)


def _before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = {}
    for k, v in (response.get("headers") or {}).items():
        low = k.lower()
        if low in _DROP_RESPONSE_HEADERS:
            continue
        headers[k] = [ZERO_ID] if low in _SCRUB_RESPONSE_HEADERS else v
    response["headers"] = headers
    return response


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    from langchain_tests.conftest import base_vcr_config

    config = base_vcr_config()
    config.pop("record_mode")  # the command line decides (default: none = replay only)
    config.pop("cassette_library_dir")  # see vcr_cassette_dir
    config["filter_headers"] = [
        *config["filter_headers"],
        ("x-ms-client-request-id", None),
        ("user-agent", None),
        ("host", None),
    ]
    config["match_on"] = ["method", "uri", "azoai_body"]
    config["before_record_request"] = _before_record_request
    config["before_record_response"] = _before_record_response
    config["serializer"] = "yaml.gz"
    from vcr import VCR

    config["path_transformer"] = VCR.ensure_suffix(".yaml.gz")
    return config


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


class _GzPersister:
    """langchain-tests' persister for our ``.yaml.gz`` cassettes only.

    pytest-recording calls this hook for every VCR in the session, not only for tests below this
    folder, so the LlamaIndex suite's plain ``.yaml`` cassettes must keep vcrpy's own persister.
    """

    def __init__(self) -> None:
        from langchain_tests.conftest import CustomPersister
        from vcr.persisters.filesystem import FilesystemPersister

        self._gz, self._plain = CustomPersister(), FilesystemPersister

    def _pick(self, path: Any) -> Any:
        return self._gz if str(path).endswith(".yaml.gz") else self._plain

    def load_cassette(self, cassette_path: Any, serializer: Any) -> Any:
        return self._pick(cassette_path).load_cassette(cassette_path, serializer)

    def save_cassette(self, cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
        self._pick(cassette_path).save_cassette(cassette_path, cassette_dict, serializer)


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    from langchain_tests.conftest import CustomSerializer

    vcr.register_persister(_GzPersister())
    vcr.register_serializer("yaml.gz", CustomSerializer())


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """A loopback emulator for the whole session (started lazily, stopped at the end)."""
    from shared_core.emulator.server import start_in_thread

    # langchain-tests sends image URLs on raw.githubusercontent.com: reachable for Azure, so for the
    # emulator too (it fetches nothing: rule chat.content.image_reachable)
    handle = start_in_thread(deployments=with_legacy(), overrides={"image_url_hosts": ("raw.githubusercontent.com",)})
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def live_endpoint(request: pytest.FixtureRequest) -> str:
    """Where recording requests go: the emulator, or a real resource when asked.

    In replay (``--record-mode=none``) nothing is started: the host is rewritten to the
    placeholder before matching, so any URL replays.
    """
    if _REAL_ENDPOINT:
        return _REAL_ENDPOINT
    mode = request.config.getoption("--record-mode", default="none")
    if mode == "none":
        return "http://127.0.0.1:9"  # never contacted: cassettes answer
    handle = request.getfixturevalue("emulator")
    return f"http://127.0.0.1:{handle.port}"


def live_key() -> str:
    return os.environ.get("AZURE_OPENAI_API_KEY", EMULATOR_KEY) if _REAL_ENDPOINT else EMULATOR_KEY


def chat_deployment() -> str:
    return os.environ.get("AZOAI_TEST_CHAT_DEPLOYMENT", "gpt-5.2")


def embed_deployment() -> str:
    return os.environ.get("AZOAI_TEST_EMBED_DEPLOYMENT", "text-embedding-3-small")
