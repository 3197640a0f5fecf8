"""Proof (issue 14): 20,000 chunks embedded through each framework's batch embedding class via the
Batch API against the emulator; the process is SIGKILLed once its manifest shows a second batch
created, and started again. Every vector comes back, in order, equal to the framework's
interactive class's, the emulator counted no line enqueued twice, and no batch was created twice.
(About 20 s per framework on the 2-core machine; benchmarks/bench_batch_frameworks.py records it.)"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .batch_fw_proof import prove

N, PER_FILE = 20_000, 5_000


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_killed_and_restarted_framework_job_returns_every_vector_once(framework: str, tmp_path: Path) -> None:
    proof = prove(framework, N, PER_FILE, tmp_path)
    assert proof.parts == 4 and proof.batches_at_kill >= 2
    assert len(proof.vectors) == N and proof.vectors == proof.direct
    assert len({tuple(v) for v in proof.vectors[:100]}) == 100  # distinct texts, distinct vectors: order matters
    assert proof.batches == proof.parts  # no batch created twice
    assert proof.batches_at_kill + proof.created_after_restart <= proof.parts  # the rest were resumed or found
    assert proof.lines == {"submitted": N, "distinct": N, "repeated": 0}
