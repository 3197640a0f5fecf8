"""Kill-and-restart proof through a framework: a child process (``batch_fw_child``) embeds N chunks
through LangChain's or LlamaIndex's batch embedding class against an emulator running here; once
its manifest shows the second batch created, it is SIGKILLed and started again with the same
input. :func:`prove` returns what a caller checks: the vectors against the framework's interactive
class on the same emulator, and the emulator's per-line submission counter.

Used by ``tests/integration/test_batch_frameworks_proof.py`` (small N) and
``benchmarks/bench_batch_frameworks.py`` (20,000 chunks).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared_core.emulator.server import start_in_thread

from .batch_child import corpus
from .batch_fw_child import DEPLOYMENT, settings

ROOT = Path(__file__).resolve().parents[2]
POLL = 0.02  # seconds between looks at the manifest (a bounded wait on the child, not a sleep)


@dataclass
class Proof:
    framework: str
    n: int
    parts: int
    killed_at: float  # seconds after the first start
    batches_at_kill: int  # batch ids the manifest held when the process was killed
    created_after_restart: int  # batches the second process created
    batches: int  # batches the emulator holds at the end (one per part: none created twice)
    wall: float  # both processes
    vectors: list[list[float]]
    direct: list[list[float]]
    lines: dict[str, int]  # the emulator's per-line counter

    @property
    def equal(self) -> bool:
        return len(self.vectors) == self.n and self.vectors == self.direct


def _child(framework: str, url: str, key: str, store: Path, out: Path, n: int, per_file: int) -> subprocess.Popen[str]:
    args = ["-m", "tests.integration.batch_fw_child", framework, url, key, str(store), str(out), str(n), str(per_file)]
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ})


def _batch_ids(store: Path) -> list[str]:
    """The batch ids the job's manifest records (the manifest is replaced atomically: always whole)."""
    ids: list[str] = []
    for path in store.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        ids += [s["batch_id"] for p in data["parts"] for s in p["submissions"] if s.get("batch_id")]
    return ids


def _wait_for_batches(proc: subprocess.Popen[str], store: Path, count: int, deadline: float) -> list[str]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        ids = _batch_ids(store)
        if len(ids) >= count:
            return ids
        try:
            proc.wait(POLL)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"the child exited ({proc.returncode}) before its manifest held {count} batches")
    raise AssertionError(f"no {count} batches in the manifest after {deadline:g} s")


def _direct(framework: str, url: str, key: str, texts: list[str]) -> list[list[float]]:
    """The interactive path's vectors, through the same framework's interactive class."""
    if framework == "langchain":
        from langchain_azoai import AzureOpenAIEmbeddings

        return AzureOpenAIEmbeddings(**settings(url, key)).embed_documents(texts)
    from llamaindex_azoai import AzureOpenAIEmbedding

    return AzureOpenAIEmbedding(**settings(url, key), model=DEPLOYMENT).get_text_embedding_batch(texts)


def prove(
    framework: str, n: int, per_file: int, tmp: Path, *, job_seconds: float = 1.0, deadline: float = 600
) -> Proof:
    """Run the job, kill it once two batches exist, run it again; see the module docstring."""
    store, out = tmp / f"{framework}-manifests", tmp / f"{framework}-vectors.json"
    parts = -(-n // per_file)
    overrides: dict[str, Any] = {"job_seconds": job_seconds}
    with start_in_thread(overrides=overrides) as emu:
        started = time.monotonic()
        first = _child(framework, emu.url, emu.api_key, store, out, n, per_file)
        try:
            _wait_for_batches(first, store, 2, deadline)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
        at_kill = _batch_ids(store)  # what the dead process left (it may have gone on a moment)
        killed_at = time.monotonic() - started
        if out.exists():
            raise AssertionError("the first process finished before it was killed")
        known = set(emu.app.jobs.batches)
        second = _child(framework, emu.url, emu.api_key, store, out, n, per_file)
        stdout, _ = second.communicate(timeout=deadline)
        wall = time.monotonic() - started
        if second.returncode != 0 or "done" not in stdout.split():
            raise AssertionError(f"the restarted process failed ({second.returncode}): {stdout[-500:]}")
        created = len(set(emu.app.jobs.batches) - known)
        vectors = json.loads(out.read_text(encoding="utf-8"))
        direct = _direct(framework, emu.url, emu.api_key, corpus(n))
        lines = emu.app.state()["batch_lines"]
        batches = len(emu.app.jobs.batches)
    return Proof(framework, n, parts, killed_at, len(at_kill), created, batches, wall, vectors, direct, lines)
