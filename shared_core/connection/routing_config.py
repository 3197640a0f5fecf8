"""A routing config in Portkey's shape: nested ``fallback`` / ``loadbalance`` strategies over targets.

    {"strategy": {"mode": "fallback", "on_status_codes": [429, 500, 503]},
     "targets": [
        {"strategy": {"mode": "loadbalance"},
         "targets": [{"provider": "azure-openai", "azure_endpoint": "https://a.openai.azure.com",
                      "deployment": "gpt-5.2", "api_key": "${KEY_A}", "weight": 0.7},
                     {"provider": "azure-openai", "resource_name": "b", "deployment_id": "gpt-5.2",
                      "azure_auth_mode": "entra", "weight": 0.3}]},
        {"provider": "openai", "api_key": "${OPENAI_API_KEY}", "override_params": {"model": "gpt-5.2"}}]}

Semantics follow Portkey's gateway configs (https://portkey.ai/docs/product/ai-gateway/configs,
https://portkey.ai/docs/product/ai-gateway/fallbacks, .../load-balancing):

- ``fallback``: the targets in order, the next one when one fails with a status listed in
  ``on_status_codes``; connection errors and timeouts always move on. Without
  ``on_status_codes`` azoai moves on 408, 409, 429 and 5xx (Portkey: any non-2xx), since a 400
  or 401 from one region is the same request's fault everywhere: list them to fall back on them.
- ``loadbalance``: a target at random by ``weight`` (relative shares, normalised; default 1;
  weight 0 keeps a target in the file without traffic). azoai also moves a failed call to a
  sibling on the same statuses (Portkey returns the error), so a call is not lost while another
  target is healthy.
- ``override_params``: body parameters that target's requests carry over the caller's.
  ``model`` is the model of an ``openai`` target; an Azure target names its ``deployment``.

A target is ``provider: "azure-openai"`` (default; the settings of ``resolve_target``: an
endpoint, ``deployment`` (also ``deployment_id``), ``api_version`` (dated or ``v1``), and any
auth mode) or ``provider: "openai"``. Every target is self-contained: nothing is inherited from
another target or from ``AZURE_OPENAI_*`` variables, so no key goes where it does not belong. A
secret may be given as ``"${VARIABLE}"`` to read it from the environment (keep keys out of files).
Everything is validated before any request; every error names the JSON path of the bad entry.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr

from shared_core.connection.config import Target, resolve_target
from shared_core.connection.endpoints import OPENAI_BASE
from shared_core.connection.redact import public_params
from shared_core.connection.regions import _AUTH, _ENDPOINT, _PRIMARY_ENV, ALIASES, SECRET_SETTINGS
from shared_core.connection.routing_plan import MODES, Group, Leaf, Node
from shared_core.errors import ConfigurationError

#: a routing config: the dict itself, or the path of a JSON or YAML file holding it
RoutingSource = Mapping[str, Any] | str | os.PathLike[str]

PROVIDERS: tuple[str, ...] = ("azure-openai", "openai")
_TARGET_KEYS = frozenset({"provider", "weight", "override_params", "name", "spillover_deployment"})
_SETTINGS = frozenset({*_ENDPOINT, *_AUTH, "deployment", "api_version", "default_headers", "default_query", "model"})
_PORTKEY_ALIASES = {"deployment_id": "deployment", "custom_host": "base_url"}
# Portkey gateway features that are client options here, or not ours: named so the error says where
_ELSEWHERE = {
    "retry": "retries are the client's: max_retries= (and max_retry_wait=, deadline=)",
    "request_timeout": "the timeout is the client's: timeout=",
    "cache": "azoai does not cache responses",
    "virtual_key": "virtual keys live in Portkey's vault: give the target's own settings (api_key or Entra ID)",
}
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class _At:
    """A JSON path (``targets[1].targets[0]``) for error messages."""

    def __init__(self, path: str) -> None:
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def item(self, name: str, index: int) -> _At:
        return _At(f"{self.key(name)}[{index}]")

    def fail(self, name: str | None, message: str) -> ConfigurationError:
        where = self.key(name) if name else (self.path or "routing")
        return ConfigurationError(f"{where}: {message}", setting=where)


def load_routing(source: RoutingSource) -> Mapping[str, Any]:
    """The config of ``source``: a mapping as is; a ``.json``, ``.yaml`` or ``.yml`` file read.
    YAML needs PyYAML (``pip install "azoai[yaml]"``; the LangChain and LlamaIndex extras have it)."""
    if isinstance(source, Mapping):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigurationError(
            f"routing is a {type(source).__name__}: give a dict, or the path of a .json / .yaml file",
            setting="routing",
        )
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise ConfigurationError(
            f"routing={str(source)!r} is not a .json, .yaml or .yml file: give the path of one, or the dict itself",
            setting="routing",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"routing file {str(source)!r} cannot be read: {exc.strerror}", setting="routing"
        ) from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(
                f"routing file {str(source)!r} is not valid JSON: {exc}", setting="routing"
            ) from None
    else:
        try:
            import yaml  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise ConfigurationError(
                f'routing file {str(source)!r} is YAML, which needs PyYAML: pip install "azoai[yaml]" '
                "(or give the config as JSON or as a dict)",
                setting="routing",
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigurationError(
                f"routing file {str(source)!r} is not valid YAML: {exc}", setting="routing"
            ) from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(
            f"routing file {str(source)!r} holds a {type(data).__name__}, not an object with 'strategy' and 'targets'",
            setting="routing",
        )
    return data


def resolve_routing(source: RoutingSource, *, env: Mapping[str, str] | None = None) -> tuple[tuple[Target, ...], Node]:
    """The targets and routing tree of a config (see the module docstring). Raises
    ``ConfigurationError`` naming the JSON path of the first bad entry."""
    config = load_routing(source)
    environ: Mapping[str, str] = os.environ if env is None else env
    builder = _Builder({k: v for k, v in environ.items() if k not in _PRIMARY_ENV}, environ)
    plan = builder.node(config, _At(""))
    return tuple(builder.targets), plan


class _Builder:
    def __init__(self, target_env: Mapping[str, str], env: Mapping[str, str]) -> None:
        self.target_env = target_env
        self.env = env
        self.targets: list[Target] = []

    def node(self, entry: Any, at: _At) -> Node:
        if not isinstance(entry, Mapping):
            raise at.fail(None, f"is a {type(entry).__name__}: give an object (a target, or 'strategy' and 'targets')")
        if "strategy" in entry or "targets" in entry:
            return self.group(entry, at)
        return self.leaf(entry, at)

    def group(self, entry: Mapping[str, Any], at: _At) -> Node:
        extra = set(entry) - {"strategy", "targets", "weight", "name"}
        if extra:
            key = sorted(extra)[0]
            raise at.fail(
                key, f"a strategy node holds only 'strategy', 'targets' (and 'weight' under a loadbalance); {_why(key)}"
            )
        strategy = entry.get("strategy")
        if not isinstance(strategy, Mapping):
            raise at.fail("strategy", "is missing: give {'mode': 'fallback'} or {'mode': 'loadbalance'}")
        unknown = set(strategy) - {"mode", "on_status_codes"}
        if unknown:
            key = sorted(unknown)[0]
            raise at.fail(f"strategy.{key}", "is not supported: a strategy has 'mode' and 'on_status_codes'")
        mode = strategy.get("mode")
        if mode not in MODES:
            raise at.fail("strategy.mode", f"{mode!r} is not 'fallback' or 'loadbalance'")
        codes = self.codes(strategy.get("on_status_codes"), at)
        targets = entry.get("targets")
        if not isinstance(targets, Sequence) or isinstance(targets, (str, bytes)) or not targets:
            raise at.fail("targets", "must be a non-empty list of targets")
        children: list[Node] = []
        weights: list[float] = []
        for i, child in enumerate(targets):
            child_at = at.item("targets", i)
            weight = self.weight(child, child_at, mode)
            node = self.node(child, child_at)
            if weight > 0:  # Portkey: weight 0 keeps the target in the config without traffic
                children.append(node)
                weights.append(weight)
        if not children:
            raise at.fail("targets", "every target has weight 0: give at least one a weight > 0")
        if len(children) == 1 and codes is None:
            return children[0]
        return Group(mode, tuple(children), tuple(weights), codes)

    @staticmethod
    def codes(value: Any, at: _At) -> frozenset[int] | None:
        if value is None:
            return None
        where = "strategy.on_status_codes"
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)) or not value:
            raise at.fail(where, f"{value!r} must be a non-empty list of HTTP statuses, e.g. [429, 500, 503]")
        for k, code in enumerate(value):
            if isinstance(code, bool) or not isinstance(code, int) or not 400 <= code <= 599:
                raise at.fail(f"{where}[{k}]", f"{code!r} is not an error status (400..599)")
        return frozenset(value)

    @staticmethod
    def weight(entry: Any, at: _At, mode: str) -> float:
        if not isinstance(entry, Mapping) or "weight" not in entry:
            return 1.0
        value = entry["weight"]
        if mode != "loadbalance":
            raise at.fail(
                "weight", "only counts under a strategy of mode 'loadbalance' (a fallback goes in order): drop it"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise at.fail("weight", f"{value!r} is not a number: give e.g. 1 or 0.5")
        if value < 0 or value != value or value == float("inf"):
            raise at.fail("weight", f"{value!r} must be >= 0 (a relative share of the traffic)")
        return float(value)

    def leaf(self, entry: Mapping[str, Any], at: _At) -> Node:
        provider = entry.get("provider", "azure-openai")
        if provider not in PROVIDERS:
            raise at.fail("provider", f"{provider!r} is not one of {', '.join(map(repr, PROVIDERS))}")
        settings: dict[str, Any] = {}
        for raw_key, value in entry.items():
            if raw_key in _TARGET_KEYS:
                continue
            key = _PORTKEY_ALIASES.get(raw_key, ALIASES.get(raw_key, raw_key))
            if key not in _SETTINGS:
                raise at.fail(str(raw_key), f"unknown setting: {_why(str(raw_key))}")
            if key in settings:
                raise at.fail(str(raw_key), f"gives {key!r} a second time: keep one")
            if value is not None:
                settings[key] = self.secret(value, at, str(raw_key)) if key in SECRET_SETTINGS else value
        overrides = entry.get("override_params") or {}
        if not isinstance(overrides, Mapping):
            raise at.fail("override_params", f"is a {type(overrides).__name__}: give an object of body parameters")
        overrides = dict(overrides)
        for bad in ("messages", "input", "stream", "prompt"):
            if bad in overrides:
                raise at.fail(f"override_params.{bad}", "is part of each call, not of a target: drop it")
        model = overrides.pop("model", None)
        if provider == "openai":
            settings.setdefault("base_url", OPENAI_BASE)
            model = settings.pop("model", None) or model
            if not model:
                raise at.fail("override_params.model", "an 'openai' target needs a model, e.g. {'model': 'gpt-5.2'}")
            settings["deployment"] = model
        else:
            if model is not None or "model" in settings:
                raise at.fail(
                    "override_params.model" if model is not None else "model",
                    "an Azure target calls a deployment: give 'deployment' (the deployment's name) instead",
                )
            if not any(settings.get(k) for k in _ENDPOINT):
                raise at.fail(
                    None,
                    "an 'azure-openai' target needs its endpoint: 'azure_endpoint' "
                    "('https://<resource>.openai.azure.com/'), 'resource_name' or 'base_url'",
                )
        name = entry.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise at.fail("name", f"{name!r} must be a non-empty string (it is reported as the target that served)")
        try:
            target = resolve_target(
                **settings,
                name=name,
                env=self.target_env,
                spillover_deployment=entry.get("spillover_deployment"),
            )
        except ConfigurationError as exc:
            raise at.fail(exc.setting, str(exc)) from None
        except TypeError as exc:  # a setting of the wrong shape for resolve_target
            raise at.fail(None, str(exc)) from None
        if overrides:
            target = dataclasses.replace(target, override_params=overrides)
        target = self.named(target, name is not None, at)
        self.targets.append(target)
        return Leaf(len(self.targets) - 1)

    def named(self, target: Target, given: bool, at: _At) -> Target:
        taken = {t.name for t in self.targets}
        if target.name not in taken:
            return target
        if given:
            raise at.fail("name", f"{target.name!r} is already the name of another target: give each a distinct name")
        # the same resource twice (e.g. other override_params): told apart by path
        for candidate in (f"{target.name}/{target.deployment}", at.path):
            if candidate not in taken:
                return dataclasses.replace(target, name=candidate)
        return dataclasses.replace(target, name=f"{at.path}#{len(self.targets)}")

    def secret(self, value: Any, at: _At, key: str) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            return value
        m = _ENV_REF.match(raw.strip())
        if m is None:
            return value
        found = self.env.get(m.group(1))
        if not found:
            raise at.fail(key, f"reads the environment variable {m.group(1)}, which is not set")
        return SecretStr(found)


def refuse_beside_routing(settings: Mapping[str, Any], fallbacks: Any) -> None:
    """``routing`` holds every target: a connection setting or ``fallbacks`` beside it is refused."""
    if fallbacks:
        raise ConfigurationError(
            "fallbacks= and routing= both say where calls go: put the fallbacks in the routing config "
            "(a strategy of mode 'fallback') and drop fallbacks=",
            setting="fallbacks",
        )
    harmless = {"spelling", "default_deployment", "require_deployment", "load_balancing"}
    for key, value in settings.items():
        if value is not None and key not in harmless:
            raise ConfigurationError(
                f"{key}= is given beside routing=, which holds every target: give {key!r} on the targets "
                "of the routing config instead",
                setting=key,
            )


def _why(key: str) -> str:
    if key in _ELSEWHERE:
        return f"{key!r}: {_ELSEWHERE[key]}"
    known = sorted({*_SETTINGS, *_TARGET_KEYS, *_PORTKEY_ALIASES, *ALIASES} - {"model"})
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}a target takes {', '.join(known)}"


def hide_routing_secrets(value: Any) -> Any:
    """A routing config with its secret strings wrapped in ``SecretStr`` (adapters' validators),
    recursively; a path or anything else is returned as is, for the core to judge."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if ALIASES.get(k, k) in SECRET_SETTINGS and isinstance(v, str):
                out[k] = SecretStr(v)
            elif k in ("targets", "strategy"):
                out[k] = hide_routing_secrets(v)
            else:
                out[k] = v
        return out
    if isinstance(value, (list, tuple)):
        return [hide_routing_secrets(v) for v in value]
    return value


def _routing_field(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else hide_routing_secrets(value)


#: the ``routing`` field of both adapters: a config dict (secrets become ``SecretStr`` before
#: anything can print them) or the path of a JSON / YAML file; judged when the client is built
RoutingField = Annotated[dict[str, Any] | str | None, BeforeValidator(_routing_field)]


def public_routing(value: Any) -> Any:
    """A routing config as JSON data: secrets left out (an ``${VARIABLE}`` reference kept, since
    it holds no secret), live objects (credentials, token providers) dropped."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if ALIASES.get(k, k) in SECRET_SETTINGS:
                raw = v.get_secret_value() if isinstance(v, SecretStr) else v
                if isinstance(raw, str) and _ENV_REF.match(raw.strip()):
                    out[k] = raw
                continue
            public = (
                public_params(v)
                if k in ("default_headers", "default_query") and isinstance(v, Mapping)
                else public_routing(v)
            )
            if public is not None or v is None:
                out[k] = public
        return out
    if isinstance(value, (list, tuple)):
        return [public_routing(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return None


__all__ = [
    "PROVIDERS",
    "RoutingField",
    "RoutingSource",
    "hide_routing_secrets",
    "load_routing",
    "public_routing",
    "refuse_beside_routing",
    "resolve_routing",
]
