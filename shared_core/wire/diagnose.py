"""From an HTTP answer to a typed exception whose message says what happened and what to do.

Every error body shape Azure is known to send is handled (see ``azure-recordings/REPORT.md`` §5):
``{"error": {"code", "message", "param", "type", "innererror": {...}}}``, the bare
``{"error": {"code": "401", ...}}`` of the API gateway, v1's ``unknown_model`` with ``details``,
and non-JSON bodies from proxies. Messages never contain a secret: they quote Azure's message,
the resource host, the deployment, and (for tokens) the unverified ``aud``/``tid`` claims only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from shared_core.errors import (
    APIStatusError,
    AzureOpenAIError,
    ContentFilterError,
    StreamError,
    UnexpectedResponseError,
    UnexpectedStreamEventError,
)
from shared_core.types import Choice, ResponseMeta
from shared_core.wire.diagnose_rules import GA_API_VERSION, ROLE, first_rule
from shared_core.wire.error_body import (
    Answer,
    context as _context,
    describe_categories,
    error_obj as _error_obj,
    filtered as _filtered,
    quote as _quote,
)

if TYPE_CHECKING:
    from shared_core.connection.config import Target


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes | str | Mapping[str, Any] | None,
    *,
    target: "Target | None" = None,
    attempts: int = 1,
    retry_after: float | None = None,
    note: str | None = None,
) -> APIStatusError:
    """Map an error answer to the most specific exception, with a diagnosis and a fix.

    The first of ``diagnose_rules.RULES`` that matches decides. ``retry_after`` is the wait the
    server asked for (429); ``note`` is appended to the message (the driver explains there why it
    did not wait).
    """
    answer = Answer.of(
        status, headers, body, target=target, attempts=attempts, retry_after=retry_after, note=note
    )
    return first_rule(answer).build(answer)


def completion_filtered_error(choice: Choice, meta: ResponseMeta | None) -> ContentFilterError:
    """A choice whose ``finish_reason`` is ``content_filter``, as an exception (source="completion").

    The core never raises this itself; adapters do when their documented policy says so.
    """
    cats = _filtered(choice.content_filter_results)
    what = describe_categories(cats) if cats else "categories not reported"
    headers = dict(meta.headers.items()) if meta else {}
    rid = meta.request_id if meta else None
    return ContentFilterError(
        f"Azure's content filter stopped the completion of choice {choice.index} ({what}); the"
        " text generated before the cut is not returned. Rephrase the request, or ask the resource"
        " owner to adjust the deployment's content filtering policy."
        + _context(meta.status if meta else 200, rid, meta.region if meta else None, meta.attempts if meta else 1),
        categories=cats,
        source="completion",
        status=meta.status if meta else 200,
        code="content_filter",
        body=None,
        headers=headers,
        request_id=rid,
        region=meta.region if meta else None,
        deployment=meta.deployment if meta else None,
        attempts=meta.attempts if meta else 1,
    )


_STREAM_CODE_STATUS = {
    "content_filter": 400,
    "ResponsibleAIPolicyViolation": 400,
    "context_length_exceeded": 400,
    "rate_limit_exceeded": 429,
    "RateLimitReached": 429,
    "429": 429,
    "server_error": 500,
    "internal_error": 500,
    "InternalServerError": 500,
    "500": 500,
    "ServiceUnavailable": 503,
}


def stream_error_from_event(data: Mapping[str, Any], meta: ResponseMeta | None) -> AzureOpenAIError:
    """An ``{"error": ...}`` event inside a 200 stream, as the matching typed error."""
    err = _error_obj(data)
    status: int | None = None
    raw_status = err.get("status")
    if isinstance(raw_status, int) or (isinstance(raw_status, str) and raw_status.isdigit()):
        status = int(raw_status)
    code = str(err.get("code")) if err.get("code") is not None else None
    if status is None and code is not None:
        status = _STREAM_CODE_STATUS.get(code)
    if status is None and err.get("type") in ("server_error", "internal_error"):
        status = 500
    if status is None:
        msg = _quote(str(err.get("message") or data))
        return StreamError(
            f"Azure sent an error inside the stream (after HTTP 200): {msg!r}. The partial answer"
            " was discarded; retry the call."
        )
    headers: Mapping[str, str] = meta.headers if meta else {}
    exc = error_from_response(
        status,
        headers,
        dict(data),
        attempts=meta.attempts if meta else 1,
        note="(This error arrived inside a 200 stream.)",
    )
    return exc


__all__ = [
    "completion_filtered_error",
    "describe_categories",
    "error_from_response",
    "stream_error_from_event",
]
