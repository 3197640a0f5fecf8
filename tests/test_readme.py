"""Every ```python block in README.md runs, against the emulator.

Conventions (for whoever edits the README):

* Each fenced block whose info string is ``python`` is one test, named after its line number and
  the heading above it. Blocks run in order of appearance, each in a fresh namespace, in this
  process: a block must be self-contained (imports included).
* Before each block the environment points at an emulator started once for this module:
  ``AZURE_OPENAI_ENDPOINT`` (``http://127.0.0.1:PORT``), ``AZURE_OPENAI_API_KEY`` (the emulator's
  key) and ``OPENAI_API_VERSION`` (``2024-10-21``); every other ``AZURE_*`` / ``OPENAI_*``
  variable is removed. The emulator serves the default deployments (``gpt-5.2``, ``gpt-5-mini``,
  ``model-router``, ``text-embedding-3-small`` / ``-large``, ``gpt-image-1``, ``gpt-4o-transcribe``,
  ``gpt-4o-mini-tts``), so use those names.
* Network: only 127.0.0.1 is reachable (pytest-socket); anything else fails the block.
* Top-level ``await`` is allowed: such a block runs in a fresh event loop.
* An HTML comment on the line right before the opening fence changes how a block runs:

  ``<!-- readme-test: construct-only -->``
      The block needs a real Azure identity (managed identity, workload identity,
      ``DefaultAzureCredential``, the Azure CLI). It still runs with the same environment and the
      same network rule, and must construct its objects without raising; it must therefore not
      make a call that needs the identity (construction is lazy in azoai and azure-identity).
      Such a block also sees what a workload-identity pod would: ``AZURE_TENANT_ID`` and
      ``AZURE_CLIENT_ID`` (dummy GUIDs) and ``AZURE_FEDERATED_TOKEN_FILE`` (a dummy token file).
  ``<!-- readme-test: skip REASON -->``
      Not run at all (a shell transcript mislabelled as python, a fragment). REASON is required
      and shown as the skip reason; CI fails on skips, so use this only with the lead's consent.

* If README.md is missing, or has no python block, the test fails saying so.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
API_VERSION = "2024-10-21"
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)[^`]*$")
_MARKER = re.compile(r"^\s*<!--\s*readme-test:\s*(?P<mode>[\w-]+)\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    heading: str
    mode: str  # "run", "construct-only" or "skip"
    reason: str
    code: str

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-") or "top"
        return f"L{self.line}-{slug}"


def extract_blocks(text: str) -> list[Block]:
    """The ```python blocks of a markdown text, with the marker comment right above each."""
    lines = text.splitlines()
    blocks: list[Block] = []
    heading = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        m = _FENCE.match(line)
        if not m:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").lower()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if info in ("python", "py", "python3"):
            prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            mk = _MARKER.match(prev)
            mode, reason = (mk.group("mode"), mk.group("reason")) if mk else ("run", "")
            if mk and mode not in ("construct-only", "skip"):
                raise ValueError(
                    f"README.md line {i}: unknown readme-test marker {mode!r} (use construct-only or skip)"
                )
            if mode == "skip" and not reason:
                raise ValueError(f"README.md line {i}: '<!-- readme-test: skip -->' needs a reason")
            blocks.append(Block(i + 1, heading, mode, reason, "\n".join(lines[i + 1 : end]) + "\n"))
        i = end + 1
    return blocks


def _params() -> list[Any]:
    if not README.is_file():
        return [pytest.param(None, id="README-missing")]
    try:
        blocks = extract_blocks(README.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [pytest.param(str(exc), id="README-bad-marker")]
    if not blocks:
        return [pytest.param(None, id="README-has-no-python-blocks")]
    return [pytest.param(b, id=b.id) for b in blocks]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    from shared_core.emulator import server

    handle = server.start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def emulator_env(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AZURE_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", str(emulator.url))
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", str(emulator.api_key))
    monkeypatch.setenv("OPENAI_API_VERSION", API_VERSION)


def run_block(block: Block) -> dict[str, Any]:
    """Execute a block and return its namespace; top-level ``await`` runs it in a fresh event loop."""
    code = compile(block.code, f"README.md:{block.line + 1}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    result = eval(code, namespace)  # noqa: S307 - the README is our own, and that is the point
    if inspect.iscoroutine(result):
        asyncio.run(result)
    return namespace


@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.parametrize("block", _params())
def test_readme_block(
    block: Block | str | None, emulator_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if isinstance(block, str):
        pytest.fail(block)
    if block is None:
        if not README.is_file():
            pytest.fail(f"README.md not found at {README}: the lead writes it; this test runs its python blocks")
        pytest.fail(f"README.md at {README} has no ```python block: nothing to check")
    if block.mode == "skip":
        pytest.skip(f"README.md line {block.line}: {block.reason}")
    if block.mode == "construct-only":
        token_file = tmp_path / "federated-token"
        token_file.write_text("not-a-real-token")
        monkeypatch.setenv("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000000")
        monkeypatch.setenv("AZURE_CLIENT_ID", "11111111-1111-1111-1111-111111111111")
        monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    try:
        run_block(block)
    except Exception as exc:
        what = "construct its objects" if block.mode == "construct-only" else "run"
        pytest.fail(
            f"README.md block at line {block.line} (under '{block.heading}') failed to {what}:\n"
            f"{type(exc).__name__}: {exc}\n--- block ---\n{block.code}",
            pytrace=True,
        )


def test_extract_blocks_reads_markers_and_skips_other_languages() -> None:
    text = (
        "# Title\n\n```bash\necho no\n```\n\n## Auth\n\n<!-- readme-test: construct-only -->\n"
        "```python\nx = 1\n```\n\n````python\ny = '```'\n````\n\n<!-- readme-test: skip shell transcript -->\n"
        "```py\n>>> 1\n```\n"
    )
    blocks = extract_blocks(text)
    assert [(b.line, b.heading, b.mode, b.reason, b.code) for b in blocks] == [
        (10, "Auth", "construct-only", "", "x = 1\n"),
        (14, "Auth", "run", "", "y = '```'\n"),
        (19, "Auth", "skip", "shell transcript", ">>> 1\n"),
    ]
    assert blocks[0].id == "L10-auth"
    with pytest.raises(ValueError, match="unknown readme-test marker 'constructonly'"):
        extract_blocks("<!-- readme-test: constructonly -->\n```python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="needs a reason"):
        extract_blocks("<!-- readme-test: skip -->\n```python\nx = 1\n```\n")


def test_top_level_await_blocks_run_in_an_event_loop() -> None:
    code = "import asyncio\nasync def f():\n    return asyncio.get_running_loop()\nloop = await f()\n"
    namespace = run_block(Block(1, "t", "run", "", code))
    assert namespace["loop"].is_closed()  # it ran in a loop of its own, closed afterwards
    with pytest.raises(ZeroDivisionError):
        run_block(Block(1, "t", "run", "", "1 / 0\n"))


def test_a_missing_readme_becomes_a_failing_case(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys.modules[__name__], "README", tmp_path / "README.md")
    assert [p.id for p in _params()] == ["README-missing"]
    (tmp_path / "README.md").write_text("# Only prose\n\n```bash\nls\n```\n")
    assert [p.id for p in _params()] == ["README-has-no-python-blocks"]
