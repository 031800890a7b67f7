"""The Groq client: one chat completion at a time, paced by the limiter, guarded by the breaker.

``LlmClient.complete(messages)`` does these steps in order:

1. Refuse at once if the breaker is open.
2. Estimate the request's tokens and wait for the shared :class:`~voidmail.limiter.Limiter`.
3. Send it with the official ``groq`` SDK, with its own retries off.
4. Settle the reservation with the real ``usage``.
5. Feed the rate-limit headers back to the limiter.
6. Tell the breaker how it went.

Errors of the SDK are translated here into voidmail's tree (``raise ... from exc``):

* **Retryable**
  * 429: :class:`RateLimited` (or :class:`~voidmail.limiter.DailyLimitReached` for a daily
    limit).
  * 5xx, timeouts and connection errors: :class:`LlmUnavailable`.
* **Permanent**
  * 401/403: :class:`LlmAuthError`.
  * A retired model: :class:`LlmModelError`.
  * 413: :class:`LlmRequestTooLarge`.
  * Any other 4xx: :class:`LlmRequestError`.

``complete`` retries by itself only what clears within seconds: a 429 whose retry-after is at
most ``SHORT_WAIT`` and a connection that could not be made. It makes at most ``MAX_ATTEMPTS``
attempts and sleeps at most ``RETRY_BUDGET`` seconds in all. Anything longer goes to the caller,
who stores the attempt and schedules the retry with :func:`backoff`.

Prompts, answers and the API key are never logged.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any, Literal, cast

import groq
import httpx
import structlog
import tenacity
from groq.types.chat import ChatCompletion, ChatCompletionMessageParam

from voidmail import breaker, limiter
from voidmail.config import LlmSettings
from voidmail.errors import ConfigError, PermanentError, RetryableError, VoidmailError

__all__ = [
    "MAX_ATTEMPTS",
    "RETRY_BUDGET",
    "SHORT_WAIT",
    "Completion",
    "LlmAuthError",
    "LlmClient",
    "LlmModelError",
    "LlmRequestError",
    "LlmRequestTooLarge",
    "LlmUnavailable",
    "RateLimited",
    "backoff",
    "estimate_prompt_tokens",
    "is_reasoning_model",
    "status_error",
]

log = structlog.get_logger("voidmail.llm")

REASONING_MODEL_PREFIXES = ("openai/gpt-oss", "qwen/qwen3")
# Retries inside complete(): only waits this short are worth holding a worker for.
SHORT_WAIT = 5.0
MAX_ATTEMPTS = 3
RETRY_BUDGET = 10.0
RETRY_BASE = 0.5
RETRY_CAP = 4.0
CONNECT_TIMEOUT = 5.0
# Token estimate: characters per token, and the tokens of one message's role and framing.
CHARS_PER_TOKEN = 3
MESSAGE_OVERHEAD = 4
REPLY_OVERHEAD = 3
# A 429 that names no wait: the minute window is surely clear after one minute.
DEFAULT_RETRY_AFTER = limiter.MINUTE
# Statuses that say "not now" rather than "never": timeout, conflict, Groq's flex capacity.
_TRANSIENT_STATUSES = frozenset({408, 409, 498})
_RETRY_IN = re.compile(r"try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)", re.IGNORECASE)
_DAILY = re.compile(r"per day|\(RPD\)|\(TPD\)", re.IGNORECASE)
_STATED_LIMIT = re.compile(r"\((RPM|TPM|RPD|TPD)\):\s*Limit\s+(\d+)", re.IGNORECASE)
_SETTING_OF = {
    "rpm": "requests_per_minute",
    "tpm": "tokens_per_minute",
    "rpd": "requests_per_day",
    "tpd": "tokens_per_day",
}
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)
_RATE_HEADER_PREFIX = "x-ratelimit-"


class RateLimited(RetryableError):
    """The provider answered 429 for a per-minute limit; ``retry_after`` is its wait."""


class LlmUnavailable(RetryableError):
    """The provider could not answer: a 5xx, a timeout, a connection error, a garbled reply."""


class LlmAuthError(PermanentError):
    """The provider refused the API key (401/403): fix ``llm.api_key``."""


class LlmModelError(PermanentError):
    """The configured model is retired or unknown: fix ``llm.model``."""


class LlmRequestTooLarge(PermanentError):
    """One request exceeds the provider's tokens per minute (413): it never fits."""


class LlmRequestError(PermanentError):
    """The provider rejected the request itself (a 4xx other than the above)."""


