"""Files, batches, fine-tuning jobs and models, in memory.

Jobs advance with the injected clock: a batch is ``validating`` at creation, ``in_progress``
after a tenth of ``job_seconds`` and ``completed`` after ``job_seconds``, at which point every
line of its input file is answered by the emulator's own behaviour and written to an output file.
Fine-tuning jobs go ``pending`` -> ``running`` -> ``succeeded`` on the same schedule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import azure, rules
from .behaviour import stable_id
from .config import Deployment, EmulatorConfig
from .wire import Request, Response, json_response

JSON = dict[str, Any]
#: Runs one batch line: (url, body) -> (status, response body).
LineRunner = Callable[[str, JSON], tuple[int, JSON]]

#: Unscoped routes have no deployment; rules see this placeholder.
NO_DEPLOYMENT = Deployment("-", "-", "chat")


@dataclass(slots=True)
class StoredFile:
    meta: JSON
    data: bytes


class JobStore:
    def __init__(self, config: EmulatorConfig, run_line: LineRunner) -> None:
        self.config = config
        self.run_line = run_line
        self.reset()

    def reset(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, JSON] = {}
        self.ft_jobs: dict[str, JSON] = {}
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return stable_id(prefix, self.config.seed, prefix, self._n, length=24)

    def _now(self) -> int:
        return int(self.config.clock())

    # --- files ---------------------------------------------------------------------------

    def create_file(self, req: Request) -> Response:
        fields, files = req.form()
        ctx = rules.Ctx("files", fields, NO_DEPLOYMENT, None, "dated", self.config)
        ctx.scratch["files"] = files
        rules.run("files", ctx)
        purpose, up = fields["purpose"], files["file"]
        fid = self._id("file-")
        meta = self._file_meta(fid, purpose, up.filename, up.data)
        self.files[fid] = StoredFile(meta, up.data)
        return json_response(201, meta, {"location": f"{req.base_url}/openai/files/{fid}"})

    def _file_meta(self, fid: str, purpose: str, filename: str, data: bytes) -> JSON:
        return {
            "object": "file",
            "id": fid,
            "purpose": purpose,
            "filename": filename,
            "bytes": len(data),
            "created_at": self._now(),
            "status": "processed",
            "status_details": None,
        }

    def _file(self, fid: str) -> StoredFile:
        if fid not in self.files:
            raise azure.not_found("File", fid)
        return self.files[fid]

    def files_route(self, req: Request, rest: list[str]) -> Response:
        if not rest:
            if req.method == "POST":
                return self.create_file(req)
            purpose = req.query.get("purpose")
            data = [f.meta for f in self.files.values() if purpose in (None, f.meta["purpose"])]
            return json_response(200, {"object": "list", "data": data})
        fid = rest[0]
        f = self._file(fid)
        if rest[1:] == ["content"] and req.method == "GET":
            return Response(200, f.data, content_type="application/octet-stream")
        if len(rest) == 1 and req.method == "DELETE":
            del self.files[fid]
            return json_response(200, {"object": "file", "id": fid, "deleted": True})
        if len(rest) == 1 and req.method == "GET":
            return json_response(200, f.meta)
        raise azure.resource_not_found()

    # --- batches -------------------------------------------------------------------------

    def batches_route(self, req: Request, rest: list[str]) -> Response:
        if not rest:
            if req.method == "POST":
                return self._create_batch(req.json())
            data = [self._advance_batch(b) for b in self.batches.values()]
            return json_response(
                200,
                {
                    "object": "list",
                    "data": data,
                    "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None,
                    "has_more": False,
                },
            )
        bid = rest[0]
        if bid not in self.batches:
            raise azure.not_found("Batch", bid)
        b = self._advance_batch(self.batches[bid])
        if rest[1:] == ["cancel"] and req.method == "POST":
            if b["status"] in ("validating", "in_progress"):
                b["status"] = "cancelled"
                b["cancelling_at"] = b["cancelled_at"] = self._now()
            return json_response(200, b)
        if len(rest) == 1 and req.method == "GET":
            return json_response(200, b)
        raise azure.resource_not_found()

    def _create_batch(self, body: JSON) -> Response:
        rules.run("batches", rules.Ctx("batches", body, NO_DEPLOYMENT, None, "dated", self.config))
        f = self.files.get(body["input_file_id"])
        if f is None:
            raise azure.not_found("File", body["input_file_id"])
        if f.meta["purpose"] != "batch":
            raise azure.invalid_value(
                "input_file_id",
                f"File {body['input_file_id']} has purpose '{f.meta['purpose']}'; "
                "batch input files must be uploaded with purpose 'batch'.",
            )
        n = sum(1 for ln in f.data.splitlines() if ln.strip())
        now = self._now()
        b: JSON = {
            "id": self._id("batch_"),
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": n, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        self.batches[b["id"]] = b
        return json_response(200, b)

    def _advance_batch(self, b: JSON) -> JSON:
        if b["status"] in ("completed", "cancelled", "failed"):
            return b
        elapsed = self.config.clock() - b["created_at"]
        if elapsed >= self.config.job_seconds:
            self._run_batch(b)
        elif elapsed >= self.config.job_seconds / 10 and b["status"] == "validating":
            b["status"], b["in_progress_at"] = "in_progress", self._now()
        return b

    def _run_batch(self, b: JSON) -> None:
        lines = (
            self.files[b["input_file_id"]].data.decode("utf-8").splitlines() if b["input_file_id"] in self.files else []
        )
        out: list[str] = []
        errs: list[str] = []
        for line in filter(str.strip, lines):
            item = json.loads(line)
            status, body = self.run_line(str(item.get("url", b["endpoint"])), dict(item.get("body") or {}))
            rec = {
                "id": self._id("batch_req_"),
                "custom_id": item.get("custom_id"),
                "response": {"status_code": status, "request_id": self._id(""), "body": body},
                "error": None,
            }
            (out if status == 200 else errs).append(json.dumps(rec))
        now = self._now()
        b["in_progress_at"] = b["in_progress_at"] or now
        b.update(
            status="completed",
            finalizing_at=now,
            completed_at=now,
            request_counts={"total": len(out) + len(errs), "completed": len(out), "failed": len(errs)},
        )
        for key, rows in (("output_file_id", out), ("error_file_id", errs)):
            if rows or key == "output_file_id":
                fid = self._id("file-")
                data = ("\n".join(rows) + ("\n" if rows else "")).encode()
                self.files[fid] = StoredFile(
                    self._file_meta(fid, "batch_output", f"{b['id']}_{key[:-8]}.jsonl", data), data
                )
                b[key] = fid

    # --- fine-tuning ---------------------------------------------------------------------

    def fine_tuning_route(self, req: Request, rest: list[str], base_models: set[str]) -> Response:
        if not rest:
            if req.method == "POST":
                return self._create_ft(req.json(), base_models)
            data = [self._advance_ft(j) for j in self.ft_jobs.values()]
            return json_response(200, {"object": "list", "data": data, "has_more": False})
        jid = rest[0]
        if jid not in self.ft_jobs:
            raise azure.not_found("Fine-tuning job", jid)
        job = self._advance_ft(self.ft_jobs[jid])
        sub = rest[1:]
        if not sub and req.method == "GET":
            return json_response(200, job)
        if not sub and req.method == "DELETE":
            del self.ft_jobs[jid]
            return Response(204, b"", content_type="")
        if sub == ["cancel"] and req.method == "POST":
            if job["status"] in ("pending", "running"):
                job["status"] = "cancelled"
            return json_response(200, job)
        if sub == ["events"] and req.method == "GET":
            return json_response(200, {"object": "list", "data": self._ft_events(job), "has_more": False})
        if sub == ["checkpoints"] and req.method == "GET":
            cps = []
            if job["status"] == "succeeded":
                cps.append(
                    {
                        "id": f"ftckpt-{jid[8:]}",
                        "object": "fine_tuning.job.checkpoint",
                        "created_at": job["finished_at"],
                        "fine_tuned_model_checkpoint": job["fine_tuned_model"],
                        "fine_tuning_job_id": jid,
                        "step_number": 10,
                        "metrics": {"step": 10, "train_loss": 0.25, "train_mean_token_accuracy": 0.9},
                    }
                )
            return json_response(200, {"object": "list", "data": cps, "has_more": False})
        raise azure.resource_not_found()

    def _create_ft(self, body: JSON, base_models: set[str]) -> Response:
        for key in ("model", "training_file"):
            if not body.get(key):
                raise azure.missing_parameter(key)
        for key in ("training_file", "validation_file"):
            fid = body.get(key)
            if fid is None:
                continue
            f = self.files.get(fid)
            if f is None:
                raise azure.not_found("File", fid)
            if f.meta["purpose"] != "fine-tune":
                raise azure.invalid_value(
                    key,
                    f"File {fid} has purpose '{f.meta['purpose']}'; fine-tuning files must be "
                    "uploaded with purpose 'fine-tune'.",
                )
        if body["model"] not in base_models:
            raise azure.invalid_value(
                "model",
                f"The specified base model '{body['model']}' does not support fine-tuning "
                f"here. Available: {', '.join(sorted(base_models))}.",
            )
        jid = self._id("ftjob-")
        job: JSON = {
            "id": jid,
            "object": "fine_tuning.job",
            "model": body["model"],
            "created_at": self._now(),
            "finished_at": None,
            "fine_tuned_model": None,
            "organization_id": None,
            "result_files": [],
            "status": "pending",
            "validation_file": body.get("validation_file"),
            "training_file": body["training_file"],
            "hyperparameters": {
                "n_epochs": "auto",
                "batch_size": "auto",
                "learning_rate_multiplier": "auto",
                **(body.get("hyperparameters") or {}),
            },
            "trained_tokens": None,
            "error": {},
            "seed": body.get("seed", self.config.seed),
            "suffix": body.get("suffix"),
            "estimated_finish": None,
            "integrations": None,
        }
        self.ft_jobs[jid] = job
        return json_response(201, job)

    def _advance_ft(self, job: JSON) -> JSON:
        if job["status"] not in ("pending", "running"):
            return job
        elapsed = self.config.clock() - job["created_at"]
        if elapsed >= self.config.job_seconds:
            tf = self.files.get(job["training_file"])
            suffix = f"-{job['suffix']}" if job.get("suffix") else ""
            job.update(
                status="succeeded",
                finished_at=self._now(),
                fine_tuned_model=f"{job['model']}.ft-{job['id'][6:18].lower()}{suffix}",
                trained_tokens=(len(tf.data) // 4) if tf else 0,
            )
        elif elapsed >= self.config.job_seconds / 10:
            job["status"] = "running"
        return job

    def _ft_events(self, job: JSON) -> list[JSON]:
        steps = [("Job enqueued", job["created_at"])]
        if job["status"] in ("running", "succeeded"):
            steps.append(("Job started", job["created_at"]))
        if job["status"] == "succeeded":
            steps.append(("Job succeeded", job["finished_at"]))
        if job["status"] == "cancelled":
            steps.append(("Job cancelled", self._now()))
        return [
            {
                "id": f"ftevent-{job['id'][6:]}-{i}",
                "object": "fine_tuning.job.event",
                "created_at": t,
                "level": "info",
                "message": m,
                "type": "message",
            }
            for i, (m, t) in reversed(list(enumerate(steps)))
        ]

    def fine_tuned_models(self) -> list[JSON]:
        return [self.ft_jobs[j] for j in self.ft_jobs if self._advance_ft(self.ft_jobs[j])["status"] == "succeeded"]
