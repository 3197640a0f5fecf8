"""A small Azure Blob storage endpoint, served by the emulator under ``/_blob/ACCOUNT/CONTAINER/BLOB``.

Path-style URLs, as the Azurite storage emulator uses (``http://127.0.0.1:10000/ACCOUNT/...``), so a
client needs nothing but the folder URL. It holds what batches over Blob storage need (Learn
how-to ``batch-blob-storage``): the client writes input files, the emulator's batches read
``input_blob`` and write ``results.jsonl`` / ``errors.jsonl`` under ``output_folder``, the client
reads them back. Operations, from Learn's Blob REST reference:

* ``Put Blob`` (``PUT``, header ``x-ms-blob-type: BlockBlob`` required) -> 201.
* ``Put Block`` (``PUT ?comp=block&blockid=ID``; ID base64, every id of a blob the same length) -> 201.
* ``Put Block List`` (``PUT ?comp=blocklist``, ``<BlockList><Latest|Uncommitted|Committed>ID</...>``)
  commits the listed blocks in order -> 201; a block never uploaded -> 400 ``InvalidBlockList``.
* ``Get Blob`` (``GET``) -> 200 with the bytes; a missing blob -> 404 ``BlobNotFound``.

Every request must name ``x-ms-version`` (400 ``MissingRequiredHeader``) and carry a SAS (a ``sig``
query parameter) or an ``Authorization: Bearer`` token; neither is verified beyond being present.
Error bodies are Azure's ``<Error><Code/><Message/></Error>`` with the ``x-ms-error-code`` header
(codes and messages from Learn "Blob Storage error codes" / "Common REST API error codes"). Guess:
a request with no credential gets 404 ``ResourceNotFound``, what Azure answers anonymous requests to
a private container (the emulator models no public containers). Containers are not modelled: any
``ACCOUNT/CONTAINER`` exists.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from .wire import Request, Response

PREFIX = "/_blob/"
#: (status, code, message) of the refusals below (Learn: Blob Storage / common REST error codes).
NOT_FOUND = (404, "BlobNotFound", "The specified blob does not exist.")
NO_RESOURCE = (404, "ResourceNotFound", "The specified resource does not exist.")
NO_HEADER = (400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.")
BAD_BLOCK_ID = (400, "InvalidBlockId", "The specified block ID is invalid. The block ID must be Base64-encoded.")
BAD_BLOCK_LIST = (400, "InvalidBlockList", "The specified block list is invalid.")
BAD_XML = (400, "InvalidXmlDocument", "XML specified is not syntactically valid.")
BAD_VERB = (405, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.")


def _error(spec: tuple[int, str, str], request_id: str = "") -> Response:
    status, code, message = spec
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}\nRequestId:{request_id}</Message></Error>"
    )
    return Response(status, body.encode(), {"x-ms-error-code": code}, "application/xml")


def blob_key(url: str) -> str | None:
    """``ACCOUNT/CONTAINER/BLOB`` of a URL that points at this store (any host), else ``None``."""
    path = unquote(urlsplit(url).path)
    return path[len(PREFIX) :] if path.startswith(PREFIX) and path.count("/") >= 4 else None


class BlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.blocks: dict[str, dict[str, bytes]] = {}  # uncommitted blocks per blob
        self.ops: Counter[str] = Counter()  # PutBlob, PutBlock, PutBlockList, GetBlob: what tests check

    def reset(self) -> None:
        self.blobs.clear()
        self.blocks.clear()
        self.ops.clear()

    # --- what the emulator's batches use ---------------------------------------------------

    def read(self, url: str) -> bytes | None:
        key = blob_key(url)
        return None if key is None else self.blobs.get(key)

    def write(self, url: str, data: bytes) -> None:
        key = blob_key(url)
        if key is None:
            raise ValueError(f"{url} is not a blob of this emulator")
        self.blobs[key] = data

    # --- the REST endpoint -----------------------------------------------------------------

    def route(self, req: Request) -> Response:
        key = unquote(req.path)[len(PREFIX) :]
        if key.count("/") < 2:
            return _error(NO_RESOURCE)
        if "x-ms-version" not in req.headers:
            return _error(NO_HEADER)
        bearer = req.headers.get("authorization", "").lower().startswith("bearer ")
        if not req.query.get("sig") and not bearer:
            return _error(NO_RESOURCE)
        comp = req.query.get("comp")
        if req.method == "GET" and comp is None:
            self.ops["GetBlob"] += 1
            data = self.blobs.get(key)
            if data is None:
                return _error(NOT_FOUND)
            return Response(200, data, {"x-ms-blob-type": "BlockBlob"}, "application/octet-stream")
        if req.method != "PUT":
            return _error(BAD_VERB)
        if comp == "block":
            return self._put_block(key, req.query.get("blockid", ""), req.body)
        if comp == "blocklist":
            return self._put_block_list(key, req.body)
        if req.headers.get("x-ms-blob-type") != "BlockBlob":
            return _error(NO_HEADER)
        self.ops["PutBlob"] += 1
        self.blobs[key] = req.body
        self.blocks.pop(key, None)
        return Response(201, b"", {}, "")

    def _put_block(self, key: str, block_id: str, data: bytes) -> Response:
        try:
            raw = base64.b64decode(block_id, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        pending = self.blocks.setdefault(key, {})
        if not raw or len(raw) > 64 or any(len(k) != len(block_id) for k in pending):
            return _error(BAD_BLOCK_ID)
        self.ops["PutBlock"] += 1
        pending[block_id] = data
        return Response(201, b"", {}, "")

    def _put_block_list(self, key: str, body: bytes) -> Response:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return _error(BAD_XML)
        pending = self.blocks.get(key, {})
        ids = [node.text or "" for node in root if node.tag in ("Latest", "Uncommitted", "Committed")]
        if root.tag != "BlockList" or any(i not in pending for i in ids):
            return _error(BAD_BLOCK_LIST)
        self.ops["PutBlockList"] += 1
        self.blobs[key] = b"".join(pending[i] for i in ids)
        self.blocks.pop(key, None)
        return Response(201, b"", {}, "")
