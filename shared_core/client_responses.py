"""The Responses API on ``CoreClient`` (a mixin): create, stream, resume a dropped stream; the
calls by id (retrieve, delete, cancel, list input items, poll) are in ``client_responses_stored``.

Every decision is made once here or in the sans-I/O pieces it uses (``wire.responses``,
``wire.responses_stream``, ``policy.responses_streaming``, the shared :class:`Call`); the sync and
async methods only differ in ``await``.

Routing. A stateless call (no ``previous_response_id``) is an ordinary call: retries, failover and
breakers as for chat. A call that continues a stored response (``previous_response_id``, or
retrieve / cancel / delete / list / resume of a response id) goes only to the target that stored
it, because another region's resource does not have it: the client remembers which target
answered each stored response it has seen (``target=`` names it for ids from elsewhere; an unknown
id goes to the first target). Such a call retries on its target but never fails over, and its
error says which target holds the response.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx

from shared_core.client_responses_stored import OPERATION, Pin, Progress, StoredResponsesMixin
from shared_core.connection.config import Target
from shared_core.connection.redact import ascrubbed, scrub_exception, scrubbed, scrubbed_iter
from shared_core.connection.routes import Route
from shared_core.errors import StreamError
from shared_core.policy import transport
from shared_core.policy.responses_streaming import astream_events, stream_events
from shared_core.policy.transport import BodyFn, Call
from shared_core.types_responses import ResponseEvent, ResponsesRequest, ResponsesResult
from shared_core.wire.responses import build_responses_body, parse_response

#: resumes of one background stream at most (each one a GET ...?stream=true&starting_after=N)
MAX_RESUMES = 5


class _Stream:
    """The state of one user-level stream across resumes: what was seen, whether to resume."""

    __slots__ = ("owner", "resumable", "response_id", "last_sequence", "target", "resumes", "done")

    def __init__(self, owner: ResponsesMixin, resumable: bool, target: int | None) -> None:
        self.owner = owner
        self.resumable = resumable
        self.response_id: str | None = None
        self.last_sequence: int | None = None
        self.target = target
        self.resumes = 0
        self.done = False

    def see(self, ev: ResponseEvent) -> None:
        if ev.sequence_number is not None:
            self.last_sequence = ev.sequence_number
        r = ev.response
        if r is not None:
            self.response_id = r.id or self.response_id
            if r.background:
                self.resumable = True
            if self.target is None and r.meta is not None:
                self.target = self.owner._target_index(r.meta)
            self.owner._checked(r)
            if r.done:
                self.done = True

    def resume_point(self, exc: StreamError) -> int:
        """``starting_after`` of the next resume, or re-raise ``exc`` (not resumable, or spent)."""
        if not self.resumable or self.response_id is None or self.last_sequence is None or self.done:
            raise exc
        if self.resumes >= MAX_RESUMES:
            exc.message += f" (resumed {self.resumes} times already; azoai gave up)"
            exc.args = (exc.message,)
            raise exc
        self.resumes += 1
        return self.last_sequence


class ResponsesMixin(StoredResponsesMixin):
    """The Responses API methods of :class:`~shared_core.client.CoreClient`."""

    @staticmethod
    def _body(req: ResponsesRequest, model: str | None, stream: bool) -> BodyFn:
        if req.stream != stream:
            req = dataclasses.replace(req, stream=stream)

        def body(target: Target, route: Route) -> dict[str, Any]:
            return build_responses_body(req, deployment=model or target.deployment)

        return body

    def _create_call(
        self,
        req: ResponsesRequest,
        stream: bool,
        model: str | None,
        target: str | None,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
    ) -> tuple[Call, Pin | None]:
        """The call of a create, and (id, target, known) when it continues a stored response."""
        body = self._body(req, model, stream)
        if req.previous_response_id or target is not None:
            rid = req.previous_response_id or ""
            index, known = self._home(rid, target)
            call = self._call(
                OPERATION, body, deployment=model, timeout=timeout, headers=headers, params=params, pinned=index
            )
            return call, ((rid, index, known) if rid else None)
        call = self._call(OPERATION, body, deployment=model, timeout=timeout, headers=headers, params=params)
        return call, None

    # -- create --------------------------------------------------------------------------------

    @scrubbed
    def create_response(
        self,
        req: ResponsesRequest,
        *,
        model: str | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> ResponsesResult:
        """``POST /responses`` (``req.stream`` is ignored: use :meth:`stream_response`). A blocked
        input raises ``ContentFilterError``; a filtered output is reported (``output_filtered``)."""
        call, pin = self._create_call(req, False, model, target, timeout, headers, params)
        try:
            data, meta = transport.send_answer(self._client(), call)
        except Exception as exc:
            self._pin_error(exc, pin)
            raise
        return self._checked(parse_response(data, meta))

    @ascrubbed
    async def acreate_response(
        self,
        req: ResponsesRequest,
        *,
        model: str | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> ResponsesResult:
        """Async :meth:`create_response`."""
        call, pin = self._create_call(req, False, model, target, timeout, headers, params)
        try:
            data, meta = await transport.asend_answer(self._aclient(), call)
        except Exception as exc:
            self._pin_error(exc, pin)
            raise
        return self._checked(parse_response(data, meta))

    # -- stream --------------------------------------------------------------------------------

    def stream_response(
        self,
        req: ResponsesRequest,
        *,
        model: str | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Iterator[ResponseEvent]:
        """Streamed ``POST /responses``: typed events as they arrive (fold them with
        ``ResponseStreamAccumulator``). Retries and failover happen only before the first output
        event; a background stream cut later resumes from its last ``sequence_number``."""
        call, pin = self._create_call(req, True, model, target, timeout, headers, params)
        state = _Stream(self, bool(req.background), pin[1] if pin else None)
        return scrubbed_iter(self._events(call, state, None, pin, timeout, headers))

    def resume_response_stream(
        self,
        response_id: str,
        *,
        starting_after: int | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[ResponseEvent]:
        """``GET /responses/{id}?stream=true&starting_after=N``: the events of a stored (background)
        response after sequence number ``starting_after`` (all of them when None)."""
        call, pin = self._resume_call(response_id, starting_after, target, timeout, headers)
        state = _Stream(self, True, pin[1])
        state.response_id, state.last_sequence = response_id, starting_after
        return scrubbed_iter(self._events(call, state, starting_after, pin, timeout, headers))

    def _resume_call(
        self,
        response_id: str,
        starting_after: int | None,
        target: str | None,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[Call, Pin]:
        params = {"stream": "true"}
        if starting_after is not None:
            params["starting_after"] = str(int(starting_after))
        return self._id_call(response_id, target, timeout=timeout, headers=headers, params=params)

    def _next_resume(
        self,
        exc: StreamError,
        state: _Stream,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[Call, int, Pin]:
        after = state.resume_point(exc)
        assert state.response_id is not None
        name = self.targets[state.target].name if state.target is not None else None
        call, pin = self._resume_call(state.response_id, after, name, timeout, headers)
        return call, after, pin

    def _events(
        self,
        call: Call,
        state: _Stream,
        after: int | None,
        pin: Pin | None,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
    ) -> Iterator[ResponseEvent]:
        http = self._client()
        while True:
            try:
                for ev in stream_events(http, call, starting_after=after):
                    state.see(ev)
                    yield ev
                return
            except StreamError as exc:
                call, after, pin = self._next_resume(exc, state, timeout, headers)
            except Exception as exc:
                self._pin_error(exc, pin)
                raise

    def astream_response(
        self,
        req: ResponsesRequest,
        *,
        model: str | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[ResponseEvent]:
        """Async :meth:`stream_response` (the request starts on first iteration)."""
        call, pin = self._create_call(req, True, model, target, timeout, headers, params)
        state = _Stream(self, bool(req.background), pin[1] if pin else None)
        return self._aevents(call, state, None, pin, timeout, headers)

    def aresume_response_stream(
        self,
        response_id: str,
        *,
        starting_after: int | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[ResponseEvent]:
        """Async :meth:`resume_response_stream`."""
        call, pin = self._resume_call(response_id, starting_after, target, timeout, headers)
        state = _Stream(self, True, pin[1])
        state.response_id, state.last_sequence = response_id, starting_after
        return self._aevents(call, state, starting_after, pin, timeout, headers)

    async def _aevents(
        self,
        call: Call,
        state: _Stream,
        after: int | None,
        pin: Pin | None,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
    ) -> AsyncIterator[ResponseEvent]:
        http = self._aclient()
        while True:
            try:
                async for ev in astream_events(http, call, starting_after=after):
                    state.see(ev)
                    yield ev
                return
            except StreamError as exc:
                try:
                    call, after, pin = self._next_resume(exc, state, timeout, headers)
                except Exception as final:
                    scrub_exception(final)
                    raise
            except Exception as exc:
                self._pin_error(exc, pin)
                scrub_exception(exc)
                raise


__all__ = ["MAX_RESUMES", "OPERATION", "Progress", "ResponsesMixin"]
