"""One style: ruff's linter and formatter (configured in pyproject.toml) are clean over the tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("ruff")
    return subprocess.run(
        # --no-cache: the test run leaves no files behind in the checkout
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_linter_is_clean() -> None:
    proc = _ruff("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_formatter_is_clean() -> None:
    proc = _ruff("format", "--check")
    assert proc.returncode == 0, "run `ruff format .`:\n" + proc.stdout + proc.stderr
