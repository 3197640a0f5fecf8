"""Connections we open are closed by us: when the object is dropped, by ``close()`` / ``aclose()``,
or at the end of a ``with`` / ``async with`` block; a client the user passed in stays open.
LlamaIndex's lazy client is made once, under a lock, by one implementation for every class
(issue 9 §4, issue 10).

A small HTTP/1.1 server on 127.0.0.1 answers chat and embeddings and reports each connection the
client closes, so closing is observed where it matters: on the socket.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

CHAT_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5.2",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
EMBED_BODY = {
    "object": "list",
    "model": "text-embedding-3-small",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.25, 0.5]}],
    "usage": {"prompt_tokens": 1, "total_tokens": 1},
}


class Loopback:
    """Answers every POST; ``closed`` gets one item per connection the client closed."""

    def __init__(self) -> None:
        self.closed: queue.Queue[str] = queue.Queue()
        closed = self.closed

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                body = json.dumps(EMBED_BODY if "/embeddings" in self.path else CHAT_BODY).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def handle(self) -> None:
                super().handle()  # returns when the client closes the connection
                closed.put(f"{self.client_address}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def assert_closed(self, count: int = 1) -> None:
        """The client closed ``count`` connections (bounded wait for the server to see them)."""
        for _ in range(count):
            self.closed.get(timeout=10)
        assert self.closed.empty()


@pytest.fixture
def server() -> Iterator[Loopback]:
    srv = Loopback()
    srv.thread.start()
    yield srv
    srv.server.shutdown()
    srv.server.server_close()


def lc_chat(url: str, **kw: Any) -> Any:
    from langchain_azoai import AzureChatOpenAI

    return AzureChatOpenAI(
        azure_endpoint=url, api_key="k", azure_deployment="gpt-5.2", api_version="2024-10-21", max_retries=0, **kw
    )


# -- dropped objects ---------------------------------------------------------------------------------

_DROP_SCRIPT = r"""
import gc, json, sys, warnings
url, rounds = sys.argv[1], int(sys.argv[2])
common = dict(azure_endpoint=url, api_key="k", api_version="2024-10-21", max_retries=0)
import langchain_azoai as lc, llamaindex_azoai as li
from llama_index.core.llms import ChatMessage

def calls():
    yield lambda: lc.AzureChatOpenAI(azure_deployment="gpt-5.2", **common).invoke("hi")
    yield lambda: lc.AzureOpenAIEmbeddings(azure_deployment="emb", **common).embed_query("hi")
    yield lambda: lc.AzureOpenAI(azure_deployment="gpt-35-turbo-instruct", **common).invoke("hi")
    yield lambda: li.AzureOpenAI(engine="gpt-5.2", **common).chat([ChatMessage(role="user", content="hi")])
    yield lambda: li.AzureOpenAIEmbedding(azure_deployment="emb", **common).get_text_embedding("hi")

with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    made = 0
    for _ in range(rounds):
        for call in calls():
            call()  # the model is dropped as soon as the call returns
            made += 1
    gc.collect()
print(json.dumps({"made": made, "resource_warnings": [str(w.message) for w in seen
                                                      if issubclass(w.category, ResourceWarning)]}))
