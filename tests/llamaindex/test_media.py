"""Images and audio for LlamaIndex against the loopback emulator: the image tool spec inside a
FunctionAgent, the speech tool spec, and the Whisper reader."""

from __future__ import annotations

import os
import pickle
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.tools import FunctionTool

from llamaindex_azoai import AzureOpenAI
from llamaindex_azoai.audio import AzureOpenAIAudioToolSpec, AzureOpenAITextToSpeech
from llamaindex_azoai.images import AzureOpenAIImageGeneration, AzureOpenAIImageToolSpec
from llamaindex_azoai.readers import AzureOpenAIWhisperReader
from shared_core.emulator.media import PNG_MAGIC, wav
from shared_core.emulator.server import EmulatorHandle, start_in_thread
from shared_core.errors import ConfigurationError
from tests._deployments import with_legacy


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_in_thread(deployments=with_legacy())
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _reset(emulator: EmulatorHandle) -> None:
    """Each test starts with fresh rate-limit windows (images: 60 RPM, 10 per 10 s)."""
    httpx.post(f"{emulator.url}/_emulator/reset").raise_for_status()


@pytest.fixture
async def ahttp() -> AsyncIterator[httpx.AsyncClient]:
    # our own async client, closed on this loop (the core's default would outlive the test's loop)
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def conn(emulator: EmulatorHandle) -> dict[str, Any]:
    return {"azure_endpoint": emulator.url, "api_key": emulator.api_key, "api_version": "2024-10-21", "max_retries": 0}


def test_image_tool_spec_makes_function_tools(conn: dict[str, Any], emulator: EmulatorHandle) -> None:
    (tool,) = AzureOpenAIImageToolSpec(**conn, azure_deployment="dall-e-3").to_tool_list()
    assert isinstance(tool, FunctionTool) and tool.metadata.name == "generate_image"
    assert tool.metadata.get_parameters_dict() == {
        "type": "object",
        "properties": {"prompt": {"title": "Prompt", "type": "string"}},
        "required": ["prompt"],
    }
    out = tool.call(prompt="a red fox")
    assert not out.is_error and str(out.raw_output).startswith(f"{emulator.url}/_emulator/blobs/")
    assert httpx.get(str(out.raw_output)).content.startswith(PNG_MAGIC)


async def test_image_tool_spec_saves_files(conn: dict[str, Any], tmp_path: Path, ahttp: httpx.AsyncClient) -> None:
    generator = AzureOpenAIImageGeneration(
        **conn, azure_deployment="dall-e-3", response_format="b64_json", async_http_client=ahttp
    )
    spec = AzureOpenAIImageToolSpec(generator, save_dir=str(tmp_path / "img"))
    (tool,) = spec.to_tool_list()
    out = await tool.acall(prompt="a lighthouse")
    path = Path(str(out.raw_output))
    assert path.parent == tmp_path / "img" and path.suffix == ".png"
    assert path.read_bytes().startswith(PNG_MAGIC)
    sync_path = Path(spec.generate_image("a lighthouse"))
    assert sync_path != path and sync_path.read_bytes() == path.read_bytes()  # same prompt, same emulator image


def test_generation_settings_and_errors(conn: dict[str, Any]) -> None:
    gen = AzureOpenAIImageGeneration(**conn, deployment_name="dall-e-3", style="natural")
    result = gen.generate("a fox", size="1024x1792")
    assert result.images[0].url is not None and result.meta is not None and result.meta.deployment == "dall-e-3"
    with pytest.raises(ConfigurationError) as e:
        gen.generate("a fox", size="256x256")
    assert e.value.setting == "size" and "not supported by dall-e-3" in str(e.value)
    copy = pickle.loads(pickle.dumps(gen))
    assert copy._core is None and copy.generate("a fox").images[0].url is not None
    assert conn["api_key"] not in repr(gen) and "api_key" not in gen.model_dump()


async def test_function_agent_draws_an_image(
    conn: dict[str, Any], emulator: EmulatorHandle, ahttp: httpx.AsyncClient
) -> None:
    tools = AzureOpenAIImageToolSpec(
        AzureOpenAIImageGeneration(**conn, azure_deployment="dall-e-3", async_http_client=ahttp)
    ).to_tool_list()
    agent = FunctionAgent(tools=tools, llm=AzureOpenAI(engine="gpt-4o", async_http_client=ahttp, **conn))
    handler = agent.run("Please draw an image of a red fox in the snow")
    calls = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    result = await handler
    (call,) = calls
    assert call.tool_name == "generate_image" and "fox" in call.tool_kwargs["prompt"]
    url = str(call.tool_output.raw_output)
    assert url.startswith(f"{emulator.url}/_emulator/blobs/")
    assert str(result.response.content) == f"Based on the tool results: generate_image returned {url}."


async def test_audio_tool_spec(conn: dict[str, Any], tmp_path: Path, ahttp: httpx.AsyncClient) -> None:
    spec = AzureOpenAIAudioToolSpec(
        AzureOpenAITextToSpeech(**conn, response_format="wav", async_http_client=ahttp), save_dir=str(tmp_path)
    )
    (tool,) = spec.to_tool_list()
    assert tool.metadata.name == "text_to_speech"
    path = Path(str((await tool.acall(text="good morning")).raw_output))
    assert path.parent == tmp_path and path.suffix == ".wav" and path.read_bytes()[:4] == b"RIFF"
    second = Path(spec.text_to_speech("good morning"))
    assert second != path and second.read_bytes() == path.read_bytes()


def test_whisper_reader_round_trip(conn: dict[str, Any], tmp_path: Path) -> None:
    audio = AzureOpenAITextToSpeech(**conn, response_format="wav").speak("Minutes of the meeting.").audio
    path = tmp_path / "minutes.wav"
    path.write_bytes(audio)
    reader = AzureOpenAIWhisperReader(**conn)
    (doc,) = reader.load_data(path, extra_info={"meeting": "weekly"})
    assert doc.text == "Minutes of the meeting." and doc.metadata == {"meeting": "weekly", "file_name": "minutes.wav"}
    (doc,) = AzureOpenAIWhisperReader(**conn, response_format="verbose_json", language="en").load_data(audio)
    assert doc.text == "Minutes of the meeting." and doc.metadata["language"] == "en" and doc.metadata["duration"] > 0
    (doc,) = AzureOpenAIWhisperReader(**conn, translate=True).load_data(str(path))
    assert doc.text == "Minutes of the meeting."
    assert [d.text for d in reader.lazy_load_data(audio, file_name="m.wav")] == ["Minutes of the meeting."]


async def test_whisper_reader_async(conn: dict[str, Any], ahttp: httpx.AsyncClient) -> None:
    reader = AzureOpenAIWhisperReader(**conn, async_http_client=ahttp)
    docs = await reader.aload_data(wav("Async minutes."), file_name="m.wav")
    assert [d.text for d in docs] == ["Async minutes."] and docs[0].metadata == {}


def test_whisper_reader_input_errors(conn: dict[str, Any], tmp_path: Path) -> None:
    reader = AzureOpenAIWhisperReader(**{**conn, "azure_endpoint": "http://127.0.0.1:9"})  # never contacted
    with pytest.raises(ConfigurationError) as e:
        reader.load_data(b"\0" * (25 * 1024 * 1024 + 1), file_name="long.mp3")
    assert e.value.setting == "file" and "'long.mp3' is 25.0 MB" in str(e.value)
    missing = os.fspath(tmp_path / "missing.mp3")
    with pytest.raises(ConfigurationError) as e:
        reader.load_data(missing)
    assert str(e.value).startswith(f"file: no file at {missing!r}")
