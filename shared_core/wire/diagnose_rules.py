"""The rules that turn an error answer into a typed exception, one small rule per case.

Each :class:`Rule` is a predicate over the :class:`Answer` (status, error code, body, headers,
target) and the error it builds; :data:`RULES` is tried in order and the first rule that matches
wins (``diagnose.error_from_response``). Body-code rules come before status rules: Azure sends a
content-filter refusal or an api-version mismatch as 400 or 404, and gateways may send them with
any status. Where a rule comes from Azure's documentation or recorded traffic, its docstring says
where (``azure-recordings/REPORT.md`` §5 holds the recorded bodies).

Messages never contain a secret: they quote Azure's message, the resource host, the deployment,
and (for tokens) the unverified ``aud``/``tid`` claims only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

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
from shared_core.wire.error_body import Answer, describe_categories, filtered, header
from shared_core.wire.models import SAMPLING_PARAMETERS, ModelProfile, profile_for

if TYPE_CHECKING:
    from shared_core.connection.config import Target

ROLE = "Cognitive Services OpenAI User"
GA_API_VERSION = "2024-10-21"

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


@dataclass(frozen=True, slots=True)
class Rule:
    """``when(answer)`` says whether the rule applies; ``build(answer)`` makes the error."""

    name: str
    when: Callable[[Answer], bool]
    build: Callable[[Answer], APIStatusError]


def _rule(when: Callable[[Answer], bool]) -> Callable[[Callable[[Answer], APIStatusError]], Rule]:
    def wrap(build: Callable[[Answer], APIStatusError]) -> Rule:
        return Rule(build.__name__, when, build)

    return wrap


# ------------------------------------------------------------------------- rules on the body


@_rule(lambda a: a.code in _CONTENT_FILTER_CODES or a.inner_code in _CONTENT_FILTER_CODES)
def content_filter(a: Answer) -> APIStatusError:
    """Azure's content filter refused the prompt: ``code: content_filter`` with
    ``innererror.code: ResponsibleAIPolicyViolation`` and the categories in
    ``innererror.content_filter_result`` (REPORT.md §5; learn.microsoft.com/azure/ai-services/
    openai/concepts/content-filter, "Scenario details"); the images API's ``content_policy_violation``."""
    results = a.inner.get("content_filter_result") or a.inner.get("content_filter_results")
    cats = filtered(results)
    what = describe_categories(cats) if cats else "categories not reported by this endpoint"
    said, tail, deployment = a.said, a.tail, a.deployment
    msg = (
        f"Azure's content filter blocked the prompt ({what})."
        " Rephrase the prompt, or ask the resource owner to adjust the content filtering"
        f" policy attached to deployment {deployment!r}.{said}{tail}"
        if deployment
        else f"Azure's content filter blocked the prompt ({what}). Rephrase the prompt, or"
        f" ask the resource owner to adjust the deployment's content filtering policy.{said}{tail}"
    )
    return ContentFilterError(msg, categories=cats, source="prompt", **a.kw())


@_rule(lambda a: a.code == "context_length_exceeded" or "maximum context length" in a.low)
def context_length(a: Answer) -> APIStatusError:
    """``code: context_length_exceeded`` ("This model's maximum context length is N tokens"),
    the OpenAI error Azure passes through for a prompt that does not fit."""
    return ContextLengthExceededError(
        "The prompt plus max_tokens does not fit the model's context window."
        " Shorten or trim the messages (older turns, long documents) or lower max_tokens."
        f"{a.said}{a.tail}",
        **a.kw(),
    )


def needed_version(message: str) -> str | None:
    """The api-version a message says a feature needs (named, or known for an unrecognized field)."""
    m = _NEEDS_VERSION.search(message)
    if m:
        return m.group(1)
    m = _UNRECOGNIZED_ARG.search(message)
    if m:
        versions = [_PARAM_MIN_VERSION[p.strip()] for p in m.group(1).split(",") if p.strip() in _PARAM_MIN_VERSION]
        if versions:
            return max(versions)
    return None


def _names_api_version(a: Answer) -> bool:
    low = a.low
    return a.status in (400, 404) and ("api-version" in low or "api version" in low) and "deployment" not in low


