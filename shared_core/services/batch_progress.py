"""How a batch job's progress reaches people: a log line, a dict for framework events, a tqdm bar.

The runner hands a :class:`BatchProgress` to its ``progress`` callback after every poll; the
adapters pick the ways their users expect (LangChain: logging and callback events, plus a tqdm bar
when asked and installed; LlamaIndex: its ``show_progress`` tqdm bar). The wording and the numbers
are decided here once; the bar itself is made by the adapter (the core depends on no tqdm).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from shared_core.services.batch_results import BatchProgress

ProgressFn = Callable[[BatchProgress], None]


def progress_data(p: BatchProgress) -> dict[str, Any]:
    """The progress as a JSON-able dict (a callback event's payload)."""
    return {
        "total": p.total,
        "completed": p.completed,
        "failed": p.failed,
        "elapsed": round(p.elapsed, 3),
        "remaining": None if p.remaining is None else round(p.remaining, 3),
        "batch_ids": list(p.batch_ids),
    }


def describe(label: str, p: BatchProgress) -> str:
    """One line: ``Batch chat: 1,200/2,000 requests completed, 3 failed, 41 s elapsed, ETA 27 s (batch_a, batch_b)``."""
    eta = "ETA unknown" if p.remaining is None else f"ETA {p.remaining:.0f} s"
    ids = f" ({', '.join(p.batch_ids)})" if p.batch_ids else ""
    return (
        f"{label}: {p.completed:,}/{p.total:,} requests completed, {p.failed:,} failed, "
        f"{p.elapsed:.0f} s elapsed, {eta}{ids}"
    )


def log_progress(logger: logging.Logger, label: str) -> ProgressFn:
    """Log each change of the counts at INFO (polls that changed nothing are not repeated)."""
    last: list[tuple[int, int]] = []

    def report(p: BatchProgress) -> None:
        counts = (p.completed, p.failed)
        if last and last[0] == counts:
            return
        last[:] = [counts]
        if logger.isEnabledFor(logging.INFO):
            logger.info(describe(label, p), extra={"azoai_batch": progress_data(p)})

    return report


def bar_progress(bar: Any) -> ProgressFn:
    """Drive a tqdm-like bar (``n``, ``set_postfix``, ``refresh``, ``close``: the adapter makes it, so the
    core imports no tqdm) over the requests: completed and failed counted, failures in the postfix."""

    def update(p: BatchProgress) -> None:
        bar.n = p.completed + p.failed
        bar.set_postfix(failed=p.failed, refresh=False)
        bar.refresh()
        if bar.n >= p.total:
            bar.close()

    return update


def fan_out(*targets: ProgressFn | None) -> ProgressFn | None:
    """One callback calling every given one (``None`` when none is given)."""
    live = [t for t in targets if t is not None]
    if not live:
        return None
    if len(live) == 1:
        return live[0]

    def report(p: BatchProgress) -> None:
        for t in live:
            t(p)

    return report
