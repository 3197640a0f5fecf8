"""The core's results (``ChatResult`` / ``ChatDelta``) -> LlamaIndex responses.

Responses are built with ``model_construct``: every field comes from an already-parsed result, so
re-validating each streamed chunk through pydantic would only cost time.
"""

from __future__ import annotations

from typing import Any, Mapping

from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from shared_core.types import ChatDelta, ChatResult, Choice, ResponseMeta, ToolCall, Usage

from .messages import ToolCallDict, tool_call_dict

_ROLE_ASSISTANT = MessageRole.ASSISTANT


def _message(role: Any, blocks: list[Any], additional_kwargs: dict[str, Any]) -> ChatMessage:
    return ChatMessage.model_construct(role=role, blocks=blocks, additional_kwargs=additional_kwargs)


def _text(text: str) -> TextBlock:
    return TextBlock.model_construct(text=text)


def _tool_block(tc: ToolCall) -> ToolCallBlock:
    # Arguments stay the model's raw JSON text, as the anchors keep them; parsing (lenient, for
    # partial JSON) happens in get_tool_calls_from_response.
    return ToolCallBlock.model_construct(tool_call_id=tc.id, tool_name=tc.name, tool_kwargs=tc.arguments)


def usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    """Token counts under the keys LlamaIndex's token counters read."""
    if usage is None:
        return {}
    out: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cached_tokens:
        out["cached_tokens"] = usage.cached_tokens
    if usage.reasoning_tokens:
        out["reasoning_tokens"] = usage.reasoning_tokens
    return out


def meta_kwargs(meta: ResponseMeta | None) -> dict[str, Any]:
    """Azure's request id / region / attempts, for support tickets and logs."""
    if meta is None:
        return {}
    out: dict[str, Any] = {}
    if meta.request_id:
        out["request_id"] = meta.request_id
    if meta.region:
        out["region"] = meta.region
    if meta.attempts > 1:
        out["attempts"] = meta.attempts
    return out


def chat_logprobs(raw: Mapping[str, Any] | None) -> list[list[LogProb]] | None:
    """Chat ``logprobs.content`` -> one list of top alternatives per generated token."""
    if not raw or not raw.get("content"):
        return None
    out: list[list[LogProb]] = []
    for tok in raw["content"]:
        tops = tok.get("top_logprobs") or []
        if tops:
            out.append(
                [LogProb(token=t.get("token", ""), logprob=t.get("logprob", 0.0), bytes=t.get("bytes") or []) for t in tops]
            )
    return out


def completion_logprobs(raw: Mapping[str, Any] | None) -> list[list[LogProb]] | None:
    """Legacy completions ``logprobs.top_logprobs`` (a dict per token) -> LogProb lists."""
    if not raw or not raw.get("top_logprobs"):
        return None
    return [[LogProb(token=t, logprob=v, bytes=[]) for t, v in d.items()] for d in raw["top_logprobs"] if d]


def choice_message(choice: Choice) -> ChatMessage:
    """The assistant message of one choice, with thinking, text, tool-call and audio blocks."""
    blocks: list[Any] = []
    kwargs: dict[str, Any] = {}
    if choice.reasoning_content:
        blocks.append(ThinkingBlock.model_construct(content=choice.reasoning_content, num_tokens=None, additional_information={}))
    if choice.content:
        blocks.append(_text(choice.content))
    if choice.tool_calls:
        blocks.extend(_tool_block(tc) for tc in choice.tool_calls)
        kwargs["tool_calls"] = [tool_call_dict(tc.id, tc.name, tc.arguments) for tc in choice.tool_calls]
    if choice.refusal:
        kwargs["refusal"] = choice.refusal
    if choice.audio:
        kwargs["reference_audio_id"] = choice.audio.get("id")
        if choice.audio.get("transcript"):
            kwargs["audio_transcript"] = choice.audio["transcript"]
        if choice.audio.get("data"):
            blocks.append(AudioBlock(audio=choice.audio["data"].encode("ascii"), format="wav"))
    if choice.annotations:
        kwargs["annotations"] = list(choice.annotations)
    role = choice.role or "assistant"
    return _message(MessageRole(role) if role in MessageRole._value2member_map_ else _ROLE_ASSISTANT, blocks, kwargs)


def response_kwargs(result: ChatResult, choice: Choice | None) -> dict[str, Any]:
    """What a ``ChatResponse.additional_kwargs`` carries: usage, finish, filters, ids."""
    out = usage_kwargs(result.usage)
    if choice is not None:
        out["finish_reason"] = choice.finish_reason
        if choice.content_filter_results:
            out["content_filter_results"] = dict(choice.content_filter_results)
    if result.prompt_filter_results:
        out["prompt_filter_results"] = list(result.prompt_filter_results)
    if result.model:
        out["model"] = result.model
    out.update(meta_kwargs(result.meta))
    return out


