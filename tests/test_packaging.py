"""Packaging: one version, the declared license shipped, metadata, the public names the README uses.

The distribution's metadata is built with setuptools' own PEP 517 hook in a temporary copy of the
sources (nothing is written into the checkout), and read back as an installer would.
"""

from __future__ import annotations

import ast
import email
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from email.message import Message
from pathlib import Path

import pytest

import shared_core

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("shared_core", "langchain_azoai", "llamaindex_azoai", "azoai_app")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def metadata(tmp_path_factory: pytest.TempPathFactory) -> Message:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("meta")
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys; from setuptools import build_meta; print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]))",
         str(out)],
        cwd=src, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    dist_info = out / proc.stdout.strip().splitlines()[-1]
    meta = email.message_from_string((dist_info / "METADATA").read_text(encoding="utf-8"))
    meta["X-Test-Dist-Info"] = str(dist_info)
    return meta


# ----------------------------------------------------------------------------------- version


def test_the_version_is_written_once() -> None:
    """pyproject reads it from ``shared_core.__version__``; no other source file spells it."""
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "shared_core.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.dev\d+)?", shared_core.__version__)
    spelled: list[str] = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value == shared_core.__version__:
                    spelled.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert spelled == ["shared_core/__init__.py:" + str(_version_line())]


def _version_line() -> int:
    for lineno, line in enumerate((REPO / "shared_core" / "__init__.py").read_text().splitlines(), 1):
        if line.startswith("__version__ = "):
            return lineno
    raise AssertionError("no __version__ in shared_core/__init__.py")


def test_built_metadata_carries_that_version(metadata: Message) -> None:
    assert metadata["Name"] == "azoai"
    assert metadata["Version"] == shared_core.__version__


def test_user_agent_carries_the_version() -> None:
    from shared_core.policy.transport import USER_AGENT

    assert USER_AGENT == f"azoai/{shared_core.__version__}"


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_azoai_version_prints_the_distribution_version(flag: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "azoai_app", flag], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"azoai {shared_core.__version__}\n", "")


def test_usage_mentions_version(capsys: pytest.CaptureFixture[str]) -> None:
    from azoai_app.cli import main

    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: azoai [--version] <command> [options]\n")


# ------------------------------------------------------------------------ license and metadata


def test_license_file_matches_the_declared_license(metadata: Message) -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) ")
    assert re.search(r"^Copyright \(c\) \d{4} azoai contributors$", text, re.M)
    # the operative sentence of the MIT license (https://opensource.org/license/mit)
    assert "Permission is hereby granted, free of charge, to any person obtaining a copy" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    shipped = Path(metadata["X-Test-Dist-Info"]) / "licenses" / "LICENSE"
    assert shipped.read_text(encoding="utf-8") == text
    # PEP 639: a license expression replaces the License :: classifiers
    assert not [c for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]


def test_classifiers(metadata: Message) -> None:
    classifiers = set(metadata.get_all("Classifier") or [])
    assert {
        "Development Status :: 3 - Alpha",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Typing :: Typed",
    } <= classifiers
    # the versions claimed are the ones requires-python admits
    claimed = sorted(
        c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert claimed == ["3.11", "3.12", "3.13"]
    assert metadata["Requires-Python"] == ">=3.11"


def test_no_made_up_project_urls(metadata: Message) -> None:
    # the project has no public home yet: metadata names none rather than a guessed address
    assert metadata.get_all("Project-URL") is None


def test_py_typed_ships_with_every_package() -> None:
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    for package in PACKAGES:
        assert "py.typed" in data[package] and (REPO / package / "py.typed").exists(), package


def test_every_package_directory_is_declared() -> None:
    """setuptools ``packages`` lists every directory holding an ``__init__.py`` (a forgotten one
    would be missing from the wheel)."""
    declared = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for package in PACKAGES
        for p in (REPO / package).rglob("__init__.py")
    }
    assert declared == found


# ------------------------------------------------------------------------------ public names


def _readme_python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", (REPO / "README.md").read_text(encoding="utf-8"), re.S | re.M)


def _readme_imports() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for block in _readme_python_blocks():
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
                found.extend((node.module, alias.name) for alias in node.names)
    return found


def test_readme_imports_are_found() -> None:
    imports = _readme_imports()
    assert ("langchain_azoai", "AzureChatOpenAI") in imports
    assert ("llamaindex_azoai", "AzureOpenAIEmbedding") in imports
    assert ("shared_core.emulator.server", "start_in_thread") in imports


@pytest.mark.parametrize(("module", "name"), sorted(set(_readme_imports())))
def test_every_name_the_readme_imports_is_in_its_modules_all(module: str, name: str) -> None:
    mod = importlib.import_module(module)
    if hasattr(mod, "__path__") and importlib.util.find_spec(f"{module}.{name}") is not None:
        return  # ``from shared_core.services import jobs``: a submodule
    assert name in getattr(mod, "__all__", ()), f"{module}.__all__ lacks {name!r}"
    assert getattr(mod, name) is not None


@pytest.mark.parametrize("package", ["shared_core", "langchain_azoai", "llamaindex_azoai"])
def test_every_public_name_resolves(package: str) -> None:
    mod = importlib.import_module(package)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert missing == []
    assert set(mod.__all__) <= set(dir(mod))
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'NoSuchName'"):
        mod.NoSuchName  # noqa: B018 (the attribute access is the test)


def test_the_three_packages_share_one_lazy_loader() -> None:
    """One implementation of PEP 562 lazy names: each ``__init__`` gets it from ``shared_core._lazy``."""
    for package in ("shared_core", "langchain_azoai", "llamaindex_azoai"):
        tree = ast.parse((REPO / package / "__init__.py").read_text(encoding="utf-8"))
        defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert "__getattr__" not in defined and "__dir__" not in defined, package
        mod = importlib.import_module(package)
        assert mod.__getattr__.__module__ == "shared_core._lazy", package  # type: ignore[attr-defined]


def test_lazy_names_load_on_first_access_only() -> None:
    code = (
        "import sys, langchain_azoai, llamaindex_azoai, shared_core\n"
        "before = {m for m in ('langchain_azoai.chat_models', 'llamaindex_azoai.llms', 'shared_core.client') if m in sys.modules}\n"
        "shared_core.CoreClient; langchain_azoai.AzureChatOpenAI; llamaindex_azoai.AzureOpenAI\n"
        "after = {m for m in ('langchain_azoai.chat_models', 'llamaindex_azoai.llms', 'shared_core.client') if m in sys.modules}\n"
        "print(sorted(before), sorted(after))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "[] ['langchain_azoai.chat_models', 'llamaindex_azoai.llms', 'shared_core.client']", (
        proc.stderr
    )
