"""Endpoint URLs taken apart: kind, URL prefix, host, cloud, and what a pasted URL carries.

``parse_endpoint`` reads an ``azure_endpoint`` (resource URL, or a pasted request URL carrying the
deployment and api-version) or a ``base_url`` (a gateway's full prefix); ``config.py`` and
``regions.py`` decide what to do with the result. Every malformed URL (two ports, a port out of
range, spaces or backslashes in the host, a broken IPv6 literal, user:password@) is a
``ConfigurationError`` naming the setting in the caller's spelling and the fix.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from shared_core.connection.spelling import CORE, Spelling
from shared_core.errors import ConfigurationError

PUBLIC_SCOPE = "https://cognitiveservices.azure.com/.default"
USGOV_SCOPE = "https://cognitiveservices.azure.us/.default"
CHINA_SCOPE = "https://cognitiveservices.azure.cn/.default"
OPENAI_BASE = "https://api.openai.com/v1"
EXAMPLE_ENDPOINT = "https://my-resource.openai.azure.com/"

Kind = Literal["dated", "v1", "openai"]
Cloud = Literal["public", "usgov", "china", "custom"]

_DEPLOYMENT_IN_PATH = re.compile(r"^(?P<prefix>.*?)/deployments/(?P<deployment>[^/]+)(?P<rest>/.*)?$")
# a v1 prefix, optionally followed by a pasted operation path
_V1_PATH = re.compile(
    r"^(?P<head>.*/v1)(?:/(?:chat/completions|completions|embeddings|audio/[a-z]+|images/[a-z]+"
    r"|files|batches|fine_tuning/jobs|models|responses)(?:/.*)?)?$"
)
_OPERATION_TAIL = re.compile(r"/(?:chat/completions|completions|embeddings|audio/[a-z]+|images/[a-z]+|responses)$")
# one DNS label: letters (IDN too), digits, hyphens, underscores (seen in private DNS names)
_LABEL = re.compile(r"^[^\W_](?:[\w-]{0,61}[^\W_])?$")
_PUBLIC_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
_USGOV_SUFFIXES = (".openai.azure.us", ".cognitiveservices.azure.us", ".services.ai.azure.us")
_CHINA_SUFFIXES = (".openai.azure.cn", ".cognitiveservices.azure.cn", ".services.ai.azure.cn")


def is_loopback(host: str) -> bool:
    """True for localhost / 127.0.0.0/8 / ::1 (the emulator may speak plain http there)."""
    h = host.strip("[]").lower()
    return h == "localhost" or h.endswith(".localhost") or h == "::1" or h.startswith("127.")


def cloud_for_host(host: str) -> tuple[Cloud, str]:
    """(cloud, default token scope) from the endpoint's host name."""
    h = host.lower()
    if h.endswith(_USGOV_SUFFIXES):
        return "usgov", USGOV_SCOPE
    if h.endswith(_CHINA_SUFFIXES):
        return "china", CHINA_SCOPE
    if h.endswith(_PUBLIC_SUFFIXES):
        return "public", PUBLIC_SCOPE
    return "custom", PUBLIC_SCOPE


@dataclass(slots=True)
class _Parsed:
    kind: Kind
    base: str
    host: str
    deployment: str | None = None
    api_version: str | None = None
    query: dict[str, str] = field(default_factory=dict)


def _malformed(setting: str, url: str, why: str, spelling: Spelling) -> ConfigurationError:
    return ConfigurationError(
        f"{spelling.kw(setting, url)} is not a valid endpoint URL: {why}. Give the resource URL, "
        f"e.g. '{EXAMPLE_ENDPOINT}'",
        setting=spelling.name(setting),
    )


def _host_problem(host: str) -> str | None:
    """Why ``host`` cannot be a host name, or None when it can."""
    if ":" in host:  # an IPv6 literal (urlsplit strips the brackets)
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return f"{host!r} is not an IPv6 address"
        return None
    if "\\" in host:
        return "it contains a backslash: use '/' between the host and the path"
    if any(c.isspace() for c in host) or "%" in host:
        return f"the host {host!r} contains spaces or escapes"
    labels = host.rstrip(".").split(".")
    bad = next((label for label in labels if not _LABEL.match(label)), None)
    if bad is not None:
        what = "an empty label (two dots in a row)" if bad == "" else f"the label {bad!r}"
        return f"the host {host!r} has {what}, which a DNS name cannot have"
    return None


