"""Answer an adapter's HTTP call with a recorded Azure response (``httpx.MockTransport``).

The adapter under test talks to a real ``httpx.Client``; only the transport is swapped, and
it answers with the recorded status, headers and body bytes. It also checks the request the
adapter sent went to the same kind of place (method, path; the exact URL for the dated and
v1 routes, where the settings are rebuilt from the recorded URL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .recordings import Interaction

#: Hop-by-hop or encoding headers that describe the recorded transfer, not the body we replay
#: (bodies are stored decoded).
_DROP = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})

FALLBACK_ENDPOINT = "https://conformance.openai.azure.com"
#: The ``model`` every adapter replay is given: never a deployment's name, and unknown to the
#: model-family table, so the deployment's family rules still apply (the model is resolved first
#: and falls back to the deployment's name when unknown).
REPLAY_MODEL = "conformance-model-not-the-deployment"


@dataclass
class Replay:
    """One recorded answer, served to whoever asks; ``requests`` keeps what was asked."""

    ix: Interaction
    requests: list[httpx.Request] = field(default_factory=list)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers = [(k, v) for k, v in self.ix.response_headers.items() if k not in _DROP]
        return httpx.Response(self.ix.status, headers=headers, content=self.ix.body)

    async def _aanswer(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self._answer(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self._answer))

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._aanswer))

    def settings(self) -> dict[str, Any]:
        """Endpoint, deployment and api-version a user of this resource would configure."""
        ix = self.ix
        u = urlsplit(ix.uri)
        model = (ix.request_json() or {}).get("model") or "conformance-deployment"
        if ix.route == "deployments" and ix.host_kind not in ("redacted", "none"):
            m = re.search(r"/deployments/([^/]+)/", u.path)
            assert m
            av = parse_qs(u.query).get("api-version", [None])[0]
            return {"azure_endpoint": f"https://{u.hostname}", "deployment": m.group(1), "api_version": av}
        if ix.route == "v1" and ix.host_kind not in ("redacted", "none"):
            return {"azure_endpoint": f"https://{u.hostname}", "deployment": model, "api_version": "v1"}
        # Foundry's /models route and redacted URIs: any resource will do, the answer is the point
        return {"azure_endpoint": FALLBACK_ENDPOINT, "deployment": model, "api_version": "2024-10-21"}

    def check_request(self) -> None:
        """The adapter made exactly one call (no retries), of the recorded kind."""
        assert len(self.requests) == 1, f"{len(self.requests)} requests made (retries must be off)"
        req = self.requests[0]
        assert req.method == self.ix.method or not self.ix.method
        if self.ix.operation != "unknown":  # the bare Go error body has no request
            assert req.url.path.endswith("/" + self.ix.operation)
        if self.ix.route in ("deployments", "v1") and self.ix.host_kind not in ("redacted", "none"):
            assert str(req.url) == self.ix.uri.replace("//openai/", "/openai/")

    def check_deployment(self, deployment: str) -> None:
        """The call went to ``deployment``, never to the ``model`` name (``REPLAY_MODEL``):
        in the URL path on the dated route, in the body's ``model`` on the v1 route."""
        import json

        req = self.requests[0]
        assert REPLAY_MODEL not in str(req.url)
        if "/openai/v1/" in req.url.path:
            assert json.loads(req.content)["model"] == deployment
        else:
            assert f"/openai/deployments/{deployment}/" in req.url.path, req.url.path
        assert REPLAY_MODEL not in req.content.decode("utf-8", "replace")
