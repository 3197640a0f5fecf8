"""Issue 10 for the LlamaIndex adapter: small modules, one annotation style (PEP 604)."""

from __future__ import annotations

import re
from pathlib import Path

import llamaindex_azoai

PACKAGE = Path(llamaindex_azoai.__file__).parent
OLD_STYLE = re.compile(r"(?<![\w.])(?:Optional|Union|List|Dict|Type)\[")


def test_no_module_over_600_lines() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 600} == {}


def test_annotations_are_pep_604() -> None:
    old = {p.name: OLD_STYLE.findall(p.read_text()) for p in PACKAGE.glob("*.py") if p.name != "_settings.py"}
    assert {name: hits for name, hits in old.items() if hits} == {}
