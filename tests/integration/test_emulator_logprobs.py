"""Token log-probabilities: chat (``logprobs``/``top_logprobs``) and legacy completions (``logprobs: N``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared_core.emulator.app import create_app, iter_sse
from shared_core.emulator.config import ManualClock
from tests._deployments import with_legacy

H = {"api-key": "azoai-emulator-key"}
CHAT = "/openai/deployments/{}/chat/completions?api-version=2024-10-21"
LEGACY = "/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2024-10-21"
ASK = [{"role": "user", "content": "What is 20 + 22? Also say hello."}]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(deployments=with_legacy(), clock=ManualClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        yield c


async def post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(url, headers=H, json=body)


def check_entry(entry: dict[str, Any], top: int) -> None:
    assert set(entry) == {"token", "logprob", "bytes", "top_logprobs"}
    assert bytes(entry["bytes"]).decode() == entry["token"] and -1.5 <= entry["logprob"] <= 0
    alts = entry["top_logprobs"]
    assert len(alts) == top and all(set(a) == {"token", "logprob", "bytes"} for a in alts)
    if top:
        assert alts[0]["token"] == entry["token"] and alts[0]["logprob"] == entry["logprob"]
        lps = [a["logprob"] for a in alts]
        assert lps == sorted(lps, reverse=True) and len({a["token"] for a in alts}) == top


async def test_chat_logprobs_cover_the_content_token_by_token(client: httpx.AsyncClient) -> None:
    r = await post(client, CHAT.format("gpt-4o"), {"messages": ASK, "logprobs": True, "top_logprobs": 3})
    choice = r.json()["choices"][0]
    content = choice["logprobs"]["content"]
    assert choice["logprobs"]["refusal"] is None
    assert "".join(e["token"] for e in content) == choice["message"]["content"]
    assert len(content) == r.json()["usage"]["completion_tokens"]
    for e in content:
        check_entry(e, 3)
    again = await post(client, CHAT.format("gpt-4o"), {"messages": ASK, "logprobs": True, "top_logprobs": 3})
    assert again.json()["choices"][0]["logprobs"] == choice["logprobs"]  # deterministic


async def test_chat_logprobs_off_or_without_top(client: httpx.AsyncClient) -> None:
    r = await post(client, CHAT.format("gpt-4o"), {"messages": ASK})
    assert r.json()["choices"][0]["logprobs"] is None
    r = await post(client, CHAT.format("gpt-4o"), {"messages": ASK, "logprobs": True})
    assert all(e["top_logprobs"] == [] for e in r.json()["choices"][0]["logprobs"]["content"])


async def test_streamed_chat_logprobs_match_the_non_streamed_ones(client: httpx.AsyncClient) -> None:
    body = {"messages": ASK, "logprobs": True, "top_logprobs": 2}
    whole = (await post(client, CHAT.format("gpt-4o"), body)).json()["choices"][0]["logprobs"]["content"]
    r = await post(client, CHAT.format("gpt-4o"), {**body, "stream": True})
    chunks = [json.loads(e) for e in iter_sse(r.content) if e != "[DONE]"][1:]
    streamed = []
    for c in chunks:
        ch = c["choices"][0]
        if ch["delta"].get("content"):
            assert ch["logprobs"]["refusal"] is None and len(ch["logprobs"]["content"]) == 1
            assert ch["logprobs"]["content"][0]["token"] == ch["delta"]["content"]
            streamed += ch["logprobs"]["content"]
        else:
            assert ch["logprobs"] is None  # role and finish chunks
    assert streamed == whole


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"logprobs": "yes"}, "logprobs", "Invalid type for 'logprobs': expected a boolean."),
        (
            {"top_logprobs": 2},
            "logprobs",
            "Invalid value for 'logprobs': must be true when 'top_logprobs' is specified.",
        ),
        (
            {"logprobs": True, "top_logprobs": 21},
            "top_logprobs",
            "Invalid 'top_logprobs': integer 21 is out of range (minimum 0) (maximum 20).",
        ),
    ],
)
async def test_chat_logprobs_validation(
    client: httpx.AsyncClient, body: dict[str, Any], param: str, message: str
) -> None:
    r = await post(client, CHAT.format("gpt-4o"), {"messages": ASK, **body})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == param and r.json()["error"]["message"] == message


async def test_reasoning_deployment_rejects_logprobs(client: httpx.AsyncClient) -> None:
    for body in ({"logprobs": True}, {"logprobs": True, "top_logprobs": 2}):
        r = await post(client, CHAT.format("o3-mini"), {"messages": ASK, **body})
        assert r.status_code == 400
        assert r.json() == {
            "error": {
                "message": "Unsupported parameter: 'logprobs' is not supported with this model.",
                "type": "invalid_request_error",
                "param": "logprobs",
                "code": "unsupported_parameter",
            }
        }


async def test_tool_call_choices_carry_no_logprobs(client: httpx.AsyncClient) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    r = await post(
        client,
        CHAT.format("gpt-4o"),
        {"messages": [{"role": "user", "content": "weather in Oslo"}], "tools": [tool], "logprobs": True},
    )
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["logprobs"] is None


async def test_legacy_completion_logprobs(client: httpx.AsyncClient) -> None:
    prompt = "What is 7 * 6? Say hello too."
    r = await post(client, LEGACY, {"prompt": prompt, "logprobs": 2, "max_tokens": 20})
    choice = r.json()["choices"][0]
    lp = choice["logprobs"]
    assert set(lp) == {"tokens", "token_logprobs", "top_logprobs", "text_offset"}
    assert "".join(lp["tokens"]) == choice["text"] and len(lp["tokens"]) == r.json()["usage"]["completion_tokens"]
    offsets = [len(prompt) + len("".join(lp["tokens"][:i])) for i in range(len(lp["tokens"]))]
    assert lp["text_offset"] == offsets
    for tok, val, top in zip(lp["tokens"], lp["token_logprobs"], lp["top_logprobs"], strict=False):
        assert len(top) == 2 and top[tok] == val == max(top.values())
    zero = (await post(client, LEGACY, {"prompt": prompt, "logprobs": 0, "max_tokens": 20})).json()["choices"][0][
        "logprobs"
    ]
    assert [list(t) for t in zero["top_logprobs"]] == [[t] for t in lp["tokens"]]  # the sampled token only
    r = await post(client, LEGACY, {"prompt": prompt, "logprobs": 6})
    assert r.status_code == 400 and r.json()["error"]["param"] == "logprobs"


async def test_legacy_completion_logprobs_with_echo_and_stream(client: httpx.AsyncClient) -> None:
    prompt = "What is 1 + 1?"
    body = {"prompt": prompt, "logprobs": 1, "echo": True}
    lp = (await post(client, LEGACY, body)).json()["choices"][0]["logprobs"]
    assert "".join(lp["tokens"]) == prompt + " 2" and lp["text_offset"][0] == 0
    assert lp["token_logprobs"][0] is None and lp["top_logprobs"][0] is None  # nothing precedes the first token
    assert all(isinstance(v, float) for v in lp["token_logprobs"][1:])
    r = await post(client, LEGACY, {**body, "stream": True})
    events = [json.loads(e) for e in iter_sse(r.content) if e != "[DONE]"]
    pieces = [e["choices"][0] for e in events[1:] if e["choices"] and e["choices"][0]["text"]]
    merged = {k: [v for p in pieces for v in p["logprobs"][k]] for k in lp}
    assert merged == lp
