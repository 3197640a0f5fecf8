"""Requests per second of the azoai emulator: over loopback (``azoai emulator`` in a subprocess) and in-process.

Run: ``python benchmarks/bench_emulator.py [--requests 4000] [--connections 16]``. The loopback client is
a plain keep-alive HTTP/1.1 writer on asyncio streams, so the number measures the server, not a client
library. The in-process figure uses ``httpx.ASGITransport`` (client and app in one loop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

import httpx

from shared_core.emulator.app import create_app

KEY = b"azoai-emulator-key"
PATH = b"/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"


async def _connection(host: str, port: int, count: int) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    ok = 0
    body = json.dumps({"messages": [{"role": "user", "content": "What is 2 + 2?"}]}).encode()
    req = (
        b"POST " + PATH + b" HTTP/1.1\r\nHost: emu\r\napi-key: " + KEY + b"\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    for _ in range(count):
        writer.write(req)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")))
        await reader.readexactly(length)
        ok += head.startswith(b"HTTP/1.1 200")
    writer.close()
    return ok


def loopback(requests: int, connections: int) -> float:
    cmd = [
        sys.executable,
        "-m",
        "azoai_app.cli",
        "emulator",
        "--port",
        "0",
        "--log-level",
        "warning",
        "--deployment",
        "gpt-4o-mini=gpt-4o-mini,tpm=0",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" ", 1)[-1].strip()
        host, port = url[len("http://") :].split(":")
        per = requests // connections

        async def run() -> int:
            return sum(await asyncio.gather(*(_connection(host, int(port), per) for _ in range(connections))))

        start = time.perf_counter()
        ok = asyncio.run(run())
        elapsed = time.perf_counter() - start
        assert ok == per * connections, f"only {ok} of {per * connections} succeeded"
        return ok / elapsed
    finally:
        proc.terminate()
        proc.wait(10)


def in_process(requests: int) -> float:
    app = create_app(overrides={"deployments": {"gpt-4o-mini": {"model": "gpt-4o-mini", "tpm": 0}}})

    async def run() -> float:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://emu", headers={"api-key": KEY.decode()}
        ) as c:
            start = time.perf_counter()
            for _ in range(requests):
                r = await c.post(PATH.decode(), json={"messages": [{"role": "user", "content": "What is 2 + 2?"}]})
                assert r.status_code == 200
            return requests / (time.perf_counter() - start)

    return asyncio.run(run())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--requests", type=int, default=4000)
    p.add_argument("--connections", type=int, default=16)
    a = p.parse_args()
    lb = loopback(a.requests, a.connections)
    ip = in_process(min(a.requests, 2000))
    print(
        f"emulator chat/completions over loopback: {lb:,.0f} req/s ({a.connections} keep-alive connections, "
        f"{a.requests} requests)"
    )
    print(f"emulator chat/completions in-process (httpx.ASGITransport, sequential): {ip:,.0f} req/s")
    print(f"ratio loopback / in-process: {lb / ip:.2f}")


if __name__ == "__main__":
    main()
