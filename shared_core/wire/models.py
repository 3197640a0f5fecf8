"""Model families: what each OpenAI model on Azure accepts and how large it is.

``profile_for(model, deployment)`` never raises. It recognises OpenAI's spellings and Azure's
(``gpt-35-turbo``, ``gpt-4o-2024-08-06``, ``gpt-4.1`` or ``gpt-41``), also inside deployment
names such as ``prod-gpt-4o-mini``. The ``model`` argument wins over the deployment name; when
neither is recognised the documented default applies (``UNKNOWN_FAMILY``): a chat model with a
128k context window, tools, parallel tool calls, vision and json_schema, sampling parameters
accepted and the ``system`` role. Unknown names therefore never block a call (LlamaIndex raises
``Unknown model``); at worst Azure answers 400 and the diagnosis says what to change.

Numbers are the published context windows / output limits of each family.

``parallel_tool_calls``: the o-series (o1, o3-mini, o3, o4-mini, codex-mini) reject the parameter
with a 400 even when it is ``false`` ("Unsupported parameter: 'parallel_tool_calls' is not
supported with this model."); Azure's reasoning-models page lists "Parallel Tool Calls" as
unsupported for every o-series model and, for gpt-5, "not supported when ``reasoning_effort`` is
``minimal``" (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/reasoning; the 400 is
quoted in langchain-ai/langchain#29704 for o3-mini and evalstate/fast-agent#279 for o4-mini).

``stop``: the o-series and gpt-5 up to gpt-5.4 reject it ("Unsupported parameter: 'stop' is not
supported with this model.", Azure's answer quoted in MaartenGr/BERTopic#2423 and
OpenHands/software-agent-sdk#1062); gpt-5.5 and later accept it again (BerriAI/litellm#28650).

Sampling on reasoning models: ``temperature``, ``top_p``, ``presence_penalty``,
``frequency_penalty``, ``logit_bias``, ``logprobs`` and ``top_logprobs`` are refused by every
reasoning family (Learn how-to/reasoning, "Not supported"), except that gpt-5.1 and gpt-5.2 take
``temperature``, ``top_p`` and ``logprobs`` (``top_logprobs`` goes with it) when
``reasoning_effort`` is ``none``: OpenAI's "Using GPT-5.2" guide, "GPT-5.2 parameter compatibility"
(developers.openai.com/api/docs/guides/latest-model: "only supported when using GPT-5.2 with
reasoning effort set to none ... Requests to GPT-5.2 or GPT-5.1 with any other reasoning effort
setting, or to older GPT-5 models ... will raise an error"; for gpt-5.1 also vercel/ai#10932 and
BerriAI/litellm#17011). The guide names ``none`` as gpt-5.2's default, but only an explicit
``none`` counts here: no Azure source says an unset effort takes sampling parameters.

Pre-chat model names (``text-davinci-003``, ``davinci-002``, ``babbage-002``, ``text-curie-001``,
``code-davinci-002``, ...) are completions-only (``chat=False``), like ``gpt-35-turbo-instruct``:
adapters route them to ``/completions``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

UNKNOWN_FAMILY = "unknown"


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """Capabilities of one model family. ``name`` is the name that was recognised."""

    name: str
    family: str
    reasoning: bool
    chat: bool
    context_window: int
    max_output: int
    supports_json_schema: bool
    supports_tools: bool
    supports_parallel_tool_calls: bool
    supports_vision: bool
    supports_temperature: bool
    system_role: Literal["system", "developer"]
    supports_pdf_input: bool = False
    supports_audio_input: bool = False
    supports_streaming: bool = True

    @property
    def known(self) -> bool:
        """False for ``DEFAULT_PROFILE`` (neither name was recognised)."""
        return self.family != UNKNOWN_FAMILY

    @property
    def display_name(self) -> str:
        """The family as OpenAI spells it in prose: ``GPT-4o``, ``o3-mini``."""
        return self.family.replace("gpt-35", "gpt-3.5").replace("gpt-", "GPT-", 1)


def _chat(
    family: str,
    context: int,
    output: int,
    *,
    json_schema: bool = True,
    tools: bool = True,
    parallel: bool = True,
    vision: bool = True,
) -> ModelProfile:
    return ModelProfile(
        "",
        family,
        False,
        True,
        context,
        output,
        json_schema,
        tools,
        parallel,
        vision,
        True,
        "system",
        supports_pdf_input=vision,
    )


def _reasoning(
    family: str,
    context: int,
    output: int,
    *,
    json_schema: bool = True,
    tools: bool = True,
    parallel: bool = True,
    vision: bool = True,
    streaming: bool = True,
) -> ModelProfile:
    return ModelProfile(
        "",
        family,
        True,
        True,
        context,
        output,
        json_schema,
        tools,
        parallel,
        vision,
        False,
        "developer",
        supports_pdf_input=vision,
        supports_streaming=streaming,
    )


def _other(family: str, context: int = 0, output: int = 0) -> ModelProfile:
    return ModelProfile("", family, False, False, context, output, False, False, False, False, False, "system")


#: Default for names we do not recognise (documented in the module docstring).
DEFAULT_PROFILE = _chat(UNKNOWN_FAMILY, 128_000, 16_384)

# Ordered: the first pattern that matches wins, so specific names come before their prefixes.
# Each pattern is matched against a normalised name (lower case, "gpt-3.5" -> "gpt-35") and must
# sit between non-alphanumeric boundaries, so "gpt-4" does not match "gpt-4o".
_TABLE: tuple[tuple[str, ModelProfile], ...] = (
    # embeddings, images, audio first: their names contain chat family names (gpt-4o-mini-tts)
    (r"text-embedding-3-large", _other("embeddings", 8191)),
    (r"text-embedding-3-small", _other("embeddings", 8191)),
    (r"text-embedding-ada-002|text-embedding-ada", _other("embeddings", 8191)),
    (r"text-embedding[a-z0-9-]*", _other("embeddings", 8191)),
    (r"dall-e-[23]|gpt-image-1(?:-mini)?|gpt-image[a-z0-9-]*", _other("image")),
    (r"whisper(?:-1)?", _other("whisper")),
    (r"gpt-4o(?:-mini)?-transcribe[a-z0-9-]*", _other("whisper")),
    (r"tts-1-hd|tts-1|tts-hd|tts|gpt-4o-mini-tts[a-z0-9-]*", _other("tts")),
    # legacy completions
    (r"gpt-35-turbo-instruct|gpt-3-5-turbo-instruct", _other("gpt-35-turbo-instruct", 4097, 4096)),
    (r"babbage-002|davinci-002", _other("completions", 16_384, 4096)),
    (
        r"text-(?:davinci|curie|babbage|ada)-00\d|code-(?:davinci|cushman)-00\d"
        r"|^(?:davinci|curie|babbage|ada)$",
        _other("completions", 4097, 4096),
    ),
    # gpt-3.5
    (r"gpt-35-turbo-(?:0301|0613)", _chat("gpt-35-turbo", 4096, 4096, json_schema=False, parallel=False, vision=False)),
    (r"gpt-35-turbo-16k", _chat("gpt-35-turbo", 16_384, 4096, json_schema=False, parallel=False, vision=False)),
    (r"gpt-35-turbo", _chat("gpt-35-turbo", 16_385, 4096, json_schema=False, vision=False)),
    # gpt-4 family
    (r"gpt-4-32k", _chat("gpt-4", 32_768, 8192, json_schema=False, parallel=False, vision=False)),
    (
        r"gpt-4-turbo|gpt-4-(?:1106|0125)-preview|gpt-4-vision-preview|gpt-4-turbo-preview",
        _chat("gpt-4-turbo", 128_000, 4096, json_schema=False),
    ),
    (r"gpt-4-(?:0314|0613)|gpt-4", _chat("gpt-4", 8192, 8192, json_schema=False, parallel=False, vision=False)),
    (r"gpt-4o-mini[a-z0-9-]*", _chat("gpt-4o-mini", 128_000, 16_384)),
    (r"gpt-4o[a-z0-9-]*", _chat("gpt-4o", 128_000, 16_384)),
    (r"gpt-4\.?1-mini", _chat("gpt-4.1-mini", 1_047_576, 32_768)),
    (r"gpt-4\.?1-nano", _chat("gpt-4.1-nano", 1_047_576, 32_768)),
    (r"gpt-4\.?1", _chat("gpt-4.1", 1_047_576, 32_768)),
    (r"gpt-4\.?5(?:-preview)?", _chat("gpt-4.5", 128_000, 16_384)),
    # gpt-5: reasoning, except the -chat variants
    (r"gpt-5(?:\.?\d)?-chat[a-z0-9-]*", _chat("gpt-5-chat", 128_000, 16_384)),
    (r"gpt-5(?:\.?\d)?(?:-mini|-nano|-pro|-codex)?[a-z0-9-]*", _reasoning("gpt-5", 400_000, 128_000)),
    # o-series
    (
        r"o1-preview",
        _reasoning("o1-preview", 128_000, 32_768, json_schema=False, tools=False, parallel=False, vision=False),
    ),
    (r"o1-mini", _reasoning("o1-mini", 128_000, 65_536, json_schema=False, tools=False, parallel=False, vision=False)),
    (r"o1(?:-pro)?", _reasoning("o1", 200_000, 100_000, parallel=False)),
    (r"o3-mini", _reasoning("o3-mini", 200_000, 100_000, vision=False, parallel=False)),
    (r"o3(?:-pro|-deep-research)?", _reasoning("o3", 200_000, 100_000, parallel=False)),
    (r"o4-mini(?:-deep-research)?", _reasoning("o4-mini", 200_000, 100_000, parallel=False)),
    (r"codex-mini", _reasoning("codex-mini", 200_000, 100_000, parallel=False)),
)

_PATTERNS = tuple(
    (re.compile(r"(?<![a-z0-9.])(?:" + pattern + r")(?![a-z0-9.])"), profile) for pattern, profile in _TABLE
)


def _normalise(name: str) -> str:
    n = name.strip().lower().replace("_", "-")
    # strip provider prefixes ("azure/gpt-4o", "openai:gpt-4o")
    for sep in ("/", ":"):
        if sep in n:
            n = n.rsplit(sep, 1)[-1]
    return n.replace("gpt-3.5", "gpt-35").replace("gpt3.5", "gpt-35")


@lru_cache(maxsize=512)
def _match(name: str) -> ModelProfile | None:
    n = _normalise(name)
    if not n:
        return None
    for pattern, profile in _PATTERNS:
        if pattern.search(n):
            return replace(profile, name=name)
    return None


@lru_cache(maxsize=512)
def profile_for(model: str | None, deployment: str | None = None) -> ModelProfile:
    """The profile for ``model``, else for the deployment's name, else ``DEFAULT_PROFILE``."""
    for candidate in (model, deployment):
        if candidate:
            found = _match(candidate)
            if found is not None:
                return found
    return replace(DEFAULT_PROFILE, name=model or deployment or UNKNOWN_FAMILY)


