"""Run a list of requests through Azure's Batch API: split, upload, create, poll, join, retry, resume.

Every decision lives in one generator, :func:`_job`: it yields the operations it needs (upload a
file, create / get / find a batch, read a file's lines, sleep, send one request interactively) and
receives their answers. :func:`_drive` runs it with the sync calls and :func:`_adrive` with the
async ones, so ``run`` and ``arun`` cannot disagree on anything but how they wait.

Resuming: the manifest (``batch_manifest``) is saved after each upload and right after each batch
is created; a part whose file was uploaded but whose batch id was never saved is looked up by its
``input_file_id`` before another batch is created. A restarted process with the same input reads
the batches it had started, polls them and downloads their files: it never submits a line twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shared_core.client import CoreClient
from shared_core.errors import APIStatusError, APITimeoutError, ConfigurationError
from shared_core.services import batch_files, jobs
from shared_core.services.batch_blob import (
    BLOB_OPS,
    BlobOp,
    CreateBlobBatch,
    PutBlob,
    ReadBlob,
    blob_key,
    part_lines,
    result_blobs,
)
from shared_core.services.batch_manifest import (
    Manifest,
    ManifestStore,
    MemoryManifestStore,
    Part,
    Submission,
)
from shared_core.services.batch_plan import BatchLimits, check_endpoint, part_file, plan_parts
from shared_core.services.batch_results import BatchItem, BatchJobResult, BatchProgress, Collector
from shared_core.services.blob_storage import BlobStorage
from shared_core.services.job_objects import Batch

OnFailure = Literal["retry", "interactive", "report"]
ON_FAILURE = ("retry", "interactive", "report")
#: A batch refused for the deployment's enqueued-token quota never ran: submit it again later.
QUOTA_CODE = "token_limit_exceeded"


# ------------------------------------------------------------------------------------ operations


@dataclass(frozen=True, slots=True)
class _Upload:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class _Create:
    file_id: str
    endpoint: str
    metadata: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Get:
    batch_id: str


@dataclass(frozen=True, slots=True)
class _Find:
    file_id: str  # the batch created over this input file, if any


@dataclass(frozen=True, slots=True)
class _Read:
    file_id: str
    sink: Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class _Delete:
    file_id: str  # gone already (404) counts as deleted


@dataclass(frozen=True, slots=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class _Interactive:
    endpoint: str
    deployment: str
    body: Mapping[str, Any]


_Op = _Upload | _Create | _Get | _Find | _Read | _Delete | _Sleep | _Interactive | BlobOp


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """A step with a cost or a consequence: ``uploaded``, ``created``, ``resumed``, ``found`` (a batch
    created before a crash, found by its input file), ``finished``, ``requeued`` (quota), ``deleted``
    (a file of the job removed from Azure; ``part`` is -1)."""

    kind: str
    part: int
    file_id: str | None = None
    batch_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Spec:
    endpoint: str
    deployment: str
    bodies: Sequence[Mapping[str, Any]]
    limits: BatchLimits
    store: ManifestStore
    on_failure: OnFailure
    max_retries: int
    poll_interval: float
    timeout: float
    clock: Callable[[], float]
    progress: Callable[[BatchProgress], None] | None
    on_event: Callable[[BatchEvent], None] | None
    keep: bool
    on_item: Callable[[BatchItem], None] | None
    blob: BlobStorage | None = None
    keep_files: bool = True


# ---------------------------------------------------------------------------------- the decisions


def _manifest(spec: _Spec) -> tuple[Manifest, bool]:
    parts, _tokens, key = plan_parts(spec.bodies, spec.endpoint, spec.deployment, spec.limits)
    if spec.blob is not None:  # its own job: blob names and batches differ from the file path's
        key = blob_key(key, spec.blob)
    saved = spec.store.load(key)
    if saved is not None:
        return Manifest.from_dict(saved), True
    return Manifest(key, spec.endpoint, spec.deployment, len(spec.bodies), parts), False


def _indexes(part: Part, sub: Submission) -> range | list[int]:
    return range(part.start, part.start + part.count) if sub.indexes is None else sub.indexes


def _event(spec: _Spec, kind: str, part: int, sub: Submission) -> None:
    if spec.on_event is not None:
        spec.on_event(BatchEvent(kind, part, sub.file_id, sub.batch_id))


def _submit(spec: _Spec, m: Manifest, n: int, sub: Submission) -> Generator[_Op, Any, None]:
    """Upload the submission's file and create its batch, saving the manifest after each step."""
    part = m.parts[n]
    if sub.file_id is None:
        name = f"azoai-{m.key[:12]}-{n}-{len(part.submissions)}.jsonl"
        if spec.blob is not None:  # the blob's URL stands for the file id (no SAS: it goes to Azure)
            lines = part_lines(spec.bodies, m.endpoint, m.deployment, _indexes(part, sub))
            sub.file_id = yield PutBlob(spec.blob, name, lines)
        else:
            uploaded = yield _Upload(name, part_file(spec.bodies, m.endpoint, m.deployment, _indexes(part, sub)))
            sub.file_id = uploaded.id
        spec.store.save(m.key, m.to_dict())
        _event(spec, "uploaded", n, sub)
    else:  # uploaded before a crash: its batch may exist though its id was never saved
        found = yield _Find(sub.file_id)
        if found is not None:
            sub.batch_id, sub.status = found.id, found.status
            spec.store.save(m.key, m.to_dict())
            _event(spec, "found", n, sub)
            return
    if spec.blob is not None:  # Azure takes no metadata with input_blob
        batch = yield CreateBlobBatch(spec.blob, sub.file_id, m.endpoint)
    else:
        batch = yield _Create(sub.file_id, m.endpoint, {"azoai_job": m.key[:16], "azoai_part": str(n)})
    sub.batch_id, sub.status = batch.id, batch.status
    spec.store.save(m.key, m.to_dict())
    _event(spec, "created", n, sub)


