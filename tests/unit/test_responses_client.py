"""Responses calls by id, background polling, content filters and the stored-response routing rule.

Operations and URLs: Learn "Azure OpenAI Responses API" (retrieve, delete, cancel, input_items,
background mode) and ../shared/research/anchors-2026-12.md; the content-filter shapes are Azure's
(the 400 ``content_filter`` body of the Mirascope recordings; ``content_filters`` with ``blocked``,
``source_type``, ``content_filter_results``: azure-rest-api-specs PR #42141, the crewAI recording).
"""

from __future__ import annotations

import json

import httpx
import pytest

from shared_core.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    ContentFilterError,
    NotFoundError,
)
from shared_core.types_responses import ResponsesRequest, ResponsesResult

from .responses_fakes import RID, USAGE, client, dated_target, json_answer, message, response, v1_target
from .transport_fakes import FakeTime, Recorder

FILTER_OK = {"hate": {"filtered": False, "severity": "safe"}, "violence": {"filtered": False, "severity": "safe"}}
FILTER_HIT = {"hate": {"filtered": False, "severity": "safe"}, "violence": {"filtered": True, "severity": "high"}}


def _ok(**extra: object) -> httpx.Response:
    return json_answer(response(output=[message("ok")], usage=USAGE, **extra))


# ---- by id ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "base", "query"),
    [
        (v1_target(), "https://eastus.openai.azure.com/openai/v1/responses", ""),
        (dated_target(), "https://eastus.openai.azure.com/openai/responses", "?api-version=2025-04-01-preview"),
    ],
)
def test_calls_by_id_use_the_documented_methods_and_paths(target: object, base: str, query: str) -> None:
    rec = Recorder(
        _ok(),
        json_answer(response("cancelled", background=True)),
        json_answer({"id": RID, "object": "response.deleted", "deleted": True}),
        json_answer(
            {
                "object": "list",
                "data": [{"type": "message", "id": "msg_1", "role": "user", "content": []}],
                "first_id": "msg_1",
                "last_id": "msg_1",
                "has_more": False,
            }
        ),
    )
    c = client(rec, target)  # type: ignore[arg-type]
    assert c.retrieve_response(RID).output_text == "ok"
    assert c.cancel_response(RID).status == "cancelled"
    assert c.delete_response(RID) is True
    page = c.list_input_items(RID, limit=5, order="asc")
    assert (page.first_id, page.has_more, len(page.data)) == ("msg_1", False, 1)
    sep = "&" if query else "?"
    assert [(r.method, str(r.url)) for r in rec.requests] == [
        ("GET", f"{base}/{RID}{query}"),
        ("POST", f"{base}/{RID}/cancel{query}"),
        ("DELETE", f"{base}/{RID}{query}"),
        ("GET", f"{base}/{RID}/input_items{query}{sep}limit=5&order=asc"),
    ]
    assert [r.content for r in rec.requests] == [b"", b"", b"", b""]


async def test_async_calls_by_id_match_sync() -> None:
    rec = Recorder(_ok(), json_answer(response("cancelled")), json_answer({"deleted": True}))
    c = client(rec)
    assert (await c.aretrieve_response(RID)).output_text == "ok"
    assert (await c.acancel_response(RID)).status == "cancelled"
    assert await c.adelete_response(RID) is True
    assert [r.method for r in rec.requests] == ["GET", "POST", "DELETE"]


# ---- parsing ---------------------------------------------------------------------------------------


