"""Every real Azure error shape maps to the right type, with a message that says what to do."""

from __future__ import annotations

import json

import pytest

from shared_core.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    ContextLengthExceededError,
    DeploymentNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamError,
    UnsupportedAPIVersionError,
    UnsupportedParameterError,
)
from shared_core.types import Choice, ResponseMeta
from shared_core.wire.diagnose import (
    completion_filtered_error,
    error_from_response,
    stream_error_from_event,
)

from .core_fakes import TokenCred, target

H = {"apim-request-id": "req-123", "x-ms-region": "East US"}

# REPORT.md §5, verbatim shapes
DEPLOYMENT_NOT_FOUND = {
    "error": {
        "code": "DeploymentNotFound",
        "message": "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
    }
}
UNAUTHORIZED = {
    "error": {
        "code": "401",
        "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
    }
}
PROMPT_FILTER = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": {"filtered": False, "severity": "safe"},
                "jailbreak": {"filtered": True, "detected": True},
                "self_harm": {"filtered": False, "severity": "safe"},
                "sexual": {"filtered": False, "severity": "safe"},
                "violence": {"filtered": True, "severity": "medium"},
            },
        },
    }
}
RESPONSES_FILTER = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI’s content management policy. ...",
        "type": "invalid_request_error",
        "param": "prompt",
        "code": "content_filter",
    }
}
UNSUPPORTED_PARAM = {
    "error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        "type": "invalid_request_error",
        "param": "max_tokens",
        "code": "unsupported_parameter",
    }
}
INVALID_VALUE = {
    "error": {
        "message": "Content blocks are expected to be either text or image_url type.",
        "type": "invalid_request_error",
        "param": "messages[0].content[1].type",
        "code": "invalid_value",
    }
}
UNKNOWN_MODEL = {
    "error": {
        "code": "unknown_model",
        "message": "Unknown model: this-model-does-not-exist-12345",
        "details": "Unknown model: this-model-does-not-exist-12345",
    }
}
RATE_LIMIT = {
    "error": {
        "code": "RateLimitReached",
        "message": "Your requests to grok-4-1-fast-non-reasoning for grok-4-1-fast-non-reasoning in westeurope have exceeded rate limit.",
        "details": "...",
    }
}
REPETITIVE = {
    "error": {
        "message": "Sorry! We've encountered an issue with repetitive patterns in your prompt. Please try again with a different prompt.",
        "type": "invalid_request_error",
        "param": "prompt",
        "code": "invalid_prompt",
    }
}
JSON_SCHEMA_OLD = {
    "error": {
        "message": "response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later (request id: 2024100312073850903022739187310)",
        "type": "",
        "param": "",
        "code": "BadRequest",
    }
}


def test_deployment_not_found_names_deployment_resource_and_advice() -> None:
    e = error_from_response(404, H, json.dumps(DEPLOYMENT_NOT_FOUND).encode(), target=target(deployment="gpt-4o"))
    assert type(e) is DeploymentNotFoundError
    assert "Deployment 'gpt-4o' was not found on resource res.openai.azure.com" in e.message
    assert "deployment name, not model name" in e.message
    assert "take a few minutes" in e.message
    assert (e.status, e.code, e.request_id, e.region) == (404, "DeploymentNotFound", "req-123", "East US")
    assert e.headers["apim-request-id"] == "req-123"


def test_401_key() -> None:
    e = error_from_response(401, {"apim-request-id": "r"}, UNAUTHORIZED, target=target())
    assert type(e) is AuthenticationError
    assert "refused the API key for res.openai.azure.com" in e.message
    assert "Keys and Endpoint" in e.message and "AZURE_OPENAI_API_KEY" in e.message
    assert "k-secret-123" not in e.message


def test_401_token_wrong_audience_names_claims_and_scope() -> None:
    cred = TokenCred(claims={"aud": "https://management.azure.com", "tid": "tenant-1", "oid": "o1"})
    e = error_from_response(401, {}, UNAUTHORIZED, target=target(credential=cred))
    assert type(e) is AuthenticationError
    assert "aud=https://management.azure.com" in e.message and "tid=tenant-1" in e.message
    assert "is not 'https://cognitiveservices.azure.com'" in e.message
    assert "scope 'https://cognitiveservices.azure.com/.default'" in e.message
    assert "tok-1" not in e.message


