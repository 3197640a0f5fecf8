"""Batch progress as LangChain users look for it, tqdm or not: an INFO log line per change
(completed, failed, elapsed, ETA), an ``on_custom_event`` (``azoai_batch_progress``) to the callback
handlers given or of the enclosing run, and the tqdm bar when asked for and installed."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnableLambda

from langchain_azoai import AzureChatOpenAI, AzureOpenAIBatchEmbeddings
from langchain_azoai.batch import PROGRESS_EVENT, batch_chat
from shared_core.emulator.batches import FAIL_TERM
from shared_core.emulator.server import EmulatorHandle, start_in_thread

TEXTS = [f"note {i}: the {('river', 'engine', 'violin')[i % 3]} of chapter {i // 3}" for i in range(12)]
PROMPTS = [f"What is {i} + 1?" for i in range(9)] + [f"{FAIL_TERM} now"]
LOG_LINE = (
    r"^{label}: (\d+)/{n} requests completed, (\d+) failed, \d+ s elapsed, (ETA \d+ s|ETA unknown) \(batch_\w+\)$"
)


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(overrides={"job_seconds": 0.3}) as handle:
        yield handle


@pytest.fixture
def no_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError: not installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], UUID]] = []
        self.chains: list[UUID] = []

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append((name, data, run_id))

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.chains.append(run_id)


def embeddings(emu: EmulatorHandle, **kw: Any) -> AzureOpenAIBatchEmbeddings:
    return AzureOpenAIBatchEmbeddings(
        azure_endpoint=emu.url,
        api_key=emu.api_key,
        api_version="2024-10-21",
        azure_deployment="text-embedding-3-small",
        dimensions=32,
        batch_poll_interval=0.05,
        **kw,
    )


def chat_model(emu: EmulatorHandle) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", azure_deployment="gpt-5.2"
    )


def test_without_tqdm_progress_is_logged_at_info_and_sent_to_callbacks(
    emu: EmulatorHandle, no_tqdm: None, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = Recorder()
    caplog.set_level(logging.INFO, logger="langchain_azoai.batch")
    embed = embeddings(emu, show_progress_bar=True, callbacks=[seen])
    vectors = embed.embed_documents(TEXTS)
    assert len(vectors) == 12
    records = [r for r in caplog.records if r.name == "langchain_azoai.batch"]
    assert records and all(r.levelno == logging.INFO for r in records)
    last = records[-1].getMessage()
    assert last.startswith("Embedding (batch): 12/12 requests completed, 0 failed, ")
    assert f"({embed.last_batch_ids[0]})" in last and "ETA 0 s" in last
    assert records[-1].azoai_batch["completed"] == 12  # type: ignore[attr-defined]
    names = {name for name, _data, _run in seen.events}
    assert names == {PROGRESS_EVENT}
    final = seen.events[-1][1]
    assert final["total"] == 12 and final["completed"] == 12 and final["failed"] == 0
    assert final["remaining"] == 0 and final["elapsed"] > 0 and final["batch_ids"] == embed.last_batch_ids
    assert len({run for _n, _d, run in seen.events}) == 1  # one run id for the whole job
    assert capsys.readouterr().err == ""  # no bar without tqdm


def test_batch_chat_counts_failures_and_reaches_the_enclosing_runs_handlers(
    emu: EmulatorHandle, no_tqdm: None, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Recorder()
    caplog.set_level(logging.INFO, logger="langchain_azoai.batch")
    options = {"poll_interval": 0.05, "on_failure": "report"}
    chain = RunnableLambda(lambda prompts: batch_chat(chat_model(emu), prompts, options=options, allow_partial=True))
    answers = chain.invoke(PROMPTS, config={"callbacks": [seen]})
    assert [a.content if a else None for a in answers] == [str(i + 1) for i in range(9)] + [None]
    final = seen.events[-1][1]
    assert (final["completed"], final["failed"], final["total"]) == (9, 1, 10)
    assert {run for _n, _d, run in seen.events} == {seen.chains[0]}  # the lambda's run
    last = [r.getMessage() for r in caplog.records if r.name == "langchain_azoai.batch"][-1]
    assert last.startswith("Batch chat: 9/10 requests completed, 1 failed, ")


def test_log_lines_name_every_count(emu: EmulatorHandle, caplog: pytest.LogCaptureFixture) -> None:
    import re

    caplog.set_level(logging.INFO, logger="langchain_azoai.batch")
    embeddings(emu).embed_documents(TEXTS)
    lines = [r.getMessage() for r in caplog.records if r.name == "langchain_azoai.batch"]
    pattern = re.compile(LOG_LINE.format(label=re.escape("Embedding (batch)"), n=12))
    assert lines and all(pattern.match(line) for line in lines), lines
    assert len(lines) == len(set(lines))  # polls that changed nothing are not repeated


def test_with_tqdm_the_bar_is_kept(emu: EmulatorHandle, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    options = {"poll_interval": 0.05, "show_progress": True}
    batch_chat(chat_model(emu), PROMPTS[:9], options=options)
    err = capsys.readouterr().err
    assert "Batch chat" in err and "9/9" in err and "failed=0" in err
    embeddings(emu, show_progress_bar=True).embed_documents(TEXTS)
    err = capsys.readouterr().err
    assert "Embedding (batch)" in err and "12/12" in err
