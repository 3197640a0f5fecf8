"""What each model behind a deployment accepts and how large it is, as Azure serves it.

The emulator's own table (it imports nothing of the client, whose model table it checks). Sources:
context windows, output limits and versions from Azure's model pages (Learn ``foundry-models/
concepts/models-sold-directly-by-azure``); parameter support from the 400s Azure answers, quoted
in ``docs/emulator-rules.md``. Lookup is by longest matching prefix of the model name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

#: ``any``: temperature/top_p accepted; ``default_only``: only the default 1 (o3, o4-mini, gpt-5,
#: answered with ``unsupported_value``); ``none``: refused outright (o1, o3-mini: ``unsupported_parameter``).
Sampling = Literal["any", "default_only", "none"]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Limits and capabilities of one model family."""

    family: str
    version: str = "1"
    context_window: int = 128_000
    max_output: int = 16_384
    reasoning: bool = False
    sampling: Sampling = "any"
    penalties: bool = True  # presence/frequency penalties and logit_bias
    logprobs: bool = True
    parallel_tool_calls: bool = True
    stop: bool = True  # chat: ``stop`` accepted (refused by the o-series and gpt-5 up to 5.4)
    vision: bool = True
    efforts: tuple[str, ...] = ()  # accepted reasoning_effort values; () = parameter not accepted
    # gpt-5.1 / gpt-5.2: temperature, top_p and logprobs accepted at reasoning effort none (OpenAI's
    # "Using GPT-5.2" guide, "GPT-5.2 parameter compatibility"; vercel/ai#10932 for gpt-5.1)
    sampling_at_no_effort: bool = False
    dimensions: int | None = None  # embeddings: native size
    dimensions_option: bool = False  # embeddings: ``dimensions`` accepted
    retired: bool = False  # retired whatever the clock says (Learn: model-retirements)
    retired_since: str = ""  # retirement date (YYYY-MM-DD): retired from that day on the emulator's clock
    router: bool = False  # model-router: the response names the model that served it


_O_EFFORTS = ("low", "medium", "high")
_GPT5_EFFORTS = ("minimal", "low", "medium", "high")
# Learn (ReasoningEffort, azure ai-projects reference): "gpt-5.1 defaults to none ... supported values for
# gpt-5.1 are none, low, medium, high"; models before gpt-5.1 default to medium and don't support none;
# xhigh on models after gpt-5.1-codex-max. gpt-5.2 has no minimal (measured on Foundry: qiita
# FukuharaYohei 2026-01-18). The first value listed is the default when the request names none.
_GPT51_EFFORTS = ("none", "low", "medium", "high")
_GPT52_EFFORTS = ("none", "low", "medium", "high", "xhigh")


def _chat(family: str, version: str, context: int, output: int, **kw: object) -> ModelSpec:
    return replace(ModelSpec(family, version, context, output), **kw)  # type: ignore[arg-type]


