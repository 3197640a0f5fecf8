"""azoai core: everything about Azure OpenAI on the wire. Public API is declared here.

``import shared_core`` is nearly free: the neutral types and the errors load eagerly (both are
plain classes), everything else on first access (``shared_core.CoreClient`` imports httpx and the
client machinery then). azure-identity and aiohttp are never imported until a credential or an
async client needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors as _errors
from .errors import *  # noqa: F403  (every error class is public API)
from .types import (
    DEPLOYMENT_OPERATIONS,
    ChatDelta,
    ChatRequest,
    ChatResult,
    Choice,
    CompletionRequest,
    EmbeddingResult,
    ResponseMeta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .auth import Credential, resolve_credential
    from .client import CoreClient
    from .config import ClientOptions, Target, resolve_target
    from .regions import client_from_settings, resolve_targets
    from .diagnose import completion_filtered_error, error_from_response, stream_error_from_event
    from .models import ModelProfile, profile_for
    from .routes import Route, build_route
    from .sse import SSEDecoder, SSEEvent
    from .stream import ChunkParser, StreamAccumulator
    from .tokens import estimate_message_tokens, estimate_tokens
    from .tools import normalize_tool_choice, parse_arguments, response_format_for, strict_schema, to_openai_tool

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "CoreClient": "client",
    "ClientOptions": "config",
    "Target": "config",
    "resolve_target": "config",
    "resolve_targets": "regions",
    "client_from_settings": "regions",
    "Credential": "auth",
    "resolve_credential": "auth",
    "error_from_response": "diagnose",
    "completion_filtered_error": "diagnose",
    "stream_error_from_event": "diagnose",
    "ModelProfile": "models",
    "profile_for": "models",
    "Route": "routes",
    "build_route": "routes",
    "SSEDecoder": "sse",
    "SSEEvent": "sse",
    "ChunkParser": "stream",
    "StreamAccumulator": "stream",
    "estimate_tokens": "tokens",
    "estimate_message_tokens": "tokens",
    "to_openai_tool": "tools",
    "strict_schema": "tools",
    "normalize_tool_choice": "tools",
    "parse_arguments": "tools",
    "response_format_for": "tools",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'shared_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    # client and configuration
    "CoreClient",
    "ClientOptions",
    "Target",
    "resolve_target",
    "resolve_targets",
    "client_from_settings",
    "Credential",
    "resolve_credential",
    # neutral types
    "ChatRequest",
    "CompletionRequest",
    "ChatResult",
    "ChatDelta",
    "Choice",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "ResponseMeta",
    "EmbeddingResult",
    "DEPLOYMENT_OPERATIONS",
    # streaming
    "StreamAccumulator",
    "ChunkParser",
    "SSEDecoder",
    "SSEEvent",
    # helpers
    "ModelProfile",
    "profile_for",
    "Route",
    "build_route",
    "to_openai_tool",
    "strict_schema",
    "normalize_tool_choice",
    "parse_arguments",
    "response_format_for",
    "estimate_tokens",
    "estimate_message_tokens",
    "error_from_response",
    "completion_filtered_error",
    "stream_error_from_event",
    "__version__",
]
__all__ += _errors.__all__
