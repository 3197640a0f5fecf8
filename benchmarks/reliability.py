"""The reliability report (issue 13, "Proof"): every fault scenario, ours beside the anchors.

    python benchmarks/reliability.py [--quick] [--only NAME,NAME] [--clients NAME,NAME] [--out PATH]

Writes ``benchmarks/RELIABILITY.md`` (or ``--out``): one table per scenario with, for each client,
the calls served (a full, correct answer), lost (an exception, or a truncated answer returned as if
whole), duplicated (calls the servers answered in full more than once), 429s and 401s per call, and the
wall time against the ideal. Every server binds 127.0.0.1 (``fault_region.py``, and for the rate
limits ``reliability_pacing.py``'s token-bucket server). Every client keeps its default retry
settings; all get the same per-attempt ``timeout`` (2 s) so a hanging region stays bounded. Every
region answers in 0.1 s; the ideal is that answer time per round of callers (plus, where a limit
lasts, its duration): what a client that knew the fault in advance would take.

Ours (``langchain_azoai``, ``llamaindex_azoai``) get the primary and one healthy fallback region,
as a user with two regions configures them; the anchors (langchain-openai's and llama-index's
``AzureOpenAI`` classes) have no failover, so they get the primary alone (in failover scenarios
their figures show what one region costs without it). ``--quick`` runs langchain_azoai only, with fewer calls
(under a minute); the recorded report is a full run.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fault_region as fr  # noqa: E402
import reliability_pacing as pacing  # noqa: E402

warnings.filterwarnings("ignore")
for noisy in ("llama_index", "langchain_azoai", "llamaindex_azoai", "shared_core", "openai", "httpx"):
    logging.getLogger(noisy).setLevel(logging.CRITICAL)

HERE = Path(__file__).resolve().parent
DEPLOYMENT = "gpt-5.2"
API_VERSION = "2024-10-21"
TIMEOUT = 2.0
LATENCY = 0.1  # every region's answer time: the ideal is one answer time per round of callers
FULL = "".join(fr.ANSWER)
CLIENTS = ["langchain_azoai", "langchain-openai", "llamaindex_azoai", "llama-index"]
OURS = {"langchain_azoai", "llamaindex_azoai"}

Call = Callable[[str], str]  # prompt -> the answer's text


# -- contenders: (primary url, fallback url or None, stream, auth) -> call ------------------------------


def _auth(token: Callable[[], str] | None) -> dict[str, Any]:
    return {"azure_ad_token_provider": token} if token else {"api_key": "bench-key"}


def ours_langchain(primary: str, fallback: str | None, stream: bool, token: Callable[[], str] | None) -> Call:
    from langchain_azoai import AzureChatOpenAI

    auth = _auth(token)
    fallbacks = [{"azure_endpoint": fallback, "name": "secondary", **auth}] if fallback else None
    llm = AzureChatOpenAI(
        azure_endpoint=primary, azure_deployment=DEPLOYMENT, api_version=API_VERSION, timeout=TIMEOUT,
        fallbacks=fallbacks, **auth,
    )  # fmt: skip
    if stream:
        return lambda p: "".join(str(c.content) for c in llm.stream(p))
    return lambda p: str(llm.invoke(p).content)


def anchor_langchain(primary: str, fallback: str | None, stream: bool, token: Callable[[], str] | None) -> Call:
    from langchain_openai import AzureChatOpenAI

    llm = AzureChatOpenAI(
        azure_endpoint=primary, azure_deployment=DEPLOYMENT, api_version=API_VERSION, timeout=TIMEOUT, **_auth(token)
    )
    if stream:
        return lambda p: "".join(str(c.content) for c in llm.stream(p))
    return lambda p: str(llm.invoke(p).content)


def ours_llamaindex(primary: str, fallback: str | None, stream: bool, token: Callable[[], str] | None) -> Call:
    from llama_index.core.llms import ChatMessage

    from llamaindex_azoai import AzureOpenAI

    auth = _auth(token)
    extra: dict[str, Any] = {"use_azure_ad": True} if token else {}
    fallbacks = [{"azure_endpoint": fallback, "name": "secondary", **auth}] if fallback else None
    llm = AzureOpenAI(
        azure_endpoint=primary, engine=DEPLOYMENT, model="gpt-5.2", api_version=API_VERSION, timeout=TIMEOUT,
        fallbacks=fallbacks, **auth, **extra,
    )  # fmt: skip
    if stream:
        return lambda p: "".join(r.delta or "" for r in llm.stream_chat([ChatMessage(role="user", content=p)]))
    return lambda p: str(llm.chat([ChatMessage(role="user", content=p)]).message.content)


def anchor_llamaindex(primary: str, fallback: str | None, stream: bool, token: Callable[[], str] | None) -> Call:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.azure_openai import AzureOpenAI

    extra: dict[str, Any] = {"use_azure_ad": True} if token else {}
    # llama-index looks the model up in its own table: gpt-4o is a name it knows (not a deployment)
    llm = AzureOpenAI(
        azure_endpoint=primary, engine=DEPLOYMENT, model="gpt-4o", api_version=API_VERSION, timeout=TIMEOUT,
        **_auth(token), **extra,
    )  # fmt: skip
    if stream:
        return lambda p: "".join(r.delta or "" for r in llm.stream_chat([ChatMessage(role="user", content=p)]))
    return lambda p: str(llm.chat([ChatMessage(role="user", content=p)]).message.content)


MAKERS: dict[str, Callable[[str, str | None, bool, Callable[[], str] | None], Call]] = {
    "langchain_azoai": ours_langchain,
    "langchain-openai": anchor_langchain,
    "llamaindex_azoai": ours_llamaindex,
    "llama-index": anchor_llamaindex,
}


# -- scenarios ------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    title: str
    primary: dict[str, Any]  # Region(**primary); {"mode": "refused"} for a closed port
    stream: bool = False
    fallback: bool = True  # ours get a healthy second region
    extra_wait: float = 0.0  # what the ideal must wait (a limit that lasts)
    token_life: float | None = None  # Entra tokens that expire during the job
    note: str = ""
    calls: int = 40
    callers: int = 20


@dataclass
class Row:
    client: str
    calls: int
    served: int = 0
    lost: int = 0
    duplicated: int | None = 0  # None: not measurable (the storms' server keeps no per-call record)
    throttled: int = 0
    unauthorized: int = 0
    wall: float = 0.0
    ideal: float = 0.0
    errors: set[str] = field(default_factory=set)


class ExpiringTokens:
    """A token provider with a cache of its own that hands its token out until the token's ``exp``
    (a common hand-rolled cache): near the end of each life, requests reach the server with it."""

    def __init__(self, life: float) -> None:
        self.life = life
        self.token = fr.jwt(time.time() + life)

    def __call__(self) -> str:
        if fr.exp_of(self.token) <= time.time():
            self.token = fr.jwt(time.time() + self.life)
        return self.token


SCENARIOS = [
    Scenario("region-503", "Region down: the primary answers 503 to everything", {"mode": "503"}),
    Scenario("region-refused", "Region down: connection refused", {"mode": "refused"}),
    Scenario(
        "region-closed",
        "Region down: the primary closes the connection mid-answer",
        {"mode": "close"},
        note="A cut answer is not a full one: the fallback's answer is not counted as a duplicate. Ours send"
        " one call to a deployment that has never answered and hold the others (the shared limiter's probe"
        " waits for its first answer's headers); a probe that gets no answer opens the region's breaker at"
        " once and sends the calls held on it to the fallback unsent (before, each held call became the next"
        " probe of the dead region in turn: 2.3 s for ours, same machine and load).",
    ),
    Scenario(
        "region-hanging",
        f"Region down: the primary accepts and never answers (timeout {TIMEOUT:g} s for every client)",
        {"mode": "hang", "hang": 3 * TIMEOUT},
        note="Ours: while the first call hangs, the limiter's probe holds the others (up to 2 s); a hold that"
        " ends with the probe still unanswered sends them to the fallback unsent, as the probe's timeout does"
        " (it also opens the region's breaker): about one timeout in all, whichever comes first. Before, calls"
        " whose hold ended first went to the region and timed out too: 2.3-4.5 s between runs (and before"
        " that, held calls probed the region in turn: 6.1-6.3 s); now 2.4-2.5 s in five runs.",
    ),
    Scenario("flapping", "Flapping region: the primary answers 503 to a seeded half of its requests", {"mode": "flap"}),
    Scenario(
        "retry-after-short",
        "Lying retry-after, too short: 429 'retry-after: 1' while the limit lasts 3 s (one region)",
        {"mode": "limit", "limit_for": 3.0, "retry_after": 1.0},
        fallback=False,
        extra_wait=3.0,
    ),
    Scenario(
        "retry-after-long",
        "Lying retry-after, too long: 429 'retry-after: 10' while the limit lasts 1 s (one region)",
        {"mode": "limit", "limit_for": 1.0, "retry_after": 10.0},
        fallback=False,
        extra_wait=1.0,
        note="The advice is ignored at a cost: a client that waits the full 10 s is served late but served;"
        " ours wait up to `max_retry_wait` (60 s) in total, and a single advised wait longer than it raises.",
    ),
    Scenario(
        "stream-before-first-token",
        "Stream cut before its first token (primary)",
        {"mode": "stream_cut_before"},
        stream=True,
        note="Before the first token nothing reached the caller, so the call may go elsewhere.",
    ),
    Scenario(
        "stream-after-first-token",
        "Stream cut after its first token (primary)",
        {"mode": "stream_cut_after"},
        stream=True,
        note="Text already delivered cannot be taken back: the right outcome is an error, never a truncated"
        " answer returned as if whole (counted as lost either way).",
    ),
    Scenario(
        "token-expiry",
        "Token expiry mid-job: Entra tokens live 1 s, the provider hands its token out until its exp, the"
        " server's clock runs 0.3 s ahead (401 for an expired token; one region)",
        {"mode": "expiring", "skew": 0.3},
        fallback=False,
        token_life=1.0,
        calls=80,
        callers=4,
        note="The provider hands back the token the server just refused until its exp: ours ask it again"
        " after the 401, wait (a bounded budget) while it returns the refused token, and replay once it hands"
        " out a new one, one refresh for every caller; a provider that never does ends the calls with an"
        " AuthenticationError saying so (not sent again). Before, ours asked once, got the same token and lost"
        " 12 of 80 calls.",
    ),
]


def run_one(sc: Scenario, client: str, calls: int) -> Row:
    primary = None if sc.primary["mode"] == "refused" else fr.Region(**{"latency": LATENCY, **sc.primary})
    use_fallback = sc.fallback and client in OURS
    secondary = fr.Region("ok", latency=LATENCY) if use_fallback else None
    token = ExpiringTokens(sc.token_life) if sc.token_life else None
    row = Row(client, calls)
    warm = fr.Region("ok", latency=0.0)
    try:  # imports and first-call costs outside the measured run
        MAKERS[client](warm.url, None, sc.stream, None)("Answer job-warm.")
    finally:
        warm.stop()
    try:
        call = MAKERS[client](
            primary.url if primary else fr.refused_url(), secondary.url if secondary else None, sc.stream, token
        )
        prompts = [f"Answer job-{i}, please." for i in range(calls)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=sc.callers) as pool:
            outcomes = list(pool.map(lambda p: _outcome(call, p), prompts))
        row.wall = time.monotonic() - started
    finally:
        for r in (primary, secondary):
            if r is not None:
                r.stop()
    regions = [r for r in (primary, secondary) if r is not None]
    answered = sum((r.answered for r in regions), start=fr.Counter[int]())
    row.served = sum(o is None for o in outcomes)
    row.lost = calls - row.served
    row.errors = {o for o in outcomes if o is not None}
    row.duplicated = sum(1 for n in answered.values() if n > 1)
    row.throttled = sum(r.throttled for r in regions)
    row.unauthorized = sum(r.unauthorized for r in regions)
    latency = float(sc.primary.get("latency", LATENCY))
    row.ideal = sc.extra_wait + -(-calls // sc.callers) * latency
    return row


def _outcome(call: Call, prompt: str) -> str | None:
    try:
        text = call(prompt)
    except Exception as exc:
        return type(exc).__name__
    return None if text == FULL else "truncated answer"


def run_pacing(kind: str, client: str, calls: int, callers: int) -> Row:
    """The 429 storms, on ``reliability_pacing``'s token-bucket server (its contenders, same names)."""
    make = dict(pacing.CONTENDERS)[client]
    rate = 20.0 if kind == "requests" else 120_000 / 60.0
    r = pacing.run(client, make, kind, calls, callers, rate)
    row = Row(client, calls, served=r["served"], lost=r["lost"], throttled=r["429s"], wall=r["wall"], ideal=r["ideal"])
    row.duplicated = None  # a 429 is refused before any work; the bucket server has no per-call record
    row.errors = set(filter(None, r["errors"].replace("-", "").split(", ")))
    return row


