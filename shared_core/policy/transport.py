"""The two drivers (``httpx.Client`` and ``httpx.AsyncClient``) and the per-call state they share.

Every decision lives in :class:`Call` (sans-I/O): which target, which headers and body, how long
this attempt may take, what a failure means (retry after N s, fail over, refresh the token and
replay, give up with which typed error). The drivers are short loops around it:

    target = call.begin(); request = call.request(http, await/credential headers)
    send -> call.succeeded(response) | call.rejected(status, headers, body) | call.failed(exc)
    sleep as told, or the typed error propagates

Streams are retried only before anything reached the caller: an error status (with its body) is
mapped before the first delta; Azure's preamble (prompt-filter chunk, role delta) is held back
until real content arrives, so an in-band error event or a cut connection right after it is
still retried or failed over. After the first content delta, failures raise.
"""

from __future__ import annotations

import base64
import json
import random
import re
import ssl
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx

from shared_core.connection.config import ClientOptions, Target
from shared_core.errors import APIConnectionError, APIStatusError, APITimeoutError
from shared_core.policy.retry import decide
from shared_core.connection.routes import Route, build_route
from shared_core.policy.routing import Router
from shared_core.wire.stream import ChunkParser, ParseChunk
from shared_core.types import ChatDelta, ResponseMeta

VERSION = "0.1.0"
USER_AGENT = f"azoai/{VERSION}"

#: body builder: (target, route) -> JSON body (None for none); called once per target per call
BodyFn = Callable[[Target, Route], "dict[str, Any] | None"]
#: (target index, operation, deployment, method, suffix) -> (target, route, parsed URL)
RouteCache = dict[tuple[int, str, "str | None", str, str], tuple[Target, Route, httpx.URL, dict[str, str]]]


async def _asleep(seconds: float) -> None:
    import asyncio  # already imported whenever a coroutine runs; not at import time (it costs 15+ ms)

    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Hooks:
    """Time and randomness, injectable so tests never wait."""

    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = _asleep
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = random.random


DEFAULT_HOOKS = Hooks()


@dataclass(frozen=True, slots=True)
class _Step:
    wait: float = 0.0
    refresh: bool = False
    claims: str | None = None  # CAE claims challenge of a 401, decoded


# patterns compiled by re's cache on first use (error paths only): nothing compiled at import
_CLAIMS = r'claims="([^"]+)"'
_RETRY_AFTER_TEXT = rb"(?i)retry after (\d{1,6}) seconds?"


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


def meta_from(response: httpx.Response, *, client_request_id: str, attempts: int, target: str) -> ResponseMeta:
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
        url=safe_url(response.request.url),
    )


