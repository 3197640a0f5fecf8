"""Content-part rules: part types, image URLs and image data.

The emulator cannot fetch URLs. Its documented rule: an image URL is reachable when it is a
``data:`` URL, points at this emulator's own blob store, or its host is listed in
``EmulatorConfig.image_url_hosts`` (empty by default); any other http(s) URL gets the answer Azure
gives for one it could not download.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from . import azure
from .rules import Ctx, rule

JSON = dict[str, Any]
USER_PART_TYPES = ("text", "image_url")
R_AUDIO = "azure-recordings/Mirascope__mirascope/python__tests__e2e__input__cassettes__test_call_with_audio__azure_openai_gpt_5_mini.yaml"
#: Magic numbers of the formats Azure's vision models read (png, jpeg, gif, webp).
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def _image_parts(ctx: Ctx) -> Iterator[tuple[int, int, JSON]]:
    msgs = ctx.body.get("messages")
    for i, m in enumerate(msgs if isinstance(msgs, list) else []):
        content = m.get("content")
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "image_url":
                yield i, j, part


def _url(part: JSON) -> str:
    iu = part.get("image_url")
    url = iu.get("url") if isinstance(iu, dict) else iu
    return url if isinstance(url, str) else ""


def _is_image(data: bytes) -> bool:
    return data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


@rule(
    "chat.content.part_type",
    "chat",
    stage=25,
    what="user content parts are `text` or `image_url` (audio input and "
    "unknown part types refused on the text/vision models the emulator serves)",
    code="invalid_value",
    param="messages[i]",
    message="Invalid 'messages[i]'. Content blocks are expected to be either text or image_url type.",
    source=R_AUDIO,
)
def _part_type(ctx: Ctx) -> None:
    msgs = ctx.body.get("messages")
    for i, m in enumerate(msgs if isinstance(msgs, list) else []):
        content = m.get("content")
        if m.get("role") != "user" or not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict) or part.get("type") not in USER_PART_TYPES:
                raise azure.invalid_value(
                    f"messages[{i}]",
                    f"Invalid 'messages[{i}]'. Content blocks are expected to be either text or image_url type.",
                )


@rule(
    "chat.content.image_unsupported",
    "chat",
    stage=25,
    what="image parts sent to a model without vision (o3-mini, gpt-35-turbo)",
    code=None,
    param="messages.[i].content.[j].type",
    message="Invalid content type. image_url is only supported by certain models.",
    source="OpenAI vision guide (models with vision), the model service's answer passed through by Azure",
)
def _image_unsupported(ctx: Ctx) -> None:
    if ctx.spec.vision:
        return
    for i, j, _part in _image_parts(ctx):
        raise azure.bad_request(
            "Invalid content type. image_url is only supported by certain models.",
            param=f"messages.[{i}].content.[{j}].type",
        )


@rule(
    "chat.content.image_url_scheme",
    "chat",
    stage=25,
    what="image URLs are http(s) URLs or base64 `data:` URLs",
    code="BadRequest",
    param=None,
    message="Invalid image URL. The URL must be a valid HTTP or HTTPS URL, or a data URL with base64 encoding.",
    source="issue microsoft/semantic-kernel#6674 (Azure's answer quoted, Azure-native shape)",
)
def _image_scheme(ctx: Ctx) -> None:
    for _i, _j, part in _image_parts(ctx):
        url = _url(part)
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme in ("http", "https") and urlsplit(url).hostname:
            continue
        if scheme == "data" and ";base64," in url:
            continue
        raise azure.azure_bad_request(
            "Invalid image URL. The URL must be a valid HTTP or HTTPS URL, or a data URL with base64 encoding."
        )


@rule(
    "chat.content.image_base64",
    "chat",
    stage=25,
    what="`data:` image URLs carry valid base64",
    code="invalid_base64",
    param=None,
    message="Invalid base64 image_url.",
    source="issue Azure/azure-sdk-for-java#41670 (Azure's answer quoted)",
)
def _image_base64(ctx: Ctx) -> None:
    for _i, _j, part in _image_parts(ctx):
        url = _url(part)
        if url.startswith("data:"):
            try:
                base64.b64decode(url.split(";base64,", 1)[1], validate=True)
            except (binascii.Error, ValueError):
                raise azure.bad_request("Invalid base64 image_url.", code="invalid_base64") from None


@rule(
    "chat.content.image_format",
    "chat",
    stage=25,
    what="`data:` image bytes are a PNG, JPEG, GIF or WEBP image",
    code="invalid_image_format",
    param=None,
    message="You uploaded an unsupported image. Please make sure your image "
    "has of one the following formats: ['png', 'jpeg', 'gif', 'webp'].",
    source="issue marketing-factory/ai-filemetadata#18 (the model service's message quoted)",
)
def _image_format(ctx: Ctx) -> None:
    for _i, _j, part in _image_parts(ctx):
        url = _url(part)
        if url.startswith("data:") and not _is_image(base64.b64decode(url.split(";base64,", 1)[1])[:16]):
            raise azure.bad_request(
                "You uploaded an unsupported image. Please make sure your image has of one the "
                "following formats: ['png', 'jpeg', 'gif', 'webp'].",
                code="invalid_image_format",
            )


@rule(
    "chat.content.image_reachable",
    "chat",
    stage=25,
    what="http(s) image URLs can be downloaded (emulator: only its "
    "own blob URLs and hosts in `image_url_hosts` are reachable)",
    code="invalid_image_url",
    param=None,
    message="Timeout while downloading {url}.",
    source="issue riverscuomo/cuomputer#95 (the model service's answer quoted); emulator limitation, see below",
)
def _image_reachable(ctx: Ctx) -> None:
    for _i, _j, part in _image_parts(ctx):
        url = _url(part)
        if url.startswith("data:"):
            continue
        host = (urlsplit(url).hostname or "").lower()
        own = bool(ctx.base_url) and url.startswith(ctx.base_url + "/_emulator/blobs/")
        if not own and host not in {h.lower() for h in ctx.config.image_url_hosts}:
            raise azure.bad_request(f"Timeout while downloading {url}.", code="invalid_image_url")
