"""Conformance hooks: the CI guard for a missing recordings folder, and the session summary.

* CI guard: with ``CI=true``, any test skipped because the recordings folder is absent fails
  the session (a conformance run that exercised nothing must not look green).
* Summary: at the end, one line says how many real interactions were exercised per kind and
  how they fared, and how many recordings are not yet supported (never counted as passed).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

from ._cases import MISSING_PREFIX, all_interactions
from .recordings import kind_of

#: Per-interaction test functions: (module, function) -> (suite, kind exercised).
_TEST_KINDS = {
    ("test_core_conformance", "test_chat_response"): ("core", "chat"),
    ("test_core_conformance", "test_chat_stream"): ("core", "stream"),
    ("test_core_conformance", "test_embeddings_response"): ("core", "embeddings"),
    ("test_core_conformance", "test_error_response"): ("core", "errors"),
    ("test_client_conformance", "test_chat"): ("client", "chat"),
    ("test_client_conformance", "test_stream_chat"): ("client", "stream"),
    ("test_client_conformance", "test_embed"): ("client", "embeddings"),
    ("test_client_conformance", "test_error"): ("client", "errors"),
    ("test_client_conformance", "test_astream_chat"): ("client", "async samples"),
    ("test_langchain_conformance", "test_invoke"): ("langchain", "chat"),
    ("test_langchain_conformance", "test_stream"): ("langchain", "stream"),
    ("test_langchain_conformance", "test_error"): ("langchain", "errors"),
    ("test_langchain_conformance", "test_ainvoke"): ("langchain", "async samples"),
    ("test_langchain_conformance", "test_astream"): ("langchain", "async samples"),
    ("test_langchain_conformance", "test_aerror"): ("langchain", "async samples"),
    ("test_langchain_conformance", "test_generate_keeps_every_choice"): ("langchain", "n>1 generate"),
    ("test_langchain_conformance", "test_embed_documents"): ("langchain", "embeddings"),
    ("test_langchain_conformance", "test_embed_error"): ("langchain", "errors"),
    ("test_llamaindex_conformance", "test_text_embedding_batch"): ("llamaindex", "embeddings"),
    ("test_llamaindex_conformance", "test_embedding_error"): ("llamaindex", "errors"),
    ("test_llamaindex_conformance", "test_chat"): ("llamaindex", "chat"),
    ("test_llamaindex_conformance", "test_stream_chat"): ("llamaindex", "stream"),
    ("test_llamaindex_conformance", "test_error"): ("llamaindex", "errors"),
    ("test_llamaindex_conformance", "test_achat"): ("llamaindex", "async samples"),
    ("test_llamaindex_conformance", "test_astream_chat"): ("llamaindex", "async samples"),
    ("test_llamaindex_conformance", "test_aerror"): ("llamaindex", "async samples"),
    ("test_responses_conformance", "test_responses_answer"): ("core", "responses"),
    ("test_responses_conformance", "test_responses_stream"): ("core", "responses"),
    ("test_responses_conformance", "test_responses_error"): ("core", "responses"),
    ("test_responses_conformance", "test_client_responses"): ("client", "responses"),
    ("test_responses_conformance", "test_client_aresponses"): ("client", "async samples"),
    ("test_responses_adapters", "test_langchain_responses"): ("langchain", "responses"),
    ("test_responses_adapters", "test_langchain_responses_error"): ("langchain", "responses"),
    ("test_responses_adapters", "test_llamaindex_responses"): ("llamaindex", "responses"),
    ("test_responses_adapters", "test_llamaindex_responses_error"): ("llamaindex", "responses"),
    # hook for the adapters' Responses suites: register their per-interaction tests here as
    # (suite, "responses"); a suite so registered no longer counts Responses as unsupported
}
#: suites that count the Responses recordings "not yet supported" until they register a test
#: of kind "responses" above
_RESPONSES_SUITES = ("langchain", "llamaindex")
_KIND_ORDER = ("chat", "stream", "embeddings", "errors", "responses", "async samples", "n>1 generate")
_NOT_NEW = ("async samples", "n>1 generate")  # re-runs of interactions already counted


class _ConformanceReport:
    def __init__(self) -> None:
        self.missing_skips: list[str] = []
        self.kind_by_nodeid: dict[str, tuple[str, str]] = {}
        self.outcomes: dict[str, Counter[str]] = {}

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            fn = getattr(item, "originalname", None) or item.name.split("[")[0]
            module = item.nodeid.split("::")[0].replace("\\", "/")
            if "conformance/" not in module:
                continue
            kind = _TEST_KINDS.get((module.rsplit("/", 1)[-1].removesuffix(".py"), fn))
            if kind:
                self.kind_by_nodeid[item.nodeid] = kind

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and MISSING_PREFIX in str(report.longrepr):
            self.missing_skips.append(report.nodeid)
            return
        kind = self.kind_by_nodeid.get(report.nodeid)
        if kind is None:
            return
        # one outcome per test: a failure in any phase wins, else the call phase's result
        if report.when == "call" or report.failed or report.skipped:
            counts = self.outcomes.setdefault(report.nodeid, Counter())
            counts[report.outcome] += 1

    def per_kind(self) -> dict[tuple[str, str], Counter[str]]:
        out: dict[tuple[str, str], Counter[str]] = {}
        for nodeid, counts in self.outcomes.items():
            kind = self.kind_by_nodeid[nodeid]
            outcome = "failed" if counts["failed"] else "skipped" if counts["skipped"] else "passed"
            out.setdefault(kind, Counter())[outcome] += 1
        return out

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if os.environ.get("CI", "").lower() == "true" and self.missing_skips:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        if os.environ.get("CI", "").lower() == "true" and self.missing_skips:
            tr.write_sep("=", "conformance: FAILED in CI", red=True)
            tr.write_line(
                f"{len(self.missing_skips)} conformance test(s) skipped because the real Azure "
                "recordings are missing. CI must run them: check out the shared recordings and "
                "set AZOAI_RECORDINGS to their folder (see tests/conftest.py)."
            )
        if not self.outcomes:
            return
        per = self.per_kind()
        tr.write_sep("-", "conformance")
        for suite in ("core", "client", "langchain", "llamaindex"):
            kinds = {k: c for (su, k), c in per.items() if su == suite}
            if not kinds:
                continue
            total = sum(sum(c.values()) for k, c in kinds.items() if k not in _NOT_NEW)
            parts = []
            for kind in _KIND_ORDER:
                if kind not in kinds:
                    continue
                c = kinds[kind]
                detail = f"{c['passed']} passed"
                if c["failed"]:
                    detail += f", {c['failed']} FAILED"
                if c["skipped"]:
                    detail += f", {c['skipped']} skipped"
                parts.append(f"{kind} {sum(c.values())} ({detail})")
            what = "exercised" if suite == "core" else "replayed"
            tr.write_line(f"conformance {suite}: {total} interactions {what}: " + "; ".join(parts))
        unsupported = Counter(kind_of(ix) for ix in all_interactions())
        frames = sum(1 for ix in all_interactions() if ix.transport == "ws")
        pending = [s for s in _RESPONSES_SUITES if (s, "responses") not in per]
        responses = f"responses {unsupported['responses']} through {' and '.join(pending)}, " if pending else ""
        tr.write_line(
            "conformance: not yet supported (not counted as passed): "
            f"{responses}"
            f"realtime {unsupported['realtime'] - frames} HTTP + {frames} WebSocket frames, "
            f"other (non-Azure hosts, side fetches) {unsupported['other']}"
        )


def pytest_configure(config: pytest.Config) -> None:
    # Registered as a plugin (not plain conftest hooks) so it sees every test's report.
    if not config.pluginmanager.has_plugin("azoai-conformance-report"):
        config.pluginmanager.register(_ConformanceReport(), "azoai-conformance-report")
