"""Neutral request, result and event types of the Responses API (``/responses``).

The request takes its input in the same neutral form as :class:`~shared_core.types.ChatRequest`
(OpenAI chat wire-form message dicts, so an adapter translates its messages once for both APIs),
or as text, or as raw Responses input items (passed through). The core builds the wire body
(``shared_core.wire.responses``) and parses answers and stream events into the types below.

Shapes: OpenAI's Responses reference (``openai-openapi``: ``CreateResponse``, ``Response``,
``ResponseStreamEvent``) and Azure's "Azure OpenAI Responses API" page, which adds the top-level
``content_filters`` list (azure-rest-api-specs PR #42141); checked against the real Azure answers
in ``../shared/azure-recordings`` (``tests/conformance/test_responses_conformance.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shared_core.types import JSON, ResponseMeta, ToolCall, Usage

#: statuses after which a response changes no more
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "incomplete", "failed", "cancelled"})

#: Built-in (server-side) tool types Azure OpenAI's Responses API documents, passed through as
#: given and their output items kept (``ToolItem``): code_interpreter, image_generation,
#: file_search (over Azure vector stores), mcp (remote MCP servers), computer_use_preview (its own
#: model deployment) - Learn "Azure OpenAI Responses API" (how-to/responses, tools sections) - and
#: web search: Learn's 2025 page listed "the web search tool" as not supported; Learn
#: how-to/web-search now documents ``web_search`` (``web_search_preview`` still accepted, not
#: recommended: vercel/ai PR #15698), and Azure answered 200 to ``web_search_preview`` in the
#: crewAI recording of 2026-04 (../shared/azure-recordings). Any other ``type`` is passed through
#: too: Azure answers 400 for one it does not know, and that error reaches the caller.
BUILTIN_TOOL_TYPES: frozenset[str] = frozenset(
    {
        "code_interpreter",
        "image_generation",
        "file_search",
        "mcp",
        "computer_use_preview",
        "web_search",
        "web_search_preview",
    }
)

ResponseStatus = Literal["queued", "in_progress", "completed", "incomplete", "failed", "cancelled"]


@dataclass(slots=True)
class ResponsesRequest:
    """A ``POST /responses`` call in neutral form.

    ``input``: a string (one user message), chat wire-form message dicts (``{"role", "content"}``
    with text / ``image_url`` / ``file`` parts, assistant ``tool_calls``, ``tool`` results: the
    core turns them into Responses items, adding the ``type: "message"`` Azure requires), or
    Responses input items (any dict with a ``type`` other than ``message`` passes through as is).
    ``tools`` take chat-form function tools, flat Responses function tools and built-in tools;
    ``text_format`` takes a chat ``response_format`` (``json_schema`` / ``json_object``) or a flat
    Responses ``text.format``. ``extra_body`` is merged last and wins (one level deep: an
    ``extra_body={"reasoning": {"context": ...}}`` joins ``reasoning_effort``).
    """

    input: str | list[JSON]
    model: str | None = None  # model name, for family rules (the deployment routes the call)
    instructions: str | None = None
    previous_response_id: str | None = None
    store: bool | None = None
    include: list[str] | None = None
    reasoning_effort: str | None = None  # "minimal" | "low" | "medium" | "high" | "none"
    reasoning_summary: str | None = None  # "auto" | "concise" | "detailed"
    text_format: JSON | None = None
    verbosity: str | None = None
    tools: list[Any] | None = None  # dicts in any function-tool form, built-in tool dicts, models, functions
    tool_choice: str | JSON | None = None
    parallel_tool_calls: bool | None = None
    max_tool_calls: int | None = None
    truncation: str | None = None  # "auto" | "disabled"
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    metadata: dict[str, str] | None = None
    service_tier: str | None = None
    background: bool | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    user: str | None = None
    stream: bool = False
    extra_body: JSON = field(default_factory=dict)
    #: fields holding an adapter's default, sent only where the model family takes them (as
    #: ``ChatRequest.defaults``; the same family rules decide)
    defaults: frozenset[str] = frozenset()


#: ``ResponsesRequest`` fields named as the body parameter they send: what an adapter passes through
#: from per-call keyword arguments unchanged (the rest it translates: input, reasoning, text.format...)
BODY_NAMED_FIELDS: tuple[str, ...] = (
    "instructions",
    "previous_response_id",
    "store",
    "include",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_tool_calls",
    "truncation",
    "max_output_tokens",
    "temperature",
    "top_p",
    "metadata",
    "service_tier",
    "background",
    "prompt_cache_key",
    "safety_identifier",
    "user",
)


@dataclass(frozen=True, slots=True)
class ContentFilter:
    """One entry of Azure's top-level ``content_filters`` list on a response."""

    blocked: bool
    source_type: str  # "prompt" | "completion"
    content_filter_results: Mapping[str, Any]
    offsets: Mapping[str, Any] | None = None  # content_filter_offsets
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutputMessage:
    """An assistant ``message`` output item: its text parts joined, annotations and refusal kept."""

    id: str
    status: str | None
    role: str
    text: str
    annotations: tuple[Mapping[str, Any], ...] = ()
    refusal: str | None = None
    parts: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)
    type: str = "message"


