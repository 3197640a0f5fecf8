"""Malformed image and transcription answers are typed errors naming what came back (as chat's are).

Before: a gateway's ``{"data": "oops"}`` or ``{"usage": "n/a"}`` leaked ``AttributeError`` from the
parser, and ``{"error": ...}`` with status 200 gave an empty result. Answered by httpx.MockTransport.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from shared_core import CoreClient
from shared_core.errors import RateLimitError, UnexpectedResponseError
from shared_core.services import media_client as mc

ENDPOINT = "https://res.openai.azure.com"
JSON = {"content-type": "application/json", "apim-request-id": "apim-req-7"}
WAV = ("a.wav", b"RIFF\x24\x00\x00\x00WAVEfmt -fake-wav")


def _client(body: Any, deployment: str) -> CoreClient:
    content = json.dumps(body).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=JSON, content=content)

    return CoreClient.from_settings(
        azure_endpoint=ENDPOINT,
        api_key="k-secret-123",
        deployment=deployment,
        api_version="2025-04-01-preview",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
    )


IMAGE_CASES = [
    ({"created": 1, "data": "oops"}, "'data' is a string ('oops'), not a list"),
    ({"created": 1}, "'data' is missing"),
    ({"created": 1, "data": ["https://x/img.png"]}, "'data[0]' is a string"),
    ({"created": 1, "data": [{"url": 7}]}, "'data[0].url' is a number"),
    ({"created": 1, "data": [{"b64_json": "aGk="}], "usage": "n/a"}, "'usage' is a string"),
]


@pytest.mark.parametrize(("body", "says"), IMAGE_CASES)
def test_image_answer_of_the_wrong_shape(body: Any, says: str) -> None:
    client = _client(body, "gpt-image-1")
    with pytest.raises(UnexpectedResponseError) as sync_err:
        mc.generate_image(client, "a fox")
    with pytest.raises(UnexpectedResponseError) as async_err:
        asyncio.run(mc.agenerate_image(client, "a fox"))
    for err in (sync_err.value, async_err.value):
        message = str(err)
        assert says in message and "an images answer" in message
        assert "apim-req-7" in message and "images/generations" in message
        assert "k-secret-123" not in message


TRANSCRIPTION_CASES = [
    ({"language": "en"}, "'text' is missing"),
    ({"text": ["hello"]}, "'text' is a list"),
    ({"text": "hi", "duration": "long"}, "could not convert string to float"),
    ({"text": "hi", "usage": ["tokens"]}, "'usage' is a list"),
]


@pytest.mark.parametrize(("body", "says"), TRANSCRIPTION_CASES)
def test_transcription_answer_of_the_wrong_shape(body: Any, says: str) -> None:
    client = _client(body, "gpt-4o-transcribe")
    with pytest.raises(UnexpectedResponseError) as sync_err:
        mc.transcribe(client, WAV)
    with pytest.raises(UnexpectedResponseError) as async_err:
        asyncio.run(mc.atranscribe(client, WAV))
    for err in (sync_err.value, async_err.value):
        assert says in str(err) and "a transcription" in str(err) and "audio/transcriptions" in str(err)


def test_error_object_with_status_200_is_azures_error_not_an_empty_result() -> None:
    # gateways answer 200 carrying Azure's error object (the shape of Azure's 429 body)
    error = {"error": {"code": "429", "message": "Requests to the Images API have exceeded the rate limit."}}
    with pytest.raises(RateLimitError, match="exceeded the rate limit"):
        mc.generate_image(_client(error, "gpt-image-1"), "a fox")
    with pytest.raises(RateLimitError, match="exceeded the rate limit"):
        mc.transcribe(_client(error, "gpt-4o-transcribe"), WAV)


def test_well_formed_answers_still_parse() -> None:
    image = mc.generate_image(
        _client({"created": 5, "data": [{"url": "https://blob/x.png"}], "usage": {"input_tokens": 3}}, "gpt-image-1"),
        "a fox",
    )
    assert image.images[0].url == "https://blob/x.png" and image.usage is not None
    assert image.usage.prompt_tokens == 3
    text = mc.transcribe(_client({"text": "hello", "duration": 1.5}, "gpt-4o-transcribe"), WAV)
    assert (text.text, text.duration) == ("hello", 1.5)
