"""Fidelity: for each kind of real Azure interaction, the emulator's answer has the same JSON shape and headers.

Every recorded chat, stream, embeddings and error response from Azure OpenAI hosts in
``../shared/azure-recordings`` is replayed as an equivalent request against the emulator; the
emulator's body must have the same keys at every level with the same JSON types (``null`` matches
anything), apart from documented optional keys, and carry every Azure header the recording has
from the set the emulator claims to send. Foundry ``/models`` traffic and 2023 ``prompt_annotations``
payloads are out of scope (another API), and are counted as skipped.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from shared_core.emulator.app import create_app, iter_sse
from shared_core.emulator.config import FaultSpec, ManualClock, infer_kind, make_deployment

try:
    from conformance.recordings import Interaction, load_interactions
except ImportError:  # pragma: no cover - depends on how pytest put tests/ on sys.path
    from tests.conformance.recordings import Interaction, load_interactions

KEY = "azoai-emulator-key"
#: Keys real responses carry that the emulator documents as not sent (newer or model-specific). Azure's
#: own fields (innererror / inner_error, content_filter_result(s), prompt_filter_results) are never here:
#: where a recording has them, the emulator must send them too.
OPTIONAL_IN_RECORDING = {
    "obfuscation",
    "service_tier",
    "audio",
    "function_call",
    "details",
    "citations",
    "type",
    "custom_blocklists",
    "protected_material_code",
    "protected_material_text",
    "jailbreak",
    "status",
    "param",
    "context",
    "refusal",
    "annotations",
    "tool_calls",
}  # the real model chose a tool where the emulator answered: a decision, not a shape
#: Keys the emulator sends that older recordings lack (newer API versions add them).
OPTIONAL_IN_EMULATOR = {
    "obfuscation",
    "annotations",
    "refusal",
    "completion_tokens_details",
    "prompt_tokens_details",
    "jailbreak",
    "protected_material_code",
    "protected_material_text",
    "usage",
    "system_fingerprint",
    "logprobs",
    "content_filter_results",
    "prompt_filter_results",
    "type",
    "param",
}
AZURE_HEADERS = (
    "apim-request-id",
    "x-request-id",
    "x-ms-region",
    "x-ms-deployment-name",
    "x-ms-rai-invoked",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ms-client-request-id",
    "x-accel-buffering",
    "azureml-model-session",
    "strict-transport-security",
    "x-content-type-options",
    "retry-after",
    "retry-after-ms",
)


def _type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def shape_diff(real: Any, emu: Any, path: str = "$") -> list[str]:
    """Differences in keys and types between a real and an emulated JSON value."""
    if real is None or emu is None:
        return []
    if _type(real) != _type(emu):
        if {_type(real), _type(emu)} == {"str", "list"} and path.endswith(".embedding"):
            return []
        return [f"{path}: {_type(real)} vs {_type(emu)}"]
    out: list[str] = []
    if path.endswith((".content_filter_results", ".content_filter_result")) and isinstance(real, dict):
        return []  # categories vary with the request (model, modality, filters configured): compared by type only
    if isinstance(real, dict):
        for k in real.keys() - emu.keys():
            if k not in OPTIONAL_IN_RECORDING:
                out.append(f"{path}.{k}: missing in emulator")
        for k in emu.keys() - real.keys():
            if k not in OPTIONAL_IN_EMULATOR:
                out.append(f"{path}.{k}: not in recording")
        for k in real.keys() & emu.keys():
            out += shape_diff(real[k], emu[k], f"{path}.{k}")
    elif isinstance(real, list) and real and emu:
        out += shape_diff(real[0], emu[0], f"{path}[0]")
    return out


def _kind(ix: Interaction) -> str | None:
    if ix.transport != "http":
        return None
    if ix.status in (401, 429) and ix.body.startswith(b"{"):
        # the gateway's 401 and 429 bodies are the same on every host, Foundry included
        code = ix.json().get("error", {}).get("code")
        return f"error:{code}" if code in ("401", "RateLimitReached", "429") else None
    if ix.host_kind == "services.ai.azure.com" or ix.route not in ("deployments", "v1"):
        return None
    if b"prompt_annotations" in ix.body:
        return None
    if ix.status == 200 and ix.operation == "chat/completions" and b"prompt_filter_results" not in ix.body:
        return None  # REPORT.md section 4: OpenAI recordings re-labelled as Azure (no RAI fields at all)
    if ix.status >= 400:
        try:
            err = ix.json().get("error", {})
        except ValueError:
            return None
        code = err.get("code")
        if code in ("DeploymentNotFound", "content_filter", "unsupported_parameter", "unknown_model", "401"):
            return f"error:{code}"
        return None
    if ix.operation == "embeddings":
        return "embeddings"
    if ix.operation == "chat/completions":
        body = ix.request_json() or {}
        if ix.stream:
            return "stream"
        return "tools" if body.get("tools") else "chat"
    return None


def _request(ix: Interaction, kind: str) -> tuple[str, dict[str, Any], dict[str, str], str]:
    body = dict(ix.request_json() or {})
    dep = (
        ix.path.split("/deployments/")[1].split("/")[0] if ix.route == "deployments" else str(body.get("model") or "d")
    )
    headers = {"api-key": KEY}
    if "x-ms-client-request-id" in ix.request_headers:
        headers["x-ms-client-request-id"] = ix.request_headers["x-ms-client-request-id"]
    if kind == "error:401":
        headers = {**headers, "api-key": "wrong"}
    if kind == "error:DeploymentNotFound" or kind == "error:unknown_model":
        dep = "no-such-deployment"
    if kind == "error:content_filter":
        body["messages"] = list(body.get("messages") or []) + [{"role": "user", "content": "emulator-block-self-harm"}]
    if kind == "error:unsupported_parameter":
        body = {"messages": body.get("messages") or [{"role": "user", "content": "x"}], "max_tokens": 5}
        dep = "o3-mini"
    if kind in ("error:401", "error:RateLimitReached", "error:429"):
        return (
            "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            {"messages": [{"role": "user", "content": "hi"}]},
            headers,
            "gpt-4o",
        )
    if ix.route == "v1":
        body["model"] = dep
        url = "/openai/v1/" + ix.operation
    else:
        version = ix.api_version or "2024-10-21"
        url = f"/openai/deployments/{dep}/{ix.operation}?api-version={version}"
    for drop in ("stream_options",) if not body.get("stream") else ():
        body.pop(drop, None)
    return url, body, headers, dep


def _events(raw: bytes) -> list[Any]:
    return [json.loads(e) for e in iter_sse(raw) if e != "[DONE]"]


def _role(chunk: dict[str, Any]) -> str:
    if not chunk.get("choices"):
        return "usage" if chunk.get("usage") else "prompt_filter"
    c = chunk["choices"][0]
    if c.get("finish_reason"):
        return "finish"
    d = c.get("delta", {})
    if "role" in d:
        return "role"
    if "tool_calls" in d:
        return "tool_start" if d["tool_calls"][0].get("id") else "tool_args"
    return "content"


def test_emulator_matches_real_azure_shapes(recordings_dir: Path) -> None:
    cases = [(ix, k) for ix in load_interactions(recordings_dir) if (k := _kind(ix))]
    assert cases, "no comparable recordings found"
    problems: list[str] = []
    counted: Counter[str] = Counter()
    obfuscated = 0

    async def run() -> None:
        nonlocal obfuscated
        for ix, kind in cases:
            url, body, headers, dep = _request(ix, kind)
            deps = {"o3-mini": make_deployment("o3-mini")}
            if dep not in ("no-such-deployment", "o3-mini"):
                k = (
                    "embeddings"
                    if ix.operation == "embeddings"
                    else ("chat" if infer_kind(dep) == "reasoning" else infer_kind(dep))
                )
                if k not in ("chat", "embeddings"):
                    k = "chat"
                deps[dep] = make_deployment(dep, dep, kind=k)
            faults = FaultSpec(burst_429=1) if kind in ("error:RateLimitReached", "error:429") else FaultSpec()
            # Azure downloaded the image URLs of a recorded 200; the emulator fetches nothing, so it is told so.
            hosts = tuple(re.findall(r'"url":\s*"https?://([^/"]+)', json.dumps(body))) if ix.status == 200 else ()
            app = create_app(clock=ManualClock(), deployments=deps, faults=faults, image_url_hosts=hosts)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu") as c:
                r = await c.post(url, json=body, headers=headers)
            where = f"{ix.id} [{kind}]"
            if r.status_code != ix.status:
                problems.append(f"{where}: status {r.status_code} vs recorded {ix.status}: {r.text[:200]}")
                continue
            if kind == "stream":
                real_by_role: dict[str, Any] = {}
                for ch in _events(ix.body):
                    real_by_role.setdefault(_role(ch), ch)
                for ch in _events(r.content):
                    role = _role(ch)
                    if role in real_by_role:
                        problems.extend(f"{where} {role}: {d}" for d in shape_diff(real_by_role[role], ch))
                        if ix.route == "v1" and "obfuscation" in real_by_role[role] and "obfuscation" not in ch:
                            problems.append(f"{where} {role}: obfuscation missing on a v1 stream chunk")
                        obfuscated += ix.route == "v1" and "obfuscation" in ch
            else:
                problems.extend(f"{where}: {d}" for d in shape_diff(ix.json(), r.json()))
            for h in AZURE_HEADERS:
                if h in ix.response_headers and h not in r.headers:
                    problems.append(f"{where}: header {h} missing")
            counted[kind] += 1

    asyncio.run(run())
    print(f"\nemulator fidelity: {sum(counted.values())} real interactions compared: {dict(sorted(counted.items()))}")
    assert not problems, "\n".join(problems[:40]) + f"\n... {len(problems)} problems"
    assert {"chat", "stream", "tools", "embeddings"} <= set(counted)
    assert obfuscated > 0, "no v1 stream was compared for its obfuscation field"
    assert {"error:401", "error:DeploymentNotFound", "error:content_filter", "error:RateLimitReached"} <= set(counted)
