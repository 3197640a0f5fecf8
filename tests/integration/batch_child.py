"""A process that embeds a corpus through the batch runner and reports each step on stdout
(``event <kind> <part>``), so a test can kill it at a known point and start it again.

Usage: ``python -m tests.integration.batch_child URL KEY STORE_DIR OUT N PER_FILE``; writes the
vectors to OUT as JSON and prints ``done``.
"""

from __future__ import annotations

import json
import sys

from shared_core.client import CoreClient
from shared_core.services.batch_bodies import embedding_requests, embedding_vectors
from shared_core.services.batch_manifest import FileManifestStore
from shared_core.services.batch_plan import BatchLimits
from shared_core.services.batch_runner import BatchEvent, BatchRunner

DEPLOYMENT = "text-embedding-3-small"
DIMENSIONS = 64


def corpus(n: int) -> list[str]:
    """Deterministic chunks (a few repeat on purpose: equal texts are still separate requests)."""
    topics = ("apples", "rivers", "engines", "violins", "glaciers", "markets", "proteins")
    return [f"chunk {i % (n - 5)} on {topics[i % 7]} and {topics[(i * 3) % 7]}, part {i // 7}" for i in range(n)]


def report(event: BatchEvent) -> None:
    print(f"event {event.kind} {event.part}", flush=True)


def main(url: str, key: str, store_dir: str, out: str, n: int, per_file: int) -> None:
    client = CoreClient.from_settings(
        azure_endpoint=url, api_key=key, api_version="2024-10-21", require_deployment=False
    )
    runner = BatchRunner(
        client,
        DEPLOYMENT,
        endpoint="/embeddings",
        store=FileManifestStore(store_dir),
        limits=BatchLimits(max_requests=per_file),
        poll_interval=0.05,
        timeout=60,
        on_event=report,
    )
    vectors = embedding_vectors(runner.run(embedding_requests(corpus(n), dimensions=DIMENSIONS)))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(vectors, f)
    print("done", flush=True)


if __name__ == "__main__":
    u, k, s, o, count, per = sys.argv[1:7]
    main(u, k, s, o, int(count), int(per))
