"""Images, audio, files, batches, fine-tuning and models on the emulator, in-process."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from shared_core.emulator.app import create_app
from shared_core.emulator.config import ManualClock
from shared_core.emulator.media import PNG_MAGIC
from tests._deployments import with_legacy

H = {"api-key": "azoai-emulator-key"}
V = "?api-version=2024-10-21"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(deployments=with_legacy(), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        yield c


async def test_image_generation_url_and_b64(client: httpx.AsyncClient) -> None:
    url = f"/openai/deployments/dall-e-3/images/generations{V}"
    r = await client.post(url, headers=H, json={"prompt": "a red fox", "size": "1792x1024"})
    assert r.status_code == 200
    item = r.json()["data"][0]
    assert item["revised_prompt"] == "a red fox" and item["url"].startswith("http://emu/_emulator/blobs/")
    assert item["prompt_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    blob = await client.get(item["url"])
    assert (
        blob.status_code == 200 and blob.content.startswith(PNG_MAGIC) and blob.headers["content-type"] == "image/png"
    )
    r2 = await client.post(
        url, headers=H, json={"prompt": "a red fox", "size": "1792x1024", "response_format": "b64_json"}
    )
    assert base64.b64decode(r2.json()["data"][0]["b64_json"]) == blob.content


@pytest.mark.parametrize(
    "body, param",
    [
        ({"prompt": "x", "n": 2}, "n"),
        ({"prompt": "x", "size": "10x10"}, "size"),
        ({"prompt": "x", "style": "cubist"}, "style"),
        ({}, "prompt"),
    ],
)
async def test_image_generation_validation(client: httpx.AsyncClient, body: dict[str, object], param: str) -> None:
    r = await client.post(f"/openai/deployments/dall-e-3/images/generations{V}", headers=H, json=body)
    assert r.status_code == 400 and r.json()["error"]["param"] == param


async def test_image_prompt_filter(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"/openai/deployments/dall-e-3/images/generations{V}", headers=H, json={"prompt": "emulator-block-hate"}
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert (
        err["code"] == "content_policy_violation" and err["inner_error"]["content_filter_results"]["hate"]["filtered"]
    )


async def test_image_edit_needs_png(client: httpx.AsyncClient) -> None:
    url = f"/openai/deployments/dall-e-3/images/edits{V}"
    png = (
        await client.post(
            f"/openai/deployments/dall-e-3/images/generations{V}",
            headers=H,
            json={"prompt": "a", "response_format": "b64_json"},
        )
    ).json()["data"][0]["b64_json"]
    r = await client.post(
        url,
        headers=H,
        data={"prompt": "make it blue", "response_format": "b64_json"},
        files={"image": ("a.png", base64.b64decode(png), "image/png")},
    )
    assert r.status_code == 200 and base64.b64decode(r.json()["data"][0]["b64_json"]).startswith(PNG_MAGIC)
    r = await client.post(url, headers=H, data={"prompt": "x"}, files={"image": ("a.png", b"GIF89a", "image/png")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_image_format"


async def test_speech_then_transcription_round_trip(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"/openai/deployments/tts/audio/speech{V}",
        headers=H,
        json={"input": "The quick brown fox.", "voice": "alloy", "response_format": "wav"},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content[:4] == b"RIFF"
    audio = r.content
    for op, fmt, expect in [
        ("transcriptions", "json", {"text": "The quick brown fox."}),
        ("translations", "text", "The quick brown fox.\n"),
    ]:
        t = await client.post(
            f"/openai/deployments/whisper/audio/{op}{V}",
            headers=H,
            data={"response_format": fmt},
            files={"file": ("speech.wav", audio, "audio/wav")},
        )
        assert t.status_code == 200
        assert (t.json() if fmt == "json" else t.text) == expect
    vtt = await client.post(
        f"/openai/deployments/whisper/audio/transcriptions{V}",
        headers=H,
        data={"response_format": "vtt"},
        files={"file": ("speech.wav", audio, "audio/wav")},
    )
    assert vtt.text.startswith("WEBVTT\n\n00:00:00.000 --> ") and "The quick brown fox." in vtt.text


async def test_audio_validation(client: httpx.AsyncClient) -> None:
    r = await client.post(f"/openai/deployments/tts/audio/speech{V}", headers=H, json={"input": "x", "voice": "robot"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "voice"
    r = await client.post(
        f"/openai/deployments/whisper/audio/transcriptions{V}",
        headers=H,
        files={"file": ("notes.txt", b"abc", "text/plain")},
    )
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("Invalid file format.")
    r = await client.post(f"/openai/deployments/whisper/audio/transcriptions{V}", headers=H, json={"x": 1})
    assert r.status_code == 400 and "multipart/form-data" in r.json()["error"]["message"]
    r = await client.post(
        "/openai/v1/audio/transcriptions", headers=H, data={"model": "whisper"}, files={"f": ("a.wav", b"x")}
    )
    assert r.status_code == 400 and r.json()["error"]["message"] == "Missing required parameter: 'file'."


async def test_files_and_batch_lifecycle(client: httpx.AsyncClient, clock: ManualClock) -> None:
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"What is {i} + 1?"}]},
        }
        for i in range(3)
    ]
    data = "\n".join(json.dumps(x) for x in lines).encode()
    r = await client.post(f"/openai/files{V}", headers=H, data={"purpose": "batch"}, files={"file": ("in.jsonl", data)})
    assert r.status_code == 201 and r.json()["status"] == "processed" and r.json()["bytes"] == len(data)
    fid = r.json()["id"]
    assert (await client.get(f"/openai/files/{fid}/content{V}", headers=H)).content == data
    b = await client.post(
        f"/openai/batches{V}",
        headers=H,
        json={"input_file_id": fid, "endpoint": "/chat/completions", "completion_window": "24h"},
    )
    assert b.status_code == 200 and b.json()["status"] == "validating" and b.json()["request_counts"]["total"] == 3
    bid = b.json()["id"]
    clock.advance(0.5)
    assert (await client.get(f"/openai/batches/{bid}{V}", headers=H)).json()["status"] == "in_progress"
    clock.advance(2)
    done = (await client.get(f"/openai/v1/batches/{bid}", headers=H)).json()
    assert done["status"] == "completed" and done["request_counts"] == {"total": 3, "completed": 3, "failed": 0}
    out = (await client.get(f"/openai/files/{done['output_file_id']}/content{V}", headers=H)).text.splitlines()
    answers = {
        json.loads(x)["custom_id"]: json.loads(x)["response"]["body"]["choices"][0]["message"]["content"] for x in out
    }
    assert answers == {"r0": "1", "r1": "2", "r2": "3"}
    listed = (await client.get(f"/openai/batches{V}", headers=H)).json()
    assert [x["id"] for x in listed["data"]] == [bid]
    assert (await client.delete(f"/openai/files/{fid}{V}", headers=H)).json() == {
        "object": "file",
        "id": fid,
        "deleted": True,
    }
    assert (await client.get(f"/openai/files/{fid}{V}", headers=H)).status_code == 404


async def test_batch_and_file_validation(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"/openai/files{V}", headers=H, data={"purpose": "batch"}, files={"file": ("in.jsonl", b'{"a": 1}')}
    )
    assert r.status_code == 400 and "custom_id" in r.json()["error"]["message"]
    r = await client.post(f"/openai/files{V}", headers=H, data={"purpose": "pets"}, files={"file": ("in.jsonl", b"")})
    assert r.status_code == 400 and r.json()["error"]["param"] == "purpose"
    r = await client.post(
        f"/openai/batches{V}",
        headers=H,
        json={"input_file_id": "file-x", "endpoint": "/chat/completions", "completion_window": "24h"},
    )
    assert r.status_code == 404


async def test_fine_tuning_lifecycle_and_models(client: httpx.AsyncClient, clock: ManualClock) -> None:
    data = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
    fid = (
        await client.post(
            f"/openai/files{V}", headers=H, data={"purpose": "fine-tune"}, files={"file": ("train.jsonl", data)}
        )
    ).json()["id"]
    r = await client.post(
        f"/openai/fine_tuning/jobs{V}", headers=H, json={"model": "gpt-4o-mini", "training_file": fid, "suffix": "demo"}
    )
    assert r.status_code == 201 and r.json()["status"] == "pending"
    jid = r.json()["id"]
    clock.advance(3)
    job = (await client.get(f"/openai/fine_tuning/jobs/{jid}{V}", headers=H)).json()
    assert job["status"] == "succeeded" and job["fine_tuned_model"].startswith("gpt-4o-mini.ft-")
    assert job["fine_tuned_model"].endswith("-demo")
    events = (await client.get(f"/openai/fine_tuning/jobs/{jid}/events{V}", headers=H)).json()["data"]
    assert [e["message"] for e in events] == ["Job succeeded", "Job started", "Job enqueued"]
    models = (await client.get(f"/openai/models{V}", headers=H)).json()["data"]
    ids = {m["id"] for m in models}
    assert {"gpt-4o", "text-embedding-3-small", job["fine_tuned_model"]} <= ids
    one = await client.get("/openai/v1/models/gpt-4o", headers=H)
    assert one.json()["capabilities"]["chat_completion"] is True
    assert (await client.delete(f"/openai/fine_tuning/jobs/{jid}{V}", headers=H)).status_code == 204
    r = await client.post(
        f"/openai/fine_tuning/jobs{V}", headers=H, json={"model": "gpt-4o-mini", "training_file": "file-nope"}
    )
    assert r.status_code == 404
