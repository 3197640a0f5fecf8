"""Typed throughout: ``mypy --strict`` over all three packages (config in pyproject.toml) stays clean.

It runs for the Python that runs the suite (``.ci/run`` runs the suite on every supported version), so
each supported version is type-checked against the dependency versions installed for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("shared_core", "langchain_azoai", "llamaindex_azoai", "azoai_app")


def test_packages_are_mypy_strict_clean() -> None:
    pytest.importorskip("mypy")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    proc = subprocess.run(
        # no cache: the test run leaves no files behind in the checkout
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull, "--python-version", version],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_every_package_ships_py_typed() -> None:
    for pkg in PACKAGES:
        assert (REPO / pkg / "py.typed").is_file(), pkg
