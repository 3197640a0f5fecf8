"""ReAct-format prompts (LlamaIndex's ReActAgent, LangChain's classic ReAct template): the tools the
prompt lists and the Action/Observation steps so far are read back into tool calls and results, the
agent logic picks the next step, and the reply is written in the prompt's own format."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from .text import JSON, message_text

_LI_TOOL = re.compile(
    r"^>\s*Tool Name:\s*(?P<name>[\w.-]+)\s*\nTool Description:\s*(?P<desc>.*?)\nTool Args:\s*(?P<args>\{.*?\})\s*$",
    re.MULTILINE | re.DOTALL,
)
_LC_TOOL = re.compile(
    r"^(?P<name>[\w.-]+)(?P<sig>\([^)\n]*\))?(?:\s*->\s*[\w\[\], .'\"]+)?\s*[-:]\s+(?P<desc>.+)$", re.M
)
_STEP = re.compile(
    r"Action:\s*(?P<name>[^\n]+?)\s*\nAction Input:\s*(?P<input>.*?)\s*\n+\s*Observation:\s*(?P<obs>.*?)"
    r"(?=\n\s*(?:Thought|Action|Final Answer|Answer)\s*:|\Z)",
    re.DOTALL,
)
_PARAM = re.compile(r"(\w+)\s*(?::\s*['\"]?([\w\[\] |]+?)['\"]?)?\s*(?:=\s*[^,)]+)?\s*(?:,|$)")
_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean", "list": "array"}


def is_react(messages: Sequence[JSON]) -> bool:
    text = "\n".join(message_text(m) for m in messages)
    return "Action Input:" in text and "Thought" in text and "Observation" in text


def _flavour(text: str) -> str:
    return "langchain" if "Final Answer:" in text else "llamaindex"


def _tools(text: str) -> list[JSON]:
    tools: list[JSON] = []
    for m in _LI_TOOL.finditer(text):
        try:
            params = json.loads(m.group("args"))
        except ValueError:
            params = {"type": "object", "properties": {}}
        desc = m.group("desc").strip()
        tools.append(_tool(m.group("name"), desc, params if isinstance(params, dict) else {}))
    if tools:
        return tools
    start = text.find("following tools:")
    end = text.find("Use the following format", start)
    block = text[start + 16 : end if end > start else len(text)] if start >= 0 else ""
    for m in _LC_TOOL.finditer(block):
        props: JSON = {}
        for name, typ in _PARAM.findall((m.group("sig") or "()")[1:-1]):
            if name and name not in ("self", "args", "kwargs"):
                props[name] = {"type": _TYPES.get((typ or "str").split("[")[0].strip(), "string")}
        if not props:
            props = {"tool_input": {"type": "string"}}
        tools.append(_tool(m.group("name"), m.group("desc").strip(), {"type": "object", "properties": props}))
    return tools


def _tool(name: str, desc: str, params: JSON) -> JSON:
    params = {**params, "required": list((params.get("properties") or {}).keys())}
    return {"type": "function", "function": {"name": name, "description": desc, "parameters": params}}


def _question(messages: Sequence[JSON], text: str) -> str:
    asked = re.findall(r"^Question:\s*(.+)$", text.split("Begin!")[-1], re.M)
    if asked:
        return str(asked[-1]).strip()
    users = [message_text(m) for m in messages if m.get("role") == "user"]
    real = [u for u in users if not u.lstrip().startswith("Observation")]
    return real[-1].strip() if real else ""


def _native(messages: Sequence[JSON], tools: list[JSON]) -> list[JSON]:
    """The ReAct transcript as an OpenAI conversation: the question, then each call and its result."""
    text = "\n".join(message_text(m) for m in messages)
    question = _question(messages, text)
    tail = text.split(question)[-1] if question else text
    out: list[JSON] = [{"role": "user", "content": question}]
    props_of = {t["function"]["name"]: list(t["function"]["parameters"].get("properties") or {}) for t in tools}
    for i, m in enumerate(_STEP.finditer(tail)):
        name, raw = m.group("name").strip(), m.group("input").strip()
        try:
            args = json.loads(raw)
        except ValueError:
            keys = props_of.get(name) or ["tool_input"]
            args = {keys[0]: raw}
        call = {"id": f"react_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        out.append({"role": "tool", "tool_call_id": f"react_{i}", "content": m.group("obs").strip()})
    return out


def react_answer(messages: Sequence[JSON]) -> str | None:
    """The next ReAct step (a Thought with an Action and its JSON input) or the final answer."""
    if not is_react(messages):
        return None
    from .agent import choose_tools, make_filler, step_filler, tool_arguments
    from .answers import compose_answer

    text = "\n".join(message_text(m) for m in messages)
    flavour = _flavour(text)
    tools = _tools(text)
    native = _native(messages, tools)
    chosen = choose_tools(tools, "auto", native, False) if tools else []
    if chosen:
        tool = chosen[0]
        filler = step_filler(native) if native[-1].get("role") == "tool" else make_filler(native)
        args: Any = json.loads(tool_arguments(tool, native, filler))
        props = list(tool["function"]["parameters"].get("properties") or {})
        shown = json.dumps(args, ensure_ascii=False)
        if flavour == "langchain" and len(props) == 1 and isinstance(args, dict) and props[0] in args:
            shown = str(args[props[0]])  # a classic LangChain tool takes its one input as a plain string
        return (
            f"Thought: The current language of the user is English. I need to use a tool to help me answer "
            f"the question.\nAction: {tool['function']['name']}\nAction Input: {shown}"
        )
    answer = compose_answer(native)
    if flavour == "langchain":
        return f"Thought: I now know the final answer\nFinal Answer: {answer}"
    return (
        f"Thought: I can answer without using any more tools. I'll use the user's language to answer\nAnswer: {answer}"
    )
