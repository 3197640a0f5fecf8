"""Structured output: the checks every adapter applies before parsing an answer into a schema.

A completion that Azure's content filter stopped (``finish_reason == "content_filter"``) carries
no content, or a cut-off prefix: parsing it would raise a schema library's validation error on an
empty string, which hides the cause. ``structured_output_error`` turns it into the
``ContentFilterError`` (``source="completion"``, with the filtered categories) that says so.
"""

from __future__ import annotations

from shared_core.errors import ContentFilterError
from shared_core.types import Choice, ResponseMeta


def structured_output_error(choice: Choice, meta: ResponseMeta | None) -> ContentFilterError | None:
    """The error to raise instead of parsing ``choice`` into a schema, or None to parse it."""
    if choice.finish_reason != "content_filter":
        return None
    from shared_core.wire.diagnose import completion_filtered_error

    err = completion_filtered_error(choice, meta)
    err.message = "structured output cannot be parsed: " + err.message
    err.args = (err.message,)
    return err


def check_structured_output(choice: Choice, meta: ResponseMeta | None) -> None:
    """Raise ``structured_output_error(choice, meta)`` when there is one."""
    err = structured_output_error(choice, meta)
    if err is not None:
        raise err


__all__ = ["check_structured_output", "structured_output_error"]
