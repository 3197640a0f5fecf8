"""The batch runner's own cost, and the 20,000-chunk kill-and-resume run against the emulator.

Run: ``python benchmarks/bench_batch_runner.py [--quick] [--n 1000000] [--e2e 20000]``. Never asserts;
prints markdown.

1. Runner cost for N embedding requests (default 1,000,000, 1,536 dimensions). The runner's real
   code (the ``_job`` generator: plan, manifest, part files, collector) runs under a driver that
   stands in for Azure in memory: uploads are dropped, every batch is completed at once, and each
   output file is generated line by line in Azure's shape (base64 vectors, as the runner asks).
   The input is `batch_embed`'s `EmbeddingBodies` over a lazy sequence of texts (made on access) so the peak memory measured is the
   runner's, not the caller's list. Reported: CPU of building the files (plan + JSONL + input
   hash), of reading the output (JSON per line, custom_id back to index), and of decoding the
   vectors (the work a caller does anyway), and the peak RSS growth.
2. End to end: N chunks embedded through the emulator by a subprocess that is killed (SIGKILL)
   after its second batch is created and started again; checks every vector against the
   interactive path and the emulator's per-line counter.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared_core.services import batch_runner as br  # noqa: E402
from shared_core.services.batch_bodies import EmbeddingBodies, EmbeddingInput, _vector_sink  # noqa: E402
from shared_core.services.batch_files import LineSplitter  # noqa: E402
from shared_core.services.batch_manifest import MemoryManifestStore  # noqa: E402
from shared_core.services.batch_plan import BatchLimits, part_file, plan_parts  # noqa: E402
from shared_core.services.batch_results import Collector  # noqa: E402
from shared_core.services.job_objects import Batch, FileObject  # noqa: E402

DIMS = 1536


class LazyTexts(Sequence[str]):
    """N texts made on access (the caller's corpus, without holding it)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        if not 0 <= i < self.n:
            raise IndexError(i)
        return f"chunk {i} of the corpus, a few sentences about topic {i % 97}"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FakeAzure:
    """Stands in for the service: remembers which lines each file holds, completes batches at once,
    and streams output files generated line by line."""

    def __init__(self) -> None:
        self.files: dict[str, array[int]] = {}
        self.batches: dict[str, str] = {}
        self.read_cpu = 0.0
        self.deleted: list[str] = []
        vec = base64.b64encode(struct.pack(f"<{DIMS}f", *[0.001 * (k % 113) for k in range(DIMS)])).decode()
        body = {
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": vec}],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 12, "total_tokens": 12},
        }
        self.template = json.dumps(
            {
                "id": "batch_req_x",
                "custom_id": "@@",
                "response": {"status_code": 200, "request_id": "r", "body": body},
                "error": None,
            }
        ).encode()

    def ids(self, data: bytes) -> array[int]:
        # the input indexes the file's custom_ids name (what Azure answers for), 8 bytes each so
        # the stand-in's own memory stays small beside the runner's
        out = array("q")
        for ln in data.splitlines():
            start = ln.index(b'"custom_id":"azoai-') + 19
            out.append(int(ln[start : ln.index(b'"', start)]))
        return out

    def lines(self, fid: str) -> Iterator[bytes]:
        head, tail = self.template.split(b"@@")
        head += b"azoai-"
        for i in self.files.get(fid, ()):
            yield head + str(i).encode() + tail

    def chunks(self, fid: str) -> Iterator[bytes]:
        """The file as the HTTP body arrives: 64 KiB pieces that cut lines anywhere."""
        lines = self.lines(fid)
        while group := list(itertools.islice(lines, 8)):
            data = b"\n".join(group) + b"\n"
            for k in range(0, len(data), 65536):
                yield data[k : k + 65536]


def read_lines(chunks: Iterator[bytes], sink: Any) -> None:
    """What ``batch_files.iter_file_lines`` does with the body: split it into lines as it arrives."""
    splitter = LineSplitter()
    for chunk in chunks:
        for line in splitter.feed(chunk):
            sink(line)
    for line in splitter.end():
        sink(line)


def drive(gen: Any, azure: FakeAzure) -> Any:
    answer: Any = None
    azure.read_cpu = 0.0
    while True:
        try:
            op = gen.send(answer)
        except StopIteration as stop:
            return stop.value
        answer = None
        if isinstance(op, br._Upload):
            fid = f"file-{len(azure.files)}"
            azure.files[fid] = azure.ids(op.data)
            answer = FileObject(fid, op.name, "batch", len(op.data), "processed", 0, {})
        elif isinstance(op, br._Create):
            bid = f"batch_{len(azure.batches)}"
            azure.batches[bid] = op.file_id
            answer = Batch(bid, "validating", op.endpoint, op.file_id, None, None, {}, {})
        elif isinstance(op, br._Get):
            fid = azure.batches[op.batch_id]
            n = len(azure.files[fid])
            counts = {"total": n, "completed": n, "failed": 0}
            answer = Batch(op.batch_id, "completed", "/embeddings", fid, fid, None, counts, {})
        elif isinstance(op, br._Read):
            t = time.process_time()
            read_lines(azure.chunks(op.file_id), op.sink)
            azure.read_cpu += time.process_time() - t
        elif isinstance(op, br._Delete):
            azure.deleted.append(op.file_id)  # kept: the cost steps below read the files again
        elif isinstance(op, br._Sleep):
            pass
        else:
            raise AssertionError(op)


def cpu_of(fn: Any) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def runner_cost(n: int) -> None:
    texts = LazyTexts(n)
    bodies = EmbeddingBodies(texts)  # what batch_embed hands the runner
    azure = FakeAzure()
    checksum = 0.0

    def on_vector(index: int, vec: list[float]) -> None:
        nonlocal checksum
        checksum += vec[1]

    runner = br.BatchRunner(object(), "text-embedding-3-small", endpoint="/embeddings", store=MemoryManifestStore())  # type: ignore[arg-type]
    vectors, take = _vector_sink(EmbeddingInput(bodies, None, [], n), on_vector)
    spec = runner._spec(bodies, take)
    rss0 = rss_mb()  # peak so far (ru_maxrss): the caller's state before the run
    t0, w0 = time.process_time(), time.perf_counter()
    result = drive(br._job(spec), azure)  # the real job: upload, poll, read and decode every answer
    total, wall = time.process_time() - t0, time.perf_counter() - w0
    rss1 = rss_mb()  # before anything below allocates
    read_decode = azure.read_cpu
    assert result.answered == n and not vectors
    # each cost on its own, over the same work the run did:
    # - the caller's texts (LazyTexts makes one on every access): paid by any reader of them
    made = cpu_of(lambda: [None for i in range(n) if texts[i] is None])

    # - build: the plan pass (sizes, parts, input hash) and every part's JSONL, as the run does them
    def build_all() -> None:
        parts, _, _ = plan_parts(bodies, "/embeddings", "d", BatchLimits())
        for p in parts:
            part_file(bodies, "/embeddings", "d", range(p.start, p.start + p.count))

    build = cpu_of(build_all) - 2 * made
    # - the stand-in writing Azure's lines (not the runner's work)
    fids = [f for f in azure.files if len(azure.files[f])]
    gen = cpu_of(lambda: [None for f in fids for _ in azure.chunks(f)])
    # - read: the same output files, split into lines and joined by a fresh collector, answers
    #   handed on undecoded
    col = Collector("k", n, keep=False, on_item=lambda item: None)
    read = cpu_of(lambda: [read_lines(azure.chunks(f), lambda raw: col.feed(raw, "b")) for f in fids]) - gen
    decode = read_decode - gen - read  # the run's read minus what reading alone costs
    sample = list(itertools.islice(azure.lines(fids[0]), 20_000))
    floor = cpu_of(lambda: [None for raw in sample if json.loads(raw) is None]) / len(sample) * n
    print(f"## Runner cost for {n:,} embedding requests ({DIMS} dimensions, base64)\n")
    print("| step | CPU (s) | per request (µs) | share of vector decoding |")
    print("|---|---:|---:|---:|")
    for name, sec in (
        ("build input files (plan, JSONL, input hash)", build),
        ("read output files (split into lines, parse, custom_id to index, join)", read),
        ("  build + read", build + read),
        ("  for scale: json.loads of every whole line", floor),
        ("decode vectors (base64 to floats; the caller's work)", decode),
    ):
        print(f"| {name} | {sec:.2f} | {sec / n * 1e6:.1f} | {sec / decode:.2f} |")
    print(
        f"\nwhole run: {total:.1f} s CPU, {wall:.1f} s wall; {len(result.batch_ids)} batches; answered {result.answered:,}; "
        f"{len(azure.deleted)} files deleted at the end"
    )
    print(f"peak RSS: {rss0:.0f} MB before the run, {rss1:.0f} MB after (growth {rss1 - rss0:.0f} MB)\n")


def end_to_end(n: int) -> None:
    from shared_core.client import CoreClient
    from shared_core.emulator.server import start_in_thread
    from tests.integration.batch_child import DEPLOYMENT, DIMENSIONS, corpus

    per = max(1, n // 4)
    with tempfile.TemporaryDirectory() as tmp, start_in_thread(overrides={"job_seconds": 2.0}) as emu:

        def child(out: str) -> subprocess.Popen[str]:
            args = [sys.executable, "-m", "tests.integration.batch_child", emu.url, emu.api_key, f"{tmp}/m", out]
            return subprocess.Popen([*args, str(n), str(per)], stdout=subprocess.PIPE, text=True, cwd=ROOT)

        t = time.perf_counter()
        first = child(f"{tmp}/a.json")
        assert first.stdout is not None
        for line in first.stdout:
            if line.strip() == "event created 1":
                break
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.perf_counter() - t
        second = child(f"{tmp}/b.json")
        out, _ = second.communicate(timeout=600)
        wall = time.perf_counter() - t
        vectors = json.loads(Path(f"{tmp}/b.json").read_text())
        with CoreClient.from_settings(
            azure_endpoint=emu.url, api_key=emu.api_key, api_version="2024-10-21", require_deployment=False
        ) as client:
            direct = client.embed(corpus(n), model=DEPLOYMENT, dimensions=DIMENSIONS).vectors
        lines = emu.app.state()["batch_lines"]
        files_left = emu.app.state()["files"]
    print(f"## {n:,} chunks through the emulator, killed after the 2nd batch was created, restarted\n")
    print(f"- killed at {killed_at:.1f} s; whole job {wall:.1f} s wall (both processes, emulator in this one)")
    print(f"- second process: {out.count('event resumed')} batches resumed, {out.count('event created')} created")
    print(f"- vectors: {len(vectors):,}, in order and equal to the interactive path's: {vectors == direct}")
    print(f"- emulator per-line counter: {lines}")
    print(f"- files left on the emulator after the job (inputs, outputs, error files): {files_left}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--e2e", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="100,000 requests and 2,000 chunks")
    args = parser.parse_args()
    runner_cost(100_000 if args.quick else args.n)
    if args.e2e or args.quick:
        end_to_end(2_000 if args.quick else args.e2e)


if __name__ == "__main__":
    main()
