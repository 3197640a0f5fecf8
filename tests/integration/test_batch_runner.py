"""The batch runner against the emulator: order, splitting, joins, failures, expiry, resume."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.emulator.app import EmulatorApp, create_app
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.config import ManualClock
from shared_core.emulator.server import start_in_thread
from shared_core.errors import APITimeoutError
from shared_core.services.batch_bodies import (
    BatchIncompleteError,
    embedding_requests,
    embedding_vectors,
    require_complete,
)
from shared_core.services.batch_manifest import FileManifestStore, MemoryManifestStore
from shared_core.services.batch_plan import BatchLimits
from shared_core.services.batch_results import BatchProgress
from shared_core.services.batch_runner import BatchEvent, BatchRunner

LOCAL = "http://127.0.0.1"


def questions(n: int, extra: dict[int, str] | None = None) -> list[dict[str, Any]]:
    extra = extra or {}
    return [{"messages": [{"role": "user", "content": extra.get(i, f"What is {i} + 1?")}]} for i in range(n)]


class Emu:
    def __init__(self, **overrides: Any) -> None:
        self.clock = ManualClock()
        self.app: EmulatorApp = create_app(clock=self.clock, overrides={"job_seconds": 10, **overrides})

    def aclient(self) -> CoreClient:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=LOCAL)
        return CoreClient.from_settings(
            azure_endpoint=LOCAL,
            api_key="azoai-emulator-key",
            api_version="2024-10-21",
            require_deployment=False,
            max_retries=0,
            http_async_client=http,
        )

    async def asleep(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def runner(self, client: CoreClient, **kw: Any) -> BatchRunner:
        kw.setdefault("poll_interval", 1.0)
        return BatchRunner(client, "gpt-5.2", asleep=self.asleep, sleep=self.clock.advance, clock=self.clock, **kw)


async def test_answers_come_back_in_input_order_across_split_files() -> None:
    emu = Emu()
    events: list[BatchEvent] = []
    seen: list[BatchProgress] = []
    runner = emu.runner(emu.aclient(), limits=BatchLimits(max_requests=4), on_event=events.append, progress=seen.append)
    result = await runner.arun(questions(10))
    assert result.complete and result.total == 10 and result.failed == [] and result.missing == []
    answers = [item.body["choices"][0]["message"]["content"] for item in result.items if item]
    assert answers == [str(i + 1) for i in range(10)]
    assert [e.kind for e in events].count("created") == 3 and len(result.batch_ids) == 3
    assert result.usage.prompt_tokens > 0 and result.usage.total_tokens >= result.usage.prompt_tokens
    assert seen[-1].completed == 10 and seen[-1].remaining == 0
    assert emu.app.state()["batch_lines"] == {"submitted": 10, "distinct": 10, "repeated": 0}


async def test_failed_lines_are_retried_in_follow_up_batches_until_answered() -> None:
    emu = Emu(batch_failure_rate=0.3)
    events: list[BatchEvent] = []
    result = await emu.runner(emu.aclient(), on_event=events.append, max_retries=5).arun(questions(30))
    assert result.complete and result.failed == []
    assert [item.body["choices"][0]["message"]["content"] for item in result.items if item] == [
        str(i + 1) for i in range(30)
    ]
    follow_ups = [e for e in events if e.kind == "created"][1:]
    assert follow_ups and len(result.batch_ids) == 1 + len(follow_ups)
    retried = {item.batch_id for item in result.items if item} - {result.batch_ids[0]}
    assert retried <= set(result.batch_ids[1:]) and retried


async def test_report_mode_names_the_failed_line_and_keeps_the_rest() -> None:
    emu = Emu()
    result = await emu.runner(emu.aclient(), on_failure="report").arun(questions(5, {3: f"{FAIL_TERM} 3"}))
    assert not result.complete and result.failed == [3] and result.missing == [] and result.answered == 4
    bad = result.items[3]
    assert bad is not None and bad.status_code == 500 and bad.error is not None
    assert str(bad.error["message"]).startswith("The server had an error processing your request.")
    assert [i for i, item in enumerate(result.items) if item and item.ok] == [0, 1, 2, 4]


async def test_a_line_that_fails_every_time_stops_after_max_retries() -> None:
    emu = Emu()
    result = await emu.runner(emu.aclient(), max_retries=2).arun(questions(3, {1: f"{FAIL_TERM} 1"}))
    assert result.failed == [1] and len(result.batch_ids) == 3  # the batch and two follow-ups of line 1


async def test_interactive_mode_answers_failed_lines_through_the_normal_path() -> None:
    emu = Emu()
    result = await emu.runner(emu.aclient(), on_failure="interactive").arun(questions(4, {2: f"{FAIL_TERM} 2"}))
    assert result.complete and result.items[2] is not None and result.items[2].batch_id == "interactive"
    assert result.items[2].body is not None and result.items[2].body["object"] == "chat.completion"


async def test_expired_batch_returns_what_completed_and_names_what_did_not() -> None:
    emu = Emu(batch_window_seconds=5)
    result = await emu.runner(emu.aclient()).arun(questions(8))
    assert result.answered == 4 and result.missing == [4, 5, 6, 7] and result.failed == []
    gone = result.items[5]
    assert gone is not None and gone.error == {
        "code": "batch_expired",
        "message": "This request could not be executed before the completion window expired.",
    }
    with pytest.raises(BatchIncompleteError) as e:
        require_complete(result)
    assert str(e.value).endswith(
        "4 of 8 requests answered; 4 never ran: batch expired or cancelled (requests 4, 5, 6, 7). result.items "
        "holds the answers; use on_failure='retry' or 'interactive', or run the same input again to submit only "
        "what is missing"
    )


async def test_quota_bound_job_keeps_parts_in_flight_within_the_enqueued_tokens() -> None:
    dep = {"gpt-5.2": {"model": "gpt-5.2", "sku": "globalbatch", "enqueued_tokens": 120}}
    emu = Emu(deployments=dep)
    events: list[BatchEvent] = []
    runner = emu.runner(emu.aclient(), limits=BatchLimits(max_tokens=60), on_event=events.append)
    result = await runner.arun(questions(12))
    assert result.complete and len(result.batch_ids) >= 3
    assert "requeued" not in {e.kind for e in events}


async def test_a_batch_refused_for_quota_is_submitted_again_once_quota_frees() -> None:
    dep = {"gpt-5.2": {"model": "gpt-5.2", "sku": "globalbatch", "enqueued_tokens": 100}}
    emu = Emu(deployments=dep)
    events: list[BatchEvent] = []
    runner = emu.runner(emu.aclient(), limits=BatchLimits(max_requests=6), on_event=events.append)
    result = await runner.arun(questions(12))  # two parts of ~78 tokens: the second waits for the first
    assert result.complete
    assert [e.kind for e in events if e.part == 1][:3] == ["uploaded", "created", "finished"]
    assert "requeued" in [e.kind for e in events if e.part == 1]
    assert emu.app.state()["batch_lines"]["repeated"] == 0


async def test_crash_after_create_before_save_finds_the_batch_instead_of_creating_another() -> None:
    class DiesOnSave(MemoryManifestStore):
        def __init__(self) -> None:
            super().__init__()
            self.armed = True

        def save(self, key: str, data: Any) -> None:
            subs = [s for p in data["parts"] for s in p["submissions"]]
            if self.armed and any(s["batch_id"] for s in subs):
                self.armed = False
                raise KeyboardInterrupt("killed between create and save")
            super().save(key, data)

    emu = Emu()
    store = DiesOnSave()
    with pytest.raises(KeyboardInterrupt):
        await emu.runner(emu.aclient(), store=store).arun(questions(4))
    assert len(emu.app.jobs.batches) == 1  # created on Azure, its id never saved
    events: list[BatchEvent] = []
    result = await emu.runner(emu.aclient(), store=store, on_event=events.append).arun(questions(4))
    assert result.complete and [e.kind for e in events][:1] == ["found"]
    assert len(emu.app.jobs.batches) == 1 and emu.app.state()["batch_lines"]["repeated"] == 0


async def test_a_rerun_with_the_same_input_submits_nothing(tmp_path: Any) -> None:
    emu = Emu()
    store = FileManifestStore(tmp_path)
    first = await emu.runner(emu.aclient(), store=store, keep_files=True).arun(questions(6))
    events: list[BatchEvent] = []
    second = await emu.runner(emu.aclient(), store=store, on_event=events.append, keep_files=True).arun(questions(6))
    assert second.items == first.items and second.batch_ids == first.batch_ids
    assert {e.kind for e in events} == {"resumed", "finished"}
    assert emu.app.state()["batch_lines"] == {"submitted": 6, "distinct": 6, "repeated": 0}
    other = await emu.runner(emu.aclient(), store=store).arun(questions(7))  # another input: another job
    assert other.key != first.key and other.complete


async def test_timeout_says_the_batches_keep_running_and_how_to_resume() -> None:
    emu = Emu()
    with pytest.raises(APITimeoutError) as e:
        await emu.runner(emu.aclient(), timeout=3).arun(questions(2))
    (bid,) = emu.app.jobs.batches
    assert str(e.value).endswith(
        f"still running after 3 s (batches {bid}); they keep running on Azure: run the same input again to "
        "pick them up (nothing is submitted twice)"
    )


async def test_embeddings_equal_the_interactive_vectors() -> None:
    emu = Emu()
    client = emu.aclient()
    texts = [f"chunk {i} about apples and pears" for i in range(7)] + ["chunk 0 about apples and pears"]
    runner = BatchRunner(
        client, "text-embedding-3-small", endpoint="/embeddings", asleep=emu.asleep, clock=emu.clock, poll_interval=1
    )
    result = await runner.arun(embedding_requests(texts, dimensions=64))
    vectors = embedding_vectors(result)
    direct = await client.aembed(texts, model="text-embedding-3-small", dimensions=64)
    assert vectors == direct.vectors and len(vectors[0]) == 64


async def test_on_item_streams_answers_without_keeping_them() -> None:
    emu = Emu()
    got: list[int] = []
    result = await emu.runner(emu.aclient(), limits=BatchLimits(max_requests=3)).arun(
        questions(7), on_item=lambda item: got.append(item.index)
    )
    assert sorted(got) == list(range(7)) and result.items == [] and result.complete


def test_sync_run_over_loopback_matches_async() -> None:
    clock = ManualClock()
    with start_in_thread(clock=clock, overrides={"job_seconds": 10}) as emu:
        client = CoreClient.from_settings(
            azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", require_deployment=False
        )
        seen: list[BatchProgress] = []
        runner = BatchRunner(client, "gpt-5.2", sleep=clock.advance, clock=clock, poll_interval=1, progress=seen.append)
        result = runner.run(questions(5))
        client.close()
    assert [item.body["choices"][0]["message"]["content"] for item in result.items if item] == ["1", "2", "3", "4", "5"]
    assert seen[0].completed == 0 and seen[0].elapsed == 0 and seen[0].remaining is None
    assert seen[-1] == BatchProgress(5, 5, 0, seen[-1].elapsed, 0.0, tuple(result.batch_ids))


async def test_resume_after_a_follow_up_batch_collects_the_first_batchs_answers_again() -> None:
    emu = Emu(batch_failure_rate=0.5)
    store = MemoryManifestStore()
    created: list[BatchEvent] = []

    def die_on_follow_up(event: BatchEvent) -> None:
        if event.kind == "created":
            created.append(event)
            if len(created) == 2:
                raise KeyboardInterrupt("killed after creating the follow-up batch")

    with pytest.raises(KeyboardInterrupt):
        await emu.runner(emu.aclient(), store=store, on_event=die_on_follow_up, max_retries=6).arun(questions(10))
    result = await emu.runner(emu.aclient(), store=store, max_retries=6).arun(questions(10))
    assert result.complete and result.batch_ids[:2] == [e.batch_id for e in created]
    first = {item.index for item in result.items if item and item.batch_id == created[0].batch_id}
    assert first and len(first) < 10  # answered by the batch that finished before the crash
