"""Images and audio: request builders (JSON and multipart) and response parsers."""

from __future__ import annotations

import io

import httpx
import pytest

from shared_core.errors import ConfigurationError
from shared_core.types import Usage
from shared_core.wire.media import (
    build_image_edit_form,
    build_image_generation_body,
    build_speech_body,
    build_transcription_form,
    parse_images,
    parse_speech,
    parse_transcription,
)

PNG = b"\x89PNG\r\n\x1a\nfake"


def test_image_generation_body() -> None:
    assert build_image_generation_body(
        "a red fox", n=1, size="1024x1024", quality="hd", style="natural", response_format="b64_json"
    ) == {
        "prompt": "a red fox",
        "n": 1,
        "size": "1024x1024",
        "quality": "hd",
        "style": "natural",
        "response_format": "b64_json",
    }
    assert build_image_generation_body("x", body_model="dalle3", extra_body={"user": "u"}) == {
        "model": "dalle3",
        "prompt": "x",
        "user": "u",
    }
    with pytest.raises(ConfigurationError) as e:
        build_image_generation_body("  ")
    assert e.value.setting == "prompt"


def test_image_edit_form_goes_through_httpx_multipart() -> None:
    data, files = build_image_edit_form(
        ("fox.png", PNG), "make it blue", mask=io.BytesIO(b"maskbytes"), n=2, body_model="gi1"
    )
    assert data == {"prompt": "make it blue", "model": "gi1", "n": "2"}
    assert files[0] == ("image", ("fox.png", PNG, "image/png"))
    assert files[1][0] == "mask" and files[1][1][0] == "mask.png"
    request = httpx.Request("POST", "https://x/images/edits", data=data, files=files)
    body = request.read()
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="prompt"\r\n\r\nmake it blue' in body
    assert b'name="image"; filename="fox.png"\r\nContent-Type: image/png' in body
    assert PNG in body and b"maskbytes" in body


def test_several_images_use_the_array_field() -> None:
    _, files = build_image_edit_form([PNG, ("b.jpg", b"jpg")], "merge")
    assert [(f[0], f[1][0], f[1][2]) for f in files] == [
        ("image[]", "image0.png", "image/png"),
        ("image[]", "b.jpg", "image/jpeg"),
    ]


def test_bad_file_input() -> None:
    with pytest.raises(ConfigurationError) as e:
        build_transcription_form("/tmp/a.wav")  # type: ignore[arg-type]
    assert e.value.setting == "file" and "bytes, a binary file object" in str(e.value)


def test_parse_images_with_azure_filter_fields() -> None:
    data = {
        "created": 1698116662,
        "data": [
            {
                "url": "https://dalleprod.blob.core.windows.net/private/images/x.png",
                "revised_prompt": "A vivid red fox...",
                "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}},
                "prompt_filter_results": {"jailbreak": {"filtered": False, "detected": False}},
            }
        ],
    }
    r = parse_images(data)
    assert r.created == 1698116662 and r.usage is None
    img = r.images[0]
    assert (img.url, img.b64_json, img.revised_prompt) == (data["data"][0]["url"], None, "A vivid red fox...")
    assert img.content_filter_results == {"hate": {"filtered": False, "severity": "safe"}}
    assert img.prompt_filter_results == {"jailbreak": {"filtered": False, "detected": False}}
    gi = parse_images(
        {
            "created": 1,
            "data": [{"b64_json": "iVBOR"}],
            "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210},
        }
    )
    assert gi.images[0].b64_json == "iVBOR"
    assert gi.usage == Usage(
        prompt_tokens=50,
        completion_tokens=4160,
        total_tokens=4210,
        raw={"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210},
    )


def test_speech_body_and_result() -> None:
    assert build_speech_body("Hello", voice="alloy", response_format="wav", speed=1.25, body_model="tts") == {
        "model": "tts",
        "input": "Hello",
        "voice": "alloy",
        "response_format": "wav",
        "speed": 1.25,
    }
    with pytest.raises(ConfigurationError) as e:
        build_speech_body("Hello", voice="alloy", response_format="ogg")
    assert e.value.setting == "response_format" and "mp3, opus" in str(e.value)
    with pytest.raises(ConfigurationError) as e:
        build_speech_body("Hello", voice="alloy", speed=5)
    assert e.value.setting == "speed"
    r = parse_speech(b"ID3", {"Content-Type": "audio/mpeg"})
    assert (r.audio, r.content_type) == (b"ID3", "audio/mpeg")
    assert (
        parse_speech(b"RIFF", {"content-type": "application/octet-stream"}, response_format="wav").content_type
        == "audio/wav"
    )


def test_transcription_form() -> None:
    data, files = build_transcription_form(
        ("call.mp3", b"mp3bytes"),
        language="nl",
        response_format="verbose_json",
        temperature=0,
        timestamp_granularities=["word", "segment"],
    )
    assert data == {
        "language": "nl",
        "response_format": "verbose_json",
        "temperature": "0",
        "timestamp_granularities[]": ["word", "segment"],
    }
    assert files == [("file", ("call.mp3", b"mp3bytes", "audio/mpeg"))]
    request = httpx.Request("POST", "https://x/audio/transcriptions", data=data, files=files)
    body = request.read()
    assert body.count(b'name="timestamp_granularities[]"') == 2
    with pytest.raises(ConfigurationError) as e:
        build_transcription_form(b"x", response_format="mp3")
    assert e.value.setting == "response_format"


def test_parse_transcriptions() -> None:
    simple = parse_transcription({"text": "Hello world."})
    assert (simple.text, simple.language, simple.duration) == ("Hello world.", None, None)
    verbose = parse_transcription(
        {
            "task": "transcribe",
            "language": "english",
            "duration": 2.5,
            "text": "Hi.",
            "segments": [{"id": 0, "start": 0.0, "end": 2.5, "text": "Hi."}],
            "words": [{"word": "Hi", "start": 0.1, "end": 0.4}],
            "usage": {"type": "duration", "seconds": 3},
        }
    )
    assert (verbose.language, verbose.duration, len(verbose.segments), verbose.words[0]["word"], verbose.usage) == (
        "english",
        2.5,
        1,
        "Hi",
        None,
    )
    tokens = parse_transcription(
        {"text": "x", "usage": {"type": "tokens", "input_tokens": 14, "output_tokens": 3, "total_tokens": 17}}
    )
    assert tokens.usage is not None and tokens.usage.total_tokens == 17
    srt = parse_transcription(b"1\n00:00:00,000 --> 00:00:02,500\nHi.\n")
    assert srt.text.startswith("1\n00:00:00,000") and srt.raw == srt.text