def chat_response(result: ChatResult) -> ChatResponse:
    """A complete chat result -> ``ChatResponse`` (first choice; raw is the JSON body)."""
    choice = result.choices[0] if result.choices else None
    message = choice_message(choice) if choice is not None else _message(_ROLE_ASSISTANT, [], {})
    return ChatResponse.model_construct(
        message=message,
        raw=dict(result.raw),
        delta=None,
        logprobs=chat_logprobs(choice.logprobs) if choice is not None else None,
        additional_kwargs=response_kwargs(result, choice),
    )


def completion_response(result: ChatResult) -> CompletionResponse:
    """A legacy ``/completions`` result -> ``CompletionResponse``."""
    choice = result.choices[0] if result.choices else None
    return CompletionResponse.model_construct(
        text=(choice.text or "") if choice is not None else "",
        raw=dict(result.raw),
        delta=None,
        logprobs=completion_logprobs(choice.logprobs) if choice is not None else None,
        additional_kwargs=response_kwargs(result, choice),
    )


class ToolCallAssembler:
    """Merges streamed tool-call fragments by ``index`` (several per chunk are all kept).

    Private stand-in while ``shared_core.stream.StreamAccumulator`` offers no incremental view of
    the calls assembled so far ("move to core": an ``accumulator.tool_calls`` property).
    """

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        self._calls: dict[int, list[str]] = {}

    def add(self, deltas: tuple[Any, ...]) -> None:
        for d in deltas:
            cur = self._calls.get(d.index)
            if cur is None:
                self._calls[d.index] = [d.id or "", d.name or "", d.arguments or ""]
                continue
            if d.id and not cur[0]:
                cur[0] = d.id
            if d.name and d.name != cur[1]:  # some gateways repeat the full name on every fragment
                cur[1] += d.name
            if d.arguments:
                cur[2] += d.arguments

    @property
    def calls(self) -> list[ToolCall]:
        return [ToolCall(id=c[0], name=c[1], arguments=c[2]) for _, c in sorted(self._calls.items())]


class ChatStreamState:
    """Turns ``ChatDelta``s into cumulative ``ChatResponse``s (message so far + ``delta``)."""

    __slots__ = ("content", "reasoning", "tools", "role", "prompt_filter_results", "meta")

    def __init__(self) -> None:
        self.content = ""
        self.reasoning = ""
        self.tools: ToolCallAssembler | None = None
        self.role: Any = _ROLE_ASSISTANT
        self.prompt_filter_results: list[Any] = []
        self.meta: ResponseMeta | None = None

    def feed(self, d: ChatDelta) -> ChatResponse:
        text = d.content or ""
        if text:
            self.content += text
        kwargs: dict[str, Any] = {}
        if d.meta is not None:
            self.meta = d.meta
            kwargs.update(meta_kwargs(d.meta))
        if d.reasoning_content:
            self.reasoning += d.reasoning_content
            kwargs["thinking_delta"] = d.reasoning_content
        if d.tool_calls:
            if self.tools is None:
                self.tools = ToolCallAssembler()
            self.tools.add(d.tool_calls)
        if d.usage is not None:
            kwargs.update(usage_kwargs(d.usage))
        if d.finish_reason is not None:
            kwargs["finish_reason"] = d.finish_reason
        if d.content_filter_results:
            kwargs["content_filter_results"] = dict(d.content_filter_results)
        if d.prompt_filter_results:
            self.prompt_filter_results.extend(d.prompt_filter_results)
            kwargs["prompt_filter_results"] = list(d.prompt_filter_results)
        if d.model:
            kwargs["model"] = d.model

        blocks: list[Any] = []
        if self.reasoning:
            blocks.append(ThinkingBlock.model_construct(content=self.reasoning, num_tokens=None, additional_information={}))
        blocks.append(_text(self.content))
        message_kwargs: dict[str, Any] = {}
        if self.tools is not None:
            calls = self.tools.calls
            blocks.extend(_tool_block(tc) for tc in calls)
            message_kwargs["tool_calls"] = [tool_call_dict(tc.id, tc.name, tc.arguments) for tc in calls]
        return ChatResponse.model_construct(
            message=_message(self.role, blocks, message_kwargs),
            raw=d.raw,
            delta=text,
            logprobs=chat_logprobs(d.logprobs) if d.logprobs else None,
            additional_kwargs=kwargs,
        )


class CompletionStreamState:
    """Legacy ``/completions`` deltas -> cumulative ``CompletionResponse``s."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""

    def feed(self, d: ChatDelta) -> CompletionResponse:
        delta = d.text or ""
        self.text += delta
        kwargs: dict[str, Any] = usage_kwargs(d.usage)
        if d.finish_reason is not None:
            kwargs["finish_reason"] = d.finish_reason
        if d.content_filter_results:
            kwargs["content_filter_results"] = dict(d.content_filter_results)
        if d.prompt_filter_results:
            kwargs["prompt_filter_results"] = list(d.prompt_filter_results)
        return CompletionResponse.model_construct(
            text=self.text, raw=d.raw, delta=delta, logprobs=None, additional_kwargs=kwargs
        )


__all__ = [
    "ChatStreamState",
    "CompletionStreamState",
    "ToolCallAssembler",
    "ToolCallDict",
    "chat_response",
    "completion_response",
]
