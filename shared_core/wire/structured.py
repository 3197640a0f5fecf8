"""Structured output: the check every adapter applies before parsing an answer into a schema.

A completion that Azure's content filter stopped (``finish_reason == "content_filter"``) carries no
content, or a cut-off prefix: parsing it would raise a schema library's validation error on an empty
string, which hides the cause. :func:`structured_output_error` turns it into the
``ContentFilterError`` (``source="completion"``, with the filtered categories) that says so; adapters
that keep only the response metadata (LlamaIndex) call :func:`filtered_output_error` with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared_core.errors import ContentFilterError
from shared_core.types import Choice, ResponseMeta

FILTERED = "content_filter"


def structured_output_error(
    choice: Choice, meta: ResponseMeta | None, *, expected: str = "structured output"
) -> ContentFilterError | None:
    """The error to raise instead of parsing ``choice`` into ``expected`` (e.g. ``"a Person"``), or
    None to parse it."""
    if choice.finish_reason != FILTERED:
        return None
    from shared_core.wire.diagnose import completion_filtered_error

    err = completion_filtered_error(choice, meta)
    err.message = f"No {expected} to parse: {err.message}"
    err.args = (err.message,)
    return err


def check_structured_output(choice: Choice, meta: ResponseMeta | None, *, expected: str = "structured output") -> None:
    """Raise ``structured_output_error(choice, meta)`` when there is one."""
    err = structured_output_error(choice, meta, expected=expected)
    if err is not None:
        raise err


def filtered_output_error(
    finish_reason: str | None,
    content_filter_results: Mapping[str, Any] | None,
    *,
    expected: str,
    facts: Mapping[str, Any] | None = None,
    index: int = 0,
) -> ContentFilterError | None:
    """:func:`structured_output_error` from the values an adapter kept in its response metadata
    (``finish_reason``, ``content_filter_results`` and the ``ResponseMeta.facts()`` keys)."""
    if finish_reason != FILTERED:
        return None
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
    return structured_output_error(choice, meta, expected=expected)


__all__ = ["check_structured_output", "filtered_output_error", "structured_output_error"]
