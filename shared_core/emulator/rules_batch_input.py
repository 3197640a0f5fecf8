"""Batch input validation: what Azure checks while a batch is ``validating``.

These rules do not answer the ``POST batches`` request (that succeeds with status ``validating``);
a broken rule turns the batch ``failed`` a moment later with ``errors.data[0]`` carrying the rule's
``code`` and message, as Learn's troubleshooting table documents. ``ctx.body`` holds the parsed
input: ``lines`` (dicts), ``endpoint``, ``enqueued`` (tokens other batches of the deployment hold)
and ``tokens`` (this file's). ``ctx.scratch["line"]`` names the offending line (1-based) when one does.
"""

from __future__ import annotations

from typing import Any

from . import azure
from .rules import RULES, Ctx, rule

JSON = dict[str, Any]
TROUBLESHOOT = (
    "Learn how-to/batch, Troubleshooting error codes (code as documented; message paraphrases its definition)"
)
QA_TOKENS = (
    "Learn Q&A 2285577 (errors.data of a real failed batch: token_limit_exceeded); "
    "Learn includes/global-batch-limits (enqueued tokens count until the batch is terminal)"
)
BATCH_SKUS = ("globalbatch", "datazonebatch")


def _fail(ctx: Ctx, rule_id: str, line: int | None = None, **values: Any) -> azure.AzureError:
    """The failure of rule ``rule_id``: its row's code, and its row's message with ``values`` filled in
    (each message is written once, in its row)."""
    row = next(r for r in RULES if r.id == rule_id)
    ctx.scratch["line"] = line
    return azure.bad_request(row.message.format(**values), code=row.code)


def _path(url: str) -> str:
    return url[3:] if url.startswith("/v1/") else url


@rule(
    "batch_input.empty_file",
    "batch_input",
    stage=10,
    what="the input file holds at least one request",
    code="empty_file",
    param=None,
    message="The input file is empty. Please ensure that the batch contains at least one request.",
    source="Learn how-to/batch, Troubleshooting (failed batch example)",
)
def _empty(ctx: Ctx) -> None:
    if not ctx.body["lines"]:
        raise _fail(ctx, "batch_input.empty_file")


@rule(
    "batch_input.too_many_tasks",
    "batch_input",
    stage=20,
    what="at most 100,000 requests per file (`batch_max_requests` lowers it in tests)",
    code="too_many_tasks",
    param=None,
    message="The number of requests in the input file exceeds the maximum allowed value of {limit}.",
    source=TROUBLESHOOT + "; Learn includes/global-batch-limits (maximum requests per file 100,000)",
)
def _too_many(ctx: Ctx) -> None:
    limit = ctx.config.batch_max_requests
    if len(ctx.body["lines"]) > limit:
        raise _fail(ctx, "batch_input.too_many_tasks", limit=f"{limit:,}")


@rule(
    "batch_input.url_mismatch",
    "batch_input",
    stage=30,
    what="every line's `url` is the batch's `endpoint` (with or without `/v1`)",
    code="url_mismatch",
    param=None,
    message="The URL provided for this request does not match the rest of the file or the batch endpoint.",
    source=TROUBLESHOOT,
)
def _url(ctx: Ctx) -> None:
    want = _path(ctx.body["endpoint"])
    for i, line in enumerate(ctx.body["lines"], 1):
        if _path(str(line.get("url"))) != want:
            raise _fail(ctx, "batch_input.url_mismatch", i)


@rule(
    "batch_input.duplicate_custom_id",
    "batch_input",
    stage=40,
    what="`custom_id` unique within the file",
    code="duplicate_custom_id",
    param=None,
    message="The custom ID for this request is a duplicate of the custom ID in another request.",
    source=TROUBLESHOOT,
)
def _duplicate(ctx: Ctx) -> None:
    seen: set[Any] = set()
    for i, line in enumerate(ctx.body["lines"], 1):
        cid = line.get("custom_id")
        if cid in seen:
            raise _fail(ctx, "batch_input.duplicate_custom_id", i)
        seen.add(cid)


@rule(
    "batch_input.model_not_found",
    "batch_input",
    stage=50,
    what="each line's `body.model` names a deployment of the resource",
    code="model_not_found",
    param=None,
    message="The provided model deployment '{model}' was not found.",
    source=TROUBLESHOOT,
)
def _model_found(ctx: Ctx) -> None:
    for i, line in enumerate(ctx.body["lines"], 1):
        model = (line.get("body") or {}).get("model")
        if model not in ctx.config.deployments:
            raise _fail(ctx, "batch_input.model_not_found", i, model=model)


@rule(
    "batch_input.model_mismatch",
    "batch_input",
    stage=60,
    what="every line names the same deployment in `body.model`",
    code="model_mismatch",
    param=None,
    message="The model deployment name in this request does not match the rest of the file.",
    source=TROUBLESHOOT,
)
def _model_same(ctx: Ctx) -> None:
    first = (ctx.body["lines"][0].get("body") or {}).get("model")
    for i, line in enumerate(ctx.body["lines"], 1):
        if (line.get("body") or {}).get("model") != first:
            raise _fail(ctx, "batch_input.model_mismatch", i)


@rule(
    "batch_input.sku",
    "batch_input",
    stage=70,
    what="the deployment's SKU is a batch one (`globalbatch`, `datazonebatch`) when the deployment names one",
    code="invalid_request",
    param=None,
    message="The deployment SKU is invalid for batch requests: deploy the model as Global-Batch or Data Zone Batch.",
    source=TROUBLESHOOT + " (invalid_request: the deployment SKU must be globalbatch)",
)
def _sku(ctx: Ctx) -> None:
    if ctx.dep.sku and ctx.dep.sku not in BATCH_SKUS:
        raise _fail(ctx, "batch_input.sku")


def _short(n: int) -> str:
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


@rule(
    "batch_input.enqueued_tokens",
    "batch_input",
    stage=80,
    what="the file's input tokens plus those of the deployment's unfinished batches stay within its enqueued-token "
    "quota (deployment option `enqueued_tokens`)",
    code="token_limit_exceeded",
    param=None,
    message="The number of enqueued tokens has surpassed the configured limit of {limit} for the deployment "
    "'{deployment}'. Please either increase the limit or try again once the current jobs have finished.",
    source=QA_TOKENS,
)
def _enqueued(ctx: Ctx) -> None:
    limit = ctx.dep.enqueued_tokens
    if limit and ctx.body["enqueued"] + ctx.body["tokens"] > limit:
        raise _fail(ctx, "batch_input.enqueued_tokens", limit=_short(limit), deployment=ctx.dep.name)
