"""Chat, legacy completions and embeddings behaviour of the emulator, in-process."""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest

from shared_core.emulator.app import create_app, iter_sse
from shared_core.emulator.config import ManualClock
from tests._deployments import with_legacy

H = {"api-key": "azoai-emulator-key"}
CHAT = "/openai/deployments/{}/chat/completions?api-version=2024-10-21"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "city name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city", "unit"],
        },
    },
}
STOCK = {
    "type": "function",
    "function": {
        "name": "get_stock_price",
        "description": "Look up the stock price of a company",
        "parameters": {"type": "object", "properties": {"ticker": {"type": "string"}}, "required": ["ticker"]},
    },
}
RAG_SYSTEM = (
    "Answer the question using only the context below.\n\nContext:\n"
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris. "
    "Bananas are rich in potassium and grow in tropical climates. "
    "The Great Wall of China is more than 20,000 kilometres long."
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(deployments=with_legacy(), clock=ManualClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        yield c


async def chat(client: httpx.AsyncClient, body: dict[str, Any], deployment: str = "gpt-4o") -> dict[str, Any]:
    r = await client.post(CHAT.format(deployment), json=body, headers=H)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_rag_answer_uses_best_matching_context_sentence(client: httpx.AsyncClient) -> None:
    out = await chat(
        client,
        {
            "messages": [
                {"role": "system", "content": RAG_SYSTEM},
                {"role": "user", "content": "When was the Eiffel Tower completed?"},
            ]
        },
    )
    assert (
        out["choices"][0]["message"]["content"]
        == "The Eiffel Tower was completed in 1889 for the World's Fair in Paris."
    )
    out = await chat(
        client, {"messages": [{"role": "user", "content": RAG_SYSTEM + "\n\nQuestion: How long is the Great Wall?"}]}
    )
    assert out["choices"][0]["message"]["content"] == "The Great Wall of China is more than 20,000 kilometres long."


async def test_answers_are_deterministic_and_usage_consistent(client: httpx.AsyncClient) -> None:
    body = {"messages": [{"role": "user", "content": "What is 4200 + 42?"}]}
    a, b = await chat(client, body), await chat(client, body)
    assert a["choices"] == b["choices"] and a["choices"][0]["message"]["content"] == "4242"
    u = a["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"] and u["completion_tokens"] == 1
    assert a["prompt_filter_results"][0]["content_filter_results"]["jailbreak"] == {
        "filtered": False,
        "detected": False,
    }


async def test_max_tokens_truncates_with_length(client: httpx.AsyncClient) -> None:
    out = await chat(
        client, {"messages": [{"role": "user", "content": "Tell me a long story about dragons"}], "max_tokens": 3}
    )
    assert out["choices"][0]["finish_reason"] == "length" and out["usage"]["completion_tokens"] == 3


async def test_stream_shape_matches_azure(client: httpx.AsyncClient) -> None:
    r = await client.post(
        CHAT.format("gpt-4o-mini"),
        headers=H,
        json={
            "messages": [{"role": "user", "content": "What is 2 + 2?"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.text.endswith("data: [DONE]\n\n")
    events = list(iter_sse(r.content))
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    first = chunks[0]
    assert first["choices"] == [] and first["created"] == 0 and first["id"] == "" and first["model"] == ""
    assert first["object"] == "" and "prompt_filter_results" in first
    assert chunks[1]["choices"][0]["delta"] == {"content": "", "refusal": None, "role": "assistant"}
    assert chunks[1]["choices"][0]["content_filter_results"] == {}
    content = [c for c in chunks[2:] if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert "".join(c["choices"][0]["delta"]["content"] for c in content) == "4"
    assert all(
        set(c["choices"][0]["content_filter_results"]) == {"hate", "self_harm", "sexual", "violence"} for c in content
    )
    finish = chunks[-2]
    assert (
        finish["choices"][0]["finish_reason"] == "stop"
        and finish["choices"][0]["delta"] == {}
        and finish["usage"] is None
    )
    usage = chunks[-1]
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 1
    assert len({c["id"] for c in chunks[1:]}) == 1


async def test_stream_without_usage_has_no_usage_key(client: httpx.AsyncClient) -> None:
    r = await client.post(
        CHAT.format("gpt-4o"), headers=H, json={"messages": [{"role": "user", "content": "hi"}], "stream": True}
    )
    chunks = [json.loads(e) for e in iter_sse(r.content) if e != "[DONE]"]
    assert all("usage" not in c for c in chunks) and chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_tool_call_with_arguments_from_schema_and_words(client: httpx.AsyncClient) -> None:
    out = await chat(
        client,
        {
            "messages": [{"role": "user", "content": "What's the weather in Paris in fahrenheit for 3 days?"}],
            "tools": [WEATHER, STOCK],
        },
    )
    choice = out["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert len(calls) == 1 and calls[0]["function"]["name"] == "get_weather" and calls[0]["id"].startswith("call_")
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris", "unit": "fahrenheit", "days": 3}


async def test_parallel_tool_calls_when_several_match(client: httpx.AsyncClient) -> None:
    out = await chat(
        client,
        {
            "messages": [{"role": "user", "content": "Get the weather in Paris and the stock price of 'MSFT'"}],
            "tools": [WEATHER, STOCK],
        },
    )
    names = [c["function"]["name"] for c in out["choices"][0]["message"]["tool_calls"]]
    assert sorted(names) == ["get_stock_price", "get_weather"]
    out = await chat(
        client,
        {
            "messages": [{"role": "user", "content": "Get the weather in Paris and the stock price of 'MSFT'"}],
            "tools": [WEATHER, STOCK],
            "parallel_tool_calls": False,
        },
    )
    assert len(out["choices"][0]["message"]["tool_calls"]) == 1


async def test_tool_choice_named_required_and_none(client: httpx.AsyncClient) -> None:
    msgs = [{"role": "user", "content": "hello there"}]
    out = await chat(client, {"messages": msgs, "tools": [WEATHER, STOCK]})
    assert out["choices"][0]["finish_reason"] == "stop"
    out = await chat(client, {"messages": msgs, "tools": [WEATHER, STOCK], "tool_choice": "required"})
    assert out["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    named = {"type": "function", "function": {"name": "get_stock_price"}}
    out = await chat(client, {"messages": msgs, "tools": [WEATHER, STOCK], "tool_choice": named})
    assert [c["function"]["name"] for c in out["choices"][0]["message"]["tool_calls"]] == ["get_stock_price"]
    out = await chat(
        client,
        {"messages": [{"role": "user", "content": "weather in Paris"}], "tools": [WEATHER], "tool_choice": "none"},
    )
    assert "tool_calls" not in out["choices"][0]["message"]


async def test_after_tool_results_the_model_answers(client: httpx.AsyncClient) -> None:
    msgs = [
        {"role": "user", "content": "What's the weather in Paris in celsius?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees and sunny"},
    ]
    out = await chat(client, {"messages": msgs, "tools": [WEATHER]})
    assert (
        out["choices"][0]["message"]["content"]
        == "Based on the tool results: get_weather returned 18 degrees and sunny."
    )


async def test_answer_after_several_tool_results_is_one_short_sentence_each(client: httpx.AsyncClient) -> None:
    passages = (
        "[overview.md] Verdant Hub is a smart greenhouse controller made by Loamwise Systems. It drives vents, "
        "valves and fans from one box.\n[sizes.md] Verdant Hub Pro is made for greenhouses from 80 to 150 m2. "
        "Verdant Hub Mini suits greenhouses up to 20 m2. " + "Filler sentence about nothing in particular. " * 20
    )
    msgs = [
        {
            "role": "user",
            "content": "My greenhouse is 1200 ft2. Convert it to m2 and tell me which Verdant Hub "
            "model suits a greenhouse of that size.",
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "convert_units", "arguments": "{}"}},
                {"id": "c2", "type": "function", "function": {"name": "search_docs", "arguments": "{}"}},
                {"id": "c3", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "1200 ft2 = 111.5 m2"},
        {"role": "tool", "tool_call_id": "c2", "content": passages},
        {"role": "tool", "tool_call_id": "c3", "content": json.dumps({"temp_c": 18, "sky": "sunny", "raw": {"x": 1}})},
    ]
    out = await chat(client, {"messages": msgs, "tools": [WEATHER]})
    assert out["choices"][0]["message"]["content"] == (
        "Based on the tool results: convert_units returned 1200 ft2 = 111.5 m2. "
        "search_docs returned Verdant Hub Pro is made for greenhouses from 80 to 150 m2. "
        "get_weather returned temp_c 18, sky sunny."
    )


async def test_long_tool_result_without_sentences_is_cut_to_thirty_words(client: httpx.AsyncClient) -> None:
    long_line = " ".join(f"w{i}" for i in range(100))
    msgs = [
        {"role": "user", "content": "list things"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "dump", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": long_line},
    ]
    out = await chat(client, {"messages": msgs})
    expected = "Based on the tool results: dump returned " + " ".join(f"w{i}" for i in range(30)) + "..."
    assert out["choices"][0]["message"]["content"] == expected


async def test_streamed_tool_calls_reassemble(client: httpx.AsyncClient) -> None:
    r = await client.post(
        CHAT.format("gpt-4o"),
        headers=H,
        json={
            "messages": [{"role": "user", "content": "What's the weather in Oslo in celsius?"}],
            "tools": [WEATHER],
            "stream": True,
        },
    )
    chunks = [json.loads(e) for e in iter_sse(r.content) if e != "[DONE]"]
    args = "".join(
        tc["function"].get("arguments", "")
        for c in chunks[2:]
        if c["choices"]
        for tc in c["choices"][0]["delta"].get("tool_calls", [])
    )
    assert json.loads(args) == {"city": "Oslo", "unit": "celsius"}
    assert chunks[1]["choices"][0]["delta"] == {"content": None, "refusal": None, "role": "assistant"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_json_schema_output_is_valid(client: httpx.AsyncClient) -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "year": {"type": "integer"},
            "confidence": {"type": "number"},
            "topic": {"type": "string", "enum": ["history", "science"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "source": {"$ref": "#/$defs/Source"},
        },
        "required": ["answer", "year", "confidence", "topic", "tags", "source"],
        "additionalProperties": False,
        "$defs": {
            "Source": {
                "type": "object",
                "properties": {"title": {"type": "string"}},
                "required": ["title"],
                "additionalProperties": False,
            }
        },
    }
    out = await chat(
        client,
        {
            "messages": [
                {"role": "system", "content": RAG_SYSTEM},
                {"role": "user", "content": "In which year was the Eiffel Tower completed? history"},
            ],
            "response_format": {"type": "json_schema", "json_schema": {"name": "a", "strict": True, "schema": schema}},
        },
    )
    value = json.loads(out["choices"][0]["message"]["content"])
    jsonschema.validate(value, schema)
    assert value["topic"] == "history" and "Eiffel Tower" in value["answer"]


async def json_mode(client: httpx.AsyncClient, *messages: dict[str, Any]) -> Any:
    out = await chat(client, {"messages": list(messages), "response_format": {"type": "json_object"}})
    return json.loads(out["choices"][0]["message"]["content"])


async def test_json_object_output_without_named_keys_is_an_answer(client: httpx.AsyncClient) -> None:
    assert await json_mode(client, {"role": "user", "content": "Reply in json: what is 6 * 7?"}) == {"answer": "42"}


async def test_json_object_takes_keys_and_list_shape_from_the_prompt(client: httpx.AsyncClient) -> None:
    ask = {
        "role": "user",
        "content": "Return a JSON object with key 'random_ints' and a value of 10 random ints in [0-99]",
    }
    value = await json_mode(client, ask)
    assert list(value) == ["random_ints"] and len(value["random_ints"]) == 10
    assert all(isinstance(v, int) and 0 <= v <= 99 for v in value["random_ints"])
    assert len(set(value["random_ints"])) > 5  # spread over the range, not one value repeated
    assert await json_mode(client, ask) == value  # deterministic
    joke = await json_mode(
        client,
        {
            "role": "user",
            "content": "Tell me a joke about cats. Return the result as a JSON "
            "with 'setup' and 'punchline' keys. Return nothing other than JSON.",
        },
    )
    assert joke == {"setup": "Setup: Tell me a joke about cats", "punchline": "Punchline: Tell me a joke about cats"}
    bare = await json_mode(client, {"role": "user", "content": "Tell me a joke as json with keys setup and punchline"})
    assert list(bare) == ["setup", "punchline"] and all(isinstance(v, str) and v for v in bare.values())


async def test_json_object_fills_named_fields_from_the_user_words(client: httpx.AsyncClient) -> None:
    value = await json_mode(
        client,
        {
            "role": "user",
            "content": "Return json with the following fields: name, city and "
            "age. My name is Alice, I live in Paris and I am 31.",
        },
    )
    assert value == {"name": "Alice", "city": "Paris", "age": 31}
    value = await json_mode(
        client,
        {
            "role": "user",
            "content": 'Describe Bob Smith, aged 42, as JSON shaped like {"name": "Ann", "age": 30, "member": true}',
        },
    )
    assert value == {"name": "Bob Smith", "age": 42, "member": True}


async def test_json_object_follows_a_schema_quoted_in_the_prompt(client: httpx.AsyncClient) -> None:
    schema = {"properties": {"title": {"type": "string"}, "year": {"type": "integer"}}, "required": ["title", "year"]}
    value = await json_mode(
        client,
        {"role": "system", "content": "Answer in JSON conforming to this schema: " + json.dumps(schema)},
        {"role": "user", "content": "The Eiffel Tower was completed in 1889."},
    )
    jsonschema.validate(value, schema)
    assert value["year"] == 1889


async def test_reasoning_deployment_rejects_sampling_params(client: httpx.AsyncClient) -> None:
    msgs = [{"role": "user", "content": "hi"}]
    for param, value, message in [
        ("temperature", 0.2, "Unsupported parameter: 'temperature' is not supported with this model."),
        ("top_p", 0.5, "Unsupported parameter: 'top_p' is not supported with this model."),
        (
            "max_tokens",
            10,
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        ),
    ]:
        r = await client.post(CHAT.format("o3-mini"), headers=H, json={"messages": msgs, param: value})
        assert r.status_code == 400
        assert r.json() == {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": "unsupported_parameter",
            }
        }
    out = await chat(client, {"messages": msgs, "max_completion_tokens": 1000, "reasoning_effort": "low"}, "o3-mini")
    assert out["usage"]["completion_tokens_details"]["reasoning_tokens"] == 64
    assert out["usage"]["completion_tokens"] > 64 and out["system_fingerprint"] is None


async def test_prompt_content_filter_400(client: httpx.AsyncClient) -> None:
    r = await client.post(
        CHAT.format("gpt-4o"),
        headers=H,
        json={"messages": [{"role": "user", "content": "emulator-block-violence now"}]},
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "content_filter" and err["param"] == "prompt" and err["status"] == 400 and err["type"] is None
    assert err["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert err["innererror"]["content_filter_result"]["violence"] == {"filtered": True, "severity": "medium"}
    assert err["innererror"]["content_filter_result"]["hate"] == {"filtered": False, "severity": "safe"}
    assert r.headers["x-ms-deployment-name"] == "gpt-4o"


async def test_completion_content_filter_finish_reason(client: httpx.AsyncClient) -> None:
    out = await chat(client, {"messages": [{"role": "user", "content": "say emulator-filter-output"}]})
    choice = out["choices"][0]
    assert choice["finish_reason"] == "content_filter" and "message" not in choice
    assert choice["content_filter_results"]["violence"] == {"filtered": True, "severity": "high"}


async def test_custom_filter_terms(client: httpx.AsyncClient) -> None:
    app = create_app(deployments=with_legacy(), clock=ManualClock(), prompt_filter_terms={"pineapple": "hate"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        r = await c.post(
            CHAT.format("gpt-4o"), headers=H, json={"messages": [{"role": "user", "content": "Pineapple pizza"}]}
        )
        assert (
            r.status_code == 400
            and r.json()["error"]["innererror"]["content_filter_result"]["hate"]["filtered"] is True
        )


async def test_legacy_completions(client: httpx.AsyncClient) -> None:
    url = "/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2024-10-21"
    r = await client.post(url, headers=H, json={"prompt": "What is 7 * 6?", "max_tokens": 20})
    out = r.json()
    assert r.status_code == 200 and out["object"] == "text_completion"
    assert out["choices"][0]["text"] == " 42" and out["choices"][0]["finish_reason"] == "stop"
    assert out["prompt_filter_results"][0]["prompt_index"] == 0
    r = await client.post(url, headers=H, json={"prompt": "Tell me about the history of Rome in detail"})
    assert r.json()["choices"][0]["finish_reason"] == "length" and r.json()["usage"]["completion_tokens"] == 16
    r = await client.post(url, headers=H, json={"prompt": "What is 1 + 1?", "stream": True})
    events = [json.loads(e) for e in iter_sse(r.content) if e != "[DONE]"]
    assert events[0]["choices"] == [] and "".join(e["choices"][0]["text"] for e in events[1:]) == " 2"
    r = await client.post(url, headers=H, json={"max_tokens": 5})
    assert r.status_code == 400 and r.json()["error"]["param"] == "prompt"


# --- embeddings ---------------------------------------------------------------------------

EMB = "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21"


async def test_embeddings_float_and_base64_agree(client: httpx.AsyncClient) -> None:
    f = (await client.post(EMB, headers=H, json={"input": ["hello world"]})).json()
    b = (await client.post(EMB, headers=H, json={"input": ["hello world"], "encoding_format": "base64"})).json()
    vec = f["data"][0]["embedding"]
    raw = base64.b64decode(b["data"][0]["embedding"])
    decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
    assert len(vec) == 1536 and len(decoded) == 1536
    assert max(abs(x - y) for x, y in zip(vec, decoded, strict=False)) < 1e-6
    assert math.isclose(sum(x * x for x in vec), 1.0, rel_tol=1e-9)
    assert f["usage"] == {"prompt_tokens": 2, "total_tokens": 2} and f["model"] == "text-embedding-3-small"


async def test_embeddings_dimensions_and_retrieval(client: httpx.AsyncClient) -> None:
    docs = ["The cat sat on the warm mat.", "Stock markets fell sharply on Monday.", "Quantum computers use qubits."]
    r = await client.post(EMB, headers=H, json={"input": docs + ["where did the cat sit?"], "dimensions": 256})
    vecs = [d["embedding"] for d in r.json()["data"]]
    assert all(len(v) == 256 for v in vecs)
    query = vecs[-1]
    scores = [sum(a * b for a, b in zip(query, v, strict=False)) for v in vecs[:-1]]
    assert scores.index(max(scores)) == 0 and scores[0] > 0.3


async def test_embeddings_bad_input(client: httpx.AsyncClient) -> None:
    r = await client.post(EMB, headers=H, json={"input": ["x"] * 2049})
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Too many inputs. The max number of inputs is 2048.")
    r = await client.post(EMB, headers=H, json={"input": "x", "dimensions": 5000})
    assert r.status_code == 400 and r.json()["error"]["param"] == "dimensions"
    r = await client.post(EMB, headers=H, json={"input": "x", "encoding_format": "int8"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_value"
    r = await client.post(EMB, headers=H, json={"input": "word " * 9000})
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"
    r = await client.post(EMB, headers=H, json={})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Missing required parameter: 'input'."


async def test_embeddings_token_arrays(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/openai/v1/embeddings", headers=H, json={"model": "text-embedding-3-small", "input": [[1, 2, 3], [4]]}
    )
    assert r.status_code == 200 and [d["index"] for d in r.json()["data"]] == [0, 1]


RETRIEVAL_DOCS = [
    "The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall.",
    "Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar and oxygen.",
    "The Python programming language was created by Guido van Rossum and first released in 1991.",
    "Mount Everest, on the border of Nepal and China, is the highest mountain above sea level.",
    "A sourdough starter is a fermented mix of flour and water that leavens bread.",
    "The human heart pumps blood through the body with four chambers: two atria and two ventricles.",
    "Jupiter is the largest planet in the solar system and has a giant storm called the Great Red Spot.",
    "To reset the router, hold the recessed button on the back for ten seconds until the lights blink.",
    "Our refund policy allows returns within 30 days of delivery with the original receipt.",
    "Honeybees communicate the location of flowers to the hive with a waggle dance.",
]
RETRIEVAL_QUESTIONS = [
    "How tall is the Eiffel Tower?",
    "How do plants make sugar from sunlight?",
    "Who created Python?",
    "What is the highest mountain in the world?",
    "How does sourdough bread rise?",
    "How many chambers does the heart have?",
    "Which planet is the largest?",
    "How can I reset my router?",
    "Can I get a refund after delivery?",
    "How do bees tell each other where flowers are?",
]


@pytest.mark.parametrize("dimensions", [256, None])
async def test_embeddings_rank_the_right_document_first(client: httpx.AsyncClient, dimensions: int | None) -> None:
    body: dict[str, Any] = {"input": RETRIEVAL_DOCS + RETRIEVAL_QUESTIONS}
    if dimensions:
        body["dimensions"] = dimensions
    vecs = [d["embedding"] for d in (await client.post(EMB, headers=H, json=body)).json()["data"]]
    docs, questions = vecs[:10], vecs[10:]
    hits = 0
    for i, q in enumerate(questions):
        scores = [sum(a * b for a, b in zip(q, d, strict=False)) for d in docs]
        hits += scores.index(max(scores)) == i
    assert hits >= 9, f"only {hits}/10 questions ranked their document first"


async def test_v1_stream_chunks_carry_obfuscation_and_dated_ones_do_not(client: httpx.AsyncClient) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "What is 2 + 2?"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    v1 = [
        json.loads(e)
        for e in iter_sse((await client.post("/openai/v1/chat/completions", headers=H, json=body)).content)
        if e != "[DONE]"
    ]
    assert "obfuscation" not in v1[0] and v1[0]["id"] == ""  # the prompt-filter chunk has none, as in real traffic
    pads = [c["obfuscation"] for c in v1[1:]]
    assert len(pads) == len(v1) - 1 and all(isinstance(p, str) and 1 <= len(p) <= 15 for p in pads)
    assert len(set(map(len, pads))) > 1  # lengths vary: it pads chunk sizes
    assert all(list(c) == sorted(c) for c in v1[1:])  # Azure's alphabetical key order
    fresh = create_app(deployments=with_legacy(), clock=ManualClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fresh), base_url="http://emu") as c2:
        again = [
            json.loads(e)
            for e in iter_sse((await c2.post("/openai/v1/chat/completions", headers=H, json=body)).content)
            if e != "[DONE]"
        ]
    assert again == v1  # deterministic: a fresh emulator replays the same stream, pads included
    dated = {k: v for k, v in body.items() if k != "model"}
    r = await client.post(CHAT.format("gpt-4o"), headers=H, json=dated)
    assert all("obfuscation" not in json.loads(e) for e in iter_sse(r.content) if e != "[DONE]")
    off = {**body, "stream_options": {"include_usage": True, "include_obfuscation": False}}
    r = await client.post("/openai/v1/chat/completions", headers=H, json=off)
    assert all("obfuscation" not in json.loads(e) for e in iter_sse(r.content) if e != "[DONE]")
