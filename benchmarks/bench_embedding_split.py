"""Wall time of splitting one over-long embedding input (``split_long_inputs(on_too_long="split")``).

Run: ``python benchmarks/bench_embedding_split.py [--quick] [--sizes 1,4,10]`` (sizes in MB of
English-like text). Prints a markdown table of seconds per size and the pieces made; never asserts.
The split must grow linearly with the input: 10 MB should cost about 10x 1 MB. (It re-estimated
the rest of the text after every cut until Dec 2026: 1 MB 2.2 s, 2 MB 6.5 s, 4 MB 18 s; now
1 MB 0.4 s, 4 MB 1.6 s, 10 MB 3.9 s on the same machine.)
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
    parser.add_argument("--quick", action="store_true", help="1 and 4 MB only")
    args = parser.parse_args()
    sizes = "1,4" if args.quick else args.sizes
    print("## Splitting one over-long embedding input (on_too_long='split', 8191 tokens per piece)\n")
    print("| MB | seconds | pieces |\n|---:|---:|---:|")
    for mb in (float(s) for s in sizes.split(",")):
        text = text_of(mb)
        start = time.perf_counter()
        pieces, _ = split_long_inputs([text], max_input_tokens=8191, on_too_long="split")
        elapsed = time.perf_counter() - start
        print(f"| {mb:g} | {elapsed:.2f} | {len(pieces)} |")


if __name__ == "__main__":
    main()
