"""Images and audio over a ``CoreClient``: generate and edit images, speak, transcribe, translate.

Each call is planned once (inputs checked, files read, the body built with ``media.py``) into a
:class:`MediaRequest`; the sync function sends it with ``CoreClient.request_json`` and the async
twin with ``arequest_json``, and both hand the answer to the same parser. So retries, failover,
typed errors and the ``v1`` body ``model`` are the client's, exactly as for chat.

``model=`` on a call names another deployment, as on ``CoreClient.chat``. Checks that depend on
the image model (sizes, ``n`` for dall-e-3) apply when the deployment's name says which model it
is (``dall-e-3``, ``my-dalle3``, ``gpt-image-1``); otherwise Azure validates.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import (
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    TypeVar,
)

import httpx

from shared_core.client import CoreClient
from shared_core.errors import APIStatusError, ConfigurationError
from shared_core.types import ResponseMeta
from shared_core.wire.media import (
    FileInput,
    GeneratedImage,
    ImageResult,
    SpeechResult,
    Transcription,
    build_image_edit_form,
    build_image_generation_body,
    build_speech_body,
    build_transcription_form,
    check_audio_file,
    check_image_options,
    check_voice,
    image_family,
    parse_images,
    parse_speech,
    parse_transcription,
    read_file,
)

T = TypeVar("T")
P = ParamSpec("P")
C = TypeVar("C", bound=Callable[..., Any])
#: A file: bytes, a binary file object, ``(filename, bytes[, content_type])`` or a path.
FileLike = FileInput | str | os.PathLike[str]
Timeout = float | httpx.Timeout | None
Finish = Callable[[Any, ResponseMeta], T]


@dataclass(frozen=True, slots=True)
class MediaRequest(Generic[T]):
    """One planned call: what to send and how to read the answer. Send it with :meth:`send`
    or :meth:`asend` (the same request either way)."""

    operation: str
    body: Mapping[str, Any] | None
    files: list[Any] | None
    model: str | None
    timeout: Timeout
    headers: Mapping[str, str] | None
    finish: Finish[T]
    method: str = "POST"
    suffix: str = ""  # extends the path: "/{id}/cancel"
    params: Mapping[str, str] | None = None

    def send(self, client: CoreClient) -> T:
        data, meta = client.request_json(
            self.operation,
            self.body,
            files=self.files,
            model=self.model,
            timeout=self.timeout,
            headers=self.headers,
            method=self.method,
            suffix=self.suffix,
            params=self.params,
        )
        return self.finish(data, meta)

    async def asend(self, client: CoreClient) -> T:
        data, meta = await client.arequest_json(
            self.operation,
            self.body,
            files=self.files,
            model=self.model,
            timeout=self.timeout,
            headers=self.headers,
            method=self.method,
            suffix=self.suffix,
            params=self.params,
        )
        return self.finish(data, meta)


# ------------------------------------------------------------------------------------ helpers


def _named(call: C, plan: Callable[..., Any], name: str, doc: str) -> C:
    # help() and IDEs show the planner's parameters, and the result type instead of the plan
    sig = inspect.signature(plan)
    ret = sig.return_annotation
    if isinstance(ret, str) and ret.startswith("MediaRequest["):
        ret = ret[len("MediaRequest[") : -1]
    setattr(call, "__signature__", sig.replace(return_annotation=ret))  # noqa: B010 (not a declared attribute)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = doc
    return call


def _sending(
    plan: Callable[Concatenate[CoreClient, P], MediaRequest[T]], name: str, doc: str
) -> Callable[Concatenate[CoreClient, P], T]:
    """The sync call for a planner: plan, then send with ``request_json``."""

    def call(client: CoreClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return plan(client, *args, **kwargs).send(client)

    return _named(call, plan, name, doc)


def _asending(
    plan: Callable[Concatenate[CoreClient, P], MediaRequest[T]], name: str, doc: str
) -> Callable[Concatenate[CoreClient, P], Awaitable[T]]:
    """The async call for a planner: the same plan, sent with ``arequest_json``."""

    async def call(client: CoreClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await plan(client, *args, **kwargs).asend(client)

    return _named(call, plan, name, doc)


def _family(client: CoreClient, model: str | None) -> str | None:
    if model:
        return image_family(model)
    families = {image_family(t.deployment) for t in client.targets}
    return families.pop() if len(families) == 1 else None


def load_file(field_name: str, value: FileLike, default_name: str) -> tuple[str, bytes, str]:
    """A file input (a path too) as ``(filename, bytes, content_type)``, read once."""
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not os.path.isfile(path):
            raise ConfigurationError(
                f"{field_name}: no file at {path!r}; pass a path to an existing file, bytes, or "
                "a file opened with mode 'rb'",
                setting=field_name,
            )
        with open(path, "rb") as fh:
            data = fh.read()
        return read_file(field_name, (os.path.basename(path), data), default_name)
    return read_file(field_name, value, default_name)


def unexpected_body(what: str, data: Any, meta: ResponseMeta) -> APIStatusError:
    """The error for a 2xx answer of the wrong kind (JSON where audio was due, or the reverse)."""
    return APIStatusError(
        f"Azure answered HTTP {meta.status} with {type(data).__name__} where {what} was expected;"
        " a proxy or gateway may be rewriting answers: check base_url / azure_endpoint.",
        status=meta.status,
        headers=meta.headers,
        request_id=meta.request_id,
        region=meta.region,
        deployment=meta.deployment,
        attempts=meta.attempts,
    )


def _finish_images(data: Any, meta: ResponseMeta) -> ImageResult:
    if not isinstance(data, dict):
        raise unexpected_body("a JSON object", data, meta)
    return parse_images(data, meta)


def _finish_transcription(data: Any, meta: ResponseMeta) -> Transcription:
    if not isinstance(data, (dict, bytes)):
        raise unexpected_body("a transcription", data, meta)
    return parse_transcription(data, meta)


def _finish_speech(response_format: str | None) -> Finish[SpeechResult]:
    def finish(data: Any, meta: ResponseMeta) -> SpeechResult:
        if not isinstance(data, bytes):
            raise unexpected_body("audio bytes", data, meta)
        return parse_speech(data, meta.headers, response_format, meta)

    return finish


# ------------------------------------------------------------------------------------- images


def plan_image_generation(
    client: CoreClient,
    prompt: str,
    *,
    n: int | None = None,
    size: str | None = None,
    quality: str | None = None,
    style: str | None = None,
    response_format: str | None = None,
    user: str | None = None,
    model: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
    timeout: Timeout = None,
    headers: Mapping[str, str] | None = None,
) -> MediaRequest[ImageResult]:
    """The ``images/generations`` request :func:`generate_image` sends."""
    check_image_options(
        _family(client, model), n=n, size=size, quality=quality, style=style, response_format=response_format
    )
    body = build_image_generation_body(
        prompt,
        n=n,
        size=size,
        quality=quality,
        style=style,
        response_format=response_format,
        user=user,
        extra_body=extra_body,
    )
    return MediaRequest("images/generations", body, None, model, timeout, headers, _finish_images)


generate_image = _sending(
    plan_image_generation,
    "generate_image",
    "Generate images from ``prompt``. Keywords: ``n``, ``size``, ``quality``, ``style``, "
    '``response_format`` (``"url"`` or ``"b64_json"``), ``user``, ``model``, ``extra_body``, '
    "``timeout``, ``headers``.",
)


agenerate_image = _asending(plan_image_generation, "agenerate_image", "Async :func:`generate_image`.")


def plan_image_edit(
    client: CoreClient,
    image: FileLike | list[FileLike],
    prompt: str,
    *,
    mask: FileLike | None = None,
    n: int | None = None,
    size: str | None = None,
    quality: str | None = None,
    response_format: str | None = None,
    user: str | None = None,
    model: str | None = None,
    extra_fields: Mapping[str, Any] | None = None,
    timeout: Timeout = None,
    headers: Mapping[str, str] | None = None,
) -> MediaRequest[ImageResult]:
    """The multipart ``images/edits`` request :func:`edit_image` sends."""
    check_image_options(_family(client, model), n=n, size=size, quality=quality, response_format=response_format)
    images = image if isinstance(image, list) else [image]
    if not images:
        raise ConfigurationError("edit_image needs at least one image", setting="image")
    loaded: list[FileInput] = [load_file("image", img, f"image{i}.png") for i, img in enumerate(images)]
    data, files = build_image_edit_form(
        loaded if isinstance(image, list) else loaded[0],
        prompt,
        mask=load_file("mask", mask, "mask.png") if mask is not None else None,
        n=n,
        size=size,
        quality=quality,
        response_format=response_format,
        user=user,
        extra_fields=extra_fields,
    )
    return MediaRequest("images/edits", data, list(files), model, timeout, headers, _finish_images)


edit_image = _sending(
    plan_image_edit,
    "edit_image",
    "Edit ``image`` (a PNG; a list for gpt-image-1) as ``prompt`` says; ``mask`` marks where. "
    "Other keywords as :func:`generate_image` (no ``style``).",
)


aedit_image = _asending(plan_image_edit, "aedit_image", "Async :func:`edit_image`.")


def _download_request(image: GeneratedImage | str) -> str | bytes:
    if isinstance(image, str):
        return image
    if image.b64_json is not None:
        return image.image_bytes()
    if not image.url:
        raise ConfigurationError("this image has neither a URL nor base64 data", setting="image")
    return image.url


def _downloaded(response: httpx.Response) -> bytes:
    if response.status_code >= 400:
        raise APIStatusError(
            f"downloading the image failed with HTTP {response.status_code}: Azure's image URLs "
            "expire after 24 hours; generate it again, or ask for response_format='b64_json'",
            status=response.status_code,
            headers=dict(response.headers),
        )
    return response.content


def download_image(image: GeneratedImage | str, *, http: httpx.Client | None = None, timeout: float = 60.0) -> bytes:
    """The bytes of a generated image: decoded when it came as base64, else fetched from its URL.

    The URL is a pre-signed blob URL, so no credential is sent with it (nor should one be).
    ``http`` is an ``httpx.Client`` to fetch with (default: a short-lived one).
    """
    target = _download_request(image)
    if isinstance(target, bytes):
        return target
    if http is not None:
        return _downloaded(http.get(target, timeout=timeout))
    with httpx.Client(timeout=timeout, follow_redirects=True) as own:
        return _downloaded(own.get(target))


async def adownload_image(
    image: GeneratedImage | str, *, http: httpx.AsyncClient | None = None, timeout: float = 60.0
) -> bytes:
    """Async :func:`download_image`."""
    target = _download_request(image)
    if isinstance(target, bytes):
        return target
    if http is not None:
        return _downloaded(await http.get(target, timeout=timeout))
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as own:
        return _downloaded(await own.get(target))


def _write_images(images: Sequence[bytes], directory: str) -> list[str]:
    import tempfile

    os.makedirs(directory, exist_ok=True)
    paths = []
    for content in images:
        # a fresh name per image: two calls in the same second must not overwrite each other
        with tempfile.NamedTemporaryFile(prefix="image-", suffix=".png", dir=directory, delete=False) as fh:
            fh.write(content)
            paths.append(fh.name)
    return paths


def save_images(result: ImageResult, directory: str, *, http: httpx.Client | None = None) -> list[str]:
    """Write each image of ``result`` to a new PNG file in ``directory``; returns the paths."""
    return _write_images([download_image(img, http=http) for img in result.images], directory)


async def asave_images(result: ImageResult, directory: str, *, http: httpx.AsyncClient | None = None) -> list[str]:
    """Async :func:`save_images` (the files are written in a worker thread)."""
    import asyncio

    data = [await adownload_image(img, http=http) for img in result.images]
    return await asyncio.to_thread(_write_images, data, directory)


def image_answer(result: ImageResult, paths: Sequence[str] | None = None, separator: str = "\n") -> str:
    """What a tool tells a model: the saved files' paths, else each URL (a ``data:`` URL for a
    base64 image)."""
    if paths is not None:
        return separator.join(paths)
    return separator.join(img.url or "data:image/png;base64," + (img.b64_json or "") for img in result.images)


# -------------------------------------------------------------------------------------- audio


def plan_speech(
    client: CoreClient,
    text: str,
    *,
    voice: str = "alloy",
    response_format: str | None = None,
    speed: float | None = None,
    instructions: str | None = None,
    model: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
    timeout: Timeout = None,
    headers: Mapping[str, str] | None = None,
) -> MediaRequest[SpeechResult]:
    """The ``audio/speech`` request :func:`speech` sends."""
    check_voice(voice)
    body = build_speech_body(
        text,
        voice=voice,
        response_format=response_format,
        speed=speed,
        instructions=instructions,
        extra_body=extra_body,
    )
    return MediaRequest("audio/speech", body, None, model, timeout, headers, _finish_speech(response_format))


speech = _sending(
    plan_speech,
    "speech",
    "Text to speech: the audio bytes and their content type. Keywords: ``voice`` (default "
    '``"alloy"``), ``response_format`` (mp3, opus, aac, flac, wav, pcm), ``speed`` (0.25-4), '
    "``instructions`` (gpt-4o-mini-tts), ``model``, ``extra_body``, ``timeout``, ``headers``.",
)


aspeech = _asending(plan_speech, "aspeech", "Async :func:`speech`.")


def _plan_audio(
    operation: str,
    file: FileLike,
    *,
    language: str | None,
    prompt: str | None,
    response_format: str | None,
    temperature: float | None,
    timestamp_granularities: Sequence[str] | None,
    model: str | None,
    extra_fields: Mapping[str, Any] | None,
    timeout: Timeout,
    headers: Mapping[str, str] | None,
) -> MediaRequest[Transcription]:
    filename, content, ctype = load_file("file", file, "audio.wav")
    check_audio_file(filename, content)
    data, files = build_transcription_form(
        (filename, content, ctype),
        language=language,
        prompt=prompt,
        response_format=response_format,
        temperature=temperature,
        timestamp_granularities=timestamp_granularities,
        extra_fields=extra_fields,
    )
    return MediaRequest(operation, data, list(files), model, timeout, headers, _finish_transcription)


def plan_transcription(
    client: CoreClient,
    file: FileLike,
    *,
    language: str | None = None,
    prompt: str | None = None,
    response_format: str | None = None,
    temperature: float | None = None,
    timestamp_granularities: Sequence[str] | None = None,
    model: str | None = None,
    extra_fields: Mapping[str, Any] | None = None,
    timeout: Timeout = None,
    headers: Mapping[str, str] | None = None,
) -> MediaRequest[Transcription]:
    """The multipart ``audio/transcriptions`` request :func:`transcribe` sends."""
    return _plan_audio(
        "audio/transcriptions",
        file,
        language=language,
        prompt=prompt,
        response_format=response_format,
        temperature=temperature,
        timestamp_granularities=timestamp_granularities,
        model=model,
        extra_fields=extra_fields,
        timeout=timeout,
        headers=headers,
    )


transcribe = _sending(
    plan_transcription,
    "transcribe",
    "Speech to text in the audio's language. ``file``: a path, bytes, a binary file object or "
    "``(filename, bytes)`` (the extension tells Azure the format; 25 MB at most). Keywords: "
    "``language`` (ISO-639-1), ``prompt``, ``response_format`` (json, text, srt, "
    "verbose_json, vtt), ``temperature``, ``timestamp_granularities`` (with verbose_json), "
    "``model``, ``extra_fields``, ``timeout``, ``headers``.",
)


atranscribe = _asending(plan_transcription, "atranscribe", "Async :func:`transcribe`.")


def plan_translation(
    client: CoreClient,
    file: FileLike,
    *,
    prompt: str | None = None,
    response_format: str | None = None,
    temperature: float | None = None,
    model: str | None = None,
    extra_fields: Mapping[str, Any] | None = None,
    timeout: Timeout = None,
    headers: Mapping[str, str] | None = None,
) -> MediaRequest[Transcription]:
    """The multipart ``audio/translations`` request :func:`translate` sends."""
    return _plan_audio(
        "audio/translations",
        file,
        language=None,
        prompt=prompt,
        response_format=response_format,
        temperature=temperature,
        timestamp_granularities=None,
        model=model,
        extra_fields=extra_fields,
        timeout=timeout,
        headers=headers,
    )


translate = _sending(
    plan_translation,
    "translate",
    "Speech in any language to English text. Keywords as :func:`transcribe`, without "
    "``language`` and ``timestamp_granularities``.",
)


atranslate = _asending(plan_translation, "atranslate", "Async :func:`translate`.")


__all__ = [
    "MediaRequest",
    "adownload_image",
    "aedit_image",
    "agenerate_image",
    "asave_images",
    "aspeech",
    "atranscribe",
    "atranslate",
    "download_image",
    "edit_image",
    "generate_image",
    "image_answer",
    "load_file",
    "plan_image_edit",
    "plan_image_generation",
    "plan_speech",
    "plan_transcription",
    "plan_translation",
    "save_images",
    "speech",
    "transcribe",
    "translate",
    "unexpected_body",
]
