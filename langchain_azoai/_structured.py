"""``AzureChatOpenAI.with_structured_output``: the bound model and the parser for each method.

Every schema form LangChain accepts works with every method: Pydantic models (recursive ones
keep their ``$defs`` / ``$ref``), TypedDicts, functions, ``BaseTool``s and JSON-schema or tool
dicts in any form ``convert_to_openai_tool`` reads. Before parsing, the answer is checked by the
core (``shared_core.wire.structured``): a completion the content filter stopped raises
``ContentFilterError`` with the categories, for every method.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncIterator, Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import BaseMessage
from langchain_core.runnables import (
    Runnable,
    RunnableGenerator,
    RunnableLambda,
    RunnableMap,
    RunnablePassthrough,
)

from shared_core.errors import ConfigurationError
from shared_core.types import Choice
from shared_core.wire.models import profile_for

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput

    from langchain_azoai.chat_models import AzureChatOpenAI

Method = Literal["function_calling", "json_mode", "json_schema"]
_METHODS = ("json_schema", "function_calling", "json_mode")


def _ls_schema(schema: Any) -> dict[str, Any] | None:
    """The JSON schema for tracing; a schema pydantic cannot render is a typed error."""
    if schema is None:
        return None
    from langchain_core.utils.function_calling import convert_to_json_schema

    try:
        return convert_to_json_schema(schema)
    except ConfigurationError:
        raise
    except Exception as exc:  # pydantic raises several types (arbitrary-type fields)
        from shared_core.wire.tools import schema_error

        raise schema_error(getattr(schema, "__name__", type(schema).__name__), exc) from exc


def check_filtered(message: Any) -> Any:
    """Raise the core's ``ContentFilterError`` when the content filter stopped ``message``."""
    if isinstance(message, BaseMessage):
        from shared_core.wire.structured import check_structured_output

        rm = message.response_metadata
        check_structured_output(
            Choice(
                index=0,
                role="assistant",
                content=message.text,
                finish_reason=rm.get("finish_reason"),
                content_filter_results=rm.get("content_filter_results"),
            ),
            None,
        )
    return message


def _gate(chunks: Iterator[Any]) -> Iterator[Any]:
    for chunk in chunks:
        yield check_filtered(chunk)


