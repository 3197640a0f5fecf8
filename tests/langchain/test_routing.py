"""``routing=`` (a Portkey-shaped config) and ``spillover_deployment=`` on the LangChain classes.

Spillover: Azure sends a provisioned deployment's overflow to the standard deployment named in
``x-ms-spillover-deployment`` and answers with ``x-ms-spillover-from-deployment``
(https://learn.microsoft.com/en-us/azure/ai-services/openai/how-to/spillover-traffic-management).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.load import dumps

from langchain_azoai import AzureChatOpenAI, AzureOpenAIEmbeddings
from shared_core.errors import ConfigurationError
from tests.unit.transport_fakes import OK

EMBEDDINGS = {"object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": 1, "total_tokens": 1},
              "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}]}  # fmt: skip


def config() -> dict[str, Any]:
    return {
        "strategy": {"mode": "fallback", "on_status_codes": [503]},
        "targets": [
            {"provider": "azure-openai", "azure_endpoint": "https://ptu.openai.azure.com", "deployment": "gpt-5.2",
             "api_key": "key-ptu-secret", "name": "ptu", "spillover_deployment": "gpt-5.2-standard"},
            {"provider": "azure-openai", "resource_name": "west", "deployment_id": "gpt-5.2", "api_version": "v1",
             "api_key": "key-west-secret", "name": "west", "override_params": {"temperature": 0.3}},
        ],
    }  # fmt: skip


class Fake:
    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        if status != 200:
            return httpx.Response(status, json={"error": {"code": "Busy", "message": "busy"}})
        body = EMBEDDINGS if request.url.path.endswith("/embeddings") else OK
        return httpx.Response(200, json=body, headers={"x-ms-spillover-from-deployment": "gpt-5.2-ptu"})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def test_chat_model_routes_by_the_config_and_reports_spillover() -> None:
    fake = Fake(503)
    model = AzureChatOpenAI(routing=config(), http_client=fake.client(), max_retries=0)
    message = model.invoke("hi")
    first, second = fake.seen
    assert (
        str(first.url)
        == "https://ptu.openai.azure.com/openai/deployments/gpt-5.2/chat/completions?api-version=2024-10-21"
    )
    assert (
        first.headers["x-ms-spillover-deployment"] == "gpt-5.2-standard"
        and first.headers["api-key"] == "key-ptu-secret"
    )
    assert str(second.url) == "https://west.openai.azure.com/openai/v1/chat/completions"
    assert json.loads(second.content)["temperature"] == 0.3 and "x-ms-spillover-deployment" not in second.headers
    assert message.response_metadata["azure_target"] == "west"
    assert message.response_metadata["spillover_from_deployment"] == "gpt-5.2-ptu"


def test_spillover_setting_without_routing() -> None:
    fake = Fake()
    emb = AzureOpenAIEmbeddings(
        azure_endpoint="https://ptu.openai.azure.com", azure_deployment="text-embedding-3-small", api_key="k",
        spillover_deployment="emb-standard", http_client=fake.client(),
    )  # fmt: skip
    emb.embed_query("hi")
    assert fake.seen[0].headers["x-ms-spillover-deployment"] == "emb-standard"
    with pytest.raises(ConfigurationError, match=r"^spillover_deployment='a/b' must be the name of a standard"):
        AzureChatOpenAI(azure_endpoint="https://x.openai.azure.com", azure_deployment="gpt-5.2", api_key="k",
                        spillover_deployment="a/b").invoke("hi")  # fmt: skip


def test_routing_secrets_never_show_and_errors_name_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://env.openai.azure.com")  # ignored under routing=
    model = AzureChatOpenAI(routing=config(), http_client=Fake().client())
    for shown in (repr(model), str(model.model_dump()), dumps(model)):
        assert "key-ptu-secret" not in shown and "key-west-secret" not in shown
    assert model.invoke("hi").response_metadata["azure_target"] == "ptu"
    bad = config()
    bad["targets"][1]["weight"] = 2
    with pytest.raises(ConfigurationError, match=r"^targets\[1\]\.weight: only counts under a strategy of mode"):
        AzureChatOpenAI(routing=bad).invoke("hi")
    with pytest.raises(ConfigurationError, match=r"^fallbacks= and routing= both say where calls go"):
        AzureChatOpenAI(routing=config(), fallbacks=["https://x.openai.azure.com"]).invoke("hi")


def test_service_tier_is_sent_and_the_tier_that_served_reported() -> None:
    # Azure's chat response carries the tier that served in the body's service_tier
    fake = Fake()
    served = {**OK, "service_tier": "default"}
    fake_client = httpx.Client(
        transport=httpx.MockTransport(lambda r: fake.seen.append(r) or httpx.Response(200, json=served))
    )
    model = AzureChatOpenAI(azure_endpoint="https://ptu.openai.azure.com", azure_deployment="gpt-5.2", api_key="k",
                            service_tier="priority", http_client=fake_client)  # fmt: skip
    message = model.invoke("hi")
    assert json.loads(fake.seen[0].content)["service_tier"] == "priority"
    assert message.response_metadata["service_tier"] == "default"


def test_hedge_after_reaches_the_core() -> None:
    model = AzureChatOpenAI(routing=config(), hedge_after=0.25)
    assert model._client().options.hedge_after == 0.25
    with pytest.raises(ConfigurationError, match=r"^hedge_after=-1\.0 must be positive seconds"):
        AzureChatOpenAI(routing=config(), hedge_after=-1).invoke("hi")
