"""Answers that are not response objects: typed errors naming what came back (as for chat)."""

from __future__ import annotations

import httpx
import pytest

from shared_core.errors import RateLimitError, UnexpectedResponseError
from shared_core.types_responses import ResponsesRequest
from shared_core.wire.responses import parse_response

from .responses_fakes import client, json_answer, response
from .transport_fakes import AZ, Recorder


def test_a_gateway_error_object_with_200_is_diagnosed_by_its_code() -> None:
    body = {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 7 seconds."}}
    with pytest.raises(RateLimitError, match="came with HTTP 200"):
        client(Recorder(json_answer(body)), max_retries=0).create_response(ResponsesRequest(input="x"))


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (httpx.Response(200, headers=AZ, content=b"<html>proxy</html>"), "the body is not JSON"),
        (httpx.Response(200, headers=AZ, content=b""), "the body is empty"),
        (json_answer(response(output={"type": "message"})), "output is dict, not a list"),  # type: ignore[arg-type]
        (json_answer(response(output=["text"])), "an output item is str, not an object"),
    ],
)
def test_malformed_answers_raise_unexpected_response_error(answer: httpx.Response, problem: str) -> None:
    with pytest.raises(UnexpectedResponseError, match=problem):
        client(Recorder(answer), max_retries=0).create_response(ResponsesRequest(input="x"))


def test_a_response_with_error_null_and_unknown_items_parses() -> None:
    res = parse_response(response(output=[{"type": "mcp_list_tools", "id": "mcpl_1", "tools": []}]), None)
    assert [(i.type, i.id) for i in res.output] == [("mcp_list_tools", "mcpl_1")]
    assert (res.error, res.usage, res.content_filters) == (None, None, ())
