"""One logical call across all its attempts: the sans-I/O state both drivers obey.

:class:`Call` decides which target, which headers and body, how long this attempt may take, and
what a failure means (retry after N s, fail over, refresh the token and replay, give up with which
typed error). It tells the router (circuit breakers) of every outcome, and it logs every retry,
failover and wait on the ``shared_core.policy`` logger: INFO for each retry or failover with its
reason, target (name, host, deployment: never a key, token or query string) and wait, DEBUG for
the details of each attempt.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from shared_core.connection.config import ClientOptions, Target
from shared_core.connection.routes import Route
from shared_core.errors import APIConnectionError, APIStatusError, APITimeoutError, AzureOpenAIError, StreamError
from shared_core.observe.calltrace import CallTrace
from shared_core.policy import faults, limiter
from shared_core.policy.exchange import claims_challenge, encode_json, meta_from, safe_url, where
from shared_core.policy.give_up import note_for, status_reason
from shared_core.policy.hooks import DEFAULT_HOOKS, Hooks
from shared_core.policy.limiter import cost_of
from shared_core.policy.pacing_store import Pacer, PacingStore, store_for
from shared_core.policy.retry import Decision, decide, is_retryable_status, with_body_retry_after
from shared_core.policy.route_cache import USER_AGENT, VERSION, RouteCache, cached_route
from shared_core.policy.routing import Router
from shared_core.types import ResponseMeta

#: retries, failovers, waits and breaker changes (a child of ``shared_core``, like every library logger)
log = logging.getLogger("shared_core.policy")

#: body builder: (target, route) -> JSON body (None for none); called once per target per call
BodyFn = Callable[[Target, Route], "dict[str, Any] | None"]


#: :meth:`Call.pace` when the attempt moves to another target unsent: the driver begins anew
REROUTE = -1.0


@dataclass(frozen=True, slots=True)
class Step:
    """What the driver does before the next attempt."""

    wait: float = 0.0
    refresh: bool = False
    claims: str | None = None  # CAE claims challenge of a 401, decoded


class Call:
    """One logical call across all its attempts (sans-I/O; shared by both drivers)."""

    __slots__ = (
        "targets",
        "router",
        "options",
        "operation",
        "body_fn",
        "method",
        "deployment",
        "suffix",
        "timeout",
        "extra_headers",
        "files",
        "params",
        "hooks",
        "client_request_id",
        "attempts",
        "started",
        "tried",
        "refreshed",
        "index",
        "_failover",
        "_prepared",
        "_url",
        "routes",
        "sent_auth",
        "epoch",
        "reported",
        "throttles",
        "unsent",
        "throttled",
        "throttle_wait",
        "read_timeout",
        "deadline_capped",
        "_why",
        "_previous",
        "trace",
        "pacer",
        "bodies",
        "pinned",
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
        params: Mapping[str, str | Sequence[str]] | None = None,
        hooks: Hooks = DEFAULT_HOOKS,
        routes: RouteCache | None = None,
        pacing: PacingStore | None = None,
        pinned: int | None = None,
    ) -> None:
        self.targets = targets
        # the one target this call may use (a stored response lives there): it retries there, never fails
        # over, and its breaker still hears of every outcome so other calls see the target's health
        self.pinned = pinned
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
        self.epoch = 0  # the router's fault epoch of the target when this attempt started
        self.reported = True  # the router heard of this attempt's outcome
        self.throttles = 0  # 429 answers so far (they do not count against max_retries)
        self.unsent = 0  # attempts moved elsewhere before they were sent (neither do they)
        self.throttled = 0.0  # seconds waited on 429s so far
        self.throttle_wait: float | None = None  # the last of those waits
        self.read_timeout: float | None = None  # of the current attempt (stall messages)
        self.deadline_capped = False  # ... and whether the deadline, not timeout=, set it
        self._why = ""  # why the last attempt failed over (logged once the next target is known)
        self._previous = 0
        self.trace = CallTrace(operation, hooks.clock, self.started)  # routing record and observers
        # each attempt's deployment budget: Redis's if configured, else the process's (own for injected hooks)
        if pacing is None and hooks is not DEFAULT_HOOKS:
            pacing = store_for(hooks.clock, hooks.sleep, hooks.asleep)
        self.pacer = Pacer(hooks.clock, pacing)
        self.bodies: dict[int, dict[str, Any] | None] = {}  # the body sent to each target (its token cost)

    @property
    def target(self) -> Target:
        return self.targets[self.index]

    @property
    def multi(self) -> bool:
        """May fail over (several targets, not pinned to one)."""
        return len(self.targets) > 1 and self.pinned is None

    @property
    def tracked(self) -> bool:
        """The router hears of every attempt (several targets: their breakers matter)."""
        return len(self.targets) > 1

    def begin(self) -> Target:
        """Choose the target of the next attempt (checking the deadline first)."""
        deadline = self.options.deadline
        if self.attempts and deadline is not None and self.hooks.clock() - self.started >= deadline:
            raise self._deadline_error(None)
        failover = self._failover
        self._previous = self.index
        if not self.tracked:
            self.index = 0
        else:
            if self.pinned is not None:
                self.index = self.pinned
            else:
                self.index = self.router.pick(self.tried, after=self.index) if failover else self.router.pick()
            self.epoch = self.router.epoch(self.index)
            self.reported = False
        self._failover = False
        self.attempts += 1
        self.tried.add(self.index)
        target = self.targets[self.index]
        self.trace.begin(self.attempts, target, self.deployment)
        if failover:
            log.info(
                "failing over %s from %s to %s (attempt %d): %s",
                self.operation,
                where(self.targets[self._previous], self.deployment),
                where(target, self.deployment),
                self.attempts,
                self._why,
            )
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "attempt %d of %s to %s, x-ms-client-request-id %s",
                self.attempts,
                self.operation,
                where(target, self.deployment),
                self.client_request_id,
            )
        return target

    def avoid(self, index: int, why: str) -> None:
        """Start this call away from target ``index`` (a hedge of a call still waiting there)."""
        self.index = index
        self.tried.add(index)
        self._failover, self._why = True, why

    def request(self, http: httpx.Client | httpx.AsyncClient, auth: Mapping[str, str]) -> httpx.Request:
        """The ``httpx.Request`` of this attempt, with the credential's ``auth`` headers."""
        prepared = self._prepared.get(self.index)
        if prepared is None:
            target = self.target
            route, url, base_headers = self._route(target)
            body = self.body_fn(target, route)
            if body is not None and target.override_params:
                body = {**body, **target.override_params}  # routing config: this target's own parameters
            self.trace.request_body(body)
            self.bodies[self.index] = body
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
        if self.params:
            # httpx's params= replaces the URL's query (api-version included): merge instead
            url = url.copy_merge_params(self.params)
        if self.files is not None:
            return http.build_request(
                route.method,
                url,
                headers=headers,
                files=self.files,
                data=payload if isinstance(payload, dict) else None,
                timeout=timeout,
            )
        return http.build_request(
            route.method,
            url,
            headers=headers,
            content=payload if isinstance(payload, bytes) else None,
            timeout=timeout,
        )

    def pace(self) -> float:
        """Seconds to wait before sending (this attempt's reservation in its deployment's shared
        budget); called after :meth:`request` and after each wait until 0. A wait past what is left
        of ``max_retry_wait`` is not taken (Azure's answer decides); one past the deadline raises."""
        if self._rerouted():
            return REROUTE
        budget = max(0.0, self.options.max_retry_wait - self.throttled)
        leave = self._may_leave()
        return self._paced(self.pacer.before(self.attempts, self.target, self.deployment, self._cost, budget, leave))

    async def apace(self) -> float:
        """Async :meth:`pace`: a shared (Redis) budget is asked without blocking the event loop."""
        if self._rerouted():
            return REROUTE
        budget, leave = max(0.0, self.options.max_retry_wait - self.throttled), self._may_leave()
        return self._paced(
            await self.pacer.abefore(self.attempts, self.target, self.deployment, self._cost, budget, leave)
        )

    def _cost(self) -> float:
        return cost_of(self.operation, self.bodies.get(self.index))  # only asked when a token limit is known

    def _may_leave(self) -> bool:
        return self.multi and self.router.may_fail_over(self.index, self.tried, None)

    def _paced(self, wait: float) -> float:
        if wait < 0:  # limiter.LEAVE: the deployment's first request hangs past the hold; go elsewhere
            self._unsent(f"the deployment's first request unanswered for over {limiter.PROBE_SECONDS:g} s")
            return REROUTE
        deadline = self.options.deadline
        if wait > 0 and deadline is not None and self.hooks.clock() - self.started + wait >= deadline:
            self.pacer.lost()
            raise self._deadline_error(None)
        return wait

    def _rerouted(self) -> bool:
        """Whether this attempt moves on unsent: the target failed (another call's fault) since it was
        chosen, typically while this call waited for the deployment's first answer, and there is
        somewhere else to go."""
        if not (self.multi and self.pacer.attempt != self.attempts and self.router.epoch(self.index) != self.epoch):
            return False
        if not self.router.may_fail_over(self.index, self.tried, None):
            self.epoch = self.router.epoch(self.index)  # nowhere else: keep waiting for it
            return False
        self._unsent("a fault there while this call waited for the deployment's first answer")
        return True

    def _unsent(self, why: str) -> None:
        """This attempt moves to the next target before it was sent (no retry of max_retries)."""
        self.unsent += 1
        self.reported = True
        self.router.release(self.index)
        self.trace.close("failover", why, 0.0, self._breaker())
        self._failover, self._why = True, why

    def _route(self, target: Target) -> tuple[Route, httpx.URL, dict[str, str]]:
        return cached_route(
            self.routes,
            self.index,
            target,
            self.operation,
            deployment=self.deployment,
            method=self.method,
            suffix=self.suffix,
        )

    def _attempt_timeout(self) -> float | httpx.Timeout | None:
        deadline = self.options.deadline
        self.read_timeout = faults.read_timeout_of(self.timeout)
        self.deadline_capped = False
        if deadline is None:
            return self.timeout
        remaining = deadline - (self.hooks.clock() - self.started)
        if remaining <= 0:
            raise self._deadline_error(None)
        if self.read_timeout is None or remaining < self.read_timeout:
            self.read_timeout, self.deadline_capped = remaining, True
        return faults.min_timeout(self.timeout, remaining)

    # -- outcomes ------------------------------------------------------------------------------

    def succeeded(self, response: httpx.Response, *, stream: bool = False) -> ResponseMeta:
        """A non-error answer; returns its metadata. The breaker hears of it now, or for a stream
        only once the stream delivered something (:meth:`delivered`): a 200 that stalls, is cut
        or carries an error event before its first token is a fault of its target."""
        self.trace.answered(response.status_code, response.headers.get("x-ms-region"))
        if not stream:
            self.delivered()
        self.pacer.answered(response.headers)
        return meta_from(
            response,
            client_request_id=self.client_request_id,
            attempts=self.attempts - self.unsent,
            target=self.target.name,
            routing=self.trace.routing,
        )

    def delivered(self) -> None:
        """The attempt succeeded (a stream: its first real delta, or its end): the breaker hears of it."""
        if not self.reported:
            self.reported = True
            self.router.success(self.index, self.epoch)
        if self.trace.current is not None:  # a stream calls this per delta: its first closes the attempt
            self.trace.close("ok", breaker=self._breaker())

    def abandoned(self) -> None:
        """The caller stopped reading a stream before it said anything: neither success nor fault."""
        if not self.reported:
            self.reported = True
            self._release()
        self.trace.close("abandoned", breaker=self._breaker())

    def _release(self) -> None:
        if self.pinned is None:  # a pinned call never claimed the half-open probe: not its to free
            self.router.release(self.index)

    def _breaker(self) -> str | None:
        return self.router.state(self.index) if self.tracked else None

    def _fault(self, *, trip: bool = False) -> None:
        if not self.tracked:
            return
        self.reported = True
        if self.router.failure(self.index, trip=trip):
            log.info(
                "circuit breaker of %s opened for %g s after repeated faults",
                where(self.target, self.deployment),
                self.router.cooldown,
            )

    def _report(self, status: int | None, server_wait: float | None) -> None:
        """Tell the router what an error answer (or its absence, ``status`` None) says of the target."""
        if not self.tracked:
            return
        if status is None or status >= 500 or status == 408:
            self._fault()
            return
        self.reported = True
        if status == 429:
            self.router.throttled(self.index, server_wait)
        else:
            self._release()

    def _decide(self, status: int | None, headers: Mapping[str, str] | None, *, token: bool = False) -> Decision:
        can_failover = self.multi and self.router.may_fail_over(self.index, self.tried, status)
        decision = decide(
            self.attempts - self.throttles - self.unsent,
            status=status,
            headers=headers,
            elapsed=self.hooks.clock() - self.started,
            options=self.options,
            can_failover=can_failover,
            token_refreshable=token,
            refreshed=self.refreshed,
            rng=self.hooks.rng,
            throttled=self.throttled,
            previous_throttle_wait=self.throttle_wait,
        )
        if (
            can_failover
            and decision.reason == "not_retryable"
            and status is not None
            and not is_retryable_status(status)
        ):
            # a status the user listed in on_status_codes (a 404 where a region lacks the deployment)
            decision = Decision("failover", 0.0)
        if status == 429:
            self.throttles += 1
            if decision.action == "retry":
                self.throttled += decision.wait
                self.throttle_wait = decision.wait
        if decision.action == "fail":
            self.trace.close("fail", decision.reason, breaker=self._breaker())
        if decision.action == "fail" and log.isEnabledFor(logging.DEBUG):
            log.debug(
                "giving up %s on %s after %d attempt(s): %s",
                self.operation,
                where(self.target, self.deployment),
                self.attempts,
                decision.reason,
            )
        return decision

    def _next(self, decision: Decision, why: str) -> Step:
        """The step of a retry or failover decision, logged."""
        self.trace.close(decision.action, why, decision.wait, self._breaker())
        if decision.action == "failover":
            self._failover = True
            self._why = why  # logged by begin(), which knows the next target
            return Step(0.0)
        log.info(
            "retrying %s on %s in %.3g s (attempt %d failed: %s)",
            self.operation,
            where(self.target, self.deployment),
            decision.wait,
            self.attempts,
            why,
        )
        return Step(decision.wait)

    def rejected(self, status: int, headers: Mapping[str, str], body: bytes) -> Step:
        """An error status: the step to take, or raise the typed error."""
        target = self.target
        self.trace.answered(status, headers.get("x-ms-region"))
        hint = with_body_retry_after(status, headers, body)
        # a static token cannot be refreshed: its 401 is final (the diagnosis names its expiry)
        refreshable = target.credential.kind == "token" and getattr(target.credential, "refreshable", True)
        decision = self._decide(status, hint, token=refreshable)
        self._report(status, decision.server_wait)
        self.pacer.refused(status, hint, decision.server_wait, decision.wait)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "HTTP %d from %s: apim-request-id %s, x-ms-region %s, server wait %s",
                status,
                where(target, self.deployment),
                headers.get("apim-request-id") or headers.get("x-request-id"),
                headers.get("x-ms-region"),
                decision.server_wait,
            )
        if decision.action == "fail":
            from shared_core.wire.diagnose import error_from_response  # only on the error path: keeps imports light

            note = note_for(decision.reason, self.options, self.throttled, self.throttles)
            if self.deployment and self.deployment != target.deployment:
                import dataclasses  # error path only: the diagnosis names the deployment really called

                target = dataclasses.replace(target, deployment=self.deployment)
            raise error_from_response(
                status,
                headers,
                body,
                target=target,
                attempts=self.attempts - self.unsent,
                retry_after=decision.server_wait,
                note=note,
            )
        if decision.reason == "refresh":
            self.refreshed = True
            self.trace.close("refresh", "HTTP 401: a new token")
            log.info(
                "replaying %s on %s with a new token (HTTP 401; attempt %d)",
                self.operation,
                where(target, self.deployment),
                self.attempts,
            )
            return Step(0.0, refresh=True, claims=claims_challenge(headers.get("www-authenticate")))
        return self._next(decision, status_reason(status, decision.server_wait))

    def in_band(self, exc: AzureOpenAIError) -> Step:
        """A failure inside a 200 stream before anything was handed out (an error event, a body
        that is not SSE, an end before ``[DONE]``): retry or fail over like an error status (an
        event without a known status like a server fault), or raise ``exc``."""
        status = exc.status if isinstance(exc, APIStatusError) else None
        headers = exc.headers if isinstance(exc, APIStatusError) else None
        decision = self._decide(status, headers)
        self._report(status, decision.server_wait)
        if decision.action == "fail":
            if isinstance(exc, APIStatusError):
                exc.attempts = self.attempts - self.unsent
            raise exc
        if isinstance(exc, APIStatusError):
            why = f"error event in the stream: {status_reason(exc.status, decision.server_wait)}, code {exc.code}"
        else:
            why = f"stream failed before its first token: {faults.scrub(str(exc))[:200]}"
        return self._next(decision, why)

    def failed(self, exc: Exception, *, stream_error: StreamError | None = None) -> Step:
        """No HTTP answer (connection error, timeout), or a stream that stalled or was cut before
        its first token (``stream_error``, raised if no attempt is left): the step to take, or
        raise the typed error."""
        # OSError: custom transports (ASGI apps, test doubles) may raise ConnectionError/TimeoutError raw
        if not isinstance(exc, (httpx.TransportError, httpx.TimeoutException, OSError)):
            raise self._connection_error(exc, kind="invalid") from exc
        kind = faults.kind_of(exc)
        if kind == "invalid":
            raise self._connection_error(exc, kind="invalid") from exc
        # a deployment's first request that got no answer trips its breaker at once (a half-open
        # probe's rule): the calls waiting on it and the next ones go elsewhere, not one by one.
        # The trip comes first: a caller polling before it would become the dead deployment's next probe
        if self.tracked:
            self._fault(trip=self.pacer.unanswered())
        self.pacer.lost()
        decision = self._decide(None, None)
        if decision.action == "fail":
            if stream_error is not None:
                raise stream_error from exc
            if decision.reason == "deadline":
                raise self._deadline_error(exc) from exc
            raise self._connection_error(exc) from exc
        if stream_error is not None:
            why = str(stream_error).split(". ", 1)[0]
        else:
            why = {"timeout": "timed out", "dropped": "connection dropped", "connect": "could not connect"}[kind]
            why = f"{why} ({faults.describe(exc)})"
        return self._next(decision, why)

    def _here(self) -> str:
        return safe_url(self._url) if self._url else safe_url(self.target.base)

    def _connection_error(self, exc: Exception, *, kind: faults.Kind | None = None) -> APIConnectionError:
        return faults.connection_error(exc, url=self._here(), attempts=self.attempts - self.unsent, kind=kind)

    def _deadline_error(self, exc: Exception | None) -> APITimeoutError:
        return faults.deadline_error(
            exc, url=self._here(), attempts=self.attempts - self.unsent, deadline=self.options.deadline
        )


__all__ = [
    "BodyFn",
    "Call",
    "DEFAULT_HOOKS",
    "Hooks",
    "REROUTE",
    "RouteCache",
    "Step",
    "USER_AGENT",
    "VERSION",
    "claims_challenge",
    "encode_json",
    "log",
    "meta_from",
    "safe_url",
    "where",
]
