"""Shared test fixtures: where the real Azure recordings live, and the CI rule that they must."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RECORDINGS = Path(os.environ.get("AZOAI_RECORDINGS", REPO.parent / "shared" / "azure-recordings"))


@pytest.fixture(scope="session")
def recordings_dir() -> Path:
    """The folder of real Azure traffic. Skips (with the reason) where it is absent; CI fails on skips."""
    if not RECORDINGS.is_dir():
        pytest.skip(f"real Azure recordings not found at {RECORDINGS} (set AZOAI_RECORDINGS)")
    return RECORDINGS
