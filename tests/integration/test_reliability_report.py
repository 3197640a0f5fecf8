"""The reliability report's generator (benchmarks/reliability.py) runs and writes its tables.

Two scenarios in ``--quick`` mode, our two adapters only: the primary region answers 503 to
everything, and a stream is cut before its first token. Both have a healthy fallback, so every call
must be served, none answered twice. Counts are asserted, never times.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = [
    "client",
    "served",
    "lost",
    "duplicated",
    "429s per call",
    "401s per call",
    "wall time",
    "ideal",
    "wall / ideal",
    "errors",
]


def tables(report: str) -> dict[str, list[dict[str, str]]]:
    """Each ``## scenario`` section's table, as rows keyed by column name."""
    out: dict[str, list[dict[str, str]]] = {}
    for section in report.split("\n## ")[1:]:
        name, _, body = section.partition("\n")
        lines = [ln for ln in body.splitlines() if ln.startswith("|")]
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        assert header == COLUMNS, header
        assert set(lines[1].replace("|", "")) == {"-"}
        out[name] = [dict(zip(header, (c.strip() for c in ln.strip("|").split("|")), strict=True)) for ln in lines[2:]]
    return out


def test_quick_report_ours_lose_nothing(tmp_path: Path) -> None:
    out = tmp_path / "RELIABILITY.md"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "reliability.py"),
        "--quick",
        "--only",
        "region-503,stream-before-first-token",
        "--clients",
        "langchain_azoai,llamaindex_azoai",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = out.read_text()
    assert report.startswith("# Reliability report\n\nRecorded ")
    found = tables(report)
    assert list(found) == ["region-503", "stream-before-first-token"]
    for rows in found.values():
        assert [r["client"] for r in rows] == ["langchain_azoai", "llamaindex_azoai"]
        for r in rows:
            served = re.fullmatch(r"(\d+)/(\d+)", r["served"])
            assert served is not None and served.group(1) == served.group(2) == "20", r
            assert (r["lost"], r["duplicated"], r["429s per call"], r["errors"]) == ("0", "0", "0.00", "-"), r


def test_unknown_scenario_is_named(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "reliability.py"), "--only", "region-down", "--out", "x.md"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown scenario(s) ['region-down']; known: region-503, region-refused" in proc.stderr
    assert not (tmp_path / "x.md").exists()