def test_output_items_are_typed_and_built_in_tool_items_kept_raw() -> None:
    output = [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Checked."}],
            "encrypted_content": "gAAAA",
        },
        {"type": "code_interpreter_call", "id": "ci_1", "status": "completed", "code": "print(1)", "outputs": []},
        {
            "type": "message",
            "id": "msg_1",
            "status": "completed",
            "role": "assistant",
            "content": [
                {
                    "type": "output_text",
                    "text": "See doc.",
                    "annotations": [{"type": "url_citation", "url": "https://x", "start_index": 0, "end_index": 3}],
                },
                {"type": "refusal", "refusal": "Not that part."},
            ],
        },
        {"type": "function_call", "id": "fc_1", "call_id": "call_9", "name": "f", "arguments": "{}"},
    ]
    usage = {**USAGE, "input_tokens_details": {"cached_tokens": 8}, "output_tokens_details": {"reasoning_tokens": 5}}
    res = client(Recorder(json_answer(response(output=output, usage=usage)))).create_response(
        ResponsesRequest(input="x")
    )
    assert [i.type for i in res.output] == ["reasoning", "code_interpreter_call", "message", "function_call"]
    assert (res.reasoning_summary, res.output[0].encrypted_content) == ("Checked.", "gAAAA")  # type: ignore[union-attr]
    assert res.output[1].raw["code"] == "print(1)"
    assert (res.output_text, res.refusal) == ("See doc.", "Not that part.")
    assert res.output[2].annotations[0]["url"] == "https://x"  # type: ignore[union-attr]
    assert [(t.id, t.name) for t in res.tool_calls] == [("call_9", "f")]
    assert res.usage is not None and (res.usage.cached_tokens, res.usage.reasoning_tokens) == (8, 5)


def test_a_failed_response_is_a_result_with_its_error() -> None:
    err = {"code": "server_error", "message": "boom"}
    res = client(Recorder(json_answer(response("failed", error=err)))).retrieve_response(RID)
    assert (res.status, res.done, res.error) == ("failed", True, err)


# ---- content filters ----------------------------------------------------------------------------


def test_a_blocked_input_raises_content_filter_error_like_chat() -> None:
    filters = [{"blocked": True, "source_type": "prompt", "content_filter_results": FILTER_HIT}]
    rec = Recorder(json_answer(response("incomplete", content_filters=filters)))
    with pytest.raises(ContentFilterError, match=r"blocked the input.*violence \(high\)") as info:
        client(rec).create_response(ResponsesRequest(input="x"))
    assert (info.value.source, info.value.categories) == (
        "prompt",
        {"violence": {"filtered": True, "severity": "high"}},
    )


def test_the_400_content_filter_answer_raises_content_filter_error() -> None:
    body = {
        "error": {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            "type": "invalid_request_error",
            "param": "prompt",
            "code": "content_filter",
        }
    }
    with pytest.raises(ContentFilterError):
        client(Recorder(json_answer(body, 400))).create_response(ResponsesRequest(input="x"))


def test_a_filtered_output_is_reported_not_raised() -> None:
    filters = [
        {"blocked": False, "source_type": "prompt", "content_filter_results": FILTER_OK},
        {"blocked": True, "source_type": "completion", "content_filter_results": FILTER_HIT},
    ]
    res = client(Recorder(json_answer(response("incomplete", content_filters=filters)))).create_response(
        ResponsesRequest(input="x")
    )
    assert res.output_filtered and [f.source_type for f in res.content_filters] == ["prompt", "completion"]
    assert res.content_filters[1].content_filter_results["violence"]["filtered"] is True


# ---- background ---------------------------------------------------------------------------------


def test_poll_waits_between_retrieves_reports_progress_and_stops_when_final() -> None:
    rec = Recorder(
        json_answer(response("queued", background=True)),
        json_answer(response("in_progress", background=True)),
        json_answer(response("completed", [message("done")], background=True)),
    )
    t = FakeTime()
    seen: list[str] = []
    res = client(rec, t=t).poll_response(RID, interval=3.0, progress=lambda r: seen.append(r.status))
    assert (res.output_text, seen, t.sleeps) == ("done", ["queued", "in_progress", "completed"], [3.0, 3.0])


def test_poll_is_bounded_by_max_wait_and_says_the_response_keeps_running() -> None:
    rec = Recorder(json_answer(response("in_progress", background=True)))
    t = FakeTime()
    with pytest.raises(APITimeoutError, match=r"still 'in_progress' after 5 s of polling.*cancel_response"):
        client(rec, t=t).poll_response(RID, interval=2.0, max_wait=5.0)
    assert t.sleeps == [2.0, 2.0, 1.0] and len(rec.requests) == 4


