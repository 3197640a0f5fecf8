"""When ``AzureChatOpenAI`` uses the Responses API: langchain-openai's rule (``_use_responses_api``).

Small and import-light on purpose: the model's validator consults it on construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_azoai.chat_models import AzureChatOpenAI

#: Settings only the Responses API has: any of them in a call selects it (as langchain-openai).
RESPONSES_ONLY_ARGS = frozenset(
    {"context_management", "include", "previous_response_id", "reasoning", "text", "truncation"}
)
#: Models served only by the Responses API, by name prefix: langchain-openai 1.8's list
#: (``_RESPONSES_API_ONLY_PREFIXES``) and Azure's Responses-only models (``o1-pro``, ``o3-pro``,
#: ``computer-use-preview``; Microsoft Learn, "Azure OpenAI Responses API"); any ``codex`` model too.
_RESPONSES_ONLY_MODELS = (
    "gpt-5-pro",
    "gpt-5.2-pro",
    "gpt-5.4-pro",
    "gpt-5.5-pro",
    "gpt-5.6-sol",
    "o1-pro",
    "o3-pro",
    "computer-use-preview",
)


def is_builtin_tool(tool: Mapping[str, Any]) -> bool:
    """A tool the service runs itself (web search, code interpreter, MCP, ...), not a function."""
    return "type" in tool and tool["type"] != "function"


def selects_responses(payload: Mapping[str, Any]) -> bool:
    """True when the call can only be served by the Responses API: a built-in tool or a
    Responses-only argument (langchain-openai's rule)."""
    tools = payload.get("tools") or ()
    return any(isinstance(t, Mapping) and is_builtin_tool(t) for t in tools) or not RESPONSES_ONLY_ARGS.isdisjoint(
        payload
    )


def responses_only_model(name: str | None) -> bool:
    """True for a model (or deployment name) that Chat Completions cannot serve."""
    low = (name or "").lower()
    return bool(low) and (low.startswith(_RESPONSES_ONLY_MODELS) or "codex" in low)


def use_responses(llm: AzureChatOpenAI, payload: Mapping[str, Any]) -> bool:
    """Whether this call goes to the Responses API: ``use_responses_api`` when set, else any
    Responses-only setting, built-in tool or argument, or a Responses-only model."""
    if isinstance(llm.use_responses_api, bool):
        return llm.use_responses_api
    return (
        llm.output_version == "responses/v1"
        or llm.context_management is not None
        or llm.include is not None
        or llm.reasoning is not None
        or llm.truncation is not None
        or llm.use_previous_response_id
        or responses_only_model(llm.model_name)
        or responses_only_model(llm.deployment_name)
        or selects_responses(payload)
        # as langchain-openai: the gpt-6 generation takes tools on the Responses API only
        or ((llm.model_name or "").lower().startswith("gpt-6") and bool(payload.get("tools")))
    )
