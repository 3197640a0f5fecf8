"""The npm ``openai`` SDK, installed once per machine outside the checkout, for the independent-client test.

``tests/npm_client/package.json`` pins the version and ``package-lock.json`` its integrity hash;
``npm ci`` installs exactly that into ``$XDG_CACHE_HOME/azoai/npm-client/<hash of the lock>``
(``~/.cache`` by default). The first run needs the npm registry; every later run reuses the
directory and needs no network. ``python -B -m tests.integration.npm_client`` warms the cache
(``.ci/run`` does so before the suite).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "npm_client"
FILES = ("package.json", "package-lock.json", "check.mjs")


def missing_tools() -> str | None:
    """Why the npm client cannot run here (``node`` or ``npm`` absent), or None."""
    absent = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(absent)} not on PATH" if absent else None


def install_dir() -> Path:
    """Where this lock file's packages live: one directory per lock, so a new pin never reuses an old one."""
    digest = hashlib.sha256(b"".join((SOURCE / f).read_bytes() for f in FILES[:2])).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "azoai" / "npm-client" / digest


def installed() -> Path | None:
    """The install directory when ``npm ci`` has filled it (with the current ``check.mjs``), else
    None: the test suite never installs (it would need the network), ``.ci/run`` does."""
    target = install_dir()
    if not (target / "node_modules" / "openai" / "package.json").is_file():
        return None
    shutil.copy2(SOURCE / "check.mjs", target / "check.mjs")
    return target


def ensure_installed(timeout: float = 120.0) -> Path:
    """The install directory with ``node_modules/openai`` in it, running ``npm ci`` on first use.

    Installs into a sibling temporary directory and renames it into place, so concurrent or
    interrupted runs never leave a half-installed tree behind. Raises RuntimeError naming npm's
    output when the install fails (offline on first use, for example).
    """
    target = install_dir()
    if not (target / "node_modules" / "openai" / "package.json").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=target.parent))
        try:
            for name in FILES[:2]:
                shutil.copy2(SOURCE / name, staging / name)
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"],
                cwd=staging,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"npm ci failed in {staging} (exit {done.returncode}):\n{done.stderr[-2000:]}")
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():  # another run won the race: theirs is as good as ours
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    # the script is copied on every run (cheap), so editing it never needs a new install
    shutil.copy2(SOURCE / "check.mjs", target / "check.mjs")
    return target


if __name__ == "__main__":
    reason = missing_tools()
    if reason:
        print(f"npm client check will skip: {reason}", file=sys.stderr)
    else:
        print(ensure_installed())
