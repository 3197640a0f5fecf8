"""langchain_azoai vs langchain-openai (the anchor) on identical canned Azure traffic.

Both sides get the same ``httpx.MockTransport`` answering with the same Azure-shaped bodies, so
what is measured is client CPU: request building, HTTP client, parsing, LangChain objects.
The "limit" is a minimal ``BaseChatModel`` that posts with bare httpx and ``json.loads``: what any
LangChain chat model costs at the least. One run, ratios printed as a markdown table.

    python benchmarks/bench_langchain.py
"""

from __future__ import annotations

import base64
import json
import statistics
import struct
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx

warnings.filterwarnings("ignore")

N_INVOKE = 400
N_CHUNKS = 300
N_STREAMS = 20
N_TEXTS = 10_000
DIMS = 1536
SAFE = {"filtered": False, "severity": "safe"}
CFR = {"hate": SAFE, "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}
HEADERS = {
    "content-type": "application/json",
    "apim-request-id": "5d7c0b9c-1",
    "x-ms-region": "Sweden Central",
    "x-ratelimit-remaining-tokens": "9000",
    "x-ratelimit-remaining-requests": "99",
}
ENDPOINT = "https://bench.openai.azure.com"

CHAT = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-2024-11-20",
        "system_fingerprint": "fp_1",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": CFR}],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "J'adore la programmation."},
                "content_filter_results": CFR,
            }
        ],
        "usage": {
            "prompt_tokens": 28,
            "completion_tokens": 6,
            "total_tokens": 34,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }
).encode()


