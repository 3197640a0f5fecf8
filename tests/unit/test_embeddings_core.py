"""Embeddings core: batch planning, long inputs, body, base64/float parsing, ordering."""

from __future__ import annotations

import base64
import math
import struct

import pytest

from shared_core.errors import ConfigurationError
from shared_core.types import Usage
from shared_core.wire.embeddings import (
    build_embeddings_body,
    merge_pieces,
    parse_embeddings,
    plan_batches,
    split_long_inputs,
)
from shared_core.wire.tokens import estimate_tokens


def b64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


# ---------------------------------------------------------------------------------- batches


def test_batches_by_input_count() -> None:
    texts = ["word"] * 5000
    batches = plan_batches(texts)
    assert [len(b) for b in batches] == [2048, 2048, 904]
    assert [i for b in batches for i in b] == list(range(5000))


def test_batches_by_estimated_tokens() -> None:
    text = "alpha beta gamma delta " * 25  # 100 tokens by the estimate
    assert estimate_tokens(text) == 100
    batches = plan_batches([text] * 10, max_tokens=350)
    assert batches == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_small_batch_size() -> None:
    assert plan_batches(["a", "b", "c"], max_inputs=2) == [[0, 1], [2]]
    assert plan_batches([]) == []


def test_too_long_input_names_its_index() -> None:
    long = "word " * 9000
    with pytest.raises(ConfigurationError) as e:
        plan_batches(["ok", "fine", long])
    assert e.value.setting == "on_too_long"
    assert str(e.value) == (
        "input 2 is about 9000 tokens, over the per-input limit of 8191: shorten it, or pass "
        "on_too_long='split' (embed the pieces and average them) or 'truncate'"
    )


def test_too_long_is_budgeted_at_the_limit_when_split_or_truncated() -> None:
    long = "word " * 9000
    assert plan_batches(["a", long, "b"], on_too_long="truncate", max_tokens=8192) == [[0, 1], [2]]


def test_unknown_on_too_long() -> None:
    with pytest.raises(ConfigurationError) as e:
        plan_batches(["a"], on_too_long="drop")  # type: ignore[arg-type]
    assert "use 'error', 'split' or 'truncate'" in str(e.value)


def test_split_and_truncate_long_inputs() -> None:
    long = "word " * 250  # 250 tokens
    texts, owners = split_long_inputs(["short", long], max_input_tokens=100, on_too_long="split")
    assert owners[0] == 0 and set(owners[1:]) == {1} and len(owners) >= 3
    assert "".join(texts[1:]) == long  # nothing lost
    assert all(estimate_tokens(t) <= 100 for t in texts)
    cut, cut_owners = split_long_inputs(["short", long], max_input_tokens=100, on_too_long="truncate")
    assert cut_owners == [0, 1] and long.startswith(cut[1]) and estimate_tokens(cut[1]) <= 100
    with pytest.raises(ConfigurationError) as e:
        split_long_inputs(["short", long], max_input_tokens=100)
    assert "input 1 is about 250 tokens" in str(e.value)


def test_merge_pieces_averages_and_normalises() -> None:
    merged = merge_pieces([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], [0, 0, 1], 2)
    assert merged[0] == pytest.approx([math.sqrt(0.5), math.sqrt(0.5)])
    assert merged[1] == pytest.approx([0.6, 0.8])
    weighted = merge_pieces([[1.0, 0.0], [0.0, 1.0]], [0, 0], 1, weights=[3.0, 1.0])
    assert weighted[0] == pytest.approx([3 / math.sqrt(10), 1 / math.sqrt(10)])
    assert merge_pieces([[0.5, 0.5]], [0], 1) == [[0.5, 0.5]]  # no split: unchanged


# ------------------------------------------------------------------------------------- body


def test_body_defaults_to_base64() -> None:
    assert build_embeddings_body(("a", "b"), body_model=None, dimensions=None) == {
        "input": ["a", "b"],
        "encoding_format": "base64",
    }
    assert build_embeddings_body(["a"], body_model="te3", dimensions=256, encoding_format="float") == {
        "input": ["a"],
        "model": "te3",
        "encoding_format": "float",
        "dimensions": 256,
    }
    assert build_embeddings_body(["a"], body_model=None, dimensions=None, encoding_format=None) == {"input": ["a"]}
    with pytest.raises(ConfigurationError) as e:
        build_embeddings_body(["a"], body_model=None, dimensions=0)
    assert e.value.setting == "dimensions"


# ------------------------------------------------------------------------------------ parse


def test_parse_base64_in_order() -> None:
    v0, v1 = [0.25, -1.5, 3.0], [1.0, 2.0, 0.125]
    data = {
        "object": "list",
        "model": "text-embedding-3-small",
        "data": [
            {"object": "embedding", "index": 0, "embedding": b64(v0)},
            {"object": "embedding", "index": 1, "embedding": b64(v1)},
        ],
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
    vectors, usage = parse_embeddings(data)
    assert vectors == [v0, v1]
    assert usage == Usage(prompt_tokens=4, total_tokens=4, raw=data["usage"])


def test_parse_floats_out_of_order() -> None:
    data = {
        "data": [{"index": 2, "embedding": [3.0]}, {"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": [2.0]}]
    }
    vectors, usage = parse_embeddings(data)
    assert vectors == [[1.0], [2.0], [3.0]]
    assert usage is None


def test_parse_real_sized_vector() -> None:
    values = [(i % 97) / 97.0 - 0.5 for i in range(1536)]
    vectors, _ = parse_embeddings({"data": [{"index": 0, "embedding": b64(values)}]})
    assert len(vectors[0]) == 1536
    assert vectors[0] == pytest.approx(values, abs=1e-7)
