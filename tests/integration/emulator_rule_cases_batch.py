"""Cases for the batch-input rules (``batch_input.*``: a batch that breaks one goes ``failed``) and the
batch file-size rule. Each case: emulator config overrides, the input lines, the batch endpoint, and the
``errors.data[0]`` Azure reports (code, message, line)."""

from __future__ import annotations

from typing import Any

Case = tuple[dict[str, Any], list[dict[str, Any]], str, dict[str, Any]]


def chat(
    cid: str, model: str = "gpt-5.2", text: str = "What is 1 + 1?", url: str = "/chat/completions"
) -> dict[str, Any]:
    return {
        "custom_id": cid,
        "method": "POST",
        "url": url,
        "body": {"model": model, "messages": [{"role": "user", "content": text}]},
    }


def failure(code: str, message: str, line: int | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": None, "line": line}


BATCH_RULE_CASES: dict[str, Case] = {
    "batch_input.empty_file": (
        {},
        [],
        "/chat/completions",
        failure("empty_file", "The input file is empty. Please ensure that the batch contains at least one request."),
    ),
    "batch_input.too_many_tasks": (
        {"batch_max_requests": 2},
        [chat("a"), chat("b"), chat("c")],
        "/chat/completions",
        failure("too_many_tasks", "The number of requests in the input file exceeds the maximum allowed value of 2."),
    ),
    "batch_input.url_mismatch": (
        {},
        [chat("a"), chat("b", url="/embeddings")],
        "/chat/completions",
        failure(
            "url_mismatch",
            "The URL provided for this request does not match the rest of the file or the batch endpoint.",
            2,
        ),
    ),
    "batch_input.duplicate_custom_id": (
        {},
        [chat("a"), chat("b"), chat("a")],
        "/chat/completions",
        failure(
            "duplicate_custom_id",
            "The custom ID for this request is a duplicate of the custom ID in another request.",
            3,
        ),
    ),
    "batch_input.model_not_found": (
        {},
        [chat("a", model="gpt-5.2-batch")],
        "/chat/completions",
        failure("model_not_found", "The provided model deployment 'gpt-5.2-batch' was not found.", 1),
    ),
    "batch_input.model_mismatch": (
        {},
        [chat("a"), chat("b", model="gpt-5-mini")],
        "/chat/completions",
        failure("model_mismatch", "The model deployment name in this request does not match the rest of the file.", 2),
    ),
    "batch_input.sku": (
        {"deployments": {"gpt-5.2": {"model": "gpt-5.2", "sku": "globalstandard"}}},
        [chat("a")],
        "/chat/completions",
        failure(
            "invalid_request",
            "The deployment SKU is invalid for batch requests: deploy the model as Global-Batch or Data Zone Batch.",
        ),
    ),
    "batch_input.enqueued_tokens": (
        {"deployments": {"gpt-5.2": {"model": "gpt-5.2", "sku": "globalbatch", "enqueued_tokens": 30_000}}},
        [chat("a", text="word " * 20_000), chat("b", text="word " * 10_001)],
        "/chat/completions",
        failure(
            "token_limit_exceeded",
            "The number of enqueued tokens has surpassed the configured limit of 30K for the deployment 'gpt-5.2'. "
            "Please either increase the limit or try again once the current jobs have finished.",
        ),
    ),
    # not a batch_input rule: refused at upload (400), case checked in test_emulator_batches.py
    "files.batch_size": (
        {"batch_max_file_bytes": 100},
        [chat("a"), chat("b")],
        "/chat/completions",
        {"code": "invalid_value", "param": "file"},
    ),
}