@dataclass(frozen=True, slots=True)
class FunctionCallItem:
    """A ``function_call`` output item. ``call_id`` is what the tool result answers to."""

    id: str
    call_id: str
    name: str
    arguments: str
    status: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    type: str = "function_call"


@dataclass(frozen=True, slots=True)
class ReasoningItem:
    """A ``reasoning`` output item: summary texts, and the encrypted content when ``include``
    asked for ``reasoning.encrypted_content`` (send the item back for stateless multi-turn)."""

    id: str
    summary: tuple[str, ...] = ()
    encrypted_content: str | None = None
    content: tuple[str, ...] = ()
    status: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    type: str = "reasoning"


@dataclass(frozen=True, slots=True)
class ToolItem:
    """Any other output item (a built-in tool's call and result: ``code_interpreter_call``,
    ``image_generation_call``, ``file_search_call``, ``web_search_call``, ``mcp_call``,
    ``mcp_list_tools``, ``mcp_approval_request``...), typed by ``type``, its fields in ``raw``."""

    type: str
    id: str
    status: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


OutputItem = OutputMessage | FunctionCallItem | ReasoningItem | ToolItem


@dataclass(frozen=True, slots=True)
class ResponsesResult:
    """A parsed response object (create, retrieve, cancel, or a stream's terminal event)."""

    id: str
    status: str
    model: str
    output: tuple[OutputItem, ...]
    usage: Usage | None  # prompt_tokens = input_tokens, completion_tokens = output_tokens
    created_at: int | None = None
    incomplete_details: Mapping[str, Any] | None = None
    error: Mapping[str, Any] | None = None
    content_filters: tuple[ContentFilter, ...] = ()
    previous_response_id: str | None = None
    background: bool | None = None
    service_tier: str | None = None
    meta: ResponseMeta | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def output_text(self) -> str:
        """The text of every assistant message, joined (what OpenAI's SDK calls ``output_text``)."""
        return "".join(item.text for item in self.output if isinstance(item, OutputMessage))

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The function calls as :class:`ToolCall` (``id`` is the ``call_id``)."""
        return tuple(
            ToolCall(id=i.call_id, name=i.name, arguments=i.arguments)
            for i in self.output
            if isinstance(i, FunctionCallItem)
        )

    @property
    def refusal(self) -> str | None:
        parts = [i.refusal for i in self.output if isinstance(i, OutputMessage) and i.refusal]
        return "".join(parts) if parts else None

    @property
    def reasoning_summary(self) -> str | None:
        parts = [s for i in self.output if isinstance(i, ReasoningItem) for s in i.summary]
        return "\n\n".join(parts) if parts else None

    @property
    def done(self) -> bool:
        """The status is terminal (completed, incomplete, failed, cancelled)."""
        return self.status in TERMINAL_STATUSES

    @property
    def output_filtered(self) -> bool:
        """Azure's filter stopped the output: ``incomplete_details.reason == "content_filter"``
        or a blocked ``completion`` entry in ``content_filters``."""
        if self.incomplete_details and self.incomplete_details.get("reason") == "content_filter":
            return True
        return any(f.blocked and f.source_type != "prompt" for f in self.content_filters)


@dataclass(slots=True)
class ResponseEvent:
    """One streamed event, typed by ``type`` (``response.output_text.delta``...).

    ``delta`` holds the fragment of a ``*.delta`` event (text, arguments, summary, refusal);
    ``text`` the full text of a ``*.done`` event; ``item`` the parsed item of
    ``output_item.added/done``; ``response`` the parsed response of ``created``, ``in_progress``,
    ``queued``, ``completed``, ``incomplete``, ``failed``. ``meta`` is set on a stream's first event.
    """

    type: str
    sequence_number: int | None = None
    output_index: int | None = None
    item_id: str | None = None
    content_index: int | None = None
    summary_index: int | None = None
    delta: str | None = None
    text: str | None = None
    item: OutputItem | None = None
    response: ResponsesResult | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    meta: ResponseMeta | None = None


@dataclass(frozen=True, slots=True)
class InputItemsPage:
    """A page of ``GET /responses/{id}/input_items``."""

    data: tuple[Mapping[str, Any], ...]
    first_id: str | None
    last_id: str | None
    has_more: bool
    meta: ResponseMeta | None = None


__all__ = [
    "BODY_NAMED_FIELDS",
    "BUILTIN_TOOL_TYPES",
    "ContentFilter",
    "FunctionCallItem",
    "InputItemsPage",
    "OutputItem",
    "OutputMessage",
    "ReasoningItem",
    "ResponseEvent",
    "ResponseStatus",
    "ResponsesRequest",
    "ResponsesResult",
    "TERMINAL_STATUSES",
    "ToolItem",
]
