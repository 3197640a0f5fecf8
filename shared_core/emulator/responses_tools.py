"""Built-in tools of the Responses API on Azure: what the request echoes back, and the call items produced.

Azure offers web search, file search, code interpreter, image generation (routed to a gpt-image-1
deployment named in the ``x-ms-oai-image-generation-deployment`` header) and remote MCP on the
Responses API (Learn ``foundry/openai/how-to/responses``). The emulator reaches nothing outside: a
built-in tool whose domain fits the question ("search the web", "calculate", "draw", "in my files")
produces one call item of the documented shape, with deterministic content; MCP servers are listed
with no tools (the emulator cannot reach them). Echoed defaults copy the crewAI recording
(``web_search_preview`` with ``search_context_size`` and ``user_location``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from . import azure
from . import behaviour as bh
from .media import png

JSON = dict[str, Any]
#: the ``include`` values the Responses API defines (OpenAI Responses reference, include enum)
INCLUDE_VALUES = (
    "code_interpreter_call.outputs",
    "computer_call_output.output.image_url",
    "file_search_call.results",
    "message.input_image.image_url",
    "message.output_text.logprobs",
    "reasoning.encrypted_content",
    "web_search_call.action.sources",
)

BUILTIN_TYPES = (
    "web_search_preview",
    "web_search_preview_2025_03_11",
    "web_search",
    "file_search",
    "code_interpreter",
    "image_generation",
    "mcp",
)
TOOL_TYPES = ("function", "custom") + BUILTIN_TYPES

_FITS: dict[str, re.Pattern[str]] = {
    "web_search": re.compile(r"\b(search|web|online|internet|latest|news|today|current)\b", re.I),
    "file_search": re.compile(r"\b(file|files|document|documents|docs|uploaded|knowledge base)\b", re.I),
    "code_interpreter": re.compile(r"\b(calculate|compute|python|code|run|plot|\d+\s*[-+*/^]\s*\d+)", re.I),
    "image_generation": re.compile(r"\b(image|draw|picture|illustration|paint|logo)\b", re.I),
}


def _family(tool_type: str) -> str:
    return "web_search" if tool_type.startswith("web_search") else tool_type


def echo_tools(tools: Any) -> list[JSON]:
    """The ``tools`` field of the response: the request's tools with the defaults Azure fills in."""
    out: list[JSON] = []
    for t in tools if isinstance(tools, list) else []:
        if not isinstance(t, dict):
            continue
        kind = str(t.get("type"))
        if kind == "function":
            out.append(
                {
                    "type": "function",
                    "description": t.get("description"),
                    "name": t.get("name"),
                    "parameters": t.get("parameters"),
                    "strict": t.get("strict", True),
                }
            )
        elif _family(kind) == "web_search":
            out.append(
                {
                    "type": kind,
                    "search_content_types": ["text"],
                    "search_context_size": t.get("search_context_size", "medium"),
                    "user_location": t.get("user_location")
                    or {"type": "approximate", "city": None, "country": "US", "region": None, "timezone": None},
                }
            )
        else:
            out.append(dict(t))
    return out


def check_include(values: list[Any]) -> None:
    """Each value one the Responses API defines: the body's ``include`` and a GET's ``include[]``."""
    for i, v in enumerate(values):
        if v not in INCLUDE_VALUES:
            listed = ", ".join(f"'{x}'" for x in INCLUDE_VALUES[:-1]) + f", and '{INCLUDE_VALUES[-1]}'"
            raise azure.invalid_value(f"include[{i}]", f"Invalid value: '{v}'. Supported values are: {listed}.")


def code_outputs(question: str) -> list[JSON]:
    """The ``outputs`` of a code_interpreter call for ``question`` (when ``include`` asks for them)."""
    short = " ".join(question.split()[:24])
    return [{"type": "logs", "logs": bh.compose_answer([{"role": "user", "content": short}])}]


@dataclass(slots=True)
class BuiltinContext:
    """What the built-in tools need beyond the body: the image deployment header and the include list."""

    image_deployment: str | None = None
    seen: JSON = field(default_factory=dict)

    def calls(self, body: JSON, messages: list[JSON], base: str) -> list[JSON]:
        """Call items for the built-in tools that fit this turn's question (none once results are in)."""
        if not messages or messages[-1].get("role") != "user":
            return []
        question = bh.last_user_text(messages)
        out: list[JSON] = []
        for i, t in enumerate(body.get("tools") or []):
            if not isinstance(t, dict) or t.get("type") not in BUILTIN_TYPES:
                continue
            fam = _family(str(t["type"]))
            if fam == "mcp":
                out.append(
                    {
                        "id": f"mcpl_{base}{i}",
                        "type": "mcp_list_tools",
                        "server_label": t.get("server_label"),
                        "tools": [],
                        "error": None,
                    }
                )
            elif _FITS[fam].search(question):
                out.append(self._call(fam, f"{base}{i}", question, t, body))
        return out

    def _call(self, fam: str, suffix: str, question: str, tool: JSON, body: JSON) -> JSON:
        short = " ".join(question.split()[:24])
        if fam == "web_search":
            return {
                "id": f"ws_{suffix}",
                "type": "web_search_call",
                "status": "completed",
                "action": {"type": "search", "query": short},
            }
        if fam == "file_search":
            include = body.get("include") or []
            return {
                "id": f"fs_{suffix}",
                "type": "file_search_call",
                "status": "completed",
                "queries": [short],
                "results": [] if "file_search_call.results" in include else None,
            }
        if fam == "code_interpreter":
            container = tool.get("container")
            cid = container if isinstance(container, str) else f"cntr_{suffix[:32]}"
            m = re.search(r"-?\d+(?:\.\d+)?\s*[-+*/^]\s*-?\d+(?:\.\d+)?", question)
            code = f"print({m.group(0).replace('^', '**')})" if m else f"print({short!r})"
            include = body.get("include") or []
            outputs = code_outputs(question) if "code_interpreter_call.outputs" in include else None
            return {
                "id": f"ci_{suffix}",
                "type": "code_interpreter_call",
                "status": "completed",
                "code": code,
                "container_id": cid,
                "outputs": outputs,
            }
        image = base64.b64encode(png(short)).decode()
        return {
            "id": f"ig_{suffix}",
            "type": "image_generation_call",
            "status": "completed",
            "background": "opaque",
            "output_format": "png",
            "quality": "medium",
            "result": image,
            "revised_prompt": short,
            "size": "1024x1024",
        }


def tool_usage(output: list[JSON]) -> JSON:
    """The ``tool_usage`` block of the newest recordings: image tokens and web search requests."""
    images = sum(1 for o in output if o.get("type") == "image_generation_call")
    searches = sum(1 for o in output if o.get("type") == "web_search_call")
    img_out = 1056 * images  # gpt-image-1, 1024x1024 medium quality (Learn: image generation token costs)
    return {
        "image_gen": {
            "input_tokens": 0,
            "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
            "output_tokens": img_out,
            "output_tokens_details": {"image_tokens": img_out, "text_tokens": 0},
            "total_tokens": img_out,
        },
        "web_search": {"num_requests": searches},
    }
