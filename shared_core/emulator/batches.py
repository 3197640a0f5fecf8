"""Batches that progress over time, in Azure's shapes (Learn how-to/batch: batch object, statuses,
troubleshooting; OpenAI batch guide for the output and error line shapes Azure serves).

Schedule in clock seconds, ``J = config.job_seconds``: ``validating`` until ``J/10`` (then the
``batch_input`` rules run and a broken one fails the batch), ``in_progress`` until ``0.9 J`` with
lines answered in proportion to elapsed time (``request_counts`` grows), ``finalizing`` until
``J``, then ``completed`` with an output and an error file (the error file exists, empty, when no
line failed: Learn troubleshooting). A batch not finished ``batch_window_seconds`` after creation
is ``expired``: the lines answered so far keep their results, every other line is written to the
error file with code ``batch_expired``. ``POST .../cancel`` makes it ``cancelling`` and, ``J/10``
later, ``cancelled`` with the lines answered so far ("any already completed work is returned").

Lines fail when their body holds :data:`FAIL_TERM` (always) or, with ``batch_failure_rate``, when
a hash of (batch id, custom_id) falls under the rate, so a retried line can succeed. Every line
is counted when a batch that holds it passes validation, i.e. is enqueued and would be billed
(:attr:`BatchEngine.submissions`, keyed by a hash of its url, custom_id and body), so a test can
prove no line was submitted twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import azure, rules
from .behaviour import count_message_tokens, count_tokens
from .config import Deployment, EmulatorConfig
from .wire import Request, Response, json_response

if TYPE_CHECKING:
    from .jobs import JobStore

JSON = dict[str, Any]
LineRunner = Callable[[str, JSON], tuple[int, JSON]]
#: A line whose body contains this text fails with a 500 (tests trigger a failure on a chosen line).
FAIL_TERM = "emulator-batch-fail"
TERMINAL = ("completed", "failed", "expired", "cancelled")
NO_DEPLOYMENT = Deployment("-", "-", "chat")
EXPIRED = {
    "code": "batch_expired",
    "message": "This request could not be executed before the completion window expired.",
}


def line_key(url: str, custom_id: Any, body: Any) -> str:
    """The identity of one submitted request: its url, custom_id and body, canonically serialised."""
    path = url[3:] if url.startswith("/v1/") else url
    raw = json.dumps([path, custom_id, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def line_tokens(body: JSON) -> int:
    """Input tokens one line enqueues (what Azure counts against the enqueued-token quota)."""
    if "messages" in body:
        return count_message_tokens(body.get("messages") or [])
    inp = body.get("input")
    if isinstance(inp, list):
        return sum(count_tokens(x) if isinstance(x, str) else len(x) for x in inp)
    return count_tokens(str(inp or ""))


@dataclass(slots=True)
class _Run:
    """What the engine keeps beside a batch's public object."""

    lines: list[JSON]
    deployment: str
    tokens: int
    done: int = 0
    out: list[str] = field(default_factory=list)
    errs: list[str] = field(default_factory=list)
    failure: JSON | None = None  # the broken batch_input rule, once validated
    failing: set[int] = field(default_factory=set)  # line positions chosen by batch_fail_every
    folder: str | None = None  # output_folder.url of a batch over Blob storage


