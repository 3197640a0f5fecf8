"""The LlamaIndex LLM contract for content blocks, logprobs and content filtering, against a scripted Azure
(httpx.MockTransport).
"""

from __future__ import annotations

from typing import Any

import pytest
from li_canned import (
    SAFE,
    Azure,
    chat_body,
    text_stream,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    TextBlock,
)

from llamaindex_azoai import ContentFilterError

from .llm_contract_support import user

# -- blocks ---------------------------------------------------------------------------------------------


def test_image_blocks_go_out_as_image_url_parts(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("a cat"))
    msg = ChatMessage(role="user", blocks=[TextBlock(text="what?"), ImageBlock(url="https://x.test/cat.png")])
    assert make_llm().chat([msg]).message.content == "a cat"
    assert azure.body()["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "https://x.test/cat.png"},
    }


def test_logprobs_are_converted(make_llm: Any, azure: Azure) -> None:
    body = chat_body("hi")
    body["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": "hi",
                "logprob": -0.1,
                "bytes": [104, 105],
                "top_logprobs": [
                    {"token": "hi", "logprob": -0.1, "bytes": [104, 105]},
                    {"token": "yo", "logprob": -2.0, "bytes": None},
                ],
            }
        ]
    }
    azure.add_json(body)
    r = make_llm(logprobs=True, top_logprobs=2).chat(user("x"))
    sent = azure.body()
    assert (sent["logprobs"], sent["top_logprobs"]) == (True, 2)
    assert [(lp.token, lp.logprob) for lp in r.logprobs[0]] == [("hi", -0.1), ("yo", -2.0)]


# -- content filter ---------------------------------------------------------------------------------------


FILTERED = {**SAFE, "violence": {"filtered": True, "severity": "medium"}}


def test_filtered_completion_is_surfaced_not_silent(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, finish_reason="content_filter", content_filter_results=FILTERED))
    r = make_llm().chat(user("x"))
    assert r.message.content is None
    assert r.additional_kwargs["finish_reason"] == "content_filter"
    assert r.additional_kwargs["content_filter_results"]["violence"] == {"filtered": True, "severity": "medium"}
    assert r.raw["choices"][0]["finish_reason"] == "content_filter"


def test_filtered_completion_can_raise(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body(None, finish_reason="content_filter", content_filter_results=FILTERED))
    with pytest.raises(ContentFilterError) as err:
        make_llm(raise_on_content_filter=True).chat(user("x"))
    assert err.value.source == "completion"
    assert err.value.categories["violence"]["severity"] == "medium"
    assert "violence" in str(err.value)


def test_filtered_stream_surfaces_finish_reason_and_results(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["Once"], finish_reason="content_filter", cfr=FILTERED))
    chunks = list(make_llm().stream_chat(user("x")))
    final = [c for c in chunks if c.additional_kwargs.get("finish_reason")][0]
    assert final.additional_kwargs["finish_reason"] == "content_filter"
    assert final.additional_kwargs["content_filter_results"]["violence"]["filtered"] is True
    assert final.raw["choices"][0]["content_filter_results"]["violence"]["filtered"] is True


def test_filtered_stream_can_raise(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["Once"], finish_reason="content_filter", cfr=FILTERED))
    with pytest.raises(ContentFilterError) as err:
        list(make_llm(raise_on_content_filter=True).stream_chat(user("x")))
    assert err.value.source == "completion"
    # the request id and region come from the stream's response headers, not only its first chunk
    assert err.value.request_id == "5b5b2a1e-0000-4000-8000-000000000001"
    assert err.value.region == "Sweden Central"
    assert "5b5b2a1e-0000-4000-8000-000000000001" in str(err.value)


def test_filtered_prompt_raises_content_filter_error(make_llm: Any, azure: Azure) -> None:
    azure.add_json(
        {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {**SAFE, "hate": {"filtered": True, "severity": "high"}},
                },
            }
        },
        status=400,
    )
    with pytest.raises(ContentFilterError) as err:
        make_llm().chat(user("x"))
    assert err.value.source == "prompt"
    assert err.value.categories["hate"]["severity"] == "high"
    assert err.value.status == 400
    assert len(azure.requests) == 1  # never retried
