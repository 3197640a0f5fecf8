"""``AzureChatOpenAI`` on the Responses API gives what langchain-openai's ``ChatOpenAI`` gives.

Two proofs, both with expected values from langchain-openai 1.8 itself (the anchor a user moves
from) applied to Azure's real answers:

* every real Responses answer in ``../shared/azure-recordings`` becomes the same ``AIMessage``
  through ours as through ``_construct_lc_result_from_responses_api`` (the anchor's own parser,
  fed the OpenAI SDK object built from the same JSON), and every recorded stream the same chunks;
* for the same messages, settings and bound tools, the request body ours builds equals the body
  ``ChatOpenAI(use_responses_api=True)`` puts on the wire (captured on an ``httpx.MockTransport``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel

from langchain_azoai import AzureChatOpenAI
from langchain_azoai._responses_output import response_to_message
from langchain_azoai._responses_stream import ResponsesStreamConverter
from tests.conformance.recordings import RESPONSES, Interaction, load_interactions, parse_sse

openai_models = pytest.importorskip("openai._models")
lc_openai = pytest.importorskip("langchain_openai.chat_models.base")
from openai.types.responses import Response, ResponseStreamEvent  # noqa: E402


def _recorded(stream: bool) -> list[Interaction]:
    try:
        interactions = load_interactions()
    except FileNotFoundError:
        return []
    out = []
    for ix in interactions:
        if ix.operation != RESPONSES or ix.status != 200 or ix.stream != stream:
            continue
        if not stream:
            try:
                data = json.loads(ix.body)
            except ValueError:
                continue
            if not isinstance(data, dict) or data.get("object") != "response":
                continue
        out.append(ix)
    return out


ANSWERS = _recorded(stream=False)
STREAMS = _recorded(stream=True)


def test_the_recordings_hold_responses_answers_and_streams(recordings_dir: Any) -> None:
    # the parity below is only as good as its inputs: Azure's Responses answers must be there
    assert len(ANSWERS) >= 50 and len(STREAMS) >= 30


def _anchor_message(data: dict[str, Any], schema: Any = None) -> AIMessage:
    # the OpenAI SDK builds its objects without validation (construct_type), as here
    response = openai_models.construct_type(type_=Response, value=data)
    msg: AIMessage = lc_openai._construct_lc_result_from_responses_api(response, schema=schema).generations[0].message
    return msg


@pytest.mark.parametrize("ix", ANSWERS, ids=lambda ix: ix.id)
def test_recorded_answer_gives_the_anchors_message(ix: Interaction) -> None:
    data = json.loads(ix.body)
    ours = response_to_message(data)
    assert ours.model_dump() == _anchor_message(data).model_dump()


@pytest.mark.parametrize("ix", STREAMS, ids=lambda ix: ix.id)
def test_recorded_stream_gives_the_anchors_chunks(ix: Interaction) -> None:
    events = [json.loads(d) for _, d in parse_sse(ix.body) if d.strip() and d.strip() != "[DONE]"]
    theirs = []
    index = output_index = sub_index = -1
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
            item_output_indices=item_indices,
            function_call_arguments=arguments,
        )
        if gen is not None:
            theirs.append(gen.message.model_dump())
    conv = ResponsesStreamConverter()
    ours = [m.model_dump() for ev in events if (m := conv.feed(ev)) is not None]
    assert ours == theirs
    assert ours, "a recorded stream gives at least one chunk"


# ---------------------------------------------------------------------------------- bodies

MINIMAL_ANSWER = {
    "id": "resp_0",
    "object": "response",
    "created_at": 1,
    "status": "completed",
    "model": "gpt-5.2",
    "output": [
        {
            "type": "message",
            "id": "msg_0",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": '{"text": "ok", "confidence": 1}', "annotations": []}],
        }
    ],
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
}


def _anchor_body(messages: list[Any], settings: dict[str, Any], bind: Any = None) -> dict[str, Any]:
    """The JSON body ChatOpenAI sends for these inputs (captured, not computed)."""
    from langchain_openai import ChatOpenAI

    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=MINIMAL_ANSWER)

    anchor = ChatOpenAI(
        model="gpt-5.2",
        api_key="k",  # type: ignore[arg-type]
        base_url="http://127.0.0.1:9/openai/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        max_retries=0,
        **settings,
    )
    runnable = bind(anchor) if bind else anchor
    runnable.invoke(messages)
    assert len(seen) == 1
    body = seen[0]
    if body.get("stream") is False:
        body.pop("stream")  # the SDK sends the default; the core leaves it out
    return body


def _our_body(messages: list[Any], settings: dict[str, Any], bind: Any = None) -> dict[str, Any]:
    """The JSON body ours sends for these inputs, through the core (captured on the transport)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=MINIMAL_ANSWER)

    ours = AzureChatOpenAI(
        azure_deployment="gpt-5.2",
        model="gpt-5.2",
        api_key="k",  # type: ignore[arg-type]
        azure_endpoint="https://example.openai.azure.com",
        api_version="2025-04-01-preview",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        max_retries=0,
        **settings,
    )
    runnable = bind(ours) if bind else ours
    runnable.invoke(messages)
    assert len(seen) == 1
    assert seen[0].url.path == "/openai/responses"  # Azure's dated Responses route
    body: dict[str, Any] = json.loads(seen[0].content)
    return body


