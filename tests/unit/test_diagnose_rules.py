"""The diagnosis table (issue 10): each rule of ``diagnose_rules.RULES`` on its own.

For every rule: an answer it must decide (it is the first rule that matches, and builds the
expected type with the expected fix), and a near miss it must leave to a later rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared_core.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentFilterError,
    ContextLengthExceededError,
    DeploymentNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
    UnprocessableEntityError,
    UnsupportedAPIVersionError,
    UnsupportedParameterError,
)
from shared_core.wire.diagnose_rules import RULES, first_rule
from shared_core.wire.error_body import Answer

from .core_fakes import KeyCred, target


def _answer(
    status: int, error: dict[str, Any] | str | None = None, headers: dict[str, str] | None = None, **kw: Any
) -> Answer:
    body = json.dumps({"error": error}) if isinstance(error, dict) else error
    return Answer.of(status, headers or {}, body, target=target(credential=KeyCred()), **kw)


def _on(status: int, message: str, api_version: str) -> Answer:
    """An answer to a request made on ``api_version`` (Azure's "Unrecognized request argument" shape)."""
    body = json.dumps({"error": {"code": "BadRequest", "message": message}})
    return Answer.of(status, {}, body, target=target(credential=KeyCred(), api_version=api_version))


# rule name -> (answer it decides, expected type, words of the message, a near miss it must not take)
CASES: dict[str, tuple[Answer, type[APIStatusError], str, Answer]] = {
    "content_filter": (
        _answer(
            400,
            {
                "code": "content_filter",
                "message": "filtered",
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {"hate": {"filtered": True, "severity": "high"}},
                },
            },
        ),
        ContentFilterError,
        "content filter blocked the prompt (hate (high))",
        _answer(400, {"code": "invalid_prompt", "message": "repetitive patterns"}),
    ),
    "context_length": (
        _answer(400, {"code": "context_length_exceeded", "message": "This model's maximum context length is 128000"}),
        ContextLengthExceededError,
        "does not fit the model's context window",
        _answer(400, {"code": "invalid_request_error", "message": "context is fine"}),
    ),
    "refused_argument": (
        _on(400, "Unrecognized request argument supplied: reasoning_effort", "2025-04-01-preview"),
        UnsupportedParameterError,
        "is not a reasoning model: it does not take reasoning_effort; remove reasoning_effort",
        _on(400, "Unrecognized request argument supplied: reasoning_effort", "2024-10-21"),
    ),
    "api_version": (
        _on(400, "Unrecognized request argument supplied: parallel_tool_calls", "2024-06-01"),
        UnsupportedAPIVersionError,
        "set api_version='2024-08-01-preview' or later",
        _answer(404, {"code": "DeploymentNotFound", "message": "The API deployment for this api-version..."}),
    ),
    "unsupported_parameter": (
        _answer(
            400,
            {
                "code": "unsupported_parameter",
                "param": "max_tokens",
                "message": "Unsupported parameter: 'max_tokens' is not supported with this model.",
            },
        ),
        UnsupportedParameterError,
        "sends max_completion_tokens instead",
        _answer(422, {"message": "Unsupported parameter: 'x'"}),
    ),
    "unsupported_value": (
        _answer(400, {"code": "unsupported_value", "param": "temperature", "message": "only the default (1)"}),
        UnsupportedParameterError,
        "The model behind deployment 'chat' does not take temperature",
        _answer(400, {"code": "invalid_value", "param": "temperature"}),
    ),
    "unknown_model": (
        _answer(400, {"code": "unknown_model", "message": "Unknown model: gpt-x"}),
        BadRequestError,
        "Unknown model 'gpt-x' on res.openai.azure.com",
        _answer(500, {"code": "model_not_found", "message": "busy"}),
    ),
    "redirect": (
        _answer(301, "<html>moved</html>", {"Location": "http://res.openai.azure.com/openai?sig=abc"}),
        UnexpectedResponseError,
        "redirect (HTTP 301) to http://res.openai.azure.com/openai, which",
        _answer(200, {"code": "Oops", "message": "x"}),
    ),
    "error_in_success": (
        _answer(200, {"code": "Oops", "message": "gateway said no"}),
        UnexpectedResponseError,
        "answered HTTP 200 with an error (code 'Oops') instead of an answer",
        _answer(400, {"code": "Oops"}),
    ),
    "bad_request": (
        _answer(400, {"code": "invalid_prompt", "message": "repetitive patterns"}),
        BadRequestError,
        "rejected the request as invalid",
        _answer(401, {"code": "401"}),
    ),
    "authentication": (
        _answer(401, {"code": "401", "message": "Access denied due to invalid subscription key"}),
        AuthenticationError,
        "Azure refused the API key for res.openai.azure.com",
        _answer(403, {"code": "403"}),
    ),
    "permission_denied": (
        _answer(403, {"code": "AuthenticationTypeDisabled", "message": "Key based authentication is disabled"}),
        PermissionDeniedError,
        "API keys are disabled on res.openai.azure.com",
        _answer(404, {"code": "404"}),
    ),
    "deployment_not_found": (
        _answer(404, {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}),
        DeploymentNotFoundError,
        "Deployment 'chat' was not found on resource res.openai.azure.com",
        _answer(404, {"code": "404", "message": "Resource not found"}),
    ),
    "not_found": (
        _answer(404, {"code": "404", "message": "Resource not found"}),
        NotFoundError,
        "the path does not exist for this endpoint",
        _answer(409, {"code": "409"}),
    ),
    "conflict": (_answer(409, {"message": "busy"}), ConflictError, "reported a conflict", _answer(422, None)),
    "unprocessable": (_answer(422, None), UnprocessableEntityError, "could not process", _answer(429, None)),
    "rate_limit": (
        _answer(429, {"code": "429", "message": "exceeded token rate limit"}, retry_after=7.0),
        RateLimitError,
        "the tokens-per-minute (TPM) limit of deployment 'chat' (burst limit). Azure asks to wait 7 s",
        _answer(503, None),
    ),
    "server_error": (_answer(503, "Service Unavailable"), ServerError, "server error (503)", _answer(418, None)),
    "other_status": (_answer(418, "teapot"), APIStatusError, "Azure answered with HTTP 418", _answer(418, None)),
}


def test_every_rule_has_a_case() -> None:
    assert [r.name for r in RULES] == list(CASES)
    assert all(r.build.__doc__ for r in RULES)  # each rule says where it comes from


@pytest.mark.parametrize("rule", RULES[:-1], ids=[r.name for r in RULES[:-1]])
def test_rule(rule: Any) -> None:
    answer, kind, says, miss = CASES[rule.name]
    assert rule.when(answer) and first_rule(answer) is rule
    exc = rule.build(answer)
    assert type(exc) is kind and says in str(exc), str(exc)
    assert exc.status == answer.status and exc.code == answer.code
    assert not rule.when(miss)
    assert "sig=abc" not in str(exc) and "k-secret-123" not in str(exc)


def test_other_status_takes_what_no_rule_knows() -> None:
    answer, kind, says, _ = CASES["other_status"]
    assert [r.name for r in RULES if r.when(answer)] == ["other_status"]
    exc = first_rule(answer).build(answer)
    assert type(exc) is kind and str(exc) == "Azure answered with HTTP 418. Azure said: 'teapot'. [HTTP 418]"
