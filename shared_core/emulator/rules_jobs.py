"""File-upload and batch-creation rules (unscoped routes: no deployment behind them).

Checks that depend on stored state (the input file exists, has purpose ``batch``) stay in ``jobs.py``.
"""

from __future__ import annotations

import json
from typing import Any

from . import azure
from .rules import Ctx, rule

JSON = dict[str, Any]
FILE_PURPOSES = ("fine-tune", "batch", "assistants", "evals", "vision", "user_data")
BATCH_ENDPOINTS = ("/chat/completions", "/embeddings", "/v1/chat/completions", "/v1/embeddings")
AUTHORING = "Azure authoring spec 2024-10-21 (files: purpose enum; batches: endpoint, completion_window '24h')"
BATCH_DOC = "Learn how-to/batch (input: .jsonl, one request per line with custom_id, method, url, body)"


@rule(
    "files.purpose",
    "files",
    stage=20,
    what="`purpose` present and one of fine-tune, batch, assistants, evals, vision, user_data; a `file` part present",
    code="invalid_value",
    param="purpose",
    message="Invalid value for 'purpose': "
    "'{value}'. Supported values are: fine-tune, batch, assistants, evals, vision, user_data.",
    source=AUTHORING,
)
def _purpose(ctx: Ctx) -> None:
    purpose = ctx.body.get("purpose")
    if not purpose:
        raise azure.missing_parameter("purpose")
    if purpose not in FILE_PURPOSES:
        raise azure.invalid_value(
            "purpose", f"Invalid value for 'purpose': '{purpose}'. Supported values are: {', '.join(FILE_PURPOSES)}."
        )
    if ctx.scratch["files"].get("file") is None:
        raise azure.missing_parameter("file")


@rule(
    "files.jsonl",
    "files",
    stage=30,
    what="batch and fine-tune files are `.jsonl`, every line valid JSON; batch lines "
    "carry custom_id, method, url and body",
    code="invalid_value",
    param="file",
    message="Invalid file format for {purpose}. Only .jsonl files are supported.",
    source=BATCH_DOC,
)
def _jsonl(ctx: Ctx) -> None:
    purpose = ctx.body["purpose"]
    if purpose not in ("batch", "fine-tune"):
        return
    up = ctx.scratch["files"]["file"]
    if not up.filename.endswith(".jsonl"):
        raise azure.invalid_value("file", f"Invalid file format for {purpose}. Only .jsonl files are supported.")
    for i, line in enumerate(up.data.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise azure.invalid_value("file", f"Invalid file format: line {i} is not valid JSON.") from None
        if purpose == "batch" and not (isinstance(obj, dict) and {"custom_id", "method", "url", "body"} <= set(obj)):
            raise azure.invalid_value("file", f"Invalid batch input: line {i} needs custom_id, method, url and body.")


@rule(
    "batches.fields",
    "batches",
    stage=20,
    what="`input_file_id` (or `input_blob`), `endpoint` (/chat/completions or /embeddings) and "
    "`completion_window` ('24h') present and valid",
    code="invalid_value",
    param="endpoint",
    message="Invalid value for 'endpoint': '{value}'. Supported values are: '/chat/completions' and '/embeddings'.",
    source=AUTHORING,
)
def _batch_fields(ctx: Ctx) -> None:
    body = ctx.body
    if not body.get("input_file_id") and not body.get("input_blob"):  # Learn batch-blob-storage
        raise azure.missing_parameter("input_file_id")
    for key in ("endpoint", "completion_window"):
        if not body.get(key):
            raise azure.missing_parameter(key)
    if body["endpoint"] not in BATCH_ENDPOINTS:
        raise azure.invalid_value(
            "endpoint",
            f"Invalid value for 'endpoint': '{body['endpoint']}'. Supported values "
            "are: '/chat/completions' and '/embeddings'.",
        )
    if body["completion_window"] != "24h":
        raise azure.invalid_value(
            "completion_window", "Invalid value for 'completion_window': only '24h' is supported."
        )


@rule(
    "files.batch_size",
    "files",
    stage=40,
    what="a batch input file is at most 200 MB (`batch_max_file_bytes` lowers it in tests)",
    code="invalid_value",
    param="file",
    message="The file is {size} bytes; batch input files are limited to {limit} bytes.",
    source="Learn includes/global-batch-limits (maximum input file size 200 MB; Azure's wording not on record)",
)
def _batch_size(ctx: Ctx) -> None:
    size, limit = len(ctx.scratch["files"]["file"].data), ctx.config.batch_max_file_bytes
    if ctx.body["purpose"] == "batch" and size > limit:
        raise azure.invalid_value("file", f"The file is {size} bytes; batch input files are limited to {limit} bytes.")
