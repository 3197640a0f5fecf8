"""CoreClient end to end over httpx.MockTransport: what goes on the wire and what comes back."""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import struct
from typing import Any

import httpx
import pytest

from shared_core import (
    ChatRequest,
    ClientOptions,
    CompletionRequest,
    ConfigurationError,
    CoreClient,
    DeploymentNotFoundError,
    StreamAccumulator,
    resolve_target,
)
from shared_core.policy.transport import Hooks

MSGS = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
OK = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hello"},
            "finish_reason": "stop",
            "content_filter_results": {},
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
}
HEADERS = {"apim-request-id": "apim-7", "x-ms-region": "Sweden Central", "content-type": "application/json"}


def no_sleep() -> Hooks:
    async def asleep(_: float) -> None:
        return None

    return Hooks(sleep=lambda _: None, asleep=asleep)


def dated(**kw: Any) -> Any:
    return resolve_target(azure_endpoint="https://res.openai.azure.com", deployment="chat", api_key="k", env={}, **kw)


def v1(**kw: Any) -> Any:
    return resolve_target(
        azure_endpoint="https://res.openai.azure.com/openai/v1", deployment="my-o3", api_key="k", env={}, **kw
    )


class Wire:
    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)  # type: ignore[no-any-return]

    def json(self, i: int = -1) -> Any:
        return json.loads(self.requests[i].content)


def client(handler: Any, target: Any = None, **opts: Any) -> tuple[CoreClient, Wire]:
    wire = Wire(handler)
    return CoreClient(
        target or dated(),
        options=ClientOptions(**opts),
        http_client=httpx.Client(transport=httpx.MockTransport(wire)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(wire)),
        hooks=no_sleep(),
    ), wire


def test_construction_is_lazy_and_cheap() -> None:
    c = CoreClient(dated())
    assert c._http is None and c._ahttp is None
    assert repr(c) == "CoreClient(targets=[res.openai.azure.com])"
    with pytest.raises(ConfigurationError):
        CoreClient([])


def test_chat_dated() -> None:
    c, wire = client(lambda r: httpx.Response(200, json=OK, headers=HEADERS))
    r = c.chat(
        ChatRequest(messages=MSGS, model="gpt-4o", max_tokens=5, temperature=0.2, stream=True),
        headers={"x-trace": "t1"},
    )
    req = wire.requests[0]
    assert (
        str(req.url) == "https://res.openai.azure.com/openai/deployments/chat/chat/completions?api-version=2024-10-21"
    )
    assert req.headers["x-trace"] == "t1" and req.headers["api-key"] == "k"
    assert wire.json() == {"messages": MSGS, "max_tokens": 5, "temperature": 0.2}  # stream dropped
    assert r.first.content == "hello" and r.usage is not None and r.usage.total_tokens == 4
    assert r.meta is not None and (r.meta.request_id, r.meta.region) == ("apim-7", "Sweden Central")


def test_chat_v1_reasoning_model_rules_and_model_override() -> None:
    c, wire = client(lambda r: httpx.Response(200, json=OK, headers=HEADERS), v1())
    c.chat(
        ChatRequest(messages=MSGS, model="o3-mini", max_tokens=5, temperature=0.2, defaults=frozenset({"temperature"}))
    )
    assert str(wire.requests[0].url) == "https://res.openai.azure.com/openai/v1/chat/completions"
    assert wire.json() == {
        "model": "my-o3",
        "messages": [{"role": "developer", "content": "be brief"}, MSGS[1]],
        "max_completion_tokens": 5,
    }
    c.chat(ChatRequest(messages=MSGS), model="other-deployment")
    assert wire.json()["model"] == "other-deployment"


