"""Batches over Blob storage (``input_blob`` / ``output_folder``): the runner writes its input files to
Blob storage, Azure (the emulator) reads them and writes ``results.jsonl`` / ``errors.jsonl`` into the
output folder, the runner reads those back and joins them exactly as it joins uploaded files.

Shapes from Learn how-to ``batch-blob-storage`` (request body, ``output_blob``/``error_blob``, no
``metadata``) and the Blob REST reference (Put Blob, Put Block, Put Block List, Get Blob).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.emulator.app import EmulatorApp, create_app
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.config import ManualClock
from shared_core.emulator.server import start_in_thread
from shared_core.services.batch_manifest import FileManifestStore, MemoryManifestStore
from shared_core.services.batch_plan import BatchLimits
from shared_core.services.batch_runner import BatchEvent, BatchRunner
from shared_core.services.blob_storage import BlobStorage

LOCAL = "http://127.0.0.1"
SAS = "sv=2025-01-05&sr=c&sp=rcw&sig=c2VjcmV0LXNpZw%3D%3D"
IN, OUT = f"{LOCAL}/_blob/acct/batch-input", f"{LOCAL}/_blob/acct/batch-output"


def questions(n: int, extra: dict[int, str] | None = None) -> list[dict[str, Any]]:
    extra = extra or {}
    return [{"messages": [{"role": "user", "content": extra.get(i, f"What is {i} + 1?")}]} for i in range(n)]


def answers(result: Any) -> list[str]:
    return [item.body["choices"][0]["message"]["content"] for item in result.items if item and item.ok]


def same_answers(result: Any) -> list[dict[str, Any]]:
    """Each body but its id and creation time (which differ between two runs)."""
    return [{k: v for k, v in i.body.items() if k not in ("id", "created")} for i in result.items if i]


class Emu:
    def __init__(self, **overrides: Any) -> None:
        self.clock = ManualClock()
        self.app: EmulatorApp = create_app(clock=self.clock, overrides={"job_seconds": 10, **overrides})
        self.posts: list[dict[str, Any]] = []

    def http(self) -> httpx.AsyncClient:
        async def record(request: httpx.Request) -> None:
            if request.method == "POST" and request.url.path.endswith("/batches"):
                self.posts.append(json.loads(request.content))

        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=LOCAL, event_hooks={"request": [record]}
        )

    def aclient(self) -> CoreClient:
        return CoreClient.from_settings(
            azure_endpoint=LOCAL,
            api_key="azoai-emulator-key",
            api_version="2024-10-21",
            require_deployment=False,
            max_retries=0,
            http_async_client=self.http(),
        )

    def storage(self, **kw: Any) -> BlobStorage:
        return BlobStorage(f"{IN}?{SAS}", f"{OUT}?{SAS}", http_async_client=self.http(), **kw)

    async def asleep(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def runner(self, client: CoreClient, **kw: Any) -> BatchRunner:
        kw.setdefault("poll_interval", 1.0)
        return BatchRunner(client, "gpt-5.2", asleep=self.asleep, sleep=self.clock.advance, clock=self.clock, **kw)


async def test_blob_job_answers_in_order_equal_to_the_file_upload_path() -> None:
    emu = Emu()
    via_file = await emu.runner(emu.aclient(), limits=BatchLimits(max_requests=4)).arun(questions(10))
    files_before = emu.app.state()["files"]
    storage = emu.storage()
    result = await emu.runner(emu.aclient(), limits=BatchLimits(max_requests=4), blob=storage).arun(questions(10))
    assert result.complete and result.total == 10 and result.failed == [] and result.missing == []
    assert answers(result) == answers(via_file) == [str(i + 1) for i in range(10)]
    assert same_answers(result) == same_answers(via_file)
    assert emu.app.state()["files"] == files_before  # nothing uploaded to the service
    store = emu.app.jobs.storage
    assert store.ops["PutBlob"] == 3 and store.ops["PutBlock"] == 0  # three input files, one request each
    # the request Learn documents: no file, the blob, the output folder, no metadata, and no SAS
    blob_posts = emu.posts[-3:]
    assert blob_posts[0] == {
        "input_file_id": None,
        "endpoint": "/chat/completions",
        "completion_window": "24h",
        "input_blob": f"{IN}/azoai-{result.key[:12]}-0-1.jsonl",
        "output_folder": {"url": OUT},
    }
    assert result.file_ids == [p["input_blob"] for p in blob_posts] and "sig" not in repr(result)
    batch = emu.app.jobs.batches[result.batch_ids[0]]
    assert batch["output_blob"].startswith(OUT + "/") and batch["output_blob"].endswith("/results.jsonl")
    assert batch["error_blob"].endswith("/errors.jsonl") and batch["output_file_id"] is None


async def test_failed_lines_come_from_the_error_blob() -> None:
    emu = Emu()
    result = await emu.runner(emu.aclient(), on_failure="report", blob=emu.storage()).arun(
        questions(5, {3: f"{FAIL_TERM} 3"})
    )
    assert result.failed == [3] and result.answered == 4 and answers(result) == ["1", "2", "3", "5"]
    bad = result.items[3]
    assert bad is not None and bad.status_code == 500 and bad.error is not None
    assert str(bad.error["message"]).startswith("The server had an error processing your request.")


async def test_failed_lines_are_retried_through_blob_follow_ups() -> None:
    emu = Emu(batch_failure_rate=0.3)
    result = await emu.runner(emu.aclient(), max_retries=5, blob=emu.storage()).arun(questions(20))
    assert result.complete and answers(result) == [str(i + 1) for i in range(20)] and len(result.batch_ids) > 1
    assert len(set(result.file_ids)) == len(result.batch_ids)  # each follow-up reads its own input blob


async def test_a_file_larger_than_the_block_size_goes_up_block_by_block() -> None:
    emu = Emu()
    storage = emu.storage(block_size=100)
    result = await emu.runner(emu.aclient(), blob=storage).arun(questions(6))
    assert result.complete and answers(result) == [str(i + 1) for i in range(6)]
    ops = emu.app.jobs.storage.ops
    size = len(emu.app.jobs.storage.blobs[f"acct/batch-input/azoai-{result.key[:12]}-0-1.jsonl"])
    assert size > 500 and ops["PutBlob"] == 0 and ops["PutBlockList"] == 1
    assert ops["PutBlock"] == -(-size // 100)  # ceil(size / block size) blocks, committed in order


async def test_crash_after_create_before_save_finds_the_blob_batch() -> None:
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
        await emu.runner(emu.aclient(), store=store, blob=emu.storage()).arun(questions(4))
    assert len(emu.app.jobs.batches) == 1  # created on Azure, its id never saved
    events: list[BatchEvent] = []
    result = await emu.runner(emu.aclient(), store=store, on_event=events.append, blob=emu.storage()).arun(questions(4))
    assert result.complete and [e.kind for e in events][:1] == ["found"]
    assert len(emu.app.jobs.batches) == 1 and emu.app.state()["batch_lines"]["repeated"] == 0
    assert emu.app.jobs.storage.ops["PutBlob"] == 1  # the input was not written again


async def test_a_rerun_through_the_file_manifest_submits_nothing(tmp_path: Any) -> None:
    emu = Emu()
    store = FileManifestStore(tmp_path)
    first = await emu.runner(emu.aclient(), store=store, blob=emu.storage()).arun(questions(6))
    saved = (tmp_path / f"{first.key}.json").read_text()
    assert "sig=" not in saved and f"{IN}/azoai-" in saved  # blob URLs kept, the SAS never
    events: list[BatchEvent] = []
    second = await emu.runner(emu.aclient(), store=store, on_event=events.append, blob=emu.storage()).arun(questions(6))
    assert second.items == first.items and second.batch_ids == first.batch_ids
    assert {e.kind for e in events} == {"resumed", "finished"}
    assert emu.app.state()["batch_lines"] == {"submitted": 6, "distinct": 6, "repeated": 0}
    via_file = await emu.runner(emu.aclient(), store=store).arun(questions(6))  # the file path: its own job
    assert via_file.key != first.key and via_file.complete


def test_sync_run_over_loopback_with_blob_storage() -> None:
    clock = ManualClock()
    with start_in_thread(clock=clock, overrides={"job_seconds": 10}) as emu:
        client = CoreClient.from_settings(
            azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", require_deployment=False
        )
        storage = BlobStorage(f"{emu.url}/_blob/acct/in?{SAS}", f"{emu.url}/_blob/acct/out?{SAS}", block_size=200)
        runner = BatchRunner(client, "gpt-5.2", sleep=clock.advance, clock=clock, poll_interval=1, blob=storage)
        result = runner.run(questions(5, {2: f"{FAIL_TERM} 2"}))
        storage.close()
        client.close()
    assert result.failed == [2] and answers(result) == ["1", "2", "4", "5"]


async def test_a_blob_batch_on_a_deployment_that_is_not_a_batch_one_fails_and_says_why() -> None:
    emu = Emu(deployments={"gpt-5.2": {"model": "gpt-5.2", "sku": "globalstandard"}})
    result = await emu.runner(emu.aclient(), blob=emu.storage()).arun(questions(2))
    assert result.missing == [0, 1] and result.answered == 0
    item = result.items[0]
    assert item is not None and item.error == {
        "code": "batch_failed",
        "message": "invalid_request: The deployment SKU is invalid for batch requests: deploy the model as "
        "Global-Batch or Data Zone Batch.",
    }
