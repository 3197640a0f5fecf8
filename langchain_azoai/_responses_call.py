"""``AzureChatOpenAI`` calls on the Responses API: body -> the core's ``ResponsesRequest``, the
core's results and events -> LangChain generations.

The core sends the call (route, auth, retries, pinning a stored conversation to its region, SSE,
content-filter policy); this module only hands it the body langchain-openai would send and
translates what comes back, from the service's own JSON (``result.raw`` / ``event.raw``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_azoai._convert import gen_chunk, meta_metadata
from langchain_azoai._responses_output import response_to_message
from langchain_azoai._responses_request import build_responses_call
from langchain_azoai._responses_stream import ResponsesStreamConverter
from langchain_azoai._responses_v03 import to_v03
from shared_core.types_responses import BODY_NAMED_FIELDS, ResponsesRequest

if TYPE_CHECKING:
    from langchain_azoai.chat_models import AzureChatOpenAI
    from shared_core.types_responses import ResponseEvent, ResponsesResult


def to_core_request(body: dict[str, Any]) -> ResponsesRequest:
    """The body as the core's request: known fields by name (so the core's family rules see
    them), anything else in ``extra_body`` (sent as given, as the OpenAI SDK would)."""
    body = dict(body)
    req = ResponsesRequest(
        input=body.pop("input"), model=body.pop("model", None), stream=bool(body.pop("stream", False))
    )
    for name in BODY_NAMED_FIELDS:
        if body.get(name) is not None:
            setattr(req, name, body.pop(name))
    reasoning = body.get("reasoning")
    if isinstance(reasoning, Mapping) and set(reasoning) <= {"effort", "summary"}:
        body.pop("reasoning")
        req.reasoning_effort, req.reasoning_summary = reasoning.get("effort"), reasoning.get("summary")
    text = body.get("text")
    if isinstance(text, Mapping) and set(text) <= {"format", "verbosity"}:
        body.pop("text")
        req.text_format, req.verbosity = text.get("format"), text.get("verbosity")
    req.extra_body = body
    return req


def _prepare(
    llm: AzureChatOpenAI, messages: Sequence[BaseMessage], stop: list[str] | None, stream: bool, kwargs: dict[str, Any]
) -> tuple[ResponsesRequest, dict[str, Any], Any]:
    body, call, schema = build_responses_call(llm, messages, stop, stream, kwargs)
    return to_core_request(body), call, schema


def _filters(result: ResponsesResult) -> dict[str, Any]:
    """Azure's ``content_filters`` verdicts (an Azure addition to the response object)."""
    if not result.content_filters:
        return {}
    return {"content_filters": [dict(f.raw) for f in result.content_filters]}


def _result(llm: AzureChatOpenAI, result: ResponsesResult, schema: Any) -> ChatResult:
    metadata = {**meta_metadata(result.meta, llm.include_response_headers), **_filters(result)}
    message = response_to_message(result.raw, schema=schema, metadata=metadata)
    if llm.output_version == "v0":
        message = to_v03(message)
    return ChatResult(generations=[ChatGeneration(message=message)])


def generate(
    llm: AzureChatOpenAI, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
) -> ChatResult:
    req, call, schema = _prepare(llm, messages, stop, False, kwargs)
    return _result(llm, llm._client().create_response(req, **call), schema)


async def agenerate(
    llm: AzureChatOpenAI, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
) -> ChatResult:
    req, call, schema = _prepare(llm, messages, stop, False, kwargs)
    return _result(llm, await llm._client().acreate_response(req, **call), schema)


def _chunk(llm: AzureChatOpenAI, conv: ResponsesStreamConverter, event: ResponseEvent) -> ChatGenerationChunk | None:
    if event.meta is not None and not conv.seen_meta:
        conv.add_metadata(meta_metadata(event.meta, llm.include_response_headers))
    message = conv.feed(event.raw)
    if message is None:
        return None
    if event.response is not None and message.chunk_position == "last":
        message.response_metadata.update(_filters(event.response))
    return gen_chunk(message)


def stream(
    llm: AzureChatOpenAI, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
) -> Iterator[ChatGenerationChunk]:
    req, call, schema = _prepare(llm, messages, stop, True, kwargs)
    conv = ResponsesStreamConverter(schema=schema, v0=llm.output_version == "v0")
    for event in llm._client().stream_response(req, **call):
        chunk = _chunk(llm, conv, event)
        if chunk is not None:
            yield chunk


async def astream(
    llm: AzureChatOpenAI, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
) -> AsyncIterator[ChatGenerationChunk]:
    req, call, schema = _prepare(llm, messages, stop, True, kwargs)
    conv = ResponsesStreamConverter(schema=schema, v0=llm.output_version == "v0")
    async for event in llm._client().astream_response(req, **call):
        chunk = _chunk(llm, conv, event)
        if chunk is not None:
            yield chunk
