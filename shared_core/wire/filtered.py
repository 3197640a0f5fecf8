"""Structured output on a completion Azure's content filter stopped: a typed error, not a parse error.

A completion cut by the filter (``finish_reason == "content_filter"``) carries no text, or a
fragment, so parsing it as the requested schema fails with whatever the parser says about an empty
string. Both adapters call :func:`filtered_output_error` before parsing, with the values they keep
in their response metadata (``finish_reason``, ``content_filter_results`` and the
``ResponseMeta.facts()`` keys), and raise what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared_core.errors import ContentFilterError
from shared_core.types import Choice, ResponseMeta

FILTERED = "content_filter"


def filtered_output_error(
    finish_reason: str | None,
    content_filter_results: Mapping[str, Any] | None,
    *,
    expected: str,
    facts: Mapping[str, Any] | None = None,
    index: int = 0,
) -> ContentFilterError | None:
    """The ``ContentFilterError`` (source ``"completion"``) when the filter stopped the completion
    that should have held ``expected`` (e.g. ``"a Person"``, ``"a tool call"``), else ``None``.

    ``facts`` are the response facts an adapter kept (``request_id``, ``region``, ``deployment``,
    ``attempts``): they go into the error as they would for any other Azure error.
    """
    if finish_reason != FILTERED:
        return None
    from shared_core.wire.diagnose import completion_filtered_error

    facts = facts or {}
    meta = ResponseMeta(
        status=200,
        headers={},
        request_id=facts.get("request_id"),
        region=facts.get("region"),
        deployment=facts.get("deployment"),
        attempts=int(facts.get("attempts") or 1),
    )
    choice = Choice(
        index=index,
        role="assistant",
        content=None,
        finish_reason=finish_reason,
        content_filter_results=content_filter_results,
    )
    cut = completion_filtered_error(choice, meta)
    return ContentFilterError(
        f"No {expected} to parse: {cut.message}",
        categories=cut.categories,
        source="completion",
        status=cut.status,
        code=cut.code,
        request_id=cut.request_id,
        region=cut.region,
        deployment=cut.deployment,
        attempts=cut.attempts,
    )


__all__ = ["filtered_output_error"]