def test_errors_carry_meta_headers() -> None:
    body = {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}}
    c, _ = client(lambda r: httpx.Response(404, json=body, headers=HEADERS))
    with pytest.raises(DeploymentNotFoundError) as ei:
        c.chat(ChatRequest(messages=MSGS))
    assert ei.value.request_id == "apim-7" and ei.value.region == "Sweden Central"
    with pytest.raises(DeploymentNotFoundError, match="Deployment 'gpt4o-typo' was not found"):
        c.chat(ChatRequest(messages=MSGS), model="gpt4o-typo")


def sse(*objs: Any) -> bytes:
    return b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in objs) + b"data: [DONE]\n\n"


STREAM = sse(
    {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    },
    {
        "id": "c",
        "model": "gpt-4o",
        "created": 5,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "He"}, "finish_reason": None}],
    },
    {
        "id": "c",
        "model": "gpt-4o",
        "created": 5,
        "choices": [{"index": 0, "delta": {"content": "y"}, "finish_reason": "stop"}],
    },
    {
        "id": "c",
        "model": "gpt-4o",
        "choices": [],
        "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4},
    },
)


def stream_handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=STREAM, headers={**HEADERS, "content-type": "text/event-stream"})


def test_stream_chat_into_accumulator() -> None:
    c, wire = client(stream_handler)
    acc = StreamAccumulator()
    for d in c.stream_chat(ChatRequest(messages=MSGS)):
        acc.add(d)
    assert wire.json()["stream"] is True and wire.json()["stream_options"] == {"include_usage": True}
    r = acc.result()
    assert r.first.content == "Hey" and r.usage is not None and r.usage.total_tokens == 4
    assert r.meta is not None and r.meta.request_id == "apim-7" and len(r.prompt_filter_results) == 1


async def test_achat_and_astream_chat() -> None:
    c, wire = client(lambda r: httpx.Response(200, json=OK, headers=HEADERS))
    r = await c.achat(ChatRequest(messages=MSGS))
    assert r.first.content == "hello"
    c2, _ = client(stream_handler)
    acc = StreamAccumulator()
    async for d in c2.astream_chat(ChatRequest(messages=MSGS)):
        acc.add(d)
    assert acc.result().first.content == "Hey"