async def _agate(chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for chunk in chunks:
        yield check_filtered(chunk)


#: Passes messages (or streamed chunks, one by one: partial results keep streaming) to the
#: parser; raises at the chunk that says the content filter stopped the completion.
FILTER_GATE: Runnable[Any, Any] = RunnableGenerator(_gate, _agate)


def _refusal_check(message: Any) -> None:
    refusal = message.additional_kwargs.get("refusal")
    if refusal:
        from langchain_core.exceptions import OutputParserException

        raise OutputParserException(f"The model refused to answer in the schema: {refusal}")


def _message_text(message: Any) -> str:
    if isinstance(message, BaseMessage):
        _refusal_check(message)
        return message.text
    return str(message)


def validate_json(schema: Any, text: str) -> Any:
    """``text`` parsed into the Pydantic model ``schema`` (v2 or v1)."""
    if hasattr(schema, "model_validate_json"):
        return schema.model_validate_json(text)
    return schema.parse_obj(json.loads(text))  # pydantic.v1 models


def _pydantic_parser(schema: Any, *, as_parser_error: bool = False) -> Runnable[Any, Any]:
    """Validation into ``schema``; with ``as_parser_error`` (json_mode, where langchain-openai uses
    ``PydanticOutputParser``) a failure is ``OutputParserException``, as there."""

    def parse(message: Any) -> Any:
        text = _message_text(message)
        if not as_parser_error:
            return validate_json(schema, text)
        try:
            return validate_json(schema, text)
        except ValueError as exc:  # pydantic's ValidationError and json's JSONDecodeError are ValueErrors
            from langchain_core.exceptions import OutputParserException

            name = getattr(schema, "__name__", "the schema")
            raise OutputParserException(
                f"Failed to parse {name} from completion {text[:200]!r}. Got: {exc}", llm_output=text
            ) from exc

    return RunnableLambda(parse)


def _check_method(llm: AzureChatOpenAI, method: str, schema: Any, strict: bool | None) -> str:
    if method not in _METHODS:
        raise ConfigurationError(
            f"method={method!r}: use 'json_schema', 'function_calling' or 'json_mode'.", setting="method"
        )
    if method == "json_mode" and strict is not None:
        raise ConfigurationError(
            "strict cannot be used with method='json_mode': use method='json_schema' for strict schema adherence.",
            setting="strict",
        )
    if method != "json_mode" and schema is None:
        raise ConfigurationError(f"schema is required for method={method!r}.", setting="schema")
    if method == "json_schema":
        from shared_core.wire.chat import json_schema_supported

        target = llm._client().targets[0]
        if not json_schema_supported(profile_for(llm.model_name, llm.deployment_name), target.kind, target.api_version):
            warnings.warn(
                f"{llm.model_name or llm.deployment_name} on api-version "
                f"{target.api_version or target.kind} does not support json_schema structured "
                "outputs (it needs api-version 2024-08-01-preview or later, or 'v1'): using "
                "method='function_calling' instead.",
                stacklevel=4,
            )
            return "function_calling"
    return method


def _function_calling(
    llm: AzureChatOpenAI,
    schema: Any,
    strict: bool | None,
    ls_format: dict[str, Any],
    is_pydantic: bool,
) -> tuple[Runnable[Any, Any], Runnable[Any, Any]]:
    from langchain_core.output_parsers import JsonOutputKeyToolsParser
    from langchain_core.output_parsers.openai_tools import PydanticToolsParser

    from langchain_azoai._tools import to_wire_tool

    tool = to_wire_tool(schema, strict=strict)
    name = tool["function"]["name"]
    bind_kw: dict[str, Any] = {"ls_structured_output_format": ls_format}
    if not (llm.disabled_params and "parallel_tool_calls" in llm.disabled_params):
        # one call, not several: the core sends it only where the model family takes it
        bind_kw["parallel_tool_calls_if_supported"] = False
    bound = llm.bind_tools([schema], tool_choice=name, strict=strict, **bind_kw)
    parser: Runnable[Any, Any]
    if is_pydantic:
        parser = PydanticToolsParser(tools=[schema], first_tool_only=True)
    else:
        parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
    return bound, parser


def with_structured_output(
    llm: AzureChatOpenAI,
    schema: Any,
    *,
    method: str,
    include_raw: bool,
    strict: bool | None,
    tools: list[Any] | None,
    kwargs: dict[str, Any],
) -> Runnable[LanguageModelInput, Any]:
    """The runnable behind ``AzureChatOpenAI.with_structured_output``."""
    from langchain_core.output_parsers import JsonOutputParser
    from langchain_core.utils.pydantic import is_basemodel_subclass

    from langchain_azoai._tools import response_format_for, to_wire_tool

    if kwargs:
        raise ConfigurationError(
            f"with_structured_output got unexpected arguments {sorted(kwargs)}: accepted "
            "are schema, method, include_raw, strict, tools.",
            setting=next(iter(kwargs)),
        )
    method = _check_method(llm, method, schema, strict)
    is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    ls_format = {"kwargs": {"method": method, "strict": strict}, "schema": _ls_schema(schema)}
    bound: Runnable[Any, Any]
    parser: Runnable[Any, Any]
    if method == "function_calling":
        bound, parser = _function_calling(llm, schema, strict, ls_format, is_pydantic)
    elif method == "json_mode":
        bound = llm.bind(response_format={"type": "json_object"}, ls_structured_output_format=ls_format)
        parser = _pydantic_parser(schema, as_parser_error=True) if is_pydantic else JsonOutputParser()
    else:
        bind_kwargs: dict[str, Any] = {
            "response_format": response_format_for(schema, strict=strict),
            "ls_structured_output_format": ls_format,
        }
        if tools:
            bind_kwargs["tools"] = [to_wire_tool(t, strict=strict) for t in tools]
        bound = llm.bind(**bind_kwargs)
        parser = _pydantic_parser(schema) if is_pydantic else JsonOutputParser()
    parser = FILTER_GATE | parser
    if not include_raw:
        return bound | parser
    parser_assign = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
    parser_with_fallback = parser_assign.with_fallbacks([parser_none], exception_key="parsing_error")
    return RunnableMap(raw=bound) | parser_with_fallback
