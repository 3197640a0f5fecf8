"""What a batch job gives back, and how output and error files are joined into it.

Each line of an output or error file (Azure's shape: ``custom_id``, ``response.status_code``,
``response.body`` or ``error``) becomes a :class:`BatchItem` at the input index its ``custom_id``
names. :class:`Collector` keeps one byte of state per request (pending, answered, failed, missing)
and, when asked to, the items in input order; a line is parsed as it is read and dropped after.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from shared_core.errors import BatchOutputError
from shared_core.services.batch_lines import embedding_record
from shared_core.services.batch_plan import index_of
from shared_core.types import Usage

PENDING, OK, FAILED, MISSING = 0, 1, 2, 3
#: Line failures worth a follow-up batch (the same request can pass later); a 400 would fail again.
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
#: ``error.code`` of a request whose output line could not be read (it may be read right next time).
BAD_LINE = "invalid_output_line"
_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"([^"\\]*)"')
_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


class BatchItem(NamedTuple):
    """One request's answer. ``body`` is the response body when ``status_code`` is 200; otherwise
    ``error`` says why (``{"code", "message"}``: Azure's error, or ``batch_expired`` and the like
    for a line the batch never ran). ``batch_id``: the batch that answered. (A tuple: one is made
    per line of a million-line job, and a frozen dataclass takes five times as long to build.)"""

    index: int  # type: ignore[assignment]  # the input index; shadows tuple.index, which no caller needs
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


def _retryable(item: BatchItem) -> bool:
    return item.status_code in RETRYABLE or (item.error is not None and item.error.get("code") == BAD_LINE)


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
    file_id: str = ""  # the file being read, and its line number: named when a line is bad
    line: int = 0

    def __post_init__(self) -> None:
        self.state = bytearray(self.total)
        self.items = [None] * self.total if self.keep and self.on_item is None else []

    def begin(self, file_id: str) -> None:
        """The next lines come from ``file_id`` (named, with the line number, when one is bad)."""
        self.file_id, self.line = file_id, 0

    def feed(self, raw: bytes, batch_id: str) -> None:
        """One line of an output or error file."""
        self.line += 1
        rec = embedding_record(raw)
        if rec is None:
            try:
                rec = json.loads(raw)
            except ValueError:  # not JSON, or not UTF-8
                rec = None
            if type(rec) is not dict:
                self._bad_line(raw, batch_id)
                return
        index = index_of(rec.get("custom_id"), self.total)
        if index is None:
            self.unknown += 1
            return
        state = self.state[index]
        if state == OK:
            return
        response = rec.get("response")
        # the common line, an answer: no error to look for, nothing held unless it failed before
        if type(response) is dict and response.get("status_code") == 200:
            body = response.get("body")
            if type(body) is dict:
                self.state[index] = OK
                if state:
                    self.held.pop(index, None)
                usage = body.get("usage")
                if type(usage) is dict:
                    self._add(usage)
                if self.on_item is not None:
                    self.on_item(BatchItem(index, 200, body, None, batch_id))
                elif self.keep:
                    self.items[index] = BatchItem(index, 200, body, None, batch_id)
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

    def _bad_line(self, raw: bytes, batch_id: str) -> None:
        """A line that is not a JSON object. Azure writes one line per request, so when its
        ``custom_id`` can still be read only that request failed (a follow-up batch may answer
        it); otherwise nothing says whose answer it was and the job cannot be joined."""
        excerpt = raw[:200].decode("utf-8", "replace") + ("..." if len(raw) > 200 else "")
        where = f"line {self.line} of file {self.file_id or '?'} (batch {batch_id or '?'})"
        found = _CUSTOM_ID.search(raw)
        index = index_of(found.group(1).decode("ascii", "replace"), self.total) if found else None
        if index is None:
            raise BatchOutputError(
                f"{where} is not a JSON object naming a request of this job: {excerpt!r}. The file is damaged "
                "or not this job's; download it (jobs.file_content) to look, and run the same input again "
                "to read it anew (nothing is submitted twice)",
                batch_id=batch_id,
                file_id=self.file_id,
                line=self.line,
                excerpt=excerpt,
            )
        if self.state[index] == OK:
            return
        error = {"code": BAD_LINE, "message": f"{where} is not a JSON object: {excerpt!r}"}
        self.state[index] = FAILED
        self.held[index] = BatchItem(index, None, None, error, batch_id)

    def _count(self, body: Mapping[str, Any] | None) -> None:
        usage = body.get("usage") if body is not None else None
        if isinstance(usage, Mapping):
            self._add(usage)

    def _add(self, usage: Mapping[str, Any]) -> None:
        total = self.usage
        for k in _USAGE_KEYS:
            v = usage.get(k)
            if type(v) is int:
                total[k] = total.get(k, 0) + v

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
        return [i for i in range(start, start + count) if self.state[i] == FAILED and _retryable(self.held[i])]

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