@dataclass(frozen=True, slots=True)
class Completion:
    """One answer. ``text`` has any reasoning removed and may be empty when ``finish_reason``
    is ``"length"``: the reasoning used up ``max_tokens``. ``headers`` holds the response's
    ``x-ratelimit-*`` headers."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    model: str
    headers: Mapping[str, str]


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` reasons before answering (gpt-oss, qwen3); its reasoning tokens count
    as completion tokens."""
    return model.startswith(REASONING_MODEL_PREFIXES)


def estimate_prompt_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    """Tokens a prompt will cost, erring high, before the provider counts them.

    The estimate is ``ceil(len(content) / 3) + 4`` per message, plus 3 for the reply's priming.
    Common tokenizers average 3.5 to 4.5 characters per token in English and Spanish, so dividing
    by 3 leaves headroom. That matters because the limiter admits requests on this estimate
    (plus ``max_tokens``). The real count replaces it once ``usage`` comes back.
    """
    return REPLY_OVERHEAD + sum(
        -(-len(message.get("content", "")) // CHARS_PER_TOKEN) + MESSAGE_OVERHEAD
        for message in messages
    )


def backoff(
    attempt: int,
    retry_after: float | None,
    *,
    base: float = 30.0,
    cap: float = 3600.0,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 is the first retry).

    Exponential with full jitter: uniform in ``[0, min(cap, base * 2 ** (attempt - 1))]``. It
    is never below ``retry_after``, the provider's own wait. ``rng`` returns a float in
    ``[0, 1)``.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, not {attempt}")
    # Capping the exponent keeps the float finite for absurd attempt numbers.
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 64))
    return max(ceiling * rng(), retry_after or 0.0)


