"""Images and audio over CoreClient with httpx.MockTransport: the bytes on the wire, the parsed
results, and the typed errors raised before anything is sent."""

from __future__ import annotations

import base64
import io
import json
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target
from shared_core.errors import APIStatusError, BadRequestError, ConfigurationError
from shared_core.policy.transport import Hooks
from shared_core.services import media_client as mc
from shared_core.wire.media import GeneratedImage, ImageResult

ENDPOINT = "https://res.openai.azure.com"
KEY = "k-secret-123"
PNG = b"\x89PNG\r\n\x1a\n-fake-png"
WAV_TYPE = mimetypes.guess_type("a.wav")[0]  # audio/x-wav or audio/wav, by platform
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt -fake-wav"
IMAGES_OK = {
    "created": 1700000000,
    "data": [{"b64_json": base64.b64encode(PNG).decode(), "revised_prompt": "A red fox, watercolour."}],
}

Handler = Callable[[httpx.Request], httpx.Response]


async def _no_asleep(_: float) -> None:
    return None


class Wire:
    """A scripted Azure: records every request, answers from a list (the last one repeats)."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers) or [httpx.Response(200, json=IMAGES_OK)]
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def client(self, deployment: str = "dall-e-3", api_version: str = "2024-10-21", **kw: Any) -> CoreClient:
        return CoreClient.from_settings(
            azure_endpoint=ENDPOINT,
            api_key=KEY,
            deployment=deployment,
            api_version=api_version,
            http_client=httpx.Client(transport=httpx.MockTransport(self)),
            http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(self)),
            **kw,
        )


def multipart(request: httpx.Request, body: bytes) -> dict[str, list[tuple[str | None, str | None, bytes]]]:
    """Parts by field name: (filename, content type, content)."""
    ctype = request.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    boundary = ctype.split("boundary=", 1)[1].encode()
    parts: dict[str, list[tuple[str | None, str | None, bytes]]] = {}
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, content = chunk[2:-2].partition(b"\r\n\r\n")
        disposition = head.split(b"\r\n")[0].decode()
        name = disposition.split('name="', 1)[1].split('"', 1)[0]
        filename = disposition.split('filename="', 1)[1].split('"', 1)[0] if "filename=" in disposition else None
        ptype = None
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"content-type:"):
                ptype = line.split(b":", 1)[1].strip().decode()
        parts.setdefault(name, []).append((filename, ptype, content))
    return parts


# --------------------------------------------------------------------------------------- images


def test_generate_image_dated_wire_and_result() -> None:
    wire = Wire()
    result = mc.generate_image(
        wire.client(), "a red fox", size="1792x1024", quality="hd", style="natural", response_format="b64_json"
    )
    (req,) = wire.requests
    assert req.method == "POST"
    assert str(req.url) == f"{ENDPOINT}/openai/deployments/dall-e-3/images/generations?api-version=2024-10-21"
    assert req.headers["api-key"] == KEY and req.headers["content-type"] == "application/json"
    assert json.loads(wire.bodies[0]) == {
        "prompt": "a red fox",
        "size": "1792x1024",
        "quality": "hd",
        "style": "natural",
        "response_format": "b64_json",
    }
    assert result.created == 1700000000 and result.images[0].revised_prompt == "A red fox, watercolour."
    assert result.images[0].image_bytes() == PNG
    assert result.meta is not None and result.meta.status == 200
    assert result.meta.client_request_id == req.headers["x-ms-client-request-id"]


async def test_generate_image_v1_puts_the_deployment_in_the_body() -> None:
    wire = Wire()
    client = wire.client(deployment="my-images", api_version="v1")
    sync = mc.generate_image(client, "a red fox", n=2)
    async_ = await mc.agenerate_image(client, "a red fox", n=2)
    assert [str(r.url) for r in wire.requests] == [f"{ENDPOINT}/openai/v1/images/generations"] * 2
    assert (
        json.loads(wire.bodies[0])
        == json.loads(wire.bodies[1])
        == {"model": "my-images", "prompt": "a red fox", "n": 2}
    )
    assert sync.images == async_.images


def test_model_override_names_another_deployment() -> None:
    wire = Wire()
    mc.generate_image(wire.client(deployment="gpt-4o"), "a fox", model="dalle3-eu")
    assert str(wire.requests[0].url).startswith(f"{ENDPOINT}/openai/deployments/dalle3-eu/images/generations?")


def test_image_edit_multipart_parts() -> None:
    wire = Wire()
    result = mc.edit_image(
        wire.client(deployment="gpt-image-1", api_version="v1"),
        ("fox.png", PNG),
        "make it blue",
        mask=io.BytesIO(b"MASK"),
        size="1024x1536",
    )
    (req,) = wire.requests
    assert str(req.url) == f"{ENDPOINT}/openai/v1/images/edits"
    assert req.headers["accept"] == "application/json" and req.headers["api-key"] == KEY
    parts = multipart(req, wire.bodies[0])
    assert parts["prompt"] == [(None, None, b"make it blue")]
    assert parts["model"] == [(None, None, b"gpt-image-1")]
    assert parts["size"] == [(None, None, b"1024x1536")]
    assert parts["image"] == [("fox.png", "image/png", PNG)]
    assert parts["mask"] == [("mask.png", "image/png", b"MASK")]
    assert result.images[0].image_bytes() == PNG


def test_image_edit_with_several_images_from_paths(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.jpg"
    a.write_bytes(PNG)
    b.write_bytes(b"JPEG")
    wire = Wire()
    mc.edit_image(wire.client(deployment="gpt-image-1"), [a, str(b)], "merge them")
    parts = multipart(wire.requests[0], wire.bodies[0])
    assert parts["image[]"] == [("a.png", "image/png", PNG), ("b.jpg", "image/jpeg", b"JPEG")]
    assert "model" not in parts  # the dated route names the deployment in the URL


@pytest.mark.parametrize(
    "deployment, kw, setting, message",
    [
        (
            "dall-e-3",
            {"size": "512x512"},
            "size",
            "size='512x512' is not supported by dall-e-3: use one of 1024x1024, 1792x1024, 1024x1792",
        ),
        ("dall-e-3", {"n": 2}, "n", "n=2: dall-e-3 makes one image per request; send 2 requests instead"),
        (
            "my-dalle3",
            {"quality": "high"},
            "quality",
            "quality='high' is not supported by dall-e-3: use one of standard, hd",
        ),
        (
            "gpt-image-1",
            {"response_format": "url"},
            "response_format",
            "gpt-image-1 always returns base64 images and takes no response_format: leave it unset",
        ),
        (
            "dall-e-2",
            {"style": "vivid"},
            "style",
            "style is a dall-e-3 option; dall-e-2 does not take it: leave it unset",
        ),
        ("images", {"style": "cubist"}, "style", "style='cubist' is not an image style: use 'vivid' or 'natural'"),
        (
            "images",
            {"response_format": "png"},
            "response_format",
            "response_format='png' is not an image format: use 'url' or 'b64_json'",
        ),
        ("images", {"n": 11}, "n", "n=11: ask for between 1 and 10 images"),
    ],
)
def test_bad_image_options_raise_before_sending(
    deployment: str, kw: dict[str, Any], setting: str, message: str
) -> None:
    wire = Wire()
    with pytest.raises(ConfigurationError) as e:
        mc.generate_image(wire.client(deployment=deployment), "a fox", **kw)
    assert (e.value.setting, str(e.value)) == (setting, message)
    assert wire.requests == []


def test_unknown_deployment_name_leaves_sizes_to_azure() -> None:
    wire = Wire()
    mc.generate_image(wire.client(deployment="images"), "a fox", size="640x480")
    assert json.loads(wire.bodies[0])["size"] == "640x480"


async def test_empty_prompt() -> None:
    wire = Wire()
    with pytest.raises(ConfigurationError) as e:
        await mc.agenerate_image(wire.client(), "   ")
    assert (e.value.setting, str(e.value)) == ("prompt", "the image prompt is empty: describe the image")
    with pytest.raises(ConfigurationError) as e:
        mc.edit_image(wire.client(), PNG, "")
    assert (e.value.setting, str(e.value)) == ("prompt", "the edit prompt is empty: say what to change")
    assert wire.requests == []


def test_azure_refusal_is_a_typed_error() -> None:
    refusal = {
        "error": {
            "code": "content_policy_violation",
            "message": "Your request was rejected.",
            "inner_error": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_results": {"violence": {"filtered": True, "severity": "high"}},
            },
        }
    }
    wire = Wire(httpx.Response(400, json=refusal))
    with pytest.raises(BadRequestError) as e:
        mc.generate_image(wire.client(max_retries=0), "something violent")
    assert e.value.status == 400 and len(wire.requests) == 1


def test_download_image_sends_no_credential() -> None:
    seen: list[httpx.Request] = []

    def blob(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "expired" in request.url.path:
            return httpx.Response(403, content=b"<Error>AuthenticationFailed</Error>")
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})

    http = httpx.Client(transport=httpx.MockTransport(blob))
    image = GeneratedImage(url="https://dalleprod.blob.core.windows.net/private/x.png?sig=abc", b64_json=None)
    assert mc.download_image(image, http=http) == PNG
    assert "api-key" not in seen[0].headers and "authorization" not in seen[0].headers
    assert str(seen[0].url) == image.url
    assert mc.download_image(GeneratedImage(url=None, b64_json=base64.b64encode(PNG).decode())) == PNG
    with pytest.raises(APIStatusError) as e:
        mc.download_image("https://dalleprod.blob.core.windows.net/expired.png", http=http)
    assert e.value.status == 403 and "expire after 24 hours" in str(e.value)
    with pytest.raises(ConfigurationError) as ce:
        image.image_bytes()
    assert ce.value.setting == "response_format" and "download_image" in str(ce.value)


async def test_adownload_image() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=PNG)))
    assert await mc.adownload_image("https://blob.example/x.png", http=http) == PNG


# ---------------------------------------------------------------------------------------- speech


def test_speech_wire_and_result() -> None:
    wire = Wire(httpx.Response(200, content=WAV, headers={"content-type": "audio/wav"}))
    result = mc.speech(wire.client(deployment="tts"), "Hello there.", voice="nova", response_format="wav", speed=1.5)
    (req,) = wire.requests
    assert str(req.url) == f"{ENDPOINT}/openai/deployments/tts/audio/speech?api-version=2024-10-21"
    assert req.headers["accept"] == "application/octet-stream"
    assert req.headers["content-type"] == "application/json"
    assert json.loads(wire.bodies[0]) == {
        "input": "Hello there.",
        "voice": "nova",
        "response_format": "wav",
        "speed": 1.5,
    }
    assert (result.audio, result.content_type) == (WAV, "audio/wav")
    assert result.meta is not None and result.meta.deployment is None


async def test_aspeech_v1_default_voice_and_content_type_from_format() -> None:
    wire = Wire(httpx.Response(200, content=b"ID3mp3", headers={"content-type": "application/octet-stream"}))
    result = await mc.aspeech(wire.client(deployment="tts-hd", api_version="v1"), "Hi")
    assert str(wire.requests[0].url) == f"{ENDPOINT}/openai/v1/audio/speech"
    assert json.loads(wire.bodies[0]) == {"model": "tts-hd", "input": "Hi", "voice": "alloy"}
    assert (result.audio, result.content_type) == (b"ID3mp3", "audio/mpeg")


def test_speech_errors() -> None:
    wire = Wire()
    with pytest.raises(ConfigurationError) as e:
        mc.speech(wire.client(deployment="tts"), "Hi", voice="robot")
    assert e.value.setting == "voice"
    assert str(e.value) == (
        "voice='robot' is not a text-to-speech voice: use one of alloy, ash, ballad, coral, "
        "echo, fable, nova, onyx, sage, shimmer, verse, marin, cedar (a voice newer than this "
        "list: pass it unchecked as extra_body={'voice': ...})"
    )
    with pytest.raises(ConfigurationError) as e:
        mc.speech(wire.client(deployment="tts"), "")
    assert (e.value.setting, str(e.value)) == ("input", "the speech input text is empty")
    assert wire.requests == []


def test_extra_body_sends_a_voice_unchecked() -> None:
    wire = Wire(httpx.Response(200, content=b"ID3", headers={"content-type": "audio/mpeg"}))
    mc.speech(wire.client(deployment="tts"), "Hi", extra_body={"voice": "aurora"})
    assert json.loads(wire.bodies[0]) == {"input": "Hi", "voice": "aurora"}


def test_speech_answered_with_json_is_reported() -> None:
    wire = Wire(httpx.Response(200, json={"odd": True}))
    with pytest.raises(APIStatusError) as e:
        mc.speech(wire.client(deployment="tts"), "Hi")
    assert str(e.value).startswith("Azure answered HTTP 200 with dict where audio bytes was expected")


# ----------------------------------------------------------------------------- transcriptions


def test_transcribe_path_wire_and_verbose_result(tmp_path: Path) -> None:
    audio = tmp_path / "meeting.mp3"
    audio.write_bytes(b"ID3-fake-mp3")
    verbose = {
        "task": "transcribe",
        "language": "dutch",
        "duration": 2.5,
        "text": "Hallo.",
        "segments": [{"id": 0, "start": 0.0, "end": 2.5, "text": "Hallo."}],
        "words": [{"word": "Hallo", "start": 0.1, "end": 0.6}],
    }
    wire = Wire(httpx.Response(200, json=verbose))
    result = mc.transcribe(
        wire.client(deployment="whisper"),
        audio,
        language="nl",
        prompt="Names: Anouk.",
        response_format="verbose_json",
        temperature=0,
        timestamp_granularities=["word", "segment"],
    )
    (req,) = wire.requests
    assert str(req.url) == f"{ENDPOINT}/openai/deployments/whisper/audio/transcriptions?api-version=2024-10-21"
    assert req.headers["accept"] == "application/json"
    parts = multipart(req, wire.bodies[0])
    assert parts == {
        "language": [(None, None, b"nl")],
        "prompt": [(None, None, b"Names: Anouk.")],
        "response_format": [(None, None, b"verbose_json")],
        "temperature": [(None, None, b"0")],
        "timestamp_granularities[]": [(None, None, b"word"), (None, None, b"segment")],
        "file": [("meeting.mp3", "audio/mpeg", b"ID3-fake-mp3")],
    }
    assert (result.text, result.language, result.duration, result.words[0]["word"]) == ("Hallo.", "dutch", 2.5, "Hallo")


async def test_atranscribe_v1_text_format() -> None:
    wire = Wire(httpx.Response(200, content=b"Hello world.\n", headers={"content-type": "text/plain; charset=utf-8"}))
    result = await mc.atranscribe(
        wire.client(deployment="whisper", api_version="v1"), io.BytesIO(WAV), response_format="text"
    )
    assert str(wire.requests[0].url) == f"{ENDPOINT}/openai/v1/audio/transcriptions"
    parts = multipart(wire.requests[0], wire.bodies[0])
    assert parts["model"] == [(None, None, b"whisper")]
    assert parts["file"] == [("audio.wav", WAV_TYPE, WAV)]
    assert result.text == "Hello world.\n" and result.raw == "Hello world.\n"


def test_translate_sends_no_language() -> None:
    wire = Wire(httpx.Response(200, json={"text": "Good morning."}))
    result = mc.translate(wire.client(deployment="whisper"), ("ochtend.m4a", b"m4a-bytes"), prompt="Dutch speech")
    (req,) = wire.requests
    assert str(req.url) == f"{ENDPOINT}/openai/deployments/whisper/audio/translations?api-version=2024-10-21"
    parts = multipart(req, wire.bodies[0])
    assert set(parts) == {"prompt", "file"} and parts["file"][0][0] == "ochtend.m4a"
    assert result.text == "Good morning."


class OneShot:
    """A binary stream that can be read once and not rewound (a pipe, an HTTP body)."""

    name = "stream.wav"

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def read(self, size: int = -1) -> bytes:
        data, self._data = self._data or b"", b""
        return data


def test_a_retry_uploads_the_file_again() -> None:
    wire = Wire(
        httpx.Response(503, json={"error": {"code": "ServiceUnavailable", "message": "busy"}}),
        httpx.Response(200, json={"text": "ok"}),
    )
    client = CoreClient(
        resolve_target(azure_endpoint=ENDPOINT, api_key=KEY, deployment="whisper", env={}),
        options=ClientOptions(max_retries=1),
        hooks=Hooks(sleep=lambda _: None, asleep=_no_asleep),
        http_client=httpx.Client(transport=httpx.MockTransport(wire)),
    )
    assert mc.transcribe(client, OneShot(WAV)).text == "ok"  # a pipe or socket: no seek
    assert len(wire.requests) == 2
    first, second = (multipart(r, b)["file"] for r, b in zip(wire.requests, wire.bodies, strict=False))
    assert first == second and first[0][2] == WAV


def test_audio_input_errors(tmp_path: Path) -> None:
    wire = Wire()
    client = wire.client(deployment="whisper")
    with pytest.raises(ConfigurationError) as e:
        mc.transcribe(client, ("long.wav", b"\0" * (25 * 1024 * 1024 + 1)))
    assert e.value.setting == "file"
    assert str(e.value) == (
        "the audio file 'long.wav' is 25.0 MB; Azure accepts at most 25 MB per request: split it "
        "into shorter pieces or compress it (e.g. mp3 or opus at a lower bitrate)"
    )
    with pytest.raises(ConfigurationError) as e:
        mc.transcribe(client, ("empty.wav", b""))
    assert (e.value.setting, str(e.value)) == ("file", "the audio file 'empty.wav' is empty")
    missing = tmp_path / "nope.wav"
    with pytest.raises(ConfigurationError) as e:
        mc.translate(client, missing)
    assert e.value.setting == "file" and str(e.value) == (
        f"file: no file at {str(missing)!r}; pass a path to an existing file, bytes, or a file opened with mode 'rb'"
    )
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with text.open("r") as fh, pytest.raises(ConfigurationError) as e:
        mc.transcribe(client, fh)  # type: ignore[arg-type]
    assert str(e.value) == "file 'notes.wav' was opened in text mode: open it with mode 'rb'"
    with pytest.raises(ConfigurationError) as e:
        mc.transcribe(client, WAV, response_format="json", timestamp_granularities=["word"])
    assert e.value.setting == "timestamp_granularities" and "response_format='verbose_json'" in str(e.value)
    with pytest.raises(ConfigurationError) as e:
        mc.transcribe(client, WAV, response_format="mp3")
    assert e.value.setting == "response_format"
    assert wire.requests == []


def test_plans_are_shared_by_sync_and_async() -> None:
    client = Wire().client(deployment="whisper")
    plan = mc.plan_transcription(client, ("a.wav", WAV), language="en")
    assert (plan.operation, dict(plan.body), plan.model) == ("audio/transcriptions", {"language": "en"}, None)
    assert plan.files == [("file", ("a.wav", WAV, WAV_TYPE))]


def test_save_images_and_image_answer(tmp_path: Path) -> None:
    b64 = GeneratedImage(url=None, b64_json=base64.b64encode(PNG).decode())
    linked = GeneratedImage(url="https://dalleprod.blob.core.windows.net/private/y.png?sig=s", b64_json=None)
    result = ImageResult(created=1, images=(b64, linked), usage=None, raw={})
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=PNG + b"-2")))
    paths = mc.save_images(result, str(tmp_path / "out"), http=http)
    assert [Path(p).read_bytes() for p in paths] == [PNG, PNG + b"-2"]
    assert all(Path(p).parent == tmp_path / "out" and p.endswith(".png") for p in paths) and paths[0] != paths[1]
    assert mc.image_answer(result, paths) == "\n".join(paths)
    assert mc.image_answer(result, separator=" | ") == (
        f"data:image/png;base64,{b64.b64_json} | https://dalleprod.blob.core.windows.net/private/y.png?sig=s"
    )


async def test_asave_images(tmp_path: Path) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=PNG)))
    result = ImageResult(
        created=1, images=(GeneratedImage(url="https://blob.example/z.png", b64_json=None),), usage=None, raw={}
    )
    (path,) = await mc.asave_images(result, str(tmp_path), http=http)
    assert Path(path).read_bytes() == PNG


def test_public_calls_show_their_parameters() -> None:
    import inspect

    sig = inspect.signature(mc.atranscribe)
    assert list(sig.parameters)[:3] == ["client", "file", "language"] and sig.return_annotation == "Transcription"
    assert mc.generate_image.__name__ == "generate_image" and inspect.iscoroutinefunction(mc.agenerate_image)
    with pytest.raises(TypeError):
        mc.generate_image(Wire().client(), "a fox", sise="1024x1024")  # type: ignore[call-arg]
