"""The import graph keeps the layering: the library never imports the app, an adapter or the emulator.

Every module of ``shared_core``, ``langchain_azoai``, ``llamaindex_azoai`` and ``azoai_app`` is
parsed with ``ast`` (nothing is imported), and every import it holds is checked against the table
below: module-level imports, imports inside functions, ``importlib.import_module("...")`` calls,
and the names a package's lazy ``_LAZY`` table maps to modules. A subprocess then confirms the two
facts that matter at run time: importing the whole library loads neither the app nor the emulator,
and the emulator loads nothing of the client.

The rule of each part (cited by docs/architecture.md):

=============  =====================================================  ===========================================
part           modules                                                may import at run time
=============  =====================================================  ===========================================
facade         shared_core (its __init__: the public names)           the core, each name on first access
base           shared_core.types, shared_core.types_responses,        base, errors
               shared_core._lazy
errors         shared_core.errors                                     nothing of ours
wire           shared_core.wire.*                                     base, errors, wire
connection     shared_core.connection.*                               base, errors, wire, connection
observe        shared_core.observe.*                                  ... and observe (+ opentelemetry, in otel.py)
policy         shared_core.policy.*                                   ... and policy
client         shared_core.client, shared_core.client_embeddings,     ... and client
               shared_core.client_responses(_stored), client_host
services       shared_core.services.*                                 ... and services
emulator       shared_core.emulator.*                                 errors, emulator (+ stdlib, pydantic, uvicorn)
langchain      langchain_azoai.*                                      the core (not the emulator), langchain
llamaindex     llamaindex_azoai.*                                     the core (not the emulator), llamaindex
app            azoai_app.*                                            anything
=============  =====================================================  ===========================================

Inside the core an import under ``if TYPE_CHECKING:`` never runs, so it may name any part of the
core (a parser may annotate with ``Target``); it may still never name the emulator, an adapter or
the app.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("shared_core", "langchain_azoai", "llamaindex_azoai", "azoai_app")

#: module-name prefix -> part (the longest matching prefix wins)
PARTS: dict[str, str] = {
    "shared_core": "base",
    "shared_core.errors": "errors",
    "shared_core.wire": "wire",
    "shared_core.connection": "connection",
    "shared_core.observe": "observe",
    "shared_core.policy": "policy",
    "shared_core.client": "client",
    "shared_core.client_embeddings": "client",
    "shared_core.client_host": "client",
    "shared_core.client_responses": "client",
    "shared_core.client_responses_stored": "client",
    "shared_core.services": "services",
    "shared_core.emulator": "emulator",
    "langchain_azoai": "langchain",
    "llamaindex_azoai": "llamaindex",
    "azoai_app": "app",
}
_LAYERS = ("base", "wire", "connection", "observe", "policy", "client", "services")
CORE = frozenset({"facade", "errors", *_LAYERS})

#: part -> the parts it may import at run time (the table in the module docstring)
MAY_IMPORT: dict[str, frozenset[str]] = {
    "errors": frozenset({"errors"}),
    **{layer: frozenset({"errors", *_LAYERS[: i + 1]}) for i, layer in enumerate(_LAYERS)},
    "facade": CORE,
    "emulator": frozenset({"errors", "emulator"}),
    "langchain": CORE | {"langchain"},
    "llamaindex": CORE | {"llamaindex"},
    "app": frozenset(PARTS.values()),
}

#: third-party top-level packages each part may import (anything else is a framework or an extra
#: the part has no business with)
THIRD_PARTY: dict[str, frozenset[str]] = {
    **{part: frozenset({"httpx", "pydantic", "typing_extensions", "httpx_aiohttp", "azure", "yaml"}) for part in CORE},
    "policy": frozenset({"httpx", "pydantic", "typing_extensions", "httpx_aiohttp", "azure", "yaml", "redis"}),
    # the OpenTelemetry observer (azoai[otel]), imported only once the application imported it
    "observe": frozenset({"httpx", "pydantic", "typing_extensions", "opentelemetry"}),
    "emulator": frozenset({"pydantic", "uvicorn"}),
    "langchain": frozenset({"httpx", "pydantic", "typing_extensions", "langchain_core", "tqdm"}),
    "llamaindex": frozenset({"httpx", "pydantic", "typing_extensions", "llama_index", "llama_index_instrumentation"}),
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or module.name for ``from m import name``)
    line: int
    type_only: bool


def part_of(module: str) -> str | None:
    if module == "shared_core":
        return "facade"
    best = max((p for p in PARTS if module == p or module.startswith(p + ".")), key=len, default=None)
    return None if best is None else PARTS[best]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _lazy_table(tree: ast.Module) -> dict[str, str]:
    """The ``_LAZY = {name: module}`` literal of a package ``__init__``, if any."""
    for node in tree.body:
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else (node.targets[0] if isinstance(node, ast.Assign) else None)
        )
        if isinstance(target, ast.Name) and target.id == "_LAZY" and isinstance(node.value, ast.Dict):
            return {
                ast.literal_eval(k): ast.literal_eval(v)
                for k, v in zip(node.value.keys, node.value.values, strict=False)
                if k is not None
            }
    return {}


def _absolute(module: str, package: str, spelled: str) -> str:
    """A ``_LAZY`` value: a dotted module, relative to the package when it is not one of ours."""
    if spelled.startswith("."):
        return package + spelled
    return spelled if spelled.split(".")[0] in PACKAGES else f"{package}.{spelled}"


def imports_of(path: Path) -> Iterator[Import]:
    """Every import ``path`` holds, wherever it sits, with relative imports made absolute."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(node: ast.AST, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from walk_stmt(stmt, True)
                for stmt in child.orelse:
                    yield from walk_stmt(stmt, type_only)
                continue
            yield from walk_stmt(child, type_only)

    def walk_stmt(node: ast.AST, type_only: bool) -> Iterator[Import]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno, type_only)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                yield Import(module, origin if alias.name == "*" else f"{origin}.{alias.name}", node.lineno, type_only)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
                if isinstance(node.args[0].value, str):
                    yield Import(module, node.args[0].value, node.lineno, type_only)
        yield from walk(node, type_only)

    yield from walk(tree, False)
    if path.name == "__init__.py":
        for name, spelled in _lazy_table(tree).items():
            yield Import(module, f"{_absolute(module, package, spelled)}.{name}", 0, False)


