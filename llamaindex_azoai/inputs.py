"""What callers hand the LLM, checked before anything is sent: a typed error that names the fix.

LlamaIndex's own classes take a ``ChatMessage`` in its dict form (``{"role": "user", "content":
"hi"}``, as ``ChatMessage.model_validate`` and the instrumentation events do), so such dicts are
accepted. Anything that LlamaIndex would rewrite silently (a prompt that is not text, a content
that ``ChatMessage`` drops, OpenAI wire keys such as ``tool_call_id`` that it ignores) or fail on
deep inside (``AttributeError`` on a dict tool) is refused here with ``ConfigurationError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from shared_core.errors import ConfigurationError

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

F = TypeVar("F", bound=Callable[..., Any])

# The fields of ChatMessage's dict form; other keys would be dropped without a word.
_MESSAGE_KEYS = frozenset({"role", "content", "blocks", "additional_kwargs"})
_MESSAGE_FIX = "pass ChatMessage(role='user', content='...') (or its dict form {'role': ..., 'content': ...})"


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def chat_message(value: Any, where: str = "messages") -> ChatMessage:
    """``value`` as a ``ChatMessage``: a ``ChatMessage`` as is, its dict form validated."""
    if isinstance(value, ChatMessage):
        return value
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where} is {_kind(value)}, not a ChatMessage: {_MESSAGE_FIX}.", setting="messages")
    unknown = sorted(str(k) for k in value if k not in _MESSAGE_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{where} has key(s) {', '.join(map(repr, unknown))} that ChatMessage does not hold (they would be "
            "dropped): put OpenAI fields such as 'tool_call_id', 'tool_calls' or 'name' in "
            "additional_kwargs, e.g. ChatMessage(role='tool', content='...', additional_kwargs={'tool_call_id': "
            "'call_1'}).",
            setting="messages",
        )
    content = value.get("content")
    if content is not None and not isinstance(content, (str, list)):
        raise ConfigurationError(
            f"{where} has content of type {_kind(content)}; ChatMessage would send it as an empty message. "
            "Pass the text as a str (or a list of content blocks such as TextBlock / ImageBlock).",
            setting="messages",
        )
    try:
        return ChatMessage.model_validate(dict(value))
    except ValueError as exc:  # pydantic's ValidationError
        first = str(exc).splitlines()
        detail = " ".join(line.strip() for line in first[1:3]) if len(first) > 1 else str(exc)
        raise ConfigurationError(
            f"{where} is not a valid ChatMessage ({detail}); {_MESSAGE_FIX}. Roles: "
            f"{', '.join(r.value for r in MessageRole)}; content blocks are LlamaIndex blocks "
            "(TextBlock, ImageBlock...), not OpenAI content parts.",
            setting="messages",
        ) from None


def chat_messages(messages: Any) -> list[ChatMessage]:
    """A sequence of ``ChatMessage`` (or their dict forms) as a list of ``ChatMessage``."""
    if isinstance(messages, (ChatMessage, Mapping, str)) or messages is None or not hasattr(messages, "__iter__"):
        fix = "complete(prompt) takes a plain string" if isinstance(messages, str) else _MESSAGE_FIX
        raise ConfigurationError(
            f"messages must be a list of ChatMessage, got {_kind(messages)}: {fix}, in a list.", setting="messages"
        )
    return [chat_message(m, f"messages[{i}]") for i, m in enumerate(messages)]


def user_message(value: Any) -> ChatMessage | None:
    """``chat_with_tools``' ``user_msg``: ``None``, a string, a ``ChatMessage`` or its dict form."""
    if value is None:
        return None
    if isinstance(value, str):
        return ChatMessage(role=MessageRole.USER, content=value)
    return chat_message(value, "user_msg")


def prompt_text(prompt: Any) -> str:
    """``complete()``'s prompt. LlamaIndex turns anything else into an empty prompt: refuse it."""
    if isinstance(prompt, str):
        return prompt
    raise ConfigurationError(
        f"the prompt is {_kind(prompt)}, not a str: it would be sent as an empty prompt. Pass the text "
        "(e.g. complete(str(value))), or use chat() with ChatMessage content blocks for images or audio.",
        setting="prompt",
    )


def llm_tools(tools: Any) -> list[BaseTool]:
    """``chat_with_tools``' tools: LlamaIndex ``BaseTool`` objects only, each named in the error."""
    from llama_index.core.tools.types import BaseTool

    if tools is None or isinstance(tools, (str, Mapping)) or not hasattr(tools, "__iter__"):
        raise ConfigurationError(
            f"tools must be a list of LlamaIndex tools, got {_kind(tools)}: pass [FunctionTool.from_defaults(fn=...)].",
            setting="tools",
        )
    out = list(tools)
    for i, tool in enumerate(out):
        if isinstance(tool, BaseTool):
            continue
        if isinstance(tool, Mapping):
            fix = (
                "a raw OpenAI tool spec is not a LlamaIndex tool: wrap the function with "
                "FunctionTool.from_defaults(fn=...), or send the spec itself with chat(messages, tools=[spec])"
            )
        elif callable(tool):
            name = getattr(tool, "__name__", "fn")
            fix = f"wrap it: FunctionTool.from_defaults(fn={name})"
        else:
            fix = "pass a BaseTool such as FunctionTool.from_defaults(fn=...)"
        raise ConfigurationError(f"tools[{i}] is {_kind(tool)}, not a LlamaIndex BaseTool: {fix}.", setting="tools")
    return out


def output_class(output_cls: Any) -> None:
    """Structured output needs a Pydantic model class (the anchors' ``output_cls``)."""
    from pydantic import BaseModel

    if isinstance(output_cls, type) and issubclass(output_cls, BaseModel):
        return
    if isinstance(output_cls, BaseModel):
        fix = f"pass the class {type(output_cls).__name__}, not an instance of it"
    else:
        fix = "define one, e.g. class Answer(BaseModel): text: str, and pass Answer"
    raise ConfigurationError(f"output_cls is {output_cls!r}, not a Pydantic model class: {fix}.", setting="output_cls")


def checked_messages(f: F) -> F:
    """Check ``messages`` before the LlamaIndex callback wrapper sees them (its event would fail
    on ``None`` with a bare pydantic error, and pass dicts through unconverted)."""

    @functools.wraps(f)
    def wrapper(self: Any, messages: Any, **kwargs: Any) -> Any:
        return f(self, chat_messages(messages), **kwargs)

    return cast(F, wrapper)


def achecked_messages(f: F) -> F:
    """Async :func:`checked_messages`."""

    @functools.wraps(f)
    async def wrapper(self: Any, messages: Any, **kwargs: Any) -> Any:
        return await f(self, chat_messages(messages), **kwargs)

    return cast(F, wrapper)


__all__ = [
    "achecked_messages",
    "chat_message",
    "chat_messages",
    "checked_messages",
    "llm_tools",
    "output_class",
    "prompt_text",
    "user_message",
]
