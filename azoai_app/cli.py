"""The ``azoai`` command: ``emulator``, ``demo`` and ``doctor``.

Each subcommand lives in its own module and is imported only when asked for, so ``azoai --help``
stays instant and ``azoai emulator`` never imports LangChain or LlamaIndex.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

_COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("shared_core.emulator.server", "serve the local Azure OpenAI emulator on 127.0.0.1"),
    "demo": ("azoai_app.demo", "RAG + tool-calling agent + structured output, through both frameworks"),
    "doctor": ("azoai_app.doctor", "check configuration, credentials and reachability, and explain"),
}


def _usage() -> str:
    lines = ["usage: azoai [--version] <command> [options]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in _COMMANDS.items()]
    lines += ["", "Run 'azoai <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``azoai`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if args[0] in ("-V", "--version"):
        # shared_core.__version__ is the distribution's version: pyproject.toml reads it from there.
        from shared_core import __version__

        print(f"azoai {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in _COMMANDS:
        print(f"azoai: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(_COMMANDS[name][0])
    run: Callable[[list[str]], int] = module.main
    return run(rest)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
