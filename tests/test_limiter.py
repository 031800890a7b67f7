"""The shared LLM rate limiter, on virtual time.

Each test runs its scenario on a :class:`VirtualLoop`. Its clock jumps straight to the next
timer whenever every task is waiting, so minutes of pacing run in milliseconds and nothing
sleeps for real. The limiter reads the same clock (``clock=loop.time``). A loop with nothing
left to wake raises :class:`Deadlock` instead of hanging, which is how a wedged queue shows.
"""

from __future__ import annotations

import asyncio
import math
import random
import selectors
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from voidmail import limiter
from voidmail.errors import RetryableError

T = TypeVar("T")
BIG = 10**9


class Deadlock(RuntimeError):
    """Every task waits and no timer is set: nothing could ever run again."""


class VirtualSelector(selectors.DefaultSelector):
    """A selector that, instead of blocking, moves a virtual clock to the next timer."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise Deadlock("every task waits and no timer is set")
        self.now += timeout
        return ready


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual and advances only when the loop is idle."""

    def __init__(self) -> None:
        self._virtual = VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with asyncio.Runner(loop_factory=VirtualLoop) as runner:
        return runner.run(scenario())


def now() -> float:
    return asyncio.get_running_loop().time()


def make(
    rpm: int = 60,
    tpm: int = BIG,
    rpd: int = BIG,
    tpd: int = BIG,
    *,
    burst: int = 1,
    margin: float = 0.0,
) -> limiter.Limiter:
    """A limiter on the running virtual loop's clock; limits that are not under test are huge."""
    return limiter.Limiter(
        rpm, tpm, rpd, tpd, clock=asyncio.get_running_loop().time, burst=burst, margin=margin
    )


async def grant_times(lim: limiter.Limiter, count: int, tokens: int = 1) -> list[float]:
    """Acquires ``count`` times in a row, settling each at once; returns the grant times."""
    times = []
    for _ in range(count):
        reservation = await lim.acquire(tokens)
        times.append(now())
        reservation.settle(tokens)
    return times


# ------------------------------------------------------------------------------------- pacing


def test_requests_are_evenly_spaced_at_60_over_rpm() -> None:
    async def scenario() -> list[float]:
        return await grant_times(make(rpm=60), 5)

    assert run(scenario) == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0])


def test_burst_lets_a_few_go_at_once_then_paces() -> None:
    async def scenario() -> list[float]:
        return await grant_times(make(rpm=30, burst=3), 6)

    assert run(scenario) == pytest.approx([0.0, 0.0, 0.0, 2.0, 4.0, 6.0])


def test_a_lower_limit_the_provider_states_slows_the_pace_and_a_higher_one_is_ignored() -> None:
    async def scenario() -> tuple[list[float], list[tuple[str, int, int]], list[float]]:
        lim = make(rpm=60)
        before = await grant_times(lim, 2)
        changes = lim.adopt(rpm=30, tpm=BIG * 2, rpd=0)  # more than ours, and nonsense
        return before, changes, await grant_times(lim, 3)

    before, changes, after = run(scenario)
    assert before == pytest.approx([0.0, 1.0])
    assert changes == [("rpm", 60, 30)]
    assert after == pytest.approx([2.0, 4.0, 6.0])  # from the pace already set, then 2 s apart


def test_observe_adopts_the_limits_the_headers_state() -> None:
    async def scenario() -> tuple[list[tuple[str, int, int]], tuple[int, int, int, int]]:
        lim = make(rpm=60, tpm=8000, rpd=1000)
        changes = lim.observe(
            {"x-ratelimit-limit-tokens": "6000", "x-ratelimit-limit-requests": "14400"}
        )
        return changes, lim.limits

    changes, limits = run(scenario)
    assert changes == [("tpm", 8000, 6000)]
    assert limits == (60, 6000, 1000, BIG)


def test_tokens_are_paced_at_60_over_tpm() -> None:
    async def scenario() -> list[float]:
        # 600 tokens a minute: a 100-token request buys 10 s of the pace.
        return await grant_times(make(rpm=1000, tpm=600), 4, tokens=100)

    assert run(scenario) == pytest.approx([0.0, 10.0, 20.0, 30.0])


