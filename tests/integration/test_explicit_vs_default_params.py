"""A parameter the caller set is sent; an adapter's own default only where the model family takes it.

Issue 11: "Our own client never sends a request that the table says Azure refuses, unless the user
asked for exactly that (then the error is Azure's, typed and explained)". The bytes on the wire are
captured on an ``httpx.MockTransport``; the typed errors come from the strict emulator, whose rows
quote Azure's answers (rules ``chat.reasoning.sampling_default_only``, ``chat.reasoning.stop``,
``responses.sampling`` in docs/emulator-rules.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from langchain_azoai import AzureChatOpenAI
from llamaindex_azoai import AzureOpenAI, AzureOpenAIResponses
from shared_core.emulator.server import EmulatorHandle
from shared_core.errors import UnsupportedParameterError

from .adapter_surface_support import emulator

__all__ = ["emulator"]

CHAT_ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5-mini-2025-08-07",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
RESPONSE_ANSWER = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "status": "completed",
    "model": "gpt-5-mini-2025-08-07",
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Paris", "annotations": []}],
        }
    ],
    "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
}
USER = [ChatMessage(role=MessageRole.USER, content="Name the capital of France.")]
SAMPLING_FIX = "is a reasoning model: it does not take temperature other than its default 1; remove temperature"


class Wire:
    """An httpx client whose transport keeps each request body and answers like Azure."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.bodies: list[dict[str, Any]] = []

        def handle(request: httpx.Request) -> httpx.Response:
            self.bodies.append(json.loads(request.content))
            return httpx.Response(200, json=answer)

        self.client = httpx.Client(transport=httpx.MockTransport(handle))


def _li(wire: Wire, deployment: str, cls: type[AzureOpenAI] = AzureOpenAI, **kw: Any) -> Any:
    return cls(
        engine=deployment,
        azure_endpoint="https://res.openai.azure.com",
        api_key="k",
        api_version="2025-04-01-preview",
        http_client=wire.client,
        max_retries=0,
        **kw,
    )


def _lc(wire: Wire, deployment: str, **kw: Any) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_deployment=deployment,
        azure_endpoint="https://res.openai.azure.com",
        api_key="k",  # type: ignore[arg-type]
        api_version="2024-10-21",
        http_client=wire.client,
        max_retries=0,
        **kw,
    )


# ------------------------------------------------------------------ bytes on the wire


def test_llamaindex_default_temperature_stays_off_a_reasoning_model() -> None:
    wire = Wire(CHAT_ANSWER)
    llm = _li(wire, "gpt-5-mini")
    assert llm.temperature == 0.1  # the anchor's default, still what the field reads
    llm.chat(USER)
    assert "temperature" not in wire.bodies[0]


@pytest.mark.parametrize("how", ["constructor", "additional_kwargs", "per call"])
def test_llamaindex_explicit_temperature_reaches_the_wire(how: str) -> None:
    wire = Wire(CHAT_ANSWER)
    # 0.1 is the class default's value: set by the caller, it is theirs
    if how == "constructor":
        _li(wire, "gpt-5-mini", temperature=0.1).chat(USER)
    elif how == "additional_kwargs":
        _li(wire, "gpt-5-mini", additional_kwargs={"temperature": 0.1}).chat(USER)
    else:
        _li(wire, "gpt-5-mini").chat(USER, temperature=0.1)
    assert wire.bodies[0]["temperature"] == 0.1


def test_llamaindex_default_temperature_reaches_families_that_take_it() -> None:
    wire = Wire(CHAT_ANSWER)
    _li(wire, "my-chat").chat(USER)  # an unknown name: the documented default, a chat model
    _li(wire, "gpt-5.2", reasoning_effort="none").chat(USER)  # OpenAI's "Using GPT-5.2": taken at none
    _li(wire, "gpt-5.2", reasoning_effort="low").chat(USER)
    assert [b.get("temperature") for b in wire.bodies] == [0.1, 0.1, None]


def test_llamaindex_responses_default_and_explicit_temperature() -> None:
    wire = Wire(RESPONSE_ANSWER)
    _li(wire, "gpt-5-mini", AzureOpenAIResponses).chat(USER)
    _li(wire, "gpt-5-mini", AzureOpenAIResponses, temperature=0.2).chat(USER)
    _li(wire, "gpt-5-mini", AzureOpenAIResponses).chat(USER, temperature=0.3)
    _li(wire, "my-chat", AzureOpenAIResponses).chat(USER)
    assert [b.get("temperature") for b in wire.bodies] == [None, 0.2, 0.3, 0.1]


