"""``AzureOpenAI``: a LlamaIndex ``FunctionCallingLLM`` on the azoai core.

Drop-in for ``llama_index.llms.azure_openai.AzureOpenAI``: same constructor names, aliases,
environment variables, methods, events and ``class_name()``. What changes is underneath: one
httpx-native core (one retry layer, Entra ID done right, typed errors, usage on streams) and a
``metadata`` that never raises.
"""

from __future__ import annotations

import os
import re
from typing import (
    TYPE_CHECKING, Any, AsyncGenerator, Callable, ClassVar, Dict, Generator, List, Mapping, Optional, Sequence, Type,
    Union, cast,
)

from llama_index_instrumentation import get_dispatcher
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
from shared_core.types import ChatDelta, ChatRequest, ChatResult, Choice, CompletionRequest

from ._settings import AzureConnection, drop_unpicklable, first_of
from .messages import to_wire_messages
from .responses import (
    ChatStreamState,
    CompletionStreamState,
    chat_response,
    chat_to_completion,
    completion_response,
)
from .tools import single_tool_call, tool_choice_for, tool_selections, tool_specs

if TYPE_CHECKING:
    from llama_index.core.types import Model
    from llama_index.core.prompts import PromptTemplate
    from llama_index.core.tools.types import BaseTool

    from shared_core.client import CoreClient
    from shared_core.wire.models import ModelProfile

dispatcher = get_dispatcher(__name__)

