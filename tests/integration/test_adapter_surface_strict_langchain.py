"""Every public method of langchain_azoai, called with ordinary arguments against the strict emulator.

Issue 11: our own client never sends a request that the emulator's rule table (what Azure refuses)
refuses. Each test calls one method of one public class on today's deployments and checks the
parsed result; a 400 from any rule surfaces as our typed error and fails the test.
``test_every_public_method_is_driven`` keeps the list honest: a new public method fails it until a
test here drives it.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.document_loaders import Blob
from langchain_core.messages import AIMessage, AIMessageChunk
from pydantic import BaseModel, Field

from langchain_azoai import (
    AzureChatOpenAI,
    AzureDallEAPIWrapper,
    AzureOpenAI,
    AzureOpenAIBatchEmbeddings,
    AzureOpenAIEmbeddings,
    AzureOpenAIImageTool,
    AzureOpenAITextToSpeech,
    AzureOpenAITextToSpeechTool,
    AzureOpenAIWhisperParser,
)
from shared_core.emulator.media import PNG_MAGIC, wav
from shared_core.emulator.server import EmulatorHandle
from shared_core.errors import UnsupportedParameterError

from .adapter_surface_support import check_enumeration, conn, emulator, own_methods

__all__ = ["conn", "emulator"]  # fixtures, imported for pytest

RUNNABLE = {"invoke", "ainvoke", "stream", "astream", "batch", "abatch"}
TOOL = {"invoke", "ainvoke", "run", "arun"}

#: per public class, the methods the tests below drive (ours, plus the framework's network entry points)
COVERED: dict[str, set[str]] = {
    "AzureChatOpenAI": RUNNABLE | {"bind_tools", "with_structured_output"},
    "AzureOpenAI": RUNNABLE,
    "AzureOpenAIEmbeddings": {"embed_documents", "embed_query", "aembed_documents", "aembed_query"},
    "AzureOpenAIBatchEmbeddings": {"embed_documents", "embed_query", "aembed_documents", "aembed_query"},
    "AzureDallEAPIWrapper": {"run", "arun", "generate", "agenerate"},
    "AzureOpenAIImageTool": TOOL,
    "AzureOpenAITextToSpeech": {"speak", "aspeak"},
    "AzureOpenAITextToSpeechTool": TOOL,
    "AzureOpenAIWhisperParser": {"lazy_parse", "aparse", "parse"},
}
FRAMEWORK: dict[str, set[str]] = {
    "AzureChatOpenAI": RUNNABLE,
    "AzureOpenAI": RUNNABLE,
    "AzureOpenAIImageTool": TOOL,
    "AzureOpenAITextToSpeechTool": TOOL,
    "AzureOpenAIWhisperParser": {"parse"},
}

CHAT_DEPLOYMENTS = ["gpt-5.2", "gpt-5-mini"]  # today's chat and reasoning models
PROMPT = "Name the capital of France."


@pytest.fixture(autouse=True)
def _reset(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fresh rate-limit windows per test, and no Azure settings from the machine."""
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION", "AZURE_OPENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    httpx.post(f"{emulator.url}/_emulator/reset").raise_for_status()


def test_every_public_method_is_driven() -> None:
    check_enumeration("langchain_azoai", COVERED, FRAMEWORK)


def test_enumeration_sees_a_new_public_method() -> None:
    class Grown(AzureChatOpenAI):
        def summarize(self, text: str) -> str:
            return text

        def _helper(self) -> None:
            """private: not part of the surface"""

    Grown.__module__ = "langchain_azoai.chat_models"  # as if added to our own class
    assert own_methods(Grown) - own_methods(AzureChatOpenAI) == {"summarize"}
    with pytest.raises(AssertionError, match=r"not driven \['summarize'\]"):
        check_enumeration("langchain_azoai", COVERED, FRAMEWORK, extra={"AzureChatOpenAI": Grown})


def _chat(conn: dict[str, Any], deployment: str) -> AzureChatOpenAI:
    return AzureChatOpenAI(**conn, azure_deployment=deployment)


def _text(message: Any) -> str:
    assert isinstance(message, AIMessage | AIMessageChunk)
    assert isinstance(message.content, str)
    return message.content


# --- AzureChatOpenAI ------------------------------------------------------------------------------


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
async def test_chat_runnable_methods(conn: dict[str, Any], emulator: EmulatorHandle, deployment: str) -> None:
    chat = _chat(conn, deployment)
    # the answer's wording is the emulator's business; what matters is that every path is accepted and
    # parses to the same deterministic answer
    text = _text(chat.invoke(PROMPT))
    assert text
    assert "".join(_text(c) for c in chat.stream(PROMPT)) == text
    assert [_text(m) for m in chat.batch([PROMPT, PROMPT])] == [text, text]
    assert _text(await chat.ainvoke(PROMPT)) == text
    assert "".join([_text(c) async for c in chat.astream(PROMPT)]) == text
    assert [_text(m) for m in await chat.abatch([PROMPT, PROMPT])] == [text, text]
    await chat.aclose()


