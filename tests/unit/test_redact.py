"""The one name rule for credential-like headers and query parameters, and where it masks."""

from __future__ import annotations

import httpx
import pytest

from shared_core.connection.redact import (
    MASK,
    is_secret_name,
    masked_setting,
    public_url,
    redact_text,
    refuse_masked,
    scrub_exception,
)
from shared_core.errors import APIConnectionError, ConfigurationError


@pytest.mark.parametrize(
    "name",
    [
        "Ocp-Apim-Subscription-Key",
        "subscription-key",
        "api-key",
        "Authorization",
        "Proxy-Authorization",
        "x-gateway-token",
        "X-Client-Secret",
        "sig",
        "SIG",
        "code",
        "signature",
        "Cookie",
        "password",
    ],
)
def test_credential_like_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["X-Team", "tier", "api-version", "sv", "se", "sp", "x-ms-region", "codec"])
def test_other_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_text_masks_query_values_by_name_only() -> None:
    url = "https://gw.example/openai/deployments/d/chat/completions?api-version=2024-10-21&sig=a%2Fb&tier=gold#frag"
    assert redact_text(url) == (
        "https://gw.example/openai/deployments/d/chat/completions?api-version=2024-10-21&sig=**********&tier=gold#frag"
    )
    # a percent-encoded name is judged decoded; text around a quoted URL is left alone
    assert redact_text("for url 'https://h/p?subscription%2Dkey=s3cr3t'") == (
        "for url 'https://h/p?subscription%2Dkey=**********'"
    )
    assert public_url(httpx.URL("https://h/p?code=x&v=1")) == "https://h/p?code=**********&v=1"
    assert redact_text("no query here") == "no query here"


def test_masked_setting_reaches_fallbacks_and_leaves_other_settings() -> None:
    fallbacks = [{"azure_endpoint": "https://w", "default_query": {"sig": "s", "tier": "g"}}, "https://e"]
    assert masked_setting("fallbacks", fallbacks) == [
        {"azure_endpoint": "https://w", "default_query": {"sig": MASK, "tier": "g"}},
        "https://e",
    ]
    assert masked_setting("azure_endpoint", "https://r?sig=s") == "https://r?sig=s"  # not a params setting


def test_refuse_masked_names_the_setting_and_the_fix() -> None:
    refuse_masked({"X-Team": "rag"}, "default_headers")
    with pytest.raises(ConfigurationError) as err:
        refuse_masked({"sig": MASK}, "default_query")
    assert err.value.setting == "default_query"
    assert str(err.value).startswith("default_query['sig'] is '**********', the mask written in place of a secret")


def test_scrub_exception_walks_the_chain_once_and_keeps_types() -> None:
    request = httpx.Request("POST", "https://h/p?api-version=1&sig=s3cr3t")
    inner = httpx.ConnectError("refused https://h/p?sig=s3cr3t", request=request)
    outer = APIConnectionError("Could not connect to https://h/p?sig=s3cr3t")
    outer.__cause__ = inner
    inner.__context__ = outer  # a cycle must not loop
    scrub_exception(outer)
    assert str(outer) == "Could not connect to https://h/p?sig=**********" and outer.message == str(outer)
    assert str(inner) == "refused https://h/p?sig=**********"
    assert str(inner.request.url) == "https://h/p?api-version=1&sig=**********"
    assert isinstance(inner.request.url, httpx.URL)
