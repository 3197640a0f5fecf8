"""``POST batches`` over Blob storage (``input_blob`` and ``output_folder``): what Azure refuses.

Learn how-to ``batch-blob-storage`` documents the constraints but not the error bodies Azure sends
for them, so every message here is our wording in Azure's error shape (each row says so).
"""

from __future__ import annotations

from typing import Any

from . import azure
from .blob_store import blob_key
from .rules import Ctx, rule

JSON = dict[str, Any]
LEARN = "Learn how-to batch-blob-storage"
GUESS = " (error body not documented: shape and wording are a guess)"


def _blob(ctx: Ctx) -> Any:
    return ctx.body.get("input_blob")


@rule(
    "batches.blob_metadata",
    "batches",
    stage=21,
    what="no `metadata` on a batch with `input_blob`",
    code="invalid_value",
    param="metadata",
    message="'metadata' is not supported when the batch input is a blob ('input_blob').",
    source=LEARN + " ('metadata is currently not supported with this capability')" + GUESS,
)
def _metadata(ctx: Ctx) -> None:
    if _blob(ctx) and ctx.body.get("metadata"):
        raise azure.invalid_value(
            "metadata", "'metadata' is not supported when the batch input is a blob ('input_blob')."
        )


@rule(
    "batches.blob_output_folder",
    "batches",
    stage=22,
    what="a batch with `input_blob` names `output_folder.url`",
    code="missing_required_parameter",
    param="output_folder",
    message="Missing required parameter: 'output_folder'.",
    source=LEARN + " (the request pairs input_blob with output_folder.url)" + GUESS,
)
def _output_folder(ctx: Ctx) -> None:
    folder = ctx.body.get("output_folder")
    if _blob(ctx) and not (isinstance(folder, dict) and isinstance(folder.get("url"), str) and folder["url"]):
        raise azure.missing_parameter("output_folder")


@rule(
    "batches.blob_readable",
    "batches",
    stage=23,
    what="`input_blob` is a blob of the emulator's Blob store that exists, and `output_folder.url` a folder "
    "of that store (the emulator reaches no other storage)",
    code="invalid_value",
    param="input_blob",
    message="The blob '{url}' could not be read with the resource's managed identity.",
    source=LEARN + " (Azure reads the blob with the resource's system-assigned managed identity)" + GUESS,
)
def _readable(ctx: Ctx) -> None:
    url = _blob(ctx)
    if not url:
        return
    storage = ctx.scratch.get("storage")
    if not isinstance(url, str) or storage is None or storage.read(url) is None:
        raise azure.invalid_value(
            "input_blob", f"The blob '{url}' could not be read with the resource's managed identity."
        )
    folder = str(ctx.body["output_folder"]["url"]).rstrip("/")
    if blob_key(folder + "/x") is None:
        raise azure.invalid_value(
            "output_folder", f"The folder '{folder}' could not be written with the resource's managed identity."
        )
