"""Credentials and the token cache, without a socket (azure-identity over HTTP: integration/test_identity.py)."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import copy
import json
import logging
import pickle
import subprocess
import sys
import threading
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo, AzureKeyCredential
from pydantic import SecretStr

from shared_core.connection.auth import (
    AUTH_MODES,
    ApiKeyCredential,
    BearerTokenCredential,
    Credential,
    NoCredential,
    TokenAcquisitionError,
    decode_jwt_claims,
    resolve_credential,
)
from shared_core.errors import ConfigurationError

SCOPE = "https://cognitiveservices.azure.com/.default"
T0 = 1_800_000_000.0
WAIT = 10.0


def jwt(**claims: Any) -> str:
    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingCredential:
    """A user-written sync TokenCredential: numbered tokens, optional gate, records what it was asked."""

    def __init__(
        self,
        lifetime: float = 3600,
        clock: Clock | None = None,
        gate: threading.Event | None = None,
        refresh_in: float | None = None,
    ) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.lifetime = lifetime
        self.clock = clock or Clock()
        self.gate = gate
        self.entered = threading.Event()
        self.refresh_in = refresh_in
        self.gate_call = 1  # which call waits for the gate
        self.fail: Exception | None = None

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        with self.lock:
            self.calls.append((scopes[0], options))
            n = len(self.calls)
        self.entered.set()
        if self.gate is not None and n == self.gate_call:
            assert self.gate.wait(WAIT)
        if self.fail is not None:
            raise self.fail
        now = self.clock()
        refresh_on = int(now + self.refresh_in) if self.refresh_in else None
        return AccessTokenInfo(
            jwt(n=n, aud="https://cognitiveservices.azure.com"), int(now + self.lifetime), refresh_on=refresh_on
        )


class AsyncCountingCredential:
    """A user-written AsyncTokenCredential (get_token only)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[dict[str, Any]] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append(kwargs)
        n = len(self.calls)
        self.entered.set()
        if self.gate is not None and n == 1:
            await self.gate.wait()
        return AccessToken(f"async-{n}", int(self.clock() + 3600))


def bearer(cred: Credential) -> str:
    return cred.headers()["Authorization"].removeprefix("Bearer ")


def token_cred(source_obj: Any, clock: Clock) -> BearerTokenCredential:
    cred = resolve_credential(credential=source_obj, scope=SCOPE, env={})
    assert isinstance(cred, BearerTokenCredential)
    cred.clock = clock
    return cred


# ---------------------------------------------------------------------------------------------
# API keys


def test_api_key_header_and_bearer_style() -> None:
    cred = resolve_credential(api_key=" k3y \n", scope=SCOPE, env={})
    assert cred.kind == "api_key"
    assert cred.headers() == {"api-key": "k3y"}
    assert isinstance(cred, ApiKeyCredential)
    assert cred.with_style("bearer").headers() == {"Authorization": "Bearer k3y"}
    assert resolve_credential(api_key=SecretStr("k3y"), key_style="bearer", scope=SCOPE, env={}).headers() == {
        "Authorization": "Bearer k3y"
    }
    assert cred.describe() == "an API key"
    assert cred.with_style("bearer").describe() == "an API key (sent as Authorization: Bearer)"
    assert cred.last_token_claims() is None
    assert "k3y" not in repr(cred) and "k3y" not in str(cred)


