"""Bad input never yields a 500 or a traceback; config files and CLI arguments fail with clear errors."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_core.emulator.app import create_app
from shared_core.emulator.config import ManualClock, load_config_file, parse_deployment_arg
from shared_core.emulator.server import build_parser, config_from_args, main
from shared_core.errors import ConfigurationError

H = {"api-key": "azoai-emulator-key"}
APP = create_app(
    clock=ManualClock(),
    overrides={
        "deployments": {
            "gpt-4o": {"model": "gpt-4o", "tpm": 0, "serve_retired": True},
            "o3-mini": {"model": "o3-mini", "tpm": 0, "serve_retired": True},
            "emb": {"model": "text-embedding-3-small", "tpm": 0},
            "inst": {"model": "gpt-35-turbo-instruct", "tpm": 0, "serve_retired": True},
            "img": {"model": "dall-e-3", "rpm": 0, "serve_retired": True},
            "tts": {"model": "tts", "rpm": 0},
        }
    },
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 5000) | st.floats(allow_nan=False, width=32) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "system", "assistant", "tool", "robot"]) | json_values},
    optional={"content": json_values | st.text(max_size=40), "tool_calls": json_values, "tool_call_id": json_values},
)
chat_body = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.lists(message, max_size=3) | json_values,
        "tools": json_values
        | st.just([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]),
        "tool_choice": json_values,
        "response_format": json_values | st.just({"type": "json_schema", "json_schema": {}}),
        "max_tokens": json_values,
        "n": st.integers(-1, 3) | json_values,
        "stop": json_values,
        "stream": st.booleans(),
        "temperature": json_values,
        "stream_options": json_values,
        "parallel_tool_calls": json_values,
    },
)
TARGETS = [
    ("gpt-4o", "chat/completions"),
    ("o3-mini", "chat/completions"),
    ("emb", "embeddings"),
    ("inst", "completions"),
    ("img", "images/generations"),
    ("tts", "audio/speech"),
]


def post(path: str, body: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://emu") as c:
            return await c.post(path, content=json.dumps(body), headers={**H, "content-type": "application/json"})

    return asyncio.run(go())


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    target=st.sampled_from(TARGETS),
    body=chat_body
    | st.dictionaries(
        st.sampled_from(["input", "prompt", "dimensions", "encoding_format", "voice", "size", "n", "model", "quality"]),
        json_values,
        max_size=4,
    )
    | json_values,
)
def test_random_bodies_get_azure_answers_not_500(target: tuple[str, str], body: Any) -> None:
    dep, op = target
    r = post(f"/openai/deployments/{dep}/{op}?api-version=2024-10-21", body)
    assert r.status_code in (200, 400), (r.status_code, r.text)
    if r.status_code == 400:
        err = r.json()["error"]
        assert isinstance(err["message"], str) and err["message"]
        assert "Traceback" not in r.text


@pytest.mark.parametrize("n", [{"x": 1}, [2], ":", "2", 2.5])
def test_image_n_of_the_wrong_type_is_a_type_error(n: Any) -> None:
    # found by the property test above: these answered 500 (int() on the raw value)
    r = post("/openai/deployments/img/images/generations?api-version=2024-10-21", {"prompt": "a fox", "n": n})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == {
        "message": "Invalid type for 'n': expected an integer.",
        "type": "invalid_request_error",
        "param": "n",
        "code": "invalid_type",
    }


def test_config_file_round_trip(tmp_path: Path) -> None:
    f = tmp_path / "emu.json"
    f.write_text(
        json.dumps(
            {
                "deployments": {"chat": {"model": "gpt-4o-mini", "tpm": 2000}, "vec": "text-embedding-3-large"},
                "api_keys": ["k1"],
                "region": "Japan East",
                "faults": {"error_every": 4},
                "deployment_faults": {"chat": {"burst_429": 1}},
            }
        )
    )
    cfg = load_config_file(f)
    assert cfg.deployments["chat"].requests_per_minute == 12 and cfg.deployments["chat"].kind == "chat"
    assert cfg.deployments["vec"].kind == "embeddings" and cfg.deployments["vec"].dimensions == 3072
    assert cfg.accepts_key("k1") and not cfg.accepts_key("azoai-emulator-key") and "k1" not in repr(cfg)
    assert cfg.region == "Japan East" and cfg.faults.error_every == 4 and cfg.deployment_faults["chat"].burst_429 == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "is not valid JSON"),
        ("[]", "must hold a JSON object"),
        ('{"deploymens": {}}', "unknown emulator config key(s) ['deploymens']"),
        ('{"faults": {"error_every": 2, "boom": 1}}', "unknown fault field(s) ['boom']"),
        ('{"deployments": {"x": {"model": "gpt-4o", "kind": "vision"}}}', "kind 'vision' is not one of"),
    ],
)
def test_config_file_errors_name_the_cause(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "emu.json"
    f.write_text(content)
    with pytest.raises(
        ConfigurationError,
        match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)"),
    ):
        load_config_file(f)


def test_deployment_argument_parsing() -> None:
    d = parse_deployment_arg("chat=gpt-4o-mini,tpm=30000,rpm=50")
    assert (d.name, d.model, d.kind, d.tpm, d.requests_per_minute) == ("chat", "gpt-4o-mini", "chat", 30000, 50)
    assert parse_deployment_arg("o3-mini").kind == "reasoning"
    assert parse_deployment_arg("e=text-embedding-3-small,dimensions=256").dimensions == 256
    with pytest.raises(ConfigurationError, match="tpm/rpm/dimensions are integers"):
        parse_deployment_arg("x=gpt-4o,tpm=lots")
    with pytest.raises(ConfigurationError, match="unknown option"):
        parse_deployment_arg("x=gpt-4o,colour=red")


def test_cli_arguments_build_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--deployment",
            "a=gpt-4o",
            "--api-key",
            "k",
            "--audience",
            "https://x",
            "--region",
            "UK South",
            "--seed",
            "3",
            "--faults",
            '{"error_rate": 0.5}',
        ]
    )
    cfg = config_from_args(args)
    assert list(cfg.deployments) == ["a"] and cfg.token_audiences == ("https://x",) and cfg.seed == 3
    assert cfg.region == "UK South" and cfg.faults.error_rate == 0.5 and cfg.accepts_key("k")


def test_cli_without_uvicorn_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["--port", "0"]) == 2
    assert 'pip install "azoai[emulator]"' in capsys.readouterr().err
