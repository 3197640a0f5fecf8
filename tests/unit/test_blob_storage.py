"""Blob storage for batches: the requests on the wire (Learn Blob REST: Put Blob, Put Block, Put Block
List, Get Blob; Entra scope https://storage.azure.com/.default), the SAS kept secret, and the typed
errors that name the fix before anything is sent (Learn how-to batch-blob-storage)."""

from __future__ import annotations

import base64
import time
from collections import namedtuple
from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.errors import APIConnectionError, ConfigurationError
from shared_core.services.batch_blob import plan_create_blob_batch
from shared_core.services.batch_runner import BatchRunner
from shared_core.services.blob_storage import (
    STORAGE_SCOPE,
    X_MS_VERSION,
    BlobStorage,
    BlobStorageError,
    block_id,
    storage_credential,
)

ACCOUNT = "https://acct.blob.core.windows.net"
SIG = "c2VjcmV0LXNpZw%3D%3D"
SAS = f"sv=2025-01-05&sr=c&sp=rcw&se=2030-01-01T00%3A00%3A00Z&sig={SIG}"
Token = namedtuple("Token", "token expires_on")


class Recorder:
    def __init__(self, answer: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda request: httpx.Response(201))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response: httpx.Response = self.answer(request)
        return response

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def never_wait(seconds: float) -> None:
    raise AssertionError(f"an unexpected retry (would wait {seconds} s)")


def storage(rec: Recorder, **kw: Any) -> BlobStorage:
    kw.setdefault("sleep", never_wait)
    return BlobStorage(
        f"{ACCOUNT}/batch-input/run-1?{SAS}", f"{ACCOUNT}/batch-output?{SAS}", http_client=rec.client(), **kw
    )


def test_a_file_within_one_block_is_one_put_blob() -> None:
    rec = Recorder()
    url = storage(rec).put("part 0.jsonl", b'{"custom_id":"azoai-0"}\n')
    assert url == f"{ACCOUNT}/batch-input/run-1/part%200.jsonl"  # no SAS: this URL goes to Azure
    (req,) = rec.requests
    assert req.method == "PUT" and str(req.url) == f"{url}?{SAS}"  # the SAS exactly as given
    assert req.headers["x-ms-blob-type"] == "BlockBlob" and req.headers["x-ms-version"] == X_MS_VERSION
    assert req.content == b'{"custom_id":"azoai-0"}\n' and "authorization" not in req.headers


def test_a_larger_file_goes_up_as_blocks_then_one_block_list() -> None:
    rec = Recorder()
    chunks = iter([b"01", b"234567", b"89"])  # a stream: never joined whole
    url = storage(rec, block_size=4).put("big.jsonl", chunks)
    ids = [block_id(n) for n in range(3)]
    assert len({len(i) for i in ids}) == 1 and base64.b64decode(ids[2]) == b"azoai-000002"
    sent = [(str(r.url), r.content) for r in rec.requests]
    assert sent == [
        (f"{url}?{SAS}&comp=block&blockid={ids[0].replace('=', '%3D')}", b"0123"),
        (f"{url}?{SAS}&comp=block&blockid={ids[1].replace('=', '%3D')}", b"4567"),
        (f"{url}?{SAS}&comp=block&blockid={ids[2].replace('=', '%3D')}", b"89"),
        (
            f"{url}?{SAS}&comp=blocklist",
            (
                '<?xml version="1.0" encoding="utf-8"?><BlockList>'
                f"<Latest>{ids[0]}</Latest><Latest>{ids[1]}</Latest><Latest>{ids[2]}</Latest></BlockList>"
            ).encode(),
        ),
    ]
    assert all("x-ms-blob-type" not in r.headers for r in rec.requests)


def test_blocks_are_read_from_the_stream_only_as_they_are_sent() -> None:
    pulled: list[int] = []

    def lines() -> Any:
        for i in range(10):
            pulled.append(i)
            yield b"abcd"

    seen: list[int] = []
    rec = Recorder(lambda request: (seen.append(len(pulled)), httpx.Response(201))[1])
    storage(rec, block_size=4).put("s.jsonl", lines())
    assert seen == [2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10]  # never more than two blocks held; then the list


