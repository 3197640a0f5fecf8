"""One recorded interaction, normalised whatever the recording format, and the operation names."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

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
