"""Embeddings, images and audio: validate as Azure does, then answer deterministically."""

from __future__ import annotations

import base64
from typing import Any

from . import azure, media
from . import behaviour as bh
from . import rules
from .config import Deployment, EmulatorConfig
from .ops import SEVERITY4, _check_unknown, _filter_trigger, _num

JSON = dict[str, Any]

IMAGE_PARAMS = frozenset("prompt model n size quality style response_format user output_format background moderation "
                         "output_compression".split())
SPEECH_PARAMS = frozenset("input model voice response_format speed instructions stream_format".split())
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")
AUDIO_EXTS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")


# --- embeddings ------------------------------------------------------------------------------

def embeddings_plan(body: JSON, dep: Deployment, cfg: EmulatorConfig) -> tuple[JSON, int]:
    ctx = rules.Ctx("embeddings", body, dep, None, "dated", cfg)
    rules.run("embeddings", ctx)
    inputs: list[str] = ctx.scratch["inputs"]
    counts = [bh.count_tokens(s) for s in inputs]
    native = dep.dimensions or 1536
    dims = body.get("dimensions")
    fmt = body.get("encoding_format") or "float"
    size = int(dims or native)
    data = []
    for i, s in enumerate(inputs):
        vec = bh.embed(s, size)
        data.append({"object": "embedding", "index": i, "embedding": bh.embedding_base64(vec) if fmt == "base64" else vec})
    total = sum(counts)
    return {"object": "list", "data": data, "model": dep.model,
            "usage": {"prompt_tokens": total, "total_tokens": total}}, total


# --- images ----------------------------------------------------------------------------------

SIZES = {"dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
         "dall-e-2": ("256x256", "512x512", "1024x1024"),
         "gpt-image-1": ("1024x1024", "1536x1024", "1024x1536", "auto"),
         "gpt-image-1-mini": ("1024x1024", "1536x1024", "1024x1536", "auto")}


def image_plan(body: JSON, dep: Deployment, cfg: EmulatorConfig, now: int, seq: int,
               store_blob: Any, base_url: str, edit_source: bytes | None = None) -> JSON:
    """Images for generations (and edits, with ``edit_source``): PNGs as b64_json or emulator URLs."""
    if edit_source is None:
        _check_unknown(body, IMAGE_PARAMS)
    prompt = body.get("prompt")
    if not prompt:
        raise azure.missing_parameter("prompt")
    if not isinstance(prompt, str):
        raise azure.invalid_type("prompt", "a string")
    if len(prompt) > 4000:
        raise azure.invalid_value("prompt", "Invalid 'prompt': string too long. Expected a string with maximum length 4000.")
    n = int(body.get("n") or 1)
    if dep.model == "dall-e-3" and n != 1:
        raise azure.invalid_value("n", "You must provide n=1 for this model.")
    if not 1 <= n <= 10:
        raise azure.invalid_value("n", "Invalid value for 'n': must be between 1 and 10.")
    size = body.get("size") or "1024x1024"
    allowed = SIZES.get(dep.model, SIZES["dall-e-3"])
    if size not in allowed:
        raise azure.invalid_value("size", f"The size is not supported by this model. Supported values are: {', '.join(allowed)}.")
    quality = body.get("quality") or "standard"
    if quality not in ("standard", "hd", "low", "medium", "high", "auto"):
        raise azure.invalid_value("quality", f"Invalid value: '{quality}'. Supported values are: 'standard' and 'hd'.")
    style = body.get("style") or "vivid"
    if style not in ("vivid", "natural"):
        raise azure.invalid_value("style", f"Invalid value: '{style}'. Supported values are: 'vivid' and 'natural'.")
    fmt = body.get("response_format") or ("b64_json" if dep.model.startswith("gpt-image") else "url")
    if fmt not in ("url", "b64_json"):
        raise azure.invalid_value("response_format", f"Invalid value: '{fmt}'. Supported values are: 'url' and 'b64_json'.")
    category = _filter_trigger([prompt], cfg.prompt_filter_terms)
    if category:
        raise azure.image_prompt_filtered(category, prompt)
    data = []
    for i in range(n):
        seed = f"{prompt}|{size}|{quality}|{style}|{i}|{len(edit_source or b'')}"
        img = media.png(seed)
        item: JSON = {}
        if fmt == "b64_json":
            item["b64_json"] = base64.b64encode(img).decode()
        else:
            item["url"] = store_blob(bh.stable_id("img", cfg.seed, seq, i, length=20) + ".png", img, base_url)
        item["revised_prompt"] = prompt
        item["content_filter_results"] = dict(SEVERITY4)
        item["prompt_filter_results"] = azure.safe_filter_results(jailbreak=True)
        data.append(item)
    return {"created": now, "data": data}


