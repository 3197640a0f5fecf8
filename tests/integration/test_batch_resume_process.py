"""Proof: a process embedding a corpus through the Batch API is killed (SIGKILL) after it reports
its second batch created, and started again with the same input. Every vector comes back, in
order, equal to the interactive path's, and the emulator saw no line enqueued twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared_core.client import CoreClient
from shared_core.emulator.server import start_in_thread

from .batch_child import DEPLOYMENT, DIMENSIONS, corpus

N, PER_FILE = 3000, 750
DEADLINE = 60.0


def child(url: str, key: str, tmp: Path, out: Path) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "tests.integration.batch_child", url, key, str(tmp / "manifests"), str(out)]
    return subprocess.Popen(
        [*args, str(N), str(PER_FILE)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ},
    )


def read_until(proc: subprocess.Popen[str], wanted: str) -> list[str]:
    seen: list[str] = []
    end = time.monotonic() + DEADLINE
    assert proc.stdout is not None
    while time.monotonic() < end:
        line = proc.stdout.readline().strip()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if line == wanted:
            return seen
    raise AssertionError(f"child never reported {wanted!r}; saw {seen[-5:]}")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_and_restarted_job_returns_every_vector_once(tmp_path: Path) -> None:
    with start_in_thread(overrides={"job_seconds": 1.0}) as emu:
        first = child(emu.url, emu.api_key, tmp_path, tmp_path / "a.json")
        try:
            before = read_until(first, "event created 1")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            assert first.stdout is not None
            first.stdout.close()
        assert before[:4] == ["event uploaded 0", "event created 0", "event uploaded 1", "event created 1"]
        assert not (tmp_path / "a.json").exists()

        second = child(emu.url, emu.api_key, tmp_path, tmp_path / "b.json")
        after = read_until(second, "done")
        second.wait(10)
        assert second.stdout is not None
        second.stdout.close()
        assert second.returncode == 0
        assert {"event resumed 0", "event resumed 1"} <= set(after)
        assert "event created 0" not in after and "event created 1" not in after

        vectors = json.loads((tmp_path / "b.json").read_text())
        with CoreClient.from_settings(
            azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", require_deployment=False
        ) as client:
            direct = client.embed(corpus(N), model=DEPLOYMENT, dimensions=DIMENSIONS).vectors
        lines = emu.app.state()["batch_lines"]
    assert len(vectors) == N and vectors == direct
    assert lines == {"submitted": N, "distinct": N, "repeated": 0}
