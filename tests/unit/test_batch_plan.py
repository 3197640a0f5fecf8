"""Batch runner pieces without a server: splitting within limits, custom_ids, the line reader,
the manifest store, the estimate, the runner's argument checks, and the paged batch lookup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_core.client import CoreClient
from shared_core.errors import ConfigurationError
from shared_core.services import batch_runner
from shared_core.services.batch_bodies import EmbeddingBodies
from shared_core.services.batch_files import LineSplitter
from shared_core.services.batch_manifest import FileManifestStore, Manifest, Part, Submission, input_key
from shared_core.services.batch_plan import (
    BatchLimits,
    custom_id,
    estimate,
    index_of,
    line,
    part_file,
    plan_parts,
)
from shared_core.services.batch_runner import BatchRunner
from shared_core.wire.embeddings import build_embeddings_body

BODY = {"messages": [{"role": "user", "content": "hello there"}]}


def test_a_line_is_azures_batch_input_shape() -> None:
    assert json.loads(line("/chat/completions", "gpt-5.2-batch", 7, BODY)) == {
        "custom_id": "azoai-7",
        "method": "POST",
        "url": "/chat/completions",
        "body": {"messages": [{"role": "user", "content": "hello there"}], "model": "gpt-5.2-batch"},
    }
    assert line("/embeddings", "d", 0, {"input": ["é"], "model": "x"}) == (
        b'{"custom_id":"azoai-0","method":"POST","url":"/embeddings","body":{"input":["\\u00e9"],"model":"d"}}\n'
    )
    assert json.loads(line("/embeddings", "d", 1, {}))["body"] == {"model": "d"}


def test_custom_ids_map_back_and_foreign_ones_do_not() -> None:
    assert [index_of(custom_id(i), 10) for i in (0, 9)] == [0, 9]
    assert [index_of(x, 10) for x in ("azoai-10", "azoai-x", "r1", None, 3)] == [None] * 5


def test_parts_split_on_requests_bytes_and_tokens() -> None:
    bodies = [BODY] * 10
    size = len(line("/chat/completions", "d", 9, BODY))
    by_count, tokens, key = plan_parts(bodies, "/chat/completions", "d", BatchLimits(max_requests=4), count_tokens=True)
    assert [(p.start, p.count) for p in by_count] == [(0, 4), (4, 4), (8, 2)] and tokens > 0
    assert key == input_key("/chat/completions", "d", bodies)
    by_bytes, _, _ = plan_parts(bodies, "/chat/completions", "d", BatchLimits(max_bytes=3 * size))
    assert [p.count for p in by_bytes] == [3, 3, 3, 1]
    per = tokens // 10
    by_tokens, _, _ = plan_parts(bodies, "/chat/completions", "d", BatchLimits(max_tokens=5 * per))
    assert [p.count for p in by_tokens] == [5, 5] and [p.tokens for p in by_tokens] == [5 * per, 5 * per]
    data = part_file(bodies, "/chat/completions", "d", range(4, 6))
    assert [json.loads(x)["custom_id"] for x in data.splitlines()] == ["azoai-4", "azoai-5"]


def test_parts_are_cut_at_the_exact_byte_size_of_their_files() -> None:
    # bodies of every kind the size is worked out for: plain, with a model to replace, empty, non-ASCII,
    # and indexes of growing digit counts; each part's file fits and the next line would not
    bodies: list[dict[str, Any]] = [
        [{"input": ["x" * (i % 7)]}, {"input": ["é"], "model": "m"}, {}, {"input": ["ü" * (i % 9)]}][i % 4]
        for i in range(120)
    ]
    limit = 700
    parts, _, key = plan_parts(bodies, "/embeddings", "dep", BatchLimits(max_bytes=limit))
    assert key == input_key("/embeddings", "dep", bodies) and sum(p.count for p in parts) == 120
    for p in parts:
        size = len(part_file(bodies, "/embeddings", "dep", range(p.start, p.start + p.count)))
        end = p.start + p.count
        assert size <= limit
        if end < len(bodies):
            assert size + len(line("/embeddings", "dep", end, bodies[end])) > limit


def test_limits_and_inputs_that_cannot_be_batched_say_so() -> None:
    with pytest.raises(ConfigurationError) as e:
        BatchLimits(max_requests=100_001)
    assert str(e.value) == "max_requests=100001: Azure takes 1 to 100,000 requests per file"
    with pytest.raises(ConfigurationError) as e:
        BatchLimits(max_bytes=300 * 1024 * 1024)
    assert str(e.value) == "max_bytes=314572800: Azure takes input files up to 200 MB (209715200 bytes)"
    with pytest.raises(ConfigurationError) as e:
        plan_parts(
            [BODY, {"messages": [{"role": "user", "content": "word " * 500}]}],
            "/chat/completions",
            "d",
            BatchLimits(max_tokens=100),
        )
    assert str(e.value).startswith("request 1 alone is ") and str(e.value).endswith(
        "over one batch's limit (209715200 bytes / 100 tokens): shorten it or send it interactively"
    )
    with pytest.raises(ConfigurationError) as e:
        plan_parts([], "/chat/completions", "d", BatchLimits())
    assert str(e.value) == "no requests to batch: pass at least one"


def test_estimate_before_submitting() -> None:
    est = estimate(
        [BODY] * 2_001, "/chat/completions", "d", BatchLimits(max_requests=1000), price_per_million_input=1.0
    )
    assert est.requests == 2_001 and est.batches == 3
    assert est.input_cost == pytest.approx(est.input_tokens / 1_000_000)
    with pytest.raises(ConfigurationError) as e:
        estimate([BODY], "/completions", "d")
    assert str(e.value).startswith("endpoint='/completions' cannot be batched: use one of /chat/completions")


@pytest.mark.parametrize("plan", ["file", "blob"])
def test_both_batch_creates_refuse_what_azure_does_not_batch(plan: str) -> None:
    """Learn (how-to/batch): ``/chat/completions`` and ``/embeddings`` only, ``completion_window`` 24h."""
    from shared_core.services.batch_blob import plan_create_blob_batch
    from shared_core.services.jobs import plan_create_batch

    def create(**kw: Any) -> Any:
        if plan == "file":
            return plan_create_batch("file-abc123", **kw)
        blob = "https://acct.blob.core.windows.net/in/x.jsonl"
        return plan_create_blob_batch(blob, "https://acct.blob.core.windows.net/out", **kw)

    with pytest.raises(ConfigurationError) as e:
        create(endpoint="/completions")
    assert str(e.value).startswith("endpoint='/completions' cannot be batched: use one of /chat/completions")
    with pytest.raises(ConfigurationError) as e:
        create(completion_window="48h")
    assert str(e.value).startswith("completion_window='48h': Azure batches take '24h' only")
    assert e.value.setting == "completion_window"


def test_line_splitter_handles_any_chunking() -> None:
    data = b'{"a":1}\n\n{"b":2}\n{"c":3}'
    for size in (1, 2, 5, 100):
        s, out = LineSplitter(), []
        for i in range(0, len(data), size):
            out += s.feed(data[i : i + size])
        out += s.end()
        assert out == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_file_store_round_trips_and_is_atomic(tmp_path: Path) -> None:
    store = FileManifestStore(tmp_path / "m")
    key = input_key("/embeddings", "d", [{"input": ["a"]}])
    assert key == input_key("/embeddings", "d", [{"input": ["a"]}]) != input_key("/embeddings", "d", [{"input": ["b"]}])
    m = Manifest(key, "/embeddings", "d", 3, [Part(0, 3, [Submission(file_id="file-1", batch_id="batch_1")])])
    assert store.load(key) is None
    store.save(key, m.to_dict())
    assert Manifest.from_dict(store.load(key) or {}) == m
    assert [p.name for p in (tmp_path / "m").iterdir()] == [f"{key}.json"]  # no temp file left
    (tmp_path / "m" / f"{key}.json").write_text("{oops")
    with pytest.raises(ConfigurationError) as e:
        store.load(key)
    assert "is not valid JSON: delete it only if no batch of this job is still running on Azure" in str(e.value)
    with pytest.raises(ConfigurationError) as e:
        Manifest.from_dict(m.to_dict() | {"version": 0})
    assert str(e.value).endswith(
        "has version 0, this library writes 1: finish the job with the library version that started it"
    )
    with pytest.raises(ConfigurationError):
        store.path("../x")
    store.delete(key)
    assert store.load(key) is None


def _client(handler: Any) -> CoreClient:
    return CoreClient.from_settings(
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        api_version="2024-10-21",
        require_deployment=False,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_runner_arguments_are_checked() -> None:
    client = _client(lambda r: httpx.Response(500))
    cases = [
        ({"deployment": ""}, "deployment is empty: name the Global-Batch deployment"),
        ({"on_failure": "ignore"}, "on_failure='ignore': use one of retry, interactive, report"),
        ({"poll_interval": 0}, "poll_interval=0 and timeout=172800 must be positive, max_retries >= 0"),
    ]
    for kw, message in cases:
        args: dict[str, Any] = {"deployment": "d", **kw}
        with pytest.raises(ConfigurationError) as e:
            BatchRunner(client, **args)
        assert str(e.value) == message
    with pytest.raises(ConfigurationError) as e:
        BatchRunner(client, "d").run("not a list")  # type: ignore[arg-type]
    assert str(e.value).startswith("requests must be a list of request bodies")


def test_lookup_after_a_crash_pages_through_the_batch_list() -> None:
    seen: list[str] = []

    def batch(i: int, fid: str) -> dict[str, Any]:
        return {"id": f"batch_{i}", "status": "in_progress", "input_file_id": fid, "endpoint": "/embeddings"}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url.query, "ascii"))
        if "after" not in request.url.params:
            return httpx.Response(200, json={"object": "list", "data": [batch(1, "file-a")], "has_more": True})
        return httpx.Response(200, json={"object": "list", "data": [batch(2, "file-b")], "has_more": False})

    found = batch_runner._find(_client(handler), "file-b")
    assert found is not None and found.id == "batch_2"
    assert seen == ["api-version=2024-10-21&limit=100", "api-version=2024-10-21&limit=100&after=batch_1"]
    assert batch_runner._find(_client(handler), "file-z") is None


@pytest.mark.parametrize("dimensions", [None, 256])
def test_embedding_bodies_encode_without_dicts_to_the_same_files_and_key(dimensions: int | None) -> None:
    # the plan and the part files take EmbeddingBodies' own encoding (no dict per body): the files
    # must be byte for byte those of the dicts, and the key the one input_key gives the dicts, so a
    # job started before this shortcut (or with the bodies as a list) is found again on a rerun
    texts = ["plain", 'a "quote" and a \\ backslash', "é ü 中文 😀", "\x00\x1f\n\t controls", "", "</script>"] * 7
    fast = EmbeddingBodies(texts, dimensions=dimensions)
    plain = [build_embeddings_body([t], body_model=None, dimensions=dimensions) for t in texts]
    assert [fast.encoded(i) for i in range(len(texts))] == [json.dumps(b, separators=(",", ":")) for b in plain]
    limits = BatchLimits(max_requests=9, max_bytes=1_400)
    parts, tokens, key = plan_parts(fast, "/embeddings", "dep", limits, count_tokens=True)
    assert (parts, tokens, key) == plan_parts(plain, "/embeddings", "dep", limits, count_tokens=True)
    assert key == input_key("/embeddings", "dep", plain) and len(parts) > len(texts) // 9
    for p in parts:
        data = part_file(fast, "/embeddings", "dep", range(p.start, p.start + p.count))
        assert data == part_file(plain, "/embeddings", "dep", range(p.start, p.start + p.count))
        assert len(data) <= limits.max_bytes
        assert [json.loads(ln)["body"] for ln in data.splitlines()] == [
            {**plain[i], "model": "dep"} for i in range(p.start, p.start + p.count)
        ]
