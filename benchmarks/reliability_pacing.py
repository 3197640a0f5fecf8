"""Reliability: many callers on one rate-limited deployment (issue 13 §1). Ours vs the anchors.

A loopback server enforces Azure-like limits per deployment as token buckets holding one second
of their rate (Azure checks per-minute limits over 1 s intervals): a request limit, and a token
limit that charges each request at admission with its estimated tokens (prompt, counted the
server's own way, plus ``max_tokens``) and gives back the difference to its real usage once it is
answered. Every answer carries ``x-ratelimit-limit-*`` / ``-remaining-*`` / ``-reset-*``; a 429
carries ``retry-after-ms`` / ``retry-after`` (the time until the bucket holds the request).

Scenarios (each client with its default settings, ``CALLERS`` threads at once):

* ``requests``: chat calls against a ``RATE`` request/s limit. Ideal: calls / rate.
* ``tokens``: a mixed load, chat calls and embedding batches (two deployments, one token limit
  each), against a tokens-per-minute limit. Ideal: the tokens the whole job uses on the busier
  deployment / its token rate.

Printed: calls served and lost, 429s received (and per call), wall time against the ideal.

    python benchmarks/reliability_pacing.py [--calls 300] [--callers 30] [--rate 20] [--quick]

``--quick`` runs 60 calls per scenario and client (well under a minute on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from fault_region import Loopback

warnings.filterwarnings("ignore")
logging.getLogger("llama_index").setLevel(logging.ERROR)  # its retries log each 429 as a warning

CHAT_DEPLOYMENT = "gpt-5.2"
EMBED_DEPLOYMENT = "text-embedding-3-small"
API_VERSION = "2024-10-21"
MAX_TOKENS = 200  # what each chat call asks for
COMPLETION_TOKENS = 40  # what it really gets
DIMS = 8


@dataclass
class Bucket:
    """A token bucket holding one second of ``rate``; ``level`` may go negative (refunds)."""

    rate: float
    level: float = 0.0
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.level = self.rate

    def refill(self, now: float) -> None:
        self.level = min(self.rate, self.level + (now - self.at) * self.rate)
        self.at = now

    def wait_for(self, cost: float) -> float:
        need = min(cost, self.rate) - self.level
        return max(0.0, need / self.rate)


def prompt_tokens(texts: list[Any], embeddings: bool) -> int:
    """The server's own count: the rule of thumb "100 tokens ~ 75 words" (close to o200k on prose)."""
    return sum(math.ceil(len(str(t).split()) * 4 / 3) + (0 if embeddings else 3) for t in texts)


class LimitedServer:
    """Per-deployment request and token buckets; counts what it served and refused."""

    def __init__(self, rps: float | None, tps: float | None) -> None:
        self.lock = threading.Lock()
        self.rps, self.tps = rps, tps
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.served = 0
        self.throttled = 0
        self.tokens_used = {CHAT_DEPLOYMENT: 0, EMBED_DEPLOYMENT: 0}
        server = Loopback(self.handle)
        self.url, self.stop = server.url, server.stop

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        deployment = h.path.split("/deployments/", 1)[1].split("/", 1)[0]
        status, headers, body = self.answer(deployment, h.path, json.loads(raw or b"{}"))
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def bucket(self, deployment: str, kind: str, rate: float) -> Bucket:
        b = self.buckets.get((deployment, kind))
        if b is None:
            b = self.buckets[(deployment, kind)] = Bucket(rate)
        return b

    def answer(self, deployment: str, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        embeddings = path.split("?")[0].endswith("/embeddings")
        texts = payload.get("input") if embeddings else [m.get("content") or "" for m in payload.get("messages", [])]
        if isinstance(texts, str):
            texts = [texts]
        prompt = prompt_tokens(texts or [], embeddings)
        completion = 0 if embeddings else COMPLETION_TOKENS
        estimate = prompt + (
            0 if embeddings else int(payload.get("max_completion_tokens") or payload.get("max_tokens") or 4096)
        )
        with self.lock:
            now = time.monotonic()
            req = self.bucket(deployment, "requests", self.rps) if self.rps else None
            tok = self.bucket(deployment, "tokens", self.tps) if self.tps else None
            waits = []
            for b, cost in ((req, 1.0), (tok, float(estimate))):
                if b is not None:
                    b.refill(now)
                    waits.append(b.wait_for(cost))
            wait = max(waits, default=0.0)
            if wait > 0:
                self.throttled += 1
            else:
                self.served += 1
                if req is not None:
                    req.level -= 1
                if tok is not None:
                    tok.level -= prompt + completion  # admitted at the estimate, settled at once
                self.tokens_used[deployment] = self.tokens_used.get(deployment, 0) + prompt + completion
            headers = self.limit_headers(req, tok)
        if wait > 0:
            which = "token" if tok is not None and tok.wait_for(estimate) >= wait else "call"
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
            headers["retry-after"] = str(math.ceil(wait))
            message = (
                f"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version {API_VERSION} have"
                f" exceeded {which} rate limit of your current AIServices S0 pricing tier. Please retry after"
                f" {math.ceil(wait)} second{'s' if math.ceil(wait) != 1 else ''}."
            )
            return 429, headers, json.dumps({"error": {"code": "429", "message": message}}).encode()
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        if embeddings:
            data = [{"object": "embedding", "index": i, "embedding": [0.1] * DIMS} for i in range(len(texts or []))]
            body = {"object": "list", "data": data, "model": "text-embedding-3-small", "usage": usage}
        else:
            body = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1700000000,
                "model": "gpt-5.2-2025-12-11",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi."}}],
                "usage": usage,
            }
        return 200, headers, json.dumps(body).encode()

    def limit_headers(self, req: Bucket | None, tok: Bucket | None) -> dict[str, str]:
        out = {}
        for name, b in (("requests", req), ("tokens", tok)):
            if b is None:
                continue
            out[f"x-ratelimit-limit-{name}"] = str(round(b.rate * 60))
            out[f"x-ratelimit-remaining-{name}"] = str(max(0, math.floor(b.level)))
            out[f"x-ratelimit-reset-{name}"] = str(math.ceil(max(0.0, b.rate - b.level) / b.rate))
        return out


