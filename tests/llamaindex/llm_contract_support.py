"""The endpoint, message and tool helpers shared by the LlamaIndex LLM contract tests."""

from __future__ import annotations

from typing import Any

from li_canned import (
    ENDPOINT,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
)
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

URL = f"{ENDPOINT}/openai/deployments/chat/chat/completions?api-version=2024-10-21"


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def mul(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=mul)]


class Person(BaseModel):
    name: str
    age: int


class _Events(BaseEventHandler):
    names: list = []

    @classmethod
    def class_name(cls) -> str:
        return "_Events"

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.names.append(event.class_name())
