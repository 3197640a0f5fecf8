"""What the demo prints: plain-text output, the validated order, the summary table."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from azoai_app.demo.content import Order

if TYPE_CHECKING:
    from azoai_app.demo.steps import StepResult


class Console:
    """Plain-text output: no colour, no terminal tricks, readable in a log file."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def wrapped(self, prefix: str, text: str, width: int = 100) -> None:
        """Print ``text`` after ``prefix``, wrapping continuation lines under the text."""
        indent = " " * len(prefix)
        paragraphs = [p for p in text.strip().splitlines() if p.strip()] or [""]
        first = True
        for para in paragraphs:
            wrapped = textwrap.wrap(para, width=width - len(prefix), break_long_words=False, break_on_hyphens=False)
            for ln in wrapped or [""]:
                self.line((prefix if first else indent) + ln)
                first = False

    def stream(self, prefix: str, width: int = 100) -> Callable[[str], None]:
        """A writer for streamed tokens that wraps at word boundaries like :meth:`wrapped`."""
        indent = " " * len(prefix)
        self.write(prefix)
        col = len(prefix)

        def write(token: str) -> None:
            nonlocal col
            for i, piece in enumerate(token.split("\n")):
                if i:
                    self.write("\n" + indent)
                    col = len(indent)
                if piece.startswith(" ") and col + len(piece) > width and col > len(indent):
                    self.write("\n" + indent)
                    col = len(indent)
                    piece = piece.lstrip(" ")
                self.write(piece)
                col += len(piece)

        return write

    def section(self, title: str) -> None:
        self.line()
        self.line(f"== {title} " + "=" * max(3, 96 - len(title)))


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def shorten(value: object, limit: int = 110) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_order(console: Console, order: object) -> None:
    """Print a validated order, one field a line, and check it is what we asked for."""
    if not isinstance(order, Order):
        raise TypeError(f"expected an Order, got {type(order).__name__}: {order!r}")
    console.line(f"  -> {type(order).__name__} (validated by Pydantic):")
    for name, value in order.model_dump().items():
        console.line(f"       {name:<17} = {value!r}")


def print_table(console: Console, results: Sequence[StepResult], total: float) -> None:
    """One row per step, then totals; ``-`` marks a number the metadata did not carry."""
    console.section("Summary")
    console.line(
        f"  {'framework':<11}{'step':<11}{'status':<7}{'time':>8}{'tokens':>9}{'requests':>10}{'retries':>9}  region"
    )
    notes: list[str] = []
    for r in results:
        if r.prompt_tokens is None and r.completion_tokens is None:
            tokens = "-"
            if r.tokens_note not in notes:
                notes.append(r.tokens_note)
        else:
            tokens = f"{(r.prompt_tokens or 0) + (r.completion_tokens or 0):,}"
        region = ", ".join(sorted(set(r.regions))) or "-"
        if r.regions and r.region_source != "metadata":
            region += " (header)"
        console.line(
            f"  {r.framework:<11}{r.name:<11}{'ok' if r.ok else 'FAILED':<7}{r.seconds:>6.2f} s"
            f"{tokens:>9}{r.requests:>10}{r.retries:>9}  {region}"
        )
    tokens_total = sum((r.prompt_tokens or 0) + (r.completion_tokens or 0) for r in results)
    console.line(
        f"  {'total':<29}{total:>6.2f} s{tokens_total:>9,}{sum(r.requests for r in results):>10}"
        f"{sum(r.retries for r in results):>9}"
    )
    for note in notes:
        console.line(f"  tokens -: {note}")
    if any(r.regions and r.region_source != "metadata" for r in results):
        console.line("  region (header): read from the x-ms-region response header, not the adapter's metadata")


__all__ = ["Console", "plural", "print_table", "shorten", "show_order"]
