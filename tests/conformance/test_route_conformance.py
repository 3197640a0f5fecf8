"""Every request URL in the recordings, rebuilt by the core from the settings a user would give.

Real clients sent these URLs and Azure answered them; the core must produce the same URL for
the same resource, deployment and api-version (``config.resolve_target`` + ``routes.build_route``),
both from separate settings and from the URL pasted whole into ``azure_endpoint``. One test per
distinct URL (the same URL recurs across many interactions).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from shared_core.errors import ConfigurationError

from ._cases import all_interactions, missing_reason, recordings_present
from .recordings import Interaction, iter_kind

pytestmark = pytest.mark.conformance


def _distinct_urls(*, routes: tuple[str, ...] = ("deployments", "v1", "models")) -> list[Any]:
    if not recordings_present():
        return [pytest.param(None, id="recordings-missing", marks=pytest.mark.skip(reason=missing_reason()))]
    seen: dict[str, Interaction] = {}
    for ix in iter_kind(
        all_interactions(), "chat", "chat-stream", "completions", "completions-stream", "embeddings", "error"
    ):
        if ix.host_kind in ("redacted", "none") or ix.route not in routes:
            continue  # no usable host (REDACTED URIs, the bare Go body)
        seen.setdefault(ix.uri, ix)
    return [pytest.param(ix, id=f"{ix.route}:{urlsplit(ix.uri).path}?{urlsplit(ix.uri).query}") for ix in seen.values()]


def _parts(ix: Interaction) -> tuple[str, str | None, str | None]:
    u = urlsplit(ix.uri)
    av = parse_qs(u.query).get("api-version", [None])[0]
    m = re.search(r"/deployments/([^/]+)/", u.path)
    return f"https://{u.hostname}", (m.group(1) if m else None), av


# Foundry's model-inference route (/models/chat/completions, model in the body) is not a Target
# kind of the core: it is covered by the pasted-URL test below (which must refuse it clearly).
@pytest.mark.parametrize("ix", _distinct_urls(routes=("deployments", "v1")))
def test_core_rebuilds_the_recorded_url(ix: Interaction) -> None:
    from shared_core.connection.config import resolve_target
    from shared_core.connection.routes import build_route

    endpoint, deployment, api_version = _parts(ix)
    body_model = (ix.request_json() or {}).get("model")
    if ix.route == "deployments":
        target = resolve_target(
            azure_endpoint=endpoint, deployment=deployment, api_version=api_version, api_key="k", env={}
        )
        route = build_route(target, ix.operation)
        assert route.url == ix.uri
        assert route.body_model is None
    elif ix.route == "v1":
        target = resolve_target(azure_endpoint=endpoint, deployment=body_model, api_version="v1", api_key="k", env={})
        route = build_route(target, ix.operation)
        assert route.url == ix.uri
        assert route.body_model == body_model
    else:
        raise AssertionError(f"no route expectation for {ix.route}")
    assert route.method == ix.method


@pytest.mark.parametrize("ix", _distinct_urls())
def test_pasted_request_url_is_taken_apart(ix: Interaction) -> None:
    """The contract: a full request URL pasted into ``azure_endpoint`` is taken apart.

    For a route the core cannot express (Foundry's model-inference ``/models/chat/completions``,
    deployment in the body), a ``ConfigurationError`` naming ``azure_endpoint`` is the right
    answer; silently building a different URL is not.
    """
    from shared_core.connection.config import resolve_target
    from shared_core.connection.routes import build_route

    body_model = (ix.request_json() or {}).get("model")
    try:
        target = resolve_target(
            azure_endpoint=ix.uri, deployment=None if ix.route == "deployments" else body_model, api_key="k", env={}
        )
    except ConfigurationError as exc:
        assert ix.route == "models", f"a supported URL was refused: {exc}"
        assert exc.setting == "azure_endpoint"
        return
    route = build_route(target, ix.operation)
    assert route.url == ix.uri


def test_double_slash_from_the_java_sdk_is_the_same_route() -> None:
    """``https://host//openai/...`` (Java SDK) names the same deployment route as ``/openai``."""
    if not recordings_present():
        pytest.skip(missing_reason())
    from shared_core.connection.config import resolve_target
    from shared_core.connection.routes import build_route

    (ix,) = [ix for ix in all_interactions() if ix.repo == "Azure__azure-sdk-for-java"]
    _, deployment, api_version = _parts(ix)
    target = resolve_target(
        azure_endpoint="https://example.openai.azure.com",
        deployment=deployment,
        api_version=api_version,
        api_key="k",
        env={},
    )
    assert build_route(target, ix.operation).url == (
        f"https://example.openai.azure.com/openai/deployments/{deployment}/completions?api-version={api_version}"
    )
