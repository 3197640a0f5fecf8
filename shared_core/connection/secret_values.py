"""Secret text as users paste it: cleaning keys and tokens, and reading a JWT's claims.

Shared by the credentials (``credentials.py``), the token sources (``token_sources.py``) and
credential resolution; holds no state.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import SecretStr

from shared_core.errors import ConfigurationError


def decode_jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, unverified (for diagnosis only), or None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


def clean_secret(value: str | SecretStr, setting: str, env_var: str | None, *, returned: bool = False) -> SecretStr:
    """Strip a pasted secret (and a ``Bearer `` prefix); refuse empty or multi-line values."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(raw, str):
        raise ConfigurationError(f"{setting} must be a string, got {type(raw).__name__}", setting=setting)
    raw = raw.strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    subject = f"{setting} returned a token that" if returned else setting
    where = f" (check {env_var})" if env_var else ""
    if not raw:
        raise ConfigurationError(f"{subject} is empty{where}: it must be the secret itself", setting=setting)
    if any(c.isspace() or ord(c) < 32 for c in raw):
        raise ConfigurationError(
            f"{subject} contains whitespace or control characters{where}: it was probably pasted "
            "with a line break or several values; give the secret alone",
            setting=setting,
        )
    return SecretStr(raw)


__all__ = ["clean_secret", "decode_jwt_claims"]