async def test_api_key_async_and_invalidate_is_a_no_op() -> None:
    cred = resolve_credential(api_key="k3y", scope=SCOPE, env={})
    cred.invalidate()
    assert await cred.aheaders() == {"api-key": "k3y"}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "api_key is empty"),
        ("key-one\nkey-two", "contains whitespace or control characters"),
    ],
)
def test_bad_api_key_is_refused(value: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(api_key=value, scope=SCOPE, env={})
    assert info.value.setting == "api_key"
    assert fragment in str(info.value) and "AZURE_OPENAI_API_KEY" in str(info.value)


def test_azure_key_credential_is_read_on_every_request() -> None:
    holder = AzureKeyCredential("first")
    cred = resolve_credential(credential=holder, scope=SCOPE, env={})
    assert cred.headers() == {"api-key": "first"}
    holder.update("second")
    assert cred.headers() == {"api-key": "second"}


def test_api_key_pickles_and_copies() -> None:
    cred = resolve_credential(api_key="k3y", key_style="bearer", scope=SCOPE, env={})
    assert pickle.loads(pickle.dumps(cred)).headers() == {"Authorization": "Bearer k3y"}
    assert copy.deepcopy(cred) is cred


# ---------------------------------------------------------------------------------------------
# resolution order and configuration errors


def test_precedence() -> None:
    env = {"AZURE_OPENAI_API_KEY": "env-key", "AZURE_OPENAI_AD_TOKEN": "env-token"}
    assert bearer(resolve_credential(scope=SCOPE, env=env)) == "env-token"
    assert resolve_credential(scope=SCOPE, env={"AZURE_OPENAI_API_KEY": "env-key"}).headers() == {"api-key": "env-key"}
    assert resolve_credential(api_key="arg", scope=SCOPE, env=env).headers() == {"api-key": "arg"}
    assert bearer(resolve_credential(api_key="arg", azure_ad_token="tok", scope=SCOPE, env=env)) == "tok"
    assert (
        bearer(resolve_credential(azure_ad_token="tok", azure_ad_token_provider=lambda: "prov", scope=SCOPE, env=env))
        == "prov"
    )
    assert (
        bearer(
            resolve_credential(
                credential=lambda: "obj",
                azure_ad_token_provider=lambda: "prov",
                azure_auth_mode="key",
                scope=SCOPE,
                env=env,
            )
        )
        == "obj"
    )
    assert resolve_credential(azure_auth_mode="key", azure_ad_token="tok", scope=SCOPE, env=env).headers() == {
        "api-key": "env-key"
    }


def test_nothing_configured_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(scope=SCOPE, env={})
    msg = str(info.value)
    assert info.value.setting == "api_key"
    assert "AZURE_OPENAI_API_KEY" in msg and "azure_ad_token_provider=" in msg
    assert all(mode in msg for mode in AUTH_MODES)


def test_unknown_mode_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="kerberos", scope=SCOPE, env={})
    assert info.value.setting == "azure_auth_mode"
    assert str(info.value) == (
        "azure_auth_mode='kerberos' is not a known mode; use one of: key, token, entra, "
        "service_principal, managed, workload, default, cli, none"
    )


def test_mode_aliases_and_none() -> None:
    assert resolve_credential(azure_auth_mode=" Managed-Identity ", scope=SCOPE, env={}).describe() == (
        "an Entra ID token from ManagedIdentityCredential (system-assigned)"
    )
    none = resolve_credential(azure_auth_mode="none", api_key="ignored", scope=SCOPE, env={})
    assert isinstance(none, NoCredential) and none.kind == "none" and none.headers() == {}


@pytest.mark.parametrize(
    ("mode", "setting", "fragment"),
    [
        ("key", "api_key", 'azure_auth_mode="key" needs an API key: pass api_key= or set AZURE_OPENAI_API_KEY'),
        ("token", "azure_ad_token", "set AZURE_OPENAI_AD_TOKEN"),
        (
            "entra",
            "tenant_id",
            (
                "set AZURE_TENANT_ID or pass tenant_id=; set AZURE_CLIENT_ID or pass client_id=; "
                "set AZURE_CLIENT_SECRET or pass client_secret="
            ),
        ),
        (
            "workload",
            "tenant_id",
            (
                "set AZURE_TENANT_ID or pass tenant_id=; set AZURE_CLIENT_ID or pass client_id=; "
                "set AZURE_FEDERATED_TOKEN_FILE"
            ),
        ),
    ],
)
def test_missing_pieces_name_the_env_var(mode: str, setting: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode=mode, scope=SCOPE, env={})
    assert info.value.setting == setting
    assert fragment in str(info.value)


