"""Legacy ``/completions`` (gpt-35-turbo-instruct deployments): body building and parsing.

The generated text is in ``Choice.text`` / ``ChatDelta.text`` (``content`` stays None), so nobody
mistakes a completion for a chat message. Azure's filter fields are kept as for chat:
``prompt_filter_results`` at the top, ``content_filter_results`` per choice.
``stream_options`` follows the same api-version rule as chat (dropped before 2024-09-01-preview).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared_core.types import ChatDelta, ChatResult, Choice, CompletionRequest, ResponseMeta
from shared_core.wire.chat import choice_index, modern_api, parse_usage, prompt_filter_results, result_of
from shared_core.wire.shape import opt_str, wrong

_FIELDS = (
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "n",
    "logprobs",
    "echo",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "best_of",
    "suffix",
    "user",
)


def build_completion_body(req: CompletionRequest, *, body_model: str | None, api_version: str | None) -> dict[str, Any]:
    """The JSON body for a legacy completion; ``extra_body`` is merged last and wins."""
    body: dict[str, Any] = {}
    if body_model:
        body["model"] = body_model
    body["prompt"] = req.prompt
    for name in _FIELDS:
        value = getattr(req, name)
        if value is not None:
            body[name] = value
    if req.stream:
        body["stream"] = True
        if req.include_usage and modern_api(api_version):
            body["stream_options"] = {"include_usage": True}
    if req.extra_body:
        body.update(req.extra_body)
    return body


def _choice(c: Mapping[str, Any]) -> Choice:
    index = choice_index(c, "choices[]")
    cfr = c.get("content_filter_results")
    if cfr is None:
        cfr = c.get("content_filter_result")
    return Choice(
        index=index,
        role=None,
        content=None,
        finish_reason=opt_str(c, "finish_reason", "choices[]"),
        content_filter_results=cfr,
        logprobs=c.get("logprobs"),
        text=opt_str(c, "text", "choices[]"),
    )


def parse_completion(data: Mapping[str, Any], meta: ResponseMeta | None) -> ChatResult:
    """A ``text_completion`` response into ``ChatResult`` (text in ``Choice.text``).

    Malformed answers raise as for chat (``chat.parse_chat``).
    """
    return result_of(data, meta, _choice, "a text completion")


def parse_completion_chunk(data: Mapping[str, Any]) -> ChatDelta:
    """One streamed ``text_completion`` chunk (first choice; empty-choices chunks kept).

    Mistyped fields raise ``ShapeError`` (the stream parser reports it with where it came from).
    """
    choices = data.get("choices")
    usage = data.get("usage")
    has_pfr = "prompt_filter_results" in data or "prompt_annotations" in data
    if not choices:
        if choices is not None and type(choices) is not list:
            raise wrong("choices", choices, "a list")
        return ChatDelta(
            id=data.get("id") or "",
            model=data.get("model") or "",
            prompt_filter_results=prompt_filter_results(data) if has_pfr else (),
            usage=parse_usage(usage) if usage else None,
            raw=data,
        )
    if type(choices) is not list:
        raise wrong("choices", choices, "a list")
    c = choices[0]
    index = choice_index(c, "choices[0]")
    cfr = c.get("content_filter_results")
    if cfr is None:
        cfr = c.get("content_filter_result")
    return ChatDelta(
        id=data.get("id") or "",
        model=data.get("model") or "",
        choice_index=index,
        text=opt_str(c, "text", "choices[0]"),
        finish_reason=opt_str(c, "finish_reason", "choices[0]"),
        content_filter_results=cfr,
        prompt_filter_results=prompt_filter_results(data) if has_pfr else (),
        logprobs=c.get("logprobs"),
        usage=parse_usage(usage) if usage else None,
        system_fingerprint=data.get("system_fingerprint"),
        raw=data,
    )


__all__ = ["build_completion_body", "parse_completion", "parse_completion_chunk"]
