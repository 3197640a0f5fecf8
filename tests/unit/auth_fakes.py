"""Fake credentials, a fake clock and token helpers shared by the auth tests."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

from shared_core.connection.auth import (
    BearerTokenCredential,
    Credential,
    resolve_credential,
)

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
