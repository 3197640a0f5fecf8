"""AzureOpenAIBatchEmbedding: VectorStoreIndex and IngestionPipeline through the Batch API (emulator, loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import TextNode

from llamaindex_azoai import AzureOpenAI, AzureOpenAIBatchEmbedding, AzureOpenAIEmbedding
from llamaindex_azoai.batch import abatch_chat, batch_chat
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.server import EmulatorHandle, start_in_thread
from shared_core.services.blob_storage import BlobStorage

TEXTS = [f"note {i}: the {('river', 'engine', 'violin')[i % 3]} of chapter {i // 3}" for i in range(12)]


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
        "model": "text-embedding-3-small",
        "dimensions": 32,
        **kw,
    }


def test_vector_store_index_embeds_nodes_through_one_batch_job(emu: EmulatorHandle, tmp_path: Path) -> None:
    before = len(emu.app.jobs.batches)
    embed = AzureOpenAIBatchEmbedding(**settings(emu, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05))
    nodes = [TextNode(text=t, id_=f"n{i}") for i, t in enumerate(TEXTS)]
    index = VectorStoreIndex(nodes, embed_model=embed, insert_batch_size=100)
    direct = AzureOpenAIEmbedding(**settings(emu)).get_text_embedding_batch(TEXTS)
    stored = index.vector_store.to_dict()["embedding_dict"]
    assert [stored[f"n{i}"] for i in range(12)] == direct
    assert len(emu.app.jobs.batches) == before + 1 and embed.last_batch_ids[0] in emu.app.jobs.batches
    assert embed.get_query_embedding("river") == AzureOpenAIEmbedding(**settings(emu)).get_query_embedding("river")
    assert len(emu.app.jobs.batches) == before + 1  # queries stay interactive


def test_batch_keep_files_leaves_the_files_and_a_rerun_submits_nothing(emu: EmulatorHandle, tmp_path: Path) -> None:
    texts = [f"kept {t}" for t in TEXTS]
    direct = AzureOpenAIEmbedding(**settings(emu)).get_text_embedding_batch(texts)
    files = len(emu.app.jobs.files)
    # default: the job's files (input, output, error) are deleted once joined
    gone = AzureOpenAIBatchEmbedding(**settings(emu, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05))
    assert gone.get_text_embedding_batch(texts) == direct and len(emu.app.jobs.files) == files
    assert list(tmp_path.iterdir()) == []
    kw = {"batch_manifest_dir": str(tmp_path), "batch_poll_interval": 0.05, "batch_keep_files": True}
    kept = AzureOpenAIBatchEmbedding(**settings(emu, **kw))
    assert kept.get_text_embedding_batch(texts) == direct and kept.last_batch_ids != gone.last_batch_ids
    assert len(emu.app.jobs.files) == files + 3 and len(list(tmp_path.iterdir())) == 1
    before = len(emu.app.jobs.batches)
    again = AzureOpenAIBatchEmbedding(**settings(emu, **kw))
    assert again.get_text_embedding_batch(texts) == direct and again.last_batch_ids == kept.last_batch_ids
    assert len(emu.app.jobs.batches) == before


async def test_ingestion_pipeline_async(emu: EmulatorHandle) -> None:
    embed = AzureOpenAIBatchEmbedding(**settings(emu, batch_poll_interval=0.05))
    before = len(emu.app.jobs.batches)
    nodes = await IngestionPipeline(transformations=[embed]).arun(nodes=[TextNode(text=t) for t in TEXTS])
    assert [n.embedding for n in nodes] == AzureOpenAIEmbedding(**settings(emu)).get_text_embedding_batch(TEXTS)
    assert len(emu.app.jobs.batches) == before + 1


def test_batch_chat_returns_chat_responses_in_order(emu: EmulatorHandle) -> None:
    llm = AzureOpenAI(
        engine="gpt-5.2", model="gpt-5.2", azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21"
    )
    convs = [[ChatMessage(role="user", content=f"What is {i} + 1?")] for i in range(20)]
    responses = batch_chat(llm, convs, options={"poll_interval": 0.05})
    assert [r.message.content if r else None for r in responses] == [str(i + 1) for i in range(20)]
    first = responses[0]
    assert first is not None and first.additional_kwargs["batch_id"] in emu.app.jobs.batches
    assert first.message.content == llm.chat(convs[0]).message.content


async def test_abatch_chat_partial(emu: EmulatorHandle) -> None:
    llm = AzureOpenAI(
        engine="gpt-5.2", model="gpt-5.2", azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21"
    )
    convs = [[ChatMessage(role="user", content=t)] for t in ("What is 1 + 1?", f"{FAIL_TERM} now")]
    got = await abatch_chat(llm, convs, options={"poll_interval": 0.05, "on_failure": "report"}, allow_partial=True)
    assert got[0] is not None and got[0].message.content == "2" and got[1] is None


def test_blob_storage_reaches_the_embedding_and_batch_chat(emu: EmulatorHandle) -> None:
    sas = "sv=2025-01-05&sig=dGVzdA%3D%3D"
    blob = BlobStorage(f"{emu.url}/_blob/acct/li-in?{sas}", f"{emu.url}/_blob/acct/li-out?{sas}")
    embed = AzureOpenAIBatchEmbedding(**settings(emu, batch_poll_interval=0.05, batch_blob=blob))
    direct = AzureOpenAIEmbedding(**settings(emu)).get_text_embedding_batch(TEXTS)
    assert embed.get_text_embedding_batch(TEXTS) == direct
    batch = emu.app.jobs.batches[embed.last_batch_ids[0]]
    assert batch["input_blob"].startswith(f"{emu.url}/_blob/acct/li-in/") and batch["input_file_id"] is None
    llm = AzureOpenAI(
        engine="gpt-5.2", model="gpt-5.2", azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21"
    )
    convs = [[ChatMessage(role="user", content=f"What is {i} + 1?")] for i in range(3)]
    responses = batch_chat(llm, convs, options={"poll_interval": 0.05, "blob": blob})
    assert [r.message.content if r else None for r in responses] == ["1", "2", "3"]
    first = responses[0]
    assert first is not None
    assert emu.app.jobs.batches[first.additional_kwargs["batch_id"]]["output_blob"].startswith(
        f"{emu.url}/_blob/acct/li-out/"
    )
    blob.close()
