"""The pacing decisions (policy/limiter.py) on an injected clock, and the store and call around them.

Figures come from Azure's documented behaviour: a per-minute limit checked over 1 s intervals
(Learn, "Manage Azure OpenAI quota": 600 RPM allows 10 requests per second), tokens reserved at
admission as the prompt plus ``max_tokens`` and released to the real usage once answered, and the
``x-ratelimit-*`` / ``retry-after-ms`` headers of the recordings (azure-recordings/REPORT.md).
"""

from __future__ import annotations

import httpx
import pytest

from shared_core.connection.config import resolve_target
from shared_core.errors import ConfigurationError
from shared_core.policy import limiter
from shared_core.policy.limiter import SAFETY, Budget, Limits, block, cost_of, observe, reserve, seen_in, settle
from shared_core.policy.pacing_store import LocalPacingStore, Pacer, key_of, store_for
from shared_core.wire.tokens import estimate_message_tokens, estimate_tokens

ANSWERED = Budget(answered=True)


def waits(b: Budget, now: float, n: int, limits: Limits, tokens: float = 0.0) -> tuple[Budget, list[float]]:
    out = []
    for _ in range(n):
        b, wait, made = reserve(b, now, tokens, limits)
        assert made
        out.append(wait)
    return b, out


def test_declared_rpm_lets_one_second_through_then_spaces_requests_at_the_rate() -> None:
    # 600 RPM: Azure lets 10 through in a second; we pace at SAFETY of that
    rate = 600 / 60 * SAFETY
    _, got = waits(ANSWERED, 100.0, 14, Limits(rpm=600))
    burst = int(rate)  # the bucket holds one second of the rate
    assert got[:burst] == [0.0] * burst
    assert got[burst] > 0
    gaps = [b - a for a, b in zip(got[burst:], got[burst + 1 :], strict=False)]
    assert gaps == pytest.approx([1 / rate] * len(gaps))


def test_no_limit_known_means_no_wait() -> None:
    _, got = waits(ANSWERED, 5.0, 50, Limits())
    assert got == [0.0] * 50


def test_a_429_blocks_every_caller_until_the_advised_time() -> None:
    b = block(ANSWERED, 10.0, 14.5, Limits())
    _, wait, _ = reserve(b, 11.0, 0, Limits())
    assert wait == pytest.approx(3.5)
    # the caller that was refused already slept the advice itself
    _, wait, _ = reserve(b, 11.0, 0, Limits(), honour_block=False)
    assert wait == 0.0
    _, wait, _ = reserve(b, 15.0, 0, Limits())
    assert wait == 0.0


def test_after_a_429_callers_resume_at_the_rate_not_all_at_once() -> None:
    limits = Limits(rpm=1200)
    rate = 20 * SAFETY
    b = block(ANSWERED, 0.0, 2.0, limits)
    _, got = waits(b, 0.5, 5, limits)
    assert got[0] >= 1.5
    assert [b - a for a, b in zip(got, got[1:], strict=False)] == pytest.approx([1 / rate] * 4)


def test_limits_are_learned_from_the_headers_and_remaining_lowers_the_budget() -> None:
    headers = httpx.Headers(
        {
            "X-RateLimit-Limit-Requests": "1200",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1",
            "x-ratelimit-limit-tokens": "120000",
            "x-ratelimit-remaining-tokens": "119000",
        }
    )
    b = observe(Budget(), 50.0, seen_in(headers), Limits())
    assert (b.rpm, b.tpm, b.answered) == (1200.0, 120000.0, True)
    _, wait, _ = reserve(b, 50.0, 10, Limits())
    # the server said nothing is left: the next request waits for one to come back
    assert wait == pytest.approx(1 / (20 * SAFETY))


def test_renewal_period_scales_the_limit_to_a_minute() -> None:
    seen = seen_in({"x-ratelimit-limit-requests": "100", "x-ratelimit-renewalperiod-requests": "10"})
    assert observe(Budget(), 0.0, seen, Limits()).rpm == 600.0