async def test_apoll_takes_a_coroutine_progress() -> None:
    rec = Recorder(json_answer(response("in_progress")), json_answer(response("completed", [message("ok")])))
    seen: list[str] = []

    async def progress(r: ResponsesResult) -> None:
        seen.append(r.status)

    t = FakeTime()
    res = await client(rec, t=t).apoll_response(RID, interval=1.0, progress=progress)
    assert (res.status, seen, t.sleeps) == ("completed", ["in_progress", "completed"], [1.0])


# ---- routing: a stored response lives on one target ----------------------------------------------


def _two() -> tuple[object, object]:
    return v1_target("eastus"), v1_target("westeurope")


def test_previous_response_id_goes_to_the_target_that_stored_it() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        rid = "resp_we" if request.url.host.startswith("westeurope") else "resp_eu"
        return json_answer(response(output=[message("ok")], id=rid))

    east, west = _two()
    # the fake RNG (0.0) picks the first target for stateless calls: westeurope
    c = client(handler, west, east)  # type: ignore[arg-type]
    first = c.create_response(ResponsesRequest(input="hi"))
    assert first.meta is not None and first.meta.target == "westeurope"
    c.create_response(ResponsesRequest(input="again", previous_response_id=first.id))
    c.retrieve_response(first.id)
    assert seen == ["westeurope.openai.azure.com"] * 3


def test_a_continuation_never_fails_over_and_the_error_names_the_storing_target() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if request.url.host.startswith("westeurope") and len(calls) > 1:
            raise httpx.ConnectError("connection refused")
        return json_answer(response(output=[message("ok")], id="resp_w"))

    east, west = _two()
    c = client(handler, west, east, max_retries=1)  # type: ignore[arg-type]
    c.create_response(ResponsesRequest(input="hi"))
    with pytest.raises(APIConnectionError, match=r"stored on target 'westeurope' \(westeurope.openai.azure.com\)"):
        c.create_response(ResponsesRequest(input="more", previous_response_id="resp_w"))
    assert calls == ["westeurope.openai.azure.com"] * 3  # the create, then 2 attempts: never eastus


def test_a_stateless_call_fails_over() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if request.url.host.startswith("westeurope"):
            raise httpx.ConnectError("connection refused")
        return _ok()

    east, west = _two()
    res = client(handler, west, east, max_retries=1).create_response(ResponsesRequest(input="hi"))  # type: ignore[arg-type]
    assert res.meta is not None and res.meta.target == "eastus"
    assert calls[-1] == "eastus.openai.azure.com"


def test_an_unknown_id_goes_to_the_first_target_and_its_404_says_to_name_the_target() -> None:
    body = {"error": {"message": "Response with id 'resp_x' not found.", "type": "invalid_request_error"}}
    rec = Recorder(json_answer(body, 404))
    east, west = _two()
    with pytest.raises(NotFoundError, match=r"did not know which target stored response 'resp_x'.*target='<name>'"):
        client(rec, east, west).retrieve_response("resp_x")  # type: ignore[arg-type]
    assert rec.requests[0].url.host == "eastus.openai.azure.com"
    rec2 = Recorder(_ok())
    client(rec2, east, west).retrieve_response("resp_x", target="westeurope")  # type: ignore[arg-type]
    assert rec2.requests[0].url.host == "westeurope.openai.azure.com"


def test_a_continuation_body_carries_the_previous_id() -> None:
    rec = Recorder(_ok())
    client(rec).create_response(ResponsesRequest(input="more", previous_response_id="resp_1", store=True))
    assert json.loads(rec.requests[0].content) == {
        "model": "gpt-5.2",
        "input": "more",
        "previous_response_id": "resp_1",
        "store": True,
    }


async def test_async_continuation_never_fails_over_either() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if len(calls) > 1:
            return json_answer({"error": {"code": "server_error", "message": "down"}}, 503)
        return json_answer(response(output=[message("ok")], id="resp_w", background=True))

    east, west = _two()
    c = client(handler, west, east, max_retries=1)  # type: ignore[arg-type]
    await c.acreate_response(ResponsesRequest(input="hi", background=True))
    with pytest.raises(APIStatusError, match=r"stored on target 'westeurope'.*did not fail over") as info:
        await c.apoll_response("resp_w")
    assert info.value.status == 503
    assert calls == ["westeurope.openai.azure.com"] * 3