def test_entra_tokens_are_asked_for_the_storage_scope() -> None:
    scopes: list[str] = []

    class Cred:
        def get_token(self, *wanted: str, **kw: Any) -> Any:
            scopes.extend(wanted)
            return Token("storage-token", int(time.time()) + 3600)

    rec = Recorder()
    blob = BlobStorage(
        f"{ACCOUNT}/in", f"{ACCOUNT}/out", credential=storage_credential(Cred()), http_client=rec.client()
    )
    blob.put("a.jsonl", b"x\n")
    (req,) = rec.requests
    assert scopes == [STORAGE_SCOPE] == ["https://storage.azure.com/.default"]
    assert req.headers["authorization"] == "Bearer storage-token" and req.url.query == b""
    assert req.headers["x-ms-version"] >= "2017-11-09"  # the first version that takes Bearer tokens
    assert "storage-token" not in repr(blob)


def test_the_sas_stays_out_of_repr_and_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        body = (
            '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code>'
            "<Message>This request is not authorized to perform this operation using this permission.</Message></Error>"
        )
        return httpx.Response(403, headers={"x-ms-error-code": "AuthorizationPermissionMismatch"}, content=body)

    blob = storage(Recorder(refuse))
    assert SIG not in repr(blob) and "sig" not in repr(blob)
    with pytest.raises(BlobStorageError) as e:
        blob.put("a.jsonl", b"x\n")
    assert e.value.status_code == 403 and e.value.code == "AuthorizationPermissionMismatch"
    # a refusal is not retried (never_wait would have raised)
    assert str(e.value) == (
        f"Blob storage answered 403 AuthorizationPermissionMismatch to PUT {ACCOUNT}/batch-input/run-1/a.jsonl: "
        "This request is not authorized to perform this operation using this permission. (the identity lacks "
        "access: give it 'Storage Blob Data Contributor' on the storage account (or use a SAS with read, write "
        "and create permissions))"
    )


def test_a_connection_failure_names_the_url_without_the_sas() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    waits: list[float] = []
    rec = Recorder(down)
    with pytest.raises(APIConnectionError) as e:
        storage(rec, sleep=waits.append, max_retries=2).put("a.jsonl", b"x\n")
    assert SIG not in str(e.value) and e.value.url == f"{ACCOUNT}/batch-input/run-1/a.jsonl"
    assert len(rec.requests) == 3 and waits == [0.5, 1.0]  # two more attempts, backing off


def test_throttling_and_server_errors_are_retried_then_reported() -> None:
    answers = iter(
        [
            httpx.Response(503, headers={"x-ms-error-code": "ServerBusy", "retry-after": "3"}),
            httpx.Response(500, headers={"x-ms-error-code": "OperationTimedOut"}),
            httpx.Response(201),
        ]
    )
    waits: list[float] = []
    rec = Recorder(lambda request: next(answers))
    storage(rec, sleep=waits.append).put("a.jsonl", b"x\n")
    assert len(rec.requests) == 3 and waits == [3.0, 1.0]  # Retry-After first, then the backoff
    assert {r.content for r in rec.requests} == {b"x\n"}
    busy = Recorder(lambda request: httpx.Response(503, headers={"x-ms-error-code": "ServerBusy"}))
    with pytest.raises(BlobStorageError) as e:
        storage(busy, sleep=waits.append, max_retries=1).put("a.jsonl", b"x\n")
    assert e.value.code == "ServerBusy" and len(busy.requests) == 2


async def test_a_read_is_retried_before_its_first_byte_only() -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, content=b'{"a":1}\n')

    waits: list[float] = []

    async def asleep(seconds: float) -> None:
        waits.append(seconds)

    blob = BlobStorage(
        f"{ACCOUNT}/in?{SAS}",
        f"{ACCOUNT}/out?{SAS}",
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        asleep=asleep,
    )
    assert [line async for line in blob.aiter_lines(f"{ACCOUNT}/out/x/results.jsonl")] == [b'{"a":1}']
    assert len(calls) == 2 and waits == [0.5]
    await blob.aclose()


