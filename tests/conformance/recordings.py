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

import base64
import binascii
import functools
import gzip
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import yaml

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

CHAT = "chat/completions"
COMPLETIONS = "completions"
EMBEDDINGS = "embeddings"
RESPONSES = "responses"
REALTIME = "realtime"
OTHER = "other"
UNKNOWN = "unknown"
#: Operations the core parses today; the rest are counted, never passed.
SUPPORTED_OPERATIONS: frozenset[str] = frozenset({CHAT, COMPLETIONS, EMBEDDINGS})

Format = Literal["vcrpy", "vcrpy-gz", "ruby-vcr", "test-proxy", "bare-json", "ws-frames"]


def default_root() -> Path:
    """Where the recordings live: ``$AZOAI_RECORDINGS`` or ``<repo>/../shared/azure-recordings``."""
    env = os.environ.get("AZOAI_RECORDINGS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "azure-recordings"


# --------------------------------------------------------------------------------------------
# the record


@dataclass(frozen=True)
class Interaction:
    """One recorded HTTP exchange (or one realtime WebSocket frame, ``transport == "ws"``).

    Bodies are the bytes on the wire after content decoding (gzip undone, base64 undone), so a
    test can hand ``body`` to the code under test exactly as httpx would. Header names are
    lower-cased; repeated values are joined with ``", "``.
    """

    source: str  # path relative to the recordings root, with the repo folder
    index: int  # position in the file (0-based)
    format: Format
    method: str  # upper case; "WS" for a frame, "" for a bare body
    uri: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    status: int  # 0 when the format has none (ws frames)
    response_headers: Mapping[str, str]
    body: bytes
    operation: str  # chat/completions, completions, embeddings, responses, realtime, other, unknown
    route: str  # deployments, v1, models (Foundry), openai (/openai/<op>?api-version), none
    host_kind: str  # openai.azure.com, cognitiveservices, services.ai.azure.com, redacted, non-azure, none
    stream: bool
    transport: Literal["http", "ws"] = "http"
    extra: Mapping[str, Any] = field(default_factory=dict)  # ws: direction

    # ---- naming ------------------------------------------------------------------------------

    @property
    def repo(self) -> str:
        """The folder the file sits in (``owner__repo``)."""
        return self.source.split("/", 1)[0]

    @property
    def id(self) -> str:
        """A short readable id (``repo:file-stem#index``), unique across the folder."""
        return f"{_short_repo(self.repo)}:{_short_stem(self.source)}#{self.index}"

    @property
    def api_version(self) -> str | None:
        q = parse_qs(urlsplit(self.uri).query)
        v = q.get("api-version")
        return v[0] if v else None

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    # ---- bodies ------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The response body parsed as JSON (raises ``ValueError`` for a stream or non-JSON)."""
        return json.loads(self.body)

    def request_json(self) -> Any:
        """The request body parsed as JSON, or None when there is none / it is not JSON."""
        if not self.request_body:
            return None
        try:
            return json.loads(self.request_body)
        except ValueError:
            return None

    def sse_events(self) -> list[tuple[str | None, str]]:
        """The SSE events of a streamed body as ``(event, data)``, ``[DONE]`` included.

        A deliberately plain reading of the SSE format (independent of ``shared_core.wire.sse``):
        events end at a blank line; ``data:`` lines are joined with ``\\n``; comments ignored.
        """
        return parse_sse(self.body)

    def sse_json(self) -> list[Any]:
        """The JSON payloads of a streamed body, ``[DONE]`` dropped."""
        return [json.loads(d) for _, d in self.sse_events() if d != "[DONE]"]


def parse_sse(body: bytes) -> list[tuple[str | None, str]]:
    """Plain SSE reader: ``(event, data)`` per event. See ``Interaction.sse_events``."""
    text = body.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    out: list[tuple[str | None, str]] = []
    event: str | None = None
    data: list[str] = []
    for line in text.split("\n"):
        if line == "":
            if data:
                out.append((event, "\n".join(data)))
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    if data:
        out.append((event, "\n".join(data)))
    return out


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
        return _from_yaml_doc(_yaml_load(raw), rel, gz=True)
    if name.endswith((".yaml", ".yml")):
        return _from_yaml_doc(_yaml_load(path.read_bytes()), rel, gz=False)
    if name.endswith(".json"):
        doc = json.loads(path.read_bytes())
        if isinstance(doc, dict) and "Entries" in doc:
            return [_from_test_proxy(e, rel, i) for i, e in enumerate(doc["Entries"])]
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
            return [_from_bare_error(doc, path.read_bytes(), rel)]
    return []


# ---- YAML -----------------------------------------------------------------------------------


class _Binary(bytes):
    """Marks bytes that came from a ``!binary`` / ``!!binary`` tag."""


def _construct_ruby_binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    value = loader.construct_scalar(node)
    return _Binary(base64.b64decode("".join(str(value).split())))


def _construct_any(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    # Unknown tags (Ruby objects, python/* tags): keep the plain data underneath.
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PermissiveLoader(_Base):  # type: ignore[misc]
    pass


_PermissiveLoader.add_constructor("!binary", _construct_ruby_binary)
_PermissiveLoader.add_constructor("tag:yaml.org,2002:binary", _construct_ruby_binary)
_PermissiveLoader.add_multi_constructor("!", _construct_any)
_PermissiveLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_any)
_PermissiveLoader.add_multi_constructor("tag:yaml.org,2002:ruby/", _construct_any)


def _yaml_load(raw: bytes) -> Any:
    return yaml.load(raw, Loader=_PermissiveLoader)


def _from_yaml_doc(doc: Any, rel: str, *, gz: bool) -> list[Interaction]:
    if not isinstance(doc, dict):
        return []
    if "http_interactions" in doc:
        return [_from_ruby(it, rel, i) for i, it in enumerate(doc["http_interactions"] or [])]
    out: list[Interaction] = []
    for i, it in enumerate(doc.get("interactions") or []):
        if "request" in it:
            out.append(_from_vcrpy(it, rel, i, gz=gz))
        elif it.get("kind") == "message":
            out.append(_from_ws_frame(it, rel, i))
    return out


def _from_vcrpy(it: Mapping[str, Any], rel: str, i: int, *, gz: bool) -> Interaction:
    rq, rs = it["request"], it["response"]
    req_headers = _headers(rq.get("headers"))
    resp_headers = _headers(rs.get("headers"))
    req_body: bytes | None
    if "parsed_body" in rq:  # pydantic-ai's serializer
        req_body = _json_bytes(rq["parsed_body"])
    else:
        req_body = _to_bytes(rq.get("body"))
    body_field = rs.get("body")
    if "parsed_body" in rs:
        body = _json_bytes(rs["parsed_body"])
    elif isinstance(body_field, Mapping):
        body = _to_bytes(body_field.get("string")) or b""
    else:
        body = _to_bytes(body_field) or b""
    status = rs.get("status")
    code = int(status["code"]) if isinstance(status, Mapping) else int(status or 0)
    return _make(
        rel,
        i,
        "vcrpy-gz" if gz else "vcrpy",
        str(rq.get("method", "")),
        str(rq.get("uri", "")),
        req_headers,
        req_body,
        code,
        resp_headers,
        body,
    )


def _from_ruby(it: Mapping[str, Any], rel: str, i: int) -> Interaction:
    rq, rs = it["request"], it["response"]
    status = rs.get("status") or {}
    return _make(
        rel,
        i,
        "ruby-vcr",
        str(rq.get("method", "")),
        str(rq.get("uri", "")),
        _headers(rq.get("headers")),
        _ruby_body(rq.get("body")),
        int(status.get("code", 0)) if isinstance(status, Mapping) else int(status),
        _headers(rs.get("headers")),
        _ruby_body(rs.get("body")) or b"",
    )


def _ruby_body(b: Any) -> bytes | None:
    if not isinstance(b, Mapping):
        return _to_bytes(b)
    if b.get("base64_string") is not None:
        return base64.b64decode("".join(str(b["base64_string"]).split()))
    s = b.get("string")
    if s is None:
        return None
    if isinstance(s, bytes):
        return bytes(s)
    # Psych writes non-ASCII binary strings as !binary (bytes above); what is left is text
    return str(s).encode("utf-8")


def _from_ws_frame(it: Mapping[str, Any], rel: str, i: int) -> Interaction:
    return Interaction(
        source=rel,
        index=i,
        format="ws-frames",
        method="WS",
        uri="",
        request_headers={},
        request_body=None,
        status=0,
        response_headers={},
        body=_json_bytes(it.get("data")),
        operation=REALTIME,
        route="none",
        host_kind="none",
        stream=False,
        transport="ws",
        extra={"direction": it.get("direction"), "type": (it.get("data") or {}).get("type")},
    )


# ---- JSON -----------------------------------------------------------------------------------


def _from_test_proxy(e: Mapping[str, Any], rel: str, i: int) -> Interaction:
    req_headers = _headers(e.get("RequestHeaders"))
    resp_headers = _headers(e.get("ResponseHeaders"))
    return _make(
        rel,
        i,
        "test-proxy",
        str(e.get("RequestMethod", "")),
        str(e.get("RequestUri", "")),
        req_headers,
        _proxy_body(e.get("RequestBody"), req_headers),
        int(e.get("StatusCode", 0)),
        resp_headers,
        _proxy_body(e.get("ResponseBody"), resp_headers) or b"",
    )


def _proxy_body(b: Any, headers: Mapping[str, str]) -> bytes | None:
    if b is None:
        return None
    if isinstance(b, list) and all(isinstance(x, str) for x in b):
        return "".join(b).encode("utf-8")  # the proxy stores SSE as its lines
    if isinstance(b, (dict, list)):
        return _json_bytes(b)
    s = str(b)
    ctype = headers.get("content-type", "")
    if "json" in ctype or ctype.startswith("text/") or s.lstrip().startswith(("{", "[", "data:")):
        return s.encode("utf-8")
    try:  # the proxy stores binary bodies as base64
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return s.encode("utf-8")


def _from_bare_error(doc: Mapping[str, Any], raw: bytes, rel: str) -> Interaction:
    status = doc["error"].get("status")
    return Interaction(
        source=rel,
        index=0,
        format="bare-json",
        method="",
        uri="",
        request_headers={},
        request_body=None,
        status=int(status) if isinstance(status, int) else 0,
        response_headers={"content-type": "application/json"},
        body=raw,
        operation=UNKNOWN,
        route="none",
        host_kind="none",
        stream=False,
    )


# ---- shared normalisation --------------------------------------------------------------------


def _headers(h: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if not isinstance(h, Mapping):
        return out
    for k, v in h.items():
        if isinstance(v, (list, tuple)):
            v = ", ".join(str(x) for x in v)
        out[str(k).lower()] = str(v)
    return out


def _to_bytes(v: Any) -> bytes | None:
    if v is None:
        return None
    if isinstance(v, bytes):
        return bytes(v)
    if isinstance(v, (dict, list)):
        return _json_bytes(v)
    return str(v).encode("utf-8")


def _json_bytes(v: Any) -> bytes:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _decode_content(body: bytes, headers: Mapping[str, str]) -> bytes:
    enc = headers.get("content-encoding", "").lower()
    if "gzip" in enc and body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    if "deflate" in enc and body:
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


def _make(
    rel: str,
    i: int,
    fmt: Format,
    method: str,
    uri: str,
    req_headers: dict[str, str],
    req_body: bytes | None,
    status: int,
    resp_headers: dict[str, str],
    body: bytes,
) -> Interaction:
    body = _decode_content(body, resp_headers)
    if req_body is not None:
        req_body = _decode_content(req_body, req_headers)
    host_kind = _host_kind(uri)
    operation, route = _classify(uri, host_kind, req_body, body)
    ctype = resp_headers.get("content-type", "")
    head = body.lstrip()[:6]
    stream = "text/event-stream" in ctype or head.startswith((b"data:", b"event:"))
    return Interaction(
        source=rel,
        index=i,
        format=fmt,
        method=method.upper(),
        uri=uri,
        request_headers=req_headers,
        request_body=req_body,
        status=status,
        response_headers=resp_headers,
        body=body,
        operation=operation,
        route=route,
        host_kind=host_kind,
        stream=stream,
    )


_AZURE_SUFFIXES = {
    ".openai.azure.com": "openai.azure.com",
    ".openai.azure.us": "openai.azure.com",
    ".openai.azure.cn": "openai.azure.com",
    ".cognitiveservices.azure.com": "cognitiveservices",
    ".services.ai.azure.com": "services.ai.azure.com",
}


def _host_kind(uri: str) -> str:
    if not uri.startswith(("http://", "https://")):
        return "redacted"
    host = (urlsplit(uri).hostname or "").lower()
    if host in ("", "redacted") or "redacted" in host:
        return "redacted"
    for suffix, kind in _AZURE_SUFFIXES.items():
        if host.endswith(suffix):
            return kind
    return "non-azure"


_DEPLOYMENT = re.compile(r"/openai/deployments/[^/]+/(?P<op>.+?)/?$")


def _classify(uri: str, host_kind: str, req_body: bytes | None, body: bytes) -> tuple[str, str]:
    """(operation, route) from the URI, or from the bodies when the URI was redacted."""
    if host_kind == "non-azure":
        return OTHER, "none"
    if host_kind == "redacted" and not uri.startswith("http"):
        return _classify_by_body(req_body, body), "none"
    path = re.sub(r"/{2,}", "/", urlsplit(uri).path)  # the Java SDK sends //openai
    if "/realtime" in path:
        return REALTIME, "v1" if "/openai/v1/" in path else "none"
    m = _DEPLOYMENT.search(path)
    if m:
        return _op_name(m.group("op")), "deployments"
    if path.startswith("/openai/v1/"):
        return _op_name(path[len("/openai/v1/") :]), "v1"
    if path.startswith("/models/"):
        return _op_name(path[len("/models/") :]), "models"
    if path.startswith("/openai/"):
        return _op_name(path[len("/openai/") :]), "openai"
    return OTHER, "none"


def _op_name(tail: str) -> str:
    tail = tail.strip("/")
    if tail == "chat/completions":
        return CHAT
    if tail == "completions":
        return COMPLETIONS
    if tail == "embeddings":
        return EMBEDDINGS
    if tail == "responses" or tail.startswith("responses/"):
        return RESPONSES
    return OTHER


def _classify_by_body(req_body: bytes | None, body: bytes) -> str:
    try:
        req = json.loads(req_body) if req_body else None
    except ValueError:
        req = None
    if isinstance(req, dict):
        if "messages" in req:
            return CHAT
        if "prompt" in req:
            return COMPLETIONS
        if "input" in req:
            return RESPONSES if b'"object":"response' in body.replace(b" ", b"") else EMBEDDINGS
    return UNKNOWN


# ---- ids --------------------------------------------------------------------------------------

_STEM_CUT = re.compile(r"^.*?(?:cassettes__|vcr_cassettes__|SessionRecords__|session-records__|testdata__)")


def _short_repo(folder: str) -> str:
    return folder.split("__", 1)[-1]


def _short_stem(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    for ext in (".yaml.gz", ".yml.gz", ".yaml", ".yml", ".json"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    # keep input/output apart for Mirascope (both folders hold cassettes)
    io = ""
    m = re.search(r"__e2e__(input|output)__", name)
    if m:
        io = m.group(1)[0] + ":"
    stem = _STEM_CUT.sub("", name)
    return (io + stem).replace("[", "(").replace("]", ")").replace(" ", "_")


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
