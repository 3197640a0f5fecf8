"""A cassette recorded with this suite's VCR settings (``conftest.vcr_config``) holds no secret.

The request goes through a ``MockTransport`` (vcrpy records those too), carrying an API key, an
APIM subscription key header and SAS / APIM keys in the query; the written file keeps every name
and shows the mask instead of each value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from langchain_azoai import AzureChatOpenAI

MARK = "Zq9PLANTED"
CHAT_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


def test_recorded_cassette_masks_credential_headers_and_query(vcr_config: dict[str, Any], tmp_path: Path) -> None:
    import vcr

    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=CHAT_BODY)

    # this suite's scrubbing as configured; plain YAML and no custom matcher (recording only)
    config = {
        k: v
        for k, v in vcr_config.items()
        if k not in ("serializer", "path_transformer", "match_on", "allow_playback_repeats")
    }
    path = tmp_path / "recorded.yaml"
    llm = AzureChatOpenAI(
        azure_endpoint="https://res.openai.azure.com",
        azure_deployment="dep",
        api_version="2024-10-21",
        api_key=f"key-{MARK}",
        default_headers={"Ocp-Apim-Subscription-Key": f"apim-{MARK}", "X-Team": "rag"},
        default_query={"sig": f"sas-{MARK}", "subscription-key": f"q-{MARK}"},
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        max_retries=0,
    )
    with vcr.VCR(**config).use_cassette(str(path), record_mode="all"):
        assert llm.invoke("hi").content == "hello"
    text = path.read_text()
    assert MARK in str(sent[0].url) and sent[0].headers["api-key"] == f"key-{MARK}"  # the wire had them
    assert MARK not in text
    request = yaml.safe_load(text)["interactions"][0]["request"]
    assert request["uri"].endswith(
        "/openai/deployments/dep/chat/completions?api-version=2024-10-21&sig=**********&subscription-key=**********"
    )
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["ocp-apim-subscription-key"] == ["**********"] and headers["api-key"] == ["**********"]
    assert headers["x-team"] == ["rag"]
