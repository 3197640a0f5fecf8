"""Time and randomness of the calls, injectable so tests never wait (:class:`Hooks`)."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


async def _asleep(seconds: float) -> None:
    import asyncio  # already imported whenever a coroutine runs; not at import time (it costs 15+ ms)

    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Hooks:
    """Time and randomness, injectable so tests never wait."""

    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = _asleep
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = random.random


DEFAULT_HOOKS = Hooks()

__all__ = ["DEFAULT_HOOKS", "Hooks"]
