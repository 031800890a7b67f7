"""The shared circuit breaker, on a fake clock."""

from __future__ import annotations

import pytest

from voidmail import breaker
from voidmail.breaker import BreakerState
from voidmail.errors import RetryableError

THRESHOLD = 3
RESET = 120.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def state_of(cb: breaker.CircuitBreaker) -> BreakerState:
    """The state, read through a call so mypy does not narrow the property between reads."""
    return cb.state


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cb(clock: Clock) -> breaker.CircuitBreaker:
    return breaker.CircuitBreaker(THRESHOLD, RESET, clock=clock)


def fail(cb: breaker.CircuitBreaker, times: int) -> None:
    for _ in range(times):
        cb.acquire()
        cb.record_failure()


def test_closed_lets_everything_through(cb: breaker.CircuitBreaker) -> None:
    assert state_of(cb) is BreakerState.CLOSED
    for _ in range(10):
        cb.check()
        assert cb.allow()
        cb.record_success()
    assert state_of(cb) is BreakerState.CLOSED


def test_opens_after_threshold_consecutive_failures(cb: breaker.CircuitBreaker) -> None:
    fail(cb, THRESHOLD - 1)
    assert state_of(cb) is BreakerState.CLOSED
    assert cb.failures == THRESHOLD - 1
    fail(cb, 1)
    assert state_of(cb) is BreakerState.OPEN


def test_a_success_resets_the_count(cb: breaker.CircuitBreaker) -> None:
    fail(cb, THRESHOLD - 1)
    cb.record_success()
    fail(cb, THRESHOLD - 1)
    assert state_of(cb) is BreakerState.CLOSED


def test_release_neither_counts_nor_resets(cb: breaker.CircuitBreaker) -> None:
    fail(cb, THRESHOLD - 1)
    for _ in range(5):
        cb.acquire()
        cb.release()  # a 401, say: the caller's business, not the provider's health
    assert cb.failures == THRESHOLD - 1
    fail(cb, 1)
    assert state_of(cb) is BreakerState.OPEN


def test_open_refuses_with_the_time_until_half_open(
    cb: breaker.CircuitBreaker, clock: Clock
) -> None:
    fail(cb, THRESHOLD)
    clock.now += 20.0
    with pytest.raises(breaker.BreakerOpen) as caught:
        cb.acquire()
    assert isinstance(caught.value, RetryableError)
    assert caught.value.retry_after == pytest.approx(RESET - 20.0)
    with pytest.raises(breaker.BreakerOpen):
        cb.check()
    assert not cb.allow()


def test_half_open_lets_exactly_one_probe_through(cb: breaker.CircuitBreaker, clock: Clock) -> None:
    fail(cb, THRESHOLD)
    clock.now += RESET
    assert state_of(cb) is BreakerState.HALF_OPEN
    cb.check()  # A probe could go: check() says so without taking it.
    cb.acquire()  # The probe.
    for _ in range(3):
        with pytest.raises(breaker.BreakerOpen) as caught:
            cb.acquire()
        assert caught.value.retry_after == min(RESET, breaker.HALF_OPEN_RECHECK)
        with pytest.raises(breaker.BreakerOpen):
            cb.check()
    cb.record_success()
    assert state_of(cb) is BreakerState.CLOSED
    assert cb.failures == 0
    cb.acquire()


def test_a_failed_probe_reopens_for_a_fresh_timeout(
    cb: breaker.CircuitBreaker, clock: Clock
) -> None:
    fail(cb, THRESHOLD)
    clock.now += RESET + 5.0
    cb.acquire()
    cb.record_failure()
    assert state_of(cb) is BreakerState.OPEN
    with pytest.raises(breaker.BreakerOpen) as caught:
        cb.acquire()
    assert caught.value.retry_after == pytest.approx(RESET)
    clock.now += RESET
    assert state_of(cb) is BreakerState.HALF_OPEN


def test_a_released_probe_frees_the_slot(cb: breaker.CircuitBreaker, clock: Clock) -> None:
    fail(cb, THRESHOLD)
    clock.now += RESET
    cb.acquire()
    cb.release()  # The probe was cancelled: no verdict.
    assert state_of(cb) is BreakerState.HALF_OPEN
    cb.acquire()  # The next caller probes instead.
    with pytest.raises(breaker.BreakerOpen):
        cb.acquire()


def test_a_probe_that_never_reports_is_given_up(cb: breaker.CircuitBreaker, clock: Clock) -> None:
    fail(cb, THRESHOLD)
    clock.now += RESET
    cb.acquire()
    clock.now += RESET
    cb.acquire()  # The lost probe no longer blocks the breaker forever.


def test_late_verdicts_while_open_change_nothing(cb: breaker.CircuitBreaker, clock: Clock) -> None:
    fail(cb, THRESHOLD)
    clock.now += 60.0
    cb.record_failure()  # A call let through before it opened; the timeout stands.
    cb.record_success()
    assert state_of(cb) is BreakerState.OPEN
    clock.now += RESET - 60.0
    assert state_of(cb) is BreakerState.HALF_OPEN


def test_listeners_see_every_transition_once(cb: breaker.CircuitBreaker, clock: Clock) -> None:
    seen: list[tuple[BreakerState, BreakerState]] = []
    unsubscribe = cb.subscribe(lambda old, new: seen.append((old, new)))
    fail(cb, THRESHOLD)
    cb.record_failure()  # Late failures after opening don't repeat the transition.
    clock.now += RESET
    cb.acquire()
    cb.record_failure()
    clock.now += RESET
    cb.acquire()
    cb.record_success()
    assert seen == [
        (BreakerState.CLOSED, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
        (BreakerState.HALF_OPEN, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
        (BreakerState.HALF_OPEN, BreakerState.CLOSED),
    ]
    unsubscribe()
    unsubscribe()  # Idempotent.
    fail(cb, THRESHOLD)
    assert len(seen) == 5


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="threshold"):
        breaker.CircuitBreaker(0, 1.0)
    with pytest.raises(ValueError, match="reset_timeout"):
        breaker.CircuitBreaker(1, 0.0)
