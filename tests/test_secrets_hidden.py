"""No planted secret shows anywhere a user, a tracer or a log can see it (issue 9 §4).

Secrets are planted in ``api_key``, ``azure_ad_token``, ``default_headers`` (an APIM subscription
key), ``default_query`` (a SAS ``sig`` and an APIM ``subscription-key``) and a fallback's key and
headers. Every public class of both adapters (their ``__all__``) is built with them, and every way
to show or serialize it (pickle aside, which must carry secrets) is searched for them. Entries
keep their names and show the mask. Then the places that see requests: ``CoreClient.targets``,
LlamaIndex span and event handlers, httpx's ``HTTP Request`` log line, the exception chain of a
failed call (messages and ``.request.url``).
"""

from __future__ import annotations

import inspect
import json
import logging
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import langchain_azoai
import llamaindex_azoai
from shared_core.client import CoreClient, client_from_settings
from shared_core.types import ChatRequest

MARK = "Zq9PLANTED"  # in every planted secret, and nowhere else
MASK = "**********"
ENDPOINT = "https://res.openai.azure.com/"
HEADERS = {"Ocp-Apim-Subscription-Key": f"apim-{MARK}-h", "X-Team": "rag"}
QUERY = {"sig": f"sas-{MARK}-q", "subscription-key": f"apim-{MARK}-q", "tier": "gold"}
FALLBACK = {
    "azure_endpoint": "https://west.openai.azure.com/",
    "api_key": f"fb-{MARK}-k",
    "default_headers": {"Ocp-Apim-Subscription-Key": f"fb-{MARK}-h"},
}
SETTINGS: dict[str, Any] = dict(
    azure_endpoint=ENDPOINT,
    api_version="2024-10-21",
    api_key=f"key-{MARK}-k",
    azure_ad_token=f"tok-{MARK}-t",
    default_headers=HEADERS,
    default_query=QUERY,
    fallbacks=[FALLBACK],
    azure_deployment="dep",
)
CHAT_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5.2",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


def assert_hidden(text: str, where: str) -> None:
    assert MARK not in text, f"a planted secret shows in {where}: {text[:2000]}"


def public_classes(module: Any) -> list[type]:
    errors = set(module._errors.__all__)
    return [getattr(module, n) for n in module.__all__ if n not in errors]


# -- every public class, every representation ----------------------------------------------------


def _langchain(cls: type) -> Any:
    fields = getattr(cls, "model_fields", {})
    if "api_wrapper" in fields:  # the agent tools wrap a connection object
        return cls(api_wrapper=fields["api_wrapper"].annotation(**SETTINGS))
    return cls(**SETTINGS)


def _langchain_views(obj: Any) -> dict[str, Callable[[], Any]]:
    from langchain_core.load import dumpd, dumps

    return {
        "repr": lambda: repr(obj),
        "str": lambda: str(obj),
        "format": lambda: f"{obj!s} {obj!r}",
        "dumpd": lambda: json.dumps(dumpd(obj), default=repr),
        "dumps": lambda: dumps(obj),
        "model_dump": lambda: repr(obj.model_dump()),
        "model_dump(json)": lambda: json.dumps(obj.model_dump(mode="json"), default=repr),
        "model_dump_json": lambda: obj.model_dump_json(),
    }


def _llamaindex(cls: type) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # AzureOpenAIMultiModal says it is
        return cls(**SETTINGS)


def _llamaindex_views(obj: Any) -> dict[str, Callable[[], Any]]:
    if not hasattr(obj, "model_dump"):  # tool specs: plain objects holding a connection object
        return {"repr": lambda: repr(vars(obj)), "str": lambda: str(vars(obj))}
    views: dict[str, Callable[[], Any]] = {
        "repr": lambda: repr(obj),
        "str": lambda: str(obj),
        "format": lambda: f"{obj!s} {obj!r}",
        "model_dump": lambda: repr(obj.model_dump()),
        "model_dump(json)": lambda: json.dumps(obj.model_dump(mode="json"), default=repr),
        "model_dump_json": lambda: obj.model_dump_json(),
    }
    if hasattr(obj, "to_dict"):
        views["to_dict"] = lambda: json.dumps(obj.to_dict(), default=repr)
        views["to_json"] = lambda: obj.to_json()
    return views


CASES = [(f"langchain_azoai.{c.__name__}", c, _langchain, _langchain_views) for c in public_classes(langchain_azoai)]
CASES += [
    (f"llamaindex_azoai.{c.__name__}", c, _llamaindex, _llamaindex_views) for c in public_classes(llamaindex_azoai)
]


