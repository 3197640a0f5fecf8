"""A 401 for an Entra token whose provider hands the same token back (a hand-rolled cache that gives
its token out until ``exp`` while Azure's clock runs ahead): azoai asks the provider again, waits
while it keeps returning the refused token (a bounded budget), and replays every request with the
new token; concurrent callers share one refresh. A provider that never replaces it ends every
caller with one AuthenticationError that says so. Sync threads and async tasks, a loopback server
that refuses chosen tokens; the waits are recorded, not slept."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, Target, resolve_target
from shared_core.connection.credentials import BearerTokenCredential
from shared_core.connection.identity import FetchedToken
from shared_core.connection.token_cache import REFUSED_BUDGET, refused_wait
from shared_core.errors import AuthenticationError
from tests.unit.auth_fakes import jwt

CALLERS = 8
REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
OK = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5.2",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
}
# what Azure OpenAI answers an expired token (recordings: REPORT.md, "401 token expired")
EXPIRED = {"error": {"code": "401", "message": "Access denied due to invalid subscription key or token expired."}}


class Backlogged(ThreadingHTTPServer):
    request_queue_size = 64  # every caller connects at once


class Azure:
    """Answers chat calls, 401 for the tokens in ``refused``; counts the answers per token."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.seen: Counter[tuple[str, int]] = Counter()  # (token, status) -> requests
        outer, lock = self, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                token = (self.headers.get("authorization") or "").removeprefix("Bearer ")
                status = 401 if token in outer.refused else 200
                with lock:
                    outer.seen[token, status] += 1
                data = json.dumps(EXPIRED if status == 401 else OK).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = Backlogged(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Provider:
    """Hands out ``tokens[i]`` on its i-th call, then the last one for ever; counts its calls."""

    def __init__(self, *tokens: str) -> None:
        self.tokens = tokens
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            self.calls += 1
            return self.tokens[min(self.calls, len(self.tokens)) - 1]

    async def acall(self) -> str:
        return self()


class Clock:
    """Epoch seconds that move only with the waits the cache asks for (recorded, not slept)."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


AUD = "https://cognitiveservices.azure.com"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> tuple[str, str]:
    """(a token Azure refuses 5 s before its exp, as with its clock ahead; one valid for an hour)"""
    return jwt(exp=clock.now + 5, aud=AUD), jwt(exp=clock.now + 3600, aud=AUD)


@pytest.fixture
def azure(tokens: tuple[str, str]) -> Iterator[Azure]:
    server = Azure({tokens[0]})
    yield server
    server.stop()


def client(server: Azure, provider: Provider, clock: Clock, *, native_async: bool = False) -> CoreClient:
    auth: dict[str, Any] = (
        {"azure_ad_async_token_provider": provider.acall} if native_async else {"azure_ad_token_provider": provider}
    )
    target: Target = resolve_target(azure_endpoint=server.url, deployment="gpt-5.2", env={}, **auth)
    cred = target.credential
    assert isinstance(cred, BearerTokenCredential)
    cred.clock, cred.sleep, cred.asleep = clock, clock.sleep, clock.asleep
    return CoreClient(target, options=ClientOptions(use_aiohttp=False))


def run_threads(core: CoreClient) -> list[object]:
    start = threading.Barrier(CALLERS)

    def one(_: int) -> object:
        start.wait(10)
        try:
            return core.chat(REQ).first.content
        except AuthenticationError as exc:
            return exc

    with core, ThreadPoolExecutor(CALLERS) as pool:
        return list(pool.map(one, range(CALLERS)))


async def run_tasks(core: CoreClient) -> list[object]:
    async def one() -> object:
        try:
            return (await core.achat(REQ)).first.content
        except AuthenticationError as exc:
            return exc

    async with core:
        return list(await asyncio.gather(*(one() for _ in range(CALLERS))))


def test_the_waits_for_a_refused_token_are_bounded() -> None:
    now = time.time()
    expiring, valid = FetchedToken(SecretStr("t1"), now + 5), FetchedToken(SecretStr("t2"), now + 3600)

    def schedule(token: FetchedToken) -> list[float]:
        waits: list[float] = []
        while (wait := refused_wait(len(waits), sum(waits), token, now)) is not None:
            waits.append(wait)
        return waits

    assert schedule(expiring) == [0.05, 0.1, 0.2, 0.4, 0.8] + [1.0] * 8  # 9.55 s of REFUSED_BUDGET
    assert sum(schedule(expiring)) <= REFUSED_BUDGET
    assert schedule(valid) == [0.05, 0.1, 0.2]  # not about expiry: three quick asks more, then give up


@pytest.mark.parametrize("mode", ["threads", "tasks", "tasks-async-provider"])
def test_every_request_is_replayed_once_the_provider_replaces_the_refused_token(
    azure: Azure, clock: Clock, tokens: tuple[str, str], mode: str
) -> None:
    expiring, fresh = tokens
    # the provider's cache hands the refused token out twice more before it renews it
    provider = Provider(expiring, expiring, expiring, fresh)
    core = client(azure, provider, clock, native_async=mode == "tasks-async-provider")
    results = run_threads(core) if mode == "threads" else asyncio.run(run_tasks(core))
    assert results == ["hello"] * CALLERS  # none lost
    # one fetch, then one shared refresh: asked again after the 401, twice more after a wait each
    assert provider.calls == 4 and clock.slept == [0.05, 0.1]
    assert azure.seen[fresh, 200] == CALLERS and azure.seen[fresh, 401] == 0
    assert 1 <= azure.seen[expiring, 401] <= CALLERS  # at most one 401 per call
    assert set(azure.seen) <= {(expiring, 401), (fresh, 200)}


@pytest.mark.parametrize("mode", ["threads", "tasks"])
def test_a_provider_that_keeps_returning_the_refused_token_is_a_typed_error(
    azure: Azure, clock: Clock, tokens: tuple[str, str], mode: str
) -> None:
    fresh = tokens[1]
    azure.refused.add(fresh)  # valid for an hour, yet refused: the 401 is not about its expiry
    provider = Provider(fresh)
    core = client(azure, provider, clock)
    results = run_threads(core) if mode == "threads" else asyncio.run(run_tasks(core))
    assert all(isinstance(r, AuthenticationError) for r in results), results
    error = results[0]
    assert isinstance(error, AuthenticationError) and all(r is error for r in results)  # one refresh, one verdict
    assert error.status == 401 and error.code == "RefusedTokenReturned"
    message = str(error)
    assert message.startswith(
        "Azure OpenAI refused an Entra ID token from the token provider Provider (HTTP 401), and the source"
        " handed back that same token each of the 4 times azoai asked for a new one over 0.35 s, so the"
        " request was not replayed. It is valid until "
    )
    assert "the 401 is not about its expiry: check its audience" in message
    assert "make the source return a new token when it is asked again after a 401" in message
    assert fresh not in message  # the token itself never appears
    assert provider.calls == 5 and clock.slept == [0.05, 0.1, 0.2]
    # each call sent at most once (none replayed): a caller that came after the first 401 has the verdict
    assert set(azure.seen) == {(fresh, 401)} and 1 <= azure.seen[fresh, 401] <= CALLERS