def _collect(spec: _Spec, m: Manifest, n: int, sub: Submission, col: Collector) -> Generator[_Op, Any, None]:
    """Read the finished batch's output and error files into the collector, line by line."""
    bid = sub.batch_id or ""

    def sink(raw: bytes) -> None:
        col.feed(raw, bid)

    for fid in (sub.output_file_id, sub.error_file_id):
        if fid:
            col.begin(fid)
            yield _Read(fid, sink) if spec.blob is None else ReadBlob(spec.blob, fid, sink)
    part = m.parts[n]
    if sub.status != "completed":
        left = [i for i in _indexes(part, sub) if col.state[i] != 1]
        col.mark_missing(left, bid, {"code": f"batch_{sub.status}", "message": sub.error or f"batch {sub.status}"})


def _next_step(spec: _Spec, m: Manifest, n: int, col: Collector) -> Submission | None:
    """After a part's latest batch is collected: the follow-up batch it needs, if any."""
    part = m.parts[n]
    last = part.submissions[-1]
    if last.status == "failed" and last.error and last.error.startswith(QUOTA_CODE):
        return Submission(indexes=last.indexes)  # never ran: the same lines again, once quota frees
    if spec.on_failure != "retry" or len(part.submissions) > spec.max_retries:
        return None
    again = col.retryable(part.start, part.count)
    return Submission(indexes=again) if again else None


def _progress(spec: _Spec, m: Manifest, col: Collector, live: dict[str, Batch], started: float) -> None:
    if spec.progress is None:
        return
    done = sum(1 for s in col.state if s == 1)
    failed = sum(1 for s in col.state if s >= 2)
    for b in live.values():
        done += int(b.request_counts.get("completed") or 0)
        failed += int(b.request_counts.get("failed") or 0)
    elapsed = spec.clock() - started
    finished = done + failed
    remaining = elapsed / finished * (m.total - finished) if finished and elapsed > 0 else None
    ids = tuple(s.batch_id for p in m.parts for s in p.submissions if s.batch_id)
    spec.progress(BatchProgress(m.total, done, failed, elapsed, remaining, ids))


def _cleanup(spec: _Spec, m: Manifest) -> Generator[_Op, Any, None]:
    """Delete every file the job uploaded or Azure wrote for it (Azure caps files per resource),
    then its manifest. ``cleaning`` is saved first: a process that dies half way leaves a manifest
    that says so, and the next run with this input finishes the deleting and starts afresh."""
    m.cleaning = True
    spec.store.save(m.key, m.to_dict())
    for p in m.parts:
        for s in p.submissions:
            for fid in (s.file_id, s.output_file_id, s.error_file_id):
                if fid:
                    yield _Delete(fid)
                    if spec.on_event is not None:
                        spec.on_event(BatchEvent("deleted", -1, fid, s.batch_id))
    spec.store.delete(m.key)


