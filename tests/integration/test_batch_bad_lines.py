"""A damaged line in a batch output file (emulator behind a transport that damages it, loopback-free
ASGI). Azure writes one output line per request (Learn, batch output format: ``custom_id`` per
line), so a line whose ``custom_id`` can still be read fails only that request, which a follow-up
batch answers; a line naming no request stops the job with a typed error saying where."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.emulator.app import EmulatorApp, create_app
from shared_core.emulator.config import ManualClock
from shared_core.errors import BatchOutputError
from shared_core.services.batch_manifest import MemoryManifestStore
from shared_core.services.batch_results import BAD_LINE
from shared_core.services.batch_runner import BatchRunner

LOCAL = "http://127.0.0.1"


class Damaging(httpx.AsyncBaseTransport):
    """The emulator, with the first output file read rewritten by ``damage`` (its lines in, lines out)."""

    def __init__(self, app: EmulatorApp, damage: Callable[[list[bytes]], list[bytes]]) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.damage = damage
        self.damaged: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "GET" and request.url.path.endswith("/content") and not self.damaged:
            data = await response.aread()
            if b"custom_id" in data:
                self.damaged.append(request.url.path.split("/")[-2])
                data = b"\n".join(self.damage(data.split(b"\n")))
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            return httpx.Response(response.status_code, headers=headers, content=data)
        return response


def job(damage: Callable[[list[bytes]], list[bytes]], **kw: Any) -> tuple[EmulatorApp, Damaging, BatchRunner]:
    clock = ManualClock()
    app = create_app(clock=clock, overrides={"job_seconds": 10})
    transport = Damaging(app, damage)
    client = CoreClient.from_settings(
        azure_endpoint=LOCAL,
        api_key="azoai-emulator-key",
        api_version="2024-10-21",
        require_deployment=False,
        max_retries=0,
        http_async_client=httpx.AsyncClient(transport=transport, base_url=LOCAL),
    )

    async def asleep(seconds: float) -> None:
        clock.advance(seconds)

    runner = BatchRunner(
        client,
        "gpt-5.2",
        store=MemoryManifestStore(),
        poll_interval=1.0,
        asleep=asleep,
        clock=clock,
        keep_files=True,
        **kw,
    )
    return app, transport, runner


def questions(n: int) -> list[dict[str, Any]]:
    return [{"messages": [{"role": "user", "content": f"What is {i} + 1?"}]} for i in range(n)]


def cut(cid: bytes) -> Callable[[list[bytes]], list[bytes]]:
    """The line answering ``cid`` cut in half (a truncated copy, as a broken proxy leaves it)."""
    return lambda lines: [ln[: len(ln) // 2] if b'"' + cid + b'"' in ln else ln for ln in lines]


async def test_a_cut_line_fails_only_its_request_and_a_follow_up_batch_answers_it() -> None:
    app, transport, runner = job(cut(b"azoai-1"))
    result = await runner.arun(questions(4))
    assert transport.damaged and result.complete and len(result.batch_ids) == 2
    assert [item.body["choices"][0]["message"]["content"] for item in result.items if item] == ["1", "2", "3", "4"]
    assert app.state()["batch_lines"] == {"submitted": 5, "distinct": 4, "repeated": 1}


async def test_reported_a_cut_line_is_that_request_s_failure_naming_the_file_and_line() -> None:
    app, transport, runner = job(cut(b"azoai-2"), on_failure="report")
    result = await runner.arun(questions(4))
    assert result.failed == [2] and result.answered == 3
    item = result.items[2]
    assert item is not None and item.error is not None and item.status_code is None and not item.ok
    assert item.error["code"] == BAD_LINE == "invalid_output_line"
    (fid,) = transport.damaged
    assert item.error["message"].startswith(
        f"line 3 of file {fid} (batch {result.batch_ids[0]}) is not a JSON object: "
    )


@pytest.mark.parametrize("bad", [b"<html><body>502 Bad Gateway</body></html>", b'["azoai-1"]', b"null"])
async def test_a_line_naming_no_request_is_a_typed_error_saying_where(bad: bytes) -> None:
    app, transport, runner = job(lambda lines: [lines[0], bad, *lines[1:]])
    with pytest.raises(BatchOutputError) as caught:
        await runner.arun(questions(3))
    (fid,) = transport.damaged
    err = caught.value
    assert (err.file_id, err.line, err.excerpt) == (fid, 2, bad.decode())
    assert err.batch_id == next(iter(app.jobs.batches))
    assert str(err).startswith(f"line 2 of file {fid} (batch {err.batch_id}) is not a JSON object naming a request")
