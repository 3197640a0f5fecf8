"""Image and audio rules (generations/edits, speech, transcriptions/translations).

Multipart operations put their form fields in ``ctx.body`` and their uploads in ``ctx.scratch["files"]``.
"""

from __future__ import annotations

from typing import Any

from . import azure
from .rules import Ctx, rule

JSON = dict[str, Any]
IMAGE_PARAMS = frozenset(
    "prompt model n size quality style response_format user output_format background moderation "
    "output_compression".split()
)
SPEECH_PARAMS = frozenset("input model voice response_format speed instructions stream_format".split())
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")
AUDIO_EXTS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
SIZES = {
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "gpt-image-1": ("1024x1024", "1536x1024", "1024x1536", "auto"),
    "gpt-image-1-mini": ("1024x1024", "1536x1024", "1024x1536", "auto"),
}
SPEC = "Azure inference spec 2024-10-21 / 2025-04-01-preview (request schema)"


@rule(
    "images.unknown_parameter",
    "images",
    stage=10,
    what="a generations field the schema does not define",
    code=None,
    param=None,
    message="Unrecognized request argument supplied: {name}",
    source="issue Azure/azure-rest-api-specs#29545 (message shape)",
)
def _unknown(ctx: Ctx) -> None:
    if ctx.scratch.get("edit"):
        return
    for key in ctx.body:
        if key not in IMAGE_PARAMS:
            raise azure.unrecognized_argument(key)


@rule(
    "images.prompt",
    "images",
    stage=20,
    what="`prompt` a non-empty string of at most 4,000 characters",
    code="missing_required_parameter",
    param="prompt",
    message="Missing required parameter: 'prompt'.",
    source=SPEC,
)
def _prompt(ctx: Ctx) -> None:
    prompt = ctx.body.get("prompt")
    if not prompt:
        raise azure.missing_parameter("prompt")
    if not isinstance(prompt, str):
        raise azure.invalid_type("prompt", "a string")
    if len(prompt) > 4000:
        raise azure.invalid_value(
            "prompt", "Invalid 'prompt': string too long. Expected a string with maximum length 4000."
        )


@rule(
    "images.n",
    "images",
    stage=30,
    what="`n` 1..10, and exactly 1 on dall-e-3",
    code="invalid_value",
    param="n",
    message="You must provide n=1 for this model.",
    source=SPEC + " (dall-e-3: n must be 1)",
)
def _n(ctx: Ctx) -> None:
    n = ctx.body.get("n") or 1
    if isinstance(n, bool) or not isinstance(n, int):  # a string, list or object: Azure's type error, not a 500
        raise azure.invalid_type("n", "an integer")
    if ctx.dep.model == "dall-e-3" and n != 1:
        raise azure.invalid_value("n", "You must provide n=1 for this model.")
    if not 1 <= n <= 10:
        raise azure.invalid_value("n", "Invalid value for 'n': must be between 1 and 10.")


@rule(
    "images.size",
    "images",
    stage=30,
    what="`size` one the model renders (dall-e-3: 1024x1024, 1792x1024, "
    "1024x1792; gpt-image-1: 1024x1024, 1536x1024, 1024x1536, auto)",
    code="invalid_value",
    param="size",
    message="The size is not supported by this model. Supported values are: {sizes}.",
    source="Learn how-to/dall-e (sizes per model)",
)
def _size(ctx: Ctx) -> None:
    size = ctx.body.get("size") or "1024x1024"
    allowed = SIZES.get(ctx.dep.model, SIZES["dall-e-3"])
    if size not in allowed:
        raise azure.invalid_value(
            "size", f"The size is not supported by this model. Supported values are: {', '.join(allowed)}."
        )


@rule(
    "images.enums",
    "images",
    stage=30,
    what="`quality`, `style`, `response_format` in their enums",
    code="invalid_value",
    param="{name}",
    message="Invalid value: '{value}'. Supported values are: ...",
    source=SPEC,
)
def _enums(ctx: Ctx) -> None:
    quality = ctx.body.get("quality") or "standard"
    if quality not in ("standard", "hd", "low", "medium", "high", "auto"):
        raise azure.invalid_value("quality", f"Invalid value: '{quality}'. Supported values are: 'standard' and 'hd'.")
    style = ctx.body.get("style") or "vivid"
    if style not in ("vivid", "natural"):
        raise azure.invalid_value("style", f"Invalid value: '{style}'. Supported values are: 'vivid' and 'natural'.")
    fmt = ctx.body.get("response_format") or "url"
    if fmt not in ("url", "b64_json"):
        raise azure.invalid_value(
            "response_format", f"Invalid value: '{fmt}'. Supported values are: 'url' and 'b64_json'."
        )


