"""LlamaIndex ``ChatMessage`` (with content blocks) <-> OpenAI wire-form message dicts.

Pure translation, no I/O decisions: the core receives wire dicts in a ``ChatRequest`` and decides
everything else (per-family roles, parameters, URLs).

Block policy (documented in the README):

=================  =========================================================================
block              on the wire
=================  =========================================================================
TextBlock          ``{"type": "text"}``; an all-text message collapses to a plain string
ImageBlock         ``image_url`` with the URL, or a ``data:`` URL for path / bytes / base64
AudioBlock         ``input_audio`` ``{data, format}``
DocumentBlock      ``{"type": "file", "file": {"filename", "file_data"}}``
ToolCallBlock      assistant ``tool_calls`` (arguments always a JSON string)
ThinkingBlock      skipped (the API does not accept reasoning as input)
CachePoint         skipped (Azure caches prompts automatically; the hint has no wire form)
CitableBlock       its nested text / image / document blocks
CitationBlock      its cited text / image
VideoBlock         refused: ``ConfigurationError`` naming the fix (send frames as images)
=================  =========================================================================
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from io import IOBase
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from shared_core.errors import ConfigurationError

JSON = dict[str, Any]

# Roles whose content Azure only accepts as text (a string or text parts).
_TEXT_ONLY_ROLES = frozenset({"system", "developer", "assistant", "tool", "function"})
# Framework roles that are the model speaking, under another provider's name.
_ROLE_ALIASES = {"chatbot": "assistant", "model": "assistant"}


class FunctionView(dict):  # type: ignore[type-arg]
    """``{"name", "arguments"}`` that also reads like the SDK object (``f.name``)."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return str(self.get("name") or "")

    @property
    def arguments(self) -> str:
        return str(self.get("arguments") or "")


class ToolCallDict(dict):  # type: ignore[type-arg]
    """A wire-form tool call that legacy code can also read as ``tc.function.name``.

    LlamaIndex code written for the openai SDK reads ``message.additional_kwargs["tool_calls"]``
    with attribute access (token counting, chat summary memory); plain JSON code reads keys.
    Both work, and it serialises as the plain dict it is.
    """

    __slots__ = ()

    @property
    def id(self) -> str:
        return str(self.get("id") or "")

    @property
    def type(self) -> str:
        return str(self.get("type") or "function")

    @property
    def function(self) -> FunctionView:
        fn = self.get("function")
        return fn if isinstance(fn, FunctionView) else FunctionView(fn or {})


