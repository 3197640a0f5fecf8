"""LangChain messages <-> OpenAI wire dicts, and core results -> LangChain messages.

Pure translation: no I/O, no decisions about the wire beyond the shape of a message. The hot
paths (plain string content, a streamed text delta) avoid any generic machinery.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    ToolMessage,
)
from langchain_core.messages.ai import (
    InputTokenDetails,
    OutputTokenDetails,
    UsageMetadata,
)
from langchain_core.outputs import ChatGenerationChunk

from shared_core.types import ChatDelta, ChatResult, Choice, ResponseMeta, Usage
from shared_core.types import ToolCall as CoreToolCall
from shared_core.wire.stream import merge_filter_results

_DROP_BLOCKS = frozenset(
    {"tool_use", "thinking", "reasoning_content", "reasoning", "tool_call", "function_call", "code_interpreter_call"}
)
_DATA_TYPES = frozenset({"image", "file", "audio", "video"})


# --------------------------------------------------------------------------- LangChain -> wire


def _format_content(content: Any) -> Any:
    """List content: standard data blocks and Anthropic images become OpenAI blocks."""
    if not isinstance(content, list) or not content:
        return content
    out: list[Any] = []
    for block in content:
        if not isinstance(block, dict):
            out.append({"type": "text", "text": block} if isinstance(block, str) else block)
            continue
        btype = block.get("type")
        if btype in _DROP_BLOCKS:
            continue
        if btype == "text":
            text_block: dict[str, Any] = {"type": "text", "text": block.get("text", "")}
            if "prompt_cache_breakpoint" in block:
                text_block["prompt_cache_breakpoint"] = block["prompt_cache_breakpoint"]
            out.append(text_block)
            continue
        if btype in _DATA_TYPES:
            source = block.get("source")
            if btype == "image" and isinstance(source, dict):  # Anthropic form
                if source.get("type") == "base64":
                    url = f"data:{source.get('media_type')};base64,{source.get('data')}"
                    out.append({"type": "image_url", "image_url": {"url": url}})
                elif source.get("type") == "url":
                    out.append({"type": "image_url", "image_url": {"url": source.get("url")}})
                continue
            from langchain_core.messages.block_translators.openai import (
                convert_to_openai_data_block,
            )
            from langchain_core.messages.content import is_data_content_block

            if is_data_content_block(block):
                out.append(convert_to_openai_data_block(block, api="chat/completions"))
                continue
        out.append(block)
    return out


def _tool_calls_to_wire(message: AIMessage) -> list[dict[str, Any]] | None:
    if message.tool_calls or message.invalid_tool_calls:
        calls: list[dict[str, Any]] = [
            {
                "type": "function",
                "id": tc["id"],
                "function": {
                    "name": tc["name"],
                    "arguments": json.dumps(tc["args"], ensure_ascii=False),
                },
            }
            for tc in message.tool_calls
        ]
        calls.extend(
            {
                "type": "function",
                "id": tc["id"],
                "function": {"name": tc["name"], "arguments": tc["args"]},
            }
            for tc in message.invalid_tool_calls
        )
        return calls
    raw = message.additional_kwargs.get("tool_calls")
    if raw:
        return [{k: v for k, v in tc.items() if k in ("id", "type", "function")} for tc in raw]
    return None


def message_to_wire(message: BaseMessage) -> dict[str, Any]:
    """Convert one LangChain message to an OpenAI chat wire dict."""
    mtype = message.type
    content = message.content
    if mtype == "ai" and isinstance(content, list) and (message.response_metadata.get("output_version") == "v1"):
        content = [
            {"type": "text", "text": b["text"]} if isinstance(b, dict) and b.get("type") == "text" else b
            for b in content
        ]
    if isinstance(content, list):
        content = _format_content(content)
    out: dict[str, Any]
    if mtype == "human":
        out = {"role": "user", "content": content}
    elif mtype == "ai":
        out = {"role": "assistant", "content": content}
        assert isinstance(message, AIMessage)
        calls = _tool_calls_to_wire(message)
        if calls:
            out["tool_calls"] = calls
            out["content"] = content or None
        elif "function_call" in message.additional_kwargs:
            out["function_call"] = message.additional_kwargs["function_call"]
            out["content"] = content or None
        audio = message.additional_kwargs.get("audio")
        if isinstance(audio, dict):
            # Only the id goes back to the service on later turns.
            out["audio"] = {"id": audio["id"]} if "id" in audio else audio
    elif mtype == "system":
        out = {"role": message.additional_kwargs.get("__openai_role__", "system"), "content": content}
    elif mtype == "tool":
        assert isinstance(message, ToolMessage)
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": content}
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": content}
    elif isinstance(message, FunctionMessage):
        out = {"role": "function", "content": content}
    else:
        raise TypeError(
            f"Unsupported message type {type(message).__name__}: use HumanMessage, AIMessage, "
            "SystemMessage, ToolMessage, ChatMessage or FunctionMessage."
        )
    name = message.name or message.additional_kwargs.get("name")
    if name is not None:
        out["name"] = name
    return out


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert a list of LangChain messages to OpenAI chat wire dicts."""
    return [message_to_wire(m) for m in messages]


