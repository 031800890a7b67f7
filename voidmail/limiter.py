"""One rate limiter for every LLM request of the process: per minute and per day.

All workers share one :class:`Limiter`. ``await limiter.acquire(tokens)`` returns when a request
of ``tokens`` estimated tokens (prompt estimate + ``max_tokens``) may be sent, and holds that
budget in a :class:`Reservation`. After the answer, ``reservation.settle(usage.total_tokens)``
puts the real count in its place; a request that was never sent is given back with
``reservation.cancel()``. Every reservation must end in exactly one of the two, or its budget
stays held. Waiters are served first come, first served.

Two mechanisms, because Groq does not say how it counts
-------------------------------------------------------
A provider may count a limit of R per minute in a strict sliding 60 s window or in a token
bucket (capacity about R, refilled at R/60 per second). Neither mechanism alone is safe for both:

* **A token bucket alone is not enough.** A bucket with capacity B and rate R/60 admits B
  requests at once and R more within the minute: B + R in the first 60 s. A strict sliding
  window of R refuses the last B of them.
* **So the hard limit is a log.** The limiter keeps every request sent in the last 60 s (plus
  ``margin``) with its tokens. A request goes only if, with it, the log holds at most R requests
  and T tokens. A request in flight always counts. A finished one is stamped with the time its
  answer came back and counts until 60 s after that. The provider counted it at some moment p
  between our send and our answer. So for any two requests, our "send of the new one minus
  answer of the old one" is at most their distance p_new - p_old on the provider's side.
  Whatever the provider counts within 60 s of p_new, we counted at the send. No 60 s window on
  the provider's side can hold more than R requests or T tokens, however long the network
  takes. ``margin`` (1 s) also covers providers that count in whole-second buckets.
* **The log also satisfies a bucket.** Requests that respect "at most T in any 60 s" also fit a
  bucket of capacity T refilled at T/60 per second: any span of d seconds holds at most
  T * ceil(d / 60) <= T + T * d / 60.
* **The pace keeps it smooth.** The log alone would let R requests go in the first second and
  then stop for a minute. Requests are also paced with a GCRA, a token bucket written as a
  "theoretical arrival time". The pace is one request every 60/R s and 60/T s per token, with
  ``burst`` requests allowed back to back after a pause. With both, a sustained load gets R
  requests every 60 + margin + latency seconds: above 96 % of R for answers within a second.

Adapting to the provider
------------------------
* ``observe(headers)`` reads Groq's ``x-ratelimit-*`` headers. The remaining *tokens per minute*
  and the remaining *requests per day* are compared with our own count. When the provider says
  less is left than we think (another client on the same key, a tokenizer counting more), the
  difference is held as unexplained usage until the header's reset time.
* ``penalize(retry_after)`` after a 429 holds every request until then. The pace then resumes
  without a burst.
* ``adopt(...)`` lowers a limit the provider states below the configured one: the
  ``x-ratelimit-limit-*`` headers (tokens per minute, requests per day) and the "Limit N" of a
  429's message. A configuration that promises more than the key has would otherwise earn a 429
  every minute. Limits are never raised: more than configured is the operator's call.

Daily limits
------------
Requests and tokens per day are counted in a sliding 24 h log, the same way. When the day's
budget cannot take a request, ``acquire`` raises :class:`DailyLimitReached` at once. It carries
``retry_after``, the seconds until enough of the budget comes back. The caller reschedules
LLM-bound mail and keeps answering from the FAQ. ``daily_exhausted`` tells it to warn the admin
once. Usage from before a restart is loaded with ``seed_daily``.

Waiting callers are futures woken by a single ``loop.call_at`` timer. There is no background
task. The event loop is bound on first use. Time comes from the injectable ``clock``, so tests
run on fake time.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import re
import time
from collections import deque
from collections.abc import Callable, Mapping

from voidmail.errors import RetryableError

__all__ = [
    "DAY",
    "MINUTE",
    "DailyLimitReached",
    "Limiter",
    "Reservation",
    "parse_duration",
]

MINUTE = 60.0
DAY = 86400.0

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|h|m|s)")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")


class DailyLimitReached(RetryableError):
    """The day's request or token budget is spent; it comes back in ``retry_after`` seconds."""


