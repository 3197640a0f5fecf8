"""Responses state in the emulator, through the ``openai`` SDK: conversations stateful
(``previous_response_id``) and stateless (encrypted reasoning), background mode over the emulator's
clock, cancellation, and resuming a cut stream from ``starting_after`` without duplicates.

Azure's answers for unknown or unstored ids are cited in docs/emulator-rules.md (rules
``responses.previous_response_id`` and ``responses.reasoning_item.*``); background behaviour follows
Learn's background-mode section (queued, in progress, completed; cancel; resume with starting_after).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from shared_core.emulator import ManualClock, start_in_thread
from shared_core.emulator.server import EmulatorHandle

KEY = "azoai-emulator-key"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[EmulatorHandle]:
    with start_in_thread(clock=clock) as handle:
        yield handle


@pytest.fixture
def v1(emu: EmulatorHandle) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{emu.url}/openai/v1/", api_key=KEY, max_retries=0)


def test_previous_response_id_continues_the_conversation(v1: openai.OpenAI) -> None:
    first = v1.responses.create(model="gpt-5.2", input="My name is Ada Lovelace and I live in London.")
    second = v1.responses.create(model="gpt-5.2", input="What is my name?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert "Ada Lovelace" in second.output_text
    assert second.usage is not None and first.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens  # the stored turn is part of the prompt
    items = v1.responses.input_items.list(second.id)
    assert [i.content[0].text for i in items.data] == ["What is my name?"]  # type: ignore[union-attr]


def test_unknown_or_unstored_previous_response_is_azures_400(v1: openai.OpenAI) -> None:
    unstored = v1.responses.create(model="gpt-5.2", input="Hello", store=False)
    for prev in ("resp_doesnotexist", unstored.id):
        with pytest.raises(openai.BadRequestError) as exc:
            v1.responses.create(model="gpt-5.2", input="Again", previous_response_id=prev)
        assert exc.value.body == {
            "message": f"Previous response with id '{prev}' not found.",
            "type": "invalid_request_error",
            "param": "previous_response_id",
            "code": "previous_response_not_found",
        }


def test_stateless_multi_turn_with_encrypted_reasoning(v1: openai.OpenAI) -> None:
    include: Any = ["reasoning.encrypted_content"]
    turn: list[Any] = [{"role": "user", "content": "My name is Ada Lovelace and I live in London."}]
    first = v1.responses.create(model="gpt-5-mini", input=turn, store=False, include=include)
    reasoning = first.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.encrypted_content and reasoning.encrypted_content.startswith("gAAAAA")
    turn += [o.model_dump(exclude_none=True) for o in first.output]
    turn.append({"role": "user", "content": "Where do I live?"})
    second = v1.responses.create(model="gpt-5-mini", input=turn, store=False, include=include)
    assert "London" in second.output_text
    # the same reasoning item by id alone cannot be resolved: its response was not stored
    by_id = [{"type": "reasoning", "id": reasoning.id, "summary": []}, turn[-1]]
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.create(model="gpt-5-mini", input=by_id, store=False)
    assert exc.value.body["message"].startswith(f"Item with id '{reasoning.id}' not found.")  # type: ignore[index]
    tampered = [{**turn[1], "encrypted_content": "gAAAAA" + reasoning.encrypted_content[7:]}, turn[-1]]
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.create(model="gpt-5-mini", input=tampered, store=False)
    assert exc.value.code == "invalid_encrypted_content"


def test_background_response_progresses_with_the_clock(v1: openai.OpenAI, clock: ManualClock) -> None:
    r = v1.responses.create(model="gpt-5.2", input="What is 4200 + 42?", background=True)
    assert (r.status, r.output, r.usage) == ("queued", [], None)
    clock.advance(1.5)
    assert v1.responses.retrieve(r.id).status == "in_progress"
    clock.advance(2)
    done = v1.responses.retrieve(r.id)
    assert done.status == "completed" and done.output_text == "4242" and done.background is True


def test_background_cancel(v1: openai.OpenAI, clock: ManualClock) -> None:
    r = v1.responses.create(model="gpt-5.2", input="Write a long essay.", background=True)
    cancelled = v1.responses.cancel(r.id)
    assert cancelled.status == "cancelled"
    clock.advance(10)
    assert v1.responses.retrieve(r.id).status == "cancelled"
    assert v1.responses.cancel(r.id).status == "cancelled"  # cancelling again is idempotent
    plain = v1.responses.create(model="gpt-5.2", input="Hi")
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.cancel(plain.id)
    assert exc.value.body["message"] == "Only responses created with background=true can be cancelled."  # type: ignore[index]


def test_background_requires_store(v1: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.create(model="gpt-5.2", input="Hi", background=True, store=False)
    assert exc.value.param == "store"


def test_a_cut_background_stream_resumes_from_starting_after(v1: openai.OpenAI, emu: EmulatorHandle) -> None:
    httpx.post(f"{emu.url}/_emulator/faults", json={"deployment": "gpt-5.2", "stream_cut_after": 3}).raise_for_status()
    question = "What is the capital of France? Paris is the capital of France and its largest city."
    seen: list[Any] = []
    with pytest.raises((httpx.HTTPError, openai.APIConnectionError)):
        for event in v1.responses.create(model="gpt-5.2", input=question, background=True, stream=True):
            seen.append(event)
    assert seen and seen[0].type == "response.created" and seen[0].response.status == "queued"
    assert sum(e.type == "response.output_text.delta" for e in seen) == 3
    resp_id, last = seen[0].response.id, seen[-1].sequence_number
    rest = list(v1.responses.retrieve(resp_id, stream=True, starting_after=last))
    numbers = [e.sequence_number for e in seen + rest]
    assert numbers == list(range(len(numbers)))  # nothing repeated, nothing lost
    text = "".join(e.delta for e in seen + rest if e.type == "response.output_text.delta")
    assert rest[-1].type == "response.completed"
    assert text == rest[-1].response.output_text == v1.responses.retrieve(resp_id).output_text


def test_resume_is_for_background_responses_only(v1: openai.OpenAI) -> None:
    r = v1.responses.create(model="gpt-5.2", input="Hi")
    with pytest.raises(openai.BadRequestError) as exc:
        list(v1.responses.retrieve(r.id, stream=True, starting_after=0))
    assert exc.value.param == "stream"


def test_another_region_does_not_have_the_stored_response(v1: openai.OpenAI) -> None:
    first = v1.responses.create(model="gpt-5.2", input="My name is Ada.")
    with start_in_thread(clock=ManualClock(), region="West Europe") as other:
        elsewhere = openai.OpenAI(base_url=f"{other.url}/openai/v1/", api_key=KEY, max_retries=0)
        with pytest.raises(openai.BadRequestError) as exc:
            elsewhere.responses.create(model="gpt-5.2", input="What is my name?", previous_response_id=first.id)
        assert exc.value.code == "previous_response_not_found"
        with pytest.raises(openai.NotFoundError):
            elsewhere.responses.retrieve(first.id)


def test_stream_without_obfuscation(v1: openai.OpenAI, emu: EmulatorHandle) -> None:
    body = {"model": "gpt-5.2", "input": "Hi", "stream": True, "stream_options": {"include_obfuscation": False}}
    raw = httpx.post(f"{emu.url}/openai/v1/responses", json=body, headers={"api-key": KEY}).text
    assert "response.output_text.delta" in raw and "obfuscation" not in raw
    padded = httpx.post(
        f"{emu.url}/openai/v1/responses", json=body | {"stream_options": None}, headers={"api-key": KEY}
    )
    assert '"obfuscation":' in padded.text


def test_responses_on_an_embeddings_deployment_are_refused(v1: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.create(model="text-embedding-3-small", input="Hi")
    assert exc.value.body["code"] == "OperationNotSupported"  # type: ignore[index]
