"""20,000 chunks through each framework's batch embedding class, killed mid-job and restarted.

Run: ``python benchmarks/bench_batch_frameworks.py [--n 20000] [--per-file 5000] [--job-seconds 1]``.
The same proof ``tests/integration/test_batch_frameworks_proof.py`` asserts (``tests/integration/
batch_fw_proof.py``): a subprocess fills a LangChain ``InMemoryVectorStore`` (``from_documents``
with ``AzureOpenAIBatchEmbeddings``) or runs a LlamaIndex ``IngestionPipeline`` (with
``AzureOpenAIBatchEmbedding``) against the emulator in this process, is SIGKILLed once its manifest
holds two batch ids, and is started again. Prints markdown; never asserts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.batch_fw_proof import prove  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--per-file", type=int, default=5_000)
    parser.add_argument("--job-seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"## {args.n:,} chunks, {args.per_file:,} per batch, emulator job_seconds={args.job_seconds:g}\n")
    print(
        "| framework | killed at (s) | batches at kill | created after restart | batches in all | whole job (s) "
        "| vectors equal to interactive, in order | emulator per-line counter |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for framework in ("langchain", "llamaindex"):
        with tempfile.TemporaryDirectory() as tmp:
            p = prove(framework, args.n, args.per_file, Path(tmp), job_seconds=args.job_seconds)
        print(
            f"| {framework} | {p.killed_at:.1f} | {p.batches_at_kill} | {p.created_after_restart} | {p.batches} "
            f"| {p.wall:.1f} | {p.equal} ({len(p.vectors):,}) | `{p.lines}` |"
        )


if __name__ == "__main__":
    main()
