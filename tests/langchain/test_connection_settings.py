"""LangChain connection settings as a langchain-openai user meets them: an API key and an Entra ID
token together (the token goes on the wire), messages in LangChain's spelling, pasted request URLs,
malformed endpoints."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from langchain_azoai import AzureChatOpenAI, AzureOpenAI, AzureOpenAIEmbeddings
from shared_core.errors import ConfigurationError

from ._wire import FakeAzure, chat_body

TOKEN = "eyJ0eXAiOiJKV1QifQ.e30.sig-token"
KEY = "lc-key-0123"
_ENV = (
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
    "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_DEPLOYMENT",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _no_azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


def embeddings_body(request: Any) -> Any:
    return FakeAzure.json(
        {
            "object": "list",
            "model": "text-embedding-3-small",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
    )


def completions_body(request: Any) -> Any:
    return FakeAzure.json(
        {
            "id": "c",
            "object": "text_completion",
            "created": 1,
            "model": "gpt-35-turbo-instruct",
            "choices": [{"index": 0, "text": "ok", "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def settings(fake: FakeAzure, endpoint: str, **kw: Any) -> dict[str, Any]:
    return {
        "azure_endpoint": endpoint,
        "api_version": "2024-10-21",
        "max_retries": 0,
        "http_client": fake.client(),
        "http_async_client": fake.aclient(),
        **kw,
    }


# ---------------------------------------------------------------------- key and token together


@pytest.mark.parametrize("cls", ["chat", "embeddings", "llm"])
def test_key_and_token_arguments_send_the_token_as_bearer(cls: str) -> None:
    # langchain-openai: validate_environment sets api_key=None when azure_ad_token is set, and the
    # openai SDK sends "Authorization: Bearer <token>" (AzureOpenAI._prepare_options)
    endpoint = f"https://lc-both-{cls}.openai.azure.com"
    with pytest.warns(
        UserWarning,
        match=r"^both an API key \(api_key=\) and an Entra ID token "
        r"\(azure_ad_token=\) are configured",
    ) as caught:
        if cls == "chat":
            fake = FakeAzure()
            AzureChatOpenAI(
                **settings(fake, endpoint, azure_deployment="gpt-5.2", api_key=KEY, azure_ad_token=TOKEN)
            ).invoke("hi")
        elif cls == "embeddings":
            fake = FakeAzure(embeddings_body)
            AzureOpenAIEmbeddings(
                **settings(fake, endpoint, azure_deployment="emb", api_key=KEY, azure_ad_token=TOKEN)
            ).embed_query("hi")
        else:
            fake = FakeAzure(completions_body)
            AzureOpenAI(
                **settings(fake, endpoint, azure_deployment="instruct", api_key=KEY, azure_ad_token=TOKEN)
            ).invoke("hi")
    assert len(caught) == 1 and KEY not in str(caught[0].message) and TOKEN not in str(caught[0].message)
    request = fake.last
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "api-key" not in request.headers


def test_key_and_token_from_the_environment_send_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", TOKEN)
    fake = FakeAzure()
    model = AzureChatOpenAI(**settings(fake, "https://lc-both-env.openai.azure.com", azure_deployment="gpt-5.2"))
    with pytest.warns(UserWarning, match="the token is sent"):
        model.invoke("hi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per configuration
        AzureChatOpenAI(**settings(fake, "https://lc-both-env.openai.azure.com", azure_deployment="gpt-5.2")).invoke(
            "x"
        )
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {TOKEN}"] * 2
    assert all("api-key" not in r.headers for r in fake.requests)


async def test_key_and_token_provider_async_sends_the_provider_token() -> None:
    fake = FakeAzure()
    model = AzureChatOpenAI(
        **settings(
            fake,
            "https://lc-both-provider.openai.azure.com",
            azure_deployment="gpt-5.2",
            api_key=KEY,
            azure_ad_token_provider=lambda: "provided-token",
        )
    )
    with pytest.warns(UserWarning, match=r"\(azure_ad_token_provider=\)"):
        await model.ainvoke("hi")
    assert fake.last.headers["authorization"] == "Bearer provided-token"
    assert "api-key" not in fake.last.headers


# ---------------------------------------------------------------------- messages in LangChain's spelling


def config_error(**kw: Any) -> ConfigurationError:
    fake = FakeAzure()
    with pytest.raises(ConfigurationError) as info:
        AzureChatOpenAI(max_retries=0, http_client=fake.client(), **kw).invoke("hi")
    assert fake.requests == []
    return info.value


def test_missing_deployment_says_azure_deployment() -> None:
    e = config_error(azure_endpoint="https://r.openai.azure.com", api_key=KEY)
    assert e.setting == "azure_deployment"
    assert str(e) == (
        "no deployment: pass azure_deployment='<deployment name>' or set AZURE_OPENAI_DEPLOYMENT. It is the "
        "name you gave the deployment in Azure AI Foundry (under Deployments), which is not always the model "
        "name"
    )


def test_missing_endpoint_says_azure_endpoint() -> None:
    e = config_error(azure_deployment="d", api_key=KEY)
    assert e.setting == "azure_endpoint"
    assert str(e) == (
        "no Azure OpenAI endpoint: pass azure_endpoint='https://<resource>.openai.azure.com/' (or "
        "resource_name= or base_url= for a gateway) or set AZURE_OPENAI_ENDPOINT"
    )


def test_bad_api_version_says_api_version() -> None:
    e = config_error(
        azure_endpoint="https://r.openai.azure.com", azure_deployment="d", api_key=KEY, api_version="2024-13-01"
    )
    assert e.setting == "api_version"
    assert str(e).startswith("api_version='2024-13-01' is not an Azure OpenAI api-version: use a dated version")


def test_missing_credentials_name_langchain_keywords() -> None:
    e = config_error(azure_endpoint="https://r.openai.azure.com", azure_deployment="d")
    assert e.setting == "api_key"
    assert str(e) == (
        "no credential for Azure OpenAI: set AZURE_OPENAI_API_KEY (or pass api_key=), or pass "
        "azure_ad_token_provider= or credential= (Entra ID, e.g. an azure-identity credential), or choose "
        "azure_auth_mode= one of: key, token, entra, service_principal, managed, workload, default, cli, none"
    )


def test_conflicting_pasted_url_names_azure_deployment_never_deployment() -> None:
    e = config_error(
        azure_endpoint="https://r.openai.azure.com/openai/deployments/d1/chat/completions",
        azure_deployment="d2",
        api_key=KEY,
    )
    assert e.setting == "azure_deployment"
    assert "deployment=" not in str(e).replace("azure_deployment=", "")
    assert "but azure_deployment='d2' was given" in str(e)


# ---------------------------------------------------------------------- pasted URLs, malformed endpoints


def test_pasted_request_url_with_a_model_uses_the_urls_deployment() -> None:
    fake = FakeAzure()
    AzureChatOpenAI(
        azure_endpoint="https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21",
        model="gpt-5.2",
        api_key=KEY,
        max_retries=0,
        http_client=fake.client(),
    ).invoke("hi")
    assert str(fake.last.url) == (
        "https://res.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21"
    )


def test_pasted_embeddings_url_beats_the_model_default() -> None:
    fake = FakeAzure(embeddings_body)
    AzureOpenAIEmbeddings(
        azure_endpoint="https://res.openai.azure.com/openai/deployments/e1/embeddings?api-version=2024-10-21",
        api_key=KEY,
        max_retries=0,
        http_client=fake.client(),
    ).embed_query("hi")
    assert fake.last.url.path == "/openai/deployments/e1/embeddings"


def test_endpoint_with_two_ports_is_a_configuration_error() -> None:
    e = config_error(azure_endpoint="https://x.openai.azure.com:443:444", azure_deployment="d", api_key=KEY)
    assert e.setting == "azure_endpoint"
    assert str(e).startswith(
        "azure_endpoint='https://x.openai.azure.com:443:444' is not a valid endpoint URL: "
        "its port '443:444' is not one number"
    )


def test_answers_still_parse_with_a_token() -> None:
    fake = FakeAzure(lambda r: FakeAzure.json(chat_body("fine")))
    msg = AzureChatOpenAI(
        **settings(fake, "https://lc-token-only.openai.azure.com", azure_deployment="gpt-5.2", azure_ad_token=TOKEN)
    ).invoke("hi")
    assert msg.content == "fine" and fake.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_deployment_not_found_diagnosis_says_azure_deployment() -> None:
    # Azure's 404 for an unknown deployment (recorded shape: error.code "DeploymentNotFound")
    body = {
        "error": {
            "code": "DeploymentNotFound",
            "message": "The API deployment for this resource does not "
            "exist. If you created the deployment within the last 5 minutes, please wait a moment and "
            "try again.",
        }
    }
    fake = FakeAzure(lambda r: FakeAzure.json(body, status=404))
    from shared_core.errors import DeploymentNotFoundError

    with pytest.raises(DeploymentNotFoundError) as info:
        AzureChatOpenAI(**settings(fake, "https://r.openai.azure.com", azure_deployment="nope", api_key=KEY)).invoke(
            "x"
        )
    assert "set azure_deployment= / AZURE_OPENAI_DEPLOYMENT to a name listed under Deployments" in str(info.value)
