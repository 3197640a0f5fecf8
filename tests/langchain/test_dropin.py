"""Drop-in: the usage examples of langchain-openai's AzureChatOpenAI / AzureOpenAIEmbeddings
docstrings (rewritten, same calls), run against the emulator with only the import changed.

Each example takes the module to import from; it runs with ``langchain_azoai`` and, as the
control, with ``langchain_openai`` against the same emulator: same code, both pass.
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, Field

from shared_core.emulator.config import make_deployment

KEY = "azoai-emulator-key"


@pytest.fixture(scope="module")
def dropin_emulator() -> Iterator[Any]:
    from shared_core.emulator.server import start_in_thread

    deployments = {
        d.name: d
        for d in (
            make_deployment("your-deployment", "gpt-4o", serve_retired=True),
            make_deployment("text-embedding-3-large"),
        )
    }
    handle = start_in_thread(deployments=deployments)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(params=["langchain_azoai", "langchain_openai"])
def lib(request: pytest.FixtureRequest, dropin_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # the docstrings' setup: export AZURE_OPENAI_API_KEY / AZURE_OPENAI_ENDPOINT (+ version)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", f"http://127.0.0.1:{dropin_emulator.port}")
    monkeypatch.setenv("AZURE_OPENAI_API_VERSION", "2024-10-21")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    return importlib.import_module(request.param)


def _model(lib: ModuleType) -> Any:
    return lib.AzureChatOpenAI(
        azure_deployment="your-deployment",
        api_version="2024-05-01-preview",
        temperature=0,
        max_tokens=None,
        timeout=None,
        max_retries=2,
    )


MESSAGES = [
    ("system", "You are a helpful translator. Translate the user sentence to French."),
    ("human", "I love programming."),
]


def test_invoke(lib: ModuleType) -> None:
    msg = _model(lib).invoke(MESSAGES)
    assert isinstance(msg.content, str) and msg.content
    assert msg.usage_metadata["total_tokens"] == (
        msg.usage_metadata["input_tokens"] + msg.usage_metadata["output_tokens"]
    )
    rm = msg.response_metadata
    assert rm["finish_reason"] == "stop"
    assert rm["model_name"].startswith("gpt-4o")
    assert rm["prompt_filter_results"][0]["content_filter_results"]["hate"]["filtered"] is False
    assert "content_filter_results" in rm


def test_stream(lib: ModuleType) -> None:
    stream = _model(lib).stream(MESSAGES)
    full = next(stream)
    for chunk in stream:
        full += chunk
    assert full.content and full.response_metadata["finish_reason"] == "stop"
    assert full.text == full.content


async def test_async(lib: ModuleType) -> None:
    model = _model(lib)
    msg = await model.ainvoke(MESSAGES)
    parts = [c.content async for c in model.astream(MESSAGES)]
    batch = await model.abatch([MESSAGES])
    assert "".join(parts) == msg.content == batch[0].content


class GetWeather(BaseModel):
    """Get the current weather in a given location"""

    location: str = Field(..., description="The city and state, e.g. San Francisco, CA")


class GetPopulation(BaseModel):
    """Get the current population in a given location"""

    location: str = Field(..., description="The city and state, e.g. San Francisco, CA")


def _tool_example(lib: ModuleType, question: str) -> Any:
    model_with_tools = _model(lib).bind_tools([GetWeather, GetPopulation])
    return model_with_tools.invoke(question)


@pytest.mark.parametrize(
    "question",
    [
        "Which city is hotter today and which is bigger: LA or NY?",  # the docstring's
        "What is the weather and the population in Los Angeles, CA?",
    ],
)
def test_tool_calling_same_answer_as_anchor(lib: ModuleType, question: str) -> None:
    import langchain_openai

    ai_msg = _tool_example(lib, question)
    control = _tool_example(langchain_openai, question)
    assert [(t["name"], t["args"]) for t in ai_msg.tool_calls] == [(t["name"], t["args"]) for t in control.tool_calls]
    assert ai_msg.content == control.content
    if "weather" in question:
        assert {t["name"] for t in ai_msg.tool_calls} == {"GetWeather", "GetPopulation"}


class Joke(BaseModel):
    """Joke to tell user."""

    setup: str = Field(description="The setup of the joke")
    punchline: str = Field(description="The punchline to the joke")
    rating: int | None = Field(description="How funny the joke is, from 1 to 10")


def test_structured_output(lib: ModuleType) -> None:
    # The docstring's api_version (2024-05-01-preview) predates json_schema: langchain-openai
    # meets Azure's 400; ours sees the version, warns and uses a forced tool call instead.
    if lib.__name__ == "langchain_azoai":
        with pytest.warns(UserWarning, match="needs api-version 2024-08-01-preview or later"):
            structured_model = _model(lib).with_structured_output(Joke)
        assert isinstance(structured_model.invoke("Tell me a joke about cats"), Joke)
    else:
        structured_model = _model(lib).with_structured_output(Joke)
        with pytest.raises(Exception, match="2024-08-01-preview"):
            structured_model.invoke("Tell me a joke about cats")
    model = lib.AzureChatOpenAI(azure_deployment="your-deployment", api_version="2024-10-21")
    joke = model.with_structured_output(Joke).invoke("Tell me a joke about cats")
    assert isinstance(joke, Joke)


def test_json_mode(lib: ModuleType) -> None:
    json_model = _model(lib).bind(response_format={"type": "json_object"})
    ai_msg = json_model.invoke("Return a JSON object with key 'random_ints' and a value of 10 random ints in [0-99]")
    import json

    assert isinstance(json.loads(ai_msg.content), dict)


def test_image_input(lib: ModuleType) -> None:
    from langchain_core.messages import HumanMessage

    from tests.langchain._wire import png

    image_data = base64.b64encode(png()).decode("utf-8")  # the docstring downloads one
    message = HumanMessage(
        content=[
            {"type": "text", "text": "describe the weather in this image"},
            {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{image_data}"}},
        ]
    )
    ai_msg = _model(lib).invoke([message])
    assert isinstance(ai_msg.content, str) and ai_msg.content


def test_token_usage_and_logprobs(lib: ModuleType) -> None:
    model = _model(lib)
    ai_msg = model.invoke(MESSAGES)
    assert set(ai_msg.usage_metadata) >= {"input_tokens", "output_tokens", "total_tokens"}
    logprobs_model = model.bind(logprobs=True)
    ai_msg = logprobs_model.invoke(MESSAGES)
    assert "logprobs" in ai_msg.response_metadata  # the emulator returns null logprobs


def _embeddings(lib: ModuleType) -> Any:
    if lib.__name__ == "langchain_openai":
        pytest.skip(
            "langchain-openai's embeddings download a tiktoken file from the internet "
            "on first use (issue #24248); tests stay offline"
        )
    return lib.AzureOpenAIEmbeddings(model="text-embedding-3-large")


def test_embed_query_and_documents(lib: ModuleType) -> None:
    embed = _embeddings(lib)
    input_text = "The meaning of life is 42"
    vector = embed.embed_query(input_text)
    assert len(vector) > 3 and all(isinstance(x, float) for x in vector[:3])
    input_texts = ["Document 1...", "Document 2..."]
    vectors = embed.embed_documents(input_texts)
    assert len(vectors) == 2 and len(vectors[0]) == len(vector)


async def test_embed_async(lib: ModuleType) -> None:
    embed = _embeddings(lib)
    vector = await embed.aembed_query("The meaning of life is 42")
    vectors = await embed.aembed_documents(["Document 1...", "Document 2..."])
    assert len(vectors) == 2 and len(vector) == len(vectors[0])
    assert vector == embed.embed_query("The meaning of life is 42")
