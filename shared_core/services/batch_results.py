"""What a batch job gives back, and how output and error files are joined into it.

Each line of an output or error file (Azure's shape: ``custom_id``, ``response.status_code``,
``response.body`` or ``error``) becomes a :class:`BatchItem` at the input index its ``custom_id``
names. :class:`Collector` keeps one byte of state per request (pending, answered, failed, missing)
and, when asked to, the items in input order; a line is parsed as it is read and dropped after.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared_core.services.batch_lines import embedding_record
from shared_core.services.batch_plan import index_of
from shared_core.types import Usage

PENDING, OK, FAILED, MISSING = 0, 1, 2, 3
#: Line failures worth a follow-up batch (the same request can pass later); a 400 would fail again.
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One request's answer. ``body`` is the response body when ``status_code`` is 200; otherwise
    ``error`` says why (``{"code", "message"}``: Azure's error, or ``batch_expired`` and the like
    for a line the batch never ran). ``batch_id``: the batch that answered."""

    index: int
    status_code: int | None
    body: Mapping[str, Any] | None
    error: Mapping[str, Any] | None
    batch_id: str

    @property
    def ok(self) -> bool:
        return self.status_code == 200 and self.body is not None


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Where a job stands: requests answered and failed so far, of ``total``; seconds since this
    process started on it, and an estimate of the seconds left (``None`` until something finished)."""

    total: int
    completed: int
    failed: int
    elapsed: float
    remaining: float | None
    batch_ids: tuple[str, ...]


@dataclass(slots=True)
class BatchJobResult:
    """The job's outcome. ``items``: one per request in input order (``None`` where no answer came;
    empty when an ``on_item`` callback took them). ``failed``: indexes with an error answer;
    ``missing``: indexes the batches never ran (expired, cancelled); ``usage``: tokens of all answers."""

    key: str
    total: int
    items: list[BatchItem | None]
    failed: list[int]
    missing: list[int]
    usage: Usage
    batch_ids: list[str]
    file_ids: list[str]
    answered: int = 0

    @property
    def complete(self) -> bool:
        """True when every request has a successful answer."""
        return self.answered == self.total


def _error_of(rec: Mapping[str, Any]) -> tuple[int | None, Mapping[str, Any] | None, Mapping[str, Any] | None]:
    response = rec.get("response")
    if isinstance(response, Mapping):
        status = response.get("status_code")
        body = response.get("body")
        body = body if isinstance(body, Mapping) else None
        if status == 200 and body is not None:
            return 200, body, None
        err = body.get("error") if body is not None else None
        return (
            status if isinstance(status, int) else None,
            body,
            err if isinstance(err, Mapping) else {"code": str(status), "message": "request failed"},
        )
    err = rec.get("error")
    return None, None, err if isinstance(err, Mapping) else {"code": "unknown", "message": "no response"}


@dataclass(slots=True)
class Collector:
    """Joins the files of every batch of a job. ``keep``: store items for the in-order result;
    ``on_item``: hand each final item on instead (answers as they come; failures once final)."""

    key: str
    total: int
    keep: bool = True
    on_item: Callable[[BatchItem], None] | None = None
    state: bytearray = field(init=False)
    items: list[BatchItem | None] = field(init=False)
    held: dict[int, BatchItem] = field(default_factory=dict)  # failed, may still be retried
    usage: dict[str, int] = field(default_factory=dict)
    unknown: int = 0  # lines whose custom_id this job never wrote

    def __post_init__(self) -> None:
        self.state = bytearray(self.total)
        self.items = [None] * self.total if self.keep and self.on_item is None else []

    def feed(self, raw: bytes, batch_id: str) -> None:
        """One line of an output or error file."""
        rec = embedding_record(raw)
        if rec is None:
            rec = json.loads(raw)
        index = index_of(rec.get("custom_id"), self.total)
        if index is None or self.state[index] == OK:
            self.unknown += index is None
            return
        status, body, error = _error_of(rec)
        item = BatchItem(index, status, body, error, batch_id)
        if item.ok:
            self.state[index] = OK
            self.held.pop(index, None)
            self._count(body)
            self._deliver(item)
        else:  # no response at all: the batch never ran the line (expired, cancelled)
            self.state[index] = FAILED if status is not None else MISSING
            self.held[index] = item

    def _count(self, body: Mapping[str, Any] | None) -> None:
        usage = body.get("usage") if body is not None else None
        if isinstance(usage, Mapping):
            for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
                v = usage.get(k)
                if isinstance(v, int):
                    self.usage[k] = self.usage.get(k, 0) + v

    def _deliver(self, item: BatchItem) -> None:
        if self.on_item is not None:
            self.on_item(item)
        elif self.keep:
            self.items[item.index] = item

    def answer(self, index: int, status: int | None, body: Mapping[str, Any] | None, error: Any, how: str) -> None:
        """An answer that came another way (the interactive path)."""
        item = BatchItem(index, status, body, error, how)
        if item.ok:
            self.state[index] = OK
            self.held.pop(index, None)
            self._count(body)
            self._deliver(item)
        else:
            self.held[index] = item
            self.state[index] = FAILED

    def retryable(self, start: int, count: int) -> list[int]:
        """Failed indexes of a part that a follow-up batch may fix."""
        return [
            i
            for i in range(start, start + count)
            if self.state[i] == FAILED and (self.held[i].status_code in RETRYABLE)
        ]

    def unanswered(self, start: int, count: int) -> list[int]:
        return [i for i in range(start, start + count) if self.state[i] in (PENDING, MISSING)]

    def mark_missing(self, indexes: list[int], batch_id: str, error: Mapping[str, Any]) -> None:
        """Lines a batch that ended early (failed, expired, cancelled) left without any answer."""
        for i in indexes:
            if self.state[i] == PENDING:
                self.state[i] = MISSING
                self.held[i] = BatchItem(i, None, None, error, batch_id)

    def finish(self, batch_ids: list[str], file_ids: list[str]) -> BatchJobResult:
        failed: list[int] = []
        missing: list[int] = []
        for i, s in enumerate(self.state):
            if s == OK:
                continue
            (missing if s in (PENDING, MISSING) else failed).append(i)
            held = self.held.get(i)
            if held is not None:
                self._deliver(held)
        usage = Usage(
            prompt_tokens=self.usage.get("prompt_tokens", 0),
            completion_tokens=self.usage.get("completion_tokens", 0),
            total_tokens=self.usage.get("total_tokens", 0),
        )
        answered = self.total - len(failed) - len(missing)
        return BatchJobResult(self.key, self.total, self.items, failed, missing, usage, batch_ids, file_ids, answered)
