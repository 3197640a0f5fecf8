"""The LlamaIndex LLM contract for metadata, serialization and settings, against a scripted Azure (httpx.MockTransport)."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from li_canned import (
    ENDPOINT,
    KEY,
    Azure,
    chat_body,
)

from llamaindex_azoai import AzureOpenAI, ConfigurationError

from .llm_contract_support import user

# -- metadata ---------------------------------------------------------------------------------------------


def test_metadata_overrides_win(make_llm: Any) -> None:
    m = make_llm(model="gpt-4o", context_window=5000, is_chat_model=True, is_function_calling_model=False).metadata
    assert (m.context_window, m.is_chat_model, m.is_function_calling_model) == (5000, True, False)


def test_metadata_from_model_and_from_the_model_azure_reports(make_llm: Any, azure: Azure) -> None:
    assert make_llm(model="gpt-4o").metadata.context_window == 128000
    llm = make_llm(engine="my-deployment")
    before = llm.metadata
    assert before.model_name == "my-deployment"
    azure.add_json(chat_body(model="gpt-4.1-2025-04-14"))
    llm.chat(user("x"))
    after = llm.metadata
    assert after.model_name == "gpt-4.1-2025-04-14"
    assert after.context_window > 128000


def test_metadata_never_raises_for_unknown_names(make_llm: Any) -> None:
    for name in ("gpt-5.1-chat", "gpt-4.1-global", "my-deployment", "", "???"):
        m = make_llm(model=name or None).metadata
        assert m.context_window > 0 and m.is_chat_model


# -- serialization ----------------------------------------------------------------------------------------


def test_to_dict_has_no_secrets_and_from_dict_round_trips(make_llm: Any) -> None:
    llm = make_llm(model="gpt-4o", azure_ad_token_provider=None)
    d = llm.to_dict()
    text = json.dumps(d, default=str)
    assert KEY not in text and "api_key" not in d
    assert d["class_name"] == "azure_openai_llm"
    clone = AzureOpenAI.from_dict({**d}, api_key="other")
    assert (clone.engine, clone.model, clone.api_version) == ("chat", "gpt-4o", "2024-10-21")


def test_to_dict_masks_credential_headers_but_sends_them(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("via the gateway"))
    llm = make_llm(
        default_headers={"Ocp-Apim-Subscription-Key": "apim-secret-9", "X-Team": "rag"},
        default_query={"subscription-key": "q-secret-9", "tier": "gold"},
    )
    text = json.dumps(llm.to_dict(), default=str) + llm.to_json()
    assert "apim-secret-9" not in text and "q-secret-9" not in text
    assert llm.to_dict()["default_headers"] == {"Ocp-Apim-Subscription-Key": "**********", "X-Team": "rag"}
    assert llm.to_dict()["default_query"] == {"subscription-key": "**********", "tier": "gold"}
    llm.chat(user("hi"))  # the live object still sends them
    sent = azure.requests[-1]
    assert sent.headers["ocp-apim-subscription-key"] == "apim-secret-9"
    assert sent.url.params["subscription-key"] == "q-secret-9"


def test_to_json_works_with_a_token_provider_and_leaks_nothing(make_llm: Any) -> None:
    llm = make_llm(api_key=None, azure_ad_token_provider=lambda: "tok-secret-1")
    text = llm.to_json()
    assert "tok-secret-1" not in text and "azure_ad_token_provider" not in json.loads(text)


def test_pickle_round_trip_keeps_settings_and_works(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("after pickle"))
    llm = make_llm(model="gpt-4o")
    llm.chat(user("warm up"))  # a live core client exists now
    clone = pickle.loads(pickle.dumps(llm))
    assert clone.model == "gpt-4o" and clone.api_key.get_secret_value() == KEY
    assert "test-key" not in repr(clone)


def test_httpx_timeout_and_deadline_round_trip_and_reach_the_request(make_llm: Any, azure: Azure) -> None:
    import httpx

    azure.add_json(chat_body())
    llm = make_llm(timeout=httpx.Timeout(20.0, connect=2.0), deadline=90.0)
    data = json.loads(llm.to_json())
    assert data["timeout"] == {"connect": 2.0, "read": 20.0, "write": 20.0, "pool": 20.0}
    clone = AzureOpenAI.from_dict(data, http_client=httpx.Client(transport=httpx.MockTransport(azure)), api_key=KEY)
    assert clone.timeout == httpx.Timeout(20.0, connect=2.0) and clone.deadline == 90.0
    clone.chat(user("x"))
    sent = azure.requests[-1].extensions["timeout"]
    assert sent["connect"] == pytest.approx(2.0) and sent["read"] <= 20.0


def test_resource_name_and_auth_mode_are_passed_to_the_core(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    make_llm(azure_endpoint=None, resource_name="contoso-east").chat(user("x"))
    assert str(azure.requests[0].url).startswith("https://contoso-east.openai.azure.com/openai/deployments/chat/")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY") as err:
        make_llm(api_key=None, azure_auth_mode="api_key").chat(user("x"))
    assert err.value.setting == "api_key"
    assert len(azure.requests) == 1


def test_missing_deployment_fails_at_construction_with_the_fix() -> None:
    with pytest.raises(
        ConfigurationError, match="pass engine='<deployment name>'.*or set AZURE_OPENAI_DEPLOYMENT"
    ) as err:
        AzureOpenAI(azure_endpoint=ENDPOINT, api_key=KEY)
    assert err.value.setting == "engine"
    assert isinstance(err.value, ValueError)  # what the anchor raised, so old handlers still catch it


def test_audio_output_becomes_an_audio_block_and_is_referenced_in_history(make_llm: Any, azure: Azure) -> None:
    import base64

    body = chat_body(None)
    wav = base64.b64encode(b"RIFF....WAVEfmt ").decode()
    body["choices"][0]["message"]["audio"] = {"id": "audio_1", "data": wav, "transcript": "hi there", "expires_at": 1}
    azure.add_json(body)
    llm = make_llm(modalities=["text", "audio"], audio_config={"voice": "alloy", "format": "wav"})
    r = llm.chat(user("say hi"))
    sent = azure.body()
    assert (sent["modalities"], sent["audio"]) == (["text", "audio"], {"voice": "alloy", "format": "wav"})
    audio = [b for b in r.message.blocks if b.block_type == "audio"][0]
    assert audio.format == "wav"
    assert r.message.additional_kwargs["reference_audio_id"] == "audio_1"
    assert r.message.additional_kwargs["audio_transcript"] == "hi there"
    llm.chat([*user("say hi"), r.message, *user("again")])
    assert azure.body()["messages"][1] == {"role": "assistant", "audio": {"id": "audio_1"}}


def test_everything_from_the_environment(azure: Azure, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", ENDPOINT)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT", "env-dep")
    azure.add_json(chat_body())
    llm = AzureOpenAI(http_client=httpx.Client(transport=httpx.MockTransport(azure)))
    llm.chat(user("x"))
    req = azure.requests[0]
    assert str(req.url) == f"{ENDPOINT}/openai/deployments/env-dep/chat/completions?api-version=2025-04-01-preview"
    assert req.headers["api-key"] == KEY
    assert llm.engine == "env-dep"
