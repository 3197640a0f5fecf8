"""``AzureOpenAIResponses``: the Responses API (``/responses``) as a LlamaIndex ``FunctionCallingLLM``.

Same name, constructor and methods as llama-index's ``AzureOpenAIResponses`` / ``OpenAIResponses``
(``built_in_tools``, ``reasoning_options``, ``include``, ``instructions``, ``store``,
``track_previous_responses``, ``previous_response_id``, ``truncation``, ``call_metadata``); the
connection settings, aliases and environment variables are ``AzureOpenAI``'s. The core sends each
call (route, auth, retries, a stored conversation pinned to the region that stored it, SSE); this
class only translates (``responses_convert``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.types import PydanticProgramMode

from shared_core.types_responses import BODY_NAMED_FIELDS, ResponsesRequest

from .llms import AzureOpenAI
from .request_builder import CallOptions, adapter_defaults, split_options
from .responses_convert import ResponsesStreamState, after_last_answer, chat_response, input_messages

if TYPE_CHECKING:
    from shared_core.types_responses import ResponsesResult


class AzureOpenAIResponses(AzureOpenAI):
    """Azure OpenAI's Responses API for LlamaIndex: chat, streaming, function calling (agents
    included), built-in tools, reasoning, stored and stateless multi-turn, structured output.

    ``track_previous_responses=True`` stores each response and continues from it: later calls
    send ``previous_response_id`` and only the messages after the last answer (the service
    holds the rest). For stateless multi-turn leave ``store=False`` and pass
    ``include=["reasoning.encrypted_content"]``: reasoning comes back encrypted in each
    ``ThinkingBlock`` and is sent back with the conversation.

    Examples:
        ```python
        from llamaindex_azoai import AzureOpenAIResponses

        llm = AzureOpenAIResponses(engine="gpt-5-mini", reasoning_options={"effort": "low", "summary": "auto"})
        print(llm.complete("Paul Graham is "))
        ```
    """

    max_output_tokens: int | None = Field(default=None, gt=0, description="Most tokens to generate.")
    reasoning_options: dict[str, Any] | None = Field(
        default=None, description="e.g. {'effort': 'low', 'summary': 'auto'}"
    )
    include: list[str] | None = Field(default=None, description="Extra output, e.g. ['reasoning.encrypted_content'].")
    instructions: str | None = Field(default=None, description="Instructions for the model.")
    track_previous_responses: bool = Field(default=False, description="Continue each call from the last response.")
    store: bool = Field(default=False, description="Store responses (forced on by track_previous_responses).")
    built_in_tools: list[dict[str, Any]] | None = Field(
        default=None, description="e.g. [{'type': 'code_interpreter', ...}]"
    )
    truncation: str = Field(default="disabled", description="'auto' or 'disabled'.")
    user: str | None = Field(default=None, description="An end-user id for abuse monitoring.")
    call_metadata: dict[str, Any] | None = Field(default=None, description="metadata sent with each call.")

    _previous_response_id: str | None = PrivateAttr(default=None)

    def __init__(self, *args: Any, previous_response_id: str | None = None, **kwargs: Any) -> None:
        if kwargs.get("max_output_tokens") is not None and kwargs.get("max_tokens") is None:
            kwargs["max_tokens"] = kwargs["max_output_tokens"]  # metadata.num_output reads it
        super().__init__(*args, **kwargs)
        if self.track_previous_responses:
            self.store = True  # as llama-index: a tracked conversation must be stored
        self._previous_response_id = previous_response_id

    @classmethod
    def class_name(cls) -> str:
        return "azure_openai_responses_llm"

    def _use_chat(self, kwargs: dict[str, Any]) -> bool:
        kwargs.pop("use_chat_completions", None)
        return True  # every call is a Responses call

    # -- requests ------------------------------------------------------------------------------

    def _request(
        self, messages: Sequence[ChatMessage], stream: bool, kwargs: dict[str, Any]
    ) -> tuple[ResponsesRequest, CallOptions]:
        params, opts, body_extra = split_options(self.additional_kwargs, kwargs)
        previous = params.pop("previous_response_id", None) or self._previous_response_id
        if previous:
            messages = after_last_answer(messages)
        req = ResponsesRequest(
            input=input_messages(messages, store=bool(params.get("store", self.store))),
            model=self.model or self._observed_model,
            instructions=self.instructions,
            previous_response_id=previous,
            store=self.store,
            include=self.include,
            max_output_tokens=self.max_output_tokens,
            truncation=self.truncation,
            user=self.user,
            metadata=self.call_metadata,
            stream=stream,
        )
        if self.reasoning_options is not None:
            _reasoning(req, self.reasoning_options, body_extra)
        else:
            req.temperature = self.temperature  # the class default only where the family takes it
            req.defaults = adapter_defaults(self)
        tools = [*(self.built_in_tools or []), *(params.pop("tools", None) or [])]
        req.tools = tools or None
        extra: dict[str, Any] = {}
        for key, value in params.items():
            if key in BODY_NAMED_FIELDS:  # ResponsesRequest fields named as their body parameter
                setattr(req, key, value)
                req.defaults -= {key}  # the caller's own value
            elif key in ("max_tokens", "max_completion_tokens"):
                req.max_output_tokens = value
            elif key == "response_format":
                req.text_format = value
            elif key == "parallel_tool_calls_if_supported":
                if req.tools and "parallel_tool_calls" not in params:
                    req.parallel_tool_calls = value
                    req.defaults |= {"parallel_tool_calls"}
            elif key == "reasoning" and isinstance(value, Mapping):
                _reasoning(req, value, extra)
            elif key == "reasoning_effort":
                req.reasoning_effort = value
            else:
                extra[key] = value
        extra.update(body_extra)
        req.extra_body = extra
        return req, opts

    def _note(self, result: ResponsesResult) -> ChatResponse:
        self._note_model(result.model)
        if self.track_previous_responses:
            self._previous_response_id = result.id
        return chat_response(result)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        req, opts = self._request(messages, False, kwargs)
        return self._note(
            self._client().create_response(req, timeout=opts.timeout, headers=opts.headers, params=opts.params)
        )

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        req, opts = self._request(messages, False, kwargs)
        result = await self._client().acreate_response(
            req, timeout=opts.timeout, headers=opts.headers, params=opts.params
        )
        return self._note(result)

    def _track(self, state: ResponsesStreamState) -> None:
        if state.final is not None:
            self._note_model(state.final.additional_kwargs.get("model"))
        if self.track_previous_responses and state.response_id:
            self._previous_response_id = state.response_id

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        req, opts = self._request(messages, True, kwargs)
        client = self._client()

        def gen() -> ChatResponseGen:
            state = ResponsesStreamState()
            for event in client.stream_response(req, timeout=opts.timeout, headers=opts.headers, params=opts.params):
                yield state.feed(event)
            self._track(state)

        return gen()

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        req, opts = self._request(messages, True, kwargs)
        client = self._client()

        async def gen() -> ChatResponseAsyncGen:
            state = ResponsesStreamState()
            async for event in client.astream_response(
                req, timeout=opts.timeout, headers=opts.headers, params=opts.params
            ):
                yield state.feed(event)
            self._track(state)

        return gen()

    # -- structured output ---------------------------------------------------------------------

    def _should_use_structured_outputs(self) -> bool:
        # text.format json_schema is the Responses API's own structured output
        return self.pydantic_program_mode == PydanticProgramMode.DEFAULT

    @property
    def previous_response_id(self) -> str | None:
        """The response the next call continues (with ``track_previous_responses``)."""
        return self._previous_response_id


def _reasoning(req: ResponsesRequest, options: Mapping[str, Any], extra: dict[str, Any]) -> None:
    if set(options) <= {"effort", "summary"}:
        req.reasoning_effort = options.get("effort")
        req.reasoning_summary = options.get("summary")
    else:
        extra["reasoning"] = dict(options)
