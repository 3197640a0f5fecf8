"""Service tiers and provisioned spillover in the emulator (issue 11 §2).

Sources: Learn priority processing (``service_tier`` auto/default/priority; the response names the
tier that served; model versions 2025-12-01 or later) and Learn spillover-traffic-management (a
provisioned deployment's 429/500/503 is served by the standard deployment named in
``x-ms-spillover-deployment`` or its spillover property; ``x-ms-spillover-from-deployment`` and
``x-ms-deployment-name`` on the answer). Summarised in ../shared/research/anchors-2026-12.md §3.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared_core.emulator.app import create_app
from shared_core.emulator.config import FaultSpec, ManualClock, make_deployment
from shared_core.errors import ConfigurationError

from .emulator_rules_support import USER, post


def _app(**changes: Any) -> Any:
    deps = {
        "ptu": make_deployment("ptu", "gpt-5.2", provisioned=True, tpm=1000),
        "ptu-auto": make_deployment("ptu-auto", "gpt-5.2", provisioned=True, spillover="paygo", tpm=1000),
        "paygo": make_deployment("paygo", "gpt-5.2"),
        "old": make_deployment("old", "gpt-5-mini"),
    }
    return create_app(clock=ManualClock(), deployments=deps, **changes)


async def _post(app: Any, style: str, dep: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu", headers=headers) as c:
        return await post(c, style, "chat/completions", dep, body)


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_service_tier_names_the_tier_that_served(style: str) -> None:
    app = _app()
    prio = await _post(app, style, "paygo", {"messages": USER, "service_tier": "priority"})
    assert prio.status_code == 200 and prio.json()["service_tier"] == "priority"
    auto = await _post(app, style, "paygo", {"messages": USER, "service_tier": "auto"})
    assert auto.json()["service_tier"] == "default"
    # gpt-5-mini 2025-08-07 predates priority processing (2025-12-01 or later): no tier in the answer,
    # as the recorded gpt-4o-mini answer to service_tier="default" (azure-recordings, elastic)
    old = await _post(app, style, "old", {"messages": USER, "service_tier": "priority"})
    assert old.status_code == 200 and "service_tier" not in old.json()
    plain = await _post(app, style, "paygo", {"messages": USER})
    assert "service_tier" not in plain.json()  # as in the recorded gpt-4o-mini answer to a request without it
    stream = await _post(app, style, "paygo", {"messages": USER, "service_tier": "priority", "stream": True})
    chunks = [ln for ln in stream.text.splitlines() if ln.startswith("data: {")]
    assert '"service_tier":"priority"' in chunks[-1].replace(" ", "")


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_an_unknown_service_tier_is_refused(style: str) -> None:
    r = await _post(_app(), style, "paygo", {"messages": USER, "service_tier": "premium"})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Invalid value: 'premium'. Supported values are: 'auto', 'default', 'flex', and 'priority'.",
        "type": "invalid_request_error",
        "param": "service_tier",
        "code": "invalid_value",
    }


@pytest.mark.parametrize("style", ["dated", "v1"])
async def test_a_throttled_ptu_spills_over_to_the_named_deployment(style: str) -> None:
    app = _app(deployment_faults={"ptu": FaultSpec(burst_429=1)})
    r = await _post(app, style, "ptu", {"messages": USER}, **{"x-ms-spillover-deployment": "paygo"})
    assert r.status_code == 200, r.text
    assert r.headers["x-ms-spillover-from-deployment"] == "ptu"
    assert r.headers["x-ms-deployment-name"] == "paygo"
    assert r.headers["x-ms-spillover-error"] == "429"
    assert app.served == {"paygo": 1}
    again = await _post(app, style, "ptu", {"messages": USER}, **{"x-ms-spillover-deployment": "paygo"})
    assert again.status_code == 200 and "x-ms-spillover-from-deployment" not in again.headers
    assert again.headers["x-ms-deployment-name"] == "ptu"


async def test_the_deployment_spillover_property_and_its_limits() -> None:
    app = _app(deployment_faults={"ptu-auto": FaultSpec(burst_429=1), "ptu": FaultSpec(burst_429=1)})
    auto = await _post(app, "dated", "ptu-auto", {"messages": USER})
    assert auto.status_code == 200 and auto.headers["x-ms-spillover-from-deployment"] == "ptu-auto"
    # without a header or property the 429 reaches the caller
    plain = await _post(app, "dated", "ptu", {"messages": USER})
    assert plain.status_code == 429
    # a standard deployment does not spill over (spillover is a provisioned-deployment feature)
    std = _app(deployment_faults={"paygo": FaultSpec(burst_429=1)})
    r = await _post(std, "dated", "paygo", {"messages": USER}, **{"x-ms-spillover-deployment": "old"})
    assert r.status_code == 429
    # a 400 is the request's fault: it does not spill over
    bad = await _post(
        _app(), "dated", "ptu", {"messages": USER, "max_tokens": 5}, **{"x-ms-spillover-deployment": "paygo"}
    )
    assert bad.status_code == 400 and "x-ms-spillover-from-deployment" not in bad.headers


def test_spillover_needs_a_provisioned_deployment() -> None:
    with pytest.raises(ConfigurationError, match="spillover applies to provisioned deployments only"):
        make_deployment("x", "gpt-5.2", spillover="paygo")
