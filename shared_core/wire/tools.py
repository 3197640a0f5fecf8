"""Tool / function schemas: conversion, the strict-mode rewrite, tool_choice, argument parsing.

``to_openai_tool`` accepts the OpenAI tool form, a bare function dict (``name`` +
``parameters``), a JSON schema with a ``title``, a Pydantic model class, a TypedDict class, or a
Python function (type hints + Google / NumPy / Sphinx docstring for parameter descriptions;
``Annotated[str, "description"]`` works too).

``strict_schema`` is the rewrite Azure/OpenAI strict mode requires: every object gets
``additionalProperties: false`` and lists all its properties as required; properties that were
optional become nullable; ``default`` is removed (strict mode rejects it); ``$defs`` are rewritten
the same way.
"""

from __future__ import annotations

import copy
import inspect
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared_core.errors import ConfigurationError
from shared_core.wire.tool_arguments import parse_arguments

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
_SCHEMA_ONE = ("items", "additionalItems", "not", "contains", "if", "then", "else", "propertyNames", "unevaluatedItems")
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_ARG_SECTIONS = frozenset(
    {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "other parameters"}
)
_GOOGLE_SECTION = re.compile(
    r"^(args|arguments|parameters|params|keyword args|keyword arguments|other parameters|returns?"
    r"|raises|yields?|examples?|notes?|attributes|see also|warns?|warnings?|references|todo)\s*:\s*$",
    re.IGNORECASE,
)
_GOOGLE_PARAM = re.compile(r"^(\s+)\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_OTHER = re.compile(r"^:(returns?|raises?|rtype|type|yields?)\b")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:\s*(.*)$")


# ------------------------------------------------------------------------------- strict mode


def _nullable(s: Any) -> Any:
    if not isinstance(s, dict):
        return s
    t = s.get("type")
    if isinstance(t, str):
        if t == "null":
            return s
        out = {**s, "type": [t, "null"]}
        if "enum" in s and None not in s["enum"]:
            out["enum"] = [*s["enum"], None]
        return out
    if isinstance(t, list):
        if "null" in t:
            return s
        out = {**s, "type": [*t, "null"]}
        if "enum" in s and None not in s["enum"]:
            out["enum"] = [*s["enum"], None]
        return out
    if "anyOf" in s:
        if any(isinstance(x, dict) and x.get("type") == "null" for x in s["anyOf"]):
            return s
        return {**s, "anyOf": [*s["anyOf"], {"type": "null"}]}
    inner = {k: v for k, v in s.items() if k != "description"}
    out = {"anyOf": [inner, {"type": "null"}]}
    if "description" in s:
        out["description"] = s["description"]
    return out


