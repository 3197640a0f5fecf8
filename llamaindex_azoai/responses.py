"""The core's results (``ChatResult`` / ``ChatDelta``) -> LlamaIndex responses.

Responses are built without pydantic validation: every field comes from an already-parsed result,
so re-validating each streamed chunk would only cost time (it was the largest per-chunk cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
_new = object.__new__
_set = object.__setattr__


def _fast_factory(cls: Any) -> Any:
    """A constructor equivalent to ``cls.model_construct(**all_fields)``, several times cheaper.

    Only for models without private attributes or extras, given every field (checked once here,
    so a LlamaIndex release that changes these models falls back to ``model_construct``).
    """
    if cls.__private_attributes__ or cls.model_config.get("extra") not in (None, "ignore"):
        return lambda **fields: cls.model_construct(**fields)
    names = frozenset(cls.model_fields)

    def make(**fields: Any) -> Any:
        obj = _new(cls)
        _set(obj, "__dict__", fields)
        _set(obj, "__pydantic_fields_set__", set(fields))
        _set(obj, "__pydantic_extra__", None)
        _set(obj, "__pydantic_private__", None)
        return obj

    probe = make(**{n: None for n in names})
    if set(cls.model_construct().__dict__) - names or set(probe.__dict__) != names:  # pragma: no cover
        return lambda **fields: cls.model_construct(**fields)
    return make


_chat_response = _fast_factory(ChatResponse)
_completion_response = _fast_factory(CompletionResponse)
_chat_message = _fast_factory(ChatMessage)
_text_block = _fast_factory(TextBlock)
_tool_call_block = _fast_factory(ToolCallBlock)
_thinking_block = _fast_factory(ThinkingBlock)


def _message(role: Any, blocks: list[Any], additional_kwargs: dict[str, Any]) -> ChatMessage:
    return _chat_message(role=role, additional_kwargs=additional_kwargs, blocks=blocks)  # type: ignore[no-any-return]


def _text(text: str) -> TextBlock:
    return _text_block(block_type="text", text=text)  # type: ignore[no-any-return]


def fast_chat_response(**fields: Any) -> ChatResponse:
    """``ChatResponse(**fields)`` without validation, given every field (the Responses stream's
    per-event path; ``fast_message`` and ``fast_text`` are its parts)."""
    return _chat_response(**fields)  # type: ignore[no-any-return]


fast_message = _message
fast_text = _text


def _thinking(text: str) -> ThinkingBlock:
    return _thinking_block(block_type="thinking", content=text, num_tokens=None, additional_information={})  # type: ignore[no-any-return]


def _tool_block(tc: ToolCall) -> ToolCallBlock:
    # Arguments stay the model's raw JSON text, as the anchors keep them; parsing (lenient, for
    # partial JSON) happens in get_tool_calls_from_response.
    return _tool_call_block(  # type: ignore[no-any-return]
        block_type="tool_call", tool_call_id=tc.id, tool_name=tc.name, tool_kwargs=tc.arguments
    )


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
    """Azure's request id, region, serving target, deployment, rate limits and attempts."""
    return meta.facts() if meta is not None else {}


def chat_logprobs(raw: Mapping[str, Any] | None) -> list[list[LogProb]] | None:
    """Chat ``logprobs.content`` -> one list of top alternatives per generated token."""
    if not raw or not raw.get("content"):
        return None
    out: list[list[LogProb]] = []
    for tok in raw["content"]:
        tops = tok.get("top_logprobs") or []
        if tops:
            out.append(
                [
                    LogProb(token=t.get("token", ""), logprob=t.get("logprob", 0.0), bytes=t.get("bytes") or [])
                    for t in tops
                ]
            )
    return out


def completion_logprobs(raw: Mapping[str, Any] | None) -> list[list[LogProb]] | None:
    """Legacy completions ``logprobs.top_logprobs`` (a dict per token) -> LogProb lists."""
    if not raw or not raw.get("top_logprobs"):
        return None
    return [[LogProb(token=t, logprob=v, bytes=[]) for t, v in d.items()] for d in raw["top_logprobs"] if d]


def choice_message(choice: Choice, audio_format: str = "wav") -> ChatMessage:
    """The assistant message of one choice, with thinking, text, tool-call and audio blocks."""
    blocks: list[Any] = []
    kwargs: dict[str, Any] = {}
    if choice.reasoning_content:
        blocks.append(_thinking(choice.reasoning_content))
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
            blocks.append(AudioBlock(audio=choice.audio["data"].encode("ascii"), format=audio_format))
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