# -- contenders: (chat(prompt), embed(texts)) for an endpoint ------------------------------------------

Contender = Callable[[str], tuple[Callable[[str], Any], Callable[[list[str]], Any]]]


def ours_langchain(url: str) -> tuple[Callable[[str], Any], Callable[[list[str]], Any]]:
    from langchain_azoai import AzureChatOpenAI, AzureOpenAIEmbeddings

    kw: dict[str, Any] = dict(azure_endpoint=url, api_key="bench-key", api_version=API_VERSION)
    llm = AzureChatOpenAI(azure_deployment=CHAT_DEPLOYMENT, max_tokens=MAX_TOKENS, **kw)
    emb = AzureOpenAIEmbeddings(azure_deployment=EMBED_DEPLOYMENT, model="text-embedding-3-small", **kw)
    return llm.invoke, emb.embed_documents


def anchor_langchain(url: str) -> tuple[Callable[[str], Any], Callable[[list[str]], Any]]:
    from langchain_openai import AzureChatOpenAI, AzureOpenAIEmbeddings

    kw: dict[str, Any] = dict(azure_endpoint=url, api_key="bench-key", api_version=API_VERSION)
    llm = AzureChatOpenAI(azure_deployment=CHAT_DEPLOYMENT, max_tokens=MAX_TOKENS, **kw)
    # the anchor tokenises with tiktoken (downloads a file) unless told not to: offline here
    emb = AzureOpenAIEmbeddings(
        azure_deployment=EMBED_DEPLOYMENT, model="text-embedding-3-small", check_embedding_ctx_length=False, **kw
    )
    return llm.invoke, emb.embed_documents


def ours_llamaindex(url: str) -> tuple[Callable[[str], Any], Callable[[list[str]], Any]]:
    from llama_index.core.llms import ChatMessage

    from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding

    kw: dict[str, Any] = dict(azure_endpoint=url, api_key="bench-key", api_version=API_VERSION)
    llm = AzureOpenAI(engine=CHAT_DEPLOYMENT, model="gpt-5.2", max_tokens=MAX_TOKENS, **kw)
    emb = AzureOpenAIEmbedding(azure_deployment=EMBED_DEPLOYMENT, model="text-embedding-3-small", **kw)
    return (lambda p: llm.chat([ChatMessage(role="user", content=p)])), emb.get_text_embedding_batch