def _min_timeout(timeout: float | httpx.Timeout | None, limit: float) -> httpx.Timeout:
    if timeout is None:
        return httpx.Timeout(limit)
    if isinstance(timeout, httpx.Timeout):

        def cap(value: float | None) -> float:
            return limit if value is None else min(value, limit)

        return httpx.Timeout(
            connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool)
        )
    return httpx.Timeout(min(timeout, limit))


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON, as the wire wants it."""
    try:
        return _DUMPS(body).encode()
    except ValueError as exc:  # NaN / inf
        raise ValueError(f"the request body is not valid JSON: {exc}") from None


class Call:
    """One logical call across all its attempts (sans-I/O; shared by both drivers)."""

    __slots__ = (
        "targets", "router", "options", "operation", "body_fn", "method", "deployment", "suffix",
        "timeout", "extra_headers", "files", "params", "hooks", "client_request_id", "attempts",
        "started", "tried", "refreshed", "index", "_failover", "_prepared", "_url", "routes", "sent_auth",
    )

    def __init__(
        self,
        targets: Sequence[Target],
        router: Router,
        options: ClientOptions,
        operation: str,
        body_fn: BodyFn,
        *,
        method: str = "POST",
        deployment: str | None = None,
        suffix: str = "",
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        params: Mapping[str, str] | None = None,
        hooks: Hooks = DEFAULT_HOOKS,
        routes: RouteCache | None = None,
    ) -> None:
        self.targets = targets
        self.router = router
        self.options = options
        self.operation = operation
        self.body_fn = body_fn
        self.method = method
        self.deployment = deployment
        self.suffix = suffix
        self.timeout = options.timeout if timeout is None else timeout
        self.extra_headers = headers
        self.files = files
        self.params = params
        self.hooks = hooks
        self.client_request_id = str(uuid.uuid4())
        self.attempts = 0
        self.started = hooks.clock()
        self.tried: set[int] = set()
        self.refreshed = False
        self.index = 0
        self._failover = False
        self._prepared: dict[int, tuple[Route, httpx.URL, dict[str, str], bytes | dict[str, Any] | None]] = {}
        self._url = ""
        self.routes = routes
        self.sent_auth: str | None = None  # Authorization header of the last attempt (401 refresh)

    @property
    def target(self) -> Target:
        return self.targets[self.index]

    def begin(self) -> Target:
        """Choose the target of the next attempt (checking the deadline first)."""
        if self.attempts and self.options.deadline is not None:
            if self.hooks.clock() - self.started >= self.options.deadline:
                raise self._deadline_error(None)
        if len(self.targets) == 1:
            self.index = 0
        else:
            self.index = self.router.pick(self.tried if self._failover else frozenset())
        self._failover = False
        self.attempts += 1
        self.tried.add(self.index)
        return self.targets[self.index]

    def request(self, http: httpx.Client | httpx.AsyncClient, auth: Mapping[str, str]) -> httpx.Request:
        """The ``httpx.Request`` of this attempt, with the credential's ``auth`` headers."""
        prepared = self._prepared.get(self.index)
        if prepared is None:
            target = self.target
            route, url, base_headers = self._route(target)
            body = self.body_fn(target, route)
            payload: bytes | dict[str, Any] | None
            if body is None:
                payload = None
            elif self.files is not None:
                payload = body  # form fields next to the files
            else:
                payload = encode_json(body)
            prepared = self._prepared[self.index] = (route, url, base_headers, payload)
        route, url, base_headers, payload = prepared
        headers = base_headers.copy()
        headers.update(auth)
        self.sent_auth = auth.get("Authorization") or auth.get("authorization")
        headers["x-ms-client-request-id"] = self.client_request_id
        if self.extra_headers:
            headers.update(self.extra_headers)
        self._url = route.url
        timeout = self._attempt_timeout()
        if self.files is not None:
            return http.build_request(
                route.method, url, headers=headers, params=self.params, files=self.files,
                data=payload if isinstance(payload, dict) else None, timeout=timeout,
            )
        return http.build_request(
            route.method, url, headers=headers, params=self.params,
            content=payload if isinstance(payload, bytes) else None, timeout=timeout,
        )

    def _route(self, target: Target) -> tuple[Route, httpx.URL, dict[str, str]]:
        # Parsing a URL is a sixth of httpx's per-request cost: routes are cached per client.
        key = (self.index, self.operation, self.deployment, self.method, self.suffix)
        cache = self.routes
        if cache is not None:
            hit = cache.get(key)
            if hit is not None and hit[0] is target:
                return hit[1], hit[2], hit[3]
        route = build_route(target, self.operation, deployment=self.deployment, method=self.method,
                            suffix=self.suffix)
        url = httpx.URL(route.url)
        base = dict(route.headers)
        if not any(k.lower() == "user-agent" for k in base):  # a user's own User-Agent wins
            base["user-agent"] = USER_AGENT
        if cache is not None:
            if len(cache) >= 256:
                cache.clear()
            cache[key] = (target, route, url, base)
        return route, url, base

    def _attempt_timeout(self) -> float | httpx.Timeout | None:
        deadline = self.options.deadline
        if deadline is None:
            return self.timeout
        remaining = deadline - (self.hooks.clock() - self.started)
        if remaining <= 0:
            raise self._deadline_error(None)
        return _min_timeout(self.timeout, remaining)

    # -- outcomes ------------------------------------------------------------------------------

    def succeeded(self, response: httpx.Response) -> ResponseMeta:
        """A non-error answer: the breaker hears of it; returns its metadata."""
        if len(self.targets) > 1:
            self.router.success(self.index)
        return meta_from(
            response, client_request_id=self.client_request_id, attempts=self.attempts, target=self.target.name
        )

    def rejected(self, status: int, headers: Mapping[str, str], body: bytes) -> _Step:
        """An error status: the step to take, or raise the typed error."""
        target = self.target
        multi = len(self.targets) > 1
        hint = headers
        if status == 429 and body and b"etry after" in body:
            # Azure TPM 429s have said "Please retry after N seconds" in the body only
            m = re.search(_RETRY_AFTER_TEXT, body[:4000])
            if m and "retry-after" not in headers and "retry-after-ms" not in headers:
                hint = {**headers, "retry-after": m.group(1).decode()}
        decision = decide(
            self.attempts,
            status=status,
            headers=hint,
            elapsed=self.hooks.clock() - self.started,
            options=self.options,
            can_failover=multi and self.router.has_alternative(self.tried),
            token_refreshable=target.credential.kind == "token",
            refreshed=self.refreshed,
            rng=self.hooks.rng,
        )
        if multi:
            if status == 429:
                self.router.throttled(self.index, decision.server_wait)
            elif status >= 500 or status == 408:
                self.router.failure(self.index)
            else:
                self.router.release(self.index)
        if decision.action == "fail":
            from shared_core.wire.diagnose import error_from_response  # only on the error path: keeps imports light

            note = None
            if decision.reason == "wait_too_long":
                note = (
                    f"That is longer than max_retry_wait={self.options.max_retry_wait:g} s, so azoai did"
                    " not wait: raise max_retry_wait, or configure another target to fail over to."
                )
            elif decision.reason == "deadline":
                note = (
                    f"The next attempt would pass the call's deadline ({self.options.deadline:g} s),"
                    " so azoai gave up."
                )
            if self.deployment and self.deployment != target.deployment:
                import dataclasses  # error path only: the diagnosis names the deployment really called

                target = dataclasses.replace(target, deployment=self.deployment)
            raise error_from_response(
                status, headers, body, target=target, attempts=self.attempts,
                retry_after=decision.server_wait, note=note,
            )
        if decision.reason == "refresh":
            self.refreshed = True
            return _Step(0.0, refresh=True, claims=claims_challenge(headers.get("www-authenticate")))
        self._failover = decision.action == "failover"
        return _Step(decision.wait)

    def in_band(self, exc: APIStatusError) -> _Step:
        """An error event inside a 200 stream, before anything was handed out: retry or fail
        over like an error status, or raise ``exc`` (with this call's attempt count)."""
        multi = len(self.targets) > 1
        decision = decide(
            self.attempts,
            status=exc.status,
            headers=exc.headers,
            elapsed=self.hooks.clock() - self.started,
            options=self.options,
            can_failover=multi and self.router.has_alternative(self.tried),
            rng=self.hooks.rng,
        )
        if multi:
            if exc.status == 429:
                self.router.throttled(self.index, decision.server_wait)
            elif exc.status >= 500:
                self.router.failure(self.index)
            else:
                self.router.release(self.index)
        if decision.action == "fail":
            exc.attempts = self.attempts
            raise exc
        self._failover = decision.action == "failover"
        return _Step(decision.wait)

    def failed(self, exc: Exception) -> _Step:
        """No HTTP answer (connection error, timeout): the step to take, or raise the typed error."""
        # OSError: custom transports (ASGI apps, test doubles) may raise ConnectionError/TimeoutError raw
        if not isinstance(exc, (httpx.TransportError, httpx.TimeoutException, OSError)) or isinstance(
            exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)
        ):
            raise self._connection_error(exc, retryable=False) from exc
        multi = len(self.targets) > 1
        if multi:
            self.router.failure(self.index)
        decision = decide(
            self.attempts,
            status=None,
            headers=None,
            elapsed=self.hooks.clock() - self.started,
            options=self.options,
            can_failover=multi and self.router.has_alternative(self.tried),
            rng=self.hooks.rng,
        )
        if decision.action == "fail":
            if decision.reason == "deadline":
                raise self._deadline_error(exc) from exc
            raise self._connection_error(exc, retryable=True) from exc
        self._failover = decision.action == "failover"
        return _Step(decision.wait)

    def _connection_error(self, exc: Exception, *, retryable: bool) -> APIConnectionError:
        url = safe_url(self._url) if self._url else self.target.base
        tries = f" ({self.attempts} attempts)" if self.attempts > 1 else ""
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
            return APITimeoutError(
                f"Request to {url} timed out{tries} ({type(exc).__name__}: {detail}). Raise timeout="
                " (per attempt), check the network path to the endpoint, or add a failover target.",
                url=url, attempts=self.attempts,
            )
        if not retryable:
            return APIConnectionError(
                f"Cannot send a request to {url}: {type(exc).__name__}: {detail}. Check azure_endpoint /"
                " base_url (scheme https://, a valid host).",
                url=url, attempts=self.attempts,
            )
        return APIConnectionError(
            f"Could not connect to {url}{tries}: {type(exc).__name__}: {detail}. Check the endpoint's"
            " host name, DNS, the network or proxy (HTTPS_PROXY / proxy=) and TLS settings (verify=).",
            url=url, attempts=self.attempts,
        )

    def _deadline_error(self, exc: Exception | None) -> APITimeoutError:
        url = safe_url(self._url) if self._url else self.target.base
        cause = f"; last error: {type(exc).__name__}: {exc}" if exc is not None else ""
        return APITimeoutError(
            f"The call to {url} did not finish within its deadline of {self.options.deadline:g} s"
            f" ({self.attempts} attempt(s){cause}). Raise deadline= or lower the load.",
            url=url, attempts=self.attempts,
        )