def _refused_argument(a: Answer) -> str | None:
    """X of "Unrecognized request argument supplied: X" when the api-version already has X (or is
    versionless): the model refuses it (``reasoning_effort`` to a model that does not reason)."""
    m = _UNRECOGNIZED_ARG.search(a.message) if a.status == 400 else None
    if m is None or a.target is None:
        return None
    current = a.target.api_version if a.target.kind == "dated" else "v1"
    for name in (p.strip() for p in m.group(1).split(",")):
        need = _PARAM_MIN_VERSION.get(name)
        if need is not None and current and (not current[:4].isdigit() or current[:10] >= need[:10]):
            return name
    return None


@_rule(lambda a: _refused_argument(a) is not None)
def refused_argument(a: Answer) -> APIStatusError:
    """A field the api-version has, refused by the model (rule ``chat.reasoning_effort.unsupported``)."""
    fix = _refused_fix(a, _refused_argument(a) or "")
    return UnsupportedParameterError(f"{fix[0].upper()}{fix[1:]}{a.said}{a.tail}", **a.kw())


@_rule(lambda a: needed_version(a.message) is not None or _names_api_version(a))
def api_version(a: Answer) -> APIStatusError:
    """A feature the configured api-version does not have: "... is enabled only for api versions
    2024-08-01-preview and later", "Unrecognized request argument supplied: tools" (fields added in
    the versions of learn.microsoft.com/azure/ai-services/openai/api-version-lifecycle), or a 400/404
    about the api-version itself."""
    needed = needed_version(a.message)
    current = a.target.api_version if a.target else None
    cur = f"api_version={current!r}" if current else "the configured api-version"
    fix = (
        f"set api_version={needed!r} or later (or api_version='v1' for the versionless v1 API)"
        if needed
        else f"set api_version to a supported one, e.g. {GA_API_VERSION!r} (GA) or 'v1'"
    )
    return UnsupportedAPIVersionError(
        f"This request needs a newer Azure OpenAI api-version than {cur}: {fix}.{a.said}{a.tail}",
        needed=needed,
        **a.kw(),
    )


_UNSUPPORTED_VALUE = re.compile(r"Unsupported value:\s*'([^']+)'", re.I)
_ONLY_DEFAULT = re.compile(r"Only the default \(([^)]+)\) value", re.I)
#: where a parameter the caller set can come from, for the fix
_WHERE = "from the call and the model's settings (model_kwargs / additional_kwargs / extra_body)"


def _model_named(a: Answer) -> tuple[str, ModelProfile | None]:
    """How a message names the model: the deployment, with its family when the name shows it."""
    dep = a.deployment
    if not dep:
        return "the deployment's model", None
    profile = profile_for(None, dep)
    if not profile.known:
        return f"the model behind deployment {dep!r}", None
    return f"{dep!r} ({profile.display_name})", profile


def _refused_fix(a: Answer, name: str) -> str:
    """What the model is and what to do instead, for a refused ``name`` (sources: wire.models)."""
    who, profile = _model_named(a)
    remove = f"remove {name} {_WHERE}"
    if name in SAMPLING_PARAMETERS:
        if profile is not None and profile.reasoning:
            what = f"{who} is a reasoning model: it does not take {name}"
        else:
            what = f"{who} does not take {name} (reasoning models such as o3 and gpt-5 refuse sampling parameters)"
        only = _ONLY_DEFAULT.search(a.message)
        if only:
            what += f" other than its default {only.group(1)}"
        alt = "or steer the answer with reasoning_effort (and verbosity)"
        if name in ("temperature", "top_p", "logprobs", "top_logprobs"):
            alt += "; gpt-5.1 and gpt-5.2 take it with reasoning_effort='none'"
        return f"{what}; {remove}, {alt}."
    if name == "stop":
        return (
            f"{who} does not take stop (the o-series and gpt-5 up to gpt-5.4 refuse it); {remove}, or use a"
            " deployment that takes it (gpt-5.5 or later, or a non-reasoning chat model). ReAct-style agents"
            " bind stop to end each step: a tool-calling agent needs none."
        )
    if name == "reasoning_effort":
        return (
            f"{who} is not a reasoning model: it does not take reasoning_effort; {remove}, or use a reasoning"
            " deployment (the o-series, gpt-5)."
        )
    if name == "parallel_tool_calls":
        return (
            f"{who} does not take parallel_tool_calls (the o-series refuse it even when false, gpt-5 with"
            f" reasoning_effort='minimal' too); {remove}."
        )
    return f"{who} does not take {name}; {remove}."


