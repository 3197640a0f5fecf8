"""The Redis store's async I/O: one ``redis.asyncio`` client per event loop, and one queue whose
operations a single task runs in order, so an async call never blocks its loop on Redis.

The operations are the store's own (the same Lua scripts, the same fallback to this process's
state when Redis fails, in :meth:`~.redis_store.RedisPacingStore.arun`): only the I/O differs from
the sync path. Writes (release, settle, block, observe, the breakers' outcomes) are queued and not
waited for; reads (a reservation, a budget, the breakers' records) wait for their turn. One queue
per loop keeps this process's operations in the order it made them (a 429's block is in Redis
before the next reservation of the same loop is asked).

When the loop shuts down (``asyncio.run`` cancels its tasks) the task runs what is still queued,
including an operation the cancellation cut, and closes its client; an operation queued after
that runs on the sync client.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

log = logging.getLogger("shared_core.policy")

if TYPE_CHECKING:
    from shared_core.policy.redis_store import RedisPacingStore

#: an operation: given the loop's I/O, the awaitable of its Redis command(s)
Thunk = Callable[["LoopIO"], Awaitable[Any]]
#: what to do with its result (None: Redis failed, the store fell back)
Done = Callable[[Any], None]


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, if any (then Redis I/O must not block)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LoopIO:
    """One event loop's Redis client, scripts and ordered queue of operations."""

    def __init__(self, store: RedisPacingStore, loop: asyncio.AbstractEventLoop) -> None:
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.store = store
        self.client: Any = redis.asyncio.Redis.from_url(
            store.url.get_secret_value(),
            socket_timeout=store.socket_timeout,
            socket_connect_timeout=store.socket_timeout,
            retry_on_timeout=False,
            retry=Retry(NoBackoff(), 0),
        )
        self._scripts: dict[str, Any] = {}
        self._queue: deque[tuple[Thunk, Done | None]] = deque()
        self._wake = asyncio.Event()
        self.task = loop.create_task(self._work(), name="azoai-redis-io")

    def script(self, name: str) -> Any:
        """The async twin of the store's script ``name`` (the same Lua source)."""
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.client.register_script(self.store.sources[name])
        return script

    def submit(self, thunk: Thunk, done: Done | None = None) -> bool:
        """Queue ``thunk``; False when this loop's worker has ended (run it another way)."""
        if self.task.done():
            return False
        self._queue.append((thunk, done))
        self._wake.set()
        return True

    async def call(self, thunk: Thunk, orphaned: Done | None = None) -> Any:
        """Run ``thunk`` in its turn and return its result (None: Redis failed). If the caller is
        cancelled first (a hedge's loser), ``thunk`` is not sent, or, when already sent, its result
        goes to ``orphaned`` (a reservation nobody will use is given back)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def guarded(io: LoopIO) -> Any:
            return None if future.cancelled() else await thunk(io)

        def done(result: Any) -> None:
            if future.cancelled():
                if result is not None and orphaned is not None:
                    orphaned(result)
            elif not future.done():
                future.set_result(result)

        if not self.submit(guarded, done):
            return await self.store.arun(thunk, self)
        return await future

    async def _work(self) -> None:
        me = asyncio.current_task()
        try:
            while True:
                while self._queue:
                    await self._one()
                if me is not None and me.cancelling():
                    # a cancellation a Redis command's own wait_for swallowed (Python 3.11): still the end
                    raise asyncio.CancelledError
                self._wake.clear()
                await self._wake.wait()
        finally:  # cancelled at loop shutdown: what is queued still reaches Redis, then the client closes
            try:
                while self._queue:
                    await self._one()
            finally:
                await self.client.aclose()

    async def _one(self) -> None:
        thunk, done = self._queue.popleft()
        try:
            result = await self.store.arun(thunk, self)
        except asyncio.CancelledError:
            # the loop is shutting down mid-operation: it goes back to the head of the queue, which
            # _work's finally runs (a write cut here, e.g. the first answer's "answered", would
            # otherwise never reach Redis; one whose reply alone was cut counts twice: pacing only)
            self._queue.appendleft((thunk, done))
            raise
        except Exception:  # a bug must not end the worker (callers would wait for ever): fall back
            log.exception("shared state: a Redis operation failed unexpectedly; this process's own state is used")
            result = None
        if done is not None:
            done(result)


def loop_io(store: RedisPacingStore, loop: asyncio.AbstractEventLoop) -> LoopIO:
    """The I/O of ``store`` on ``loop`` (made on first use; one per loop and store)."""
    with _LOCK:
        io = store.ios.get(loop)
        if io is None:
            io = store.ios[loop] = LoopIO(store, loop)
        return io


_LOCK = threading.Lock()


__all__ = ["Done", "LoopIO", "Thunk", "loop_io", "running_loop"]
