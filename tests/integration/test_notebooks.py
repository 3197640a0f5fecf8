"""The example notebooks run top to bottom (against the emulator each one starts) without an error.

The kernel is this interpreter: the test writes a throwaway kernel spec whose ``argv`` is
``sys.executable -m ipykernel_launcher`` into a temporary ``JUPYTER_PATH``, so a fresh virtualenv
needs nothing beyond ``pip install -r requirements-dev.txt`` (ipykernel, nbclient, nbformat) and no
``ipykernel install`` step, and a user-level ``python3`` kernel pointing elsewhere cannot be picked
up by mistake.

A notebook fails on any error output, and on anything written to stderr (warnings included): an
example that prints a warning teaches users to ignore warnings.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="nbformat is in the dev toolchain: pip install -r requirements-dev.txt"
)
nbclient = pytest.importorskip(
    "nbclient", reason="nbclient is in the dev toolchain: pip install -r requirements-dev.txt"
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
KERNEL = "azoai-test-python"
CELL_TIMEOUT = 120  # seconds; the emulator answers in milliseconds, this only bounds a hang


@pytest.fixture
def kernel_for_this_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"azoai tests ({sys.executable})",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # The notebooks start their own emulator and set these; an outer value must not leak in.
    for name in list(os.environ):
        if name.startswith(("AZURE_OPENAI_", "OPENAI_")):
            monkeypatch.delenv(name)
    return KERNEL


def _problems(nb: Any) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {index}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {index} wrote to stderr: {out.text.strip()[:500]}")
    return found


def test_there_is_a_notebook_per_framework() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"langchain_quickstart.ipynb", "llamaindex_quickstart.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, kernel_for_this_interpreter: str) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_for_this_interpreter,
        timeout=CELL_TIMEOUT,
        allow_errors=True,  # collect every error below instead of stopping at the first
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    problems = _problems(nb)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code_cells), "a code cell did not run"
    text = "\n".join(
        o.get("text", "") or "".join(o.get("data", {}).get("text/plain", ""))
        for c in code_cells
        for o in c.get("outputs", [])
    )
    assert "emulator running at http://127.0.0.1:" in text
    assert "sources:" in text and "pricing.md" in text
    assert "tool call convert_area(" in text and "1200 ft2 = 111.5 m2" in text
    assert "customer_name='Dana Whitfield'" in text and "hub_quantity=3" in text