def test_langchain_explicit_sampling_and_stop_reach_the_wire() -> None:
    wire = Wire(CHAT_ANSWER)
    _lc(wire, "gpt-5-mini").invoke("hi")
    _lc(wire, "gpt-5-mini", temperature=0.2, stop=["\n"]).invoke("hi")
    _lc(wire, "gpt-5-mini").invoke("hi", temperature=0.3, top_p=0.5, stop=["END"])
    sent = [{k: b[k] for k in ("temperature", "top_p", "stop") if k in b} for b in wire.bodies]
    assert sent == [{}, {"temperature": 0.2, "stop": ["\n"]}, {"temperature": 0.3, "top_p": 0.5, "stop": ["END"]}]


# ------------------------------------------------------------------ Azure's answer, typed


@pytest.fixture
def dated(emulator: EmulatorHandle) -> Iterator[dict[str, Any]]:
    yield {"azure_endpoint": emulator.url, "api_key": emulator.api_key, "max_retries": 0}


def test_langchain_explicit_temperature_on_gpt5_mini_is_azures_typed_error(dated: dict[str, Any]) -> None:
    chat = AzureChatOpenAI(**dated, azure_deployment="gpt-5-mini", api_version="2024-10-21", temperature=0.2)
    with pytest.raises(UnsupportedParameterError) as info:
        chat.invoke("Name the capital of France.")
    e = info.value
    assert (e.status, e.code, e.param, e.deployment) == (400, "unsupported_value", "temperature", "gpt-5-mini")
    assert e.message.startswith(f"'gpt-5-mini' (GPT-5) {SAMPLING_FIX}"), e.message
    assert "Azure said: \"Unsupported value: 'temperature' does not support 0.2 with this model." in e.message


def test_langchain_explicit_stop_on_gpt5_mini_is_azures_typed_error(dated: dict[str, Any]) -> None:
    chat = AzureChatOpenAI(**dated, azure_deployment="gpt-5-mini", api_version="v1")
    with pytest.raises(UnsupportedParameterError) as info:
        chat.invoke("Name the capital of France.", stop=["\nObservation:"])
    assert (info.value.code, info.value.param) == ("unsupported_parameter", "stop")
    assert info.value.message.startswith(
        "'gpt-5-mini' (GPT-5) does not take stop (the o-series and gpt-5 up to gpt-5.4 refuse it); remove stop"
    ), info.value.message


@pytest.mark.parametrize("api_version", ["2025-04-01-preview", "v1"])
def test_langchain_explicit_reasoning_effort_on_a_model_that_does_not_reason(
    dated: dict[str, Any], api_version: str
) -> None:
    """Rule ``chat.reasoning_effort.unsupported``: the api-version has the field, the model refuses it."""
    chat = AzureChatOpenAI(**dated, azure_deployment="gpt-4o", api_version=api_version, reasoning_effort="low")
    with pytest.raises(UnsupportedParameterError) as info:
        chat.invoke("Name the capital of France.")
    assert info.value.message.startswith(
        "'gpt-4o' (GPT-4o) is not a reasoning model: it does not take reasoning_effort; remove reasoning_effort"
    ), info.value.message
    assert "Unrecognized request argument supplied: reasoning_effort" in info.value.message


def test_llamaindex_explicit_temperature_and_stop_on_gpt5_mini(dated: dict[str, Any]) -> None:
    llm = AzureOpenAI(**dated, engine="gpt-5-mini", api_version="2024-10-21", temperature=0.2)
    with pytest.raises(UnsupportedParameterError) as info:
        llm.chat(USER)
    assert info.value.param == "temperature" and SAMPLING_FIX in info.value.message
    default = AzureOpenAI(**dated, engine="gpt-5-mini", api_version="2024-10-21")
    assert default.chat(USER).message.content  # the class default 0.1 never reached the wire
    with pytest.raises(UnsupportedParameterError, match="'gpt-5-mini' \\(GPT-5\\) does not take stop"):
        default.chat(USER, stop=["\n"])


def test_llamaindex_responses_explicit_temperature_on_gpt5_mini(dated: dict[str, Any]) -> None:
    conn = {**dated, "engine": "gpt-5-mini", "api_version": "2025-04-01-preview"}
    assert AzureOpenAIResponses(**conn).chat(USER).message.content  # default: left out
    with pytest.raises(UnsupportedParameterError) as info:
        AzureOpenAIResponses(**conn, temperature=0.2).chat(USER)
    assert info.value.param == "temperature"
    assert "'gpt-5-mini' (GPT-5) is a reasoning model: it does not take temperature" in info.value.message


def test_llamaindex_default_survives_to_dict_and_from_dict() -> None:
    wire = Wire(CHAT_ANSWER)
    # to_dict never holds the key: it is given again, as a user restoring the object would
    default = AzureOpenAI.from_dict({**_li(wire, "gpt-5-mini").to_dict(), "api_key": "k"})
    explicit = AzureOpenAI.from_dict({**_li(wire, "gpt-5-mini", temperature=0.1).to_dict(), "api_key": "k"})
    for llm in (default, explicit):
        llm._http_client = wire.client
        llm.chat(USER)
    assert [b.get("temperature") for b in wire.bodies] == [None, 0.1]
