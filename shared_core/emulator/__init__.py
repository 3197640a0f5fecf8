"""The local Azure OpenAI emulator.

In-process (no server, no socket)::

    import httpx
    from shared_core.emulator import create_app
    client = httpx.Client(transport=httpx.ASGITransport(app=create_app()), base_url="http://emulator")

Over loopback, for tests and the demo::

    from shared_core.emulator import start_in_thread
    with start_in_thread(region="West Europe") as emu:   # emu.url, emu.api_key, emu.app, emu.stop()
        ...

From a shell: ``azoai emulator --port 8765`` (needs ``pip install "azoai[emulator]"``).
The default key is ``azoai-emulator-key``; admin routes are ``GET /_emulator/state``,
``POST /_emulator/faults`` and ``POST /_emulator/reset``.
"""

from .app import EmulatorApp, create_app
from .config import (
    DEFAULT_API_KEY,
    Deployment,
    EmulatorConfig,
    FaultSpec,
    ManualClock,
    default_deployments,
    legacy_deployments,
    load_config_file,
    make_deployment,
)
from .server import EmulatorHandle, start_in_thread

__all__ = [
    "DEFAULT_API_KEY",
    "Deployment",
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorHandle",
    "FaultSpec",
    "ManualClock",
    "create_app",
    "default_deployments",
    "legacy_deployments",
    "load_config_file",
    "make_deployment",
    "start_in_thread",
]
