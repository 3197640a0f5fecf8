"""``CoreClient``: the one object both adapters call. Chat, completions, embeddings, Responses, raw JSON.

Construction is free (no I/O, no httpx client): clients are created on first use, one pooled
``httpx.Client`` per ``CoreClient`` and one ``httpx.AsyncClient`` per event loop (an async pool
cannot outlive its loop; notebooks and ``asyncio.run`` in a loop create several). Clients the user
passes in are used as they are and never closed here. A pickled ``CoreClient`` carries its
targets and options, not live connections (user-supplied clients included): the copy creates its
own on first use.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from shared_core.client_embeddings import (
    EmbeddingPart,
    Progress,
    arun_batches,
    embed_plan,
    embedding_part,
    embedding_result,
    run_batches,
)
from shared_core.client_responses import ResponsesMixin
from shared_core.connection.config import ClientOptions, Target, resolve_target
from shared_core.connection.redact import (
    ascrubbed,
    install_httpx_log_filter,
    scrub_exception,
    scrubbed,
    scrubbed_iter,
)
from shared_core.connection.routes import Route
from shared_core.connection.routing_plan import Node
from shared_core.errors import ConfigurationError
from shared_core.policy import hedging, transport
from shared_core.policy.pacing_store import PacingStore
from shared_core.policy.redis_breakers import fleet_state
from shared_core.policy.routing import Router
from shared_core.policy.transport import DEFAULT_HOOKS, BodyFn, Call, Hooks, RouteCache
from shared_core.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    ResponseMeta,
)
from shared_core.wire.chat import build_chat_body, parse_chat, parse_chat_chunk
from shared_core.wire.completions import build_completion_body, parse_completion, parse_completion_chunk
from shared_core.wire.embeddings import OnTooLong, build_embeddings_body
from shared_core.wire.models import profile_for

if TYPE_CHECKING:
    import asyncio

    from shared_core.connection.regions import Fallback
    from shared_core.connection.routing_config import RoutingSource

_OPTION_FIELDS = frozenset(f.name for f in dataclasses.fields(ClientOptions))


def _close_quietly(http: httpx.Client) -> None:
    """The finalizer of a client we made: its pooled sockets close now, not in the collector."""
    try:
        http.close()
    except Exception:  # interpreter shutdown: nothing left to report to
        pass


class CoreClient(ResponsesMixin):
    """Calls Azure OpenAI (or OpenAI) for the adapters: retries, failover, typed errors, metadata.

    ``targets`` are tried by weight, failing over on connection errors, 5xx and 429 when there
    are several. ``model=`` on a call overrides the deployment for that call (the URL on the dated
    API, the body's ``model`` on v1 / OpenAI). ``hooks`` replaces sleep/clock/RNG (tests).
    """

    def __init__(
        self,
        targets: Target | Sequence[Target],
        *,
        options: ClientOptions | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        hooks: Hooks | None = None,
        plan: Node | None = None,
    ) -> None:
        self.targets: tuple[Target, ...] = (targets,) if isinstance(targets, Target) else tuple(targets)
        if not self.targets:
            raise ConfigurationError("CoreClient needs at least one target", setting="targets")
        self.options = options if options is not None else ClientOptions()
        self._hooks = hooks if hooks is not None else DEFAULT_HOOKS
        self._user_http = http_client
        self._user_ahttp = http_async_client
        self._http: httpx.Client | None = None
        self._http_closer: weakref.finalize[Any, Any] | None = None
        self._ahttp: httpx.AsyncClient | None = None
        self._ahttp_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._lock = threading.Lock()
        self._routes: RouteCache = {}
        self._latencies = hedging.Latencies()
        self._plan = plan  # the routing tree (routing_plan.py); None: by weights, as fallbacks= / load_balancing=
        self._pacing: PacingStore | None
        self._pacing, fleet = fleet_state(self.options.shared_state, self.targets)  # Redis, when configured
        h = self._hooks
        self._router = Router([t.weight for t in self.targets], clock=h.clock, rng=h.rng, plan=plan, shared=fleet)
        install_httpx_log_filter()

    @classmethod
    @scrubbed  # its errors may quote a pasted URL, query keys included
    def from_settings(cls, **kwargs: Any) -> CoreClient:
        """``resolve_target(**)`` + ``ClientOptions(**)`` (+ ``http_client`` / ``http_async_client``)."""
        http_client = kwargs.pop("http_client", None)
        http_async_client = kwargs.pop("http_async_client", None)
        options = ClientOptions(**{k: kwargs.pop(k) for k in list(kwargs) if k in _OPTION_FIELDS})
        return cls(
            resolve_target(**kwargs), options=options, http_client=http_client, http_async_client=http_async_client
        )

    def __repr__(self) -> str:
        names = ", ".join(t.name for t in self.targets)
        return f"CoreClient(targets=[{names}])"

    # -- httpx clients -------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._user_http is not None:
            return self._user_http
        http = self._http
        if http is None or http.is_closed:
            with self._lock:
                http = self._http
                if http is None or http.is_closed:
                    if self._http_closer is not None:
                        self._http_closer()
                    http = self._http = transport.new_client(self.options)
                    # a dropped client (no close(), no with-block) closes its sockets when collected
                    self._http_closer = weakref.finalize(self, _close_quietly, http)
        return http

    def _aclient(self) -> httpx.AsyncClient:
        if self._user_ahttp is not None:
            return self._user_ahttp
        import asyncio

        loop = asyncio.get_running_loop()
        http = self._ahttp
        if http is None or http.is_closed or self._ahttp_loop is None or self._ahttp_loop() is not loop:
            # a pool belongs to the loop it was made on; the old loop's pool is abandoned, not closed
            http = self._ahttp = transport.new_async_client(self.options)
            self._ahttp_loop = weakref.ref(loop)
        return http

    def close(self) -> None:
        """Close the sync client this object created (never a user-supplied one)."""
        self._http = None
        closer, self._http_closer = self._http_closer, None
        if closer is not None:
            closer()

    async def aclose(self) -> None:
        """Close the clients this object created (never user-supplied ones)."""
        import asyncio

        self.close()
        http, self._ahttp = self._ahttp, None
        loop = self._ahttp_loop() if self._ahttp_loop else None
        self._ahttp_loop = None
        if http is not None and loop is asyncio.get_running_loop():
            await http.aclose()

    def __enter__(self) -> CoreClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> CoreClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "targets": self.targets,
            "options": self.options,
            "hooks": None if self._hooks is DEFAULT_HOOKS else self._hooks,
            "plan": self._plan,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["targets"], options=state["options"], hooks=state["hooks"], plan=state.get("plan")
        )

    # -- calls ---------------------------------------------------------------------------------

    def _hedging(self, req: ChatRequest) -> dict[str, Any]:
        # a stored completion (store: true) is a conversation Azure keeps: never sent twice
        stored = bool(req.extra_body.get("store"))
        return {"option": self.options.hedge_after, "stored": stored, "latencies": self._latencies}

    @staticmethod
    def _chat_body(req: ChatRequest, model: str | None) -> BodyFn:
        def body(target: Target, route: Route) -> dict[str, Any]:
            profile = profile_for(req.model, model or target.deployment)
            return build_chat_body(req, profile=profile, body_model=route.body_model, api_version=target.api_version)

        return body

    @staticmethod
    def _completion_body(req: CompletionRequest) -> BodyFn:
        def body(target: Target, route: Route) -> dict[str, Any]:
            return build_completion_body(req, body_model=route.body_model, api_version=target.api_version)

        return body

    @scrubbed
    def chat(
        self,
        req: ChatRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> ChatResult:
        """One chat completion (``req.stream`` is ignored: use :meth:`stream_chat`)."""
        if req.stream:
            req = dataclasses.replace(req, stream=False)
        make = functools.partial(
            self._call, "chat/completions", self._chat_body(req, model), deployment=model, timeout=timeout,
            headers=headers, params=params,
        )  # fmt: skip
        data, meta = hedging.send_hedged(self._client(), make(), make, transport.send_answer, **self._hedging(req))
        return parse_chat(data, meta)

    @ascrubbed
    async def achat(
        self,
        req: ChatRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> ChatResult:
        """Async :meth:`chat`."""
        if req.stream:
            req = dataclasses.replace(req, stream=False)
        make = functools.partial(
            self._call, "chat/completions", self._chat_body(req, model), deployment=model, timeout=timeout,
            headers=headers, params=params,
        )  # fmt: skip
        data, meta = await hedging.asend_hedged(
            self._aclient(), make(), make, transport.asend_answer, **self._hedging(req)
        )
        return parse_chat(data, meta)

    def stream_chat(
        self,
        req: ChatRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Iterator[ChatDelta]:
        """Streamed chat: deltas as they arrive (the first carries ``meta``). Fold them with
        ``StreamAccumulator``. Retries and failover happen only before the first content delta."""
        if not req.stream:
            req = dataclasses.replace(req, stream=True)
        call = self._call(
            "chat/completions",
            self._chat_body(req, model),
            deployment=model,
            timeout=timeout,
            headers=headers,
            params=params,
        )
        return scrubbed_iter(transport.stream_deltas(self._client(), call, parse_chat_chunk))

    def astream_chat(
        self,
        req: ChatRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[ChatDelta]:
        """Async :meth:`stream_chat` (an async iterator; the request starts on first iteration)."""
        if not req.stream:
            req = dataclasses.replace(req, stream=True)
        call = self._call(
            "chat/completions",
            self._chat_body(req, model),
            deployment=model,
            timeout=timeout,
            headers=headers,
            params=params,
        )
        return self._astream(call, parse_chat_chunk)

    async def _astream(self, call: Call, parse: Callable[[dict[str, Any]], ChatDelta]) -> AsyncIterator[ChatDelta]:
        try:
            async for delta in transport.astream_deltas(self._aclient(), call, parse):
                yield delta
        except Exception as exc:
            scrub_exception(exc)
            raise

    @scrubbed
    def complete(
        self,
        req: CompletionRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> ChatResult:
        """Legacy ``/completions``: the text is in ``Choice.text``."""
        if req.stream:
            req = dataclasses.replace(req, stream=False)
        call = self._call(
            "completions", self._completion_body(req), deployment=model, timeout=timeout, headers=headers, params=params
        )
        data, meta = transport.send_answer(self._client(), call)
        return parse_completion(data, meta)

    @ascrubbed
    async def acomplete(
        self,
        req: CompletionRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> ChatResult:
        """Async :meth:`complete`."""
        if req.stream:
            req = dataclasses.replace(req, stream=False)
        call = self._call(
            "completions", self._completion_body(req), deployment=model, timeout=timeout, headers=headers, params=params
        )
        data, meta = await transport.asend_answer(self._aclient(), call)
        return parse_completion(data, meta)

    def stream_complete(
        self,
        req: CompletionRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Iterator[ChatDelta]:
        """Streamed legacy completion (``ChatDelta.text``)."""
        if not req.stream:
            req = dataclasses.replace(req, stream=True)
        call = self._call(
            "completions", self._completion_body(req), deployment=model, timeout=timeout, headers=headers, params=params
        )
        return scrubbed_iter(transport.stream_deltas(self._client(), call, parse_completion_chunk))

    def astream_complete(
        self,
        req: CompletionRequest,
        *,
        model: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[ChatDelta]:
        """Async :meth:`stream_complete`."""
        if not req.stream:
            req = dataclasses.replace(req, stream=True)
        call = self._call(
            "completions", self._completion_body(req), deployment=model, timeout=timeout, headers=headers, params=params
        )
        return self._astream(call, parse_completion_chunk)

    # -- embeddings ----------------------------------------------------------------------------

    def _embed_call(
        self,
        inputs: list[str],
        dimensions: int | None,
        model: str | None,
        timeout: float | httpx.Timeout | None,
        headers: Mapping[str, str] | None,
    ) -> Call:
        def body(target: Target, route: Route) -> dict[str, Any]:
            return build_embeddings_body(inputs, body_model=route.body_model, dimensions=dimensions)

        return self._call("embeddings", body, deployment=model, timeout=timeout, headers=headers)

    @scrubbed
    def embed(
        self,
        texts: Sequence[str],
        *,
        dimensions: int | None = None,
        model: str | None = None,
        batch_size: int = 2048,
        max_concurrency: int = 4,
        on_too_long: OnTooLong = "error",
        progress: Progress | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EmbeddingResult:
        """Embed ``texts`` (vectors in input order), batching and running up to ``max_concurrency``
        requests at once (adaptive below that: ``client_embeddings.Concurrency``). ``progress(done,
        total)`` counts inputs after each request; a callback taking a third argument also gets an
        ``EmbedProgress`` (throughput, concurrency, the deployment's remaining budget)."""
        sent, owners, batches = embed_plan(texts, batch_size, on_too_long)
        http = self._client()

        def run(k: int) -> EmbeddingPart:
            call = self._embed_call([sent[i] for i in batches[k]], dimensions, model, timeout, headers)
            data, meta = transport.send_answer(http, call)
            return embedding_part(data, meta)

        results = run_batches(run, batches, max_concurrency, progress, len(sent))
        return embedding_result(results, batches, owners, sent, len(texts))

    @ascrubbed
    async def aembed(
        self,
        texts: Sequence[str],
        *,
        dimensions: int | None = None,
        model: str | None = None,
        batch_size: int = 2048,
        max_concurrency: int = 4,
        on_too_long: OnTooLong = "error",
        progress: Progress | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EmbeddingResult:
        """Async :meth:`embed`: at most ``max_concurrency`` requests in flight, order preserved."""
        sent, owners, batches = embed_plan(texts, batch_size, on_too_long)
        http = self._aclient()

        async def run(k: int) -> EmbeddingPart:
            call = self._embed_call([sent[i] for i in batches[k]], dimensions, model, timeout, headers)
            data, meta = await transport.asend_answer(http, call)
            return embedding_part(data, meta)

        results = await arun_batches(run, batches, max_concurrency, progress, len(sent))
        return embedding_result(results, batches, owners, sent, len(texts))

    # -- raw JSON (media, files, batches, fine-tuning) -------------------------------------------

    @staticmethod
    def _raw_body(body: Mapping[str, Any] | None, files: Any) -> BodyFn:
        def build(target: Target, route: Route) -> dict[str, Any] | None:
            if body is None and not (route.body_model and (files is not None or route.method == "POST")):
                return None
            out = dict(body or {})
            if route.body_model and "model" not in out:
                out["model"] = route.body_model
            return out

        return build

    @scrubbed
    def request_json(
        self,
        operation: str,
        body: Mapping[str, Any] | None = None,
        *,
        method: str = "POST",
        files: Any = None,
        model: str | None = None,
        suffix: str = "",
        params: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any] | bytes, ResponseMeta]:
        """Any operation: JSON body (or multipart form fields next to ``files``) in, parsed JSON
        (or bytes for audio / file content) out. ``suffix`` extends the path (``"/{id}/cancel"``)."""
        call = self._call(
            operation,
            self._raw_body(body, files),
            deployment=model,
            method=method,
            suffix=suffix,
            timeout=timeout,
            headers=headers,
            files=files,
            params=params,
        )
        data, meta = transport.send_json(self._client(), call)
        return data, meta

    @ascrubbed
    async def arequest_json(
        self,
        operation: str,
        body: Mapping[str, Any] | None = None,
        *,
        method: str = "POST",
        files: Any = None,
        model: str | None = None,
        suffix: str = "",
        params: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any] | bytes, ResponseMeta]:
        """Async :meth:`request_json`."""
        call = self._call(
            operation,
            self._raw_body(body, files),
            deployment=model,
            method=method,
            suffix=suffix,
            timeout=timeout,
            headers=headers,
            files=files,
            params=params,
        )
        data, meta = await transport.asend_json(self._aclient(), call)
        return data, meta


def client_from_settings(
    *,
    fallbacks: Sequence[Fallback] | None = None,
    load_balancing: str = "priority",
    routing: RoutingSource | None = None,
    **settings: Any,
) -> CoreClient:
    """``CoreClient.from_settings`` with fallbacks: the primary's settings (``resolve_target`` and
    ``ClientOptions`` keyword arguments, ``http_client``, ``http_async_client``, ``env``) plus
    ``fallbacks`` and ``load_balancing``; or, with ``routing`` (a Portkey-shaped config: a dict or
    the path of a JSON / YAML file, see ``shared_core.connection.routing_config``), every target
    from it and only ``ClientOptions`` / HTTP clients / ``env`` from ``settings``."""
    from shared_core.connection.regions import resolve_targets

    http_client = settings.pop("http_client", None)
    http_async_client = settings.pop("http_async_client", None)
    env = settings.pop("env", None)
    options = ClientOptions(**{k: settings.pop(k) for k in list(settings) if k in _OPTION_FIELDS})
    if routing is not None:
        from shared_core.connection.routing_config import refuse_beside_routing, resolve_routing

        refuse_beside_routing(settings, fallbacks)
        targets, plan = resolve_routing(routing, env=env)
        return CoreClient(
            targets, options=options, http_client=http_client, http_async_client=http_async_client, plan=plan
        )
    targets = resolve_targets(settings, fallbacks, load_balancing=load_balancing, env=env)
    return CoreClient(targets, options=options, http_client=http_client, http_async_client=http_async_client)


__all__ = ["CoreClient", "client_from_settings"]
