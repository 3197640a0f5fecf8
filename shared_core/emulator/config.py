"""Emulator settings: deployments, credentials, content-filter triggers, faults, the clock.

Everything the emulator decides is a pure function of this configuration, the request and the
clock, so tests inject a :class:`ManualClock` and get the same bytes every run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from ..errors import ConfigurationError
from .catalog import CATALOG

#: The key the emulator accepts when none is configured (printed at start-up; not a secret).
DEFAULT_API_KEY = "azoai-emulator-key"
#: Token audiences accepted by default (public cloud; the ``/.default`` scope maps to this ``aud``).
DEFAULT_AUDIENCES = ("https://cognitiveservices.azure.com",)
DEFAULT_REGION = "East US"

Kind = Literal["chat", "reasoning", "completions", "embeddings", "images", "transcription", "speech"]
KINDS: tuple[str, ...] = ("chat", "reasoning", "completions", "embeddings", "images", "transcription", "speech")

Clock = Callable[[], float]


class ManualClock:
    """A clock tests move by hand: ``clock.advance(61)`` empties a one-minute rate-limit window."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True, slots=True)
class Deployment:
    """One deployment: its name (what URLs and ``model`` carry) and the model behind it."""

    name: str
    model: str
    kind: Kind
    tpm: int = 0  # tokens per minute; 0 = unlimited
    rpm: int | None = None  # requests per minute; None = Azure's 6 per 1,000 TPM
    dimensions: int | None = None  # embeddings: native size
    model_version: str = ""
    #: Keep answering although Azure has retired the model (to test code written for it); Azure never does.
    serve_retired: bool = False
    #: A provisioned (PTU) deployment: over its limit it may spill over to a standard one (Learn:
    #: spillover-traffic-management); ``spillover`` is its ``spilloverDeploymentName`` property.
    provisioned: bool = False
    spillover: str | None = None
    #: Deployment type as Azure's SKU name; "" accepts both interactive and batch traffic (the
    #: emulator's default). "globalbatch" / "datazonebatch" take batch lines only (Learn how-to/batch:
    #: invalid_request when the SKU is not a batch one); any other value refuses batch lines.
    sku: str = ""
    #: Global-batch enqueued-token quota (Learn includes/global-batch-limits); 0 = unlimited.
    enqueued_tokens: int = 0

    @property
    def requests_per_minute(self) -> int:
        """Explicit RPM, else Azure's rule of thumb (6 RPM per 1,000 TPM); 0 = unlimited."""
        if self.rpm is not None:
            return self.rpm
        return (self.tpm * 6) // 1000


def infer_kind(model: str) -> Kind:
    """The operation family of a model name, as Azure groups them."""
    m = model.lower()
    if "embedding" in m or m.startswith("text-similarity"):
        return "embeddings"
    if m.startswith(("dall-e", "gpt-image")):
        return "images"
    if m.startswith("whisper") or "transcribe" in m:
        return "transcription"
    if m.startswith("tts") or m.endswith("-tts"):
        return "speech"
    if "instruct" in m or m.startswith(("davinci", "babbage", "text-davinci")):
        return "completions"
    if re.match(r"^(o\d|gpt-5)", m):
        return "reasoning"
    return "chat"


