"""Images and audio: request builders and response parsers (pure functions; the client sends).

Multipart builders return ``(data, files)`` in the shape ``httpx`` takes for
``client.post(url, data=data, files=files)``; JSON builders return the body dict. ``body_model``
(v1 / openai kinds, from ``Route.body_model``) becomes the ``model`` field in either form. Files
are given as bytes, a binary file object, or ``(filename, bytes_or_file[, content_type])``;
reading paths from disk is the caller's business.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from shared_core.errors import ConfigurationError
from shared_core.types import ResponseMeta, Usage
from shared_core.wire.chat import parse_usage
from shared_core.wire.shape import ShapeError, opt_str, wrong

FileInput = bytes | IO[bytes] | tuple[str, Any] | tuple[str, Any, str]
FilePart = tuple[str, tuple[str, Any, str]]

TRANSCRIPTION_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
SPEECH_FORMATS = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
#: Voices of the tts / gpt-4o-mini-tts models (Azure and OpenAI). A voice added later can be
#: sent unchecked with ``extra_body={"voice": ...}``.
VOICES = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "nova",
    "onyx",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)
#: Azure's upload limit for audio/transcriptions and audio/translations (25 MB).
MAX_AUDIO_BYTES = 25 * 1024 * 1024
#: Sizes, qualities and image counts per image model family (as Azure validates them).
IMAGE_SIZES = {
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "gpt-image-1": ("1024x1024", "1536x1024", "1024x1536", "auto"),
}
IMAGE_QUALITIES = {
    "dall-e-3": ("standard", "hd"),
    "dall-e-2": ("standard",),
    "gpt-image-1": ("low", "medium", "high", "auto"),
}
IMAGE_STYLES = ("vivid", "natural")
IMAGE_FORMATS = ("url", "b64_json")


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    """One image: a URL (valid 24 hours) or base64 PNG, with Azure's revised prompt and filter results."""

    url: str | None
    b64_json: str | None = field(repr=False)
    revised_prompt: str | None = None
    content_filter_results: Mapping[str, Any] | None = None
    prompt_filter_results: Mapping[str, Any] | None = None

    def image_bytes(self) -> bytes:
        """The decoded image when it came as ``b64_json`` (for a URL, use
        ``media_client.download_image``)."""
        if self.b64_json is None:
            raise ConfigurationError(
                "this image came as a URL, not base64: download it with "
                "shared_core.services.media_client.download_image(image), or ask for "
                "response_format='b64_json'",
                setting="response_format",
            )
        import base64

        return base64.b64decode(self.b64_json)


@dataclass(frozen=True, slots=True)
class ImageResult:
    """An ``images/generations`` or ``images/edits`` answer."""

    created: int
    images: tuple[GeneratedImage, ...]
    usage: Usage | None
    raw: Mapping[str, Any] = field(repr=False)
    meta: ResponseMeta | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Transcription:
    """A transcription or translation: the text (subtitles as they are for srt / vtt), plus
    language, duration, segments and words with ``verbose_json``."""

    text: str
    language: str | None = None
    duration: float | None = None
    segments: tuple[Mapping[str, Any], ...] = ()
    words: tuple[Mapping[str, Any], ...] = ()
    usage: Usage | None = None
    raw: Mapping[str, Any] | str = field(default_factory=dict, repr=False)
    meta: ResponseMeta | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """Synthesised speech: the audio bytes and their content type."""

    audio: bytes = field(repr=False)
    content_type: str
    meta: ResponseMeta | None = field(default=None, repr=False)


def _put(body: dict[str, Any], **values: Any) -> dict[str, Any]:
    for k, v in values.items():
        if v is not None:
            body[k] = v
    return body


def _form_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _file_part(field_name: str, value: FileInput, default_name: str) -> FilePart:
    if isinstance(value, tuple):
        filename = value[0]
        content = value[1]
        ctype = value[2] if len(value) > 2 else None
    elif isinstance(value, (bytes, bytearray)):
        filename, content, ctype = default_name, bytes(value), None
    elif hasattr(value, "read"):
        filename = str(getattr(value, "name", "") or default_name).replace("\\", "/")
        filename = filename.rsplit("/", 1)[-1]
        content, ctype = value, None
    else:
        raise ConfigurationError(
            f"{field_name} must be bytes, a binary file object or (filename, bytes): got {type(value).__name__}",
            setting=field_name,
        )
    if ctype is None:
        ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return (field_name, (filename, content, ctype))


