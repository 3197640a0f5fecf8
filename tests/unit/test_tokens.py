"""Token estimates: exact on sentences with known o200k counts, sane bands elsewhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from shared_core.wire.tokens import estimate_message_tokens, estimate_tokens

REPO = Path(__file__).resolve().parents[2]

# o200k_base counts of these strings (checked with tiktoken)
KNOWN = [
    ("", 0),
    ("hello world", 2),
    ("Hello, world!", 4),
    ("The quick brown fox jumps over the lazy dog.", 10),
    ("1234567890", 4),  # o200k groups digits by three: 123|456|789|0
    ("What is the capital of France?", 7),
    ("I don't know what you're saying.", 7),
    ("Привет, как дела?", 6),
    ("人工智能正在改变世界的每一个角落", 10),
    ("x\n\n\ny", 3),
]

PROSE = (
    "Azure OpenAI Service provides REST API access to OpenAI's powerful language models. "
    "These models can be easily adapted to your specific task including but not limited to "
    "content generation, summarization, image understanding, semantic search, and natural "
    "language to code translation. Users can access the service through REST APIs, Python SDK, "
    "or the web-based interface in the Azure AI Foundry portal.\n\n"
)


@pytest.mark.parametrize(("text", "tokens"), KNOWN)
def test_known_counts(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_english_prose_is_close_to_o200k() -> None:
    n = estimate_tokens(PROSE)
    # o200k says 75 tokens for this paragraph; allow 10% either way
    assert 68 <= n <= 82, n
    assert abs(estimate_tokens(PROSE * 10) - n * 10) <= 5  # additive, up to rounding


def test_long_rare_words_cost_more_than_one_token() -> None:
    assert estimate_tokens("antidisestablishmentarianism") >= 3
    assert estimate_tokens("cat") == 1


def test_whitespace_and_code() -> None:
    assert estimate_tokens("a b") == estimate_tokens("a  b") - 1  # an indent run costs one
    assert estimate_tokens("x\n\n\ny") == 3
    code = "def add(a, b):\n    return a + b\n"
    assert estimate_tokens(code) == 12  # o200k: 12


def test_cjk_counts_per_character_not_per_run() -> None:
    # no spaces: a per-word estimate would say 1
    assert estimate_tokens("人工智能正在改变世界的每一个角落") >= 8


def test_message_overhead_follows_the_chat_format() -> None:
    # 3 per message + content + 3 priming the reply (OpenAI's published counting recipe)
    assert estimate_message_tokens([{"role": "user", "content": "hello world"}]) == 8
    msgs = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "name": "ann",
            "content": [
                {"type": "text", "text": "hello world"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}],
        },
    ]
    expected = (
        3
        + 3  # priming + system
        + estimate_tokens("Be brief.")
        + 3
        + 1
        + 1
        + 2
        + 85  # user: overhead, name, "ann", text, low image
        + 3
        + 3
        + 1
        + estimate_tokens('{"q": "x"}')
    )
    assert estimate_message_tokens(msgs) == expected


def _o200k() -> Any:
    """tiktoken's o200k_base from llama-index's bundled cache (no download), else skip."""
    tiktoken = pytest.importorskip("tiktoken")
    import llama_index.core

    cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
    if not (cache / "fb374d419588a4632f3f557e76b4b70aebbca790").is_file():
        pytest.skip(f"no o200k_base file in {cache}")
    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        return tiktoken.get_encoding("o200k_base")
    finally:
        if old is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old


def test_close_to_o200k_on_english_docs_and_code() -> None:
    enc = _o200k()
    files = sorted((REPO / "shared_core").glob("*.py")) + sorted((REPO / "docs").glob("*.md"))
    texts = [t for t in (f.read_text(encoding="utf-8") for f in files) if len(t) > 4000][:10]
    assert len(texts) >= 5
    real_total = estimated_total = 0
    for text in texts:
        real, estimated = len(enc.encode(text)), estimate_tokens(text)
        assert 0.8 * real <= estimated <= 1.2 * real
        real_total += real
        estimated_total += estimated
    assert 0.9 * real_total <= estimated_total <= 1.1 * real_total
    for text, tokens in KNOWN:
        assert len(enc.encode(text)) == tokens  # the table above is o200k's truth