def test_waiters_are_served_in_arrival_order() -> None:
    async def scenario() -> list[int]:
        lim = make(rpm=60)
        order: list[int] = []

        async def worker(number: int, tokens: int) -> None:
            reservation = await lim.acquire(tokens)
            order.append(number)
            reservation.settle()

        # A big request queued first is not overtaken by the small ones behind it.
        await asyncio.gather(*(worker(n, 50 if n == 1 else 1) for n in range(6)))
        return order

    assert run(scenario) == [0, 1, 2, 3, 4, 5]


# ------------------------------------------------------------------------ the window invariant


@dataclass(frozen=True)
class Sent:
    """A request as the provider saw it: when it counted it and how many tokens it cost."""

    at: float
    tokens: int


def most_in_any_window(sent: list[Sent], span: float = 60.0) -> tuple[int, int]:
    """The most requests and tokens a strict sliding window of ``span`` seconds ever held, as
    the emulator counts: at each arrival, everything that arrived less than ``span`` before."""
    ordered = sorted(sent, key=lambda s: s.at)
    worst_requests = worst_tokens = 0
    start = 0
    tokens = 0
    for end, request in enumerate(ordered):
        tokens += request.tokens
        while request.at - ordered[start].at >= span:
            tokens -= ordered[start].tokens
            start += 1
        worst_requests = max(worst_requests, end - start + 1)
        worst_tokens = max(worst_tokens, tokens)
    return worst_requests, worst_tokens


def bucket_overdraft(sent: list[Sent], capacity: int, per_minute: int, *, tokens: bool) -> float:
    """The worst deficit of a provider token bucket (full at the start) fed ``sent``."""
    level, last, worst = float(capacity), 0.0, 0.0
    for request in sorted(sent, key=lambda s: s.at):
        level = min(capacity, level + (request.at - last) * per_minute / 60)
        last = request.at
        level -= request.tokens if tokens else 1
        worst = min(worst, level)
    return -worst