def _reasoning(family: str, version: str, context: int, output: int, **kw: object) -> ModelSpec:
    base = ModelSpec(
        family,
        version,
        context,
        output,
        reasoning=True,
        sampling="default_only",
        penalties=False,
        logprobs=False,
        stop=False,
        efforts=_O_EFFORTS,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


# Longest prefix wins (``gpt-4o-mini`` before ``gpt-4o``). Retirement dates: anchors-2026-12.md
# ("Deprecations", from Learn model-retirements). A model is retired on and after ``retired_since``
# by the emulator's clock (so a test's ManualClock at 2026-01-01 still sees gpt-4o served, as Azure
# did then), or always when ``retired=True``; every call to it then fails as on Azure.
CATALOG: dict[str, ModelSpec] = {
    # chat
    "gpt-4o": _chat("gpt-4o", "2024-11-20", 128_000, 16_384, retired_since="2026-10-01"),
    "gpt-4o-mini": _chat("gpt-4o-mini", "2024-07-18", 128_000, 16_384),
    "gpt-4.1": _chat("gpt-4.1", "2025-04-14", 1_047_576, 32_768, retired=True, retired_since="2026-10-14"),
    "gpt-4.1-mini": _chat("gpt-4.1-mini", "2025-04-14", 1_047_576, 32_768, retired=True, retired_since="2026-10-14"),
    "gpt-4.1-nano": _chat("gpt-4.1-nano", "2025-04-14", 1_047_576, 32_768, retired=True, retired_since="2026-10-14"),
    "gpt-35-turbo": _chat("gpt-35-turbo", "0125", 16_385, 4_096, vision=False),
    "gpt-35-turbo-0301": _chat(
        "gpt-35-turbo", "0301", 4_096, 4_096, vision=False, retired=True, retired_since="2025-02-13"
    ),
    "gpt-35-turbo-0613": _chat(
        "gpt-35-turbo", "0613", 4_096, 4_096, vision=False, retired=True, retired_since="2025-02-13"
    ),
    "gpt-35-turbo-16k": _chat(
        "gpt-35-turbo-16k", "0613", 16_384, 4_096, vision=False, retired=True, retired_since="2025-04-30"
    ),
    "gpt-4": _chat("gpt-4", "0613", 8_192, 8_192, vision=False, retired=True, retired_since="2025-06-06"),
    "gpt-4-32k": _chat("gpt-4-32k", "0613", 32_768, 8_192, vision=False, retired=True, retired_since="2025-06-06"),
    "gpt-4.5-preview": _chat(
        "gpt-4.5-preview", "2025-02-27", 128_000, 16_384, retired=True, retired_since="2025-07-14"
    ),
    # reasoning
    "o1": _reasoning(
        "o1",
        "2024-12-17",
        200_000,
        100_000,
        sampling="none",
        parallel_tool_calls=False,
        retired=True,
        retired_since="2026-09-16",
    ),
    "o1-mini": _reasoning(
        "o1-mini", "2024-09-12", 128_000, 65_536, sampling="none", parallel_tool_calls=False, vision=False, retired=True
    ),
    "o1-preview": _reasoning(
        "o1-preview",
        "2024-09-12",
        128_000,
        32_768,
        sampling="none",
        parallel_tool_calls=False,
        vision=False,
        retired=True,
        retired_since="2025-07-28",
    ),
    "o3-mini": _reasoning(
        "o3-mini",
        "2025-01-31",
        200_000,
        100_000,
        sampling="none",
        parallel_tool_calls=False,
        vision=False,
        retired_since="2026-10-01",
    ),
    "o3": _reasoning("o3", "2025-04-16", 200_000, 100_000, parallel_tool_calls=False),
    "o4-mini": _reasoning(
        "o4-mini", "2025-04-16", 200_000, 100_000, parallel_tool_calls=False, retired=True, retired_since="2026-10-16"
    ),
    "gpt-5": _reasoning("gpt-5", "2025-08-07", 400_000, 128_000, efforts=_GPT5_EFFORTS),
    "gpt-5-mini": _reasoning("gpt-5-mini", "2025-08-07", 400_000, 128_000, efforts=_GPT5_EFFORTS),
    "gpt-5-nano": _reasoning("gpt-5-nano", "2025-08-07", 400_000, 128_000, efforts=_GPT5_EFFORTS),
    "gpt-5.1": _reasoning(
        "gpt-5.1", "2025-11-13", 400_000, 128_000, efforts=_GPT51_EFFORTS, sampling_at_no_effort=True
    ),
    # served today: x-ms-served-model "gpt-5.2-2025-12-11" in real traffic (azure-recordings/REPORT.md §2)
    "gpt-5.2": _reasoning(
        "gpt-5.2", "2025-12-11", 400_000, 128_000, efforts=_GPT52_EFFORTS, sampling_at_no_effort=True
    ),
    # model-router 2025-11-18 (GA): context window of its smallest model, reasoning_effort honoured.
    "model-router": _chat("model-router", "2025-11-18", 200_000, 32_768, router=True, efforts=_GPT5_EFFORTS),
    # legacy completions
    # Retired: Azure has no text-completions model left (anchors-2026-12.md: langchain PR #34021,
    # 2025-11-19; vercel/ai #20793). Served only to a deployment configured with serve_retired.
    "gpt-35-turbo-instruct": _chat("gpt-35-turbo-instruct", "0914", 4_097, 4_096, vision=False, retired=True),
    "davinci-002": _chat("davinci-002", "1", 16_384, 4_096, vision=False, retired=True, retired_since="2025-01-27"),
    "babbage-002": _chat("babbage-002", "1", 16_384, 4_096, vision=False, retired=True, retired_since="2025-01-27"),
    "text-davinci-003": _chat(
        "text-davinci-003", "1", 4_097, 4_096, vision=False, retired=True, retired_since="2024-06-14"
    ),
    # embeddings: 8,191 tokens per input
    "text-embedding-3-small": ModelSpec(
        "text-embedding-3-small", "1", 8_191, 0, dimensions=1536, dimensions_option=True
    ),
    "text-embedding-3-large": ModelSpec(
        "text-embedding-3-large", "1", 8_191, 0, dimensions=3072, dimensions_option=True
    ),
    "text-embedding-ada-002": ModelSpec("text-embedding-ada-002", "2", 8_191, 0, dimensions=1536),
    # images and audio
    "dall-e-3": ModelSpec("dall-e-3", "3.0", retired_since="2026-03-04"),
    "dall-e-2": ModelSpec("dall-e-2", "2.0", retired=True, retired_since="2025-01-27"),
    "gpt-image-1": ModelSpec("gpt-image-1", "2025-04-15"),
    "whisper": ModelSpec("whisper", "001", retired_since="2026-12-15"),
    "gpt-4o-transcribe": ModelSpec("gpt-4o-transcribe", "2025-03-20"),
    "gpt-4o-mini-transcribe": ModelSpec("gpt-4o-mini-transcribe", "2025-03-20"),
    "tts": ModelSpec("tts", "001", retired_since="2026-12-15"),
    "tts-hd": ModelSpec("tts-hd", "001", retired_since="2026-12-15"),
    "gpt-4o-mini-tts": ModelSpec("gpt-4o-mini-tts", "2025-03-20"),
}

#: Models that serve a request when the router picks them (``model-router``), by request shape. Both are
#: in the router's 2025-11-18 set and not retired (gpt-4.1-mini, the former light pick, retired 2026-10-14).
ROUTER_PICKS = {"light": ("gpt-5-nano", "2025-08-07"), "reasoning": ("gpt-5-mini", "2025-08-07")}


def takes_sampling(spec: ModelSpec, effort: Any) -> bool:
    """Whether a reasoning model takes temperature / top_p / logprobs at this ``reasoning_effort``
    (None: the model's default, the first of ``efforts``): gpt-5.1 and gpt-5.2 at ``none``."""
    if not spec.sampling_at_no_effort:
        return False
    return (effort if effort is not None else (spec.efforts or ("",))[0]) == "none"


def is_retired(spec: ModelSpec, today: str) -> bool:
    """Whether Azure has retired ``spec`` on ``today`` (``YYYY-MM-DD``)."""
    return spec.retired or bool(spec.retired_since and spec.retired_since <= today)


def spec_for(model: str) -> ModelSpec:
    """The spec of ``model`` (longest known prefix), or a permissive 128k chat spec."""
    m = model.lower()
    best = ""
    for name in CATALOG:
        if (m == name or m.startswith(name + "-")) and len(name) > len(best):
            best = name
    return CATALOG[best] if best else ModelSpec(model)
