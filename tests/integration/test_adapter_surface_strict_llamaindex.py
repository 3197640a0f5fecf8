"""Every public method of llamaindex_azoai, called with ordinary arguments against the strict emulator.

The LlamaIndex half of issue 11's surface check (the LangChain half and the reasoning are in
test_adapter_surface_strict_langchain.py): each test drives one class's methods on today's
deployments over both route styles and checks the parsed result; a 400 from any rule of the
emulator's table surfaces as our typed error and fails the test.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, MessageRole, TextBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.schema import ImageDocument
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llamaindex_azoai import (
    AzureOpenAI,
    AzureOpenAIAudioToolSpec,
    AzureOpenAIBatchEmbedding,
    AzureOpenAIEmbedding,
    AzureOpenAIImageGeneration,
    AzureOpenAIImageToolSpec,
    AzureOpenAIMultiModal,
    AzureOpenAIResponses,
    AzureOpenAITextToSpeech,
    AzureOpenAIWhisperReader,
)
from shared_core.emulator.media import PNG_MAGIC, png, wav
from shared_core.emulator.server import EmulatorHandle

from .adapter_surface_support import check_enumeration, conn, emulator

__all__ = ["conn", "emulator"]  # fixtures, imported for pytest

LLM_OWN = {
    "chat",
    "achat",
    "complete",
    "acomplete",
    "stream_chat",
    "astream_chat",
    "stream_complete",
    "astream_complete",
    "structured_predict",
    "astructured_predict",
    "as_structured_llm",
}
LLM_FRAMEWORK = {
    "chat_with_tools",
    "achat_with_tools",
    "stream_chat_with_tools",
    "astream_chat_with_tools",
    "predict_and_call",
    "apredict_and_call",
    "predict",
    "apredict",
    "stream_structured_predict",
    "astream_structured_predict",
}
EMBED_FRAMEWORK = {
    "get_text_embedding",
    "aget_text_embedding",
    "get_query_embedding",
    "aget_query_embedding",
    "get_text_embedding_batch",
    "aget_text_embedding_batch",
}

#: per public class, the methods the tests below drive (ours, plus the framework's network entry points)
COVERED: dict[str, set[str]] = {
    "AzureOpenAI": LLM_OWN | LLM_FRAMEWORK,
    "AzureOpenAIMultiModal": LLM_OWN | LLM_FRAMEWORK,
    "AzureOpenAIEmbedding": EMBED_FRAMEWORK,
    "AzureOpenAIResponses": LLM_OWN | LLM_FRAMEWORK,
    "AzureOpenAIBatchEmbedding": EMBED_FRAMEWORK,
    "AzureOpenAIImageGeneration": {"generate", "agenerate"},
    "AzureOpenAIImageToolSpec": {"generate_image", "agenerate_image"},
    "AzureOpenAITextToSpeech": {"speak", "aspeak"},
    "AzureOpenAIAudioToolSpec": {"text_to_speech", "atext_to_speech"},
    "AzureOpenAIWhisperReader": {"load_data", "aload_data", "lazy_load_data"},
}
FRAMEWORK: dict[str, set[str]] = {
    "AzureOpenAI": LLM_FRAMEWORK,
    "AzureOpenAIMultiModal": LLM_FRAMEWORK,
    "AzureOpenAIEmbedding": EMBED_FRAMEWORK,
    "AzureOpenAIResponses": LLM_FRAMEWORK,
    "AzureOpenAIBatchEmbedding": EMBED_FRAMEWORK - {"get_text_embedding_batch", "aget_text_embedding_batch"},
}

CHAT_DEPLOYMENTS = ["gpt-5.2", "gpt-5-mini"]
LLM_CLASSES = [AzureOpenAI, AzureOpenAIMultiModal, AzureOpenAIResponses]
PROMPT = "Name the capital of France."


@pytest.fixture(autouse=True)
def _reset(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fresh rate-limit windows per test, and no Azure settings from the machine."""
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION", "AZURE_OPENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    httpx.post(f"{emulator.url}/_emulator/reset").raise_for_status()


def test_every_public_method_is_driven() -> None:
    check_enumeration("llamaindex_azoai", COVERED, FRAMEWORK)


def _llm(cls: type[AzureOpenAI], conn: dict[str, Any], deployment: str) -> Any:
    if cls is AzureOpenAIResponses and conn["api_version"] != "v1":
        conn = {**conn, "api_version": "2025-04-01-preview"}  # the dated Responses route starts at 2025-03-01-preview
    if cls is AzureOpenAIMultiModal:  # kept for old code, and says so on construction
        with pytest.warns(DeprecationWarning, match="use llamaindex_azoai.AzureOpenAI with ImageBlock"):
            return cls(**conn, engine=deployment)
    return cls(**conn, engine=deployment)