def make_deployment(name: str, model: str | None = None, **options: Any) -> Deployment:
    """Build a deployment, inferring kind, dimensions and version from the model name."""
    model = model or name
    kind = options.pop("kind", None) or infer_kind(model)
    if kind not in KINDS:
        raise ConfigurationError(
            f"deployment {name!r}: kind {kind!r} is not one of {', '.join(KINDS)}; fix the 'kind=' option",
            setting="deployment",
        )
    default_tpm = 0 if kind in ("images", "transcription", "speech") else 1_000_000
    dims = options.pop("dimensions", None)
    if dims is None and kind == "embeddings":
        dims = (CATALOG[model].dimensions if model in CATALOG else None) or 1536
    tpm = int(options.pop("tpm", default_tpm))
    rpm_raw = options.pop("rpm", None)
    rpm = int(rpm_raw) if rpm_raw is not None else (60 if kind in ("images", "transcription", "speech") else None)
    version = str(options.pop("model_version", CATALOG[model].version if model in CATALOG else "1"))
    serve_retired = _flag(name, "serve_retired", options.pop("serve_retired", False))
    provisioned = _flag(name, "provisioned", options.pop("provisioned", False))
    spill = options.pop("spillover", None)
    sku = str(options.pop("sku", ""))
    enqueued = int(options.pop("enqueued_tokens", 0))
    if options:
        raise ConfigurationError(
            f"deployment {name!r}: unknown option(s) {sorted(options)}; use kind, tpm, rpm, dimensions, "
            "model_version, serve_retired, provisioned, spillover, sku, enqueued_tokens",
            setting="deployment",
        )
    if spill and not provisioned:
        raise ConfigurationError(
            f"deployment {name!r}: spillover applies to provisioned deployments only; add provisioned=true",
            setting="deployment",
        )
    return Deployment(
        name,
        model,
        kind,
        tpm,
        rpm,
        int(dims) if dims is not None else None,
        version,
        serve_retired=serve_retired,
        provisioned=provisioned,
        spillover=str(spill) if spill else None,
        sku=sku,
        enqueued_tokens=enqueued,
    )