@_rule(
    lambda a: (
        a.code == "unsupported_parameter" or (a.status == 400 and _UNSUPPORTED_PARAM.search(a.message) is not None)
    )
)
def unsupported_parameter(a: Answer) -> APIStatusError:
    """``code: unsupported_parameter``: "Unsupported parameter: 'max_tokens' is not supported with
    this model. Use 'max_completion_tokens' instead." (reasoning models; REPORT.md §5); "... 'stop'
    ..." (MaartenGr/BERTopic#2423), "... 'temperature' ..." (o1, o3-mini: immersive-translate#2694)."""
    m = _UNSUPPORTED_PARAM.search(a.message)
    name = a.param or (m.group(1) if m else None)
    if name == "max_tokens":
        fix = (
            "The deployment's model does not accept the parameter 'max_tokens'. Pass model= (the model"
            " behind the deployment, e.g. 'gpt-5-mini') so azoai applies the model family's rules and"
            " sends max_completion_tokens instead."
        )
    elif name:
        fix = _refused_fix(a, name)
        fix = fix[0].upper() + fix[1:]
    else:
        fix = f"The deployment's model does not accept a parameter of this request; remove it {_WHERE}."
    return UnsupportedParameterError(f"{fix}{a.said}{a.tail}", **a.kw())


@_rule(lambda a: a.code == "unsupported_value")
def unsupported_value(a: Answer) -> APIStatusError:
    """``code: unsupported_value``: reasoning models accept only the default temperature/top_p
    ("Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1)
    value is supported.", microsoft/vscode#254389; Learn how-to/reasoning, "Not supported"), or a
    ``reasoning_effort`` the model does not have (Kilo-Org/cloud#3807)."""
    m = _UNSUPPORTED_VALUE.search(a.message)
    name = a.param or (m.group(1) if m else None)
    if name and name.split(".")[-1] in SAMPLING_PARAMETERS:
        fix = _refused_fix(a, name.split(".")[-1])
        fix = fix[0].upper() + fix[1:]
    elif name:
        who, _ = _model_named(a)
        fix = f"{who[0].upper()}{who[1:]} does not take this value of {name}; use one Azure lists below, or remove {name}."
    else:
        fix = "The deployment's model does not take a value of this request; Azure's message below names it."
    return UnsupportedParameterError(f"{fix}{a.said}{a.tail}", **a.kw())


def _model_from_message(message: str) -> str | None:
    m = re.search(r"Unknown model:\s*([^\s'\".,]+)", message)
    return m.group(1) if m else None


@_rule(lambda a: a.code == "unknown_model" or (a.code == "model_not_found" and a.status in (400, 404)))
def unknown_model(a: Answer) -> APIStatusError:
    """v1 API: ``{"error": {"code": "unknown_model", "message": "Unknown model: X"}}`` when the
    body's ``model`` names no deployment of the resource (REPORT.md §5)."""
    model = _model_from_message(a.message)
    host = a.host
    where = f" on {host}" if host else ""
    said, tail = a.said, a.tail
    return BadRequestError(
        f"Unknown model {model!r}{where}. On the v1 API the body's 'model' must be the name of a"
        " deployment on this resource (the name chosen when deploying, not the model name);"
        f" check {_deployment_kw(a.target)} / AZURE_OPENAI_DEPLOYMENT. New deployments can take a few minutes"
        f" to become available.{said}{tail}"
        if model
        else f"Unknown model{where}. Use a deployment name of this resource as the model.{said}{tail}",
        **a.kw(),
    )


# ------------------------------------------------------------------ rules on answers that are not errors


def safe_location(headers: Mapping[str, str]) -> str | None:
    """The redirect target without query or userinfo (sign-in redirects carry codes there)."""
    loc = header(headers, "location")
    if not loc:
        return None
    parts = urlsplit(loc)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@_rule(lambda a: 300 <= a.status < 400)
