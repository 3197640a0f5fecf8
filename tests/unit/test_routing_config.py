"""Portkey-shaped routing configs: validation with JSON paths, loading, and what goes on the wire.

Semantics from Portkey's gateway docs (https://portkey.ai/docs/product/ai-gateway/fallbacks,
https://portkey.ai/docs/product/ai-gateway/load-balancing): a fallback goes in order and moves on
the statuses in ``on_status_codes``; a loadbalance picks by normalised weight (default 1, 0 = no
traffic); ``override_params`` are the target's body parameters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_core import ChatRequest
from shared_core.client import CoreClient, client_from_settings
from shared_core.connection.routing_config import hide_routing_secrets, public_routing, resolve_routing
from shared_core.errors import BadRequestError, ConfigurationError
from shared_core.policy.transport import Hooks
from tests.unit.transport_fakes import OK

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


def az(name: str, **kw: Any) -> dict[str, Any]:
    return {"provider": "azure-openai", "azure_endpoint": f"https://{name}.openai.azure.com",
            "deployment": "gpt-5.2", "api_key": f"key-{name}", "name": name, **kw}  # fmt: skip


def error_of(config: Any, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigurationError) as info:
        resolve_routing(config, env=env or {})
    return str(info.value)


def test_errors_name_the_json_path_of_the_bad_entry() -> None:
    nested = {
        "strategy": {"mode": "fallback"},
        "targets": [az("a"), {"strategy": {"mode": "loadbalance"}, "targets": [az("b", weight=-1), az("c")]}],
    }
    assert error_of(nested).startswith("targets[1].targets[0].weight: -1 must be >= 0")
    nested["targets"][1]["targets"][0]["weight"] = True  # type: ignore[index]
    assert error_of(nested).startswith("targets[1].targets[0].weight: True is not a number")
    assert error_of({"strategy": {"mode": "fallback"}, "targets": [az("a", weight=2)]}).startswith(
        "targets[0].weight: only counts under a strategy of mode 'loadbalance'"
    )
    assert error_of({"strategy": {"mode": "roundrobin"}, "targets": [az("a")]}).startswith(
        "strategy.mode: 'roundrobin' is not 'fallback' or 'loadbalance'"
    )
    assert error_of({"strategy": {"mode": "fallback", "on_status_codes": [429, "500"]}, "targets": [az("a")]}) == (
        "strategy.on_status_codes[1]: '500' is not an error status (400..599)"
    )
    assert "did you mean 'azure_endpoint'" in error_of(
        {"strategy": {"mode": "fallback"}, "targets": [{**az("a"), "azure_endpiont": "x"}]}
    )
    assert error_of({"strategy": {"mode": "fallback"}, "targets": [{**az("a"), "retry": {"attempts": 3}}]}).startswith(
        "targets[0].retry: unknown setting: 'retry': retries are the client's: max_retries="
    )
    assert error_of({"strategy": {"mode": "loadbalance"}, "targets": [az("a", weight=0)]}) == (
        "targets: every target has weight 0: give at least one a weight > 0"
    )
    assert error_of({"strategy": {"mode": "fallback"}, "targets": [{"provider": "openai", "api_key": "sk"}]}) == (
        "targets[0].override_params.model: an 'openai' target needs a model, e.g. {'model': 'gpt-5.2'}"
    )
    assert error_of(
        {"strategy": {"mode": "fallback"}, "targets": [az("a", override_params={"model": "gpt-5.2"})]}
    ).startswith("targets[0].override_params.model: an Azure target calls a deployment: give 'deployment'")
    assert error_of({"strategy": {"mode": "fallback"}, "targets": [az("a", api_key="${KEY_A}")]}) == (
        "targets[0].api_key: reads the environment variable KEY_A, which is not set"
    )
    assert error_of({"strategy": {"mode": "fallback"}, "targets": [az("a", provider="anthropic")]}).startswith(
        "targets[0].provider: 'anthropic' is not one of 'azure-openai', 'openai'"
    )
    # the core's own checks of a target, prefixed with its path
    err = error_of({"strategy": {"mode": "fallback"}, "targets": [az("a", api_version="2099-13-01")]})
    assert err.startswith("targets[0].api_version: ") and "2099-13-01" in err


def test_an_azure_target_inherits_nothing_from_the_environment() -> None:
    config = {"strategy": {"mode": "fallback"}, "targets": [{"azure_endpoint": "https://a.openai.azure.com", "deployment": "d"}]}  # fmt: skip
    err = error_of(config, env={"AZURE_OPENAI_API_KEY": "primary-key"})
    assert err.startswith("targets[0]") and "primary-key" not in err


def test_secrets_are_secretstr_and_never_printed() -> None:
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [az("a", api_key="sk-very-secret"), az("b", api_key="${KB}")],
    }
    hidden = hide_routing_secrets(config)
    assert "sk-very-secret" not in repr(hidden)
    targets, _ = resolve_routing(hidden, env={"KB": "sk-from-env"})
    assert "sk-very-secret" not in repr(targets) and "sk-from-env" not in repr(targets)
    assert public_routing(hidden)["targets"][0].get("api_key") is None
    assert public_routing(hidden)["targets"][1]["api_key"] == "${KB}"  # a reference holds no secret
    bad = {"strategy": {"mode": "fallback"}, "targets": [az("a", api_key="sk-very-secret", api_version="nope")]}
    assert "sk-very-secret" not in error_of(hide_routing_secrets(bad))


def test_loads_json_and_yaml_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"strategy": {"mode": "fallback", "on_status_codes": [503]}, "targets": [az("a"), az("b")]}
    (tmp_path / "r.json").write_text(json.dumps(config))
    (tmp_path / "r.yaml").write_text(
        "strategy: {mode: fallback, on_status_codes: [503]}\ntargets:\n"
        + "".join(
            f"  - {{provider: azure-openai, azure_endpoint: 'https://{n}.openai.azure.com', deployment: gpt-5.2,"
            f" api_key: key-{n}, name: {n}}}\n"
            for n in "ab"
        )
    )

    def shape(source: Any) -> tuple[Any, ...]:
        targets, plan = resolve_routing(source, env={})
        return plan, [(t.name, t.base, t.deployment, t.credential._secret()) for t in targets]  # type: ignore[attr-defined]

    from_json = shape(tmp_path / "r.json")
    assert from_json == shape(str(tmp_path / "r.yaml")) == shape(config)
    assert [name for name, *_ in from_json[1]] == ["a", "b"]
    (tmp_path / "bad.json").write_text("{")
    assert error_of(tmp_path / "bad.json").startswith(f"routing file {str(tmp_path / 'bad.json')!r} is not valid JSON")
    monkeypatch.setitem(sys.modules, "yaml", None)  # PyYAML absent
    assert 'pip install "azoai[yaml]"' in error_of(tmp_path / "r.yaml")


class Hosts:
    """A fake of several Azure resources: each host answers from its own script."""

    def __init__(self, **scripts: list[int]) -> None:
        self.scripts = scripts
        self.seen: list[tuple[str, dict[str, Any], httpx.Headers]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.split(".")[0]
        self.seen.append((host, json.loads(request.content), request.headers))
        script = self.scripts[host]
        status = script.pop(0) if len(script) > 1 else script[0]
        if status == 200:
            return httpx.Response(200, json=OK)
        return httpx.Response(status, json={"error": {"code": str(status), "message": "no"}})

    def client(self, config: dict[str, Any], rng: float = 0.0) -> CoreClient:
        targets, plan = resolve_routing(config, env={})
        hooks = Hooks(sleep=lambda s: None, rng=lambda: rng)
        http = httpx.Client(transport=httpx.MockTransport(self))
        return CoreClient(targets, http_client=http, hooks=hooks, plan=plan)

    @property
    def order(self) -> list[str]:
        return [h for h, _, _ in self.seen]


def test_nested_failover_goes_to_the_nearest_strategy_first() -> None:
    # fallback[ loadbalance[a:3, b:1], c ]: rng 0.9 picks b; b fails -> its sibling a; a fails -> c
    hosts = Hosts(a=[503], b=[503], c=[200])
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"strategy": {"mode": "loadbalance"}, "targets": [az("a", weight=3), az("b", weight=1)]},
            az("c"),
        ],
    }
    result = hosts.client(config, rng=0.9).chat(REQ)
    assert hosts.order == ["b", "a", "c"] and result.meta.target == "c"


def test_on_status_codes_decide_what_falls_back() -> None:
    # default: a 400 is the request's fault everywhere, so it is raised, not failed over
    hosts = Hosts(a=[400], b=[200])
    with pytest.raises(BadRequestError):
        hosts.client({"strategy": {"mode": "fallback"}, "targets": [az("a"), az("b")]}).chat(REQ)
    assert hosts.order == ["a"]
    # listed: a 404 (the deployment is missing in that region) falls back
    hosts = Hosts(a=[404], b=[200])
    config = {"strategy": {"mode": "fallback", "on_status_codes": [404, 503]}, "targets": [az("a"), az("b")]}
    assert hosts.client(config).chat(REQ).meta.target == "b" and hosts.order == ["a", "b"]
    # not listed: a 429 is retried on the same target (after its wait), not sent to b
    hosts = Hosts(a=[429, 200], b=[200])
    assert hosts.client(config).chat(REQ).meta.target == "a" and hosts.order == ["a", "a"]


def test_override_params_and_openai_targets_on_the_wire() -> None:
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            az("a", override_params={"temperature": 0.2, "max_completion_tokens": 50}),
            {"provider": "openai", "api_key": "sk-openai", "override_params": {"model": "gpt-5.2", "seed": 7}},
        ],
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503 if len(seen) == 1 else 200, json=OK)

    targets, plan = resolve_routing(config, env={})
    http = httpx.Client(transport=httpx.MockTransport(handler))
    CoreClient(targets, http_client=http, hooks=Hooks(sleep=lambda s: None), plan=plan).chat(REQ)
    first, second = (json.loads(r.content) for r in seen)
    assert str(seen[0].url).startswith("https://a.openai.azure.com/openai/deployments/gpt-5.2/chat/completions")
    assert (
        first["temperature"] == 0.2 and first["max_completion_tokens"] == 50 and seen[0].headers["api-key"] == "key-a"
    )
    assert str(seen[1].url) == "https://api.openai.com/v1/chat/completions"
    assert second["model"] == "gpt-5.2" and second["seed"] == 7 and "temperature" not in second
    assert seen[1].headers["authorization"] == "Bearer sk-openai" and "api-key" not in seen[1].headers


def test_weight_zero_keeps_a_target_without_traffic_and_weights_share_the_load() -> None:
    config = {"strategy": {"mode": "loadbalance"}, "targets": [az("a", weight=0), az("b", weight=1), az("c", weight=3)]}
    targets, _ = resolve_routing(config, env={})
    assert [t.name for t in targets] == ["a", "b", "c"]
    picks = []
    for x in (0.0, 0.24, 0.26, 0.99):  # b holds the first quarter, c the rest; a none
        hosts = Hosts(a=[200], b=[200], c=[200])
        hosts.client(config, rng=x).chat(REQ)
        picks.append(hosts.order[0])
    assert picks == ["b", "b", "c", "c"]


def test_core_takes_routing_and_refuses_a_primary_beside_it() -> None:
    config = {"strategy": {"mode": "fallback"}, "targets": [az("a"), az("b")]}
    client = client_from_settings(routing=config, max_retries=1, env={})
    assert [t.name for t in client.targets] == ["a", "b"] and client.options.max_retries == 1
    with pytest.raises(ConfigurationError, match=r"^azure_endpoint= is given beside routing="):
        client_from_settings(routing=config, azure_endpoint="https://x.openai.azure.com", env={})
    with pytest.raises(ConfigurationError, match=r"^fallbacks= and routing= both say"):
        client_from_settings(routing=config, fallbacks=["https://x.openai.azure.com"], env={})