class LlmClient:
    """Chat completions against Groq (or its emulator at ``settings.base_url``).

    Shares ``limiter`` and ``breaker`` with every other client of the process. Close it with
    ``aclose()`` or use it as ``async with``.
    """

    __slots__ = (
        "_breaker",
        "_client",
        "_clock",
        "_limiter",
        "_rate_limited",
        "_settings",
        "_sleep",
    )

    def __init__(
        self,
        settings: LlmSettings,
        limiter: limiter.Limiter,
        breaker: breaker.CircuitBreaker,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``clock`` times the calls; ``sleep`` waits between the short retries (both exist
        so tests can fake time).

        Raises:
            ConfigError: if ``settings.api_key`` is empty.
        """
        if not settings.api_key:
            raise ConfigError("is missing; set it (or GROQ_API_KEY)", key="llm.api_key")
        self._settings = settings
        self._limiter = limiter
        self._breaker = breaker
        self._clock = clock
        self._sleep = sleep
        self._rate_limited = 0
        # max_retries=0: the limiter and tenacity own retrying, with the provider's waits.
        self._client = groq.AsyncGroq(
            api_key=settings.api_key.get(),
            base_url=settings.base_url,
            max_retries=0,
            timeout=httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT, settings.timeout)),
        )

    def _lowered(self, changes: list[tuple[str, int, int]]) -> None:
        for name, configured, stated in changes:
            # Once per limit: adopt() only ever lowers, and never to the same value twice.
            log.warning(
                "llm_limit_lowered",
                setting=_SETTING_OF[name],
                configured=configured,
                provider=stated,
                hint=f"the provider allows {stated}; set llm.{_SETTING_OF[name]} = {stated}",
            )

    @property
    def limiter(self) -> limiter.Limiter:
        """The process's shared limiter (for the day's shares of each kind of mail)."""
        return self._limiter

    def take_rate_limited(self) -> int:
        """429s received since the last call (the short retries included), for the statistics."""
        count, self._rate_limited = self._rate_limited, 0
        return count

    async def aclose(self) -> None:
        """Closes the HTTP connections."""
        await self._client.close()

    async def __aenter__(self) -> LlmClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int | None = None
    ) -> Completion:
        """One chat completion of ``messages`` (``role`` and ``content`` each), answering in at
        most ``max_tokens`` tokens (``settings.max_tokens`` by default).

        Raises:
            breaker.BreakerOpen: the breaker is open; nothing was sent.
            limiter.DailyLimitReached: the day's budget is spent (by our count or the provider's).
            RateLimited: a 429 that would not clear within ``SHORT_WAIT`` seconds.
            LlmUnavailable: 5xx, timeout or connection error (after the short retries).
            LlmAuthError, LlmModelError, LlmRequestTooLarge, LlmRequestError: permanent.
            ValueError: for no messages or ``max_tokens`` below 1.
        """
        if not messages:
            raise ValueError("at least one message is needed")
        budget = self._settings.max_tokens if max_tokens is None else max_tokens
        if budget < 1:
            raise ValueError(f"max_tokens must be at least 1, not {budget}")
        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(_clears_soon),
            wait=_retry_wait,
            stop=_retry_stop,
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(messages, budget)
        raise AssertionError("tenacity ended without a result")  # reraise=True prevents this

    async def _attempt(self, messages: list[dict[str, str]], max_tokens: int) -> Completion:
        """One request, with the limiter and the breaker kept up to date whatever happens."""
        self._breaker.check()  # Before queueing at the limiter: no point waiting to be refused.
        prompt_estimate = estimate_prompt_tokens(messages)
        reservation = await self._limiter.acquire(prompt_estimate + max_tokens)
        try:
            self._breaker.acquire()  # Again: it may have opened while we waited.
        except breaker.BreakerOpen:
            reservation.cancel()
            raise
        started = self._clock()
        # What the finally block reports. By default the request may have been sent and used its
        # whole estimate (a timeout, a cancellation), and it says nothing about the provider.
        used: int | None = None
        verdict: Literal["success", "failure", "none"] = "none"
        headers: Mapping[str, str] = {}
        status: int | None = None
        try:
            try:
                raw = await self._client.chat.completions.with_raw_response.create(
                    **self._request(messages, max_tokens)
                )
                headers = raw.headers
                status = raw.status_code
                completion = await raw.parse()
            except groq.APIStatusError as exc:
                headers = exc.response.headers
                status = exc.status_code
                # An error answer generated nothing; whether the prompt counted is unknown.
                used = prompt_estimate
                error = status_error(exc, self._settings.model)
                if status == 429:
                    self._rate_limited += 1
                    self._lowered(self._limiter.adopt(**_stated_limit(exc.body)))
                if isinstance(error, RateLimited):
                    self._limiter.penalize(_wait_of(error))
                    verdict = "failure"
                elif isinstance(error, limiter.DailyLimitReached):
                    self._limiter.penalize(_wait_of(error), daily=True)
                elif isinstance(error, LlmUnavailable):
                    verdict = "failure"
                raise error from exc
            except groq.APITimeoutError as exc:
                verdict = "failure"
                raise LlmUnavailable(
                    f"the LLM provider did not answer within {self._settings.timeout:g} s"
                ) from exc
            except groq.APIConnectionError as exc:
                verdict = "failure"
                raise LlmUnavailable("could not connect to the LLM provider") from exc
            except groq.APIError as exc:
                # A 200 whose body is not a chat completion.
                verdict = "failure"
                raise LlmUnavailable("the LLM provider sent an unreadable answer") from exc
            result = _completion(completion, headers)
            used = completion.usage.total_tokens if completion.usage is not None else None
            verdict = "success"
            return result
        finally:
            reservation.settle(used)
            # After settle: compare with our count of it.
            self._lowered(self._limiter.observe(headers))
            if verdict == "success":
                self._breaker.record_success()
            elif verdict == "failure":
                self._breaker.record_failure()
            else:
                self._breaker.release()
            log.debug(
                "llm_call",
                model=self._settings.model,
                status=status,
                outcome=verdict,
                tokens=used,
                elapsed_ms=round((self._clock() - started) * 1000),
            )

    def _request(self, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
        """The SDK's keyword arguments for one completion."""
        request: dict[str, Any] = {
            "model": self._settings.model,
            "messages": cast("list[ChatCompletionMessageParam]", messages),
            "max_completion_tokens": max_tokens,
        }
        if is_reasoning_model(self._settings.model):
            # Reasoning tokens count against max_tokens: spend few, and keep them out of the
            # answer. Other models reject both parameters with a 400.
            request["reasoning_effort"] = self._settings.reasoning_effort
            request["include_reasoning"] = False
        return request


def _stated_limit(body: object) -> dict[str, int]:
    """The limit a 429's message states ("... per minute (RPM): Limit 30, Used ..."), by the
    name :meth:`limiter.Limiter.adopt` takes; empty when it states none."""
    message, _ = _error_fields(body)
    found = _STATED_LIMIT.search(message)
    return {found.group(1).lower(): int(found.group(2))} if found else {}


