"""Every verified defect of the LlamaIndex anchors (research file §6, D1-D20): we do not have it."""

from __future__ import annotations

import json
import time
from collections import namedtuple
from typing import Any

import httpx
import pytest
from li_canned import (
    ENDPOINT,
    KEY,
    SAFE,
    Azure,
    chat_body,
    chunk,
    embeddings_body,
    prompt_filter_chunk,
    text_stream,
    tool_call,
    usage_chunk,
)
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms import LLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.schema import ImageDocument
from pydantic import BaseModel

from llamaindex_azoai import (
    AzureOpenAI,
    AzureOpenAIEmbedding,
    AzureOpenAIMultiModal,
    ConfigurationError,
    ContentFilterError,
    ServerError,
)

AccessToken = namedtuple("AccessToken", ["token", "expires_on"])


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


class Answer(BaseModel):
    value: int


# D1 --------------------------------------------------------------------------------------------


def test_d1_unknown_model_never_blocks_a_call_and_context_window_can_be_set(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("ok", model="gpt-4o-2024-08-06"))
    llm = make_llm(engine="prod-deployment-7", model=None)
    assert llm.metadata.context_window == 128000  # documented default, not gpt-35-turbo's 4096
    assert llm.chat(user("hi")).message.content == "ok"  # to_payload() did not raise
    assert llm.metadata.model_name == "gpt-4o-2024-08-06"  # learned from Azure's answer
    assert make_llm(model="my-weird-name", context_window=32000).metadata.context_window == 32000


# D2 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gpt-5.1-chat", "gpt-4.1-global", "gpt-4o-2024-05-13", "gpt-4"])
def test_d2_new_azure_model_names_work(make_llm: Any, azure: Azure, name: str) -> None:
    azure.add_json(chat_body("fine"))
    llm = make_llm(model=name)
    assert llm.metadata.context_window > 4096
    assert llm.chat(user("x")).message.content == "fine"


# D3 --------------------------------------------------------------------------------------------


