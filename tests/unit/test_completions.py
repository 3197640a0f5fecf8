"""Legacy completions: body, parsing into Choice.text, streamed text, filters, logprobs."""

from __future__ import annotations

from shared_core.types import CompletionRequest, Usage
from shared_core.wire.completions import build_completion_body, parse_completion, parse_completion_chunk

CFR = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}


def test_body_fields_and_extra_body() -> None:
    req = CompletionRequest(
        prompt="Say hi",
        max_tokens=5,
        temperature=0.0,
        stop=["\n"],
        n=1,
        logprobs=2,
        echo=False,
        seed=3,
        best_of=1,
        suffix="!",
        user="u",
        extra_body={"temperature": 0.5},
    )
    assert build_completion_body(req, body_model=None, api_version="2024-10-21") == {
        "prompt": "Say hi",
        "max_tokens": 5,
        "temperature": 0.5,
        "stop": ["\n"],
        "n": 1,
        "logprobs": 2,
        "echo": False,
        "seed": 3,
        "best_of": 1,
        "suffix": "!",
        "user": "u",
    }


def test_body_model_and_stream_options_follow_the_api_version() -> None:
    req = CompletionRequest(prompt=["a", "b"], stream=True)
    assert build_completion_body(req, body_model="instruct", api_version=None) == {
        "model": "instruct",
        "prompt": ["a", "b"],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert build_completion_body(req, body_model=None, api_version="2024-02-01") == {
        "prompt": ["a", "b"],
        "stream": True,
    }


def test_parse_text_completion() -> None:
    data = {
        "id": "cmpl-9",
        "object": "text_completion",
        "created": 1700000000,
        "model": "gpt-35-turbo-instruct",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": CFR}],
        "choices": [
            {
                "text": " Hello there",
                "index": 0,
                "finish_reason": "length",
                "logprobs": {"tokens": [" Hello"], "token_logprobs": [-0.1]},
                "content_filter_results": CFR,
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    r = parse_completion(data, None)
    c = r.first
    assert (c.text, c.content, c.role, c.finish_reason) == (" Hello there", None, None, "length")
    assert c.logprobs == {"tokens": [" Hello"], "token_logprobs": [-0.1]}
    assert c.content_filter_results == CFR
    assert r.prompt_filter_results == ({"prompt_index": 0, "content_filter_results": CFR},)
    assert r.usage == Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5, raw=data["usage"])
    assert (r.id, r.model, r.created) == ("cmpl-9", "gpt-35-turbo-instruct", 1700000000)


def test_filtered_completion_choice() -> None:
    data = {
        "id": "x",
        "model": "m",
        "created": 1,
        "choices": [
            {
                "text": "",
                "index": 0,
                "finish_reason": "content_filter",
                "content_filter_result": {"violence": {"filtered": True, "severity": "medium"}},
            }
        ],
    }
    c = parse_completion(data, None).first
    assert c.finish_reason == "content_filter"
    assert c.content_filter_results == {"violence": {"filtered": True, "severity": "medium"}}


def test_stream_chunks() -> None:
    first = parse_completion_chunk(
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": CFR}],
        }
    )
    assert first.prompt_filter_results == ({"prompt_index": 0, "content_filter_results": CFR},)
    assert first.text is None
    chunk = parse_completion_chunk(
        {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": 1,
            "model": "gpt-35-turbo-instruct",
            "choices": [
                {"text": " Hel", "index": 0, "finish_reason": None, "logprobs": None, "content_filter_results": CFR}
            ],
        }
    )
    assert (chunk.text, chunk.content, chunk.content_filter_results) == (" Hel", None, CFR)
    last = parse_completion_chunk(
        {"id": "cmpl-1", "model": "m", "created": 1, "choices": [{"text": "", "index": 0, "finish_reason": "stop"}]}
    )
    assert last.finish_reason == "stop"
    usage = parse_completion_chunk(
        {
            "id": "cmpl-1",
            "model": "m",
            "created": 1,
            "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        }
    )
    assert usage.usage is not None and usage.usage.total_tokens == 7
