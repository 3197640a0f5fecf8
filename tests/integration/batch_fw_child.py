"""A process that embeds a corpus through a framework's batch embedding class, so a test can kill
it mid-job and start it again.

LangChain: ``InMemoryVectorStore.from_documents`` with ``AzureOpenAIBatchEmbeddings``; LlamaIndex:
an ``IngestionPipeline`` whose one transformation is ``AzureOpenAIBatchEmbedding``. The vectors
are written to OUT (JSON, in corpus order, read back out of the store / the nodes), then ``done``.

Usage: ``python -m tests.integration.batch_fw_child FRAMEWORK URL KEY STORE_DIR OUT N PER_FILE``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from shared_core.services.batch_plan import BatchLimits

from .batch_child import DEPLOYMENT, DIMENSIONS, corpus

API_VERSION = "2024-10-21"


def settings(url: str, key: str) -> dict[str, Any]:
    return {
        "azure_endpoint": url,
        "api_key": key,
        "api_version": API_VERSION,
        "azure_deployment": DEPLOYMENT,
        "dimensions": DIMENSIONS,
    }


def langchain_vectors(url: str, key: str, store_dir: str, texts: list[str], per_file: int) -> list[list[float]]:
    from langchain_core.documents import Document
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_azoai import AzureOpenAIBatchEmbeddings

    embed = AzureOpenAIBatchEmbeddings(
        **settings(url, key),
        batch_manifest_dir=store_dir,
        batch_poll_interval=0.05,
        batch_timeout=600,
        batch_limits=BatchLimits(max_requests=per_file),
    )
    ids = [str(i) for i in range(len(texts))]
    store = InMemoryVectorStore.from_documents([Document(page_content=t) for t in texts], embed, ids=ids)
    return [list(store.store[i]["vector"]) for i in ids]


def llamaindex_vectors(url: str, key: str, store_dir: str, texts: list[str], per_file: int) -> list[list[float]]:
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.schema import TextNode

    from llamaindex_azoai import AzureOpenAIBatchEmbedding

    embed = AzureOpenAIBatchEmbedding(
        **settings(url, key),
        model=DEPLOYMENT,
        batch_manifest_dir=store_dir,
        batch_poll_interval=0.05,
        batch_timeout=600,
        batch_limits=BatchLimits(max_requests=per_file),
    )
    nodes = IngestionPipeline(transformations=[embed]).run(
        nodes=[TextNode(text=t, id_=str(i)) for i, t in enumerate(texts)]
    )
    by_id = {n.node_id: n.embedding for n in nodes}
    return [list(by_id[str(i)] or []) for i in range(len(texts))]


def main(framework: str, url: str, key: str, store_dir: str, out: str, n: int, per_file: int) -> None:
    run = langchain_vectors if framework == "langchain" else llamaindex_vectors
    vectors = run(url, key, store_dir, corpus(n), per_file)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(vectors, f)
    print("done", flush=True)


if __name__ == "__main__":
    fw, u, k, s, o, count, per = sys.argv[1:8]
    main(fw, u, k, s, o, int(count), int(per))
