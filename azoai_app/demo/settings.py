"""Where the demo sends its requests: the emulator it starts, or a real resource from the environment."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azoai_app.demo.report import Console

DEFAULT_CHAT_DEPLOYMENT = "gpt-5.2"
DEFAULT_EMBEDDING_DEPLOYMENT = "text-embedding-3-small"
DEFAULT_API_VERSION = "2024-10-21"


@dataclass
class DemoSettings:
    """Where the demo sends its requests and how it authenticates."""

    endpoint: str
    chat_deployment: str
    embedding_deployment: str
    chat_model: str
    api_version: str
    api_key: str | None
    auth_mode: str | None  # an Entra ID mode for the core to resolve (managed, workload, ...)
    emulator: bool

    def common_kwargs(self) -> dict[str, Any]:
        """Keyword arguments both frameworks' classes share (their Azure field names agree)."""
        kw: dict[str, Any] = {"azure_endpoint": self.endpoint, "api_version": self.api_version}
        if self.auth_mode is not None:
            kw["azure_auth_mode"] = self.auth_mode
        elif self.api_key is not None:
            kw["api_key"] = self.api_key
        return kw


def resolve_settings(
    args: argparse.Namespace, env: dict[str, str], console: Console, stack: list[Callable[[], None]]
) -> DemoSettings:
    endpoint = env.get("AZURE_OPENAI_ENDPOINT", "").strip()
    api_version = (
        args.api_version or env.get("AZURE_OPENAI_API_VERSION") or env.get("OPENAI_API_VERSION") or DEFAULT_API_VERSION
    )
    if args.emulator or not endpoint:
        from shared_core.emulator import server

        handle = server.start_in_thread()
        stack.append(handle.stop)
        key = getattr(handle, "api_key", None) or "azoai-emulator-key"
        console.line(f"Target: the local emulator, started in-process at {handle.url}")
        console.line("        (set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY or --auth to use a real resource)")
        return DemoSettings(
            endpoint=handle.url,
            chat_deployment=args.chat_deployment or DEFAULT_CHAT_DEPLOYMENT,
            embedding_deployment=args.embedding_deployment or DEFAULT_EMBEDDING_DEPLOYMENT,
            chat_model=args.chat_model or args.chat_deployment or DEFAULT_CHAT_DEPLOYMENT,
            api_version=api_version, api_key=str(key), auth_mode=None, emulator=True,
        )  # fmt: skip
    chat = args.chat_deployment or env.get("AZURE_OPENAI_CHAT_DEPLOYMENT") or env.get("AZURE_OPENAI_DEPLOYMENT")
    embed = args.embedding_deployment or env.get("AZURE_OPENAI_EMBEDDING_DEPLOYMENT")
    from shared_core.errors import ConfigurationError

    if not chat:
        raise ConfigurationError(
            "No chat deployment for the demo: AZURE_OPENAI_ENDPOINT is set, so the demo runs against "
            "that resource. Pass --chat-deployment NAME or set AZURE_OPENAI_CHAT_DEPLOYMENT (the "
            "deployment name from the Azure portal, not the model name), or pass --emulator.",
            setting="chat_deployment",
        )
    if not embed:
        raise ConfigurationError(
            "No embedding deployment for the demo: pass --embedding-deployment NAME or set "
            "AZURE_OPENAI_EMBEDDING_DEPLOYMENT (e.g. a text-embedding-3-small deployment), or pass --emulator.",
            setting="embedding_deployment",
        )
    auth = args.auth or "key"
    api_key = env.get("AZURE_OPENAI_API_KEY") if auth == "key" else None
    if auth == "key" and not api_key:
        raise ConfigurationError(
            "No credentials for the demo: AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not. "
            "Set the key, or pass --auth managed|workload|entra|cli to use a Microsoft Entra ID identity.",
            setting="api_key",
        )
    console.line(f"Target: {endpoint} (from AZURE_OPENAI_ENDPOINT), auth: {auth}")
    return DemoSettings(
        endpoint=endpoint, chat_deployment=chat, embedding_deployment=embed,
        chat_model=args.chat_model or chat, api_version=api_version, api_key=api_key,
        auth_mode=None if auth == "key" else auth, emulator=False,
    )  # fmt: skip


__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_CHAT_DEPLOYMENT",
    "DEFAULT_EMBEDDING_DEPLOYMENT",
    "DemoSettings",
    "resolve_settings",
]
