"""Malformed "success" answers, as gateways, proxies and broken middleboxes send them.

Shared by the core and adapter tests (tests/unit, tests/langchain, tests/llamaindex): each case is
what the fake server answers, and what the typed error must say. The emulator answers like Azure, so
these come from our own fakes: ``httpx.MockTransport`` handlers and a loopback HTTP server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from shared_core.errors import (
    AuthenticationError,
    ContentFilterError,
    RateLimitError,
    UnexpectedResponseError,
    UnexpectedStreamEventError,
)

KEY = "sk-malformed-secret-4242"
ENDPOINT = "https://res.openai.azure.com"
CHAT_URL = "https://res.openai.azure.com/openai/deployments/chat/chat/completions"
EMBED_URL = "https://res.openai.azure.com/openai/deployments/emb/embeddings"
JSON = {"content-type": "application/json", "apim-request-id": "apim-req-9"}
SSE = {"content-type": "text/event-stream", "apim-request-id": "apim-req-9"}
DEEP = b'{"choices": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@dataclass(frozen=True)
class Case:
    """``status``/``body``/``headers`` is what the server sends; the error must be ``error`` and
    its message must contain every string of ``says``."""

    name: str
    status: int
    body: bytes
    error: type[Exception]
    says: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))


def _j(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _choice(message: Any) -> bytes:
    return _j(
        {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    )


MSG = {"role": "assistant", "content": "hi"}

#: non-streamed chat (and, with ``choices``, legacy completions) answers
CHAT_CASES = [
    Case(
        "200 with a rate-limit error object",
        200,
        _j({"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 3 seconds."}}),
        RateLimitError,
        ("Rate limit reached", "Rate limit is exceeded", "came with HTTP 200", CHAT_URL),
    ),
    Case(
        "200 with the gateway's 401 error object",
        200,
        _j({"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}),
        AuthenticationError,
        ("Azure refused", "invalid subscription key", "came with HTTP 200"),
    ),
    Case(
        "200 with a content filter error object",
        200,
        _j(
            {
                "error": {
                    "code": "content_filter",
                    "message": "The response was filtered",
                    "innererror": {
                        "code": "ResponsibleAIPolicyViolation",
                        "content_filter_result": {"violence": {"filtered": True, "severity": "high"}},
                    },
                }
            }
        ),
        ContentFilterError,
        ("content filter blocked the prompt (violence (high))",),
    ),
    Case(
        "200 with an unknown error object",
        200,
        _j({"error": {"code": "PolicyRejected", "message": "Blocked by policy X"}}),
        UnexpectedResponseError,
        ("HTTP 200 with an error (code 'PolicyRejected')", "Blocked by policy X", CHAT_URL),
    ),
    Case(
        "no choices",
        200,
        _j({"id": "c", "object": "chat.completion"}),
        UnexpectedResponseError,
        ("'choices' is missing", '{"id": "c"', "content-type 'application/json'", CHAT_URL),
    ),
    Case("empty choices", 200, _j({"id": "c", "choices": []}), UnexpectedResponseError, ("'choices' is empty",)),
    Case("empty body", 200, b"", UnexpectedResponseError, ("the body is empty", "HTTP 200", CHAT_URL)),
    Case("204", 204, b"", UnexpectedResponseError, ("HTTP 204", "the body is empty"), headers={}),
    Case(
        "302 to a sign-in page",
        302,
        b"<html>Moved</html>",
        UnexpectedResponseError,
        ("redirect (HTTP 302) to https://login.example.com/authorize", "does not follow"),
        headers={"location": "https://login.example.com/authorize?code=secret-code", "content-type": "text/html"},
    ),
    Case(
        "307",
        307,
        b"",
        UnexpectedResponseError,
        ("redirect (HTTP 307) to http://res.openai.azure.com/x",),
        headers={"location": "http://res.openai.azure.com/x"},
    ),
    Case(
        "HTML from a proxy",
        200,
        b"<html><body>Proxy login</body></html>",
        UnexpectedResponseError,
        ("the body is not JSON", "content-type 'text/html'", "<html><body>Proxy login"),
        headers={"content-type": "text/html"},
    ),
    Case("a JSON list", 200, b"[1, 2]", UnexpectedResponseError, ("JSON list, not an object",)),
    Case("deeply nested JSON", 200, DEEP, UnexpectedResponseError, ("nested too deeply",)),
    Case(
        "choices is a string",
        200,
        _j({"choices": "x"}),
        UnexpectedResponseError,
        ("'choices' is a string ('x'), not a list",),
    ),
    Case(
        "choices is an object",
        200,
        _j({"choices": {"0": {"message": MSG}}}),
        UnexpectedResponseError,
        ("'choices' is an object, not a list",),
    ),
    Case(
        "choice is a number",
        200,
        _j({"choices": [7]}),
        UnexpectedResponseError,
        ("'choices[]' is a number (7), not an object",),
    ),
    Case(
        "message is a list",
        200,
        _choice([]),
        UnexpectedResponseError,
        ("'choices[].message' is a list, not an object",),
    ),
    Case(
        "content is a number",
        200,
        _choice({"role": "assistant", "content": 5}),
        UnexpectedResponseError,
        ("'message.content' is a number (5), not a string",),
    ),
    Case(
        "usage is a string",
        200,
        _j({"choices": [{"message": MSG}], "usage": "n"}),
        UnexpectedResponseError,
        ("'usage' is a string ('n'), not an object",),
    ),
    Case(
        "token count is a string",
        200,
        _j({"choices": [{"message": MSG}], "usage": {"prompt_tokens": "3"}}),
        UnexpectedResponseError,
        ("'usage.prompt_tokens' is a string ('3'), not a whole number",),
    ),
    Case(
        "tool call function is a string",
        200,
        _choice({"role": "assistant", "content": None, "tool_calls": [{"id": "t", "function": "f"}]}),
        UnexpectedResponseError,
        ("'message.tool_calls[].function' is a string ('f'), not an object",),
    ),
    Case(
        "tool_calls is an object",
        200,
        _choice({"role": "assistant", "content": None, "tool_calls": {"id": "t"}}),
        UnexpectedResponseError,
        ("'message.tool_calls' is an object, not a list",),
    ),
]


def _chunk(choices: Any, **extra: Any) -> dict[str, Any]:
    return {"id": "s", "object": "chat.completion.chunk", "model": "gpt-4o", "choices": choices, **extra}


def sse(*events: bytes | dict[str, Any], done: bool = True) -> bytes:
    out = b""
    for ev in events:
        out += b"data: " + (ev if isinstance(ev, bytes) else _j(ev)) + b"\n\n"
    return out + (b"data: [DONE]\n\n" if done else b"")


PREAMBLE = _chunk([], prompt_filter_results=[{"prompt_index": 0, "content_filter_results": {}}])
HELLO = _chunk([{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}])

#: streamed chat answers (200 + SSE) whose events are not chunks of an answer
STREAM_CASES = [
    Case(
        "chunk whose choices is an object",
        200,
        sse(PREAMBLE, _chunk({"index": 0, "delta": {"content": "x"}})),
        UnexpectedStreamEventError,
        ("'choices' is an object, not a list", "stream event", CHAT_URL, "1 chunk(s) received"),
        headers=dict(SSE),
    ),
    Case(
        "chunk that is not JSON",
        200,
        sse(PREAMBLE, b"<html>gateway timeout</html>"),
        UnexpectedStreamEventError,
        ("not JSON", "<html>gateway timeout</html>", CHAT_URL),
        headers=dict(SSE),
    ),
    Case(
        "chunk that is a JSON list",
        200,
        sse(PREAMBLE, b"[1]"),
        UnexpectedStreamEventError,
        ("it is a list, not a JSON object",),
        headers=dict(SSE),
    ),
    Case(
        "deeply nested chunk",
        200,
        sse(PREAMBLE, b"[" * 100_000 + b"]" * 100_000),
        UnexpectedStreamEventError,
        ("nested too deeply",),
        headers=dict(SSE),
    ),
    Case(
        "delta content is a number",
        200,
        sse(PREAMBLE, _chunk([{"index": 0, "delta": {"content": 5}}])),
        UnexpectedStreamEventError,
        ("'delta.content' is a number (5), not a string",),
        headers=dict(SSE),
    ),
    Case(
        "tool call delta function is a list",
        200,
        sse(PREAMBLE, _chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": ["f"]}]}}])),
        UnexpectedStreamEventError,
        ("'delta.tool_calls[].function' is a list, not an object",),
        headers=dict(SSE),
    ),
    Case(
        "bad chunk after content",
        200,
        sse(PREAMBLE, HELLO, _chunk([{"index": 0, "delta": ["x"]}])),
        UnexpectedStreamEventError,
        ("'choices[0].delta' is a list, not an object", "2 chunk(s) received, 3 character(s) of content"),
        headers=dict(SSE),
    ),
    Case(
        "stream answered by a redirect",
        302,
        b"",
        UnexpectedResponseError,
        ("redirect (HTTP 302)",),
        headers={"location": "https://elsewhere.example/openai"},
    ),
    Case(
        "stream answered by a JSON error with 200",
        200,
        _j({"error": {"code": "429", "message": "Too many"}}),
        RateLimitError,
        ("Rate limit reached", "came with HTTP 200", CHAT_URL),
    ),
    Case(
        "stream answered by an HTML page",
        200,
        b"<html>Sign in</html>",
        UnexpectedResponseError,
        (
            "not with an event stream: the body holds no server-sent event",
            "<html>Sign in</html>",
            CHAT_URL,
            "content-type 'text/html'",
        ),
        headers={"content-type": "text/html"},
    ),
    Case(
        "stream with an empty body",
        200,
        b"",
        UnexpectedResponseError,
        ("not with an event stream: the body is empty",),
        headers=dict(SSE),
    ),
]

#: embeddings answers (base64 or float lists) that hold no usable vectors
EMBED_CASES = [
    Case(
        "no data", 200, _j({"object": "list", "model": "m"}), UnexpectedResponseError, ("'data' is missing", EMBED_URL)
    ),
    Case(
        "data is a string", 200, _j({"data": "x"}), UnexpectedResponseError, ("'data' is a string ('x'), not a list",)
    ),
    Case(
        "data item is a list",
        200,
        _j({"data": [[0.1, 0.2]]}),
        UnexpectedResponseError,
        ("'data[0]' is a list, not an object",),
    ),
    Case(
        "embedding missing",
        200,
        _j({"data": [{"index": 0}]}),
        UnexpectedResponseError,
        ("'data[0].embedding' is missing",),
    ),
    Case(
        "embedding is a number",
        200,
        _j({"data": [{"index": 0, "embedding": 5}]}),
        UnexpectedResponseError,
        ("'data[0].embedding' is a number (5), not a list of numbers or base64",),
    ),
    Case(
        "embedding is not base64 of floats",
        200,
        _j({"data": [{"index": 0, "embedding": "abc"}]}),
        UnexpectedResponseError,
        ("'data[0].embedding' is a string that is not base64 of float32 values",),
    ),
    Case(
        "embedding is a list of strings",
        200,
        _j({"data": [{"index": 0, "embedding": ["a", "b"]}]}),
        UnexpectedResponseError,
        ("'data[0].embedding' is a list whose first value is a string ('a'), not a vector",),
    ),
    Case(
        "embedding is empty",
        200,
        _j({"data": [{"index": 0, "embedding": []}]}),
        UnexpectedResponseError,
        ("'data[0].embedding' is empty",),
    ),
    Case(
        "200 with an error object",
        200,
        _j({"error": {"code": "429", "message": "Too many"}}),
        RateLimitError,
        ("Rate limit reached", "came with HTTP 200"),
    ),
    Case("empty body", 200, b"", UnexpectedResponseError, ("the body is empty", EMBED_URL)),
]


def mock(case: Case) -> tuple[httpx.Client, httpx.AsyncClient, list[httpx.Request]]:
    """Sync and async httpx clients whose every request gets ``case``'s answer."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(case.status, content=case.body, headers=case.headers)

    transport = httpx.MockTransport(handler)
    return httpx.Client(transport=transport), httpx.AsyncClient(transport=transport), seen


def check(exc: BaseException, case: Case) -> None:
    """``exc`` is the case's typed error, says what came back and from where, and leaks no secret."""
    assert type(exc) is case.error, f"{type(exc).__name__}: {exc}"
    text = str(exc)
    for part in case.says:
        assert part in text, f"{part!r} not in {text!r}"
    assert KEY not in text and "api-version=" not in text and "secret-code" not in text
    if isinstance(exc, UnexpectedResponseError) and case.status < 300:
        assert exc.status == case.status and exc.url is not None and "?" not in exc.url


@contextmanager
def loopback(answers: dict[str, tuple[int, dict[str, str], bytes]]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering each path (query ignored) as given; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length") or 0))
            status, headers, body = answers[self.path.split("?")[0]]
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
