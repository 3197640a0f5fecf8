"""Tool schemas from every input form, strict mode, tool_choice, arguments, response_format."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from shared_core.errors import ConfigurationError
from shared_core.wire.tools import (
    normalize_tool_choice,
    parse_arguments,
    parse_docstring,
    response_format_for,
    strict_schema,
    to_openai_tool,
)


def get_weather(city: str, unit: Literal["c", "f"] = "c", days: int | None = None) -> str:
    """Get the weather forecast.

    Args:
        city: The city name,
            e.g. Oslo.
        unit (str): Temperature unit.
        days: How many days ahead.

    Returns:
        The forecast text.
    """
    return city


def numpy_style(a: int, names: list[str], *args: Any, **kwargs: Any) -> int:
    """Count things.

    Parameters
    ----------
    a : int
        The start value.
    names : list of str
        Names to count,
        one per item.

    Returns
    -------
    int
    """
    return a


def sphinx_style(path: str, json: bool = False) -> None:
    """Read a file.

    :param path: Where the file is.
    :param bool json: Parse as JSON.
    :returns: nothing
    """


def annotated_style(query: Annotated[str, "what to search for"], limit: int = 5) -> list[str]:
    """Search."""
    return []


class Color(StrEnum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip: str | None = None


class Person(BaseModel):
    """A person to register."""

    name: str = Field(description="Full name")
    age: int | None = None
    favourite: Color = Color.RED
    address: Address


class Movie(TypedDict):
    """A movie.

    Args:
        title: The title.
    """

    title: str
    year: Annotated[int, "Release year"]


def test_function_with_google_docstring() -> None:
    assert to_openai_tool(get_weather) == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather forecast.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "The city name, e.g. Oslo."},
                    "unit": {"type": "string", "enum": ["c", "f"], "default": "c", "description": "Temperature unit."},
                    "days": {
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                        "default": None,
                        "description": "How many days ahead.",
                    },
                },
                "required": ["city"],
            },
        },
    }


def test_function_with_numpy_docstring_skips_var_args() -> None:
    fn = to_openai_tool(numpy_style)["function"]
    assert fn["description"] == "Count things."
    assert fn["parameters"] == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "The start value."},
            "names": {"type": "array", "items": {"type": "string"}, "description": "Names to count, one per item."},
        },
        "required": ["a", "names"],
    }


def test_function_with_sphinx_docstring_and_a_basemodel_attribute_name() -> None:
    fn = to_openai_tool(sphinx_style)["function"]
    assert fn["description"] == "Read a file."
    assert fn["parameters"]["properties"] == {
        "path": {"type": "string", "description": "Where the file is."},
        "json": {"type": "boolean", "default": False, "description": "Parse as JSON."},
    }


def test_annotated_descriptions() -> None:
    props = to_openai_tool(annotated_style)["function"]["parameters"]["properties"]
    assert props["query"] == {"type": "string", "description": "what to search for"}
    assert props["limit"] == {"type": "integer", "default": 5}


def test_pydantic_model_strict() -> None:
    tool = to_openai_tool(Person, strict=True)
    fn = tool["function"]
    assert (fn["name"], fn["description"], fn["strict"]) == ("Person", "A person to register.", True)
    params = fn["parameters"]
    assert params["additionalProperties"] is False
    assert params["required"] == ["name", "age", "favourite", "address"]
    assert params["properties"]["age"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    # a $ref property that was optional is wrapped; defaults are gone everywhere
    assert params["properties"]["favourite"] == {"anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}]}
    address = params["$defs"]["Address"]
    assert address["additionalProperties"] is False
    assert address["required"] == ["street", "zip"]
    assert "default" not in str(params)


class Node(BaseModel):
    name: str
    parent: Node | None = Field(None, description="The parent node")
    home: Address = Field(description="Where it lives")


def test_ref_with_siblings_is_inlined_and_recursion_stops() -> None:
    params = to_openai_tool(Node, strict=True)["function"]["parameters"]
    assert params["properties"]["home"] == {
        "type": "object",
        "description": "Where it lives",
        "title": "Address",
        "properties": {"street": {"type": "string"}, "zip": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        "required": ["street", "zip"],
        "additionalProperties": False,
    }
    assert params["properties"]["parent"] == {
        "anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}],
        "description": "The parent node",
    }


def test_typeddict() -> None:
    fn = to_openai_tool(Movie)["function"]
    assert (fn["name"], fn["description"]) == ("Movie", "A movie.")
    assert fn["parameters"] == {
        "type": "object",
        "required": ["title", "year"],
        "properties": {
            "title": {"type": "string", "description": "The title."},
            "year": {"type": "integer", "description": "Release year"},
        },
    }


def test_dict_forms() -> None:
    wrapped = {
        "type": "function",
        "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}},
    }
    assert to_openai_tool(wrapped) == wrapped
    assert to_openai_tool(wrapped) is not wrapped
    bare = {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}}
    assert to_openai_tool(bare) == wrapped
    schema = {"title": "f", "description": "d", "type": "object", "properties": {}}
    assert to_openai_tool(schema) == wrapped
    strict = to_openai_tool(bare, strict=True)["function"]
    assert strict["strict"] is True
    assert strict["parameters"] == {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def test_bad_tools_are_refused_with_the_fix() -> None:
    with pytest.raises(ConfigurationError) as e:
        to_openai_tool({"foo": 1})
    assert e.value.setting == "tools" and "JSON schema with a 'title'" in str(e.value)
    with pytest.raises(ConfigurationError) as e:
        to_openai_tool({"name": "get weather!", "parameters": {}})
    assert "tool name 'get weather!' is not allowed" in str(e.value)
    with pytest.raises(ConfigurationError) as e:
        to_openai_tool(42)
    assert "cannot turn int into a tool" in str(e.value)


def test_strict_schema_rewrite() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "default": "x"},
            "b": {"type": "integer"},
            "c": {"type": "string", "enum": ["p", "q"]},
            "d": {"type": "array", "items": {"type": "object", "properties": {"e": {"type": "number"}}}},
            "default": {"type": ["string", "integer"]},
        },
        "required": ["b"],
    }
    out = strict_schema(schema)
    assert out == {
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"type": "integer"},
            "c": {"type": ["string", "null"], "enum": ["p", "q", None]},
            "d": {
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "properties": {"e": {"type": ["number", "null"]}},
                    "required": ["e"],
                    "additionalProperties": False,
                },
            },
            "default": {"type": ["string", "integer", "null"]},
        },
        "required": ["a", "b", "c", "d", "default"],
        "additionalProperties": False,
    }
    assert schema["required"] == ["b"] and "default" in schema["properties"]["a"]  # untouched


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        (False, "none"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        ({"type": "function", "function": {"name": "x"}}, {"type": "function", "function": {"name": "x"}}),
    ],
)
def test_normalize_tool_choice(choice: Any, expected: Any) -> None:
    assert normalize_tool_choice(choice, ["get_weather", "get_time"]) == expected


def test_unknown_tool_choice_lists_the_bound_tools() -> None:
    with pytest.raises(ConfigurationError) as e:
        normalize_tool_choice("get_wether", ["get_weather", "get_time"])
    assert e.value.setting == "tool_choice"
    assert str(e.value) == (
        "tool_choice='get_wether' is not one of the bound tools "
        "('get_weather', 'get_time'): pass one of their names, or 'auto', "
        "'none', 'required'"
    )
    with pytest.raises(ConfigurationError) as e:
        normalize_tool_choice("f", [])
    assert "bound tools (none)" in str(e.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"city": "Oslo"}', {"city": "Oslo"}),
        ("", {}),
        ("  ", {}),
        ('{"city": "Os', {"city": "Os"}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": 1,', {"a": 1}),
        ('{"a": {"b": tru', {"a": {}}),
        ('{"path": "C:\\', {"path": "C:"}),
    ],
)
def test_parse_arguments_lenient(text: str, expected: dict[str, Any]) -> None:
    assert parse_arguments(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "tool arguments are not a JSON object: 'hello'"),
        ('{"a": 1} extra', "tool arguments are not valid JSON (Extra data at position 9)"),
        ("[1, 2]", "tool arguments must be a JSON object, got list"),
        ('{"a": 1]', "tool arguments are not valid JSON"),
    ],
)
def test_parse_arguments_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_arguments(text)
    assert str(e.value).startswith(message)


def test_response_format_from_pydantic_typeddict_and_dicts() -> None:
    rf = response_format_for(Address)
    assert rf == {
        "type": "json_schema",
        "json_schema": {
            "name": "Address",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"street": {"type": "string"}, "zip": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                "required": ["street", "zip"],
                "additionalProperties": False,
            },
        },
    }
    td = response_format_for(Movie, strict=False, name="movie out")
    assert td["json_schema"]["name"] == "movie_out"
    assert td["json_schema"]["strict"] is False
    assert "additionalProperties" not in td["json_schema"]["schema"]
    bare = response_format_for({"title": "Answer", "type": "object", "properties": {"x": {"type": "integer"}}})
    assert bare["json_schema"]["name"] == "Answer"
    # "x" was not required, so strict mode makes it required and nullable
    assert bare["json_schema"]["schema"] == {
        "type": "object",
        "properties": {"x": {"type": ["integer", "null"]}},
        "required": ["x"],
        "additionalProperties": False,
    }
    full = {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}}
    assert response_format_for(full) == full
    inner = response_format_for({"name": "n", "schema": {"type": "object", "properties": {}}})
    assert inner["json_schema"]["name"] == "n"


def test_response_format_needs_an_object() -> None:
    with pytest.raises(ConfigurationError) as e:
        response_format_for({"type": "array", "items": {"type": "string"}})
    assert e.value.setting == "response_format" and "wrap the value in a model" in str(e.value)


def test_parse_docstring_plain() -> None:
    assert parse_docstring("Just a summary.\n\nMore words.") == ("Just a summary.\n\nMore words.", {})
    assert parse_docstring(None) == ("", {})


# ------------------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _json, max_size=4))
def test_every_prefix_of_streamed_arguments_parses(args: dict[str, Any]) -> None:
    import json

    text = json.dumps(args)
    assert parse_arguments(text) == args
    for end in range(len(text)):
        assert isinstance(parse_arguments(text[:end]), dict)  # lenient, never raises


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(
            [
                {"type": "string"},
                {"type": "integer", "default": 1},
                {"type": "object", "properties": {"x": {"type": "number"}}},
                {"anyOf": [{"type": "string"}, {"type": "null"}]},
                {"$ref": "#/$defs/T"},
            ]
        ),
        max_size=3,
    ),
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True),
)
def test_strict_schema_is_idempotent_and_complete(props: dict[str, Any], required: list[str]) -> None:
    schema = {"type": "object", "properties": props, "required": [r for r in required if r in props]}
    once = strict_schema(schema)
    assert strict_schema(once) == once
    assert once["required"] == list(props) and once["additionalProperties"] is False
    assert "default" not in str(once)