def parse_duration(text: str | None) -> float | None:
    """Seconds in one of Groq's durations (``7.66s``, ``2m59.56s``, ``1h2m3.5s``, ``660ms``), or
    a bare number of seconds. ``None`` for anything else, ``None`` included."""
    if text is None:
        return None
    text = text.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    seconds = 0.0
    position = 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        value, unit = float(match.group(1)), match.group(2)
        seconds += value * {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}[unit]
        position = match.end()
    if position == 0 or position != len(text):
        return None
    return seconds


class _Log:
    """What was sent during the last ``span`` seconds, as ``(stamp, seq, requests, tokens)``
    sorted by stamp. An entry stamped ``t`` counts while ``now - t < span``."""

    __slots__ = ("_entries", "requests", "span", "tokens")

    def __init__(self, span: float) -> None:
        self.span = span
        self._entries: list[tuple[float, int, int, int]] = []
        self.requests = 0
        self.tokens = 0

    def add(self, stamp: float, seq: int, requests: int, tokens: int) -> None:
        # Answers mostly come back in order, so this is nearly always an append.
        bisect.insort(self._entries, (stamp, seq, requests, tokens))
        self.requests += requests
        self.tokens += tokens

    def prune(self, now: float) -> None:
        expired = 0
        for stamp, _, requests, tokens in self._entries:
            if now - stamp < self.span:
                break
            expired += 1
            self.requests -= requests
            self.tokens -= tokens
        if expired:
            del self._entries[:expired]

    def freed_at(self, requests: int, tokens: int) -> float | None:
        """When at least ``requests`` requests and ``tokens`` tokens of the log will have expired;
        ``None`` if the log does not hold that much."""
        if requests <= 0 and tokens <= 0:
            return -math.inf
        freed_requests = freed_tokens = 0
        for stamp, _, entry_requests, entry_tokens in self._entries:
            freed_requests += entry_requests
            freed_tokens += entry_tokens
            if freed_requests >= requests and freed_tokens >= tokens:
                return stamp + self.span
        return None


class _Waiter:
    __slots__ = ("future", "tokens")

    def __init__(self, tokens: int, future: asyncio.Future[Reservation]) -> None:
        self.tokens = tokens
        self.future = future


class Reservation:
    """The budget held for one request, from :meth:`Limiter.acquire` until it is settled or
    cancelled (exactly once)."""

    __slots__ = ("_done", "_limiter", "tokens")

    def __init__(self, limiter: Limiter, tokens: int) -> None:
        self._limiter = limiter
        self.tokens = tokens  # The tokens held: the estimate, capped at what a request may cost.
        self._done = False

    def settle(self, actual_tokens: int | None = None) -> None:
        """The request was sent and answered (or failed after sending): it counts from now on,
        for the next 60 s and 24 h, with ``actual_tokens`` (``usage.total_tokens``), or the held
        estimate when the real count is unknown (a timeout, an error without ``usage``).

        Raises:
            RuntimeError: if the reservation was already settled or cancelled.
            ValueError: for negative tokens.
        """
        if actual_tokens is not None and actual_tokens < 0:
            raise ValueError("actual_tokens must not be negative")
        self._finish()
        self._limiter._settle(self, self.tokens if actual_tokens is None else actual_tokens)

    def cancel(self) -> None:
        """The request was never sent: its budget goes back to the limiter at once.

        Raises:
            RuntimeError: if the reservation was already settled or cancelled.
        """
        self._finish()
        self._limiter._cancel(self)

    @property
    def done(self) -> bool:
        """Whether the reservation was settled or cancelled."""
        return self._done

    def _finish(self) -> None:
        if self._done:
            raise RuntimeError("this reservation was already settled or cancelled")
        self._done = True


