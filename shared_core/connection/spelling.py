"""How a front end (an adapter's class, the CLI) spells the core's settings in error messages.

The core formats every configuration message once, naming settings through a ``Spelling``; each
front end only supplies its map. LangChain users read ``azure_deployment='<name>'``, LlamaIndex
users ``engine='<name>'``, CLI users ``--deployment <name>``, and no one is told a keyword their
class does not have (a LangChain class takes ``deployment=`` into ``model_kwargs``).
``ConfigurationError.setting`` carries the same spelling. Environment variables (upper-case
names) are never respelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Spelling:
    """Core setting name -> the front end's name; ``None`` when the front end has no such setting.

    Keyword front ends (``flags=False``) spell unmapped settings as the core does; a command line
    (``flags=True``) has only the flags it maps.
    """

    names: Mapping[str, str | None] = field(default_factory=dict)
    flags: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))

    def __reduce__(self) -> tuple[type[Spelling], tuple[dict[str, str | None], bool]]:
        return (Spelling, (dict(self.names), self.flags))

    def has(self, setting: str) -> bool:
        """Whether the user can pass ``setting`` at all."""
        if setting.isupper():
            return True
        if setting in self.names:
            return self.names[setting] is not None
        return not self.flags

    def name(self, setting: str) -> str:
        """The user's name for ``setting`` (the core's when the front end has none)."""
        spelled = None if setting.isupper() else self.names.get(setting)
        return spelled if spelled else setting

    def kw(self, setting: str, value: str | None = None) -> str:
        """How to pass it: ``name=`` / ``name='value'``, or ``--flag`` / ``--flag value``."""
        n = self.name(setting)
        if setting.isupper():
            return n if value is None else f"{n}={value!r}"
        if self.flags and n.startswith("-"):
            return n if value is None else f"{n} {value}"
        return f"{n}=" if value is None else f"{n}={value!r}"

    def choices(self, *settings: str) -> list[str]:
        """``kw(s)`` of each setting the user can pass, in order."""
        return [self.kw(s) for s in settings if self.has(s)]


#: The core's own names (``resolve_target`` keyword arguments).
CORE = Spelling()

__all__ = ["CORE", "Spelling"]