def simulate(
    *, rpm: int, tpm: int, requests: int, workers: int, seed: int, burst: int
) -> tuple[list[Sent], float]:
    """Workers share one limiter over a network with random latency. The provider counts each
    request at a random moment between its send and its answer, with its real tokens (below
    the estimate). Returns what the provider saw and when the last answer came back."""

    async def scenario() -> tuple[list[Sent], float]:
        rng = random.Random(seed)
        lim = make(rpm=rpm, tpm=tpm, burst=burst)
        jobs: asyncio.Queue[int] = asyncio.Queue()
        for _ in range(requests):
            jobs.put_nowait(rng.randint(80, 400))  # the estimate: prompt + max_tokens
        sent: list[Sent] = []

        async def worker() -> None:
            while not jobs.empty():
                estimate = jobs.get_nowait()
                reservation = await lim.acquire(estimate)
                latency = rng.uniform(0.05, 4.0)
                actual = rng.randint(estimate // 2, estimate)
                sent.append(Sent(now() + rng.uniform(0.0, latency), actual))
                await asyncio.sleep(latency)
                reservation.settle(actual)

        await asyncio.gather(*(worker() for _ in range(workers)))
        return sent, now()

    return run(scenario)


@pytest.mark.parametrize(
    ("rpm", "tpm", "burst", "seed"),
    [
        (30, BIG, 3, 1),  # requests bind
        (120, 12_000, 3, 2),  # tokens bind
        (30, 6_000, 1, 3),  # both close, no burst
        (60, 20_000, 5, 4),  # a bigger burst
    ],
)
def test_no_sliding_window_ever_holds_more_than_the_limits(
    rpm: int, tpm: int, burst: int, seed: int
) -> None:
    sent, _ = simulate(rpm=rpm, tpm=tpm, requests=4 * rpm, workers=8, seed=seed, burst=burst)

    worst_requests, worst_tokens = most_in_any_window(sent)
    assert worst_requests <= rpm
    assert worst_tokens <= tpm
    # The same traffic never overdraws a provider that counts in token buckets instead.
    assert bucket_overdraft(sent, rpm, rpm, tokens=False) == 0
    if tpm < BIG:
        assert bucket_overdraft(sent, tpm, tpm, tokens=True) == 0


def test_a_sustained_run_uses_at_least_90_percent_of_the_limit() -> None:
    rpm = 30
    sent, _ = simulate(rpm=rpm, tpm=BIG, requests=6 * rpm, workers=8, seed=5, burst=3)

    times = sorted(s.at for s in sent)
    rate = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert rate >= 0.9 * rpm
    assert most_in_any_window(sent)[0] == rpm  # The window is filled, never overfilled.


def test_a_naive_token_bucket_would_break_the_window() -> None:
    """The reason for the log: a bucket of B + R/60 per second admits B + R in a minute."""
    rpm, burst = 30, 3
    sent = [Sent(0.0, 1) for _ in range(burst)]
    sent += [Sent((i + 1) * 60 / rpm, 1) for i in range(rpm)]
    assert most_in_any_window(sent)[0] > rpm  # what the limiter's log prevents


# ------------------------------------------------------------------------- settle and cancel


def test_settle_puts_the_real_tokens_in_place_of_the_estimate() -> None:
    async def scenario() -> tuple[float, float]:
        lim = make(rpm=1000, tpm=1000)
        first = await lim.acquire(800)
        first.settle(100)  # The estimate was far too high.
        await lim.acquire(800)
        corrected = now()
        assert lim.minute_usage == (2, 900)

        lim = make(rpm=1000, tpm=1000)
        start = now()
        first = await lim.acquire(100)
        first.settle(700)  # ... or too low: the window holds the real count.
        second = await lim.acquire(400)
        second.settle(0)
        return corrected, now() - start

    corrected, undercounted = run(scenario)
    assert corrected == pytest.approx(100 * 60 / 1000)  # 100 tokens of pace, not 800
    assert undercounted == pytest.approx(60.0)  # 700 + 400 > 1000: wait for the 700 to expire


def test_a_reservation_ends_exactly_once() -> None:
    async def scenario() -> None:
        lim = make()
        reservation = await lim.acquire(10)
        reservation.settle(5)
        assert reservation.done
        with pytest.raises(RuntimeError):
            reservation.settle(5)
        with pytest.raises(RuntimeError):
            reservation.cancel()

    run(scenario)


def test_cancelled_reservation_gives_its_budget_back() -> None:
    async def scenario() -> float:
        lim = make(rpm=60, tpm=100)
        reservation = await lim.acquire(100)
        reservation.cancel()  # Never sent.
        assert lim.minute_usage == (0, 0)
        await lim.acquire(100)
        return now()

    assert run(scenario) == 0.0


def test_oversized_request_is_capped_to_the_minute_budget() -> None:
    async def scenario() -> int:
        lim = make(rpm=60, tpm=1000)
        reservation = await lim.acquire(5000)
        return reservation.tokens

    assert run(scenario) == 1000


# --------------------------------------------------------------------------- provider signals


def test_observe_holds_what_the_provider_says_is_used() -> None:
    async def scenario() -> float:
        lim = make(rpm=1000, tpm=1000)
        lim.observe({"x-ratelimit-remaining-tokens": "100", "x-ratelimit-reset-tokens": "7.66s"})
        assert lim.minute_usage == (0, 900)
        reservation = await lim.acquire(500)
        reservation.settle(500)
        return now()

    assert run(scenario) == pytest.approx(7.66)


def test_observe_ignores_a_provider_that_has_more_left_or_garbage() -> None:
    async def scenario() -> None:
        lim = make(rpm=1000, tpm=1000)
        (await lim.acquire(300)).settle(300)
        lim.observe({"X-RateLimit-Remaining-Tokens": "950", "x-ratelimit-reset-tokens": "1s"})
        lim.observe({"x-ratelimit-remaining-tokens": "many", "x-ratelimit-reset-requests": "?"})
        assert lim.minute_usage == (1, 300)

    run(scenario)


def test_observe_reads_the_day_from_the_request_headers() -> None:
    async def scenario() -> None:
        lim = make(rpm=1000, rpd=1000)
        lim.observe(
            {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2m59.56s"}
        )
        assert lim.daily_exhausted
        with pytest.raises(limiter.DailyLimitReached) as caught:
            await lim.acquire(1)
        assert caught.value.retry_after == pytest.approx(179.56)
        assert now() == 0.0

    run(scenario)


def test_penalize_holds_everything_then_resumes_without_a_burst() -> None:
    async def scenario() -> list[float]:
        lim = make(rpm=60, burst=3)
        lim.penalize(5.0)
        return await grant_times(lim, 3)

    assert run(scenario) == pytest.approx([5.0, 6.0, 7.0])


def test_penalize_holds_callers_already_waiting() -> None:
    async def scenario() -> float:
        lim = make(rpm=60)
        (await lim.acquire(1)).settle()
        waiting = asyncio.create_task(lim.acquire(1))
        await asyncio.sleep(0.5)
        lim.penalize(10.0)
        (await waiting).settle()
        return now()

    assert run(scenario) == pytest.approx(10.5)


# ---------------------------------------------------------------------------------- daily


def test_daily_requests_spent_raise_at_once_with_the_time_to_reset() -> None:
    async def scenario() -> None:
        lim = make(rpm=60, rpd=3)
        assert await grant_times(lim, 3) == pytest.approx([0.0, 1.0, 2.0])
        assert lim.daily_exhausted  # No request can go any more.
        with pytest.raises(limiter.DailyLimitReached) as caught:
            await lim.acquire(1)
        assert isinstance(caught.value, RetryableError)
        assert caught.value.retry_after == pytest.approx(limiter.DAY - 2.0)
        assert now() == 2.0  # Raised at once, no waiting.
        assert lim.daily_exhausted
        assert lim.daily_usage == (3, 3)

    run(scenario)


def test_daily_tokens_spent_raise_for_a_request_that_does_not_fit() -> None:
    async def scenario() -> None:
        lim = make(rpm=60, tpd=1000)
        (await lim.acquire(600)).settle(600)
        with pytest.raises(limiter.DailyLimitReached) as caught:
            await lim.acquire(600)
        assert caught.value.retry_after == pytest.approx(limiter.DAY)
        (await lim.acquire(400)).settle(400)  # A small one still fits today.

    run(scenario)


def test_seed_daily_counts_usage_from_before_a_restart() -> None:
    async def scenario() -> None:
        lim = make(rpd=100, tpd=10_000)
        lim.seed_daily(99, 9_000, expires_in=3600.0)
        assert lim.daily_usage == (99, 9_000)
        (await lim.acquire(500)).settle(500)
        with pytest.raises(limiter.DailyLimitReached) as caught:
            await lim.acquire(1)
        assert caught.value.retry_after == pytest.approx(3600.0)

        fresh = make(rpd=100)
        fresh.seed_daily(100, 0)
        with pytest.raises(limiter.DailyLimitReached) as caught:
            await fresh.acquire(1)
        assert caught.value.retry_after == pytest.approx(limiter.DAY)

    run(scenario)


def test_daily_penalty_refuses_and_fails_the_queue() -> None:
    async def scenario() -> None:
        lim = make(rpm=60)
        (await lim.acquire(1)).settle()
        queued = [asyncio.create_task(lim.acquire(1)) for _ in range(3)]
        await asyncio.sleep(0.1)
        lim.penalize(600.0, daily=True)  # A daily-limit 429 seen by another worker.
        results = await asyncio.gather(*queued, return_exceptions=True)
        assert all(isinstance(r, limiter.DailyLimitReached) for r in results)
        assert lim.daily_exhausted
        assert now() == pytest.approx(0.1)

    run(scenario)


def test_the_day_comes_back() -> None:
    async def scenario() -> None:
        lim = make(rpm=60, rpd=1)
        (await lim.acquire(1)).settle()
        with pytest.raises(limiter.DailyLimitReached) as caught:
            await lim.acquire(1)
        assert caught.value.retry_after is not None
        await asyncio.sleep(caught.value.retry_after)
        assert not lim.daily_exhausted
        (await lim.acquire(1)).settle()

    run(scenario)


# ---------------------------------------------------------------------------- cancellation


def test_cancelling_a_waiting_acquire_holds_nothing_and_wedges_nobody() -> None:
    async def scenario() -> None:
        lim = make(rpm=60)
        (await lim.acquire(1)).settle()
        second = asyncio.create_task(lim.acquire(1))
        third = asyncio.create_task(lim.acquire(1))
        await asyncio.sleep(0.5)
        assert lim.waiting == 2
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        (await third).settle()
        assert now() == pytest.approx(1.0)  # third takes the slot second would have had
        assert lim.waiting == 0
        assert lim.minute_usage == (2, 2)

    run(scenario)


def test_cancelling_the_head_blocked_by_requests_in_flight() -> None:
    async def scenario() -> None:
        lim = make(rpm=2, burst=2)
        in_flight = [await lim.acquire(1), await lim.acquire(1)]
        head = asyncio.create_task(lim.acquire(1))
        behind = asyncio.create_task(lim.acquire(1))
        await asyncio.sleep(1.0)
        head.cancel()
        await asyncio.gather(head, return_exceptions=True)
        for reservation in in_flight:
            reservation.cancel()  # Never sent after all: the window is empty again.
        (await behind).settle()
        assert now() == pytest.approx(1.0)

    run(scenario)


def test_a_grant_that_races_a_cancellation_is_given_back() -> None:
    async def scenario() -> None:
        lim = make(rpm=60, tpm=100)
        first = await lim.acquire(100)
        racing = asyncio.create_task(lim.acquire(100))
        behind = asyncio.create_task(lim.acquire(100))
        await asyncio.sleep(0)
        first.cancel()  # Grants `racing` synchronously ...
        racing.cancel()  # ... which is cancelled before it could run.
        with pytest.raises(asyncio.CancelledError):
            await racing
        (await behind).settle(100)
        assert lim.minute_usage == (1, 100)

    run(scenario)


def test_a_limiter_can_move_to_a_new_loop_when_idle() -> None:
    lim = limiter.Limiter(60, BIG, BIG, BIG, burst=1, margin=0.0)

    async def once() -> None:
        (await lim.acquire(1)).cancel()

    asyncio.run(once())
    asyncio.run(once())


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="rpm"):
        limiter.Limiter(0, 1, 1, 1)
    with pytest.raises(ValueError, match="burst"):
        limiter.Limiter(1, 1, 1, 1, burst=0)

    async def negative() -> None:
        await make().acquire(-1)

    with pytest.raises(ValueError, match="negative"):
        run(negative)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("7.66s", 7.66),
        ("2m59.56s", 179.56),
        ("660ms", 0.66),
        ("1h2m3.5s", 3723.5),
        ("24h0m0s", 86400.0),
        ("0s", 0.0),
        ("12", 12.0),
        ("", None),
        ("soon", None),
        ("5s later", None),
        (None, None),
    ],
)
def test_parse_duration(text: str | None, seconds: float | None) -> None:
    result = limiter.parse_duration(text)
    if seconds is None:
        assert result is None
    else:
        assert result is not None
        assert math.isclose(result, seconds)


def test_a_share_of_the_day_is_spent_before_the_whole_day_and_comes_back_with_the_window() -> None:
    async def scenario() -> None:
        lim = make(rpm=60, rpd=10, tpd=1_000_000)
        assert await grant_times(lim, 6) == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
        # 6 of 10 used: a class allowed 60 % may not send a 7th, one allowed 85 % may.
        assert lim.share_wait(0.6) == pytest.approx(limiter.DAY - 5.0)
        assert lim.share_wait(0.85) == 0.0
        assert lim.share_wait(1.0) == 0.0
        # Across the day boundary the share comes back as the first requests age out.
        await asyncio.sleep(limiter.DAY - 5.0 + 0.5)
        assert lim.share_wait(0.6) == 0.0

    run(scenario)