def _resolve_ref(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _strict(node: Any, root: Mapping[str, Any], inlining: frozenset[str]) -> Any:
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and any(k not in ("$ref", "default") for k in node):
        # strict mode rejects keywords beside "$ref" (pydantic puts "description" there): inline
        # the definition, as openai-python does; a recursive one keeps the bare "$ref"
        target = _resolve_ref(root, ref)
        if isinstance(target, dict) and ref not in inlining:
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _strict(merged, root, inlining | {ref})
        node = {"$ref": ref}
    elif isinstance(ref, str):
        return {"$ref": ref}
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k == "default":
            continue
        if k in _SCHEMA_MAPS and isinstance(v, dict):
            out[k] = {name: _strict(s, root, inlining) for name, s in v.items()}
        elif k in _SCHEMA_ONE and isinstance(v, dict):
            out[k] = _strict(v, root, inlining)
        elif k in _SCHEMA_LISTS and isinstance(v, list):
            out[k] = [_strict(s, root, inlining) for s in v]
        else:
            out[k] = v
    if out.get("type") == "object" or "properties" in out:
        props: dict[str, Any] = out.get("properties") or {}
        required = set(node.get("required") or ())
        for name in props:
            if name not in required:
                props[name] = _nullable(props[name])
        out["properties"] = props
        out["required"] = list(props)
        out["additionalProperties"] = False
    return out


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The strict-mode rewrite of a JSON schema (a new dict; the input is left alone).

    Besides the rules in the module docstring, a ``$ref`` with sibling keywords (pydantic's
    ``{"$ref": ..., "description": ...}``) is replaced by the inlined definition.
    """
    root = dict(schema)
    result: dict[str, Any] = _strict(root, root, frozenset())
    return result


# -------------------------------------------------------------------------- docstrings, hints


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) from a Google, NumPy or Sphinx docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    desc: list[str] = []
    params: dict[str, str] = {}
    in_desc = True
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        s = line.strip()
        sm = _SPHINX_PARAM.match(s)
        if sm:
            in_desc = False
            name, text = sm.group(1), [sm.group(2)]
            i += 1
            while i < n and lines[i][:1] in (" ", "\t") and lines[i].strip():
                text.append(lines[i].strip())
                i += 1
            params[name] = " ".join(text).strip()
            continue
        if _SPHINX_OTHER.match(s):
            in_desc = False
            i += 1
            continue
        if s and i + 1 < n and set(lines[i + 1].strip()) == {"-"}:  # NumPy section header
            in_desc = False
            section = s.lower()
            i += 2
            while i < n and not (lines[i].strip() and i + 1 < n and set(lines[i + 1].strip()) == {"-"}):
                entry = lines[i]
                if section in _ARG_SECTIONS and entry.strip() and entry[:1] not in (" ", "\t"):
                    names = entry.split(":", 1)[0]
                    text = []
                    i += 1
                    while i < n and (lines[i][:1] in (" ", "\t") or not lines[i].strip()):
                        if lines[i].strip():
                            text.append(lines[i].strip())
                        elif i + 1 < n and lines[i + 1][:1] not in (" ", "\t"):
                            break
                        i += 1
                    for nm in names.split(","):
                        params[nm.strip().lstrip("*")] = " ".join(text)
                    continue
                i += 1
            continue
        gm = _GOOGLE_SECTION.match(s)
        if gm and line[:1] not in (" ", "\t"):
            in_desc = False
            section = gm.group(1).lower()
            i += 1
            current: str | None = None
            base: int | None = None
            while i < n and (not lines[i].strip() or lines[i][:1] in (" ", "\t")):
                entry = lines[i]
                if section in _ARG_SECTIONS and entry.strip():
                    pm = _GOOGLE_PARAM.match(entry)
                    if pm and (base is None or len(pm.group(1)) <= base):
                        base = len(pm.group(1))
                        current = pm.group(2)
                        params[current] = pm.group(3).strip()
                    elif current is not None:
                        params[current] = (params[current] + " " + entry.strip()).strip()
                i += 1
            continue
        if in_desc:
            desc.append(line)
        i += 1
    return "\n".join(desc).strip(), params


def _annotated_description(tp: Any) -> tuple[Any, str | None]:
    if typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        for meta in args[1:]:
            if isinstance(meta, str):
                return tp, meta
    return tp, None


def _drop_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """Remove pydantic's generated ``title`` from the top level and every property schema."""
    schema.pop("title", None)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                for p in props.values():
                    if isinstance(p, dict):
                        p.pop("title", None)
            for k, v in node.items():
                if k in _SCHEMA_MAPS and isinstance(v, dict):
                    for sub in v.values():
                        walk(sub)
                elif k in _SCHEMA_ONE:
                    walk(v)
                elif k in _SCHEMA_LISTS and isinstance(v, list):
                    for sub in v:
                        walk(sub)

    walk(schema)
    return schema


def _is_pydantic_model(obj: Any) -> bool:
    try:
        from pydantic import BaseModel
    except ImportError:  # pragma: no cover - pydantic is a dependency
        return False
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _is_typeddict(obj: Any) -> bool:
    if not isinstance(obj, type):
        return False
    try:
        import typing_extensions

        return bool(typing_extensions.is_typeddict(obj))
    except ImportError:  # pragma: no cover
        return bool(typing.is_typeddict(obj))


def _schema_error(name: str, exc: Exception, setting: str = "tools") -> ConfigurationError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigurationError(
        f"cannot build a JSON schema for {name!r}: {first}. Use JSON-serialisable field types "
        "(str, int, float, bool, list, dict, Literal, Enum, pydantic models), or give the field "
        "its schema with pydantic's WithJsonSchema({...}) annotation",
        setting=setting,
    )


def schema_error(name: str, exc: Exception, setting: str = "schema") -> ConfigurationError:
    """The typed error for a class whose JSON schema cannot be built (arbitrary-type fields)."""
    return _schema_error(name, exc, setting)


def _class_schema(cls: type) -> tuple[str, str, dict[str, Any]]:
    """(name, description, parameters schema) of a Pydantic model or TypedDict class."""
    from pydantic import TypeAdapter

    name = cls.__name__
    doc_desc, doc_params = parse_docstring(cls.__doc__)
    try:
        if _is_pydantic_model(cls):
            schema = dict(typing.cast(Any, cls).model_json_schema())
        else:
            schema = dict(TypeAdapter(cls).json_schema())
    except Exception as exc:  # pydantic raises several types here
        raise _schema_error(name, exc) from exc
    # pydantic copies the whole docstring (Args section included): prefer its parsed summary.
    # Only the class's own docstring counts: a TypedDict without one would otherwise be
    # described by ``dict``'s docstring.
    schema.pop("description", None)
    description = doc_desc if cls.__dict__.get("__doc__") else ""
    props = schema.get("properties") or {}
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception:
        hints = {}
    for field_name, prop in props.items():
        if isinstance(prop, dict) and "description" not in prop:
            _, ann_desc = _annotated_description(hints.get(field_name))
            text = doc_params.get(field_name) or ann_desc
            if text:
                prop["description"] = text
    return name, description, _drop_titles(schema)


def _function_schema(fn: Callable[..., Any]) -> tuple[str, str, dict[str, Any]]:
    from pydantic import Field, create_model

    name = getattr(fn, "__name__", None) or type(fn).__name__
    description, doc_params = parse_docstring(inspect.getdoc(fn))
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    fields: dict[str, Any] = {}
    for i, p in enumerate(sig.parameters.values()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in ("self", "cls"):
            continue
        ann = hints.get(p.name, p.annotation if p.annotation is not p.empty else Any)
        _, ann_desc = _annotated_description(ann)
        default = ... if p.default is p.empty else p.default
        # field names are neutral ("f0"...) with the parameter as alias: no clash with BaseModel
        fields[f"f{i}"] = (ann, Field(default, alias=p.name, description=doc_params.get(p.name) or ann_desc))
    try:
        model = create_model(f"{name}_args", **fields)
        schema = dict(model.model_json_schema(by_alias=True))
    except Exception as exc:
        raise _schema_error(name, exc) from exc
    schema.pop("description", None)
    return name, description, _drop_titles(schema)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigurationError(
            f"tool name {name!r} is not allowed: use 1-64 letters, digits, '_' or '-'",
            setting="tools",
        )
    return name


#: JSON-schema ``type`` values: a dict with one of these is a schema, not a built-in tool
_SCHEMA_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def is_builtin_tool(obj: Any) -> bool:
    """A non-function tool dict (``{"type": "code_interpreter"}``, ``web_search_preview``...)
    that goes on the wire as given."""
    if not isinstance(obj, Mapping):
        return False
    kind = obj.get("type")
    return isinstance(kind, str) and kind != "function" and kind not in _SCHEMA_TYPES


def _from_openai(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    if obj.get("type") == "function" and isinstance(obj.get("function"), Mapping):
        return dict(obj["function"])
    return None


def _from_anthropic(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    if "name" in obj and "input_schema" in obj:
        out = {"name": obj["name"], "parameters": obj["input_schema"]}
        if "description" in obj:
            out["description"] = obj["description"]
        return out
    return None


def _from_bedrock(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    spec = obj.get("toolSpec")
    if isinstance(spec, Mapping) and "name" in spec:
        out = {"name": spec["name"], "parameters": (spec.get("inputSchema") or {}).get("json")}
        if "description" in spec:
            out["description"] = spec["description"]
        return out
    return None


def _from_flat(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    if "name" in obj:
        return {k: v for k, v in obj.items() if k in ("name", "description", "parameters", "strict")}
    return None


def _from_json_schema(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    if "title" not in obj:
        return None
    schema = dict(obj)
    out = {"name": schema.pop("title")}
    if "description" in schema:
        out["description"] = schema.pop("description")
    if "properties" in schema or schema.get("type") == "object":
        out["parameters"] = schema
    return out


#: The dict forms langchain-core's ``convert_to_openai_function`` reads, in its order: the first
#: rule that answers wins (OpenAI tool, Anthropic ``input_schema``, Bedrock ``toolSpec``, the
#: flat function, a JSON schema named by its ``title``).
_DICT_RULES: tuple[Callable[[Mapping[str, Any]], dict[str, Any] | None], ...] = (
    _from_openai,
    _from_anthropic,
    _from_bedrock,
    _from_flat,
    _from_json_schema,
)


def function_from_dict(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The ``function`` part of a tool given in any of the dict forms of ``_DICT_RULES``."""
    for rule in _DICT_RULES:
        function = rule(obj)
        if function is not None:
            return copy.deepcopy(function)
    hint = (
        " (a JSON schema needs a top-level 'title': it names the tool)" if "properties" in obj or "type" in obj else ""
    )
    raise ConfigurationError(
        f"cannot read this dict as a tool{hint}: give {{'type': 'function', 'function': {{...}}}}, "
        "{'name', 'description', 'parameters'}, {'name', 'description', 'input_schema'} or a "
        "JSON schema with a 'title'",
        setting="tools",
    )


def _inline_root_ref(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema whose root is ``{"$ref": "#/$defs/X", "$defs": ...}`` (pydantic's form for a
    recursive model) with ``X`` inlined at the root and ``$defs`` kept, so the root is an object
    (Azure requires it) and the recursion stays intact (``#/$defs/X`` still resolves)."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema
    target = _resolve_ref(schema, ref)
    if not isinstance(target, dict):
        return schema
    inlined = {k: v for k, v in target.items() if k != "title"}
    return {**inlined, **{k: v for k, v in schema.items() if k != "$ref"}}


def to_openai_tool(obj: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """``{"type": "function", "function": {...}}`` for a dict, model class, TypedDict or function.

    Dicts may be in any form of ``function_from_dict``. ``strict=True`` adds ``"strict": true``
    and rewrites the parameters with ``strict_schema``; ``strict=False`` sets ``"strict": false``;
    ``None`` keeps what a dict said.
    """
    if isinstance(obj, Mapping):
        function = function_from_dict(obj)
    elif isinstance(obj, type) and (_is_pydantic_model(obj) or _is_typeddict(obj)):
        name, description, params = _class_schema(obj)
        function = {"name": name, "description": description, "parameters": params}
    elif callable(obj):
        name, description, params = _function_schema(obj)
        function = {"name": name, "description": description, "parameters": params}
    else:
        raise ConfigurationError(
            f"cannot turn {type(obj).__name__} into a tool: pass a dict, a Pydantic model, a TypedDict or a function",
            setting="tools",
        )
    _check_name(str(function.get("name", "")))
    if not function.get("description"):
        function.pop("description", None)
    if isinstance(function.get("parameters"), dict):
        function["parameters"] = _inline_root_ref(function["parameters"])
    elif "parameters" in function or strict:
        function["parameters"] = {"type": "object", "properties": {}}
    if strict is not None:
        function["strict"] = strict
    if function.get("strict"):
        function["parameters"] = strict_schema(function["parameters"])
    return {"type": "function", "function": function}


def normalize_tool_choice(choice: Any, tool_names: Sequence[str]) -> str | dict[str, Any] | None:
    """Azure's ``tool_choice`` from the forms users write.

    None -> None; "auto"/"none" unchanged; "any"/"required"/True -> "required"; False -> "none";
    a bound tool's name -> ``{"type": "function", "function": {"name": ...}}``; a dict passes.
    """
    if choice is None:
        return None
    if choice is True:
        return "required"
    if choice is False:
        return "none"
    if isinstance(choice, Mapping):
        return dict(choice)
    if isinstance(choice, str):
        low = choice.strip().lower()
        if low in ("any", "required"):
            return "required"
        if low in ("auto", "none"):
            return low
        if choice in tool_names:
            return {"type": "function", "function": {"name": choice}}
        bound = ", ".join(repr(n) for n in tool_names) if tool_names else "none"
        raise ConfigurationError(
            f"tool_choice={choice!r} is not one of the bound tools ({bound}): pass one of their "
            "names, or 'auto', 'none', 'required'",
            setting="tool_choice",
        )
    raise ConfigurationError(
        f"tool_choice of type {type(choice).__name__} is not understood: use 'auto', 'none', "
        "'required', a tool name or a dict",
        setting="tool_choice",
    )


# --------------------------------------------------------------------------- response_format


def _is_tool_dict(obj: Mapping[str, Any]) -> bool:
    return any(rule(obj) is not None for rule in (_from_openai, _from_anthropic, _from_bedrock)) or (
        "name" in obj and "parameters" in obj
    )


def _format_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "response"


def response_format_for(schema: Any, *, strict: bool = True, name: str | None = None) -> dict[str, Any]:
    """A ``json_schema`` ``response_format`` from a Pydantic model, TypedDict or dict.

    A dict may be a full response_format (returned as is), the inner ``{"name", "schema"}``
    form, or a bare JSON schema (named by ``name``, else its ``title``, else ``"response"``).
    """
    description: str | None = None
    if isinstance(schema, Mapping):
        if schema.get("type") == "json_schema" and "json_schema" in schema:
            return copy.deepcopy(dict(schema))
        if "schema" in schema and "name" in schema:
            body = copy.deepcopy(dict(schema["schema"]))
            name = name or str(schema["name"])
            description = schema.get("description")
        elif _is_tool_dict(schema):
            # a tool given as the schema (OpenAI, flat, Anthropic or Bedrock form): its
            # parameters are the answer's schema, its name and description name the format
            function = function_from_dict(schema)
            params = function.get("parameters")
            body = dict(params) if isinstance(params, Mapping) else {"type": "object", "properties": {}}
            name = name or str(function["name"])
            description = function.get("description")
        else:
            body = copy.deepcopy(dict(schema))
            name = name or str(body.get("title") or "response")
            description = body.pop("description", None)
        body.pop("title", None)
    elif isinstance(schema, type) and (_is_pydantic_model(schema) or _is_typeddict(schema)):
        cls_name, description, body = _class_schema(schema)
        name = name or cls_name
    else:
        raise ConfigurationError(
            f"cannot build a response_format from {type(schema).__name__}: pass a Pydantic "
            "model, a TypedDict or a JSON schema dict",
            setting="response_format",
        )
    body = _inline_root_ref(body)
    if body.get("type") != "object" and "properties" not in body:
        raise ConfigurationError(
            "a json_schema response_format must describe an object at the top level: wrap the "
            "value in a model with one field",
            setting="response_format",
        )
    inner: dict[str, Any] = {"name": _format_name(name)}
    if description:
        inner["description"] = description
    inner["schema"] = strict_schema(body) if strict else body
    inner["strict"] = strict
    return {"type": "json_schema", "json_schema": inner}


__all__ = [
    "function_from_dict",
    "is_builtin_tool",
    "normalize_tool_choice",
    "parse_arguments",
    "parse_docstring",
    "response_format_for",
    "schema_error",
    "strict_schema",
    "to_openai_tool",
]
