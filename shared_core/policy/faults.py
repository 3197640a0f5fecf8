"""What a network failure was, and the typed error that says so (shared by both drivers).

A send or a body read fails in one of a few ways, and each needs a different fix: a *timeout*
(raise ``timeout=``), a connection *dropped* by the server or a proxy after it was made (not a
timeout: raising ``timeout=`` would not help), a connection that could not be *made* (DNS, refused,
TLS, proxy). Mid-stream, a timeout is a *stall* (no bytes for the read timeout) and a drop is a
*cut*. The aiohttp transport maps every aiohttp connection error to ``httpx.ConnectTimeout``
(``ServerDisconnectedError`` included), so the original exception (``__cause__``) decides.
"""

from __future__ import annotations

import errno
import re
from typing import Literal

import httpx

from shared_core.errors import APIConnectionError, APITimeoutError, StreamStalledError

#: what a send or a body read may raise when the network (not our code) fails
NETWORK_ERRORS = (httpx.HTTPError, OSError)

Kind = Literal["timeout", "dropped", "connect", "invalid"]

_DROPPED_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
# aiohttp's names (not imported: it is optional): the peer closed an established connection
_DROPPED_NAMES = frozenset(
    {"ServerDisconnectedError", "ClientPayloadError", "ContentLengthError", "TransferEncodingError"}
)
_QUERY = r"(https?://[^\s?#'\"]+)\?[^\s'\"]*"  # compiled by re's cache on first use


def real_cause(exc: BaseException) -> BaseException:
    """``exc``, or what it stands for when a transport mislabelled it: httpx-aiohttp raises
    ``httpx.ConnectTimeout`` from a ``ServerDisconnectedError`` (no time ran out)."""
    cause = exc.__cause__
    if (
        isinstance(exc, httpx.TimeoutException)
        and cause is not None
        and not isinstance(cause, TimeoutError)
        and type(cause).__module__.startswith("aiohttp")
    ):
        return cause
    return exc


def kind_of(exc: BaseException) -> Kind:
    """Which failure ``exc`` (raised by a send or a body read) is."""
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return "invalid"
    real = real_cause(exc)
    if isinstance(real, (httpx.TimeoutException, TimeoutError)):
        return "timeout"
    if isinstance(
        real,
        (
            httpx.RemoteProtocolError,
            httpx.ReadError,
            httpx.WriteError,
            ConnectionResetError,
            ConnectionAbortedError,
            BrokenPipeError,
        ),
    ):
        return "dropped"
    if type(real).__name__ in _DROPPED_NAMES:
        return "dropped"
    if isinstance(real, OSError) and real.errno in _DROPPED_ERRNOS:
        return "dropped"
    return "connect"


def scrub(text: str) -> str:
    """``text`` without the query strings of URLs in it (gateway keys and SAS tokens hide there)."""
    return re.sub(_QUERY, r"\1?...", text) if "?" in text else text


def describe(exc: BaseException) -> str:
    """``Type: message`` of the real failure behind ``exc``, without secrets."""
    real = real_cause(exc)
    return f"{type(real).__name__}: {scrub(str(real)) or type(real).__name__}"


def connection_error(exc: BaseException, *, url: str, attempts: int, kind: Kind | None = None) -> APIConnectionError:
    """The typed error for a request that got no HTTP answer."""
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    detail = describe(exc)
    kind = kind or kind_of(exc)
    if kind == "timeout":
        return APITimeoutError(
            f"Request to {url} timed out{tries} ({detail}). Raise timeout="
            " (per attempt), check the network path to the endpoint, or add a failover target.",
            url=url,
            attempts=attempts,
        )
    if kind == "invalid":
        return APIConnectionError(
            f"Cannot send a request to {url}: {detail}. Check azure_endpoint /"
            " base_url (scheme https://, a valid host).",
            url=url,
            attempts=attempts,
        )
    if kind == "dropped":
        return APIConnectionError(
            f"The connection to {url} was closed before an answer came{tries} ({detail}). The server,"
            " a proxy or a load balancer dropped it (a restart, an overloaded or idle-timed-out"
            " gateway); this is not a timeout. Check the proxy or gateway in between, retry later,"
            " or add a failover target (fallbacks=).",
            url=url,
            attempts=attempts,
        )
    return APIConnectionError(
        f"Could not connect to {url}{tries}: {detail}. Check the endpoint's"
        " host name, DNS, the network or proxy (HTTPS_PROXY / proxy=) and TLS settings (verify=).",
        url=url,
        attempts=attempts,
    )


def deadline_error(exc: BaseException | None, *, url: str, attempts: int, deadline: float | None) -> APITimeoutError:
    """The typed error for a call that ran out of its overall deadline."""
    cause = f"; last error: {describe(exc)}" if exc is not None else ""
    return APITimeoutError(
        f"The call to {url} did not finish within its deadline of {deadline or 0:g} s"
        f" ({attempts} attempt(s){cause}). Raise deadline= or lower the load.",
        url=url,
        attempts=attempts,
    )


def stall_error(received: str, *, read_timeout: float | None, deadline_capped: bool) -> StreamStalledError:
    """A stream that sent nothing for the read timeout (the connection stayed open)."""
    if read_timeout is None:
        waited, setting = "within the read timeout", "timeout= is the per-attempt read timeout."
    elif deadline_capped:
        waited = f"for {read_timeout:g} s"
        setting = f"The read timeout ({read_timeout:g} s) was what was left of the call's deadline=."
    else:
        waited = f"for {read_timeout:g} s"
        setting = f"timeout={read_timeout:g} s is the per-attempt read timeout."
    return StreamStalledError(
        f"The stream stalled: no data {waited} after {received}. {setting} If the model needs longer"
        " between chunks (long reasoning, large tool-call arguments), raise timeout= (or the read part"
        " of an httpx.Timeout); otherwise retry the call."
    )


def read_timeout_of(timeout: float | httpx.Timeout | None) -> float | None:
    """The read timeout in seconds of a per-attempt ``timeout``."""
    if isinstance(timeout, httpx.Timeout):
        return timeout.read
    return None if timeout is None else float(timeout)


def min_timeout(timeout: float | httpx.Timeout | None, limit: float) -> httpx.Timeout:
    """``timeout`` with no part longer than ``limit`` (what is left before the deadline)."""
    if timeout is None:
        return httpx.Timeout(limit)
    if isinstance(timeout, httpx.Timeout):

        def cap(value: float | None) -> float:
            return limit if value is None else min(value, limit)

        return httpx.Timeout(
            connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool)
        )
    return httpx.Timeout(min(timeout, limit))


__all__ = [
    "NETWORK_ERRORS",
    "connection_error",
    "deadline_error",
    "describe",
    "kind_of",
    "min_timeout",
    "read_timeout_of",
    "real_cause",
    "scrub",
    "stall_error",
]
