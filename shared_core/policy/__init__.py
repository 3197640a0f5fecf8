"""Call policy: the two transport drivers and the decisions they obey (retry, routing, breakers).

The only part of the library that does network I/O. Decisions are plain functions and sans-I/O
state the sync and async drivers share: ``call.py`` (one call across its attempts), ``streaming.py``
(one streamed attempt), ``faults.py`` (what a network failure was), ``retry.py`` (wait, fail over or
give up), ``routing.py`` (target choice, circuit breakers), ``limiter.py`` (the pacing budget of
a deployment) and ``pacing_store.py`` (where budgets live, shared by every call of the process).
``sync_driver.py`` and ``async_driver.py`` are the loops; ``transport.py`` is the face the rest of
the library imports (and the httpx clients we own). Retries, failovers and waits are logged on ``shared_core.policy``.
"""