def test_d3_missing_api_version_is_the_documented_ga_not_an_empty_string(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    make_llm(api_version=None).chat(user("x"))
    make_llm(api_version="").chat(user("x"))
    assert [r.url.params["api-version"] for r in azure.requests] == ["2024-10-21", "2024-10-21"]


def test_d3_malformed_api_version_fails_before_any_request(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    with pytest.raises(ConfigurationError, match=r"2024-13") as err:
        make_llm(api_version="2024-13").chat(user("x"))
    assert err.value.setting == "api_version"
    assert azure.requests == []


# D4 / D5 / D6 ------------------------------------------------------------------------------------


def test_d4_entra_id_tokens_go_as_bearer_and_are_refreshed(make_llm: Any, azure: Azure) -> None:
    class Credential:
        calls = 0

        def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
            Credential.calls += 1
            assert scopes == ("https://cognitiveservices.azure.com/.default",)
            # already past its refresh time: every call must fetch a new one
            return AccessToken(f"aad{Credential.calls}", int(time.time()) - 10)

    azure.add_json(chat_body())
    llm = make_llm(api_key=None, use_azure_ad=True, credential=Credential())
    llm.chat(user("a"))
    llm.chat(user("b"))
    auth = [r.headers.get("authorization") for r in azure.requests]
    assert auth == ["Bearer aad1", "Bearer aad2"]
    assert all("api-key" not in r.headers for r in azure.requests)
    assert llm.api_key is None  # the token never lands in api_key


def test_d5_provider_is_called_per_request_not_at_construction_and_no_stale_api_key(
    make_llm: Any, azure: Azure
) -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return f"tok{len(calls)}"

    azure.add_json(chat_body())
    llm = make_llm(api_key=None, azure_ad_token_provider=provider, use_azure_ad=True)
    assert calls == []
    llm.chat(user("a"))
    llm.chat(user("b"))
    assert [r.headers["authorization"] for r in azure.requests] == ["Bearer tok1", "Bearer tok2"]
    assert all("api-key" not in r.headers for r in azure.requests)


async def test_d6_async_token_provider_is_awaited(make_llm: Any, azure: Azure) -> None:
    async def aprovider() -> str:
        return "async-tok"

    azure.add_json(chat_body())
    # passed where the anchors take the sync provider, as azure.identity.aio users do
    llm = make_llm(api_key=None, azure_ad_token_provider=aprovider)
    await llm.achat(user("a"))
    assert azure.requests[0].headers["authorization"] == "Bearer async-tok"
    llm2 = make_llm(api_key=None, azure_ad_async_token_provider=aprovider)
    await llm2.achat(user("a"))
    assert azure.requests[1].headers["authorization"] == "Bearer async-tok"


# D7 --------------------------------------------------------------------------------------------


def test_d7_no_secret_or_token_in_serialized_forms(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    llm = make_llm(api_key=None, azure_ad_token_provider=lambda: "live-token-xyz", use_azure_ad=True)
    llm.chat(user("x"))
    for text in (json.dumps(llm.to_dict(), default=str), llm.to_json(), repr(llm), str(llm.to_payload())):
        assert "live-token-xyz" not in text and KEY not in text
    keyed = make_llm()
    assert KEY not in keyed.to_json() and KEY not in repr(keyed)
    emb = AzureOpenAIEmbedding(azure_deployment="e", azure_endpoint=ENDPOINT, api_key=KEY)
    assert KEY not in emb.to_json()


# D8 / D9 -----------------------------------------------------------------------------------------


def test_d8_one_retry_layer_max_retries_3_means_4_attempts(make_llm: Any, azure: Azure) -> None:
    # a 5xx: 429s are not counted by max_retries but bounded by max_retry_wait (issue 9 §5)
    azure.add_json(
        {"error": {"code": "InternalServerError", "message": "boom"}},
        status=503,
        headers={"retry-after": "0", "retry-after-ms": "0"},
    )
    with pytest.raises(ServerError) as err:
        make_llm(max_retries=3).chat(user("x"))
    assert len(azure.requests) == 4
    assert err.value.attempts == 4
    ids = {r.headers["x-ms-client-request-id"] for r in azure.requests}
    assert len(ids) == 1  # one call, one client request id


def test_d8_streams_are_retried_before_the_first_byte(make_llm: Any, azure: Azure) -> None:
    azure.add_json(
        {"error": {"code": "InternalServerError", "message": "boom"}}, status=500, headers={"retry-after-ms": "0"}
    )
    azure.add_sse(text_stream(["ok"]))
    chunks = list(make_llm(max_retries=1).stream_chat(user("x")))
    assert chunks[-1].message.content == "ok"
    assert len(azure.requests) == 2


def test_d9_embeddings_honour_max_retries_and_timeout(azure: Azure) -> None:
    azure.add_json(
        {"error": {"code": "InternalServerError", "message": "boom"}}, status=503, headers={"retry-after-ms": "0"}
    )
    http = httpx.Client(transport=httpx.MockTransport(azure))
    emb = AzureOpenAIEmbedding(
        azure_deployment="e", azure_endpoint=ENDPOINT, api_key=KEY, max_retries=2, timeout=7.5, http_client=http
    )
    with pytest.raises(ServerError):
        emb.get_text_embedding("x")
    assert len(azure.requests) == 3
    assert azure.requests[0].extensions["timeout"]["read"] == pytest.approx(7.5)


# D10 -------------------------------------------------------------------------------------------


def test_d10_user_http_client_is_never_closed(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("one"))
    http = httpx.Client(transport=httpx.MockTransport(azure))
    llm = make_llm(reuse_client=False, http_client=http)
    assert llm.chat(user("a")).message.content == "one"
    assert llm.chat(user("b")).message.content == "one"
    llm.close()
    assert not http.is_closed
    assert len(azure.requests) == 2


# D11 -------------------------------------------------------------------------------------------


def test_d11_prompt_filter_is_typed_and_completion_filter_is_visible(make_llm: Any, azure: Azure) -> None:
    azure.add_json(
        {
            "error": {
                "code": "content_filter",
                "status": 400,
                "message": "filtered",
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {**SAFE, "self_harm": {"filtered": True, "severity": "high"}},
                },
            }
        },
        status=400,
    )
    with pytest.raises(ContentFilterError) as err:
        make_llm().chat(user("x"))
    assert err.value.categories["self_harm"]["filtered"] is True
    azure.answers[:] = []
    azure.add_json(
        chat_body(
            None,
            finish_reason="content_filter",
            content_filter_results={**SAFE, "sexual": {"filtered": True, "severity": "medium"}},
        )
    )
    r = make_llm().chat(user("x"))
    assert r.additional_kwargs["finish_reason"] == "content_filter"
    assert r.additional_kwargs["content_filter_results"]["sexual"]["filtered"] is True


# D12 -------------------------------------------------------------------------------------------


def test_d12_two_tool_calls_in_one_chunk_are_both_kept(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(
        [
            prompt_filter_chunk(),
            chunk(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                        },
                        {
                            "index": 1,
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "mul", "arguments": '{"a": 3,'},
                        },
                    ],
                }
            ),
            chunk({"tool_calls": [{"index": 1, "function": {"arguments": ' "b": 4}'}}]}),
            chunk({}, finish_reason="tool_calls"),
            usage_chunk(),
        ]
    )
    llm = make_llm()
    last = list(llm.stream_chat(user("x")))[-1]
    calls = llm.get_tool_calls_from_response(last)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c1", "add", {"a": 1, "b": 2}),
        ("c2", "mul", {"a": 3, "b": 4}),
    ]


