"""PTU spillover: a provisioned deployment's overflow served by a standard deployment.

Azure routes a request that its provisioned deployment cannot serve (a non-200, e.g. a 429 when
the PTUs are exhausted) to the standard deployment named in the request's
``x-ms-spillover-deployment`` header, and says so in the response's
``x-ms-spillover-from-deployment`` header. Both deployments must be in the same resource.
Source: https://learn.microsoft.com/en-us/azure/ai-services/openai/how-to/spillover-traffic-management
"""

from __future__ import annotations

from collections.abc import Mapping

from shared_core.connection.spelling import Spelling
from shared_core.errors import ConfigurationError

#: request header naming the standard deployment that takes the overflow
SPILLOVER_HEADER = "x-ms-spillover-deployment"
#: response header naming the provisioned deployment a spilled-over request was meant for
SPILLED_FROM_HEADER = "x-ms-spillover-from-deployment"


def spillover_headers(headers: Mapping[str, str] | None, deployment: object, spelling: Spelling) -> dict[str, str]:
    """``headers`` plus the spillover header; a bad ``deployment`` raises, naming the setting."""
    setting = spelling.name("spillover_deployment")
    if not isinstance(deployment, str) or not deployment.strip() or "/" in deployment:
        raise ConfigurationError(
            f"{setting}={deployment!r} must be the name of a standard deployment in the same resource "
            "as the provisioned one, e.g. 'gpt-5.2-standard'",
            setting=setting,
        )
    out = dict(headers or {})
    if any(k.lower() == SPILLOVER_HEADER and v != deployment for k, v in out.items()):
        raise ConfigurationError(
            f"{setting}={deployment!r} and default_headers[{SPILLOVER_HEADER!r}] disagree: keep one",
            setting=setting,
        )
    out[SPILLOVER_HEADER] = deployment.strip()
    return out


__all__ = ["SPILLED_FROM_HEADER", "SPILLOVER_HEADER", "spillover_headers"]