# --------------------------------------------------------------------------- wire -> LangChain


def usage_to_metadata(usage: Usage, service_tier: str | None = None) -> UsageMetadata:
    """Core usage -> LangChain ``usage_metadata`` (cache, reasoning and audio details)."""
    raw = usage.raw or {}
    tier = service_tier if service_tier in ("priority", "flex") else None
    prefix = f"{tier}_" if tier else ""
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    inp: dict[str, int] = {}
    outp: dict[str, int] = {}
    if prompt_details.get("audio_tokens") is not None or usage.audio_input_tokens:
        inp["audio"] = usage.audio_input_tokens
    if prompt_details.get("cached_tokens") is not None or usage.cached_tokens:
        inp[f"{prefix}cache_read"] = usage.cached_tokens
    if prompt_details.get("cache_write_tokens") is not None:
        inp[f"{prefix}cache_creation"] = int(prompt_details["cache_write_tokens"])
    if completion_details.get("audio_tokens") is not None or usage.audio_output_tokens:
        outp["audio"] = usage.audio_output_tokens
    if completion_details.get("reasoning_tokens") is not None or usage.reasoning_tokens:
        outp[f"{prefix}reasoning"] = usage.reasoning_tokens
    if tier:
        inp[tier] = usage.prompt_tokens - inp.get(f"{prefix}cache_read", 0)
        outp[tier] = usage.completion_tokens - outp.get(f"{prefix}reasoning", 0)
    total = usage.total_tokens or usage.prompt_tokens + usage.completion_tokens
    md = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=total,
    )
    if inp:
        md["input_token_details"] = InputTokenDetails(**inp)  # type: ignore[typeddict-item]
    if outp:
        md["output_token_details"] = OutputTokenDetails(**outp)  # type: ignore[typeddict-item]
    return md


def token_usage_dict(usage: Usage) -> dict[str, Any]:
    """``response_metadata["token_usage"]``: the service's usage object as sent."""
    if usage.raw:
        return dict(usage.raw)
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def split_tool_calls(
    calls: Sequence[CoreToolCall],
) -> tuple[list[ToolCall], list[InvalidToolCall], list[dict[str, Any]]]:
    """Complete tool calls -> (valid, invalid, raw wire dicts for ``additional_kwargs``)."""
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    raw: list[dict[str, Any]] = []
    for tc in calls:
        raw.append({"id": tc.id, "type": tc.type, "function": {"name": tc.name, "arguments": tc.arguments}})
        try:
            args = json.loads(tc.arguments or "{}", strict=False)
        except json.JSONDecodeError as exc:
            invalid.append(
                InvalidToolCall(
                    type="invalid_tool_call",
                    name=tc.name,
                    args=tc.arguments,
                    id=tc.id,
                    error=f"Function {tc.name} arguments are not valid JSON: {exc}",
                )
            )
            continue
        if not isinstance(args, dict):
            invalid.append(
                InvalidToolCall(
                    type="invalid_tool_call",
                    name=tc.name,
                    args=tc.arguments,
                    id=tc.id,
                    error=f"Function {tc.name} arguments must be a JSON object, got {type(args).__name__}",
                )
            )
            continue
        valid.append(ToolCall(type="tool_call", name=tc.name, args=args, id=tc.id))
    return valid, invalid, raw


