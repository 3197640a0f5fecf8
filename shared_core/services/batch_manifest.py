"""What a batch job has already done on Azure, kept so a restarted process never pays twice.

A :class:`Manifest` is keyed by a hash of the job's input (endpoint, deployment, every request
body in order): the same input finds the same manifest. It records, per part of the input, the
uploaded file id and the batch id, and is saved *before* the next step that costs money can be
repeated: after an upload (a lost upload costs nothing), right after a batch is created. A
process that dies between creating a batch and saving its id is covered on restart by looking
the batch up by its input file (``input_file_id``) before creating another.

Stores implement :class:`ManifestStore` (``load`` / ``save`` / ``delete`` of a JSON-able dict);
:class:`FileManifestStore` writes one small JSON file per job, atomically (write, fsync, rename).
A Redis store needs only those three methods.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared_core.errors import ConfigurationError

VERSION = 1


class ManifestStore(Protocol):
    """Where manifests live. ``load`` answers ``None`` for an unknown key."""

    def load(self, key: str) -> dict[str, Any] | None: ...

    def save(self, key: str, data: Mapping[str, Any]) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryManifestStore:
    """A store in a dict (tests; or a process that only needs resuming across calls)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def load(self, key: str) -> dict[str, Any] | None:
        raw = self.data.get(key)
        return None if raw is None else dict(json.loads(raw))

    def save(self, key: str, data: Mapping[str, Any]) -> None:
        self.data[key] = json.dumps(data)

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class FileManifestStore:
    """One ``<key>.json`` per job in ``directory`` (created when missing)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        if not key.isalnum():
            raise ConfigurationError(f"manifest key {key!r} must be alphanumeric (a hash)", setting="key")
        return self.directory / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            text = self.path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return dict(json.loads(text))
        except ValueError:
            raise ConfigurationError(
                f"batch manifest {self.path(key)} is not valid JSON: delete it only if no batch of this job "
                "is still running on Azure (it records their ids)",
                setting="manifest",
            ) from None

    def save(self, key: str, data: Mapping[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def manifest_store(manifest_dir: str | os.PathLike[str] | None, memory: ManifestStore | None = None) -> ManifestStore:
    """Where an adapter keeps its jobs' manifests: files in ``manifest_dir`` (resumable after a
    crash), else ``memory`` (resumable across the calls of one object), else a new store in memory."""
    if manifest_dir:
        return FileManifestStore(manifest_dir)
    return memory if memory is not None else MemoryManifestStore()


#: The one serialisation of a body (the key hashes exactly what the input file holds).
encode_body = json.JSONEncoder(separators=(",", ":")).encode


def key_hasher(endpoint: str, deployment: str) -> Any:
    """A sha256 primed with the job's endpoint and deployment; feed it ``b"\x1e" + body`` per request."""
    return hashlib.sha256(f"azoai-batch/{VERSION}\x1f{endpoint}\x1f{deployment}".encode())


def input_key(endpoint: str, deployment: str, bodies: Iterable[Mapping[str, Any]]) -> str:
    """The job's identity: a hash of the endpoint, the deployment and every body in order."""
    h = key_hasher(endpoint, deployment)
    for body in bodies:
        h.update(b"\x1e" + encode_body(body).encode())
    return str(h.hexdigest()[:40])


@dataclass(slots=True)
class Submission:
    """One batch on Azure: the lines it holds (``indexes`` of the input, ``None`` = the whole part),
    its input file and batch ids, and its last known state."""

    indexes: list[int] | None = None
    file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    error: str | None = None  # why the batch itself failed (errors.data[0]), when it did


@dataclass(slots=True)
class Part:
    """A run of consecutive requests that fits one input file: its first index and count, and its
    submissions (the first holds every line; each later one retries lines that failed)."""

    start: int
    count: int
    submissions: list[Submission] = field(default_factory=list)
    tokens: int = 0  # estimated input tokens (counted only when a token cap applies)


@dataclass(slots=True)
class Manifest:
    key: str
    endpoint: str
    deployment: str
    total: int
    parts: list[Part]
    version: int = VERSION
    cleaning: bool = False  # deleting the job's files on Azure began: its answers are no longer there

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("version") != VERSION:
            raise ConfigurationError(
                f"batch manifest {data.get('key')} has version {data.get('version')!r}, this library writes "
                f"{VERSION}: finish the job with the library version that started it",
                setting="manifest",
            )
        parts = [
            Part(p["start"], p["count"], [Submission(**s) for s in p.get("submissions") or ()], p.get("tokens", 0))
            for p in data["parts"]
        ]
        return cls(
            data["key"],
            data["endpoint"],
            data["deployment"],
            int(data["total"]),
            parts,
            cleaning=bool(data.get("cleaning")),
        )
