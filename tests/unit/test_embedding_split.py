"""Splitting over-long embedding inputs: one pass, pieces as large as the limit allows, nothing lost.

Splitting used to re-estimate the whole rest of the text after every cut (quadratic: a 4 MB input
took 18 s, 10 MB minutes); ``benchmarks/bench_embedding_split.py`` measures it, these check the result.
"""

from __future__ import annotations

import pytest

from shared_core.wire.embeddings import split_long_inputs, split_long_inputs_counted
from shared_core.wire.tokens import estimate_tokens, token_pieces

PROSE = (
    "Azure OpenAI routes every request by deployment name, not by model name; the deployment"
    " called chat may run gpt-4o. Tokens per minute (TPM) and requests per minute (RPM) limit it.\n"
    "  def resolve(self, name: str) -> Target:  # 12345678 \u4f60\u597d\u4e16\u754c \u041f\u0440\u0438\u0432\u0435\u0442\n"
)


def _check_pieces(text: str, pieces: list[str], counts: list[int], limit: int) -> None:
    assert "".join(pieces) == text  # nothing lost, nothing repeated, order kept
    assert counts == [estimate_tokens(p) for p in pieces]  # the counts handed to plan_batches are true
    assert all(0 < n <= limit for n in counts)
    # as few pieces as possible: no two neighbours would fit in one input
    assert all(estimate_tokens(a + b) > limit for a, b in zip(pieces, pieces[1:], strict=False))


def test_a_4mb_input_is_split_into_full_pieces_that_rebuild_it() -> None:
    text = (PROSE * (4_000_000 // len(PROSE) + 1))[:4_000_000]
    sent, owners, counts = split_long_inputs_counted(["short", text, "tail"], on_too_long="split")
    assert owners[0] == 0 and owners[-1] == 2 and set(owners[1:-1]) == {1}
    assert sent[0] == "short" and sent[-1] == "tail"
    _check_pieces(text, sent[1:-1], counts[1:-1], 8191)
    # the total is the whole text's estimate, give or take the rounding of each piece
    total = estimate_tokens(text)
    assert abs(sum(counts[1:-1]) - total) <= len(counts)
    # full pieces: within 1% of the fewest the limit allows (the old cut-at-95% made 5% more)
    assert len(counts) - 2 <= total / 8191 * 1.01 + 1


def test_truncate_keeps_the_largest_prefix_within_the_limit() -> None:
    text = PROSE * 2000
    (cut,), owners = split_long_inputs([text], max_input_tokens=500, on_too_long="truncate")
    assert owners == [0] and text.startswith(cut)
    assert estimate_tokens(cut) <= 500 < estimate_tokens(text[: len(cut) + 60])


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000,  # one "word" far over the limit: cut by length
        "x " * 10 + "Q" * 50_000 + " tail words here" * 50,  # a huge word between ordinary text
        "\u4f60" * 30_000,  # one run of CJK characters
        "!" * 40_000,  # one run of symbols
    ],
)
def test_single_pretokens_over_the_limit_are_cut_inside(text: str) -> None:
    pieces = list(token_pieces(text, 300))
    assert "".join(p for p, _ in pieces) == text
    assert all(n == estimate_tokens(p) and n <= 300 for p, n in pieces)
    assert len(pieces) <= 2 + estimate_tokens(text) // 250  # pieces are not needlessly small


def test_short_text_is_one_piece_and_bad_limits_are_refused() -> None:
    assert list(token_pieces("hello world", 10)) == [("hello world", 2)]
    assert list(token_pieces("", 10)) == []
    with pytest.raises(ValueError, match="limit=0 must be >= 1"):
        list(token_pieces("hello", 0))