# Settings users commonly pass, copied from gpt-4o-era code. max_tokens becomes max_completion_tokens;
# the rest is the caller's and is sent as given, so a setting the model refuses comes back as Azure's
# 400, raised as UnsupportedParameterError naming it (issue 11: never dropped silently).
COMMON_SETTINGS: list[dict[str, Any]] = [
    {"max_tokens": 256},
    {"temperature": 0},
    {"top_p": 0.5},
    {"streaming": True, "stream_usage": True},
    {"seed": 7},
    {"timeout": 30},
    # what LangChain's ReAct helpers bind; the o-series and gpt-5 before 5.5 refuse it (rule chat.reasoning.stop)
    {"stop": ["\nObservation:"]},
]
# gpt-5-mini takes no sampling setting (rules chat.reasoning.sampling_default_only, penalties_logprobs);
# gpt-5.2 takes temperature / top_p at its default reasoning effort, none (OpenAI's "Using GPT-5.2")
REFUSED = {("gpt-5-mini", "temperature"), ("gpt-5-mini", "top_p"), ("gpt-5-mini", "stop"), ("gpt-5.2", "stop")}


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
@pytest.mark.parametrize("settings", COMMON_SETTINGS, ids=lambda kw: ",".join(kw))
def test_chat_common_settings(conn: dict[str, Any], deployment: str, settings: dict[str, Any]) -> None:
    chat = AzureChatOpenAI(**conn, azure_deployment=deployment, **settings)
    name = next(iter(settings))
    if (deployment, name) in REFUSED:
        with pytest.raises(UnsupportedParameterError) as info:
            chat.invoke(PROMPT)
        assert (info.value.status, info.value.param) == (400, name)
        assert f"'{deployment}' (GPT-5)" in info.value.message and f"remove {name} " in info.value.message
        return
    assert _text(chat.invoke(PROMPT))
    assert "".join(_text(c) for c in chat.stream(PROMPT))
    with pytest.raises(UnsupportedParameterError, match="does not take stop"):  # the per-call form of stop
        chat.bind(stop=["\nObservation:"]).invoke(PROMPT)


class GetWeather(BaseModel):
    """Current weather for a city."""

    city: str = Field(description="the city, e.g. Paris")


class Capital(BaseModel):
    """A country's capital city."""

    country: str
    capital: str


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
def test_chat_bind_tools(conn: dict[str, Any], emulator: EmulatorHandle, deployment: str) -> None:
    chat = _chat(conn, deployment)
    answer = chat.bind_tools([GetWeather]).invoke("What is the weather in Paris?")
    assert isinstance(answer, AIMessage)
    assert [(c["name"], c["args"]) for c in answer.tool_calls] == [("GetWeather", {"city": "Paris"})]
    forced = chat.bind_tools([GetWeather], tool_choice="GetWeather").invoke("What is the weather in Oslo?")
    assert isinstance(forced, AIMessage) and forced.tool_calls[0]["args"] == {"city": "Oslo"}


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_chat_with_structured_output(
    conn: dict[str, Any], emulator: EmulatorHandle, deployment: str, method: str
) -> None:
    chat = _chat(conn, deployment)
    prompt = "Extract as JSON with keys country and capital: the capital of France is Paris."
    structured = chat.with_structured_output(Capital, method=method)  # type: ignore[arg-type]
    got = structured.invoke(prompt)
    assert isinstance(got, Capital) and got.country and got.capital
    assert await structured.ainvoke(prompt) == got
    await chat.aclose()


# --- legacy completions -----------------------------------------------------------------------------


async def test_legacy_completions(conn: dict[str, Any], emulator: EmulatorHandle) -> None:
    llm = AzureOpenAI(**conn, azure_deployment="gpt-35-turbo-instruct")
    prompt = "Write a tagline for a bakery."
    text = llm.invoke(prompt)
    assert text
    assert "".join(llm.stream(prompt)) == text
    assert llm.batch([prompt, prompt]) == [text, text]
    assert await llm.ainvoke(prompt) == text
    assert "".join([t async for t in llm.astream(prompt)]) == text
    assert await llm.abatch([prompt, prompt]) == [text, text]
    await llm.aclose()


