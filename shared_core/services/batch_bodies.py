"""Request bodies for the batch runner, and answers back out of its result.

Chat bodies are built by the same ``build_chat_body`` the interactive path uses (model-family
rules included), embedding bodies by ``build_embeddings_body`` (one text per line, base64 vectors:
a quarter of the bytes of a float list); answers are parsed by the interactive parsers, so a batch
answer and an interactive one come out identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared_core.errors import AzureOpenAIError, ConfigurationError
from shared_core.services.batch_results import BatchJobResult, BatchProgress
from shared_core.services.batch_runner import BatchRunner
from shared_core.types import ChatRequest, ChatResult
from shared_core.wire.chat import build_chat_body, parse_chat
from shared_core.wire.embeddings import (
    OnTooLong,
    build_embeddings_body,
    merge_pieces,
    parse_embeddings,
    split_long_inputs,
)
from shared_core.wire.models import profile_for


class BatchIncompleteError(AzureOpenAIError):
    """Some requests of a batch job have no successful answer; ``result`` holds what came back."""

    def __init__(self, message: str, result: BatchJobResult) -> None:
        super().__init__(message)
        self.result = result


def _few(indexes: list[int]) -> str:
    return ", ".join(map(str, indexes[:10])) + (", ..." if len(indexes) > 10 else "")


def require_complete(result: BatchJobResult) -> None:
    """Raise :class:`BatchIncompleteError` naming what failed and what never ran."""
    if result.complete:
        return
    parts = []
    if result.failed:
        parts.append(f"{len(result.failed)} failed (requests {_few(result.failed)})")
    if result.missing:
        parts.append(f"{len(result.missing)} never ran: batch expired or cancelled (requests {_few(result.missing)})")
    raise BatchIncompleteError(
        f"batch job {result.key[:12]}: {result.answered} of {result.total} requests answered; "
        + "; ".join(parts)
        + ". result.items holds the answers; use on_failure='retry' or 'interactive', or run the same input "
        "again to submit only what is missing",
        result,
    )


@dataclass(frozen=True, slots=True)
class EmbeddingInput:
    """The ``/embeddings`` bodies for a list of texts: one per text, or one per piece of a text over
    the model's input limit (``owners``: the text each body embeds, ``None`` when nothing was split)."""

    bodies: list[dict[str, Any]]
    owners: list[int] | None
    weights: list[float]  # each piece's length: the interactive path's merge weights
    count: int


def embedding_input(
    texts: Sequence[str], *, dimensions: int | None = None, on_too_long: OnTooLong = "error"
) -> EmbeddingInput:
    """One body per text sent; over-long texts handled as ``CoreClient.embed`` handles them."""
    if isinstance(texts, str):
        raise ConfigurationError(
            "embedding_requests() takes a list of texts, not one string: wrap it, [text]", setting="texts"
        )
    sent, owners = split_long_inputs(texts, on_too_long=on_too_long)
    split = len(owners) != len(texts)
    return EmbeddingInput(
        [build_embeddings_body([t], body_model=None, dimensions=dimensions) for t in sent],
        owners if split else None,
        [float(len(t)) for t in sent] if split else [],
        len(texts),
    )


def embedding_requests(
    texts: Sequence[str], *, dimensions: int | None = None, on_too_long: OnTooLong = "error"
) -> list[dict[str, Any]]:
    """One ``/embeddings`` body per text (per piece, when ``on_too_long`` splits a long one)."""
    return embedding_input(texts, dimensions=dimensions, on_too_long=on_too_long).bodies


def embedding_vectors(result: BatchJobResult, sent: EmbeddingInput | None = None) -> list[list[float]]:
    """The vectors in input order (split texts' pieces merged back, as the interactive path does);
    :class:`BatchIncompleteError` unless every request was answered."""
    require_complete(result)
    vectors = [parse_embeddings(item.body)[0][0] for item in result.items if item is not None and item.body is not None]
    if sent is None or sent.owners is None:
        return vectors
    return merge_pieces(vectors, sent.owners, sent.count, weights=sent.weights)


def chat_requests(
    requests: Sequence[ChatRequest], *, deployment: str, api_version: str | None = None
) -> list[dict[str, Any]]:
    """``/chat/completions`` bodies (without ``model``: the runner sets the deployment)."""
    return [
        build_chat_body(r, profile=profile_for(r.model, deployment), body_model=None, api_version=api_version)
        for r in requests
    ]


def chat_results(result: BatchJobResult) -> list[ChatResult | None]:
    """Parsed answers in input order; ``None`` where a request has no successful answer."""
    return [
        parse_chat(item.body, None) if item is not None and item.ok and item.body is not None else None
        for item in result.items
    ]


def counted(report: Callable[[int, int], None]) -> Callable[[BatchProgress], None]:
    """A ``(done, total)`` progress callback (what a progress bar takes) as a runner ``progress``."""
    return lambda p: report(p.completed + p.failed, p.total)


def batch_embed(
    runner: BatchRunner, texts: Sequence[str], *, dimensions: int | None = None, on_too_long: OnTooLong = "error"
) -> tuple[list[list[float]], BatchJobResult]:
    """Embed ``texts`` through the runner (an ``/embeddings`` one): vectors in input order and the job's result."""
    sent = embedding_input(texts, dimensions=dimensions, on_too_long=on_too_long)
    result = runner.run(sent.bodies)
    return embedding_vectors(result, sent), result


async def abatch_embed(
    runner: BatchRunner, texts: Sequence[str], *, dimensions: int | None = None, on_too_long: OnTooLong = "error"
) -> tuple[list[list[float]], BatchJobResult]:
    """Async :func:`batch_embed`."""
    sent = embedding_input(texts, dimensions=dimensions, on_too_long=on_too_long)
    result = await runner.arun(sent.bodies)
    return embedding_vectors(result, sent), result
