"""Static tokens, token providers (sync and async) and pickling, copying and claims of credentials."""

from __future__ import annotations

import asyncio
import base64
import copy
import pickle
import threading
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from shared_core.connection.auth import (
    BearerTokenCredential,
    decode_jwt_claims,
    resolve_credential,
)
from shared_core.errors import ConfigurationError

from .auth_fakes import SCOPE, T0, WAIT, Clock, CountingCredential, bearer, jwt, token_cred

# ---------------------------------------------------------------------------------------------
# static tokens and providers


def test_static_token() -> None:
    token = jwt(
        aud="https://cognitiveservices.azure.com",
        tid="tenant",
        appid="app",
        oid="oid",
        exp=int(T0),
        name="Someone",
        upn="someone@example.com",
    )
    cred = resolve_credential(azure_ad_token="Bearer " + token, scope=SCOPE, env={})
    assert cred.kind == "token"
    assert cred.headers() == {"Authorization": "Bearer " + token}
    assert cred.describe() == "a static Entra ID token (azure_ad_token)"
    assert cred.last_token_claims() == {
        "aud": "https://cognitiveservices.azure.com",
        "tid": "tenant",
        "appid": "app",
        "oid": "oid",
        "exp": int(T0),
    }
    assert token not in repr(cred)
    assert pickle.loads(pickle.dumps(cred)).headers() == cred.headers()


def test_provider_string_cached_by_jwt_exp() -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return jwt(exp=int(T0 + 3600), n=len(calls))

    cred = resolve_credential(azure_ad_token_provider=provider, scope=SCOPE, env={})
    assert isinstance(cred, BearerTokenCredential)
    cred.clock = Clock()
    first = cred.headers()
    assert all(cred.headers() == first for _ in range(10))
    assert len(calls) == 1
    assert cred.describe() == (
        "an Entra ID token from the token provider test_provider_string_cached_by_jwt_exp.<locals>.provider"
    )


def test_provider_opaque_string_is_fetched_every_time() -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return f"opaque-{len(calls)}"

    cred = resolve_credential(azure_ad_token_provider=provider, scope=SCOPE, env={})
    assert [bearer(cred) for _ in range(3)] == ["opaque-1", "opaque-2", "opaque-3"]
    assert cred.last_token_claims() is None


@pytest.mark.parametrize(
    ("returned", "fragment"),
    [
        ("", "azure_ad_token_provider returned a token that is empty"),
        (None, "azure_ad_token_provider returned NoneType; it must return the token as a string"),
    ],
)
def test_provider_bad_result(returned: Any, fragment: str) -> None:
    cred = resolve_credential(azure_ad_token_provider=lambda: returned, scope=SCOPE, env={})
    with pytest.raises(ConfigurationError) as info:
        cred.headers()
    assert fragment in str(info.value)
    assert info.value.setting == "azure_ad_token_provider"


def test_async_provider_used_from_sync_code() -> None:
    calls: list[int] = []

    async def provider() -> AccessToken:
        calls.append(1)
        return AccessToken(f"a-{len(calls)}", int(T0 + 3600))

    cred = resolve_credential(azure_ad_async_token_provider=provider, scope=SCOPE, env={})
    assert isinstance(cred, BearerTokenCredential)
    cred.clock = Clock()
    assert bearer(cred) == "a-1" and bearer(cred) == "a-1"
    assert len(calls) == 1


async def test_async_provider_from_sync_code_inside_a_running_loop() -> None:
    # e.g. a sync invoke() called from an async handler: the provider runs on azoai's own loop
    async def provider() -> str:
        return "from-async"

    cred = resolve_credential(azure_ad_token_provider=provider, scope=SCOPE, env={})  # async passed as sync
    assert bearer(cred) == "from-async"
    assert await cred.aheaders() == {"Authorization": "Bearer from-async"}


class AsyncCallableProvider:
    async def __call__(self) -> str:
        return "from-object"


async def test_async_callable_object_is_an_async_provider() -> None:
    cred = resolve_credential(azure_ad_token_provider=AsyncCallableProvider(), scope=SCOPE, env={})
    assert await cred.aheaders() == {"Authorization": "Bearer from-object"}
    assert bearer(cred) == "from-object"
    assert cred.describe() == "an Entra ID token from the token provider AsyncCallableProvider"


async def test_sync_provider_runs_off_the_loop() -> None:
    release, entered = threading.Event(), threading.Event()
    seen: list[int] = []

    def provider() -> str:
        seen.append(threading.get_ident())
        entered.set()
        if not release.wait(WAIT):
            raise RuntimeError("the event loop was blocked")
        return "sync-token"

    cred = resolve_credential(azure_ad_token_provider=provider, scope=SCOPE, env={})
    task = asyncio.ensure_future(cred.aheaders())
    assert await asyncio.get_running_loop().run_in_executor(None, entered.wait, WAIT)
    release.set()  # the loop ran this while the provider waited: it was not blocked
    assert await asyncio.wait_for(task, WAIT) == {"Authorization": "Bearer sync-token"}
    assert seen and seen[0] != threading.get_ident()


async def test_both_providers_each_used_on_its_side() -> None:
    async def aprov() -> str:
        return "async-side"

    cred = resolve_credential(
        azure_ad_token_provider=lambda: "sync-side", azure_ad_async_token_provider=aprov, scope=SCOPE, env={}
    )
    assert bearer(cred) == "sync-side"
    assert await cred.aheaders() == {"Authorization": "Bearer async-side"}


# ---------------------------------------------------------------------------------------------
# pickling, copying, claims


def module_provider() -> str:
    return "picklable"


def test_pickle_provider_rules() -> None:
    ok = resolve_credential(azure_ad_token_provider=module_provider, scope=SCOPE, env={})
    assert bearer(ok) == "picklable"
    assert bearer(pickle.loads(pickle.dumps(ok))) == "picklable"
    bad = resolve_credential(azure_ad_token_provider=lambda: "x", scope=SCOPE, env={})
    with pytest.raises(pickle.PicklingError) as info:
        pickle.dumps(bad)
    assert "its token provider (function) cannot be pickled" in str(info.value)
    assert "Use a module-level function as the provider, or azure_auth_mode=" in str(info.value)


def test_pickle_user_credential_object_is_refused_with_the_alternative() -> None:
    cred = token_cred(CountingCredential(), Clock())  # holds a threading.Lock
    with pytest.raises(pickle.PicklingError) as info:
        pickle.dumps(cred)
    assert "credential object (CountingCredential) cannot be pickled" in str(info.value)
    assert 'pass azure_auth_mode= (e.g. "managed", "workload", "default") instead' in str(info.value)


def test_pickle_named_mode_drops_the_live_object() -> None:
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}
    cred = resolve_credential(azure_auth_mode="entra", scope=SCOPE, env=env)
    clone = pickle.loads(pickle.dumps(cred))
    assert clone.describe() == cred.describe()
    assert b"ClientSecretCredential" not in pickle.dumps(cred)  # the live object did not travel
    assert copy.deepcopy(cred) is cred and copy.copy(cred) is cred


def test_decode_jwt_claims() -> None:
    assert decode_jwt_claims(jwt(aud="a")) == {"aud": "a"}
    assert decode_jwt_claims("not-a-jwt") is None
    assert decode_jwt_claims("a.!!!.c") is None
    assert decode_jwt_claims("a." + base64.urlsafe_b64encode(b"[1]").decode() + ".c") is None