def run_processes(*, quick: bool) -> list[str]:
    """Several worker processes of core-client calls on one 20 request/s quota
    (``reliability_fleet.py``): each process pacing alone, then one budget shared through Redis."""
    import reliability_fleet as fleet

    from tests.redis_server import RedisServer

    processes, callers, calls, rate = 3, 10, 120 if quick else 300, 20.0
    redis = RedisServer()
    try:
        rows = [
            fleet.run("each process its own budget", "local", processes, callers, calls, rate),
            fleet.run('one budget in Redis (`shared_state="redis://..."`)', redis.url, processes, callers, calls, rate),
        ]
    finally:
        redis.stop()
    out = [
        f"Several processes on one quota: {processes} processes x {callers} threads, {calls} calls of the core"
        f" client, a {rate:g} request/s bucket (the anchors have no shared state to compare)",
        "",
        "| pacing | served | lost | 429s per call | wall time | ideal | wall / ideal |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['mode']} | {r['served']}/{calls} | {r['lost']} | {float(r['per_call']):.2f} | {float(r['wall']):.2f} s"
            f" | {float(r['ideal']):.2f} s | {float(r['wall']) / float(r['ideal']):.2f} |"
        )
    return out


STORM_NOTE = (
    "The calls go to `reliability_pacing.py`'s token buckets (1 s of the rate each). `duplicated` is n/a: a 429"
    " is refused before any work. 429s are counted per call, and llama-index splits a batch of 16 texts into"
    " requests of 10. The anchors' short wall times are where they gave up (their retries exhausted)."
)


