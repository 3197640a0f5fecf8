"""Deployments for tests written against the emulator's former defaults.

The emulator deploys today's models only (gpt-5.2, gpt-5-mini, model-router, ...). Tests about
legacy behaviour (gpt-4o's sampling, o3-mini's refusals, legacy completions, dall-e-3, whisper,
tts) configure those deployments explicitly, still answering although Azure retired them
(``serve_retired``), next to today's set.
"""

from __future__ import annotations

from shared_core.emulator import Deployment, default_deployments, legacy_deployments


def with_legacy() -> dict[str, Deployment]:
    """Today's default deployments plus the former defaults (gpt-4o, gpt-4o-mini, o3-mini, ...)."""
    return default_deployments() | legacy_deployments()
