"""The Responses API: client CPU per call and per streamed event, ours beside the anchors, one run.

LangChain: ``langchain_azoai.AzureChatOpenAI(use_responses_api=True)`` against langchain-openai's
``ChatOpenAI(use_responses_api=True)`` pointed at the resource's v1 base URL (its Azure class cannot
reach /responses: langchain #31653). LlamaIndex: ``llamaindex_azoai.AzureOpenAIResponses`` against
llama-index's ``AzureOpenAIResponses``. Every contender gets the same ``httpx.MockTransport``
answering with the same Azure-shaped bodies (the fields and event sequence of the recorded Azure
streams in ../shared/azure-recordings, e.g. Mirascope's gpt-4o-mini async_stream), so what is
measured is request building, HTTP client, parsing and framework objects. Issue 12's targets: at
most a third of the anchor's CPU per call and a quarter per event.

    python benchmarks/bench_responses.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx

warnings.filterwarnings("ignore")

ENDPOINT = "https://bench.openai.azure.com"
DEPLOYMENT = "gpt-5.2"
HEADERS = {
    "content-type": "application/json",
    "apim-request-id": "5d7c0b9c-1",
    "x-request-id": "5d7c0b9c-1",
    "x-ms-region": "Sweden Central",
    "x-ratelimit-remaining-tokens": "9000",
    "x-ratelimit-remaining-requests": "99",
}
RESP_ID = "resp_0326378503895f4100690c217bc9e88190acd59dc9fdbb99ba"
MSG_ID = "msg_0326378503895f4100690c217c423081908f2ac3b3183d5eef"
TEXT = "J'adore la programmation."


def _response(status: str, output: list[Any], usage: Any) -> dict[str, Any]:
    return {
        "id": RESP_ID,
        "object": "response",
        "created_at": 1762402683,
        "status": status,
        "background": False,
        "content_filters": None,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": "gpt-5.2-2025-12-11",
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "reasoning": {"effort": None, "summary": None},
        "safety_identifier": None,
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _message(text: str) -> dict[str, Any]:
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    return {"id": MSG_ID, "type": "message", "status": "completed", "content": [part], "role": "assistant"}


def _usage(out: int) -> dict[str, Any]:
    return {
        "input_tokens": 28,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 28 + out,
    }


ANSWER = json.dumps(_response("completed", [_message(TEXT)], _usage(6))).encode()


def _stream(n: int) -> bytes:
    deltas = [f" w{i}" for i in range(n)]
    text = "".join(deltas)
    loc = {"item_id": MSG_ID, "output_index": 0, "content_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": _response("in_progress", [], None)},
        {"type": "response.in_progress", "response": _response("in_progress", [], None)},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": MSG_ID, "type": "message", "status": "in_progress", "content": [], "role": "assistant"},
        },
        {
            "type": "response.content_part.added",
            **loc,
            "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
        },
    ]
    events += [
        {"type": "response.output_text.delta", **loc, "delta": d, "logprobs": [], "obfuscation": "BqXmFELEWUD0g"}
        for d in deltas
    ]
    events += [
        {"type": "response.output_text.done", **loc, "text": text, "logprobs": []},
        {
            "type": "response.content_part.done",
            **loc,
            "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": text},
        },
        {"type": "response.output_item.done", "output_index": 0, "item": _message(text)},
        {"type": "response.completed", "response": _response("completed", [_message(text)], _usage(n))},
    ]
    return b"".join(
        f"event: {e['type']}\ndata: ".encode() + json.dumps({**e, "sequence_number": i}).encode() + b"\n\n"
        for i, e in enumerate(events)
    )


def handler_for(stream: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/responses"), request.url
        if b'"stream":true' in request.content.replace(b" ", b""):
            return httpx.Response(200, content=stream, headers={**HEADERS, "content-type": "text/event-stream"})
        return httpx.Response(200, content=ANSWER, headers=HEADERS)

    return handler


def cpu_per(fn: Callable[[], Any], n: int, warm: int = 3) -> float:
    for _ in range(warm):
        fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n


def langchain_models(stream: bytes) -> dict[str, Any]:
    import langchain_openai

    import langchain_azoai

    h = handler_for(stream)

    async def ah(request: httpx.Request) -> httpx.Response:
        return h(request)

    clients = {
        "http_client": httpx.Client(transport=httpx.MockTransport(h)),
        "http_async_client": httpx.AsyncClient(transport=httpx.MockTransport(ah)),
    }
    return {
        "anchor": langchain_openai.ChatOpenAI(
            base_url=f"{ENDPOINT}/openai/v1/",
            api_key="bench-key",
            model=DEPLOYMENT,
            use_responses_api=True,
            max_retries=0,
            **clients,
        ),
        "ours": langchain_azoai.AzureChatOpenAI(
            azure_endpoint=ENDPOINT,
            api_key="bench-key",
            azure_deployment=DEPLOYMENT,
            api_version="v1",
            use_responses_api=True,
            max_retries=0,
            **clients,
        ),
    }


def llamaindex_models(stream: bytes) -> dict[str, Any]:
    from llama_index.llms.azure_openai import AzureOpenAIResponses as Anchor

    from llamaindex_azoai import AzureOpenAIResponses

    h = handler_for(stream)
    common = {"api_key": "bench-key", "azure_endpoint": ENDPOINT, "max_retries": 0}
    return {
        "anchor": Anchor(
            engine=DEPLOYMENT,
            model="gpt-4o",  # the anchor validates model names against OpenAI's list
            api_version="2025-03-01-preview",
            http_client=httpx.Client(transport=httpx.MockTransport(h)),
            **common,
        ),
        "ours": AzureOpenAIResponses(
            engine=DEPLOYMENT,
            api_version="2025-03-01-preview",
            http_client=httpx.Client(transport=httpx.MockTransport(h)),
            **common,
        ),
    }


def measure(
    models: dict[str, Any], call: Callable[[Any], str], stream: Callable[[Any], str], n: int, events: int
) -> Any:
    out: dict[str, tuple[float, float]] = {}
    for name, m in models.items():
        assert call(m) == TEXT, (name, call(m))
        assert stream(m).endswith(f" w{events - 1}"), name
        per_call = cpu_per(lambda m=m: call(m), n)
        per_event = cpu_per(lambda m=m: stream(m), max(n // 20, 3), warm=1) / events
        out[name] = (per_call, per_event)
    return out


def _lc_text(msg: Any) -> str:
    content = msg.content
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if isinstance(b, dict))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, events = (60, 100) if args.quick else (300, 300)
    stream = _stream(events)
    from llama_index.core.llms import ChatMessage

    messages = [("system", "Translate the user sentence to French."), ("human", "I love programming.")]
    li_messages = [ChatMessage(role="system", content=messages[0][1]), ChatMessage(role="user", content=messages[1][1])]
    lc = measure(
        langchain_models(stream),
        lambda m: _lc_text(m.invoke(messages)),
        lambda m: "".join(_lc_text(c) for c in m.stream(messages)),
        n,
        events,
    )
    li = measure(
        llamaindex_models(stream),
        lambda m: m.chat(li_messages).message.content,
        lambda m: [r for r in m.stream_chat(li_messages)][-1].message.content,
        n,
        events,
    )
    print(f"## bench_responses.py\n\n{n} calls, streams of {events} text deltas; client CPU (process time)\n")
    print(
        "| framework | per call: anchor | ours | ratio (target <= 0.33) | per event: anchor | ours | ratio (target <= 0.25) |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, r in (("LangChain (ChatOpenAI, v1 base URL)", lc), ("LlamaIndex (AzureOpenAIResponses)", li)):
        (ac, ae), (oc, oe) = r["anchor"], r["ours"]
        print(
            f"| {label} | {ac * 1e6:.0f} µs | {oc * 1e6:.0f} µs | {oc / ac:.2f} | "
            f"{ae * 1e6:.1f} µs | {oe * 1e6:.1f} µs | {oe / ae:.2f} |"
        )


if __name__ == "__main__":
    main()