def model_name_with_version(model: str | None, version: str) -> str | None:
    """Append ``model_version`` unless the service already returned it (defect B2)."""
    if not model or not version:
        return model
    if model.endswith((version, version.replace("-", ""))):
        return model
    return f"{model}-{version}"


def meta_metadata(meta: ResponseMeta | None, include_headers: bool) -> dict[str, Any]:
    """Azure's response facts worth keeping: request id, region, target, deployment, limits."""
    return meta.facts(include_headers=include_headers) if meta is not None else {}


def choice_to_message(
    choice: Choice,
    result: ChatResult,
    *,
    model_name: str | None,
    include_headers: bool,
) -> AIMessage:
    """One parsed choice -> an ``AIMessage`` with Azure's metadata and usage."""
    additional: dict[str, Any] = {}
    tool_calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    if choice.tool_calls:
        tool_calls, invalid, raw = split_tool_calls(choice.tool_calls)
        additional["tool_calls"] = raw
    if choice.refusal:
        additional["refusal"] = choice.refusal
    if choice.audio:
        additional["audio"] = dict(choice.audio)
    if choice.reasoning_content:
        additional["reasoning_content"] = choice.reasoning_content
    rm: dict[str, Any] = {}
    if result.usage is not None:
        rm["token_usage"] = token_usage_dict(result.usage)
    rm["model_provider"] = "openai"
    rm["model_name"] = model_name
    rm["system_fingerprint"] = result.system_fingerprint
    rm["id"] = result.id
    if result.service_tier is not None:
        rm["service_tier"] = result.service_tier
    if result.prompt_filter_results:
        rm["prompt_filter_results"] = [dict(p) for p in result.prompt_filter_results]
    rm["finish_reason"] = choice.finish_reason
    rm["logprobs"] = dict(choice.logprobs) if choice.logprobs else None
    if choice.content_filter_results is not None:
        rm["content_filter_results"] = dict(choice.content_filter_results)
    if choice.annotations:
        rm["annotations"] = [dict(a) for a in choice.annotations]
    rm.update(meta_metadata(result.meta, include_headers))
    usage_md = usage_to_metadata(result.usage, result.service_tier) if result.usage is not None else None
    return AIMessage(
        content=choice.content or "",
        additional_kwargs=additional,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_md,
        response_metadata=rm,
        id=result.id or None,
    )


def fast_copy(template: Any, fields_set: frozenset[str], values: dict[str, Any]) -> Any:
    """A pydantic model like ``template`` with ``values`` replaced, without validation.

    For the per-chunk hot path only, where every value is already known good: it sets exactly
    the attributes ``BaseModel.model_construct`` sets, but skips its per-field default lookup
    (which inspects default factories and costs more than validating). Callers pass fresh
    mutable values; tests assert equality with the validated construction.
    """
    obj = object.__new__(type(template))
    state = template.__dict__.copy()
    state.update(values)
    extra = template.__pydantic_extra__
    private = template.__pydantic_private__
    object.__setattr__(obj, "__dict__", state)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields_set))
    object.__setattr__(obj, "__pydantic_extra__", None if extra is None else dict(extra))
    object.__setattr__(obj, "__pydantic_private__", None if private is None else dict(private))
    return obj


_CHUNK_TEMPLATE = AIMessageChunk(content="", response_metadata={"model_provider": "openai"})
_CHUNK_SET = frozenset({"content", "response_metadata", "id"})


