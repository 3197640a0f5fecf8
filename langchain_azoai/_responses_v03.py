"""``output_version="v0"`` on the Responses API: the ``AIMessage`` shape of langchain-openai 0.3.

As langchain-openai 1.8 does (``chat_models/_compat.py``): the ``responses/v1`` message is reshaped
after it is built, one reasoning item in ``additional_kwargs["reasoning"]``, server tool calls in
``additional_kwargs["tool_outputs"]``, a refusal in ``additional_kwargs["refusal"]``, function call
item ids in ``additional_kwargs["__openai_function_call_ids__"]``, the message item id as
``AIMessage.id`` (never the response id); text blocks without ids. On the way back, a v0 message in
the history is read with langchain-core's ``_convert_from_v03_ai_message`` (the function
langchain-openai itself calls), so a v0 conversation continues as it does there.
"""

from __future__ import annotations

from typing import Any, TypeVar

from langchain_core.messages import AIMessage
from langchain_core.messages.block_translators.openai import _convert_from_v03_ai_message

from langchain_azoai._responses_output import _PASSTHROUGH_ITEMS

M = TypeVar("M", bound=AIMessage)

FUNCTION_CALL_IDS = "__openai_function_call_ids__"
#: server tool items langchain-openai 0.3 kept in ``additional_kwargs["tool_outputs"]``
TOOL_OUTPUTS = _PASSTHROUGH_ITEMS - {"reasoning", "compaction"}


def to_v03(message: M, *, has_reasoning: bool = False) -> M:
    """Reshape ``message`` (built as ``responses/v1``) in place to the v0 shape and return it.
    ``has_reasoning``: a stream already gave the reasoning item, so later pieces lose id and type."""
    if not isinstance(message.content, list):
        return message
    extra = message.additional_kwargs
    content: list[Any] = []
    for block in message.content:
        btype = block.get("type") if isinstance(block, dict) else None
        if not isinstance(block, dict):
            content.append(block)
        elif btype == "reasoning":
            block.pop("index", None)
            if has_reasoning:
                block.pop("id", None)
                block.pop("type", None)
            extra["reasoning"] = block
        elif btype in TOOL_OUTPUTS:
            extra.setdefault("tool_outputs", []).append(block)
        elif btype == "function_call":
            ids = extra.setdefault(FUNCTION_CALL_IDS, {})
            if block.get("call_id") and block.get("id"):
                ids[block["call_id"]] = block["id"]
        elif btype == "refusal" and block.get("refusal"):
            extra["refusal"] = block["refusal"]
        elif btype == "text":
            if "id" in block:
                message.id = block["id"]
            content.append({k: v for k, v in block.items() if k != "id"})
        elif set(block) == {"id", "index"} and isinstance(block["id"], str) and block["id"].startswith("msg_"):
            content.append({"index": block["index"]})  # a stream's message-id piece: the id goes
        else:
            content.append(block)
    message.content = content
    if isinstance(message.id, str) and message.id.startswith("resp_"):
        message.id = None
    return message


def from_v03(message: AIMessage) -> AIMessage:
    """A v0 ``AIMessage`` of the history as ``responses/v1`` (others unchanged)."""
    return _convert_from_v03_ai_message(message)
