"""A circuit breaker shared by the workers, so an LLM outage is not hammered by all of them.

The states:

* **closed**: calls go through. ``threshold`` consecutive failures open the breaker.
* **open**: calls are refused with :class:`BreakerOpen`, whose ``retry_after`` is the number of
  seconds until half-open.
* **half-open**: after ``reset_timeout`` seconds open, exactly one call, the probe, is let
  through. Every other call is still refused. The probe's success closes the breaker. Its failure
  opens it again for a fresh ``reset_timeout``.

What the caller reports (``voidmail.llm`` does this):

* **Failures** say the provider cannot serve right now: 5xx and other gateway errors, timeouts,
  connection errors, 429s (a storm of them means we are out of step with the provider).
* **Successes**: a 200.
* **Neither** (``release()``): errors that say nothing about whether the provider is up.
  These are configuration and request errors (401, 403, 404, 400, 413), which the caller handles
  by itself. A daily-limit 429 is one too: the limiter already holds every request until the
  day's budget is back. A cancelled call is another. ``release()`` frees the probe slot if the
  call held it, and changes nothing else. A 401 must neither open the breaker nor close it: Groq
  checks keys before any model is involved.

In the open state, late verdicts from calls let through before it opened are ignored. A probe
that never reports back, say a caller that forgets to release it, is given up after
``reset_timeout``, and another probe is let through.

Listeners registered with ``subscribe`` are called synchronously with ``(old, new)`` on every
transition, for logging and alerting. They must not raise. Time comes from the injectable
``clock``.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable

from voidmail.errors import RetryableError

__all__ = ["BreakerOpen", "BreakerState", "CircuitBreaker", "Listener"]


HALF_OPEN_RECHECK = 5.0  # seconds a caller refused during the probe waits to look again


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


Listener = Callable[[BreakerState, BreakerState], None]


class BreakerOpen(RetryableError):
    """The breaker refuses calls; try again in ``retry_after`` seconds."""


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures → half-open after
    ``reset_timeout`` seconds, with a single probe → closed or open again.

    Not thread-safe: share it between tasks of one event loop.
    """

    __slots__ = (
        "_clock",
        "_failures",
        "_listeners",
        "_opened_at",
        "_probe_since",
        "_reset_timeout",
        "_state",
        "_threshold",
    )

    def __init__(
        self,
        threshold: int,
        reset_timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError(f"threshold must be at least 1, not {threshold}")
        if reset_timeout <= 0:
            raise ValueError(f"reset_timeout must be more than 0, not {reset_timeout}")
        self._threshold = threshold
        self._reset_timeout = reset_timeout
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = -math.inf
        self._probe_since: float | None = None  # When the half-open probe was let through.
        self._listeners: list[Listener] = []

    @property
    def state(self) -> BreakerState:
        """The state now: an open breaker whose timeout has passed reads half-open."""
        self._refresh()
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted while closed."""
        return self._failures

    def check(self) -> None:
        """Raises :class:`BreakerOpen` if a call would be refused now; takes no probe slot.

        Use it before waiting for something else (the rate limiter), then ``acquire()``.
        """
        self._refresh()
        if self._state is BreakerState.CLOSED:
            return
        if self._state is BreakerState.OPEN or not self._probe_free():
            raise self._refusal()

    def acquire(self) -> None:
        """Lets a call through, or raises :class:`BreakerOpen`. In half-open the first caller
        becomes the probe. It must then report ``record_success()``, ``record_failure()`` or
        ``release()``."""
        self._refresh()
        if self._state is BreakerState.CLOSED:
            return
        if self._state is BreakerState.HALF_OPEN and self._probe_free():
            self._probe_since = self._clock()
            return
        raise self._refusal()

    def allow(self) -> bool:
        """``acquire()`` as a boolean: True lets the call through (and may make it the probe)."""
        try:
            self.acquire()
        except BreakerOpen:
            return False
        return True

    def record_success(self) -> None:
        """A call succeeded: resets the failure count; closes a half-open breaker."""
        self._refresh()
        if self._state is BreakerState.CLOSED:
            self._failures = 0
        elif self._state is BreakerState.HALF_OPEN:
            self._failures = 0
            self._probe_since = None
            self._transition(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """A call failed in a way that says the provider is unwell (see the module docstring).
        The ``threshold``-th consecutive one opens the breaker; in half-open any one reopens it
        for a fresh ``reset_timeout``."""
        self._refresh()
        if self._state is BreakerState.CLOSED:
            self._failures += 1
            if self._failures >= self._threshold:
                self._open()
        elif self._state is BreakerState.HALF_OPEN:
            self._open()
        # OPEN: a late failure of a call let through before; the timeout stands.

    def release(self) -> None:
        """A call ended without a verdict (a configuration error, a daily limit, a
        cancellation): frees the half-open probe slot, changes nothing else."""
        self._refresh()
        if self._state is BreakerState.HALF_OPEN:
            self._probe_since = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Calls ``listener(old, new)`` on every transition; returns a function that
        unsubscribes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # ---------------------------------------------------------------- internals

    def _refresh(self) -> None:
        if (
            self._state is BreakerState.OPEN
            and self._clock() >= self._opened_at + self._reset_timeout
        ):
            self._probe_since = None
            self._transition(BreakerState.HALF_OPEN)

    def _probe_free(self) -> bool:
        # A probe silent for a whole reset_timeout is taken as lost, so the breaker cannot wedge.
        return self._probe_since is None or self._clock() >= self._probe_since + self._reset_timeout

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._failures = 0
        self._probe_since = None
        self._transition(BreakerState.OPEN)

    def _refusal(self) -> BreakerOpen:
        if self._state is BreakerState.OPEN:
            wait = max(0.0, self._opened_at + self._reset_timeout - self._clock())
            return BreakerOpen(
                f"the LLM circuit breaker is open; one call will probe it in {wait:.0f} s",
                retry_after=wait,
            )
        # Half-open with the probe out: its verdict usually comes within seconds. Callers look
        # again soon rather than after a whole reset_timeout, so a recovered provider is used
        # at once; if the probe fails they meet the open breaker and wait for its timeout.
        return BreakerOpen(
            "the LLM circuit breaker is half-open and its probe is still out",
            retry_after=min(self._reset_timeout, HALF_OPEN_RECHECK),
        )

    def _transition(self, new: BreakerState) -> None:
        old = self._state
        if old is new:
            return
        self._state = new
        for listener in list(self._listeners):
            listener(old, new)
