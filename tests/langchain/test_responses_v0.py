"""``output_version="v0"`` on the Responses API gives what langchain-openai 1.8 gives for it.

Expected values come from langchain-openai itself on Azure's recorded answers and streams
(``../shared/azure-recordings``): its parser with ``output_version="v0"`` for each answer, its chunk
converter for each stream, and the body ``ChatOpenAI`` sends for a history of v0 messages.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_azoai import AzureChatOpenAI
from langchain_azoai._responses_output import response_to_message
from langchain_azoai._responses_stream import ResponsesStreamConverter
from langchain_azoai._responses_v03 import to_v03
from tests.conformance.recordings import Interaction, parse_sse
from tests.langchain.test_responses_parity import ANSWERS, PRIOR, STREAMS, _anchor_body, _our_body

openai_models = pytest.importorskip("openai._models")
lc_openai = pytest.importorskip("langchain_openai.chat_models.base")
from openai.types.responses import Response, ResponseStreamEvent  # noqa: E402

V0 = {"use_responses_api": True, "output_version": "v0"}


def _anchor_message(data: dict[str, Any]) -> AIMessage:
    response = openai_models.construct_type(type_=Response, value=data)
    result = lc_openai._construct_lc_result_from_responses_api(response, output_version="v0")
    msg: AIMessage = result.generations[0].message
    return msg


@pytest.mark.parametrize("ix", ANSWERS, ids=lambda ix: ix.id)
def test_recorded_answer_in_v0_is_the_anchors(ix: Interaction) -> None:
    data = json.loads(ix.body)
    assert to_v03(response_to_message(data)).model_dump() == _anchor_message(data).model_dump()


def test_the_recorded_answers_exercise_what_v0_moves() -> None:
    moved = [_anchor_message(json.loads(ix.body)).additional_kwargs for ix in ANSWERS]
    assert any("reasoning" in kw for kw in moved) and any("__openai_function_call_ids__" in kw for kw in moved)


def _answer(*output: dict[str, Any]) -> dict[str, Any]:
    return {"id": "resp_9", "object": "response", "created_at": 1, "status": "completed", "model": "gpt-5.2",
            "output": list(output)}  # fmt: skip


def _message(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "id": "msg_9", "status": "completed", "role": "assistant", "content": list(content)}


# what the recordings lack: server tool items, refusals (an empty one stays in content)
BUILT = {
    "server tools": _answer(
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "q"}},
        {
            "type": "code_interpreter_call",
            "id": "ci_1",
            "status": "completed",
            "code": "print(1)",
            "container_id": "cntr_1",
            "outputs": None,
        },  # fmt: skip
        _message({"type": "output_text", "text": "1", "annotations": []}),
    ),
    "refusal": _answer(_message({"type": "refusal", "refusal": "I cannot help with that."})),
    "empty refusal": _answer(_message({"type": "refusal", "refusal": ""})),
}


@pytest.mark.parametrize("name", list(BUILT))
def test_built_answer_in_v0_is_the_anchors(name: str) -> None:
    data = BUILT[name]
    assert to_v03(response_to_message(data)).model_dump() == _anchor_message(data).model_dump()


@pytest.mark.parametrize("ix", STREAMS, ids=lambda ix: ix.id)
def test_recorded_stream_in_v0_gives_the_anchors_chunks(ix: Interaction) -> None:
    events = [json.loads(d) for _, d in parse_sse(ix.body) if d.strip() and d.strip() != "[DONE]"]
    theirs = []
    index = output_index = sub_index = -1
    has_reasoning = False
    item_indices: dict[str, int] = {}
    arguments: dict[str, str] = {}
    for ev in events:
        obj = openai_models.construct_type(type_=ResponseStreamEvent, value=ev)
        index, output_index, sub_index, gen = lc_openai._convert_responses_chunk_to_generation_chunk(
            obj,
            index,
            output_index,
            sub_index,
            metadata={},
            has_reasoning=has_reasoning,
            output_version="v0",
            item_output_indices=item_indices,
            function_call_arguments=arguments,
        )
        if gen is not None:
            has_reasoning = has_reasoning or "reasoning" in gen.message.additional_kwargs
            theirs.append(gen.message.model_dump())
    conv = ResponsesStreamConverter(v0=True)
    ours = [m.model_dump() for ev in events if (m := conv.feed(ev)) is not None]
    assert ours == theirs


# a v0 answer with reasoning and a function call, as the anchor hands it out, continued
V0_PRIOR = to_v03(PRIOR.model_copy(deep=True))
V0_TURNS = [HumanMessage("Weather in Oslo?"), V0_PRIOR, ToolMessage("sunny in Oslo", tool_call_id="call_1")]


def test_a_v0_history_goes_back_as_the_anchor_sends_it() -> None:
    assert V0_PRIOR.additional_kwargs["reasoning"]["id"] == "rs_1"  # the v0 shape, as the anchor gives it
    for settings in (V0, {**V0, "store": False, "include": ["reasoning.encrypted_content"]}):
        assert _our_body(V0_TURNS, settings) == _anchor_body(V0_TURNS, settings)


def test_invoke_and_stream_with_v0_on_the_responses_api() -> None:
    answer = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "gpt-5-mini",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Thinking."}]},
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hello.", "annotations": []}],
            },
        ],
    }
    llm = AzureChatOpenAI(
        azure_deployment="gpt-5-mini",
        api_key="k",  # type: ignore[arg-type]
        azure_endpoint="https://example.openai.azure.com",
        api_version="2025-04-01-preview",
        http_client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))),
        max_retries=0,
        **V0,
    )
    msg = llm.invoke("hi")
    assert (msg.id, msg.content) == ("msg_1", [{"type": "text", "text": "Hello.", "annotations": []}])
    assert msg.additional_kwargs == {
        "reasoning": {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Thinking."}]}
    }


def test_stream_with_v0_names_the_message_item_as_the_anchor() -> None:
    ix = next(ix for ix in STREAMS if b'"type":"message"' in ix.body.replace(b" ", b""))
    llm = AzureChatOpenAI(
        azure_deployment="gpt-5.2",
        api_key="k",  # type: ignore[arg-type]
        azure_endpoint="https://example.openai.azure.com",
        api_version="2025-04-01-preview",
        http_client=httpx.Client(
            transport=httpx.MockTransport(
                lambda r: httpx.Response(200, content=ix.body, headers={"content-type": "text/event-stream"})
            )
        ),
        max_retries=0,
        **V0,
    )
    chunks = list(llm.stream("hi"))
    ids = {c.id for c in chunks if c.id and not c.id.startswith("lc_run-")}  # LangChain names the rest
    assert len(ids) == 1 and next(iter(ids)).startswith("msg_")  # v0: the message item, never resp_
