"""JSON Schema rules for tool parameters and ``response_format``: validity, then strict mode; and the
tool checks chat completions and the Responses API share.

A small walker, not a full metaschema validator: it checks what a client gets wrong in practice
(a misspelt ``type``, non-object ``properties``, ``required`` that is not a list of strings) and the
strict-mode rules of Structured Outputs (every object closed with ``additionalProperties: false``,
every property required, no unsupported keyword). Contexts are reported as Azure does, as the
tuple of keys leading to the offending subschema (``In context=('properties', 'city'), ...``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from . import azure
from .rules import Ctx, rule

JSON = dict[str, Any]
TYPES = frozenset(("string", "number", "integer", "boolean", "object", "array", "null"))
#: Keywords Structured Outputs refuses in strict mode (Learn how-to/structured-outputs, "Unsupported keywords").
STRICT_UNSUPPORTED = (
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "contains",
)
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
MAX_TOOLS = 128
FASTAGENT = "issue evalstate/fast-agent#143 (answer quoted: code `invalid_function_parameters`, param `tools[1].function.parameters`)"


def _walk(schema: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], JSON]]:
    """Every subschema (dicts only) with the key path that leads to it."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key in _SUBSCHEMA_MAPS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            for name, s in sub.items():
                yield from _walk(s, path + (key, name))
    for key in _SUBSCHEMA_LISTS:
        sub = schema.get(key)
        if isinstance(sub, list):
            for i, s in enumerate(sub):
                yield from _walk(s, path + (key, str(i)))
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            yield from _walk(schema[key], path + (key,))


def schema_problem(schema: Any) -> str | None:
    """What makes ``schema`` an invalid JSON Schema, in jsonschema's metaschema wording, or None."""
    if not isinstance(schema, dict):
        return f"{schema!r} is not of type 'object', 'boolean'"
    for _path, s in _walk(schema):
        t = s.get("type")
        types = t if isinstance(t, list) else [t] if t is not None else []
        for one in types:
            if not isinstance(one, str) or one not in TYPES:
                return f"{one!r} is not valid under any of the given schemas"
        for key in _SUBSCHEMA_MAPS:
            if key in s and not isinstance(s[key], dict):
                return f"{s[key]!r} is not of type 'object'"
        req = s.get("required")
        if req is not None and not (isinstance(req, list) and all(isinstance(r, str) for r in req)):
            return f"{req!r} is not of type 'array'"
        if "enum" in s and not isinstance(s["enum"], list):
            return f"{s['enum']!r} is not of type 'array'"
    return None


def strict_problem(schema: JSON) -> str | None:
    """The first strict-mode violation, as ``In context=(...), ...``, or None."""
    for path, s in _walk(schema):
        for kw in STRICT_UNSUPPORTED:
            if kw in s:
                return f"In context={path!r}, '{kw}' is not permitted."
        is_object = (
            s.get("type") == "object"
            or (isinstance(s.get("type"), list) and "object" in s["type"])
            or "properties" in s
        )
        if not is_object:
            continue
        if s.get("additionalProperties") is not False:
            return f"In context={path!r}, 'additionalProperties' is required to be supplied and to be false."
        props = s.get("properties") or {}
        req = s.get("required") or []
        missing = [k for k in props if k not in req]
        if missing:
            return (
                f"In context={path!r}, 'required' is required to be supplied and to be an array including every key "
                f"in properties. Missing '{missing[0]}'."
            )
    return None


class FunctionDef(NamedTuple):
    """One function tool's definition and the param path Azure names it by: chat nests it under
    ``function`` (``tools[0].function``), Responses keeps it flat (``tools[0]``); answers differ only there."""

    path: str
    definition: JSON


def check_tool_count(tools: list[Any]) -> None:
    """At most 128 tools, in the words Azure uses on both APIs."""
    if len(tools) > MAX_TOOLS:
        raise azure.bad_request(
            f"Invalid 'tools': array too long. Expected an array with maximum length {MAX_TOOLS}, "
            f"but got an array with length {len(tools)} instead.",
            param="tools",
            code="array_above_max_length",
        )


def schema_error(fd: FunctionDef, problem: str) -> azure.AzureError:
    """Azure's answer to a function whose ``parameters`` schema has ``problem``."""
    return azure.bad_request(
        f"Invalid schema for function '{fd.definition.get('name')}': {problem}",
        param=f"{fd.path}.parameters",
        code="invalid_function_parameters",
    )


