"""Our core against the emulator's Responses surface (issue 12 "Proof"): a background response whose
stream is cut after output resumes from its last ``sequence_number`` with nothing repeated or lost,
and a stored conversation continues on the target that stored it.

The cut is the emulator's ``stream_cut_after`` fault (the connection closes after N text deltas);
resuming with ``starting_after`` is Learn's background-mode procedure (the emulator's rules cite it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from shared_core.client import CoreClient, client_from_settings
from shared_core.emulator import ManualClock, start_in_thread
from shared_core.emulator.server import EmulatorHandle
from shared_core.errors import BadRequestError
from shared_core.types_responses import ReasoningItem, ResponsesRequest
from shared_core.wire.responses_stream import ResponseStreamAccumulator

QUESTION = "What is the capital of France? Paris is the capital of France and its largest city."


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(clock=ManualClock()) as handle:
        yield handle


def _cut(emu: EmulatorHandle, after: int) -> None:
    httpx.post(
        f"{emu.url}/_emulator/faults", json={"deployment": "gpt-5.2", "stream_cut_after": after}
    ).raise_for_status()


def _requests(emu: EmulatorHandle) -> int:
    return int(httpx.get(f"{emu.url}/_emulator/state").json()["requests"])


def _client(emu: EmulatorHandle, api_version: str) -> CoreClient:
    return client_from_settings(
        azure_endpoint=emu.url, api_key=emu.api_key, deployment="gpt-5.2", api_version=api_version, env={}
    )


@pytest.mark.parametrize("api_version", ["v1", "2025-04-01-preview"])
def test_a_cut_background_stream_resumes_without_duplicating(emu: EmulatorHandle, api_version: str) -> None:
    client = _client(emu, api_version)
    _cut(emu, 3)
    acc = ResponseStreamAccumulator()
    before = _requests(emu)
    events = list(client.stream_response(ResponsesRequest(input=QUESTION, background=True, store=True, stream=True)))
    for e in events:
        acc.add(e)
    assert _requests(emu) - before == 3  # the create (cut after 3 deltas), one resume, this state request
    numbers = [e.sequence_number for e in events]
    assert numbers == list(range(len(numbers)))  # nothing repeated, nothing lost across the cut
    assert events[-1].type == "response.completed"
    stored = client.retrieve_response(acc.response_id)
    assert acc.text == stored.output_text and "Paris" in stored.output_text
    assert acc.result().status == "completed"


def test_async_resume_matches_sync(emu: EmulatorHandle) -> None:
    client = _client(emu, "v1")
    _cut(emu, 2)

    async def run() -> list[int]:
        return [
            e.sequence_number
            async for e in client.astream_response(
                ResponsesRequest(input=QUESTION, background=True, store=True, stream=True)
            )
        ]

    numbers = asyncio.run(run())
    assert numbers == list(range(len(numbers)))


def test_stored_conversation_continues(emu: EmulatorHandle) -> None:
    client = _client(emu, "v1")
    first = client.create_response(ResponsesRequest(input="My name is Ada Lovelace and I live in London."))
    second = client.create_response(ResponsesRequest(input="What is my name?", previous_response_id=first.id))
    assert "Ada Lovelace" in second.output_text


def _client_for(emu: EmulatorHandle, deployment: str) -> CoreClient:
    return client_from_settings(
        azure_endpoint=emu.url, api_key=emu.api_key, deployment=deployment, api_version="v1", env={}
    )


def test_retrieve_with_include_fills_the_includable_fields_and_the_sealed_reasoning_continues(
    emu: EmulatorHandle,
) -> None:
    client = _client_for(emu, "gpt-5-mini")
    created = client.create_response(ResponsesRequest(input="My name is Ada Lovelace. Say hello."))
    [plain] = [i for i in client.retrieve_response(created.id).output if isinstance(i, ReasoningItem)]
    assert plain.encrypted_content is None  # created without include: a plain GET shows none either
    fetched = client.retrieve_response(created.id, include=["reasoning.encrypted_content"])
    [sealed] = [i for i in fetched.output if isinstance(i, ReasoningItem)]
    assert sealed.id == plain.id and (sealed.encrypted_content or "").startswith("gAAAAA")
    # Azure takes the sealed item back on a stateless turn (store=False, the item in the input)
    item = {"type": "reasoning", "id": sealed.id, "summary": [], "encrypted_content": sealed.encrypted_content}
    turn = [{"role": "user", "content": "My name is Ada Lovelace. Say hello."}, item]
    turn.append({"role": "user", "content": "What is my name?"})
    later = client.create_response(ResponsesRequest(input=turn, store=False))
    assert later.status == "completed"


async def test_an_unknown_include_value_on_retrieve_is_azures_400(emu: EmulatorHandle) -> None:
    client = _client_for(emu, "gpt-5.2")
    created = await client.acreate_response(ResponsesRequest(input="Say hello."))
    with pytest.raises(BadRequestError, match=r"Invalid value: 'reasoning'\. Supported values are: ") as info:
        await client.aretrieve_response(created.id, include=["reasoning"])
    assert (info.value.param, info.value.code) == ("include[0]", "invalid_value")