def test_reads_stream_lines_and_a_blob_never_written_reads_empty() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("errors.jsonl"):  # Azure names it even when it wrote none
            return httpx.Response(404, headers={"x-ms-error-code": "BlobNotFound"})
        return httpx.Response(200, content=iter([b'{"a":1}\n{"b"', b":2}\n\n", b'{"c":3}']))

    rec = Recorder(answer)
    blob = storage(rec)
    out = f"{ACCOUNT}/batch-output/4d2c/results.jsonl"
    assert list(blob.iter_lines(out)) == [b'{"a":1}', b'{"b":2}', b'{"c":3}']
    assert list(blob.iter_lines(f"{ACCOUNT}/batch-output/4d2c/errors.jsonl")) == []
    assert str(rec.requests[0].url) == f"{out}?{SAS}" and rec.requests[0].method == "GET"


def test_a_missing_container_is_an_error_not_an_empty_result() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, headers={"x-ms-error-code": "ContainerNotFound"})

    with pytest.raises(BlobStorageError) as e:
        list(storage(Recorder(answer)).iter_lines(f"{ACCOUNT}/batch-output/x/results.jsonl"))
    assert e.value.code == "ContainerNotFound" and "create it, or fix the folder URL" in str(e.value)


# --------------------------------------------------------------------------- checked before sending


def test_a_non_https_url_is_refused_naming_the_form_to_use() -> None:
    with pytest.raises(ConfigurationError) as e:
        BlobStorage(f"http://acct.blob.core.windows.net/in?{SAS}", f"{ACCOUNT}/out", sas=SAS)
    assert e.value.setting == "input_folder" and SIG not in str(e.value)
    assert "is not an https URL: Azure OpenAI and Blob storage take https://ACCOUNT.blob.core.windows.net/" in str(
        e.value
    )


def test_a_missing_output_folder_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        BlobStorage(f"{ACCOUNT}/in", "", sas=SAS)
    assert e.value.setting == "output_folder" and str(e.value).startswith("output_folder is empty: give the https URL")
    with pytest.raises(ConfigurationError) as e:
        plan_create_blob_batch(f"{ACCOUNT}/in/a.jsonl", "")
    assert e.value.setting == "output_folder" and "needs output_folder" in str(e.value)


def test_storage_without_a_sas_or_credential_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        BlobStorage(f"{ACCOUNT}/in", f"{ACCOUNT}/out")
    assert e.value.setting == "credential" and STORAGE_SCOPE in str(e.value)
    assert "Storage Blob Data Contributor" in str(e.value)


def test_metadata_with_input_blob_is_refused_before_sending() -> None:
    with pytest.raises(ConfigurationError) as e:
        plan_create_blob_batch(f"{ACCOUNT}/in/a.jsonl", f"{ACCOUNT}/out", metadata={"job": "1"})
    assert e.value.setting == "metadata" and str(e.value).startswith(
        "metadata is not supported on batches that read from Blob storage"
    )


def test_a_sas_is_never_sent_to_azure_in_input_blob() -> None:
    with pytest.raises(ConfigurationError) as e:
        plan_create_blob_batch(f"{ACCOUNT}/in/a.jsonl?{SAS}", f"{ACCOUNT}/out")
    assert e.value.setting == "input_blob" and "system-assigned managed identity" in str(e.value)
    assert SIG not in str(e.value)


def test_the_create_request_is_the_one_learn_documents() -> None:
    plan = plan_create_blob_batch(f"{ACCOUNT}/in/a.jsonl", f"{ACCOUNT}/out/", endpoint="/v1/chat/completions")
    assert plan.body == {
        "input_file_id": None,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "input_blob": f"{ACCOUNT}/in/a.jsonl",
        "output_folder": {"url": f"{ACCOUNT}/out"},
    }


def test_the_runner_refuses_something_else_as_blob() -> None:
    client = CoreClient.from_settings(azure_endpoint=ACCOUNT, api_key="k", require_deployment=False)
    with pytest.raises(ConfigurationError) as e:
        BatchRunner(client, "gpt-5.2", blob=f"{ACCOUNT}/in")  # type: ignore[arg-type]
    assert e.value.setting == "blob" and "BlobStorage(input_folder, output_folder" in str(e.value)
    client.close()
