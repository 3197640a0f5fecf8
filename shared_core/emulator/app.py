"""The emulator as a plain ASGI application: routing, auth, api-versions, headers, limits, faults.

Order of checks follows Azure: path and api-version (404), credentials (401), deployment (404 /
400 on v1), operation vs model kind (400), faults, rate limit (429), request validation (400),
content filter (400), answer. Every failure is an Azure-shaped body; nothing returns a traceback.

Usable in-process with ``httpx.ASGITransport(app=create_app())`` and served by ``server.py``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from typing import Any

from . import azure, ops, ops_media, rules
from .azure import AzureError
from .config import Deployment, EmulatorConfig, FaultSpec, config_from_dict
from .faults import Decision, FaultState
from .jobs import JobStore
from .limits import RateLimiter, Verdict
from .responses_routes import ResponsesRoutes
from .surface import API_VERSIONS, MULTIPART_OPS, SCOPED_OPS, V1_VERSIONS, jwt_claims, parse_path
from .wire import Receive, Request, Response, Scope, Send, StreamResponse, json_response, read_request

log = logging.getLogger("azoai.emulator")
JSON = dict[str, Any]
#: Statuses of a provisioned deployment that spill over (Learn spillover-traffic-management: 429, 500, 503).
SPILL_STATUSES = frozenset({429, 500, 503})


class _Abort(Exception):
    """Close the connection without (the rest of) a response."""


class EmulatorApp:
    """One emulator instance ('one region'). Call :func:`create_app` to build it."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.limiter = RateLimiter(config.clock)
        self.faults = FaultState(config)
        self.jobs = JobStore(config, self._run_batch_line)
        self.blobs: dict[str, bytes] = {}
        self.seq = 0
        self.served: dict[str, int] = {}
        self.responses = ResponsesRoutes(self)

    # --- ASGI entry ----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        self.seq += 1
        seq = self.seq
        ids = self._ids(seq)
        req: Request | None = None
        try:
            req = await read_request(scope, receive)
            resp = await self.handle(req, seq, ids)
        except _Abort:
            await _abort(send)
            return
        except AzureError as err:
            resp = self._error(err, ids, req, None)
        except Exception:  # a bug must still look like Azure, never a traceback
            log.exception("emulator: unexpected error")
            resp = self._error(azure.server_error(500, ids[0]), ids, None, None)
        try:
            await self._send(resp, scope, receive, send)
        except _Abort:
            await _abort(send)

    def _ids(self, seq: int) -> tuple[str, str]:
        a = uuid.uuid5(uuid.NAMESPACE_URL, f"azoai-emulator/{self.config.seed}/{self.config.region}/{seq}/apim")
        b = uuid.uuid5(uuid.NAMESPACE_URL, f"azoai-emulator/{self.config.seed}/{self.config.region}/{seq}/req")
        return str(a), str(b)

    async def _send(self, resp: Response | StreamResponse, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k.encode(), v.encode()) for k, v in resp.headers.items()]
        if resp.content_type:
            headers.append((b"content-type", resp.content_type.encode()))
        if isinstance(resp, Response):
            headers.append((b"content-length", str(len(resp.body)).encode()))
            await send({"type": "http.response.start", "status": resp.status, "headers": headers})
            await send({"type": "http.response.body", "body": resp.body, "more_body": False})
            return
        await send({"type": "http.response.start", "status": resp.status, "headers": headers})
        async for item in resp.chunks:
            if item == "cut":
                raise _Abort()
            if isinstance(item, tuple) and item[0] == "stall":
                await _wait_disconnect(receive, float(item[1]))
                continue
            await send({"type": "http.response.body", "body": item, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    # --- request handling ----------------------------------------------------------------

    async def handle(self, req: Request, seq: int, ids: tuple[str, str]) -> Response | StreamResponse:
        path = req.path.rstrip("/")
        if path.startswith("/_emulator/"):
            return self._admin(req, path[len("/_emulator/") :])
        if path.startswith("/_blob/"):  # the emulator's Blob storage endpoint (blob_store.py)
            return self.jobs.storage.route(req)
        inst = self.faults.instance
        if inst.region_down:
            self.faults.decide(None)
            if inst.region_down == "close":
                raise _Abort()
            raise azure.server_error(503, ids[0])
        route = parse_path(path)
        if route is None:
            raise azure.resource_not_found()
        style, deployment, op, rest = route
        version = req.query.get("api-version")
        if style == "dated" and version not in API_VERSIONS:
            raise azure.resource_not_found()
        if style == "v1" and version not in V1_VERSIONS:
            raise azure.api_version_not_supported()
        self._authenticate(req, style)
        if op == "responses":
            return await self.responses.handle(req, style, version, rest, seq, ids)
        if op in SCOPED_OPS:
            return await self._scoped(req, style, deployment, op, version, seq, ids)
        resp = self._unscoped(req, op, rest)
        resp.headers.update(self._base_headers(req, ids))
        return resp

    def _base_headers(self, req: Request, ids: tuple[str, str]) -> dict[str, str]:
        return {
            "apim-request-id": ids[0],
            "x-request-id": ids[1],
            "x-ms-region": self.config.region,
            "x-ms-client-request-id": req.headers.get("x-ms-client-request-id", "Not-Set"),
            "strict-transport-security": azure.BASE_HEADERS[0][1],
            "x-content-type-options": "nosniff",
        }

    def _authenticate(self, req: Request, style: str) -> None:
        key = req.headers.get("api-key")
        if key is not None:
            if self.config.accepts_key(key):
                return
            raise azure.unauthorized_key()
        auth = req.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise azure.unauthorized_key(missing=True)
        token = token.strip()
        if self.config.accepts_key(token):
            if style == "v1":
                return
            raise azure.unauthorized_token(self.config.token_audiences[0])
        claims = jwt_claims(token)
        if claims is None:
            raise azure.unauthorized_token(self.config.token_audiences[0])
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        wanted = {a.rstrip("/") for a in self.config.token_audiences}
        exp = claims.get("exp")
        if not any(isinstance(a, str) and a.rstrip("/") in wanted for a in auds):
            raise azure.unauthorized_token(self.config.token_audiences[0])
        if not isinstance(exp, (int, float)) or exp <= self.config.clock():
            raise azure.unauthorized_token(self.config.token_audiences[0])

    def _resolve_deployment(self, name: str | None, style: str) -> Deployment:
        if style == "v1":
            if not name:
                raise azure.missing_parameter("model")
            dep = self.config.deployments.get(name)
            if dep is None:
                raise azure.unknown_model(name)
            return dep
        dep = self.config.deployments.get(name or "")
        if dep is None:
            raise azure.deployment_not_found()
        return dep

    async def _scoped(
        self,
        req: Request,
        style: str,
        deployment: str | None,
        op: str,
        version: str | None,
        seq: int,
        ids: tuple[str, str],
    ) -> Response | StreamResponse:
        body: JSON = {}
        fields: JSON = {}
        files: JSON = {}
        if op in MULTIPART_OPS:
            fields, files = req.form()
            if style == "v1":
                deployment = fields.get("model")
        else:
            body = req.json()
            if style == "v1":
                m = body.get("model")
                deployment = m if isinstance(m, str) else None
        dep = self._resolve_deployment(deployment, style)
        _op_name, _kinds, rl_op = SCOPED_OPS[op]
        route = rules.Ctx("route", body, dep, version, style, self.config, req.base_url)
        route.scratch["path"] = op
        rules.run("route", route)
        headers = self._base_headers(req, ids)
        headers["x-ms-deployment-name"] = dep.name
        decision = self.faults.decide(dep.name)
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
        try:
            return await self._run_op(
                req, op, dep, body, fields, files, version, seq, headers, decision, rl_op, ids, v1=style == "v1"
            )
        except AzureError as err:
            spill = self._spill_target(req, dep, err, route)
            if spill is None:
                return self._error(err, ids, req, headers)
            status = err.status
        # Learn spillover-traffic-management: a provisioned deployment's non-200 (429, 500, 503) goes to
        # the standard deployment named by the request header or the deployment's spillover property.
        headers = self._base_headers(req, ids)
        headers.update(
            {
                "x-ms-deployment-name": spill.name,
                "x-ms-spillover-from-deployment": dep.name,
                "x-ms-spillover-error": str(status),
                "x-ms-is-spilled-over": "true",
            }
        )
        try:
            return await self._run_op(
                req, op, spill, body, fields, files, version, seq, headers, self.faults.decide(spill.name), rl_op,
                ids, v1=style == "v1",
            )  # fmt: skip
        except AzureError as err2:
            return self._error(err2, ids, req, headers)

    def _spill_target(self, req: Request, dep: Deployment, err: AzureError, route: rules.Ctx) -> Deployment | None:
        name = req.headers.get("x-ms-spillover-deployment") or dep.spillover
        if not (dep.provisioned and name and err.status in SPILL_STATUSES):
            return None
        spill = self.config.deployments.get(name)
        if spill is None or spill.provisioned or spill.name == dep.name:
            return None  # permissive: Azure's answer to a bad spillover target is not documented
        rules.run("route", replace(route, dep=spill))
        return spill

    async def _run_op(
        self,
        req: Request,
        op: str,
        dep: Deployment,
        body: JSON,
        fields: JSON,
        files: JSON,
        version: str | None,
        seq: int,
        headers: dict[str, str],
        decision: Decision,
        rl_op: str,
        ids: tuple[str, str],
        *,
        v1: bool = False,
    ) -> Response | StreamResponse:
        self._fault_gate(decision, rl_op, version, ids)
        now = int(self.config.clock())
        if dep.kind in ("chat", "reasoning", "completions"):
            headers["x-ms-rai-invoked"] = "true"
        headers["azureml-model-session"] = f"d{abs(hash(dep.model)) % 1000:03d}-20260101000000"
        result: JSON | None = None
        # Azure's gateway admits (and charges) a request before the model validates it, so even
        # a 400 carries x-ratelimit-* headers.
        self._admit(dep, ops.estimate_tokens(op, body), headers, rl_op, version)
        if op == "chat/completions":
            plan = ops.chat_plan(
                body, dep, self.config, version, seq, now, style="v1" if v1 else "dated", base_url=req.base_url
            )
            opts = body.get("stream_options")
            plan.obfuscate = v1 and not (isinstance(opts, dict) and opts.get("include_obfuscation") is False)
            if plan.stream:
                pairs = list(ops.chat_events(plan))
                return self._stream([e for e, _ in pairs], [f for _, f in pairs], headers, decision.stream, ids)
            result = ops.chat_json(plan)
        elif op == "completions":
            full, events, _estimate, stream = ops.completion_plan(body, dep, self.config, seq, now)
            if stream:
                flags = [bool(e.get("choices") and e["choices"][0].get("text")) for e in events]
                return self._stream(events, flags, headers, decision.stream, ids)
            result = full
        elif op == "embeddings":
            result, _tokens = ops_media.embeddings_plan(body, dep, self.config, version, "v1" if v1 else "dated")
        elif op in ("images/generations", "images/edits"):
            source = None
            if op == "images/edits":
                img = files.get("image") or files.get("image[]")
                if img is None:
                    raise azure.missing_parameter("image")
                if not img.data.startswith(b"\x89PNG"):
                    raise azure.bad_request(
                        "Invalid image file or mode for image 1, please check your image file.",
                        param="image",
                        code="invalid_image_format",
                    )
                source = img.data
                body = {k: v for k, v in fields.items() if k != "model"}
                if "n" in body:
                    body["n"] = int(body["n"])
            result = ops_media.image_plan(body, dep, self.config, now, seq, self._store_blob, req.base_url, source)
        elif op == "audio/speech":
            audio, ctype = ops_media.speech_plan(body, dep, self.config)
            self._count(dep)
            return Response(200, audio, headers, ctype)
        else:
            data, ctype = ops_media.transcription_plan(fields, files, op == "audio/translations", dep, self.config)
            self._count(dep)
            return Response(200, data, headers, ctype)
        self._count(dep)
        if dep.kind in ("chat", "reasoning"):
            headers["cache-control"] = "no-cache, must-revalidate"
        headers["x-accel-buffering"] = "no"
        return json_response(200, result, headers)

    def _fault_gate(self, decision: Decision, rl_op: str, version: str | None, ids: tuple[str, str]) -> None:
        """Apply an injected fault decided for this request (close, 429, 5xx) before the model runs."""
        if decision.kind == "close":
            raise _Abort()
        if decision.kind == "throttle":
            secs = max(1, int(decision.retry_after + 0.999))
            err = azure.rate_limited(rl_op, version or "v1", "call", secs)
            err.headers.update({"retry-after": str(secs), "retry-after-ms": str(int(decision.retry_after * 1000))})
            raise err
        if decision.kind == "error":
            raise azure.server_error(decision.status, ids[0])

    def _count(self, dep: Deployment) -> None:
        self.served[dep.name] = self.served.get(dep.name, 0) + 1

    def _admit(self, dep: Deployment, tokens: int, headers: dict[str, str], rl_op: str, version: str | None) -> None:
        v: Verdict = self.limiter.admit(dep, tokens)
        headers.update(v.headers())
        if not v.allowed:
            secs = max(1, int(v.retry_after + 0.999))
            err = azure.rate_limited(rl_op, version or "v1", v.which, secs)
            err.headers.update({"retry-after": str(secs), "retry-after-ms": str(int(v.retry_after * 1000))})
            raise err

    def _stream(
        self,
        events: list[JSON],
        flags: list[bool],
        headers: dict[str, str],
        spec: FaultSpec | None,
        ids: tuple[str, str],
    ) -> StreamResponse:
        headers = dict(headers)
        headers["cache-control"] = "no-cache, must-revalidate"
        headers["x-accel-buffering"] = "no"

        async def gen() -> AsyncIterator[Any]:
            content = 0
            for event, is_content in zip(events, flags, strict=False):
                if spec is not None and is_content:
                    if spec.stream_cut_after is not None and content >= spec.stream_cut_after:
                        yield "cut"
                        return
                    if spec.stream_stall_after is not None and content == spec.stream_stall_after:
                        yield ("stall", spec.stall_seconds)
                    if spec.stream_error_after is not None and content >= spec.stream_error_after:
                        yield b"data: " + azure.dumps(azure.stream_error_event(ids[0])) + b"\n\n"
                        return
                if is_content:
                    content += 1
                yield b"data: " + azure.dumps(event) + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamResponse(200, gen(), headers)

    def _error(
        self, err: AzureError, ids: tuple[str, str], req: Request | None, scoped: dict[str, str] | None
    ) -> Response:
        if err.status == 401:
            headers = {"apim-request-id": ids[0]}
        elif scoped is not None and err.scoped:
            headers = dict(scoped)
            headers.pop("azureml-model-session", None)
        else:
            headers = {
                "apim-request-id": ids[0],
                "x-ms-region": self.config.region,
                "strict-transport-security": azure.BASE_HEADERS[0][1],
                "x-content-type-options": "nosniff",
            }
            if req is not None and "x-ms-client-request-id" in req.headers:
                headers["x-ms-client-request-id"] = req.headers["x-ms-client-request-id"]
        headers.update(err.headers)
        return json_response(err.status, err.body, headers)

    # --- non-deployment routes -----------------------------------------------------------

    def _unscoped(self, req: Request, op: str, rest: list[str]) -> Response:
        if op == "files":
            return self.jobs.files_route(req, rest)
        if op == "batches":
            return self.jobs.batches_route(req, rest)
        if op == "fine_tuning":
            if not rest or rest[0] != "jobs":
                raise azure.resource_not_found()
            return self.jobs.fine_tuning_route(req, rest[1:], {d.model for d in self.config.deployments.values()})
        return self._models(req, rest)

    def _models(self, req: Request, rest: list[str]) -> Response:
        models: dict[str, JSON] = {}
        for d in self.config.deployments.values():
            caps = {
                "chat_completion": d.kind in ("chat", "reasoning"),
                "completion": d.kind == "completions",
                "embeddings": d.kind == "embeddings",
                "inference": True,
                "fine_tune": d.kind == "chat",
                "scale_types": ["standard"],
            }
            models[d.model] = {
                "id": d.model,
                "object": "model",
                "created_at": 1_700_000_000,
                "status": "succeeded",
                "lifecycle_status": "generally-available",
                "capabilities": caps,
                "deprecation": {"inference": 1_900_000_000},
            }
        for job in self.jobs.fine_tuned_models():
            models[job["fine_tuned_model"]] = {
                "id": job["fine_tuned_model"],
                "object": "model",
                "created_at": job["finished_at"],
                "status": "succeeded",
                "model": job["model"],
                "fine_tune": job["id"],
                "lifecycle_status": "generally-available",
                "capabilities": {"chat_completion": True, "inference": True, "fine_tune": False},
            }
        if req.method != "GET":
            raise azure.resource_not_found()
        if rest:
            mid = "/".join(rest)
            if mid not in models:
                raise azure.not_found("Model", mid)
            return json_response(200, models[mid])
        return json_response(200, {"object": "list", "data": list(models.values())})

    def _run_batch_line(self, url: str, body: JSON) -> tuple[int, JSON]:
        name = body.get("model")
        dep = self.config.deployments.get(name) if isinstance(name, str) else None
        if dep is None:
            return 404, azure.deployment_not_found().body
        try:
            if url.endswith("/embeddings"):
                return 200, ops_media.embeddings_plan(body, dep, self.config)[0]
            self.seq += 1
            plan = ops.chat_plan(body | {"stream": False}, dep, self.config, None, self.seq, int(self.config.clock()))
            return 200, ops.chat_json(plan)
        except AzureError as err:
            return err.status, err.body

    def _store_blob(self, name: str, data: bytes, base_url: str) -> str:
        self.blobs[name] = data
        return f"{base_url}/_emulator/blobs/{name}"

    # --- admin -----------------------------------------------------------------------------

    def _admin(self, req: Request, sub: str) -> Response:
        if sub.startswith("blobs/") and req.method == "GET":
            data = self.blobs.get(sub[len("blobs/") :])
            if data is None:
                raise azure.resource_not_found()
            return Response(200, data, content_type="image/png")
        if sub == "state" and req.method == "GET":
            return json_response(200, self.state())
        if sub == "reset" and req.method == "POST":
            self.reset()
            return json_response(200, self.state())
        if sub == "faults" and req.method == "POST":
            payload = req.json()
            dep = payload.pop("deployment", None)
            if dep is not None and dep not in self.config.deployments:
                raise azure.bad_request(
                    f"Unknown deployment {dep!r} for fault injection; known: "
                    f"{', '.join(sorted(self.config.deployments))}.",
                    param="deployment",
                )
            try:
                spec = FaultSpec.from_dict(payload)
            except (ValueError, TypeError) as exc:
                raise azure.bad_request(str(exc), param="faults") from None
            self.faults.set(dep, spec)
            return json_response(200, self.state())
        raise azure.resource_not_found()

    def state(self) -> JSON:
        """Deployments, faults in force, rate-limit windows and counters (``GET /_emulator/state``)."""
        return {
            "region": self.config.region,
            "deployments": {
                n: {
                    "model": d.model,
                    "kind": d.kind,
                    "tpm": d.tpm,
                    "rpm": d.requests_per_minute,
                    "dimensions": d.dimensions,
                }
                for n, d in self.config.deployments.items()
            },
            "faults": self.faults.state(),
            "rate_limits": self.limiter.snapshot(),
            "served": dict(self.served),
            "requests": self.seq,
            "files": len(self.jobs.files),
            "batches": len(self.jobs.batches),
            "batch_lines": self.jobs.engine.submission_counts(),
            "fine_tuning_jobs": len(self.jobs.ft_jobs),
            "responses": len(self.responses.responses),
        }

    def reset(self) -> None:
        """Back to the configured state: faults, windows, counters, files and jobs."""
        self.faults.reset()
        self.limiter.reset()
        self.jobs.reset()
        self.blobs.clear()
        self.served.clear()
        self.responses.reset()


async def _wait_disconnect(receive: Receive, timeout: float) -> None:
    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnect(), timeout)
    except TimeoutError:
        pass


async def _abort(send: Send) -> None:
    """Drop the connection with no (further) bytes.

    Under uvicorn the ASGI ``send`` is a bound method of the connection's request cycle, which holds
    the asyncio transport; aborting it is what a region that is down looks like to a client. With
    other servers (``httpx.ASGITransport`` in-process) a ``ConnectionResetError`` is raised instead.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        for _ in range(3):  # let connection_lost run, so the server's own cleanup sees a disconnect
            await asyncio.sleep(0)
        return
    raise ConnectionResetError("azoai emulator: connection closed without a response (fault injection)")


def create_app(config: EmulatorConfig | None = None, *, overrides: JSON | None = None, **changes: Any) -> EmulatorApp:
    """Build an emulator ASGI app.

    ``config`` defaults to :class:`EmulatorConfig` (default deployments, key ``azoai-emulator-key``,
    region "East US"); ``overrides`` is a JSON-shaped mapping as in a config file; keyword
    ``changes`` replace config fields (e.g. ``clock=ManualClock()``, ``region="West Europe"``).
    """
    cfg = config or EmulatorConfig()
    if overrides:
        cfg = config_from_dict(overrides, cfg)
    if changes:
        cfg = replace(cfg, **changes)
    return EmulatorApp(cfg)


def iter_sse(body: bytes) -> Iterable[str]:
    """The ``data:`` payloads of an SSE body (a small helper for tests and the demo)."""
    for block in body.decode().split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                yield line[6:]
