"""Collection-time helpers: turn the recordings into pytest parameters (or one skip when absent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .recordings import Interaction, default_root, iter_kind, load_interactions

#: The skip reason when the folder is absent; the CI guard in ``conftest.py`` looks for it.
MISSING_PREFIX = "real Azure recordings not found at"


def missing_reason() -> str:
    return (
        f"{MISSING_PREFIX} {default_root()} (set AZOAI_RECORDINGS, or clone the shared "
        "recordings beside the repo); conformance tests need them"
    )


def recordings_present() -> bool:
    return default_root().is_dir()


def all_interactions() -> list[Interaction]:
    """Every interaction, or [] when the folder is absent."""
    return load_interactions(default_root()) if recordings_present() else []


def cases(*kinds: str, argname: str = "ix", where: Callable[[Interaction], bool] | None = None) -> pytest.MarkDecorator:
    """``pytest.mark.parametrize`` over the interactions of ``kinds``, one test id each.

    Without the folder this yields one parameter that skips with :func:`missing_reason`, so
    a user's clone reports why and CI (``CI=true``) can turn that skip into a failure.
    """
    if not recordings_present():
        params = [pytest.param(None, id="recordings-missing", marks=pytest.mark.skip(reason=missing_reason()))]
    else:
        params = [
            pytest.param(ix, id=ix.id) for ix in iter_kind(all_interactions(), *kinds) if where is None or where(ix)
        ]
    return pytest.mark.parametrize(argname, params)


def sample_cases(
    *kinds: str, argname: str = "ix", where: Callable[[Interaction], bool] | None = None
) -> pytest.MarkDecorator:
    """Like :func:`cases`, but one interaction per (kind, route, host kind, status, file set).

    For the slower paths (async twins) where every shape matters but every copy does not.
    """
    if not recordings_present():
        return cases(*kinds, argname=argname, where=where)
    seen: dict[tuple[Any, ...], Interaction] = {}
    for ix in iter_kind(all_interactions(), *kinds):
        if where is not None and not where(ix):
            continue
        key = (ix.operation, ix.route, ix.host_kind, ix.status, ix.stream, ix.repo)
        seen.setdefault(key, ix)
    return pytest.mark.parametrize(argname, [pytest.param(ix, id=ix.id) for ix in seen.values()])


_SHAPES: dict[str, tuple[Any, ...]] = {}


def response_shape(ix: Interaction) -> tuple[Any, ...]:
    """What distinguishes one chat answer from another for an adapter's translation.

    Route and host kind, source repo (its era and models), stream or not, status and error code,
    number of choices, finish reason, tool calls (none / one / several), legacy function_call,
    usage (with cached / reasoning tokens), prompt filters, refusal, empty text, image input.
    """
    cached = _SHAPES.get(ix.id)
    if cached is None:
        cached = _SHAPES[ix.id] = _shape(ix)
    return cached


def _shape(ix: Interaction) -> tuple[Any, ...]:
    import json

    from .expectations import expected_response, expected_stream

    req = ix.request_json() or {}
    if ix.status >= 400:
        return ("error", ix.status, ix.json()["error"].get("code"), ix.repo, bool(req.get("stream")))
    exp = expected_stream(ix.sse_json()) if ix.stream else expected_response(ix.json())
    first = exp.first
    usage = exp.usage or {}
    return (
        ix.stream,
        ix.route,
        ix.host_kind,
        ix.repo,
        len(exp.choices),
        first.finish_reason,
        min(len(first.tool_calls), 2),
        first.legacy_function_call is not None,
        bool(exp.usage),
        bool((usage.get("prompt_tokens_details") or {}).get("cached_tokens")),
        bool((usage.get("completion_tokens_details") or {}).get("reasoning_tokens")),
        bool(exp.prompt_filters),
        bool(first.refusal),
        bool(first.content),
        "image_url" in json.dumps(req.get("messages", "")),
    )


def shape_cases(
    *kinds: str, argname: str = "ix", where: Callable[[Interaction], bool] | None = None
) -> pytest.MarkDecorator:
    """Every interaction (the default), or one per :func:`response_shape` with
    ``AZOAI_CONFORMANCE_FULL=0`` for a quick local run: the adapters translate the core's results,
    so one real answer of each shape covers most of it at a fraction of the time.
    """
    import os

    if not recordings_present() or os.environ.get("AZOAI_CONFORMANCE_FULL", "1") != "0":
        return cases(*kinds, argname=argname, where=where)
    seen: dict[tuple[Any, ...], Interaction] = {}
    for ix in iter_kind(all_interactions(), *kinds):
        if where is None or where(ix):
            seen.setdefault(response_shape(ix), ix)
    return pytest.mark.parametrize(argname, [pytest.param(ix, id=ix.id) for ix in seen.values()])