def _flag(name: str, option: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise ConfigurationError(
        f"deployment {name!r}: {option}={value!r} is not a boolean; use true or false", setting="deployment"
    )


#: The former defaults: models Azure has retired (gpt-4o, o3-mini, dall-e-3 in 2026; gpt-35-turbo-instruct,
#: the last text-completions model) or retires on 2026-12-15 (whisper, tts), plus gpt-4o-mini. Not deployed
#: by default; ``--deployment NAME=MODEL`` (with ``serve_retired=true`` for a retired one) brings one back.
LEGACY_DEFAULTS = (
    "gpt-4o",
    "gpt-4o-mini",
    "o3-mini",
    "gpt-35-turbo-instruct",
    "dall-e-3",
    "whisper",
    "tts",
)
#: Models Azure serves today (anchors-2026-12.md; Learn models-sold-directly-by-azure): the default set.
CURRENT_MODELS = (
    "gpt-5.2",
    "gpt-5-mini",
    "model-router",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "gpt-image-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-tts",
)


def default_deployments() -> dict[str, Deployment]:
    """The default set, each named after its model: today's models."""
    return {n: make_deployment(n) for n in CURRENT_MODELS}


def legacy_deployments() -> dict[str, Deployment]:
    """The former defaults, still answering (``serve_retired``), for code and tests written against them."""
    return {n: make_deployment(n, serve_retired=True) for n in LEGACY_DEFAULTS}


def parse_deployment_arg(spec: str) -> Deployment:
    """Parse ``NAME=MODEL[,kind=...,tpm=...,rpm=...,dimensions=...]`` (``NAME`` alone uses NAME as model)."""
    head, _, rest = spec.partition(",")
    name, _, model = head.partition("=")
    name, model = name.strip(), model.strip()
    if not name:
        raise ConfigurationError(
            f"--deployment {spec!r}: expected NAME=MODEL[,kind=...,tpm=...,rpm=...], e.g. 'chat=gpt-4o-mini,tpm=30000'",
            setting="deployment",
        )
    opts: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigurationError(f"--deployment {spec!r}: option {item!r} must be key=value", setting="deployment")
        opts[key.strip()] = value.strip()
    try:
        return make_deployment(name, model or None, **opts)
    except ValueError as exc:
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(
            f"--deployment {spec!r}: {exc}; tpm/rpm/dimensions are integers", setting="deployment"
        ) from exc


@dataclass(slots=True)
class FaultSpec:
    """Faults for one deployment or the whole instance. All deterministic.

    ``error_every=N`` fails every Nth request with ``error_status``; ``error_rate`` fails a seeded
    pseudo-random share; ``burst_429=N`` answers the next N requests with 429; ``region_down``
    fails everything (``"503"``) or closes the connection without a response (``"close"``).
    Stream faults act after N content chunks: ``stream_cut_after`` closes the connection,
    ``stream_stall_after`` stops sending for ``stall_seconds``, ``stream_error_after`` sends an
    ``{"error": ...}`` event inside the 200 stream and ends it.
    """

    error_every: int = 0
    error_rate: float = 0.0
    error_status: int = 500
    burst_429: int = 0
    retry_after: float = 1.0
    latency_ms: int = 0
    region_down: Literal["503", "close"] | None = None
    stream_cut_after: int | None = None
    stream_stall_after: int | None = None
    stall_seconds: float = 3600.0
    stream_error_after: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultSpec:
        """Build from JSON, naming any unknown field and the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigurationError(
                f"unknown fault field(s) {sorted(unknown)}; known: {sorted(known)}", setting="faults"
            )
        spec = cls(**dict(data))
        if spec.error_status not in (500, 502, 503, 504):
            raise ConfigurationError("error_status must be 500, 502, 503 or 504", setting="faults.error_status")
        if spec.region_down not in (None, "503", "close"):
            raise ConfigurationError("region_down must be null, '503' or 'close'", setting="faults.region_down")
        return spec

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def active(self) -> bool:
        return self != FaultSpec()


DEFAULT_PROMPT_TRIGGERS = {
    "emulator-block-hate": "hate",
    "emulator-block-sexual": "sexual",
    "emulator-block-violence": "violence",
    "emulator-block-self-harm": "self_harm",
    "emulator-jailbreak": "jailbreak",
}
DEFAULT_COMPLETION_TRIGGERS = {"emulator-filter-output": "violence"}


@dataclass(slots=True)
class EmulatorConfig:
    """Everything one emulator instance (one 'region') is configured with."""

    deployments: dict[str, Deployment] = field(default_factory=default_deployments)
    api_keys: tuple[SecretStr, ...] = (SecretStr(DEFAULT_API_KEY),)
    token_audiences: tuple[str, ...] = DEFAULT_AUDIENCES
    region: str = DEFAULT_REGION
    prompt_filter_terms: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PROMPT_TRIGGERS))
    completion_filter_terms: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COMPLETION_TRIGGERS))
    faults: FaultSpec = field(default_factory=FaultSpec)
    deployment_faults: dict[str, FaultSpec] = field(default_factory=dict)
    seed: int = 0
    job_seconds: float = 2.0  # clock seconds a batch or fine-tuning job takes to finish
    background_seconds: float = 3.0  # clock seconds a background response takes (queued a third, then in progress)
    #: Batches: the share of lines that fail (decided per batch and custom_id, so a retry can pass),
    #: the seconds after which an unfinished batch expires (Azure's window is 24 h), and the input limits.
    batch_failure_rate: float = 0.0
    #: Batches: N > 0 fails the first submission of every Nth distinct line enqueued (exactly 1/N of a
    #: job's lines, chosen in enqueue order; a retried line passes): a failure count a test can name.
    batch_fail_every: int = 0
    batch_window_seconds: float = 86400.0
    batch_max_requests: int = 100_000
    batch_max_file_bytes: int = 200 * 1024 * 1024
    #: Hosts whose image URLs count as downloadable (the emulator fetches nothing; see rules_content).
    image_url_hosts: tuple[str, ...] = ()
    clock: Clock = time.time

    def with_(self, **changes: Any) -> EmulatorConfig:
        return replace(self, **changes)

    def accepts_key(self, key: str) -> bool:
        return any(_const_eq(key, k.get_secret_value()) for k in self.api_keys)


def _const_eq(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


BATCH_KEYS = (
    "batch_failure_rate",
    "batch_fail_every",
    "batch_window_seconds",
    "batch_max_requests",
    "batch_max_file_bytes",
)


def load_config_file(path: str | Path, base: EmulatorConfig | None = None) -> EmulatorConfig:
    """Read a JSON config file.

    Shape: ``{"deployments": {"NAME": {"model": "...", "kind": "...", "tpm": N, "rpm": N,
    "serve_retired": false, "provisioned": false, "spillover": "NAME"}},
    "api_keys": [...], "token_audiences": [...], "region": "...", "prompt_filter_terms": {term:
    category}, "completion_filter_terms": {...}, "faults": {...}, "deployment_faults": {"NAME":
    {...}}, "seed": N, "job_seconds": S, "background_seconds": S}``. Every key is optional.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"emulator config file {p} does not exist; check --config", setting="config") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"emulator config file {p} is not valid JSON ({exc}); fix the file", setting="config"
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"emulator config file {p} must hold a JSON object", setting="config")
    return config_from_dict(data, base)


