"""Shared by the adapter-surface tests: which public methods of a class are ours, and the strict emulator.

A method counts as ours when the class that defines it (first in the MRO) lives in one of our
packages; methods inherited from langchain-core or llama-index-core are counted only where the
test names them as framework entry points that reach the network.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from shared_core.emulator.server import EmulatorHandle, start_in_thread

OURS = ("langchain_azoai", "llamaindex_azoai", "shared_core")

#: Our own public methods that build objects or manage resources but send nothing.
LOCAL_ONLY = frozenset(
    {
        "close",
        "aclose",
        "to_json",
        "to_dict",
        "model_post_init",
        "build_extra",
        "class_name",
        "get_lc_namespace",
        "is_lc_serializable",
        "get_num_tokens",
        "get_num_tokens_from_messages",
        "get_tool_calls_from_response",
    }
)


def public_classes(package: str) -> dict[str, type]:
    """The classes a package exports in ``__all__``, minus the re-exported error hierarchy."""
    pkg = importlib.import_module(package)
    errors = set(importlib.import_module("shared_core.errors").__all__)
    return {name: getattr(pkg, name) for name in pkg.__all__ if name not in errors}


def own_methods(cls: type) -> set[str]:
    """Public callables (functions, classmethods, wrapped methods) that one of our classes defines."""
    found: set[str] = set()
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next(base for base in cls.__mro__ if name in base.__dict__)
        if owner.__module__.split(".")[0] not in OURS:
            continue
        raw = owner.__dict__[name]
        if isinstance(raw, property) or not callable(getattr(cls, name)) or inspect.isclass(raw):
            continue
        found.add(name)
    return found


def check_enumeration(
    package: str, covered: dict[str, set[str]], framework: dict[str, set[str]], extra: dict[str, type] | None = None
) -> None:
    """Every public class is listed, and each class's own methods are exactly the covered ones (minus
    the framework entry points and the local-only ones): a new method fails here until it is driven."""
    classes = public_classes(package) | (extra or {})
    assert sorted(covered) == sorted(classes), f"{package}.__all__ changed: cover the new classes"
    for name, cls in classes.items():
        own = own_methods(cls) - LOCAL_ONLY
        assert own == covered[name] - framework.get(name, set()), (
            f"{package}.{name}: not driven {sorted(own - covered[name])}, "
            f"listed but not ours {sorted(covered[name] - framework.get(name, set()) - own)}"
        )
        missing = {m for m in framework.get(name, set()) if not callable(getattr(cls, m, None))}
        assert not missing, f"{package}.{name} lost framework entry points {sorted(missing)}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    """The emulator as it ships, every rule of its table enforced, plus the legacy completions
    deployment (no current model serves /completions) and quick batches."""
    from tests._deployments import with_legacy

    handle = start_in_thread(deployments=with_legacy(), overrides={"job_seconds": 0.3})
    yield handle
    handle.stop()


@pytest.fixture(params=["2024-10-21", "v1"])
def conn(emulator: EmulatorHandle, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Connection settings for one route style: the dated deployment route, or the v1 API."""
    return {"azure_endpoint": emulator.url, "api_key": emulator.api_key, "api_version": request.param, "max_retries": 0}
