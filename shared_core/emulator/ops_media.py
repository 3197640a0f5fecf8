"""Embeddings, images and audio: validate as Azure does, then answer deterministically."""

from __future__ import annotations

import base64
from typing import Any

from . import azure, media, rules
from . import behaviour as bh
from .config import Deployment, EmulatorConfig
from .ops import SEVERITY4, _filter_trigger

JSON = dict[str, Any]

# --- embeddings ------------------------------------------------------------------------------


def embeddings_plan(
    body: JSON, dep: Deployment, cfg: EmulatorConfig, api_version: str | None = None, style: str = "dated"
) -> tuple[JSON, int]:
    ctx = rules.Ctx("embeddings", body, dep, api_version, style, cfg)
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
        data.append(
            {"object": "embedding", "index": i, "embedding": bh.embedding_base64(vec) if fmt == "base64" else vec}
        )
    total = sum(counts)
    return {
        "object": "list",
        "data": data,
        "model": dep.model,
        "usage": {"prompt_tokens": total, "total_tokens": total},
    }, total


# --- images ----------------------------------------------------------------------------------


def image_plan(
    body: JSON,
    dep: Deployment,
    cfg: EmulatorConfig,
    now: int,
    seq: int,
    store_blob: Any,
    base_url: str,
    edit_source: bytes | None = None,
) -> JSON:
    """Images for generations (and edits, with ``edit_source``): PNGs as b64_json or emulator URLs."""
    ctx = rules.Ctx("images", body, dep, None, "dated", cfg)
    ctx.scratch["edit"] = edit_source is not None
    rules.run("images", ctx)
    prompt: str = body["prompt"]
    n = int(body.get("n") or 1)
    size = body.get("size") or "1024x1024"
    quality = body.get("quality") or "standard"
    style = body.get("style") or "vivid"
    fmt = body.get("response_format") or ("b64_json" if dep.model.startswith("gpt-image") else "url")
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


def speech_plan(body: JSON, dep: Deployment, cfg: EmulatorConfig) -> tuple[bytes, str]:
    rules.run("speech", rules.Ctx("speech", body, dep, None, "dated", cfg))
    text: str = body["input"]
    fmt = body.get("response_format") or "mp3"
    speed = float(body.get("speed") or 1.0)
    if fmt == "pcm":
        return media.pcm(text, speed=speed), "audio/pcm"
    # Only WAV is synthesised; the content type says so whatever format was asked for.
    return media.wav(text, speed=speed), "audio/wav"


def transcription_plan(
    fields: JSON, files: JSON, translate: bool, dep: Deployment, cfg: EmulatorConfig
) -> tuple[bytes, str]:
    ctx = rules.Ctx("transcription", fields, dep, None, "dated", cfg)
    ctx.scratch["files"] = files
    rules.run("transcription", ctx)
    up = files["file"]
    fmt = fields.get("response_format") or "json"
    text = media.transcript(up.data)
    duration = media.wav_duration(up.data) or round(len(up.data) / 16000, 2)
    if fmt == "text":
        return (text + "\n").encode(), "text/plain; charset=utf-8"
    if fmt in ("srt", "vtt"):
        return media.subtitles(text, duration, fmt).encode(), "text/plain; charset=utf-8"
    if fmt == "verbose_json":
        out: JSON = {
            "task": "translate" if translate else "transcribe",
            "language": "english" if translate else (fields.get("language") or "english"),
            "duration": duration,
            "text": text,
            "segments": [
                {
                    "id": 0,
                    "seek": 0,
                    "start": 0.0,
                    "end": duration,
                    "text": text,
                    "tokens": [],
                    "temperature": 0.0,
                    "avg_logprob": -0.1,
                    "compression_ratio": 1.0,
                    "no_speech_prob": 0.0,
                }
            ],
        }
        return azure.dumps(out), "application/json"
    return azure.dumps({"text": text}), "application/json"
