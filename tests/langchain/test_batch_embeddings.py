"""AzureOpenAIBatchEmbeddings: a vector store filled through the Batch API (emulator, loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_azoai import AzureOpenAIBatchEmbeddings, AzureOpenAIEmbeddings
from shared_core.emulator.server import EmulatorHandle, start_in_thread

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
        "dimensions": 32,
        **kw,
    }


def test_from_documents_embeds_through_one_batch_job(emu: EmulatorHandle, tmp_path: Path) -> None:
    before = len(emu.app.jobs.batches)
    embed = AzureOpenAIBatchEmbeddings(**settings(emu, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05))
    store = InMemoryVectorStore.from_documents([Document(page_content=t) for t in TEXTS], embed)
    direct = AzureOpenAIEmbeddings(**settings(emu)).embed_documents(TEXTS)
    stored = [store.store[k]["vector"] for k in store.store]
    assert stored == direct
    assert len(emu.app.jobs.batches) == before + 1 and len(embed.last_batch_ids) == 1
    assert embed.last_batch_ids[0] in emu.app.jobs.batches
    assert embed.embed_query("river") == AzureOpenAIEmbeddings(**settings(emu)).embed_query("river")
    assert len(emu.app.jobs.batches) == before + 1  # queries stay interactive
    again = AzureOpenAIBatchEmbeddings(**settings(emu, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05))
    assert again.embed_documents(TEXTS) == direct and again.last_batch_ids == embed.last_batch_ids  # resumed


async def test_async_bulk_call_and_small_calls_stay_interactive(emu: EmulatorHandle) -> None:
    embed = AzureOpenAIBatchEmbeddings(**settings(emu, batch_poll_interval=0.05, batch_min_texts=5))
    before = len(emu.app.jobs.batches)
    assert await embed.aembed_documents(TEXTS[:4]) == AzureOpenAIEmbeddings(**settings(emu)).embed_documents(TEXTS[:4])
    assert len(emu.app.jobs.batches) == before and embed.last_batch_ids == []
    vectors = await embed.aembed_documents(TEXTS)
    assert vectors == AzureOpenAIEmbeddings(**settings(emu)).embed_documents(TEXTS)
    assert len(emu.app.jobs.batches) == before + 1
