"""Batch embeddings and texts over the model's input limit (8,191 tokens for text-embedding-3-*):
the batch path makes the interactive path's decision (``on_too_long``: split into pieces and merge
their vectors weighted by length, cut, or refuse) in one place (``batch_bodies.embedding_input``),
so a long text's batch vector equals its interactive one, through the core and both frameworks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_azoai import AzureOpenAIBatchEmbeddings, AzureOpenAIEmbeddings
from llamaindex_azoai import AzureOpenAIBatchEmbedding, AzureOpenAIEmbedding
from shared_core.client import CoreClient
from shared_core.emulator.server import EmulatorHandle, start_in_thread
from shared_core.errors import ConfigurationError
from shared_core.services.batch_bodies import batch_embed, embedding_input
from shared_core.services.batch_runner import BatchRunner

LONG = " ".join(f"river{i % 97} engine violin glacier" for i in range(5000))  # about 20,000 tokens
TEXTS = ["a short note on rivers", LONG, "a short note on engines"]


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(overrides={"job_seconds": 0.3}) as handle:
        yield handle


def settings(emu: EmulatorHandle, **kw: Any) -> dict[str, Any]:
    return {
        "azure_endpoint": emu.url,
        "api_key": emu.api_key,
        "api_version": "2024-10-21",
        "azure_deployment": "text-embedding-3-small",
        "dimensions": 32,
        **kw,
    }


def core(emu: EmulatorHandle) -> CoreClient:
    return CoreClient.from_settings(
        azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", require_deployment=False
    )


def test_the_long_text_is_sent_as_pieces() -> None:
    sent = embedding_input(TEXTS, on_too_long="split")
    pieces = [b["input"][0] for b in sent.bodies]
    assert len(pieces) > 3 and sent.owners is not None and sent.count == 3
    assert sent.owners[0] == 0 and sent.owners[-1] == 2 and set(sent.owners[1:-1]) == {1}
    assert "".join(p for p, o in zip(pieces, sent.owners, strict=True) if o == 1).split() == LONG.split()
    assert sent.weights == [float(len(p)) for p in pieces]
    cut = embedding_input(TEXTS, on_too_long="truncate")
    assert len(cut.bodies) == 3 and cut.owners is None and LONG.startswith(cut.bodies[1]["input"][0])


def test_core_batch_vectors_equal_the_interactive_ones(emu: EmulatorHandle) -> None:
    with core(emu) as client:
        runner = BatchRunner(client, "text-embedding-3-small", endpoint="/embeddings", poll_interval=0.05)
        for mode in ("split", "truncate"):
            vectors, result = batch_embed(runner, TEXTS, dimensions=32, on_too_long=mode)  # type: ignore[arg-type]
            direct = client.embed(TEXTS, model="text-embedding-3-small", dimensions=32, on_too_long=mode).vectors
            assert vectors == direct and len(vectors) == 3
        assert result.total == 3  # truncate: one line per text


def test_error_mode_refuses_before_submitting(emu: EmulatorHandle) -> None:
    before = len(emu.app.jobs.batches)
    with core(emu) as client:
        runner = BatchRunner(client, "text-embedding-3-small", endpoint="/embeddings", poll_interval=0.05)
        with pytest.raises(ConfigurationError, match=r"input 1 .*on_too_long='split'") as e:
            batch_embed(runner, TEXTS, dimensions=32)
    assert e.value.setting is not None and len(emu.app.jobs.batches) == before


def test_langchain_batch_embeddings_split_as_the_interactive_class(emu: EmulatorHandle) -> None:
    embed = AzureOpenAIBatchEmbeddings(**settings(emu, batch_poll_interval=0.05))
    assert embed.embed_documents(TEXTS) == AzureOpenAIEmbeddings(**settings(emu)).embed_documents(TEXTS)
    strict = AzureOpenAIBatchEmbeddings(**settings(emu, batch_poll_interval=0.05, check_embedding_ctx_length=False))
    with pytest.raises(ConfigurationError, match="input 1"):
        strict.embed_documents(TEXTS)


def test_llamaindex_batch_embedding_splits_as_the_interactive_class(emu: EmulatorHandle) -> None:
    kw = settings(emu, model="text-embedding-3-small", on_too_long="split")
    embed = AzureOpenAIBatchEmbedding(**kw, batch_poll_interval=0.05)
    assert embed.get_text_embedding_batch(TEXTS) == AzureOpenAIEmbedding(**kw).get_text_embedding_batch(TEXTS)
