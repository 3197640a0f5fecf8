"""AzureOpenAIBatchEmbeddings and batch_chat: a vector store filled and a list of chats answered through
the Batch API (emulator, loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage
from langchain_core.vectorstores import InMemoryVectorStore
from pydantic import BaseModel

from langchain_azoai import AzureChatOpenAI, AzureOpenAIBatchEmbeddings, AzureOpenAIEmbeddings
from langchain_azoai.batch import batch_chat
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.server import EmulatorHandle, start_in_thread
from shared_core.services.batch_bodies import BatchIncompleteError
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
    # the job's files were deleted from Azure once joined: the same texts again are a new job; with
    # keep_files=True (a runner argument) they stay, and a rerun reads them and submits nothing
    again = AzureOpenAIBatchEmbeddings(**settings(emu, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05))
    assert again.embed_documents(TEXTS, keep_files=True) == direct and again.last_batch_ids != embed.last_batch_ids
    third = AzureOpenAIBatchEmbeddings(**settings(emu, batch_manifest_dir=str(tmp_path), batch_poll_interval=0.05))
    assert third.embed_documents(TEXTS, keep_files=True) == direct and third.last_batch_ids == again.last_batch_ids


async def test_async_bulk_call_and_small_calls_stay_interactive(emu: EmulatorHandle) -> None:
    embed = AzureOpenAIBatchEmbeddings(**settings(emu, batch_poll_interval=0.05, batch_min_texts=5))
    before = len(emu.app.jobs.batches)
    assert await embed.aembed_documents(TEXTS[:4]) == AzureOpenAIEmbeddings(**settings(emu)).embed_documents(TEXTS[:4])
    assert len(emu.app.jobs.batches) == before and embed.last_batch_ids == []
    vectors = await embed.aembed_documents(TEXTS)
    assert vectors == AzureOpenAIEmbeddings(**settings(emu)).embed_documents(TEXTS)
    assert len(emu.app.jobs.batches) == before + 1


def chat_model(emu: EmulatorHandle) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", azure_deployment="gpt-5.2"
    )


class City(BaseModel):
    name: str
    country: str


def test_batch_chat_returns_ai_messages_in_order_with_structured_output(emu: EmulatorHandle) -> None:
    model = chat_model(emu)
    prompts = [f"Name city number {i} in France as JSON." for i in range(30)]
    messages = batch_chat(model, prompts, options={"poll_interval": 0.05}, response_format=City)
    assert len(messages) == 30 and all(isinstance(m, AIMessage) for m in messages)
    first = messages[0]
    assert first is not None and isinstance(first.additional_kwargs["parsed"], City)
    assert first.response_metadata["batch_id"] in emu.app.jobs.batches
    assert {m.response_metadata["batch_job"] for m in messages if m} == {first.response_metadata["batch_job"]}
    direct = model.invoke(prompts[7], response_format=City)
    assert messages[7] is not None and messages[7].content == direct.content


def test_batch_chat_failed_line_raises_unless_partial(emu: EmulatorHandle) -> None:
    model = chat_model(emu)
    prompts = ["What is 1 + 1?", f"{FAIL_TERM} now", "What is 2 + 2?"]
    options = {"poll_interval": 0.05, "on_failure": "report"}
    with pytest.raises(BatchIncompleteError) as e:
        batch_chat(model, prompts, options=options)
    assert e.value.result.failed == [1] and "1 failed (requests 1)" in str(e.value)
    got = batch_chat(model, prompts, options=options, allow_partial=True)
    assert [m.content if m else None for m in got] == ["2", None, "4"]


def blob_storage(emu: EmulatorHandle) -> BlobStorage:
    sas = "sv=2025-01-05&sig=dGVzdA%3D%3D"
    return BlobStorage(f"{emu.url}/_blob/acct/lc-in?{sas}", f"{emu.url}/_blob/acct/lc-out?{sas}")


def test_blob_storage_reaches_the_embeddings_and_batch_chat(emu: EmulatorHandle) -> None:
    blob = blob_storage(emu)
    embed = AzureOpenAIBatchEmbeddings(**settings(emu, batch_poll_interval=0.05, batch_blob=blob))
    assert embed.embed_documents(TEXTS) == AzureOpenAIEmbeddings(**settings(emu)).embed_documents(TEXTS)
    batch = emu.app.jobs.batches[embed.last_batch_ids[0]]
    assert batch["input_blob"].startswith(f"{emu.url}/_blob/acct/lc-in/") and batch["input_file_id"] is None
    assert "batch_blob" not in embed.model_dump()
    got = batch_chat(
        chat_model(emu), ["What is 1 + 1?", "What is 2 + 2?"], options={"poll_interval": 0.05, "blob": blob}
    )
    assert [m.content if m else None for m in got] == ["2", "4"]
    first = got[0]
    assert first is not None
    assert emu.app.jobs.batches[first.response_metadata["batch_id"]]["output_blob"].startswith(
        f"{emu.url}/_blob/acct/lc-out/"
    )
    blob.close()
