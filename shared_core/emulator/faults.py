"""Fault injection: which request fails, and how, decided deterministically.

Faults are set per instance (``None``) or per deployment, from the config or at runtime through
``POST /_emulator/faults``. Counters are per scope, so "every 3rd request to gpt-4o" means the
3rd, 6th, ... request that reached gpt-4o. ``error_rate`` draws from a ``random.Random`` seeded
from the instance seed, so a run is reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

from .config import EmulatorConfig, FaultSpec


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one request before (or while) answering it."""

    kind: str = "ok"  # ok | error | throttle | close
    status: int = 200
    retry_after: float = 0.0
    latency_ms: int = 0
    stream: FaultSpec | None = None  # stream faults in force, if any


class FaultState:
    """Live fault settings and counters for one emulator instance."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self.reset()

    def reset(self) -> None:
        self.instance: FaultSpec = replace(self._config.faults)
        self.by_deployment: dict[str, FaultSpec] = {k: replace(v) for k, v in self._config.deployment_faults.items()}
        self._counts: dict[str | None, int] = {}
        self._rng = random.Random(self._config.seed)
        self.injected: dict[str, int] = {}

    def set(self, deployment: str | None, spec: FaultSpec) -> None:
        if deployment is None:
            self.instance = spec
        else:
            self.by_deployment[deployment] = spec
        self._counts.pop(deployment, None)

    def clear(self, deployment: str | None = None) -> None:
        self.set(deployment, FaultSpec())

    def state(self) -> dict[str, Any]:
        return {
            "instance": self.instance.to_dict(),
            "deployments": {k: v.to_dict() for k, v in self.by_deployment.items() if v.active},
            "injected": dict(self.injected),
        }

    def _note(self, what: str) -> None:
        self.injected[what] = self.injected.get(what, 0) + 1

    def decide(self, deployment: str | None) -> Decision:
        """Check instance faults, then the deployment's; the first that fires wins."""
        specs: list[tuple[str | None, FaultSpec]] = [(None, self.instance)]
        if deployment is not None and deployment in self.by_deployment:
            specs.append((deployment, self.by_deployment[deployment]))
        latency = 0
        stream: FaultSpec | None = None
        for scope, spec in specs:
            if not spec.active:
                continue
            latency = max(latency, spec.latency_ms)
            if (
                spec.stream_cut_after is not None
                or spec.stream_stall_after is not None
                or spec.stream_error_after is not None
            ):
                stream = spec
            if spec.region_down:
                self._note(f"region_down_{spec.region_down}")
                if spec.region_down == "close":
                    return Decision("close", 0, latency_ms=latency)
                return Decision("error", 503, latency_ms=latency)
            if spec.burst_429 > 0:
                spec.burst_429 -= 1
                self._note("429")
                return Decision("throttle", 429, retry_after=spec.retry_after, latency_ms=latency)
            n = self._counts.get(scope, 0) + 1
            self._counts[scope] = n
            if spec.error_every and n % spec.error_every == 0:
                self._note(str(spec.error_status))
                return Decision("error", spec.error_status, latency_ms=latency)
            if spec.error_rate and self._rng.random() < spec.error_rate:
                self._note(str(spec.error_status))
                return Decision("error", spec.error_status, latency_ms=latency)
        return Decision("ok", 200, latency_ms=latency, stream=stream)
