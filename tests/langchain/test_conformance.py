"""Real Azure chat traffic (../shared/azure-recordings) replayed through AzureChatOpenAI.

Every recorded 200 chat completion (JSON or SSE) is served back by a fake transport; the
message we build must carry exactly what Azure sent: content, tool calls, finish reason, the
model name once, usage on one chunk only, and both kinds of filter results.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from langchain_azoai import AzureChatOpenAI
from shared_core.wire.sse import SSEDecoder

pytestmark = pytest.mark.conformance

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
REPOS = (
    "crewAIInc__crewAI",
    "elastic__elastic-otel-python-instrumentations",
    "Mirascope__mirascope",
    "pydantic__pydantic-ai",
)


def _interactions(root: Path) -> list[tuple[str, dict[str, Any], bytes, dict[str, Any]]]:
    out = []
    for repo in REPOS:
        for path in sorted((root / repo).glob("*.yaml")):
            text = path.read_text(errors="replace")
            if "chat/completions" not in text:
                continue
            try:
                doc = yaml.load(text, Loader=_LOADER)
            except yaml.YAMLError:
                continue
            for n, it in enumerate((doc or {}).get("interactions") or []):
                req, resp = it.get("request") or {}, it.get("response") or {}
                uri = req.get("uri") or ""
                if "chat/completions" not in uri or (resp.get("status") or {}).get("code") != 200:
                    continue
                body = (resp.get("body") or {}).get("string")
                if isinstance(body, str):
                    raw = body.encode()
                elif isinstance(body, bytes):
                    raw = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
                else:
                    continue
                try:
                    sent = json.loads(req.get("body") or "{}")
                except (TypeError, ValueError):
                    sent = {}
                out.append((f"{path.name}#{n}", sent, raw, resp.get("headers") or {}))
    return out


@pytest.fixture(scope="module")
def interactions(recordings_dir: Path) -> list[tuple[str, dict[str, Any], bytes, dict]]:
    found = _interactions(recordings_dir)
    assert len(found) >= 40, "expected the recorded chat completions"
    return found


def _model(body: bytes) -> AzureChatOpenAI:
    def handler(request: httpx.Request) -> httpx.Response:
        ctype = "text/event-stream" if body.lstrip().startswith(b"data:") else "application/json"
        return httpx.Response(200, content=body, headers={"content-type": ctype, "x-ms-region": "East US"})

    return AzureChatOpenAI(
        azure_endpoint="https://rec.openai.azure.com",
        api_key="k",
        azure_deployment="d",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def _events(raw: bytes) -> list[dict[str, Any]]:
    dec = SSEDecoder()
    events = dec.feed(raw) + dec.flush()
    return [json.loads(e.data) for e in events if e.data.strip() and e.data != "[DONE]"]


def test_every_recorded_chat_completion_converts(interactions: list[tuple[str, dict[str, Any], bytes, dict]]) -> None:
    checked_stream = checked_json = 0
    for name, _sent, raw, _ in interactions:
        model = _model(raw)
        if raw.lstrip().startswith(b"data:"):
            events = _events(raw)
            chunks = list(model.stream("replay"))
            total = chunks[0]
            for c in chunks[1:]:
                total = total + c
            expected = "".join(
                (e["choices"][0].get("delta") or {}).get("content") or "" for e in events if e.get("choices")
            )
            assert total.content == expected, name
            assert sum(1 for c in chunks if c.usage_metadata) <= 1, name
            models = {e.get("model") for e in events if e.get("model")}
            if models:
                assert total.response_metadata["model_name"] in models, name
            if any(e.get("prompt_filter_results") for e in events):
                assert total.response_metadata["prompt_filter_results"], name
            finishes = [
                e["choices"][0].get("finish_reason")
                for e in events
                if e.get("choices") and e["choices"][0].get("finish_reason")
            ]
            if finishes:
                assert total.response_metadata["finish_reason"] == finishes[-1], name
            calls = {
                (tc.get("index"), (tc.get("function") or {}).get("name"))
                for e in events
                if e.get("choices")
                for tc in (e["choices"][0].get("delta") or {}).get("tool_calls") or []
                if (tc.get("function") or {}).get("name")
            }
            assert len(total.tool_calls) + len(total.invalid_tool_calls) == len(calls), name
            checked_stream += 1
        else:
            data = json.loads(raw)
            msg = model.invoke("replay")
            choice = data["choices"][0]
            assert msg.content == (choice["message"].get("content") or ""), name
            assert msg.response_metadata["finish_reason"] == choice["finish_reason"], name
            assert msg.response_metadata["model_name"] == data["model"], name
            n_calls = len(choice["message"].get("tool_calls") or [])
            assert len(msg.tool_calls) + len(msg.invalid_tool_calls) == n_calls, name
            if data.get("usage"):
                assert msg.usage_metadata is not None
                assert msg.usage_metadata["input_tokens"] == data["usage"]["prompt_tokens"], name
            if "content_filter_results" in choice:
                assert msg.response_metadata["content_filter_results"] == (choice["content_filter_results"]), name
            checked_json += 1
    assert checked_stream >= 5 and checked_json >= 20, (checked_stream, checked_json)
