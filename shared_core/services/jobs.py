"""Files, batches and fine-tuning jobs over a ``CoreClient`` (the resource-level, undeployed APIs).

Every call is planned into a ``MediaRequest`` (method, path suffix, body, parser) that the sync
function sends with ``request_json`` and its async twin with ``arequest_json``. Waiting for a job
polls with a bounded deadline; ``sleep`` / ``asleep`` and ``clock`` are injectable so tests never
wait. Batch input files are checked line by line before upload, so a malformed line is reported
with its number instead of as a failed batch a while later. What the calls answer with
(``FileObject``, ``Batch``, ``FineTuningJob``) is defined in ``job_objects`` and importable from here.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from shared_core.client import CoreClient
from shared_core.errors import APITimeoutError, ConfigurationError
from shared_core.services.job_objects import (
    BATCH_ENDPOINTS,
    FILE_PURPOSES,
    Batch,
    FileObject,
    FineTuningJob,
    _batch,
    _content,
    _deleted,
    _file_object,
    _id,
    _job,
    _many,
    _object,
    _one,
    _request,
    check_batch_create,
)
from shared_core.services.media_client import FileLike, MediaRequest, load_file
from shared_core.types import ResponseMeta

# -------------------------------------------------------------------------------------- files


def check_batch_lines(content: bytes, *, endpoint: str | None = None) -> int:
    """Check a batch input file (JSONL: one request per line); returns the number of requests."""
    count = 0
    seen: set[str] = set()
    for number, line in enumerate(content.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise ConfigurationError(
                f"batch input line {number} is not valid JSON: write one JSON object per line", setting="file"
            ) from None
        missing = [k for k in ("custom_id", "method", "url", "body") if not isinstance(item, dict) or k not in item]
        if missing:
            raise ConfigurationError(
                f"batch input line {number} lacks {', '.join(missing)}: each line needs "
                "custom_id, method, url and body",
                setting="file",
            )
        if item["custom_id"] in seen:
            raise ConfigurationError(
                f"batch input line {number} repeats custom_id {item['custom_id']!r}: "
                "custom_id must be unique in the file",
                setting="file",
            )
        seen.add(item["custom_id"])
        if endpoint is not None and item["url"] != endpoint:
            raise ConfigurationError(
                f"batch input line {number} has url {item['url']!r} but the batch is for "
                f"{endpoint!r}: one endpoint per batch",
                setting="file",
            )
        count += 1
    if not count:
        raise ConfigurationError("the batch input file has no requests", setting="file")
    return count


def batch_lines(
    requests: Iterable[tuple[str, Mapping[str, Any]]], *, deployment: str, url: str = "/chat/completions"
) -> bytes:
    """A batch input file from ``(custom_id, body)`` pairs; ``deployment`` (a Global-Batch
    deployment) goes in each body's ``model``."""
    lines = [
        json.dumps({"custom_id": cid, "method": "POST", "url": url, "body": {"model": deployment, **body}})
        for cid, body in requests
    ]
    return ("\n".join(lines) + "\n").encode()


def plan_upload_file(
    file: FileLike, *, purpose: str = "batch", expires_after: int | None = None
) -> MediaRequest[FileObject]:
    """The multipart ``POST files`` request :func:`upload_file` sends. ``expires_after``
    (seconds after upload, 1209600-2592000 on Azure) deletes the file then."""
    if purpose not in FILE_PURPOSES:
        raise ConfigurationError(
            f"purpose={purpose!r} is not a file purpose: use one of {', '.join(FILE_PURPOSES)}", setting="purpose"
        )
    filename, content, ctype = load_file("file", file, "input.jsonl")
    if purpose in ("batch", "fine-tune"):
        if not filename.endswith(".jsonl"):
            raise ConfigurationError(
                f'{purpose} files must be JSONL named *.jsonl: got {filename!r}; pass ("input.jsonl", data)',
                setting="file",
            )
        if purpose == "batch":
            check_batch_lines(content)
    form: dict[str, Any] = {"purpose": purpose}
    if expires_after is not None:
        form["expires_after[anchor]"] = "created_at"
        form["expires_after[seconds]"] = str(int(expires_after))
    return _request("files", _one(_file_object), method="POST", body=form, files=[("file", (filename, content, ctype))])


def upload_file(
    client: CoreClient, file: FileLike, *, purpose: str = "batch", expires_after: int | None = None
) -> FileObject:
    """Upload a file (a path, ``(name, bytes)``, or a binary file object)."""
    return plan_upload_file(file, purpose=purpose, expires_after=expires_after).send(client)


async def aupload_file(
    client: CoreClient, file: FileLike, *, purpose: str = "batch", expires_after: int | None = None
) -> FileObject:
    """Async :func:`upload_file`."""
    return await plan_upload_file(file, purpose=purpose, expires_after=expires_after).asend(client)


