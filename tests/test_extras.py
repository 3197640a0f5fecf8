"""Extras: each installs what its examples and the demo need, and a missing one is named in the error.

Missing packages are simulated in a subprocess whose first act is to put a finder at the front of
``sys.meta_path`` that refuses the blocked modules exactly as Python does for a package that is not
installed (``ModuleNotFoundError: No module named ...``).

What an extra covers is read from ``pyproject.toml`` (tomllib) and expanded through the installed
distributions' own requirements (``importlib.metadata``), so a module counts as covered when some
distribution the extra pulls in, directly or transitively, provides it.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
OURS = ("shared_core", "langchain_azoai", "llamaindex_azoai", "azoai_app")
AZURE_ENV = (
    "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT", "AZURE_OPENAI_CHAT_DEPLOYMENT",
    "AZURE_OPENAI_EMBEDDING_DEPLOYMENT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE", "OPENAI_API_KEY",
)  # fmt: skip

BLOCKER = """
import sys

class _NotInstalled:
    blocked = {blocked!r}

    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in self.blocked):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
"""


def run_without(blocked: Sequence[str], code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``blocked`` modules (and their submodules) are missing."""
    env = {k: v for k, v in os.environ.items() if k not in AZURE_ENV}
    env["PYTHONPATH"] = str(REPO)
    program = BLOCKER.format(blocked=tuple(blocked)) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", program], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def _last_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert proc.returncode != 0 and lines, (proc.returncode, proc.stdout, proc.stderr)
    return lines[-1]


def test_the_blocker_behaves_like_a_missing_package() -> None:
    proc = run_without(["numpy"], "import numpy")
    assert _last_error(proc) == "ModuleNotFoundError: No module named 'numpy'"


# ------------------------------------------------------------------ missing packages are named


@pytest.mark.parametrize(
    "statement",
    ["import langchain_azoai", "from langchain_azoai import AzureChatOpenAI", "import langchain_azoai.chat_models"],
)
def test_langchain_adapter_without_langchain_core_names_the_extra(statement: str) -> None:
    error = _last_error(run_without(["langchain_core"], statement))
    assert error == (
        "ModuleNotFoundError: langchain_azoai needs langchain-core, which is not installed (no module named "
        "'langchain_core'). Install it with: pip install \"azoai[langchain]\""
    )


@pytest.mark.parametrize(
    "blocked",
    [("llama_index", "llama_index_instrumentation"), ("llama_index.core",), ("llama_index_instrumentation",)],
)
@pytest.mark.parametrize("statement", ["import llamaindex_azoai", "from llamaindex_azoai import AzureOpenAI"])
def test_llamaindex_adapter_without_llama_index_core_names_the_extra(blocked: tuple[str, ...], statement: str) -> None:
    error = _last_error(run_without(blocked, statement))
    assert error.startswith("ModuleNotFoundError: llamaindex_azoai needs llama-index-core, which is not installed"), (
        error
    )
    assert error.endswith('Install it with: pip install "azoai[llamaindex]"'), error


def test_the_core_and_the_other_adapter_work_without_a_framework() -> None:
    proc = run_without(
        ["langchain_core", "llama_index", "llama_index_instrumentation"],
        "import shared_core; from shared_core import CoreClient, ConfigurationError; print(CoreClient.__name__)",
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, "CoreClient"), proc.stderr
    proc = run_without(["llama_index", "llama_index_instrumentation"], "from langchain_azoai import AzureChatOpenAI")
    assert proc.returncode == 0, proc.stderr


def test_emulator_without_uvicorn_names_the_extra() -> None:
    proc = run_without(["uvicorn"], "from shared_core.emulator.server import start_in_thread\nstart_in_thread()")
    assert _last_error(proc) == (
        'shared_core.errors.ConfigurationError: the emulator server needs uvicorn: pip install "azoai[emulator]"'
    )
    # the app itself (no server) still imports and answers in-process
    proc = run_without(["uvicorn"], "from shared_core.emulator import EmulatorApp; print(EmulatorApp.__name__)")
    assert (proc.returncode, proc.stdout.strip()) == (0, "EmulatorApp"), proc.stderr


def test_azoai_emulator_command_without_uvicorn_names_the_extra() -> None:
    proc = run_without(
        ["uvicorn"], "import sys\nfrom azoai_app.cli import main\nsys.exit(main(['emulator', '--port', '0']))"
    )
    assert proc.returncode != 0
    assert proc.stderr.strip() == 'azoai emulator: the emulator server needs uvicorn: pip install "azoai[emulator]"'