#: what a send or a body read may raise when the network (not our code) fails
_NETWORK_ERRORS = (httpx.HTTPError, OSError)

_HOLD_MAX = 64  # preamble deltas held at most (Azure sends 2)


class _Held:
    """Stream deltas held back until one says something (content, tool call, finish...)."""

    __slots__ = ("deltas", "open")

    def __init__(self) -> None:
        self.deltas: list[ChatDelta] = []
        self.open = True

    def take(self, deltas: list[ChatDelta]) -> list[ChatDelta]:
        """The deltas to hand out now (all of them once the stream has said something)."""
        if not self.open:
            return deltas
        self.deltas.extend(deltas)
        if len(self.deltas) > _HOLD_MAX or any(_says_something(d) for d in deltas):
            return self.release()
        return []

    def release(self) -> list[ChatDelta]:
        out, self.deltas, self.open = self.deltas, [], False
        return out


def _says_something(d: ChatDelta) -> bool:
    return bool(d.content or d.tool_calls or d.refusal or d.reasoning_content or d.text or d.finish_reason
                or d.usage)


def _refresh(call: Call, target: Target, step: _Step) -> None:
    """After a 401 with a token: drop it, so the replay fetches a new one."""
    from shared_core.connection.auth import BearerTokenCredential

    cred = target.credential
    if isinstance(cred, BearerTokenCredential):
        # rejected_token: 20 concurrent 401s for one token cause one refetch, not 20
        cred.invalidate(claims=step.claims, rejected_token=call.sent_auth)
    else:
        cred.invalidate()


