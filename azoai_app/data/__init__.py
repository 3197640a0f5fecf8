"""The demo corpus: short product documents about "Verdant Hub", a fictional greenhouse controller.

Every fact in it is made up, which is the point: a model cannot answer questions about Verdant Hub
from its training data, so a correct answer shows retrieval worked.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class CorpusDocument:
    """One document: its file name (used as the citation) and its markdown text."""

    name: str
    text: str

    @property
    def title(self) -> str:
        """The first markdown heading, without the ``#``."""
        first = self.text.splitlines()[0] if self.text else ""
        return first.lstrip("#").strip() or self.name


def load_corpus() -> list[CorpusDocument]:
    """The corpus shipped with the package, sorted by file name."""
    root = resources.files(__name__)
    docs = [
        CorpusDocument(entry.name, entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.name.endswith(".md")
    ]
    return sorted(docs, key=lambda d: d.name)


__all__ = ["CorpusDocument", "load_corpus"]