class BatchEngine:
    def __init__(self, store: JobStore, run_line: LineRunner) -> None:
        self.store = store
        self.run_line = run_line
        self.batches: dict[str, JSON] = {}
        self.runs: dict[str, _Run] = {}
        self.submissions: Counter[str] = Counter()

    @property
    def config(self) -> EmulatorConfig:
        return self.store.config

    def submission_counts(self) -> JSON:
        """How many lines were submitted, how many distinct ones, and how many more than once."""
        counts = self.submissions.values()
        return {
            "submitted": sum(counts),
            "distinct": len(self.submissions),
            "repeated": sum(1 for c in counts if c > 1),
        }

    # --- routes ------------------------------------------------------------------------------

    def route(self, req: Request, rest: list[str]) -> Response:
        if not rest:
            if req.method == "POST":
                return json_response(200, self.create(req.json()))
            return json_response(200, self.page(req.query.get("after"), req.query.get("limit")))
        bid = rest[0]
        if bid not in self.batches:
            raise azure.not_found("Batch", bid)
        b = self.advance(self.batches[bid])
        if rest[1:] == ["cancel"] and req.method == "POST":
            if b["status"] in ("validating", "in_progress", "finalizing"):
                b["status"], b["cancelling_at"] = "cancelling", self.store.now()
            return json_response(200, b)
        if len(rest) == 1 and req.method == "GET":
            return json_response(200, b)
        raise azure.resource_not_found()

    def page(self, after: str | None, limit: str | None) -> JSON:
        """One page of ``GET batches``: ``limit`` (default 20) batches after the id ``after``, as the
        REST spec's ``Batch_List`` (2024-10-21) pages: ``data``, ``has_more``, ``first_id``,
        ``last_id``. An ``after`` naming no batch gives an empty page."""
        ids = list(self.batches)
        start = 0 if after is None else ids.index(after) + 1 if after in self.batches else len(ids)
        size = int(limit) if limit is not None and limit.isdigit() and int(limit) > 0 else 20
        data = [self.advance(self.batches[i]) for i in ids[start : start + size]]
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": start + size < len(ids),
        }

    def _input_file(self, body: JSON) -> bytes:
        f = self.store.files.get(body["input_file_id"])
        if f is None:
            raise azure.not_found("File", body["input_file_id"])
        if f.meta["purpose"] != "batch":
            raise azure.invalid_value(
                "input_file_id",
                f"File {body['input_file_id']} has purpose '{f.meta['purpose']}'; "
                "batch input files must be uploaded with purpose 'batch'.",
            )
        return f.data

    def create(self, body: JSON) -> JSON:
        ctx = rules.Ctx("batches", body, NO_DEPLOYMENT, None, "dated", self.config)
        ctx.scratch["storage"] = self.store.storage
        rules.run("batches", ctx)
        blob = body.get("input_blob")
        data = self.store.storage.read(blob) if blob else self._input_file(body)
        lines = [json.loads(ln) for ln in (data or b"").decode("utf-8").splitlines() if ln.strip()]
        model = (lines[0].get("body") or {}).get("model") if lines else None
        tokens = sum(line_tokens(ln.get("body") or {}) for ln in lines)
        now = self.store.now()
        b: JSON = {
            "id": self.store.new_id("batch_"),
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": body.get("input_file_id"),
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + int(self.config.batch_window_seconds),
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        folder = None
        if blob:  # Learn batch-blob-storage: both paths are "" until the batch finishes
            folder = str(body["output_folder"]["url"]).rstrip("/")
            b |= {"error_blob": "", "input_blob": blob, "output_blob": ""}
        self.batches[b["id"]] = b
        self.runs[b["id"]] = _Run(lines, str(model), tokens, folder=folder)
        return b

    # --- progress ----------------------------------------------------------------------------

    def enqueued(self, deployment: str, but: str) -> int:
        """Tokens the deployment's other unfinished, accepted batches hold."""
        return sum(
            run.tokens
            for bid, run in self.runs.items()
            if bid != but
            and run.deployment == deployment
            and self.batches[bid]["status"] not in (*TERMINAL, "validating")
        )

    def advance(self, b: JSON) -> JSON:
        if b["status"] in TERMINAL:
            return b
        cfg, run = self.config, self.runs[b["id"]]
        job = cfg.job_seconds
        elapsed = cfg.clock() - b["created_at"]
        if b["status"] == "validating" and elapsed >= job / 10:
            if not self._validate(b, run):
                return b
            b["status"], b["in_progress_at"] = "in_progress", self.store.now()
        if b["status"] == "cancelling":
            if cfg.clock() - b["cancelling_at"] >= job / 10:
                self._finish(b, run, "cancelled")
            return b
        if b["status"] in ("in_progress", "finalizing"):
            share = min(1.0, max(0.0, (elapsed - job / 10) / (0.8 * job))) if job > 0 else 1.0
            expired = elapsed >= cfg.batch_window_seconds
            self._run_lines(b, run, int(len(run.lines) * share))
            if expired and run.done < len(run.lines):
                self._finish(b, run, "expired")
            elif elapsed >= job:
                self._finish(b, run, "completed")
            elif run.done == len(run.lines) and b["status"] == "in_progress":
                b["status"], b["finalizing_at"] = "finalizing", self.store.now()
        return b

    def _validate(self, b: JSON, run: _Run) -> bool:
        dep = self.config.deployments.get(run.deployment, NO_DEPLOYMENT)
        body = {
            "lines": run.lines,
            "endpoint": b["endpoint"],
            "tokens": run.tokens,
            "enqueued": self.enqueued(run.deployment, b["id"]),
        }
        ctx = rules.Ctx("batch_input", body, dep, None, "dated", self.config)
        try:
            rules.run("batch_input", ctx)
        except azure.AzureError as err:
            e = err.body["error"]
            item = {"code": e["code"], "message": e["message"], "param": None, "line": ctx.scratch.get("line")}
            now = self.store.now()
            b.update(status="failed", failed_at=now, errors={"object": "list", "data": [item]})
            return False
        every = self.config.batch_fail_every
        for pos, ln in enumerate(run.lines):  # accepted: this work is now enqueued (and would be billed)
            key = line_key(str(ln.get("url")), ln.get("custom_id"), ln.get("body"))
            if every > 0 and key not in self.submissions and len(self.submissions) % every == every - 1:
                run.failing.add(pos)
            self.submissions[key] += 1
        return True

    def _fails(self, bid: str, chosen: bool, line: JSON) -> bool:
        if chosen or FAIL_TERM in json.dumps(line.get("body")):
            return True
        rate = self.config.batch_failure_rate
        if rate <= 0:
            return False
        h = hashlib.sha256(f"{self.config.seed}\x1f{bid}\x1f{line.get('custom_id')}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64 < rate

    def _run_lines(self, b: JSON, run: _Run, upto: int) -> None:
        while run.done < upto:
            pos = run.done
            line = run.lines[pos]
            run.done += 1
            rid = self.store.new_id("")
            if self._fails(b["id"], pos in run.failing, line):
                status, body = 500, azure.server_error(500, rid).body
            else:
                status, body = self.run_line(str(line.get("url", b["endpoint"])), dict(line.get("body") or {}))
            rec = {
                "id": self.store.new_id("batch_req_"),
                "custom_id": line.get("custom_id"),
                "response": {"status_code": status, "request_id": rid, "body": body},
                "error": None,
            }
            (run.out if status == 200 else run.errs).append(json.dumps(rec))
        b["request_counts"] = {"total": len(run.lines), "completed": len(run.out), "failed": len(run.errs)}

    def _finish(self, b: JSON, run: _Run, status: str) -> None:
        now = self.store.now()
        if status == "expired":
            for line in run.lines[run.done :]:
                rec = {"id": self.store.new_id("batch_req_"), "custom_id": line.get("custom_id"), "response": None}
                run.errs.append(json.dumps(rec | {"error": EXPIRED}))
            b["expired_at"] = now
        elif status == "cancelled":
            b["cancelled_at"] = now
        else:
            b["finalizing_at"] = b["finalizing_at"] or now
            b["completed_at"] = now
        b["in_progress_at"] = b["in_progress_at"] or now
        b["status"] = status
        b["request_counts"] = {"total": len(run.lines), "completed": len(run.out), "failed": len(run.errs)}
        if run.folder is not None:
            self._write_blobs(b, run.folder, run)
        else:
            b["output_file_id"] = self.store.add_output(f"{b['id']}_output.jsonl", run.out)
            b["error_file_id"] = self.store.add_output(f"{b['id']}_error.jsonl", run.errs)
        run.out, run.errs = [], []

    def _write_blobs(self, b: JSON, folder: str, run: _Run) -> None:
        """``{folder}/{guid}/results.jsonl`` and ``errors.jsonl``, each written only when it has lines;
        both paths are returned either way (Learn batch-blob-storage)."""
        base = f"{folder}/{b['id'].removeprefix('batch_')}"
        b["output_blob"], b["error_blob"] = f"{base}/results.jsonl", f"{base}/errors.jsonl"
        for url, lines in ((b["output_blob"], run.out), (b["error_blob"], run.errs)):
            if lines:
                self.store.storage.write(url, "".join(ln + "\n" for ln in lines).encode())