def test_entra_missing_only_the_secret() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="service_principal", tenant_id="t", client_id="c", scope=SCOPE, env={})
    assert info.value.setting == "client_secret"
    assert str(info.value) == (
        'azure_auth_mode="entra" (ClientSecretCredential) is missing settings: '
        "set AZURE_CLIENT_SECRET or pass client_secret="
    )


def test_entra_authority_follows_the_cloud_unless_set() -> None:
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s3cr3t"}
    gov = resolve_credential(azure_auth_mode="entra", scope="https://cognitiveservices.azure.us/.default", env=env)
    assert gov.describe() == (
        "an Entra ID token from ClientSecretCredential (tenant t, client id c, authority login.microsoftonline.us)"
    )
    cn = resolve_credential(azure_auth_mode="entra", scope="https://cognitiveservices.azure.cn/.default", env=env)
    assert "authority login.chinacloudapi.cn" in cn.describe()
    public = resolve_credential(azure_auth_mode="entra", scope=SCOPE, env=env)
    assert public.describe() == "an Entra ID token from ClientSecretCredential (tenant t, client id c)"
    assert "s3cr3t" not in repr(public)
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="entra", scope=SCOPE, env={**env, "AZURE_AUTHORITY_HOST": "http://idp"})
    assert info.value.setting == "AZURE_AUTHORITY_HOST" and "must use TLS" in str(info.value)


def test_invalid_tenant_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(
            azure_auth_mode="entra", tenant_id="bad tenant!", client_id="c", client_secret="s", scope=SCOPE, env={}
        )
    assert info.value.setting == "tenant_id"
    assert str(info.value).startswith("ClientSecretCredential rejected its settings: ")


def test_cli_and_default_modes_build() -> None:
    assert resolve_credential(azure_auth_mode="cli", tenant_id="t", scope=SCOPE, env={}).describe() == (
        "an Entra ID token from AzureCliCredential"
    )
    assert resolve_credential(azure_auth_mode="default", scope=SCOPE, env={}).kind == "token"


def test_workload_identity_auto_detected() -> None:
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}
    assert resolve_credential(scope=SCOPE, env=env).describe() == (
        "an Entra ID token from WorkloadIdentityCredential (tenant t, client id c)"
    )
    # an explicit key wins over the auto-detection
    assert resolve_credential(api_key="k", scope=SCOPE, env=env).kind == "api_key"


def test_missing_azure_identity_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(azure_auth_mode="managed", scope=SCOPE, env={})
    assert info.value.setting == "azure_auth_mode"
    assert str(info.value) == (
        'azure_auth_mode="managed" needs the azure-identity package, which is not '
        'installed. Install it with: pip install "azoai[identity]"'
    )
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(scope=SCOPE, env=env)
    assert "so workload identity was selected" in str(info.value)
    assert 'pip install "azoai[identity]"' in str(info.value)
    # keys and providers never need it
    assert resolve_credential(api_key="k", scope=SCOPE, env={}).headers() == {"api-key": "k"}


def test_importing_the_core_does_not_import_azure_identity() -> None:
    code = "import sys, shared_core, shared_core.connection.auth; print('azure.identity' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("value", ["a string", 42])
