"""Batches on the emulator: progress over time, partial failures, expiry, cancellation, the
enqueued-token quota, the input rules, and the per-line submission counter. In-process, ManualClock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared_core.emulator.app import EmulatorApp, create_app
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.config import ManualClock

from .emulator_rule_cases_batch import BATCH_RULE_CASES, chat

H = {"api-key": "azoai-emulator-key"}
V = "?api-version=2024-10-21"


class Emu:
    def __init__(self, app: EmulatorApp, client: httpx.AsyncClient, clock: ManualClock) -> None:
        self.app, self.client, self.clock = app, client, clock

    async def upload(self, lines: list[dict[str, Any]]) -> httpx.Response:
        data = "".join(json.dumps(x) + "\n" for x in lines).encode()
        files = {"file": ("in.jsonl", data)}
        return await self.client.post(f"/openai/files{V}", headers=H, data={"purpose": "batch"}, files=files)

    async def start(self, lines: list[dict[str, Any]], endpoint: str = "/chat/completions") -> dict[str, Any]:
        fid = (await self.upload(lines)).json()["id"]
        body = {"input_file_id": fid, "endpoint": endpoint, "completion_window": "24h"}
        r = await self.client.post(f"/openai/batches{V}", headers=H, json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def get(self, bid: str) -> dict[str, Any]:
        return dict((await self.client.get(f"/openai/batches/{bid}{V}", headers=H)).json())

    async def lines(self, fid: str) -> list[dict[str, Any]]:
        r = await self.client.get(f"/openai/files/{fid}/content{V}", headers=H)
        return [json.loads(x) for x in r.text.splitlines()]


@pytest.fixture
async def make() -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def build(**overrides: Any) -> Emu:
        clock = ManualClock()
        app = create_app(clock=clock, overrides={"job_seconds": 10, **overrides})
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu")
        clients.append(c)
        return Emu(app, c, clock)

    yield build
    for c in clients:
        await c.aclose()


def questions(n: int) -> list[dict[str, Any]]:
    return [chat(f"q{i}", text=f"What is {i} + 1?") for i in range(n)]


async def test_batch_progresses_through_the_states_with_growing_counts(make: Any) -> None:
    emu = await make()
    b = await emu.start(questions(10))
    assert b["status"] == "validating" and b["request_counts"] == {"total": 10, "completed": 0, "failed": 0}
    assert b["expires_at"] == b["created_at"] + 86400 and b["completion_window"] == "24h"
    emu.clock.advance(1)
    b = await emu.get(b["id"])
    assert b["status"] == "in_progress" and b["in_progress_at"] == b["created_at"] + 1
    emu.clock.advance(4)  # half of the 8 s of processing
    b = await emu.get(b["id"])
    assert b["status"] == "in_progress" and b["request_counts"]["completed"] == 5
    emu.clock.advance(4)
    b = await emu.get(b["id"])
    assert b["status"] == "finalizing" and b["request_counts"]["completed"] == 10 and b["output_file_id"] is None
    emu.clock.advance(1)
    b = await emu.get(b["id"])
    assert b["status"] == "completed" and b["request_counts"] == {"total": 10, "completed": 10, "failed": 0}
    out = await emu.lines(b["output_file_id"])
    assert [x["custom_id"] for x in out] == [f"q{i}" for i in range(10)]
    assert out[3]["response"]["status_code"] == 200 and out[3]["error"] is None
    assert out[3]["response"]["body"]["choices"][0]["message"]["content"] == "4"
    # Learn troubleshooting: a successful job still has an error file, empty
    assert (await emu.client.get(f"/openai/files/{b['error_file_id']}/content{V}", headers=H)).content == b""


async def test_partial_failures_go_to_the_error_file_in_azures_shape(make: Any) -> None:
    emu = await make(batch_failure_rate=0.25)
    lines = questions(40) + [chat("boom", text=f"{FAIL_TERM} please")]
    b = await emu.start(lines)
    emu.clock.advance(10)
    b = await emu.get(b["id"])
    counts = b["request_counts"]
    assert b["status"] == "completed" and counts["total"] == 41
    errs = await emu.lines(b["error_file_id"])
    out = await emu.lines(b["output_file_id"])
    assert counts["failed"] == len(errs) and counts["completed"] == len(out) and 3 < len(errs) < 25
    assert "boom" in {e["custom_id"] for e in errs}
    e = errs[0]
    assert e["error"] is None and e["response"]["status_code"] == 500
    assert e["response"]["body"]["error"]["type"] == "server_error"
    assert e["response"]["body"]["error"]["message"].startswith("The server had an error processing your request.")
    assert {x["custom_id"] for x in out} | {x["custom_id"] for x in errs} == {x["custom_id"] for x in lines}


async def test_a_retried_line_can_succeed(make: Any) -> None:
    emu = await make(batch_failure_rate=0.5)
    first = await emu.start(questions(20))
    emu.clock.advance(10)
    failed = [e["custom_id"] for e in await emu.lines((await emu.get(first["id"]))["error_file_id"])]
    retry = await emu.start([x for x in questions(20) if x["custom_id"] in failed])
    emu.clock.advance(10)
    done = await emu.get(retry["id"])
    assert done["request_counts"]["completed"] > 0  # the decision is per batch and line, not per line forever


async def test_fail_every_fails_exactly_every_nth_line_once(make: Any) -> None:
    emu = await make(batch_fail_every=4)
    first = await emu.start(questions(20))
    emu.clock.advance(10)
    first = await emu.get(first["id"])
    assert first["request_counts"] == {"total": 20, "completed": 15, "failed": 5}
    errs = await emu.lines(first["error_file_id"])
    assert [e["custom_id"] for e in errs] == ["q3", "q7", "q11", "q15", "q19"]
    assert errs[0]["response"]["status_code"] == 500 and errs[0]["error"] is None
    retry = await emu.start([x for x in questions(20) if x["custom_id"] in {"q3", "q7", "q11", "q15", "q19"}])
    emu.clock.advance(10)
    assert (await emu.get(retry["id"]))["request_counts"] == {"total": 5, "completed": 5, "failed": 0}


async def test_expired_batch_keeps_completed_lines_and_reports_the_rest(make: Any) -> None:
    emu = await make(batch_window_seconds=5)
    b = await emu.start(questions(8))
    emu.clock.advance(5)  # 4 of 8 s of processing allowed: half the lines answered
    b = await emu.get(b["id"])
    assert b["status"] == "expired" and b["expired_at"] == b["created_at"] + 5
    assert b["request_counts"] == {"total": 8, "completed": 4, "failed": 4}
    assert [x["custom_id"] for x in await emu.lines(b["output_file_id"])] == ["q0", "q1", "q2", "q3"]
    errs = await emu.lines(b["error_file_id"])
    assert [x["custom_id"] for x in errs] == ["q4", "q5", "q6", "q7"]
    assert errs[0]["response"] is None and errs[0]["error"] == {
        "code": "batch_expired",
        "message": "This request could not be executed before the completion window expired.",
    }


async def test_cancel_goes_through_cancelling_and_returns_completed_work(make: Any) -> None:
    emu = await make()
    b = await emu.start(questions(8))
    emu.clock.advance(3)  # 2 of 8 s: a quarter answered
    r = await emu.client.post(f"/openai/batches/{b['id']}/cancel{V}", headers=H)
    assert r.json()["status"] == "cancelling" and r.json()["cancelling_at"] == b["created_at"] + 3
    emu.clock.advance(1)
    b = await emu.get(b["id"])
    assert b["status"] == "cancelled" and b["request_counts"] == {"total": 8, "completed": 2, "failed": 0}
    assert [x["custom_id"] for x in await emu.lines(b["output_file_id"])] == ["q0", "q1"]
    emu.clock.advance(100)
    assert (await emu.get(b["id"]))["status"] == "cancelled"


async def test_enqueued_tokens_count_until_the_holding_batch_is_done(make: Any) -> None:
    dep = {"gpt-5.2": {"model": "gpt-5.2", "sku": "globalbatch", "enqueued_tokens": 100}}
    emu = await make(deployments=dep)
    big = [chat(f"a{i}", text="word " * 10) for i in range(5)]  # 5 x 21 tokens
    small = [chat(f"b{i}", text="word " * 10) for i in range(2)]
    first = await emu.start(big[:4])
    emu.clock.advance(1)
    assert (await emu.get(first["id"]))["status"] == "in_progress"
    second = await emu.start(small)
    emu.clock.advance(1)
    failed = await emu.get(second["id"])
    assert failed["status"] == "failed" and failed["errors"]["data"][0]["code"] == "token_limit_exceeded"
    assert failed["failed_at"] == failed["created_at"] + 1
    emu.clock.advance(10)
    assert (await emu.get(first["id"]))["status"] == "completed"
    third = await emu.start(small)
    emu.clock.advance(1)
    assert (await emu.get(third["id"]))["status"] == "in_progress"


async def test_submission_counter_counts_each_accepted_line(make: Any) -> None:
    emu = await make()
    await emu.start(questions(3))
    await emu.start(questions(2))
    refused = await emu.start([chat("dup"), chat("dup")])  # fails validation: never enqueued
    assert emu.app.state()["batch_lines"] == {"submitted": 0, "distinct": 0, "repeated": 0}
    emu.clock.advance(1)
    listed = (await emu.client.get(f"/openai/batches{V}", headers=H)).json()["data"]  # advances every batch
    assert [b["status"] for b in listed] == ["in_progress", "in_progress", "failed"]
    assert refused["id"] == listed[2]["id"]
    assert emu.app.state()["batch_lines"] == {"submitted": 5, "distinct": 3, "repeated": 2}


@pytest.mark.parametrize("rule_id", sorted(k for k in BATCH_RULE_CASES if k.startswith("batch_input.")))
async def test_batch_input_rule(make: Any, rule_id: str) -> None:
    overrides, lines, endpoint, expected = BATCH_RULE_CASES[rule_id]
    emu = await make(**overrides)
    b = await emu.start(lines, endpoint)
    assert b["status"] == "validating"
    emu.clock.advance(1)
    b = await emu.get(b["id"])
    assert b["status"] == "failed" and b["errors"] == {"object": "list", "data": [expected]}
    assert b["output_file_id"] is None and b["request_counts"]["completed"] == 0


async def test_batch_file_size_limit_refuses_the_upload(make: Any) -> None:
    overrides, lines, _endpoint, expected = BATCH_RULE_CASES["files.batch_size"]
    emu = await make(**overrides)
    r = await emu.upload(lines)
    size = sum(len(json.dumps(x)) + 1 for x in lines)
    assert r.status_code == 400 and {k: r.json()["error"][k] for k in expected} == expected
    assert r.json()["error"]["message"] == f"The file is {size} bytes; batch input files are limited to 100 bytes."
    assert (
        await emu.upload(lines[:0] + [{"custom_id": "x", "method": "POST", "url": "/e", "body": {}}])
    ).status_code == 201
