"""The emulator's rules for operations other than chat, one case per row on both route styles."""

from __future__ import annotations

import httpx
import pytest

from shared_core.emulator import rules

from .emulator_rule_cases_ops import OPERATION_CASES
from .emulator_rules_support import check_rule


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize("rule_id", sorted(OPERATION_CASES))
async def test_rule(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, rule_id: str, style: str) -> None:
    # a pending rule is switched off only for our own client's sake; its answer is still Azure's
    monkeypatch.setattr(rules, "PENDING_CLIENT_FIXES", {})
    await check_rule(client, rule_id, OPERATION_CASES[rule_id], style)
