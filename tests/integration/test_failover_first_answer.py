"""A primary region that drops or hangs every connection, with callers waiting on the shared
limiter's probe (the first request to a deployment that never answered): its connection fault
sends every waiting caller to the next target at once, unsent, and opens the primary's breaker,
so the primary sees one request, not one per caller (before: each waiting caller in turn became
the next probe and went to the primary). Sync threads and async tasks; loopback servers only."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target
from shared_core.connection.routing_plan import Group, Leaf
from shared_core.types import ChatResult
from tests.integration.test_policy_loopback import OK, Behaviour, hang_up, json_answer

CALLERS = 12
REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


class Backlogged(ThreadingHTTPServer):
    request_queue_size = 64  # every caller connects at once (the default of 5 drops connections)


class Server:
    """A threaded HTTP/1.1 server on 127.0.0.1 that runs ``behaviour`` for every POST."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.requests = 0
        self.release = threading.Event()  # frees hanging handlers at teardown
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with lock:
                    outer.requests += 1
                behaviour(self)

            def log_message(self, *args: Any) -> None:
                pass

        lock = threading.Lock()
        self.httpd = Backlogged(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def regions() -> Iterator[Callable[[Behaviour], tuple[Server, Server]]]:
    servers: list[Server] = []

    def make(primary: Behaviour) -> tuple[Server, Server]:
        servers.extend([Server(primary), Server(lambda h: json_answer(h, 200, {**OK, "id": "from-secondary"}))])
        return servers[-2], servers[-1]

    yield make
    for s in servers:
        s.stop()


def core(primary: Server, secondary: Server, *, aiohttp: bool = False) -> CoreClient:
    targets = [
        resolve_target(azure_endpoint=s.url, deployment="gpt-5.2", api_key="k", name=n, env={})
        for s, n in ((primary, "primary"), (secondary, "secondary"))
    ]
    # a short per-attempt timeout for the hanging primary: well under the probe's wait (2 s)
    plan = Group("fallback", (Leaf(0), Leaf(1)), (1.0, 1.0))
    return CoreClient(targets, options=ClientOptions(timeout=0.5, use_aiohttp=aiohttp), plan=plan)


def hang(server: Callable[[], Server]) -> Behaviour:
    def behaviour(h: BaseHTTPRequestHandler) -> None:
        server().release.wait(10)  # freed at teardown; the client's 0.5 s timeout ends the attempt
        h.close_connection = True

    return behaviour


def check(primary: Server, secondary: Server, results: list[ChatResult], client: CoreClient) -> None:
    assert [r.id for r in results] == ["from-secondary"] * CALLERS
    # one request reached the primary (two if a caller chose it in the instant of its fault)
    assert 1 <= primary.requests <= 2, primary.requests
    assert secondary.requests == CALLERS
    # the one that met the fault made two HTTP attempts; the others one: a move unsent is no attempt
    attempts = sorted(r.meta.attempts for r in results if r.meta is not None)
    assert attempts[-primary.requests :] == [2] * primary.requests and set(attempts) <= {1, 2}
    assert client._router.state(0) == "open"


def fault_of(kind: str, primary: Callable[[], Server]) -> Behaviour:
    return hang_up if kind == "closed" else hang(primary)


@pytest.mark.parametrize("kind", ["closed", "hanging"])
def test_threads_waiting_on_a_dropped_probe_fail_over_at_once(
    regions: Callable[[Behaviour], tuple[Server, Server]], kind: str
) -> None:
    holder: list[Server] = []
    primary, secondary = regions(fault_of(kind, lambda: holder[0]))
    holder.append(primary)
    client = core(primary, secondary)
    start = threading.Barrier(CALLERS)

    def one(_: int) -> ChatResult:
        start.wait(10)
        return client.chat(REQ)

    with client, ThreadPoolExecutor(CALLERS) as pool:
        results = list(pool.map(one, range(CALLERS)))
    check(primary, secondary, results, client)


@pytest.mark.parametrize("aiohttp", [False, True], ids=["httpx-pool", "aiohttp"])
@pytest.mark.parametrize("kind", ["closed", "hanging"])
async def test_tasks_waiting_on_a_dropped_probe_fail_over_at_once(
    regions: Callable[[Behaviour], tuple[Server, Server]], kind: str, aiohttp: bool
) -> None:
    holder: list[Server] = []
    primary, secondary = regions(fault_of(kind, lambda: holder[0]))
    holder.append(primary)
    client = core(primary, secondary, aiohttp=aiohttp)
    async with client:
        results = await asyncio.gather(*(client.achat(REQ) for _ in range(CALLERS)))
    check(primary, secondary, list(results), client)
