"""Server-sent events: bytes in, events out.

Implements the event-stream format of the WHATWG HTML standard (§9.2.6): ``data`` fields joined
with ``\\n``, ``event``/``id``/``retry`` fields, comments (lines starting with ``:``), CR, LF and
CRLF line endings, a UTF-8 BOM at the start, and chunk boundaries anywhere (inside a field, inside
a multi-byte character, between the CR and LF of a CRLF).

Two deliberate leniencies, both matching what real clients do with real servers: ``flush()``
dispatches an event whose final blank line never came (servers that end on ``data: [DONE]\\n``),
and undecodable bytes become U+FFFD instead of raising.

This runs once per streamed chunk, so :meth:`SSEDecoder.feed` has a fast path: one ``bytes``
scan for CR, one UTF-8 decode of all complete lines, and a ``startswith("data: ")`` test per line.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event. ``event`` is None for the default type (``message``)."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental SSE decoder. Feed it bytes as they arrive; it returns complete events."""

    __slots__ = ("_tail", "_data", "_event", "_last_id", "_retry", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._tail = b""  # bytes of the current, not yet terminated line
        self._data: list[str] = []
        self._event: str | None = None
        self._last_id: str | None = None  # persists across events, as the standard says
        self._retry: int | None = None
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF is its CRLF's half
        self._started = False  # BOM check done

    @property
    def last_event_id(self) -> str | None:
        """The last ``id`` seen (what a reconnecting client sends as ``Last-Event-ID``)."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The last ``retry`` (milliseconds) the server asked for."""
        return self._retry

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Add bytes; return the events they complete (often none or one)."""
        lines = self._split(chunk)
        return self._lines(lines, False) if lines else []  # type: ignore[return-value]

    def feed_data(self, chunk: bytes) -> list[str | SSEEvent]:
        """Like :meth:`feed`, but an event of the default type comes back as its ``data`` string
        (no ``SSEEvent`` built): the per-chunk fast path of the chat stream parser."""
        lines = self._split(chunk)
        return self._lines(lines, True) if lines else []

    def _split(self, chunk: bytes) -> list[str] | None:
        """Complete lines of ``chunk`` (with what was buffered), or None."""
        if not chunk:
            return None
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
                if not chunk:
                    return None
        buf = self._tail + chunk if self._tail else chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._tail = buf  # could still be a split BOM
                return None
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if b"\r" in buf:
            if buf[-1] == 0x0D:
                self._skip_lf = True
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cut = buf.rfind(b"\n")
        if cut < 0:
            self._tail = buf
            return None
        self._tail = buf[cut + 1 :]
        return buf[:cut].decode("utf-8", "replace").split("\n")

    def flush(self) -> list[SSEEvent]:
        """End of stream: process an unterminated last line and dispatch a pending event."""
        lines: list[str] = []
        if self._tail:
            tail = self._tail
            if not self._started and tail.startswith(_BOM):
                tail = tail[3:]
            self._tail = b""
            lines.append(tail.decode("utf-8", "replace"))
        lines.append("")
        self._started = True
        self._skip_lf = False
        return self._lines(lines, False)  # type: ignore[return-value]

    def flush_data(self) -> list[str | SSEEvent]:
        """:meth:`flush` in the form of :meth:`feed_data`."""
        events = self.flush()
        return [e.data if e.event is None else e for e in events]

    def _lines(self, lines: list[str], plain: bool) -> list[str | SSEEvent]:
        out: list[str | SSEEvent] = []
        data = self._data
        for line in lines:
            if line.startswith("data: "):  # the hot path: nearly every line
                data.append(line[6:])
            elif not line:
                if data:
                    if plain and self._event is None:
                        out.append(data[0] if len(data) == 1 else "\n".join(data))
                    else:
                        out.append(
                            SSEEvent(
                                data=data[0] if len(data) == 1 else "\n".join(data),
                                event=self._event,
                                id=self._last_id,
                                retry=self._retry,
                            )
                        )
                    data.clear()
                self._event = None
            elif line[0] == ":":
                continue  # comment (keep-alive)
            else:
                self._field(line)
        return out

    def _field(self, line: str) -> None:
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name == "retry":
            if value.isdigit() and value.isascii():
                self._retry = int(value)
        # any other field name is ignored, as the standard says


def iter_sse(chunks: Iterable[bytes]) -> Iterator[SSEEvent]:
    """Decode an iterable of byte chunks into events (flushing at the end)."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    """Async twin of :func:`iter_sse`."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event


__all__ = ["SSEDecoder", "SSEEvent", "aiter_sse", "iter_sse"]
