"""Files, batches and fine-tuning over CoreClient with httpx.MockTransport: wire, parsing, polling,
and the input errors raised before anything is sent."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.errors import APITimeoutError, ConfigurationError, NotFoundError
from shared_core.services import jobs

ENDPOINT = "https://res.openai.azure.com"
KEY = "k-secret-123"
LINES = jobs.batch_lines(
    [
        ("q1", {"messages": [{"role": "user", "content": "Hi"}]}),
        ("q2", {"messages": [{"role": "user", "content": "Bye"}]}),
    ],
    deployment="gpt-4o-batch",
)


def batch(status: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": "batch_1",
        "object": "batch",
        "status": status,
        "endpoint": "/chat/completions",
        "input_file_id": "file-in",
        "output_file_id": kw.get("out"),
        "error_file_id": None,
        "request_counts": {"total": 2, "completed": 2 if status == "completed" else 0, "failed": 0},
    }


class Wire:
    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def client(self, api_version: str = "2024-10-21") -> CoreClient:
        return CoreClient.from_settings(
            azure_endpoint=ENDPOINT,
            api_key=KEY,
            api_version=api_version,
            max_retries=0,
            require_deployment=False,
            http_client=httpx.Client(transport=httpx.MockTransport(self)),
            http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(self)),
        )


def test_batch_lines_and_checks() -> None:
    first = json.loads(LINES.splitlines()[0])
    assert first == {
        "custom_id": "q1",
        "method": "POST",
        "url": "/chat/completions",
        "body": {"model": "gpt-4o-batch", "messages": [{"role": "user", "content": "Hi"}]},
    }
    assert jobs.check_batch_lines(LINES) == 2
    cases = [
        (
            b'{"custom_id": "a"}\nnot json\n',
            "batch input line 1 lacks method, url, body: each line needs custom_id, method, url and body",
        ),
        (LINES + b"{oops\n", "batch input line 3 is not valid JSON: write one JSON object per line"),
        (
            LINES + LINES.splitlines()[0] + b"\n",
            "batch input line 3 repeats custom_id 'q1': custom_id must be unique in the file",
        ),
        (b"\n\n", "the batch input file has no requests"),
    ]
    for content, message in cases:
        with pytest.raises(ConfigurationError) as e:
            jobs.check_batch_lines(content)
        assert (e.value.setting, str(e.value)) == ("file", message)
    with pytest.raises(ConfigurationError) as e:
        jobs.check_batch_lines(LINES, endpoint="/embeddings")
    assert "has url '/chat/completions' but the batch is for '/embeddings'" in str(e.value)


def test_upload_file_wire() -> None:
    meta = {
        "object": "file",
        "id": "file-in",
        "purpose": "batch",
        "filename": "in.jsonl",
        "bytes": len(LINES),
        "created_at": 1,
        "status": "processed",
    }
    wire = Wire(httpx.Response(201, json=meta))
    uploaded = jobs.upload_file(wire.client(), ("in.jsonl", LINES))
    (req,) = wire.requests
    assert req.method == "POST" and str(req.url) == f"{ENDPOINT}/openai/files?api-version=2024-10-21"
    body = wire.bodies[0]
    assert req.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="purpose"\r\n\r\nbatch\r\n' in body
    assert b'name="file"; filename="in.jsonl"' in body and LINES in body
    assert (uploaded.id, uploaded.bytes, uploaded.status) == ("file-in", len(LINES), "processed")
    jobs.upload_file(wire.client(api_version="v1"), ("in.jsonl", LINES), expires_after=1209600)
    assert str(wire.requests[1].url) == f"{ENDPOINT}/openai/v1/files"
    assert b'name="expires_after[anchor]"\r\n\r\ncreated_at\r\n' in wire.bodies[1]
    assert b'name="expires_after[seconds]"\r\n\r\n1209600\r\n' in wire.bodies[1]


def test_upload_refuses_bad_input_before_sending() -> None:
    wire = Wire()
    with pytest.raises(ConfigurationError) as e:
        jobs.upload_file(wire.client(), ("in.json", LINES))
    assert e.value.setting == "file" and "batch files must be JSONL named *.jsonl: got 'in.json'" in str(e.value)
    with pytest.raises(ConfigurationError) as e:
        jobs.upload_file(wire.client(), ("in.jsonl", LINES), purpose="training")
    assert e.value.setting == "purpose" and str(e.value).startswith("purpose='training' is not a file purpose")
    with pytest.raises(ConfigurationError) as e:
        jobs.create_batch(wire.client(), "file-in", endpoint="/completions")
    assert e.value.setting == "endpoint"
    with pytest.raises(ConfigurationError) as e:
        jobs.get_batch(wire.client(), "")
    assert e.value.setting == "batch_id"
    assert wire.requests == []


async def test_batch_calls_wire_dated_and_v1() -> None:
    wire = Wire(httpx.Response(200, json=batch("validating")))
    created = jobs.create_batch(wire.client(), "file-in", metadata={"team": "a"})
    assert created.status == "validating" and not created.done
    assert json.loads(wire.bodies[0]) == {
        "input_file_id": "file-in",
        "endpoint": "/chat/completions",
        "completion_window": "24h",
        "metadata": {"team": "a"},
    }
    await jobs.acancel_batch(wire.client(api_version="v1"), "batch_1")
    jobs.get_batch(wire.client(), "batch_1")
    assert [(r.method, str(r.url)) for r in wire.requests] == [
        ("POST", f"{ENDPOINT}/openai/batches?api-version=2024-10-21"),
        ("POST", f"{ENDPOINT}/openai/v1/batches/batch_1/cancel"),
        ("GET", f"{ENDPOINT}/openai/batches/batch_1?api-version=2024-10-21"),
    ]
    assert wire.bodies[2] == b"" and wire.requests[0].headers["api-key"] == KEY


def test_wait_for_batch_polls_until_done_with_injected_sleep() -> None:
    wire = Wire(
        httpx.Response(200, json=batch("validating")),
        httpx.Response(200, json=batch("in_progress")),
        httpx.Response(200, json=batch("completed", out="file-out")),
    )
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    done = jobs.wait_for_batch(wire.client(), "batch_1", poll_interval=5, timeout=60, sleep=sleep, clock=lambda: now[0])
    assert done.done and done.output_file_id == "file-out" and slept == [5, 5] and len(wire.requests) == 3


async def test_await_batch_gives_up_at_the_deadline() -> None:
    wire = Wire(httpx.Response(200, json=batch("in_progress")))
    now = [0.0]

    async def asleep(s: float) -> None:
        now[0] += s

    with pytest.raises(APITimeoutError) as e:
        await jobs.await_batch(
            wire.client(), "batch_1", poll_interval=4, timeout=10, asleep=asleep, clock=lambda: now[0]
        )
    assert str(e.value) == (
        "batch batch_1 is still 'in_progress' after 10 s of waiting; it keeps running on Azure: "
        "wait again with a longer timeout, or cancel it"
    )
    assert len(wire.requests) == 4 and now[0] == 10  # waits of 4, 4, then the 2 s left


def test_file_content_and_output_parsing() -> None:
    out = (
        b'{"custom_id": "q1", "response": {"status_code": 200, "body": {"choices": []}}, "error": null}\n'
        b'{"custom_id": "q2", "response": null, "error": {"code": "bad", "message": "x"}}\n'
    )
    wire = Wire(httpx.Response(200, content=out, headers={"content-type": "application/octet-stream"}))
    content = jobs.file_content(wire.client(), "file-out")
    assert content == out
    assert str(wire.requests[0].url) == f"{ENDPOINT}/openai/files/file-out/content?api-version=2024-10-21"
    parsed = jobs.parse_batch_output(content)
    assert parsed["q1"]["status_code"] == 200 and parsed["q2"] == {"error": {"code": "bad", "message": "x"}}


def test_missing_batch_is_a_typed_error() -> None:
    wire = Wire(httpx.Response(404, json={"error": {"code": "NotFound", "message": "Batch batch_9 not found."}}))
    with pytest.raises(NotFoundError) as e:
        jobs.get_batch(wire.client(), "batch_9")
    assert e.value.status == 404


def test_fine_tuning_wire() -> None:
    job = {
        "id": "ftjob-1",
        "object": "fine_tuning.job",
        "model": "gpt-4o-mini",
        "status": "pending",
        "training_file": "file-t",
        "fine_tuned_model": None,
    }
    wire = Wire(httpx.Response(201, json=job))
    created = jobs.create_fine_tuning_job(
        wire.client(), "file-t", "gpt-4o-mini", suffix="support", hyperparameters={"n_epochs": 2}
    )
    assert json.loads(wire.bodies[0]) == {
        "training_file": "file-t",
        "model": "gpt-4o-mini",
        "suffix": "support",
        "hyperparameters": {"n_epochs": 2},
    }
    assert str(wire.requests[0].url) == f"{ENDPOINT}/openai/fine_tuning/jobs?api-version=2024-10-21"
    assert (created.id, created.status, created.done) == ("ftjob-1", "pending", False)
    with pytest.raises(ConfigurationError) as e:
        jobs.create_fine_tuning_job(wire.client(), "file-t", "")
    assert e.value.setting == "model"
