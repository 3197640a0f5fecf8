"""``azoai emulator``: serve the emulator on 127.0.0.1, and ``start_in_thread()`` for tests and the demo.

The app is a plain ASGI callable; uvicorn serves it. uvicorn sits behind the ``emulator`` extra
(``pip install "azoai[emulator]"``) because only people who run the emulator as a server need an
HTTP server: the library itself, and in-process use through ``httpx.ASGITransport``, need none.
Writing our own HTTP/1.1 server would mean owning keep-alive, chunked encoding and shutdown for
no gain. The server only ever binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pydantic import SecretStr

from ..errors import ConfigurationError
from .app import EmulatorApp, create_app
from .config import DEFAULT_API_KEY, EmulatorConfig, FaultSpec, deployments_from_args, load_config_file

HOST = "127.0.0.1"
INSTALL_HINT = 'the emulator server needs uvicorn: pip install "azoai[emulator]"'


class EmulatorHandle:
    """A running emulator: ``.url`` (e.g. ``http://127.0.0.1:54321``), ``.app``, ``.stop()``."""

    def __init__(self, app: EmulatorApp, server: Any, thread: threading.Thread, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self._server = server
        self._thread = thread

    @property
    def api_key(self) -> str:
        return self.app.config.api_keys[0].get_secret_value()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread (idempotent)."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:
        raise ConfigurationError(INSTALL_HINT, setting="emulator") from None
    return uvicorn


def _bind(port: int) -> socket.socket:
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every response (headers, then body) waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"cannot bind {HOST}:{port} ({exc.strerror}); choose another --port or 0 for a free one", setting="port"
        ) from None
    sock.listen(256)
    return sock


def _server_for(app: EmulatorApp, log_level: str) -> Any:
    uvicorn = _uvicorn()
    # ws="none": the emulator serves no WebSocket route (realtime is not emulated), so uvicorn need not
    # import a websockets library (older uvicorn releases warn on import of the newer ones)
    cfg = uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="on", timeout_graceful_shutdown=2, backlog=256, ws="none"
    )
    return uvicorn.Server(cfg)


def start_in_thread(
    app: EmulatorApp | None = None,
    *,
    port: int = 0,
    config: EmulatorConfig | None = None,
    log_level: str = "warning",
    **changes: Any,
) -> EmulatorHandle:
    """Serve an emulator on 127.0.0.1 (a free port by default) in a daemon thread; returns once it accepts."""
    app = app or create_app(config, **changes)
    sock = _bind(port)
    server = _server_for(app, log_level)
    server.install_signal_handlers = lambda: None  # not the main thread
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="azoai-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("azoai emulator did not start; see the log above")
        time.sleep(0.005)
    return EmulatorHandle(app, server, thread, sock.getsockname()[1])


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="azoai emulator", description="Serve a local Azure OpenAI emulator on 127.0.0.1.")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = a free one; default 8765)")
    p.add_argument("--config", help="JSON config file (deployments, keys, audiences, filters, faults)")
    p.add_argument(
        "--deployment",
        action="append",
        default=[],
        metavar="NAME=MODEL[,kind=..,tpm=..,rpm=..,serve_retired=true]",
        help="a deployment (repeatable); replaces the default set",
    )
    p.add_argument(
        "--api-key", action="append", default=[], help=f"accepted key (repeatable; default {DEFAULT_API_KEY})"
    )
    p.add_argument(
        "--audience",
        action="append",
        default=[],
        help="accepted token audience (repeatable; default https://cognitiveservices.azure.com)",
    )
    p.add_argument("--region", help="value of x-ms-region (default 'East US')")
    p.add_argument("--seed", type=int, help="seed for ids and seeded fault rates (default 0)")
    p.add_argument("--faults", help='instance faults as JSON, e.g. \'{"error_every": 5, "error_status": 503}\'')
    p.add_argument("--log-level", default="info")
    return p


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    cfg = load_config_file(args.config) if args.config else EmulatorConfig()
    changes: dict[str, Any] = {}
    if args.deployment:
        changes["deployments"] = deployments_from_args(args.deployment)
    if args.api_key:
        changes["api_keys"] = tuple(SecretStr(k) for k in args.api_key)
    if args.audience:
        changes["token_audiences"] = tuple(args.audience)
    if args.region:
        changes["region"] = args.region
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.faults:
        try:
            changes["faults"] = FaultSpec.from_dict(json.loads(args.faults))
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"--faults is not valid JSON ({exc})", setting="faults") from None
    return replace(cfg, **changes)


def main(argv: Sequence[str]) -> int:
    """Entry point of ``azoai emulator``."""
    args = build_parser().parse_args(list(argv))
    try:
        cfg = config_from_args(args)
        uvicorn = _uvicorn()
        sock = _bind(args.port)
    except ConfigurationError as exc:
        print(f"azoai emulator: {exc}", file=sys.stderr)
        return 2
    app = create_app(cfg)
    port = sock.getsockname()[1]
    keys = ", ".join(k.get_secret_value() for k in cfg.api_keys)
    print(f"azoai emulator (region {cfg.region!r}) on http://{HOST}:{port}")
    print(f"  AZURE_OPENAI_ENDPOINT=http://{HOST}:{port}   AZURE_OPENAI_API_KEY={keys}   (emulator key, not a secret)")
    print(f"  tokens accepted for audience(s): {', '.join(cfg.token_audiences)} (JWT signatures are NOT verified)")
    for d in cfg.deployments.values():
        print(f"  deployment {d.name:<24} model {d.model:<24} kind {d.kind:<13} tpm {d.tpm or 'unlimited'}")
    print("  admin: GET /_emulator/state, POST /_emulator/faults, POST /_emulator/reset")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level=args.log_level, lifespan="on", timeout_graceful_shutdown=2, ws="none")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


__all__ = ["HOST", "INSTALL_HINT", "EmulatorHandle", "build_parser", "config_from_args", "main", "start_in_thread"]
