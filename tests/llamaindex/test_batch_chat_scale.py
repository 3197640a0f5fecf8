"""Proof (issue 14): a 2,000-conversation chat run with structured output (``output_cls``), 1% of its
lines failing, through LlamaIndex's ``batch_chat``. The emulator fails the first submission of every
100th line it enqueues (``batch_fail_every``: lines 99, 199, ..., 1999) with a 500 in the error file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from pydantic import BaseModel

from llamaindex_azoai import AzureOpenAI
from llamaindex_azoai.batch import abatch_chat, batch_chat
from shared_core.emulator.server import EmulatorHandle, start_in_thread
from shared_core.errors import ConfigurationError

N = 2000
FAILING = list(range(99, N, 100))


class Ticket(BaseModel):
    ticket: int
    city: str


CONVS = [
    [ChatMessage(role="user", content=f"Ticket {i} was opened in Lyon. Extract the ticket number and the city.")]
    for i in range(N)
]


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(overrides={"job_seconds": 0.3, "batch_fail_every": 100}) as handle:
        yield handle


def llm(emu: EmulatorHandle, api_version: str = "2024-10-21") -> AzureOpenAI:
    return AzureOpenAI(
        engine="gpt-5.2", model="gpt-5.2", azure_endpoint=emu.url, api_key=emu.api_key, api_version=api_version
    )


def tickets(responses: list[ChatResponse | None]) -> list[int | None]:
    return [r.raw.ticket if r is not None else None for r in responses]


def test_failed_lines_go_through_the_interactive_path(emu: EmulatorHandle) -> None:
    model = llm(emu)
    options = {"poll_interval": 0.05, "on_failure": "interactive"}
    responses = batch_chat(model, CONVS, options=options, output_cls=Ticket)
    assert len(responses) == N and tickets(responses) == list(range(N))  # every answer, in input order
    assert all(isinstance(r.raw, Ticket) for r in responses if r is not None)
    (batch_id,) = emu.app.jobs.batches
    ids = [r.additional_kwargs["batch_id"] for r in responses if r is not None]
    assert [i for i, b in enumerate(ids) if b == "interactive"] == FAILING and ids.count(batch_id) == N - 20
    assert len({r.additional_kwargs["batch_job"] for r in responses if r is not None}) == 1
    assert emu.app.state()["batch_lines"] == {"submitted": N, "distinct": N, "repeated": 0}
    # structured output as structured_predict asks for it: the same answer interactively
    direct = model.chat(CONVS[7], **model._prepare_schema(None, Ticket))
    assert responses[7] is not None and responses[7].message.content == direct.message.content


async def test_failed_lines_are_reported_async(emu: EmulatorHandle) -> None:
    options = {"poll_interval": 0.05, "on_failure": "report"}
    responses = await abatch_chat(llm(emu), CONVS, options=options, output_cls=Ticket, allow_partial=True)
    assert tickets(responses) == [None if i in FAILING else i for i in range(N)]
    assert emu.app.state()["batch_lines"] == {"submitted": N, "distinct": N, "repeated": 0}


def test_output_cls_needs_native_structured_output(emu: EmulatorHandle) -> None:
    with pytest.raises(ConfigurationError, match="output_cls needs native structured output") as e:
        batch_chat(llm(emu, api_version="2024-06-01"), CONVS[:2], output_cls=Ticket)
    assert e.value.setting == "output_cls"