def test_bad_credential_object(value: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credential(credential=value, scope=SCOPE, env={})
    assert info.value.setting == "credential"


def test_every_kind_satisfies_the_protocol() -> None:
    for cred in (
        resolve_credential(api_key="k", scope=SCOPE, env={}),
        NoCredential(),
        resolve_credential(azure_ad_token="t", scope=SCOPE, env={}),
    ):
        assert isinstance(cred, Credential)


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
# the cache: refresh ahead, failures, concurrency


def test_refresh_five_minutes_before_expiry() -> None:
    clock = Clock()
    src = CountingCredential(lifetime=3600, clock=clock)
    cred = token_cred(src, clock)
    first = bearer(cred)
    clock.now = T0 + 3600 - 301
    assert bearer(cred) == first and len(src.calls) == 1
    clock.now = T0 + 3600 - 299
    second = bearer(cred)
    assert second != first and len(src.calls) == 2
    assert src.calls[0] == (SCOPE, None)


def test_refresh_at_half_life_for_short_tokens() -> None:
    clock = Clock()
    src = CountingCredential(lifetime=120, clock=clock)
    cred = token_cred(src, clock)
    first = bearer(cred)
    clock.now = T0 + 59
    assert bearer(cred) == first
    clock.now = T0 + 61
    assert bearer(cred) != first and len(src.calls) == 2


def test_refresh_on_is_honoured() -> None:
    clock = Clock()
    src = CountingCredential(lifetime=86400, clock=clock, refresh_in=3600)
    cred = token_cred(src, clock)
    first = bearer(cred)
    clock.now = T0 + 3599
    assert bearer(cred) == first
    clock.now = T0 + 3601
    assert bearer(cred) != first


def test_failed_refresh_keeps_the_old_token_then_raises(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    src = CountingCredential(lifetime=3600, clock=clock)
    cred = token_cred(src, clock)
    first = bearer(cred)
    src.fail = RuntimeError("endpoint down")
    clock.now = T0 + 3400
    with caplog.at_level(logging.WARNING, logger="shared_core.connection.auth"):
        assert bearer(cred) == first
    assert "token refresh failed, reusing the current token" in caplog.text
    assert len(src.calls) == 2
    clock.now = T0 + 3410  # within the 30 s back-off: no new attempt
    assert bearer(cred) == first and len(src.calls) == 2
    clock.now = T0 + 3600
    with pytest.raises(TokenAcquisitionError) as info:
        cred.headers()
    assert str(info.value) == (
        "An Entra ID token from CountingCredential could not be obtained for scope "
        f"{SCOPE}: RuntimeError: endpoint down. What to do: check the configuration of the "
        "CountingCredential you passed."
    )
    assert isinstance(info.value.__cause__, RuntimeError)
    src.fail = None
    assert bearer(cred) != first


def test_a_source_that_hands_back_an_ageing_token_is_not_asked_on_every_request() -> None:
    clock = Clock()
    calls: list[int] = []

    def provider() -> AccessToken:  # like azure-identity answering from its own cache
        calls.append(1)
        return AccessToken("same", int(T0 + 3600))

    cred = resolve_credential(azure_ad_token_provider=provider, scope=SCOPE, env={})
    assert isinstance(cred, BearerTokenCredential)
    cred.clock = clock
    bearer(cred)
    clock.now = T0 + 3400
    for _ in range(10):
        assert bearer(cred) == "same"
    assert len(calls) == 2
    clock.now = T0 + 3499  # 200 s were left at the last fetch: half of that
    bearer(cred)
    assert len(calls) == 2
    clock.now = T0 + 3501
    bearer(cred)
    assert len(calls) == 3


def test_others_keep_the_old_token_while_one_refreshes() -> None:
    clock = Clock()
    src = CountingCredential(lifetime=3600, clock=clock)
    cred = token_cred(src, clock)
    first = bearer(cred)
    src.gate, src.gate_call = threading.Event(), 2  # the refresh blocks until released
    src.entered.clear()
    clock.now = T0 + 3400
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        refreshing = pool.submit(cred.headers)
        assert src.entered.wait(WAIT)
        assert pool.submit(cred.headers).result(WAIT)["Authorization"] == "Bearer " + first
        src.gate.set()
        assert refreshing.result(WAIT)["Authorization"] != "Bearer " + first
    assert len(src.calls) == 2


def test_twenty_threads_one_fetch() -> None:
    gate = threading.Event()
    src = CountingCredential(gate=gate)
    cred = token_cred(src, Clock())
    barrier = threading.Barrier(21)

    def call() -> dict[str, str]:
        barrier.wait(WAIT)
        return cred.headers()

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(call) for _ in range(20)]
        barrier.wait(WAIT)
        assert src.entered.wait(WAIT)
        gate.set()
        results = [f.result(WAIT) for f in futures]
    assert all(r == results[0] for r in results)
    assert len(src.calls) == 1


async def test_twenty_tasks_one_fetch_async_credential() -> None:
    clock = Clock()
    src = AsyncCountingCredential(clock)
    src.gate = asyncio.Event()
    cred = token_cred(src, clock)
    tasks = [asyncio.ensure_future(cred.aheaders()) for _ in range(20)]
    await src.entered.wait()  # all 20 have planned by now: tasks run in creation order
    src.gate.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
    assert results == [{"Authorization": "Bearer async-1"}] * 20
    assert len(src.calls) == 1
    assert cred.describe() == "an Entra ID token from AsyncCountingCredential"


async def test_cancelled_leader_does_not_strand_the_waiters() -> None:
    clock = Clock()
    src = AsyncCountingCredential(clock)
    src.gate = asyncio.Event()
    cred = token_cred(src, clock)
    leader = asyncio.ensure_future(cred.aheaders())
    waiter = asyncio.ensure_future(cred.aheaders())
    await src.entered.wait()
    leader.cancel()
    src.gate.set()
    assert await asyncio.wait_for(waiter, WAIT) == {"Authorization": "Bearer async-1"}
    assert leader.cancelled()
    assert len(src.calls) == 1


async def test_sync_call_on_the_loop_thread_does_not_deadlock_on_an_async_flight() -> None:
    clock = Clock()
    src = AsyncCountingCredential(clock)
    src.gate = asyncio.Event()
    cred = token_cred(src, clock)
    pending = asyncio.ensure_future(cred.aheaders())
    await src.entered.wait()  # the first fetch is now parked on the gate, on this loop
    assert bearer(cred) == "async-2"  # fetched apart (on azoai's loop) instead of waiting on this one
    src.gate.set()
    assert await asyncio.wait_for(pending, WAIT) == {"Authorization": "Bearer async-1"}


# ---------------------------------------------------------------------------------------------
# invalidate


def test_invalidate_forces_a_refetch_once_per_rejected_token() -> None:
    clock = Clock()
    src = CountingCredential(clock=clock)
    cred = token_cred(src, clock)
    first = cred.headers()["Authorization"]
    for _ in range(5):  # five 401s for the same token, e.g. from concurrent requests
        cred.invalidate(rejected_token=first)
    second = cred.headers()["Authorization"]
    assert second != first and len(src.calls) == 2
    cred.invalidate(rejected_token=first)  # late 401 for the old token: nothing to do
    assert cred.headers()["Authorization"] == second and len(src.calls) == 2
    cred.invalidate()
    assert cred.headers()["Authorization"] != second and len(src.calls) == 3


def test_invalidate_passes_a_claims_challenge_once() -> None:
    clock = Clock()
    src = CountingCredential(clock=clock)
    cred = token_cred(src, clock)
    cred.headers()
    cred.invalidate(claims='{"access_token":{"nbf":{"essential":true}}}')
    cred.headers()
    cred.invalidate()
    cred.headers()
    assert [options for _, options in src.calls] == [
        None,
        {"claims": '{"access_token":{"nbf":{"essential":true}}}'},
        None,
    ]


async def test_invalidate_claims_reach_a_get_token_only_async_credential() -> None:
    clock = Clock()
    src = AsyncCountingCredential(clock)
    cred = token_cred(src, clock)
    await cred.aheaders()
    cred.invalidate(claims="c")
    assert await cred.aheaders() == {"Authorization": "Bearer async-2"}
    assert src.calls == [{}, {"claims": "c"}]


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
