"""The words of a call's decisions: why it retried or failed over, what a call that gives up adds
to the server's message."""

from __future__ import annotations

from shared_core.connection.config import ClientOptions


def note_for(reason: str, options: ClientOptions, throttled: float, throttles: int) -> str | None:
    """The sentence naming the limit that ended the call (``reason``: the retry decision's), or None."""
    if reason == "wait_too_long":
        return (
            f"That is longer than max_retry_wait={options.max_retry_wait:g} s, so azoai did"
            " not wait: raise max_retry_wait, or configure another target to fail over to."
        )
    if reason == "throttled_too_long":
        return (
            f"azoai already waited {throttled:.3g} s on 429s in this call ({throttles}"
            f" throttled attempts); max_retry_wait={options.max_retry_wait:g} s is the most"
            " one call waits on throttling: raise max_retry_wait, lower the load, or configure"
            " another target to fail over to."
        )
    if reason == "deadline":
        return f"The next attempt would pass the call's deadline ({options.deadline:g} s), so azoai gave up."
    return None


def status_reason(status: int, asked: float | None) -> str:
    """An error status as a retry or failover reason (with the wait the server asked for)."""
    said = f", server asked {asked:.3g} s" if asked is not None else ""
    return f"HTTP {status}{' rate limited' if status == 429 else ''}{said}"


__all__ = ["note_for", "status_reason"]