def read_file(field_name: str, value: FileInput, default_name: str) -> tuple[str, bytes, str]:
    """A file input as ``(filename, bytes, content_type)``.

    File objects are read once here: httpx would consume them on the first attempt, and a retry
    would then upload an empty file.
    """
    _, (filename, content, ctype) = _file_part(field_name, value, default_name)
    if hasattr(content, "read"):
        content = content.read()
    if isinstance(content, str):
        raise ConfigurationError(
            f"{field_name} {filename!r} was opened in text mode: open it with mode 'rb'",
            setting=field_name,
        )
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise ConfigurationError(
            f"{field_name} must be bytes, a binary file object or (filename, bytes): got {type(content).__name__}",
            setting=field_name,
        )
    return filename, bytes(content), ctype


def check_audio_file(filename: str, content: bytes) -> None:
    """Refuse an empty audio file or one over Azure's 25 MB upload limit, before sending it."""
    if not content:
        raise ConfigurationError(f"the audio file {filename!r} is empty", setting="file")
    if len(content) > MAX_AUDIO_BYTES:
        raise ConfigurationError(
            f"the audio file {filename!r} is {len(content) / 1048576:.1f} MB; Azure accepts at "
            "most 25 MB per request: split it into shorter pieces or compress it (e.g. mp3 or "
            "opus at a lower bitrate)",
            setting="file",
        )


def image_family(name: str | None) -> str | None:
    """``dall-e-3``, ``dall-e-2`` or ``gpt-image-1`` when a model or deployment name says which
    (``my-dalle3``, ``dall-e-3``, ``gpt-image-1``); else None (validation is left to Azure)."""
    if not name:
        return None
    n = name.lower().replace("_", "-")
    if "gpt-image" in n:
        return "gpt-image-1"
    squashed = n.replace("-", "")
    if "dalle3" in squashed:
        return "dall-e-3"
    if "dalle2" in squashed:
        return "dall-e-2"
    return None


def check_image_options(
    family: str | None,
    *,
    n: int | None = None,
    size: str | None = None,
    quality: str | None = None,
    style: str | None = None,
    response_format: str | None = None,
) -> None:
    """Refuse options the image model is known not to take (``family`` from
    :func:`image_family`; None checks only what holds for every model)."""
    if n is not None and not 1 <= n <= 10:
        raise ConfigurationError(f"n={n}: ask for between 1 and 10 images", setting="n")
    if family == "dall-e-3" and n not in (None, 1):
        raise ConfigurationError(
            f"n={n}: dall-e-3 makes one image per request; send {n} requests instead",
            setting="n",
        )
    if response_format is not None:
        if response_format not in IMAGE_FORMATS:
            raise ConfigurationError(
                f"response_format={response_format!r} is not an image format: use 'url' or 'b64_json'",
                setting="response_format",
            )
        if family == "gpt-image-1":
            raise ConfigurationError(
                "gpt-image-1 always returns base64 images and takes no response_format: leave it unset",
                setting="response_format",
            )
    if style is not None:
        if style not in IMAGE_STYLES:
            raise ConfigurationError(
                f"style={style!r} is not an image style: use 'vivid' or 'natural'",
                setting="style",
            )
        if family in ("dall-e-2", "gpt-image-1"):
            raise ConfigurationError(
                f"style is a dall-e-3 option; {family} does not take it: leave it unset",
                setting="style",
            )
    if family is None:
        return
    if size is not None and size not in IMAGE_SIZES[family]:
        raise ConfigurationError(
            f"size={size!r} is not supported by {family}: use one of {', '.join(IMAGE_SIZES[family])}",
            setting="size",
        )
    if quality is not None and quality not in IMAGE_QUALITIES[family]:
        raise ConfigurationError(
            f"quality={quality!r} is not supported by {family}: use one of {', '.join(IMAGE_QUALITIES[family])}",
            setting="quality",
        )


def check_voice(voice: str) -> None:
    """Refuse a voice the speech models do not have, naming the ones they do."""
    if voice not in VOICES:
        raise ConfigurationError(
            f"voice={voice!r} is not a text-to-speech voice: use one of {', '.join(VOICES)} (a voice "
            "newer than this list: pass it unchecked as extra_body={'voice': ...})",
            setting="voice",
        )


# ------------------------------------------------------------------------------------- images