"""


def test_dropped_models_leave_no_socket_to_the_garbage_collector(server: Loopback) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _DROP_SCRIPT, server.url, "3"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"made": 15, "resource_warnings": []}
    assert "ResourceWarning" not in out.stderr  # nor an unraisable one printed from a finalizer


def test_a_user_supplied_client_stays_open(server: Loopback) -> None:
    import gc

    from llama_index.core.llms import ChatMessage

    from langchain_azoai import AzureOpenAIEmbeddings
    from llamaindex_azoai import AzureOpenAI

    http = httpx.Client()
    lc = lc_chat(server.url, http_client=http)
    assert lc.invoke("hi").content == "hello"
    li = AzureOpenAI(
        engine="gpt-5.2", azure_endpoint=server.url, api_key="k", api_version="2024-10-21", http_client=http
    )
    assert li.chat([ChatMessage(role="user", content="hi")]).message.content == "hello"
    lc.close()
    li.close()
    with AzureOpenAIEmbeddings(
        azure_endpoint=server.url, api_key="k", azure_deployment="emb", api_version="2024-10-21", http_client=http
    ) as emb:
        assert emb.embed_query("hi") == [0.25, 0.5]
    del lc, li, emb
    gc.collect()
    assert not http.is_closed
    assert server.closed.empty()  # its pooled connection too
    assert http.post(f"{server.url}/openai/deployments/gpt-5.2/chat/completions", json={}).json() == CHAT_BODY
    http.close()
    server.assert_closed()


# -- close(), aclose(), with and async with ------------------------------------------------------------


def test_langchain_with_block_closes_the_connection(server: Loopback) -> None:
    with lc_chat(server.url) as llm:
        assert llm.invoke("hi").content == "hello"
        assert server.closed.empty()
    server.assert_closed()  # closed at the end of the block, while llm is still referenced
    assert llm.invoke("again").content == "hello"  # a closed object opens a new pool when used
    llm.close()
    server.assert_closed()


async def test_langchain_async_with_block_closes_the_connections(server: Loopback) -> None:
    async with lc_chat(server.url) as llm:
        assert (await llm.ainvoke("hi")).content == "hello"
        assert llm.invoke("hi").content == "hello"
        assert server.closed.empty()
    server.assert_closed(2)  # the async pool's and the sync pool's
    assert (await llm.ainvoke("again")).content == "hello"
    await llm.aclose()
    server.assert_closed()


@pytest.mark.parametrize(
    "name",
    [
        "AzureOpenAIEmbeddings",
        "AzureOpenAI",
        "AzureDallEAPIWrapper",
        "AzureOpenAITextToSpeech",
        "AzureOpenAIWhisperParser",
        "AzureOpenAIImageTool",
        "AzureOpenAITextToSpeechTool",
    ],
)
async def test_every_langchain_class_closes(name: str) -> None:
    import langchain_azoai

    cls = getattr(langchain_azoai, name)
    settings = dict(azure_endpoint="https://r.openai.azure.com", api_key="k", azure_deployment="d")
    fields = getattr(cls, "model_fields", {})
    obj = cls(api_wrapper=fields["api_wrapper"].annotation(**settings)) if "api_wrapper" in fields else cls(**settings)
    with obj as entered:
        assert entered is obj
    async with obj as entered:
        assert entered is obj
    obj.close()
    await obj.aclose()


# -- LlamaIndex: one lazy client, under a lock ---------------------------------------------------------


def _llamaindex(name: str) -> Any:
    import llamaindex_azoai

    settings = dict(azure_endpoint="https://r.openai.azure.com", api_key="k", api_version="2024-10-21")
    if name == "AzureOpenAI":
        return llamaindex_azoai.AzureOpenAI(engine="gpt-5.2", **settings)
    if name == "AzureOpenAIEmbedding":
        return llamaindex_azoai.AzureOpenAIEmbedding(azure_deployment="emb", **settings)
    return getattr(llamaindex_azoai, name)(azure_deployment="dall-e-3", **settings)


@pytest.mark.parametrize("name", ["AzureOpenAI", "AzureOpenAIEmbedding", "AzureOpenAIImageGeneration"])
def test_llamaindex_threads_racing_to_the_first_call_share_one_client(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llamaindex_azoai._settings import AzureConnection

    original = AzureConnection._build_core
    builds: list[int] = []
    second_entered = threading.Event()

    def build(self: Any, *args: Any, **kwargs: Any) -> Any:
        builds.append(threading.get_ident())
        if len(builds) == 1:
            # hold the first build open: without a lock a racing thread enters here too
            second_entered.wait(timeout=0.5)
        else:
            second_entered.set()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AzureConnection, "_build_core", build)
    obj = _llamaindex(name)
    start = threading.Barrier(6)
    got: list[Any] = []

    def first_call() -> None:
        start.wait(timeout=10)
        got.append(obj._client())

    threads = [threading.Thread(target=first_call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(got) == 6 and all(core is got[0] for core in got)
    assert len(builds) == 1


def test_llamaindex_client_lifecycle_is_one_implementation() -> None:
    from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding, AzureOpenAIMultiModal, AzureOpenAIWhisperReader
    from llamaindex_azoai._settings import CoreClientOwner
    from llamaindex_azoai.audio import AzureOpenAITextToSpeech
    from llamaindex_azoai.images import AzureOpenAIImageGeneration

    classes = [
        AzureOpenAI,
        AzureOpenAIEmbedding,
        AzureOpenAIMultiModal,
        AzureOpenAIImageGeneration,
        AzureOpenAITextToSpeech,
        AzureOpenAIWhisperReader,
    ]
    for name in ("_client", "close", "aclose"):
        assert {getattr(cls, name) for cls in classes} == {getattr(CoreClientOwner, name)}, name
    for cls in classes[:5]:  # the reader's pickling is LlamaIndex's BasePydanticReader's
        assert cls.__getstate__ is CoreClientOwner.__getstate__


def test_llamaindex_with_block_closes_the_connection(server: Loopback) -> None:
    from llama_index.core.llms import ChatMessage

    from llamaindex_azoai import AzureOpenAI

    with AzureOpenAI(engine="gpt-5.2", azure_endpoint=server.url, api_key="k", api_version="2024-10-21") as llm:
        assert llm.chat([ChatMessage(role="user", content="hi")]).message.content == "hello"
    server.assert_closed()


def test_one_fallbacks_validator_in_the_core_serves_both_adapters() -> None:
    from pydantic import SecretStr

    from langchain_azoai._fields import AzureConnectionFields
    from llamaindex_azoai._settings import AzureConnection
    from shared_core.connection.regions import hide_fallback_secrets

    fallback = {"azure_endpoint": "https://west.openai.azure.com", "api_key": "fb-key"}
    for cls in (AzureConnectionFields, AzureConnection):
        validators = [m for m in cls.model_fields["fallbacks"].metadata if hasattr(m, "func")]
        assert [v.func for v in validators] == [hide_fallback_secrets]
        assert not [n for n in vars(cls) if "fallback" in n.lower() and "secret" in n.lower()]
    assert hide_fallback_secrets((fallback, "https://east.openai.azure.com")) == [
        {"azure_endpoint": "https://west.openai.azure.com", "api_key": SecretStr("fb-key")},
        "https://east.openai.azure.com",
    ]
