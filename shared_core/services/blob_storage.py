"""Azure Blob storage for batch input and output, over the Blob REST API with plain httpx.

Azure OpenAI batches can read their input from a blob (``input_blob``) and write their results into
a folder (``output_folder.url``): no file-count limit, no upload to the service (Learn how-to
``batch-blob-storage``). Azure reads and writes those blobs with the *system-assigned managed
identity of the Azure OpenAI resource* (user-assigned identities are not supported), which needs
``Storage Blob Data Contributor`` on the account. This module is *our* side: it writes the JSONL
input files and reads the result files back, authenticated either by a SAS (the query of the folder
URL, or ``sas=``) or by an Entra credential whose tokens are asked for the storage scope
``https://storage.azure.com/.default`` (Learn rest/api/storageservices ``authorize-with-azure-active-directory``;
Bearer tokens need ``x-ms-version`` 2017-11-09 or later).

Writes (Learn REST ``Put Blob``, ``Put Block``, ``Put Block List``): a file that fits one block goes
up in one ``Put Blob`` (``x-ms-blob-type: BlockBlob``); a larger one goes up block by block
(``?comp=block&blockid=<base64>``, every id the same length, at most 50,000 blocks) and is committed
with ``?comp=blocklist`` (``<BlockList><Latest>id</Latest>...</BlockList>``). The data is taken as
an iterable of chunks and at most one block is held, so memory stays bounded by ``block_size``.
Reads (``Get Blob``) are streamed and split into lines as they arrive; a blob that does not exist
reads as empty, because Azure returns ``error_blob`` and ``output_blob`` paths "even in cases where a
corresponding file isn't created" (Learn ``batch-blob-storage``).

The SAS never leaves this object: URLs handed to Azure or kept in a manifest carry no query, errors
show URLs without it, and ``repr`` masks it. The sync and async sides run one request plan each
(:func:`_put_plan`), so they cannot disagree on what is sent.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit
from xml.etree import ElementTree

import httpx
from pydantic import SecretStr

from shared_core.connection.auth import BearerTokenCredential, Credential, ObjectSource, ProviderSource
from shared_core.connection.redact import install_httpx_log_filter, redact_text
from shared_core.errors import APIConnectionError, APIStatusError, ConfigurationError
from shared_core.services.batch_files import LineSplitter

#: The Entra scope of Azure Storage (the resource id ``https://storage.azure.com/`` + ``.default``).
STORAGE_SCOPE = "https://storage.azure.com/.default"
#: The Blob service version every request names (required with SAS and Bearer authorization).
X_MS_VERSION = "2025-01-05"
#: Bytes per block (and the largest file sent in one Put Blob). Put Block takes up to 4000 MiB.
BLOCK_SIZE = 8 * 1024 * 1024
MAX_BLOCK_SIZE = 4000 * 1024 * 1024
MAX_BLOCKS = 50_000
_LOOPBACK = frozenset({"localhost"})
#: Answers worth another attempt: timeouts, throttling (503 ServerBusy) and server errors (500 InternalError,
#: OperationTimedOut); Put Blob, Put Block and Put Block List are idempotent, Get Blob is retried before its
#: first byte only.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_WAIT = 60.0


class BlobStorageError(APIStatusError):
    """Blob storage refused a request; ``code`` is its ``x-ms-error-code`` (e.g. ``AuthorizationPermissionMismatch``)."""


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_url(url: str, setting: str) -> tuple[str, SecretStr | None]:
    """``url`` without its query (the SAS, if any: returned apart as a secret), checked to be https.

    Plain http is accepted only on loopback (a local storage emulator such as Azurite)."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            f"{setting} is empty: give the https URL of a blob container or folder, e.g. "
            "https://ACCOUNT.blob.core.windows.net/batch-input",
            setting=setting,
        )
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(host)):
        raise ConfigurationError(
            f"{setting}={redact_text(url)!r} is not an https URL: Azure OpenAI and Blob storage take "
            "https://ACCOUNT.blob.core.windows.net/CONTAINER[/folder] (http only for a local emulator)",
            setting=setting,
        )
    if not host or parts.path.strip("/") == "":
        raise ConfigurationError(
            f"{setting}={redact_text(url)!r} names no container: use https://ACCOUNT.blob.core.windows.net/CONTAINER",
            setting=setting,
        )
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return bare, (SecretStr(parts.query) if parts.query else None)


