"""Token estimates: exact on sentences with known o200k counts, sane bands elsewhere."""

from __future__ import annotations

import pytest

from shared_core.tokens import estimate_message_tokens, estimate_tokens

# o200k_base counts of these strings (each word/punctuation is one token in o200k)
KNOWN = [
    ("", 0),
    ("hello world", 2),
    ("Hello, world!", 4),
    ("The quick brown fox jumps over the lazy dog.", 10),
    ("1234567890", 4),  # o200k groups digits by three: 123|456|789|0
    ("What is the capital of France?", 7),
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


def test_english_prose_is_about_four_characters_per_token() -> None:
    n = estimate_tokens(PROSE)
    # o200k gives about 80 tokens for this paragraph (4.7 chars/token); allow +-15%
    assert 68 <= n <= 92, n
    assert estimate_tokens(PROSE * 10) == n * 10


def test_long_rare_words_cost_more_than_one_token() -> None:
    assert estimate_tokens("antidisestablishmentarianism") >= 3
    assert estimate_tokens("cat") == 1


def test_whitespace_and_code() -> None:
    assert estimate_tokens("a b") == estimate_tokens("a  b") - 1  # an indent run costs one
    assert estimate_tokens("x\n\n\ny") == 3
    code = "def add(a, b):\n    return a + b\n"
    assert 10 <= estimate_tokens(code) <= 16


def test_cjk_counts_per_character_not_per_run() -> None:
    # no spaces: a per-word estimate would say 1
    assert estimate_tokens("人工智能正在改变世界的每一个角落") >= 8


def test_message_overhead_follows_the_chat_format() -> None:
    # 3 per message + content + 3 priming the reply (OpenAI's published counting recipe)
    assert estimate_message_tokens([{"role": "user", "content": "hello world"}]) == 8
    msgs = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "name": "ann", "content": [
            {"type": "text", "text": "hello world"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c", "type": "function",
             "function": {"name": "lookup", "arguments": "{\"q\": \"x\"}"}}]},
    ]
    expected = (3 + 3                     # priming + system
                + estimate_tokens("Be brief.")
                + 3 + 1 + 1 + 2 + 85      # user: overhead, name, "ann", text, low image
                + 3 + 3 + 1 + estimate_tokens("{\"q\": \"x\"}"))
    assert estimate_message_tokens(msgs) == expected
