"""Fidelity of the emulator's Responses API: every real Azure Responses interaction in
``../shared/azure-recordings`` (Mirascope on ``/openai/responses?api-version=2025-03-01-preview``;
crewAI, ruby_llm and pydantic-ai on ``/openai/v1/responses``) is replayed against the emulator.

The emulator's answer must have the recording's keys at every level with the same JSON types
(``null`` matches anything), apart from the documented optional keys below; Azure's own fields are
required where the recording has them: the top-level ``content_filters`` entries (matched by
``source_type``, every category of the recording present), and the Azure headers of the recording.
Output items are compared by type; streams event type by event type, with the recording's sequence
numbering. A recorded content-filter refusal is replayed with the emulator's trigger term.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from shared_core.emulator.app import create_app
from shared_core.emulator.config import ManualClock, infer_kind, make_deployment
from shared_core.emulator.responses_input import seal_reasoning

from .test_emulator_fidelity import shape_diff

try:
    from conformance.recordings import Interaction, load_interactions
except ImportError:  # pragma: no cover - depends on how pytest put tests/ on sys.path
    from tests.conformance.recordings import Interaction, load_interactions

KEY = "azoai-emulator-key"
TRIGGER = " emulator-block-violence"
#: Keys a recording has that the emulator does not send (newer or model-specific fields).
OPTIONAL_IN_RECORDING = {
    "phase",  # gpt-5.4 message items
    "context",  # reasoning.context / mode on gpt-5.4+ and Foundry hosts
    "mode",
    "cache_write_tokens",
    "output_schema",  # echoed function tools on services.ai.azure.com
}
#: Keys the emulator sends that older recordings (2025-11 gpt-4o-mini) lack.
OPTIONAL_IN_EMULATOR = {
    "completed_at",
    "frequency_penalty",
    "presence_penalty",
    "prompt_cache_retention",
    "moderation",
    "tool_usage",
    "content",
    "encrypted_content",
    "obfuscation",
}
HEADERS = (
    "apim-request-id",
    "x-request-id",
    "x-ms-region",
    "x-ms-deployment-name",
    "x-ms-served-model",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "strict-transport-security",
    "x-content-type-options",
)


def _diff(real: Any, emu: Any, path: str) -> list[str]:
    return [
        d
        for d in shape_diff(real, emu, path)
        if not any(d.endswith(f".{k}: missing in emulator") for k in OPTIONAL_IN_RECORDING)
        and not any(d.endswith(f".{k}: not in recording") for k in OPTIONAL_IN_EMULATOR)
    ]


def compare_response(real: dict[str, Any], emu: dict[str, Any], where: str) -> list[str]:
    """Shape differences of two response objects: top level, output items by type, content_filters by source."""
    flat = {k: v for k, v in real.items() if k not in ("output", "content_filters", "tools")}
    mine = {k: v for k, v in emu.items() if k not in ("output", "content_filters", "tools")}
    out = _diff(flat, mine, where)
    for key in ("output", "content_filters", "tools"):
        if key not in emu:
            out.append(f"{where}.{key}: missing in emulator")
    by_type = {o["type"]: o for o in emu.get("output") or []}
    for item in real.get("output") or []:
        if item["type"] in by_type:
            out += _diff(item, by_type[item["type"]], f"{where}.output[{item['type']}]")
    by_source = {f["source_type"]: f for f in emu.get("content_filters") or []}
    for entry in real.get("content_filters") or []:
        mine_entry = by_source.get(entry["source_type"])
        if mine_entry is None:
            out.append(f"{where}.content_filters[{entry['source_type']}]: missing in emulator")
            continue
        out += _diff(entry, mine_entry, f"{where}.content_filters[{entry['source_type']}]")
        for cat in entry["content_filter_results"].keys() - mine_entry["content_filter_results"].keys():
            out.append(f"{where}.content_filters[{entry['source_type']}]: category {cat} missing")
    for tool in real.get("tools") or []:
        mine_tool = next(
            (t for t in emu.get("tools") or [] if (t["type"], t.get("name")) == (tool["type"], tool.get("name"))), None
        )
        out += _diff(tool, mine_tool, f"{where}.tools[{tool['type']}]") if mine_tool else [f"{where}: tool missing"]
    return out


def _events(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for block in raw.decode().split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def _refused(ix: Interaction) -> bool:
    if ix.status >= 400:
        return bool(ix.json().get("error", {}).get("code") == "content_filter")
    return b'"reason":"content_filter"' in ix.body


def _key(ev: dict[str, Any]) -> tuple[str, str]:
    """Events are compared by type, output-item events also by the item's type."""
    return ev["type"], str((ev.get("item") or {}).get("type", ""))


