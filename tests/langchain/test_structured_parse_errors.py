"""A json_mode answer that does not fit the schema: ``OutputParserException``, as langchain-openai.

langchain-openai parses json_mode with ``PydanticOutputParser``, whose failure is
``OutputParserException`` (agents and ``include_raw`` callers catch that type); ours raised
pydantic's ``ValidationError``. Both classes run against the same fake Azure answer.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import OutputParserException
from pydantic import BaseModel

ENDPOINT = "https://res.openai.azure.com"


class Person(BaseModel):
    name: str
    age: int


def _answer(content: str) -> httpx.MockTransport:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-5.2",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["response_format"] == {"type": "json_object"}
        return httpx.Response(200, json=body, headers={"apim-request-id": "r-1"})

    return httpx.MockTransport(handler)


def _model(lib: str, content: str) -> Any:
    cls = importlib.import_module(lib).AzureChatOpenAI
    return cls(
        azure_endpoint=ENDPOINT,
        azure_deployment="gpt-5.2",
        api_version="2024-10-21",
        api_key="k-secret-1",
        max_retries=0,
        http_client=httpx.Client(transport=_answer(content)),
    )


@pytest.mark.parametrize("lib", ["langchain_azoai", "langchain_openai"])
@pytest.mark.parametrize(
    ("content", "says"),
    [('{"name": "Ada", "age": "old"}', "age"), ("not json at all", "not json at all"), ('{"name": "Ada"}', "age")],
)
def test_json_mode_misfit_is_an_output_parser_exception(lib: str, content: str, says: str) -> None:
    runnable = _model(lib, content).with_structured_output(Person, method="json_mode")
    with pytest.raises(OutputParserException) as err:
        runnable.invoke("Ada is 36. Answer in JSON.")
    assert says in str(err.value)
    assert err.value.llm_output == content


@pytest.mark.parametrize("lib", ["langchain_azoai", "langchain_openai"])
def test_json_mode_misfit_with_include_raw_keeps_the_raw_message(lib: str) -> None:
    content = '{"name": "Ada", "age": "old"}'
    out = _model(lib, content).with_structured_output(Person, method="json_mode", include_raw=True).invoke("x")
    assert out["parsed"] is None and out["raw"].content == content
    assert isinstance(out["parsing_error"], OutputParserException)


def test_json_mode_fit_parses() -> None:
    runnable = _model("langchain_azoai", '{"name": "Ada", "age": 36}').with_structured_output(
        Person, method="json_mode"
    )
    assert runnable.invoke("Ada is 36.") == Person(name="Ada", age=36)
