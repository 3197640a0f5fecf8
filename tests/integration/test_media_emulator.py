"""Images and audio through CoreClient against the emulator: in-process (ASGI) and over loopback."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.emulator.app import create_app
from shared_core.emulator.server import EmulatorHandle, start_in_thread
from shared_core.errors import BadRequestError
from shared_core.services import media_client as mc
from tests._deployments import with_legacy

LOCAL = "http://127.0.0.1"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking every chunk's CRC and inflating the pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc
        if tag == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)  # filter byte + RGB per row
    return width, height


def wav_info(data: bytes) -> tuple[int, int]:
    """(sample rate, data bytes) of a RIFF/WAVE file."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    pos, rate, size = 12, 0, 0
    while pos + 8 <= len(data):
        tag, (ln,) = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])
        if tag == b"fmt ":
            rate = struct.unpack("<I", data[pos + 12 : pos + 16])[0]
        elif tag == b"data":
            size = ln
        pos += 8 + ln + (ln % 2)
    return rate, size


@pytest.fixture
def asgi() -> tuple[CoreClient, httpx.AsyncClient]:
    ahttp = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(deployments=with_legacy())), base_url=LOCAL)
    client = CoreClient.from_settings(
        azure_endpoint=LOCAL,
        api_key="azoai-emulator-key",
        deployment="dall-e-3",
        api_version="2024-10-21",
        max_retries=0,
        http_async_client=ahttp,
    )
    return client, ahttp


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorHandle]:
    handle = start_in_thread(deployments=with_legacy())
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    """Loopback tests start with fresh rate-limit windows (images: 60 RPM, 10 per 10 s)."""
    if "server" in request.fixturenames:
        handle = request.getfixturevalue("server")
        httpx.post(f"{handle.url}/_emulator/reset").raise_for_status()


def loopback(server: EmulatorHandle, deployment: str = "dall-e-3", api_version: str = "2024-10-21") -> CoreClient:
    return CoreClient.from_settings(
        azure_endpoint=server.url, api_key=server.api_key, deployment=deployment, api_version=api_version, max_retries=0
    )


async def test_in_process_image_speech_transcription(asgi: tuple[CoreClient, httpx.AsyncClient]) -> None:
    client, ahttp = asgi
    b64 = await mc.agenerate_image(client, "a red fox", size="1792x1024", response_format="b64_json")
    assert png_size(b64.images[0].image_bytes()) == (32, 32)  # the emulator draws small PNGs
    assert b64.images[0].revised_prompt == "a red fox" and b64.meta is not None
    assert b64.meta.deployment == "dall-e-3"
    by_url = await mc.agenerate_image(client, "a red fox", size="1792x1024")
    assert by_url.images[0].url is not None and by_url.images[0].b64_json is None
    assert await mc.adownload_image(by_url.images[0], http=ahttp) == b64.images[0].image_bytes()

    spoken = await mc.aspeech(client, "The quick brown fox jumps.", voice="onyx", response_format="wav", model="tts")
    assert spoken.content_type == "audio/wav"
    rate, size = wav_info(spoken.audio)
    assert rate == 8000 and size > 0
    heard = await mc.atranscribe(client, ("fox.wav", spoken.audio), model="whisper", response_format="verbose_json")
    assert (heard.text, heard.language) == ("The quick brown fox jumps.", "english")
    assert heard.duration is not None and heard.duration > 0
    translated = await mc.atranslate(client, ("fox.wav", spoken.audio), model="whisper")
    assert translated.text == "The quick brown fox jumps."

    edited = await mc.aedit_image(
        client, ("fox.png", b64.images[0].image_bytes()), "make it blue", response_format="b64_json"
    )
    assert png_size(edited.images[0].image_bytes()) == (32, 32)
    assert edited.images[0].image_bytes() != b64.images[0].image_bytes()


