"""Issue 10 for the LlamaIndex adapter: one annotation style (PEP 604); module sizes: tests/test_module_size.py."""

from __future__ import annotations

import re
from pathlib import Path

import llamaindex_azoai

PACKAGE = Path(llamaindex_azoai.__file__).parent
OLD_STYLE = re.compile(r"(?<![\w.])(?:Optional|Union|List|Dict|Type)\[")


def test_annotations_are_pep_604() -> None:
    old = {p.name: OLD_STYLE.findall(p.read_text()) for p in PACKAGE.glob("*.py") if p.name != "_settings.py"}
    assert {name: hits for name, hits in old.items() if hits} == {}