def _resolve_facade(target: str, lazy: dict[str, str]) -> str:
    """``from shared_core import CoreClient`` imports ``shared_core.client``: follow the facade."""
    head, _, name = target.rpartition(".")
    if head == "shared_core" and name in lazy:
        return f"shared_core.{lazy[name].lstrip('.')}.{name}"
    return target


def all_imports() -> list[Import]:
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found.extend(imports_of(path))
    return found


FACADE = _lazy_table(ast.parse((REPO / "shared_core" / "__init__.py").read_text(encoding="utf-8")))
IMPORTS = all_imports()


def _ours(imp: Import) -> tuple[str, str] | None:
    target = _resolve_facade(imp.target, FACADE)
    if target.split(".")[0] not in PACKAGES:
        return None
    src, dst = part_of(imp.source), part_of(target)
    assert src is not None and dst is not None, imp
    return src, dst


def _where(imp: Import) -> str:
    return f"{imp.source}:{imp.line} imports {imp.target}" + (" (type-only)" if imp.type_only else "")


def test_the_parser_sees_the_imports_it_must_see() -> None:
    """The checks below are only as good as the walk: known imports of every kind are found."""
    by_source: dict[str, set[str]] = {}
    for imp in IMPORTS:
        by_source.setdefault(imp.source, set()).add(imp.target)
    assert "shared_core.errors.ConfigurationError" in by_source["shared_core.wire.tools"]  # module level
    assert "shared_core.policy.transport" in by_source["shared_core.client"]  # ``from pkg import module``
    assert "azure.identity" in by_source["shared_core.connection.identity"]  # importlib.import_module("...")
    assert "uvicorn" in by_source["shared_core.emulator.server"]  # inside a function
    assert "shared_core.errors.ConfigurationError" in by_source["shared_core.emulator.config"]  # relative
    assert "langchain_azoai.chat_models.AzureChatOpenAI" in by_source["langchain_azoai"]  # the lazy table
    assert "llamaindex_azoai.llms.AzureOpenAI" in by_source["llamaindex_azoai"]  # relative lazy table
    assert "shared_core.client.CoreClient" in by_source["shared_core"]  # the facade's lazy table
    assert any(i.type_only for i in IMPORTS if i.source == "shared_core.wire.diagnose")
    assert {part_of(m) for m in by_source} == set(PARTS.values()) | {"facade"}