def test_401_token_wrong_audience_names_only_settings_the_users_class_has() -> None:
    import dataclasses

    from langchain_azoai._fields import SPELLING as LANGCHAIN
    from llamaindex_azoai._settings import AzureConnection
    from shared_core.connection.spelling import Spelling

    cred = TokenCred(claims={"aud": "https://management.azure.com", "tid": "tenant-1"})
    lc = dataclasses.replace(target(credential=cred), spelling=LANGCHAIN)  # LangChain classes have no token_scope
    e = error_from_response(401, {}, UNAUTHORIZED, target=lc)
    assert "token_scope" not in e.message and "get_bearer_token_provider(credential, " in e.message

    li = dataclasses.replace(target(credential=cred), spelling=Spelling(AzureConnection.SPELLING))
    assert "(token_scope= / get_bearer_token_provider" in error_from_response(401, {}, UNAUTHORIZED, target=li).message


def test_401_token_right_audience_points_at_tenant_or_expiry() -> None:
    cred = TokenCred(claims={"aud": "https://cognitiveservices.azure.com", "tid": "t"})
    e = error_from_response(401, {}, UNAUTHORIZED, target=target(credential=cred))
    assert "audience is right" in e.message and "tenant" in e.message


def test_403_role_and_propagation() -> None:
    body = {"error": {"code": "PermissionDenied", "message": "The principal `x` lacks the required data action."}}
    cred = TokenCred(claims={"aud": "https://cognitiveservices.azure.com", "oid": "obj-9"})
    e = error_from_response(403, H, body, target=target(credential=cred))
    assert type(e) is PermissionDeniedError
    assert "'Cognitive Services OpenAI User'" in e.message and "propagate" in e.message
    assert "oid=obj-9" in e.message


def test_403_keys_disabled() -> None:
    body = {
        "error": {
            "code": "AuthenticationTypeDisabled",
            "message": "Key based authentication is disabled for this resource.",
        }
    }
    e = error_from_response(403, {}, body, target=target())
    assert "API keys are disabled" in e.message and "Entra ID" in e.message


def test_prompt_content_filter_categories_and_severities() -> None:
    e = error_from_response(400, H, json.dumps(PROMPT_FILTER), target=target())
    assert type(e) is ContentFilterError
    assert e.source == "prompt"
    assert e.categories == {
        "jailbreak": {"filtered": True, "detected": True},
        "violence": {"filtered": True, "severity": "medium"},
    }
    assert "jailbreak (detected), violence (medium)" in e.message
    assert "deployment 'chat'" in e.message


def test_responses_api_content_filter_without_innererror() -> None:
    e = error_from_response(400, {}, RESPONSES_FILTER)
    assert isinstance(e, ContentFilterError) and e.categories == {}
    assert "categories not reported" in e.message


def test_unsupported_parameter_names_param_and_fix() -> None:
    e = error_from_response(400, {}, UNSUPPORTED_PARAM)
    assert type(e) is UnsupportedParameterError and e.param == "max_tokens"
    assert "parameter 'max_tokens'" in e.message and "max_completion_tokens" in e.message


def test_invalid_value_and_repetitive_are_plain_bad_requests_quoting_azure() -> None:
    e = error_from_response(400, {}, INVALID_VALUE)
    assert type(e) is BadRequestError and "Content blocks are expected" in e.message
    e = error_from_response(400, {}, REPETITIVE)
    assert type(e) is BadRequestError and e.code == "invalid_prompt" and "repetitive" in e.message


def test_unknown_model_on_v1() -> None:
    t = target(base="https://res.openai.azure.com/openai/v1", kind="v1", api_version=None)
    e = error_from_response(400, {}, UNKNOWN_MODEL, target=t)
    assert type(e) is BadRequestError and e.code == "unknown_model"
    assert "Unknown model 'this-model-does-not-exist-12345' on res.openai.azure.com" in e.message
    assert "name of a deployment" in e.message


def test_json_schema_needs_newer_api_version() -> None:
    e = error_from_response(400, {}, JSON_SCHEMA_OLD, target=target(api_version="2024-06-01"))
    assert type(e) is UnsupportedAPIVersionError
    assert e.needed == "2024-08-01-preview"
    assert "api_version='2024-06-01'" in e.message and "api_version='2024-08-01-preview' or later" in e.message


def test_unrecognized_argument_maps_to_version() -> None:
    body = {"error": {"code": None, "message": "Unrecognized request argument supplied: tools"}}
    e = error_from_response(400, {}, body, target=target(api_version="2023-05-15"))
    assert isinstance(e, UnsupportedAPIVersionError) and e.needed == "2023-12-01-preview"