def chat_response(result: ChatResult, audio_format: str = "wav") -> ChatResponse:
    """A complete chat result -> ``ChatResponse`` (first choice; raw is the JSON body)."""
    choice = result.choices[0] if result.choices else None
    message = choice_message(choice, audio_format) if choice is not None else _message(_ROLE_ASSISTANT, [], {})
    return _chat_response(  # type: ignore[no-any-return]
        message=message,
        raw=dict(result.raw),
        delta=None,
        logprobs=chat_logprobs(choice.logprobs) if choice is not None else None,
        additional_kwargs=response_kwargs(result, choice),
    )


def completion_response(result: ChatResult) -> CompletionResponse:
    """A legacy ``/completions`` result -> ``CompletionResponse``."""
    choice = result.choices[0] if result.choices else None
    return _completion_response(  # type: ignore[no-any-return]
        text=(choice.text or "") if choice is not None else "",
        raw=dict(result.raw),
        delta=None,
        logprobs=completion_logprobs(choice.logprobs) if choice is not None else None,
        additional_kwargs=response_kwargs(result, choice),
    )


def chat_to_completion(r: ChatResponse) -> CompletionResponse:
    """A chat response seen as a completion (text, merged additional_kwargs, raw, delta)."""
    return _completion_response(  # type: ignore[no-any-return]
        text=r.message.content or "",
        additional_kwargs={**r.message.additional_kwargs, **r.additional_kwargs},
        raw=r.raw,
        logprobs=r.logprobs,
        delta=r.delta,
    )


class ChatStreamState:
    """Turns ``ChatDelta``s into cumulative ``ChatResponse``s (message so far + ``delta``).

    Tool-call fragments are merged by the core's ``StreamAccumulator`` (by index, several per
    chunk included); the message shows choice 0, as the anchors do.
    """

    __slots__ = ("content", "reasoning", "calls", "role", "meta", "acc")

    def __init__(self) -> None:
        from shared_core.wire.stream import StreamAccumulator

        self.content = ""
        self.reasoning = ""
        self.calls: tuple[ToolCall, ...] = ()
        self.role: Any = _ROLE_ASSISTANT
        self.meta: ResponseMeta | None = None
        self.acc = StreamAccumulator()

    def feed(self, d: ChatDelta) -> ChatResponse:
        first = d.choice_index == 0
        text = (d.content or "") if first else ""
        if text:
            self.content += text
        kwargs: dict[str, Any] = {}
        if d.meta is not None:
            self.meta = d.meta
            kwargs.update(meta_kwargs(d.meta))
        if d.reasoning_content and first:
            self.reasoning += d.reasoning_content
            kwargs["thinking_delta"] = d.reasoning_content
        if d.tool_calls and first:
            self.acc.add(d)  # only tool-call fragments need assembling; text is joined here
            self.calls = self.acc.tool_calls()
        if d.usage is not None:
            kwargs.update(usage_kwargs(d.usage))
        if d.finish_reason is not None:
            kwargs["finish_reason"] = d.finish_reason
        if d.content_filter_results:
            kwargs["content_filter_results"] = dict(d.content_filter_results)
        if d.prompt_filter_results:
            kwargs["prompt_filter_results"] = list(d.prompt_filter_results)
        if d.model:
            kwargs["model"] = d.model

        blocks: list[Any] = []
        if self.reasoning:
            blocks.append(_thinking(self.reasoning))
        blocks.append(_text(self.content))
        message_kwargs: dict[str, Any] = {}
        if self.calls:
            blocks.extend(_tool_block(tc) for tc in self.calls)
            message_kwargs["tool_calls"] = [tool_call_dict(tc.id, tc.name, tc.arguments) for tc in self.calls]
        return _chat_response(  # type: ignore[no-any-return]
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
        return _completion_response(  # type: ignore[no-any-return]
            text=self.text, raw=d.raw, delta=delta, logprobs=None, additional_kwargs=kwargs
        )


def raise_if_filtered(response: ChatResponse, expected: str) -> None:
    """Raise ``ContentFilterError`` when Azure's filter stopped the completion that should have held
    ``expected`` (structured output, a required tool call): there is nothing to parse."""
    kw = response.additional_kwargs
    if kw.get("finish_reason") != "content_filter":
        return
    from shared_core.wire.structured import filtered_output_error

    error = filtered_output_error(kw["finish_reason"], kw.get("content_filter_results"), expected=expected, facts=kw)
    if error is not None:
        raise error


__all__ = [
    "ChatStreamState",
    "CompletionStreamState",
    "ToolCallDict",
    "chat_response",
    "completion_response",
    "raise_if_filtered",
]
