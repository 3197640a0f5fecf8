"""The transport face of the call policy: the drivers, the httpx clients we own, body decoding.

The drivers live in ``sync_driver.py`` and ``async_driver.py``; every decision they obey lives in
``call.py`` (one call across its attempts), ``streaming.py`` (one streamed attempt), ``faults.py``
(what a network failure was), ``retry.py`` and ``routing.py``. This module keeps the names the rest
of the library imports (``from shared_core.policy import transport``; ``transport.send_json``...),
builds our own pooled clients, and decodes non-streamed bodies.
"""

from __future__ import annotations

import json
import ssl
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from shared_core.connection.config import ClientOptions
from shared_core.observe.calltrace import CallTrace, StreamFold
from shared_core.policy import async_driver, sync_driver
from shared_core.policy.async_driver import asend
from shared_core.policy.call import (
    DEFAULT_HOOKS,
    USER_AGENT,
    VERSION,
    BodyFn,
    Call,
    Hooks,
    RouteCache,
    claims_challenge,
    encode_json,
    meta_from,
    safe_url,
)
from shared_core.policy.limiter import used_of
from shared_core.policy.sync_driver import send
from shared_core.types import ChatDelta, ResponseMeta
from shared_core.wire.stream import ParseChunk

# Each entry point below tells the call's trace how the call ended (observers close their span).


def send_json(http: httpx.Client, call: Call) -> tuple[Any, ResponseMeta]:
    """A non-streamed call: the parsed JSON (or raw bytes for non-JSON answers) and metadata."""
    try:
        response, meta = send(http, call)
        data = decode_body(response, meta)
    except BaseException as exc:
        call.trace.end(error=exc)
        raise
    call.trace.end(answer=data)
    return data, meta


async def asend_json(http: httpx.AsyncClient, call: Call) -> tuple[Any, ResponseMeta]:
    """Async twin of :func:`send_json`."""
    try:
        response, meta = await asend(http, call)
        data = decode_body(response, meta)
    except BaseException as exc:
        call.trace.end(error=exc)
        raise
    call.trace.end(answer=data)
    return data, meta


def send_answer(http: httpx.Client, call: Call) -> tuple[dict[str, Any], ResponseMeta]:
    """A call whose answer must be a JSON object (chat, completions, embeddings): see :func:`answer_object`."""
    try:
        response, meta = send(http, call)
        data = answer_object(response, meta)
        call.pacer.used(used_of(data))  # the usage replaces the estimate the budget was charged
    except BaseException as exc:
        call.trace.end(error=exc)
        raise
    call.pacer.used(used_of(data))  # the usage replaces the estimate the budget was charged
    call.trace.end(answer=data)
    return data, meta


async def asend_answer(http: httpx.AsyncClient, call: Call) -> tuple[dict[str, Any], ResponseMeta]:
    """Async twin of :func:`send_answer`."""
    try:
        response, meta = await asend(http, call)
        data = answer_object(response, meta)
        call.pacer.used(used_of(data))  # the usage replaces the estimate the budget was charged
    except BaseException as exc:
        call.trace.end(error=exc)
        raise
    call.pacer.used(used_of(data))
    call.trace.end(answer=data)
    return data, meta


def stream_deltas(http: httpx.Client, call: Call, parse: ParseChunk) -> Iterator[ChatDelta]:
    """A streamed call (see :func:`~shared_core.policy.sync_driver.stream_deltas`). Observed, its
    trace ends with the stream, with its error, or when the caller drops it (abandoned)."""
    call.trace.stream = True
    deltas = sync_driver.stream_deltas(http, call, parse)
    return _observed(deltas, call.trace) if call.trace.observers else deltas


def astream_deltas(http: httpx.AsyncClient, call: Call, parse: ParseChunk) -> AsyncIterator[ChatDelta]:
    """Async twin of :func:`stream_deltas`."""
    call.trace.stream = True
    deltas = async_driver.astream_deltas(http, call, parse)
    return _aobserved(deltas, call.trace) if call.trace.observers else deltas


def _observed(deltas: Iterator[ChatDelta], trace: CallTrace) -> Iterator[ChatDelta]:
    finished = False
    fold: StreamFold | None = None
    try:
        for delta in deltas:
            if fold is None:
                fold = trace.fold()  # set from the first delta on (the call's span has started)
            if fold is not None:
                fold.add(delta)
            yield delta
        finished = True
    except GeneratorExit:
        raise
    except BaseException as exc:
        finished = True
        trace.end(error=exc)
        raise
    finally:
        close = getattr(deltas, "close", None)
        if close is not None:
            close()  # the driver's finally (response closed, breaker told) runs before the span ends
        trace.end(abandoned=not finished)


async def _aobserved(deltas: AsyncIterator[ChatDelta], trace: CallTrace) -> AsyncIterator[ChatDelta]:
    finished = False
    fold: StreamFold | None = None
    try:
        async for delta in deltas:
            if fold is None:
                fold = trace.fold()  # set from the first delta on (the call's span has started)
            if fold is not None:
                fold.add(delta)
            yield delta
        finished = True
    except GeneratorExit:
        raise
    except BaseException as exc:
        finished = True
        trace.end(error=exc)
        raise
    finally:
        aclose = getattr(deltas, "aclose", None)
        if aclose is not None:
            await aclose()
        trace.end(abandoned=not finished)