# D13 / D14 / D15 -----------------------------------------------------------------------------------


def test_d13_unsupported_blocks_are_skipped_or_refused_clearly(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body("ok"))
    llm = make_llm()
    msg = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="a"),
            CachePoint(cache_control=CacheControl(type="ephemeral")),
            CitableBlock(title="t", source="s", content=[TextBlock(text="b")]),
            CitationBlock(cited_content=TextBlock(text="c"), source="s", title="t", additional_location_info={}),
        ],
    )
    assert llm.chat([msg]).message.content == "ok"
    assert azure.body()["messages"] == [{"role": "user", "content": "abc"}]
    with pytest.raises(ConfigurationError, match="VideoBlock cannot be sent to Azure OpenAI chat completions"):
        llm.chat([ChatMessage(role="user", blocks=[VideoBlock(url="https://x.test/v.mp4")])])
    assert len(azure.requests) == 1  # refused before any request


def test_d14_document_block_nested_file_shape_on_the_wire(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    doc = DocumentBlock(data=b"%PDF-1.4 tiny", title="a.pdf", document_mimetype="application/pdf")
    make_llm().chat([ChatMessage(role="user", blocks=[TextBlock(text="sum"), doc])])
    part = azure.body()["messages"][0]["content"][1]
    assert part["type"] == "file"
    assert set(part) == {"type", "file"}
    assert part["file"]["filename"] == "a.pdf"
    assert part["file"]["file_data"].startswith("data:application/pdf;base64,")


def test_d15_dict_tool_kwargs_are_sent_as_a_json_string(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    history = [
        *user("x"),
        ChatMessage(
            role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs={"k": [1, 2]})]
        ),
        ChatMessage(role="tool", content="done", additional_kwargs={"tool_call_id": "c"}),
    ]
    make_llm().chat(history)
    args = azure.body()["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert isinstance(args, str) and json.loads(args) == {"k": [1, 2]}


# D16 -------------------------------------------------------------------------------------------


def test_d16_stream_usage_without_opting_in(make_llm: Any, azure: Azure) -> None:
    azure.add_sse(text_stream(["a"]))
    chunks = list(make_llm(additional_kwargs={}).stream_chat(user("x")))
    assert azure.body()["stream_options"] == {"include_usage": True}
    assert chunks[-1].additional_kwargs["total_tokens"] == 18
    assert chunks[-1].raw["usage"]["prompt_tokens"] == 11  # where TokenCountingHandler looks


# D17 -------------------------------------------------------------------------------------------


def test_d17_embeddings_free_names_unchanged_text_sane_batch_size(azure: Azure) -> None:
    azure.add_json(embeddings_body(2))
    http = httpx.Client(transport=httpx.MockTransport(azure))
    emb = AzureOpenAIEmbedding(model="contoso-embed-v7", azure_endpoint=ENDPOINT, api_key=KEY, http_client=http)
    assert emb.embed_batch_size > 10
    emb.get_text_embedding_batch(["a\nb", "c\n"])
    assert json.loads(azure.requests[0].content)["input"] == ["a\nb", "c\n"]
    assert "/deployments/contoso-embed-v7/" in str(azure.requests[0].url)


# D18 -------------------------------------------------------------------------------------------


def test_d18_json_schema_follows_api_version_not_a_name_list(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body('{"value": 3}'))
    prompt = PromptTemplate("three?")
    assert make_llm(model="some-future-model", api_version="2024-10-21").structured_predict(Answer, prompt).value == 3
    assert azure.body()["response_format"]["type"] == "json_schema"
    assert make_llm(model="some-future-model", api_version="v1").structured_predict(Answer, prompt).value == 3
    assert azure.body()["response_format"]["type"] == "json_schema"
    azure.answers[:] = []
    azure.add_json(chat_body(None, tool_calls=[tool_call("c", "Answer", {"value": 3})], finish_reason="tool_calls"))
    assert make_llm(model="gpt-4o", api_version="2024-02-01").structured_predict(Answer, prompt).value == 3
    assert "response_format" not in azure.body() and azure.body()["tools"][0]["function"]["name"] == "Answer"


# D19 -------------------------------------------------------------------------------------------


def test_d19_multimodal_keeps_the_llm_signature_and_images_work_in_plain_chat(azure: Azure) -> None:
    azure.add_json(chat_body("a red dot"))
    http = httpx.Client(transport=httpx.MockTransport(azure))
    with pytest.warns(DeprecationWarning, match="use llamaindex_azoai.AzureOpenAI with ImageBlock"):
        mm = AzureOpenAIMultiModal(engine="vision", azure_endpoint=ENDPOINT, api_key=KEY, http_client=http)
    assert isinstance(mm, LLM)
    assert mm.complete("no images").text == "a red dot"
    png_b64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    mm.complete("describe", image_documents=[ImageDocument(image=png_b64), ImageBlock(url="https://x.test/dot.png")])
    assert azure.body()["messages"][0]["content"] == [
        {"type": "text", "text": "describe"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png_b64}"}},
        {"type": "image_url", "image_url": {"url": "https://x.test/dot.png"}},
    ]
    azure.answers[:] = []
    azure.add_sse(text_stream(["a red ", "dot"]))
    chunks = list(mm.stream_complete("describe", image_documents=[ImageBlock(url="https://x.test/dot.png")]))
    assert chunks[-1].text == "a red dot"
    azure.answers[:] = []
    azure.add_json(chat_body("a red dot"))
    llm = AzureOpenAI(engine="vision", azure_endpoint=ENDPOINT, api_key=KEY, http_client=http)
    llm.chat([ChatMessage(role="user", blocks=[TextBlock(text="d"), ImageBlock(url="https://x.test/dot.png")])])
    assert azure.body()["messages"][0]["content"][1]["type"] == "image_url"


# D20 -------------------------------------------------------------------------------------------


def test_d20_v1_route_and_gateway_base_urls(make_llm: Any, azure: Azure) -> None:
    azure.add_json(chat_body())
    make_llm(api_version="v1").chat(user("x"))
    req = azure.requests[0]
    assert str(req.url) == f"{ENDPOINT}/openai/v1/chat/completions"
    assert json.loads(req.content)["model"] == "chat"
    make_llm(
        azure_endpoint=None,
        api_base="https://gw.contoso.example/aoai/openai",
        default_headers={"Ocp-Apim-Subscription-Key": "apim"},
    ).chat(user("x"))
    req = azure.requests[1]
    assert (
        str(req.url)
        == "https://gw.contoso.example/aoai/openai/deployments/chat/chat/completions?api-version=2024-10-21"
    )
    assert req.headers["ocp-apim-subscription-key"] == "apim"


# Beyond the table: issues from §7 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "temperature_sent", "system_role", "token_key"),
    [
        ("o3-mini", False, "developer", "max_completion_tokens"),
        ("gpt-5-chat", True, "system", "max_completion_tokens"),
        ("gpt-4o", True, "system", "max_tokens"),
    ],
)
def test_issue_20154_reasoning_rules_follow_capabilities(
    make_llm: Any, azure: Azure, model: str, temperature_sent: bool, system_role: str, token_key: str
) -> None:
    azure.add_json(chat_body())
    make_llm(model=model, max_tokens=100).chat([ChatMessage(role="system", content="s"), *user("u")])
    body = azure.body()
    assert ("temperature" in body) is temperature_sent  # gpt-5-chat is not forced to 1.0, nor stripped
    assert body["messages"][0]["role"] == system_role
    assert body[token_key] == 100


def test_issue_7640_8995_empty_choice_chunks_and_cut_streams(make_llm: Any, azure: Azure) -> None:
    from llamaindex_azoai import StreamError

    azure.add_sse([prompt_filter_chunk(), chunk({"content": "ok"}), chunk({}, finish_reason="stop"), usage_chunk()])
    assert list(make_llm().stream_chat(user("x")))[-1].message.content == "ok"
    cut = b"data: " + json.dumps(chunk({"content": "partial"})).encode() + b"\n\n"
    azure.answers[:] = []
    azure.add(lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=cut))
    got: list[str] = []
    with pytest.raises(StreamError, match=r"(?i)stream"):
        for c in make_llm().stream_chat(user("x")):
            got.append(c.delta or "")
    assert "".join(got) == "partial"