def _messages(text: str = PROMPT) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=text)]


# --- AzureOpenAI / AzureOpenAIMultiModal: chat and completion ----------------------------------------


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
@pytest.mark.parametrize("cls", LLM_CLASSES, ids=lambda c: c.__name__)
async def test_chat_and_complete(conn: dict[str, Any], cls: type[AzureOpenAI], deployment: str) -> None:
    llm = _llm(cls, conn, deployment)
    # the wording is the emulator's business; every path must be accepted and agree with the others
    text = llm.chat(_messages()).message.content
    assert text
    assert [r.delta for r in llm.stream_chat(_messages())][-1] is not None
    assert "".join(r.delta or "" for r in llm.stream_chat(_messages())) == text
    assert (await llm.achat(_messages())).message.content == text
    assert "".join([r.delta or "" async for r in await llm.astream_chat(_messages())]) == text
    done = llm.complete(PROMPT).text
    assert done == text
    assert "".join(r.delta or "" for r in llm.stream_complete(PROMPT)) == done
    assert (await llm.acomplete(PROMPT)).text == done
    assert "".join([r.delta or "" async for r in await llm.astream_complete(PROMPT)]) == done
    template = PromptTemplate("Name the capital of {country}.")
    assert llm.predict(template, country="France") == text
    assert await llm.apredict(template, country="France") == text
    await llm.aclose()


def get_weather(city: str) -> str:
    """Current weather for a city, e.g. Paris."""
    return f"Sunny and 21 C in {city}"


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
@pytest.mark.parametrize("cls", LLM_CLASSES, ids=lambda c: c.__name__)
async def test_tools(conn: dict[str, Any], cls: type[AzureOpenAI], deployment: str) -> None:
    llm = _llm(cls, conn, deployment)
    tool = FunctionTool.from_defaults(fn=get_weather)
    question = "What is the weather in Paris?"

    def calls(response: Any) -> list[tuple[str, dict[str, Any]]]:
        return [(c.tool_name, c.tool_kwargs) for c in llm.get_tool_calls_from_response(response)]

    expected = [("get_weather", {"city": "Paris"})]
    assert calls(llm.chat_with_tools([tool], user_msg=question)) == expected
    assert calls(await llm.achat_with_tools([tool], user_msg=question)) == expected
    assert calls(list(llm.stream_chat_with_tools([tool], user_msg=question))[-1]) == expected
    streamed = [r async for r in await llm.astream_chat_with_tools([tool], user_msg=question)]
    assert calls(streamed[-1]) == expected
    assert "Sunny and 21 C in Paris" in str(llm.predict_and_call([tool], user_msg=question))
    assert "Sunny and 21 C in Paris" in str(await llm.apredict_and_call([tool], user_msg=question))
    await llm.aclose()


class Capital(BaseModel):
    """A country's capital city."""

    country: str
    capital: str


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
@pytest.mark.parametrize("cls", LLM_CLASSES, ids=lambda c: c.__name__)
async def test_structured(conn: dict[str, Any], cls: type[AzureOpenAI], deployment: str) -> None:
    llm = _llm(cls, conn, deployment)
    template = PromptTemplate("Extract the country and its capital: {text}")
    text = "The capital of France is Paris."
    got = llm.structured_predict(Capital, template, text=text)
    assert isinstance(got, Capital) and got.country and got.capital
    assert await llm.astructured_predict(Capital, template, text=text) == got
    partials = list(llm.stream_structured_predict(Capital, template, text=text))
    assert partials and partials[-1] == got
    apartials = [p async for p in await llm.astream_structured_predict(Capital, template, text=text)]
    assert apartials and apartials[-1] == got
    sllm = llm.as_structured_llm(Capital)
    assert sllm.chat(_messages(f"Extract the country and its capital: {text}")).raw == got
    await llm.aclose()


@pytest.mark.parametrize("deployment", CHAT_DEPLOYMENTS)
async def test_multimodal_images(conn: dict[str, Any], deployment: str) -> None:
    llm = _llm(AzureOpenAIMultiModal, conn, deployment)
    picture = png("a red fox")
    docs = [ImageDocument(image=base64.b64encode(picture).decode())]
    text = llm.complete("Describe the picture.", image_documents=docs).text
    assert text
    assert "".join(r.delta or "" for r in llm.stream_complete("Describe the picture.", image_documents=docs)) == text
    assert (await llm.acomplete("Describe the picture.", image_documents=docs)).text == text
    stream = await llm.astream_complete("Describe the picture.", image_documents=docs)
    assert "".join([r.delta or "" async for r in stream]) == text
    message = ChatMessage(
        role=MessageRole.USER, blocks=[TextBlock(text="Describe the picture."), ImageBlock(image=picture)]
    )
    assert llm.chat([message]).message.content
    await llm.aclose()
    plain = _llm(AzureOpenAI, conn, deployment)  # the successor: image blocks in ordinary chat
    assert plain.chat([message]).message.content
    assert "".join(r.delta or "" for r in plain.stream_chat([message]))
    assert (await plain.achat([message])).message.content
    await plain.aclose()


