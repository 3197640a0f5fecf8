"""Tiny deterministic media: PNG images, WAV speech, and transcripts of them.

Speech WAVs carry the spoken text in a RIFF ``LIST/INFO/ICMT`` chunk, so transcribing a WAV the
emulator produced gives the text back (a round trip tests can assert). Other audio gets a fixed
transcript naming its size.
"""

from __future__ import annotations

import hashlib
import math
import struct
import zlib

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png(seed: str, size: int = 32) -> bytes:
    """A ``size``x``size`` RGB PNG: a two-colour diagonal gradient derived from ``seed``."""
    h = hashlib.sha256(seed.encode()).digest()
    c1, c2 = h[0:3], h[3:6]
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(size):
            t = (x + y) / (2 * size - 2 or 1)
            row += bytes(int(a + (b - a) * t) for a, b in zip(c1, c2, strict=False))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def wav(text: str, *, speed: float = 1.0, rate: int = 8000) -> bytes:
    """16-bit mono PCM WAV of a soft tone, ~60 ms per word at speed 1, with ``text`` in an ICMT chunk."""
    n_words = max(1, len(text.split()))
    seconds = min(30.0, 0.06 * n_words / max(speed, 0.25))
    n = int(rate * seconds)
    freq = 220 + (int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) % 440)
    samples = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))
    comment = text.encode("utf-8") + b"\x00"
    if len(comment) % 2:
        comment += b"\x00"
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(comment)) + comment
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"LIST"
        + struct.pack("<I", len(info))
        + info
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm(text: str, *, speed: float = 1.0) -> bytes:
    """Raw 16-bit PCM (the ``pcm`` response format): the WAV's samples without headers."""
    data = wav(text, speed=speed, rate=24000)
    idx = data.find(b"data")
    return data[idx + 8 :]


def wav_duration(data: bytes) -> float | None:
    if not (data[:4] == b"RIFF" and data[8:12] == b"WAVE"):
        return None
    pos, rate, size = 12, 0, 0
    while pos + 8 <= len(data):
        tag, ln = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if tag == b"fmt ":
            rate = struct.unpack("<I", data[pos + 12 : pos + 16])[0]
        elif tag == b"data":
            size = ln
        pos += 8 + ln + (ln % 2)
    return size / (2 * rate) if rate else None


def transcript(data: bytes) -> str:
    """The text embedded by :func:`wav`, else a fixed sentence naming the audio's size."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        i = data.find(b"ICMT")
        if i >= 0:
            ln = struct.unpack("<I", data[i + 4 : i + 8])[0]
            return data[i + 8 : i + 8 + ln].rstrip(b"\x00").decode("utf-8", "replace")
    return f"This is a deterministic transcript of {len(data)} bytes of audio from the azoai emulator."


def subtitles(text: str, duration: float, fmt: str) -> str:
    """One-cue SRT or WebVTT for ``text``."""

    def stamp(s: float, sep: str) -> str:
        ms = int(round(s * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"

    if fmt == "srt":
        return f"1\n{stamp(0, ',')} --> {stamp(duration, ',')}\n{text}\n\n"
    return f"WEBVTT\n\n{stamp(0, '.')} --> {stamp(duration, '.')}\n{text}\n\n"
