"""What ``CoreClient`` holds that its methods and mixins share, and ``_call``: the one way they make a
:class:`~shared_core.policy.transport.Call` (targets, router, options, hooks, route cache and pacing).

A base class rather than a Protocol, so that ``_call``'s signature is written once: the mixins
(``client_responses*``) inherit it, and ``CoreClient.__init__`` sets the state declared here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from shared_core.connection.config import ClientOptions, Target
from shared_core.policy.pacing_store import PacingStore
from shared_core.policy.routing import Router
from shared_core.policy.transport import BodyFn, Call, Hooks, RouteCache


class ClientHost:
    """The state ``CoreClient`` sets up, and the calls made from it."""

    if TYPE_CHECKING:
        targets: tuple[Target, ...]
        options: ClientOptions
        _hooks: Hooks
        _router: Router
        _routes: RouteCache
        _pacing: PacingStore | None

        def _client(self) -> httpx.Client: ...
        def _aclient(self) -> httpx.AsyncClient: ...

    def _call(
        self,
        operation: str,
        body_fn: BodyFn,
        *,
        deployment: str | None = None,
        method: str = "POST",
        suffix: str = "",
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        params: Mapping[str, str | Sequence[str]] | None = None,
        pinned: int | None = None,
    ) -> Call:
        """A call to the targets by the router's choice, or only to target ``pinned`` (its index)."""
        return Call(
            self.targets,
            self._router,
            self.options,
            operation,
            body_fn,
            method=method,
            deployment=deployment,
            suffix=suffix,
            timeout=timeout,
            headers=headers,
            files=files,
            params=params,
            hooks=self._hooks,
            routes=self._routes,
            pacing=self._pacing,
            pinned=pinned,
        )
