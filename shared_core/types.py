"""Neutral request and result types shared by both adapters.

Small dataclasses with slots: they sit on the hot path of every streamed chunk, so they are
deliberately not pydantic models. Most are frozen; the per-chunk ones (``ChatDelta``,
``ToolCallDelta``, ``Choice``, ``ToolCall``) are not, because a frozen dataclass's ``__init__``
goes through ``object.__setattr__`` and cost 2.3 us per chunk against 0.5 us unfrozen: treat them
as read-only all the same. Messages travel in OpenAI's wire form (``list[dict]``),
which is the one neutral format both frameworks already convert to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]

Operation = Literal[
    "chat/completions",
    "completions",
    "embeddings",
    "audio/transcriptions",
    "audio/translations",
    "audio/speech",
    "images/generations",
    "images/edits",
    "files",
    "batches",
    "fine_tuning/jobs",
    "models",
    "responses",
]

#: Operations whose dated-API URL carries ``/deployments/{deployment}/``.
DEPLOYMENT_OPERATIONS: frozenset[str] = frozenset(
    {
        "chat/completions",
        "completions",
        "embeddings",
        "audio/transcriptions",
        "audio/translations",
        "audio/speech",
        "images/generations",
        "images/edits",
    }
)


@dataclass(slots=True)
class Attempt:
    """One HTTP attempt of a call as its routing trace records it (times in seconds)."""

    number: int
    target: str  # the configured target's name
    host: str  # host[:port] of its endpoint (never a key or query)
    started: float  # since the call began
    status: int | None = None  # None: no HTTP answer (connection error, timeout)
    region: str | None = None  # x-ms-region of the answer
    #: ok | retry | failover | refresh (new token, replayed) | fail (gave up) | abandoned (stream not read)
    outcome: str = "pending"
    reason: str | None = None  # why it was retried, failed over or given up
    wait: float = 0.0  # slept before the next attempt
    breaker: str | None = None  # the target's circuit breaker as the attempt ended (several targets only)
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON, unknown fields left out: what the adapters' metadata carry."""
        out: dict[str, Any] = {"attempt": self.number, "target": self.target, "host": self.host}
        for name in ("status", "region", "outcome", "reason", "breaker"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.wait:
            out["wait"] = round(self.wait, 3)
        out["duration"] = round(self.duration, 4)
        return out


@dataclass(slots=True)
class RoutingTrace:
    """Every attempt of one call, in order: which target, what it answered, what azoai did next."""

    operation: str
    attempts: list[Attempt] = field(default_factory=list)

    def as_list(self) -> list[dict[str, Any]]:
        return [a.as_dict() for a in self.attempts]


@dataclass(frozen=True, slots=True)
class ResponseMeta:
    """What Azure said about a response besides its body: ids, region, limits, all headers."""

    status: int
    headers: Mapping[str, str]
    request_id: str | None = None  # apim-request-id, else x-request-id
    client_request_id: str | None = None  # x-ms-client-request-id we sent
    region: str | None = None  # x-ms-region
    deployment: str | None = None  # x-ms-deployment-name
    attempts: int = 1  # HTTP attempts this call took (retries + 1)
    target: str | None = None  # name of the target (region) that answered
    url: str | None = None  # the request URL without its query (which may hold keys), for messages
    spillover_from: str | None = None  # x-ms-spillover-from-deployment: a PTU deployment's overflow served this
    routing: RoutingTrace | None = field(default=None, compare=False)  # attempts of the call (Call's)

    def facts(self, *, include_headers: bool = False) -> dict[str, Any]:
        """What both adapters put in their response metadata: ``request_id``, ``region``,
        ``azure_target`` (which configured target served), ``deployment``,
        ``spillover_from_deployment`` (the provisioned deployment whose overflow this was),
        ``ratelimit``, ``attempts`` (when retried) and ``routing`` (each attempt: target, status,
        outcome, reason, wait), each only when known; all ``headers`` on request."""
        out: dict[str, Any] = {}
        if self.request_id:
            out["request_id"] = self.request_id
        if self.region:
            out["region"] = self.region
        if self.target:
            out["azure_target"] = self.target
        if self.deployment:
            out["deployment"] = self.deployment
        if self.spillover_from:
            out["spillover_from_deployment"] = self.spillover_from
        rl = self.ratelimit
        if rl:
            out["ratelimit"] = rl
        if self.attempts > 1:
            out["attempts"] = self.attempts
        if self.routing is not None:
            out["routing"] = self.routing.as_list()
        if include_headers:
            out["headers"] = dict(self.headers)
        return out

    @property
    def ratelimit(self) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers, prefix stripped."""
        return {k[len("x-ratelimit-") :]: v for k, v in self.headers.items() if k.lower().startswith("x-ratelimit-")}


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    audio_input_tokens: int = 0
    audio_output_tokens: int = 0
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolCall:
    """A complete tool call. ``arguments`` is the raw JSON text the model produced."""

    id: str
    name: str
    arguments: str
    type: str = "function"


@dataclass(slots=True)
class ToolCallDelta:
    """A fragment of a streamed tool call; fragments with one ``index`` belong together."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str | None = None


@dataclass(slots=True)
class Choice:
    index: int
    role: str | None
    content: str | None
    finish_reason: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    refusal: str | None = None
    reasoning_content: str | None = None
    content_filter_results: Mapping[str, Any] | None = None
    logprobs: Mapping[str, Any] | None = None
    audio: Mapping[str, Any] | None = None
    annotations: tuple[Mapping[str, Any], ...] = ()
    #: legacy completions: the generated text lives here
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ChatResult:
    """A parsed chat (or legacy completions) response."""

    id: str
    model: str
    created: int
    choices: tuple[Choice, ...]
    usage: Usage | None
    system_fingerprint: str | None
    prompt_filter_results: tuple[Mapping[str, Any], ...]
    meta: ResponseMeta | None
    raw: Mapping[str, Any]
    service_tier: str | None = None

    @property
    def first(self) -> Choice:
        """The first choice. A completion filtered by Azure is still a Choice (content None)."""
        return self.choices[0]


@dataclass(slots=True)
class ChatDelta:
    """One parsed streamed chunk, flattened to its first choice (``n>1`` keeps ``choice_index``).

    Azure's first chunk (empty ``choices``, ``prompt_filter_results``) and the usage chunk
    (empty ``choices``, ``usage``) are deltas too: nothing is dropped.
    """

    id: str
    model: str
    choice_index: int = 0
    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    tool_calls: tuple[ToolCallDelta, ...] = ()
    finish_reason: str | None = None
    content_filter_results: Mapping[str, Any] | None = None
    prompt_filter_results: tuple[Mapping[str, Any], ...] = ()
    logprobs: Mapping[str, Any] | None = None
    usage: Usage | None = None
    system_fingerprint: str | None = None
    #: legacy completions stream text here
    text: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    meta: ResponseMeta | None = None  # set on the first delta of a stream only


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    vectors: list[list[float]]  # in input order
    model: str
    usage: Usage | None
    meta: ResponseMeta | None  # of the last request when batched
    requests: int = 1
    metas: tuple[ResponseMeta, ...] = ()  # of every request, in the order of their batches


@dataclass(slots=True)
class ChatRequest:
    """A chat call in neutral form. The core applies per-model-family rules when building the body.

    ``messages`` are OpenAI wire-form dicts. ``max_tokens`` is always the caller's intent; the core
    decides whether it goes on the wire as ``max_tokens`` or ``max_completion_tokens``. ``defaults``
    marks the values an adapter filled in itself (see the field).
    """

    messages: list[JSON]
    model: str | None = None  # model name, for family rules (the deployment routes the call)
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | str | None = None
    n: int | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    tools: list[JSON] | None = None
    tool_choice: str | JSON | None = None
    parallel_tool_calls: bool | None = None  # sent with tools
    response_format: JSON | None = None
    reasoning_effort: str | None = None
    user: str | None = None
    stream: bool = False
    include_usage: bool = True  # only used when stream=True
    extra_body: JSON = field(default_factory=dict)  # merged last, wins
    #: names of fields whose value is an adapter's default, not the caller's choice (LlamaIndex's
    #: temperature 0.1, structured output's parallel_tool_calls=False): the core sends each only
    #: where the model family takes it. Any other set field is the caller's and is sent as given;
    #: a family that refuses it answers 400, raised typed with the fix.
    defaults: frozenset[str] = frozenset()


@dataclass(slots=True)
class CompletionRequest:
    """A legacy ``/completions`` call (gpt-35-turbo-instruct style deployments)."""

    prompt: str | list[str]
    model: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | str | None = None
    n: int | None = None
    logprobs: int | None = None
    echo: bool | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    best_of: int | None = None
    suffix: str | None = None
    user: str | None = None
    stream: bool = False
    include_usage: bool = True
    extra_body: JSON = field(default_factory=dict)