def accepts_parallel_tool_calls(profile: ModelProfile, reasoning_effort: str | None = None) -> bool:
    """Whether the family takes ``parallel_tool_calls`` (sources in the module docstring)."""
    if not profile.supports_parallel_tool_calls:
        return False
    return not (profile.reasoning and reasoning_effort == "minimal")


_GPT5_MINOR = re.compile(r"gpt-5\.?(\d+)")  # gpt-5.5, and Azure's dotless gpt-55


def _gpt5_minor(profile: ModelProfile) -> int | None:
    minor = _GPT5_MINOR.search(_normalise(profile.name))
    return int(minor.group(1)) if minor is not None else None


def accepts_stop(profile: ModelProfile) -> bool:
    """Whether the family takes ``stop`` (sources in the module docstring)."""
    if not profile.reasoning:
        return True
    minor = _gpt5_minor(profile)
    return minor is not None and minor >= 5


#: chat parameters reasoning families refuse (sources in the module docstring)
SAMPLING_PARAMETERS = (
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
)
#: the ones gpt-5.1 and gpt-5.2 take with ``reasoning_effort="none"``
_SAMPLING_AT_NO_EFFORT = frozenset({"temperature", "top_p", "logprobs", "top_logprobs"})


def accepts_sampling(profile: ModelProfile, name: str, reasoning_effort: str | None = None) -> bool:
    """Whether the family takes the sampling parameter ``name`` (one of ``SAMPLING_PARAMETERS``)
    with this ``reasoning_effort`` (sources in the module docstring). Chat and Responses share it."""
    if not profile.reasoning:
        return True
    return reasoning_effort == "none" and name in _SAMPLING_AT_NO_EFFORT and _gpt5_minor(profile) in (1, 2)