def test_complete_and_stream_complete() -> None:
    comp = {
        "id": "x",
        "object": "text_completion",
        "created": 1,
        "model": "gpt-35-turbo-instruct",
        "choices": [{"text": "42", "index": 0, "finish_reason": "stop", "logprobs": None}],
    }
    c, wire = client(lambda r: httpx.Response(200, json=comp, headers=HEADERS))
    r = c.complete(CompletionRequest(prompt="q", max_tokens=3))
    assert wire.requests[0].url.path == "/openai/deployments/chat/completions"
    assert wire.json() == {"prompt": "q", "max_tokens": 3} and r.first.text == "42"
    body = sse(
        {"id": "x", "model": "m", "choices": [{"text": "4", "index": 0, "finish_reason": None}]},
        {"id": "x", "model": "m", "choices": [{"text": "2", "index": 0, "finish_reason": "stop"}]},
    )
    c2, _ = client(lambda r: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    assert "".join(d.text or "" for d in c2.stream_complete(CompletionRequest(prompt="q"))) == "42"


def b64(vec: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()


def embed_handler(request: httpx.Request) -> httpx.Response:
    inputs = json.loads(request.content)["input"]
    data = [{"object": "embedding", "index": i, "embedding": b64([float(len(t)), 1.0])} for i, t in enumerate(inputs)]
    data.reverse()  # Azure does not promise order: index decides
    return httpx.Response(
        200,
        json={
            "object": "list",
            "model": "text-embedding-3-small",
            "data": data,
            "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
        },
        headers=HEADERS,
    )


TEXTS = ["a", "bb", "ccc", "dddd", "eeeee"]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_embed_batches_in_order_with_progress(concurrency: int) -> None:
    c, wire = client(embed_handler)
    progress: list[tuple[int, int]] = []
    r = c.embed(
        TEXTS, batch_size=2, max_concurrency=concurrency, dimensions=2, progress=lambda d, t: progress.append((d, t))
    )
    assert [v[0] for v in r.vectors] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert r.requests == 3 and len(wire.requests) == 3 and r.model == "text-embedding-3-small"
    assert r.usage is not None and r.usage.prompt_tokens == 5
    assert sorted(json.loads(q.content)["input"][0] for q in wire.requests) == ["a", "ccc", "eeeee"]
    assert all(
        json.loads(q.content)["encoding_format"] == "base64" and json.loads(q.content)["dimensions"] == 2
        for q in wire.requests
    )
    done = [d for d, _ in progress]
    assert [t for _, t in progress] == [5, 5, 5] and done == sorted(done) and done[-1] == 5


def test_embed_rejects_a_bare_string() -> None:
    c, _ = client(embed_handler)
    with pytest.raises(ConfigurationError, match=r"embed\(\[text\]\)"):
        c.embed("hello")


def test_embed_empty() -> None:
    c, wire = client(embed_handler)
    assert c.embed([]).vectors == [] and wire.requests == []


async def test_aembed_bounded_concurrency_preserves_order() -> None:
    inflight = 0
    peak = 0
    two_in = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal inflight, peak
        inflight += 1
        peak = max(peak, inflight)
        if inflight >= 2:
            two_in.set()
        await two_in.wait()
        inflight -= 1
        return embed_handler(request)

    c = CoreClient(dated(), http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    progress: list[int] = []
    r = await c.aembed(TEXTS, batch_size=1, max_concurrency=2, progress=lambda d, t: progress.append(d))
    assert [v[0] for v in r.vectors] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert peak == 2 and r.requests == 5 and progress == [1, 2, 3, 4, 5]


def test_request_json_get_multipart_and_bytes() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": []}, headers=HEADERS)
        if request.url.path.endswith("audio/speech"):
            return httpx.Response(200, content=b"ID3audio", headers={"content-type": "audio/mpeg"})
        return httpx.Response(200, json={"text": "hello"}, headers=HEADERS)

    c, wire = client(handler, v1())
    data, meta = c.request_json("models", method="GET")
    assert data == {"data": []} and wire.requests[-1].method == "GET" and wire.requests[-1].content == b""
    assert str(wire.requests[-1].url) == "https://res.openai.azure.com/openai/v1/models"
    data, _ = c.request_json(
        "audio/transcriptions",
        {"response_format": "json"},
        files={"file": ("a.wav", b"RIFF", "audio/wav")},
        model="whisper",
    )
    req = wire.requests[-1]
    assert data == {"text": "hello"} and req.headers["content-type"].startswith("multipart/form-data")
    assert b'name="model"\r\n\r\nwhisper' in req.content and b"RIFF" in req.content
    data, meta = c.request_json("audio/speech", {"input": "hi", "voice": "alloy"}, model="tts")
    assert data == b"ID3audio" and json.loads(wire.requests[-1].content)["model"] == "tts"


async def test_arequest_json() -> None:
    c, wire = client(lambda r: httpx.Response(200, json={"id": "batch_1"}, headers=HEADERS), dated())
    data, meta = await c.arequest_json("batches", method="GET", suffix="batch_1")
    assert data == {"id": "batch_1"}
    assert str(wire.requests[0].url) == "https://res.openai.azure.com/openai/batches/batch_1?api-version=2024-10-21"


async def test_user_clients_never_closed() -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=OK)))
    ahttp = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=OK)))
    c = CoreClient(dated(), http_client=http, http_async_client=ahttp)
    c.chat(ChatRequest(messages=MSGS))
    await c.achat(ChatRequest(messages=MSGS))
    c.close()
    await c.aclose()
    with c:
        pass
    assert not http.is_closed and not ahttp.is_closed
    c.chat(ChatRequest(messages=MSGS))
    await ahttp.aclose()
    http.close()


