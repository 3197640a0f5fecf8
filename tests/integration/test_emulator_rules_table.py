"""The emulator's request-rule table: every rule has a case, the doc is generated from the code,
and pending rules stay off until the client is fixed.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from shared_core.emulator import rules
from shared_core.emulator.ruledoc import render

from .emulator_rule_cases_batch import BATCH_RULE_CASES
from .emulator_rule_cases_chat import CHAT_CASES
from .emulator_rule_cases_ops import OPERATION_CASES
from .emulator_rule_cases_responses import RESPONSES_CASES
from .emulator_rules_support import post

REPO = Path(__file__).resolve().parents[2]


CASES = CHAT_CASES | OPERATION_CASES | RESPONSES_CASES


def test_every_rule_has_a_case_and_every_case_a_rule() -> None:
    assert {r.id for r in rules.load()} == set(CASES) | set(BATCH_RULE_CASES)


def test_doc_is_generated_from_the_table() -> None:
    doc = (REPO / "docs" / "emulator-rules.md").read_text(encoding="utf-8")
    assert doc == render(), "regenerate: python -m shared_core.emulator.ruledoc > docs/emulator-rules.md"
    for r in rules.load():
        assert f"| `{r.id}` |" in doc


async def test_pending_rules_are_off_until_the_client_is_fixed(client: httpx.AsyncClient) -> None:
    for rule_id in rules.PENDING_CLIENT_FIXES:
        op, dep, body, _expected, version = CASES[rule_id]
        r = await post(client, "dated", op, dep, body, version)
        assert r.status_code == 200, (rule_id, r.text)
