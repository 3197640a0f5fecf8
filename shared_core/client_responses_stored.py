"""Stored Responses on ``CoreClient``: where each stored response lives, and the calls by id
(retrieve, cancel, delete, list input items, poll a background response).

A call that continues a stored response goes only to the target that stored it, because another
region's resource does not have it: the client remembers which target answered each stored
response it has seen (``target=`` names it for ids from elsewhere; an unknown id goes to the first
target). Such a call retries on its target but never fails over, and its error says which target
holds the response. Sync and async methods share every decision (``_id_call``, ``_pin_error``,
``_poll_wait``) and differ only in ``await``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from shared_core.client_host import ClientHost
from shared_core.connection.config import Target
from shared_core.connection.redact import ascrubbed, scrubbed
from shared_core.connection.routes import Route
from shared_core.errors import APIConnectionError, APIStatusError, APITimeoutError, ConfigurationError
from shared_core.policy import transport
from shared_core.policy.transport import Call
from shared_core.types import ResponseMeta
from shared_core.types_responses import InputItemsPage, ResponsesResult
from shared_core.wire.responses import blocked_prompt, parse_input_items, parse_response, prompt_blocked_error

OPERATION = "responses"
#: stored response ids remembered per client (id -> index of the target that stored it)
_REMEMBERED = 4096
Progress = Callable[[ResponsesResult], None]
#: query parameters of a call by id (``include[]`` repeats)
Query = Mapping[str, "str | Sequence[str]"]
#: (response id, index of its target, whether that target is known rather than assumed)
Pin = tuple[str, int, bool]


def _include(include: Sequence[str] | None) -> Query | None:
    """``include[]`` of a GET by id, repeated per value as the openai SDK sends it (Azure's getResponse
    takes it: Azure/azure-rest-api-specs specification/ai/data-plane/OpenAI.v1, query ``include[]``)."""
    if include is None:
        return None
    if isinstance(include, str) or not all(isinstance(v, str) for v in include):
        raise ConfigurationError(
            f"include must be a list of strings such as ['reasoning.encrypted_content'], not {include!r}",
            setting="include",
        )
    return {"include[]": list(include)} if include else None


class StoredResponsesMixin(ClientHost):
    """The routing memory of stored responses and the Responses calls by id."""

    # -- which target ------------------------------------------------------------------------

    @property
    def _stored_at(self) -> dict[str, int]:
        stored: dict[str, int] | None = self.__dict__.get("_responses_stored_at")
        if stored is None:
            stored = self.__dict__["_responses_stored_at"] = {}
        return stored

    def _target_index(self, meta: ResponseMeta) -> int | None:
        for i, t in enumerate(self.targets):
            if t.name == meta.target:
                return i
        return None

    def _remember(self, result: ResponsesResult) -> None:
        if not result.id or result.meta is None or result.raw.get("store") is False:
            return
        index = self._target_index(result.meta)
        if index is None:
            return
        stored = self._stored_at
        if len(stored) >= _REMEMBERED and result.id not in stored:
            stored.pop(next(iter(stored)))
        stored[result.id] = index

    def _home(self, response_id: str, target: str | None) -> tuple[int, bool]:
        """(index of the target holding ``response_id``, whether that is known rather than assumed)."""
        if target is not None:
            for i, t in enumerate(self.targets):
                if t.name == target:
                    return i, True
            names = ", ".join(repr(t.name) for t in self.targets)
            raise ConfigurationError(
                f"target={target!r} is not one of this client's targets ({names})", setting="target"
            )
        index = self._stored_at.get(response_id)
        return (0, len(self.targets) == 1) if index is None else (index, True)

    def _checked(self, result: ResponsesResult) -> ResponsesResult:
        """Raise for a blocked input (as chat does); remember where a stored response lives."""
        blocked = blocked_prompt(result)
        if blocked is not None:
            raise prompt_blocked_error(blocked, result.meta)
        self._remember(result)
        return result

    # -- calls ---------------------------------------------------------------------------------

    def _id_call(
        self,
        response_id: str,
        target: str | None,
        *,
        method: str = "GET",
        tail: str = "",
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Query | None = None,
    ) -> tuple[Call, Pin]:
        if not response_id or not isinstance(response_id, str):
            raise ConfigurationError("response_id must be the id of a response (resp_...)", setting="response_id")
        index, known = self._home(response_id, target)

        def no_body(target: Target, route: Route) -> None:
            return None

        suffix = "/" + quote(response_id, safe="") + tail
        call = self._call(
            OPERATION,
            no_body,
            method=method,
            suffix=suffix,
            timeout=timeout,
            headers=headers,
            params=params,
            pinned=index,
        )
        return call, (response_id, index, known)

    def _pin_error(self, exc: Exception, pin: Pin | None) -> None:
        """Say in the error of a pinned call which target holds the response, and why no failover."""
        if pin is None or len(self.targets) == 1 or not isinstance(exc, (APIConnectionError, APIStatusError)):
            return
        rid, index, known = pin
        t = self.targets[index]
        where = f"target {t.name!r} ({httpx.URL(t.base).host})"
        if isinstance(exc, APIStatusError) and exc.status == 404 and not known:
            note = (
                f" azoai did not know which target stored response {rid!r} and asked the first one, {where}:"
                " pass target='<name>' to name the target that created it."
            )
        elif isinstance(exc, (APIConnectionError, APITimeoutError)) or (
            isinstance(exc, APIStatusError) and (exc.status >= 500 or exc.status in (408, 429))
        ):
            note = (
                f" Response {rid!r} is stored on {where} and only there, so azoai did not fail over"
                " (another target does not have it): retry when that target is back, or continue"
                " statelessly (store=False, include=['reasoning.encrypted_content'], full input)."
            )
            if self._router.state(index) == "open":
                note += " Its circuit breaker is open after repeated faults: other calls avoid it for now."
        else:
            return
        exc.message += note
        exc.args = (exc.message,)

    # -- by id ---------------------------------------------------------------------------------

    def _by_id(
        self,
        response_id: str,
        target: str | None,
        method: str,
        tail: str,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
        params: Query | None = None,
    ) -> tuple[dict[str, Any], ResponseMeta]:
        call, pin = self._id_call(
            response_id, target, method=method, tail=tail, timeout=timeout, headers=headers, params=params
        )
        try:
            return transport.send_answer(self._client(), call)
        except Exception as exc:
            self._pin_error(exc, pin)
            raise

    async def _aby_id(
        self,
        response_id: str,
        target: str | None,
        method: str,
        tail: str,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
        params: Query | None = None,
    ) -> tuple[dict[str, Any], ResponseMeta]:
        call, pin = self._id_call(
            response_id, target, method=method, tail=tail, timeout=timeout, headers=headers, params=params
        )
        try:
            return await transport.asend_answer(self._aclient(), call)
        except Exception as exc:
            self._pin_error(exc, pin)
            raise

    @scrubbed
    def retrieve_response(
        self,
        response_id: str,
        *,
        include: Sequence[str] | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ResponsesResult:
        """``GET /responses/{id}`` on the target that stored it; ``include`` asks for the includable
        fields of the output (``["reasoning.encrypted_content"]``: the query's ``include[]``)."""
        data, meta = self._by_id(response_id, target, "GET", "", timeout, headers, _include(include))
        return self._checked(parse_response(data, meta))

    @ascrubbed
    async def aretrieve_response(
        self,
        response_id: str,
        *,
        include: Sequence[str] | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ResponsesResult:
        """Async :meth:`retrieve_response`."""
        data, meta = await self._aby_id(response_id, target, "GET", "", timeout, headers, _include(include))
        return self._checked(parse_response(data, meta))

    @scrubbed
    def cancel_response(
        self,
        response_id: str,
        *,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ResponsesResult:
        """``POST /responses/{id}/cancel`` (background responses only): the response, ``cancelled``."""
        data, meta = self._by_id(response_id, target, "POST", "/cancel", timeout, headers)
        return self._checked(parse_response(data, meta))

    @ascrubbed
    async def acancel_response(
        self,
        response_id: str,
        *,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ResponsesResult:
        """Async :meth:`cancel_response`."""
        data, meta = await self._aby_id(response_id, target, "POST", "/cancel", timeout, headers)
        return self._checked(parse_response(data, meta))

    @scrubbed
    def delete_response(
        self,
        response_id: str,
        *,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """``DELETE /responses/{id}``: True when Azure says it was deleted."""
        data, _ = self._by_id(response_id, target, "DELETE", "", timeout, headers)
        self._stored_at.pop(response_id, None)
        return bool(data.get("deleted"))

    @ascrubbed
    async def adelete_response(
        self,
        response_id: str,
        *,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Async :meth:`delete_response`."""
        data, _ = await self._aby_id(response_id, target, "DELETE", "", timeout, headers)
        self._stored_at.pop(response_id, None)
        return bool(data.get("deleted"))

    @staticmethod
    def _page_params(after: str | None, limit: int | None, order: str | None) -> dict[str, str]:
        params = {}
        if after is not None:
            params["after"] = after
        if limit is not None:
            params["limit"] = str(int(limit))
        if order is not None:
            params["order"] = order
        return params

    @scrubbed
    def list_input_items(
        self,
        response_id: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        order: str | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> InputItemsPage:
        """``GET /responses/{id}/input_items``: one page of the items the response was given."""
        params = self._page_params(after, limit, order)
        data, meta = self._by_id(response_id, target, "GET", "/input_items", timeout, headers, params)
        return parse_input_items(data, meta)

    @ascrubbed
    async def alist_input_items(
        self,
        response_id: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        order: str | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> InputItemsPage:
        """Async :meth:`list_input_items`."""
        params = self._page_params(after, limit, order)
        data, meta = await self._aby_id(response_id, target, "GET", "/input_items", timeout, headers, params)
        return parse_input_items(data, meta)

    # -- background ----------------------------------------------------------------------------

    def _poll_wait(self, result: ResponsesResult, started: float, interval: float, max_wait: float) -> float | None:
        """Seconds to wait before the next poll; None when ``result`` is final. Raises
        ``APITimeoutError`` when ``max_wait`` is spent (the response keeps running on Azure)."""
        if result.done:
            return None
        if interval <= 0 or max_wait < 0:
            raise ConfigurationError("poll interval must be > 0 and max_wait >= 0", setting="interval")
        left = max_wait - (self._hooks.clock() - started)
        if left <= 0:
            raise APITimeoutError(
                f"Response {result.id!r} is still {result.status!r} after {max_wait:g} s of polling."
                " It keeps running on Azure: poll again later (poll_response), or stop it with"
                " cancel_response.",
                url=result.meta.url if result.meta else None,
            )
        return min(interval, left)

    @scrubbed
    def poll_response(
        self,
        response_id: str,
        *,
        interval: float = 2.0,
        max_wait: float = 600.0,
        progress: Progress | None = None,
        include: Sequence[str] | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> ResponsesResult:
        """Retrieve a background response every ``interval`` s until it is final (completed,
        incomplete, failed, cancelled), at most ``max_wait`` s; ``progress(result)`` after each poll."""
        started = self._hooks.clock()
        while True:
            result = self.retrieve_response(response_id, include=include, target=target, timeout=timeout)
            if progress is not None:
                progress(result)
            wait = self._poll_wait(result, started, interval, max_wait)
            if wait is None:
                return result
            self._hooks.sleep(wait)

    @ascrubbed
    async def apoll_response(
        self,
        response_id: str,
        *,
        interval: float = 2.0,
        max_wait: float = 600.0,
        progress: Progress | Callable[[ResponsesResult], Awaitable[None]] | None = None,
        include: Sequence[str] | None = None,
        target: str | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> ResponsesResult:
        """Async :meth:`poll_response` (``progress`` may be a coroutine function)."""
        started = self._hooks.clock()
        while True:
            result = await self.aretrieve_response(response_id, include=include, target=target, timeout=timeout)
            if progress is not None:
                out = progress(result)
                if out is not None:
                    await out
            wait = self._poll_wait(result, started, interval, max_wait)
            if wait is None:
                return result
            await self._hooks.asleep(wait)


__all__ = ["OPERATION", "Pin", "Progress", "StoredResponsesMixin"]
