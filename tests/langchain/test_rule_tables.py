"""Issue 10: ``_build_request`` and ``DeltaConverter.feed`` are tables of small rules; each rule
is tested here on its own (the end-to-end behaviour is covered by the chat-model tests)."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from langchain_azoai import AzureChatOpenAI, _convert, _request
from shared_core.errors import ConfigurationError
from shared_core.types import ChatDelta, ChatRequest, ResponseMeta

from ._wire import FakeAzure, model_kwargs


def _build(kw: dict[str, Any] | None = None, stop: list[str] | None = None, **fields: Any) -> _request.Build:
    llm = AzureChatOpenAI(**model_kwargs(FakeAzure(), **fields))
    return _request.Build(llm=llm, kw=dict(kw or {}), stop=stop, req=ChatRequest(messages=[], model=llm.model_name))


def _complexity(fn: Any) -> int:
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    n = 1
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp, ast.For, ast.While, ast.ExceptHandler)):
            n += 1
        elif isinstance(node, ast.BoolOp):
            n += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            n += 1 + len(node.ifs)
    return n


@pytest.mark.parametrize(
    "fn",
    [
        AzureChatOpenAI._build_request,
        _convert.DeltaConverter.feed,
        *_request.RULES,
        *_convert._STATE_RULES,
        *_convert._METADATA_RULES,
        _convert._chunk,
        _convert._full_chunk,
    ],
)
def test_every_rule_is_small(fn: Any) -> None:
    assert _complexity(fn) <= 10  # the if-ladders were 41 each


# ------------------------------------------------------------------ request rules


def test_refuse_responses_only() -> None:
    with pytest.raises(ConfigurationError) as info:
        _request.refuse_responses_only(_build({"previous_response_id": "r1"}))
    assert info.value.setting == "previous_response_id"


def test_model_fields_convert_logit_bias_and_take_reasoning_effort() -> None:
    b = _build(logit_bias={50256: -100}, reasoning={"effort": "low"}, temperature=0.3)
    _request.model_fields(b)
    assert (b.req.logit_bias, b.req.reasoning_effort, b.req.temperature) == ({"50256": -100.0}, "low", 0.3)


def test_call_fields_win_over_model_fields() -> None:
    b = _build({"temperature": 0.9, "parallel_tool_calls_if_supported": False}, temperature=0.1)
    _request.model_fields(b)
    _request.call_fields(b)
    _request.call_adapter_default(b)
    assert (b.req.temperature, b.req.parallel_tool_calls, b.req.defaults, b.kw) == (
        0.9,
        False,
        frozenset({"parallel_tool_calls"}),  # structured output's one call: the adapter's default
        {},
    )


def test_an_explicit_parallel_tool_calls_is_the_callers() -> None:
    b = _build({"parallel_tool_calls": True, "parallel_tool_calls_if_supported": False})
    _request.call_fields(b)
    _request.call_adapter_default(b)
    assert (b.req.parallel_tool_calls, b.req.defaults, b.kw) == (True, frozenset(), {})


def test_call_max_tokens_takes_either_name() -> None:
    b = _build({"max_completion_tokens": 7})
    _request.call_max_tokens(b)
    assert b.req.max_tokens == 7 and not b.kw


def test_call_stop_loses_to_the_stop_argument() -> None:
    b = _build({"stop": ["bound"]}, stop=["arg"])
    _request.model_fields(b)
    _request.call_stop(b)
    assert b.req.stop == ["arg"]


def test_call_model_routes_and_picks_the_family() -> None:
    b = _build({"model": "other-deployment"})
    _request.call_model(b)
    assert (b.call, b.req.model) == ({"model": "other-deployment"}, "other-deployment")


def test_stream_usage_from_options_else_field() -> None:
    b = _build({"stream_options": {"include_usage": False}}, stream_usage=True)
    _request.stream_usage(b)
    assert b.req.include_usage is False
    b = _build(stream_usage=False)
    _request.stream_usage(b)
    assert b.req.include_usage is False


def test_call_options_and_body() -> None:
    b = _build({"extra_headers": {"x-a": "1"}, "timeout": 5, "extra_body": {"k": 1}, "foo": 2})
    _request.call_options(b)
    _request.call_body(b)
    assert b.call == {"headers": {"x-a": "1"}, "timeout": 5}
    assert b.extra == {"foo": 2, "k": 1}


def test_drop_internal_and_finish() -> None:
    b = _build({"strict": True, "ls_structured_output_format": {}})
    _request.drop_internal(b)
    b.req.stop = []
    b.extra["verbosity"] = "low"
    _request.finish(b)
    assert (b.kw, b.req.stop, b.req.extra_body) == ({}, None, {"verbosity": "low"})


# ------------------------------------------------------------------ DeltaConverter rules


def _delta(**kw: Any) -> ChatDelta:
    return ChatDelta(**{"id": "c", "model": "gpt-4o", **kw})


def test_note_filter_merges_only_changes() -> None:
    conv = _convert.DeltaConverter()
    first = {"violence": {"filtered": False, "severity": "safe"}}
    _convert._note_filter(conv, _delta(content_filter_results=first))
    _convert._note_filter(conv, _delta(content_filter_results={"violence": {"filtered": True, "severity": "high"}}))
    assert conv._cfr == {"violence": {"filtered": True, "severity": "high"}}


def test_meta_once_only_on_the_first_delta_with_meta() -> None:
    conv = _convert.DeltaConverter()
    meta = ResponseMeta(status=200, headers={}, request_id="r1", region="X")
    rm = _convert._meta_once(conv, _delta(meta=meta), None)
    assert rm is not None and rm["request_id"] == "r1"
    assert _convert._meta_once(conv, _delta(meta=meta), None) is None


def test_chunk_none_for_an_empty_delta_and_text_fast_path() -> None:
    assert _convert._chunk(_delta(), None) is None
    chunk = _convert._chunk(_delta(content="hi"), None)
    assert chunk is not None and (chunk.content, chunk.response_metadata) == ("hi", {"model_provider": "openai"})