# --- embeddings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["text-embedding-3-small", "text-embedding-3-large"])
async def test_embeddings(conn: dict[str, Any], model: str) -> None:
    emb = AzureOpenAIEmbedding(**conn, azure_deployment=model, model=model)
    width = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072}[model]
    batch = emb.get_text_embedding_batch(["a red fox", "a lighthouse"])
    assert [len(v) for v in batch] == [width, width] and batch[0] != batch[1]
    assert emb.get_text_embedding("a red fox") == batch[0]
    assert emb.get_query_embedding("a lighthouse") == batch[1]
    assert await emb.aget_text_embedding_batch(["a red fox", "a lighthouse"]) == batch
    assert await emb.aget_text_embedding("a red fox") == batch[0]
    assert await emb.aget_query_embedding("a lighthouse") == batch[1]
    await emb.aclose()


async def test_batch_embedding(conn: dict[str, Any], tmp_path: Path) -> None:
    common = {**conn, "azure_deployment": "text-embedding-3-small", "model": "text-embedding-3-small"}
    emb = AzureOpenAIBatchEmbedding(**common, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05)
    texts = ["a red fox", "a lighthouse"]
    direct = AzureOpenAIEmbedding(**common).get_text_embedding_batch(texts)
    assert emb.get_text_embedding_batch(texts) == direct and emb.last_batch_ids
    assert await emb.aget_text_embedding_batch(texts) == direct  # resumed from the manifest
    assert emb.get_text_embedding(texts[0]) == direct[0] and emb.get_query_embedding(texts[1]) == direct[1]
    assert await emb.aget_text_embedding(texts[0]) == direct[0]
    assert await emb.aget_query_embedding(texts[1]) == direct[1]
    await emb.aclose()


# --- images and audio -------------------------------------------------------------------------------


def _images(conn: dict[str, Any]) -> AzureOpenAIImageGeneration:
    return AzureOpenAIImageGeneration(**conn, deployment_name="gpt-image-1")


async def test_image_generation(conn: dict[str, Any]) -> None:
    images = _images(conn)
    for result in (images.generate("a lighthouse"), await images.agenerate("a lighthouse")):
        assert result.images[0].image_bytes().startswith(PNG_MAGIC)
        assert result.meta is not None and result.meta.deployment == "gpt-image-1"
    await images.aclose()


async def test_image_tool_spec(conn: dict[str, Any], tmp_path: Path) -> None:
    spec = AzureOpenAIImageToolSpec(_images(conn), save_dir=str(tmp_path))
    for out in (spec.generate_image("a red fox"), await spec.agenerate_image("a red fox")):
        assert Path(out).read_bytes().startswith(PNG_MAGIC)


def _speech(conn: dict[str, Any]) -> AzureOpenAITextToSpeech:
    return AzureOpenAITextToSpeech(**conn, deployment_name="gpt-4o-mini-tts", response_format="wav")


async def test_speech(conn: dict[str, Any]) -> None:
    tts = _speech(conn)
    for result in (tts.speak("The meeting starts at nine."), await tts.aspeak("The meeting starts at nine.")):
        assert result.audio.startswith(b"RIFF")
    await tts.aclose()


async def test_audio_tool_spec(conn: dict[str, Any], tmp_path: Path) -> None:
    spec = AzureOpenAIAudioToolSpec(_speech(conn), save_dir=str(tmp_path))
    for out in (spec.text_to_speech("Hello there."), await spec.atext_to_speech("Hello there.")):
        assert Path(out).read_bytes().startswith(b"RIFF")


async def test_whisper_reader(conn: dict[str, Any], tmp_path: Path) -> None:
    reader = AzureOpenAIWhisperReader(**conn, deployment_name="gpt-4o-transcribe")
    path = tmp_path / "meeting.wav"
    path.write_bytes(wav("The meeting starts at nine."))
    for docs in (reader.load_data(path), list(reader.lazy_load_data(path)), await reader.aload_data(path)):
        assert [d.text for d in docs] == ["The meeting starts at nine."]
    await reader.aclose()