def get_file(client: CoreClient, file_id: str) -> FileObject:
    """The file's metadata."""
    return _request("files", _one(_file_object), suffix=_id("file", file_id)).send(client)


async def aget_file(client: CoreClient, file_id: str) -> FileObject:
    """Async :func:`get_file`."""
    return await _request("files", _one(_file_object), suffix=_id("file", file_id)).asend(client)


def list_files(client: CoreClient, *, purpose: str | None = None) -> list[FileObject]:
    """Uploaded files, optionally of one ``purpose``."""
    params = {"purpose": purpose} if purpose else None
    return _request("files", _many(_file_object), params=params).send(client)


async def alist_files(client: CoreClient, *, purpose: str | None = None) -> list[FileObject]:
    """Async :func:`list_files`."""
    params = {"purpose": purpose} if purpose else None
    return await _request("files", _many(_file_object), params=params).asend(client)


def file_content(client: CoreClient, file_id: str) -> bytes:
    """The file's bytes (a batch's output or error file: JSONL)."""
    return _request("files", _content, suffix=_id("file", file_id) + "/content").send(client)


async def afile_content(client: CoreClient, file_id: str) -> bytes:
    """Async :func:`file_content`."""
    return await _request("files", _content, suffix=_id("file", file_id) + "/content").asend(client)


def delete_file(client: CoreClient, file_id: str) -> bool:
    """Delete a file; True when Azure confirms."""
    plan = _request("files", _deleted, method="DELETE", suffix=_id("file", file_id))
    return plan.send(client)


async def adelete_file(client: CoreClient, file_id: str) -> bool:
    """Async :func:`delete_file`."""
    plan = _request("files", _deleted, method="DELETE", suffix=_id("file", file_id))
    return await plan.asend(client)


# ------------------------------------------------------------------------------------ batches


def plan_create_batch(
    input_file_id: str,
    *,
    endpoint: str = "/chat/completions",
    completion_window: str = "24h",
    metadata: Mapping[str, str] | None = None,
) -> MediaRequest[Batch]:
    """The ``POST batches`` request :func:`create_batch` sends."""
    _id("file", input_file_id)
    check_batch_create(endpoint, completion_window)
    body: dict[str, Any] = {
        "input_file_id": input_file_id,
        "endpoint": endpoint,
        "completion_window": completion_window,
    }
    if metadata:
        body["metadata"] = dict(metadata)
    return _request("batches", _one(_batch), method="POST", body=body)


def create_batch(
    client: CoreClient,
    input_file_id: str,
    *,
    endpoint: str = "/chat/completions",
    completion_window: str = "24h",
    metadata: Mapping[str, str] | None = None,
) -> Batch:
    """Start a batch over an uploaded ``purpose="batch"`` file."""
    return plan_create_batch(
        input_file_id, endpoint=endpoint, completion_window=completion_window, metadata=metadata
    ).send(client)


async def acreate_batch(
    client: CoreClient,
    input_file_id: str,
    *,
    endpoint: str = "/chat/completions",
    completion_window: str = "24h",
    metadata: Mapping[str, str] | None = None,
) -> Batch:
    """Async :func:`create_batch`."""
    return await plan_create_batch(
        input_file_id, endpoint=endpoint, completion_window=completion_window, metadata=metadata
    ).asend(client)


def get_batch(client: CoreClient, batch_id: str) -> Batch:
    """The batch's current state."""
    return _request("batches", _one(_batch), suffix=_id("batch", batch_id)).send(client)


async def aget_batch(client: CoreClient, batch_id: str) -> Batch:
    """Async :func:`get_batch`."""
    return await _request("batches", _one(_batch), suffix=_id("batch", batch_id)).asend(client)


#: Pages read by one listing at most (10,000 batches at 100 a page): a guard against a cursor that never ends.
MAX_PAGES = 10_000


def _batches_page(data: Any, meta: ResponseMeta) -> tuple[list[Batch], str | None]:
    """A ``GET batches`` page and the ``after`` cursor of the next (``None``: the last page).
    Azure's list (REST spec 2024-10-21 ``Batch_List``: ``after``, ``limit`` default 20; answer
    ``data``, ``has_more``, ``first_id`` / ``last_id``): the next page starts after ``last_id``, or
    after the last batch shown where a page names none."""
    page = _object(data, meta)
    batches = [_batch(b) for b in page.get("data") or () if isinstance(b, Mapping)]
    if not page.get("has_more") or not batches:
        return batches, None
    last = page.get("last_id")
    return batches, last if isinstance(last, str) and last else batches[-1].id


def _batches_request(after: str | None, limit: int | None) -> MediaRequest[tuple[list[Batch], str | None]]:
    params = {k: str(v) for k, v in (("limit", limit), ("after", after)) if v is not None}
    return _request("batches", _batches_page, params=params or None)