def test_own_clients_created_lazily_and_closed() -> None:
    c = CoreClient(dated(), options=ClientOptions(proxy="http://proxy.local:3128"))
    http = c._client()
    assert c._client() is http
    assert any(
        "proxy.local" in str(getattr(getattr(t, "_pool", None), "_proxy_url", "")) for t in http._mounts.values()
    )
    c.close()
    assert http.is_closed and c._http is None


def test_env_proxy_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://envproxy.local:8080")
    c = CoreClient(dated())
    http = c._client()
    assert any(
        "envproxy.local" in str(getattr(getattr(t, "_pool", None), "_proxy_url", "")) for t in http._mounts.values()
    )
    c.close()


def test_async_client_aiohttp_auto_off_and_per_loop() -> None:
    from httpx_aiohttp import HttpxAiohttpClient

    async def get(c: CoreClient) -> httpx.AsyncClient:
        return c._aclient()

    auto = CoreClient(dated())
    first = asyncio.run(get(auto))
    second = asyncio.run(get(auto))
    assert isinstance(first, HttpxAiohttpClient) and second is not first  # one pool per event loop
    off = CoreClient(dated(), options=ClientOptions(use_aiohttp=False))
    plain = asyncio.run(get(off))
    assert type(plain) is httpx.AsyncClient


def test_pickle_drops_live_clients() -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=OK)))
    c = CoreClient(dated(), options=ClientOptions(deadline=5.0), http_client=http)
    c.chat(ChatRequest(messages=MSGS))
    c2 = pickle.loads(pickle.dumps(c))
    assert c2.targets[0].name == "res.openai.azure.com" and c2.options.deadline == 5.0
    assert c2._user_http is None and c2._http is None
    assert c2.targets[0].credential.headers() == {"api-key": "k"}


def test_from_settings_splits_options() -> None:
    c = CoreClient.from_settings(
        azure_endpoint="https://r.openai.azure.com", deployment="d", api_key="k", env={}, max_retries=5, deadline=9.0
    )
    assert c.options.max_retries == 5 and c.options.deadline == 9.0 and c.targets[0].deployment == "d"


def test_two_targets_failover_through_client() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "a.openai.azure.com":
            return httpx.Response(500, json={"error": {"code": "InternalServerError", "message": "boom"}})
        return httpx.Response(200, json=OK, headers=HEADERS)

    a = resolve_target(
        azure_endpoint="https://a.openai.azure.com", deployment="chat", api_key="ka", env={}, name="a", weight=10
    )
    b = resolve_target(
        azure_endpoint="https://b.openai.azure.com", deployment="chat", api_key="kb", env={}, name="b", weight=0.0001
    )
    wire = Wire(handler)
    c = CoreClient([a, b], http_client=httpx.Client(transport=httpx.MockTransport(wire)), hooks=no_sleep())
    r = c.chat(ChatRequest(messages=MSGS))
    assert r.meta is not None and r.meta.target == "b" and r.meta.attempts == 2
    assert [q.url.host for q in wire.requests][-1] == "b.openai.azure.com"


def test_response_meta_facts_are_what_adapters_report() -> None:
    from shared_core.types import ResponseMeta

    meta = ResponseMeta(
        status=200,
        headers={"x-ratelimit-remaining-tokens": "900", "apim-request-id": "r1", "x-ms-region": "East US"},
        request_id="r1",
        region="East US",
        deployment="gpt-4o",
        attempts=2,
        target="eastus",
    )
    assert meta.facts() == {
        "request_id": "r1",
        "region": "East US",
        "azure_target": "eastus",
        "deployment": "gpt-4o",
        "ratelimit": {"remaining-tokens": "900"},
        "attempts": 2,
    }
    assert meta.facts(include_headers=True)["headers"]["apim-request-id"] == "r1"
    assert ResponseMeta(status=200, headers={}).facts() == {}
