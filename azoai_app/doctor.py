"""``azoai doctor``: show what the configuration resolves to, optionally ping, explain failures.

Reads the same arguments and environment variables as the adapters. Prints the endpoint kind, the
exact URL a chat call goes to, and the kind of credential, never a secret. With ``--ping`` it
makes one tiny chat request (``max_tokens=1``, no retries) and prints the answer's region and
request id, or the diagnosis of the error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from shared_core.connection.spelling import Spelling

_KINDS = {
    "dated": "Azure OpenAI, dated API (/openai/deployments/{deployment}/..., ?api-version=)",
    "v1": "Azure OpenAI, v1 API (/openai/v1/..., deployment in the body's model)",
    "openai": "OpenAI (api.openai.com)",
}


SECRETS = ("api_key", "azure_ad_token", "client_secret")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="azoai doctor",
        description="Check Azure OpenAI configuration, credentials and reachability, and explain problems."
        " Arguments override the AZURE_OPENAI_* environment variables. A secret given as '-' is read"
        " from standard input (it then stays out of the shell history and the process list).",
    )
    p.add_argument("--endpoint", dest="azure_endpoint", help="resource URL (AZURE_OPENAI_ENDPOINT)")
    p.add_argument("--resource-name", dest="resource_name", help="resource name: https://NAME.openai.azure.com")
    p.add_argument("--base-url", dest="base_url", help="full URL prefix of a gateway in front of Azure")
    p.add_argument("--deployment", help="deployment name (AZURE_OPENAI_DEPLOYMENT)")
    p.add_argument("--api-version", dest="api_version", help="YYYY-MM-DD[-preview] or v1 (AZURE_OPENAI_API_VERSION)")
    p.add_argument("--api-key", dest="api_key", metavar="KEY", help="API key (AZURE_OPENAI_API_KEY)")
    p.add_argument("--azure-ad-token", dest="azure_ad_token", metavar="TOKEN",
                   help="a Microsoft Entra ID access token (AZURE_OPENAI_AD_TOKEN)")  # fmt: skip
    p.add_argument(
        "--auth-mode", dest="azure_auth_mode", help="key, token, entra, managed, workload, default, cli or none"
    )
    p.add_argument("--tenant-id", dest="tenant_id", help="Entra tenant (AZURE_TENANT_ID), for --auth-mode entra")
    p.add_argument("--client-id", dest="client_id",
                   help="app or user-assigned identity client id (AZURE_CLIENT_ID)")  # fmt: skip
    p.add_argument("--client-secret", dest="client_secret", metavar="SECRET",
                   help="service principal secret (AZURE_CLIENT_SECRET), for --auth-mode entra")  # fmt: skip
    p.add_argument("--token-scope", dest="token_scope", help="token scope (default: the endpoint's cloud)")
    p.add_argument("--model", help="model behind the deployment (for the model family's rules)")
    p.add_argument("--ping", action="store_true", help="make one tiny chat request (max_tokens=1)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for the ping (default 30)")
    return p


def cli_spelling(parser: argparse.ArgumentParser) -> Spelling:
    """The core's settings -> this command's flags (``--endpoint`` for ``azure_endpoint``...), read
    from the parser so that errors and hints name exactly the flags it has."""
    from shared_core.connection.config import Settings
    from shared_core.connection.spelling import Spelling

    core = set(Settings.__dataclass_fields__)
    return Spelling(
        {a.dest: a.option_strings[-1] for a in parser._actions if a.dest in core and a.option_strings}, flags=True
    )


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, http_client: Any = None) -> int:
    """Run the doctor. Exit codes: 0 fine, 1 the ping failed, 2 the configuration is invalid.

    ``out`` and ``http_client`` (an ``httpx.Client``) are for tests and embedding."""
    stream = out if out is not None else sys.stdout
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    for name in SECRETS:
        if getattr(args, name) == "-":
            setattr(args, name, sys.stdin.readline().strip())
    # (a secret shorter than 4 characters is a placeholder, and masking it would garble every word)
    secrets = [v for v in (getattr(args, n) for n in SECRETS) if v and len(v) >= 4]

    def say(line: str = "") -> None:
        for secret in secrets:  # whatever a message quotes, a secret given here is never shown
            line = line.replace(secret, "***")
        print(line, file=stream)

    from shared_core.connection.config import resolve_target
    from shared_core.errors import AzureOpenAIError, ConfigurationError

    spelling = cli_spelling(_parser())
    settings = {k: v for k, v in vars(args).items() if k in spelling.names and v}
    say("azoai doctor")
    try:
        target = resolve_target(**settings, spelling=spelling)
    except ConfigurationError as exc:
        say(f"  configuration problem: {exc.message}")
        if exc.setting:
            say(f"  setting: {exc.setting}")
        return 2

    from shared_core.connection.routes import build_route
    from shared_core.wire.models import profile_for

    say(f"  endpoint kind : {target.kind}: {_KINDS[target.kind]}")
    say(f"  target        : {target.name} (cloud: {target.cloud})")
    say(f"  api-version   : {target.api_version or '(none: v1 API)'}")
    say(f"  deployment    : {target.deployment}")
    try:
        route = build_route(target, "chat/completions")
        say(f"  chat call     : {route.method} {_without_secrets(route.url)}")
        if route.body_model:
            say(f"  body model    : {route.body_model}")
    except ConfigurationError as exc:
        say(f"  chat call     : not possible: {exc.message}")
    cred = target.credential
    say(f"  auth          : {cred.kind}: {cred.describe()}")
    if cred.kind == "token":
        say(f"  token scope   : {target.token_scope}")
    profile = profile_for(args.model, target.deployment)
    say(f"  model family  : {profile.family} (reasoning: {profile.reasoning})")
    if not args.ping:
        say("  (add --ping to make one tiny request)")
        return 0

    from shared_core.client import CoreClient
    from shared_core.connection.config import ClientOptions
    from shared_core.types import ChatRequest

    client = CoreClient(target, options=ClientOptions(max_retries=0, timeout=args.timeout), http_client=http_client)
    req = ChatRequest(messages=[{"role": "user", "content": "ping"}], model=args.model, max_tokens=1)
    started = time.perf_counter()
    try:
        result = client.chat(req)
    except AzureOpenAIError as exc:
        say(f"  ping          : FAILED ({type(exc).__name__})")
        say(f"  diagnosis     : {exc.message}")
        _claims(cred, say)
        return 1
    finally:
        client.close()
    ms = (time.perf_counter() - started) * 1000
    meta = result.meta
    say(f"  ping          : OK in {ms:.0f} ms (model {result.model or '?'})")
    if meta is not None:
        say(f"  region        : {meta.region or '?'}   request id: {meta.request_id or '?'}")
        limits = meta.ratelimit
        if limits:
            say("  rate limits   : " + ", ".join(f"{k}={v}" for k, v in sorted(limits.items())))
    _claims(cred, say)
    return 0


def _claims(cred: Any, say: Any) -> None:
    claims = cred.last_token_claims() if cred.kind == "token" else None
    if claims:
        shown = ", ".join(f"{k}={claims[k]}" for k in ("aud", "tid", "oid", "appid") if claims.get(k))
        say(f"  token claims  : {shown} (unverified)")


def _without_secrets(url: str) -> str:
    """Query parameters other than api-version are shown as ``***`` (gateways put keys there)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v if k == "api-version" else "***") for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
