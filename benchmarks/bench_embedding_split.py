"""Wall time of splitting one over-long embedding input (``split_long_inputs(on_too_long="split")``).

Run: ``python benchmarks/bench_embedding_split.py [--sizes 1,4,10]`` (sizes in MB of English-like
text). Prints seconds per size and the pieces made; never asserts. The split must grow linearly
with the input: 10 MB should cost about 10x 1 MB.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shared_core.wire.embeddings import split_long_inputs  # noqa: E402

_WORDS = (
    "Azure OpenAI routes every request by deployment name, not by model name; the deployment"
    " called chat may run gpt-4o. Tokens per minute (TPM) and requests per minute (RPM) limit it.\n"
)


def text_of(megabytes: float) -> str:
    size = int(megabytes * 1_000_000)
    return (_WORDS * (size // len(_WORDS) + 1))[:size]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,4,10", help="comma-separated sizes in MB")
    args = parser.parse_args()
    print(f"{'MB':>6} {'seconds':>9} {'pieces':>7}")
    for mb in (float(s) for s in args.sizes.split(",")):
        text = text_of(mb)
        start = time.perf_counter()
        pieces, _ = split_long_inputs([text], max_input_tokens=8191, on_too_long="split")
        elapsed = time.perf_counter() - start
        print(f"{mb:6g} {elapsed:9.2f} {len(pieces):7d}")


if __name__ == "__main__":
    main()