def table(rows: list[Row]) -> list[str]:
    out = [
        "| client | served | lost | duplicated | 429s per call | 401s per call | wall time | ideal | wall / ideal"
        " | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.client} | {r.served}/{r.calls} | {r.lost} | {'n/a' if r.duplicated is None else r.duplicated} | {r.throttled / r.calls:.2f}"
            f" | {r.unauthorized / r.calls:.2f} | {r.wall:.2f} s | {r.ideal:.2f} s | {r.wall / r.ideal:.2f}"
            f" | {', '.join(sorted(r.errors)) or '-'} |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="langchain_azoai only, fewer calls (under a minute)")
    names = [s.name for s in SCENARIOS] + ["storm-requests", "storm-tokens", "processes"]
    parser.add_argument("--only", default="", help=f"comma-separated scenarios of: {', '.join(names)}")
    parser.add_argument("--clients", default="", help=f"comma-separated clients of: {', '.join(CLIENTS)}")
    parser.add_argument("--out", type=Path, default=HERE / "RELIABILITY.md")
    args = parser.parse_args(argv)
    only = set(filter(None, args.only.split(","))) or set(names)
    unknown = only - set(names)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}; known: {', '.join(names)}")
    chosen = set(filter(None, args.clients.split(","))) or ({"langchain_azoai"} if args.quick else set(CLIENTS))
    if chosen - set(CLIENTS):
        parser.error(f"unknown client(s) {sorted(chosen - set(CLIENTS))}; known: {', '.join(CLIENTS)}")
    clients = [c for c in CLIENTS if c in chosen]
    started = time.monotonic()
    parts = [
        "# Reliability report",
        "",
        f"Recorded {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()},"
        f" {platform.python_implementation()} {platform.python_version()}, {len(os.sched_getaffinity(0))}"
        f" cores, load average {os.getloadavg()[0]:.1f} at the start (other jobs ran){' (--quick)' if args.quick else ''}."
        " Regenerate: `python benchmarks/reliability.py`"
        " (`--quick`: langchain_azoai only, fewer calls). Counts are exact; times move with the machine's load.",
        "",
        __doc__.split("\n\n", 2)[2].strip().replace("``", "`"),
    ]
    for sc in SCENARIOS:
        if sc.name not in only:
            continue
        calls = max(sc.callers, sc.calls // 2) if args.quick else sc.calls
        print(f"== {sc.name}", flush=True)
        rows = [run_one(sc, c, calls) for c in clients]
        head = f"{sc.title}; {calls} calls from {sc.callers} threads" + (", streamed" if sc.stream else "")
        parts += ["", f"## {sc.name}", "", head, "", *table(rows)]
        if sc.note:
            parts += ["", sc.note]
    for kind, title in (("requests", "a request limit of 20 requests/s"), ("tokens", "a limit of 120,000 tokens/min")):
        if f"storm-{kind}" not in only:
            continue
        calls = 60 if args.quick else 300
        print(f"== storm-{kind}", flush=True)
        rows = [run_pacing(kind, c, calls, 30) for c in clients]
        detail = "chat calls" if kind == "requests" else "calls, half chat, half embedding batches of 16"
        parts += ["", f"## storm-{kind}", "", f"429 storm at {title}: {calls} {detail} from 30 threads", ""]
        parts += table(rows)
        parts += ["", STORM_NOTE]
    if "processes" in only:
        print("== processes", flush=True)
        parts += ["", "## processes", "", *run_processes(quick=args.quick)]
    args.out.write_text("\n".join(parts) + "\n")
    print("\n".join(parts))
    print(f"\nwrote {args.out} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