def _job(spec: _Spec) -> Generator[_Op, Any, BatchJobResult]:
    m, resumed = _manifest(spec)
    if resumed and m.cleaning:  # its answers were read and its files partly deleted: a new job
        yield from _cleanup(spec, m)
        m, resumed = _manifest(spec)
    col = Collector(m.key, m.total, keep=spec.keep, on_item=spec.on_item)
    started = spec.clock()
    if not resumed:
        spec.store.save(m.key, m.to_dict())
    cap = spec.limits.max_tokens  # quota-bound: only as many parts in flight as the quota holds
    part_tokens = [p.tokens for p in m.parts]
    if resumed:
        for n, p in enumerate(m.parts):
            for s in p.submissions:
                if s.batch_id:
                    _event(spec, "resumed", n, s)
            for s in p.submissions[:-1]:  # finished before the crash: their answers are in their files
                yield from _collect(spec, m, n, s, col)
    active: dict[int, Submission] = {}  # part -> its unfinished latest submission
    finished: set[int] = set()
    live: dict[str, Batch] = {}
    for n, p in enumerate(m.parts):
        if p.submissions and p.submissions[-1].batch_id:
            active[n] = p.submissions[-1]
    refused: set[int] = set()  # parts Azure refused for quota: wait for a running batch to finish
    while len(finished) < len(m.parts):
        # submit what is pending, within the quota
        in_flight = sum(part_tokens[n] for n in active)
        for n, p in enumerate(m.parts):
            if n in active or n in finished or (n in refused and active):
                continue
            if not p.submissions:
                p.submissions.append(Submission())
            sub = p.submissions[-1]
            if cap is not None and active and in_flight + part_tokens[n] > cap:
                break
            yield from _submit(spec, m, n, sub)
            refused.discard(n)
            active[n] = sub
            in_flight += part_tokens[n]
        # poll
        for n, sub in list(active.items()):
            batch = yield _Get(sub.batch_id or "")
            sub.status = batch.status
            live[batch.id] = batch
            if not batch.done:
                continue
            live.pop(batch.id, None)
            sub.output_file_id, sub.error_file_id = (
                (batch.output_file_id, batch.error_file_id) if spec.blob is None else result_blobs(batch)
            )
            errors = (batch.raw.get("errors") or {}).get("data") or []
            if errors:
                sub.error = f"{errors[0].get('code')}: {errors[0].get('message')}"
            spec.store.save(m.key, m.to_dict())
            _event(spec, "finished", n, sub)
            del active[n]
            yield from _collect(spec, m, n, sub, col)
            follow = _next_step(spec, m, n, col)
            if follow is None:
                finished.add(n)
            else:
                if sub.error and sub.error.startswith(QUOTA_CODE):
                    refused.add(n)
                    _event(spec, "requeued", n, sub)
                m.parts[n].submissions.append(follow)
                spec.store.save(m.key, m.to_dict())
        _progress(spec, m, col, live, started)
        if len(finished) == len(m.parts):
            break
        left = spec.timeout - (spec.clock() - started)
        if left <= 0:
            ids = ", ".join(s.batch_id or "?" for s in active.values())
            raise APITimeoutError(
                f"batch job {m.key[:12]} still running after {spec.timeout:g} s (batches {ids}); they keep running "
                "on Azure: run the same input again to pick them up (nothing is submitted twice)"
            )
        yield _Sleep(min(spec.poll_interval, left))
    if spec.on_failure == "interactive":
        for i in sorted(col.held):
            try:
                body = yield _Interactive(m.endpoint, m.deployment, spec.bodies[i])
                col.answer(i, 200, body, None, "interactive")
            except APIStatusError as exc:
                col.answer(i, exc.status_code, None, {"code": exc.code, "message": str(exc)}, "interactive")
    batch_ids = [s.batch_id for p in m.parts for s in p.submissions if s.batch_id]
    file_ids = [s.file_id for p in m.parts for s in p.submissions if s.file_id]
    result = col.finish(batch_ids, file_ids)
    # every answer joined (and handed to on_item): Azure's copies can go. An incomplete job keeps
    # them and its manifest, so a rerun of the same input picks it up instead of paying again.
    # Blobs live in the user's storage (no per-resource file cap): they and the manifest stay, so a
    # rerun reads the answers back from them without paying again.
    if not spec.keep_files and spec.blob is None and result.complete:
        yield from _cleanup(spec, m)
    return result


