"""Shared test fixtures: where the real Azure recordings live, and the CI rule that they must."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

# The test run leaves nothing behind in the checkout: no bytecode caches either (for this process,
# pytest's rewritten test modules included, and every subprocess a test starts)
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
RECORDINGS = Path(os.environ.get("AZOAI_RECORDINGS", REPO.parent / "shared" / "azure-recordings"))


@pytest.fixture(scope="session")
def recordings_dir() -> Path:
    """The folder of real Azure traffic. Skips (with the reason) where it is absent; CI fails on skips."""
    if not RECORDINGS.is_dir():
        pytest.skip(f"real Azure recordings not found at {RECORDINGS} (set AZOAI_RECORDINGS)")
    return RECORDINGS


@pytest.fixture(autouse=True)
def _fresh_pacing_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with the process's pacing budgets empty, as a new process would.

    The budgets are shared by every client of a process on purpose (issue 13); across tests that
    sharing would let one test's replayed ``x-ratelimit-*`` headers (real Azure's, in the
    conformance recordings) or 429s pace the next test's calls to the same fake resource.
    """
    from shared_core.policy import pacing_store

    monkeypatch.setattr(pacing_store, "_PROCESS_STORE", pacing_store.LocalPacingStore())


_HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="azoai-hypothesis-")


def _no_example_database() -> None:
    """The test run leaves nothing behind in the checkout: no ``.hypothesis/`` example database."""
    try:
        from hypothesis import settings
    except ImportError:  # hypothesis is in the dev toolchain; a partial install just skips its tests
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    settings.register_profile("azoai", database=None)
    settings.load_profile("azoai")
    # hypothesis also caches constants and unicode tables in its home directory (default ./.hypothesis)
    set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)


_no_example_database()


def _stray_files() -> set[str] | None:
    """Untracked files in the checkout (ignored ones too), or None outside a git checkout."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # the venv and the editable install's metadata come from the setup step, not from the tests
    return {
        line[3:]
        for line in out.splitlines()
        if line[:2] in ("??", "!!") and not line[3:].startswith((".venv/", "azoai.egg-info/"))
    }


_BEFORE: set[str] | None = None


def pytest_configure(config: pytest.Config) -> None:
    # langchain-tests' benchmark tests run once, untimed: the test run prints no benchmark tables
    # (performance is measured in benchmarks/, side by side with the anchors)
    if hasattr(config.option, "benchmark_disable"):
        config.option.benchmark_disable = True


def pytest_sessionstart(session: pytest.Session) -> None:
    global _BEFORE
    _BEFORE = _stray_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The test run leaves no files behind in the checkout: anything new fails the run, by name."""
    if _BEFORE is None or getattr(session.config, "workerinput", None) is not None:
        return
    after = _stray_files()
    left = sorted((after or set()) - _BEFORE)
    if left:
        session.config.get_terminal_writer().line(
            "the test run left files behind in the checkout: " + ", ".join(left[:20]), red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Both frameworks' cassettes match request bodies with ``azoai_body`` (see tests/vcr_match.py)."""
    from tests.vcr_match import body_matcher

    vcr.register_matcher("azoai_body", body_matcher)