def storage_credential(credential: Any = None, *, token_provider: Any = None) -> Credential:
    """An Entra credential for Blob storage: an azure-identity ``TokenCredential`` (asked for
    :data:`STORAGE_SCOPE`) or a token provider already bound to that scope."""
    if token_provider is not None:
        return BearerTokenCredential(ProviderSource(token_provider, setting="token_provider"), scope=STORAGE_SCOPE)
    if credential is None or not hasattr(credential, "get_token"):
        raise ConfigurationError(
            "storage_credential needs an azure-identity credential (e.g. DefaultAzureCredential()) or "
            "token_provider=get_bearer_token_provider(cred, 'https://storage.azure.com/.default')",
            setting="credential",
        )
    return BearerTokenCredential(ObjectSource(credential), scope=STORAGE_SCOPE)


def retry_delay(attempt: int, status: int | None, headers: Mapping[str, str] | None, max_retries: int) -> float | None:
    """Seconds to wait before trying again after failed attempt number ``attempt`` (0-based), or ``None``
    to give up: a status not worth retrying, or retries spent. ``status`` is ``None`` for a connection
    failure. ``Retry-After`` (seconds) wins over the exponential backoff (0.5 s, 1 s, 2 s ... up to 8 s)."""
    if attempt >= max_retries or (status is not None and status not in RETRY_STATUSES):
        return None
    after = (headers or {}).get("retry-after")
    if after:
        try:
            return min(max(float(after), 0.0), MAX_RETRY_WAIT)
        except ValueError:
            pass
    return float(min(0.5 * 2**attempt, 8.0))


def block_id(n: int) -> str:
    """The base64 id of block ``n``: every id of a blob has the same length, as Put Block requires."""
    return base64.b64encode(f"azoai-{n:06d}".encode()).decode()


def block_list_xml(count: int) -> bytes:
    """The Put Block List body committing blocks ``0 .. count-1`` in order."""
    ids = "".join(f"<Latest>{block_id(n)}</Latest>" for n in range(count))
    return f'<?xml version="1.0" encoding="utf-8"?><BlockList>{ids}</BlockList>'.encode()


@dataclass(frozen=True, slots=True)
class _Put:
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    content: bytes