def tool_call_dict(call_id: str | None, name: str, arguments: Any) -> ToolCallDict:
    """Build one wire tool call; dict arguments are serialised (the API wants a JSON string)."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)
    return ToolCallDict(
        id=call_id or "",
        type="function",
        function=FunctionView(name=name, arguments=arguments),
    )


def _unsupported(block: Any, fix: str) -> ConfigurationError:
    return ConfigurationError(
        f"{type(block).__name__} cannot be sent to Azure OpenAI chat completions. {fix}",
        setting="messages",
    )


def _b64_text(data: bytes, source: Any) -> str:
    """``resolve_*(as_base64=True)`` output as text; a file-like source is returned raw, so encode it."""
    if isinstance(source, IOBase):
        return base64.b64encode(data).decode("ascii")
    return data.decode("ascii")


def image_part(block: ImageBlock) -> JSON:
    """An ``image_url`` part: the URL as given, else a ``data:`` URL from path/bytes/base64."""
    if block.url is not None and not block.image and not block.path:
        url = str(block.url)
    else:
        data = block.resolve_image(as_base64=True).read()
        mime = block.image_mimetype or "image/png"
        url = f"data:{mime};base64,{_b64_text(data, block.image)}"
    image_url: JSON = {"url": url}
    if block.detail:
        image_url["detail"] = block.detail
    return {"type": "image_url", "image_url": image_url}


def audio_part(block: AudioBlock) -> JSON:
    """An ``input_audio`` part. Azure needs the format (``wav`` or ``mp3``)."""
    if not block.format:
        raise ConfigurationError(
            "AudioBlock has no format and none could be guessed from its data, path or URL. "
            "Pass AudioBlock(..., format='wav') (or 'mp3').",
            setting="messages",
        )
    data = block.resolve_audio(as_base64=True).read()
    return {"type": "input_audio", "input_audio": {"data": _b64_text(data, block.audio), "format": block.format}}


def document_part(block: DocumentBlock) -> JSON:
    """A ``file`` part in the nested shape the API expects (``{"file": {...}}``)."""
    if isinstance(block.data, bytes) and block.data:
        b64 = block.data.decode("ascii")  # the block's validator stored it as base64
    else:
        b64 = base64.b64encode(block.resolve_document().read()).decode("ascii")
    mime = block.document_mimetype or "application/pdf"
    return {
        "type": "file",
        "file": {"filename": block.title or "input_document", "file_data": f"data:{mime};base64,{b64}"},
    }


def _content_parts(blocks: Iterable[Any], parts: list[JSON], calls: list[JSON]) -> None:
    """Append the wire parts for ``blocks`` to ``parts`` and their tool calls to ``calls``."""
    for block in blocks:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(image_part(block))
        elif isinstance(block, ToolCallBlock):
            calls.append(tool_call_dict(block.tool_call_id, block.tool_name, block.tool_kwargs))
        elif isinstance(block, (ThinkingBlock, CachePoint)):
            continue
        elif isinstance(block, AudioBlock):
            parts.append(audio_part(block))
        elif isinstance(block, DocumentBlock):
            parts.append(document_part(block))
        elif isinstance(block, CitableBlock):
            _content_parts(block.content, parts, calls)
        elif isinstance(block, CitationBlock):
            _content_parts([block.cited_content], parts, calls)
        elif isinstance(block, VideoBlock):
            raise _unsupported(block, "Azure OpenAI does not accept video input: send sampled frames as ImageBlocks.")
        else:
            raise _unsupported(block, "Convert it to a TextBlock, ImageBlock, AudioBlock or DocumentBlock.")


def _legacy_tool_calls(raw: Any) -> list[JSON]:
    """``additional_kwargs["tool_calls"]`` as wire dicts (SDK objects, dicts or ours)."""
    out: list[JSON] = []
    for tc in raw or ():
        if isinstance(tc, Mapping):
            fn = tc.get("function") or {}
            out.append(tool_call_dict(tc.get("id"), fn.get("name", ""), fn.get("arguments", "")))
        else:  # an openai SDK object from another integration's history
            fn = getattr(tc, "function", None)
            out.append(
                tool_call_dict(
                    getattr(tc, "id", None), getattr(fn, "name", "") or "", getattr(fn, "arguments", "") or ""
                )
            )
    return out


def to_wire_message(message: ChatMessage) -> JSON:
    """One ``ChatMessage`` as an OpenAI wire dict."""
    role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
    role = _ROLE_ALIASES.get(role, role)
    blocks = message.blocks
    kw = message.additional_kwargs
    out: JSON
    # Fast path: the overwhelmingly common single-text message.
    if len(blocks) == 1 and type(blocks[0]) is TextBlock and not kw:
        return {"role": role, "content": blocks[0].text}

    if role == "assistant" and kw.get("reference_audio_id"):
        # The model's own audio reply is referenced, not re-sent.
        out = {"role": role, "audio": {"id": kw["reference_audio_id"]}}
        return out

    parts: list[JSON] = []
    calls: list[JSON] = []
    _content_parts(blocks, parts, calls)
    if not calls and kw.get("tool_calls"):
        calls = _legacy_tool_calls(kw["tool_calls"])

    all_text = all(p["type"] == "text" for p in parts)
    content: Any
    if all_text:
        content = "".join(p["text"] for p in parts)
    elif role in _TEXT_ONLY_ROLES:
        kinds = sorted({p["type"] for p in parts if p["type"] != "text"})
        raise ConfigurationError(
            f"A {role!r} message carries {', '.join(kinds)} content, but Azure OpenAI accepts only "
            "text for that role. Move images, audio and files into a 'user' message.",
            setting="messages",
        )
    else:
        content = parts
    if role == "assistant" and calls and content == "":
        content = None  # the API rejects "" alongside tool_calls on some versions
    out = {"role": role, "content": content}
    if calls:
        out["tool_calls"] = calls
    if "tool_call_id" in kw:
        out["tool_call_id"] = kw["tool_call_id"]
    if kw.get("name"):
        out["name"] = kw["name"]
    return out


def to_wire_messages(messages: Sequence[ChatMessage]) -> list[JSON]:
    """Every message in order (no message is dropped; empty ones stay empty)."""
    return [to_wire_message(m) for m in messages]
