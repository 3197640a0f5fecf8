"""The token cache: refresh ahead, failures, concurrency and invalidation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading

import pytest
from azure.core.credentials import AccessToken

from shared_core.connection.auth import (
    BearerTokenCredential,
    TokenAcquisitionError,
    resolve_credential,
)

from .auth_fakes import SCOPE, T0, WAIT, AsyncCountingCredential, Clock, CountingCredential, bearer, token_cred

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