def test_the_cases_cover_every_public_class() -> None:
    names = {n for n, *_ in CASES}
    assert len(names) == 19  # 9 LangChain + 10 LlamaIndex classes in the two __all__ lists
    assert {
        "langchain_azoai.AzureChatOpenAI",
        "langchain_azoai.AzureOpenAIWhisperParser",
        "llamaindex_azoai.AzureOpenAIMultiModal",
        "llamaindex_azoai.AzureOpenAIResponses",
        "llamaindex_azoai.AzureOpenAIWhisperReader",
    } <= names


@pytest.mark.parametrize(("name", "cls", "make", "views"), CASES, ids=[c[0] for c in CASES])
def test_no_representation_shows_a_planted_secret(
    name: str, cls: type, make: Callable[[type], Any], views: Callable[[Any], dict[str, Callable[[], Any]]]
) -> None:
    obj = make(cls)
    for view, show in views(obj).items():
        try:
            text = show()
        except Exception as exc:  # a view the class does not support: its error may not leak either
            text = f"{type(exc).__name__}: {exc}"
        assert_hidden(text, f"{view}({name})")
    shown = views(obj)["repr"]()
    # entries keep their names and show the mask
    assert "Ocp-Apim-Subscription-Key" in shown and "subscription-key" in shown and "'sig'" in shown
    assert MASK in shown and "'X-Team': 'rag'" in shown and "'tier': 'gold'" in shown


@pytest.mark.parametrize(
    "cls_name",
    [
        "AzureDallEAPIWrapper",
        "AzureOpenAIEmbeddings",
        "AzureOpenAITextToSpeech",
        "AzureOpenAIWhisperParser",
        "AzureOpenAIImageTool",
        "AzureOpenAITextToSpeechTool",
    ],
)
def test_dumpd_of_the_six_classes_langchain_cannot_serialize_writes_their_repr_masked(cls_name: str) -> None:
    from langchain_core.load import dumpd

    obj = _langchain(getattr(langchain_azoai, cls_name))
    data = dumpd(obj)
    assert data["type"] == "not_implemented"  # LangChain writes repr(obj) for these
    assert_hidden(data["repr"], f"dumpd({cls_name})['repr']")
    assert f"'Ocp-Apim-Subscription-Key': '{MASK}'" in data["repr"]


def test_a_masked_value_loaded_back_is_refused_naming_the_fix() -> None:
    from langchain_core.load import dumpd, load

    from shared_core.errors import ConfigurationError

    llm = langchain_azoai.AzureChatOpenAI(
        azure_endpoint=ENDPOINT, api_key="k", azure_deployment="dep", default_headers=HEADERS
    )
    back = load(
        dumpd(llm),
        valid_namespaces=["langchain_azoai"],
        allowed_objects=[langchain_azoai.AzureChatOpenAI],
        secrets_map={"AZURE_OPENAI_API_KEY": "k"},
    )
    assert back.default_headers == {"Ocp-Apim-Subscription-Key": MASK, "X-Team": "rag"}
    with pytest.raises(ConfigurationError) as err:
        back.invoke("hi")
    assert err.value.setting == "default_headers"
    assert str(err.value) == (
        "default_headers['Ocp-Apim-Subscription-Key'] is '**********', the mask written in place of a "
        "secret when the settings were serialized: pass the real value again "
        "(default_headers={'Ocp-Apim-Subscription-Key': ...}) when you load them"
    )


# -- CoreClient.targets --------------------------------------------------------------------------


def test_targets_repr_masks_headers_and_query_by_name() -> None:
    settings = {k: v for k, v in SETTINGS.items() if k not in ("azure_ad_token", "fallbacks", "azure_deployment")}
    same_origin = {"azure_endpoint": ENDPOINT, "deployment": "dep-paygo"}  # inherits headers and query
    clients = [
        CoreClient.from_settings(**settings, deployment="dep", env={}),
        client_from_settings(**settings, deployment="dep", env={}, fallbacks=[same_origin, FALLBACK]),
        langchain_azoai.AzureChatOpenAI(**{**SETTINGS, "azure_ad_token": None})._client(),
    ]
    for client in clients:
        for text in (repr(client.targets), str(client.targets), repr(client), str(client.targets[0])):
            assert_hidden(text, "CoreClient.targets")
        shown = repr(client.targets)
        assert f"default_headers={{'Ocp-Apim-Subscription-Key': '{MASK}', 'X-Team': 'rag'}}" in shown
        assert f"default_query={{'sig': '{MASK}', 'subscription-key': '{MASK}', 'tier': 'gold'}}" in shown
        assert "credential=ApiKeyCredential(key=SecretStr('**********')" in shown
    assert len(clients[1].targets) == 3


# -- LlamaIndex instrumentation: span handlers get the instance, event handlers the events --------


def _mock_http(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[httpx.Client, httpx.AsyncClient]:
    async def ahandler(request: httpx.Request) -> httpx.Response:
        return handler(request)

    return (
        httpx.Client(transport=httpx.MockTransport(handler)),
        httpx.AsyncClient(transport=httpx.MockTransport(ahandler)),
    )


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=CHAT_BODY)