def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


class Answer(BaseModel):
    """An answer with a confidence."""

    text: str
    confidence: float


PRIOR = response_to_message(
    {
        "id": "resp_prior",
        "object": "response",
        "status": "completed",
        "model": "gpt-5.2",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA-enc"},
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city": "Oslo"}',
                "status": "completed",
            },
        ],
    }
)
TURNS = [
    SystemMessage("Be brief."),
    HumanMessage("Weather in Oslo?"),
    PRIOR,
    ToolMessage("sunny in Oslo", tool_call_id="call_1"),
]
IMAGE = HumanMessage(
    content=[
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
    ]
)

SCENARIOS: dict[str, tuple[list[Any], dict[str, Any], Any]] = {
    "text": ([HumanMessage("hi")], {"use_responses_api": True}, None),
    "system and image": ([SystemMessage("s"), IMAGE], {"use_responses_api": True}, None),
    "reasoning summary selects responses": (
        [HumanMessage("hi")],
        {"reasoning": {"effort": "low", "summary": "auto"}},
        None,
    ),
    "stateless encrypted reasoning": (
        TURNS,
        {"use_responses_api": True, "store": False, "include": ["reasoning.encrypted_content"]},
        None,
    ),
    "stored multi-turn": (TURNS, {"use_responses_api": True}, None),
    "previous response id": (TURNS, {"use_previous_response_id": True}, None),
    "limits and verbosity": (
        [HumanMessage("hi")],
        {"use_responses_api": True, "max_tokens": 50, "verbosity": "low", "truncation": "auto"},
        None,
    ),
    "function and built-in tools": (
        [HumanMessage("hi")],
        {},
        lambda m: m.bind_tools([get_weather, {"type": "code_interpreter", "container": {"type": "auto"}}]),
    ),
    "forced tool": (
        [HumanMessage("hi")],
        {"use_responses_api": True},
        lambda m: m.bind_tools([get_weather], tool_choice="get_weather", strict=True),
    ),
    "per-call previous_response_id": (
        [HumanMessage("and now?")],
        {},
        lambda m: m.bind(previous_response_id="resp_prior"),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_body_equals_the_anchors(name: str) -> None:
    messages, settings, bind = SCENARIOS[name]
    assert _our_body(messages, settings, bind) == _anchor_body(messages, settings, bind)


def test_an_explicit_temperature_on_a_reasoning_model_is_sent_where_the_anchor_drops_it() -> None:
    # the one deliberate difference: langchain-openai silently drops the caller's temperature on
    # gpt-5 (reasoning effort other than none); ours sends it, so Azure's 400 comes back typed,
    # naming the parameter and the fix, instead of the setting vanishing (issue 11)
    settings = {"use_responses_api": True, "temperature": 0.3}
    anchor = _anchor_body([HumanMessage("hi")], settings)
    assert "temperature" not in anchor
    assert _our_body([HumanMessage("hi")], settings) == {**anchor, "temperature": 0.3}


def test_structured_output_body_uses_text_format() -> None:
    def bind(m: Any) -> Any:
        return m.with_structured_output(Answer, method="json_schema", strict=True).first  # the bound model

    ours = _our_body([HumanMessage("hi")], {"use_responses_api": True}, bind)
    theirs = _anchor_body([HumanMessage("hi")], {"use_responses_api": True}, bind)
    # the schema text differs as on Chat Completions (the core's strict rewrite drops pydantic's
    # titles); the format the service reads is the same
    mine, anchor = ours.pop("text")["format"], theirs.pop("text")["format"]
    assert ours == theirs
    for key in ("type", "name", "strict"):
        assert mine[key] == anchor[key]
    for key in ("required", "additionalProperties", "type"):
        assert mine["schema"][key] == anchor["schema"][key]
    assert set(mine["schema"]["properties"]) == set(anchor["schema"]["properties"]) == {"text", "confidence"}
