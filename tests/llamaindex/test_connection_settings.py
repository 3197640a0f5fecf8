"""LlamaIndex connection settings as a llama-index user meets them: an API key and an Entra ID token
together (the token goes on the wire), messages in LlamaIndex's spelling (engine=, api_base=), pasted
request URLs as in LangChain, malformed endpoints."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from li_canned import ENDPOINT, KEY, Azure, chat_body, embeddings_body
from llama_index.core.base.llms.types import ChatMessage

from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding
from shared_core.errors import ConfigurationError

TOKEN = "eyJ0eXAiOiJKV1QifQ.e30.li-token"


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# ---------------------------------------------------------------------- key and token together


def test_key_and_provider_send_the_provider_token(make_llm: Any, azure: Azure) -> None:
    # llama-index's AzureOpenAI hands both api_key and azure_ad_token_provider to openai's
    # AzureOpenAI, which sends "Authorization: Bearer <provider()>" and no api-key header
    azure.add_json(chat_body())
    llm = make_llm(
        azure_endpoint="https://li-both-provider.openai.azure.com", azure_ad_token_provider=lambda: "provided-token"
    )
    with pytest.warns(
        UserWarning,
        match=r"^both an API key \(api_key=\) and an Entra ID token "
        r"\(azure_ad_token_provider=\) are configured",
    ):
        llm.chat(user("hi"))
    assert azure.requests[-1].headers["authorization"] == "Bearer provided-token"
    assert "api-key" not in azure.requests[-1].headers


def test_key_argument_and_env_token_send_the_token(
    make_embed: Any, azure: Azure, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openai's AzureOpenAI reads AZURE_OPENAI_AD_TOKEN when no azure_ad_token is given, and a token wins
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", TOKEN)
    azure.add_json(embeddings_body(1))
    embed = make_embed(azure_endpoint="https://li-both-env.openai.azure.com")
    with pytest.warns(UserWarning, match=r"\(api_key=\) and an Entra ID token \(AZURE_OPENAI_AD_TOKEN\)"):
        embed.get_text_embedding("hi")
    assert azure.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert "api-key" not in azure.requests[-1].headers


async def test_key_and_static_token_async(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    llm = make_llm(azure_endpoint="https://li-both-async.openai.azure.com", azure_ad_token=TOKEN)
    with pytest.warns(UserWarning, match="the token is sent"):
        await llm.achat(user("hi"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per configuration
        again = make_llm(azure_endpoint="https://li-both-async.openai.azure.com", azure_ad_token=TOKEN)
        await again.achat(user("hi"))
    assert [r.headers["authorization"] for r in azure.requests] == [f"Bearer {TOKEN}"] * 2
    assert all("api-key" not in r.headers for r in azure.requests)


# ---------------------------------------------------------------------- messages in LlamaIndex's spelling


def test_missing_deployment_says_engine() -> None:
    with pytest.raises(ConfigurationError) as info:
        AzureOpenAI(azure_endpoint=ENDPOINT, api_key=KEY)
    assert info.value.setting == "engine"
    assert str(info.value) == (
        "no deployment: pass engine='<deployment name>' or set AZURE_OPENAI_DEPLOYMENT. It is the name you "
        "gave the deployment in Azure AI Foundry (under Deployments), which is not always the model name"
    )


def test_missing_endpoint_says_azure_endpoint_and_api_base(make_llm: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_llm(azure_endpoint=None).chat(user("hi"))
    assert info.value.setting == "azure_endpoint"
    assert str(info.value) == (
        "no Azure OpenAI endpoint: pass azure_endpoint='https://<resource>.openai.azure.com/' (or "
        "resource_name= or api_base= for a gateway) or set AZURE_OPENAI_ENDPOINT"
    )


def test_bad_api_version_says_api_version(make_llm: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_llm(api_version="2024/10/21").chat(user("hi"))
    assert info.value.setting == "api_version"
    assert str(info.value).startswith("api_version='2024/10/21' is not an Azure OpenAI api-version")


def test_missing_credentials_say_api_key(make_llm: Any, azure: Azure) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_llm(api_key=None).chat(user("hi"))
    assert info.value.setting == "api_key"
    assert str(info.value) == (
        "no credential for Azure OpenAI: set AZURE_OPENAI_API_KEY (or pass api_key=), or pass "
        "azure_ad_token_provider= or credential= (Entra ID, e.g. an azure-identity credential), or choose "
        "azure_auth_mode= one of: key, token, entra, service_principal, managed, workload, default, cli, none"
    )
    assert azure.requests == []


def test_conflicting_pasted_url_says_engine(make_llm: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_llm(engine="other", azure_endpoint=f"{ENDPOINT}/openai/deployments/d1/chat/completions").chat(user("x"))
    assert info.value.setting == "engine"
    assert "but engine='other' was given" in str(info.value)
    assert "the deployment name in engine" in str(info.value)


def test_embeddings_missing_deployment_in_a_v1_route_says_azure_deployment(azure: Azure) -> None:
    http, ahttp = azure.clients()
    embed = AzureOpenAIEmbedding(
        model="", azure_endpoint=f"{ENDPOINT}/openai/v1", api_key=KEY, http_client=http, async_http_client=ahttp
    )
    with pytest.raises(ConfigurationError) as info:
        embed.get_text_embedding("hi")
    assert info.value.setting == "azure_deployment"
    assert "pass azure_deployment='<name>'" in str(info.value)


# ---------------------------------------------------------------------- pasted URLs, malformed endpoints


def test_pasted_request_url_works_as_in_langchain(azure: Azure) -> None:
    azure.add_json(chat_body())
    http, ahttp = azure.clients()
    llm = AzureOpenAI(
        azure_endpoint=f"{ENDPOINT}/openai/deployments/d1/chat/completions?api-version=2024-10-21",
        api_key=KEY,
        max_retries=0,
        http_client=http,
        async_http_client=ahttp,
    )
    assert llm.engine == "d1"
    llm.chat(user("hi"))
    assert str(azure.requests[-1].url) == f"{ENDPOINT}/openai/deployments/d1/chat/completions?api-version=2024-10-21"


def test_pasted_request_url_from_the_environment(azure: Azure, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", f"{ENDPOINT}/openai/deployments/d9/chat/completions")
    azure.add_json(chat_body())
    http, ahttp = azure.clients()
    AzureOpenAI(api_key=KEY, max_retries=0, http_client=http, async_http_client=ahttp).chat(user("hi"))
    assert azure.requests[-1].url.path == "/openai/deployments/d9/chat/completions"


def test_pasted_embeddings_url_beats_the_default_model(azure: Azure) -> None:
    azure.add_json(embeddings_body(1))
    http, ahttp = azure.clients()
    AzureOpenAIEmbedding(
        azure_endpoint=f"{ENDPOINT}/openai/deployments/e1/embeddings?api-version=2024-10-21",
        api_key=KEY,
        http_client=http,
        async_http_client=ahttp,
    ).get_text_embedding("hi")
    assert azure.requests[-1].url.path == "/openai/deployments/e1/embeddings"


def test_endpoint_with_two_ports_is_a_configuration_error(make_llm: Any, azure: Azure) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_llm(azure_endpoint="https://x.openai.azure.com:443:444").chat(user("hi"))
    assert info.value.setting == "azure_endpoint"
    assert "is not a valid endpoint URL: its port '443:444' is not one number" in str(info.value)
    assert azure.requests == []


def test_deployment_not_found_diagnosis_says_engine(make_llm: Any, azure: Azure) -> None:
    from shared_core.errors import DeploymentNotFoundError

    azure.add_json(
        {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}},
        status=404,
    )
    with pytest.raises(DeploymentNotFoundError) as info:
        make_llm(engine="nope").chat(user("x"))
    assert "set engine= / AZURE_OPENAI_DEPLOYMENT to a name listed under Deployments" in str(info.value)


def test_declared_rate_limits_reach_the_target() -> None:
    llm = AzureOpenAI(engine="gpt-5.2", model="gpt-5.2", azure_endpoint=ENDPOINT, api_key=KEY, rpm=600, tpm=100_000)
    emb = AzureOpenAIEmbedding(
        azure_deployment="text-embedding-3-small", azure_endpoint=ENDPOINT, api_key=KEY, tpm=350_000
    )
    assert (llm._client().targets[0].rpm, llm._client().targets[0].tpm) == (600, 100_000)
    assert (emb._client().targets[0].rpm, emb._client().targets[0].tpm) == (None, 350_000)
    with pytest.raises(ConfigurationError, match=r"tpm=-1 must be a positive whole number of tokens per minute"):
        AzureOpenAI(engine="gpt-5.2", model="gpt-5.2", azure_endpoint=ENDPOINT, api_key=KEY, tpm=-1).chat(user("x"))