def _blocks(data: bytes | Iterable[bytes], size: int) -> Iterator[bytes]:
    """The data in blocks of ``size`` bytes (the last may be shorter), holding one block at most."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        return
    buf = bytearray()
    for chunk in data:
        buf += chunk
        while len(buf) >= size:
            yield bytes(buf[:size])
            del buf[:size]
    if buf:
        yield bytes(buf)


def _put_plan(url: str, data: bytes | Iterable[bytes], size: int) -> Generator[_Put, None, None]:
    """The requests that write ``data`` to the blob at ``url``: one Put Blob, or Put Blocks and a
    Put Block List. The next block is read only after the previous request was answered."""
    blocks = _blocks(data, size)
    first = next(blocks, b"")
    second = next(blocks, None)
    if second is None:
        yield _Put(url, {}, {"x-ms-blob-type": "BlockBlob", "content-type": "application/jsonl"}, first)
        return
    n = 0
    for block in (first, second):
        yield _Put(url, {"comp": "block", "blockid": block_id(n)}, {}, block)
        n += 1
    for block in blocks:
        if n >= MAX_BLOCKS:
            raise ConfigurationError(
                f"the file needs more than {MAX_BLOCKS:,} blocks of {size} bytes: raise block_size",
                setting="block_size",
            )
        yield _Put(url, {"comp": "block", "blockid": block_id(n)}, {}, block)
        n += 1
    headers = {"content-type": "application/xml", "x-ms-blob-content-type": "application/jsonl"}
    yield _Put(url, {"comp": "blocklist"}, headers, block_list_xml(n))


def _xml_field(body: bytes, name: str) -> str | None:
    try:
        node = ElementTree.fromstring(body).find(name)
    except ElementTree.ParseError:
        return None
    return node.text if node is not None else None


_HINTS = {
    401: f"the SAS or token was refused: check the SAS expiry and signature, or that the token is for {STORAGE_SCOPE}",
    403: "the identity lacks access: give it 'Storage Blob Data Contributor' on the storage account "
    "(or use a SAS with read, write and create permissions)",
    404: "the container does not exist: create it, or fix the folder URL",
}


class BlobStorage:
    """Where a batch job's blobs live: ``input_folder`` (the runner writes input files there) and
    ``output_folder`` (``output_folder.url`` for Azure, which writes ``results.jsonl`` and
    ``errors.jsonl`` under a new folder in it).

    Authentication for our own reads and writes: a SAS (the folder URL's query, or ``sas=`` for
    both folders) or ``credential`` (:func:`storage_credential`, or any azoai credential asked for
    :data:`STORAGE_SCOPE`). Azure itself reads and writes with the resource's system-assigned managed
    identity, whatever is given here. ``block_size``: files above it go up block by block.
    ``http_client`` / ``http_async_client``: httpx clients to use (default: one of each, made on
    first use and closed by :meth:`close` / :meth:`aclose`). ``max_retries``: further attempts of a
    request that met a connection failure or a :data:`RETRY_STATUSES` answer (``sleep`` / ``asleep``
    wait between them).
    """

    def __init__(
        self,
        input_folder: str,
        output_folder: str,
        *,
        sas: str | SecretStr | None = None,
        credential: Credential | None = None,
        block_size: int = BLOCK_SIZE,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        timeout: float = 300.0,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.input_folder, in_sas = split_url(input_folder, "input_folder")
        self.output_folder, out_sas = split_url(output_folder, "output_folder")
        shared = SecretStr(sas.get_secret_value() if isinstance(sas, SecretStr) else sas.lstrip("?")) if sas else None
        self._input_sas = in_sas or shared
        self._output_sas = out_sas or shared
        if credential is not None and not hasattr(credential, "headers"):
            credential = storage_credential(credential)
        if credential is None and (self._input_sas is None or self._output_sas is None):
            raise ConfigurationError(
                "Blob storage needs a way in: a SAS in each folder URL (or sas=...), or "
                "credential=storage_credential(DefaultAzureCredential()) (Entra, scope "
                f"{STORAGE_SCOPE}, with the role Storage Blob Data Contributor)",
                setting="credential",
            )
        if not 1 <= block_size <= MAX_BLOCK_SIZE:
            raise ConfigurationError(
                f"block_size={block_size}: Put Block takes 1 to {MAX_BLOCK_SIZE} bytes", setting="block_size"
            )
        self.credential = credential
        self.block_size = block_size
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.sleep = sleep
        self.asleep = asleep
        self._http = http_client
        self._ahttp = http_async_client
        self._own_http = http_client is None
        self._own_ahttp = http_async_client is None
        install_httpx_log_filter()

    def __repr__(self) -> str:
        how = "sas" if self.credential is None else self.credential.describe()
        return f"BlobStorage(input_folder={self.input_folder!r}, output_folder={self.output_folder!r}, auth={how!r})"

    # --- urls and auth ---------------------------------------------------------------------

    def blob_url(self, name: str) -> str:
        """The URL (no SAS) of the input blob ``name``."""
        return f"{self.input_folder}/{quote(name)}"

    def _sas_for(self, url: str) -> SecretStr | None:
        if url.startswith(self.output_folder + "/"):
            return self._output_sas or self._input_sas
        return self._input_sas or self._output_sas

    def _full_url(self, url: str, params: dict[str, str]) -> str:
        # the SAS is appended as given: parsing and re-encoding it could alter its signature
        query = [self._sas_for(url)]
        parts = [q.get_secret_value() for q in query if q is not None]
        parts += [f"{k}={quote(v, safe='')}" for k, v in params.items()]
        return f"{url}?{'&'.join(parts)}" if parts else url

    def _base_headers(self) -> dict[str, str]:
        return {"x-ms-version": X_MS_VERSION}

    def _auth(self, url: str) -> dict[str, str]:
        return {} if self._sas_for(url) is not None or self.credential is None else self.credential.headers()

    async def _aauth(self, url: str) -> dict[str, str]:
        if self._sas_for(url) is not None or self.credential is None:
            return {}
        return await self.credential.aheaders()

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout)
        return self._http

    def _aclient(self) -> httpx.AsyncClient:
        if self._ahttp is None:
            self._ahttp = httpx.AsyncClient(timeout=self.timeout)
        return self._ahttp

    def close(self) -> None:
        if self._own_http and self._http is not None:
            self._http.close()
            self._http = None

    async def aclose(self) -> None:
        if self._own_ahttp and self._ahttp is not None:
            await self._ahttp.aclose()
            self._ahttp = None

    # --- errors ----------------------------------------------------------------------------

    def _check(self, method: str, url: str, status: int, headers: httpx.Headers, body: bytes) -> None:
        if status < 300:
            return
        code = headers.get("x-ms-error-code") or _xml_field(body, "Code")
        detail = _xml_field(body, "Message") or body[:200].decode("utf-8", "replace")
        for sas in {self._input_sas, self._output_sas} - {None}:
            assert sas is not None
            detail = detail.replace(sas.get_secret_value(), "**********")
        hint = _HINTS.get(status, "see the Blob storage error code")
        raise BlobStorageError(
            f"Blob storage answered {status} {code or ''} to {method} {url}: {redact_text(detail.strip())} ({hint})",
            status=status,
            code=code,
            headers={k: v for k, v in headers.items() if k.lower().startswith("x-ms-")},
            request_id=headers.get("x-ms-request-id"),
        )

    def _connection_error(self, method: str, url: str, exc: httpx.TransportError) -> APIConnectionError:
        return APIConnectionError(f"{method} {url} failed: {type(exc).__name__}: {redact_text(str(exc))}", url=url)

    # --- writes ----------------------------------------------------------------------------

    def put(self, name: str, data: bytes | Iterable[bytes]) -> str:
        """Write ``data`` (bytes, or chunks of bytes) to the input blob ``name``; its URL (no SAS)."""
        url = self.blob_url(name)
        for op in _put_plan(url, data, self.block_size):
            full = self._full_url(op.url, op.params)
            for attempt in itertools.count():
                headers = self._base_headers() | op.headers | self._auth(op.url)
                try:
                    r = self._client().put(full, headers=headers, content=op.content)
                except httpx.TransportError as exc:
                    wait = retry_delay(attempt, None, None, self.max_retries)
                    if wait is None:
                        raise self._connection_error("PUT", op.url, exc) from None
                else:
                    wait = (
                        retry_delay(attempt, r.status_code, r.headers, self.max_retries)
                        if r.status_code >= 300
                        else None
                    )
                    if wait is None:
                        self._check("PUT", op.url, r.status_code, r.headers, r.content)
                        break
                self.sleep(wait)
        return url

    async def aput(self, name: str, data: bytes | Iterable[bytes]) -> str:
        """Async :meth:`put`."""
        url = self.blob_url(name)
        for op in _put_plan(url, data, self.block_size):
            full = self._full_url(op.url, op.params)
            for attempt in itertools.count():
                headers = self._base_headers() | op.headers | await self._aauth(op.url)
                try:
                    r = await self._aclient().put(full, headers=headers, content=op.content)
                except httpx.TransportError as exc:
                    wait = retry_delay(attempt, None, None, self.max_retries)
                    if wait is None:
                        raise self._connection_error("PUT", op.url, exc) from None
                else:
                    wait = (
                        retry_delay(attempt, r.status_code, r.headers, self.max_retries)
                        if r.status_code >= 300
                        else None
                    )
                    if wait is None:
                        self._check("PUT", op.url, r.status_code, r.headers, r.content)
                        break
                await self.asleep(wait)
        return url

    # --- reads -----------------------------------------------------------------------------

    def _readable(self, url: str) -> str:
        bare, _sas = split_url(url, "blob url")  # Azure's output_blob carries no SAS; ours is added
        return bare

    def iter_lines(self, url: str) -> Iterator[bytes]:
        """The blob's non-empty lines, read as they arrive; none when the blob does not exist."""
        bare = self._readable(url)
        full = self._full_url(bare, {})
        for attempt in itertools.count():
            headers = self._base_headers() | self._auth(bare)
            started = False
            try:
                with self._client().stream("GET", full, headers=headers) as r:
                    if r.status_code == 404 and r.headers.get("x-ms-error-code") == "BlobNotFound":
                        return
                    if r.status_code >= 300:
                        body = r.read()
                        wait = retry_delay(attempt, r.status_code, r.headers, self.max_retries)
                        if wait is None:
                            self._check("GET", bare, r.status_code, r.headers, body)
                    else:
                        splitter = LineSplitter()
                        for chunk in r.iter_bytes():
                            started = True
                            yield from splitter.feed(chunk)
                        yield from splitter.end()
                        return
            except httpx.TransportError as exc:
                wait = None if started else retry_delay(attempt, None, None, self.max_retries)
                if wait is None:
                    raise self._connection_error("GET", bare, exc) from None
            self.sleep(wait or 0.0)

    async def aiter_lines(self, url: str) -> AsyncIterator[bytes]:
        """Async :meth:`iter_lines`."""
        bare = self._readable(url)
        full = self._full_url(bare, {})
        for attempt in itertools.count():
            headers = self._base_headers() | await self._aauth(bare)
            started = False
            try:
                async with self._aclient().stream("GET", full, headers=headers) as r:
                    if r.status_code == 404 and r.headers.get("x-ms-error-code") == "BlobNotFound":
                        return
                    if r.status_code >= 300:
                        body = await r.aread()
                        wait = retry_delay(attempt, r.status_code, r.headers, self.max_retries)
                        if wait is None:
                            self._check("GET", bare, r.status_code, r.headers, body)
                    else:
                        splitter = LineSplitter()
                        async for chunk in r.aiter_bytes():
                            started = True
                            for line in splitter.feed(chunk):
                                yield line
                        for line in splitter.end():
                            yield line
                        return
            except httpx.TransportError as exc:
                wait = None if started else retry_delay(attempt, None, None, self.max_retries)
                if wait is None:
                    raise self._connection_error("GET", bare, exc) from None
            await self.asleep(wait or 0.0)