# ---------------------------------------------------------------------------------- sync driver


def send(http: httpx.Client, call: Call, *, stream: bool = False) -> tuple[httpx.Response, ResponseMeta]:
    """Run the attempts of ``call``; the response of the first success (open when ``stream``)."""
    while True:
        target = call.begin()
        request = call.request(http, target.credential.headers())
        try:
            response = http.send(request, stream=stream)
        except Exception as exc:  # classified in Call.failed (non-httpx errors re-raised there)
            if not isinstance(exc, _NETWORK_ERRORS):
                raise
            step = call.failed(exc)
        else:
            status = response.status_code
            if status < 300:  # a redirect that was not followed is no answer (diagnose: redirect)
                return response, call.succeeded(response)
            try:
                body = response.read()
            except httpx.HTTPError:
                body = b""
            finally:
                response.close()
            step = call.rejected(status, response.headers, body)
        if step.refresh:
            _refresh(call, target, step)
        if step.wait > 0:
            call.hooks.sleep(step.wait)


def send_json(http: httpx.Client, call: Call) -> tuple[Any, ResponseMeta]:
    """A non-streamed call: the parsed JSON (or raw bytes for non-JSON answers) and metadata."""
    response, meta = send(http, call)
    return decode_body(response, meta), meta


def send_answer(http: httpx.Client, call: Call) -> tuple[dict[str, Any], ResponseMeta]:
    """A call whose answer must be a JSON object (chat, completions, embeddings): see :func:`answer_object`."""
    response, meta = send(http, call)
    return answer_object(response, meta), meta


def stream_deltas(http: httpx.Client, call: Call, parse: ParseChunk) -> Iterator[ChatDelta]:
    """A streamed call: deltas as they arrive. Closes the response when done or abandoned.

    Azure's preamble (the prompt-filter chunk, the role delta) is held back until the stream says
    something, so an error event inside the 200 or a cut connection before any content is retried
    or fails over like an error status, instead of reaching the caller after deltas were yielded.
    """
    while True:
        response, meta = send(http, call, stream=True)
        parser = ChunkParser(parse, meta)
        held = _Held()
        step: _Step | None = None
        try:
            try:
                for chunk in response.iter_bytes():
                    try:
                        deltas = parser.feed(chunk)
                    except APIStatusError as exc:
                        if not held.open:
                            raise
                        step = call.in_band(exc)
                        break
                    if deltas:
                        out = held.take(deltas)
                        if out:
                            yield from out
                    if parser.done:
                        break
            except _NETWORK_ERRORS as exc:
                if not held.open:
                    raise parser.cut(exc) from exc
                step = call.failed(exc)  # cut before anything was handed out: a failed attempt
            if step is None:
                tail = parser.finish()
                yield from held.release()
                yield from tail
                return
        finally:
            response.close()
        if step.wait > 0:
            call.hooks.sleep(step.wait)


