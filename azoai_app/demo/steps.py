"""Steps and what they cost: the wire meter (requests, retries, regions) and the step runner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from azoai_app.demo.report import Console, plural


@dataclass
class WireCounts:
    """What the HTTP client saw: requests sent, distinct calls, regions that answered."""

    requests: int = 0
    call_ids: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        # Every attempt of one call carries the same x-ms-client-request-id.
        return self.requests - len(set(self.call_ids)) if self.call_ids else 0


class WireMeter:
    """An ``httpx.Client`` whose event hooks count requests, retries and answering regions."""

    def __init__(self) -> None:
        self.counts = WireCounts()
        self.client = httpx.Client(
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
            timeout=httpx.Timeout(60.0, connect=10.0),
        )

    def _on_request(self, request: httpx.Request) -> None:
        self.counts.requests += 1
        call_id = request.headers.get("x-ms-client-request-id")
        if call_id:
            self.counts.call_ids.append(call_id)

    def _on_response(self, response: httpx.Response) -> None:
        region = response.headers.get("x-ms-region")
        if region:
            self.counts.regions.append(region)

    def take(self) -> WireCounts:
        """Counts since the last call, and reset."""
        counts, self.counts = self.counts, WireCounts()
        return counts

    def close(self) -> None:
        self.client.close()


@dataclass
class StepResult:
    framework: str
    name: str
    seconds: float
    prompt_tokens: int | None
    completion_tokens: int | None
    requests: int
    retries: int
    regions: tuple[str, ...]
    region_source: str
    ok: bool = True
    tokens_note: str = "not in the response metadata"

    def summary(self) -> str:
        if self.prompt_tokens is None and self.completion_tokens is None:
            tokens = f"tokens n/a ({self.tokens_note})"
        else:
            p, c = self.prompt_tokens or 0, self.completion_tokens or 0
            tokens = f"tokens {p + c:,} ({p:,} in + {c:,} out)"
        region = ", ".join(sorted(set(self.regions))) if self.regions else "n/a"
        if self.regions and self.region_source != "metadata":
            region += f" ({self.region_source})"
        return (
            f"{self.seconds:5.2f} s | {tokens} | {plural(self.requests, 'request')}, {plural(self.retries, 'retry', 'retries')}"
            f" | region {region}"
        )


class Step:
    """Collects what one step used: token usage and regions from response metadata."""

    def __init__(self) -> None:
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.regions: list[str] = []
        self.tokens_note = "not in the response metadata"

    def add_usage(self, prompt: int | None, completion: int | None) -> None:
        if prompt is None and completion is None:
            return
        self.prompt_tokens = (self.prompt_tokens or 0) + (prompt or 0)
        self.completion_tokens = (self.completion_tokens or 0) + (completion or 0)

    def add_region(self, region: object) -> None:
        if isinstance(region, str) and region:
            self.regions.append(region)


class Runner:
    """Runs steps, prints a summary line after each, and keeps them for the final table."""

    def __init__(self, console: Console, meter: WireMeter) -> None:
        self.console = console
        self.meter = meter
        self.results: list[StepResult] = []
        self.current: Step | None = None

    @contextmanager
    def step(self, framework: str, index: int, name: str, title: str) -> Iterator[Step]:
        self.console.line()
        self.console.line(f"[{index}/4] {title}")
        step = self.current = Step()
        self.meter.take()
        start = time.perf_counter()
        ok = False
        try:
            yield step
            ok = True
        finally:
            seconds = time.perf_counter() - start
            self.current = None
            wire = self.meter.take()
            regions, source = (tuple(step.regions), "metadata") if step.regions else (tuple(wire.regions), "header")
            result = StepResult(
                framework, name, seconds, step.prompt_tokens, step.completion_tokens,
                wire.requests, wire.retries, regions, source, ok, step.tokens_note,
            )  # fmt: skip
            self.results.append(result)
            if ok:
                self.console.line(f"  -> {result.summary()}")


__all__ = ["Runner", "Step", "StepResult", "WireCounts", "WireMeter"]
