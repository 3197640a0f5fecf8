"""Load the real Azure traffic in ``../shared/azure-recordings`` as normalised interactions.

One loader for every format the folder holds, so the conformance tests, the emulator fidelity
test and the adapters' conformance tests all see the same records:

* VCR.py YAML (``interactions:``; ``request.body``, ``response.body.string``, possibly gzip'd
  with ``content-encoding: gzip``, possibly ``!!binary``), also pydantic-ai's variant with
  ``parsed_body`` and its realtime WebSocket frames (``kind: message``);
* gzip'd VCR.py YAML (``.yaml.gz``; the decompressed copy beside it is skipped, counted once);
* Ruby VCR YAML (``http_interactions:``; ``body.string`` with ``encoding``, ``!binary`` base64
  or ``base64_string``);
* Azure SDK test-proxy JSON (``Entries``; ``ResponseBody`` as JSON, a list of SSE lines, text or
  base64);
* a bare JSON error body (Go SDK testdata), with the status taken from ``error.status``.

Usage::

    from conformance.recordings import load_interactions, default_root
    for ix in load_interactions(default_root()):
        if ix.operation == "chat/completions" and ix.status == 200 and not ix.stream:
            data = ix.json()

``load_interactions`` caches per root for the process, so every test module can call it.
``tests/`` is on ``sys.path`` under pytest (rootdir conftest), hence ``conformance.recordings``.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from .recording_formats import from_bare_error, from_test_proxy, from_yaml_doc, yaml_load
from .recording_record import (
    CHAT,
    COMPLETIONS,
    EMBEDDINGS,
    REALTIME,
    RESPONSES,
    SUPPORTED_OPERATIONS,
    Interaction,
    parse_sse,
)

__all__ = [
    "iter_kind",
    "kind_of",
    "load_file",
    "parse_sse",
    "CHAT",
    "COMPLETIONS",
    "EMBEDDINGS",
    "SUPPORTED_OPERATIONS",
    "Interaction",
    "default_root",
    "load_interactions",
    "summarize",
]


def default_root() -> Path:
    """Where the recordings live: ``$AZOAI_RECORDINGS`` or ``<repo>/../shared/azure-recordings``."""
    env = os.environ.get("AZOAI_RECORDINGS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "azure-recordings"


# --------------------------------------------------------------------------------------------
# loading


def load_interactions(root: str | Path | None = None) -> list[Interaction]:
    """Every interaction under ``root`` (default: ``default_root()``), in a stable order.

    Cached per resolved root for the life of the process; the returned list is shared, so
    do not mutate it. Raises ``FileNotFoundError`` when the folder does not exist.
    """
    path = Path(root) if root is not None else default_root()
    return list(_load_cached(str(path.resolve())))


@functools.lru_cache(maxsize=4)
def _load_cached(root: str) -> tuple[Interaction, ...]:
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"recordings folder not found: {base}")
    out: list[Interaction] = []
    for file in _recording_files(base):
        out.extend(load_file(file, base))
    return tuple(out)


def _recording_files(base: Path) -> list[Path]:
    files = sorted(p for p in base.rglob("*") if p.is_file())
    names = {str(p) for p in files}
    chosen = []
    for p in files:
        s = str(p)
        if s.endswith((".yaml.gz", ".yml.gz", ".yaml", ".yml", ".json")):
            # a .yaml beside its .yaml.gz is the same cassette decompressed: count it once
            if s.endswith((".yaml", ".yml")) and s + ".gz" in names:
                continue
            chosen.append(p)
    return chosen


def load_file(path: Path, root: Path) -> list[Interaction]:
    """The interactions of one recording file (any supported format)."""
    rel = path.relative_to(root).as_posix()
    name = path.name
    if name.endswith(".gz"):
        raw = gzip.decompress(path.read_bytes())
        return from_yaml_doc(yaml_load(raw), rel, gz=True)
    if name.endswith((".yaml", ".yml")):
        return from_yaml_doc(yaml_load(path.read_bytes()), rel, gz=False)
    if name.endswith(".json"):
        doc = json.loads(path.read_bytes())
        if isinstance(doc, dict) and "Entries" in doc:
            return [from_test_proxy(e, rel, i) for i, e in enumerate(doc["Entries"])]
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
            return [from_bare_error(doc, path.read_bytes(), rel)]
    return []


# ---- summaries --------------------------------------------------------------------------------


def summarize(interactions: Iterable[Interaction]) -> dict[str, Counter[str]]:
    """Counters by format, operation, route, host kind and status (HTTP only, except format)."""
    out: dict[str, Counter[str]] = {
        k: Counter() for k in ("format", "operation", "route", "host_kind", "status", "kind")
    }
    for ix in interactions:
        out["format"][ix.format] += 1
        if ix.transport == "ws":
            out["kind"]["ws-frame"] += 1
            continue
        out["operation"][ix.operation] += 1
        out["route"][ix.route] += 1
        out["host_kind"][ix.host_kind] += 1
        out["status"][str(ix.status)] += 1
        out["kind"][kind_of(ix)] += 1
    return out


def kind_of(ix: Interaction) -> str:
    """The conformance category of an interaction.

    ``chat``, ``chat-stream``, ``completions``, ``completions-stream``, ``embeddings``,
    ``error`` (status >= 400 on a supported operation, or a bare error body), ``responses``,
    ``realtime``, ``other`` (non-Azure hosts, side fetches, unclassifiable).
    """
    if ix.transport == "ws" or ix.operation == REALTIME:
        return "realtime"
    if ix.operation == RESPONSES:
        return "responses"
    if ix.format == "bare-json" and ix.status >= 400:
        return "error"
    if ix.operation in SUPPORTED_OPERATIONS:
        if ix.status >= 400:
            return "error"
        if 200 <= ix.status < 300:
            base = "chat" if ix.operation == CHAT else ix.operation
            return f"{base}-stream" if ix.stream and ix.operation != EMBEDDINGS else base
    return "other"


def iter_kind(interactions: Iterable[Interaction], *kinds: str) -> Iterator[Interaction]:
    """The interactions whose ``kind_of`` is one of ``kinds``."""
    wanted = set(kinds)
    return (ix for ix in interactions if kind_of(ix) in wanted)
