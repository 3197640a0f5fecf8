"""The runner deletes its files from Azure once a job is joined; batch lists are read page by page.

Azure caps files per resource (Learn, Azure OpenAI quotas and limits: 500 files per resource for
batch by default), and a job leaves one input file per batch plus an output and an error file.
``DELETE /files/{file-id}`` answers ``{"object": "file", "deleted": true, "id": ...}`` (REST spec
2024-10-21 ``Files_Delete``, example ``delete_file.json``). ``GET /batches`` takes ``after`` and
``limit`` (default 20) and answers ``data``, ``has_more``, ``first_id``, ``last_id`` (REST spec
2024-10-21 ``Batch_List``, example ``get_batches.json``).
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.server import start_in_thread
from shared_core.errors import ConfigurationError, NotFoundError
from shared_core.services import jobs
from shared_core.services.batch_bodies import BatchIncompleteError, abatch_embed
from shared_core.services.batch_manifest import FileManifestStore
from shared_core.services.batch_plan import BatchLimits
from shared_core.services.batch_runner import BatchEvent, BatchRunner
from tests.integration.test_batch_runner import Emu, questions


class Stop(Exception):
    """Stands for the process dying at a chosen step."""


def files_left(emu: Emu) -> int:
    n: int = emu.app.state()["files"]
    return n


async def test_a_finished_job_deletes_every_file_it_made_and_its_manifest(tmp_path: Any) -> None:
    emu = Emu(batch_failure_rate=0.5)
    store = FileManifestStore(tmp_path)
    events: list[BatchEvent] = []
    # two parts whose failed lines are retried in follow-up batches: inputs, outputs and error files of each
    runner = emu.runner(
        emu.aclient(), store=store, limits=BatchLimits(max_requests=3), on_event=events.append, max_retries=8
    )
    result = await runner.arun(questions(6))
    made = {e.file_id for e in events if e.kind == "uploaded"}
    deleted = [e.file_id for e in events if e.kind == "deleted"]
    assert result.complete and len(made) == len(result.batch_ids) > 2
    assert made <= set(deleted) and len(deleted) == len(set(deleted)) == 3 * len(made)
    assert files_left(emu) == 0 and list(tmp_path.iterdir()) == []


async def test_an_incomplete_job_keeps_its_files_and_manifest_for_a_rerun(tmp_path: Any) -> None:
    emu = Emu()
    store = FileManifestStore(tmp_path)
    result = await emu.runner(emu.aclient(), store=store, on_failure="report").arun(
        questions(3, {1: f"{FAIL_TERM} always"})
    )
    assert result.failed == [1] and files_left(emu) == 3 and store.load(result.key) is not None


async def test_keep_files_leaves_them_and_the_manifest(tmp_path: Any) -> None:
    emu = Emu()
    store = FileManifestStore(tmp_path)
    result = await emu.runner(emu.aclient(), store=store, keep_files=True).arun(questions(3))
    assert result.complete and files_left(emu) == 3 and store.load(result.key) is not None


async def test_a_crash_before_the_cleanup_leaves_the_files_recorded_and_a_restart_deletes_them(tmp_path: Any) -> None:
    emu = Emu()
    store = FileManifestStore(tmp_path)

    def die_when_finished(e: BatchEvent) -> None:
        if e.kind == "finished":
            raise Stop

    with pytest.raises(Stop):
        await emu.runner(emu.aclient(), store=store, on_event=die_when_finished).arun(questions(4))
    (saved,) = [store.load(p.stem) for p in tmp_path.glob("*.json")]
    assert saved is not None and files_left(emu) == 3  # input, output, error: all in the manifest
    sub = saved["parts"][0]["submissions"][0]
    assert {sub["file_id"], sub["output_file_id"], sub["error_file_id"]} == set(emu.app.jobs.files)
    result = await emu.runner(emu.aclient(), store=store).arun(questions(4))
    assert result.complete and len(emu.app.jobs.batches) == 1  # resumed, nothing submitted again
    assert files_left(emu) == 0 and list(tmp_path.iterdir()) == []


async def test_a_crash_during_the_cleanup_is_finished_by_the_next_run(tmp_path: Any) -> None:
    emu = Emu()
    store = FileManifestStore(tmp_path)

    def die_after_one_delete(e: BatchEvent) -> None:
        if e.kind == "deleted":
            raise Stop

    with pytest.raises(Stop):
        await emu.runner(emu.aclient(), store=store, on_event=die_after_one_delete).arun(questions(4))
    (saved,) = [store.load(p.stem) for p in tmp_path.glob("*.json")]
    assert saved is not None and saved["cleaning"] is True and files_left(emu) == 2
    events: list[BatchEvent] = []
    result = await emu.runner(emu.aclient(), store=store, on_event=events.append).arun(questions(4))
    # the answers are gone from Azure: the rest is deleted (the one already gone counts) and the job runs anew
    assert [e.kind for e in events][:3] == ["deleted"] * 3
    assert result.complete and len(emu.app.jobs.batches) == 2
    assert files_left(emu) == 0 and list(tmp_path.iterdir()) == []


def test_emulator_deletes_files_as_azure_does() -> None:
    with start_in_thread() as emu, _client(emu.url, emu.api_key) as client:
        up = jobs.upload_file(client, ("a.jsonl", b'{"custom_id":"1","method":"POST","url":"/embeddings","body":{}}\n'))
        raw = httpx.delete(
            f"{emu.url}/openai/files/{up.id}", params={"api-version": "2024-10-21"}, headers={"api-key": emu.api_key}
        )
        assert raw.status_code == 200 and raw.json() == {"object": "file", "id": up.id, "deleted": True}
        with pytest.raises(NotFoundError):
            jobs.get_file(client, up.id)
        assert emu.app.state()["files"] == 0


def _client(url: str, key: str, **kw: Any) -> CoreClient:
    return CoreClient.from_settings(
        azure_endpoint=url, api_key=key, api_version="2024-10-21", require_deployment=False, **kw
    )


def test_list_batches_reads_every_page_lazily() -> None:
    with start_in_thread() as emu, _client(emu.url, emu.api_key) as client:
        line = b'{"custom_id":"1","method":"POST","url":"/chat/completions","body":{"model":"gpt-5.2","messages":[]}}\n'
        fid = jobs.upload_file(client, ("q.jsonl", line)).id
        made = [jobs.create_batch(client, fid).id for _ in range(45)]
        before = emu.app.state()["requests"]
        assert [b.id for b in jobs.list_batches(client)] == made  # pages of Azure's default 20: three requests
        assert emu.app.state()["requests"] - before == 3
        before = emu.app.state()["requests"]
        assert [b.id for b in itertools.islice(jobs.list_batches(client, limit=10), 12)] == made[:12]
        assert emu.app.state()["requests"] - before == 2  # stopped early: the later pages never fetched
        assert [b.id for b in jobs.list_batches(client, limit=100)] == made


async def test_alist_batches_follows_last_id_or_the_last_batch_shown() -> None:
    seen: list[str | None] = []

    def batch(i: int) -> dict[str, Any]:
        return {"id": f"batch_{i}", "status": "completed", "input_file_id": "file-a", "endpoint": "/embeddings"}

    def handler(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("after")
        seen.append(after)
        if after is None:  # names its last id
            page = {"data": [batch(1), batch(2)], "has_more": True, "first_id": "batch_1", "last_id": "batch_2"}
        elif after == "batch_2":  # names none: the last batch shown is the cursor
            page = {"data": [batch(3)], "has_more": True}
        else:
            page = {"data": [batch(4)], "has_more": False, "last_id": "batch_4"}
        return httpx.Response(200, json={"object": "list", **page})

    client = CoreClient.from_settings(
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        api_version="2024-10-21",
        require_deployment=False,
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    assert [b.id async for b in jobs.alist_batches(client, limit=2)] == ["batch_1", "batch_2", "batch_3", "batch_4"]
    assert seen == [None, "batch_2", "batch_3"]
    with pytest.raises(ConfigurationError, match=r"^limit=101: Azure lists 1 to 100 batches a page$"):
        jobs.list_batches(client, limit=101)


async def test_batch_embed_hands_each_vector_on_without_keeping_them() -> None:
    emu = Emu()
    client = emu.aclient()
    texts = [f"chunk {i} about rivers" for i in range(7)]
    runner = BatchRunner(
        client, "text-embedding-3-small", endpoint="/embeddings", asleep=emu.asleep, clock=emu.clock, poll_interval=1
    )
    got: dict[int, list[float]] = {}
    kept, result = await abatch_embed(runner, texts, dimensions=32, on_vector=got.__setitem__)
    direct = (await client.aembed(texts, model="text-embedding-3-small", dimensions=32)).vectors
    assert kept == [] and result.items == [] and [got[i] for i in range(7)] == direct
    vectors, _ = await abatch_embed(runner, texts[:3], dimensions=32)
    assert vectors == direct[:3]


async def test_batch_embed_with_a_failed_line_says_where_the_answers_went() -> None:
    emu = Emu()
    runner = BatchRunner(
        emu.aclient(),
        "text-embedding-3-small",
        endpoint="/embeddings",
        asleep=emu.asleep,
        clock=emu.clock,
        poll_interval=1,
        on_failure="report",
    )
    got: list[int] = []
    with pytest.raises(BatchIncompleteError) as e:
        await abatch_embed(runner, ["a", f"{FAIL_TERM} b", "c"], on_vector=lambda i, v: got.append(i))
    assert sorted(got) == [0, 2] and e.value.result.failed == [1]
    assert str(e.value).endswith(
        "2 of 3 requests answered; 1 failed (requests 1). The answers were handed on as they came; use "
        "on_failure='retry' or 'interactive', or run the same input again to submit only what is missing"
    )
    assert emu.app.state()["files"] == 3  # incomplete: kept for that rerun
