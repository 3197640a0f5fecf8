"""Lazy public names (PEP 562) and missing-extra checks, shared by the three packages' ``__init__``.

``import langchain_azoai`` must stay nearly free, so each package maps its public names to the
modules defining them and imports a module the first time one of its names is used. A package
whose framework is not installed says which extra to install when it is imported, instead of a
bare ``ModuleNotFoundError`` for some transitive module.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: MutableMapping[str, Any], public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``.

    ``names`` maps each lazy public name to its module, absolute or relative to ``package``
    (``".llms"``). A name is imported on first access and cached in ``namespace`` (the package's
    ``globals()``), so later lookups never reach ``__getattr__``.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(public) | set(names))

    return __getattr__, __dir__


def install_hint(extra: str) -> str:
    """The command that installs one of our extras, in the one spelling every message uses."""
    return f'pip install "azoai[{extra}]"'


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package, or a module without a spec
        return False


def require(package: str, modules: Mapping[str, str], extra: str) -> None:
    """Raise ``ModuleNotFoundError`` naming ``extra`` when a module ``package`` needs is missing.

    ``modules`` maps an importable module to the distribution that provides it (for the message).
    Only the import system's finders are asked: nothing is imported.
    """
    for module, distribution in modules.items():
        if not _installed(module):
            raise ModuleNotFoundError(
                f"{package} needs {distribution}, which is not installed (no module named {module!r}). "
                f"Install it with: {install_hint(extra)}",
                name=module,
            )


__all__ = ["install_hint", "lazy_exports", "require"]