# Per-call kwargs that are ChatRequest fields; anything else goes to the body as is.
_REQUEST_FIELDS = frozenset(
    {
        "temperature", "top_p", "max_tokens", "stop", "n", "seed", "presence_penalty", "frequency_penalty",
        "logit_bias", "logprobs", "top_logprobs", "tools", "tool_choice", "parallel_tool_calls",
        "response_format", "reasoning_effort", "user",
    }
)
_COMPLETION_FIELDS = frozenset(
    {"temperature", "top_p", "max_tokens", "stop", "n", "seed", "presence_penalty", "frequency_penalty",
     "logprobs", "echo", "best_of", "suffix", "user"}
)
# LlamaIndex-internal kwargs that are not API parameters.
_NOT_SENT = frozenset({"use_chat_completions", "formatted", "stream"})
class AzureOpenAI(FunctionCallingLLM, AzureConnection):
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
            engine="my-gpt-4o",
            model="gpt-4o",
            azure_endpoint="https://my-resource.openai.azure.com/",
            api_key="...",
            api_version="2024-10-21",
        )
        print(llm.complete("Paul Graham is "))
        ```
    """

    SPELLING: ClassVar[Mapping[str, Optional[str]]] = {"deployment": "engine", "base_url": "api_base"}

    model: Optional[str] = Field(default=None, description="The model behind the deployment (capabilities only).")
    engine: Optional[str] = Field(default=None, description="The deployment name.")
    azure_deployment: Optional[str] = Field(default=None, description="Alias of engine.")
    temperature: float = Field(default=0.1, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: Optional[int] = Field(default=None, gt=0, description="Most tokens to generate.")
    logprobs: Optional[bool] = Field(default=None, description="Return token logprobs.")
    top_logprobs: int = Field(default=0, ge=0, le=20)
    additional_kwargs: Dict[str, Any] = Field(default_factory=dict, description="Merged into every request body.")
    strict: bool = Field(default=False, description="Strict mode for tool schemas.")
    reasoning_effort: Optional[str] = Field(default=None, description="none, minimal, low, medium, high, xhigh.")
    modalities: Optional[List[str]] = Field(default=None)
    audio_config: Optional[Dict[str, Any]] = Field(default=None)
    include_usage: bool = Field(default=True, description="Ask for token usage on streams.")
    raise_on_content_filter: bool = Field(
        default=False,
        description="Raise ContentFilterError when Azure filters the completion (finish_reason "
        "'content_filter'). Off by default: the response then carries finish_reason and "
        "content_filter_results in additional_kwargs.",
    )
    context_window: Optional[int] = Field(default=None, gt=0, description="Override of the context window.")
    is_chat_model: Optional[bool] = Field(default=None, description="Override: chat vs legacy completions.")
    is_function_calling_model: Optional[bool] = Field(default=None, description="Override: tool support.")

    _core: Optional["CoreClient"] = PrivateAttr(default=None)
    _http_client: Any = PrivateAttr(default=None)
    _async_http_client: Any = PrivateAttr(default=None)
    _observed_model: Optional[str] = PrivateAttr(default=None)

    def __init__(
        self,
        model: Optional[str] = None,
        engine: Optional[str] = None,
        temperature: float = 0.1,
        max_tokens: Optional[int] = None,
        additional_kwargs: Optional[Dict[str, Any]] = None,
        max_retries: int = 3,
        timeout: Any = 60.0,
        reuse_client: bool = True,
        api_key: Optional[str] = None,
        api_version: Optional[str] = None,
        api_base: Optional[str] = None,
        azure_endpoint: Optional[str] = None,
        azure_deployment: Optional[str] = None,
        azure_ad_token_provider: Optional[Callable[[], Any]] = None,
        use_azure_ad: bool = False,
        callback_manager: Optional[CallbackManager] = None,
        deployment_name: Optional[str] = None,
        deployment_id: Optional[str] = None,
        deployment: Optional[str] = None,
        http_client: Any = None,
        async_http_client: Any = None,
        system_prompt: Optional[str] = None,
        messages_to_prompt: Optional[Callable[[Sequence[ChatMessage]], str]] = None,
        completion_to_prompt: Optional[Callable[[str], str]] = None,
        pydantic_program_mode: PydanticProgramMode = PydanticProgramMode.DEFAULT,
        output_parser: Optional[BaseOutputParser] = None,
        **kwargs: Any,
    ) -> None:
        if "max_new_tokens" in kwargs:  # the anchors' deprecated spelling
            max_tokens = kwargs.pop("max_new_tokens")
        kwargs.pop("openai_client", None)
        kwargs.pop("async_openai_client", None)
        engine = first_of(engine, deployment_name, deployment_id, deployment, azure_deployment)
        if engine is None and not os.environ.get("AZURE_OPENAI_DEPLOYMENT"):
            # a pasted request URL names the deployment (as in LangChain)
            url = api_base or azure_endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
            engine = deployment_in_endpoint(url, is_base_url=bool(api_base))
            if engine is None:
                raise missing_deployment(Spelling(self.SPELLING))
        super().__init__(
            model=model,
            engine=engine,
            azure_deployment=azure_deployment,
            temperature=temperature,
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

    # -- lifecycle ---------------------------------------------------------------------------

    def _client(self) -> "CoreClient":
        core = self._core
        if core is None:
            core = self._build_core(self.engine, self._http_client, self._async_http_client)
            self._core = core
            if self.engine is None:  # resolved from AZURE_OPENAI_DEPLOYMENT
                self.engine = core.targets[0].deployment
        return core

    def close(self) -> None:
        """Close our connection pools (never a client you passed in)."""
        if self._core is not None:
            self._core.close()

    async def aclose(self) -> None:
        if self._core is not None:
            await self._core.aclose()

    def __getstate__(self) -> Dict[Any, Any]:
        return drop_unpicklable(super().__getstate__(), ("_core", "_http_client", "_async_http_client"))

    # -- metadata ----------------------------------------------------------------------------

    def _profile(self) -> "ModelProfile":
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

    def _note_model(self, model: Optional[str]) -> None:
        if model and self.model is None and self._observed_model is None:
            self._observed_model = model

    def _use_chat(self, kwargs: Dict[str, Any]) -> bool:
        flag = kwargs.pop("use_chat_completions", None)
        if flag is not None:
            return bool(flag)
        if self.is_chat_model is not None:
            return self.is_chat_model
        return self._profile().chat

    # -- request building (translation only) -------------------------------------------------

    def _chat_request(self, messages: Sequence[ChatMessage], stream: bool, kwargs: Dict[str, Any]) -> ChatRequest:
        req = ChatRequest(
            messages=to_wire_messages(messages),
            model=self.model or self._observed_model,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            reasoning_effort=self.reasoning_effort,
            stream=stream,
            include_usage=self.include_usage,
        )
        if self.logprobs:
            req.logprobs = True
            req.top_logprobs = self.top_logprobs or None
        extra: Dict[str, Any] = {}
        if self.modalities is not None:
            extra["modalities"] = self.modalities
        if self.audio_config is not None:
            extra["audio"] = self.audio_config
        params = {**self.additional_kwargs, **kwargs} if self.additional_kwargs else kwargs
        for key, value in params.items():
            if key in _REQUEST_FIELDS:
                setattr(req, key, value)
            elif key == "max_completion_tokens":
                req.max_tokens = value
            elif key == "stream_options":
                if isinstance(value, dict) and "include_usage" in value:
                    req.include_usage = bool(value["include_usage"])
            elif key not in _NOT_SENT:
                extra[key] = value
        if extra:
            req.extra_body = extra
        return req

    def _completion_request(self, prompt: str, stream: bool, kwargs: Dict[str, Any]) -> CompletionRequest:
        req = CompletionRequest(
            prompt=prompt, model=self.model or self._observed_model, temperature=self.temperature,
            max_tokens=self.max_tokens, stream=stream, include_usage=self.include_usage,
        )
        extra: Dict[str, Any] = {}
        for key, value in {**self.additional_kwargs, **kwargs}.items():
            if key in _COMPLETION_FIELDS:
                setattr(req, key, value)
            elif key == "stream_options":
                if isinstance(value, dict) and "include_usage" in value:
                    req.include_usage = bool(value["include_usage"])
            elif key not in _NOT_SENT:
                extra[key] = value
        if req.max_tokens is None:
            # Legacy /completions defaults to 16 tokens: give it the room the window leaves.
            from shared_core.wire.tokens import estimate_tokens

            req.max_tokens = max(16, self.metadata.context_window - estimate_tokens(prompt))
        if extra:
            req.extra_body = extra
        return req

    def _check_filtered(self, choice: Optional[Choice], result: Any) -> None:
        if self.raise_on_content_filter and choice is not None and choice.finish_reason == "content_filter":
            from shared_core.wire.diagnose import completion_filtered_error

            raise completion_filtered_error(choice, result.meta)

    def _check_filtered_delta(self, d: ChatDelta, meta: Any) -> None:
        if self.raise_on_content_filter and d.finish_reason == "content_filter":
            from shared_core.wire.diagnose import completion_filtered_error

            choice = Choice(
                index=d.choice_index, role="assistant", content=d.content, finish_reason=d.finish_reason,
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
    def _prompt_messages(prompt: str) -> List[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    # -- sync --------------------------------------------------------------------------------

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat_result(self._client().chat(self._chat_request(messages, False, kwargs)))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        req = self._chat_request(messages, True, kwargs)
        client = self._client()

        def gen() -> ChatResponseGen:
            state = ChatStreamState()
            for d in client.stream_chat(req):
                if d.model:
                    self._note_model(d.model)
                response = state.feed(d)
                if d.finish_reason == "content_filter":
                    self._check_filtered_delta(d, state.meta)
                yield response

        return gen()

    def _complete(self, prompt: str, **kwargs: Any) -> CompletionResponse:
        return self._completion_result(self._client().complete(self._completion_request(prompt, False, kwargs)))

    def _stream_complete(self, prompt: str, **kwargs: Any) -> CompletionResponseGen:
        req = self._completion_request(prompt, True, kwargs)
        client = self._client()

        def gen() -> CompletionResponseGen:
            state = CompletionStreamState()
            for d in client.stream_complete(req):
                yield state.feed(d)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if self._use_chat(kwargs):
            return self._chat(messages, **kwargs)
        from llama_index.core.base.llms.generic_utils import completion_to_chat_decorator

        return completion_to_chat_decorator(self._complete)(messages, **kwargs)

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
        return self._chat_result(await self._client().achat(self._chat_request(messages, False, kwargs)))

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        req = self._chat_request(messages, True, kwargs)
        client = self._client()

        async def gen() -> ChatResponseAsyncGen:
            state = ChatStreamState()
            async for d in client.astream_chat(req):
                if d.model:
                    self._note_model(d.model)
                response = state.feed(d)
                if d.finish_reason == "content_filter":
                    self._check_filtered_delta(d, state.meta)
                yield response

        return gen()

    async def _acomplete(self, prompt: str, **kwargs: Any) -> CompletionResponse:
        result = await self._client().acomplete(self._completion_request(prompt, False, kwargs))
        return self._completion_result(result)

    async def _astream_complete(self, prompt: str, **kwargs: Any) -> CompletionResponseAsyncGen:
        req = self._completion_request(prompt, True, kwargs)
        client = self._client()

        async def gen() -> CompletionResponseAsyncGen:
            state = CompletionStreamState()
            async for d in client.astream_complete(req):
                yield state.feed(d)

        return gen()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if self._use_chat(kwargs):
            return await self._achat(messages, **kwargs)
        from llama_index.core.base.llms.generic_utils import acompletion_to_chat_decorator

        return await acompletion_to_chat_decorator(self._acomplete)(messages, **kwargs)

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
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
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
        tools: Sequence["BaseTool"],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Optional[Union[str, Dict[str, Any]]] = None,
        strict: Optional[bool] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """The ``chat`` kwargs for a tool-calling turn."""
        specs = tool_specs(tools, strict=self.strict if strict is None else strict)
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        messages = list(chat_history or [])
        if user_msg is not None:
            messages.append(user_msg)
        out: Dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            names = [s["function"]["name"] for s in specs if s.get("type") == "function"]
            out["tools"] = specs
            out["tool_choice"] = tool_choice_for(tool_choice, tool_required, names)
            out["parallel_tool_calls"] = allow_parallel_tool_calls
        return out

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence["BaseTool"],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            single_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> List[ToolSelection]:
        """Every tool call in the response, arguments parsed leniently (partial JSON is fine)."""
        return tool_selections(response, error_on_no_tool_call=error_on_no_tool_call)

    # -- structured output -------------------------------------------------------------------

    def _should_use_structured_outputs(self) -> bool:
        if self.pydantic_program_mode != PydanticProgramMode.DEFAULT:
            return False
        from shared_core.wire.chat import json_schema_supported

        target = self._client().targets[0]
        return json_schema_supported(self._profile(), target.kind, target.api_version)

    def _prepare_schema(self, llm_kwargs: Optional[Dict[str, Any]], output_cls: Type["Model"]) -> Dict[str, Any]:
        from shared_core.wire.tools import response_format_for

        llm_kwargs = dict(llm_kwargs or {})
        llm_kwargs.pop("tool_choice", None)
        name = re.sub(r"[^a-zA-Z0-9_-]", "_", output_cls.__name__)[:64]
        llm_kwargs["response_format"] = response_format_for(output_cls, strict=True, name=name)
        return llm_kwargs

    @staticmethod
    def _parse_structured(output_cls: Type["Model"], response: ChatResponse) -> "Model":
        refusal = response.message.additional_kwargs.get("refusal")
        if refusal:
            raise ValueError(f"The model refused to produce a {output_cls.__name__}: {refusal}")
        return output_cls.model_validate_json(response.message.content or "")

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: Type["Model"],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> "Model":
        """Structured output through native ``json_schema`` where the deployment supports it,
        else through a forced tool call."""
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
        llm_kwargs = dict(llm_kwargs or {})
        llm_kwargs.setdefault("tool_choice", "required")
        result = super().structured_predict(output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args)
        return cast("Model", result)

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: Type["Model"],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> "Model":
        """Async ``structured_predict``."""
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
        llm_kwargs = dict(llm_kwargs or {})
        llm_kwargs.setdefault("tool_choice", "required")
        result = await super().astructured_predict(output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args)
        return cast("Model", result)

    def _structured_stream_call(
        self,
        output_cls: Type["Model"],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        if self._should_use_structured_outputs():
            from llama_index.core.program.streaming_utils import process_streaming_content_incremental

            messages = self._extend_messages(prompt.format_messages(**prompt_args))
            curr = None
            for response in self.stream_chat(messages, **self._prepare_schema(llm_kwargs, output_cls)):
                curr = process_streaming_content_incremental(response, output_cls, curr)
                yield curr
            return
        llm_kwargs = dict(llm_kwargs or {})
        llm_kwargs.setdefault("tool_choice", "required")
        yield from super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)

    async def _structured_astream_call(
        self,
        output_cls: Type["Model"],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        if self._should_use_structured_outputs():
            from llama_index.core.program.streaming_utils import process_streaming_content_incremental

            messages = self._extend_messages(prompt.format_messages(**prompt_args))
            schema_kwargs = self._prepare_schema(llm_kwargs, output_cls)

            async def gen() -> AsyncGenerator[Any, None]:
                curr = None
                async for response in await self.astream_chat(messages, **schema_kwargs):
                    curr = process_streaming_content_incremental(response, output_cls, curr)
                    yield curr

            return gen()
        llm_kwargs = dict(llm_kwargs or {})
        llm_kwargs.setdefault("tool_choice", "required")
        return await super()._structured_astream_call(output_cls, prompt, llm_kwargs, **prompt_args)