def test_loopback_round_trip(server: EmulatorHandle) -> None:
    images = loopback(server)
    result = mc.generate_image(images, "a lighthouse at dusk", quality="hd", style="natural")
    assert result.images[0].url is not None and result.images[0].url.startswith(server.url)
    assert png_size(mc.download_image(result.images[0])) == (32, 32)

    tts = loopback(server, "tts")
    spoken = mc.speech(tts, "Hello from the lighthouse.", voice="alloy", response_format="wav")
    assert spoken.audio[:4] == b"RIFF" and spoken.content_type == "audio/wav"
    whisper = loopback(server, "whisper", api_version="v1")  # /openai/v1 with the deployment in the form
    assert mc.transcribe(whisper, ("hello.wav", spoken.audio)).text == "Hello from the lighthouse."
    text = mc.translate(whisper, ("hello.wav", spoken.audio), response_format="text")
    assert text.text == "Hello from the lighthouse.\n"
    srt = mc.transcribe(whisper, ("hello.wav", spoken.audio), response_format="srt")
    assert srt.text.startswith("1\n00:00:00,000 --> 00:00:00,") and "Hello from the lighthouse." in srt.text


def test_loopback_errors_are_typed(server: EmulatorHandle) -> None:
    # diagnose.py maps the image filter's code (content_policy_violation) to BadRequestError today;
    # ContentFilterError is a subclass, so this holds either way.
    with pytest.raises(BadRequestError) as f:
        mc.generate_image(loopback(server), "emulator-block-hate")
    assert f.value.status == 400 and "safety system" in str(f.value)
    whisper = loopback(server, "whisper")
    with pytest.raises(BadRequestError) as e:
        mc.transcribe(whisper, ("notes.txt", b"not audio"))
    assert e.value.status == 400 and "Invalid file format" in str(e.value)


async def test_batch_lifecycle_in_process() -> None:
    from shared_core.emulator.config import ManualClock
    from shared_core.services import jobs

    clock = ManualClock()
    ahttp = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(deployments=with_legacy(), clock=clock)), base_url=LOCAL
    )
    client = CoreClient.from_settings(
        azure_endpoint=LOCAL,
        api_key="azoai-emulator-key",
        api_version="2024-10-21",
        require_deployment=False,
        max_retries=0,
        http_async_client=ahttp,
    )
    lines = jobs.batch_lines(
        [(f"r{i}", {"messages": [{"role": "user", "content": f"What is {i} + 1?"}]}) for i in range(3)],
        deployment="gpt-4o-mini",
    )
    uploaded = await jobs.aupload_file(client, ("questions.jsonl", lines))
    assert uploaded.purpose == "batch" and uploaded.bytes == len(lines)
    created = await jobs.acreate_batch(client, uploaded.id)
    assert created.status == "validating" and created.request_counts["total"] == 3

    async def asleep(seconds: float) -> None:  # the emulator's jobs run on its clock
        clock.advance(seconds)

    done = await jobs.await_batch(client, created.id, poll_interval=0.5, timeout=30, asleep=asleep, clock=clock)
    assert done.status == "completed" and done.request_counts == {"total": 3, "completed": 3, "failed": 0}
    assert done.output_file_id is not None
    output = jobs.parse_batch_output(await jobs.afile_content(client, done.output_file_id))
    answers = {cid: r["body"]["choices"][0]["message"]["content"] for cid, r in output.items()}
    assert answers == {"r0": "1", "r1": "2", "r2": "3"}
    assert [b.id async for b in jobs.alist_batches(client)] == [created.id]
    assert await jobs.adelete_file(client, uploaded.id) is True


def test_fine_tuning_lifecycle_loopback() -> None:
    from shared_core.emulator.config import ManualClock
    from shared_core.services import jobs

    clock = ManualClock()
    handle = start_in_thread(deployments=with_legacy(), clock=clock)
    try:
        client = CoreClient.from_settings(
            azure_endpoint=handle.url,
            api_key=handle.api_key,
            max_retries=0,
            api_version="2024-10-21",
            require_deployment=False,
        )
        example = json.dumps(
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
        )
        training = jobs.upload_file(client, ("train.jsonl", (example + "\n").encode() * 10), purpose="fine-tune")
        job = jobs.create_fine_tuning_job(client, training.id, "gpt-4o-mini", suffix="greeter")
        assert job.status == "pending"
        done = jobs.wait_for_fine_tuning_job(
            client, job.id, poll_interval=1, timeout=60, sleep=clock.advance, clock=clock
        )
        assert done.status == "succeeded" and done.fine_tuned_model is not None
        assert done.fine_tuned_model.startswith("gpt-4o-mini.ft-") and done.fine_tuned_model.endswith("-greeter")
        second = jobs.create_fine_tuning_job(client, training.id, "gpt-4o-mini")
        assert jobs.cancel_fine_tuning_job(client, second.id).status == "cancelled"
    finally:
        handle.stop()
