"""``routing=`` (a Portkey-shaped config) and ``spillover_deployment=`` on the LlamaIndex classes.

Spillover: Azure sends a provisioned deployment's overflow to the standard deployment named in
``x-ms-spillover-deployment`` and answers with ``x-ms-spillover-from-deployment``
(https://learn.microsoft.com/en-us/azure/ai-services/openai/how-to/spillover-traffic-management).
"""

from __future__ import annotations

import json

import pytest
from llama_index.core.llms import ChatMessage

from llamaindex_azoai import AzureOpenAI
from shared_core.errors import ConfigurationError
from tests.langchain.test_routing import Fake, config

HELLO = [ChatMessage(role="user", content="hello")]


def test_llm_routes_by_the_config_and_reports_spillover() -> None:
    fake = Fake(503)
    llm = AzureOpenAI(routing=config(), http_client=fake.client(), max_retries=0)
    response = llm.chat(HELLO)
    first, second = fake.seen
    assert first.url.host == "ptu.openai.azure.com" and first.headers["x-ms-spillover-deployment"] == "gpt-5.2-standard"
    assert str(second.url) == "https://west.openai.azure.com/openai/v1/chat/completions"
    assert json.loads(second.content)["temperature"] == 0.3
    assert response.additional_kwargs["azure_target"] == "west"
    assert response.additional_kwargs["spillover_from_deployment"] == "gpt-5.2-ptu"
    assert "key-ptu-secret" not in repr(llm) and "key-ptu-secret" not in llm.model_dump_json()


def test_spillover_setting_and_routing_refusals() -> None:
    fake = Fake()
    llm = AzureOpenAI(engine="gpt-5.2", azure_endpoint="https://ptu.openai.azure.com", api_key="k",
                      spillover_deployment="gpt-5.2-standard", http_client=fake.client())  # fmt: skip
    llm.chat(HELLO)
    assert fake.seen[0].headers["x-ms-spillover-deployment"] == "gpt-5.2-standard"
    with pytest.raises(ConfigurationError, match=r"^azure_endpoint= is given beside routing="):
        AzureOpenAI(routing=config(), azure_endpoint="https://x.openai.azure.com").chat(HELLO)
    bad = config()
    bad["strategy"]["on_status_codes"] = [200]
    with pytest.raises(ConfigurationError, match=r"^strategy\.on_status_codes\[0\]: 200 is not an error status"):
        AzureOpenAI(routing=bad).chat(HELLO)


def test_service_tier_is_sent_and_the_tier_that_served_reported() -> None:
    import httpx

    from tests.unit.transport_fakes import OK

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={**OK, "service_tier": "default"})

    llm = AzureOpenAI(engine="gpt-5.2", azure_endpoint="https://ptu.openai.azure.com", api_key="k",
                      additional_kwargs={"service_tier": "priority"},
                      http_client=httpx.Client(transport=httpx.MockTransport(handler)))  # fmt: skip
    response = llm.chat(HELLO)
    assert json.loads(seen[0].content)["service_tier"] == "priority"
    assert response.raw is not None and response.raw["service_tier"] == "default"


def test_hedge_after_reaches_the_core() -> None:
    llm = AzureOpenAI(routing=config(), hedge_after="p95")
    assert llm._client().options.hedge_after == "p95"