def text_chunk(content: str, id_: str | None) -> AIMessageChunk:
    """Equal to ``AIMessageChunk(content=content, response_metadata={"model_provider":
    "openai"}, id=id_)``, at a third of the cost."""
    chunk: AIMessageChunk = fast_copy(
        _CHUNK_TEMPLATE,
        _CHUNK_SET,
        {
            "content": content,
            "id": id_,
            "response_metadata": {"model_provider": "openai"},
            "additional_kwargs": {},
            "tool_calls": [],
            "invalid_tool_calls": [],
            "tool_call_chunks": [],
        },
    )
    return chunk


class DeltaConverter:
    """Turns one stream of core ``ChatDelta`` into ``AIMessageChunk``.

    Chunks are summed by LangChain (strings in metadata concatenate), so every fact that must
    appear once is emitted once: Azure's request metadata and ``prompt_filter_results`` on the
    chunk where they arrive; ``finish_reason``, ``model_name``, ``system_fingerprint``, the
    completion's ``content_filter_results`` (worst verdict per category over all chunks) and
    ``usage_metadata`` together on one final chunk, yielded by :meth:`finish`.
    """

    __slots__ = (
        "_cfr",
        "_fingerprint",
        "_finish",
        "_id",
        "_include_headers",
        "_last_cfr",
        "_meta_sent",
        "_model",
        "_model_version",
        "_tier",
        "_usage",
    )

    def __init__(self, *, model_version: str = "", include_headers: bool = False) -> None:
        self._model_version = model_version
        self._include_headers = include_headers
        self._meta_sent = False
        self._finish: str | None = None
        self._model: str | None = None
        self._fingerprint: str | None = None
        self._tier: str | None = None
        self._cfr: dict[str, Any] | None = None
        self._last_cfr: Mapping[str, Any] | None = None
        self._usage: Usage | None = None
        self._id: str | None = None

    def feed(self, delta: ChatDelta) -> AIMessageChunk | None:
        """Convert one delta; None when it only carried end-of-stream facts (kept for finish).

        ``_STATE_RULES`` keep what belongs on the final chunk, ``_METADATA_RULES`` build the
        response metadata this chunk carries, ``_chunk`` builds the message chunk."""
        for note in _STATE_RULES:
            note(self, delta)
        rm: dict[str, Any] | None = None
        for add in _METADATA_RULES:
            rm = add(self, delta, rm)
        return _chunk(delta, rm)

    def finish(self) -> AIMessageChunk:
        """The one final chunk: finish reason, model, filter verdicts, usage."""
        rm: dict[str, Any] = {
            "model_provider": "openai",
            "finish_reason": self._finish,
            "model_name": model_name_with_version(self._model, self._model_version),
            "system_fingerprint": self._fingerprint,
        }
        if self._tier:
            rm["service_tier"] = self._tier
        if self._cfr is not None:
            rm["content_filter_results"] = self._cfr
        return AIMessageChunk(
            content="",
            usage_metadata=(usage_to_metadata(self._usage, self._tier) if self._usage is not None else None),
            response_metadata=rm,
            id=self._id,
            chunk_position="last",
        )


# ---------------------------------------------------------------- DeltaConverter's rules
# Each rule reads one fact of a delta. State rules keep it for the final chunk; metadata rules
# add it to this chunk's response metadata (``rm``, created on first use).


def _note_id(conv: DeltaConverter, delta: ChatDelta) -> None:
    if delta.id and conv._id is None:
        conv._id = delta.id


def _note_model(conv: DeltaConverter, delta: ChatDelta) -> None:
    if delta.model:
        conv._model = delta.model


def _note_filter(conv: DeltaConverter, delta: ChatDelta) -> None:
    cfr = delta.content_filter_results
    if cfr is not None and cfr is not conv._last_cfr and cfr != conv._last_cfr:
        # Azure repeats the same verdicts on every chunk: only a change needs merging.
        conv._last_cfr = cfr
        if conv._cfr is None:
            conv._cfr = {}
        merge_filter_results(conv._cfr, cfr)


