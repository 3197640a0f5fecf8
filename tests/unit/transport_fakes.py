"""A fake clock, a recording handler and canned Azure answers and streams shared by the driver tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from shared_core.connection.config import ClientOptions, Target, resolve_target
from shared_core.policy.routing import Router
from shared_core.policy.transport import (
    Call,
    Hooks,
)

Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock that only moves when something sleeps (or a handler says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def hooks(self) -> Hooks:
        return Hooks(sleep=self.sleep, asleep=self.asleep, clock=self.clock, rng=lambda: 0.0)


def tgt(name: str = "eastus", *, key: str = "key-one", **kw: Any) -> Target:
    return resolve_target(
        azure_endpoint=f"https://{name}.openai.azure.com", deployment="chat", api_key=key, name=name, env={}, **kw
    )


def body_fn(target: Target, route: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hi"}]}


def make_call(targets: list[Target], t: FakeTime, **opts: Any) -> Call:
    return Call(
        targets,
        Router([x.weight for x in targets], clock=t.clock, rng=lambda: 0.0),
        ClientOptions(**opts),
        "chat/completions",
        body_fn,
        hooks=t.hooks(),
    )


class Recorder:
    def __init__(self, *responses: httpx.Response | Exception | Handler) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        r = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(r, Exception):
            raise r
        if callable(r):
            return r(request)
        return r


OK = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
}
AZ = {
    "apim-request-id": "apim-1",
    "x-ms-region": "East US",
    "x-ms-deployment-name": "chat",
    "content-type": "application/json",
}


def ok(**headers: str) -> httpx.Response:
    return httpx.Response(200, json=OK, headers={**AZ, **headers})


def err(status: int, body: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body or {"error": {"code": str(status), "message": "nope"}}, headers=headers)


def sse(*objs: Any, done: bool = True) -> bytes:
    out = b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in objs)
    return out + (b"data: [DONE]\n\n" if done else b"")


CHUNKS = [
    {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": []},
    {
        "id": "c",
        "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None}],
    },
    {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]


def stream_response(body: bytes | list[bytes], status: int = 200) -> httpx.Response:
    parts = body if isinstance(body, list) else [body]
    return httpx.Response(
        status, headers={"content-type": "text/event-stream", **AZ}, stream=httpx.ByteStream(b"".join(parts))
    )


class Parts(httpx.SyncByteStream):
    def __init__(self, *parts: bytes) -> None:
        self.parts = parts

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from self.parts
