"""``AzureChatOpenAI``: LangChain's chat model for Azure OpenAI, on the httpx-native core."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Self,
)

from langchain_core.language_models import (
    BaseChatModel,
    LangSmithParams,
    LanguageModelInput,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils import from_env
from langchain_core.utils.utils import _build_model_kwargs, get_pydantic_field_names
from pydantic import BaseModel, ConfigDict, Field, model_validator

from langchain_azoai._convert import (
    DeltaConverter,
    choice_to_message,
    gen_chunk,
    messages_to_wire,
    model_name_with_version,
    token_usage_dict,
)
from langchain_azoai._fields import AzureConnectionFields
from shared_core.errors import ConfigurationError
from shared_core.types import ChatRequest
from shared_core.wire.models import profile_for

if TYPE_CHECKING:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.language_models import ModelProfile
    from langchain_core.tools import BaseTool

    from shared_core.types import ChatResult as CoreChatResult


class AzureChatOpenAI(AzureConnectionFields, BaseChatModel):
    """Azure OpenAI chat model: a drop-in for ``langchain_openai.AzureChatOpenAI``.

    Same field names, aliases and environment variables as langchain-openai; the wire work
    (URLs for the dated and v1 APIs, auth, retries with ``retry-after``, SSE, typed errors) is
    done by ``shared_core``. Reasoning models (o-series, gpt-5) need no special settings: the
    core maps ``max_tokens`` to ``max_completion_tokens``, drops unsupported sampling
    parameters and sends the ``developer`` role where the model family wants it.

    Example:
        ```python
        from langchain_azoai import AzureChatOpenAI

        model = AzureChatOpenAI(azure_deployment="gpt-5.2", api_version="2024-10-21")
        model.invoke([("system", "Translate to French."), ("human", "I love programming.")])
        ```

    Content filter policy (identical for ``invoke`` and ``stream``):

    * A **filtered prompt** raises ``ContentFilterError`` (``source="prompt"``, with the
      categories and severities in ``.categories``) before any output.
    * A **filtered completion** is returned, not raised: the message carries what was
      generated, ``response_metadata["finish_reason"] == "content_filter"`` and the verdicts in
      ``response_metadata["content_filter_results"]``. When streaming, these are on the final
      chunk (the worst verdict per category over the stream); Azure's
      ``prompt_filter_results`` are on the first chunk.

    Response metadata adds Azure's ``request_id``, ``region`` and ``ratelimit`` (the
    ``x-ratelimit-*`` headers) to langchain-openai's keys; ``include_response_headers=True``
    adds all headers. ``usage_metadata`` is on the message for ``invoke`` and on exactly one
    chunk when streaming.

    The Responses API (``/responses``) is used as langchain-openai's ``ChatOpenAI`` uses it:
    with ``use_responses_api=True``, or automatically for a Responses-only setting (``reasoning``,
    ``include``, ``truncation``, ``use_previous_response_id``, ``output_version="responses/v1"``),
    a built-in tool (``{"type": "code_interpreter", ...}``) or argument in the call, and a
    Responses-only model. Messages then carry ``responses/v1`` content blocks (``"v1"`` gives
    LangChain's standard blocks); ``use_previous_response_id=True`` continues a stored
    conversation, and ``store=False`` with ``include=["reasoning.encrypted_content"]`` a stateless one.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    deployment_name: str | None = Field(default=None, alias="azure_deployment")
    """The Azure deployment (env ``AZURE_OPENAI_DEPLOYMENT``; else ``model``)."""
    model_name: str | None = Field(default=None, alias="model")
    """The underlying model (e.g. ``gpt-4o``): family rules, tracing, token estimates."""
    model_version: str = ""
    """Model version appended to ``model_name`` in metadata (only if not already there)."""
    openai_api_type: str | None = Field(default_factory=from_env("OPENAI_API_TYPE", default="azure"))
    """Legacy; reported in ``lc_attributes`` only."""
    validate_base_url: bool = True
    """Accepted for compatibility; the core validates every endpoint shape."""
    temperature: float | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra body parameters for every call (unknown constructor kwargs land here)."""
    stream_usage: bool | None = None
    """Ask for token usage when streaming (default on; the core omits it for api-versions that
    predate ``stream_options``)."""
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[int, int] | None = None
    streaming: bool = False
    n: int | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    """Maximum tokens to generate; sent as ``max_completion_tokens`` where the model wants it."""
    reasoning_effort: str | None = None
    reasoning: dict[str, Any] | None = None
    """Reasoning settings, e.g. ``{"effort": "low", "summary": "auto"}`` (selects the Responses API)."""
    verbosity: str | None = None
    tiktoken_model_name: str | None = None
    """Accepted for compatibility; token counts use the core's estimate (no tiktoken)."""
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    extra_body: Mapping[str, Any] | None = None
    include_response_headers: bool = False
    disabled_params: dict[str, Any] | None = None
    """Parameters helper methods must not emit, e.g. ``{"parallel_tool_calls": None}``. By
    default the core decides from the model profile."""
    service_tier: str | None = None
    store: bool | None = None
    prompt_cache_options: dict[str, Any] | None = None
    stream_chunk_timeout: float | None = None
    """Accepted for compatibility; stalls are bounded by ``timeout`` per read."""
    http_socket_options: Any | None = Field(default=None, exclude=True)
    include: list[str] | None = None
    truncation: str | None = None
    context_management: list[dict[str, Any]] | None = None
    use_previous_response_id: bool = False
    use_responses_api: bool | None = None
    """True: the Responses API; False: Chat Completions; None: decided per call, as langchain-openai."""

    # ------------------------------------------------------------------ construction

    @model_validator(mode="before")
    @classmethod
    def build_extra(cls, values: dict[str, Any]) -> Any:
        """Unknown constructor kwargs go to ``model_kwargs`` (with a warning), as upstream."""
        return _build_model_kwargs(values, _field_names(cls))

    @model_validator(mode="after")
    def _validate_azoai_chat(self) -> Self:
        if self.n is not None and self.n < 1:
            raise ConfigurationError(f"n={self.n}: n must be at least 1.", setting="n")
        if self.n is not None and self.n > 1 and self.streaming:
            raise ConfigurationError("n must be 1 when streaming=True: set n=1 or streaming=False.", setting="n")
        if self.output_version not in (None, "v0", "v1", "responses/v1"):
            raise ConfigurationError(
                f"output_version={self.output_version!r}: use 'v0', 'v1' or 'responses/v1'.",
                setting="output_version",
            )
        if self.use_responses_api is False:
            for name in ("include", "truncation", "context_management"):
                if getattr(self, name) is not None:
                    raise ConfigurationError(
                        f"{name} is a Responses API setting and use_responses_api=False: remove one of them.",
                        setting=name,
                    )
            if self.use_previous_response_id:
                raise ConfigurationError(
                    "use_previous_response_id needs the Responses API and use_responses_api=False: remove one of them.",
                    setting="use_previous_response_id",
                )
            if self.reasoning is not None and set(self.reasoning) - {"effort"}:
                raise ConfigurationError(
                    f"reasoning={self.reasoning!r}: only 'effort' is supported on Chat "
                    f"Completions ({sorted(set(self.reasoning) - {'effort'})} need the Responses API). "
                    "Remove use_responses_api=False or use reasoning_effort='low'|'medium'|'high'.",
                    setting="reasoning",
                )
        elif self.use_responses_api is None:
            from langchain_azoai._responses_select import use_responses

            if use_responses(self, {}):
                self.use_responses_api = True  # as ChatOpenAI: visible on the instance
        return self

    def _resolve_model_profile(self) -> ModelProfile | None:
        """LangChain's model profile from the core's family table: by ``model``, else by the
        deployment's name; None when neither names a chat model the table knows."""
        p = profile_for(self.model_name, self.deployment_name or os.environ.get("AZURE_OPENAI_DEPLOYMENT") or None)
        if not (p.known and p.chat):
            return None
        return {
            "name": p.display_name,
            "max_input_tokens": p.context_window,
            "max_output_tokens": p.max_output,
            "text_inputs": True,
            "image_inputs": p.supports_vision,
            "image_url_inputs": p.supports_vision,
            "pdf_inputs": p.supports_pdf_input,
            "audio_inputs": p.supports_audio_input,
            "video_inputs": False,
            "text_outputs": True,
            "image_outputs": False,
            "audio_outputs": False,
            "video_outputs": False,
            "reasoning_output": p.reasoning,
            "tool_calling": p.supports_tools,
            "tool_choice": p.supports_tools,
            "tool_call_streaming": p.supports_tools and p.supports_streaming,
            "structured_output": p.supports_json_schema,
            "temperature": p.supports_temperature,
        }

    def _deployment_for_core(self) -> str | None:
        return self.deployment_name

    def _default_deployment_for_core(self) -> str | None:
        # as upstream: without a deployment (argument, pasted URL, env), the model names it
        return self.model_name

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """``["langchain_azoai", "chat_models"]``."""
        return ["langchain_azoai", "chat_models"]

    @property
    def lc_attributes(self) -> dict[str, Any]:
        return {
            "openai_api_type": self.openai_api_type,
            "openai_api_version": self.openai_api_version,
        }

    @property
    def model(self) -> str | None:
        """Same as ``model_name``."""
        return self.model_name

    @property
    def _llm_type(self) -> str:
        return "azure-openai-chat"

    @property
    def _default_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model_name,
            "stream": self.streaming,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "n": self.n,
            "seed": self.seed,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "logit_bias": self.logit_bias,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
            "max_completion_tokens": self.max_tokens,
            "stop": self.stop or None,
            "reasoning_effort": self.reasoning_effort,
            "verbosity": self.verbosity,
            "service_tier": self.service_tier,
            "store": self.store,
        }
        params = {k: v for k, v in params.items() if v is not None}
        if self.extra_body:
            params["extra_body"] = dict(self.extra_body)
        return {**params, **self.model_kwargs}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"azure_deployment": self.deployment_name, "model_name": self.model_name, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider="azure", ls_model_type="chat")
        override = kwargs.get("model")
        if override:
            params["ls_model_name"] = override
        elif self.model_name:
            params["ls_model_name"] = model_name_with_version(self.model_name, self.model_version) or ""
        elif self.deployment_name:
            params["ls_model_name"] = self.deployment_name
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens") or kwargs.get("max_completion_tokens") or (self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        ls_stop = stop or kwargs.get("stop") or self.stop
        if ls_stop:
            from langchain_azoai._request import check_option

            check_option("stop", ls_stop)
            params["ls_stop"] = [ls_stop] if isinstance(ls_stop, str) else list(ls_stop)
        return params

    # ------------------------------------------------------------------ request building

    def _build_request(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        stream: bool,
        kwargs: dict[str, Any],
    ) -> tuple[ChatRequest, dict[str, Any], Any]:
        """Messages + settings + per-call kwargs -> (ChatRequest, call options, parse schema).

        The rules live in ``langchain_azoai._request`` (one small function each)."""
        from langchain_azoai._request import build_request

        return build_request(self, messages_to_wire(messages), stop, stream, kwargs)

    # ------------------------------------------------------------------ results

    def _model_name(self, result: CoreChatResult) -> str | None:
        return model_name_with_version(result.model or self.model_name or self.deployment_name, self.model_version)

    def _to_chat_result(self, result: CoreChatResult, schema: Any = None) -> ChatResult:
        model_name = self._model_name(result)
        generations = []
        for choice in result.choices:
            msg = choice_to_message(
                choice, result, model_name=model_name, include_headers=self.include_response_headers
            )
            if schema is not None and choice.content and not choice.refusal:
                from langchain_azoai._structured import validate_json

                try:
                    msg.additional_kwargs["parsed"] = validate_json(schema, choice.content)
                except ValueError:
                    msg.additional_kwargs["parsed"] = None
            generations.append(
                ChatGeneration(
                    message=msg,
                    generation_info={
                        "finish_reason": choice.finish_reason,
                        **({"logprobs": dict(choice.logprobs)} if choice.logprobs else {}),
                    },
                )
            )
        llm_output: dict[str, Any] = {
            "token_usage": token_usage_dict(result.usage) if result.usage else {},
            "model_name": model_name,
            "system_fingerprint": result.system_fingerprint,
            "id": result.id,
        }
        if result.prompt_filter_results:
            llm_output["prompt_filter_results"] = [dict(p) for p in result.prompt_filter_results]
        if result.meta is not None and result.meta.routing is not None:
            llm_output["routing"] = result.meta.routing.as_list()  # on_llm_end's LLMResult.llm_output
        return ChatResult(generations=generations, llm_output=llm_output)

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        overall: dict[str, Any] = {}
        system_fingerprint = None
        model_name = None
        for output in llm_outputs:
            if not output:
                continue
            for k, v in (output.get("token_usage") or {}).items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    overall[k] = overall.get(k, 0) + v
            system_fingerprint = system_fingerprint or output.get("system_fingerprint")
            model_name = model_name or output.get("model_name")
        return {"token_usage": overall, "model_name": model_name, "system_fingerprint": system_fingerprint}

    # ------------------------------------------------------------------ calls

    def _on_responses(self, kwargs: Mapping[str, Any]) -> bool:
        """This call goes to the Responses API (langchain-openai's rule: the instance's setting,
        else a built-in tool or a Responses-only argument in the call)."""
        if self.use_responses_api is not None:
            return self.use_responses_api
        from langchain_azoai._responses_select import use_responses

        return use_responses(self, {**self.model_kwargs, **kwargs})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._on_responses(kwargs):
            from langchain_azoai import _responses_call

            return _responses_call.generate(self, messages, stop, kwargs)
        req, call, schema = self._build_request(messages, stop, False, kwargs)
        return self._to_chat_result(self._client().chat(req, **call), schema)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._on_responses(kwargs):
            from langchain_azoai import _responses_call

            return await _responses_call.agenerate(self, messages, stop, kwargs)
        req, call, schema = self._build_request(messages, stop, False, kwargs)
        return self._to_chat_result(await self._client().achat(req, **call), schema)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self._on_responses(kwargs):
            from langchain_azoai import _responses_call

            yield from _responses_call.stream(self, messages, stop, kwargs)
            return
        req, call, _ = self._build_request(messages, stop, True, kwargs)
        conv = DeltaConverter(model_version=self.model_version, include_headers=self.include_response_headers)
        for delta in self._client().stream_chat(req, **call):
            chunk = conv.feed(delta)
            if chunk is not None:
                yield gen_chunk(chunk)
        yield gen_chunk(conv.finish())

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self._on_responses(kwargs):
            from langchain_azoai import _responses_call

            async for generation in _responses_call.astream(self, messages, stop, kwargs):
                yield generation
            return
        req, call, _ = self._build_request(messages, stop, True, kwargs)
        conv = DeltaConverter(model_version=self.model_version, include_headers=self.include_response_headers)
        async for delta in self._client().astream_chat(req, **call):
            chunk = conv.feed(delta)
            if chunk is not None:
                yield gen_chunk(chunk)
        yield gen_chunk(conv.finish())

    # ------------------------------------------------------------------ tokens

    def get_num_tokens(self, text: str) -> int:
        """Estimated tokens in ``text`` (the core's documented estimate; no tiktoken)."""
        from shared_core.wire.tokens import estimate_tokens

        return estimate_tokens(text)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool] | None = None,
    ) -> int:
        """Estimated prompt tokens for ``messages`` (and tool definitions), without tiktoken."""
        from langchain_core.messages import convert_to_messages

        from shared_core.wire.tokens import estimate_message_tokens, estimate_tokens

        n = estimate_message_tokens(messages_to_wire(convert_to_messages(messages)))
        if tools:
            from langchain_azoai._tools import to_wire_tool

            n += estimate_tokens(json.dumps([to_wire_tool(t) for t in tools]))
        return n

    # ------------------------------------------------------------------ tools

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (Pydantic models, TypedDicts, functions, ``BaseTool``, dicts).

        ``tool_choice``: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (must call
        one), or a tool name. ``strict=True`` sends strict schemas. ``parallel_tool_calls`` is
        sent only when given.
        """
        from langchain_azoai._tools import (
            normalize_tool_choice,
            to_wire_tool,
            tool_names,
        )

        wire = [to_wire_tool(t, strict=strict) for t in tools]
        if tool_choice is not None and tool_choice is not False:
            kwargs["tool_choice"] = normalize_tool_choice(tool_choice, tool_names(wire))
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=wire, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        tools: list[Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answer in the shape of ``schema`` (Pydantic model, TypedDict or JSON schema).

        ``method``: ``"json_schema"`` (default; Azure structured outputs), ``"function_calling"``
        (a forced tool call) or ``"json_mode"`` (``{"type": "json_object"}``; no ``strict``).
        ``include_raw=True`` returns ``{"raw", "parsed", "parsing_error"}``.
        """
        from langchain_azoai._structured import with_structured_output

        return with_structured_output(
            self, schema, method=method, include_raw=include_raw, strict=strict, tools=tools, kwargs=kwargs
        )


def _field_names(cls: type) -> set[str]:
    cached: set[str] | None = cls.__dict__.get("_azoai_field_names")
    if cached is None:
        cached = get_pydantic_field_names(cls)
        type.__setattr__(cls, "_azoai_field_names", cached)
    return cached