def _note_finish(conv: DeltaConverter, delta: ChatDelta) -> None:
    if delta.finish_reason is not None:
        conv._finish = delta.finish_reason


def _note_fingerprint(conv: DeltaConverter, delta: ChatDelta) -> None:
    if delta.system_fingerprint:
        conv._fingerprint = delta.system_fingerprint


def _note_usage(conv: DeltaConverter, delta: ChatDelta) -> None:
    if delta.usage is not None and conv._usage is None:
        conv._usage = delta.usage


def _note_tier(conv: DeltaConverter, delta: ChatDelta) -> None:
    tier = delta.raw.get("service_tier") if delta.raw else None
    if tier:
        conv._tier = tier


def _meta_once(conv: DeltaConverter, delta: ChatDelta, rm: dict[str, Any] | None) -> dict[str, Any] | None:
    if conv._meta_sent or delta.meta is None:
        return rm
    conv._meta_sent = True
    return {**(rm or {}), **meta_metadata(delta.meta, conv._include_headers)}


def _meta_prompt_filter(conv: DeltaConverter, delta: ChatDelta, rm: dict[str, Any] | None) -> dict[str, Any] | None:
    if not delta.prompt_filter_results:
        return rm
    rm = rm or {}
    rm["prompt_filter_results"] = [dict(p) for p in delta.prompt_filter_results]
    return rm


def _meta_logprobs(conv: DeltaConverter, delta: ChatDelta, rm: dict[str, Any] | None) -> dict[str, Any] | None:
    if not delta.logprobs:
        return rm
    rm = rm or {}
    rm["logprobs"] = dict(delta.logprobs)
    return rm


_STATE_RULES = (_note_id, _note_model, _note_filter, _note_finish, _note_fingerprint, _note_usage, _note_tier)
_METADATA_RULES = (_meta_once, _meta_prompt_filter, _meta_logprobs)


def _additional(delta: ChatDelta) -> dict[str, Any]:
    additional: dict[str, Any] = {}
    if delta.refusal:
        additional["refusal"] = delta.refusal
    if delta.reasoning_content:
        additional["reasoning_content"] = delta.reasoning_content
    return additional


def _chunk(delta: ChatDelta, rm: dict[str, Any] | None) -> AIMessageChunk | None:
    """The chunk for ``delta`` with metadata ``rm``; None when it carries nothing to show."""
    content = delta.content
    special = delta.tool_calls or delta.refusal or delta.reasoning_content
    if rm is None and content and not special:
        # the hot path (a text delta): validation-free construction of a plain chunk
        return text_chunk(content, delta.id or None)
    if not (content or special or rm):
        return None
    return _full_chunk(delta, rm)


def _full_chunk(delta: ChatDelta, rm: dict[str, Any] | None) -> AIMessageChunk:
    """A validated chunk with metadata, refusal / reasoning and tool-call chunks."""
    rm = rm or {}
    rm["model_provider"] = "openai"
    content = delta.content
    if delta.tool_calls:
        return AIMessageChunk(
            content=content or "",
            additional_kwargs=_additional(delta),
            tool_call_chunks=[
                ToolCallChunk(type="tool_call_chunk", name=t.name, args=t.arguments, id=t.id, index=t.index)
                for t in delta.tool_calls
            ],
            response_metadata=rm,
            id=delta.id or None,
        )
    return AIMessageChunk(
        content=content or "", additional_kwargs=_additional(delta), response_metadata=rm, id=delta.id or None
    )


def mapping_or_none(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


_GEN_TEMPLATE = ChatGenerationChunk(message=AIMessageChunk(content=""))
_GEN_SET = frozenset({"message"})


def gen_chunk(chunk: AIMessageChunk) -> ChatGenerationChunk:
    """Equal to ``ChatGenerationChunk(message=chunk)`` without re-validating the message."""
    content = chunk.content
    gen: ChatGenerationChunk = fast_copy(
        _GEN_TEMPLATE,
        _GEN_SET,
        {"message": chunk, "text": content if isinstance(content, str) else chunk.text, "generation_info": None},
    )
    return gen
