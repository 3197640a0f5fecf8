"""The objects the files, batches and fine-tuning APIs answer with, and how each answer is parsed.

``shared_core.services.jobs`` plans and sends the calls; this module holds what they return
(``FileObject``, ``Batch``, ``FineTuningJob``), the states that end a job, and the small
builders every call shares (an id as a path segment, a ``MediaRequest`` with its parser).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from shared_core.errors import ConfigurationError
from shared_core.services.media_client import MediaRequest, unexpected_body
from shared_core.types import ResponseMeta

T = TypeVar("T")
FILE_PURPOSES = ("batch", "fine-tune", "assistants", "evals", "vision", "user_data")
BATCH_ENDPOINTS = ("/chat/completions", "/embeddings", "/v1/chat/completions", "/v1/embeddings")
BATCH_DONE = frozenset({"completed", "failed", "expired", "cancelled"})
FINE_TUNING_DONE = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class FileObject:
    """An uploaded file (``raw``: Azure's whole answer)."""

    id: str
    filename: str
    purpose: str
    bytes: int
    status: str | None
    created_at: int
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch job's state; ``output_file_id`` holds the results once ``completed``."""

    id: str
    status: str
    endpoint: str
    input_file_id: str
    output_file_id: str | None
    error_file_id: str | None
    request_counts: Mapping[str, int]
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def done(self) -> bool:
        """True once the batch can no longer change (completed, failed, expired, cancelled)."""
        return self.status in BATCH_DONE


@dataclass(frozen=True, slots=True)
class FineTuningJob:
    """A fine-tuning job's state; ``fine_tuned_model`` names the model to deploy once ``succeeded``."""

    id: str
    status: str
    model: str
    training_file: str
    fine_tuned_model: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def done(self) -> bool:
        """True once the job can no longer change (succeeded, failed, cancelled)."""
        return self.status in FINE_TUNING_DONE


# ------------------------------------------------------------------------------------ parsing


def _object(data: Any, meta: ResponseMeta) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise unexpected_body("a JSON object", data, meta)
    return data


def _file_object(d: Mapping[str, Any]) -> FileObject:
    return FileObject(
        id=str(d.get("id")),
        filename=str(d.get("filename") or ""),
        purpose=str(d.get("purpose") or ""),
        bytes=int(d.get("bytes") or 0),
        status=d.get("status"),
        created_at=int(d.get("created_at") or 0),
        raw=d,
    )


def _batch(d: Mapping[str, Any]) -> Batch:
    return Batch(
        id=str(d.get("id")),
        status=str(d.get("status")),
        endpoint=str(d.get("endpoint") or ""),
        input_file_id=str(d.get("input_file_id") or ""),
        output_file_id=d.get("output_file_id"),
        error_file_id=d.get("error_file_id"),
        request_counts=dict(d.get("request_counts") or {}),
        raw=d,
    )


def _job(d: Mapping[str, Any]) -> FineTuningJob:
    return FineTuningJob(
        id=str(d.get("id")),
        status=str(d.get("status")),
        model=str(d.get("model") or ""),
        training_file=str(d.get("training_file") or ""),
        fine_tuned_model=d.get("fine_tuned_model"),
        raw=d,
    )


def _one(parse: Callable[[Mapping[str, Any]], T]) -> Callable[[Any, ResponseMeta], T]:
    return lambda data, meta: parse(_object(data, meta))


def _many(parse: Callable[[Mapping[str, Any]], T]) -> Callable[[Any, ResponseMeta], list[T]]:
    return lambda data, meta: [parse(d) for d in _object(data, meta).get("data") or ()]


def _deleted(data: Any, meta: ResponseMeta) -> bool:
    return bool(_object(data, meta).get("deleted"))


def _content(data: Any, meta: ResponseMeta) -> bytes:
    if isinstance(data, bytes):
        return data
    # a JSONL file of one line served as application/json arrives parsed: give the bytes back
    return (json.dumps(data) + "\n").encode()


def check_batch_create(endpoint: str, completion_window: str = "24h") -> str:
    """``endpoint`` if Azure batches it and ``completion_window`` is the one Azure takes."""
    if endpoint not in BATCH_ENDPOINTS:
        raise ConfigurationError(
            f"endpoint={endpoint!r} cannot be batched: use one of {', '.join(BATCH_ENDPOINTS)}", setting="endpoint"
        )
    if completion_window != "24h":
        raise ConfigurationError(
            f"completion_window={completion_window!r}: Azure batches take '24h' only", setting="completion_window"
        )
    return endpoint


def _id(kind: str, value: str) -> str:
    if not value or not isinstance(value, str):
        raise ConfigurationError(
            f"{kind} id is empty: pass the id Azure returned (e.g. "
            f"{'file-abc123' if kind == 'file' else 'batch_abc123'})",
            setting=f"{kind}_id",
        )
    return "/" + quote(value, safe="")


def _request(
    operation: str,
    finish: Callable[[Any, ResponseMeta], T],
    *,
    method: str = "GET",
    suffix: str = "",
    body: Mapping[str, Any] | None = None,
    files: list[Any] | None = None,
    params: Mapping[str, str] | None = None,
) -> MediaRequest[T]:
    return MediaRequest(operation, body, files, None, None, None, finish, method=method, suffix=suffix, params=params)
