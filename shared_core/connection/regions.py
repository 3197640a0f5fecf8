"""A primary deployment plus fallbacks (other regions, OpenAI as a last resort) in one object.

``resolve_targets(primary, fallbacks)`` turns the adapters' settings into the ``Target`` tuple
``CoreClient`` takes (``shared_core.client.client_from_settings`` builds the client). Validation happens here, before
any request, and every error names ``fallbacks[i].<setting>`` and the fix.

A fallback is a dict of the same settings as the primary (``azure_endpoint`` / ``resource_name`` /
``base_url``, ``deployment`` (also ``azure_deployment``, ``deployment_name``, ``engine``),
``api_version``, ``api_key``, Entra ID settings, ``name``, ``weight``, ``default_headers``,
``default_query``), a bare endpoint URL, or a ready ``Target`` (used as is).

What a fallback inherits from the primary when it does not say:

- ``deployment`` and the API generation (``api_version``), unless its URL carries them: the same
  request goes to every region. ``api.openai.com`` inherits neither: it needs ``model``.
- The credential, by *where the secret may go*:
    * same origin (scheme, host, port) as the primary: everything, ``default_headers`` and
      ``default_query`` included (another deployment on the same resource);
    * an Entra ID credential (token provider, ``credential``, static token, named identity):
      to every resource of the same Azure cloud (same token scope), sharing one token cache. A
      token for ``https://cognitiveservices.azure.com/.default`` is valid on every resource the
      identity holds a role on; custom domains and gateways are not known Azure hosts, so they
      inherit nothing;
    * an API key: never to another origin. A key belongs to one resource; sending it elsewhere
      leaks it to whoever runs that host and fails with 401 anyway. ``default_headers`` and
      ``default_query`` (which carry APIM subscription keys) follow the same rule.
  A fallback that inherits no credential and gives none is refused, naming the fix. The
  environment's ``AZURE_OPENAI_ENDPOINT`` / ``AZURE_OPENAI_API_KEY`` / ``AZURE_OPENAI_AD_TOKEN``
  describe the primary and are never applied to a fallback (``OPENAI_API_KEY`` still serves an
  ``api.openai.com`` fallback, and ``AZURE_TENANT_ID``-style identity variables still apply).

``load_balancing``: ``"priority"`` (default) sends every call to the first healthy target in list
order, spilling to the next on connection errors, 5xx and 429, and coming back once the primary
recovers (its breaker closes, or the wait its 429 asked for passes). ``"weighted"`` spreads calls
over all targets by ``weight`` (default 1), failing over the same way.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr

from shared_core.connection.config import Target, cloud_for_host, parse_endpoint, resolve_target
from shared_core.connection.redact import public_params
from shared_core.errors import ConfigurationError

LoadBalancing = Literal["priority", "weighted"]
LOAD_BALANCING: tuple[str, ...] = ("priority", "weighted")
Fallback = Mapping[str, Any] | str | Target

#: settings whose values are secrets (adapters keep them as ``SecretStr`` and out of dumps)
SECRET_SETTINGS: tuple[str, ...] = ("api_key", "azure_ad_token", "client_secret")
_ENDPOINT = ("azure_endpoint", "resource_name", "base_url")
_AUTH = frozenset(
    {
        "api_key",
        "azure_ad_token",
        "azure_ad_token_provider",
        "azure_ad_async_token_provider",
        "credential",
        "azure_auth_mode",
        "tenant_id",
        "client_id",
        "client_secret",
        "token_scope",
    }
)
_SETTINGS = frozenset(
    {
        *_ENDPOINT,
        *_AUTH,
        "deployment",
        "api_version",
        "name",
        "weight",
        "default_headers",
        "default_query",
        "model",
        "rpm",
        "tpm",
    }
)
#: both frameworks' spellings -> the core's
ALIASES: Mapping[str, str] = {
    "azure_deployment": "deployment",
    "deployment_name": "deployment",
    "engine": "deployment",
    "deployment_id": "deployment",
    "api_base": "base_url",
    "openai_api_base": "base_url",
    "openai_api_version": "api_version",
    "openai_api_key": "api_key",
    "azure_credential": "credential",
}
# the primary's environment, never a fallback's
_PRIMARY_ENV = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_DEPLOYMENT")
# priority as weights: the Router never picks a weight-0 target while a weighted one is usable,
# and among weight-0 targets it takes the first in order (routing.py: "zero weight is backup only")
_BACKUP_WEIGHT = 0.0


def _fail(index: int | None, setting: str, message: str) -> ConfigurationError:
    where = "the primary" if index is None else f"fallbacks[{index}]"
    return ConfigurationError(
        f"{where}: {message}", setting=setting if index is None else f"fallbacks[{index}].{setting}"
    )


def normalize_fallback(entry: Fallback, index: int) -> dict[str, Any] | Target:
    """One fallback as the core's settings dict (aliases folded, unknown keys refused), or the
    ``Target`` given. Secrets are left as given (str or ``SecretStr``)."""
    if isinstance(entry, Target):
        return entry
    if isinstance(entry, str):
        if not entry.strip():
            raise _fail(
                index,
                "azure_endpoint",
                "is an empty string: give the endpoint URL of "
                "another resource, e.g. 'https://my-westeurope.openai.azure.com/'",
            )
        return {"azure_endpoint": entry.strip()}
    if not isinstance(entry, Mapping):
        raise _fail(
            index,
            "type",
            f"is a {type(entry).__name__}: give an endpoint URL, a dict of "
            "settings such as {'azure_endpoint': ..., 'api_key': ...}, or a Target",
        )
    out: dict[str, Any] = {}
    for raw_key, value in entry.items():
        key = ALIASES.get(raw_key, raw_key)
        if key not in _SETTINGS:
            close = difflib.get_close_matches(str(raw_key), sorted({*_SETTINGS, *ALIASES}), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise _fail(
                index,
                str(raw_key),
                f"unknown setting {raw_key!r}: {hint}known settings are {', '.join(sorted(_SETTINGS - {'model'}))}",
            )
        if value is None:
            continue
        if key in out and out[key] != value:
            raise _fail(index, key, f"{key!r} is given twice (as {raw_key!r} too) with different values: keep one")
        out[key] = value
    given = [k for k in _ENDPOINT if out.get(k)]
    if not given:
        raise _fail(
            index,
            "azure_endpoint",
            "says no endpoint: give 'azure_endpoint' "
            "('https://<resource>.openai.azure.com/'), 'resource_name' or 'base_url'",
        )
    if len(given) > 1:
        raise _fail(index, given[1], f"gives both {given[0]!r} and {given[1]!r}: keep one")
    weight = out.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
        raise _fail(index, "weight", f"weight={weight!r} is not a number: give e.g. 1 or 0.5")
    if "name" in out and (not isinstance(out["name"], str) or not out["name"].strip()):
        raise _fail(
            index,
            "name",
            f"name={out['name']!r} must be a non-empty string (it is reported as the target that served a call)",
        )
    return out


def hide_secrets(entry: Any) -> Any:
    """A fallback with its secret strings wrapped in ``SecretStr`` (adapters' validators: keeps
    them out of ``repr``). Anything else is returned as is, for the core to judge."""
    if not isinstance(entry, Mapping):
        return entry
    return {
        k: SecretStr(v) if ALIASES.get(k, k) in SECRET_SETTINGS and isinstance(v, str) else v for k, v in entry.items()
    }


def hide_fallback_secrets(value: Any) -> Any:
    """The ``fallbacks`` validator of both adapters: each entry through :func:`hide_secrets`."""
    if isinstance(value, (list, tuple)):
        return [hide_secrets(v) for v in value]
    return value


#: the ``fallbacks`` field of both adapters: secrets become ``SecretStr`` before anything can
#: print them; the rest is judged by the core when the client is built
FallbacksField = Annotated[list[dict[str, Any] | str] | None, BeforeValidator(hide_fallback_secrets)]


def public_settings(entry: Any, secret: Callable[[str], Any] | None = None) -> Any:
    """A fallback as JSON data for serialization: no secret values and no live objects (token
    providers, credentials). ``secret(setting)`` may give a placeholder for each secret that is
    set (LangChain's secret markers); by default secrets are left out."""
    if not isinstance(entry, Mapping):
        return entry if isinstance(entry, str) else None
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if value is None:
            continue
        if ALIASES.get(key, key) in SECRET_SETTINGS:
            if secret is not None:
                out[key] = secret(ALIASES.get(key, key))
            continue
        if isinstance(value, (str, int, float, bool)):
            out[key] = value
        elif isinstance(value, Mapping) and all(isinstance(v, (str, int, float)) for v in value.values()):
            # default_headers / default_query: credential-like entries (APIM keys) left out
            out[key] = public_params(value)
    return out


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _endpoint_of(settings: Mapping[str, Any]) -> tuple[str, str, bool]:
    """(setting, URL, is_base_url) of a fallback's endpoint."""
    if settings.get("resource_name"):
        return "resource_name", f"https://{str(settings['resource_name']).strip()}.openai.azure.com", False
    if settings.get("base_url"):
        return "base_url", str(settings["base_url"]), True
    return "azure_endpoint", str(settings["azure_endpoint"]), False


def _inherit(primary: Target, settings: dict[str, Any], index: int) -> dict[str, Any]:
    """The fallback's keyword arguments for ``resolve_target`` after the inheritance rules."""
    setting, url, is_base = _endpoint_of(settings)
    try:
        parsed = parse_endpoint(url, setting=setting, is_base_url=is_base)
    except ConfigurationError as exc:
        raise _fail(index, exc.setting or setting, str(exc)) from None
    kw = dict(settings)
    model = kw.pop("model", None)
    if parsed.kind == "openai":
        if model is not None and kw.get("deployment") not in (None, model):
            raise _fail(index, "model", "gives both 'model' and 'deployment': keep 'model'")
        if model is None and kw.get("deployment") is None:
            raise _fail(
                index,
                "model",
                f"{url} is OpenAI itself, which takes a model name, not "
                "the Azure deployment's name: give 'model', e.g. 'gpt-4o-mini'",
            )
        kw["deployment"] = model if model is not None else kw["deployment"]
        return kw  # nothing Azure's applies to OpenAI: its key comes from api_key / OPENAI_API_KEY
    if model is not None:
        raise _fail(
            index,
            "model",
            "'model' is only for an api.openai.com fallback; for Azure "
            "give 'deployment' (the deployment's name in that resource)",
        )
    if "deployment" not in kw and parsed.deployment is None and primary.deployment:
        kw["deployment"] = primary.deployment
    if "api_version" not in kw and parsed.kind == "dated" and parsed.api_version is None:
        # same API generation as the primary, so the same request body is valid everywhere
        if primary.kind == "v1":
            kw["api_version"] = primary.api_version or "v1"
        elif primary.kind == "dated" and primary.api_version:
            kw["api_version"] = primary.api_version
    origin = _origin(parsed.base)
    same_origin = origin == _origin(primary.base)
    if same_origin:
        for extra in ("default_headers", "default_query"):
            if extra not in kw and getattr(primary, extra):
                kw[extra] = dict(getattr(primary, extra))
    if _AUTH & kw.keys():
        return kw  # its own credential
    cred = primary.credential
    cloud, scope = cloud_for_host(parsed.host.split(":")[0])
    if same_origin:
        kw["credential"] = cred
    elif cred.kind == "none":
        kw["azure_auth_mode"] = "none"
    elif cred.kind == "token" and cloud == primary.cloud != "custom" and scope == primary.token_scope:
        kw["credential"] = cred  # one token cache for every region
    elif cred.kind == "token":
        where = (
            "a custom domain or gateway, not a known Azure host"
            if cloud == "custom"
            else f"on the {cloud} cloud, the primary on {primary.cloud}"
        )
        raise _fail(
            index,
            "credential",
            f"{origin} is {where}, so the primary's Entra ID token is "
            "not sent there: give this fallback its own 'credential' (or "
            "'azure_ad_token_provider'); the same credential object is fine if that host "
            "accepts Entra ID tokens",
        )
    else:
        example = {setting: url, "api_key": "..."}
        raise _fail(
            index,
            "api_key",
            f"{origin} is another resource than the primary "
            f"({_origin(primary.base)}), and an API key belongs to one resource, so the "
            f"primary's key is not sent there: give it its own, e.g. {example}, or use "
            "Entra ID (credential= / azure_ad_token_provider=), which covers every resource "
            "of the same cloud",
        )
    return kw


def resolve_targets(
    primary: Mapping[str, Any] | Target,
    fallbacks: Sequence[Fallback] | None = None,
    *,
    load_balancing: str = "priority",
    env: Mapping[str, str] | None = None,
) -> tuple[Target, ...]:
    """The primary (``resolve_target`` keyword arguments, or a ``Target``) and its fallbacks as
    the ``Target`` tuple for ``CoreClient``, in priority order. See the module docstring."""
    if load_balancing not in LOAD_BALANCING:
        raise ConfigurationError(
            f"load_balancing={load_balancing!r} is not one of 'priority' (the primary first, "
            "fallbacks in order) or 'weighted' (spread by each target's weight)",
            setting="load_balancing",
        )
    if fallbacks is None:
        fallbacks = ()
    if isinstance(fallbacks, (str, bytes, Mapping, Target)):
        raise ConfigurationError(
            f"fallbacks must be a list, got a {type(fallbacks).__name__}: wrap it, fallbacks=[...]", setting="fallbacks"
        )
    fallbacks = list(fallbacks)
    priority = load_balancing == "priority"
    environ: Mapping[str, str] = os.environ if env is None else env
    if isinstance(primary, Target):
        first = primary
    else:
        if priority and primary.get("weight") not in (None, 1, 1.0):
            raise ConfigurationError(
                "weight is given but load_balancing='priority' ignores weights: pass "
                "load_balancing='weighted', or drop weight",
                setting="weight",
            )
        first = resolve_target(**primary, env=environ)
    fb_env = {k: v for k, v in environ.items() if k not in _PRIMARY_ENV}
    targets = [first]
    for i, entry in enumerate(fallbacks):
        norm = normalize_fallback(entry, i)
        if isinstance(norm, Target):
            target = norm
        else:
            if priority and norm.get("weight") is not None:
                raise _fail(
                    i,
                    "weight",
                    "weight is given but load_balancing='priority' ignores "
                    "weights: pass load_balancing='weighted', or drop weight",
                )
            kw = _inherit(first, norm, i)
            try:
                target = resolve_target(**kw, env=fb_env)
            except ConfigurationError as exc:
                raise _fail(i, exc.setting or "settings", str(exc)) from None
            if "name" not in norm and any(t.name == target.name for t in targets):
                target = dataclasses.replace(target, name=f"{target.name}/{target.deployment}")
        twin = next((t for t in targets if (t.base, t.deployment) == (target.base, target.deployment)), None)
        if twin is not None:
            raise _fail(
                i,
                "deployment",
                f"repeats target {twin.name!r} ({target.base}, deployment "
                f"{target.deployment!r}): a fallback must be another resource or deployment",
            )
        clash = next((t for t in targets if t.name == target.name), None)
        if clash is not None:
            raise _fail(
                i,
                "name",
                f"name {target.name!r} is already used by another target (same "
                "endpoint and deployment?): give each target a distinct 'name', or drop "
                "the duplicate",
            )
        if priority and isinstance(norm, Target) and target.weight != 1.0:
            raise _fail(
                i,
                "weight",
                "this Target has a weight but load_balancing='priority' "
                "ignores weights: pass load_balancing='weighted'",
            )
        targets.append(target)
    if priority and len(targets) > 1:
        targets = [dataclasses.replace(t, weight=1.0 if k == 0 else _BACKUP_WEIGHT) for k, t in enumerate(targets)]
    return tuple(targets)


__all__ = [
    "ALIASES",
    "Fallback",
    "FallbacksField",
    "LOAD_BALANCING",
    "LoadBalancing",
    "SECRET_SETTINGS",
    "hide_fallback_secrets",
    "hide_secrets",
    "normalize_fallback",
    "public_settings",
    "resolve_targets",
]