def _request(ix: Interaction) -> tuple[str, dict[str, Any]]:
    body = dict(ix.request_json() or {})
    if _refused(ix):  # a recorded refusal: trip the emulator's filter the same way
        items = body["input"] if isinstance(body["input"], list) else [{"role": "user", "content": body["input"]}]
        body["input"] = [*items, {"role": "user", "content": "Please answer." + TRIGGER}]
    if isinstance(body.get("input"), list):
        # a recorded second turn carries Azure's blob from the first; the emulator gets its own in its place
        body["input"] = [
            {**i, "encrypted_content": seal_reasoning(str(i.get("id")), "")} if i.get("encrypted_content") else i
            for i in body["input"]
        ]
    url = "/openai/v1/responses" if ix.route == "v1" else f"/openai/responses?api-version={ix.api_version}"
    return url, body


def test_emulator_matches_real_azure_responses(recordings_dir: Path) -> None:
    cases = [ix for ix in load_interactions(recordings_dir) if ix.operation == "responses" and ix.transport == "http"]
    assert len(cases) >= 90, "the recordings hold about 93 Responses interactions"
    problems: list[str] = []
    counted: Counter[str] = Counter()

    async def run() -> None:
        nonlocal problems
        for ix in cases:
            url, body = _request(ix)
            dep = str(body.get("model"))
            kind = "reasoning" if infer_kind(dep) == "reasoning" else "chat"
            app = create_app(clock=ManualClock(), deployments={dep: make_deployment(dep, dep, kind=kind)})
            where = ix.id
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
                r = await c.post(url, json=body, headers={"api-key": KEY})
            if r.status_code != ix.status:
                problems.append(f"{where}: status {r.status_code} vs recorded {ix.status}: {r.text[:300]}")
                continue
            if ix.status >= 400:
                real_err, emu_err = ix.json()["error"], r.json()["error"]
                problems += _diff(real_err, emu_err, where)
                problems += [f"{where}: {k} differs" for k in ("code", "param", "type") if real_err[k] != emu_err[k]]
                counted["error"] += 1
            elif ix.stream:
                real_ev, emu_ev = _events(ix.body), _events(r.content)
                mine = {_key(e): e for e in reversed(emu_ev)}
                for ev in real_ev:
                    if _key(ev) not in mine:
                        continue
                    other = mine.pop(_key(ev))
                    if "response" in ev:
                        problems += compare_response(ev["response"], other["response"], f"{where} {ev['type']}")
                        continue
                    problems += _diff(ev, other, f"{where} {ev['type']}")
                for must in ("response.created", "response.in_progress"):
                    if must not in {e["type"] for e in emu_ev}:
                        problems.append(f"{where}: no {must}")
                # how long the answer runs is the model's decision: a recorded max_output_tokens cut may not recur
                cut = (real_ev[-1]["response"].get("incomplete_details") or {}).get("reason") == "max_output_tokens"
                if real_ev[-1]["type"] != emu_ev[-1]["type"] and not cut:
                    problems.append(f"{where}: ends with {emu_ev[-1]['type']}, recorded {real_ev[-1]['type']}")
                if [e["sequence_number"] for e in emu_ev] != list(range(len(emu_ev))):
                    problems.append(f"{where}: sequence numbers are not 0..n-1")
                counted["stream"] += 1
            else:
                problems += compare_response(ix.json(), r.json(), where)
                counted["json"] += 1
            for h in HEADERS:
                if h in ix.response_headers and h not in r.headers:
                    problems.append(f"{where}: header {h} missing")

    asyncio.run(run())
    print(f"\nemulator Responses fidelity: {sum(counted.values())} real interactions compared: {dict(counted)}")
    assert not problems, "\n".join(problems[:40]) + f"\n... {len(problems)} problems"
    assert counted["json"] > 0 and counted["stream"] > 0 and counted["error"] > 0