def test_remaining_zero_without_a_limit_blocks_until_the_reset() -> None:
    seen = seen_in({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"})
    b = observe(Budget(), 1.0, seen, Limits())
    assert b.blocked_until == 361.0


def test_minus_one_and_garbage_are_not_figures() -> None:
    # the Responses API has answered -1 for limits it does not track (azure-rest-surface.md)
    seen = seen_in({"x-ratelimit-limit-requests": "-1", "x-ratelimit-remaining-requests": "n/a"})
    assert seen.limit_requests is None and seen.remaining_requests is None
    assert seen_in({"content-type": "application/json"}).empty


def test_declared_limits_win_over_learned_ones() -> None:
    b = observe(Budget(), 0.0, seen_in({"x-ratelimit-limit-requests": "60000"}), Limits())
    _, got = waits(b, 0.0, 3, Limits(rpm=60))  # 1 per second declared
    assert got == pytest.approx([0.0, 1 / SAFETY, 2 / SAFETY])


def test_tokens_are_charged_at_the_estimate_and_settled_at_the_usage() -> None:
    limits = Limits(tpm=60_000)  # 1000 tokens/s, a bucket of one second
    rate = 1000 * SAFETY
    b, got = waits(ANSWERED, 0.0, 2, limits, tokens=900)
    assert got[0] == 0.0 and got[1] == pytest.approx((1800 - rate) / rate)
    # the first request really used 100 tokens: the next waits that much less
    b2, wait, _ = reserve(b, 0.0, 900, limits)
    settled, wait_settled, _ = reserve(settle(b, 900, 100, limits), 0.0, 900, limits)
    assert wait - wait_settled == pytest.approx(800 / rate)
    assert settled.tok_tat < b2.tok_tat


def test_queued_requests_are_charged_what_requests_really_use() -> None:
    limits = Limits(tpm=600_000)  # 10,000 tokens/s
    rate = 10_000 * SAFETY
    b = ANSWERED
    for _ in range(20):  # chats that ask for max_tokens=500 and use a fifth of their estimate
        b, _, _ = reserve(b, 0.0, 600, limits)
        b = settle(b, 600, 120, limits)
    assert b.usage_ratio == pytest.approx(0.2, abs=0.01)
    before = b.tok_tat
    b, _, _ = reserve(b, 0.0, 600, limits)
    assert b.tok_tat - before == pytest.approx(600 * b.usage_ratio / rate)
    # an estimate that proves low (used twice it) makes later reservations need and charge more
    low = ANSWERED
    for _ in range(20):
        low, _, _ = reserve(low, 0.0, 100, limits)
        low = settle(low, 100, 200, limits)
    assert low.usage_ratio == pytest.approx(2.0, abs=0.03)


def test_a_request_larger_than_the_bucket_waits_for_a_full_bucket_and_leaves_a_debt() -> None:
    limits = Limits(tpm=6000)  # 100 tokens/s
    b, got = waits(ANSWERED, 0.0, 2, limits, tokens=500)
    rate = 100 * SAFETY
    assert got == pytest.approx([0.0, 500 / rate])


def test_the_first_request_is_a_probe_the_others_poll_until_it_is_answered() -> None:
    b, wait, made = reserve(Budget(), 0.0, 0, Limits())
    assert (wait, made) == (0.0, True)
    b, wait, made = reserve(b, 0.1, 0, Limits())
    assert (wait, made) == (limiter.PROBE_POLL, False)
    b = observe(b, 0.2, seen_in({}), Limits())  # answered, with no headers at all
    assert reserve(b, 0.2, 0, Limits())[1:] == (0.0, True)


def test_an_unanswered_probe_holds_the_others_for_a_bounded_time() -> None:
    b, _, _ = reserve(Budget(), 0.0, 0, Limits())
    assert reserve(b, limiter.PROBE_SECONDS, 0, Limits())[1:] == (0.0, True)
    assert reserve(b, 0.0, 0, Limits(), may_poll=False)[1:] == (0.0, True)
    # a declared limit needs no probe
    assert reserve(b, 0.0, 0, Limits(rpm=600))[2] is True


def test_a_caller_with_another_target_leaves_a_probe_unanswered_past_the_hold() -> None:
    b, _, _ = reserve(Budget(), 0.0, 0, Limits())
    hold = limiter.PROBE_SECONDS
    # within the hold it waits like any caller; past it, it goes elsewhere (nothing reserved)
    assert reserve(b, hold / 2, 0, Limits(), may_leave=True) == (b, limiter.PROBE_POLL, False)
    assert reserve(b, hold, 0, Limits(), may_leave=True) == (b, limiter.LEAVE, False)
    # ... and so does one whose own hold has passed (it waited its polls), the probe still out
    assert reserve(b, hold / 2, 0, Limits(), may_poll=False, may_leave=True) == (b, limiter.LEAVE, False)
    assert reserve(b, hold / 2, 0, Limits(), may_poll=False)[1:] == (0.0, True)
    # nowhere else to go: it is sent, as before
    assert reserve(b, hold, 0, Limits())[1:] == (0.0, True)
    # a probe unanswered that long is presumed lost: this caller probes anew, the next ones wait on it
    again, wait, made = reserve(b, limiter.PROBE_EXPIRES, 0, Limits(), may_leave=True)
    assert (wait, made, again.probe_sent) == (0.0, True, limiter.PROBE_EXPIRES)
    assert reserve(again, limiter.PROBE_EXPIRES + 0.1, 0, Limits(), may_leave=True)[1:] == (limiter.PROBE_POLL, False)
    # answered, or a declared limit: no probe to leave
    answered = observe(b, 0.5, seen_in({}), Limits())
    assert reserve(answered, hold, 0, Limits(), may_leave=True)[1:] == (0.0, True)
    assert reserve(b, hold, 0, Limits(rpm=600), may_leave=True)[1:] == (0.0, True)


def test_cost_is_the_prompt_estimate_plus_max_tokens() -> None:
    messages = [{"role": "user", "content": "Summarise the quarterly report in one sentence."}]
    body = {"messages": messages, "max_tokens": 200}
    assert cost_of("chat/completions", body) == estimate_message_tokens(messages) + 200
    body = {"messages": messages, "max_completion_tokens": 50, "n": 2}
    assert cost_of("chat/completions", body) == estimate_message_tokens(messages) + 100
    assert cost_of("chat/completions", {"messages": messages}) == (
        estimate_message_tokens(messages) + limiter.DEFAULT_COMPLETION_TOKENS
    )
    texts = ["the warehouse ships pallets", "every Tuesday morning"]
    assert cost_of("embeddings", {"input": texts}) == sum(estimate_tokens(t) for t in texts)
    assert cost_of("images/generations", {"prompt": "a cat"}) == 0


def test_used_is_the_total_of_the_usage() -> None:
    assert limiter.used_of({"usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}) == 12
    assert limiter.used_of({"usage": {"input_tokens": 5, "output_tokens": 7}}) == 12
    assert limiter.used_of({}) is None


# -- the store and a call's pacer -------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def target(**kw: object) -> object:
    return resolve_target(
        azure_endpoint="https://res.openai.azure.com",
        deployment="gpt-5.2",
        api_key="k",
        **kw,  # type: ignore[arg-type]
    )


def test_one_store_per_clock_and_the_process_store_for_the_real_clock() -> None:
    import time

    a, b = FakeClock(), FakeClock()
    assert store_for(a) is store_for(a)
    assert store_for(a) is not store_for(b)
    assert store_for(time.monotonic) is store_for(time.monotonic)
    # a test that only fakes the sleep still gets a store of its own: its 429s hold no one else
    assert store_for(time.monotonic, len) is not store_for(time.monotonic)


def test_a_budget_per_resource_and_deployment_whatever_client_names_it() -> None:
    t1 = resolve_target(azure_endpoint="https://res.openai.azure.com/", deployment="gpt-5.2", api_key="k")
    t2 = resolve_target(resource_name="res", deployment="gpt-5.2", api_key="other")
    assert key_of(t1, None) == key_of(t2, None) == "https://res.openai.azure.com/openai|gpt-5.2"
    assert key_of(t1, "gpt-5-mini") != key_of(t1, None)


def test_pacers_of_two_calls_share_the_429_of_either() -> None:
    clock = FakeClock()
    t = target()
    first, second = Pacer(clock), Pacer(clock)
    assert first.before(1, t, None, lambda: 10) == 0.0  # the probe
    first.refused(429, {"retry-after-ms": "2500"}, 2.5, 2.5)
    assert second.before(1, t, None, lambda: 10) == pytest.approx(2.5)
    assert second.before(1, t, None, lambda: 10) == 0.0  # reserved: the driver asks again after its sleep
    # the refused call slept its own advice: it does not wait for it twice
    clock.now += 2.5
    assert first.before(2, t, None, lambda: 10) == 0.0


def test_declared_limits_come_from_the_target() -> None:
    clock = FakeClock()
    t = target(rpm=60)
    got = [Pacer(clock).before(1, t, None, lambda: 0) for _ in range(3)]  # no probe: the limit is known
    assert got == pytest.approx([0.0, 1 / SAFETY, 2 / SAFETY])


def test_an_error_answer_gives_its_reservation_back() -> None:
    store = LocalPacingStore()
    limits = Limits(tpm=60_000)
    key = "k"
    assert store.reserve(key, 0.0, 900, limits) == (0.0, True)
    before = store.budget(key).tok_tat
    store.release(key, 900, limits)
    assert store.budget(key).tok_tat == pytest.approx(before - 900 / (1000 * SAFETY))


@pytest.mark.parametrize("value", [0, -5, 1.5, "600", True])
def test_declared_limits_must_be_positive_whole_numbers(value: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        target(rpm=value)
    assert info.value.setting == "rpm"
    assert f"rpm={value!r} must be a positive whole number of requests per minute" in str(info.value)
    with pytest.raises(ConfigurationError, match="tokens per minute") as info:
        target(tpm=value)
    assert info.value.setting == "tpm"


def test_declared_limits_are_kept_on_the_target() -> None:
    t = resolve_target(azure_endpoint="https://res.openai.azure.com", deployment="d", api_key="k", rpm=600, tpm=100_000)
    assert (t.rpm, t.tpm) == (600, 100_000)  # type: ignore[attr-defined]


def test_a_probe_that_got_no_answer_lets_the_next_caller_probe() -> None:
    b, _, _ = reserve(Budget(), 0.0, 0, Limits())
    assert reserve(b, 0.1, 0, Limits())[2] is False
    b = limiter.release(b, 0, Limits())  # connection refused: the server never counted it
    assert reserve(b, 0.1, 0, Limits())[1:] == (0.0, True)


def test_a_lost_request_says_whether_the_deployment_ever_answered() -> None:
    clock = FakeClock()
    t = target()
    probe = Pacer(clock)
    assert probe.before(1, t, None, lambda: 0) == 0.0
    assert probe.lost() is True  # its first request: no answer yet (the caller trips the breaker)
    probe.before(2, t, None, lambda: 0)
    probe.answered({})
    probe.before(3, t, None, lambda: 0)
    assert probe.lost() is False
    assert Pacer(clock).lost() is False  # no attempt paced: nothing to say


def test_a_wait_longer_than_the_call_accepts_is_not_booked() -> None:
    # a daily quota's 429 (retry-after: 86400) must not hold other calls for a day: they go, and
    # Azure's answer raises RateLimitError naming the wait
    b = block(ANSWERED, 0.0, 86_400.0, Limits())
    assert reserve(b, 1.0, 0, Limits(), max_wait=60.0) == (b, 0.0, False)
    clock = FakeClock()
    t = target()
    first, second = Pacer(clock), Pacer(clock)
    first.before(1, t, None, lambda: 0)
    first.refused(429, {"retry-after": "86400"}, 86_400.0, 86_400.0)
    assert second.before(1, t, None, lambda: 0, max_wait=60.0) == 0.0
    assert second.charged is None  # nothing booked, nothing to give back


# -- through the client: the drivers sleep what the budget says ------------------------------------


def test_calls_of_a_client_are_charged_their_estimate_and_settled_at_their_usage() -> None:
    from shared_core import ChatRequest
    from shared_core.client import CoreClient
    from shared_core.policy.call import Hooks

    clock = FakeClock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    def answer(request: httpx.Request) -> httpx.Response:
        usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
        choice = {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
        body = {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [choice], "usage": usage}
        return httpx.Response(200, json=body)

    t = resolve_target(
        azure_endpoint="https://pace.openai.azure.com", deployment="gpt-5.2", api_key="k", tpm=6000
    )  # 100 tokens/s, a bucket of 97
    hooks = Hooks(sleep=sleep, clock=clock)
    core = CoreClient(t, http_client=httpx.Client(transport=httpx.MockTransport(answer)), hooks=hooks)
    messages = [{"role": "user", "content": "hi"}]
    req = ChatRequest(messages=messages, max_tokens=500)
    rate = 100 * SAFETY  # the bucket holds `rate` tokens
    core.chat(req)  # a full bucket: no wait; charged its estimate (> the bucket), settled at 30
    core.chat(req)
    # the first left 30 tokens used: the second waits for those to come back, not for its estimate
    assert slept == pytest.approx([30 / rate])
    assert store_for(clock, sleep, hooks.asleep).budget(key_of(t, None)).tok_tat == pytest.approx(1000.0 + 60 / rate)
