"""Request bodies for the batch runner, and answers back out of its result.

Chat bodies are built by the same ``build_chat_body`` the interactive path uses (model-family
rules included), embedding bodies by ``build_embeddings_body`` (one text per line, base64 vectors:
a quarter of the bytes of a float list); answers are parsed by the interactive parsers, so a batch
answer and an interactive one come out identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any, overload

from shared_core.errors import AzureOpenAIError, ConfigurationError
from shared_core.services.batch_manifest import encode_body
from shared_core.services.batch_results import BatchItem, BatchJobResult, BatchProgress
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
        + (". result.items holds the answers" if result.items else ". The answers were handed on as they came")
        + "; use on_failure='retry' or 'interactive', or run the same input again to submit only what is missing",
        result,
    )


@dataclass(frozen=True, slots=True)
class EmbeddingInput:
    """The ``/embeddings`` bodies for a list of texts: one per text, or one per piece of a text over
    the model's input limit (``owners``: the text each body embeds, ``None`` when nothing was split)."""

    bodies: EmbeddingBodies
    owners: list[int] | None
    weights: list[float]  # each piece's length: the interactive path's merge weights
    count: int


_encode_str: Callable[[str], str] = encode_basestring_ascii  # what encode_body writes for a str
_MARK = "\x00azoai"


class EmbeddingBodies(Sequence[dict[str, Any]]):
    """The ``/embeddings`` body of each text, made when the runner reads it: a corpus of millions
    is not held a second time as request bodies."""

    def __init__(self, texts: Sequence[str], *, dimensions: int | None = None) -> None:
        self.texts = texts
        self.dimensions = dimensions
        # every body is this around its text: the plan and the part files encode each body, and
        # the text alone (the C string encoder) costs a fifth of encoding the dict
        sample = encode_body(build_embeddings_body([_MARK], body_model=None, dimensions=dimensions))
        self._head, self._tail = sample.split(encode_body(_MARK))

    def encoded(self, i: int) -> str:
        """``encode_body(self[i])``, the same characters, without building the dict."""
        text = self.texts[i]
        if type(text) is not str:
            return encode_body(self[i])
        return self._head + _encode_str(text) + self._tail

    def __len__(self) -> int:
        return len(self.texts)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self.texts)))]
        return build_embeddings_body([self.texts[i]], body_model=None, dimensions=self.dimensions)


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
        EmbeddingBodies(sent, dimensions=dimensions),
        owners if split else None,
        [float(len(t)) for t in sent] if split else [],
        len(texts),
    )


def embedding_requests(
    texts: Sequence[str], *, dimensions: int | None = None, on_too_long: OnTooLong = "error"
) -> list[dict[str, Any]]:
    """One ``/embeddings`` body per text (per piece, when ``on_too_long`` splits a long one)."""
    return list(embedding_input(texts, dimensions=dimensions, on_too_long=on_too_long).bodies)


def embedding_vectors(result: BatchJobResult, sent: EmbeddingInput | None = None) -> list[list[float]]:
    """The vectors in input order (split texts' pieces merged back, as the interactive path does);
    :class:`BatchIncompleteError` unless every request was answered."""
    require_complete(result)
    vectors = [parse_embeddings(item.body)[0][0] for item in result.items if item is not None and item.body is not None]
    if sent is None or sent.owners is None:
        return vectors
    return merge_pieces(vectors, sent.owners, sent.count, weights=sent.weights)


def _vector_sink(
    sent: EmbeddingInput, on_vector: Callable[[int, list[float]], None] | None
) -> tuple[list[list[float]], Callable[[BatchItem], None]]:
    """Each answer decoded as it is read (its base64 body dropped right after): into a list in
    input order, or handed to ``on_vector`` (then the list stays empty). A split text's pieces are
    kept until the job ends, when they are merged (:func:`_merged`)."""
    keep = on_vector is None or sent.owners is not None
    vectors: list[Any] = [None] * len(sent.bodies) if keep else []

    def take(item: BatchItem) -> None:
        if item.ok and item.body is not None:
            vector = parse_embeddings(item.body)[0][0]
            if on_vector is None or keep:
                vectors[item.index] = vector
            else:
                on_vector(item.index, vector)

    return vectors, take


def _merged(
    sent: EmbeddingInput, vectors: list[list[float]], on_vector: Callable[[int, list[float]], None] | None
) -> list[list[float]]:
    if sent.owners is None:
        return vectors
    merged = merge_pieces(vectors, sent.owners, sent.count, weights=sent.weights)
    if on_vector is None:
        return merged
    for i, vector in enumerate(merged):
        on_vector(i, vector)
    return []


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
    runner: BatchRunner,
    texts: Sequence[str],
    *,
    dimensions: int | None = None,
    on_too_long: OnTooLong = "error",
    on_vector: Callable[[int, list[float]], None] | None = None,
) -> tuple[list[list[float]], BatchJobResult]:
    """Embed ``texts`` through the runner (an ``/embeddings`` one): vectors in input order and the
    job's result. ``on_vector(index, vector)``: each vector as it is read, in the order Azure wrote
    them, none kept (the list returned is empty): memory stays flat however large the corpus (texts
    split by ``on_too_long="split"`` are handed on once the job ends, merged).
    :class:`BatchIncompleteError` (after every answer was handed on) unless all were answered."""
    sent = embedding_input(texts, dimensions=dimensions, on_too_long=on_too_long)
    vectors, take = _vector_sink(sent, on_vector)
    result = runner.run(sent.bodies, on_item=take)
    require_complete(result)
    return _merged(sent, vectors, on_vector), result


async def abatch_embed(
    runner: BatchRunner,
    texts: Sequence[str],
    *,
    dimensions: int | None = None,
    on_too_long: OnTooLong = "error",
    on_vector: Callable[[int, list[float]], None] | None = None,
) -> tuple[list[list[float]], BatchJobResult]:
    """Async :func:`batch_embed`."""
    sent = embedding_input(texts, dimensions=dimensions, on_too_long=on_too_long)
    vectors, take = _vector_sink(sent, on_vector)
    result = await runner.arun(sent.bodies, on_item=take)
    require_complete(result)
    return _merged(sent, vectors, on_vector), result
