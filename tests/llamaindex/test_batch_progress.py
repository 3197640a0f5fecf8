"""``show_progress`` on the batch embedding model and ``batch_chat`` honoured as LlamaIndex honours it
(``llama_index.core.utils.get_tqdm_iterable``): a tqdm bar, "Generating embeddings" for nodes, when
``get_text_embedding_batch`` gets True (``VectorStoreIndex(show_progress=True)`` passes it on;
``IngestionPipeline.run`` draws its own bar and does not), nothing when False or without tqdm."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import TextNode

from llamaindex_azoai import AzureOpenAI, AzureOpenAIBatchEmbedding
from llamaindex_azoai.batch import batch_chat
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.server import EmulatorHandle, start_in_thread

TEXTS = [f"note {i}: the {('river', 'engine', 'violin')[i % 3]} of chapter {i // 3}" for i in range(12)]


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(overrides={"job_seconds": 0.3}) as handle:
        yield handle


def embed_model(emu: EmulatorHandle, **kw: Any) -> AzureOpenAIBatchEmbedding:
    return AzureOpenAIBatchEmbedding(
        azure_endpoint=emu.url,
        api_key=emu.api_key,
        api_version="2024-10-21",
        azure_deployment="text-embedding-3-small",
        model="text-embedding-3-small",
        dimensions=32,
        batch_poll_interval=0.05,
        **kw,
    )


def nodes() -> list[TextNode]:
    return [TextNode(text=t, id_=f"n{i}") for i, t in enumerate(TEXTS)]


def test_ingestion_pipeline_show_progress_is_the_pipelines(
    emu: EmulatorHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    # the pipeline draws its own bar over transformations and does not pass show_progress on
    # (ingestion/pipeline.py run_transformations): the model adds none, as the interactive one
    IngestionPipeline(transformations=[embed_model(emu)]).run(nodes=nodes(), show_progress=True)
    err = capsys.readouterr().err
    assert "Applying transformations" in err and "Generating embeddings" not in err
    embed_model(emu).get_text_embedding_batch(TEXTS, show_progress=False)
    assert capsys.readouterr().err == ""
    embed_model(emu).get_text_embedding_batch(TEXTS, show_progress=True)
    err = capsys.readouterr().err
    assert "Generating embeddings" in err and "12/12" in err and "failed=0" in err


def test_vector_store_index_show_progress_draws_the_bar(
    emu: EmulatorHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    VectorStoreIndex(nodes(), embed_model=embed_model(emu), show_progress=True)
    err = capsys.readouterr().err
    assert "Generating embeddings" in err and "12/12" in err


def test_batch_chat_show_progress_counts_failures(emu: EmulatorHandle, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    llm = AzureOpenAI(
        engine="gpt-5.2", model="gpt-5.2", azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21"
    )
    convs = [[ChatMessage(role="user", content=t)] for t in ("What is 1 + 1?", f"{FAIL_TERM} now")]
    options = {"poll_interval": 0.05, "on_failure": "report", "show_progress": True}
    batch_chat(llm, convs, options=options, allow_partial=True)
    err = capsys.readouterr().err
    assert "Batch chat" in err and "2/2" in err and "failed=1" in err


def test_without_tqdm_nothing_is_drawn(
    emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as get_tqdm_iterable: no tqdm, no bar, no error
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    index = VectorStoreIndex(nodes(), embed_model=embed_model(emu), show_progress=True)
    assert len(index.vector_store.to_dict()["embedding_dict"]) == 12
    assert capsys.readouterr().err == ""
