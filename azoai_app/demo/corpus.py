"""The corpus as the demo uses it: chunks to embed, passages to cite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from azoai_app.data import CorpusDocument


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of one document: its file name (the citation), the document title and some lines."""

    source: str
    title: str
    body: str

    @property
    def text(self) -> str:
        """What gets embedded: the title keeps every chunk saying what it is about."""
        return f"{self.title}\n{self.body}"


def chunk_corpus(docs: Sequence[CorpusDocument], max_chars: int = 360) -> list[Chunk]:
    """Split each document on line boundaries into bodies of at most ``max_chars``."""
    chunks: list[Chunk] = []
    for doc in docs:
        lines = [ln.strip() for ln in doc.text.splitlines() if ln.strip()]
        body_lines = lines[1:] if lines and lines[0].startswith("#") else lines
        current: list[str] = []
        for ln in body_lines:
            if current and sum(len(x) + 1 for x in current) + len(ln) > max_chars:
                chunks.append(Chunk(doc.name, doc.title, "\n".join(current)))
                current = []
            current.append(ln)
        if current:
            chunks.append(Chunk(doc.name, doc.title, "\n".join(current)))
    return chunks


def format_context(hits: Sequence[Chunk]) -> str:
    """Passages for a prompt, each under a ``[file.md] title`` line the model can cite."""
    return "\n\n".join(f"[{h.source}] {h.title}\n\n{h.body}" for h in hits)


def format_passages(hits: Sequence[Chunk]) -> str:
    """Passages as a tool result: one line each, led by the document name."""
    return "\n".join(f"[{h.source}] {' '.join(h.body.split())}" for h in hits)


def unique_sources(hits: Sequence[Chunk]) -> list[str]:
    seen: list[str] = []
    for h in hits:
        if h.source not in seen:
            seen.append(h.source)
    return seen


__all__ = ["Chunk", "chunk_corpus", "format_context", "format_passages", "unique_sources"]
