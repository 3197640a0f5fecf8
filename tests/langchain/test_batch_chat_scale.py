"""Proof (issue 14): a 2,000-prompt chat run with structured output (a Pydantic schema), 1% of its
lines failing, through LangChain's ``batch_chat``. The emulator fails the first submission of every
100th line it enqueues (``batch_fail_every``: lines 99, 199, ..., 1999 of the one input file) with
a 500 in the error file (the shape of a failed batch line: Azure's error object under
``response.body``, as the OpenAI batch guide shows and Learn's batch troubleshooting refers to)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from langchain_azoai import AzureChatOpenAI
from langchain_azoai.batch import batch_chat
from shared_core.emulator.server import EmulatorHandle, start_in_thread
from shared_core.services.batch_bodies import BatchIncompleteError
from shared_core.services.batch_manifest import MemoryManifestStore

N = 2000
FAILING = list(range(99, N, 100))  # the 20 lines the emulator fails


class Ticket(BaseModel):
    ticket: int
    city: str


PROMPTS = [f"Ticket {i} was opened in Lyon. Extract the ticket number and the city." for i in range(N)]


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(overrides={"job_seconds": 0.3, "batch_fail_every": 100}) as handle:
        yield handle


def chat_model(emu: EmulatorHandle) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", azure_deployment="gpt-5.2"
    )


def tickets(messages: list[AIMessage | None]) -> list[int | None]:
    return [m.additional_kwargs["parsed"].ticket if m is not None else None for m in messages]


def test_failed_lines_are_retried_in_a_follow_up_batch(emu: EmulatorHandle) -> None:
    messages = batch_chat(
        chat_model(emu), PROMPTS, options={"poll_interval": 0.05, "on_failure": "retry"}, response_format=Ticket
    )
    assert len(messages) == N and tickets(messages) == list(range(N))  # every answer, in input order
    assert all(isinstance(m.additional_kwargs["parsed"], Ticket) for m in messages if m is not None)
    first, follow_up = sorted(emu.app.jobs.batches, key=lambda b: emu.app.jobs.batches[b]["created_at"])
    ids = [m.response_metadata["batch_id"] for m in messages if m is not None]
    assert [i for i, b in enumerate(ids) if b == follow_up] == FAILING and ids.count(first) == N - 20
    assert len({m.response_metadata["batch_job"] for m in messages if m is not None}) == 1
    # each failed line was submitted exactly twice, every other line once
    assert emu.app.state()["batch_lines"] == {"submitted": N + 20, "distinct": N, "repeated": 20}


def test_failed_lines_are_reported(emu: EmulatorHandle) -> None:
    model = chat_model(emu)
    options = {"poll_interval": 0.05, "on_failure": "report", "store": MemoryManifestStore()}
    with pytest.raises(BatchIncompleteError) as e:
        batch_chat(model, PROMPTS, options=options, response_format=Ticket)
    assert e.value.result.failed == FAILING and e.value.result.missing == []
    assert str(e.value).startswith(f"batch job {e.value.result.key[:12]}: 1980 of 2000 requests answered; ")
    assert "20 failed (requests 99, 199, 299, 399, 499, 599, 699, 799, 899, 999, ...)" in str(e.value)
    assert e.value.result.items[99] is not None and e.value.result.items[99].status_code == 500
    # the same input again resumes the finished job (nothing submitted twice); partial answers allowed
    messages = batch_chat(model, PROMPTS, options=options, allow_partial=True, response_format=Ticket)
    assert tickets(messages) == [None if i in FAILING else i for i in range(N)]
    assert emu.app.state()["batch_lines"] == {"submitted": N, "distinct": N, "repeated": 0}