def redirect(a: Answer) -> APIStatusError:
    """A redirect. Azure OpenAI never redirects API calls; a proxy, an http:// endpoint or a
    sign-in page does. It is not followed (it would resend the credentials elsewhere)."""
    loc = safe_location(a.headers)
    to = f" to {loc}" if loc else ""
    host = a.host
    who = f"The endpoint {host}" if host else "The endpoint"
    return UnexpectedResponseError(
        f"{who} answered with a redirect (HTTP {a.status}){to}, which azoai does not follow:"
        " Azure OpenAI does not redirect API calls, so something in between did (an http:// URL,"
        " a proxy or a sign-in page). Set azure_endpoint / base_url to the resource's own https://"
        f" endpoint, or to the gateway URL that serves the API.{a.said}{a.tail}",
        **a.kw(),
    )


@_rule(lambda a: a.status < 300)
def error_in_success(a: Answer) -> APIStatusError:
    """An error object in a success answer whose code names no status (API Management's
    ``return-response`` policy can answer anything with 200: learn.microsoft.com/azure/
    api-management/return-response-policy). Codes that do name one are diagnosed as that status."""
    code = f" (code {a.code!r})" if a.code else ""
    return UnexpectedResponseError(
        f"Azure, or a gateway in front of it, answered HTTP {a.status} with an error{code} instead"
        f" of an answer.{a.said} If a gateway or API Management policy sits between the client and"
        f" Azure, it may be replacing Azure's error status.{a.tail}",
        **a.kw(),
    )


# ------------------------------------------------------------------------ rules on the status


@_rule(lambda a: a.status == 400)
def bad_request(a: Answer) -> APIStatusError:
    """Any other 400 (``invalid_request_error``, ``invalid_prompt``...: REPORT.md §5)."""
    return BadRequestError(f"Azure rejected the request as invalid.{a.said}{a.tail}", **a.kw())


def _claims_text(claims: Mapping[str, Any] | None) -> str:
    if not claims:
        return ""
    bits = []
    for key in ("aud", "tid", "appid", "oid", "upn"):
        if claims.get(key):
            bits.append(f"{key}={claims[key]!s}")
    return ", ".join(bits)


def _setting_kw(target: Target | None, setting: str) -> str | None:
    """How the user who configured ``target`` passes ``setting`` (``azure_deployment=``, ``engine=``,
    ``--deployment``), or None when their class has no such setting; the core's spelling without a target."""
    spelling = getattr(target, "spelling", None)
    if spelling is None:
        return f"{setting}="
    return spelling.kw(setting) if spelling.has(setting) else None


def _deployment_kw(target: Target | None) -> str:
    return _setting_kw(target, "deployment") or "deployment="


def _auth_message(target: Target | None, host: str | None) -> str:
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
            scope_kw = _setting_kw(target, "token_scope")  # LangChain's classes have none
            via = f"{scope_kw} / " if scope_kw else ""
            msg += (
                f" Its audience {aud!r} is not {expected_aud!r}: request the token for scope"
                f" {scope!r} ({via}get_bearer_token_provider(credential, {scope!r}))."
            )
        else:
            msg += (
                " The audience is right: check the token has not expired and that its tenant (tid)"
                " is the tenant of this resource (tenant_id= / AZURE_TENANT_ID)."
            )
    else:
        msg += f" Check the token is for scope {scope!r}, not expired, and from the resource's tenant."
    return msg


@_rule(lambda a: a.status == 401)
def authentication(a: Answer) -> APIStatusError:
    """401 ``{"error": {"code": "401", "message": "Access denied due to invalid subscription key or
    wrong API endpoint..."}}`` (REPORT.md §5); for tokens, the audience must be
    https://cognitiveservices.azure.com (learn.microsoft.com/azure/ai-services/openai/how-to/managed-identity)."""
    return AuthenticationError(_auth_message(a.target, a.host) + a.said + a.tail, **a.kw())


def _forbidden_message(target: Target | None, host: str | None, low: str) -> str:
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


@_rule(lambda a: a.status == 403)
def permission_denied(a: Answer) -> APIStatusError:
    """403: a missing role (learn.microsoft.com/azure/ai-services/openai/how-to/role-based-access-control),
    keys disabled (learn.microsoft.com/azure/ai-services/disable-local-auth) or network rules
    (learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks)."""
    return PermissionDeniedError(_forbidden_message(a.target, a.host, a.low) + a.said + a.tail, **a.kw())