def config_from_dict(data: Mapping[str, Any], base: EmulatorConfig | None = None) -> EmulatorConfig:
    """Apply a JSON-shaped mapping (see :func:`load_config_file`) over ``base``."""
    cfg = base or EmulatorConfig()
    known = {
        "deployments",
        "api_keys",
        "token_audiences",
        "region",
        "prompt_filter_terms",
        "completion_filter_terms",
        "faults",
        "deployment_faults",
        "seed",
        "job_seconds",
        "background_seconds",
        "image_url_hosts",
        *BATCH_KEYS,
    }
    unknown = set(data) - known
    if unknown:
        raise ConfigurationError(
            f"unknown emulator config key(s) {sorted(unknown)}; known: {sorted(known)}", setting="config"
        )
    changes: dict[str, Any] = {}
    if "deployments" in data:
        deps = {}
        for name, spec in data["deployments"].items():
            spec = dict(spec) if isinstance(spec, dict) else {"model": spec}
            deps[name] = make_deployment(name, spec.pop("model", None), **spec)
        changes["deployments"] = deps
    if "api_keys" in data:
        changes["api_keys"] = tuple(SecretStr(str(k)) for k in data["api_keys"])
    if "token_audiences" in data:
        changes["token_audiences"] = tuple(str(a) for a in data["token_audiences"])
    if "image_url_hosts" in data:
        changes["image_url_hosts"] = tuple(str(h) for h in data["image_url_hosts"])
    for key in (
        "region",
        "prompt_filter_terms",
        "completion_filter_terms",
        "seed",
        "job_seconds",
        "background_seconds",
        *BATCH_KEYS,
    ):
        if key in data:
            changes[key] = data[key]
    if "faults" in data:
        changes["faults"] = FaultSpec.from_dict(data["faults"])
    if "deployment_faults" in data:
        changes["deployment_faults"] = {k: FaultSpec.from_dict(v) for k, v in data["deployment_faults"].items()}
    return replace(cfg, **changes)


def deployments_from_args(specs: Sequence[str]) -> dict[str, Deployment]:
    """Deployments from repeated ``--deployment`` arguments, in order."""
    out: dict[str, Deployment] = {}
    for s in specs:
        d = parse_deployment_arg(s)
        out[d.name] = d
    return out


__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_AUDIENCES",
    "DEFAULT_COMPLETION_TRIGGERS",
    "DEFAULT_PROMPT_TRIGGERS",
    "DEFAULT_REGION",
    "Clock",
    "Deployment",
    "EmulatorConfig",
    "FaultSpec",
    "Kind",
    "ManualClock",
    "config_from_dict",
    "default_deployments",
    "deployments_from_args",
    "legacy_deployments",
    "infer_kind",
    "load_config_file",
    "make_deployment",
    "parse_deployment_arg",
]