def _stream_body(n: int) -> bytes:
    base = {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-2024-11-20",
        "system_fingerprint": "fp_1",
    }
    events: list[dict[str, Any]] = [
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": CFR}],
        }
    ]
    events.append(
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "finish_reason": None,
                    "content_filter_results": {},
                }
            ],
        }
    )
    for i in range(n):
        events.append(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": f" w{i}"},
                        "finish_reason": None,
                        "logprobs": None,
                        "content_filter_results": CFR,
                    }
                ],
            }
        )
    events.append(
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "content_filter_results": CFR}]}
    )
    events.append({**base, "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n}})
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + (b"data: [DONE]\n\n")


STREAM = _stream_body(N_CHUNKS)
_VECTOR = base64.b64encode(struct.pack(f"<{DIMS}f", *([0.01] * DIMS))).decode()
_EMB_CACHE: dict[int, bytes] = {}


def _embeddings_body(n: int) -> bytes:
    body = _EMB_CACHE.get(n)
    if body is None:
        data = [{"object": "embedding", "index": i, "embedding": _VECTOR} for i in range(n)]
        body = _EMB_CACHE[n] = json.dumps(
            {"object": "list", "data": data, "model": "emb", "usage": {"prompt_tokens": n, "total_tokens": n}}
        ).encode()
    return body


def handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.endswith("/embeddings"):
        n = len(json.loads(request.content)["input"])
        return httpx.Response(200, content=_embeddings_body(n), headers=HEADERS)
    if b'"stream":true' in request.content.replace(b" ", b""):
        return httpx.Response(200, content=STREAM, headers={**HEADERS, "content-type": "text/event-stream"})
    return httpx.Response(200, content=CHAT, headers=HEADERS)


async def ahandler(request: httpx.Request) -> httpx.Response:
    return handler(request)


def clients() -> dict[str, Any]:
    return {
        "http_client": httpx.Client(transport=httpx.MockTransport(handler)),
        "http_async_client": httpx.AsyncClient(transport=httpx.MockTransport(ahandler)),
    }


COMMON = {
    "azure_endpoint": ENDPOINT,
    "api_key": "bench-key",
    "azure_deployment": "gpt-4o",
    "api_version": "2024-10-21",
    "model": "gpt-4o",
    "max_retries": 0,
}
MESSAGES = [
    ("system", "You are a helpful translator. Translate the user sentence to French."),
    ("human", "I love programming."),
]


# ------------------------------------------------------------------ the limit


def limit_model() -> Any:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    http = httpx.Client(transport=httpx.MockTransport(handler))
    url = f"{ENDPOINT}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"

    class Bare(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "bare"

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
            body = {"messages": [{"role": m.type, "content": m.content} for m in messages]}
            data = json.loads(http.post(url, json=body, headers={"api-key": "k"}).content)
            choice = data["choices"][0]
            return ChatResult(
                generations=[ChatGeneration(message=AIMessage(content=choice["message"]["content"], id=data["id"]))]
            )

        def _stream(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Iterator[ChatGenerationChunk]:
            body = {"messages": [{"role": m.type, "content": m.content} for m in messages], "stream": True}
            with http.stream("POST", url, json=body, headers={"api-key": "k"}) as r:
                for line in r.iter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    data = json.loads(line[6:])
                    if data["choices"]:
                        text = data["choices"][0]["delta"].get("content") or ""
                        yield ChatGenerationChunk(message=AIMessageChunk(content=text))

    return Bare()


# ------------------------------------------------------------------ measurements


def cpu_per(fn: Callable[[], Any], n: int, warm: int = 5) -> float:
    for _ in range(warm):
        fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n


def chat_models() -> dict[str, Any]:
    import langchain_openai

    import langchain_azoai

    return {
        "anchor": langchain_openai.AzureChatOpenAI(**COMMON, **clients()),
        "ours": langchain_azoai.AzureChatOpenAI(**COMMON, **clients()),
        "limit": limit_model(),
    }


def bench_invoke(models: dict[str, Any]) -> dict[str, float]:
    out = {}
    for name, m in models.items():
        msg = m.invoke(MESSAGES)
        assert msg.content == "J'adore la programmation.", (name, msg.content)
        out[name] = cpu_per(lambda m=m: m.invoke(MESSAGES), N_INVOKE)
    return out


def bench_stream(models: dict[str, Any]) -> dict[str, float]:
    out = {}
    for name, m in models.items():
        chunks = list(m.stream(MESSAGES))
        text = "".join(c.content for c in chunks if isinstance(c.content, str))
        assert text.endswith(f" w{N_CHUNKS - 1}"), name
        out[name] = cpu_per(lambda m=m: list(m.stream(MESSAGES)), N_STREAMS, warm=2) / N_CHUNKS
    return out


def bench_embeddings() -> dict[str, float]:
    import langchain_openai

    import langchain_azoai

    texts = [f"document number {i} about topic {i % 97}" for i in range(N_TEXTS)]
    emb = {**COMMON, "azure_deployment": "emb", "model": "text-embedding-3-small"}
    # the anchor tokenises with tiktoken (downloads a file) unless told not to: offline here
    anchor = langchain_openai.AzureOpenAIEmbeddings(**emb, **clients(), check_embedding_ctx_length=False)
    ours = langchain_azoai.AzureOpenAIEmbeddings(**emb, **clients())
    out = {}
    for name, e in (("anchor", anchor), ("ours", ours)):
        vecs = e.embed_documents(texts[:10])
        assert len(vecs) == 10 and len(vecs[0]) == DIMS, name
        start = time.process_time()
        vecs = e.embed_documents(texts)
        out[name] = time.process_time() - start
        assert len(vecs) == N_TEXTS
    http = httpx.Client(transport=httpx.MockTransport(handler))
    url = f"{ENDPOINT}/openai/deployments/emb/embeddings?api-version=2024-10-21"
    start = time.process_time()
    result: list[list[float]] = []
    for i in range(0, N_TEXTS, 2048):
        data = json.loads(http.post(url, json={"input": texts[i : i + 2048]}).content)
        for d in data["data"]:
            raw = base64.b64decode(d["embedding"])
            result.append(list(struct.unpack(f"<{len(raw) // 4}f", raw)))
    out["limit"] = time.process_time() - start
    return out


_CONSTRUCT = """
import time, warnings
warnings.filterwarnings("ignore")
from {module} import AzureChatOpenAI  # import cost is measured separately
kw = dict(azure_endpoint="https://bench.openai.azure.com", api_key="k", azure_deployment="gpt-4o",
          api_version="2024-10-21", model="gpt-4o")
t = time.perf_counter(); AzureChatOpenAI(**kw); first = time.perf_counter() - t
n = 200
t = time.perf_counter()
for _ in range(n):
    AzureChatOpenAI(**kw)
print(first, (time.perf_counter() - t) / n)
"""

_IMPORT = """
import time
t = time.perf_counter(); import langchain_core.language_models; base = time.perf_counter() - t
t = time.perf_counter(); import {module}; added = time.perf_counter() - t
print(base, added)
"""

# The classes themselves, over what any LangChain chat model must import (BaseChatModel etc.)
_IMPORT_CLASSES = """
import time
t = time.perf_counter()
from langchain_core.language_models import BaseChatModel, BaseLLM
from langchain_core.embeddings import Embeddings
import httpx
base = time.perf_counter() - t
t = time.perf_counter()
from {module} import AzureChatOpenAI, AzureOpenAIEmbeddings, AzureOpenAI
added = time.perf_counter() - t
print(base, added)
"""


def _run(code: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return [float(x) for x in out.stdout.split()]


def bench_construct() -> dict[str, tuple[float, float]]:
    return {
        name: tuple(statistics.median(r[i] for r in runs) for i in (0, 1))  # type: ignore[misc]
        for name, module in (("anchor", "langchain_openai"), ("ours", "langchain_azoai"))
        for runs in [[_run(_CONSTRUCT.format(module=module)) for _ in range(3)]]
    }


def bench_import(code: str) -> dict[str, float]:
    return {
        name: statistics.median(_run(code.format(module=module))[1] for _ in range(5))
        for name, module in (("anchor", "langchain_openai"), ("ours", "langchain_azoai"))
    }


# ------------------------------------------------------------------ report


def _us(x: float) -> str:
    return f"{x * 1e6:,.0f} µs" if x < 0.01 else f"{x * 1e3:,.1f} ms"


def main() -> None:
    models = chat_models()
    inv = bench_invoke(models)
    st = bench_stream(models)
    emb = bench_embeddings()
    con = bench_construct()
    imp = bench_import(_IMPORT)
    imp_cls = bench_import(_IMPORT_CLASSES)
    rows = [
        ("per invoke (CPU)", inv["anchor"], inv["ours"], inv["limit"], "<= 1/3"),
        (f"per streamed chunk (CPU, {N_CHUNKS}-chunk stream)", st["anchor"], st["ours"], st["limit"], "<= 1/4"),
        (f"embed {N_TEXTS:,} texts (CPU, {DIMS} dims)", emb["anchor"], emb["ours"], emb["limit"], "<= 1/2"),
        ("construct chat model, first in process", con["anchor"][0], con["ours"][0], None, "< 1 ms"),
        ("construct chat model, after", con["anchor"][1], con["ours"][1], None, ""),
        (
            "`import <pkg>` added over `import langchain_core.language_models`",
            imp["anchor"],
            imp["ours"],
            None,
            "< 100 ms",
        ),
        (
            "`from <pkg> import` the 3 classes, over BaseChatModel+BaseLLM+Embeddings+httpx",
            imp_cls["anchor"],
            imp_cls["ours"],
            None,
            "",
        ),
    ]
    print(
        "| operation | anchor (langchain-openai) | ours (langchain_azoai) | limit | "
        "ours / anchor | ours / limit | target |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, a, o, lim, target in rows:
        lim_s = _us(lim) if lim is not None else "-"
        ratio_l = f"{o / lim:.2f}" if lim else "-"
        print(f"| {name} | {_us(a)} | {_us(o)} | {lim_s} | {o / a:.3f} | {ratio_l} | {target} |")


if __name__ == "__main__":
    main()
