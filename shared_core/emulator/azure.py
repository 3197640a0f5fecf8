"""Azure's wire details: error bodies, content-filter objects, response headers.

Texts and shapes are copied from real Azure responses (``../shared/azure-recordings``, see its
REPORT.md) where a recording exists, and from Azure's documented messages otherwise.
"""

from __future__ import annotations

import json
from typing import Any

JSON = dict[str, Any]

SEVERITY_CATEGORIES = ("hate", "self_harm", "sexual", "violence")
DETECTION_CATEGORIES = ("jailbreak", "protected_material_text", "protected_material_code")


class AzureError(Exception):
    """An Azure error response: status, body and extra headers. Raised inside the app, rendered once."""

    def __init__(self, status: int, body: JSON, headers: dict[str, str] | None = None, *, scoped: bool = True) -> None:
        super().__init__(status, body.get("error", {}).get("message"))
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.scoped = scoped  # False: no deployment/rate-limit headers (401, 404, version errors)


def _oai(
    message: str, *, param: str | None = None, code: str | None = None, type_: str | None = "invalid_request_error"
) -> JSON:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> AzureError:
    """The OpenAI-style 400 Azure passes through from the model service."""
    return AzureError(400, _oai(message, param=param, code=code))


def missing_parameter(name: str) -> AzureError:
    return bad_request(f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")


def invalid_type(name: str, expected: str) -> AzureError:
    return bad_request(f"Invalid type for '{name}': expected {expected}.", param=name, code="invalid_type")


def invalid_value(name: str, message: str) -> AzureError:
    return bad_request(message, param=name, code="invalid_value")


def unrecognized_argument(name: str) -> AzureError:
    return bad_request(f"Unrecognized request argument supplied: {name}")


def unsupported_parameter(name: str, instead: str | None = None) -> AzureError:
    msg = f"Unsupported parameter: '{name}' is not supported with this model."
    if instead:
        msg += f" Use '{instead}' instead."
    return bad_request(msg, param=name, code="unsupported_parameter")


def invalid_json() -> AzureError:
    return bad_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
        "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
    )


def wrong_content_type(got: str, expected: str) -> AzureError:
    return bad_request(
        f"Unsupported content type: '{got}'. This API method only accepts '{expected}' requests, but you "
        f"specified the header 'Content-Type: {got}'. Please try again with a supported content type."
    )


def too_many_inputs(limit: int = 2048) -> AzureError:
    return bad_request(
        f"Too many inputs. The max number of inputs is {limit}.  We hope to increase the number of inputs per "
        "request soon. Please contact us through an Azure support request at: "
        "https://go.microsoft.com/fwlink/?linkid=2213926 for further questions."
    )


def context_length_exceeded(limit: int, got: int, *, param: str = "messages") -> AzureError:
    return bad_request(
        f"This model's maximum context length is {limit} tokens. However, your messages resulted in {got} tokens. "
        "Please reduce the length of the messages.",
        param=param,
        code="context_length_exceeded",
    )


def unauthorized_key(missing: bool = False) -> AzureError:
    if missing:
        msg = (
            "Access denied due to missing subscription key. Make sure to include subscription key when making "
            "requests to an API."
        )
    else:
        msg = (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
            "for an active subscription and use a correct regional API endpoint for your resource."
        )
    return AzureError(401, {"error": {"code": "401", "message": msg}}, scoped=False)


def unauthorized_token(audience: str) -> AzureError:
    return AzureError(
        401,
        {
            "error": {
                "code": "401",
                "message": f"Unauthorized. Access token is missing, invalid, audience is incorrect "
                f"({audience}), or have expired.",
            }
        },
        scoped=False,
    )


def resource_not_found() -> AzureError:
    return AzureError(404, {"error": {"code": "404", "message": "Resource not found"}}, scoped=False)


def api_version_not_supported() -> AzureError:
    return AzureError(400, {"error": {"code": "BadRequest", "message": "API version not supported"}}, scoped=False)


def deployment_not_found() -> AzureError:
    return AzureError(
        404,
        {
            "error": {
                "code": "DeploymentNotFound",
                "message": "The API deployment for this resource does not exist. If you "
                "created the deployment within the last 5 minutes, please wait a moment and try again.",
            }
        },
        scoped=False,
    )


def unknown_model(name: str) -> AzureError:
    msg = f"Unknown model: {name}"
    return AzureError(400, {"error": {"code": "unknown_model", "message": msg, "details": msg}}, scoped=False)


def operation_not_supported(operation: str, model: str) -> AzureError:
    return AzureError(
        400,
        {
            "error": {
                "code": "OperationNotSupported",
                "message": f"The {operation} operation does not work with the "
                f"specified model, {model}. Please choose different model and try again. You can learn more about "
                "which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
            }
        },
    )


