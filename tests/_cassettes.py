"""Credential scrubbing shared by the cassette configs of both suites (``tests/*/conftest.py``).

Recorded requests keep every header and query parameter name; the value of each one whose name
looks like a credential (the core's rule: ``api-key``, ``Authorization``,
``Ocp-Apim-Subscription-Key``, ``subscription-key``, SAS ``sig``, ...) becomes the core's mask.
vcrpy runs the same hook on live requests before matching, so replays match the scrubbed URIs.
"""

from __future__ import annotations

from typing import Any

from shared_core.connection.redact import MASK, is_secret_name, redact_text


def scrub_credentials(request: Any) -> Any:
    """A vcrpy ``before_record_request`` step: credential-like header and query values masked."""
    for name in list(request.headers):
        if is_secret_name(name):
            request.headers[name] = MASK
    request.uri = redact_text(request.uri)
    return request
