"""The request-rule table: one small check per thing Azure refuses, each with its documented answer.

A :class:`Rule` carries what ``docs/emulator-rules.md`` shows (what is checked, the status,
``code``, ``param`` and message Azure returns, and the source) next to the function that enforces
it, so the document is generated from this table (``python -m shared_core.emulator.ruledoc``) and
a test keeps the two equal. Rules run in registration order for their operation; the first that
fails answers the request. Rule modules register themselves on import (see :func:`load`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .catalog import ModelSpec, spec_for
from .config import Deployment, EmulatorConfig

JSON = dict[str, Any]

#: Operations a rule can apply to (``route``: before the body is read, every scoped operation).
OPS = (
    "route",
    "chat",
    "completions",
    "embeddings",
    "images",
    "speech",
    "transcription",
    "files",
    "batches",
    "responses",
    "batch_input",
)


@dataclass(slots=True)
class Ctx:
    """What a rule sees: the request body, the deployment and its model, the api-version and route style."""

    op: str
    body: JSON
    dep: Deployment
    api_version: str | None
    style: str  # "dated" or "v1"
    config: EmulatorConfig
    base_url: str = ""
    scratch: JSON = field(default_factory=dict)  # values one rule computes and a later one reuses

    @property
    def spec(self) -> ModelSpec:
        return spec_for(self.dep.model)

    def version_before(self, date: str) -> bool:
        """True on a dated api-version older than ``date`` (v1 routes serve every feature)."""
        if self.style == "v1" or not self.api_version:
            return False
        return self.api_version[:10] < date


Check = Callable[[Ctx], None]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table. ``check`` raises :class:`~.azure.AzureError` when the request breaks the rule."""

    id: str
    op: str
    what: str
    status: int
    code: str | None
    param: str | None
    message: str
    source: str
    check: Check
    stage: int = 50  # rules run by stage, then in registration order


RULES: list[Rule] = []

#: Rules kept but switched off until a client bug that makes our own test-suite send exactly this
#: request is fixed (each id names the test that fails; docs/emulator-rules.md lists them).
PENDING_CLIENT_FIXES: dict[str, str] = {}


def rule(
    id: str,
    op: str,
    *,
    what: str,
    status: int = 400,
    code: str | None,
    param: str | None,
    message: str,
    source: str,
    stage: int = 50,
) -> Callable[[Check], Check]:
    """Register the decorated check as rule ``id`` (ids are unique; order of registration is order of checking)."""
    if op not in OPS:
        raise ValueError(f"rule {id}: unknown op {op!r}")

    def deco(fn: Check) -> Check:
        if any(r.id == id for r in RULES):
            raise ValueError(f"duplicate rule id {id}")
        RULES.append(Rule(id, op, what, status, code, param, message, source, fn, stage))
        RULES.sort(key=lambda r: (OPS.index(r.op), r.stage))  # stable: registration order within a stage
        return fn

    return deco


def load() -> list[Rule]:
    """Import every rule module (registering its rules) and return the table."""
    from . import (  # noqa: F401
        rules_batch_blob,
        rules_batch_input,
        rules_chat,
        rules_chat_tools,
        rules_content,
        rules_jobs,
        rules_media,
        rules_other,
        rules_responses,
        rules_responses_tools,
        rules_schema,
    )

    return RULES


def run(op: str, ctx: Ctx) -> None:
    """Apply every enabled rule of ``op`` to the request in ``ctx``."""
    for r in load():
        if r.op == op and r.id not in PENDING_CLIENT_FIXES:
            r.check(ctx)


def enabled(rule_id: str) -> bool:
    return rule_id not in PENDING_CLIENT_FIXES
