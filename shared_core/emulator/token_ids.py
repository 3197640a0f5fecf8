"""Token-ID embedding inputs decoded back to their text, without tiktoken.

Azure embeds an array of token IDs exactly as the text they encode, and langchain-openai sends
such arrays by default (``check_embedding_ctx_length``). The emulator cannot tokenize like the
models (its own counts are estimates, ``behaviour.count_tokens``), but decoding needs only the
vocabulary: rank -> bytes. The client that produced the IDs ran tiktoken on this machine (the
emulator serves loopback only), and tiktoken keeps the vocabulary it downloaded in a cache file,
plain text ``base64(token) rank`` per line. The emulator reads that file, with no tiktoken import.
Without one, IDs stay their decimal numbers (the earlier behaviour), and the vectors differ from
the text's.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

#: The encoding of the embedding models (text-embedding-3-*, ada-002), and where tiktoken fetches it.
CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def cache_dirs() -> list[Path]:
    """tiktoken's cache folders, in its own order (``tiktoken/load.py``: read_file_cached)."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if os.environ.get(var):
            return [Path(os.environ[var])]
    return [Path(tempfile.gettempdir()) / "data-gym-cache"]


def _bundled_dirs() -> list[Path]:
    """llama-index-core ships tiktoken's cache of cl100k_base (``_static/tiktoken_cache``); found
    without importing llama-index, so a machine that never downloaded the file still decodes."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("llama_index.core")
    except (ImportError, ValueError):
        return []
    if spec is None or spec.origin is None:
        return []
    return [Path(spec.origin).parent / "_static" / "tiktoken_cache"]


def vocabulary_file(url: str = CL100K_URL) -> Path | None:
    """The cached vocabulary file tiktoken wrote for ``url`` (named by the URL's SHA-1), if any:
    in tiktoken's cache folder, else the copy llama-index-core bundles."""
    name = hashlib.sha1(url.encode()).hexdigest()  # noqa: S324 - tiktoken's cache key, not security
    for d in [*cache_dirs(), *_bundled_dirs()]:
        if (d / name).is_file():
            return d / name
    return None


@cache
def _load(path: Path) -> dict[int, bytes]:
    ranks: dict[int, bytes] = {}
    for line in path.read_bytes().splitlines():
        token, _, rank = line.partition(b" ")
        if rank:
            ranks[int(rank)] = base64.b64decode(token)
    return ranks


def decode(ids: Sequence[int]) -> str:
    """The text of cl100k_base token ``ids``; their decimal numbers when no vocabulary is cached."""
    path = vocabulary_file()
    vocab = _load(path) if path else {}
    if not vocab or any(i not in vocab for i in ids):
        return " ".join(map(str, ids))
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")
