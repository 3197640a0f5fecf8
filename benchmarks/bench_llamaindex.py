"""llamaindex_azoai vs llama-index's own Azure classes vs the floor, side by side.

Run: ``python benchmarks/bench_llamaindex.py [--quick]``. One run; prints a markdown table of
client CPU and ratios; never asserts.

Every contender talks to the same ``httpx.MockTransport`` answering the same canned Azure responses
(bodies pre-built, so the "server" costs next to nothing and only client work is measured):

* anchor: ``llama_index.llms.azure_openai.AzureOpenAI`` / ``llama_index.embeddings.azure_openai
  .AzureOpenAIEmbedding`` (openai SDK underneath) with ``http_client=`` on the mock transport;
* ours: ``llamaindex_azoai.AzureOpenAI`` / ``AzureOpenAIEmbedding`` on the same transport;
* limit: a minimal ``CustomLLM`` doing a bare ``httpx.post`` + ``json.loads`` (and line splitting
  for streams), and a minimal ``BaseEmbedding`` doing a bare post + base64 decode: the least any
  LlamaIndex integration can cost (LlamaIndex's own callbacks and events included, as for all).

Rows: CPU per ``llm.chat`` (through LlamaIndex's callbacks and events, as users call it), CPU per
streamed chunk of ``stream_chat``, CPU to embed 10,000 texts with ``get_text_embedding_batch``,
and the import time added over ``import llama_index.core.llms`` (fresh subprocesses, median).
Targets: chat <= 1/3 of anchor, chunk <= 1/4, embeddings <= 1/2, import < 100 ms.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from array import array
from collections.abc import Callable
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ENDPOINT = "https://bench.openai.azure.com"
API_VERSION = "2024-10-21"
KEY = "bench-key"
DIMS = 1536
FILTERS = {c: {"filtered": False, "severity": "safe"} for c in ("hate", "self_harm", "sexual", "violence")}
PFR = [{"prompt_index": 0, "content_filter_results": {**FILTERS, "jailbreak": {"filtered": False, "detected": False}}}]
HEADERS = {
    "apim-request-id": "0f5e0a4c-3a1b-4f43-9f62-6c1d2b1f7a11",
    "x-request-id": "8c2a5a8e-2c55-4a5b-9d1e-0c8b1f0e2d33",
    "x-ms-region": "Sweden Central",
    "x-ms-deployment-name": "chat",
    "x-ratelimit-remaining-requests": "249",
    "x-ratelimit-remaining-tokens": "249000",
}
JSON_HEADERS = {**HEADERS, "content-type": "application/json"}
SSE_HEADERS = {**HEADERS, "content-type": "text/event-stream"}

CHAT_BODY = json.dumps(
    {
        "id": "chatcmpl-AbC",
        "object": "chat.completion",
        "created": 1730000000,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_1",
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
                    "content": "Hamlet, prince of Denmark, seeks revenge on his uncle Claudius, who "
                    "murdered his father. His hesitation ends in tragedy for nearly everyone.",
                },
            }
        ],
        "usage": {"prompt_tokens": 31, "completion_tokens": 29, "total_tokens": 60},
    }
).encode()


def _sse(n_chunks: int) -> bytes:
    events = [{"id": "", "object": "", "created": 0, "model": "", "choices": [], "prompt_filter_results": PFR}]
    base = {
        "id": "chatcmpl-AbC",
        "object": "chat.completion.chunk",
        "created": 1730000000,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_1",
    }
    events.append(
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "finish_reason": None,
                    "logprobs": None,
                    "content_filter_results": {},
                }
            ],
        }
    )
    for i in range(n_chunks):
        events.append(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": f" word{i}"},
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
                {"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None, "content_filter_results": FILTERS}
            ],
        }
    )
    events.append(
        {
            **base,
            "choices": [],
            "usage": {"prompt_tokens": 31, "completion_tokens": n_chunks, "total_tokens": 31 + n_chunks},
        }
    )
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


class CannedAzure:
    """Pre-built answers: chat JSON, an SSE stream, embeddings (float or base64, per request)."""

    def __init__(self, n_chunks: int) -> None:
        self.n_chunks = n_chunks
        self.stream = _sse(n_chunks)
        self._embeddings: dict[tuple[int, bool], bytes] = {}
        self.calls = 0

    def _embedding_body(self, n: int, b64: bool) -> bytes:
        key = (n, b64)
        body = self._embeddings.get(key)
        if body is None:
            vec = array("f", [((i * 37) % 100) / 100.0 for i in range(DIMS)])
            emb: Any = base64.b64encode(vec.tobytes()).decode() if b64 else [float(x) for x in vec]
            body = json.dumps(
                {
                    "object": "list",
                    "model": "text-embedding-3-small",
                    "data": [{"object": "embedding", "index": i, "embedding": emb} for i in range(n)],
                    "usage": {"prompt_tokens": n * 4, "total_tokens": n * 4},
                }
            ).encode()
            self._embeddings[key] = body
        return body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        path = request.url.path
        if path.endswith("/embeddings"):
            payload = json.loads(request.content)
            n = len(payload["input"]) if isinstance(payload["input"], list) else 1
            b64 = payload.get("encoding_format") == "base64"
            return httpx.Response(200, headers=JSON_HEADERS, content=self._embedding_body(n, b64))
        if b'"stream":true' in request.content.replace(b" ", b""):
            return httpx.Response(200, headers=SSE_HEADERS, content=self.stream)
        return httpx.Response(200, headers=JSON_HEADERS, content=CHAT_BODY)


# -- contenders ------------------------------------------------------------------------------------


def make_anchor_llm(transport: httpx.MockTransport) -> Any:
    from llama_index.llms.azure_openai import AzureOpenAI

    return AzureOpenAI(
        engine="chat",
        model="gpt-4o",
        api_key=KEY,
        azure_endpoint=ENDPOINT,
        api_version=API_VERSION,
        http_client=httpx.Client(transport=transport),
        max_retries=0,
    )


def make_our_llm(transport: httpx.MockTransport) -> Any:
    from llamaindex_azoai import AzureOpenAI

    return AzureOpenAI(
        engine="chat",
        model="gpt-4o",
        api_key=KEY,
        azure_endpoint=ENDPOINT,
        api_version=API_VERSION,
        http_client=httpx.Client(transport=transport),
        max_retries=0,
    )


def make_limit_llm(transport: httpx.MockTransport) -> Any:
    """The floor: a CustomLLM that posts and json.loads, nothing else."""
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    http = httpx.Client(transport=transport)
    url = f"{ENDPOINT}/openai/deployments/chat/chat/completions?api-version={API_VERSION}"
    headers = {"api-key": KEY}

    class BareLLM(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(context_window=128000, is_chat_model=False, model_name="bare")

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            body = {"messages": [{"role": "user", "content": prompt}]}
            data = json.loads(http.post(url, json=body, headers=headers).content)
            return CompletionResponse(text=data["choices"][0]["message"]["content"], raw=data)

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            body = {"messages": [{"role": "user", "content": prompt}], "stream": True}

            def gen() -> Any:
                text = ""
                with http.stream("POST", url, json=body, headers=headers) as r:
                    for line in r.iter_lines():
                        if not line.startswith("data: ") or line == "data: [DONE]":
                            continue
                        data = json.loads(line[6:])
                        choices = data["choices"]
                        delta = (choices[0]["delta"].get("content") or "") if choices else ""
                        text += delta
                        yield CompletionResponse(text=text, delta=delta, raw=data)

            return gen()

    return BareLLM()


def make_limit_embed(transport: httpx.MockTransport, batch: int | None) -> Any:
    """The floor: a minimal BaseEmbedding posting each batch and decoding base64, nothing else."""
    from llama_index.core.base.embeddings.base import BaseEmbedding

    http = httpx.Client(transport=transport)
    url = f"{ENDPOINT}/openai/deployments/emb/embeddings?api-version={API_VERSION}"

    class BareEmbedding(BaseEmbedding):
        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            data = json.loads(
                http.post(url, json={"input": texts, "encoding_format": "base64"}, headers={"api-key": KEY}).content
            )
            return [array("f", base64.b64decode(item["embedding"])).tolist() for item in data["data"]]

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        _get_query_embedding = _get_text_embedding

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_text_embedding(query)

    return BareEmbedding(embed_batch_size=batch or 100)


def make_anchor_embed(transport: httpx.MockTransport, batch: int | None) -> Any:
    from llama_index.embeddings.azure_openai import AzureOpenAIEmbedding

    kw = {} if batch is None else {"embed_batch_size": batch}
    return AzureOpenAIEmbedding(
        azure_deployment="emb",
        model="text-embedding-3-small",
        api_key=KEY,
        azure_endpoint=ENDPOINT,
        api_version=API_VERSION,
        http_client=httpx.Client(transport=transport),
        max_retries=0,
        **kw,
    )


def make_our_embed(transport: httpx.MockTransport, batch: int | None) -> Any:
    from llamaindex_azoai import AzureOpenAIEmbedding

    kw = {} if batch is None else {"embed_batch_size": batch}
    return AzureOpenAIEmbedding(
        azure_deployment="emb",
        model="text-embedding-3-small",
        api_key=KEY,
        azure_endpoint=ENDPOINT,
        api_version=API_VERSION,
        http_client=httpx.Client(transport=transport),
        max_retries=0,
        **kw,
    )


# -- measuring --------------------------------------------------------------------------------------


def cpu(fn: Callable[[], Any], repeat: int) -> float:
    """CPU seconds per call (process time, so worker threads count), after a warm-up."""
    for _ in range(max(10, repeat // 10)):
        fn()
    t = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - t) / repeat


def bench_chat(repeat: int) -> dict[str, float]:
    from llama_index.core.llms import ChatMessage

    messages = [
        ChatMessage(role="system", content="You are a helpful assistant."),
        ChatMessage(role="user", content="Summarise the plot of Hamlet in two sentences."),
    ]
    out = {}
    for name, make in (("anchor", make_anchor_llm), ("ours", make_our_llm), ("limit", make_limit_llm)):
        llm = make(httpx.MockTransport(CannedAzure(1)))
        if name == "limit":
            out[name] = cpu(lambda llm=llm: llm.chat(messages[1:]), repeat)
        else:
            out[name] = cpu(lambda llm=llm: llm.chat(messages), repeat)
    return out


def bench_stream(repeat: int, n_chunks: int) -> dict[str, float]:
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content="Tell me a long story.")]
    out = {}
    for name, make in (("anchor", make_anchor_llm), ("ours", make_our_llm), ("limit", make_limit_llm)):
        llm = make(httpx.MockTransport(CannedAzure(n_chunks)))

        def run(llm: Any = llm) -> None:
            for _ in llm.stream_chat(messages):
                pass

        out[name] = cpu(run, repeat) / n_chunks
    return out


def bench_embed(n_texts: int, batch: int | None) -> dict[str, float]:
    texts = [
        f"Document {i}: the quick brown fox jumps over the lazy dog near river bank {i % 97}." for i in range(n_texts)
    ]
    out = {}
    makers = {"anchor": make_anchor_embed, "ours": make_our_embed, "limit": make_limit_embed}
    for name, make in makers.items():
        emb = make(httpx.MockTransport(CannedAzure(1)), batch)
        emb.get_text_embedding_batch(texts[:10])  # warm-up: lazy imports, client creation
        t = time.process_time()
        emb.get_text_embedding_batch(texts)
        out[name] = time.process_time() - t
    return out


_IMPORTS = {
    "anchor": "from llama_index.llms.azure_openai import AzureOpenAI; "
    "from llama_index.embeddings.azure_openai import AzureOpenAIEmbedding",
    "ours": "import llamaindex_azoai",
    "ours (classes)": "from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding",
    "limit": "import httpx",
}


def import_cost(stmt: str, runs: int) -> float:
    """Median seconds ``stmt`` adds after ``import llama_index.core.llms`` in a fresh interpreter."""
    code = "import time, llama_index.core.llms; t = time.perf_counter(); " + stmt + "; print(time.perf_counter() - t)"
    samples = []
    for _ in range(runs):
        res = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        samples.append(float(res.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    repeat = 50 if args.quick else 300
    stream_repeat = 5 if args.quick else 20
    n_chunks = 200
    n_texts = 2_000 if args.quick else 10_000
    import_runs = 3 if args.quick else 7

    rows: list[tuple[str, dict[str, float], str]] = []
    rows.append(("CPU per `chat()`", bench_chat(repeat), "<= 1/3"))
    rows.append(
        (f"CPU per streamed chunk ({n_chunks}-chunk `stream_chat`)", bench_stream(stream_repeat, n_chunks), "<= 1/4")
    )
    rows.append((f"CPU to embed {n_texts:,} texts, embed_batch_size=100 for all", bench_embed(n_texts, 100), "<= 1/2"))
    rows.append(
        (f"CPU to embed {n_texts:,} texts, each class's default batch size", bench_embed(n_texts, None), "<= 1/2")
    )
    imports = {k: import_cost(v, import_runs) for k, v in _IMPORTS.items()}
    rows.append(
        (
            "import added over `import llama_index.core.llms`",
            {"anchor": imports["anchor"], "ours": imports["ours"], "limit": imports["limit"]},
            "< 100 ms",
        )
    )
    rows.append(
        (
            "  same, with the classes loaded",
            {"anchor": imports["anchor"], "ours": imports["ours (classes)"], "limit": imports["limit"]},
            "< 100 ms",
        )
    )

    print("| operation | anchor | ours | limit | ours/anchor | ours/limit | target |")
    print("|---|---|---|---|---|---|---|")
    for label, r, target in rows:
        print(
            f"| {label} | {fmt_time(r['anchor'])} | {fmt_time(r['ours'])} | {fmt_time(r['limit'])} | "
            f"{r['ours'] / r['anchor']:.2f} | {r['ours'] / r['limit']:.2f} | {target} |"
        )
    print()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; CPU = time.process_time(); "
        "imports = median wall time in fresh interpreters."
    )


if __name__ == "__main__":
    main()