def accepts(profile: ModelProfile, name: str, reasoning_effort: str | None = None) -> bool:
    """Whether the family takes the request parameter ``name``: the one question the body builders
    ask before sending an adapter's default (``ChatRequest.defaults``). Parameters without a family
    rule are taken."""
    if name in SAMPLING_PARAMETERS:
        return accepts_sampling(profile, name, reasoning_effort)
    if name == "stop":
        return accepts_stop(profile)
    if name == "parallel_tool_calls":
        return accepts_parallel_tool_calls(profile, reasoning_effort)
    if name == "reasoning_effort":  # an unknown name may be a reasoning model our table does not know
        return profile.reasoning or profile.family == UNKNOWN_FAMILY
    return True


_EMBEDDING_DIMENSIONS = (
    ("text-embedding-3-large", 3072),
    ("text-embedding-3-small", 1536),
    ("text-embedding-ada-002", 1536),
)


def embedding_dimensions(model: str | None, deployment: str | None = None) -> int | None:
    """Native vector size of an OpenAI embedding model (by model, else deployment name)."""
    for candidate in (model, deployment):
        if candidate:
            n = _normalise(candidate)
            for name, dims in _EMBEDDING_DIMENSIONS:
                if name in n:
                    return dims
    return None


__all__ = [
    "DEFAULT_PROFILE",
    "ModelProfile",
    "SAMPLING_PARAMETERS",
    "UNKNOWN_FAMILY",
    "accepts",
    "accepts_parallel_tool_calls",
    "accepts_sampling",
    "accepts_stop",
    "embedding_dimensions",
    "profile_for",
]
