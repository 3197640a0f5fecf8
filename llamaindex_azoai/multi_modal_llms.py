"""``AzureOpenAIMultiModal``: the anchors' deprecated class, as a thin layer over ``AzureOpenAI``.

``AzureOpenAI`` already takes image, audio and document blocks in plain ``chat`` / ``complete``;
this class only keeps old code running: ``complete(prompt, image_documents=[...])`` (image nodes
or image blocks) and its stream / async forms. Unlike the anchor, ``image_documents`` is optional,
so ``complete(prompt)`` still works wherever an LLM is expected.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    ImageBlock,
    MessageRole,
    TextBlock,
)
from llama_index.core.llms.callbacks import llm_completion_callback

from .inputs import prompt_text
from .llms import AzureOpenAI


def _image_block(doc: Any) -> ImageBlock:
    if isinstance(doc, ImageBlock):
        return doc
    from llama_index.core.base.llms.generic_utils import image_node_to_image_block

    return image_node_to_image_block(doc)


class AzureOpenAIMultiModal(AzureOpenAI):
    """Deprecated upstream: prefer ``AzureOpenAI`` with ``ImageBlock``s in a ``ChatMessage``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("image_detail", None)  # accepted and unused by the anchor too
        warnings.warn(
            "AzureOpenAIMultiModal is deprecated: use llamaindex_azoai.AzureOpenAI with ImageBlock "
            "content blocks in ChatMessage (chat, complete and streaming all accept them).",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "azure_openai_multi_modal_llm"

    def _image_messages(self, prompt: str, image_documents: Sequence[Any] | None) -> list[ChatMessage]:
        blocks: list[TextBlock | ImageBlock] = [TextBlock(text=prompt_text(prompt))]
        blocks.extend(_image_block(d) for d in image_documents or ())
        return [ChatMessage(role=MessageRole.USER, blocks=blocks)]

    @llm_completion_callback()
    def complete(
        self,
        prompt: str,
        image_documents: Sequence[Any] | None = None,
        formatted: bool = False,
        **kwargs: Any,
    ) -> CompletionResponse:
        kwargs.pop("use_chat_completions", None)
        return self._to_completion(self._chat(self._image_messages(prompt, image_documents), **kwargs))

    @llm_completion_callback()
    def stream_complete(
        self,
        prompt: str,
        image_documents: Sequence[Any] | None = None,
        formatted: bool = False,
        **kwargs: Any,
    ) -> CompletionResponseGen:
        kwargs.pop("use_chat_completions", None)
        chunks = self._stream_chat(self._image_messages(prompt, image_documents), **kwargs)
        return (self._to_completion(r) for r in chunks)

    @llm_completion_callback()
    async def acomplete(
        self,
        prompt: str,
        image_documents: Sequence[Any] | None = None,
        formatted: bool = False,
        **kwargs: Any,
    ) -> CompletionResponse:
        kwargs.pop("use_chat_completions", None)
        return self._to_completion(await self._achat(self._image_messages(prompt, image_documents), **kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self,
        prompt: str,
        image_documents: Sequence[Any] | None = None,
        formatted: bool = False,
        **kwargs: Any,
    ) -> CompletionResponseAsyncGen:
        kwargs.pop("use_chat_completions", None)
        chunks = await self._astream_chat(self._image_messages(prompt, image_documents), **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async for r in chunks:
                yield self._to_completion(r)

        return gen()