# --------------------------------------------------------------------------------- async driver


async def asend(
    http: httpx.AsyncClient, call: Call, *, stream: bool = False
) -> tuple[httpx.Response, ResponseMeta]:
    """Async twin of :func:`send`."""
    while True:
        target = call.begin()
        request = call.request(http, await target.credential.aheaders())
        try:
            response = await http.send(request, stream=stream)
        except Exception as exc:
            if not isinstance(exc, _NETWORK_ERRORS):
                raise
            step = call.failed(exc)
        else:
            status = response.status_code
            if status < 300:  # a redirect that was not followed is no answer (diagnose: redirect)
                return response, call.succeeded(response)
            try:
                body = await response.aread()
            except httpx.HTTPError:
                body = b""
            finally:
                await response.aclose()
            step = call.rejected(status, response.headers, body)
        if step.refresh:
            _refresh(call, target, step)
        if step.wait > 0:
            await call.hooks.asleep(step.wait)


async def asend_json(http: httpx.AsyncClient, call: Call) -> tuple[Any, ResponseMeta]:
    """Async twin of :func:`send_json`."""
    response, meta = await asend(http, call)
    return decode_body(response, meta), meta


async def asend_answer(http: httpx.AsyncClient, call: Call) -> tuple[dict[str, Any], ResponseMeta]:
    """Async twin of :func:`send_answer`."""
    response, meta = await asend(http, call)
    return answer_object(response, meta), meta


async def astream_deltas(http: httpx.AsyncClient, call: Call, parse: ParseChunk) -> AsyncIterator[ChatDelta]:
    """Async twin of :func:`stream_deltas`."""
    while True:
        response, meta = await asend(http, call, stream=True)
        parser = ChunkParser(parse, meta)
        held = _Held()
        step: _Step | None = None
        try:
            try:
                async for chunk in response.aiter_bytes():
                    try:
                        deltas = parser.feed(chunk)
                    except APIStatusError as exc:
                        if not held.open:
                            raise
                        step = call.in_band(exc)
                        break
                    if deltas:
                        for delta in held.take(deltas):
                            yield delta
                    if parser.done:
                        break
            except _NETWORK_ERRORS as exc:
                if not held.open:
                    raise parser.cut(exc) from exc
                step = call.failed(exc)  # cut before anything was handed out: a failed attempt
            if step is None:
                tail = parser.finish()
                for delta in held.release():
                    yield delta
                for delta in tail:
                    yield delta
                return
        finally:
            await response.aclose()
        if step.wait > 0:
            await call.hooks.asleep(step.wait)


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
        proxy=options.proxy, verify=ssl_verify(options.verify), trust_env=True, limits=LIMITS,
        timeout=options.timeout, follow_redirects=False,
    )


def aiohttp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("httpx_aiohttp") is not None


def new_async_client(options: ClientOptions) -> httpx.AsyncClient:
    """Our own async client: on the aiohttp transport when ``httpx-aiohttp`` is installed (and
    ``use_aiohttp`` is not False), else httpx's own pool."""
    kwargs: dict[str, Any] = dict(
        proxy=options.proxy, verify=ssl_verify(options.verify), trust_env=True, limits=LIMITS,
        timeout=options.timeout, follow_redirects=False,
    )
    if options.use_aiohttp is not False:
        try:
            from httpx_aiohttp import HttpxAiohttpClient
        except ImportError:
            if options.use_aiohttp:
                from shared_core.errors import ConfigurationError

                raise ConfigurationError(
                    "use_aiohttp=True but httpx-aiohttp is not installed: pip install 'azoai[aiohttp]'"
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
    "BodyFn", "Call", "DEFAULT_HOOKS", "Hooks", "USER_AGENT", "asend", "asend_json", "astream_deltas",
    "answer_object", "asend_answer", "decode_body", "encode_json", "meta_from", "new_async_client", "new_client",
    "safe_url", "send", "send_answer", "send_json", "stream_deltas",
]
