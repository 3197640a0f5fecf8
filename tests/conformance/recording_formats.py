"""Readers of the recording formats (VCR.py and Ruby VCR YAML, Azure SDK test-proxy JSON, bare JSON errors),
all normalised into ``Interaction`` records.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import yaml

from .recording_record import CHAT, COMPLETIONS, EMBEDDINGS, OTHER, REALTIME, RESPONSES, UNKNOWN, Format, Interaction

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


def yaml_load(raw: bytes) -> Any:
    return yaml.load(raw, Loader=_PermissiveLoader)


def from_yaml_doc(doc: Any, rel: str, *, gz: bool) -> list[Interaction]:
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


def from_test_proxy(e: Mapping[str, Any], rel: str, i: int) -> Interaction:
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


def from_bare_error(doc: Mapping[str, Any], raw: bytes, rel: str) -> Interaction:
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
