"""Core rules both adapters rely on: tool dict forms, recursive schemas, legacy completions names,
parallel_tool_calls by family, and the structured-output content-filter check."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from shared_core.errors import ConfigurationError, ContentFilterError
from shared_core.types import Choice
from shared_core.wire.models import accepts_parallel_tool_calls, profile_for
from shared_core.wire.structured import check_structured_output, structured_output_error
from shared_core.wire.tools import function_from_dict, response_format_for, to_openai_tool

PARAMS = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
WANT = {"type": "function", "function": {"name": "search", "description": "Search.", "parameters": PARAMS}}


@pytest.mark.parametrize(
    "tool",
    [
        WANT,
        {"name": "search", "description": "Search.", "parameters": PARAMS},
        {"name": "search", "description": "Search.", "input_schema": PARAMS},  # Anthropic
        {
            "toolSpec": {
                "name": "search",
                "description": "Search.",  # Bedrock Converse
                "inputSchema": {"json": PARAMS},
            }
        },
        {"title": "search", "description": "Search.", **PARAMS},  # JSON schema with a title
    ],
    ids=["openai", "flat", "anthropic", "bedrock", "json_schema"],
)
def test_every_dict_form_becomes_the_openai_tool(tool: dict[str, Any]) -> None:
    assert to_openai_tool(tool) == WANT


def test_name_only_dict_sends_no_parameters_as_langchain_core() -> None:
    assert to_openai_tool({"name": "ping"}) == {"type": "function", "function": {"name": "ping"}}


def test_unreadable_dict_names_the_forms() -> None:
    with pytest.raises(ConfigurationError) as info:
        function_from_dict({"type": "object", "properties": {}})
    assert "needs a top-level 'title'" in str(info.value) and "input_schema" in str(info.value)
    assert info.value.setting == "tools"


@pytest.mark.parametrize(
    "form",
    [
        WANT,
        {"name": "search", "description": "Search.", "input_schema": PARAMS},
        {"name": "search", "description": "Search.", "parameters": PARAMS},
    ],
)
def test_response_format_from_a_tool_dict(form: dict[str, Any]) -> None:
    rf = response_format_for(form, strict=False)
    assert rf == {
        "type": "json_schema",
        "json_schema": {"name": "search", "description": "Search.", "schema": PARAMS, "strict": False},
    }


class Node(BaseModel):
    value: int
    children: list[Node] = []


def test_recursive_model_root_is_an_object_and_refs_still_resolve() -> None:
    params = to_openai_tool(Node, strict=True)["function"]["parameters"]
    assert params["type"] == "object" and "$ref" not in params
    assert params["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert params["$defs"]["Node"]["additionalProperties"] is False
    rf = response_format_for(Node, strict=True)["json_schema"]["schema"]
    assert rf["type"] == "object" and rf["$defs"]["Node"]["required"] == ["value", "children"]


# ------------------------------------------------------------------ model families


@pytest.mark.parametrize(
    "name",
    [
        "text-davinci-003",
        "text-davinci-002",
        "davinci-002",
        "babbage-002",
        "text-curie-001",
        "text-babbage-001",
        "text-ada-001",
        "code-davinci-002",
        "davinci",
        "gpt-35-turbo-instruct",
    ],
)
def test_legacy_completions_names_are_not_chat_models(name: str) -> None:
    p = profile_for(None, name)
    assert (p.chat, p.supports_tools, p.known) == (False, False, True)


def test_legacy_names_do_not_swallow_other_models() -> None:
    assert profile_for("text-embedding-ada-002").family == "embeddings"
    assert profile_for("my-davinci-bot").chat is True  # not a legacy name: the default applies


@pytest.mark.parametrize(
    ("model", "effort", "accepted"),
    [
        ("gpt-4o", None, True),
        ("gpt-4.1", None, True),
        ("gpt-5", None, True),
        ("gpt-5", "minimal", False),
        ("o1", None, False),
        ("o3-mini", None, False),
        ("o3", None, False),
        ("o4-mini", None, False),
        ("codex-mini", None, False),
        ("gpt-35-turbo-0613", None, False),
        ("unknown-deployment", None, True),
    ],
)
def test_accepts_parallel_tool_calls(model: str, effort: str | None, accepted: bool) -> None:
    assert accepts_parallel_tool_calls(profile_for(model), effort) is accepted


# ------------------------------------------------------------------ structured output check


def test_filtered_choice_is_a_content_filter_error_with_categories() -> None:
    cfr = {"hate": {"filtered": False, "severity": "safe"}, "violence": {"filtered": True, "severity": "high"}}
    choice = Choice(index=0, role=None, content=None, finish_reason="content_filter", content_filter_results=cfr)
    with pytest.raises(ContentFilterError) as info:
        check_structured_output(choice, None)
    assert info.value.source == "completion"
    assert info.value.categories == {"violence": {"filtered": True, "severity": "high"}}
    assert str(info.value).startswith("No structured output to parse: ")


def test_complete_choice_is_parsed() -> None:
    choice = Choice(index=0, role="assistant", content="{}", finish_reason="stop")
    assert structured_output_error(choice, None) is None