def _check_limit(limit: int | None) -> None:
    if limit is not None and not 1 <= limit <= 100:
        raise ConfigurationError(f"limit={limit}: Azure lists 1 to 100 batches a page", setting="limit")


def list_batches(client: CoreClient, *, limit: int | None = None) -> Iterator[Batch]:
    """Every batch of the resource, read a page at a time as you iterate (stop early and the rest
    is never fetched). ``limit``: batches per page (Azure: 1-100, default 20)."""
    _check_limit(limit)

    def pages() -> Iterator[Batch]:
        after: str | None = None
        for _ in range(MAX_PAGES):
            batches, after = _batches_request(after, limit).send(client)
            yield from batches
            if after is None:
                return

    return pages()


def alist_batches(client: CoreClient, *, limit: int | None = None) -> AsyncIterator[Batch]:
    """Async :func:`list_batches` (``async for``)."""
    _check_limit(limit)

    async def pages() -> AsyncIterator[Batch]:
        after: str | None = None
        for _ in range(MAX_PAGES):
            batches, after = await _batches_request(after, limit).asend(client)
            for b in batches:
                yield b
            if after is None:
                return

    return pages()


def cancel_batch(client: CoreClient, batch_id: str) -> Batch:
    """Ask Azure to stop the batch (it ends as ``cancelled``)."""
    plan = _request("batches", _one(_batch), method="POST", suffix=_id("batch", batch_id) + "/cancel")
    return plan.send(client)


async def acancel_batch(client: CoreClient, batch_id: str) -> Batch:
    """Async :func:`cancel_batch`."""
    plan = _request("batches", _one(_batch), method="POST", suffix=_id("batch", batch_id) + "/cancel")
    return await plan.asend(client)