def _completion(completion: ChatCompletion, headers: Mapping[str, str]) -> Completion:
    if not completion.choices:
        raise LlmUnavailable("the LLM provider answered with no choices")
    choice = completion.choices[0]
    # Some models (qwen3 with the raw format) inline their reasoning; it is never the answer.
    text = _THINK.sub("", choice.message.content or "").strip()
    usage = completion.usage
    details = usage.completion_tokens_details if usage is not None else None
    return Completion(
        text=text,
        finish_reason=str(choice.finish_reason),
        prompt_tokens=usage.prompt_tokens if usage is not None else 0,
        completion_tokens=usage.completion_tokens if usage is not None else 0,
        reasoning_tokens=(details.reasoning_tokens or 0) if details is not None else 0,
        model=completion.model,
        headers=MappingProxyType(
            {
                name.lower(): value
                for name, value in headers.items()
                if name.lower().startswith(_RATE_HEADER_PREFIX)
            }
        ),
    )


def status_error(exc: groq.APIStatusError, model: str) -> VoidmailError:
    """The voidmail error for an HTTP error answer."""
    status = exc.status_code
    message, code = _error_fields(exc.body)
    if status == 429:
        wait = _retry_after(exc.response.headers, message)
        if _DAILY.search(message):
            return limiter.DailyLimitReached(
                "the LLM provider's daily limit is reached", retry_after=wait
            )
        return RateLimited("the LLM provider answered 429 (rate limited)", retry_after=wait)
    if status in (401, 403):
        return LlmAuthError(f"the LLM provider refused the API key ({status}); check llm.api_key")
    if (status == 404 and code == "model_not_found") or code == "model_decommissioned":
        return LlmModelError(
            f"the LLM provider no longer serves model {model!r}; set llm.model to a model it "
            "serves today (for Groq: openai/gpt-oss-20b or openai/gpt-oss-120b)"
        )
    if status == 413:
        return LlmRequestTooLarge(
            "the request is larger than the provider's tokens per minute; shorten the prompt "
            "or lower llm.max_tokens"
        )
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return LlmUnavailable(
            f"the LLM provider failed ({status})",
            retry_after=_header_seconds(exc.response.headers),
        )
    hint = "; check llm.base_url" if status == 404 else ""
    # The provider's message names the parameter at fault; it is cut short so that nothing
    # long (never a prompt) reaches the logs through it.
    return LlmRequestError(
        f"the LLM provider rejected the request ({status} {code or 'error'}: {message[:200]}){hint}"
    )


def _error_fields(body: object) -> tuple[str, str | None]:
    """``message`` and ``code`` of a Groq error body (``{"error": {...}}`` or its inside)."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = inner.get("message")
            code = inner.get("code")
            return (
                message if isinstance(message, str) else "",
                code if isinstance(code, str) else None,
            )
    return "", None


def _retry_after(headers: httpx.Headers, message: str) -> float:
    """The wait a 429 asks for: the larger of the ``retry-after`` header (whole seconds) and the
    message's "Please try again in 2.18s", so we never come back early."""
    waits = [_header_seconds(headers)]
    if match := _RETRY_IN.search(message):
        waits.append(limiter.parse_duration(match.group(1)))
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else DEFAULT_RETRY_AFTER


def _header_seconds(headers: httpx.Headers) -> float | None:
    value = limiter.parse_duration(headers.get("retry-after"))
    return value if value is not None and math.isfinite(value) else None


def _wait_of(error: RetryableError) -> float:
    return error.retry_after if error.retry_after is not None else DEFAULT_RETRY_AFTER


def _clears_soon(exc: BaseException) -> bool:
    """Whether ``complete`` should retry by itself: a short 429, or a connection that could not
    be made (not a timeout: the request may be running, and a retry would double it)."""
    if isinstance(exc, RateLimited):
        return exc.retry_after is not None and exc.retry_after <= SHORT_WAIT
    if isinstance(exc, LlmUnavailable):
        cause = exc.__cause__
        return isinstance(cause, groq.APIConnectionError) and not isinstance(
            cause, groq.APITimeoutError
        )
    return False


def _retry_wait(state: tenacity.RetryCallState) -> float:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    retry_after = exc.retry_after if isinstance(exc, RetryableError) else None
    return backoff(state.attempt_number, retry_after, base=RETRY_BASE, cap=RETRY_CAP)


def _retry_stop(state: tenacity.RetryCallState) -> bool:
    # upcoming_sleep is already computed when stop runs: stop before a wait that overruns.
    return (
        state.attempt_number >= MAX_ATTEMPTS or state.idle_for + state.upcoming_sleep > RETRY_BUDGET
    )
