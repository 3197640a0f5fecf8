"""Malformed answers over a real socket (a loopback server of our own): what httpx really hands the
core for a redirect, a 204 and a body nested too deeply, and the typed errors they become
(issue 9 §4; the MockTransport cases are in tests/unit/test_malformed_answers.py)."""

from __future__ import annotations

import asyncio

import pytest

from shared_core import ChatRequest, ClientOptions, CoreClient, resolve_target
from shared_core.errors import APIStatusError, UnexpectedResponseError
from tests.malformed_fakes import JSON, KEY, loopback

MSGS = [{"role": "user", "content": "hi"}]


def test_loopback_server_redirect_empty_and_deep_answers() -> None:
    """The same over a real socket: what httpx really hands us for a 302, a 204 and a deep body."""
    answers = {
        "/openai/deployments/redirect/chat/completions": (
            302,
            {"location": "https://login.example.com/authorize?code=secret-code"},
            b"",
        ),
        "/openai/deployments/nocontent/chat/completions": (204, {}, b""),
        "/openai/deployments/deep/chat/completions": (200, dict(JSON), b"[" * 50_000 + b"]" * 50_000),
    }
    with loopback(answers) as base:

        def call(deployment: str) -> APIStatusError:
            target = resolve_target(azure_endpoint=base, deployment=deployment, api_key=KEY, env={})
            with CoreClient(target, options=ClientOptions(max_retries=0)) as client:
                with pytest.raises(APIStatusError) as err:
                    client.chat(ChatRequest(messages=MSGS))
            return err.value

        async def acall(deployment: str) -> str:
            target = resolve_target(azure_endpoint=base, deployment=deployment, api_key=KEY, env={})
            async with CoreClient(target, options=ClientOptions(max_retries=0)) as client:
                with pytest.raises(APIStatusError) as err:
                    await client.achat(ChatRequest(messages=MSGS))
            return str(err.value)

        for deployment, says in [
            ("redirect", "redirect (HTTP 302) to https://login.example.com/authorize,"),
            ("nocontent", "HTTP 204 from " + base + "/openai/deployments/nocontent/"),
            ("deep", "nested too deeply"),
        ]:
            exc = call(deployment)
            assert type(exc) is UnexpectedResponseError and says in str(exc)
            assert "secret-code" not in str(exc) and KEY not in str(exc)
            assert says in asyncio.run(acall(deployment))
