"""Every Responses rule on both route styles (``/openai/v1/responses`` and ``/openai/responses?api-version=``)."""

from __future__ import annotations

import httpx
import pytest

from .emulator_rule_cases_responses import RESPONSES_CASES
from .emulator_rules_support import check_rule


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize("rule_id", sorted(RESPONSES_CASES))
async def test_rule(client: httpx.AsyncClient, rule_id: str, style: str) -> None:
    await check_rule(client, rule_id, RESPONSES_CASES[rule_id], style)