# ---------------------------------------------------------------------------------------- drivers


def _operation(endpoint: str) -> str:
    return endpoint.removeprefix("/v1").lstrip("/")


#: Batches of ``GET batches`` (100 a page) searched for one created before a crash.
FIND_LIMIT = 5_000


def _find(client: CoreClient, file_id: str) -> Batch | None:
    for n, batch in enumerate(jobs.list_batches(client, limit=100)):
        if file_id in (batch.input_file_id, batch.raw.get("input_blob")):
            return batch
        if n >= FIND_LIMIT:
            break
    return None


async def _afind(client: CoreClient, file_id: str) -> Batch | None:
    n = 0
    async for batch in jobs.alist_batches(client, limit=100):
        if file_id in (batch.input_file_id, batch.raw.get("input_blob")):
            return batch
        n += 1
        if n >= FIND_LIMIT:
            break
    return None


def _gone(exc: APIStatusError) -> bool:
    """A file already deleted (a run that died half way through its cleanup) needs no deleting."""
    return exc.status_code == 404


def _drive(gen: Generator[_Op, Any, BatchJobResult], client: CoreClient, sleep: Callable[[float], None]) -> Any:
    answer: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = gen.throw(error) if error is not None else gen.send(answer)
        except StopIteration as stop:
            return stop.value
        answer, error = None, None
        if isinstance(op, BLOB_OPS):
            answer = op.send(client)
        elif isinstance(op, _Upload):
            answer = jobs.upload_file(client, (op.name, op.data), purpose="batch")
        elif isinstance(op, _Create):
            answer = jobs.create_batch(client, op.file_id, endpoint=op.endpoint, metadata=op.metadata)
        elif isinstance(op, _Get):
            answer = jobs.get_batch(client, op.batch_id)
        elif isinstance(op, _Find):
            answer = _find(client, op.file_id)
        elif isinstance(op, _Read):
            for line in batch_files.iter_file_lines(client, op.file_id):
                op.sink(line)
        elif isinstance(op, _Delete):
            try:
                jobs.delete_file(client, op.file_id)
            except APIStatusError as exc:
                if not _gone(exc):
                    raise
        elif isinstance(op, _Sleep):
            sleep(op.seconds)
        else:
            try:
                answer, _meta = client.request_json(_operation(op.endpoint), op.body, model=op.deployment)
            except APIStatusError as exc:
                error = exc


async def _adrive(gen: Generator[_Op, Any, BatchJobResult], client: CoreClient, asleep: Callable[[float], Any]) -> Any:
    answer: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = gen.throw(error) if error is not None else gen.send(answer)
        except StopIteration as stop:
            return stop.value
        answer, error = None, None
        if isinstance(op, BLOB_OPS):
            answer = await op.asend(client)
        elif isinstance(op, _Upload):
            answer = await jobs.aupload_file(client, (op.name, op.data), purpose="batch")
        elif isinstance(op, _Create):
            answer = await jobs.acreate_batch(client, op.file_id, endpoint=op.endpoint, metadata=op.metadata)
        elif isinstance(op, _Get):
            answer = await jobs.aget_batch(client, op.batch_id)
        elif isinstance(op, _Find):
            answer = await _afind(client, op.file_id)
        elif isinstance(op, _Read):
            async for line in batch_files.aiter_file_lines(client, op.file_id):
                op.sink(line)
        elif isinstance(op, _Delete):
            try:
                await jobs.adelete_file(client, op.file_id)
            except APIStatusError as exc:
                if not _gone(exc):
                    raise
        elif isinstance(op, _Sleep):
            await asleep(op.seconds)
        else:
            try:
                answer, _meta = await client.arequest_json(_operation(op.endpoint), op.body, model=op.deployment)
            except APIStatusError as exc:
                error = exc


# ------------------------------------------------------------------------------------------ runner


