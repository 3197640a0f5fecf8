"""A batch output or error file read line by line as it arrives (``GET files/{id}/content``).

Output files of embedding batches run to gigabytes (a 1,536-float vector is ~30 kB of JSON per
line), so the runner never holds one whole: the response body is read in chunks and each complete
line is handed on. The sync and async readers share :class:`LineSplitter`; the request goes
through the client's policy (auth, retries before the first byte) like every other call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from shared_core.client import CoreClient
from shared_core.policy import async_driver, sync_driver
from shared_core.policy.call import Call


class LineSplitter:
    """Bytes in, complete lines out; the last line needs no newline (``end`` returns it). Each byte
    is copied once into its line (a line split across chunks is joined from its pieces)."""

    __slots__ = ("_rest",)

    def __init__(self) -> None:
        self._rest: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        # find() looks for the newline with memchr; bytes.split walks the chunk a byte at a time,
        # which cost more than parsing an embedding line
        nl = chunk.find(b"\n")
        if nl < 0:
            if chunk:
                self._rest.append(chunk)
            return []
        if self._rest:
            self._rest.append(chunk[:nl])
            first, self._rest = b"".join(self._rest), []
        else:
            first = chunk[:nl]
        out = [first] if first.strip() else []
        start = nl + 1
        find = chunk.find
        while (nl := find(b"\n", start)) >= 0:
            line = chunk[start:nl]
            if line.strip():
                out.append(line)
            start = nl + 1
        if start < len(chunk):
            self._rest.append(chunk[start:])
        return out

    def end(self) -> list[bytes]:
        rest, self._rest = b"".join(self._rest), []
        return [rest] if rest.strip() else []


def _content_call(client: CoreClient, file_id: str) -> Call:
    suffix = f"/{quote(file_id, safe='')}/content"
    return client._call("files", CoreClient._raw_body(None, None), method="GET", suffix=suffix)


def iter_file_lines(client: CoreClient, file_id: str) -> Iterator[bytes]:
    """The file's non-empty lines, read as they arrive."""
    call = _content_call(client, file_id)
    response, _meta = sync_driver.send(client._client(), call, stream=True)
    splitter = LineSplitter()
    try:
        for chunk in response.iter_bytes():
            yield from splitter.feed(chunk)
        yield from splitter.end()
    finally:
        response.close()


async def aiter_file_lines(client: CoreClient, file_id: str) -> AsyncIterator[bytes]:
    """Async :func:`iter_file_lines`."""
    call = _content_call(client, file_id)
    response, _meta = await async_driver.asend(client._aclient(), call, stream=True)
    splitter = LineSplitter()
    try:
        async for chunk in response.aiter_bytes():
            for line in splitter.feed(chunk):
                yield line
        for line in splitter.end():
            yield line
    finally:
        await response.aclose()
