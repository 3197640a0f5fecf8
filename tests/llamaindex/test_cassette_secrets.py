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
from llama_index.core.llms import ChatMessage

from llamaindex_azoai import AzureOpenAI

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

    path = tmp_path / "recorded.yaml"
    llm = AzureOpenAI(
        engine="dep",
        azure_endpoint="https://res.openai.azure.com",
        api_version="2024-10-21",
        api_key=f"key-{MARK}",
        default_headers={"Ocp-Apim-Subscription-Key": f"apim-{MARK}", "X-Team": "rag"},
        default_query={"sig": f"sas-{MARK}", "subscription-key": f"q-{MARK}"},
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        max_retries=0,
    )
    from tests.vcr_match import body_matcher

    recorder = vcr.VCR(**vcr_config)
    recorder.register_matcher("azoai_body", body_matcher)  # pytest-recording registers it for its own VCRs
    with recorder.use_cassette(str(path), record_mode="all"):
        assert llm.chat([ChatMessage(role="user", content="hi")]).message.content == "hello"
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