def build_image_generation_body(
    prompt: str,
    *,
    body_model: str | None = None,
    n: int | None = None,
    size: str | None = None,
    quality: str | None = None,
    style: str | None = None,
    response_format: str | None = None,
    user: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """JSON body for ``images/generations`` (dall-e-3: n=1; gpt-image-1 always returns b64)."""
    if not prompt or not prompt.strip():
        raise ConfigurationError("the image prompt is empty: describe the image", setting="prompt")
    body: dict[str, Any] = {"model": body_model} if body_model else {}
    body["prompt"] = prompt
    _put(body, n=n, size=size, quality=quality, style=style, response_format=response_format, user=user)
    if extra_body:
        body.update(extra_body)
    return body


def build_image_edit_form(
    image: FileInput | list[FileInput],
    prompt: str,
    *,
    mask: FileInput | None = None,
    body_model: str | None = None,
    n: int | None = None,
    size: str | None = None,
    quality: str | None = None,
    response_format: str | None = None,
    user: str | None = None,
    extra_fields: Mapping[str, Any] | None = None,
) -> tuple[dict[str, str], list[FilePart]]:
    """Multipart ``(data, files)`` for ``images/edits``; a list of images goes as ``image[]``."""
    if not prompt or not prompt.strip():
        raise ConfigurationError("the edit prompt is empty: say what to change", setting="prompt")
    images = list(image) if isinstance(image, list) else [image]
    field_name = "image[]" if len(images) > 1 else "image"
    files = [_file_part(field_name, img, f"image{i}.png") for i, img in enumerate(images)]
    if mask is not None:
        files.append(_file_part("mask", mask, "mask.png"))
    data = {"prompt": prompt}
    if body_model:
        data["model"] = body_model
    for k, v in {
        "n": n,
        "size": size,
        "quality": quality,
        "response_format": response_format,
        "user": user,
        **(extra_fields or {}),
    }.items():
        if v is not None:
            data[k] = _form_value(v)
    return data, files


def parse_images(data: Mapping[str, Any], meta: ResponseMeta | None = None) -> ImageResult:
    """``images/generations`` or ``images/edits`` JSON into ``ImageResult``.

    An answer without a ``data`` list of image objects, or carrying ``{"error": ...}`` (gateways
    send them with 200), raises the typed error (``UnexpectedResponseError`` or the diagnosed one).
    """
    try:
        items = data.get("data")
        if type(items) is not list:
            if data.get("error"):
                from shared_core.wire.diagnose import answer_error  # error path only

                raise answer_error(data, meta)
            raise ShapeError("'data' is missing") if items is None else wrong("data", items, "a list")
        images = []
        for pos, item in enumerate(items):
            if type(item) is not dict:
                raise wrong(f"data[{pos}]", item, "an object")
            images.append(
                GeneratedImage(
                    url=opt_str(item, "url", f"data[{pos}]"),
                    b64_json=opt_str(item, "b64_json", f"data[{pos}]"),
                    revised_prompt=opt_str(item, "revised_prompt", f"data[{pos}]"),
                    content_filter_results=item.get("content_filter_results") or item.get("content_filter_result"),
                    prompt_filter_results=item.get("prompt_filter_results"),
                )
            )
        return ImageResult(
            created=data.get("created") or 0,
            images=tuple(images),
            usage=_image_usage(data.get("usage")),
            raw=data,
            meta=meta,
        )
    except (ShapeError, AttributeError, TypeError, KeyError, IndexError) as exc:
        from shared_core.wire.diagnose import unexpected_answer  # error path only

        raise unexpected_answer(exc, meta, body=data, expected="an images answer") from None


def _image_usage(u: Mapping[str, Any] | None) -> Usage | None:
    if not u:
        return None
    if type(u) is not dict:
        raise wrong("usage", u, "an object")
    if "input_tokens" in u:  # gpt-image-1 reports input/output tokens
        i = u.get("input_tokens") or 0
        o = u.get("output_tokens") or 0
        return Usage(prompt_tokens=i, completion_tokens=o, total_tokens=u.get("total_tokens") or i + o, raw=u)
    return parse_usage(u)


# -------------------------------------------------------------------------------------- audio


def _transcription_usage(u: Mapping[str, Any] | None) -> Usage | None:
    # gpt-4o-transcribe reports tokens; whisper reports {"type": "duration", "seconds": N}
    if not u or (type(u) is dict and u.get("type") == "duration"):
        return None
    return _image_usage(u)


def build_speech_body(
    input: str,
    *,
    voice: str,
    body_model: str | None = None,
    response_format: str | None = None,
    speed: float | None = None,
    instructions: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """JSON body for ``audio/speech`` (text to speech)."""
    if not input:
        raise ConfigurationError("the speech input text is empty", setting="input")
    if response_format is not None and response_format not in SPEECH_FORMATS:
        raise ConfigurationError(
            f"response_format={response_format!r} is not a speech format: use one of {', '.join(SPEECH_FORMATS)}",
            setting="response_format",
        )
    if speed is not None and not 0.25 <= speed <= 4.0:
        raise ConfigurationError(f"speed={speed} must be between 0.25 and 4.0", setting="speed")
    body: dict[str, Any] = {"model": body_model} if body_model else {}
    body["input"] = input
    body["voice"] = voice
    _put(body, response_format=response_format, speed=speed, instructions=instructions)
    if extra_body:
        body.update(extra_body)
    return body


def parse_speech(
    content: bytes,
    headers: Mapping[str, str] | None = None,
    response_format: str | None = None,
    meta: ResponseMeta | None = None,
) -> SpeechResult:
    """The audio bytes and their content type (from the response, else from the format)."""
    ctype = None
    for k, v in (headers or {}).items():
        if k.lower() == "content-type":
            ctype = v.split(";", 1)[0].strip()
    if not ctype or ctype == "application/octet-stream":
        ctype = SPEECH_FORMATS.get(response_format or "mp3", ctype or "application/octet-stream")
    return SpeechResult(audio=content, content_type=ctype, meta=meta)


def build_transcription_form(
    file: FileInput,
    *,
    body_model: str | None = None,
    language: str | None = None,
    prompt: str | None = None,
    response_format: str | None = None,
    temperature: float | None = None,
    timestamp_granularities: Sequence[str] | None = None,
    extra_fields: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[FilePart]]:
    """Multipart ``(data, files)`` for ``audio/transcriptions`` (and, without ``language``,
    ``audio/translations``)."""
    if response_format is not None and response_format not in TRANSCRIPTION_FORMATS:
        raise ConfigurationError(
            f"response_format={response_format!r} is not a transcription format: use one of "
            f"{', '.join(TRANSCRIPTION_FORMATS)}",
            setting="response_format",
        )
    if timestamp_granularities and response_format != "verbose_json":
        raise ConfigurationError(
            "timestamp_granularities needs response_format='verbose_json' (the other formats carry no timestamps)",
            setting="timestamp_granularities",
        )
    data: dict[str, Any] = {}
    if body_model:
        data["model"] = body_model
    for k, v in {
        "language": language,
        "prompt": prompt,
        "response_format": response_format,
        "temperature": temperature,
        **(extra_fields or {}),
    }.items():
        if v is not None:
            data[k] = _form_value(v)
    if timestamp_granularities:
        data["timestamp_granularities[]"] = list(timestamp_granularities)
    return data, [_file_part("file", file, "audio.wav")]


def parse_transcription(body: Mapping[str, Any] | bytes | str, meta: ResponseMeta | None = None) -> Transcription:
    """A transcription / translation answer: JSON (``json``, ``verbose_json``) or plain text
    (``text``, ``srt``, ``vtt``, whose text is returned as is)."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8")
    if isinstance(body, str):
        return Transcription(text=body, raw=body, meta=meta)
    try:
        text = body.get("text")
        if type(text) is not str:
            if body.get("error"):
                from shared_core.wire.diagnose import answer_error  # error path only

                raise answer_error(body, meta)
            raise ShapeError("'text' is missing") if text is None else wrong("text", text, "a string")
        duration = body.get("duration")
        return Transcription(
            text=text,
            language=opt_str(body, "language", "transcription"),
            duration=float(duration) if duration is not None else None,
            segments=tuple(body.get("segments") or ()),
            words=tuple(body.get("words") or ()),
            usage=_transcription_usage(body.get("usage")),
            raw=body,
            meta=meta,
        )
    except (ShapeError, AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        from shared_core.wire.diagnose import unexpected_answer  # error path only

        raise unexpected_answer(exc, meta, body=body, expected="a transcription") from None


__all__ = [
    "IMAGE_SIZES",
    "MAX_AUDIO_BYTES",
    "VOICES",
    "GeneratedImage",
    "ImageResult",
    "SpeechResult",
    "Transcription",
    "build_image_edit_form",
    "build_image_generation_body",
    "build_speech_body",
    "build_transcription_form",
    "check_audio_file",
    "check_image_options",
    "check_voice",
    "image_family",
    "parse_images",
    "parse_speech",
    "parse_transcription",
    "read_file",
]