class BatchRunner:
    """Runs request bodies (without ``model``: the runner sets the deployment) through the Batch API.

    ``endpoint``: ``/chat/completions`` or ``/embeddings`` (``/v1/...`` on v1 routes). ``store``
    keeps the manifest that makes a rerun resume (default: in memory, so only within this object:
    pass a :class:`~shared_core.services.batch_manifest.FileManifestStore` to survive a crash).
    ``on_failure``: ``"retry"`` failed lines (429/5xx) in follow-up batches, up to ``max_retries``;
    ``"interactive"`` sends them through the normal path; ``"report"`` only reports them.
    ``limits.max_tokens``: the deployment's enqueued-token quota (parts are kept in flight within it).
    ``blob``: a :class:`~shared_core.services.blob_storage.BlobStorage` to write the input files to
    and read the results from (``input_blob`` / ``output_folder``) instead of uploading files.
    ``keep_files``: leave the job's input, output and error files on Azure (which caps files per
    resource, 500 by default); by default, once every request has its answer, they are deleted with
    the manifest (a rerun of the same input is then a new job). A job left incomplete keeps both,
    and so does a job over Blob storage (its blobs are the user's; a rerun reads them back).
    """

    def __init__(
        self,
        client: CoreClient,
        deployment: str,
        *,
        endpoint: str = "/chat/completions",
        limits: BatchLimits | None = None,
        store: ManifestStore | None = None,
        on_failure: OnFailure = "retry",
        max_retries: int = 2,
        poll_interval: float = 30.0,
        timeout: float = 2 * 86400.0,
        progress: Callable[[BatchProgress], None] | None = None,
        on_event: Callable[[BatchEvent], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Any] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        blob: BlobStorage | None = None,
        keep_files: bool = False,
    ) -> None:
        if not deployment:
            raise ConfigurationError("deployment is empty: name the Global-Batch deployment", setting="deployment")
        if on_failure not in ON_FAILURE:
            raise ConfigurationError(
                f"on_failure={on_failure!r}: use one of {', '.join(ON_FAILURE)}", setting="on_failure"
            )
        if poll_interval <= 0 or timeout <= 0 or max_retries < 0:
            raise ConfigurationError(
                f"poll_interval={poll_interval:g} and timeout={timeout:g} must be positive, max_retries >= 0",
                setting="poll_interval",
            )
        self.client = client
        self.deployment = deployment
        self.endpoint = check_endpoint(endpoint)
        self.limits = limits or BatchLimits()
        self.store: ManifestStore = store if store is not None else MemoryManifestStore()
        self.on_failure: OnFailure = on_failure
        self.max_retries = max_retries
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.progress = progress
        self.on_event = on_event
        self.sleep = sleep
        self.asleep = asleep
        self.clock = clock
        if blob is not None and not isinstance(blob, BlobStorage):
            raise ConfigurationError(
                f"blob={type(blob).__name__}: pass a BlobStorage(input_folder, output_folder, ...)", setting="blob"
            )
        self.blob = blob
        self.keep_files = keep_files

    def _spec(self, bodies: Sequence[Mapping[str, Any]], on_item: Callable[[BatchItem], None] | None) -> _Spec:
        if isinstance(bodies, (str, bytes)) or not isinstance(bodies, Sequence):
            raise ConfigurationError(
                "requests must be a list of request bodies (dicts), e.g. [{'messages': [...]}]", setting="requests"
            )
        return _Spec(
            self.endpoint,
            self.deployment,
            bodies,
            self.limits,
            self.store,
            self.on_failure,
            self.max_retries,
            self.poll_interval,
            self.timeout,
            self.clock,
            self.progress,
            self.on_event,
            on_item is None,
            on_item,
            self.blob,
            self.keep_files,
        )

    def run(
        self, requests: Sequence[Mapping[str, Any]], *, on_item: Callable[[BatchItem], None] | None = None
    ) -> BatchJobResult:
        """Run (or resume) the job; items in input order, or each handed to ``on_item`` as it is read."""
        result: BatchJobResult = _drive(_job(self._spec(requests, on_item)), self.client, self.sleep)
        return result

    async def arun(
        self, requests: Sequence[Mapping[str, Any]], *, on_item: Callable[[BatchItem], None] | None = None
    ) -> BatchJobResult:
        """Async :meth:`run`."""
        result: BatchJobResult = await _adrive(_job(self._spec(requests, on_item)), self.client, self.asleep)
        return result
