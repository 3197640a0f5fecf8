"""The emulator served over loopback: the openai SDK as an independent client, connection faults, load."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import openai
import pytest

from shared_core.emulator.server import EmulatorHandle, main, start_in_thread
from tests._deployments import with_legacy

KEY = "azoai-emulator-key"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorHandle]:
    handle = start_in_thread(deployments=with_legacy(), region="West Europe")
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _reset(server: EmulatorHandle) -> None:
    httpx.post(f"{server.url}/_emulator/reset").raise_for_status()


def sdk(server: EmulatorHandle) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version="2024-10-21", max_retries=0)


def test_handle_binds_loopback(server: EmulatorHandle) -> None:
    assert server.url.startswith("http://127.0.0.1:") and server.port > 0 and server.api_key == KEY


def test_sdk_chat(server: EmulatorHandle) -> None:
    raw = sdk(server).chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "What is 12 * 12?"}]
    )
    assert raw.headers["x-ms-region"] == "West Europe" and raw.headers["x-ms-deployment-name"] == "gpt-4o-mini"
    out = raw.parse()
    assert out.choices[0].message.content == "144" and out.usage is not None and out.usage.completion_tokens == 1


def test_sdk_stream(server: EmulatorHandle) -> None:
    stream = sdk(server).chat.completions.create(
        model="gpt-5.2",
        messages=[{"role": "user", "content": "What is 40 + 2?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "42" and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_sdk_tools(server: EmulatorHandle) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_delivery_date",
            "description": "Get the delivery date for an order",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
        },
    }
    out = sdk(server).chat.completions.create(
        model="gpt-5.2",
        tools=[tool],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "When will order order_12345 be delivered?"}],
    )
    call = out.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_delivery_date"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"order_id": "order_12345"}  # type: ignore[union-attr]


def test_sdk_embeddings_base64(server: EmulatorHandle) -> None:
    out = sdk(server).embeddings.create(model="text-embedding-3-small", input=["alpha beta", "gamma"], dimensions=64)
    assert [len(d.embedding) for d in out.data] == [64, 64]
    assert abs(sum(x * x for x in out.data[0].embedding) - 1.0) < 1e-5


def test_sdk_maps_azure_errors(server: EmulatorHandle) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        sdk(server).chat.completions.create(model="missing", messages=[{"role": "user", "content": "x"}])
    assert nf.value.body["code"] == "DeploymentNotFound"  # type: ignore[index]
    bad = openai.AzureOpenAI(azure_endpoint=server.url, api_key="nope", api_version="2024-10-21", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-5.2", messages=[{"role": "user", "content": "x"}])


def test_region_down_close_drops_connection(server: EmulatorHandle) -> None:
    httpx.post(f"{server.url}/_emulator/faults", json={"region_down": "close"}).raise_for_status()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(
            f"{server.url}/openai/v1/chat/completions",
            headers={"api-key": KEY},
            json={"model": "gpt-5.2", "messages": [{"role": "user", "content": "x"}]},
        )


def test_stream_cut_and_stall_over_loopback(server: EmulatorHandle) -> None:
    body = {
        "model": "gpt-5.2",
        "stream": True,
        "messages": [{"role": "user", "content": "Tell me about the Roman empire"}],
    }
    url = f"{server.url}/openai/v1/chat/completions"
    httpx.post(
        f"{server.url}/_emulator/faults", json={"deployment": "gpt-5.2", "stream_cut_after": 2}
    ).raise_for_status()
    received: list[bytes] = []
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        with httpx.stream("POST", url, json=body, headers={"api-key": KEY}) as r:
            assert r.status_code == 200
            for chunk in r.iter_raw():
                received.append(chunk)
    assert b"[DONE]" not in b"".join(received)
    httpx.post(
        f"{server.url}/_emulator/faults", json={"deployment": "gpt-5.2", "stream_stall_after": 1}
    ).raise_for_status()
    with pytest.raises(httpx.ReadTimeout):
        with httpx.stream("POST", url, json=body, headers={"api-key": KEY}, timeout=httpx.Timeout(5, read=0.3)) as r:
            for _ in r.iter_raw():
                pass


def test_bounded_load_against_cli_server() -> None:
    """``azoai emulator`` in a subprocess; 2,000 requests over 16 keep-alive connections: only configured faults fail."""
    cmd = [
        sys.executable,
        "-m",
        "azoai_app.cli",
        "emulator",
        "--port",
        "0",
        "--log-level",
        "warning",
        "--deployment",
        "load=gpt-4o-mini,tpm=0",
        "--faults",
        '{"error_every": 100}',
        "--region",
        "Norway East",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "on http://127.0.0.1:" in first and "Norway East" in first
        url = first.rsplit(" ", 1)[-1].strip()

        host, port = url[len("http://") :].split(":")

        async def connection(first: int, count: int) -> list[int]:
            # A plain keep-alive HTTP/1.1 client: the load is on the server, not on a client library.
            reader, writer = await asyncio.open_connection(host, int(port))
            codes = []
            try:
                for i in range(first, first + count):
                    body = json.dumps({"messages": [{"role": "user", "content": f"What is {i} + 1?"}]}).encode()
                    writer.write(
                        b"POST /openai/deployments/load/chat/completions?api-version=2024-10-21 HTTP/1.1\r\n"
                        b"Host: emu\r\napi-key: " + KEY.encode() + b"\r\ncontent-type: application/json\r\n"
                        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head.split(b" ", 2)[1])
                    length = int(
                        next(
                            ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")
                        )
                    )
                    payload = json.loads(await reader.readexactly(length))
                    if status == 200:
                        assert payload["choices"][0]["message"]["content"] == str(i + 1)
                    codes.append(status)
            finally:
                writer.close()
            return codes

        async def run() -> list[int]:
            per = await asyncio.gather(*(connection(c * 125, 125) for c in range(16)))  # 16 concurrent x 125
            return [code for codes in per for code in codes]

        codes = asyncio.run(run())
        assert len(codes) == 2000 and codes.count(200) == 1980 and codes.count(500) == 20
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_rejects_bad_deployment_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--deployment", "=gpt-5.2", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "expected NAME=MODEL" in err and "--deployment" in err


def test_two_instances_stand_for_two_regions(server: EmulatorHandle) -> None:
    with start_in_thread(deployments=with_legacy(), region="Sweden Central") as second:
        assert second.port != server.port
        regions = {httpx.get(f"{h.url}/_emulator/state").json()["region"] for h in (server, second)}
        r = httpx.post(
            f"{second.url}/openai/v1/embeddings",
            headers={"api-key": KEY},
            json={"model": "text-embedding-3-small", "input": "x"},
        )
    assert regions == {"West Europe", "Sweden Central"} and r.headers["x-ms-region"] == "Sweden Central"