@pytest.mark.parametrize("adapter", ["langchain"])  # the core raises it; tests/unit/test_auth_credentials.py has more
def test_entra_identity_without_azure_identity_names_the_extra(adapter: str) -> None:
    build = {
        "langchain": "from langchain_azoai import AzureChatOpenAI as M\n"
                     "m = M(azure_deployment='gpt-5.2', azure_auth_mode='managed', http_client=http, max_retries=0, **kw)",
        "llamaindex": "from llamaindex_azoai import AzureOpenAI as M\n"
                      "m = M(engine='gpt-5.2', azure_auth_mode='managed', http_client=http, max_retries=0, **kw)",
    }[adapter]  # fmt: skip
    call = "m.invoke('hi')" if adapter == "langchain" else "m.complete('hi')"
    code = f"""
import httpx
sent = []
http = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500)))
kw = dict(azure_endpoint='https://res.openai.azure.com', api_version='2024-10-21')
{build}
try:
    {call}
except Exception as exc:
    print(type(exc).__name__, '|', exc, '|', len(sent))
"""
    proc = run_without(["azure.identity"], code)
    assert proc.stdout.strip() == (
        'ConfigurationError | azure_auth_mode="managed" needs the azure-identity package, which is not installed. '
        'Install it with: pip install "azoai[identity]" | 0'
    ), proc.stderr


def test_aiohttp_requested_without_httpx_aiohttp_names_the_extra() -> None:
    code = """
from shared_core.connection.config import ClientOptions
from shared_core.policy.transport import new_async_client
print(type(new_async_client(ClientOptions())).__name__)  # not asked for: httpx's own pool
try:
    new_async_client(ClientOptions(use_aiohttp=True))
except Exception as exc:
    print(type(exc).__name__, '|', exc)
"""
    proc = run_without(["httpx_aiohttp", "aiohttp"], code)
    assert proc.stdout.splitlines() == [
        "AsyncClient",
        'ConfigurationError | use_aiohttp=True but httpx-aiohttp is not installed: pip install "azoai[aiohttp]"'
        " (or leave use_aiohttp=None to use it only when available)",
    ], proc.stderr


def test_shared_state_without_redis_names_the_extra() -> None:
    code = """
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions, resolve_target
target = resolve_target(azure_endpoint="http://127.0.0.1:9", deployment="gpt-5.2", api_key="k")
print(CoreClient(target).__class__.__name__)  # not asked for: in-process state, no redis needed
try:
    CoreClient(target, options=ClientOptions(shared_state="redis://:pw@127.0.0.1:6379/0"))
except Exception as exc:
    print(type(exc).__name__, '|', exc, '|', exc.setting)
"""
    proc = run_without(["redis"], code)
    assert proc.stdout.splitlines() == [
        "CoreClient",
        'ConfigurationError | shared_state needs the Redis client: pip install "azoai[redis]" | shared_state',
    ], proc.stderr


def _demo_error(blocked: Sequence[str], framework: str) -> str:
    code = f"""
import io, sys
from azoai_app.demo import main
out = io.StringIO()
code = main(['--framework', {framework!r}], out=out)
print(out.getvalue())
sys.exit(code)
"""
    proc = run_without(blocked, code, timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("error"))
    block = [lines[start]] + [ln.strip() for ln in lines[start + 1 :] if ln.startswith("  ")]
    return " ".join(block)


def test_demo_without_numpy_names_the_langchain_extra() -> None:
    """langchain-core's InMemoryVectorStore imports numpy on its first search, without declaring it."""
    error = _demo_error(["numpy"], "both")
    assert error.startswith("error in langchain step 'rag': ImportError "), error
    assert error.endswith(
        'The demo\'s langchain steps need: pip install "azoai[langchain]" (or run only the other one: --framework llamaindex)'
    ), error


def test_demo_without_llama_index_names_the_llamaindex_extra() -> None:
    error = _demo_error(["llama_index", "llama_index_instrumentation"], "llamaindex")
    assert error == (
        "error: ModuleNotFoundError No module named 'llama_index'. The demo's llamaindex steps need: "
        'pip install "azoai[llamaindex]"'
    ), error


# ------------------------------------------------------------- what each extra has to install


def _extra(name: str) -> list[str]:
    return list(PYPROJECT["project"]["optional-dependencies"][name])


def _with_extras(requirements: Iterable[str]) -> list[Requirement]:
    """Our own requirements, with ``azoai[x,y]`` replaced by those extras' requirements."""
    out: list[Requirement] = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    pending = list(requirements)
    seen: set[str] = set()
    while pending:
        req = Requirement(pending.pop())
        if canonicalize_name(req.name) == "azoai":
            for extra in sorted(req.extras - seen):
                seen.add(extra)
                pending.extend(_extra(extra))
        else:
            out.append(req)
    return out


def _applies(marker: Marker | None, extras: Iterable[str]) -> bool:
    if marker is None:
        return True
    return any(marker.evaluate({"extra": e}) for e in (*extras, ""))


