"""The anchors' README and docstring examples, same calls, with only the import line changed.

Rewritten from llama-index-llms-azure-openai's README / docstrings (and the OpenAI parent's), run
against the azoai emulator configured with the deployment names those examples use.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding, AzureOpenAIMultiModal  # the one changed line


@pytest.fixture(scope="module")
def example_emulator() -> Iterator[Any]:
    from shared_core.emulator.app import create_app
    from shared_core.emulator.server import start_in_thread

    # The docs' deployments name gpt-35-turbo-16k, which Azure retired (2025-04-30) and answers with
    # errors; behind the same deployment names the emulator serves a current model.
    app = create_app(
        overrides={
            "deployments": {
                "simon-llm": "gpt-4o-mini",
                "my-custom-llm": "gpt-4o-mini",
                "AZURE_AZURE_OPENAI_DEPLOYMENT_NAME": {"model": "gpt-4o", "serve_retired": True},
                "my-gpt-4o": {"model": "gpt-4o", "serve_retired": True},
                "gpt-4-vision-preview": {"model": "gpt-4o", "serve_retired": True},
                "text-embedding-ada-002": "text-embedding-ada-002",
                "my-embeddings": "text-embedding-3-small",
            }
        }
    )
    handle = start_in_thread(app)
    yield handle
    handle.stop()


@pytest.fixture
def readme_env(example_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The README's environment: note it sets OPENAI_API_KEY, which the anchors accept too."""
    monkeypatch.setenv("OPENAI_API_KEY", example_emulator.api_key)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", example_emulator.url)
    monkeypatch.setenv("OPENAI_API_VERSION", "2023-07-01-preview")
    return example_emulator


def test_readme_env_vars_complete_stream_chat(readme_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from llama_index.core.llms import ChatMessage

    llm = AzureOpenAI(engine="simon-llm", model="gpt-35-turbo-16k", temperature=0.0)

    response = llm.complete("The sky is a beautiful blue and")
    print(response)

    response = llm.stream_complete("The sky is a beautiful blue and")
    for r in response:
        print(r.delta, end="")

    messages = [
        ChatMessage(role="system", content="You are a pirate with a colorful personality."),
        ChatMessage(role="user", content="Hello"),
    ]
    response = llm.chat(messages)
    print(response)

    response = llm.stream_chat(messages)
    for r in response:
        print(r.delta, end="")

    out = capsys.readouterr().out
    assert out.count("The sky is a beautiful blue and") == 2
    assert "assistant: " in out and out.count("Hello") == 2


def test_readme_explicit_parameters_and_additional_kwargs(example_emulator: Any) -> None:
    llm = AzureOpenAI(
        engine="my-custom-llm",
        model="gpt-35-turbo-16k",
        temperature=0.0,
        azure_endpoint=example_emulator.url,
        api_key=example_emulator.api_key,
        api_version="2023-07-01-preview",
    )
    assert "The sky" in str(llm.complete("The sky is a beautiful blue and"))
    llm = AzureOpenAI(
        engine="my-custom-llm",
        model="gpt-35-turbo-16k",
        temperature=0.0,
        additional_kwargs={"user": "your_user_id"},
        azure_endpoint=example_emulator.url,
        api_key=example_emulator.api_key,
        api_version="2023-07-01-preview",
    )
    assert str(llm.complete("hi"))


def test_docstring_key_example(example_emulator: Any) -> None:
    aoai_api_key = example_emulator.api_key
    aoai_endpoint = example_emulator.url
    aoai_api_version = "2023-07-01-preview"

    llm = AzureOpenAI(
        engine="AZURE_AZURE_OPENAI_DEPLOYMENT_NAME",
        model="gpt-4o",
        api_key=aoai_api_key,
        azure_endpoint=aoai_endpoint,
        api_version=aoai_api_version,
    )
    assert llm.complete("Paul Graham is ").text


def test_docstring_managed_identity_example(example_emulator: Any) -> None:
    """The docstring's token-provider example, with a stand-in for get_bearer_token_provider."""
    aoai_endpoint = example_emulator.url
    aoai_api_version = "2023-07-01-preview"
    issued: list[str] = []

    def token_provider() -> str:  # what get_bearer_token_provider(credential, scope) returns
        issued.append("t")
        claims = {"aud": "https://cognitiveservices.azure.com", "exp": int(time.time()) + 3600}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"eyJhbGciOiJub25lIn0.{body}."

    llm = AzureOpenAI(
        engine="my-gpt-4o",
        model="gpt-4o",
        azure_ad_token_provider=token_provider,
        use_azure_ad=True,
        azure_endpoint=aoai_endpoint,
        api_version=aoai_api_version,
    )
    assert llm.complete("hello").text
    assert issued  # the provider was used for the call


def test_openai_parent_docstring_stream_example(readme_env: Any) -> None:
    llm = AzureOpenAI(engine="my-gpt-4o", model="gpt-4o")
    stream = llm.stream_complete("Hi, write a short story")
    text = "".join(r.delta for r in stream)
    assert "short story" in text


def test_embedding_docs_example(example_emulator: Any) -> None:
    embed_model = AzureOpenAIEmbedding(
        model="text-embedding-ada-002",
        deployment_name="my-embeddings",
        api_key=example_emulator.api_key,
        azure_endpoint=example_emulator.url,
        api_version="2023-07-01-preview",
    )
    embeddings = embed_model.get_text_embedding("It is raining cats and dogs here!")
    assert len(embeddings) == 1536
    assert len(asyncio.run(embed_model.aget_text_embedding_batch(["a", "b"]))) == 2


def test_multimodal_docs_example(example_emulator: Any) -> None:
    from llama_index.core.schema import ImageDocument

    with pytest.warns(DeprecationWarning):
        azure_openai_mm_llm = AzureOpenAIMultiModal(
            engine="gpt-4-vision-preview",
            api_version="2023-12-01-preview",
            model="gpt-4-vision-preview",
            max_new_tokens=300,
            azure_endpoint=example_emulator.url,
            api_key=example_emulator.api_key,
        )
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    image_documents = [ImageDocument(image=png)]
    complete_response = azure_openai_mm_llm.complete(
        prompt="Describe the images as an alternative text",
        image_documents=image_documents,
    )
    assert complete_response.text
    assert azure_openai_mm_llm.max_tokens == 300


def test_a_config_saved_by_the_anchor_loads_into_ours(example_emulator: Any) -> None:
    from llama_index.llms.azure_openai import AzureOpenAI as AnchorAzureOpenAI

    saved = AnchorAzureOpenAI(
        engine="my-gpt-4o",
        model="gpt-4o",
        api_key=example_emulator.api_key,
        azure_endpoint=example_emulator.url,
        api_version="2024-10-21",
    ).to_dict()
    llm = AzureOpenAI.from_dict(saved)
    assert (llm.engine, llm.model, llm.api_version) == ("my-gpt-4o", "gpt-4o", "2024-10-21")
    assert llm.complete("loaded").text
    assert "api_key" not in llm.to_dict()  # and ours does not write the key back out
