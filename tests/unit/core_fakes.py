"""Small stand-ins for the Credential protocol (auth.py's real ones are tested in test_auth_*.py)."""

from __future__ import annotations

import base64
import json
from typing import Any, Literal

from shared_core.connection.config import Target


def fake_jwt(claims: dict[str, Any]) -> str:
    def enc(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'none'})}.{enc(claims)}.sig"


class KeyCred:
    kind: Literal["api_key", "token", "none"] = "api_key"

    def __init__(self, key: str = "k-secret-123") -> None:
        self._key = key

    def headers(self) -> dict[str, str]:
        return {"api-key": self._key}

    async def aheaders(self) -> dict[str, str]:
        return self.headers()

    def invalidate(self) -> None:
        pass

    def describe(self) -> str:
        return "API key (from argument)"

    def last_token_claims(self) -> dict[str, Any] | None:
        return None


class TokenCred:
    """Hands out tok-1, tok-2, ...; a new token only after invalidate()."""

    kind: Literal["api_key", "token", "none"] = "token"

    def __init__(self, claims: dict[str, Any] | None = None) -> None:
        self.n = 1
        self.invalidations = 0
        self.claims = claims

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer tok-{self.n}"}

    async def aheaders(self) -> dict[str, str]:
        return self.headers()

    def invalidate(self) -> None:
        self.invalidations += 1
        self.n += 1

    def describe(self) -> str:
        return "Entra ID token provider"

    def last_token_claims(self) -> dict[str, Any] | None:
        return self.claims


def target(
    name: str = "res.openai.azure.com",
    base: str = "https://res.openai.azure.com/openai",
    *,
    kind: Literal["dated", "v1", "openai"] = "dated",
    deployment: str | None = "chat",
    api_version: str | None = "2024-10-21",
    credential: Any = None,
    weight: float = 1.0,
) -> Target:
    return Target(
        name=name,
        kind=kind,
        base=base,
        deployment=deployment,
        api_version=api_version,
        cloud="public",
        token_scope="https://cognitiveservices.azure.com/.default",
        credential=credential if credential is not None else KeyCred(),
        weight=weight,
    )
