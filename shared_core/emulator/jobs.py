"""Files, batches, fine-tuning jobs and models, in memory.

Jobs advance with the injected clock. Batches live in ``batches.py`` (their schedule, failures,
expiry, cancellation and quota); fine-tuning jobs go ``pending`` -> ``running`` -> ``succeeded``
after a tenth of ``job_seconds`` and after ``job_seconds``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import azure, rules
from .batches import NO_DEPLOYMENT, BatchEngine
from .behaviour import stable_id
from .blob_store import BlobStore
from .config import EmulatorConfig
from .wire import Request, Response, json_response

JSON = dict[str, Any]
#: Runs one batch line: (url, body) -> (status, response body).
LineRunner = Callable[[str, JSON], tuple[int, JSON]]


@dataclass(slots=True)
class StoredFile:
    meta: JSON
    data: bytes


class JobStore:
    def __init__(self, config: EmulatorConfig, run_line: LineRunner) -> None:
        self.config = config
        self.run_line = run_line
        self.storage = BlobStore()
        self.reset()

    def reset(self) -> None:
        self.storage.reset()
        self.files: dict[str, StoredFile] = {}
        self.engine = BatchEngine(self, self.run_line)
        self.batches: dict[str, JSON] = self.engine.batches
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

    # --- batches (batches.py) ------------------------------------------------------------

    def batches_route(self, req: Request, rest: list[str]) -> Response:
        return self.engine.route(req, rest)

    def new_id(self, prefix: str) -> str:
        return self._id(prefix)

    def now(self) -> int:
        return self._now()

    def add_output(self, filename: str, rows: list[str]) -> str:
        """Store a batch's output or error file (JSONL; empty when no rows) and return its id."""
        fid = self._id("file-")
        data = "".join(r + "\n" for r in rows).encode()
        self.files[fid] = StoredFile(self._file_meta(fid, "batch_output", filename, data), data)
        return fid

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