def test_every_part_imports_only_what_its_rule_allows() -> None:
    broken: list[str] = []
    for imp in IMPORTS:
        edge = _ours(imp)
        if edge is None:
            continue
        src, dst = edge
        if dst in MAY_IMPORT[src]:
            continue
        if imp.type_only and src in CORE and dst in CORE:
            continue  # never runs; see the module docstring
        broken.append(f"{src} -> {dst}: {_where(imp)}")
    assert broken == []


def test_the_library_never_imports_the_app_an_adapter_or_the_emulator() -> None:
    """Issue 10, stated directly (the table above implies it; this says it in one line)."""
    broken = [
        _where(imp)
        for imp in IMPORTS
        if (edge := _ours(imp)) is not None
        and edge[0] in CORE
        and edge[1] in ("app", "langchain", "llamaindex", "emulator")
    ]
    assert broken == []


def test_the_adapters_never_import_each_other_the_app_or_the_emulator() -> None:
    broken = [
        _where(imp)
        for imp in IMPORTS
        if (edge := _ours(imp)) is not None
        and edge[0] in ("langchain", "llamaindex")
        and edge[1] in ({"langchain", "llamaindex"} - {edge[0]}) | {"app", "emulator"}
    ]
    assert broken == []


def test_third_party_imports_stay_within_each_parts_dependencies() -> None:
    broken: list[str] = []
    for imp in IMPORTS:
        top = imp.target.split(".")[0]
        part = part_of(imp.source)
        if top in PACKAGES or top in sys.stdlib_module_names or top == "" or part == "app" or part is None:
            continue
        if top not in THIRD_PARTY[part]:
            broken.append(f"{part}: {_where(imp)}")
    assert broken == []


def test_the_table_catches_an_upward_import() -> None:
    """A mutation check of the rule itself: the import moved out of connection/ would be refused."""
    upward = Import("shared_core.connection.regions", "shared_core.client.CoreClient", 1, False)
    src, dst = _ours(upward) or ("", "")
    assert (src, dst) == ("connection", "client") and dst not in MAY_IMPORT[src]
    lazy_app = Import("shared_core.wire.chat", "azoai_app.demo", 1, False)
    assert _ours(lazy_app) == ("wire", "app") and "app" not in MAY_IMPORT["wire"]
    facade = Import("shared_core.wire.chat", "shared_core.CoreClient", 1, False)
    assert _ours(facade) == ("wire", "client")


def _loaded_after(code: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    loaded: list[str] = json.loads(proc.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize("package", ["shared_core", "langchain_azoai", "llamaindex_azoai"])
def test_importing_every_library_module_loads_no_app_and_no_emulator(package: str) -> None:
    modules = sorted(
        module_name(p) for p in (REPO / package).rglob("*.py") if "emulator" not in p.relative_to(REPO).parts
    )
    loaded = _loaded_after("\n".join(f"import {m}" for m in modules))
    assert set(modules) <= set(loaded)
    assert [m for m in loaded if m.split(".")[0] == "azoai_app" or m.startswith("shared_core.emulator")] == []
    others = {
        "langchain_azoai": ("llama_index", "llamaindex_azoai"),
        "llamaindex_azoai": ("langchain", "langchain_core", "langchain_azoai"),
    }
    forbidden = others.get(package, ("langchain_core", "llama_index", "langchain_azoai", "llamaindex_azoai"))
    assert [m for m in loaded if m.split(".")[0] in forbidden] == []


def test_the_emulator_loads_nothing_of_the_client() -> None:
    modules = sorted(module_name(p) for p in (REPO / "shared_core" / "emulator").rglob("*.py"))
    loaded = _loaded_after("\n".join(f"import {m}" for m in modules))
    ours = [m for m in loaded if m.split(".")[0] in PACKAGES]
    # the facade loads these three eagerly: stdlib-only modules, none of them the client
    assert set(ours) - set(modules) == {"shared_core", "shared_core._lazy", "shared_core.errors", "shared_core.types"}
    assert "httpx" not in loaded
