"""Our aiohttp-backed async client never leaves "Unclosed client session" noise behind.

A ``CoreClient`` keeps one async client per event loop; one used under ``asyncio.run`` twice (or
never ``aclose()``d before the interpreter exits) must not print aiohttp's warnings.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import asyncio
    from shared_core import ChatRequest, ClientOptions, CoreClient, resolve_target
    from shared_core.emulator.server import start_in_thread

    handle = start_in_thread()
    target = resolve_target(azure_endpoint=handle.url, api_key=handle.api_key, deployment="gpt-5.2", env={})
    client = CoreClient(target, options=ClientOptions(use_aiohttp=True))
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}])
    for _ in range(2):  # two loops: the first loop's client is dropped, the second never closed
        print(asyncio.run(client.achat(request)).first.content is not None)
    handle.stop()
    """
)


def test_no_unclosed_session_warnings_after_loops_end() -> None:
    pytest.importorskip("httpx_aiohttp")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True"]
    assert "Unclosed" not in proc.stderr, proc.stderr
