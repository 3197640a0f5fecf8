"""``AzureOpenAI``: the legacy completions LLM (``gpt-35-turbo-instruct`` deployments)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.language_models.llms import BaseLLM
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_core.utils import from_env
from langchain_core.utils.utils import _build_model_kwargs, get_pydantic_field_names
from pydantic import ConfigDict, Field, model_validator

from langchain_azoai._convert import token_usage_dict
from langchain_azoai._fields import AzureConnectionFields
from shared_core.types import CompletionRequest

if TYPE_CHECKING:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.language_models import LangSmithParams

    from shared_core.types import ChatDelta
    from shared_core.types import ChatResult as CoreChatResult

_CALL_FIELDS = (
    "temperature",
    "top_p",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "best_of",
    "logprobs",
    "echo",
    "suffix",
    "user",
)


class AzureOpenAI(AzureConnectionFields, BaseLLM):
    """Azure OpenAI legacy completions (``/completions``), a drop-in for langchain-openai's.

    Example:
        ```python
        from langchain_azoai import AzureOpenAI

        llm = AzureOpenAI(azure_deployment="gpt-35-turbo-instruct")
        llm.invoke("Say hello")
        ```

    ``generation_info`` carries ``finish_reason``, ``logprobs`` and Azure's
    ``content_filter_results``; ``llm_output`` carries ``token_usage`` and ``model_name``.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    deployment_name: str | None = Field(default=None, alias="azure_deployment")
    model_name: str | None = Field(default=None, alias="model")
    openai_api_type: str | None = Field(default_factory=from_env("OPENAI_API_TYPE", default="azure"))
    validate_base_url: bool = True
    temperature: float = 0.7
    max_tokens: int = 256
    top_p: float = 1
    frequency_penalty: float = 0
    presence_penalty: float = 0
    n: int = 1
    best_of: int = 1
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    batch_size: int = 20
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    logprobs: int | None = None
    streaming: bool = False
    stream_usage: bool | None = None
    extra_body: Mapping[str, Any] | None = None
    allowed_special: Any = Field(default_factory=set)
    disallowed_special: Any = "all"
    tiktoken_model_name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def build_extra(cls, values: dict[str, Any]) -> Any:
        return _build_model_kwargs(values, get_pydantic_field_names(cls))

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_azoai", "llms"]

    @property
    def _llm_type(self) -> str:
        return "azure"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "deployment_name": self.deployment_name,
            "model_name": self.model_name,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "n": self.n,
            "best_of": self.best_of,
            **self.model_kwargs,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "azure"
        name = kwargs.get("model") or self.model_name or self.deployment_name
        if name:
            params["ls_model_name"] = name
        return params

    def _deployment_for_core(self) -> str | None:
        return self.deployment_name

    def _default_deployment_for_core(self) -> str | None:
        # as upstream: without a deployment (argument, pasted URL, env), the model names it
        return self.model_name

    def _request(
        self, prompt: str, stop: list[str] | None, stream: bool, kwargs: dict[str, Any]
    ) -> tuple[CompletionRequest, dict[str, Any]]:
        kw = {**self.model_kwargs, **kwargs}
        from langchain_azoai._request import check_option

        check_option("stop", stop)
        for name, value in kw.items():
            if name != "logprobs":  # an integer (0-5) on /completions, a bool on chat
                check_option(name, value)
        req = CompletionRequest(
            prompt=prompt,
            model=self.model_name,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            n=self.n,
            seed=self.seed,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            best_of=self.best_of if self.best_of != 1 else None,
            logprobs=self.logprobs,
            stop=stop,
            stream=stream,
        )
        for name in _CALL_FIELDS:
            if name in kw:
                setattr(req, name, kw.pop(name))
        if "max_tokens" in kw:
            req.max_tokens = kw.pop("max_tokens")
        if "stop" in kw and stop is None:
            req.stop = kw.pop("stop")
        kw.pop("stop", None)
        if self.stream_usage is not None:
            req.include_usage = self.stream_usage
        if "stream_usage" in kw:
            req.include_usage = bool(kw.pop("stream_usage"))
        call: dict[str, Any] = {}
        if kw.get("model"):
            call["model"] = kw.pop("model")
        kw.pop("model", None)
        # request options, not body fields (Azure answers 400 to unknown body fields), as on the chat model
        for option, arg in (("extra_headers", "headers"), ("extra_query", "params"), ("timeout", "timeout")):
            if kw.get(option) is not None:
                call[arg] = kw.pop(option)
            kw.pop(option, None)
        extra: dict[str, Any] = {}
        if self.logit_bias:
            extra["logit_bias"] = self.logit_bias
        extra.update(kw.pop("extra_body", None) or {})
        extra.update(kw)
        if self.extra_body:
            extra.update(self.extra_body)
        if extra:
            req.extra_body = extra
        return req, call

    def _generations(self, result: CoreChatResult) -> list[Generation]:
        gens = []
        for c in result.choices:
            info: dict[str, Any] = {
                "finish_reason": c.finish_reason,
                "logprobs": dict(c.logprobs) if c.logprobs else None,
            }
            if c.content_filter_results is not None:
                info["content_filter_results"] = dict(c.content_filter_results)
            gens.append(Generation(text=c.text or c.content or "", generation_info=info))
        return gens

    def _llm_output(self, usage: dict[str, Any], model: str | None) -> dict[str, Any]:
        return {"token_usage": usage, "model_name": model or self.model_name}

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations: list[list[Generation]] = []
        usage: dict[str, Any] = {}
        model = None
        for prompt in prompts:
            if self.streaming:
                chunks = list(self._stream(prompt, stop, run_manager, **kwargs))
                gen = _merge_chunks(chunks)
                generations.append([gen])
                continue
            req, call = self._request(prompt, stop, False, dict(kwargs))
            result = self._client().complete(req, **call)
            generations.append(self._generations(result))
            model = model or result.model
            _add_usage(usage, result)
        return LLMResult(generations=generations, llm_output=self._llm_output(usage, model))

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations: list[list[Generation]] = []
        usage: dict[str, Any] = {}
        model = None
        for prompt in prompts:
            if self.streaming:
                chunks = [c async for c in self._astream(prompt, stop, run_manager, **kwargs)]
                generations.append([_merge_chunks(chunks)])
                continue
            req, call = self._request(prompt, stop, False, dict(kwargs))
            result = await self._client().acomplete(req, **call)
            generations.append(self._generations(result))
            model = model or result.model
            _add_usage(usage, result)
        return LLMResult(generations=generations, llm_output=self._llm_output(usage, model))

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        req, call = self._request(prompt, stop, True, dict(kwargs))
        for delta in self._client().stream_complete(req, **call):
            chunk = _delta_chunk(delta)
            if chunk is None:
                continue
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        req, call = self._request(prompt, stop, True, dict(kwargs))
        async for delta in self._client().astream_complete(req, **call):
            chunk = _delta_chunk(delta)
            if chunk is None:
                continue
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _delta_chunk(delta: ChatDelta) -> GenerationChunk | None:
    text = delta.text if delta.text is not None else (delta.content or "")
    info: dict[str, Any] = {}
    if delta.finish_reason is not None:
        info["finish_reason"] = delta.finish_reason
    if delta.logprobs:
        info["logprobs"] = dict(delta.logprobs)
    if delta.content_filter_results is not None:
        info["content_filter_results"] = dict(delta.content_filter_results)
    if delta.usage is not None:
        info["token_usage"] = token_usage_dict(delta.usage)
    if not text and not info:
        return None
    return GenerationChunk(text=text, generation_info=info or None)


def _merge_chunks(chunks: list[GenerationChunk]) -> Generation:
    text = "".join(c.text for c in chunks)
    info: dict[str, Any] = {}
    for c in chunks:
        for k, v in (c.generation_info or {}).items():
            info[k] = v
    return Generation(text=text, generation_info=info or None)


def _add_usage(acc: dict[str, Any], result: CoreChatResult) -> None:
    if result.usage is None:
        return
    for k, v in token_usage_dict(result.usage).items():
        if isinstance(v, int) and not isinstance(v, bool):
            acc[k] = acc.get(k, 0) + v