class Limiter:
    """Paces requests under per-minute (``rpm``, ``tpm``) and per-day (``rpd``, ``tpd``) limits.

    See the module docstring for how. Not thread-safe: share it between tasks of one loop.
    """

    __slots__ = (
        "_blocked_until",
        "_burst",
        "_clock",
        "_daily_blocked_until",
        "_daily_refused_until",
        "_day",
        "_inflight_requests",
        "_inflight_tokens",
        "_loop",
        "_minute",
        "_next_request",
        "_next_tokens",
        "_request_interval",
        "_rpd",
        "_rpm",
        "_seq",
        "_timer",
        "_token_interval",
        "_tolerance",
        "_tpd",
        "_tpm",
        "_waiters",
    )

    def __init__(
        self,
        rpm: int,
        tpm: int,
        rpd: int,
        tpd: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        burst: int = 3,
        margin: float = 1.0,
    ) -> None:
        """Args:
        rpm, tpm: the provider's requests and tokens per minute.
        rpd, tpd: the provider's requests and tokens per day.
        clock: monotonic seconds; the event loop's timer waits the differences of it.
        burst: requests that may go back to back after a pause (1 = strictly even spacing).
            Tokens get the same allowance in time: (burst - 1) * 60 / rpm seconds' worth.
        margin: seconds added to each window. They cover a provider that counts in whole
            seconds.
        """
        for name, value in (("rpm", rpm), ("tpm", tpm), ("rpd", rpd), ("tpd", tpd)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        if margin < 0:
            raise ValueError(f"margin must not be negative, not {margin}")
        self._rpm, self._tpm, self._rpd, self._tpd = rpm, tpm, rpd, tpd
        self._clock = clock
        self._request_interval = MINUTE / rpm
        self._token_interval = MINUTE / tpm
        self._burst = burst
        self._tolerance = (burst - 1) * self._request_interval
        # GCRA "theoretical arrival times": the pace allows a request once now >= tat - tolerance.
        self._next_request = -math.inf
        self._next_tokens = -math.inf
        self._blocked_until = -math.inf  # penalize(): nothing goes before this
        self._daily_blocked_until = -math.inf  # penalize(daily=True)
        self._daily_refused_until = -math.inf  # the latest DailyLimitReached's end
        self._minute = _Log(MINUTE + margin)
        self._day = _Log(DAY + margin)
        self._inflight_requests = 0
        self._inflight_tokens = 0
        self._seq = itertools.count()
        self._waiters: deque[_Waiter] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    # ---------------------------------------------------------------- the callers' side

    async def acquire(self, tokens: int) -> Reservation:
        """Waits until a request of ``tokens`` estimated tokens may be sent and reserves them.

        ``tokens`` above ``tpm`` (or ``tpd``) are capped there. Such a request waits for an empty
        window, and the provider answers whether it really fits (413 if not). Cancelling a
        waiting call takes it out of the queue and holds nothing.

        Raises:
            DailyLimitReached: at once, or while waiting, when today's budget cannot take it.
            ValueError: for negative tokens.
        """
        if tokens < 0:
            raise ValueError("tokens must not be negative")
        loop = self._bind_loop()
        cost = min(tokens, self._tpm, self._tpd)
        now = self._clock()
        self._prune(now)
        daily_wait = self._daily_wait(cost, now)
        if daily_wait > 0:
            raise self._refuse_daily(daily_wait, now)
        if not self._waiters:
            ready = self._ready_at(cost, now)
            if ready is not None and ready <= now:
                return self._reserve(cost, now)
        waiter = _Waiter(cost, loop.create_future())
        self._waiters.append(waiter)
        self._wake()
        try:
            return await waiter.future
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                # Granted while the cancellation was on its way: give the budget back.
                future.result().cancel()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
                self._wake()  # The next waiter may become the head with another wait.
            raise

    def adopt(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        rpd: int | None = None,
        tpd: int | None = None,
    ) -> list[tuple[str, int, int]]:
        """Lowers each given limit that is below the current one (values under 1 are ignored);
        the changes as ``(name, old, new)``."""
        changes = []
        for name, stated in (("rpm", rpm), ("tpm", tpm), ("rpd", rpd), ("tpd", tpd)):
            current = getattr(self, "_" + name)
            if stated is not None and 1 <= stated < current:
                setattr(self, "_" + name, stated)
                changes.append((name, current, stated))
        if changes:
            self._request_interval = MINUTE / self._rpm
            self._token_interval = MINUTE / self._tpm
            self._tolerance = (self._burst - 1) * self._request_interval
            self._wake()
        return changes

    def observe(self, headers: Mapping[str, str]) -> list[tuple[str, int, int]]:
        """Takes in Groq's rate-limit headers from any response (200, 413 or 429).

        ``x-ratelimit-limit-tokens`` and ``x-ratelimit-limit-requests`` (tokens per minute,
        requests per day) lower ours when below them (:meth:`adopt`; its changes are returned).
        ``x-ratelimit-remaining-tokens`` / ``-reset-tokens`` describe the minute's tokens,
        ``x-ratelimit-remaining-requests`` / ``-reset-requests`` the day's requests. When either
        says less is left than our own count, the difference is held until its reset. Headers
        that are missing or malformed are ignored.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        changes = self.adopt(
            tpm=_to_int(lowered.get("x-ratelimit-limit-tokens")),
            rpd=_to_int(lowered.get("x-ratelimit-limit-requests")),
        )
        now = self._clock()
        self._prune(now)
        remaining = _to_int(lowered.get("x-ratelimit-remaining-tokens"))
        if remaining is not None:
            ours = self._tpm - self._inflight_tokens - self._minute.tokens
            if remaining < ours:
                reset = _bounded(parse_duration(lowered.get("x-ratelimit-reset-tokens")), MINUTE)
                self._hold(self._minute, now + reset, 0, ours - remaining)
        remaining = _to_int(lowered.get("x-ratelimit-remaining-requests"))
        if remaining is not None:
            ours = self._rpd - self._inflight_requests - self._day.requests
            if remaining < ours:
                reset = _bounded(parse_duration(lowered.get("x-ratelimit-reset-requests")), DAY)
                self._hold(self._day, now + reset, ours - remaining, 0)
        self._wake()
        return changes

    def penalize(self, retry_after: float, *, daily: bool = False) -> None:
        """The provider answered 429: release nothing for ``retry_after`` seconds.

        With ``daily`` (the day's limit was hit), ``acquire`` raises :class:`DailyLimitReached`
        until then instead of waiting.
        """
        until = self._clock() + max(0.0, retry_after)
        if daily:
            self._daily_blocked_until = max(self._daily_blocked_until, until)
        else:
            self._blocked_until = max(self._blocked_until, until)
            # Resume at the steady pace, not with a burst into a provider that just said no.
            self._next_request = max(self._next_request, until + self._tolerance)
        self._wake()

    def seed_daily(self, requests: int, tokens: int, *, expires_in: float = DAY) -> None:
        """Counts ``requests`` and ``tokens`` already used today (before a restart) against the
        daily budget, for ``expires_in`` seconds (a whole day by default, the safe bound).
        Adds to what is counted; call it once at start-up."""
        if requests < 0 or tokens < 0:
            raise ValueError("requests and tokens must not be negative")
        now = self._clock()
        self._hold(self._day, now + _bounded(expires_in, DAY), requests, tokens)
        self._wake()

    @property
    def daily_exhausted(self) -> bool:
        """Whether the day's budget is spent: no request can go, or one was just refused for it
        and its ``retry_after`` has not passed yet."""
        now = self._clock()
        self._prune(now)
        return now < self._daily_refused_until or self._daily_wait(1, now) > 0

    def share_wait(self, share: float) -> float:
        """Seconds until the day's usage is below ``share`` of the daily budget (0: it is now).

        One request of a kind of mail allowed ``share`` of the day goes only while requests
        and tokens counted against the day (in flight included) are under that share.
        """
        now = self._clock()
        self._prune(now)
        excess_requests = self._inflight_requests + self._day.requests + 1 - self._rpd * share
        excess_tokens = self._inflight_tokens + self._day.tokens - self._tpd * share
        if excess_requests <= 0 and excess_tokens <= 0:
            return 0.0
        freed = self._day.freed_at(math.ceil(excess_requests), math.ceil(excess_tokens))
        return DAY if freed is None else max(0.0, freed - now)

    @property
    def limits(self) -> tuple[int, int, int, int]:
        """The limits in force: requests and tokens per minute, requests and tokens per day."""
        return self._rpm, self._tpm, self._rpd, self._tpd

    @property
    def daily_usage(self) -> tuple[int, int]:
        """Requests and tokens counted against the day now (in flight, sent, seeded, observed)."""
        self._prune(self._clock())
        return (
            self._inflight_requests + self._day.requests,
            self._inflight_tokens + self._day.tokens,
        )

    @property
    def minute_usage(self) -> tuple[int, int]:
        """Requests and tokens counted against the minute now (in flight, sent, observed)."""
        self._prune(self._clock())
        return (
            self._inflight_requests + self._minute.requests,
            self._inflight_tokens + self._minute.tokens,
        )

    @property
    def waiting(self) -> int:
        """How many callers are queued in ``acquire``."""
        return sum(1 for waiter in self._waiters if not waiter.future.done())

    # ---------------------------------------------------------------- reservations

    def _settle(self, reservation: Reservation, tokens: int) -> None:
        now = self._clock()
        self._inflight_requests -= 1
        self._inflight_tokens -= reservation.tokens
        seq = next(self._seq)
        self._minute.add(now, seq, 1, tokens)
        self._day.add(now, seq, 1, tokens)
        # The token pace was charged the estimate; charge what was really used instead.
        self._next_tokens += (tokens - reservation.tokens) * self._token_interval
        self._wake()

    def _cancel(self, reservation: Reservation) -> None:
        self._inflight_requests -= 1
        self._inflight_tokens -= reservation.tokens
        self._next_request -= self._request_interval
        self._next_tokens -= reservation.tokens * self._token_interval
        self._wake()

    # ---------------------------------------------------------------- internals

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._waiters:
                raise RuntimeError("this Limiter is in use by another event loop")
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._loop = loop
        return loop

    def _prune(self, now: float) -> None:
        self._minute.prune(now)
        self._day.prune(now)

    def _hold(self, log: _Log, until: float, requests: int, tokens: int) -> None:
        """Counts usage we did not send ourselves in ``log`` until ``until``."""
        log.add(until - log.span, next(self._seq), requests, tokens)

    def _reserve(self, tokens: int, now: float) -> Reservation:
        self._next_request = max(self._next_request, now) + self._request_interval
        self._next_tokens = max(self._next_tokens, now) + tokens * self._token_interval
        self._inflight_requests += 1
        self._inflight_tokens += tokens
        return Reservation(self, tokens)

    def _ready_at(self, tokens: int, now: float) -> float | None:
        """When a request of ``tokens`` may go as far as the minute limits go. ``None``: not
        before a request in flight finishes (a settle or cancel wakes the queue then)."""
        ready = max(
            self._blocked_until,
            self._next_request - self._tolerance,
            self._next_tokens - self._tolerance,
        )
        excess_requests = self._inflight_requests + self._minute.requests + 1 - self._rpm
        excess_tokens = self._inflight_tokens + self._minute.tokens + tokens - self._tpm
        if excess_requests > 0 or excess_tokens > 0:
            freed = self._minute.freed_at(excess_requests, excess_tokens)
            if freed is None:
                return None
            ready = max(ready, freed)
        return ready

    def _daily_wait(self, tokens: int, now: float) -> float:
        """Seconds until the day's budget can take a request of ``tokens``; 0 if it can now."""
        wait = self._daily_blocked_until - now
        excess_requests = self._inflight_requests + self._day.requests + 1 - self._rpd
        excess_tokens = self._inflight_tokens + self._day.tokens + tokens - self._tpd
        if excess_requests > 0 or excess_tokens > 0:
            freed = self._day.freed_at(excess_requests, excess_tokens)
            # Requests in flight will count for a whole day from their answer.
            wait = max(wait, DAY if freed is None else freed - now)
        return max(0.0, wait)

    def _refuse_daily(self, wait: float, now: float) -> DailyLimitReached:
        self._daily_refused_until = max(self._daily_refused_until, now + wait)
        return DailyLimitReached(
            f"the LLM's daily budget is spent; it comes back in {wait:.0f} s", retry_after=wait
        )

    def _wake(self) -> None:
        """Grants what the limits allow now, in queue order, and sets the one timer for the
        head of the queue."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._waiters:
            return
        now = self._clock()
        self._prune(now)
        while self._waiters:
            waiter = self._waiters[0]
            if waiter.future.done():  # Cancelled while queued.
                self._waiters.popleft()
                continue
            daily_wait = self._daily_wait(waiter.tokens, now)
            if daily_wait > 0:
                self._waiters.popleft()
                waiter.future.set_exception(self._refuse_daily(daily_wait, now))
                continue
            ready = self._ready_at(waiter.tokens, now)
            if ready is None:
                return
            if ready > now:
                loop = self._loop
                assert loop is not None  # Bound by the acquire that queued the waiter.
                self._timer = loop.call_at(loop.time() + (ready - now), self._wake)
                return
            self._waiters.popleft()
            waiter.future.set_result(self._reserve(waiter.tokens, now))


def _to_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(0, int(float(value)))
    except (ValueError, OverflowError):
        return None


def _bounded(seconds: float | None, default: float) -> float:
    """A reset time from a header: within [0, default], and ``default`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return default
    return min(max(0.0, seconds), default)