def _netloc(setting: str, url: str, raw: str, spelling: Spelling) -> tuple[str, str, str, str]:
    """(scheme, host, lower-case netloc, path-and-query) of ``raw``, or a typed error."""
    try:
        parts = urlsplit(raw)
    except ValueError as exc:  # "Invalid IPv6 URL": an unclosed '['
        raise _malformed(setting, url, str(exc), spelling) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{spelling.kw(setting, url)} is not an http(s) URL: use e.g. '{EXAMPLE_ENDPOINT}'",
            setting=spelling.name(setting),
        )
    host = parts.hostname
    try:
        port = parts.port
    except ValueError:
        port_text = parts.netloc.rsplit("@", 1)[-1].split("]")[-1].split(":", 1)[-1]
        raise _malformed(
            setting,
            url,
            f"its port {port_text!r} is not one number (two ports, or letters?); Azure OpenAI needs no port: drop it",
            spelling,
        ) from None
    if port == 0:
        raise _malformed(setting, url, "port 0 is not a port (use 1-65535, or none)", spelling)
    problem = _host_problem(host)
    if problem is not None:
        raise _malformed(setting, url, problem, spelling)
    if parts.username or parts.password:
        raise ConfigurationError(
            f"{spelling.name(setting)} contains user:password@: put the key in {spelling.kw('api_key')} instead",
            setting=spelling.name(setting),
        )
    shown = f"[{host}]" if ":" in host else host
    netloc = shown if port is None else f"{shown}:{port}"
    return scheme, host, netloc, parts.path + ("?" + parts.query if parts.query else "")


def _split_url(url: str, setting: str, spelling: Spelling = CORE) -> tuple[str, str, str, dict[str, str], str | None]:
    """(scheme, netloc, path without trailing slash, extra query, api-version from the query)."""
    raw = url.strip().strip("\"'")  # quotes pasted from a .env file
    if "://" not in raw:
        raw = "https://" + raw
    scheme, host, netloc, rest = _netloc(setting, url, raw, spelling)
    if scheme == "http" and not is_loopback(host):
        raise ConfigurationError(
            f"{spelling.kw(setting, url)} uses plain http to a non-loopback host: keys and tokens "
            "would travel unencrypted. Use https:// (plain http is only allowed to localhost / "
            "127.0.0.1, e.g. the azoai emulator)",
            setting=spelling.name(setting),
        )
    path, _, query_text = rest.partition("?")
    query: dict[str, str] = {}
    version: str | None = None
    for k, v in parse_qsl(query_text, keep_blank_values=True):
        if k.lower() == "api-version":
            version = v
        else:
            query[k] = v
    path = re.sub(r"/{2,}", "/", unquote(path)).rstrip("/")  # "//openai" (Java SDK)
    return scheme, netloc, path, query, version


def parse_endpoint(url: str, *, setting: str, is_base_url: bool, spelling: Spelling = CORE) -> _Parsed:
    """Take an endpoint or base URL apart: kind, prefix, host, and any deployment, api-version and
    query it carries (``regions.py`` uses it to compare fallbacks with the primary)."""
    scheme, netloc, path, query, version = _split_url(url, setting, spelling)
    origin = f"{scheme}://{netloc}"
    host = netloc
    if host.split(":")[0] == "api.openai.com":
        return _Parsed("openai", OPENAI_BASE, host, query=query, api_version=version)
    m = _DEPLOYMENT_IN_PATH.match(path)
    if m:
        prefix = m.group("prefix")
        if not is_base_url and not prefix.endswith("/openai"):
            prefix += "/openai"
        return _Parsed(
            "dated", origin + prefix, host, deployment=m.group("deployment"), api_version=version, query=query
        )
    v1 = _V1_PATH.match(path)
    if v1 and (is_base_url or v1.group("head").endswith("/openai/v1")):
        return _Parsed("v1", origin + v1.group("head"), host, api_version=version, query=query)
    if not is_base_url and _OPERATION_TAIL.search(path):
        hint = (
            " (that is Azure AI Foundry's model-inference route, which azoai does not speak)"
            if path.startswith("/models/")
            else ""
        )
        raise ConfigurationError(
            f"{spelling.kw(setting, url)} looks like a request URL, but not one of Azure OpenAI's"
            f"{hint}: give the resource URL ({origin}/) with {spelling.kw('deployment', '<name>')}, "
            "or paste a URL of the form .../openai/deployments/<name>/chat/completions?api-version=... "
            "or .../openai/v1/chat/completions",
            setting=spelling.name(setting),
        )
    if is_base_url or path.endswith("/openai"):
        return _Parsed("dated", origin + path, host, api_version=version, query=query)
    return _Parsed("dated", origin + path + "/openai", host, api_version=version, query=query)


def deployment_in_endpoint(url: str | None, *, is_base_url: bool = False) -> str | None:
    """The deployment a pasted URL names (``.../deployments/<name>/...``), else None. Never raises:
    a bad URL is reported when the target is resolved."""
    if not url or not url.strip():
        return None
    try:
        return parse_endpoint(url, setting="azure_endpoint", is_base_url=is_base_url).deployment
    except ConfigurationError:
        return None


__all__ = [
    "CHINA_SCOPE",
    "Cloud",
    "EXAMPLE_ENDPOINT",
    "Kind",
    "OPENAI_BASE",
    "PUBLIC_SCOPE",
    "USGOV_SCOPE",
    "cloud_for_host",
    "deployment_in_endpoint",
    "is_loopback",
    "parse_endpoint",
]
