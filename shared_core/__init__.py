"""azoai core: everything about Azure OpenAI on the wire. Public API is declared here.

``import shared_core`` is nearly free: the neutral types and the errors load eagerly (both are
plain classes), everything else on first access (``shared_core.CoreClient`` imports httpx and the
client machinery then). azure-identity and aiohttp are never imported until a credential or an
async client needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared_core import errors as _errors
from shared_core._lazy import lazy_exports
from shared_core.errors import *  # noqa: F403  (every error class is public API)
from shared_core.types import (
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

#: The distribution's version: pyproject.toml reads it from here (``attr: shared_core.__version__``).
__version__ = "0.1.0"

if TYPE_CHECKING:
    from shared_core.client import CoreClient, client_from_settings
    from shared_core.connection.auth import Credential, resolve_credential
    from shared_core.connection.config import ClientOptions, Target, resolve_target
    from shared_core.connection.regions import resolve_targets
    from shared_core.connection.routes import Route, build_route
    from shared_core.types_responses import (
        ContentFilter,
        FunctionCallItem,
        InputItemsPage,
        OutputMessage,
        ReasoningItem,
        ResponseEvent,
        ResponsesRequest,
        ResponsesResult,
        ToolItem,
    )
    from shared_core.wire.diagnose import completion_filtered_error, error_from_response, stream_error_from_event
    from shared_core.wire.models import ModelProfile, profile_for
    from shared_core.wire.responses_stream import ResponseStreamAccumulator
    from shared_core.wire.sse import SSEDecoder, SSEEvent
    from shared_core.wire.stream import ChunkParser, StreamAccumulator
    from shared_core.wire.tokens import estimate_message_tokens, estimate_tokens
    from shared_core.wire.tools import (
        normalize_tool_choice,
        parse_arguments,
        response_format_for,
        strict_schema,
        to_openai_tool,
    )

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "CoreClient": ".client",
    "ClientOptions": ".connection.config",
    "Target": ".connection.config",
    "resolve_target": ".connection.config",
    "resolve_targets": ".connection.regions",
    "client_from_settings": ".client",
    "Credential": ".connection.auth",
    "resolve_credential": ".connection.auth",
    "error_from_response": ".wire.diagnose",
    "completion_filtered_error": ".wire.diagnose",
    "stream_error_from_event": ".wire.diagnose",
    "ModelProfile": ".wire.models",
    "profile_for": ".wire.models",
    "Route": ".connection.routes",
    "build_route": ".connection.routes",
    "SSEDecoder": ".wire.sse",
    "SSEEvent": ".wire.sse",
    "ChunkParser": ".wire.stream",
    "StreamAccumulator": ".wire.stream",
    "estimate_tokens": ".wire.tokens",
    "estimate_message_tokens": ".wire.tokens",
    "to_openai_tool": ".wire.tools",
    "strict_schema": ".wire.tools",
    "normalize_tool_choice": ".wire.tools",
    "parse_arguments": ".wire.tools",
    "response_format_for": ".wire.tools",
    # the Responses API (types_responses is stdlib-only: lazy only to keep `import shared_core` lean)
    "ResponsesRequest": ".types_responses",
    "ResponsesResult": ".types_responses",
    "ResponseEvent": ".types_responses",
    "OutputMessage": ".types_responses",
    "FunctionCallItem": ".types_responses",
    "ReasoningItem": ".types_responses",
    "ToolItem": ".types_responses",
    "ContentFilter": ".types_responses",
    "InputItemsPage": ".types_responses",
    "ResponseStreamAccumulator": ".wire.responses_stream",
}


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
    # the Responses API
    "ResponsesRequest",
    "ResponsesResult",
    "ResponseEvent",
    "OutputMessage",
    "FunctionCallItem",
    "ReasoningItem",
    "ToolItem",
    "ContentFilter",
    "InputItemsPage",
    "ResponseStreamAccumulator",
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

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
