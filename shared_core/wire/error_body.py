"""An error answer read once: its body parsed, Azure's error object and message, the ids.

What ``diagnose_rules`` look at (:class:`Answer`) and the small readers the diagnosis shares.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from shared_core.connection.config import Target

_MAX_QUOTE = 600


def parse_body(body: bytes | str | Mapping[str, Any] | None) -> Any:
    """JSON when the body is JSON, else its text (None when empty)."""
    if body is None or isinstance(body, Mapping):
        return body
    if isinstance(body, bytes):
        if not body:
            return None
        text = body.decode("utf-8", "replace")
    else:
        text = body
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def error_obj(parsed: Any) -> dict[str, Any]:
    """The ``error`` object, whatever the shape (nested, top-level, string, text)."""
    if isinstance(parsed, Mapping):
        err = parsed.get("error", parsed)
        if isinstance(err, Mapping):
            return dict(err)
        if isinstance(err, str):
            return {"message": err}
        return {}
    if isinstance(parsed, str) and parsed.strip():
        return {"message": parsed.strip()}
    return {}


def quote(text: str, limit: int = _MAX_QUOTE) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (plain dicts too)."""
    value = headers.get(name)
    if value is None:
        lname = name.lower()
        for k, v in headers.items():
            if k.lower() == lname:
                return v
    return value


def context(status: int, request_id: str | None, region: str | None, attempts: int) -> str:
    """`` [HTTP 429, request id ..., region ..., after 3 attempts]``."""
    bits = [f"HTTP {status}"]
    if request_id:
        bits.append(f"request id {request_id}")
    if region:
        bits.append(f"region {region}")
    if attempts > 1:
        bits.append(f"after {attempts} attempts")
    return " [" + ", ".join(bits) + "]"


def filtered(results: Any) -> dict[str, Any]:
    """The categories of a content_filter_result(s) object that were filtered (or detected)."""
    if not isinstance(results, Mapping):
        return {}
    out: dict[str, Any] = {}
    for name, detail in results.items():
        if isinstance(detail, Mapping) and detail.get("filtered"):
            out[name] = dict(detail)
    return out


def describe_categories(categories: Mapping[str, Any]) -> str:
    """``"violence (medium), jailbreak (detected)"`` for a filtered-categories mapping."""
    parts = []
    for name, detail in categories.items():
        extra = None
        if isinstance(detail, Mapping):
            extra = detail.get("severity") or ("detected" if detail.get("detected") else None)
            if name == "custom_blocklists" and isinstance(detail.get("details"), list):
                ids = [d.get("id") for d in detail["details"] if isinstance(d, Mapping) and d.get("filtered")]
                extra = ", ".join(str(i) for i in ids if i) or extra
        parts.append(f"{name} ({extra})" if extra else name)
    return ", ".join(parts) or "no category reported"


@dataclass(frozen=True, slots=True)
class Answer:
    """An error answer as the rules see it: status, code, body, headers, target, and what is
    derived from them once (Azure's message, ids, the deployment called)."""

    status: int
    code: str | None
    body: Any  # parsed: JSON, text or None
    headers: Mapping[str, str]
    target: Target | None
    err: Mapping[str, Any]
    inner: Mapping[str, Any]
    param: str | None
    message: str  # Azure's message, quoted on one line
    request_id: str | None
    region: str | None
    deployment: str | None
    attempts: int = 1
    retry_after: float | None = None
    note: str | None = None

    @classmethod
    def of(
        cls,
        status: int,
        headers: Mapping[str, str],
        body: bytes | str | Mapping[str, Any] | None,
        *,
        target: Target | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
        note: str | None = None,
    ) -> Answer:
        """Read an answer once for all rules."""
        parsed = parse_body(body)
        err = error_obj(parsed)
        code = err.get("code")
        inner = err.get("innererror", err.get("inner_error"))  # the images API spells it inner_error
        return cls(
            status=status,
            code=str(code) if code is not None else None,
            body=parsed,
            headers=headers,
            target=target,
            err=err,
            inner=inner if isinstance(inner, Mapping) else {},
            param=err.get("param") if isinstance(err.get("param"), str) else None,
            message=quote(str(err.get("message") or err.get("details") or "")),
            request_id=header(headers, "apim-request-id") or header(headers, "x-request-id"),
            region=header(headers, "x-ms-region"),
            deployment=header(headers, "x-ms-deployment-name") or (target.deployment if target else None),
            attempts=attempts,
            retry_after=retry_after,
            note=note,
        )

    @property
    def inner_code(self) -> Any:
        return self.inner.get("code")

    @property
    def low(self) -> str:
        return self.message.lower()

    @property
    def host(self) -> str | None:
        if self.target is None:
            return None
        return urlsplit(self.target.base).hostname or self.target.base

    @property
    def said(self) -> str:
        """`` Azure said: '...'.`` (or nothing)."""
        return f" Azure said: {self.message!r}." if self.message else ""

    @property
    def tail(self) -> str:
        """The driver's note and the ids, for the end of every message."""
        ctx = context(self.status, self.request_id, self.region, self.attempts)
        return (f" {self.note}" if self.note else "") + ctx

    def kw(self) -> dict[str, Any]:
        """The keyword arguments every ``APIStatusError`` takes."""
        return dict(
            status=self.status,
            code=self.code,
            param=self.param,
            body=self.body,
            headers=dict(self.headers.items()),
            request_id=self.request_id,
            region=self.region,
            deployment=self.deployment,
            attempts=self.attempts,
        )


__all__ = ["Answer", "context", "describe_categories", "error_obj", "filtered", "header", "parse_body", "quote"]
