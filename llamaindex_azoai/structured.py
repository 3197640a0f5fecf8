"""Structured output for ``AzureOpenAI``: native ``json_schema`` where the deployment supports it,
else a forced tool call (LlamaIndex's ``FunctionCallingProgram``).

Both paths check what they were given (a Pydantic model class) and what came back: a completion
that Azure's content filter stopped raises ``ContentFilterError`` rather than a parse error on
an empty string.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any, cast

from llama_index.core.base.llms.types import ChatResponse
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.types import PydanticProgramMode
from llama_index_instrumentation import get_dispatcher

from .inputs import output_class
from .responses import raise_if_filtered

if TYPE_CHECKING:
    from llama_index.core.llms.structured_llm import StructuredLLM
    from llama_index.core.prompts import PromptTemplate
    from llama_index.core.types import Model
    from pydantic import BaseModel

    from shared_core.client import CoreClient
    from shared_core.wire.models import ModelProfile

    _Base = FunctionCallingLLM
else:
    _Base = object

dispatcher = get_dispatcher(__name__)

# Program kwargs that the tool path sets itself.
_PROGRAM_KWARGS = ("tool_required", "tool_choice", "allow_parallel_tool_calls")


def _expected(output_cls: type[Any]) -> str:
    return f"{output_cls.__name__} (structured output)"


class StructuredOutputMixin(_Base):
    """``structured_predict`` and friends; mixed into ``AzureOpenAI`` before ``FunctionCallingLLM``."""

    if TYPE_CHECKING:

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

        def _client(self) -> CoreClient: ...

        def _profile(self) -> ModelProfile: ...

    def _should_use_structured_outputs(self) -> bool:
        if self.pydantic_program_mode != PydanticProgramMode.DEFAULT:
            return False
        from shared_core.wire.chat import json_schema_supported

        target = self._client().targets[0]
        return json_schema_supported(self._profile(), target.kind, target.api_version)

    def _prepare_schema(self, llm_kwargs: dict[str, Any] | None, output_cls: type[Model]) -> dict[str, Any]:
        from shared_core.wire.tools import response_format_for

        llm_kwargs = dict(llm_kwargs or {})
        llm_kwargs.pop("tool_choice", None)
        name = re.sub(r"[^a-zA-Z0-9_-]", "_", output_cls.__name__)[:64]
        llm_kwargs["response_format"] = response_format_for(output_cls, strict=True, name=name)
        return llm_kwargs

    @staticmethod
    def _parse_structured(output_cls: type[Model], response: ChatResponse) -> Model:
        raise_if_filtered(response, _expected(output_cls))
        refusal = response.message.additional_kwargs.get("refusal")
        if refusal:
            raise ValueError(f"The model refused to produce a {output_cls.__name__}: {refusal}")
        return output_cls.model_validate_json(response.message.content or "")

    def as_structured_llm(self, output_cls: type[BaseModel], **kwargs: Any) -> StructuredLLM:
        """A ``StructuredLLM`` answering with ``output_cls`` (a Pydantic model class)."""
        output_class(output_cls)
        return super().as_structured_llm(output_cls, **kwargs)

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Structured output through native ``json_schema`` where the deployment supports it,
        else through a forced tool call."""
        output_class(output_cls)
        if self._should_use_structured_outputs():
            from llama_index.core.instrumentation.events.llm import (
                LLMStructuredPredictEndEvent,
                LLMStructuredPredictStartEvent,
            )

            dispatcher.event(
                LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
            )
            messages = self._extend_messages(prompt.format_messages(**prompt_args))
            response = self.chat(messages, **self._prepare_schema(llm_kwargs, output_cls))
            result = self._parse_structured(output_cls, response)
            dispatcher.event(LLMStructuredPredictEndEvent(output=result))
            return result
        # FunctionCallingProgram forces the call itself (tool_required=True)
        result = super().structured_predict(output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args)
        return cast("Model", result)

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async ``structured_predict``."""
        output_class(output_cls)
        if self._should_use_structured_outputs():
            from llama_index.core.instrumentation.events.llm import (
                LLMStructuredPredictEndEvent,
                LLMStructuredPredictStartEvent,
            )

            dispatcher.event(
                LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
            )
            messages = self._extend_messages(prompt.format_messages(**prompt_args))
            response = await self.achat(messages, **self._prepare_schema(llm_kwargs, output_cls))
            result = self._parse_structured(output_cls, response)
            dispatcher.event(LLMStructuredPredictEndEvent(output=result))
            return result
        result = await super().astructured_predict(output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args)
        return cast("Model", result)

    def _tool_stream_args(
        self, output_cls: type[Model], prompt: PromptTemplate, llm_kwargs: dict[str, Any] | None, prompt_args: Any
    ) -> tuple[list[Any], dict[str, Any]]:
        # FunctionCallingProgram.stream_call would drop tool_required and swallow every error raised
        # while parsing, a content-filter stop included: the tool path streams here instead.
        from llama_index.core.program.function_program import get_function_tool

        messages = self._extend_messages(prompt.format_messages(llm=self, **prompt_args))
        kwargs = {k: v for k, v in (llm_kwargs or {}).items() if k not in _PROGRAM_KWARGS}
        kwargs.update(chat_history=messages, tool_required=True)
        return [get_function_tool(output_cls)], kwargs

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental
        from llama_index.core.program.utils import process_streaming_objects

        output_class(output_cls)
        curr: Any = None
        if self._should_use_structured_outputs():
            messages = self._extend_messages(prompt.format_messages(**prompt_args))
            for response in self.stream_chat(messages, **self._prepare_schema(llm_kwargs, output_cls)):
                raise_if_filtered(response, _expected(output_cls))
                curr = process_streaming_content_incremental(response, output_cls, curr)
                yield curr
            return
        tools, kwargs = self._tool_stream_args(output_cls, prompt, llm_kwargs, prompt_args)
        for response in self.stream_chat_with_tools(tools, **kwargs):
            raise_if_filtered(response, _expected(output_cls))
            try:
                objects = process_streaming_objects(response, output_cls, cur_objects=curr, llm=self)
            except ValueError:  # a partial object that does not validate yet, as the program does
                continue
            curr = objects if isinstance(objects, list) else [objects]
            yield objects

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental
        from llama_index.core.program.utils import process_streaming_objects

        output_class(output_cls)
        if self._should_use_structured_outputs():
            messages = self._extend_messages(prompt.format_messages(**prompt_args))
            responses = await self.astream_chat(messages, **self._prepare_schema(llm_kwargs, output_cls))

            async def native() -> AsyncGenerator[Any, None]:
                curr: Any = None
                async for response in responses:
                    raise_if_filtered(response, _expected(output_cls))
                    curr = process_streaming_content_incremental(response, output_cls, curr)
                    yield curr

            return native()
        tools, kwargs = self._tool_stream_args(output_cls, prompt, llm_kwargs, prompt_args)
        tool_responses = await self.astream_chat_with_tools(tools, **kwargs)

        async def via_tools() -> AsyncGenerator[Any, None]:
            curr: Any = None
            async for response in tool_responses:
                raise_if_filtered(response, _expected(output_cls))
                try:
                    objects = process_streaming_objects(response, output_cls, cur_objects=curr, llm=self)
                except ValueError:  # a partial object that does not validate yet, as the program does
                    continue
                curr = objects if isinstance(objects, list) else [objects]
                yield objects

        return via_tools()


__all__ = ["StructuredOutputMixin"]