def not_found(kind: str, ident: str) -> AzureError:
    return AzureError(
        404, {"error": {"code": "NotFound", "message": f"{kind} with id '{ident}' not found."}}, scoped=False
    )


def rate_limited(operation: str, api_version: str, which: str, seconds: int) -> AzureError:
    return AzureError(
        429,
        {
            "error": {
                "code": "429",
                "message": f"Requests to the {operation} Operation under Azure OpenAI API version "
                f"{api_version} have exceeded {which} rate limit of your current AIServices S0 pricing tier. Please "
                f"retry after {seconds} second{'s' if seconds != 1 else ''}. Please contact Azure support service if you "
                "would like to further increase the default rate limit.",
            }
        },
    )


def server_error(status: int, request_id: str) -> AzureError:
    if status == 500:
        body = _oai(
            "The server had an error processing your request. Sorry about that! You can retry your request, or contact "
            "us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing "
            f"this error. (Please include the request ID {request_id} in your email.)",
            type_="server_error",
        )
    else:
        body = {
            "error": {
                "code": str(status),
                "message": "The service is temporarily unable to process your request. Please try again later.",
            }
        }
    return AzureError(status, body)


def stream_error_event(request_id: str) -> JSON:
    """The ``{"error": ...}`` event Azure sends inside a 200 stream when the model fails mid-way."""
    return server_error(500, request_id).body


def safe_filter_results(*, jailbreak: bool = False, protected: bool = False) -> JSON:
    """Content-filter results with nothing filtered, categories in Azure's (alphabetical) order."""
    out: JSON = {}
    for cat in sorted(
        SEVERITY_CATEGORIES
        + (("jailbreak",) if jailbreak else ())
        + (("protected_material_code", "protected_material_text") if protected else ())
    ):
        out[cat] = (
            {"filtered": False, "detected": False}
            if cat in DETECTION_CATEGORIES
            else {"filtered": False, "severity": "safe"}
        )
    return out


def filtered_results(category: str, *, jailbreak: bool, severity: str = "medium") -> JSON:
    """Filter results with one category tripped."""
    out = safe_filter_results(jailbreak=jailbreak or category == "jailbreak")
    out[category] = (
        {"filtered": True, "detected": True}
        if category in DETECTION_CATEGORIES
        else {"filtered": True, "severity": severity}
    )
    return out


def prompt_filter_results(n_prompts: int = 1, *, images: bool = False) -> list[JSON]:
    """The prompt's filter results; a prompt with images is judged by the multimodal filter, whose entry
    is ``content_filter_result`` (singular), the four severity categories, no jailbreak (recorded:
    azure-recordings Mirascope ``test_call_with_image_url__azure_gpt_5_mini``, crewAI ``test_describe_image``)."""
    if images:
        severity = {c: {"filtered": False, "severity": "safe"} for c in ("sexual", "violence", "hate", "self_harm")}
        return [{"prompt_index": 0, "content_filter_result": severity}]
    return [
        {"prompt_index": i, "content_filter_results": safe_filter_results(jailbreak=True)} for i in range(n_prompts)
    ]


def prompt_filtered(category: str) -> AzureError:
    """The real 400 content_filter / ResponsibleAIPolicyViolation body for a prompt."""
    return AzureError(
        400,
        {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
                "Please modify your prompt and retry. To learn more about our content filtering policies please read "
                "our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": filtered_results(category, jailbreak=True),
                },
            }
        },
    )


def image_prompt_filtered(category: str, revised_prompt: str) -> AzureError:
    return AzureError(
        400,
        {
            "error": {
                "code": "content_policy_violation",
                "message": "Your request was rejected as a result of our safety system. Your prompt may contain text that is "
                "not allowed by our safety system.",
                "inner_error": {
                    "code": "ResponsibleAIPolicyViolation",
                    "revised_prompt": revised_prompt,
                    "content_filter_results": filtered_results(category, jailbreak=True),
                },
            }
        },
    )


def dumps(obj: Any) -> bytes:
    """Compact JSON as Azure sends it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


BASE_HEADERS: tuple[tuple[str, str], ...] = (
    ("strict-transport-security", "max-age=31536000; includeSubDomains; preload"),
    ("x-content-type-options", "nosniff"),
)


def azure_bad_request(message: str) -> AzureError:
    """The Azure-native 400 (``{"error": {"code": "BadRequest", "message": ...}}``) of Azure's own front end."""
    return AzureError(400, {"error": {"code": "BadRequest", "message": message}})


def unknown_parameter(path: str) -> AzureError:
    return bad_request(f"Unknown parameter: '{path}'.", param=path, code="unknown_parameter")


def unsupported_value(name: str, message: str) -> AzureError:
    return bad_request(message, param=name, code="unsupported_value")
