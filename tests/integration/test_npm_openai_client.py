"""The npm ``openai`` SDK (pinned in tests/npm_client/) as an independent client of the strict emulator.

A client we did not write drives chat, streaming, a forced tool call and embeddings through both
``new OpenAI({baseURL: ".../openai/v1"})`` and ``new AzureOpenAI({endpoint, apiVersion, deployment})``;
any request the emulator's rule table refused would surface here as the SDK's thrown error.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from shared_core.emulator.server import EmulatorHandle, start_in_thread

from .npm_client import installed, missing_tools

_SKIP = missing_tools()
pytestmark = pytest.mark.skipif(_SKIP is not None, reason=f"npm openai client check: {_SKIP}")


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_in_thread()
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def results(emulator: EmulatorHandle) -> dict[str, Any]:
    where = installed()
    if where is None:  # tests never reach the network: installing is .ci/run's step
        pytest.skip(
            "the npm openai SDK is not installed: run `.venv/bin/python -B -m tests.integration.npm_client`"
            " once (it needs the npm registry; .ci/run does it)"
        )
    done = subprocess.run(
        ["node", "check.mjs", emulator.url, emulator.api_key],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


@pytest.mark.parametrize("style", ["v1", "azure"])
def test_chat_stream_tool_and_embeddings(results: dict[str, Any], style: str) -> None:
    got = results[style]
    prompt = "Say hello in one short sentence."
    assert got["chat"]["finish"] == "stop" and got["chat"]["model"].startswith("gpt-5.2")
    assert prompt in got["chat"]["text"]
    # the streamed deltas reassemble into the same deterministic answer, over more than one chunk
    assert got["stream"]["text"] == got["chat"]["text"] and got["stream"]["chunks"] > 2
    assert got["tool"] == {"name": "get_weather", "args": {"city": "Paris"}, "finish": "tool_calls"}
    # text-embedding-3-small: 1536 dimensions, one vector per input, in input order
    assert got["embeddings"] == {"count": 2, "dims": [1536, 1536], "indexes": [0, 1]}


def test_each_client_style_takes_its_route(results: dict[str, Any]) -> None:
    assert results["urls"]["v1"] == ["POST /openai/v1/chat/completions"] * 3 + ["POST /openai/v1/embeddings"]
    dated = "?api-version=2024-10-21"
    assert results["urls"]["azure"] == [f"POST /openai/deployments/gpt-5.2/chat/completions{dated}"] * 3 + [
        f"POST /openai/deployments/text-embedding-3-small/embeddings{dated}"
    ]