def closure(requirements: Iterable[str]) -> set[str]:
    """Every distribution the requirements install, as canonical names (the installed versions')."""
    found: set[str] = set()
    # a requirement's marker is evaluated once, against the extras of the one that asked for it
    pending = [(r, frozenset(r.extras)) for r in _with_extras(requirements) if _applies(r.marker, ())]
    done: set[tuple[str, frozenset[str]]] = set()
    while pending:
        req, extras = pending.pop()
        name = canonicalize_name(req.name)
        if (name, extras) in done:
            continue
        done.add((name, extras))
        found.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for line in dist.requires or []:
            sub = Requirement(line)
            if _applies(sub.marker, extras):
                pending.append((sub, frozenset(sub.extras)))
    return found


def distributions_for(module: str) -> set[str]:
    """The distributions providing ``module``, read from their file lists (nothing is imported).

    A namespace package (``llama_index``, ``azure``) has several: the one whose files hold the
    next component (``llama_index/core/``) is the provider."""
    parts = module.split(".")
    candidates = {canonicalize_name(d) for d in metadata.packages_distributions().get(parts[0], [])}
    if len(candidates) <= 1 or len(parts) == 1:
        return candidates
    prefix = "/".join(parts[:2])
    return {
        name for name in candidates
        if any(str(f).startswith((prefix + "/", prefix + ".")) for f in metadata.distribution(name).files or [])
    }  # fmt: skip


def _readme_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", (REPO / "README.md").read_text(encoding="utf-8"), re.S | re.M)


def _imports(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return {m for m in found if m.split(".")[0] not in OURS and m.split(".")[0] not in sys.stdlib_module_names}


def _framework_of(source: str) -> str | None:
    tops = {m.split(".")[0] for m in _imports(source) | _our_imports(source)}
    if tops & {"langchain_azoai", "langchain_core"}:
        return "langchain"
    if tops & {"llamaindex_azoai", "llama_index"}:
        return "llamaindex"
    return None


def _our_imports(source: str) -> set[str]:
    return {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import) for a in n.names
    }


def example_imports(framework: str) -> set[str]:
    """Third-party modules imported by the README blocks of one framework, and by its demo steps."""
    needed: set[str] = set()
    for block in _readme_blocks():
        if _framework_of(block) == framework:
            needed |= _imports(block)
            if "shared_core.emulator.server" in _our_imports(block):
                needed.add("uvicorn")  # the server is the emulator extra's
    demo = REPO / "azoai_app" / "demo" / f"with_{framework}.py"
    needed |= _imports(demo.read_text(encoding="utf-8"))
    needed.add("uvicorn")  # the demo starts the emulator unless AZURE_OPENAI_ENDPOINT is set
    return needed


def test_the_examples_of_each_framework_are_found() -> None:
    assert {"langchain_core.tools", "langchain_core.vectorstores", "azure.identity", "uvicorn"} <= example_imports(
        "langchain"
    )
    assert {"llama_index.core.tools", "llama_index.core.agent.workflow", "azure.identity"} <= example_imports(
        "llamaindex"
    )


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_each_framework_extra_covers_its_examples_imports(framework: str) -> None:
    covered = closure(_extra(framework))
    needed = {module: distributions_for(module) for module in sorted(example_imports(framework))}
    assert all(needed.values()), needed  # each import is provided by something installed here
    assert {module: dists for module, dists in needed.items() if not dists & covered} == {}


def not_installed_by(extra: str) -> list[str]:
    """Top-level modules present here that ``pip install "azoai[extra]"`` would not install."""
    covered = closure(_extra(extra))
    return sorted(
        top
        for top, dists in metadata.packages_distributions().items()
        if top not in OURS and top not in sys.stdlib_module_names
        and not any(canonicalize_name(d) in covered for d in dists)
    )  # fmt: skip


def test_blocking_what_an_extra_does_not_install() -> None:
    """The fresh-install simulation below blocks the other framework and the test toolchain."""
    blocked = not_installed_by("langchain")
    assert {"llama_index_instrumentation", "pytest", "openai"} <= set(blocked)
    assert not {"langchain_core", "numpy", "uvicorn", "azure", "httpx", "pydantic"} & set(blocked)


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_each_framework_extra_is_enough_for_its_demo(framework: str) -> None:
    """``azoai demo --framework X`` runs with nothing importable but what ``azoai[X]`` installs
    (packages a framework imports lazily without declaring them, like numpy for LangChain's
    InMemoryVectorStore, included)."""
    code = f"""
import io, sys
from azoai_app.demo import main
out = io.StringIO()
code = main(['--framework', {framework!r}], out=out)
print(out.getvalue())
sys.exit(code)
"""
    proc = run_without(not_installed_by(framework), code, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(f"\n  {framework} ") == 4  # the summary table: four steps, all run
    assert "FAILED" not in proc.stdout


def test_an_extra_never_pulls_in_the_other_framework() -> None:
    langchain, llamaindex = closure(_extra("langchain")), closure(_extra("llamaindex"))
    assert "llama-index-core" not in langchain and "langchain-core" not in llamaindex
