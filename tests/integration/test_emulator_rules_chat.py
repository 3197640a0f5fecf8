"""The emulator's chat rules, one case per row on both route styles, and valid requests near a rule.

Expected answers are Azure's as quoted in docs/emulator-rules.md (recordings, public issues, Learn),
never the emulator's own output.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared_core.emulator import rules

from .emulator_rule_cases_chat import CHAT_CASES
from .emulator_rules_support import CALL, CALL2, PNG_URL, USER, check_rule, emulator_app, fn, image, post


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize("rule_id", sorted(CHAT_CASES))
async def test_rule(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, rule_id: str, style: str) -> None:
    # a pending rule is switched off only for our own client's sake; its answer is still Azure's
    monkeypatch.setattr(rules, "PENDING_CLIENT_FIXES", {})
    await check_rule(client, rule_id, CHAT_CASES[rule_id], style)


async def test_fields_real_azure_accepted_on_older_api_versions_stay_accepted(client: httpx.AsyncClient) -> None:
    # azure-recordings/elastic__elastic-otel-python-instrumentations/...test_stream_with_include_usage_option[...]:
    # stream_options answered 200 on 2024-08-01-preview; ...test_embeddings__test_basic[...]: encoding_format on 2023-05-15
    chat = await post(
        client,
        "dated",
        "chat/completions",
        "gpt-4o",
        {"messages": USER, "stream": True, "stream_options": {"include_usage": True}},
        "2024-08-01-preview",
    )
    assert chat.status_code == 200
    emb = await post(
        client,
        "dated",
        "embeddings",
        "text-embedding-3-small",
        {"input": "hi", "encoding_format": "base64"},
        "2023-05-15",
    )
    assert emb.status_code == 200


@pytest.mark.parametrize("style", ["dated", "v1"])
@pytest.mark.parametrize(
    "dep,body",
    [
        ("gpt-5-mini", {"messages": USER, "temperature": 1}),  # the default value is accepted
        (
            "gpt-5-mini",
            {"messages": USER, "tools": [fn()], "parallel_tool_calls": False},
        ),  # gpt-5 takes it, o-series does not
        ("gpt-5-mini", {"messages": USER, "reasoning_effort": "minimal"}),
        (
            "gpt-4o",
            {
                "messages": USER,
                "tools": [
                    fn(
                        strict=True,
                        parameters={
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                            "additionalProperties": False,
                        },
                    )
                ],
            },
        ),
        ("gpt-4o", {"messages": image(PNG_URL)}),
        (
            "gpt-4o",
            {
                "messages": USER
                + [
                    {"role": "assistant", "content": None, "tool_calls": [CALL, CALL2]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
                    {"role": "tool", "tool_call_id": "call_2", "content": "21C"},
                ]
            },
        ),
        ("gpt-5.2", {"messages": USER, "max_completion_tokens": 128_000}),
        ("gpt-4o", {"messages": USER, "stream": True, "stream_options": {"include_usage": True}}),
    ],
)
async def test_valid_requests_near_a_rule_are_served(
    client: httpx.AsyncClient, style: str, dep: str, body: dict[str, Any]
) -> None:
    r = await post(client, style, "chat/completions", dep, body)
    assert r.status_code == 200, r.text


async def test_listed_image_hosts_and_own_blobs_are_reachable() -> None:
    app = emulator_app(image_url_hosts=("images.contoso.test",))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
        r = await post(
            c, "dated", "chat/completions", "gpt-4o", {"messages": image("https://images.contoso.test/cat.png")}
        )
        assert r.status_code == 200, r.text
        gen = await post(c, "dated", "images/generations", "dall-e-3", {"prompt": "a cat", "response_format": "url"})
        url = gen.json()["data"][0]["url"]
        r = await post(c, "dated", "chat/completions", "gpt-4o", {"messages": image(url)})
        assert r.status_code == 200, r.text