def anchor_llamaindex(url: str) -> tuple[Callable[[str], Any], Callable[[list[str]], Any]]:
    from llama_index.core.llms import ChatMessage
    from llama_index.embeddings.azure_openai import AzureOpenAIEmbedding
    from llama_index.llms.azure_openai import AzureOpenAI

    kw: dict[str, Any] = dict(azure_endpoint=url, api_key="bench-key", api_version=API_VERSION)
    # llama-index looks the model up in its own table: gpt-4o is a name it knows (not a deployment)
    llm = AzureOpenAI(engine=CHAT_DEPLOYMENT, model="gpt-4o", max_tokens=MAX_TOKENS, **kw)
    emb = AzureOpenAIEmbedding(azure_deployment=EMBED_DEPLOYMENT, model="text-embedding-3-small", **kw)
    return (lambda p: llm.chat([ChatMessage(role="user", content=p)])), emb.get_text_embedding_batch


CONTENDERS: list[tuple[str, Contender]] = [
    ("langchain_azoai", ours_langchain),
    ("langchain-openai", anchor_langchain),
    ("llamaindex_azoai", ours_llamaindex),
    ("llama-index", anchor_llamaindex),
]

PROMPT = "Summarise the quarterly report in one sentence, please. " * 3
TEXTS = [f"Passage {i}: the warehouse ships pallets of widgets every Tuesday morning." for i in range(16)]


def run(name: str, make: Contender, scenario: str, calls: int, callers: int, rate: float) -> dict[str, Any]:
    if scenario == "requests":
        server = LimitedServer(rps=rate, tps=None)
    else:
        server = LimitedServer(rps=None, tps=rate)
    warm = LimitedServer(rps=None, tps=None)
    try:
        chat, embed = make(warm.url)  # imports and first-call costs outside the measured run
        chat(PROMPT)
        embed(TEXTS)
    finally:
        warm.stop()
    try:
        chat, embed = make(server.url)
        jobs: list[Callable[[], Any]] = []
        for i in range(calls):
            if scenario == "tokens" and i % 2:
                jobs.append(lambda: embed(TEXTS))
            else:
                jobs.append(lambda: chat(PROMPT))
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=callers) as pool:
            outcomes = list(pool.map(_outcome, jobs))
        wall = time.monotonic() - started
    finally:
        server.stop()
    lost = [o for o in outcomes if o is not None]
    if scenario == "requests":
        ideal = calls / rate
    else:  # the tokens the whole job uses on the busier deployment, at the token rate
        chat_tokens = prompt_tokens([PROMPT], False) + COMPLETION_TOKENS
        embed_tokens = prompt_tokens(TEXTS, True)
        ideal = max((calls - calls // 2) * chat_tokens, calls // 2 * embed_tokens) / rate
    return {
        "client": name,
        "served": calls - len(lost),
        "lost": len(lost),
        "429s": server.throttled,
        "server_served": server.served,
        "wall": wall,
        "ideal": ideal,
        "errors": ", ".join(sorted(set(lost))) or "-",
    }


def _outcome(job: Callable[[], Any]) -> str | None:
    try:
        job()
    except Exception as exc:
        return type(exc).__name__
    return None


def table(rows: list[dict[str, Any]], calls: int) -> None:
    print("| client | served | lost | 429s | 429s per call | wall time | ideal | wall / ideal | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['client']} | {r['served']}/{calls} | {r['lost']} | {r['429s']} | {r['429s'] / calls:.2f}"
            f" | {r['wall']:.1f} s | {r['ideal']:.1f} s | {r['wall'] / r['ideal']:.2f} | {r['errors']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--callers", type=int, default=30)
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s of the request limit")
    parser.add_argument("--tpm", type=float, default=120_000.0, help="tokens/minute of the token limit")
    parser.add_argument("--quick", action="store_true", help="60 calls")
    parser.add_argument("--only", choices=["requests", "tokens"], default=None)
    parser.add_argument("--clients", default=",".join(n for n, _ in CONTENDERS), help="comma-separated names")
    args = parser.parse_args()
    calls = 60 if args.quick else args.calls
    chosen = [(n, m) for n, m in CONTENDERS if n in args.clients.split(",")]
    if args.only in (None, "requests"):
        print(
            f"\nRequest limit: {args.rate:g} requests/s (token bucket, 1 s burst); {calls} chat calls from {args.callers} threads\n"
        )
        table([run(n, m, "requests", calls, args.callers, args.rate) for n, m in chosen], calls)
    if args.only in (None, "tokens"):
        tps = args.tpm / 60.0
        print(
            f"\nToken limit: {args.tpm:g} tokens/minute per deployment (token bucket, 1 s burst); {calls} calls from"
            f" {args.callers} threads, half chat (max_tokens={MAX_TOKENS}), half embedding batches of {len(TEXTS)}\n"
        )
        table([run(n, m, "tokens", calls, args.callers, tps) for n, m in chosen], calls)


if __name__ == "__main__":
    main()
