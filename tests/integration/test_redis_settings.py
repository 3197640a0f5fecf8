"""The ``shared_state=`` / ``AZOAI_REDIS_URL`` setting: a URL redis-py cannot parse is our
ConfigurationError naming the setting, the URL with its password masked and the accepted forms,
before any request (no redis-server needed)."""

from __future__ import annotations

import pytest

from shared_core.errors import ConfigurationError
from shared_core.policy.redis_store import safe_redis_url, shared_state_url

FORMS = "use 'redis://[:password@]host:port/db' (or rediss://, unix:///path/to/socket)"


@pytest.mark.parametrize(
    ("url", "shown", "reason"),
    [
        ("redis://:s3cret-pw@cache.internal:abc/0", "redis://***@cache.internal:abc/0", "Port could not be cast"),
        ("redis://:s3cret-pw@cache.internal:99999/0", "redis://***@cache.internal:99999/0", "Port out of range"),
        ("rediss://:s3cret-pw@[::1/0", "rediss://***@[::1/0", "Invalid IPv6 URL"),
        ("redis://h:6379/0?socket_timeout=soon", "redis://h:6379/0?socket_timeout=soon", "socket_timeout"),
    ],
)
def test_an_unparseable_url_is_a_configuration_error(url: str, shown: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        shared_state_url(url, env={})
    message = str(info.value)
    assert message.startswith(f"shared_state={shown!r} is not a Redis URL the client can use ("), message
    assert reason in message and FORMS in message
    assert "s3cret-pw" not in message and info.value.setting == "shared_state"


def test_the_environment_variable_is_named_when_it_is_the_bad_one() -> None:
    with pytest.raises(ConfigurationError) as info:
        shared_state_url(None, env={"AZOAI_REDIS_URL": "redis://user:s3cret-pw@cache:port/0"})
    assert str(info.value).startswith("AZOAI_REDIS_URL='redis://***@cache:port/0' is not a Redis URL the client")
    assert info.value.setting == "AZOAI_REDIS_URL" and "s3cret-pw" not in str(info.value)


def test_the_core_client_raises_it_before_any_request() -> None:
    from shared_core.client import CoreClient
    from shared_core.connection.config import ClientOptions, resolve_target

    target = resolve_target(azure_endpoint="http://127.0.0.1:9", deployment="gpt-5.2", api_key="k")
    with pytest.raises(ConfigurationError, match=r"^shared_state='redis://\*\*\*@h:x/0' is not a Redis URL"):
        CoreClient(target, options=ClientOptions(shared_state="redis://:pw@h:x/0"))


def test_masking_survives_a_url_urllib_cannot_split() -> None:
    assert safe_redis_url("redis://u:p@[::1") == "redis://***@[::1"
    assert safe_redis_url("redis://h:6379/0") == "redis://h:6379/0"