@rule(
    "speech.unknown_parameter",
    "speech",
    stage=10,
    what="a speech field the schema does not define",
    code=None,
    param=None,
    message="Unrecognized request argument supplied: {name}",
    source="issue Azure/azure-rest-api-specs#29545 (message shape)",
)
def _speech_unknown(ctx: Ctx) -> None:
    for key in ctx.body:
        if key not in SPEECH_PARAMS:
            raise azure.unrecognized_argument(key)


@rule(
    "speech.input",
    "speech",
    stage=20,
    what="`input` a string of at most 4,096 characters",
    code="missing_required_parameter",
    param="input",
    message="Missing required parameter: 'input'.",
    source=SPEC + " (createSpeechRequest: input maxLength 4096)",
)
def _speech_input(ctx: Ctx) -> None:
    text = ctx.body.get("input")
    if text is None:
        raise azure.missing_parameter("input")
    if not isinstance(text, str):
        raise azure.invalid_type("input", "a string")
    if len(text) > 4096:
        raise azure.invalid_value(
            "input", "Invalid 'input': string too long. Expected a string with maximum length 4096."
        )


@rule(
    "speech.voice_format_speed",
    "speech",
    stage=30,
    what="`voice` a known voice, `response_format` mp3/opus/aac/flac/wav/pcm, `speed` 0.25..4",
    code="invalid_value",
    param="{name}",
    message="Invalid value: '{value}'. Supported values are: ...",
    source=SPEC,
)
def _speech_values(ctx: Ctx) -> None:
    voice = ctx.body.get("voice")
    if voice is None:
        raise azure.missing_parameter("voice")
    if voice not in VOICES:
        raise azure.invalid_value(
            "voice", f"Invalid value: '{voice}'. Supported values are: {', '.join(repr(v) for v in VOICES)}."
        )
    fmt = ctx.body.get("response_format") or "mp3"
    if fmt not in ("mp3", "opus", "aac", "flac", "wav", "pcm"):
        raise azure.invalid_value(
            "response_format",
            f"Invalid value: '{fmt}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.",
        )
    speed = ctx.body.get("speed")
    if speed is not None:
        if isinstance(speed, bool) or not isinstance(speed, (int, float)):
            raise azure.invalid_type("speed", "a number")
        if not 0.25 <= speed <= 4.0:
            raise azure.invalid_value("speed", f"Invalid 'speed': {speed} is out of range (0.25 to 4.0).")


@rule(
    "transcription.file",
    "transcription",
    stage=20,
    what="a `file` upload with an audio extension (flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm), not empty",
    code=None,
    param="file",
    message="Invalid file format. "
    "Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
    source="Learn whisper quickstart (supported formats); OpenAI answer passed through",
)
def _file(ctx: Ctx) -> None:
    up = ctx.scratch["files"].get("file")
    if up is None:
        raise azure.missing_parameter("file")
    ext = up.filename.rsplit(".", 1)[-1].lower() if "." in up.filename else ""
    if ext not in AUDIO_EXTS:
        raise azure.bad_request(f"Invalid file format. Supported formats: {list(AUDIO_EXTS)!r}", param="file")


@rule(
    "transcription.file_size",
    "transcription",
    stage=20,
    what="audio files at most 25 MB",
    status=413,
    code="RequestEntityTooLarge",
    param=None,
    message="Maximum content size limit (26214400) exceeded ({n} bytes read)",
    source="Learn whisper quickstart (25 MB limit); Azure-native shape",
)
def _file_size(ctx: Ctx) -> None:
    up = ctx.scratch["files"]["file"]
    if len(up.data) > 25 * 1024 * 1024:
        raise azure.AzureError(
            413,
            {
                "error": {
                    "code": "RequestEntityTooLarge",
                    "message": f"Maximum content size limit (26214400) exceeded ({len(up.data)} bytes read)",
                }
            },
        )
    if not up.data:
        raise azure.bad_request("The audio file is empty.", param="file")


@rule(
    "transcription.response_format",
    "transcription",
    stage=30,
    what="`response_format` json/text/srt/verbose_json/vtt",
    code="invalid_value",
    param="response_format",
    message="Invalid value: '{value}'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'.",
    source=SPEC,
)
def _transcription_format(ctx: Ctx) -> None:
    fmt = ctx.body.get("response_format") or "json"
    if fmt not in ("json", "text", "srt", "verbose_json", "vtt"):
        raise azure.invalid_value(
            "response_format",
            f"Invalid value: '{fmt}'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'.",
        )
