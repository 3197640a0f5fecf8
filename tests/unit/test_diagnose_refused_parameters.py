"""Azure's 400 for a parameter the model refuses becomes ``UnsupportedParameterError`` naming the
parameter, the deployment (with its family when the name shows it) and the fix.

The bodies are Azure's as quoted in public issues: "Unsupported value: 'temperature' does not support
0.2 with this model. Only the default (1) value is supported." (code ``unsupported_value``,
microsoft/vscode#254389, diffbot/code-gpt-docs#445 for gpt-5), "Unsupported parameter: 'stop' is not
supported with this model." (``unsupported_parameter``, MaartenGr/BERTopic#2423), the same shape for
temperature on o3-mini (immersive-translate#2694) and parallel_tool_calls (langchain-ai/langchain#29704).
"""

from __future__ import annotations

import json

import pytest

from shared_core.errors import BadRequestError, UnsupportedParameterError
from shared_core.wire.diagnose import error_from_response

from .core_fakes import target


def _body(code: str, param: str, message: str) -> str:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}})


TEMPERATURE = _body(
    "unsupported_value",
    "temperature",
    "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.",
)
STOP = _body("unsupported_parameter", "stop", "Unsupported parameter: 'stop' is not supported with this model.")


def test_explicit_temperature_on_gpt5_mini_names_the_model_and_the_fix() -> None:
    e = error_from_response(400, {}, TEMPERATURE, target=target(deployment="gpt-5-mini"))
    assert type(e) is UnsupportedParameterError and isinstance(e, BadRequestError)
    assert (e.status, e.code, e.param, e.deployment) == (400, "unsupported_value", "temperature", "gpt-5-mini")
    assert e.message.startswith(
        "'gpt-5-mini' (GPT-5) is a reasoning model: it does not take temperature other than its default 1;"
        " remove temperature from the call and the model's settings (model_kwargs / additional_kwargs /"
        " extra_body), or steer the answer with reasoning_effort (and verbosity); gpt-5.1 and gpt-5.2 take"
        " it with reasoning_effort='none'."
    ), e.message
    assert "Azure said: \"Unsupported value: 'temperature' does not support 0.2" in e.message


def test_explicit_stop_on_gpt5_mini_names_the_families_that_take_it() -> None:
    e = error_from_response(400, {"x-ms-region": "Sweden Central"}, STOP, target=target(deployment="gpt-5-mini"))
    assert type(e) is UnsupportedParameterError and e.param == "stop"
    assert e.message.startswith(
        "'gpt-5-mini' (GPT-5) does not take stop (the o-series and gpt-5 up to gpt-5.4 refuse it); remove stop"
        " from the call and the model's settings (model_kwargs / additional_kwargs / extra_body), or use a"
        " deployment that takes it (gpt-5.5 or later, or a non-reasoning chat model). ReAct-style agents"
        " bind stop to end each step: a tool-calling agent needs none."
    ), e.message
    assert e.message.endswith("[HTTP 400, region Sweden Central]")


def test_a_deployment_name_that_shows_no_family_is_named_as_the_deployment() -> None:
    e = error_from_response(400, {}, TEMPERATURE, target=target(deployment="prod-chat"))
    assert e.message.startswith(
        "The model behind deployment 'prod-chat' does not take temperature (reasoning models such as o3 and"
        " gpt-5 refuse sampling parameters) other than its default 1; remove temperature"
    ), e.message


@pytest.mark.parametrize(
    ("param", "says"),
    [
        ("temperature", "'o3-mini' (o3-mini) is a reasoning model: it does not take temperature; remove temperature"),
        ("presence_penalty", "it does not take presence_penalty; remove presence_penalty"),
        ("parallel_tool_calls", "'o3-mini' (o3-mini) does not take parallel_tool_calls (the o-series refuse it"),
    ],
)
def test_unsupported_parameter_bodies_on_o3_mini(param: str, says: str) -> None:
    body = _body("unsupported_parameter", param, f"Unsupported parameter: '{param}' is not supported with this model.")
    e = error_from_response(400, {}, body, target=target(deployment="o3-mini"))
    assert type(e) is UnsupportedParameterError and e.param == param
    assert says in e.message, e.message
    # penalties have no reasoning_effort="none" escape on any model
    assert ("reasoning_effort='none'" in e.message) is (param == "temperature")


def test_reasoning_effort_value_names_the_parameter() -> None:
    body = _body(
        "unsupported_value",
        "reasoning_effort",
        "Unsupported value: 'reasoning_effort' does not support 'minimal' with this model. Supported values are:"
        " 'none', 'low', 'medium', 'high', and 'xhigh'.",
    )
    e = error_from_response(400, {}, body, target=target(deployment="gpt-5.2"))
    assert type(e) is UnsupportedParameterError
    assert e.message.startswith("'gpt-5.2' (GPT-5) does not take this value of reasoning_effort;"), e.message
    assert "Supported values are: 'none'" in e.message


@pytest.mark.parametrize("api_version", ["2025-04-01-preview", "2024-12-01-preview", "v1"])
def test_an_argument_the_api_version_has_is_refused_by_the_model(api_version: str) -> None:
    """Azure's answer to reasoning_effort on a model that does not reason (emulator rule
    ``chat.reasoning_effort.unsupported``): the api-version has the field, so the model refuses it."""
    body = json.dumps(
        {
            "error": {
                "message": "Unrecognized request argument supplied: reasoning_effort",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
    )
    e = error_from_response(400, {}, body, target=target(deployment="gpt-4.1", api_version=api_version))
    assert type(e) is UnsupportedParameterError
    assert e.message.startswith(
        "'gpt-4.1' (GPT-4.1) is not a reasoning model: it does not take reasoning_effort; remove reasoning_effort"
    ), e.message


def test_an_argument_an_older_api_version_lacks_still_names_the_version() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "Unrecognized request argument supplied: reasoning_effort",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
    )
    e = error_from_response(400, {}, body, target=target(deployment="o3-mini", api_version="2024-10-21"))
    assert type(e).__name__ == "UnsupportedAPIVersionError" and "2024-12-01-preview" in e.message