def test_a_continuations_faults_open_the_targets_breaker_for_other_calls() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if request.url.host.startswith("westeurope") and len(calls) > 1:
            return json_answer({"error": {"code": "server_error", "message": "down"}}, 503)
        return json_answer(response(output=[message("ok")], id="resp_w"))

    east, west = _two()
    c = client(handler, west, east, max_retries=2)  # type: ignore[arg-type]
    c.create_response(ResponsesRequest(input="hi"))
    with pytest.raises(APIStatusError, match=r"did not fail over.*circuit breaker is open") as info:
        c.retrieve_response("resp_w")  # 3 faults on westeurope: its breaker opens (3 is the threshold)
    assert info.value.status == 503
    assert calls == ["westeurope.openai.azure.com"] * 4
    res = c.create_response(ResponsesRequest(input="stateless"))
    assert res.meta is not None and res.meta.target == "eastus"
    assert calls[4:] == ["eastus.openai.azure.com"]  # straight to eastus: westeurope is known to be down


def test_a_continuations_success_closes_the_breaker_other_calls_opened() -> None:
    down = True
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if down and request.url.host.startswith("westeurope"):
            raise httpx.ConnectError("connection refused")
        return json_answer(response(output=[message("ok")], id="resp_w"))

    east, west = _two()
    c = client(handler, west, east, max_retries=1)  # type: ignore[arg-type]
    for _ in range(3):  # each tries westeurope first and fails over: the third fault opens its breaker
        c.create_response(ResponsesRequest(input="stateless"))
    assert c.create_response(ResponsesRequest(input="stateless")).meta.target == "eastus"  # type: ignore[union-attr]
    assert calls[-1] == "eastus.openai.azure.com"
    down = False
    pinned = c.retrieve_response("resp_w", target="westeurope")
    assert pinned.meta is not None and pinned.meta.routing is not None
    assert [(a.target, a.outcome, a.breaker) for a in pinned.meta.routing.attempts] == [("westeurope", "ok", "closed")]
    res = c.create_response(ResponsesRequest(input="stateless"))
    assert res.meta is not None and res.meta.target == "westeurope"


# ---- retrieve with include ---------------------------------------------------------------------

INCLUDE = ["reasoning.encrypted_content", "file_search_call.results"]


def test_retrieve_include_is_the_query_the_openai_sdk_sends() -> None:
    import openai

    theirs = Recorder(_ok())
    sdk = openai.OpenAI(
        base_url="https://eastus.openai.azure.com/openai/v1",
        api_key="k-secret",
        http_client=httpx.Client(transport=httpx.MockTransport(theirs)),
    )
    sdk.responses.retrieve(RID, include=INCLUDE)  # type: ignore[arg-type]
    ours = Recorder(_ok())
    client(ours).retrieve_response(RID, include=INCLUDE)
    sent, expected = ours.requests[0].url, theirs.requests[0].url
    assert (sent.path, sent.params.multi_items()) == (expected.path, expected.params.multi_items())
    assert sent.params.get_list("include[]") == INCLUDE


def test_retrieve_include_keeps_the_dated_api_version_and_poll_passes_it_on() -> None:
    rec = Recorder(_ok())
    client(rec, dated_target()).poll_response(RID, include=["reasoning.encrypted_content"])
    assert rec.requests[0].url.params.multi_items() == [
        ("api-version", "2025-04-01-preview"),
        ("include[]", "reasoning.encrypted_content"),
    ]


def test_include_as_a_bare_string_is_a_configuration_error() -> None:
    rec = Recorder(_ok())
    with pytest.raises(ConfigurationError, match=r"include must be a list of strings such as \['reasoning"):
        client(rec).retrieve_response(RID, include="reasoning.encrypted_content")
    assert rec.requests == []
