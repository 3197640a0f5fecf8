"""What observability costs per call: OpenTelemetry absent, installed but unconfigured, and an SDK.

Run: ``python benchmarks/bench_otel.py [--quick]``. Prints a markdown table; never asserts.

Each mode runs in fresh interpreters (the global providers can be set once per process; the modes
interleaved, three runs each, the best kept), over
``httpx.MockTransport`` answering a canned Azure chat completion and a 50-chunk stream, so only
client CPU is measured (``time.process_time``, best of 9 rounds):

* absent: ``opentelemetry`` cannot be imported (as without ``azoai[otel]``): the routing trace only;
* API, no SDK: ``opentelemetry.trace`` / ``.metrics`` imported, no provider set (no observer);
* SDK: a ``TracerProvider`` with a ``SimpleSpanProcessor`` into an ``InMemorySpanExporter`` and a
  ``MeterProvider`` with an ``InMemoryMetricReader``, set globally (span, events and both metrics).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROUNDS = 9  # best of: the machine's other load only ever adds time
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

PRELUDE = {
    "absent": """
import sys
class _Missing:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, _Missing())
""",
    "api": "import opentelemetry.trace, opentelemetry.metrics\n",
    "sdk": """
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
EXPORTER = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(provider)
metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
""",
}

BODY = r"""
import json, sys, time, httpx
from shared_core import ChatRequest, CoreClient, resolve_target
from shared_core.observe import active

ANSWER = json.dumps({
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-5.2-2025-12-11",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there!"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24},
}).encode()
chunk = lambda d, f=None: {"id": "c", "model": "gpt-5.2-2025-12-11", "choices": [{"index": 0, "delta": d, "finish_reason": f}]}
STREAM = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in
                  [chunk({"role": "assistant", "content": ""})] + [chunk({"content": "w "}) for _ in range(49)]
                  + [chunk({}, "stop")]) + b"data: [DONE]\n\n"
HEADERS = {"content-type": "application/json", "x-ms-region": "Sweden Central", "apim-request-id": "r"}

def handler(request):
    if b'"stream":true' in request.content:
        return httpx.Response(200, content=STREAM, headers={**HEADERS, "content-type": "text/event-stream"})
    return httpx.Response(200, content=ANSWER, headers=HEADERS)

client = CoreClient(resolve_target(azure_endpoint="https://bench.openai.azure.com", api_key="k",
                                   deployment="gpt-5.2", api_version="2024-10-21"),
                    http_client=httpx.Client(transport=httpx.MockTransport(handler)))
REQ = ChatRequest(messages=[{"role": "user", "content": "Say hello"}])

def best(fn, n):
    fn()
    rounds = []
    for _ in range(ROUNDS):
        t = time.process_time()
        for _ in range(n):
            fn()
        rounds.append((time.process_time() - t) / n)
        if "EXPORTER" in globals():  # finished spans pile up in memory (and in the GC's work) otherwise
            EXPORTER.clear()
    return min(rounds) * 1e6

from shared_core.observe.calltrace import CallTrace

def bookkeeping():  # what every call now does for its routing trace (and the observer check)
    trace = CallTrace("chat/completions", time.monotonic, 0.0)
    trace.begin(1, client.targets[0], None)
    trace.answered(200, "Sweden Central")
    trace.close("ok")
    trace.end(answer=None)

chat = best(lambda: client.chat(REQ), N)
trace_cost = best(bookkeeping, N * 10)
stream = best(lambda: list(client.stream_chat(REQ)), max(N // 5, 20))
print(json.dumps({"chat": chat, "stream": stream, "trace": trace_cost, "observers": len(active()),
                  "otel_loaded": any(m.startswith("opentelemetry") for m in sys.modules)}))
"""


def run(mode: str, n: int) -> dict[str, float]:
    code = PRELUDE[mode] + f"N = {n}\nROUNDS = {ROUNDS}\n" + BODY
    env = {**os.environ, "PYTHONPATH": REPO}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode:
        raise SystemExit(f"{mode}: {proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 200 if args.quick else 600
    # the modes interleaved, three times each, best kept: another process's load only ever adds time
    rows: dict[str, dict[str, float]] = {}
    for _ in range(3):
        for mode in ("absent", "api", "sdk"):
            r = run(mode, n)
            best = rows.setdefault(mode, r)
            for key in ("chat", "stream", "trace"):
                best[key] = min(best[key], r[key])
    base = rows["absent"]
    print(f"python {sys.version.split()[0]}; client CPU per call, MockTransport, best of {ROUNDS} x {n} calls")
    print()
    print(
        "| OpenTelemetry | observers | chat (µs) | vs absent | stream, 50 chunks (µs) | vs absent | trace bookkeeping (µs) |"
    )
    print("|---|---|---|---|---|---|---|")
    names = {"absent": "absent (no extra)", "api": "API imported, no SDK", "sdk": "SDK, in-memory exporter"}
    for mode, r in rows.items():
        print(
            f"| {names[mode]} | {int(r['observers'])} | {r['chat']:.0f} | {r['chat'] - base['chat']:+.0f} µs "
            f"| {r['stream']:.0f} | {r['stream'] - base['stream']:+.0f} µs | {r['trace']:.1f} |"
        )
    print()
    print(
        "trace bookkeeping: one call's routing record and observer check alone (CallTrace: start, one"
        " attempt, end), spent on every call whether observed or not; with an SDK it includes the span, its event and the metrics."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