@_rule(lambda a: a.status == 404 and (a.code == "DeploymentNotFound" or "deployment" in a.low))
def deployment_not_found(a: Answer) -> APIStatusError:
    """404 ``DeploymentNotFound``: "The API deployment for this resource does not exist. If you
    created the deployment within the last 5 minutes, please wait..." (REPORT.md §5)."""
    t = a.target
    dep = repr(t.deployment) if t and t.deployment else "(none set)"
    host = a.host
    on = f" on resource {host}" if host else ""
    return DeploymentNotFoundError(
        f"Deployment {dep} was not found{on}. Azure routes by deployment name, not model name"
        f" (a deployment called 'chat' may run gpt-4o): set {_deployment_kw(t)} /"
        " AZURE_OPENAI_DEPLOYMENT to a name listed under Deployments in Azure AI Foundry"
        " (or `az cognitiveservices account deployment list`), and check the endpoint is the"
        " resource that holds it. New deployments take a few minutes to become available."
        f"{a.said}{a.tail}",
        **a.kw(),
    )


@_rule(lambda a: a.status == 404)
def not_found(a: Answer) -> APIStatusError:
    """Any other 404: a path this endpoint does not serve (a gateway prefix, an operation the
    api-version lacks)."""
    host = a.host
    where = f" on {host}" if host else ""
    return NotFoundError(
        f"Not found{where}: the path does not exist for this endpoint. Check azure_endpoint /"
        " base_url (a gateway may need its own path prefix) and that the api-version supports"
        f" this operation.{a.said}{a.tail}",
        **a.kw(),
    )


@_rule(lambda a: a.status == 409)
def conflict(a: Answer) -> APIStatusError:
    """409."""
    return ConflictError(f"Azure reported a conflict; retrying later usually succeeds.{a.said}{a.tail}", **a.kw())


@_rule(lambda a: a.status == 422)
def unprocessable(a: Answer) -> APIStatusError:
    """422."""
    return UnprocessableEntityError(f"Azure could not process the request.{a.said}{a.tail}", **a.kw())


def _seconds(value: float) -> str:
    if value >= 3600:
        return f"{value:.0f} s (~{value / 3600:.1f} h)"
    return f"{value:g} s"


def _rate_limit_message(headers: Mapping[str, str], low: str, deployment: str | None, retry_after: float | None) -> str:
    tokens_left = header(headers, "x-ratelimit-remaining-tokens")
    requests_left = header(headers, "x-ratelimit-remaining-requests")
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


@_rule(lambda a: a.status == 429)
def rate_limit(a: Answer) -> APIStatusError:
    """429: the deployment's TPM or RPM limit (learn.microsoft.com/azure/ai-services/openai/how-to/quota),
    told apart by the message and ``x-ratelimit-remaining-*``; ``RateLimitReached`` (REPORT.md §5)."""
    return RateLimitError(
        _rate_limit_message(a.headers, a.low, a.deployment, a.retry_after) + a.said + a.tail,
        retry_after=a.retry_after,
        **a.kw(),
    )


@_rule(lambda a: a.status >= 500)
def server_error(a: Answer) -> APIStatusError:
    """5xx: transient on Azure's side; retried, then reported."""
    return ServerError(
        f"Azure had a server error ({a.status}). It is usually transient: retry later, raise"
        " max_retries, or configure a second region as a failover target."
        f"{a.said}{a.tail}",
        **a.kw(),
    )


@_rule(lambda a: True)
def other_status(a: Answer) -> APIStatusError:
    """Any status no other rule knows."""
    return APIStatusError(f"Azure answered with HTTP {a.status}.{a.said}{a.tail}", **a.kw())


#: tried in order; the first whose ``when`` holds builds the error (``other_status`` always does)
RULES: tuple[Rule, ...] = (
    content_filter,
    context_length,
    refused_argument,
    api_version,
    unsupported_parameter,
    unsupported_value,
    unknown_model,
    redirect,
    error_in_success,
    bad_request,
    authentication,
    permission_denied,
    deployment_not_found,
    not_found,
    conflict,
    unprocessable,
    rate_limit,
    server_error,
    other_status,
)


def first_rule(answer: Answer) -> Rule:
    """The rule that decides ``answer``."""
    return next(rule for rule in RULES if rule.when(answer))


__all__ = ["RULES", "Rule", "first_rule"]
