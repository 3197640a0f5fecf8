"""Token-ID embedding inputs embed as the text they encode (issue 11 §2).

langchain-openai's AzureOpenAIEmbeddings tokenizes with tiktoken and sends arrays of token IDs
(``check_embedding_ctx_length=True``, its default); Azure embeds those as the text. tiktoken's
cl100k_base file comes from llama-index's bundled cache (tests never download).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_core.emulator import token_ids

KEY = "azoai-emulator-key"
TEXTS = ["The capital of France is Paris.", "Quarterly revenue grew 12% to 4.2 billion euros.", "naïve café ☕"]


@pytest.fixture
def tiktoken_cache(monkeypatch: pytest.MonkeyPatch) -> Path:
    import llama_index.core

    cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
    assert (cache / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4").is_file(), "llama-index ships cl100k_base"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    return cache


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    from shared_core.emulator.server import start_in_thread

    handle = start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


def _embed(port: int, inputs: Any) -> list[list[float]]:
    r = httpx.post(
        f"http://127.0.0.1:{port}/openai/deployments/text-embedding-3-small/embeddings",
        params={"api-version": "2024-10-21"},
        headers={"api-key": KEY},
        json={"input": inputs},
    )
    assert r.status_code == 200, r.text
    return [d["embedding"] for d in r.json()["data"]]


def test_token_ids_embed_as_their_text(tiktoken_cache: Path, emulator: Any) -> None:
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base")
    ids = [enc.encode(t) for t in TEXTS]
    assert _embed(emulator.port, ids) == _embed(emulator.port, TEXTS)
    assert _embed(emulator.port, ids[0]) == _embed(emulator.port, TEXTS[0])
    assert token_ids.decode(ids[2]) == TEXTS[2]


def test_without_tiktokens_cache_llama_indexs_bundled_copy_decodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Any
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # a machine that never downloaded it
    assert token_ids.decode([791, 6864]) == "The capital"


def test_without_any_vocabulary_ids_stay_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Any
) -> None:
    import importlib.util

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)  # no llama-index
    assert token_ids.decode([791, 6864]) == "791 6864"


def test_langchain_openai_vectors_equal_ours(tiktoken_cache: Path, emulator: Any) -> None:
    import langchain_openai

    import langchain_azoai

    common: dict[str, Any] = {
        "azure_deployment": "text-embedding-3-small",
        "model": "text-embedding-3-small",
        "api_key": KEY,
        "azure_endpoint": f"http://127.0.0.1:{emulator.port}",
        "api_version": "2024-10-21",
    }
    theirs = langchain_openai.AzureOpenAIEmbeddings(**common)
    assert theirs.check_embedding_ctx_length  # the default: token IDs on the wire
    ours = langchain_azoai.AzureOpenAIEmbeddings(**common)
    expected = ours.embed_documents(TEXTS)
    got = theirs.embed_documents(TEXTS)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(e, abs=1e-6)
    assert theirs.embed_query(TEXTS[0]) == pytest.approx(ours.embed_query(TEXTS[0]), abs=1e-6)
