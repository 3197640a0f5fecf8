"""From an HTTP answer to a typed exception whose message says what happened and what to do.

Every error body shape Azure is known to send is handled (see ``azure-recordings/REPORT.md`` §5):
``{"error": {"code", "message", "param", "type", "innererror": {...}}}``, the bare
``{"error": {"code": "401", ...}}`` of the API gateway, v1's ``unknown_model`` with ``details``,
and non-JSON bodies from proxies. Messages never contain a secret: they quote Azure's message,
the resource host, the deployment, and (for tokens) the unverified ``aud``/``tid`` claims only.

The decision is a table of small rules (``diagnose_rules.RULES``, over the answer read once:
``error_body.Answer``). Success answers that are not answers (empty, not JSON, mistyped fields,
an error object sent with 200) become ``UnexpectedResponseError`` here too (``unexpected_answer``,
``answer_error``), naming what came back and the URL it came from (without its query).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared_core.errors import (
    APIStatusError,
    AzureOpenAIError,
    ContentFilterError,
    StreamError,
    UnexpectedResponseError,
    UnexpectedStreamEventError,
)
from shared_core.types import Choice, ResponseMeta
from shared_core.wire.diagnose_rules import first_rule
from shared_core.wire.error_body import (
    Answer,
    describe_categories,
)
from shared_core.wire.error_body import (
    context as _context,
)
from shared_core.wire.error_body import (
    error_obj as _error_obj,
)
from shared_core.wire.error_body import (
    filtered as _filtered,
)
from shared_core.wire.error_body import (
    header as _header,
)
from shared_core.wire.error_body import (
    quote as _quote,
)

if TYPE_CHECKING:
    from shared_core.connection.config import Target


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes | str | Mapping[str, Any] | None,
    *,
    target: Target | None = None,
    attempts: int = 1,
    retry_after: float | None = None,
    note: str | None = None,
) -> APIStatusError:
    """Map an error answer to the most specific exception, with a diagnosis and a fix.

    The first of ``diagnose_rules.RULES`` that matches decides. ``retry_after`` is the wait the
    server asked for (429); ``note`` is appended to the message (the driver explains there why it
    did not wait).
    """
    answer = Answer.of(status, headers, body, target=target, attempts=attempts, retry_after=retry_after, note=note)
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


def _named_status(err: Mapping[str, Any]) -> int | None:
    """The HTTP status an error object stands for: its ``status``, a status-like ``code`` ("429",
    the gateway's "401"), a code Azure sends with one status, or a server-error ``type``."""
    raw_status = err.get("status")
    if isinstance(raw_status, int) or (isinstance(raw_status, str) and raw_status.isdigit()):
        return int(raw_status)
    code = str(err.get("code")) if err.get("code") is not None else None
    if code is not None:
        if code in _STREAM_CODE_STATUS:
            return _STREAM_CODE_STATUS[code]
        if len(code) == 3 and code.isdigit() and "400" <= code < "600":
            return int(code)
    if err.get("type") in ("server_error", "internal_error"):
        return 500
    return None


def stream_error_from_event(data: Mapping[str, Any], meta: ResponseMeta | None) -> AzureOpenAIError:
    """An ``{"error": ...}`` event inside a 200 stream, as the matching typed error."""
    err = _error_obj(data)
    status = _named_status(err)
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


def _source(meta: ResponseMeta | None) -> str:
    """`` from <url without query>`` (or the target's name), for messages."""
    if meta is None:
        return ""
    if meta.url:
        return f" from {meta.url}"
    return f" from target {meta.target}" if meta.target else ""


def answer_error(data: Mapping[str, Any], meta: ResponseMeta | None) -> APIStatusError:
    """An ``{"error": ...}`` object where an answer was expected (gateways and API Management
    policies send them with 200): diagnosed as the status its code names (``RateLimitError`` for
    ``"429"``...), else ``UnexpectedResponseError`` quoting it."""
    err = _error_obj(data)
    named = _named_status(err)
    actual = meta.status if meta else 200
    src = _source(meta)
    if named is None:
        note = f"(The answer came{src}.)" if src else None
    else:
        note = (
            f"(This error came with HTTP {actual}{src}: a gateway or API Management policy between"
            " the client and Azure may have replaced its status.)"
        )
    exc = error_from_response(
        named or actual,
        meta.headers if meta else {},
        dict(data),
        attempts=meta.attempts if meta else 1,
        note=note,
    )
    if isinstance(exc, UnexpectedResponseError) and meta is not None:
        exc.url = meta.url
        exc.content_type = _header(meta.headers, "content-type")
    return exc


def _excerpt(raw: bytes | str | None, body: Any) -> str:
    if raw is not None:
        text = raw[:400].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:400]
    else:
        try:
            text = json.dumps(body, ensure_ascii=False, default=repr)[:400]
        except (ValueError, TypeError, RecursionError):
            text = f"<{type(body).__name__}>"
    return _quote(text, 200)


def unexpected_answer(
    problem: str | Exception,
    meta: ResponseMeta | None,
    *,
    body: Any = None,
    raw: bytes | str | None = None,
    expected: str = "an answer",
    received: str | None = None,
) -> UnexpectedResponseError:
    """A success answer that is not ``expected`` (``problem`` says why), as the typed error naming
    what came back (status, content-type, the start of the body: ``raw`` bytes, else ``body``
    re-encoded) and from where (the URL without its query, which may hold keys). With ``received``
    (what a stream had delivered) it is a stream event: ``UnexpectedStreamEventError``."""
    if isinstance(problem, (str, ValueError)):
        what = str(problem)
    else:  # a parser's own error on a shape nobody checked for
        what = f"reading it failed ({type(problem).__name__}: {problem})"
    status = meta.status if meta else 200
    headers: Mapping[str, str] = meta.headers if meta else {}
    ctype = _header(headers, "content-type")
    excerpt = _excerpt(raw, body)
    src = _source(meta)
    came = (f"content-type {ctype!r}" if ctype else "no content-type") + (
        f" and the body {excerpt!r}" if excerpt else " and an empty body"
    )
    cls: type[UnexpectedResponseError]
    if received is not None:
        cls = UnexpectedStreamEventError
        msg = (
            f"Azure sent a stream event (HTTP {status}{src}) that is not {expected}: {what}. The"
            f" event was {excerpt!r}, after {received}. A proxy or gateway between the client and"
            " Azure may be rewriting the stream: check azure_endpoint / base_url, or retry the call."
        )
    else:
        cls = UnexpectedResponseError
        msg = (
            f"Azure answered HTTP {status}{src}, but not with {expected}: {what}. It came with {came}."
            " A proxy, gateway or API Management policy between the client and Azure may be"
            " rewriting answers: check that azure_endpoint / base_url point at the resource (or at a"
            " gateway that passes Azure's answers through), or retry the call."
        )
    rid = meta.request_id if meta else None
    region = meta.region if meta else None
    attempts = meta.attempts if meta else 1
    return cls(
        msg + _context(status, rid, region, attempts),
        url=meta.url if meta else None,
        content_type=ctype,
        excerpt=excerpt,
        status=status,
        body=body if body is not None else raw,
        headers=dict(headers.items()),
        request_id=rid,
        region=region,
        deployment=meta.deployment if meta else None,
        attempts=attempts,
    )


__all__ = [
    "answer_error",
    "completion_filtered_error",
    "describe_categories",
    "error_from_response",
    "stream_error_from_event",
    "unexpected_answer",
]
