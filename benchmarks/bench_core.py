"""Client-side cost of shared_core vs the floor (bare httpx + json) vs the openai SDK.

Run: ``python benchmarks/bench_core.py [--quick]``. Prints tables of ratios; never asserts.

1. Per-call client CPU (``time.process_time``) through ``httpx.MockTransport`` answering canned
   Azure responses (so only client work is measured): a chat call, a streamed call (per chunk),
   an embeddings call (16 inputs x 1536 dims, base64).
   * floor: ``httpx.Client.post`` + ``json.dumps``/``json.loads`` (+ base64 decode for embeddings,
     + line splitting for streams): what any client must at least do;
   * shared_core: ``CoreClient`` (retries, typed errors, metadata, family rules, SSE decoder);
   * openai: ``openai.AzureOpenAI`` on the same mock transport.
   Targets: shared_core <= 1.5x floor, >= 3x cheaper than the SDK.
2. Import time in fresh subprocesses: ``import httpx``, ``import shared_core``,
   ``from shared_core import CoreClient``, ``import openai``. Target: shared_core < 50 ms over httpx.
3. Async concurrency: 500 chats, 50 in flight, against a uvicorn server on 127.0.0.1 in a thread.
   Client CPU is the event-loop thread's CPU (``time.thread_time``), so the server thread is not
   counted. httpx's own pool vs the aiohttp transport (``httpx-aiohttp``), raw and via CoreClient.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shared_core import ChatRequest, ClientOptions, CoreClient, resolve_target  # noqa: E402

ENDPOINT = "https://bench.openai.azure.com"
DEPLOYMENT = "gpt-4o-mini"
API_VERSION = "2024-10-21"
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Summarise the plot of Hamlet in two sentences."},
]
FILTERS = {c: {"filtered": False, "severity": "safe"} for c in ("hate", "self_harm", "sexual", "violence")}
PFR = [{"prompt_index": 0, "content_filter_results": {**FILTERS, "jailbreak": {"filtered": False, "detected": False}}}]
AZURE_HEADERS = {
    "content-type": "application/json",
    "apim-request-id": "0f5e0a4c-3a1b-4f43-9f62-6c1d2b1f7a11",
    "x-request-id": "8c2a5a8e-2c55-4a5b-9d1e-0c8b1f0e2d33",
    "x-ms-region": "Sweden Central",
    "x-ms-deployment-name": DEPLOYMENT,
    "x-ratelimit-remaining-requests": "249",
    "x-ratelimit-remaining-tokens": "249000",
    "x-ratelimit-limit-requests": "250",
    "x-ratelimit-limit-tokens": "250000",
    "azureml-model-session": "d20251223222846-30a367987c6447d9",
    "x-ms-rai-invoked": "true",
    "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
}
CHAT = json.dumps(
    {
        "id": "chatcmpl-AbC123",
        "object": "chat.completion",
        "created": 1737000000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_f97eff32c5",
        "prompt_filter_results": PFR,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "content_filter_results": FILTERS,
                "message": {
                    "role": "assistant",
                    "refusal": None,
                    "annotations": [],
                    "content": "Prince Hamlet seeks revenge on his uncle Claudius, who murdered Hamlet's "
                    "father to seize the throne. His hesitation and feigned madness lead to a "
                    "tragic chain of deaths, including his own.",
                },
            }
        ],
        "usage": {
            "prompt_tokens": 27,
            "completion_tokens": 41,
            "total_tokens": 68,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
    }
).encode()
STREAM_CHUNKS = 200


def _stream_body() -> bytes:
    events = [{"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": PFR}]
    base = {
        "id": "chatcmpl-AbC123",
        "object": "chat.completion.chunk",
        "created": 1737000000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_f97eff32c5",
    }
    events.append(
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": "", "refusal": None},
                    "finish_reason": None,
                    "logprobs": None,
                    "content_filter_results": {},
                }
            ],
        }
    )
    for i in range(STREAM_CHUNKS - 4):
        events.append(
            {
                **base,
                "obfuscation": "x" * (i % 7),
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": f" tok{i}"},
                        "finish_reason": None,
                        "logprobs": None,
                        "content_filter_results": FILTERS,
                    }
                ],
            }
        )
    events.append(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None, "content_filter_results": {}}
            ],
        }
    )
    events.append(
        {**base, "choices": [], "usage": {"prompt_tokens": 27, "completion_tokens": 196, "total_tokens": 223}}
    )
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


STREAM = _stream_body()
STREAM_EVENTS = [e + b"\n\n" for e in STREAM.split(b"\n\n") if e]  # one event per network read


class _Events(httpx.SyncByteStream):
    def __iter__(self) -> Any:
        return iter(STREAM_EVENTS)


EMBED_INPUTS = [f"document number {i} about retrieval and embeddings" for i in range(16)]
EMBED_DIMS = 1536


def _embed_body() -> bytes:
    vec = struct.pack(f"<{EMBED_DIMS}f", *[((i * 37) % 101) / 101.0 for i in range(EMBED_DIMS)])
    data = [
        {"object": "embedding", "index": i, "embedding": base64.b64encode(vec).decode()}
        for i in range(len(EMBED_INPUTS))
    ]
    return json.dumps(
        {
            "object": "list",
            "model": "text-embedding-3-small",
            "data": data,
            "usage": {"prompt_tokens": 128, "total_tokens": 128},
        }
    ).encode()


EMBED = _embed_body()


def handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.endswith("/embeddings"):
        return httpx.Response(200, content=EMBED, headers=AZURE_HEADERS)
    if b'"stream":true' in request.content or b'"stream": true' in request.content:
        sse_headers = {**AZURE_HEADERS, "content-type": "text/event-stream"}
        if b'"user":"split"' in request.content or b'"user": "split"' in request.content:
            return httpx.Response(200, stream=_Events(), headers=sse_headers)
        return httpx.Response(200, content=STREAM, headers=sse_headers)
    return httpx.Response(200, content=CHAT, headers=AZURE_HEADERS)


def mock_client() -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


# ------------------------------------------------------------------------------ contenders

CHAT_URL = f"{ENDPOINT}/openai/deployments/{DEPLOYMENT}/chat/completions?api-version={API_VERSION}"
EMBED_URL = f"{ENDPOINT}/openai/deployments/text-embedding-3-small/embeddings?api-version={API_VERSION}"
FLOOR_HEADERS = {"api-key": "bench-key", "content-type": "application/json"}


def floor_ops() -> dict[str, Callable[[], Any]]:
    http = mock_client()

    def chat() -> Any:
        r = http.post(
            CHAT_URL, content=json.dumps({"messages": MESSAGES, "max_tokens": 100}).encode(), headers=FLOOR_HEADERS
        )
        return json.loads(r.content)

    def streamer(user: str) -> Callable[[], Any]:
        def stream() -> Any:
            body = json.dumps({"messages": MESSAGES, "stream": True, "user": user}).encode()
            out = []
            with http.stream("POST", CHAT_URL, content=body, headers=FLOOR_HEADERS) as r:
                for line in r.iter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        out.append(json.loads(line[6:]))
            return out

        return stream

    def embed() -> Any:
        r = http.post(
            EMBED_URL,
            content=json.dumps({"input": EMBED_INPUTS, "encoding_format": "base64"}).encode(),
            headers=FLOOR_HEADERS,
        )
        data = json.loads(r.content)
        return [array("f", base64.b64decode(d["embedding"])).tolist() for d in data["data"]]

    return {"chat": chat, "stream": streamer("whole"), "stream_split": streamer("split"), "embed": embed}


def core_ops() -> dict[str, Callable[[], Any]]:
    target = resolve_target(
        azure_endpoint=ENDPOINT, deployment=DEPLOYMENT, api_key="bench-key", api_version=API_VERSION, env={}
    )
    etarget = resolve_target(
        azure_endpoint=ENDPOINT,
        deployment="text-embedding-3-small",
        api_key="bench-key",
        api_version=API_VERSION,
        env={},
    )
    http = mock_client()
    client = CoreClient(target, http_client=http)
    eclient = CoreClient(etarget, http_client=http)
    req = ChatRequest(messages=MESSAGES, model="gpt-4o-mini", max_tokens=100)
    sreq = ChatRequest(messages=MESSAGES, model="gpt-4o-mini", stream=True, user="whole")
    sreq_split = ChatRequest(messages=MESSAGES, model="gpt-4o-mini", stream=True, user="split")

    def chat() -> Any:
        return client.chat(req)

    def embed() -> Any:
        return eclient.embed(EMBED_INPUTS)

    return {
        "chat": chat,
        "stream": lambda: list(client.stream_chat(sreq)),
        "stream_split": lambda: list(client.stream_chat(sreq_split)),
        "embed": embed,
    }


def openai_ops() -> dict[str, Callable[[], Any]] | None:
    try:
        import openai
    except ImportError:
        return None
    client = openai.AzureOpenAI(
        azure_endpoint=ENDPOINT, api_key="bench-key", api_version=API_VERSION, max_retries=0, http_client=mock_client()
    )

    def chat() -> Any:
        return client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, max_tokens=100)  # type: ignore[arg-type]

    def streamer(user: str) -> Callable[[], Any]:
        def stream() -> Any:
            return list(
                client.chat.completions.create(
                    model=DEPLOYMENT,
                    messages=MESSAGES,
                    stream=True,  # type: ignore[arg-type]
                    user=user,
                )
            )

        return stream

    def embed() -> Any:
        return client.embeddings.create(model="text-embedding-3-small", input=EMBED_INPUTS)

    return {"chat": chat, "stream": streamer("whole"), "stream_split": streamer("split"), "embed": embed}


def cpu_per_call(fn: Callable[[], Any], n: int, repeats: int = 5) -> float:
    for _ in range(max(3, n // 10)):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n)
    return best


def bench_calls(quick: bool) -> None:
    n = {"chat": 300, "stream": 30, "stream_split": 30, "embed": 100}
    if quick:
        n = {k: max(5, v // 10) for k, v in n.items()}
    contenders = {"floor (httpx+json)": floor_ops(), "shared_core": core_ops()}
    sdk = openai_ops()
    if sdk is not None:
        contenders["openai AzureOpenAI"] = sdk
    results: dict[str, dict[str, float]] = {}
    for name, ops in contenders.items():
        results[name] = {op: cpu_per_call(fn, n[op]) for op, fn in ops.items()}
    floor = results["floor (httpx+json)"]
    print("\n1. client CPU per call (MockTransport, canned Azure answers; best of 5)")
    print("   stream: 200 chunks in one read; stream 1/read: one event per network read")
    print(f"{'':22} {'chat (us)':>10} {'stream/chunk':>13} {'stream 1/read':>14} {'embed 16x1536':>14}")
    for name, r in results.items():
        print(
            f"{name:22} {r['chat'] * 1e6:10.0f} {r['stream'] / STREAM_CHUNKS * 1e6:13.1f}"
            f" {r['stream_split'] / STREAM_CHUNKS * 1e6:14.1f} {r['embed'] * 1e6:14.0f}"
        )
    core = results["shared_core"]

    def ratios(a: dict[str, float], b: dict[str, float]) -> str:
        return "  ".join(f"{k} {a[k] / b[k]:.2f}x" for k in ("chat", "stream", "stream_split", "embed"))

    print("ratios:")
    print(f"  shared_core / floor : {ratios(core, floor)}   (target <= 1.5x)")
    if sdk is not None:
        print(f"  openai / shared_core: {ratios(results['openai AzureOpenAI'], core)}   (target >= 3x)")


# ------------------------------------------------------------------------------ import time

# Bytecode as an installed package has it: written once to a private cache, then reused. (With
# PYTHONDONTWRITEBYTECODE set, as in some CI images, every run would compile our sources afresh,
# while site-packages ship compiled.)
_PYCACHE = os.path.join(tempfile.gettempdir(), "azoai-bench-pycache")
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": _PYCACHE}


def _import_once(stmt: str) -> float:
    code = f"import time; t = time.perf_counter(); {stmt}; print((time.perf_counter() - t) * 1000)"
    cwd = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, cwd=cwd, env=_ENV
    )
    return float(out.stdout.strip())


def bench_imports(quick: bool) -> None:
    runs = 5 if quick else 15
    stmts = {
        "import httpx": "import httpx",
        "import shared_core": "import shared_core",
        "from shared_core import CoreClient": "from shared_core import CoreClient",
        "import openai": "import openai",
    }
    for stmt in stmts.values():  # writes the bytecode cache
        _import_once(stmt)
    samples: dict[str, list[float]] = {k: [] for k in stmts}
    for _ in range(runs):  # interleaved, so load changes hit every contender alike
        for k, stmt in stmts.items():
            samples[k].append(_import_once(stmt))
    res = {k: min(v) for k, v in samples.items()}
    print(f"\n2. import time, fresh subprocess (min / median of {runs}, interleaved)")
    for k, v in samples.items():
        print(f"  {k:36} {min(v):7.1f} / {statistics.median(v):7.1f} ms")
    print(
        f"  CoreClient over httpx (min): {res['from shared_core import CoreClient'] - res['import httpx']:+.1f} ms"
        f"; import shared_core: {res['import shared_core']:.1f} ms (target < 50 ms over httpx)"
    )


# ------------------------------------------------------------------------------ async concurrency


async def _app(scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[Any], Any]) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    headers = [(k.encode(), v.encode()) for k, v in AZURE_HEADERS.items()]
    headers.append((b"content-length", str(len(CHAT)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": CHAT})


class LoopbackServer:
    """uvicorn on 127.0.0.1 (ephemeral port) in a daemon thread; bounded start and stop."""

    def __init__(self) -> None:
        import uvicorn

        self.server = uvicorn.Server(
            uvicorn.Config(_app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("loopback server did not start in 10 s")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


async def _run_concurrent(call: Callable[[], Any], total: int, in_flight: int) -> tuple[float, float]:
    gate = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with gate:
            await asyncio.wait_for(call(), timeout=30)

    await asyncio.gather(*(one() for _ in range(min(in_flight, total))))  # warm the pool
    wall, cpu = time.perf_counter(), time.thread_time()
    await asyncio.gather(*(one() for _ in range(total)))
    return time.perf_counter() - wall, time.thread_time() - cpu


def bench_async(quick: bool) -> None:
    try:
        from httpx_aiohttp import HttpxAiohttpClient
    except ImportError:
        print("\n3. async concurrency: skipped (httpx-aiohttp not installed)")
        return
    total, in_flight = (100, 20) if quick else (500, 50)
    print(f"\n3. async: {total} chats, {in_flight} in flight, loopback uvicorn (client thread CPU)")
    with LoopbackServer() as base:
        url = f"{base}/openai/deployments/{DEPLOYMENT}/chat/completions?api-version={API_VERSION}"
        body = json.dumps({"messages": MESSAGES, "max_tokens": 100}).encode()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
        target = resolve_target(
            azure_endpoint=base, deployment=DEPLOYMENT, api_key="bench-key", api_version=API_VERSION, env={}
        )
        req = ChatRequest(messages=MESSAGES, model="gpt-4o-mini", max_tokens=100)

        async def raw(client_factory: Callable[[], httpx.AsyncClient]) -> tuple[float, float]:
            async with client_factory() as http:

                async def call() -> Any:
                    r = await http.post(url, content=body, headers=FLOOR_HEADERS)
                    return json.loads(r.content)

                return await _run_concurrent(call, total, in_flight)

        async def core(use_aiohttp: bool) -> tuple[float, float]:
            client = CoreClient(target, options=ClientOptions(use_aiohttp=use_aiohttp))
            try:
                return await _run_concurrent(lambda: client.achat(req), total, in_flight)
            finally:
                await client.aclose()

        rows = {
            "httpx.AsyncClient (own pool)": asyncio.run(raw(lambda: httpx.AsyncClient(limits=limits))),
            "httpx + aiohttp transport": asyncio.run(raw(lambda: HttpxAiohttpClient(limits=limits))),
            "CoreClient use_aiohttp=False": asyncio.run(core(False)),
            "CoreClient aiohttp (default)": asyncio.run(core(True)),
        }
    print(f"  {'':30} {'wall (s)':>9} {'req/s':>8} {'client CPU/req (ms)':>20}")
    for name, (wall, cpu) in rows.items():
        print(f"  {name:30} {wall:9.2f} {total / wall:8.0f} {cpu / total * 1000:20.2f}")
    a = rows["httpx.AsyncClient (own pool)"][1]
    b = rows["httpx + aiohttp transport"][1]
    print(f"  aiohttp transport saves {a / b:.1f}x client CPU per request over httpx's pool (raw)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument("--only", choices=["calls", "imports", "async"], help="run one section")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, httpx {httpx.__version__}, {os.cpu_count()} CPUs")
    if args.only in (None, "calls"):
        bench_calls(args.quick)
    if args.only in (None, "imports"):
        bench_imports(args.quick)
    if args.only in (None, "async"):
        bench_async(args.quick)


if __name__ == "__main__":
    main()