def parse_batch_output(content: bytes) -> dict[str, Mapping[str, Any]]:
    """A batch output (or error) file: each line's ``response`` (or ``error``) by ``custom_id``."""
    out: dict[str, Mapping[str, Any]] = {}
    for line in content.decode("utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out[str(item.get("custom_id"))] = item.get("response") or {"error": item.get("error")}
    return out


# -------------------------------------------------------------------------------- fine-tuning


def plan_create_fine_tuning_job(
    training_file: str,
    model: str,
    *,
    validation_file: str | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    suffix: str | None = None,
    seed: int | None = None,
) -> MediaRequest[FineTuningJob]:
    """The ``POST fine_tuning/jobs`` request :func:`create_fine_tuning_job` sends."""
    _id("file", training_file)
    if not model:
        raise ConfigurationError(
            "model is empty: name the base model to fine-tune (e.g. 'gpt-4o-mini')", setting="model"
        )
    body: dict[str, Any] = {"training_file": training_file, "model": model}
    for key, value in (("validation_file", validation_file), ("suffix", suffix), ("seed", seed)):
        if value is not None:
            body[key] = value
    if hyperparameters:
        body["hyperparameters"] = dict(hyperparameters)
    return _request("fine_tuning/jobs", _one(_job), method="POST", body=body)


def create_fine_tuning_job(
    client: CoreClient,
    training_file: str,
    model: str,
    *,
    validation_file: str | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    suffix: str | None = None,
    seed: int | None = None,
) -> FineTuningJob:
    """Start fine-tuning ``model`` on an uploaded ``purpose="fine-tune"`` file."""
    return plan_create_fine_tuning_job(
        training_file, model, validation_file=validation_file, hyperparameters=hyperparameters, suffix=suffix, seed=seed
    ).send(client)


async def acreate_fine_tuning_job(
    client: CoreClient,
    training_file: str,
    model: str,
    *,
    validation_file: str | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    suffix: str | None = None,
    seed: int | None = None,
) -> FineTuningJob:
    """Async :func:`create_fine_tuning_job`."""
    return await plan_create_fine_tuning_job(
        training_file, model, validation_file=validation_file, hyperparameters=hyperparameters, suffix=suffix, seed=seed
    ).asend(client)


def get_fine_tuning_job(client: CoreClient, job_id: str) -> FineTuningJob:
    """The job's current state."""
    return _request("fine_tuning/jobs", _one(_job), suffix=_id("job", job_id)).send(client)


async def aget_fine_tuning_job(client: CoreClient, job_id: str) -> FineTuningJob:
    """Async :func:`get_fine_tuning_job`."""
    return await _request("fine_tuning/jobs", _one(_job), suffix=_id("job", job_id)).asend(client)


def cancel_fine_tuning_job(client: CoreClient, job_id: str) -> FineTuningJob:
    """Stop the job (it ends as ``cancelled``)."""
    plan = _request("fine_tuning/jobs", _one(_job), method="POST", suffix=_id("job", job_id) + "/cancel")
    return plan.send(client)


async def acancel_fine_tuning_job(client: CoreClient, job_id: str) -> FineTuningJob:
    """Async :func:`cancel_fine_tuning_job`."""
    plan = _request("fine_tuning/jobs", _one(_job), method="POST", suffix=_id("job", job_id) + "/cancel")
    return await plan.asend(client)


# -------------------------------------------------------------------------------------- waiting


@dataclass(slots=True)
class _Poll:
    """When to look again, and when to give up: one decision for both waiting loops."""

    what: str
    timeout: float
    interval: float
    started: float

    def next_wait(self, status: str, done: bool, now: float) -> float | None:
        if done:
            return None
        left = self.timeout - (now - self.started)
        if left <= 0:
            raise APITimeoutError(
                f"{self.what} is still {status!r} after {self.timeout:g} s of waiting; it keeps running on "
                "Azure: wait again with a longer timeout, or cancel it"
            )
        return min(self.interval, left)


def _poll(what: str, timeout: float, interval: float, clock: Callable[[], float]) -> _Poll:
    if timeout <= 0 or interval <= 0:
        raise ConfigurationError(
            f"timeout={timeout:g} and poll_interval={interval:g} must be positive", setting="timeout"
        )
    return _Poll(what, timeout, interval, clock())


_Job = TypeVar("_Job", Batch, FineTuningJob)


def _wait(get: Callable[[], _Job], poll: _Poll, sleep: Callable[[float], None], clock: Callable[[], float]) -> _Job:
    while True:
        job = get()
        wait = poll.next_wait(job.status, job.done, clock())
        if wait is None:
            return job
        sleep(wait)


async def _await(
    get: Callable[[], Awaitable[_Job]],
    poll: _Poll,
    asleep: Callable[[float], Awaitable[None]],
    clock: Callable[[], float],
) -> _Job:
    while True:
        job = await get()
        wait = poll.next_wait(job.status, job.done, clock())
        if wait is None:
            return job
        await asleep(wait)


def wait_for_batch(
    client: CoreClient,
    batch_id: str,
    *,
    timeout: float = 86400.0,
    poll_interval: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Batch:
    """Poll until the batch is done (completed, failed, expired, cancelled); ``APITimeoutError``
    after ``timeout`` seconds (the batch is not cancelled)."""
    poll = _poll(f"batch {batch_id}", timeout, poll_interval, clock)
    return _wait(lambda: get_batch(client, batch_id), poll, sleep, clock)


async def await_batch(
    client: CoreClient,
    batch_id: str,
    *,
    timeout: float = 86400.0,
    poll_interval: float = 30.0,
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Batch:
    """Async :func:`wait_for_batch`."""
    poll = _poll(f"batch {batch_id}", timeout, poll_interval, clock)
    return await _await(lambda: aget_batch(client, batch_id), poll, asleep, clock)


def wait_for_fine_tuning_job(
    client: CoreClient,
    job_id: str,
    *,
    timeout: float = 86400.0,
    poll_interval: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FineTuningJob:
    """Poll until the job is done (succeeded, failed, cancelled); ``APITimeoutError`` after
    ``timeout`` seconds (the job is not cancelled)."""
    poll = _poll(f"fine-tuning job {job_id}", timeout, poll_interval, clock)
    return _wait(lambda: get_fine_tuning_job(client, job_id), poll, sleep, clock)


async def await_fine_tuning_job(
    client: CoreClient,
    job_id: str,
    *,
    timeout: float = 86400.0,
    poll_interval: float = 60.0,
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FineTuningJob:
    """Async :func:`wait_for_fine_tuning_job`."""
    poll = _poll(f"fine-tuning job {job_id}", timeout, poll_interval, clock)
    return await _await(lambda: aget_fine_tuning_job(client, job_id), poll, asleep, clock)


__all__ = [
    "BATCH_ENDPOINTS",
    "FILE_PURPOSES",
    "Batch",
    "FileObject",
    "FineTuningJob",
    "acancel_batch",
    "acancel_fine_tuning_job",
    "acreate_batch",
    "acreate_fine_tuning_job",
    "adelete_file",
    "afile_content",
    "aget_batch",
    "aget_file",
    "aget_fine_tuning_job",
    "alist_batches",
    "alist_files",
    "await_batch",
    "await_fine_tuning_job",
    "aupload_file",
    "batch_lines",
    "cancel_batch",
    "cancel_fine_tuning_job",
    "check_batch_lines",
    "create_batch",
    "create_fine_tuning_job",
    "delete_file",
    "file_content",
    "get_batch",
    "get_file",
    "get_fine_tuning_job",
    "list_batches",
    "list_files",
    "parse_batch_output",
    "plan_create_batch",
    "plan_create_fine_tuning_job",
    "plan_upload_file",
    "upload_file",
    "wait_for_batch",
    "wait_for_fine_tuning_job",
]
