"""What a call shows of an HTTP exchange, and how its body goes out.

``ResponseMeta`` from a response, URLs as messages may show them (no query, no userinfo: gateway
keys hide there), a target as logs name it, the claims of a CAE challenge, and the compact JSON
encoding of a request body.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from shared_core.connection.config import Target
from shared_core.types import ResponseMeta, RoutingTrace

# compiled by re's cache on first use (error paths only): nothing compiled at import
_CLAIMS = r'claims="([^"]+)"'


def claims_challenge(www_authenticate: str | None) -> str | None:
    """The decoded ``claims`` of a CAE ``WWW-Authenticate: Bearer ... claims="<base64>"`` challenge."""
    if not www_authenticate or "claims=" not in www_authenticate:
        return None
    m = re.search(_CLAIMS, www_authenticate)
    if not m:
        return None
    raw = m.group(1)
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
    except (ValueError, UnicodeError):
        return None


def safe_url(url: str | httpx.URL) -> str:
    """The URL without query or userinfo: what error messages may show (gateway keys hide there)."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def meta_from(
    response: httpx.Response, *, client_request_id: str, attempts: int, target: str, routing: RoutingTrace | None = None
) -> ResponseMeta:
    """``ResponseMeta`` for a response: ids, region, deployment, all headers."""
    h = response.headers
    return ResponseMeta(
        status=response.status_code,
        headers=h,
        request_id=h.get("apim-request-id") or h.get("x-request-id"),
        client_request_id=client_request_id,
        region=h.get("x-ms-region"),
        deployment=h.get("x-ms-deployment-name"),
        attempts=attempts,
        target=target,
        url=_request_url(response),
        spillover_from=h.get("x-ms-spillover-from-deployment"),
        routing=routing,
    )


def _request_url(response: httpx.Response) -> str | None:
    try:
        return safe_url(response.request.url)
    except RuntimeError:  # a response made without its request (a custom transport's): no URL to name
        return None


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def min_timeout(timeout: float | httpx.Timeout | None, limit: float) -> httpx.Timeout:
    """``timeout`` with each of its parts capped at ``limit`` (what is left of a call's deadline)."""
    if timeout is None:
        return httpx.Timeout(limit)
    if isinstance(timeout, httpx.Timeout):

        def cap(value: float | None) -> float:
            return limit if value is None else min(value, limit)

        return httpx.Timeout(
            connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool)
        )
    return httpx.Timeout(min(timeout, limit))


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON, as the wire wants it."""
    try:
        return _DUMPS(body).encode()
    except ValueError as exc:  # NaN / inf
        raise ValueError(f"the request body is not valid JSON: {exc}") from None


def where(target: Target, deployment: str | None = None) -> str:
    """A target as logs and messages name it: name, host, deployment (never a secret)."""
    parts = urlsplit(target.base)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    dep = deployment or target.deployment
    return f"{target.name} ({host}, deployment {dep})" if dep else f"{target.name} ({host})"


__all__ = ["claims_challenge", "encode_json", "meta_from", "min_timeout", "safe_url", "where"]
