"""Collection-time helpers: turn the recordings into pytest parameters (or one skip when absent)."""

from __future__ import annotations

from typing import Any, Callable

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


def cases(*kinds: str, argname: str = "ix", where: Callable[[Interaction], bool] | None = None) -> Any:
    """``pytest.mark.parametrize`` over the interactions of ``kinds``, one test id each.

    Without the folder this yields one parameter that skips with :func:`missing_reason`, so
    a user's clone reports why and CI (``CI=true``) can turn that skip into a failure.
    """
    if not recordings_present():
        params = [pytest.param(None, id="recordings-missing", marks=pytest.mark.skip(reason=missing_reason()))]
    else:
        params = [
            pytest.param(ix, id=ix.id)
            for ix in iter_kind(all_interactions(), *kinds)
            if where is None or where(ix)
        ]
    return pytest.mark.parametrize(argname, params)


def sample_cases(*kinds: str, argname: str = "ix", where: Callable[[Interaction], bool] | None = None) -> Any:
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
