"""Plain-ASGI request and response helpers, and a small multipart/form-data parser.

The emulator is a bare ASGI callable on purpose: the core stays free of web frameworks, and the
whole HTTP surface fits in a few hundred lines.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from . import azure

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 30 * 1024 * 1024  # Azure refuses uploads over 25 MB with 413; leave room for multipart framing


@dataclass(slots=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    host: str = "127.0.0.1"
    scheme: str = "http"
    pairs: list[tuple[str, str]] = field(default_factory=list)  # the query as sent (``include[]`` repeats)

    def query_all(self, name: str) -> list[str]:
        """Every value of query parameter ``name``, in order."""
        return [v for k, v in self.pairs if k == name]

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> dict[str, Any]:
        """The JSON object body, or Azure's 400 for a wrong content type or bad JSON."""
        ct = self.content_type
        if ct and ct != "application/json" and not ct.endswith("+json"):
            raise azure.wrong_content_type(ct, "application/json")
        try:
            data = json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise azure.invalid_json() from None
        if not isinstance(data, dict):
            raise azure.invalid_json()
        return data

    def form(self) -> tuple[dict[str, str], dict[str, Upload]]:
        """Fields and files of a multipart/form-data body."""
        if self.content_type != "multipart/form-data":
            raise azure.wrong_content_type(self.content_type or "none", "multipart/form-data")
        boundary = ""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            k, _, v = part.strip().partition("=")
            if k.lower() == "boundary":
                boundary = v.strip().strip('"')
        if not boundary:
            raise azure.bad_request("Invalid multipart/form-data body: no boundary in the Content-Type header.")
        return parse_multipart(self.body, boundary)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, Upload]]:
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    delim = b"--" + boundary.encode()
    for raw in body.split(delim)[1:]:
        if raw.startswith(b"--"):
            break
        raw = raw[2:] if raw.startswith(b"\r\n") else raw.lstrip(b"\n")
        head, sep, data = raw.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = raw.partition(b"\n\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        name = filename = None
        ctype = "application/octet-stream"
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                for item in value.split(";")[1:]:
                    k, _, v = item.strip().partition("=")
                    v = v.strip().strip('"')
                    if k == "name":
                        name = v
                    elif k == "filename":
                        filename = v
            elif key.strip().lower() == "content-type":
                ctype = value.strip()
        if name is None:
            continue
        if filename is not None:
            files[name] = Upload(filename, ctype, data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


async def read_request(scope: Scope, receive: Receive) -> Request:
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            break
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise azure.AzureError(
                413,
                {
                    "error": {
                        "code": "RequestEntityTooLarge",
                        "message": "The request body is too large. The maximum size is 25 MB.",
                    }
                },
                scoped=False,
            )
        chunks.append(chunk)
        if not msg.get("more_body"):
            break
    headers: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        headers[k.decode("latin-1").lower()] = v.decode("latin-1")
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    path = scope.get("path", "/")
    while "//" in path:  # some SDKs send //openai/...
        path = path.replace("//", "/")
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("127.0.0.1", 80)))
    method = scope.get("method", "GET").upper()
    return Request(method, path, dict(pairs), headers, b"".join(chunks), host, scope.get("scheme", "http"), pairs)


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


#: A stream step: bytes to send, or a control word ("cut", or ("stall", seconds)).
StreamItem = Any


@dataclass(slots=True)
class StreamResponse:
    status: int
    chunks: AsyncIterator[StreamItem]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/event-stream; charset=utf-8"


def json_response(status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, azure.dumps(obj), dict(headers or {}))
