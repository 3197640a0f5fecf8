"""The exception hierarchy. Every failure a user can meet is one of these, and says what to do.

The mapping from an HTTP answer to an exception (with its diagnosis) lives in ``diagnose.py``;
this module only holds the types so that every other module can import them cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AzureOpenAIError(Exception):
    """Base of every error raised by azoai."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(AzureOpenAIError, ValueError):
    """Bad or missing settings, caught before any request. ``setting`` names the culprit."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class APIConnectionError(AzureOpenAIError):
    """DNS, TLS, refused or reset connections: no HTTP answer was received."""

    def __init__(self, message: str, *, url: str | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.url = url
        self.attempts = attempts


class APITimeoutError(APIConnectionError, TimeoutError):
    """The call's deadline passed (across all attempts) or a read timed out."""


class TokenAcquisitionError(AzureOpenAIError):
    """No token could be obtained (the token endpoint refused, or no identity is available).

    ``credential`` describes the source; ``__cause__`` is the original (azure-identity) error.
    """

    def __init__(self, message: str, *, credential: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.credential = credential
        self.setting = setting


class StreamError(AzureOpenAIError):
    """A stream that was cut, stalled, or carried an error event inside a 200."""


class StreamStalledError(StreamError, TimeoutError):
    """A stream that sent nothing for the read timeout while its connection stayed open.

    Also a ``TimeoutError``, so code that catches timeouts (as it catches ``APITimeoutError``)
    catches a stall too."""


class APIStatusError(AzureOpenAIError):
    """Azure answered with an error status. Carries everything needed to report it."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        param: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        region: str | None = None,
        deployment: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.status_code = status  # the name openai and httpx users reach for
        self.code = code
        self.param = param
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})
        self.request_id = request_id
        self.region = region
        self.deployment = deployment
        self.attempts = attempts


class BadRequestError(APIStatusError):
    """400: the request was rejected as invalid."""


class ContentFilterError(BadRequestError):
    """Azure's content filter blocked the prompt (400) or the completion (finish_reason).

    ``categories`` maps each filtered category to its detail, e.g.
    ``{"violence": {"filtered": True, "severity": "medium"}}``; ``source`` is ``"prompt"`` or
    ``"completion"``.
    """

    def __init__(
        self,
        message: str,
        *,
        categories: Mapping[str, Any] | None = None,
        source: str = "prompt",
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.categories: dict[str, Any] = dict(categories or {})
        self.source = source


class UnsupportedAPIVersionError(BadRequestError):
    """A feature needs a newer api-version than the one configured; ``needed`` names it."""

    def __init__(self, message: str, *, needed: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.needed = needed


class ContextLengthExceededError(BadRequestError):
    """The prompt plus ``max_tokens`` does not fit the model's context window."""


class UnsupportedParameterError(BadRequestError):
    """The deployment's model refuses a parameter the caller set, or its value (Azure's
    ``unsupported_parameter`` / ``unsupported_value``); ``param`` names it and the message the fix."""


class AuthenticationError(APIStatusError):
    """401: the key or token was refused."""


class PermissionDeniedError(APIStatusError):
    """403: the identity lacks a role assignment (or it has not propagated yet)."""


class NotFoundError(APIStatusError):
    """404."""


class DeploymentNotFoundError(NotFoundError):
    """404 DeploymentNotFound: Azure wants the deployment name, which is not the model name."""


class ConflictError(APIStatusError):
    """409."""


class UnprocessableEntityError(APIStatusError):
    """422."""


class RateLimitError(APIStatusError):
    """429. ``retry_after`` is the wait Azure asked for, in seconds, when it said one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx."""


class UnexpectedResponseError(APIStatusError):
    """An answer that is not what the operation returns: a success status whose body is empty, not
    JSON, of the wrong shape or types, or an error object (as gateways and APIM policies send), or
    a redirect that was not followed. Usually something between the client and Azure rewrote it.

    ``url`` is where it came from (no query string), ``content_type`` and ``excerpt`` (the start of
    the body) what came back.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        content_type: str | None = None,
        excerpt: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.url = url
        self.content_type = content_type
        self.excerpt = excerpt


class UnexpectedStreamEventError(UnexpectedResponseError, StreamError):
    """A stream event that is not a chunk of the answer (not JSON, or of the wrong shape)."""


class BatchOutputError(AzureOpenAIError):
    """A line of a batch output or error file that is not a JSON object naming one of the job's
    requests, so no request can be charged with it. ``batch_id``, ``file_id``, ``line`` (1-based)
    and ``excerpt`` (the line's start) say where and what came back."""

    def __init__(self, message: str, *, batch_id: str, file_id: str, line: int, excerpt: str) -> None:
        super().__init__(message)
        self.batch_id = batch_id
        self.file_id = file_id
        self.line = line
        self.excerpt = excerpt


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "AzureOpenAIError",
    "BadRequestError",
    "BatchOutputError",
    "ConfigurationError",
    "ConflictError",
    "ContentFilterError",
    "ContextLengthExceededError",
    "DeploymentNotFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "StreamError",
    "StreamStalledError",
    "TokenAcquisitionError",
    "UnexpectedResponseError",
    "UnexpectedStreamEventError",
    "UnprocessableEntityError",
    "UnsupportedAPIVersionError",
    "UnsupportedParameterError",
]
