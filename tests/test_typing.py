"""shared_core is typed throughout: ``mypy --strict`` (config in pyproject.toml) must stay clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_shared_core_is_mypy_strict_clean() -> None:
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "shared_core"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_every_package_ships_py_typed() -> None:
    for pkg in ("shared_core", "langchain_azoai", "llamaindex_azoai"):
        assert (REPO / pkg / "py.typed").is_file(), pkg