def test_context_length() -> None:
    body = {
        "error": {
            "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
    e = error_from_response(400, {}, body)
    assert type(e) is ContextLengthExceededError and "Shorten" in e.message


def test_rate_limit_foundry_shape_with_wait() -> None:
    e = error_from_response(429, {"retry-after": "1", "retry-after-ms": "0"}, RATE_LIMIT, retry_after=1.0)
    assert type(e) is RateLimitError and e.retry_after == 1.0
    assert "wait 1 s" in e.message and "burst" in e.message
    assert "the rate limit" in e.message  # "Your requests to ..." names neither tokens nor requests


def test_rate_limit_tokens_daily_quota_with_note() -> None:
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current AIServices S0 pricing tier.",
        }
    }
    e = error_from_response(
        429,
        {"x-ratelimit-remaining-tokens": "0"},
        body,
        retry_after=86400.0,
        note="That is longer than max_retry_wait=60 s, so azoai did not wait.",
        target=target(),
    )
    assert isinstance(e, RateLimitError)
    assert "tokens-per-minute (TPM) limit of deployment 'chat' (quota exhausted)" in e.message
    assert "86400 s (~24.0 h)" in e.message and "max_retry_wait=60" in e.message


def test_requests_limit_detected_from_headers_and_message() -> None:
    e = error_from_response(
        429, {"x-ratelimit-remaining-requests": "0"}, {"error": {"code": "429", "message": "slow down"}}
    )
    assert "requests-per-minute (RPM)" in e.message
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 2 seconds.",
        }
    }
    e = error_from_response(429, {}, body)
    assert "requests-per-minute (RPM)" in e.message


def test_server_error_and_non_json_body() -> None:
    e = error_from_response(502, {"x-request-id": "xr"}, b"<html>Bad Gateway</html>", attempts=3)
    assert type(e) is ServerError
    assert "<html>Bad Gateway</html>" in e.message and "after 3 attempts" in e.message
    assert e.request_id == "xr" and e.attempts == 3


def test_plain_404_is_not_deployment_not_found() -> None:
    e = error_from_response(404, {}, {"error": {"code": "404", "message": "Resource not found"}}, target=target())
    assert type(e) is NotFoundError and "base_url" in e.message


def test_empty_body_unknown_status() -> None:
    e = error_from_response(418, {}, b"")
    assert type(e) is APIStatusError and "HTTP 418" in e.message


def test_completion_filtered_error() -> None:
    choice = Choice(
        index=0,
        role="assistant",
        content=None,
        finish_reason="content_filter",
        content_filter_results={
            "hate": {"filtered": True, "severity": "high"},
            "sexual": {"filtered": False, "severity": "safe"},
        },
    )
    meta = ResponseMeta(status=200, headers={"apim-request-id": "r1"}, request_id="r1", region="West Europe")
    e = completion_filtered_error(choice, meta)
    assert e.source == "completion" and e.categories == {"hate": {"filtered": True, "severity": "high"}}
    assert "hate (high)" in e.message and e.request_id == "r1" and e.region == "West Europe"


def test_stream_error_events() -> None:
    e = stream_error_from_event(
        {"error": {"message": "The server had an error while processing your request.", "type": "server_error"}}, None
    )
    assert type(e) is ServerError and "inside a 200 stream" in e.message
    e = stream_error_from_event(PROMPT_FILTER, None)
    assert isinstance(e, ContentFilterError) and "violence (medium)" in e.message
    e = stream_error_from_event({"error": {"message": "odd"}}, None)
    assert type(e) is StreamError and "odd" in e.message


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500])
def test_never_leaks_the_key(status: int) -> None:
    e = error_from_response(status, {}, {"error": {"message": "x"}}, target=target())
    assert "k-secret-123" not in str(e) and "k-secret-123" not in repr(e.headers)


def test_image_content_policy_violation_is_a_content_filter_error() -> None:
    from shared_core.errors import ContentFilterError
    from shared_core.wire.diagnose import error_from_response

    body = {
        "error": {
            "code": "content_policy_violation",
            "message": "Your request was rejected as a result of our safety system.",
            "inner_error": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_results": {
                    "violence": {"filtered": True, "severity": "high"},
                    "hate": {"filtered": False, "severity": "safe"},
                },
            },
        }
    }
    err = error_from_response(400, {"apim-request-id": "r"}, body)
    assert isinstance(err, ContentFilterError)
    assert err.categories == {"violence": {"filtered": True, "severity": "high"}}
    assert "violence" in str(err) and "high" in str(err)
