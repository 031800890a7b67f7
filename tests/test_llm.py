"""The Groq client against the real Groq emulator, through the official SDK.

The emulator, the limiter and the breaker share one fake clock the tests move by hand. The
client's short retries sleep on a fake ``sleep`` that moves it too, so nothing sleeps for real
except the one test of a hung request (a 0.3 s timeout).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog

from voidmail import breaker, limiter, llm
from voidmail.breaker import BreakerState
from voidmail.config import LlmSettings, Secret
from voidmail.errors import ConfigError, PermanentError, RetryableError
from voidmail.rig.groq_emulator import (
    REASONING_TOKENS,
    EmulatorLimits,
    GroqEmulator,
    default_responder,
    estimate_prompt_tokens,
    estimate_tokens,
)

KEY = "gsk_test_key"
MODEL = "openai/gpt-oss-20b"
MESSAGES = [
    {"role": "system", "content": "Eres el asistente de una tienda online."},
    {"role": "user", "content": "¿Dónde está mi pedido 1234?"},
]
PROMPT_TOKENS = estimate_prompt_tokens(MESSAGES)
ANSWER_TOKENS = estimate_tokens(default_responder({}))
THRESHOLD = 3
RESET = 120.0
ROOMY = EmulatorLimits(rpm=1000, tpm=1_000_000, rpd=1_000_000, tpd=100_000_000)


def state_of(cb: breaker.CircuitBreaker) -> BreakerState:
    """The state, read through a call so mypy does not narrow the property between reads."""
    return cb.state


class FakeClock:
    """A monotonic clock moved by hand; read from the emulator's thread as well."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 5000.0

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class FakeSleep:
    """Records the client's waits and moves the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[GroqEmulator]:
    with GroqEmulator(ROOMY, api_key=KEY, clock=clock) as emu:
        yield emu


@pytest.fixture
def lim(clock: FakeClock) -> limiter.Limiter:
    # Limits far above what the tests send, and a burst big enough that the pace never makes a
    # caller wait: the fake clock only moves when a test says so.
    return limiter.Limiter(10_000, 10_000_000, 1_000_000, 1_000_000_000, clock=clock, burst=1000)


@pytest.fixture
def cb(clock: FakeClock) -> breaker.CircuitBreaker:
    return breaker.CircuitBreaker(THRESHOLD, RESET, clock=clock)


@pytest.fixture
def sleep(clock: FakeClock) -> FakeSleep:
    return FakeSleep(clock)


def settings_for(base_url: str, **changes: Any) -> LlmSettings:
    values: dict[str, Any] = {
        "api_key": Secret(KEY),
        "base_url": base_url,
        "model": MODEL,
        "reasoning_effort": "low",
        "max_tokens": 150,
        "timeout": 5.0,
    }
    values.update(changes)
    return LlmSettings(**values)


@pytest.fixture
async def client(
    emulator: GroqEmulator,
    lim: limiter.Limiter,
    cb: breaker.CircuitBreaker,
    clock: FakeClock,
    sleep: FakeSleep,
) -> AsyncIterator[llm.LlmClient]:
    async with llm.LlmClient(
        settings_for(emulator.base_url), lim, cb, clock=clock, sleep=sleep
    ) as sdk_client:
        yield sdk_client


async def test_a_completion_is_paced_settled_and_observed(
    emulator: GroqEmulator, client: llm.LlmClient, lim: limiter.Limiter
) -> None:
    # The provider says its minute budget is far smaller than we were told: the limiter must
    # believe the provider.
    emulator.set_limits(EmulatorLimits(rpm=1000, tpm=5000, rpd=1_000_000, tpd=100_000_000))
    completion = await client.complete(MESSAGES)

    cost = PROMPT_TOKENS + REASONING_TOKENS["low"] + ANSWER_TOKENS
    assert completion.text == default_responder({})
    assert completion.finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.prompt_tokens == PROMPT_TOKENS
    assert completion.completion_tokens == REASONING_TOKENS["low"] + ANSWER_TOKENS
    assert completion.reasoning_tokens == REASONING_TOKENS["low"]
    assert completion.headers["x-ratelimit-remaining-tokens"] == str(5000 - cost)
    assert all(name.startswith("x-ratelimit-") for name in completion.headers)
    # Settled with usage.total_tokens: the day counts the real cost, not the estimate.
    assert lim.daily_usage == (1, cost)
    # Observed: the provider's limit is ours now, and what is left of it is what it says.
    assert lim.limits[1] == 5000
    _, minute_tokens = lim.minute_usage
    assert 5000 - minute_tokens == 5000 - cost

    (record,) = emulator.requests
    assert record.request is not None
    assert record.request["reasoning_effort"] == "low"
    assert record.request["include_reasoning"] is False
    assert record.request["max_completion_tokens"] == 150


async def test_the_estimate_errs_high() -> None:
    long = [{"role": "user", "content": "Hola, quisiera saber el estado de mi pedido. " * 40}]
    for messages in (MESSAGES, long):
        assert llm.estimate_prompt_tokens(messages) >= estimate_prompt_tokens(messages)


async def test_reasoning_model_with_low_effort_answers_within_150_tokens(
    client: llm.LlmClient,
) -> None:
    completion = await client.complete(MESSAGES, max_tokens=150)
    assert completion.text
    assert completion.finish_reason == "stop"


async def test_reasoning_inlined_in_think_tags_is_stripped(
    emulator: GroqEmulator, client: llm.LlmClient
) -> None:
    emulator.set_responder(lambda request: "<think>\nthe customer wants\n</think>\n\nHola.")
    assert (await client.complete(MESSAGES)).text == "Hola."
    emulator.set_responder(lambda request: "<think>cut short by max_tokens")
    assert (await client.complete(MESSAGES)).text == ""


async def test_a_non_reasoning_model_gets_no_reasoning_parameters(
    lim: limiter.Limiter, cb: breaker.CircuitBreaker
) -> None:
    with GroqEmulator(ROOMY, api_key=KEY, models=["llama-4-scout"]) as other:
        settings = settings_for(other.base_url, model="llama-4-scout")
        async with llm.LlmClient(settings, lim, cb) as plain:
            completion = await plain.complete(MESSAGES)
        (record,) = other.requests
    assert completion.reasoning_tokens == 0
    assert record.request is not None
    assert "reasoning_effort" not in record.request
    assert "include_reasoning" not in record.request


async def test_wrong_key_is_permanent_and_leaves_the_breaker_closed(
    emulator: GroqEmulator, client: llm.LlmClient, cb: breaker.CircuitBreaker
) -> None:
    emulator.set_api_key("gsk_another")
    for _ in range(THRESHOLD + 1):
        with pytest.raises(llm.LlmAuthError) as caught:
            await client.complete(MESSAGES)
    assert isinstance(caught.value, PermanentError)
    assert "llm.api_key" in str(caught.value)
    assert KEY not in str(caught.value)
    assert state_of(cb) is BreakerState.CLOSED
    assert cb.failures == 0


async def test_retired_model_is_a_model_error(
    emulator: GroqEmulator, lim: limiter.Limiter, cb: breaker.CircuitBreaker
) -> None:
    settings = settings_for(emulator.base_url, model="llama-3.1-8b-instant")
    async with llm.LlmClient(settings, lim, cb) as retired:
        with pytest.raises(llm.LlmModelError) as caught:
            await retired.complete(MESSAGES)
    assert isinstance(caught.value, PermanentError)
    assert "llm.model" in str(caught.value)
    assert cb.failures == 0


async def test_request_larger_than_tpm_is_413_and_permanent(
    emulator: GroqEmulator, client: llm.LlmClient, cb: breaker.CircuitBreaker
) -> None:
    emulator.set_limits(EmulatorLimits(rpm=1000, tpm=500, rpd=100_000, tpd=100_000_000))
    huge = [{"role": "user", "content": "x" * 4000}]
    with pytest.raises(llm.LlmRequestTooLarge):
        await client.complete(huge)
    assert emulator.count_by_status() == {413: 1}
    assert cb.failures == 0


async def test_an_outage_opens_the_breaker_and_one_probe_closes_it(
    emulator: GroqEmulator,
    client: llm.LlmClient,
    cb: breaker.CircuitBreaker,
    clock: FakeClock,
) -> None:
    emulator.set_outage(500)
    for _ in range(THRESHOLD):
        with pytest.raises(llm.LlmUnavailable):
            await client.complete(MESSAGES)
    assert state_of(cb) is BreakerState.OPEN
    assert emulator.received == THRESHOLD

    clock.advance(RESET / 2)
    with pytest.raises(breaker.BreakerOpen) as caught:
        await client.complete(MESSAGES)
    assert caught.value.retry_after == pytest.approx(RESET / 2)
    assert emulator.received == THRESHOLD  # Refused without sending anything.

    emulator.set_outage(None)
    clock.advance(RESET / 2)
    assert state_of(cb) is BreakerState.HALF_OPEN
    assert (await client.complete(MESSAGES)).text
    assert state_of(cb) is BreakerState.CLOSED
    assert emulator.received == THRESHOLD + 1


async def test_a_failed_probe_reopens_the_breaker(
    emulator: GroqEmulator,
    client: llm.LlmClient,
    cb: breaker.CircuitBreaker,
    clock: FakeClock,
) -> None:
    emulator.set_outage(503)
    for _ in range(THRESHOLD):
        with pytest.raises(llm.LlmUnavailable):
            await client.complete(MESSAGES)
    clock.advance(RESET)
    with pytest.raises(llm.LlmUnavailable):
        await client.complete(MESSAGES)  # The probe.
    assert state_of(cb) is BreakerState.OPEN
    with pytest.raises(breaker.BreakerOpen):
        await client.complete(MESSAGES)
    assert emulator.received == THRESHOLD + 1


async def test_a_429_with_a_long_retry_after_goes_to_the_caller(
    emulator: GroqEmulator, client: llm.LlmClient, cb: breaker.CircuitBreaker, sleep: FakeSleep
) -> None:
    emulator.fail_next(429, retry_after=30)
    with pytest.raises(llm.RateLimited) as caught:
        await client.complete(MESSAGES)
    assert isinstance(caught.value, RetryableError)
    assert caught.value.retry_after == pytest.approx(30.0)
    assert emulator.received == 1  # Not retried inside complete().
    assert sleep.waits == []
    assert cb.failures == 1


async def test_a_429_stating_a_lower_limit_lowers_ours_and_says_which_setting(
    emulator: GroqEmulator, client: llm.LlmClient, lim: limiter.Limiter
) -> None:
    # The key allows 2 requests a minute; voidmail was told 10,000.
    emulator.set_limits(EmulatorLimits(rpm=2, tpm=1_000_000, rpd=1_000_000, tpd=100_000_000))
    await client.complete(MESSAGES)
    await client.complete(MESSAGES)
    with structlog.testing.capture_logs() as logs, pytest.raises(llm.RateLimited):
        await client.complete(MESSAGES)
    assert lim.limits[0] == 2
    (warning,) = [entry for entry in logs if entry["event"] == "llm_limit_lowered"]
    assert warning["setting"] == "requests_per_minute"
    assert (warning["configured"], warning["provider"]) == (10_000, 2)


async def test_a_short_429_is_retried_after_its_retry_after(
    emulator: GroqEmulator, client: llm.LlmClient, cb: breaker.CircuitBreaker, sleep: FakeSleep
) -> None:
    emulator.fail_next(429, retry_after=1.5)  # The header says 2 s, the message 1.5 s.
    completion = await client.complete(MESSAGES)
    assert completion.text
    assert emulator.count_by_status() == {429: 1, 200: 1}
    (wait,) = sleep.waits
    assert wait >= 2.0
    assert cb.failures == 0  # The success reset the count.


async def test_a_daily_limit_429_raises_daily_limit_reached(
    emulator: GroqEmulator, client: llm.LlmClient, lim: limiter.Limiter, cb: breaker.CircuitBreaker
) -> None:
    # Tokens per day are in no header: only the 429's message tells.
    emulator.set_limits(EmulatorLimits(rpm=1000, tpm=1_000_000, rpd=100_000, tpd=150))
    await client.complete(MESSAGES)
    with pytest.raises(limiter.DailyLimitReached) as caught:
        await client.complete(MESSAGES)
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 23 * 3600
    assert lim.daily_exhausted
    assert cb.failures == 0  # The limiter handles it; the provider is not unwell.
    with pytest.raises(limiter.DailyLimitReached):
        await client.complete(MESSAGES)
    assert emulator.received == 2  # The third call was refused without sending.


async def test_daily_requests_spent_by_the_headers_stop_sending(
    emulator: GroqEmulator, client: llm.LlmClient, lim: limiter.Limiter
) -> None:
    emulator.set_limits(EmulatorLimits(rpm=1000, tpm=1_000_000, rpd=1, tpd=100_000_000))
    await client.complete(MESSAGES)  # x-ratelimit-remaining-requests: 0, reset 24h0m0s
    with pytest.raises(limiter.DailyLimitReached) as caught:
        await client.complete(MESSAGES)
    assert caught.value.retry_after == pytest.approx(86400.0, abs=5)
    assert emulator.received == 1
    assert emulator.rate_limited == 0


async def test_a_hung_request_times_out_as_unavailable(
    emulator: GroqEmulator,
    lim: limiter.Limiter,
    cb: breaker.CircuitBreaker,
    sleep: FakeSleep,
) -> None:
    emulator.hang_next()
    settings = settings_for(emulator.base_url, timeout=0.3)
    async with llm.LlmClient(settings, lim, cb, sleep=sleep) as impatient:
        with pytest.raises(llm.LlmUnavailable, match="did not answer"):
            await impatient.complete(MESSAGES)
    assert emulator.hung == 1
    assert sleep.waits == []  # A timeout is not retried: the request may still be running.
    assert cb.failures == 1
    # The request may have been counted: it holds its whole estimate.
    assert lim.daily_usage == (1, llm.estimate_prompt_tokens(MESSAGES) + 150)


async def test_a_refused_connection_is_retried_briefly_then_unavailable(
    lim: limiter.Limiter, cb: breaker.CircuitBreaker, clock: FakeClock, sleep: FakeSleep
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_for(f"http://127.0.0.1:{port}")
    async with llm.LlmClient(settings, lim, cb, clock=clock, sleep=sleep) as nowhere:
        with pytest.raises(llm.LlmUnavailable, match="connect"):
            await nowhere.complete(MESSAGES)
    assert len(sleep.waits) == llm.MAX_ATTEMPTS - 1
    assert sum(sleep.waits) <= llm.RETRY_BUDGET
    assert state_of(cb) is BreakerState.OPEN  # Three failed attempts, three failures.


async def test_other_4xx_is_permanent(emulator: GroqEmulator, client: llm.LlmClient) -> None:
    emulator.fail_next(422)
    with pytest.raises(llm.LlmRequestError, match="422"):
        await client.complete(MESSAGES)


def test_an_empty_api_key_is_a_config_error(
    lim: limiter.Limiter, cb: breaker.CircuitBreaker
) -> None:
    with pytest.raises(ConfigError, match=r"llm\.api_key"):
        llm.LlmClient(settings_for("http://127.0.0.1:1", api_key=Secret("")), lim, cb)


def test_backoff_is_exponential_with_full_jitter_and_honours_retry_after() -> None:
    def top() -> float:
        return 0.999999

    assert llm.backoff(1, None, base=30, cap=3600, rng=lambda: 0.5) == pytest.approx(15.0)
    assert llm.backoff(3, None, base=30, cap=3600, rng=top) == pytest.approx(120.0, rel=1e-5)
    assert llm.backoff(30, None, base=30, cap=3600, rng=top) == pytest.approx(3600.0, rel=1e-5)
    assert llm.backoff(10_000, None, rng=top) == pytest.approx(3600.0, rel=1e-5)
    assert llm.backoff(1, 500.0, base=30, rng=lambda: 0.0) == 500.0
    assert llm.backoff(2, 1.0, base=30, rng=lambda: 0.0) == 1.0
    with pytest.raises(ValueError, match="attempt"):
        llm.backoff(0, None)
