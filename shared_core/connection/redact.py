"""Masking of credential-like settings wherever they could be shown: reprs, dumps, logs, errors.

``default_headers`` / ``default_query`` carry secrets that are not ours to type: APIM subscription
keys (``Ocp-Apim-Subscription-Key`` header, ``subscription-key`` query), gateway tokens, SAS
signatures (``sig``), Azure Functions keys (``code``). One rule decides by the *name* of an entry;
a flagged entry keeps its name and shows :data:`MASK` instead of its value.

The same rule masks query parameters inside URLs: httpx's ``HTTP Request: POST <url>`` log line
(:func:`install_httpx_log_filter`) and the URLs exceptions carry (:func:`scrub_exception`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote

#: what a secret shows instead of its value (pydantic's ``SecretStr`` mask)
MASK = "**********"

# names of headers and query parameters that carry credentials in front of Azure (APIM
# subscription keys, gateway tokens, SAS signatures, Azure Functions keys)
_SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw|auth|signature|cookie|^sig$|^code$)")
# name=value inside a URL's query (or any text quoting one)
_QUERY_PAIR = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&;#\s'\"<>]+)=(?P<value>[^&;#\s'\"<>]*)")
_MASKED_SETTINGS = frozenset({"default_headers", "default_query"})
_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")


def is_secret_name(name: object) -> bool:
    """True when a header or query parameter of this name may carry a credential."""
    return bool(_SECRET_NAME.search(str(name)))


def public_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``default_headers`` / ``default_query`` as they may be shown or serialized: every entry
    whose name looks like a credential (``Ocp-Apim-Subscription-Key``, ``x-gateway-token``,
    ``sig``...) keeps its name and shows :data:`MASK`. A masked value given back as a setting is
    refused (:func:`refuse_masked`): the caller passes the real one again on load."""
    if params is None:
        return None
    return {k: MASK if is_secret_name(k) else v for k, v in params.items()}


def masked_setting(name: str, value: Any) -> Any:
    """A connection setting as it may be shown: ``default_headers`` / ``default_query`` through
    :func:`public_params`, each fallback's too; anything else as is."""
    if name in _MASKED_SETTINGS and isinstance(value, Mapping):
        return public_params(value)
    if name == "fallbacks" and isinstance(value, (list, tuple)):
        return [
            {k: masked_setting(k, v) for k, v in entry.items()} if isinstance(entry, Mapping) else entry
            for entry in value
        ]
    return value


def refuse_masked(params: Mapping[str, Any] | None, setting: str) -> None:
    """Raise when a value is :data:`MASK`: a serialized object was loaded without its secrets."""
    from shared_core.errors import ConfigurationError

    for k, v in (params or {}).items():
        if v == MASK:
            raise ConfigurationError(
                f"{setting}[{k!r}] is {MASK!r}, the mask written in place of a secret when the "
                f"settings were serialized: pass the real value again ({setting}={{{k!r}: ...}}) "
                "when you load them",
                setting=setting,
            )


def redact_text(text: str) -> str:
    """``text`` with the value of every credential-like ``name=value`` query pair masked."""
    if "=" not in text:
        return text

    def mask(m: re.Match[str]) -> str:
        if not is_secret_name(unquote(m.group("name"))):
            return m.group(0)
        return f"{m.group('lead')}{m.group('name')}={MASK}"

    return _QUERY_PAIR.sub(mask, text)


def public_url(url: object) -> str:
    """A URL (``str`` or ``httpx.URL``) with credential-like query values masked."""
    return redact_text(str(url))


def _scrub_request(request: Any) -> None:
    import httpx

    if isinstance(request, httpx.Request):
        shown = public_url(request.url)
        if shown != str(request.url):
            request.url = httpx.URL(shown)


def _request_of(holder: Any) -> Any:
    try:  # httpx raises RuntimeError for an exception or response made without a request
        return getattr(holder, "request", None)
    except RuntimeError:
        return None


def _scrub_one(exc: BaseException) -> None:
    args = tuple(redact_text(a) if isinstance(a, str) else a for a in exc.args)
    if args != exc.args:
        exc.args = args
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        try:
            exc.message = redact_text(message)  # type: ignore[attr-defined]
        except AttributeError:  # a read-only property
            pass
    _scrub_request(_request_of(exc))
    response = getattr(exc, "response", None)
    if response is not None:
        _scrub_request(_request_of(response))


def scrub_exception(exc: BaseException) -> None:
    """Mask credential-like query values in ``exc`` and every exception chained to it (messages,
    ``.request.url`` of httpx errors and responses), in place, before the caller sees them."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        _scrub_one(current)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


# Exceptions leave the client scrubbed: httpx errors chained to ours carry the request, whose URL
# holds default_query (APIM subscription keys, SAS signatures), and their messages may quote it.
def scrubbed(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` with :func:`scrub_exception` applied to whatever it raises."""

    @functools.wraps(fn)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            scrub_exception(exc)
            raise

    return call


def ascrubbed(fn: Callable[_P, Awaitable[_R]]) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """Async :func:`scrubbed`."""

    @functools.wraps(fn)
    async def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:
            scrub_exception(exc)
            raise

    return call


def scrubbed_iter(items: Iterator[_T]) -> Iterator[_T]:
    """``items`` with :func:`scrub_exception` applied to whatever iterating raises."""
    try:
        yield from items
    except Exception as exc:
        scrub_exception(exc)
        raise


class HttpxLogFilter(logging.Filter):
    """Masks credential-like query values in httpx's ``HTTP Request: <method> <url> ...`` line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(public_url(a) if _is_url(a) else a for a in record.args)
        return True


def _is_url(value: object) -> bool:
    import httpx

    return isinstance(value, httpx.URL)


_LOG_FILTER = HttpxLogFilter()


def install_httpx_log_filter() -> None:
    """Attach :class:`HttpxLogFilter` to the ``httpx`` logger (once). httpx logs every request URL
    at INFO, and APIM subscription keys or SAS signatures may sit in its query."""
    logger = logging.getLogger("httpx")
    if _LOG_FILTER not in logger.filters:
        logger.addFilter(_LOG_FILTER)


__all__ = [
    "HttpxLogFilter",
    "MASK",
    "install_httpx_log_filter",
    "is_secret_name",
    "masked_setting",
    "public_params",
    "public_url",
    "redact_text",
    "refuse_masked",
    "ascrubbed",
    "scrub_exception",
    "scrubbed",
    "scrubbed_iter",
]