# --- audio -----------------------------------------------------------------------------------

def speech_plan(body: JSON) -> tuple[bytes, str]:
    _check_unknown(body, SPEECH_PARAMS)
    text = body.get("input")
    if text is None:
        raise azure.missing_parameter("input")
    if not isinstance(text, str):
        raise azure.invalid_type("input", "a string")
    if len(text) > 4096:
        raise azure.invalid_value("input", "Invalid 'input': string too long. Expected a string with maximum length 4096.")
    voice = body.get("voice")
    if voice is None:
        raise azure.missing_parameter("voice")
    if voice not in VOICES:
        raise azure.invalid_value("voice", f"Invalid value: '{voice}'. Supported values are: {', '.join(repr(v) for v in VOICES)}.")
    fmt = body.get("response_format") or "mp3"
    if fmt not in ("mp3", "opus", "aac", "flac", "wav", "pcm"):
        raise azure.invalid_value("response_format", f"Invalid value: '{fmt}'. Supported values are: 'mp3', 'opus', 'aac', "
                                  "'flac', 'wav', and 'pcm'.")
    _num(body, "speed", 0.25, 4.0)
    speed = float(body.get("speed") or 1.0)
    if fmt == "pcm":
        return media.pcm(text, speed=speed), "audio/pcm"
    # Only WAV is synthesised; the content type says so whatever format was asked for.
    return media.wav(text, speed=speed), "audio/wav"


def transcription_plan(fields: JSON, files: JSON, translate: bool) -> tuple[bytes, str]:
    up = files.get("file")
    if up is None:
        raise azure.missing_parameter("file")
    ext = up.filename.rsplit(".", 1)[-1].lower() if "." in up.filename else ""
    if ext not in AUDIO_EXTS:
        raise azure.bad_request(f"Invalid file format. Supported formats: {AUDIO_EXTS!r}".replace("(", "[").replace(")", "]"),
                                param="file")
    if len(up.data) > 25 * 1024 * 1024:
        raise azure.AzureError(413, {"error": {"code": "RequestEntityTooLarge", "message": "Maximum content size limit "
                                               f"(26214400) exceeded ({len(up.data)} bytes read)"}})
    if not up.data:
        raise azure.bad_request("The audio file is empty.", param="file")
    fmt = fields.get("response_format") or "json"
    if fmt not in ("json", "text", "srt", "verbose_json", "vtt"):
        raise azure.invalid_value("response_format", f"Invalid value: '{fmt}'. Supported values are: 'json', 'text', 'srt', "
                                  "'verbose_json', and 'vtt'.")
    text = media.transcript(up.data)
    duration = media.wav_duration(up.data) or round(len(up.data) / 16000, 2)
    if fmt == "text":
        return (text + "\n").encode(), "text/plain; charset=utf-8"
    if fmt in ("srt", "vtt"):
        return media.subtitles(text, duration, fmt).encode(), "text/plain; charset=utf-8"
    if fmt == "verbose_json":
        out: JSON = {"task": "translate" if translate else "transcribe", "language": "english" if translate else
                     (fields.get("language") or "english"), "duration": duration, "text": text,
                     "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": duration, "text": text, "tokens": [],
                                   "temperature": 0.0, "avg_logprob": -0.1, "compression_ratio": 1.0, "no_speech_prob": 0.0}]}
        return azure.dumps(out), "application/json"
    return azure.dumps({"text": text}), "application/json"