def check_function_schemas(defs: Iterable[FunctionDef], *, valid: bool = True, strict: bool = True) -> None:
    """Raise for the first definition whose ``parameters`` is no valid JSON Schema (``valid``) or, with
    ``strict: true``, breaks a strict-mode rule (``strict``), checking each definition fully before the next."""
    for fd in defs:
        params = fd.definition.get("parameters")
        problem = schema_problem(params) if valid else None
        problem = problem + "." if problem else None
        if problem is None and strict and fd.definition.get("strict") is True and isinstance(params, dict):
            problem = strict_problem(params)
        if problem:
            raise schema_error(fd, problem)


def _chat_functions(ctx: Ctx) -> list[FunctionDef]:
    """Chat's definitions that carry ``parameters`` (``chat.tools.shape`` has checked the nesting)."""
    tools = ctx.body.get("tools")
    defs = [
        FunctionDef(f"tools[{i}].function", t["function"])
        for i, t in enumerate(tools if isinstance(tools, list) else [])
    ]
    return [fd for fd in defs if "parameters" in fd.definition]


def _response_schema(ctx: Ctx) -> JSON | None:
    rf = ctx.body.get("response_format")
    js = rf.get("json_schema") if isinstance(rf, dict) and rf.get("type") == "json_schema" else None
    return js if isinstance(js, dict) else None


@rule(
    "chat.tools.schema_valid",
    "chat",
    stage=45,
    what='tool `parameters` a valid JSON Schema (e.g. no `"type": "strng"`)',
    code="invalid_function_parameters",
    param="tools[i].function.parameters",
    message="Invalid schema for function '{name}': {problem}.",
    source=FASTAGENT + "; issue FoundationAgents/OpenManus#1162 (metaschema wording quoted)",
)
def _tool_schema(ctx: Ctx) -> None:
    check_function_schemas(_chat_functions(ctx), strict=False)


@rule(
    "chat.tools.schema_object",
    "chat",
    stage=45,
    what="tool `parameters` of type object declare `properties`",
    code="invalid_function_parameters",
    param="tools[i].function.parameters",
    message="Invalid schema for function '{name}': In context=(), object schema missing properties.",
    source=FASTAGENT,
)
def _tool_schema_props(ctx: Ctx) -> None:
    for fd in _chat_functions(ctx):
        params = fd.definition["parameters"]
        if isinstance(params, dict) and params.get("type") == "object" and "properties" not in params:
            raise schema_error(fd, "In context=(), object schema missing properties.")


@rule(
    "chat.tools.strict",
    "chat",
    stage=45,
    what="`strict: true` tools: every object has `additionalProperties: false`, "
    "every property is required, no unsupported keyword",
    code="invalid_function_parameters",
    param="tools[i].function.parameters",
    message="Invalid schema for function '{name}': In context=(), "
    "'additionalProperties' is required to be supplied and to be false.",
    source="issue kevinwatt/mysql-mcp#5 (answer quoted); Learn how-to/structured-outputs (supported schemas)",
)
def _tool_strict(ctx: Ctx) -> None:
    check_function_schemas(_chat_functions(ctx), valid=False)


@rule(
    "chat.response_format.schema_valid",
    "chat",
    stage=45,
    what="`response_format.json_schema.schema` a valid JSON Schema",
    code=None,
    param="response_format",
    message="Invalid schema for response_format '{name}': {problem}.",
    source="issue moeru-ai/xsai#202 (Azure's answer quoted: param `response_format`, code null)",
)
def _rf_schema(ctx: Ctx) -> None:
    js = _response_schema(ctx)
    if js is not None and "schema" in js:
        problem = schema_problem(js["schema"])
        if problem:
            raise azure.bad_request(
                f"Invalid schema for response_format '{js.get('name')}': {problem}.", param="response_format"
            )


@rule(
    "chat.response_format.strict",
    "chat",
    stage=45,
    what="strict `json_schema`: every object has "
    "`additionalProperties: false`, every property is required, no unsupported keyword",
    code=None,
    param="response_format",
    message="Invalid schema for response_format '{name}': In context=('properties', "
    "'{key}'), 'additionalProperties' is required to be supplied and to be false.",
    source="issue moeru-ai/xsai#202 (Azure's answer quoted)",
)
def _rf_strict(ctx: Ctx) -> None:
    js = _response_schema(ctx)
    if js is not None and js.get("strict") is True and isinstance(js.get("schema"), dict):
        problem = strict_problem(js["schema"])
        if problem:
            raise azure.bad_request(
                f"Invalid schema for response_format '{js.get('name')}': {problem}", param="response_format"
            )
