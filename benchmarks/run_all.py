"""Run every benchmark, one after another, and write their tables to ``benchmarks/RESULTS.md``.

    python benchmarks/run_all.py [--quick]

Each benchmark prints markdown tables of ratios against the established integrations (and the
floor: bare httpx + ``json.loads``); nothing here asserts a time. Numbers depend on the machine
and its load: compare the ratios, which come from one run of each script with every contender
measured side by side.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "bench_core.py",
    "bench_langchain.py",
    "bench_llamaindex.py",
    "bench_emulator.py",
    "reliability_retry_after.py",
    "reliability_flapping.py",
    "reliability_pacing.py",
    "bench_embedding_split.py",
    "bench_otel.py",
]
QUICK_FLAG = {
    "bench_core.py": "--quick",
    "bench_llamaindex.py": "--quick",
    "bench_embedding_split.py": "--quick",
    "bench_otel.py": "--quick",
    "reliability_pacing.py": "--quick",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations where supported")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    parts = [
        "# Benchmark results",
        "",
        f"Recorded {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores. Ratios matter; absolute times move with load.",
    ]
    failed = 0
    for script in SCRIPTS:
        cmd = [sys.executable, str(HERE / script)]
        if args.quick and script in QUICK_FLAG:
            cmd.append(QUICK_FLAG[script])
        print(f"== {script}", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        print(proc.stdout, end="")
        if proc.returncode != 0:
            failed += 1
            print(proc.stderr, file=sys.stderr)
        parts += ["", f"## {script}", "", proc.stdout.strip() or f"(failed: {proc.stderr.strip()[-500:]})"]
    args.out.write_text("\n".join(parts) + "\n")
    print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
