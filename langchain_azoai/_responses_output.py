"""A Responses API result (the REST JSON object) -> LangChain ``AIMessage``.

Mirrors langchain-openai's ``_construct_lc_result_from_responses_api`` (1.8) on the JSON the
service sends, so the same recorded response gives the same message through ours and through
``ChatOpenAI(use_responses_api=True)`` (``output_version="responses/v1"`` blocks; LangChain turns
them into standard ``"v1"`` blocks through the ``openai`` translator, named by ``model_provider``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata

from shared_core.errors import AzureOpenAIError

_METADATA_KEYS = (
    "created_at",
    "id",
    "incomplete_details",
    "metadata",
    "object",
    "status",
    "user",
    "model",
    "service_tier",
)
#: Output items kept as content blocks as they are (server tool calls and their results).
_PASSTHROUGH_ITEMS = frozenset(
    {
        "reasoning",
        "compaction",
        "web_search_call",
        "file_search_call",
        "computer_call",
        "code_interpreter_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "image_generation_call",
        "tool_search_call",
        "tool_search_output",
        "apply_patch_call",
        "apply_patch_call_output",
    }
)


def drop_none(value: Any) -> Any:
    """The item without null fields, at every depth (what ``model_dump(exclude_none=True)`` of the
    OpenAI SDK's objects gives, which langchain-openai puts in content blocks)."""
    if isinstance(value, Mapping):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


def usage_metadata(usage: Mapping[str, Any], service_tier: str | None = None) -> UsageMetadata:
    """Responses ``usage`` -> LangChain usage, with reasoning and cached tokens (and the
    ``priority`` / ``flex`` tier split, as langchain-openai)."""
    input_tokens = usage.get("input_tokens") or 0
    output_tokens = usage.get("output_tokens") or 0
    total = usage.get("total_tokens")
    total_tokens = total if total is not None else input_tokens + output_tokens
    tier = service_tier if service_tier in ("priority", "flex") else None
    prefix = f"{tier}_" if tier else ""
    out_details: dict[str, Any] = {
        f"{prefix}reasoning": (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
    }
    in_raw = usage.get("input_tokens_details") or {}
    in_details: dict[str, Any] = {
        f"{prefix}cache_read": in_raw.get("cached_tokens"),
        f"{prefix}cache_creation": in_raw.get("cache_write_tokens"),
    }
    if tier is not None:
        # tier tokens are priced apart from cached and reasoning tokens
        out_details[tier] = output_tokens - (out_details.get(f"{prefix}reasoning") or 0)
        in_details[tier] = input_tokens - (in_details.get(f"{prefix}cache_read") or 0)
    return UsageMetadata(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens,
        input_token_details=InputTokenDetails(**{k: v for k, v in in_details.items() if v is not None}),  # type: ignore[typeddict-item]
        output_token_details=OutputTokenDetails(**{k: v for k, v in out_details.items() if v is not None}),  # type: ignore[typeddict-item]
    )


def _annotation_to_lc(annotation: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = drop_none(annotation)
    if out.get("type") == "file_citation" and "index" in out:
        out["file_index"] = out.pop("index")  # LangChain reserves "index" for stream aggregation
    return out


def output_text(response: Mapping[str, Any]) -> str:
    """The concatenated ``output_text`` parts of the response's messages."""
    return "".join(
        part.get("text") or ""
        for item in response.get("output") or ()
        if item.get("type") == "message"
        for part in item.get("content") or ()
        if part.get("type") == "output_text"
    )


def _message_blocks(item: Mapping[str, Any], blocks: list[Any]) -> None:
    phase = item.get("phase")
    for part in item.get("content") or ():
        ptype = part.get("type")
        block: dict[str, Any]
        if ptype == "output_text":
            annotations = part.get("annotations")
            block = {
                "type": "text",
                "text": part.get("text"),
                "annotations": [_annotation_to_lc(a) for a in annotations] if isinstance(annotations, list) else [],
                "id": item.get("id"),
            }
        elif ptype == "refusal":
            block = {"type": "refusal", "refusal": part.get("refusal"), "id": item.get("id")}
        else:
            continue
        if phase is not None:
            block["phase"] = phase
        blocks.append(block)


def _function_call(item: Mapping[str, Any], tool_calls: list[Any], invalid: list[Any]) -> dict[str, Any]:
    block: dict[str, Any] = drop_none(item)
    raw = item.get("arguments") or ""
    try:
        args = json.loads(raw, strict=False)
    except json.JSONDecodeError as e:
        invalid.append(
            {
                "type": "invalid_tool_call",
                "name": item.get("name"),
                "args": raw,
                "id": item.get("call_id"),
                "error": str(e),
            }
        )
    else:
        tool_calls.append({"type": "tool_call", "name": item.get("name"), "args": args, "id": item.get("call_id")})
    return block


def _parsed(response: Mapping[str, Any], schema: Any) -> Any:
    """The structured answer when ``text.format`` asked for a JSON schema (None when unparsable)."""
    text = output_text(response)
    fmt = (response.get("text") or {}).get("format") or {}
    if schema is None or not text or fmt.get("type") != "json_schema":
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if isinstance(schema, type):
        from pydantic import BaseModel

        if issubclass(schema, BaseModel):
            return schema(**data)
    return data


def response_to_message(
    response: Mapping[str, Any],
    *,
    schema: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> AIMessage:
    """One Responses result -> ``AIMessage`` with ``responses/v1`` content blocks.

    A response the service reports as failed (``error`` set) raises ``AzureOpenAIError``
    naming the service's code and message; everything else is translated field by field.
    """
    error = response.get("error")
    if error:
        raise AzureOpenAIError(
            f"The Responses API reported an error for response {response.get('id')}: "
            f"{error.get('code') if isinstance(error, Mapping) else ''}: "
            f"{error.get('message') if isinstance(error, Mapping) else error}"
        )
    rm = {k: drop_none(response[k]) for k in _METADATA_KEYS if response.get(k) is not None}
    if metadata:
        rm.update(metadata)
    rm["model_provider"] = "openai"
    rm["model_name"] = rm.get("model")
    usage = response.get("usage")
    um = usage_metadata(usage, response.get("service_tier")) if usage else None
    blocks: list[Any] = []
    tool_calls: list[Any] = []
    invalid: list[Any] = []
    for item in response.get("output") or ():
        itype = item.get("type")
        if itype == "message":
            _message_blocks(item, blocks)
        elif itype == "function_call":
            blocks.append(_function_call(item, tool_calls, invalid))
        elif itype == "custom_tool_call":
            blocks.append(drop_none(item))
            tool_calls.append(
                {
                    "type": "tool_call",
                    "name": item.get("name"),
                    "args": {"__arg1": item.get("input")},
                    "id": item.get("call_id"),
                }
            )
        elif itype in _PASSTHROUGH_ITEMS:
            blocks.append(drop_none(item))
    additional: dict[str, Any] = {}
    parsed = _parsed(response, schema)
    if parsed is not None:
        additional["parsed"] = parsed
    return AIMessage(
        content=blocks,
        id=response.get("id"),
        usage_metadata=um,
        response_metadata=rm,
        additional_kwargs=additional,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
    )
