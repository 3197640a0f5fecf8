"""Issue 10: small modules named for what they hold, no source file over about 600 lines.

Counts the lines of every ``.py`` file of the four packages (subpackages included), as the
formatter leaves them. A module that grows past the limit is split by topic, not trimmed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("shared_core", "langchain_azoai", "llamaindex_azoai", "azoai_app")
LIMIT = 600


def too_long(root: Path, packages: tuple[str, ...]) -> dict[str, int]:
    """``{path: lines}`` of every module under ``root/<package>`` longer than :data:`LIMIT`."""
    sizes = {
        p.relative_to(root).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for package in packages
        for p in (root / package).rglob("*.py")
    }
    return {name: n for name, n in sorted(sizes.items()) if n > LIMIT}


def test_every_package_has_sources() -> None:
    # a renamed package would otherwise leave the size check with nothing to look at
    for package in PACKAGES:
        assert any((REPO / package).rglob("*.py")), package


def test_no_module_over_600_lines() -> None:
    assert too_long(REPO, PACKAGES) == {}


@pytest.mark.parametrize(("lines", "expected"), [(LIMIT, {}), (LIMIT + 1, {"pkg/sub/big.py": LIMIT + 1})])
def test_the_check_counts_subpackages_and_flags_601_lines(tmp_path: Path, lines: int, expected: dict[str, int]) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "small.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "pkg" / "sub" / "big.py").write_text("x = 1\n" * lines, encoding="utf-8")
    assert too_long(tmp_path, ("pkg",)) == expected
