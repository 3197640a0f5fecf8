"""Images and audio for LangChain against the loopback emulator: the DALL-E wrapper, the image and
speech tools in an agent loop, and the Whisper blob parser."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.document_loaders import Blob
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_azoai import AzureChatOpenAI
from langchain_azoai.audio import AzureOpenAITextToSpeech, AzureOpenAIWhisperParser
from langchain_azoai.images import AzureDallEAPIWrapper
from langchain_azoai.tools import AzureOpenAIImageTool, AzureOpenAITextToSpeechTool
from shared_core.emulator.media import PNG_MAGIC, wav
from shared_core.errors import ConfigurationError
from shared_core.wire.media import ImageResult, SpeechResult

_AZURE_ENV = (
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
    "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_DEPLOYMENT",
    "OPENAI_API_KEY",
    "OPENAI_PROXY",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _AZURE_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _reset(emulator: Any) -> None:
    """Each test starts with fresh rate-limit windows (images: 60 RPM, 10 per 10 s)."""
    httpx.post(f"{emulator.url}/_emulator/reset").raise_for_status()


@pytest.fixture
def conn(emulator: Any) -> dict[str, Any]:
    return {"azure_endpoint": emulator.url, "api_key": emulator.api_key, "api_version": "2024-10-21", "max_retries": 0}


def test_dalle_wrapper_run_and_generate(conn: dict[str, Any], emulator: Any) -> None:
    dalle = AzureDallEAPIWrapper(**conn, azure_deployment="dall-e-3", size="1792x1024", quality="hd")
    url = dalle.run("a lighthouse at dusk")
    assert url.startswith(f"{emulator.url}/_emulator/blobs/") and url.endswith(".png") and "\n" not in url
    assert httpx.get(url).content.startswith(PNG_MAGIC)
    full = dalle.generate("a lighthouse at dusk", response_format="b64_json")
    assert full.images[0].image_bytes().startswith(PNG_MAGIC)
    assert full.meta is not None and full.meta.deployment == "dall-e-3"
    assert dalle.run("a harbour at dawn") != url  # another prompt, another image


async def test_dalle_wrapper_async_b64_gives_a_data_url(conn: dict[str, Any]) -> None:
    dalle = AzureDallEAPIWrapper(**conn, azure_deployment="dall-e-3", response_format="b64_json")
    text = await dalle.arun("a red fox")
    assert text.startswith("data:image/png;base64,iVBOR")


def test_wrapper_settings_env_and_aliases(monkeypatch: pytest.MonkeyPatch, emulator: Any) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", emulator.api_key)
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT", "gpt-4o")  # the chat deployment does not leak in
    assert AzureDallEAPIWrapper().deployment == "gpt-image-1"  # today's image model (dall-e-3 retired)
    assert AzureDallEAPIWrapper(deployment_name="img-eu").deployment == "img-eu"
    assert AzureDallEAPIWrapper(azure_deployment="img-us").deployment == "img-us"
    # gpt-image-1 always answers base64 (Learn dall-e how-to): the wrapper gives a data URL
    assert AzureDallEAPIWrapper().run("a fox").startswith("data:image/png;base64,")
    parser = AzureOpenAIWhisperParser(azure_deployment="whisper-2")
    assert parser.deployment_name == "whisper-2"
    assert emulator.api_key not in repr(parser) and emulator.api_key not in repr(AzureOpenAITextToSpeech())


def test_bad_image_settings_fail_before_any_request(conn: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as e:
        AzureDallEAPIWrapper(**conn, azure_deployment="dall-e-3", size="512x512").run("a fox")
    assert e.value.setting == "size" and "use one of 1024x1024, 1792x1024, 1024x1792" in str(e.value)


def test_wrapper_pickles_without_its_client(conn: dict[str, Any]) -> None:
    dalle = AzureDallEAPIWrapper(**conn, azure_deployment="dall-e-3")
    dalle.run("a fox")
    copy = pickle.loads(pickle.dumps(dalle))
    assert copy._core is None and copy.run("a fox").startswith(conn["azure_endpoint"])


def test_image_tool_returns_url_and_artifact(conn: dict[str, Any], emulator: Any) -> None:
    tool = AzureOpenAIImageTool(api_wrapper=AzureDallEAPIWrapper(**conn, azure_deployment="dall-e-3"))
    assert tool.name == "generate_image" and set(tool.args) == {"prompt"}
    msg = tool.invoke({"name": "generate_image", "args": {"prompt": "a red fox"}, "id": "call_1", "type": "tool_call"})
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "call_1"
    assert isinstance(msg.artifact, ImageResult) and msg.content == msg.artifact.images[0].url
    assert str(msg.content).startswith(emulator.url)
    assert str(tool.invoke("a red fox")).startswith(emulator.url)  # plain input: just the text


async def test_image_tool_can_save_files(conn: dict[str, Any], tmp_path: Path) -> None:
    tool = AzureOpenAIImageTool(
        api_wrapper=AzureDallEAPIWrapper(**conn, azure_deployment="dall-e-3", response_format="b64_json"),
        save_dir=str(tmp_path),
    )
    msg = await tool.ainvoke({"name": "generate_image", "args": {"prompt": "a fox"}, "id": "c9", "type": "tool_call"})
    path = Path(str(msg.content))
    assert path.parent == tmp_path and path.read_bytes() == msg.artifact.images[0].image_bytes()


def _agent_turn(llm: Any, tools: dict[str, Any], question: str) -> tuple[AIMessage, list[ToolMessage], AIMessage]:
    messages: list[Any] = [HumanMessage(question)]
    first = llm.invoke(messages)
    assert isinstance(first, AIMessage) and first.tool_calls
    results = [tools[call["name"]].invoke(call) for call in first.tool_calls]
    final = llm.invoke([*messages, first, *results])
    return first, results, final


def test_agent_loop_draws_an_image(conn: dict[str, Any], emulator: Any) -> None:
    image_tool = AzureOpenAIImageTool(api_wrapper=AzureDallEAPIWrapper(**conn, azure_deployment="dall-e-3"))
    chat = AzureChatOpenAI(azure_deployment="gpt-4o", **conn).bind_tools([image_tool])
    first, results, final = _agent_turn(
        chat, {"generate_image": image_tool}, "Please draw an image of a red fox in the snow"
    )
    assert first.tool_calls[0]["name"] == "generate_image"
    assert "fox" in first.tool_calls[0]["args"]["prompt"]
    (result,) = results
    assert str(result.content).startswith(f"{emulator.url}/_emulator/blobs/")
    assert isinstance(final.content, str) and final.content.startswith("Based on the tool results")
    assert not final.tool_calls


async def test_async_agent_loop_speaks(conn: dict[str, Any]) -> None:
    tts_tool = AzureOpenAITextToSpeechTool(api_wrapper=AzureOpenAITextToSpeech(**conn, response_format="wav"))
    chat = AzureChatOpenAI(azure_deployment="gpt-4o", **conn).bind_tools([tts_tool])
    first = await chat.ainvoke("Use text to speech to read aloud: good morning")
    assert first.tool_calls and first.tool_calls[0]["name"] == "text_to_speech"
    result = await tts_tool.ainvoke(first.tool_calls[0])
    path = Path(str(result.content))
    try:
        assert path.suffix == ".wav" and path.read_bytes() == result.artifact.audio
        assert isinstance(result.artifact, SpeechResult) and result.artifact.audio[:4] == b"RIFF"
    finally:
        os.unlink(path)


def test_whisper_parser_round_trip(conn: dict[str, Any], tmp_path: Path) -> None:
    audio = AzureOpenAITextToSpeech(**conn, response_format="wav").speak("The meeting starts at nine.").audio
    path = tmp_path / "meeting.wav"
    path.write_bytes(audio)
    parser = AzureOpenAIWhisperParser(**conn)
    (doc,) = parser.parse(Blob.from_path(path))
    assert doc.page_content == "The meeting starts at nine." and doc.metadata == {"source": str(path)}
    verbose = AzureOpenAIWhisperParser(**conn, response_format="verbose_json", language="en")
    (doc,) = verbose.parse(Blob.from_data(audio, mime_type="audio/wav"))
    assert doc.page_content == "The meeting starts at nine."
    assert doc.metadata["source"] is None and doc.metadata["language"] == "en" and doc.metadata["duration"] > 0
    translated = AzureOpenAIWhisperParser(**conn, translate=True, response_format="text")
    assert translated.parse(Blob.from_path(path))[0].page_content == "The meeting starts at nine.\n"


async def test_whisper_parser_async(conn: dict[str, Any]) -> None:
    docs = await AzureOpenAIWhisperParser(**conn).aparse(Blob.from_data(wav("Hello async."), path="hello.wav"))
    assert [d.page_content for d in docs] == ["Hello async."]


def test_whisper_parser_refuses_oversized_audio_before_upload(conn: dict[str, Any]) -> None:
    parser = AzureOpenAIWhisperParser(**{**conn, "azure_endpoint": "http://127.0.0.1:9"})  # never contacted
    with pytest.raises(ConfigurationError) as e:
        parser.parse(Blob.from_data(b"\0" * (25 * 1024 * 1024 + 1), path="long.mp3"))
    assert e.value.setting == "file" and "Azure accepts at most 25 MB per request" in str(e.value)
