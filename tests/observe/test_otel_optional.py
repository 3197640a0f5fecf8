"""OpenTelemetry is optional and free when unused: nothing imported without the ``otel`` extra or
while the application has not imported it, no observer until a provider is configured, the
routing trace collected all the same; a configured global provider is picked up automatically."""

from __future__ import annotations

import json

from tests.test_extras import run_without

CALL = """
import httpx, json, sys
from shared_core import ChatRequest
from shared_core.client import CoreClient
from shared_core.connection.config import ClientOptions
from shared_core.observe import active
from tests.observe.otel_fakes import chat_answer
from tests.unit.core_fakes import target

answers = iter([httpx.Response(503), httpx.Response(200, json=chat_answer())])
http = httpx.Client(transport=httpx.MockTransport(lambda r: next(answers)))
from shared_core.policy.transport import Hooks
c = CoreClient(target(deployment="gpt-5.2"), options=ClientOptions(max_retries=1), http_client=http,
               hooks=Hooks(sleep=lambda s: None, rng=lambda: 0.5))
result = c.chat(ChatRequest(messages=[{"role": "user", "content": "hi"}]))
print(json.dumps({
    "routing": [(a["attempt"], a.get("status"), a["outcome"]) for a in result.meta.facts()["routing"]],
    "observers": [type(o).__name__ for o in active()],
    "otel_loaded": sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"),
}))
"""


def _run(prelude: str, blocked: tuple[str, ...] = ()) -> dict[str, object]:
    proc = run_without(blocked, prelude + CALL)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_without_the_extra_nothing_is_imported_and_the_routing_trace_is_kept() -> None:
    out = _run("", blocked=("opentelemetry",))
    assert out == {"routing": [[1, 503, "retry"], [2, 200, "ok"]], "observers": [], "otel_loaded": []}


def test_installed_but_never_imported_by_the_application_is_never_imported() -> None:
    out = _run("")
    assert out["otel_loaded"] == [] and out["observers"] == []


def test_the_api_without_a_configured_provider_means_no_observer() -> None:
    out = _run("import opentelemetry.trace, opentelemetry.metrics\n")
    assert out["observers"] == []
    assert out["routing"] == [[1, 503, "retry"], [2, 200, "ok"]]


def test_a_global_tracer_provider_is_picked_up_and_can_be_turned_off() -> None:
    prelude = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
import atexit
atexit.register(lambda: print(json.dumps([s.name for s in exporter.get_finished_spans()])))
"""
    proc = run_without((), "import json\n" + prelude + CALL)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert json.loads(lines[-2])["observers"] == ["OpenTelemetryObserver"]
    assert json.loads(lines[-1]) == ["chat gpt-5.2"]
    off = run_without(
        (), "import json\n" + prelude + "from shared_core import observe\nobserve.configure(otel=False)\n" + CALL
    )
    assert off.returncode == 0, off.stderr
    lines = off.stdout.strip().splitlines()
    assert (json.loads(lines[-2])["observers"], json.loads(lines[-1])) == ([], [])


def test_the_otel_extra_installs_what_the_observer_imports() -> None:
    from tests.test_extras import _extra, closure, distributions_for

    for module in ("opentelemetry.trace", "opentelemetry.metrics"):
        assert distributions_for(module) & closure(_extra("otel")) == {"opentelemetry-api"}
    assert "opentelemetry-sdk" not in closure(_extra("all"))  # the SDK is the application's choice
