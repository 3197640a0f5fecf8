"""``azoai demo`` end to end against the embedded emulator, and its failure reporting.

The full demo runs once in-process (both frameworks) and once as ``python -m azoai_app demo``
in a subprocess; the assertions read the printed output like a user would.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from azoai_app import demo
from azoai_app.data import load_corpus

REPO = Path(__file__).resolve().parents[2]
AZURE_ENV = (
    "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT", "AZURE_OPENAI_CHAT_DEPLOYMENT",
    "AZURE_OPENAI_EMBEDDING_DEPLOYMENT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE", "OPENAI_API_KEY",
)  # fmt: skip


def _clean_env(mp: pytest.MonkeyPatch) -> None:
    for name in AZURE_ENV:
        mp.delenv(name, raising=False)


def _error(output: str) -> str:
    """The error report: the ``error...`` headline and its indented diagnosis, joined on one line."""
    lines = output.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("error"))
    block = [lines[start]]
    for ln in lines[start + 1 :]:
        if not ln.startswith("  "):
            break
        block.append(ln.strip())
    return " ".join(block)


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = demo.main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def demo_run() -> Iterator[tuple[int, str]]:
    """One full run, both frameworks, against the emulator the demo starts itself."""
    with pytest.MonkeyPatch.context() as mp:
        _clean_env(mp)
        yield _run([])


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    from shared_core.emulator import server

    handle = server.start_in_thread()
    try:
        yield str(handle.url)
    finally:
        handle.stop()


def _section(output: str, framework: str) -> str:
    """The part of the output printed for one framework."""
    title = "== LangChain" if framework == "langchain" else "== LlamaIndex"
    start = output.index(title)
    end = output.find("\n== ", start + 1)
    return output[start : end if end != -1 else len(output)]


def _sources_after(section: str, question: str) -> list[str]:
    after = section[section.index(f"Q: {question[:60]}") :]
    line = next(ln for ln in after.splitlines() if ln.strip().startswith("sources:"))
    return [s.strip() for s in line.split(":", 1)[1].split(",")]


# ------------------------------------------------------------------------------ the happy path


def test_demo_exits_zero_and_says_it_started_the_emulator(demo_run: tuple[int, str]) -> None:
    code, output = demo_run
    assert code == 0, output
    assert re.search(r"Target: the local emulator, started in-process at http://127\.0\.0\.1:\d+", output)
    assert "Traceback" not in output
    assert "error" not in output.lower().replace("error: cannot", "")


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_rag_answers_cite_the_right_documents(demo_run: tuple[int, str], framework: str) -> None:
    section = _section(demo_run[1], framework)
    for question, expected in zip(demo.RAG_QUESTIONS, demo.RAG_EXPECTED_SOURCES, strict=False):
        sources = _sources_after(section, question)
        assert expected in sources, (question, sources)
    # The emulator answers with the best-matching context sentences: the facts must come through.
    assert "$549" in section
    assert "$49 per year" in section
    assert "Blinking amber" in section or "blinking amber" in section


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_last_answer_is_streamed(demo_run: tuple[int, str], framework: str) -> None:
    section = _section(demo_run[1], framework)
    lines = section.splitlines()
    start = next(i for i, ln in enumerate(lines) if "A (streamed):" in ln)
    answer = [lines[start]] + [ln for ln in lines[start + 1 :] if ln.startswith(" " * 16) and ln.strip()]
    assert all(len(ln) <= 100 for ln in answer), answer  # wrapped while streaming
    assert "3-year limited warranty" in " ".join(" ".join(answer).split())


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_agent_shows_each_tool_call_and_its_result(demo_run: tuple[int, str], framework: str) -> None:
    section = _section(demo_run[1], framework)
    assert "tool call   convert_units(value=1200" in section
    assert "from_unit='ft2', to_unit='m2')" in section
    assert "tool result 1200 ft2 = 111.5 m2" in section
    assert re.search(r"tool call   search_docs\(query='[^']+'\)", section)
    assert re.search(r"tool result \[[\w.-]+\.md\]", section)  # passages come back with their names
    agent = section[section.index("[3/4]") : section.index("[4/4]")]
    # the question orders its steps: convert first, then search with the converted size, one call each
    calls = re.findall(r"^  tool call   (\w+)\(", agent, re.M)
    assert calls == ["convert_units", "search_docs"], calls
    assert re.search(r"tool call   search_docs\(query='[^']*111\.5 square metres'\)", agent), agent
    # 111.5 m2 is over the Verdant Hub's 100 m2 and within the Pro's 1,000 m2 (models-comparison.md)
    answer = " ".join(agent[agent.index("  A: ") :].split())
    assert answer.startswith("A: 1200 ft2 = 111.5 m2, so the Verdant Hub Pro fits:"), answer
    assert "up to 1,000 square metres" in answer, answer


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_structured_output_prints_the_validated_object(demo_run: tuple[int, str], framework: str) -> None:
    section = _section(demo_run[1], framework)
    assert "-> Order (validated by Pydantic):" in section
    for field, value in {
        "customer_name": "'Dana Whitfield'", "city": "'Lyon'", "country": "'France'",
        "hub_model": "'Verdant Hub Pro'", "hub_quantity": "3", "soilsense_4packs": "2", "express_shipping": "True",
    }.items():  # fmt: skip
        assert re.search(rf"^\s+{field}\s+= {re.escape(value)}$", section, re.M), field


def test_every_step_prints_a_summary_line(demo_run: tuple[int, str]) -> None:
    output = demo_run[1]
    lines = [ln for ln in output.splitlines() if ln.startswith("  -> ") and " s | " in ln]
    assert len(lines) == 8, lines
    for ln in lines:
        m = re.match(
            r"  -> +\d+\.\d\d s \| tokens ([\d,]+ \([\d,]+ in \+ [\d,]+ out\)|n/a.*) \| (\d+) requests?, (\d+) retr(?:y|ies) \| region (.+)$",
            ln,
        )
        assert m, ln
        assert int(m.group(2)) >= 1 and m.group(3) == "0"
        assert "East US" in m.group(4), ln
    table = output[output.index("== Summary") :]
    rows = [ln for ln in table.splitlines() if re.match(r"  (langchain|llamaindex) ", ln)]
    assert [r.split()[:3] for r in rows] == [
        [fw, step, "ok"] for fw in ("langchain", "llamaindex") for step in ("index", "rag", "agent", "structured")
    ]
    for row in rows:
        m = re.match(r"  \w+ +\w+ +ok +\d+\.\d\d s +([\d,]+|-) +(\d+) +0  East US", row)
        assert m, row
        assert (m.group(1) == "-") == (" index " in row), row  # only embeddings lack token counts
    total = re.search(r"^  total +\d+\.\d\d s +([\d,]+) +(\d+) +0$", table, re.M)
    assert total, table
    assert int(total.group(2)) == sum(int(re.split(r" +", r.strip())[6]) for r in rows)
    assert table.count("tokens -: embeddings return vectors only") == 1


def test_embedding_progress_is_shown(demo_run: tuple[int, str]) -> None:
    n = len(demo.chunk_corpus(load_corpus()))
    steps = " ".join(str(min(i + demo.EMBED_BATCH, n)) for i in range(0, n, demo.EMBED_BATCH))
    assert demo_run[1].count(f"embedding {n} chunks: {steps} done") == 2


def test_subprocess_python_m_azoai_app_demo() -> None:
    env = {k: v for k, v in os.environ.items() if k not in AZURE_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "azoai_app", "demo", "--framework", "langchain"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "== LangChain" in proc.stdout and "== LlamaIndex" not in proc.stdout
    assert "tool call   convert_units(" in proc.stdout
    assert "-> Order (validated by Pydantic):" in proc.stdout
    assert proc.stderr.strip() == "" or "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------ failures


@pytest.mark.allow_hosts(["127.0.0.1"])
def test_plain_http_to_a_remote_host_is_diagnosed_not_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://192.0.2.10")  # TEST-NET-1: never routed
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k" * 32)
    code, output = _run(["--chat-deployment", "gpt-5.2", "--embedding-deployment", "text-embedding-3-small"])
    assert code != 0
    err = _error(output)
    assert "ConfigurationError" in err and "http" in err.lower(), err
    assert "https" in err, err  # the fix
    assert "Traceback" not in output
    assert "--verbose" in output


def test_wrong_key_against_the_emulator_is_diagnosed(monkeypatch: pytest.MonkeyPatch, emulator_url: str) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator_url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "not-the-emulator-key")
    monkeypatch.setenv("AZURE_OPENAI_CHAT_DEPLOYMENT", "gpt-5.2")
    monkeypatch.setenv("AZURE_OPENAI_EMBEDDING_DEPLOYMENT", "text-embedding-3-small")
    code, output = _run(["--framework", "langchain"])
    assert code == 1
    assert f"Target: {emulator_url}" in output
    err = _error(output)
    assert err.startswith("error in langchain step 'index': AuthenticationError "), err
    assert "key" in err.lower()
    assert "Traceback" not in output


def test_verbose_adds_the_traceback(monkeypatch: pytest.MonkeyPatch, emulator_url: str) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator_url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "not-the-emulator-key")
    code, output = _run(["--framework", "llamaindex", "--chat-deployment", "gpt-5.2",
                         "--embedding-deployment", "text-embedding-3-small", "--verbose"])  # fmt: skip
    assert code == 1
    assert "AuthenticationError" in output
    assert "Traceback (most recent call last)" in output


def test_a_real_endpoint_without_deployments_names_the_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://my-resource.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k" * 32)
    code, output = _run([])
    assert code == 1
    err = _error(output)
    assert err.startswith("error: ConfigurationError No chat deployment for the demo"), err
    assert "--chat-deployment" in err and "AZURE_OPENAI_CHAT_DEPLOYMENT" in err


def test_a_real_endpoint_without_credentials_says_how_to_authenticate(monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://my-resource.openai.azure.com")
    code, output = _run(["--chat-deployment", "chat", "--embedding-deployment", "embed"])
    assert code == 1
    err = _error(output)
    assert "AZURE_OPENAI_API_KEY is not" in err and "--auth managed|workload|entra|cli" in err, err


# ------------------------------------------------------------------------- the demo's own parts


def test_corpus_is_shipped_and_chunked_within_bounds() -> None:
    docs = load_corpus()
    assert 30 <= len(docs) <= 40
    assert {"pricing.md", "warranty.md", "led-codes.md"} <= {d.name for d in docs}
    chunks = demo.chunk_corpus(docs)
    assert {c.source for c in chunks} == {d.name for d in docs}
    assert all(len(c.body) <= 360 or "\n" not in c.body for c in chunks)
    pricing = [c for c in chunks if c.source == "pricing.md"]
    assert pricing[0].title == "Prices (USD, before tax)"
    assert "Verdant Hub Pro costs $549." in " ".join(c.body for c in pricing)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("3 * 549 + 2 * 139", "1925"), ("(2 + 3) * 4", "20"), ("1,200 / 10.7639", "111.484"), ("$549 * 3", "1647"),
     ("2 ** 1000", "error: cannot evaluate '2 ** 1000': exponent too large"),
     ("__import__('os')", "error: cannot evaluate \"__import__('os')\": unsupported expression element Call"),
     ("1 / 0", "error: cannot evaluate '1 / 0': division by zero")],
)  # fmt: skip
def test_calculator(expression: str, expected: str) -> None:
    assert demo.calculate(expression) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [((1200, "ft2", "m2"), "1200 ft2 = 111.5 m2"), ((2, "C", "F"), "2 C = 35.6 F"),
     ((40, "km/h", "mph"), "40 km/h = 24.85 mph"), ((1, "kg", "m"), "error: cannot convert 'kg' to 'm'")],
)  # fmt: skip
def test_convert_units(args: tuple[float, str, str], expected: str) -> None:
    assert demo.convert_units(*args) == expected


@pytest.mark.allow_hosts(["127.0.0.1"])
def test_auth_mode_failure_is_a_diagnosis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://my-resource.openai.azure.com")
    monkeypatch.setenv("PATH", str(tmp_path))  # no Azure CLI to be found
    code, output = _run(["--auth", "cli", "--chat-deployment", "chat", "--embedding-deployment", "embed"])
    assert code == 1
    assert "Target: https://my-resource.openai.azure.com (from AZURE_OPENAI_ENDPOINT), auth: cli" in output
    err = _error(output)
    assert "TokenAcquisitionError" in err and "AzureCliCredential" in err and "az login" in err, err
    assert "Traceback" not in output


def test_retries_are_counted_in_the_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_core.emulator import server
    from shared_core.emulator.config import EmulatorConfig, FaultSpec

    # The first two requests are throttled with a short retry-after: the core retries them.
    config = EmulatorConfig(faults=FaultSpec(burst_429=2, retry_after=0.01))
    with server.start_in_thread(config=config) as handle:
        _clean_env(monkeypatch)
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", str(handle.url))
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", str(handle.api_key))
        code, output = _run(["--framework", "langchain", "--chat-deployment", "gpt-5.2",
                             "--embedding-deployment", "text-embedding-3-small"])  # fmt: skip
    assert code == 0, output
    index_line = next(
        ln for ln in output.splitlines() if ln.startswith("  -> ") and "embeddings return vectors only" in ln
    )
    n_batches = -(-len(demo.chunk_corpus(load_corpus())) // demo.EMBED_BATCH)
    assert f"| {n_batches + 2} requests, 2 retries |" in index_line, index_line
    assert re.search(r"^  total +[\d.]+ s +[\d,]+ +\d+ +2$", output, re.M)


def test_emulator_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://my-resource.openai.azure.com")
    code, output = _run(["--emulator", "--framework", "llamaindex"])
    assert code == 0, output
    assert "Target: the local emulator, started in-process at http://127.0.0.1:" in output
    assert "== LlamaIndex" in output and "== LangChain" not in output


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        demo.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--framework", "--auth", "--chat-deployment", "--embedding-deployment", "--emulator", "--verbose"):
        assert option in text


def test_the_demo_is_split_into_small_modules() -> None:
    """No module of the app is over 600 lines (the demo was one file of 876)."""
    sizes = {
        str(p.relative_to(REPO)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (REPO / "azoai_app").rglob("*.py")
    }
    assert "azoai_app/demo/__init__.py" in sizes
    assert {name: n for name, n in sizes.items() if n > 600} == {}
