"""The ``azoai demo`` command: its arguments, the run over the chosen frameworks, and failure reports."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

from azoai_app.data import load_corpus
from azoai_app.demo.corpus import chunk_corpus
from azoai_app.demo.report import Console, print_table
from azoai_app.demo.settings import resolve_settings
from azoai_app.demo.steps import Runner, WireMeter
from shared_core._lazy import install_hint
from shared_core.errors import AzureOpenAIError

_LABELS = {"langchain": "LangChain (langchain_azoai)", "llamaindex": "LlamaIndex (llamaindex_azoai)"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="azoai demo",
        description=(
            "RAG over a small shipped corpus, a tool-calling agent and structured output, through "
            "LangChain and LlamaIndex. Runs against a local emulator started in-process unless "
            "AZURE_OPENAI_ENDPOINT is set."
        ),
    )
    p.add_argument("--framework", choices=("langchain", "llamaindex", "both"), default="both",
                   help="which framework to run the steps through (default: both)")  # fmt: skip
    p.add_argument("--auth", choices=("key", "managed", "workload", "entra", "cli", "default"), default=None,
                   help="how to authenticate to a real resource: key (AZURE_OPENAI_API_KEY, the default), "
                        "managed identity, workload identity, entra (service principal from AZURE_TENANT_ID, "
                        "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), the Azure CLI, or DefaultAzureCredential")  # fmt: skip
    p.add_argument("--chat-deployment", default=None, help="env AZURE_OPENAI_CHAT_DEPLOYMENT")
    p.add_argument("--embedding-deployment", default=None, help="env AZURE_OPENAI_EMBEDDING_DEPLOYMENT")
    p.add_argument("--chat-model", default=None, help="model behind the chat deployment (default: its name)")
    p.add_argument("--api-version", default=None, help="env AZURE_OPENAI_API_VERSION / OPENAI_API_VERSION")
    p.add_argument(
        "--emulator", action="store_true", help="use the local emulator even if AZURE_OPENAI_ENDPOINT is set"
    )
    p.add_argument("--verbose", action="store_true", help="show tracebacks on failure")
    return p


def azure_error(exc: BaseException) -> AzureOpenAIError | None:
    """Our typed error in ``exc``'s cause/context chain (frameworks sometimes wrap it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, AzureOpenAIError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def missing_package_detail(exc: ImportError, framework: str | None, chosen: str) -> str:
    """What to install when a package is missing: the extra of the framework whose steps need it."""
    text = str(exc)
    if 'pip install "azoai[' in text:  # our own check already named the extra
        return text
    if framework is None:  # before any framework ran: the emulator or an identity package
        return f"{text}. Install what the demo needs with: {install_hint('langchain,llamaindex')}"
    other = "llamaindex" if framework == "langchain" else "langchain"
    alternative = f" (or run only the other one: --framework {other})" if chosen == "both" else ""
    return f"{text}. The demo's {framework} steps need: {install_hint(framework)}{alternative}"


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the demo. Returns the process exit code (0 when every step succeeded)."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    console = Console(out or sys.stdout)
    started = time.perf_counter()
    cleanups: list[Callable[[], None]] = []
    runner: Runner | None = None
    framework: str | None = None
    if not args.verbose:
        # azure-identity logs each failed credential to stderr; our error already says it, once.
        identity_log = logging.getLogger("azure.identity")
        level = identity_log.level
        identity_log.setLevel(logging.CRITICAL)
        cleanups.append(lambda: identity_log.setLevel(level))
    try:
        console.line("azoai demo: RAG, a tool-calling agent and structured output through LangChain and LlamaIndex")
        console.line()
        settings = resolve_settings(args, dict(os.environ), console, cleanups)
        meter = WireMeter()
        cleanups.append(meter.close)
        runner = Runner(console, meter)
        console.line(
            f"Chat deployment: {settings.chat_deployment}  |  embedding deployment: "
            f"{settings.embedding_deployment}  |  api-version: {settings.api_version}"
        )
        docs = load_corpus()
        chunks = chunk_corpus(docs)
        console.line(
            f"Corpus: {len(docs)} documents about Verdant Hub, a fictional greenhouse controller ({len(chunks)} chunks)"
        )
        frameworks = ("langchain", "llamaindex") if args.framework == "both" else (args.framework,)
        for framework in frameworks:
            console.section(_LABELS[framework])
            if framework == "langchain":
                from azoai_app.demo.with_langchain import run_langchain as run
            else:
                from azoai_app.demo.with_llamaindex import run_llamaindex as run
            run(settings, runner, chunks)
        framework = None
        print_table(console, runner.results, time.perf_counter() - started)
        return 0
    except KeyboardInterrupt:
        console.line("\ninterrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the demo's job is to explain any failure
        console.line()
        err = azure_error(exc)
        where = ""
        if runner is not None and runner.results and not runner.results[-1].ok:
            failed = runner.results[-1]
            where = f" in {failed.framework} step '{failed.name}'"
        if err is not None:
            headline, detail = type(err).__name__, err.message
        elif isinstance(exc, ImportError):
            headline, detail = type(exc).__name__, missing_package_detail(exc, framework, args.framework)
        else:
            headline, detail = f"unexpected {type(exc).__name__}", str(exc)
        console.line(f"error{where}: {headline}")
        console.wrapped("  ", detail)
        if args.verbose:
            console.line()
            console.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        else:
            console.line("(run with --verbose for the traceback)")
        return 1
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception:  # noqa: BLE001 - cleanup must not hide the real outcome
                pass


__all__ = ["build_parser", "main"]