# --- embeddings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["text-embedding-3-small", "text-embedding-3-large"])
async def test_embeddings(conn: dict[str, Any], emulator: EmulatorHandle, model: str) -> None:
    emb = AzureOpenAIEmbeddings(**conn, azure_deployment=model, model=model)
    width = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072}[model]
    docs = emb.embed_documents(["a red fox", "a lighthouse"])
    assert [len(v) for v in docs] == [width, width] and docs[0] != docs[1]
    assert emb.embed_query("a red fox") == docs[0]
    assert await emb.aembed_documents(["a red fox", "a lighthouse"]) == docs
    assert await emb.aembed_query("a lighthouse") == docs[1]
    await emb.aclose()


async def test_batch_embeddings(conn: dict[str, Any], tmp_path: Path) -> None:
    common = {**conn, "azure_deployment": "text-embedding-3-small", "model": "text-embedding-3-small"}
    emb = AzureOpenAIBatchEmbeddings(
        **common, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05, batch_min_texts=1
    )
    texts = ["a red fox", "a lighthouse"]
    direct = AzureOpenAIEmbeddings(**common).embed_documents(texts)
    assert emb.embed_documents(texts) == direct and emb.last_batch_ids
    assert await emb.aembed_documents(texts) == direct  # resumed from the manifest
    assert emb.embed_query(texts[0]) == direct[0] and await emb.aembed_query(texts[1]) == direct[1]
    await emb.aclose()


# --- images -----------------------------------------------------------------------------------------


def _images(conn: dict[str, Any]) -> AzureDallEAPIWrapper:
    return AzureDallEAPIWrapper(**conn, azure_deployment="gpt-image-1")


async def test_image_wrapper(conn: dict[str, Any], emulator: EmulatorHandle) -> None:
    images = _images(conn)
    for out in (images.run("a red fox"), await images.arun("a red fox")):
        assert _image_bytes(emulator, out).startswith(PNG_MAGIC)
    for result in (images.generate("a lighthouse"), await images.agenerate("a lighthouse")):
        assert result.images[0].image_bytes().startswith(PNG_MAGIC)
        assert result.meta is not None and result.meta.deployment == "gpt-image-1"
    await images.aclose()


def _image_bytes(emulator: EmulatorHandle, out: str) -> bytes:
    """``run`` answers a URL (hosted) or a data/base64 string; either way, the PNG it names."""
    if out.startswith(emulator.url):
        return httpx.get(out).content
    return base64.b64decode(out.split(",", 1)[-1])


async def test_image_tool(conn: dict[str, Any], emulator: EmulatorHandle, tmp_path: Path) -> None:
    tool = AzureOpenAIImageTool(api_wrapper=_images(conn), save_dir=str(tmp_path))
    outs = [tool.invoke({"prompt": "a red fox"}), tool.run("a red fox")]
    outs += [await tool.ainvoke({"prompt": "a red fox"}), await tool.arun("a red fox")]
    for out in outs:
        assert Path(str(out)).read_bytes().startswith(PNG_MAGIC)
    await tool.aclose()


# --- audio ------------------------------------------------------------------------------------------


def _speech(conn: dict[str, Any]) -> AzureOpenAITextToSpeech:
    return AzureOpenAITextToSpeech(**conn, azure_deployment="gpt-4o-mini-tts", response_format="wav")


async def test_speech(conn: dict[str, Any], emulator: EmulatorHandle) -> None:
    tts = _speech(conn)
    for result in (tts.speak("The meeting starts at nine."), await tts.aspeak("The meeting starts at nine.")):
        assert result.audio.startswith(b"RIFF")
    await tts.aclose()


async def test_speech_tool(
    conn: dict[str, Any], emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the tool saves next to the working directory unless told otherwise
    tool = AzureOpenAITextToSpeechTool(api_wrapper=_speech(conn), save_dir=str(tmp_path))
    outs = [tool.invoke({"text": "Hello there."}), tool.run("Hello there.")]
    outs += [await tool.ainvoke({"text": "Hello there."}), await tool.arun("Hello there.")]
    for out in outs:
        assert Path(str(out)).read_bytes().startswith(b"RIFF")
    await tool.aclose()


async def test_whisper_parser(conn: dict[str, Any], emulator: EmulatorHandle) -> None:
    parser = AzureOpenAIWhisperParser(**conn, azure_deployment="gpt-4o-transcribe")
    blob = Blob.from_data(wav("The meeting starts at nine."), path="meeting.wav")
    for docs in (list(parser.lazy_parse(blob)), parser.parse(blob), await parser.aparse(blob)):
        assert [d.page_content for d in docs] == ["The meeting starts at nine."]
    await parser.aclose()
