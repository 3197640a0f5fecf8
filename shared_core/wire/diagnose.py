"""From an HTTP answer to a typed exception whose message says what happened and what to do.

Every error body shape Azure is known to send is handled (see ``azure-recordings/REPORT.md`` §5):
``{"error": {"code", "message", "param", "type", "innererror": {...}}}``, the bare
``{"error": {"code": "401", ...}}`` of the API gateway, v1's ``unknown_model`` with ``details``,
and non-JSON bodies from proxies. Messages never contain a secret: they quote Azure's message,
the resource host, the deployment, and (for tokens) the unverified ``aud``/``tid`` claims only.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit

from shared_core.errors import (
    APIStatusError,
    AuthenticationError,
    AzureOpenAIError,
    BadRequestError,
    ConflictError,
    ContentFilterError,
    ContextLengthExceededError,
    DeploymentNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamError,
    UnprocessableEntityError,
    UnsupportedAPIVersionError,
)
from shared_core.types import Choice, ResponseMeta

if TYPE_CHECKING:
    from shared_core.connection.config import Target

ROLE = "Cognitive Services OpenAI User"
GA_API_VERSION = "2024-10-21"
_MAX_QUOTE = 600

_NEEDS_VERSION = re.compile(
    r"(?:enabled|supported|available)\s+only\s+(?:for|in|with|from)\s+api[- ]?versions?\s+"
    r"['\"]?(\d{4}-\d{2}-\d{2}(?:-preview)?)",
    re.IGNORECASE,
)
_UNRECOGNIZED_ARG = re.compile(r"Unrecognized request arguments? supplied:\s*([\w, ]+)", re.I)
_UNSUPPORTED_PARAM = re.compile(r"Unsupported parameter:\s*'([^']+)'", re.I)
#: Body fields Azure rejects as "unrecognized" on api-versions older than the one named here.
_PARAM_MIN_VERSION = {
    "tools": "2023-12-01-preview",
    "tool_choice": "2023-12-01-preview",
    "response_format": "2023-12-01-preview",
    "seed": "2023-12-01-preview",
    "logprobs": "2023-12-01-preview",
    "top_logprobs": "2023-12-01-preview",
    "parallel_tool_calls": "2024-08-01-preview",
    "stream_options": "2024-09-01-preview",
    "max_completion_tokens": "2024-09-01-preview",
    "reasoning_effort": "2024-12-01-preview",
    "store": "2024-12-01-preview",
    "developer": "2024-12-01-preview",
}
# "Your requests to X have exceeded rate limit" names neither limit: match the limit, not "requests"
_TOKEN_LIMIT = re.compile(r"token rate limit|tokens per min|\btpm\b|tokens_per_minute|token limit")
_REQUEST_LIMIT = re.compile(r"call rate limit|request rate limit|requests per min|\brpm\b|requests_per_minute")
# "content_policy_violation": the images API's refusal (with ``inner_error``, underscored)
_CONTENT_FILTER_CODES = frozenset(
    {"content_filter", "ResponsibleAIPolicyViolation", "ContentFiltered", "content_policy_violation"}
)


def _parse_body(body: bytes | str | Mapping[str, Any] | None) -> Any:
    if body is None or isinstance(body, Mapping):
        return body
    if isinstance(body, bytes):
        if not body:
            return None
        text = body.decode("utf-8", "replace")
    else:
        text = body
    try:
        return json.loads(text)
    except ValueError:
        return text


def _error_obj(parsed: Any) -> dict[str, Any]:
    """The ``error`` object, whatever the shape (nested, top-level, string, text)."""
    if isinstance(parsed, Mapping):
        err = parsed.get("error", parsed)
        if isinstance(err, Mapping):
            return dict(err)
        if isinstance(err, str):
            return {"message": err}
        return {}
    if isinstance(parsed, str) and parsed.strip():
        return {"message": parsed.strip()}
    return {}


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lname = name.lower()
        for k, v in headers.items():
            if k.lower() == lname:
                return v
    return value


def _host(target: "Target | None") -> str | None:
    if target is None:
        return None
    return urlsplit(target.base).hostname or target.base


def _filtered(results: Any) -> dict[str, Any]:
    """The categories of a content_filter_result(s) object that were filtered (or detected)."""
    if not isinstance(results, Mapping):
        return {}
    out: dict[str, Any] = {}
    for name, detail in results.items():
        if isinstance(detail, Mapping) and detail.get("filtered"):
            out[name] = dict(detail)
    return out


def describe_categories(categories: Mapping[str, Any]) -> str:
    """``"violence (medium), jailbreak (detected)"`` for a filtered-categories mapping."""
    parts = []
    for name, detail in categories.items():
        extra = None
        if isinstance(detail, Mapping):
            extra = detail.get("severity") or ("detected" if detail.get("detected") else None)
            if name == "custom_blocklists" and isinstance(detail.get("details"), list):
                ids = [d.get("id") for d in detail["details"] if isinstance(d, Mapping) and d.get("filtered")]
                extra = ", ".join(str(i) for i in ids if i) or extra
        parts.append(f"{name} ({extra})" if extra else name)
    return ", ".join(parts) or "no category reported"


def _context(status: int, request_id: str | None, region: str | None, attempts: int) -> str:
    bits = [f"HTTP {status}"]
    if request_id:
        bits.append(f"request id {request_id}")
    if region:
        bits.append(f"region {region}")
    if attempts > 1:
        bits.append(f"after {attempts} attempts")
    return " [" + ", ".join(bits) + "]"


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes | str | Mapping[str, Any] | None,
    *,
    target: "Target | None" = None,
    attempts: int = 1,
    retry_after: float | None = None,
    note: str | None = None,
) -> APIStatusError:
    """Map an error answer to the most specific exception, with a diagnosis and a fix.

    ``retry_after`` is the wait the server asked for (429); ``note`` is appended to the message
    (the driver explains there why it did not wait).
    """
    parsed = _parse_body(body)
    err = _error_obj(parsed)
    code = err.get("code")
    code = str(code) if code is not None else None
    inner_raw = err.get("innererror", err.get("inner_error"))  # the images API spells it inner_error
    inner = inner_raw if isinstance(inner_raw, Mapping) else {}
    inner_code = inner.get("code") if isinstance(inner, Mapping) else None
    param = err.get("param") if isinstance(err.get("param"), str) else None
    azure_msg = _quote(str(err.get("message") or err.get("details") or ""))
    request_id = _header(headers, "apim-request-id") or _header(headers, "x-request-id")
    region = _header(headers, "x-ms-region")
    deployment = _header(headers, "x-ms-deployment-name") or (target.deployment if target else None)
    host = _host(target)
    kw: dict[str, Any] = dict(
        status=status,
        code=code,
        param=param,
        body=parsed,
        headers=dict(headers.items()),
        request_id=request_id,
        region=region,
        deployment=deployment,
        attempts=attempts,
    )
    ctx = _context(status, request_id, region, attempts)
    said = f" Azure said: {azure_msg!r}." if azure_msg else ""
    tail = (f" {note}" if note else "") + ctx
    low = azure_msg.lower()

    # -- 400 family -------------------------------------------------------------------------
    if code in _CONTENT_FILTER_CODES or inner_code in _CONTENT_FILTER_CODES:
        results = (
            inner.get("content_filter_result") or inner.get("content_filter_results")
            if isinstance(inner, Mapping)
            else None
        )
        cats = _filtered(results)
        what = describe_categories(cats) if cats else "categories not reported by this endpoint"
        msg = (
            f"Azure's content filter blocked the prompt ({what})."
            " Rephrase the prompt, or ask the resource owner to adjust the content filtering"
            f" policy attached to deployment {deployment!r}.{said}{tail}"
            if deployment
            else f"Azure's content filter blocked the prompt ({what}). Rephrase the prompt, or"
            f" ask the resource owner to adjust the deployment's content filtering policy.{said}{tail}"
        )
        return ContentFilterError(msg, categories=cats, source="prompt", **kw)

    if code == "context_length_exceeded" or "maximum context length" in low:
        return ContextLengthExceededError(
            "The prompt plus max_tokens does not fit the model's context window."
            " Shorten or trim the messages (older turns, long documents) or lower max_tokens."
            f"{said}{tail}",
            **kw,
        )

    needed = _needed_version(azure_msg, code)
    current = target.api_version if target else None
    if needed is not None or (
        status in (400, 404) and ("api-version" in low or "api version" in low) and "deployment" not in low
    ):
        cur = f"api_version={current!r}" if current else "the configured api-version"
        fix = (
            f"set api_version={needed!r} or later (or api_version='v1' for the versionless v1 API)"
            if needed
            else f"set api_version to a supported one, e.g. {GA_API_VERSION!r} (GA) or 'v1'"
        )
        return UnsupportedAPIVersionError(
            f"This request needs a newer Azure OpenAI api-version than {cur}: {fix}.{said}{tail}",
            needed=needed,
            **kw,
        )

    if code == "unsupported_parameter" or (status == 400 and _UNSUPPORTED_PARAM.search(azure_msg)):
        m = _UNSUPPORTED_PARAM.search(azure_msg)
        name = param or (m.group(1) if m else None) or "a parameter"
        fix = (
            " Pass model= (the model behind the deployment, e.g. 'o3-mini') so azoai applies the"
            " model family's rules and sends max_completion_tokens instead."
            if name == "max_tokens"
            else f" Remove {name!r} from the call (or from model_kwargs/extra_body), or pass model="
            " (the model behind the deployment) so azoai drops parameters the model family rejects."
        )
        return BadRequestError(
            f"The deployment's model does not accept the parameter {name!r}.{fix}{said}{tail}", **kw
        )

    if code == "unsupported_value":
        name = param or "a parameter"
        return BadRequestError(
            f"The deployment's model does not accept this value of {name!r} (reasoning models only"
            f" accept the default temperature/top_p, for example). Remove {name!r} or pass model= so"
            f" azoai applies the model family's rules.{said}{tail}",
            **kw,
        )

    if code == "unknown_model" or (code == "model_not_found" and status in (400, 404)):
        model = _model_from_message(azure_msg)
        where = f" on {host}" if host else ""
        return BadRequestError(
            f"Unknown model {model!r}{where}. On the v1 API the body's 'model' must be the name of a"
            " deployment on this resource (the name chosen when deploying, not the model name);"
            f" check {_deployment_kw(target)} / AZURE_OPENAI_DEPLOYMENT. New deployments can take a few minutes"
            f" to become available.{said}{tail}"
            if model
            else f"Unknown model{where}. Use a deployment name of this resource as the model.{said}{tail}",
            **kw,
        )

    # -- by status --------------------------------------------------------------------------
    if status == 400:
        return BadRequestError(f"Azure rejected the request as invalid.{said}{tail}", **kw)

    if status == 401:
        return AuthenticationError(_auth_message(target, host) + said + tail, **kw)

    if status == 403:
        return PermissionDeniedError(_forbidden_message(target, host, low) + said + tail, **kw)

    if status == 404:
        if code == "DeploymentNotFound" or "deployment" in low:
            dep = repr(target.deployment) if target and target.deployment else "(none set)"
            on = f" on resource {host}" if host else ""
            return DeploymentNotFoundError(
                f"Deployment {dep} was not found{on}. Azure routes by deployment name, not model name"
                f" (a deployment called 'chat' may run gpt-4o): set {_deployment_kw(target)} /"
                " AZURE_OPENAI_DEPLOYMENT to a name listed under Deployments in Azure AI Foundry"
                " (or `az cognitiveservices account deployment list`), and check the endpoint is the"
                " resource that holds it. New deployments take a few minutes to become available."
                f"{said}{tail}",
                **kw,
            )
        where = f" on {host}" if host else ""
        return NotFoundError(
            f"Not found{where}: the path does not exist for this endpoint. Check azure_endpoint /"
            " base_url (a gateway may need its own path prefix) and that the api-version supports"
            f" this operation.{said}{tail}",
            **kw,
        )

    if status == 409:
        return ConflictError(f"Azure reported a conflict; retrying later usually succeeds.{said}{tail}", **kw)

    if status == 422:
        return UnprocessableEntityError(f"Azure could not process the request.{said}{tail}", **kw)

    if status == 429:
        return RateLimitError(
            _rate_limit_message(headers, low, deployment, retry_after) + said + tail,
            retry_after=retry_after,
            **kw,
        )

    if status >= 500:
        return ServerError(
            f"Azure had a server error ({status}). It is usually transient: retry later, raise"
            " max_retries, or configure a second region as a failover target."
            f"{said}{tail}",
            **kw,
        )

    return APIStatusError(f"Azure answered with HTTP {status}.{said}{tail}", **kw)


def _needed_version(message: str, code: str | None) -> str | None:
    m = _NEEDS_VERSION.search(message)
    if m:
        return m.group(1)
    m = _UNRECOGNIZED_ARG.search(message)
    if m:
        versions = [
            _PARAM_MIN_VERSION[p.strip()] for p in m.group(1).split(",") if p.strip() in _PARAM_MIN_VERSION
        ]
        if versions:
            return max(versions)
    return None


def _model_from_message(message: str) -> str | None:
    m = re.search(r"Unknown model:\s*([^\s'\".,]+)", message)
    return m.group(1) if m else None


def _claims_text(claims: Mapping[str, Any] | None) -> str:
    if not claims:
        return ""
    bits = []
    for key in ("aud", "tid", "appid", "oid", "upn"):
        if claims.get(key):
            bits.append(f"{key}={claims[key]!s}")
    return ", ".join(bits)


def _deployment_kw(target: "Target | None") -> str:
    # in the spelling of the class the user configured (azure_deployment=, engine=, --deployment)
    spelling = getattr(target, "spelling", None)
    return spelling.kw("deployment") if spelling is not None else "deployment="


def _auth_message(target: "Target | None", host: str | None) -> str:
    on = f" for {host}" if host else ""
    if target is None:
        return f"Azure refused the credentials{on} (401). Check the API key or token."
    cred = target.credential
    who = cred.describe()
    if cred.kind == "api_key":
        return (
            f"Azure refused the API key{on} (401; credential: {who}). Keys belong to one resource:"
            " copy Key 1 or Key 2 from this resource's 'Keys and Endpoint' page (or set"
            " AZURE_OPENAI_API_KEY), and check azure_endpoint names the same resource. If keys are"
            " disabled on the resource, use Entra ID (azure_ad_token_provider / credential=) instead."
        )
    if cred.kind == "none":
        return (
            f"Azure requires credentials{on} (401) but none were configured: set api_key /"
            " AZURE_OPENAI_API_KEY, or an Entra ID credential (azure_ad_token_provider, credential=)."
        )
    claims = cred.last_token_claims()
    scope = target.token_scope
    expected_aud = scope[: -len("/.default")] if scope.endswith("/.default") else scope
    msg = f"Azure refused the Entra ID token{on} (401; credential: {who})."
    if claims:
        aud = str(claims.get("aud", ""))
        msg += f" Token claims (unverified): {_claims_text(claims)}."
        if aud and aud.rstrip("/") != expected_aud.rstrip("/"):
            msg += (
                f" Its audience {aud!r} is not {expected_aud!r}: request the token for scope"
                f" {scope!r} (token_scope= / get_bearer_token_provider(credential, {scope!r}))."
            )
        else:
            msg += (
                " The audience is right: check the token has not expired and that its tenant (tid)"
                " is the tenant of this resource (tenant_id= / AZURE_TENANT_ID)."
            )
    else:
        msg += f" Check the token is for scope {scope!r}, not expired, and from the resource's tenant."
    return msg


def _forbidden_message(target: "Target | None", host: str | None, low: str) -> str:
    on = f" on {host}" if host else ""
    if "key based authentication is disabled" in low or "authenticationtypedisabled" in low:
        return (
            f"API keys are disabled{on} (403): authenticate with Entra ID instead (credential=,"
            f" azure_ad_token_provider=) and give the identity the role {ROLE!r}."
        )
    if "virtual network" in low or "firewall" in low or "private endpoint" in low or "public access" in low:
        return (
            f"The resource's network rules refused this client{on} (403): call it from an allowed"
            " network / private endpoint, or add this IP to the resource's firewall allow-list."
        )
    who = ""
    if target is not None and target.credential.kind == "token":
        claims = _claims_text(target.credential.last_token_claims())
        who = f" (identity: {claims})" if claims else f" (credential: {target.credential.describe()})"
    return (
        f"The identity is not allowed to call this resource{on} (403){who}. Assign it the role"
        f" {ROLE!r} on the resource (Access control (IAM), or `az role assignment create --role"
        f" '{ROLE}' --assignee <principal> --scope <resource id>`). New role assignments can take"
        " up to 5-10 minutes to propagate; retry after that."
    )


def _rate_limit_message(
    headers: Mapping[str, str], low: str, deployment: str | None, retry_after: float | None
) -> str:
    tokens_left = _header(headers, "x-ratelimit-remaining-tokens")
    requests_left = _header(headers, "x-ratelimit-remaining-requests")
    if _TOKEN_LIMIT.search(low) or tokens_left == "0":
        which = "tokens-per-minute (TPM)"
    elif _REQUEST_LIMIT.search(low) or requests_left == "0":
        which = "requests-per-minute (RPM)"
    else:
        which = "rate"
    if "quota" in low and ("exceeded" in low or "exhausted" in low) or (retry_after or 0) >= 3600:
        kind = "quota exhausted"
    else:
        kind = "burst limit"
    dep = f" of deployment {deployment!r}" if deployment else ""
    wait = f" Azure asks to wait {_seconds(retry_after)}." if retry_after is not None else ""
    return (
        f"Rate limit reached: the {which} limit{dep} ({kind}).{wait} Lower the request rate,"
        " raise the deployment's quota, or add a second deployment/region as a failover target."
    )


def _seconds(value: float) -> str:
    if value >= 3600:
        return f"{value:.0f} s (~{value / 3600:.1f} h)"
    return f"{value:g} s"


def completion_filtered_error(choice: Choice, meta: ResponseMeta | None) -> ContentFilterError:
    """A choice whose ``finish_reason`` is ``content_filter``, as an exception (source="completion").

    The core never raises this itself; adapters do when their documented policy says so.
    """
    cats = _filtered(choice.content_filter_results)
    what = describe_categories(cats) if cats else "categories not reported"
    headers = dict(meta.headers.items()) if meta else {}
    rid = meta.request_id if meta else None
    return ContentFilterError(
        f"Azure's content filter stopped the completion of choice {choice.index} ({what}); the"
        " text generated before the cut is not returned. Rephrase the request, or ask the resource"
        " owner to adjust the deployment's content filtering policy."
        + _context(meta.status if meta else 200, rid, meta.region if meta else None, meta.attempts if meta else 1),
        categories=cats,
        source="completion",
        status=meta.status if meta else 200,
        code="content_filter",
        body=None,
        headers=headers,
        request_id=rid,
        region=meta.region if meta else None,
        deployment=meta.deployment if meta else None,
        attempts=meta.attempts if meta else 1,
    )


_STREAM_CODE_STATUS = {
    "content_filter": 400,
    "ResponsibleAIPolicyViolation": 400,
    "context_length_exceeded": 400,
    "rate_limit_exceeded": 429,
    "RateLimitReached": 429,
    "429": 429,
    "server_error": 500,
    "internal_error": 500,
    "InternalServerError": 500,
    "500": 500,
    "ServiceUnavailable": 503,
}


def stream_error_from_event(data: Mapping[str, Any], meta: ResponseMeta | None) -> AzureOpenAIError:
    """An ``{"error": ...}`` event inside a 200 stream, as the matching typed error."""
    err = _error_obj(data)
    status: int | None = None
    raw_status = err.get("status")
    if isinstance(raw_status, int) or (isinstance(raw_status, str) and raw_status.isdigit()):
        status = int(raw_status)
    code = str(err.get("code")) if err.get("code") is not None else None
    if status is None and code is not None:
        status = _STREAM_CODE_STATUS.get(code)
    if status is None and err.get("type") in ("server_error", "internal_error"):
        status = 500
    if status is None:
        msg = _quote(str(err.get("message") or data))
        return StreamError(
            f"Azure sent an error inside the stream (after HTTP 200): {msg!r}. The partial answer"
            " was discarded; retry the call."
        )
    headers: Mapping[str, str] = meta.headers if meta else {}
    exc = error_from_response(
        status,
        headers,
        dict(data),
        attempts=meta.attempts if meta else 1,
        note="(This error arrived inside a 200 stream.)",
    )
    return exc


__all__ = [
    "completion_filtered_error",
    "describe_categories",
    "error_from_response",
    "stream_error_from_event",
]
