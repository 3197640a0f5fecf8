"""Batches over Blob storage: ``POST batches`` with ``input_blob`` and ``output_folder``, and the
operations the batch runner hands to its drivers when a job's files live in Blob storage.

Azure's rules (Learn how-to ``batch-blob-storage``): the request names ``input_blob`` (the JSONL
blob's URL) and ``output_folder: {"url": ...}`` instead of an uploaded file (``input_file_id``
null); ``metadata`` "is currently not supported with this capability"; the batch answers with
``output_blob`` and ``error_blob`` (always present, even when no such file was written); the
deployment must be Global-Batch or DataZoneBatch; Azure reads and writes the blobs with the
resource's system-assigned managed identity (role Storage Blob Data Contributor). A blob must not
change while its batch runs ("If a file changes while the batch job is running the job will fail").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared_core.client import CoreClient
from shared_core.errors import ConfigurationError
from shared_core.services.batch_manifest import encode_body
from shared_core.services.batch_plan import _line
from shared_core.services.blob_storage import BlobStorage, split_url
from shared_core.services.job_objects import Batch, _batch, _one, _request, check_batch_create
from shared_core.services.media_client import MediaRequest


def plan_create_blob_batch(
    input_blob: str,
    output_folder: str,
    *,
    endpoint: str = "/chat/completions",
    completion_window: str = "24h",
    metadata: Mapping[str, str] | None = None,
) -> MediaRequest[Batch]:
    """The ``POST batches`` request :func:`create_blob_batch` sends; refuses what Azure would."""
    if metadata:
        raise ConfigurationError(
            "metadata is not supported on batches that read from Blob storage (Learn batch-blob-storage): "
            "drop metadata, or upload the input as a file instead",
            setting="metadata",
        )
    if not output_folder:
        raise ConfigurationError(
            "a batch with input_blob needs output_folder: the https URL of the container (or folder) Azure "
            "writes results.jsonl and errors.jsonl into",
            setting="output_folder",
        )
    blob, blob_sas = split_url(input_blob, "input_blob")
    folder, folder_sas = split_url(output_folder, "output_folder")
    if blob_sas is not None or folder_sas is not None:
        raise ConfigurationError(
            "input_blob and output_folder go to Azure without a SAS: Azure reads and writes them with the "
            "resource's system-assigned managed identity (role Storage Blob Data Contributor); drop the query",
            setting="input_blob" if blob_sas is not None else "output_folder",
        )
    check_batch_create(endpoint, completion_window)
    body: dict[str, Any] = {
        "input_file_id": None,
        "endpoint": endpoint,
        "completion_window": completion_window,
        "input_blob": blob,
        "output_folder": {"url": folder},
    }
    return _request("batches", _one(_batch), method="POST", body=body)


def create_blob_batch(
    client: CoreClient, input_blob: str, output_folder: str, *, endpoint: str = "/chat/completions"
) -> Batch:
    """Start a batch over the JSONL blob ``input_blob``, its results written under ``output_folder``."""
    return plan_create_blob_batch(input_blob, output_folder, endpoint=endpoint).send(client)


async def acreate_blob_batch(
    client: CoreClient, input_blob: str, output_folder: str, *, endpoint: str = "/chat/completions"
) -> Batch:
    """Async :func:`create_blob_batch`."""
    return await plan_create_blob_batch(input_blob, output_folder, endpoint=endpoint).asend(client)


def blob_key(key: str, storage: BlobStorage) -> str:
    """The manifest key of a job run through ``storage``: the input's key and the two folders."""
    raw = f"{key}\x1fblob\x1f{storage.input_folder}\x1f{storage.output_folder}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def part_lines(
    bodies: Sequence[Mapping[str, Any]], endpoint: str, deployment: str, indexes: Iterable[int]
) -> Iterator[bytes]:
    """The JSONL lines of one input file, built as they are written (the file is never held whole)."""
    url = encode_body(endpoint)
    for i in indexes:
        yield _line(url, deployment, i, bodies[i]).encode()


def result_blobs(batch: Batch) -> tuple[str | None, str | None]:
    """The batch's ``output_blob`` and ``error_blob`` URLs (``None`` while Azure reports ``""``)."""
    raw = batch.raw or {}
    return (raw.get("output_blob") or None, raw.get("error_blob") or None)


# ------------------------------------------------------------------------- the runner's operations


@dataclass(frozen=True, slots=True)
class PutBlob:
    """Write one input file; answers the blob's URL."""

    storage: BlobStorage
    name: str
    data: bytes | Iterable[bytes]

    def send(self, client: CoreClient) -> str:
        return self.storage.put(self.name, self.data)

    async def asend(self, client: CoreClient) -> str:
        return await self.storage.aput(self.name, self.data)


@dataclass(frozen=True, slots=True)
class ReadBlob:
    """Hand each line of a result blob to ``sink`` as it arrives."""

    storage: BlobStorage
    url: str
    sink: Callable[[bytes], None]

    def send(self, client: CoreClient) -> None:
        for line in self.storage.iter_lines(self.url):
            self.sink(line)

    async def asend(self, client: CoreClient) -> None:
        async for line in self.storage.aiter_lines(self.url):
            self.sink(line)


@dataclass(frozen=True, slots=True)
class CreateBlobBatch:
    """Create a batch over an input blob; answers the :class:`Batch`."""

    storage: BlobStorage
    input_blob: str
    endpoint: str

    def send(self, client: CoreClient) -> Batch:
        return create_blob_batch(client, self.input_blob, self.storage.output_folder, endpoint=self.endpoint)

    async def asend(self, client: CoreClient) -> Batch:
        return await acreate_blob_batch(client, self.input_blob, self.storage.output_folder, endpoint=self.endpoint)


BlobOp = PutBlob | ReadBlob | CreateBlobBatch
BLOB_OPS = (PutBlob, ReadBlob, CreateBlobBatch)
