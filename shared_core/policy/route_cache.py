"""Routes of a client's calls, built once per (target, operation, deployment) and cached: parsing a
URL is a sixth of httpx's per-request cost."""

from __future__ import annotations

import httpx

from shared_core import __version__ as VERSION
from shared_core.connection.config import Target
from shared_core.connection.routes import Route, build_route

USER_AGENT = f"azoai/{VERSION}"

#: (target index, operation, deployment, method, suffix) -> (target, route, parsed URL, base headers)
RouteCache = dict[tuple[int, str, "str | None", str, str], tuple[Target, Route, httpx.URL, dict[str, str]]]


def cached_route(
    cache: RouteCache | None,
    index: int,
    target: Target,
    operation: str,
    *,
    deployment: str | None,
    method: str,
    suffix: str,
) -> tuple[Route, httpx.URL, dict[str, str]]:
    """The route, parsed URL and base headers (with azoai's User-Agent unless the user set one)."""
    key = (index, operation, deployment, method, suffix)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None and hit[0] is target:
            return hit[1], hit[2], hit[3]
    route = build_route(target, operation, deployment=deployment, method=method, suffix=suffix)
    url = httpx.URL(route.url)
    base = dict(route.headers)
    if not any(k.lower() == "user-agent" for k in base):  # a user's own User-Agent wins
        base["user-agent"] = USER_AGENT
    if cache is not None:
        if len(cache) >= 256:
            cache.clear()
        cache[key] = (target, route, url, base)
    return route, url, base


__all__ = ["USER_AGENT", "RouteCache", "VERSION", "cached_route"]
