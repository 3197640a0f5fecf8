"""Typed throughout: ``mypy --strict`` over all three packages (config in pyproject.toml) stays clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_packages_are_mypy_strict_clean() -> None:
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_every_package_ships_py_typed() -> None:
    for pkg in ("shared_core", "langchain_azoai", "llamaindex_azoai"):
        assert (REPO / pkg / "py.typed").is_file(), pkg