@pytest.fixture
def recorded_spans() -> Iterator[list[str]]:
    from llama_index_instrumentation import get_dispatcher
    from llama_index_instrumentation.event_handlers import BaseEventHandler
    from llama_index_instrumentation.span import SimpleSpan
    from llama_index_instrumentation.span_handlers import BaseSpanHandler

    seen: list[str] = []

    class PrintingSpans(BaseSpanHandler[SimpleSpan]):
        """What a tracing integration does with the instance: print it, dump it."""

        def new_span(
            self,
            id_: str,
            bound_args: inspect.BoundArguments,
            instance: Any = None,
            parent_span_id: str | None = None,
            tags: dict[str, Any] | None = None,
            **kwargs: Any,
        ) -> SimpleSpan:
            seen.append(f"{instance!r} {instance!s} {bound_args!r}")
            return SimpleSpan(id_=id_, parent_id=parent_span_id, tags=tags or {})

        def prepare_to_exit_span(
            self, id_: str, bound_args: inspect.BoundArguments, instance: Any = None, result: Any = None, **kwargs: Any
        ) -> None:
            seen.append(f"{instance!r} {result!r}")

        def prepare_to_drop_span(
            self,
            id_: str,
            bound_args: inspect.BoundArguments,
            instance: Any = None,
            err: BaseException | None = None,
            **kwargs: Any,
        ) -> None:
            seen.append(f"{instance!r} {err!r}")

    class PrintingEvents(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            seen.append(f"{event!r} {event.model_dump_json()}")

    root = get_dispatcher()
    spans, events = PrintingSpans(), PrintingEvents()
    root.add_span_handler(spans)
    root.add_event_handler(events)
    try:
        yield seen
    finally:
        root.span_handlers.remove(spans)
        root.event_handlers.remove(events)


async def test_llamaindex_span_and_event_handlers_see_no_secret(recorded_spans: list[str]) -> None:
    from llama_index.core.llms import ChatMessage as LIMessage

    http, ahttp = _mock_http(_answer)
    settings = {k: v for k, v in SETTINGS.items() if k != "azure_ad_token"}
    llm = llamaindex_azoai.AzureOpenAI(**settings, http_client=http, async_http_client=ahttp)
    emb_answer = {
        "object": "list",
        "model": "e",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
    ehttp, eahttp = _mock_http(lambda r: httpx.Response(200, json=emb_answer))
    emb = llamaindex_azoai.AzureOpenAIEmbedding(**settings, http_client=ehttp, async_http_client=eahttp)
    assert llm.chat([LIMessage(role="user", content="hi")]).message.content == "hello"
    assert (await llm.acomplete("hi")).text == "hello"
    assert emb.get_text_embedding("hi") == [0.5]
    assert any("AzureOpenAI(" in s and "Ocp-Apim-Subscription-Key" in s for s in recorded_spans)  # the instance
    assert any("AzureOpenAIEmbedding(" in s for s in recorded_spans)
    for text in recorded_spans:
        assert_hidden(text, "a LlamaIndex span or event handler")


# -- httpx's log line -----------------------------------------------------------------------------


def _core(http: httpx.Client | None = None, ahttp: httpx.AsyncClient | None = None) -> CoreClient:
    settings = {k: v for k, v in SETTINGS.items() if k not in ("azure_ad_token", "fallbacks", "azure_deployment")}
    return CoreClient.from_settings(
        **settings, deployment="dep", env={}, max_retries=0, http_client=http, http_async_client=ahttp
    )


REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


async def test_httpx_request_log_line_masks_query_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return _answer(request)

    http, ahttp = _mock_http(answer)
    core = _core(http, ahttp)
    assert core.chat(REQ).choices[0].content == "hello"
    assert (await core.achat(REQ)).choices[0].content == "hello"
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 2 and all(
        line.startswith("HTTP Request: POST https://res.openai.azure.com/") for line in lines
    )
    for line in lines:
        assert_hidden(line, "httpx's log line")
        assert f"?api-version=2024-10-21&sig={MASK}&subscription-key={MASK}&tier=gold" in line
    # the wire still carries them
    assert [r.url.params["sig"] for r in sent] == [QUERY["sig"]] * 2
    assert [r.headers["ocp-apim-subscription-key"] for r in sent] == [HEADERS["Ocp-Apim-Subscription-Key"]] * 2


# -- the exception chain of a failed call ----------------------------------------------------------


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _raise_for_status_client() -> tuple[httpx.Client, httpx.AsyncClient]:
    """A user's client that raises httpx.HTTPStatusError (its message quotes the full URL)."""

    def denied(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"code": "401", "message": "Access denied"}})

    async def adenied(request: httpx.Request) -> httpx.Response:
        return denied(request)

    def hook(response: httpx.Response) -> None:
        response.raise_for_status()

    async def ahook(response: httpx.Response) -> None:
        response.raise_for_status()

    return (
        httpx.Client(transport=httpx.MockTransport(denied), event_hooks={"response": [hook]}),
        httpx.AsyncClient(transport=httpx.MockTransport(adenied), event_hooks={"response": [ahook]}),
    )


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is not None and e not in out:
            out.append(e)
            todo += [e.__cause__, e.__context__]
    return out


