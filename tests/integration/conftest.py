"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from .emulator_rules_support import emulator_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator_app()), base_url="http://emu") as c:
        yield c


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The answer-quality pass rates (test_emulator_quality.py), one line per category and framework."""
    import sys

    module = sys.modules.get("tests.integration.test_emulator_quality")
    results = getattr(module, "RESULTS", None)
    if not results:
        return
    parts = [f"{cat} {fw} {sum(r)}/{len(r)}" for (cat, fw), r in sorted(results.items())]
    total = [ok for r in results.values() for ok in r]
    terminalreporter.write_line(f"emulator answer quality: {sum(total)}/{len(total)} tasks pass ({'; '.join(parts)})")
