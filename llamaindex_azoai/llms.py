"""``AzureOpenAI``: a LlamaIndex ``FunctionCallingLLM`` on the azoai core.

Drop-in for ``llama_index.llms.azure_openai.AzureOpenAI``: same constructor names, aliases,
environment variables, methods, events and ``class_name()``. What changes is underneath: one
httpx-native core (one retry layer, Entra ID done right, typed errors, usage on streams) and a
``metadata`` that never raises.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import BaseOutputParser, PydanticProgramMode

from shared_core.connection.config import deployment_in_endpoint, missing_deployment
from shared_core.connection.spelling import Spelling
from shared_core.types import ChatDelta, ChatResult, Choice

from ._settings import AzureConnection, CoreClientOwner, first_of
from .inputs import achecked_messages, chat_messages, checked_messages, llm_tools, prompt_text, user_message
from .request_builder import chat_request, completion_request
from .responses import (
    ChatStreamState,
    CompletionStreamState,
    chat_response,
    chat_to_completion,
    completion_response,
)
from .structured import StructuredOutputMixin
from .tools import single_tool_call, tool_choice_for, tool_selections, tool_specs

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from shared_core.client import CoreClient
    from shared_core.wire.models import ModelProfile


class AzureOpenAI(StructuredOutputMixin, CoreClientOwner, FunctionCallingLLM, AzureConnection):
    """Azure OpenAI chat (and legacy completions) deployments for LlamaIndex.

    ``engine`` (or ``deployment_name`` / ``deployment_id`` / ``deployment`` / ``azure_deployment``,
    or env ``AZURE_OPENAI_DEPLOYMENT``) is the deployment that serves the calls. ``model`` is the
    model behind it (``gpt-4o``, ``gpt-5-mini``...), used for capabilities only; when omitted, the
    model Azure reports in its first response is used, then the deployment name. Unknown names get
    the documented default profile (128k context, chat, tools): ``metadata`` never raises.
    ``context_window``, ``is_chat_model`` and ``is_function_calling_model`` override it.

    Examples:
        ```python
        from llamaindex_azoai import AzureOpenAI

        llm = AzureOpenAI(
            engine="my-gpt-5.2",
            model="gpt-5.2",
            azure_endpoint="https://my-resource.openai.azure.com/",
            api_key="...",
            api_version="2024-10-21",
        )
        print(llm.complete("Paul Graham is "))
        ```
    """

    SPELLING: ClassVar[Mapping[str, str | None]] = {"deployment": "engine", "base_url": "api_base"}

    model: str | None = Field(default=None, description="The model behind the deployment (capabilities only).")
    engine: str | None = Field(default=None, description="The deployment name.")
    azure_deployment: str | None = Field(default=None, description="Alias of engine.")
    temperature: float = Field(default=0.1, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int | None = Field(default=None, gt=0, description="Most tokens to generate.")
    logprobs: bool | None = Field(default=None, description="Return token logprobs.")
    top_logprobs: int = Field(default=0, ge=0, le=20)
    additional_kwargs: dict[str, Any] = Field(default_factory=dict, description="Merged into every request body.")
    strict: bool = Field(default=False, description="Strict mode for tool schemas.")
    reasoning_effort: str | None = Field(default=None, description="none, minimal, low, medium, high, xhigh.")
    modalities: list[str] | None = Field(default=None)
    audio_config: dict[str, Any] | None = Field(default=None)
    include_usage: bool = Field(default=True, description="Ask for token usage on streams.")
    raise_on_content_filter: bool = Field(
        default=False,
        description="Raise ContentFilterError when Azure filters the completion (finish_reason "
        "'content_filter'). Off by default: the response then carries finish_reason and "
        "content_filter_results in additional_kwargs.",
    )
    context_window: int | None = Field(default=None, gt=0, description="Override of the context window.")
    is_chat_model: bool | None = Field(default=None, description="Override: chat vs legacy completions.")
    is_function_calling_model: bool | None = Field(default=None, description="Override: tool support.")

    _observed_model: str | None = PrivateAttr(default=None)

    def __init__(
        self,
        model: str | None = None,
        engine: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        max_retries: int = 3,
        timeout: Any = 60.0,
        reuse_client: bool = True,
        api_key: str | None = None,
        api_version: str | None = None,
        api_base: str | None = None,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        azure_ad_token_provider: Callable[[], Any] | None = None,
        use_azure_ad: bool = False,
        callback_manager: CallbackManager | None = None,
        deployment_name: str | None = None,
        deployment_id: str | None = None,
        deployment: str | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        system_prompt: str | None = None,
        messages_to_prompt: Callable[[Sequence[ChatMessage]], str] | None = None,
        completion_to_prompt: Callable[[str], str] | None = None,
        pydantic_program_mode: PydanticProgramMode = PydanticProgramMode.DEFAULT,
        output_parser: BaseOutputParser | None = None,
        **kwargs: Any,
    ) -> None:
        if "max_new_tokens" in kwargs:  # the anchors' deprecated spelling
            max_tokens = kwargs.pop("max_new_tokens")
        kwargs.pop("openai_client", None)
        kwargs.pop("async_openai_client", None)
        engine = first_of(engine, deployment_name, deployment_id, deployment, azure_deployment)
        if engine is None and not os.environ.get("AZURE_OPENAI_DEPLOYMENT") and kwargs.get("routing") is None:
            # a pasted request URL names the deployment (as in LangChain)
            url = api_base or azure_endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
            engine = deployment_in_endpoint(url, is_base_url=bool(api_base))
            if engine is None:
                raise missing_deployment(Spelling(self.SPELLING))
        if temperature is not None:
            # only a temperature the caller passed counts as theirs (model_fields_set): the class
            # default 0.1 is left off the wire for families that refuse it (request_builder)
            kwargs["temperature"] = temperature
        super().__init__(
            model=model,
            engine=engine,
            azure_deployment=azure_deployment,
            max_tokens=max_tokens,
            additional_kwargs=additional_kwargs or {},
            max_retries=max_retries,
            timeout=timeout,
            reuse_client=reuse_client,
            api_key=api_key,
            api_version=api_version,
            api_base=api_base,
            azure_endpoint=azure_endpoint,
            azure_ad_token_provider=azure_ad_token_provider,
            use_azure_ad=use_azure_ad,
            callback_manager=callback_manager,
            system_prompt=system_prompt,
            messages_to_prompt=messages_to_prompt,
            completion_to_prompt=completion_to_prompt,
            pydantic_program_mode=pydantic_program_mode,
            output_parser=output_parser,
            **kwargs,
        )
        self._http_client = http_client
        self._async_http_client = async_http_client

    @classmethod
    def class_name(cls) -> str:
        return "azure_openai_llm"

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """As llama-index's, without the class default ``temperature``: an LLM rebuilt from it
        (``from_dict``) still leaves the default off models that refuse it."""
        data = super().to_dict(**kwargs)
        if "temperature" not in self.model_fields_set:
            data.pop("temperature", None)
        return data

    # -- lifecycle ---------------------------------------------------------------------------

    def _core_deployment(self) -> str | None:
        return self.engine

    def _core_built(self, core: CoreClient) -> None:
        if self.engine is None:  # resolved from AZURE_OPENAI_DEPLOYMENT
            self.engine = core.targets[0].deployment

    # -- metadata ----------------------------------------------------------------------------

    def _profile(self) -> ModelProfile:
        from shared_core.wire.models import profile_for

        return profile_for(self.model or self._observed_model, self.engine)

    @property
    def metadata(self) -> LLMMetadata:
        """Explicit overrides, else the model's profile (from ``model``, the model Azure reported,
        or the deployment name), else the documented default. Never raises."""
        p = self._profile()
        return LLMMetadata(
            context_window=self.context_window or p.context_window,
            num_output=self.max_tokens or -1,
            is_chat_model=p.chat if self.is_chat_model is None else self.is_chat_model,
            is_function_calling_model=(
                p.supports_tools if self.is_function_calling_model is None else self.is_function_calling_model
            ),
            model_name=self.model or self._observed_model or self.engine or "unknown",
            system_role=MessageRole.SYSTEM,
        )

    def _note_model(self, model: str | None) -> None:
        if model and self.model is None and self._observed_model is None:
            self._observed_model = model

    def _use_chat(self, kwargs: dict[str, Any]) -> bool:
        flag = kwargs.pop("use_chat_completions", None)
        if flag is not None:
            return bool(flag)
        if self.is_chat_model is not None:
            return self.is_chat_model
        return self._profile().chat

    # -- results -----------------------------------------------------------------------------

    def _check_filtered(self, choice: Choice | None, result: Any) -> None:
        if self.raise_on_content_filter and choice is not None and choice.finish_reason == "content_filter":
            from shared_core.wire.diagnose import completion_filtered_error

            raise completion_filtered_error(choice, result.meta)

    def _check_filtered_delta(self, d: ChatDelta, meta: Any) -> None:
        if self.raise_on_content_filter and d.finish_reason == "content_filter":
            from shared_core.wire.diagnose import completion_filtered_error

            choice = Choice(
                index=d.choice_index,
                role="assistant",
                content=d.content,
                finish_reason=d.finish_reason,
                content_filter_results=d.content_filter_results,
            )
            raise completion_filtered_error(choice, meta)

    def _chat_result(self, result: ChatResult) -> ChatResponse:
        self._note_model(result.model)
        self._check_filtered(result.choices[0] if result.choices else None, result)
        return chat_response(result, str((self.audio_config or {}).get("format") or "wav"))

    def _completion_result(self, result: ChatResult) -> CompletionResponse:
        self._note_model(result.model)
        self._check_filtered(result.choices[0] if result.choices else None, result)
        return completion_response(result)

    _to_completion = staticmethod(chat_to_completion)

    @staticmethod
    def _prompt_messages(prompt: Any) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt_text(prompt))]

    # -- sync --------------------------------------------------------------------------------

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        req, opts = chat_request(self, messages, False, kwargs)
        return self._chat_result(
            self._client().chat(req, timeout=opts.timeout, headers=opts.headers, params=opts.params)
        )

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        req, opts = chat_request(self, messages, True, kwargs)
        client = self._client()

        def gen() -> ChatResponseGen:
            state = ChatStreamState()
            for d in client.stream_chat(req, timeout=opts.timeout, headers=opts.headers, params=opts.params):
                if d.model:
                    self._note_model(d.model)
                response = state.feed(d)
                if d.finish_reason == "content_filter":
                    self._check_filtered_delta(d, state.meta)
                yield response

        return gen()

    def _complete(self, prompt: str, **kwargs: Any) -> CompletionResponse:
        req, opts = completion_request(self, prompt_text(prompt), False, kwargs)
        return self._completion_result(
            self._client().complete(req, timeout=opts.timeout, headers=opts.headers, params=opts.params)
        )

    def _stream_complete(self, prompt: str, **kwargs: Any) -> CompletionResponseGen:
        req, opts = completion_request(self, prompt_text(prompt), True, kwargs)
        client = self._client()

        def gen() -> CompletionResponseGen:
            state = CompletionStreamState()
            for d in client.stream_complete(req, timeout=opts.timeout, headers=opts.headers, params=opts.params):
                yield state.feed(d)

        return gen()

    @checked_messages
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if self._use_chat(kwargs):
            return self._chat(messages, **kwargs)
        from llama_index.core.base.llms.generic_utils import completion_to_chat_decorator

        return completion_to_chat_decorator(self._complete)(messages, **kwargs)

    @checked_messages
    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        if self._use_chat(kwargs):
            return self._stream_chat(messages, **kwargs)
        from llama_index.core.base.llms.generic_utils import stream_completion_to_chat_decorator

        return stream_completion_to_chat_decorator(self._stream_complete)(messages, **kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if self._use_chat(kwargs):
            return self._to_completion(self._chat(self._prompt_messages(prompt), **kwargs))
        return self._complete(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        if self._use_chat(kwargs):
            chunks = self._stream_chat(self._prompt_messages(prompt), **kwargs)
            return (self._to_completion(r) for r in chunks)
        return self._stream_complete(prompt, **kwargs)

    # -- async -------------------------------------------------------------------------------

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        req, opts = chat_request(self, messages, False, kwargs)
        return self._chat_result(
            await self._client().achat(req, timeout=opts.timeout, headers=opts.headers, params=opts.params)
        )

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        req, opts = chat_request(self, messages, True, kwargs)
        client = self._client()

        async def gen() -> ChatResponseAsyncGen:
            state = ChatStreamState()
            async for d in client.astream_chat(req, timeout=opts.timeout, headers=opts.headers, params=opts.params):
                if d.model:
                    self._note_model(d.model)
                response = state.feed(d)
                if d.finish_reason == "content_filter":
                    self._check_filtered_delta(d, state.meta)
                yield response

        return gen()

    async def _acomplete(self, prompt: str, **kwargs: Any) -> CompletionResponse:
        req, opts = completion_request(self, prompt_text(prompt), False, kwargs)
        result = await self._client().acomplete(req, timeout=opts.timeout, headers=opts.headers, params=opts.params)
        return self._completion_result(result)

    async def _astream_complete(self, prompt: str, **kwargs: Any) -> CompletionResponseAsyncGen:
        req, opts = completion_request(self, prompt_text(prompt), True, kwargs)
        client = self._client()

        async def gen() -> CompletionResponseAsyncGen:
            state = CompletionStreamState()
            async for d in client.astream_complete(req, timeout=opts.timeout, headers=opts.headers, params=opts.params):
                yield state.feed(d)

        return gen()

    @achecked_messages
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if self._use_chat(kwargs):
            return await self._achat(messages, **kwargs)
        from llama_index.core.base.llms.generic_utils import acompletion_to_chat_decorator

        return await acompletion_to_chat_decorator(self._acomplete)(messages, **kwargs)

    @achecked_messages
    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        if self._use_chat(kwargs):
            return await self._astream_chat(messages, **kwargs)
        from llama_index.core.base.llms.generic_utils import astream_completion_to_chat_decorator

        return await astream_completion_to_chat_decorator(self._astream_complete)(messages, **kwargs)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if self._use_chat(kwargs):
            return self._to_completion(await self._achat(self._prompt_messages(prompt), **kwargs))
        return await self._acomplete(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        if self._use_chat(kwargs):
            chunks = await self._astream_chat(self._prompt_messages(prompt), **kwargs)

            async def gen() -> CompletionResponseAsyncGen:
                async for r in chunks:
                    yield self._to_completion(r)

            return gen()
        return await self._astream_complete(prompt, **kwargs)

    # -- tools -------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` kwargs for a tool-calling turn.

        ``allow_parallel_tool_calls`` (``False`` unless set) is sent as ``parallel_tool_calls`` as the
        anchor sends it, but only where the model family takes it: the core's rule
        (``shared_core.wire.models.accepts_parallel_tool_calls``; the o-series answer 400 even for
        ``False``, and the anchor leaves it out for them too)."""
        specs = tool_specs(llm_tools(tools), strict=self.strict if strict is None else strict)
        messages = chat_messages(chat_history or [])
        message = user_message(user_msg)
        if message is not None:
            messages.append(message)
        out: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            names = [s["function"]["name"] for s in specs if s.get("type") == "function"]
            out["tools"] = specs
            out["tool_choice"] = tool_choice_for(tool_choice, tool_required, names)
            # the adapter's default, sent only where the model family takes it (the core decides)
            out["parallel_tool_calls_if_supported"] = allow_parallel_tool_calls
        return out

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            single_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Every tool call in the response, arguments parsed leniently (partial JSON is fine).

        When a call is required (``error_on_no_tool_call``) and Azure's content filter stopped the
        completion, raises ``ContentFilterError``: any call in it is cut short."""
        return tool_selections(response, error_on_no_tool_call=error_on_no_tool_call)