def assert_chain_hidden(exc: BaseException) -> None:
    assert_hidden("".join(traceback.format_exception(exc)), "the traceback")
    urls = []
    for e in _chain(exc):
        assert_hidden(f"{e!s} {e!r}", f"{type(e).__name__}")
        request = getattr(e, "_request", None) or getattr(e, "request", None)
        if isinstance(request, httpx.Request):
            urls.append(str(request.url))
    assert urls, "the chain carries the httpx request"
    for url in urls:
        assert_hidden(url, ".request.url")
        assert f"sig={MASK}&subscription-key={MASK}" in url


async def _drain(it: Any) -> None:
    async for _ in it:
        pass


CALLS: dict[str, Callable[[CoreClient], Any]] = {
    "chat": lambda c: c.chat(REQ),
    "achat": lambda c: c.achat(REQ),
    "stream_chat": lambda c: list(c.stream_chat(REQ)),
    "astream_chat": lambda c: _drain(c.astream_chat(REQ)),
    "embed": lambda c: c.embed(["a"]),
    "request_json": lambda c: c.request_json("images/generations", {"prompt": "x"}),
}


@pytest.mark.parametrize("failure", ["connect_error", "raise_for_status"])
@pytest.mark.parametrize("call", sorted(CALLS))
async def test_exception_chain_shows_no_query_secret(call: str, failure: str) -> None:
    from shared_core.errors import APIConnectionError

    http, ahttp = _mock_http(_refused) if failure == "connect_error" else _raise_for_status_client()
    core = _core(http, ahttp)
    with pytest.raises(APIConnectionError) as err:
        result = CALLS[call](core)
        if inspect.isawaitable(result):
            await result
    assert_chain_hidden(err.value)
    if failure == "raise_for_status":  # httpx's message names the URL: it stays, masked
        assert "for url 'https://res.openai.azure.com/openai/deployments/dep/" in str(err.value)


async def test_adapters_raise_the_scrubbed_chain() -> None:
    from llama_index.core.llms import ChatMessage as LIMessage

    from shared_core.errors import APIConnectionError

    settings = {k: v for k, v in SETTINGS.items() if k not in ("azure_ad_token", "fallbacks")}
    http, ahttp = _mock_http(_refused)
    lc = langchain_azoai.AzureChatOpenAI(**settings, http_client=http, http_async_client=ahttp, max_retries=0)
    li = llamaindex_azoai.AzureOpenAI(**settings, http_client=http, async_http_client=ahttp, max_retries=0)
    with pytest.raises(APIConnectionError) as err:
        lc.invoke("hi")
    assert_chain_hidden(err.value)
    with pytest.raises(APIConnectionError) as err:
        async for _ in lc.astream("hi"):
            pass
    assert_chain_hidden(err.value)
    with pytest.raises(APIConnectionError) as err:
        li.chat([LIMessage(role="user", content="hi")])
    assert_chain_hidden(err.value)
    with pytest.raises(APIConnectionError) as err:
        await _drain(await li.astream_chat([LIMessage(role="user", content="hi")]))
    assert_chain_hidden(err.value)


@pytest.mark.parametrize("build", ["core", "langchain", "llamaindex"])
def test_configuration_errors_quoting_a_pasted_url_mask_its_query_secrets(build: str) -> None:
    from llama_index.core.llms import ChatMessage as LIMessage

    from shared_core.errors import ConfigurationError

    url = f"http://res.openai.azure.com/?sig=sas-{MARK}&tier=gold"
    with pytest.raises(ConfigurationError) as err:
        if build == "core":
            CoreClient.from_settings(azure_endpoint=url, deployment="dep", api_key="k", env={})
        elif build == "langchain":
            langchain_azoai.AzureChatOpenAI(azure_endpoint=url, azure_deployment="dep", api_key="k").invoke("hi")
        else:
            llamaindex_azoai.AzureOpenAI(azure_endpoint=url, engine="dep", api_key="k").chat(
                [LIMessage(role="user", content="hi")]
            )
    text = "".join(traceback.format_exception(err.value))
    assert_hidden(text, "the configuration error")
    assert str(err.value).startswith(
        "azure_endpoint='http://res.openai.azure.com/?sig=**********&tier=gold' uses plain http to a non-loopback host"
    )
