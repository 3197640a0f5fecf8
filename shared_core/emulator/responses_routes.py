"""The Responses API routes: create, retrieve (and resume a stream), delete, cancel, list input items.

Both route styles: ``/openai/v1/responses[...]`` and ``/openai/responses[...]?api-version=`` (the
dated style from 2025-03-01-preview, the first api-version that carries Responses; Learn
``how-to/responses``). Stored responses (``store`` defaults to true) live in this instance (one
region: another region does not have them). Background responses move ``queued`` ->
``in_progress`` -> ``completed`` over ``background_seconds`` of the emulator's clock, can be
cancelled, and their stream can be resumed from ``starting_after`` (Learn: background mode).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import azure, rules
from . import behaviour as bh
from . import responses_events as rev
from . import responses_input as ri
from . import responses_ops as rops
from . import responses_tools as rt
from .config import Deployment, FaultSpec
from .responses_tools import BuiltinContext
from .wire import Request, Response, StreamResponse, json_response

if TYPE_CHECKING:
    from .app import EmulatorApp

JSON = dict[str, Any]
RL_OP = "Responses_Create"


@dataclass(slots=True)
class Stored:
    """One response the instance keeps: its final object, stream events and conversation."""

    obj: JSON
    events: list[JSON]
    input_items: list[JSON]
    messages: list[JSON]
    tokens: int
    created: float
    done_at: float
    stored: bool
    cancelled: bool = False


def not_found(resp_id: str) -> azure.AzureError:
    """OpenAI's 404 for an unknown response id, passed through by Azure."""
    return azure.AzureError(
        404,
        {
            "error": {
                "message": f"Response with id '{resp_id}' not found.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
    )


def pending_view(obj: JSON, status: str) -> JSON:
    return {
        **obj,
        "status": status,
        "output": [],
        "usage": None,
        "completed_at": None,
        "content_filters": None,
        "incomplete_details": None,
    }


class ResponsesRoutes:
    """The Responses surface of one :class:`~.app.EmulatorApp`."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.responses: dict[str, Stored] = {}
        self.reasoning: dict[str, bool] = {}  # reasoning item id -> stored (its response had store=true)

    def reset(self) -> None:
        self.responses.clear()
        self.reasoning.clear()

    async def handle(
        self, req: Request, style: str, version: str | None, rest: list[str], seq: int, ids: tuple[str, str]
    ) -> Response | StreamResponse:
        if style == "dated":
            check_version(version)
        if not rest and req.method == "POST":
            return await self.create(req, style, version, seq, ids)
        headers = self.app._base_headers(req, ids)
        if len(rest) == 1 and req.method == "GET":
            rec = self._get(rest[0])
            if req.query.get("stream") in ("true", "True", "1"):
                return self._resume(rec, req, headers)
            # getResponse's query `include[]` (Azure/azure-rest-api-specs specification/ai/data-plane/OpenAI.v1)
            include = req.query_all("include[]")
            rt.check_include(include)
            view = self.view(rec)
            return json_response(200, rops.with_included(view, include, rec.messages) if include else view, headers)
        if len(rest) == 1 and req.method == "DELETE":
            self._get(rest[0])
            del self.responses[rest[0]]
            return json_response(200, {"id": rest[0], "object": "response.deleted", "deleted": True}, headers)
        if len(rest) == 2 and rest[1] == "cancel" and req.method == "POST":
            return json_response(200, self.cancel(rest[0]), headers)
        if len(rest) == 2 and rest[1] == "input_items" and req.method == "GET":
            return json_response(200, self.input_items(self._get(rest[0]), req.query), headers)
        raise azure.resource_not_found()

    # --- create --------------------------------------------------------------------------

    async def create(
        self, req: Request, style: str, version: str | None, seq: int, ids: tuple[str, str]
    ) -> Response | StreamResponse:
        app = self.app
        body = req.json()
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise azure.missing_parameter("model")
        dep = app._resolve_deployment(model, style)
        route = rules.Ctx("route", body, dep, version, style, app.config, req.base_url)
        route.scratch["path"] = "responses"
        rules.run("route", route)
        headers = app._base_headers(req, ids)
        headers["x-ms-deployment-name"] = dep.name
        decision = app.faults.decide(dep.name)
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
        try:
            app._fault_gate(decision, RL_OP, version, ids)
            headers["x-ms-rai-invoked"] = "true"
            app._admit(dep, rops_estimate(body), headers, RL_OP, version)
            return self._answer(req, body, dep, style, version, seq, headers, decision.stream, ids)
        except azure.AzureError as err:
            return app._error(err, ids, req, headers)

    def _answer(
        self,
        req: Request,
        body: JSON,
        dep: Deployment,
        style: str,
        version: str | None,
        seq: int,
        headers: dict[str, str],
        spec: FaultSpec | None,
        ids: tuple[str, str],
    ) -> Response | StreamResponse:
        app = self.app
        ctx = rules.Ctx("responses", body, dep, version, style, app.config, req.base_url)
        prev = self._lookup(body.get("previous_response_id"))
        history = list(prev.messages) if prev else []
        ctx.scratch.update(
            headers=req.headers,
            lookup=self._lookup,
            reasoning_stored=lambda rs_id: self.reasoning.get(rs_id, False),
            history=history,
            prior_call_ids={c["id"] for m in history for c in m.get("tool_calls") or ()},
        )
        rules.run("responses", ctx)
        image_dep = req.headers.get("x-ms-oai-image-generation-deployment")
        now = app.config.clock()
        answer = rops.respond(
            body,
            dep,
            app.config,
            seq,
            int(now),
            history=history,
            history_tokens=prev.tokens if prev else 0,
            builtins=BuiltinContext(image_dep),
        )
        stream = body.get("stream") is True
        if answer.prompt_filtered and not stream:
            raise rops.prompt_filtered_error()
        obj = answer.obj
        background = obj["background"]
        done_at = now + (app.config.background_seconds if background else 0.0)
        opts = body.get("stream_options")
        obfuscate = not (isinstance(opts, dict) and opts.get("include_obfuscation") is False)
        rec = Stored(
            obj,
            rev.events(obj, obfuscate=obfuscate),
            answer.input_items,
            answer.messages,
            obj["usage"]["input_tokens"],
            now,
            done_at,
            obj["store"],
        )
        self.responses[obj["id"]] = rec
        for item in obj["output"]:
            if item["type"] == "reasoning":
                self.reasoning[item["id"]] = rec.stored
        app._count(dep)
        headers["x-ms-served-model"] = obj["model"] if "-20" in obj["model"] else f"{dep.model}-{dep.model_version}"
        if stream:
            return self._stream(rec, rec.events, headers, spec, ids, finish=background)
        if not rec.stored:  # a response with store=false cannot be retrieved later
            self.responses.pop(obj["id"], None)
        return json_response(200, self.view(rec), headers)

    def _lookup(self, resp_id: Any) -> Stored | None:
        """The stored response ``resp_id`` (None for unknown, deleted or ``store: false`` ones)."""
        rec = self.responses.get(str(resp_id)) if resp_id is not None else None
        return rec if rec is not None and rec.stored else None

    # --- stored responses ----------------------------------------------------------------

    def _get(self, resp_id: str) -> Stored:
        rec = self.responses.get(resp_id)
        if rec is None or not rec.stored:
            raise not_found(resp_id)
        return rec

    def view(self, rec: Stored) -> JSON:
        """The response as it stands now: background ones pass queued -> in_progress -> done over time."""
        if rec.cancelled:
            return pending_view(rec.obj, "cancelled")
        now = self.app.config.clock()
        if now >= rec.done_at:
            return rec.obj
        queued = now < rec.created + (rec.done_at - rec.created) / 3
        return pending_view(rec.obj, "queued" if queued else "in_progress")

    def cancel(self, resp_id: str) -> JSON:
        rec = self._get(resp_id)
        if not rec.obj["background"]:
            raise azure.bad_request(
                "Only responses created with background=true can be cancelled.", param="response_id"
            )
        if self.view(rec)["status"] in ("queued", "in_progress"):
            rec.cancelled = True
        return self.view(rec)

    def input_items(self, rec: Stored, query: dict[str, str]) -> JSON:
        items = [_input_item_view(it, rec.obj["id"], i) for i, it in enumerate(rec.input_items)]
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise azure.invalid_value("order", f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.")
        if order == "desc":
            items.reverse()
        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            raise azure.invalid_type("limit", "an integer") from None
        if not 1 <= limit <= 100:
            raise azure.invalid_value(
                "limit", f"Invalid 'limit': integer {limit} is out of range (minimum 1) (maximum 100)."
            )
        ids = [it["id"] for it in items]
        if "after" in query and query["after"] in ids:
            items = items[ids.index(query["after"]) + 1 :]
        if "before" in query and query["before"] in ids:
            items = items[: ids.index(query["before"])]
        page = items[:limit]
        return {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }

    # --- streams -------------------------------------------------------------------------

    def _resume(self, rec: Stored, req: Request, headers: dict[str, str]) -> StreamResponse:
        if not rec.obj["background"]:
            raise azure.bad_request(
                "Streaming a stored response is only supported for responses created with background=true.",
                param="stream",
            )
        raw = req.query.get("starting_after", "-1")
        try:
            after = int(raw)
        except ValueError:
            raise azure.invalid_type("starting_after", "an integer") from None
        events = rec.events
        if rec.cancelled:
            events = [e for e in events if e["type"] in ("response.created", "response.queued", "response.in_progress")]
        return self._stream(rec, [e for e in events if e["sequence_number"] > after], headers, None, None, finish=True)

    def _stream(
        self,
        rec: Stored,
        events: list[JSON],
        headers: dict[str, str],
        spec: FaultSpec | None,
        ids: tuple[str, str] | None,
        *,
        finish: bool,
    ) -> StreamResponse:
        headers = {**headers, "cache-control": "no-cache, must-revalidate", "x-accel-buffering": "no"}
        clock = self.app.config.clock

        async def gen() -> AsyncIterator[Any]:
            content = 0
            for ev in events:
                is_content = ev["type"] in rev.CONTENT_EVENTS
                if spec is not None and is_content:
                    if spec.stream_cut_after is not None and content >= spec.stream_cut_after:
                        yield "cut"
                        return
                    if spec.stream_stall_after is not None and content == spec.stream_stall_after:
                        yield ("stall", spec.stall_seconds)
                    if spec.stream_error_after is not None and content >= spec.stream_error_after:
                        yield sse(stream_error(ev["sequence_number"], ids[0] if ids else ""))
                        return
                content += is_content
                yield sse(ev)
            if finish and not rec.cancelled:  # the whole stream reached the client: the response is done
                rec.done_at = min(rec.done_at, clock())

        return StreamResponse(200, gen(), headers)


def check_version(version: str | None) -> None:
    """Responses exist on dated api-versions from 2025-03-01-preview; older ones answer 404 (rule responses.api_version)."""
    if not version or version[:10] < "2025-03-01":
        raise azure.resource_not_found()


def rops_estimate(body: JSON) -> int:
    """The rate-limit charge: input tokens + requested output (16 if unset), as for chat."""
    try:
        msgs = ri.to_messages(ri.input_items(body))
        out = body.get("max_output_tokens")
        return bh.count_message_tokens(msgs) + (out if isinstance(out, int) else 16)
    except (TypeError, AttributeError):
        return 0


def sse(event: JSON) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + azure.dumps(event) + b"\n\n"


def stream_error(seq: int, request_id: str) -> JSON:
    err = azure.server_error(500, request_id).body["error"]
    return {"type": "error", "sequence_number": seq, "code": "server_error", "message": err["message"], "param": None}


def _input_item_view(item: JSON, resp_id: str, i: int) -> JSON:
    kind = ri.item_kind(item)
    iid = str(item.get("id") or rops.rid_plain(resp_id, "item", i))
    if kind == "message":
        content = item.get("content")
        parts = [{"type": "input_text", "text": content}] if isinstance(content, str) else content
        return {"id": iid, "type": "message", "role": item.get("role", "user"), "content": parts, "status": "completed"}
    prefix = {"function_call": "fc_", "function_call_output": "fco_", "reasoning": "rs_"}.get(kind, "item_")
    out = {k: v for k, v in item.items() if k != "id"}
    return {"id": item.get("id") or prefix + iid, **out, "status": item.get("status", "completed")}
