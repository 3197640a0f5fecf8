"""URL and content headers for every operation on every endpoint kind. No auth here.

=========  ===========================================================================
kind       URL
=========  ===========================================================================
dated      ``{base}/deployments/{deployment}/{op}?api-version=V`` for deployment-scoped ops
           (chat/completions, completions, embeddings, audio/*, images/*);
           ``{base}/{op}?api-version=V`` for files, batches, fine_tuning/jobs, models
v1         ``{base}/{op}`` (plus ``?api-version=preview|latest`` when chosen); the deployment
           travels in the body's ``model`` (``Route.body_model``)
openai     ``https://api.openai.com/v1/{op}``; the model name in the body's ``model``
=========  ===========================================================================

The target's ``default_query`` is appended (it may override ``api-version``) and its
``default_headers`` are merged over the content headers. The transport adds the auth header
by asking the target's credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import quote, urlencode

from shared_core.connection.config import Target
from shared_core.errors import ConfigurationError
from shared_core.types import DEPLOYMENT_OPERATIONS

#: Operations sent as multipart/form-data (httpx sets the content-type with its boundary).
MULTIPART_OPERATIONS: frozenset[str] = frozenset({"audio/transcriptions", "audio/translations", "images/edits"})
# read-only: shared by every Route
_JSON = MappingProxyType({"accept": "application/json", "content-type": "application/json"})
_ACCEPT_JSON = MappingProxyType({"accept": "application/json"})
_SPEECH = MappingProxyType({"accept": "application/octet-stream", "content-type": "application/json"})


@dataclass(frozen=True, slots=True)
class Route:
    """Where and how to send one request (auth excluded)."""

    method: str
    url: str  # full URL including query
    headers: Mapping[str, str]  # content headers + default_headers, never auth
    body_model: str | None  # value for the body's "model" (v1/openai kinds), else None


def _content_headers(operation: str, method: str, suffix: str) -> Mapping[str, str]:
    if method != "POST":
        return _ACCEPT_JSON
    if operation == "audio/speech":
        return _SPEECH
    if operation in MULTIPART_OPERATIONS or (operation == "files" and not suffix):
        return _ACCEPT_JSON
    return _JSON


def build_route(
    target: Target,
    operation: str,
    *,
    deployment: str | None = None,
    method: str = "POST",
    suffix: str = "",
) -> Route:
    """The route for ``operation`` on ``target``; ``deployment`` overrides the target's.

    ``suffix`` extends the operation path (``"/file-abc/content"``, ``"/batch_1/cancel"``).
    Raises ``ConfigurationError`` when a deployment-scoped operation has no deployment.
    """
    op = operation.strip("/")
    method = method.upper()
    if suffix and not suffix.startswith("/"):
        suffix = "/" + suffix
    dep = deployment or target.deployment
    scoped = op in DEPLOYMENT_OPERATIONS
    if scoped and not dep:
        sp = target.spelling
        raise ConfigurationError(
            f"{op} needs a deployment and none is configured for target {target.name!r}: pass "
            f"{sp.kw('deployment', '<name>')} (or set AZURE_OPENAI_DEPLOYMENT); for api.openai.com "
            "it is the model name",
            setting=sp.name("deployment"),
        )
    if target.kind == "dated":
        if scoped:
            url = f"{target.base}/deployments/{quote(dep or '', safe='')}/{op}{suffix}"
        else:
            url = f"{target.base}/{op}{suffix}"
        body_model = None
    else:
        url = f"{target.base}/{op}{suffix}"
        body_model = dep if scoped else None

    query: dict[str, str] = {}
    if target.api_version:
        query["api-version"] = target.api_version
    if target.default_query:
        query.update(target.default_query)
    if query:
        url = url + "?" + urlencode(query, quote_via=quote, safe="")

    headers = _content_headers(op, method, suffix)
    if target.default_headers:
        headers = {**headers, **target.default_headers}
    return Route(method=method, url=url, headers=headers, body_model=body_model)


__all__ = ["MULTIPART_OPERATIONS", "Route", "build_route"]
