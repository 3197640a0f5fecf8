"""The emulator's Responses API through the ``openai`` SDK, an independent client: both route styles.

``openai.OpenAI(base_url=.../openai/v1/)`` for the v1 route and ``openai.AzureOpenAI(azure_endpoint=...,
api_version=...)`` for the dated ``/openai/responses?api-version=`` route: create, stream, retrieve,
delete, input items and errors. Expected shapes and texts come from the real recordings (Mirascope,
ruby_llm, crewAI in ../shared/azure-recordings) and the sources cited in docs/emulator-rules.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from shared_core.emulator import ManualClock, start_in_thread
from shared_core.emulator.server import EmulatorHandle

KEY = "azoai-emulator-key"
QUESTION = "What is 4200 + 42?"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with start_in_thread(clock=ManualClock()) as handle:
        yield handle


@pytest.fixture
def v1(emu: EmulatorHandle) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{emu.url}/openai/v1/", api_key=KEY, max_retries=0)


@pytest.fixture
def dated(emu: EmulatorHandle) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=emu.url, api_key=KEY, api_version="2025-04-01-preview", max_retries=0)


def test_create_answers_like_a_model_with_azure_fields(v1: openai.OpenAI) -> None:
    r = v1.responses.create(model="gpt-5.2", input=QUESTION)
    assert r.status == "completed"
    assert r.output_text == "4242"
    assert r.id.startswith("resp_") and len(r.id) == 55  # resp_ + 50 hex, as in the recordings
    assert [o.type for o in r.output] == ["reasoning", "message"]  # gpt-5.x: a reasoning item first (crewAI)
    assert r.usage is not None and r.usage.output_tokens_details.reasoning_tokens == 192
    assert r.usage.input_tokens_details.cached_tokens == 0
    extra = r.model_extra or {}
    filters = extra["content_filters"]
    assert [f["source_type"] for f in filters] == ["prompt", "completion"]
    assert filters[0]["blocked"] is False and filters[0]["content_filter_results"]["jailbreak"] == {
        "detected": False,
        "filtered": False,
    }
    assert set(filters[1]["content_filter_offsets"]) == {"start_offset", "end_offset", "check_offset"}


def test_headers_are_azures(v1: openai.OpenAI) -> None:
    raw = v1.responses.with_raw_response.create(model="gpt-5-mini", input=QUESTION)
    for h in ("apim-request-id", "x-request-id", "x-ms-region", "x-ratelimit-remaining-tokens", "x-ms-deployment-name"):
        assert raw.headers.get(h), h
    assert raw.headers["x-ms-deployment-name"] == "gpt-5-mini"
    assert raw.headers["x-ms-served-model"] == "gpt-5-mini-2025-08-07"


def test_dated_route_serves_responses_from_2025_03_01_preview(dated: openai.AzureOpenAI, emu: EmulatorHandle) -> None:
    r = dated.responses.create(model="gpt-5.2", input=QUESTION)
    assert r.output_text == "4242"
    old = openai.AzureOpenAI(azure_endpoint=emu.url, api_key=KEY, api_version="2024-10-21", max_retries=0)
    with pytest.raises(openai.NotFoundError) as exc:
        old.responses.create(model="gpt-5.2", input=QUESTION)
    assert exc.value.body == {"code": "404", "message": "Resource not found"}


@pytest.mark.parametrize("style", ["v1", "dated"])
def test_retrieve_delete_and_input_items(style: str, v1: openai.OpenAI, dated: openai.AzureOpenAI) -> None:
    client = v1 if style == "v1" else dated
    r = client.responses.create(model="gpt-5.2", input=QUESTION, instructions="Be brief.")
    again = client.responses.retrieve(r.id)
    assert again.id == r.id and again.output_text == "4242" and again.instructions == "Be brief."
    items = client.responses.input_items.list(r.id)
    assert [(i.type, i.role) for i in items.data] == [("message", "user")]  # type: ignore[union-attr]
    assert items.data[0].content[0].text == QUESTION  # type: ignore[union-attr]
    client.responses.delete(r.id)
    with pytest.raises(openai.NotFoundError) as exc:
        client.responses.retrieve(r.id)
    assert exc.value.body["message"] == f"Response with id '{r.id}' not found."  # type: ignore[index]


def test_store_false_is_not_retrievable(v1: openai.OpenAI) -> None:
    r = v1.responses.create(model="gpt-5.2", input=QUESTION, store=False)
    assert r.store is False
    with pytest.raises(openai.NotFoundError):
        v1.responses.retrieve(r.id)


def test_stream_events_follow_azures_sequence(v1: openai.OpenAI) -> None:
    events = list(v1.responses.create(model="gpt-4o-mini", input=QUESTION, stream=True))
    types = [e.type for e in events]
    # Mirascope test_call ... stream recording: the same sequence, around the text deltas
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")  # type: ignore[union-attr]
    final = events[-1].response  # type: ignore[union-attr]
    assert deltas == final.output_text == "4242"
    assert events[0].response.usage is None  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.total_tokens > 0


def test_unknown_deployment_and_bad_request_are_azures(v1: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.create(model="no-such-deployment", input=QUESTION)
    assert exc.value.body["code"] == "unknown_model"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as exc:
        v1.responses.create(model="gpt-5-mini", input=QUESTION, max_output_tokens=5)
    assert exc.value.code == "integer_below_min_value"
    assert exc.value.param == "max_output_tokens"


def test_reasoning_summary_streams_its_parts(v1: openai.OpenAI) -> None:
    stream = v1.responses.create(
        model="gpt-5-mini", input="Why is the sky blue?", reasoning={"effort": "low", "summary": "auto"}, stream=True
    )
    events = list(stream)
    types = [e.type for e in events]
    i = types.index("response.reasoning_summary_part.added")
    assert types[i - 1] == "response.output_item.added" and "response.reasoning_summary_text.done" in types
    text = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")  # type: ignore[union-attr]
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output[0].summary[0].text == text and "Why is the sky blue?" in text
    assert final.reasoning.effort == "low" and final.usage.output_tokens_details.reasoning_tokens == 64


def test_model_router_names_the_model_that_served(v1: openai.OpenAI) -> None:
    light = v1.responses.create(model="model-router", input=QUESTION)
    heavy = v1.responses.create(model="model-router", input=QUESTION, reasoning={"effort": "high"})
    assert light.model == "gpt-4.1-mini-2025-04-14"
    assert heavy.model == "gpt-5-mini-2025-08-07"


def test_input_items_pages(v1: openai.OpenAI) -> None:
    turns: Any = [{"role": "user", "content": f"Fact {i}."} for i in range(5)]
    r = v1.responses.create(model="gpt-5.2", input=turns)
    page = v1.responses.input_items.list(r.id, limit=2, order="asc")
    assert [i.content[0].text for i in page.data] == ["Fact 0.", "Fact 1."]  # type: ignore[union-attr]
    assert page.has_more is True
    rest = v1.responses.input_items.list(r.id, order="asc", after=page.last_id)
    assert [i.content[0].text for i in rest.data] == ["Fact 2.", "Fact 3.", "Fact 4."]  # type: ignore[union-attr]
    newest = v1.responses.input_items.list(r.id, limit=1)  # default order: newest first
    assert newest.data[0].content[0].text == "Fact 4."  # type: ignore[union-attr]


def test_mcp_server_is_listed_without_tools(v1: openai.OpenAI) -> None:
    tools: Any = [{"type": "mcp", "server_label": "docs", "server_url": "https://example.invalid/mcp"}]
    r = v1.responses.create(model="gpt-5.2", input="What does the guide say?", tools=tools)
    listed = next(o for o in r.output if o.type == "mcp_list_tools")
    assert listed.server_label == "docs" and listed.tools == []  # type: ignore[union-attr]


def test_dated_stream(dated: openai.AzureOpenAI) -> None:
    events = list(dated.responses.create(model="gpt-5.2", input=QUESTION, stream=True))
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "4242"  # type: ignore[union-attr]