# ------------------------------------------------------------------------------------ helpers


def decode_body(response: httpx.Response, meta: ResponseMeta) -> Any:
    """JSON for JSON answers, bytes otherwise (audio, file content). An empty body is ``{}``."""
    content = response.content
    ctype = response.headers.get("content-type", "")
    if not content:
        return {}
    if "json" in ctype or (not ctype and content[:1] in (b"{", b"[")):
        try:
            return json.loads(content)
        except (ValueError, RecursionError) as exc:
            from shared_core.wire.diagnose import unexpected_answer  # error path only

            raise unexpected_answer(_not_json(exc), meta, raw=content, expected="JSON") from None
    return content


def answer_object(response: httpx.Response, meta: ResponseMeta) -> dict[str, Any]:
    """The JSON object of an operation's answer. No body (a 204 too), a body that is not JSON or
    not an object, or JSON nested too deep to parse raise ``UnexpectedResponseError``."""
    content = response.content
    try:
        data = json.loads(content) if content else None
    except (ValueError, RecursionError) as exc:
        problem = _not_json(exc)
    else:
        if type(data) is dict:
            return data
        problem = "the body is empty" if not content else f"the body is JSON {type(data).__name__}, not an object"
    from shared_core.wire.diagnose import unexpected_answer  # error path only

    raise unexpected_answer(problem, meta, raw=content, expected="a JSON object")


def _not_json(exc: Exception) -> str:
    return "the body is JSON nested too deeply to parse" if isinstance(exc, RecursionError) else "the body is not JSON"


def ssl_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """``verify`` as httpx 0.28 wants it: a path becomes an ``SSLContext`` (str is deprecated)."""
    if isinstance(verify, bool):
        return verify
    import os

    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50, keepalive_expiry=30.0)


def new_client(options: ClientOptions) -> httpx.Client:
    """Our own pooled sync client: proxy/verify from options, env proxies honoured (trust_env)."""
    return httpx.Client(
        proxy=options.proxy,
        verify=ssl_verify(options.verify),
        trust_env=True,
        limits=LIMITS,
        timeout=options.timeout,
        follow_redirects=False,
    )


def aiohttp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("httpx_aiohttp") is not None


def new_async_client(options: ClientOptions) -> httpx.AsyncClient:
    """Our own async client: on the aiohttp transport when ``httpx-aiohttp`` is installed (and
    ``use_aiohttp`` is not False), else httpx's own pool."""
    kwargs: dict[str, Any] = dict(
        proxy=options.proxy,
        verify=ssl_verify(options.verify),
        trust_env=True,
        limits=LIMITS,
        timeout=options.timeout,
        follow_redirects=False,
    )
    if options.use_aiohttp is not False:
        try:
            from httpx_aiohttp import HttpxAiohttpClient
        except ImportError:
            if options.use_aiohttp:
                from shared_core.errors import ConfigurationError

                raise ConfigurationError(
                    'use_aiohttp=True but httpx-aiohttp is not installed: pip install "azoai[aiohttp]"'
                    " (or leave use_aiohttp=None to use it only when available)",
                    setting="use_aiohttp",
                ) from None
        else:
            client: httpx.AsyncClient = HttpxAiohttpClient(**kwargs)
            # an aiohttp session outliving its client (a dropped per-loop client, or interpreter
            # exit without aclose()) would print "Unclosed client session" warnings
            weakref.finalize(client, _close_aiohttp, getattr(client, "_transport", None))
            return client
    return httpx.AsyncClient(**kwargs)


def _close_aiohttp(transport: Any) -> None:
    """Close the aiohttp session of a client that was never ``aclose()``d, without its event loop
    (closed by then: ``asyncio.run`` returned, or a test's loop ended).

    ``detach()`` marks the session closed; the connector's ``close()`` coroutine is stepped once
    by hand: with the loop closed it finishes in that step (nothing is left to wait for), which
    marks the connector closed and releases its connections, so neither prints an "Unclosed"
    warning. If the loop still runs elsewhere, the step starts the close there and we let go.
    """
    session = getattr(transport, "client", None)
    if session is None or getattr(session, "closed", True):
        return
    connector = session.connector
    session.detach()
    if connector is None or connector.closed:
        return
    step = connector.close()
    try:
        step.send(None)
    except StopIteration:
        pass
    except RuntimeError:  # the loop went away mid-close: nothing left to release
        pass
    finally:
        step.close()


__all__ = [
    "BodyFn",
    "Call",
    "DEFAULT_HOOKS",
    "Hooks",
    "RouteCache",
    "USER_AGENT",
    "VERSION",
    "answer_object",
    "asend",
    "asend_answer",
    "asend_json",
    "astream_deltas",
    "claims_challenge",
    "decode_body",
    "encode_json",
    "meta_from",
    "new_async_client",
    "new_client",
    "safe_url",
    "send",
    "send_answer",
    "send_json",
    "stream_deltas",
]
