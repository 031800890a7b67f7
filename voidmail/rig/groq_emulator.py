"""A local emulator of Groq's OpenAI-compatible chat completions API, rate limits included.

The official ``groq`` SDK reaches it with
``AsyncGroq(base_url=emulator.base_url, api_key=..., max_retries=0)``; the SDK appends
``/openai/v1/...`` itself.  Served endpoints:

* ``POST /openai/v1/chat/completions`` (non-streaming only);
* ``GET /openai/v1/models`` and ``GET /openai/v1/models/{model}``.

Contracts that tests, ``voidmail demo`` and the benchmarks rely on:

* **Token accounting is deterministic.**  A text costs ``ceil(len(text) / 4)`` tokens; a prompt
  costs, per message, the tokens of its text content plus 4 (see :func:`estimate_prompt_tokens`).
  The answer comes from a pluggable *responder* and costs ``ceil(len(answer) / 4)`` tokens.
  Reasoning models (``openai/gpt-oss*``, ``qwen/qwen3*``) also spend reasoning tokens that count as
  completion tokens: ``low`` 16, ``medium`` 64 (the default), ``high`` 256.  When reasoning plus
  answer exceed ``max_tokens`` the answer is cut to what fits (possibly nothing) and
  ``finish_reason`` is ``"length"``.
* **Rate limits are per model, in strict sliding windows**: a request counted at time ``t`` stops
  counting at exactly ``t + 60`` (RPM, TPM) or ``t + 86400`` (RPD, TPD), on the injectable clock.
  A request costs ``prompt_tokens + completion_tokens`` of the answer it would get, checked and
  committed atomically when it arrives.  Only a 200 consumes budget.  A request that could never
  fit (cost above TPM or TPD) gets 413; one that does not fit *now* gets 429 with ``retry-after``
  (whole seconds, rounded up) after which it would fit, were nothing else sent meanwhile.
* **Groq's rate-limit headers** come with every 200, 413 and 429 (injected ones included) of a
  chat completion for a served model, and ``retry-after`` only with a 429 (or an injected fault
  given one):
  ``x-ratelimit-limit-requests`` / ``-remaining-requests`` / ``-reset-requests`` describe the
  *day* request window (RPD), ``x-ratelimit-limit-tokens`` / ``-remaining-tokens`` /
  ``-reset-tokens`` the *minute* token window (TPM), as Groq documents.  A reset is the time until
  the window is back to its initial state (its newest entry expires), in Groq's duration format
  (:func:`format_duration`).  On 200 they already include the request being answered.
* **Faults** (:meth:`GroqEmulator.fail_next`, :meth:`~GroqEmulator.set_outage`,
  :meth:`~GroqEmulator.hang_next`, :meth:`~GroqEmulator.set_hang`) apply only to chat completions
  and take effect before authentication, like a failing gateway in front of the API.
  Precedence: persistent hang, then persistent outage, then the queue of one-shot faults.

The server runs on its own thread and event loop (like aiosmtpd's ``Controller``), so it serves
synchronous code and pytest-asyncio tests alike.  It is a small HTTP/1.1 server on
:func:`asyncio.start_server` with keep-alive and ``Content-Length`` bodies only; every socket
operation has a timeout and a malformed request gets a 400 without harming other connections.

Run it standalone with ``python -m voidmail.rig.groq_emulator --port 8000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import hmac
import http
import itertools
import json
import logging
import math
import signal
import threading
import time
import urllib.parse
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType, MappingProxyType, TracebackType
from typing import Any, Final, TypeAlias

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MODELS",
    "REASONING_TOKENS",
    "RETIRED_MODELS",
    "EmulatorLimits",
    "GroqEmulator",
    "RequestRecord",
    "Responder",
    "default_responder",
    "estimate_prompt_tokens",
    "estimate_tokens",
    "format_duration",
    "is_reasoning_model",
    "main",
]

logger = logging.getLogger(__name__)

Responder: TypeAlias = Callable[[dict[str, Any]], str]
"""Produces the answer text from the request JSON.  It runs on the emulator's event loop thread,
so it must be quick and must not block; it may be called for a request later rejected by the rate
limits, since the answer's size is part of the request's cost."""

DEFAULT_API_KEY: Final = "gsk_emulator"
DEFAULT_MODELS: Final[tuple[str, ...]] = (
    "openai/gpt-oss-20b",
    "openai/gpt-oss-120b",
    "qwen/qwen3-32b",
)
RETIRED_MODELS: Final[tuple[str, ...]] = ("llama-3.1-8b-instant", "llama-3.3-70b-versatile")
REASONING_MODEL_PREFIXES: Final[tuple[str, ...]] = ("openai/gpt-oss", "qwen/qwen3")
REASONING_TOKENS: Final[Mapping[str, int]] = MappingProxyType(
    {"low": 16, "medium": 64, "high": 256}
)
# qwen3 on Groq also takes "none" (reasoning off) and "default"; gpt-oss rejects them.
_QWEN_EFFORTS: Final[Mapping[str, int]] = MappingProxyType({"none": 0, "default": 64})
DEFAULT_REASONING_EFFORT: Final = "medium"
DEFAULT_MAX_TOKENS: Final = 8192
MAX_COMPLETION_TOKENS: Final = 65536
CONTEXT_WINDOW: Final = 131072
ORGANIZATION: Final = "org_emulator"

CHAT_PATH: Final = "/openai/v1/chat/completions"
MODELS_PATH: Final = "/openai/v1/models"

_MINUTE: Final = 60.0
_DAY: Final = 86400.0
_TOKENS_UPSELL: Final = (
    "Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
)
_REQUESTS_HINT: Final = "Visit https://console.groq.com/docs/rate-limits for more information."

# Socket timeouts.  The idle keep-alive timeout is longer than httpx's keepalive_expiry (5 s) so
# the client, not the server, closes idle pooled connections: that avoids the race where the
# client reuses a connection the server is closing.
_IDLE_TIMEOUT: Final = 60.0
_IO_TIMEOUT: Final = 30.0
_CLOSE_TIMEOUT: Final = 2.0
# A hung request waits for the client to give up or for stop(); bounded all the same.
_HANG_TIMEOUT: Final = 3600.0
_START_TIMEOUT: Final = 10.0
_MAX_HEAD: Final = 64 * 1024
_MAX_BODY: Final = 16 * 1024 * 1024

_DEFAULT_ANSWER: Final = (
    "¡Hola! Gracias por escribirnos. Hemos recibido tu consulta y la estamos revisando con "
    "atención. En breve te responderemos con toda la información que necesitas. Si quieres "
    "añadir algún detalle, responde a este mismo correo. Un saludo cordial, el equipo de "
    "atención al cliente."
)
_REASONING_FILLER: Final = (
    "The customer wrote to the shop. Reply politely in Spanish, thank them, and do not invent "
    "prices or links. "
)


# --------------------------------------------------------------------------------------------
# Pure helpers


def format_duration(seconds: float) -> str:
    """Formats a duration the way Groq's headers and error messages do: ``1h2m3.5s``,
    ``2m59.56s``, ``7.66s``, ``0.5s``, ``0s``.

    The value is rounded *up* to the hundredth of a second, so a client that waits the stated
    time never waits too little.  Negative durations read ``0s``.

    Raises:
        ValueError: for NaN or infinity.
    """
    if not math.isfinite(seconds):
        raise ValueError(f"not a finite duration: {seconds!r}")
    if seconds <= 0:
        return "0s"
    # round() first so that float noise (7.66 * 100 == 766.0000000000001) does not round up.
    centis = math.ceil(round(seconds * 100, 6))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    whole, frac = divmod(rest, 100)
    secs = f"{whole}.{frac:02d}".rstrip("0") if frac else str(whole)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def estimate_tokens(text: str) -> int:
    """The emulator's token count of a text: ``ceil(len(text) / 4)``."""
    return (len(text) + 3) // 4


def _content_text(content: object) -> str:
    """The text of a message's content: a string, ``None`` or a list of content parts, of which
    text parts count by their text and any other part by its JSON serialisation."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces: list[str] = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                pieces.append(str(part.get("text", "")))
            else:
                pieces.append(json.dumps(part, sort_keys=True, ensure_ascii=False))
        return "".join(pieces)
    return json.dumps(content, sort_keys=True, ensure_ascii=False)


def estimate_prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """The emulator's prompt token count: the sum over messages of
    ``ceil(len(content) / 4) + 4`` (the 4 stands for the role and the message framing)."""
    return sum(estimate_tokens(_content_text(message.get("content"))) + 4 for message in messages)


def default_responder(request: dict[str, Any]) -> str:
    """A short, polite, deterministic Spanish answer, with no URL and no price.

    It ignores the request (including ``response_format``); install a custom responder with
    :meth:`GroqEmulator.set_responder` to answer something specific.
    """
    del request  # The same answer for everybody keeps the token accounting predictable.
    return _DEFAULT_ANSWER


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` spends reasoning tokens (gpt-oss and qwen3 families)."""
    return model.startswith(REASONING_MODEL_PREFIXES)


def _reasoning_text(tokens: int) -> str:
    """Deterministic reasoning text of exactly ``tokens`` emulator tokens."""
    size = 4 * tokens
    repeats = size // len(_REASONING_FILLER) + 1
    return (_REASONING_FILLER * repeats)[:size]


# --------------------------------------------------------------------------------------------
# Configuration and records


@dataclass(frozen=True, slots=True)
class EmulatorLimits:
    """Per-model rate limits: requests and tokens per minute, requests and tokens per day."""

    rpm: int = 30
    tpm: int = 6000
    rpd: int = 14400
    tpd: int = 500000

    def __post_init__(self) -> None:
        for name in ("rpm", "tpm", "rpd", "tpd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request the emulator answered (or hung on).

    ``time`` is on the emulator's clock; ``request`` is the JSON body when it parsed as an object;
    ``status`` is ``None`` for a request deliberately left unanswered (a hang); ``headers`` are
    the response headers sent, with lower-case names.  ``connection`` numbers the TCP connection,
    so keep-alive reuse is observable.
    """

    time: float
    connection: int
    method: str
    path: str
    request: dict[str, Any] | None
    model: str | None
    status: int | None
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    error_code: str | None
    headers: Mapping[str, str]


# --------------------------------------------------------------------------------------------
# Rate-limit windows


class _Window:
    """The accepted requests of the last ``span`` seconds, as ``(time, tokens)`` in time order.

    Strict sliding window: an entry made at ``t`` counts while ``now - t < span``.
    """

    __slots__ = ("_events", "_span", "_tokens")

    def __init__(self, span: float) -> None:
        self._span = span
        self._events: deque[tuple[float, int]] = deque()
        self._tokens = 0

    def usage(self, now: float) -> tuple[int, int]:
        """Requests and tokens counted at ``now``."""
        while self._events and now - self._events[0][0] >= self._span:
            _, tokens = self._events.popleft()
            self._tokens -= tokens
        return len(self._events), self._tokens

    def wait_for_request(self, now: float, limit: int) -> float:
        """Seconds until one more request fits under ``limit`` (0 if it fits now)."""
        count, _ = self.usage(now)
        excess = count + 1 - limit
        if excess <= 0:
            return 0.0
        return self._events[excess - 1][0] + self._span - now

    def wait_for_tokens(self, now: float, limit: int, cost: int) -> float:
        """Seconds until ``cost`` more tokens fit under ``limit``; infinite if they never can."""
        _, used = self.usage(now)
        excess = used + cost - limit
        if excess <= 0:
            return 0.0
        freed = 0
        for stamp, tokens in self._events:
            freed += tokens
            if freed >= excess:
                return stamp + self._span - now
        return math.inf

    def until_reset(self, now: float) -> float:
        """Seconds until the window is back to its initial state (its newest entry expires)."""
        self.usage(now)
        return self._events[-1][0] + self._span - now if self._events else 0.0

    def add(self, now: float, tokens: int) -> None:
        self._events.append((now, tokens))
        self._tokens += tokens


class _ModelUsage:
    """The minute and day windows of one model."""

    __slots__ = ("day", "minute")

    def __init__(self) -> None:
        self.minute = _Window(_MINUTE)
        self.day = _Window(_DAY)

    def headers(self, now: float, limits: EmulatorLimits) -> dict[str, str]:
        """Groq's ``x-ratelimit-*`` headers: requests per day, tokens per minute."""
        day_requests, _ = self.day.usage(now)
        _, minute_tokens = self.minute.usage(now)
        return {
            "x-ratelimit-limit-requests": str(limits.rpd),
            "x-ratelimit-limit-tokens": str(limits.tpm),
            "x-ratelimit-remaining-requests": str(max(0, limits.rpd - day_requests)),
            "x-ratelimit-remaining-tokens": str(max(0, limits.tpm - minute_tokens)),
            "x-ratelimit-reset-requests": format_duration(self.day.until_reset(now)),
            "x-ratelimit-reset-tokens": format_duration(self.minute.until_reset(now)),
        }

    def blocking_limit(self, now: float, limits: EmulatorLimits, cost: int) -> _Limited | None:
        """The limit that keeps a request of ``cost`` tokens out now, or ``None`` if it fits.

        When several limits are exceeded the one with the longest wait is reported, since only
        after that wait would the request go through.
        """
        minute_requests, minute_tokens = self.minute.usage(now)
        day_requests, day_tokens = self.day.usage(now)
        candidates = (
            _Limited(
                "requests",
                "requests per minute (RPM)",
                limits.rpm,
                minute_requests,
                1,
                self.minute.wait_for_request(now, limits.rpm),
            ),
            _Limited(
                "requests",
                "requests per day (RPD)",
                limits.rpd,
                day_requests,
                1,
                self.day.wait_for_request(now, limits.rpd),
            ),
            _Limited(
                "tokens",
                "tokens per minute (TPM)",
                limits.tpm,
                minute_tokens,
                cost,
                self.minute.wait_for_tokens(now, limits.tpm, cost),
            ),
            _Limited(
                "tokens",
                "tokens per day (TPD)",
                limits.tpd,
                day_tokens,
                cost,
                self.day.wait_for_tokens(now, limits.tpd, cost),
            ),
        )
        worst: _Limited | None = None
        for candidate in candidates:
            if candidate.wait > 0 and (worst is None or candidate.wait > worst.wait):
                worst = candidate
        return worst

    def add(self, now: float, tokens: int) -> None:
        self.minute.add(now, tokens)
        self.day.add(now, tokens)


@dataclass(frozen=True, slots=True)
class _Limited:
    kind: str  # Groq's error "type": "requests" or "tokens".
    label: str
    limit: int
    used: int
    requested: int
    wait: float


# --------------------------------------------------------------------------------------------
# Requests, responses and errors


class _ApiError(Exception):
    """An error answer in Groq's ``{"error": {...}}`` shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        close: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.close = close

    def payload(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}

    def response(self, headers: dict[str, str] | None = None) -> _Response:
        """This error as an HTTP response."""
        return _Response(self.status, self.payload(), headers or {}, close=self.close)


@dataclass(frozen=True, slots=True)
class _HttpRequest:
    method: str
    target: str
    headers: Mapping[str, str]
    content_length: int
    keep_alive: bool
    expect_continue: bool

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass(slots=True)
class _Response:
    status: int
    payload: object
    headers: dict[str, str]
    close: bool = False


@dataclass(frozen=True, slots=True)
class _Fault:
    status: int | None  # None: hang, never answer.
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class _ChatParams:
    model: str
    messages: list[dict[str, Any]]
    max_tokens: int
    reasoning_tokens: int
    reasoning_format: str | None
    include_reasoning: bool | None


@dataclass(frozen=True, slots=True)
class _Completion:
    content: str
    reasoning: str | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int

    @property
    def cost(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _parse_head(head: bytes) -> _HttpRequest:
    """Parses a request line and headers (``head`` ends with the blank line).

    Raises:
        _ApiError: 400 for anything malformed, 505/501 for what this server does not speak; all
            with ``close`` set, since the connection's framing can no longer be trusted.
    """
    lines = head.decode("latin-1").split("\r\n")[:-2]
    if not lines:
        raise _ApiError(400, "Malformed HTTP request: empty request", close=True)
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise _ApiError(400, "Malformed HTTP request line", close=True)
    method, target, version = parts
    if not method.isascii() or not method.isalpha() or not method.isupper():
        raise _ApiError(400, "Malformed HTTP method", close=True)
    if not target.startswith("/"):
        raise _ApiError(400, "Malformed request target", close=True)
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        if version.startswith("HTTP/"):
            raise _ApiError(505, "HTTP version not supported", close=True)
        raise _ApiError(400, "Malformed HTTP version", close=True)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or " " in name or "\t" in name:
            raise _ApiError(400, "Malformed HTTP header line", close=True)
        name = name.lower()
        value = value.strip(" \t")
        if name in headers:
            if name == "content-length" and headers[name] != value:
                raise _ApiError(400, "Conflicting Content-Length headers", close=True)
            value = f"{headers[name]}, {value}" if name != "content-length" else value
        headers[name] = value
    if "transfer-encoding" in headers:
        # Only Content-Length framing is implemented; a chunked body cannot be skipped safely.
        raise _ApiError(501, "Transfer-Encoding is not supported", close=True)
    raw_length = headers.get("content-length", "0")
    if not raw_length.isascii() or not raw_length.isdigit():
        raise _ApiError(400, "Malformed Content-Length", close=True)
    length = int(raw_length)
    if length > _MAX_BODY:
        raise _ApiError(413, "Request body too large", close=True)
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    keep_alive = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
    expect_continue = headers.get("expect", "").lower() == "100-continue"
    return _HttpRequest(method, target, headers, length, keep_alive, expect_continue)


def _encode_response(response: _Response, keep_alive: bool) -> bytes:
    """Serialises a JSON response with ``Content-Length`` framing."""
    try:
        body = json.dumps(response.payload, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        # Lone surrogates echoed from the request (say, in a model name) are not UTF-8.
        body = json.dumps(response.payload).encode()
    lines = [
        f"HTTP/1.1 {response.status} {_reason(response.status)}",
        f"date: {email.utils.formatdate(usegmt=True)}",
        "server: voidmail-groq-emulator",
        "content-type: application/json",
        f"content-length: {len(body)}",
        f"connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    lines.extend(f"{name}: {value}" for name, value in response.headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _fault_error(fault: _Fault, model: str) -> _ApiError:
    """The Groq-like error of an injected fault."""
    status = fault.status if fault.status is not None else 500
    wait = (
        ""
        if fault.retry_after is None
        else f" Please try again in {format_duration(fault.retry_after)}."
    )
    if status == 429:
        return _ApiError(
            429,
            f"Rate limit reached for model `{model}` in organization `{ORGANIZATION}` service "
            f"tier `on_demand` on requests per minute (RPM): injected fault.{wait} "
            f"{_REQUESTS_HINT}",
            type_="requests",
            code="rate_limit_exceeded",
        )
    if status == 503:
        return _ApiError(
            503,
            f"Service Unavailable: the model is over capacity, please try again later.{wait}",
            type_="internal_server_error",
            code="service_unavailable",
        )
    if status >= 500:
        return _ApiError(status, _reason(status), type_="internal_server_error")
    return _ApiError(status, _reason(status))


def _reason(status: int) -> str:
    """The reason phrase of ``status``; Groq's own codes (e.g. 498) are not in HTTPStatus."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def _parse_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object.  Raises _ApiError (400) otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON.
        raise _ApiError(400, "We could not parse the JSON body of your request.") from exc
    if not isinstance(data, dict):
        raise _ApiError(400, "The request body must be a JSON object.")
    return data


def _call_responder(responder: Responder, data: dict[str, Any]) -> str:
    """The responder's answer.  Raises _ApiError (500) if it fails or returns a non-string."""
    try:
        answer = responder(data)
    except Exception as exc:
        # A broken responder is a bug in the caller's test, but must not take the server down:
        # log it loudly and answer like Groq's own internal errors.
        logger.exception("groq emulator: responder failed")
        raise _ApiError(500, "Internal Server Error", type_="internal_server_error") from exc
    if not isinstance(answer, str):
        logger.error("groq emulator: responder returned %s, not str", type(answer).__name__)
        raise _ApiError(500, "Internal Server Error", type_="internal_server_error")
    return answer


def _peek_json(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object if it is one, else ``None``; for records and fault messages of
    requests that are not otherwise parsed."""
    with contextlib.suppress(ValueError, RecursionError):
        data = json.loads(body)
        if isinstance(data, dict):
            return data
    return None


def _validate_chat(
    request: dict[str, Any], served: frozenset[str], retired: frozenset[str]
) -> _ChatParams:
    """Checks a chat completion request the way Groq does, most basic problems first.

    Raises:
        _ApiError: 400 for a missing or invalid parameter, 404 for a retired or unknown model.
    """
    model = request.get("model")
    if model is None:
        raise _ApiError(400, "'model' : property 'model' is missing", param="model")
    if not isinstance(model, str):
        raise _ApiError(400, "'model' : value must be a string", param="model")
    messages = request.get("messages")
    if messages is None:
        raise _ApiError(400, "'messages' : property 'messages' is missing", param="messages")
    if model in retired:
        raise _ApiError(
            404,
            f"The model `{model}` has been decommissioned and is no longer supported. Please "
            "refer to https://console.groq.com/docs/deprecations for a recommendation on which "
            "model to use instead.",
            code="model_not_found",
        )
    if model not in served:
        raise _ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    _check_messages(messages)
    if request.get("stream"):
        raise _ApiError(400, "`stream` is not supported by the emulator", param="stream")
    n = request.get("n")
    if n is not None and n != 1:
        raise _ApiError(400, "'n' : number must be at most 1", param="n")
    if request.get("logprobs") or request.get("top_logprobs") is not None:
        raise _ApiError(400, "`logprobs` is not supported with this model", param="logprobs")
    if request.get("logit_bias") is not None:
        raise _ApiError(400, "`logit_bias` is not supported with this model", param="logit_bias")
    temperature = request.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not 0 <= temperature <= 2
    ):
        raise _ApiError(400, "'temperature' : number must be between 0 and 2", param="temperature")
    return _ChatParams(
        model=model,
        messages=messages,
        max_tokens=_max_tokens(request),
        reasoning_tokens=_reasoning_budget(request, model),
        reasoning_format=request.get("reasoning_format"),
        include_reasoning=request.get("include_reasoning"),
    )


def _check_messages(messages: object) -> None:
    if not isinstance(messages, list) or not messages:
        raise _ApiError(400, "'messages' : must be a non-empty array", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _ApiError(400, f"'messages.{index}' : value must be an object", param="messages")
        role = message.get("role")
        if role not in ("system", "developer", "user", "assistant", "tool"):
            raise _ApiError(
                400, f"'messages.{index}.role' : invalid role {role!r}", param="messages"
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise _ApiError(
                400,
                f"'messages.{index}.content' : value must be a string or an array",
                param="messages",
            )


def _max_tokens(request: dict[str, Any]) -> int:
    """``max_completion_tokens`` if given, else ``max_tokens``, else the default."""
    for name in ("max_completion_tokens", "max_tokens"):
        value = request.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _ApiError(400, f"'{name}' : number must be at least 1", param=name)
        if value > MAX_COMPLETION_TOKENS:
            raise _ApiError(
                400,
                f"`{name}` must be less than or equal to `{MAX_COMPLETION_TOKENS}`, the maximum "
                "value for this model",
                param=name,
            )
        return value
    return DEFAULT_MAX_TOKENS


def _reasoning_budget(request: dict[str, Any], model: str) -> int:
    """Reasoning tokens the request will spend; validates the reasoning parameters."""
    effort = request.get("reasoning_effort")
    fmt = request.get("reasoning_format")
    include = request.get("include_reasoning")
    if not is_reasoning_model(model):
        for name in ("reasoning_effort", "reasoning_format", "include_reasoning"):
            if request.get(name) is not None:
                raise _ApiError(400, f"`{name}` is not supported with this model", param=name)
        return 0
    if fmt is not None and fmt not in ("raw", "parsed", "hidden"):
        raise _ApiError(
            400,
            "'reasoning_format' : value must be one of raw, parsed, hidden",
            param="reasoning_format",
        )
    if include is not None and not isinstance(include, bool):
        raise _ApiError(
            400, "'include_reasoning' : value must be a boolean", param="include_reasoning"
        )
    if fmt is not None and include is not None:
        raise _ApiError(
            400,
            "`include_reasoning` and `reasoning_format` are mutually exclusive",
            param="include_reasoning",
        )
    if effort is None:
        return REASONING_TOKENS[DEFAULT_REASONING_EFFORT]
    if isinstance(effort, str) and effort in REASONING_TOKENS:
        return REASONING_TOKENS[effort]
    if isinstance(effort, str) and model.startswith("qwen/qwen3") and effort in _QWEN_EFFORTS:
        return _QWEN_EFFORTS[effort]
    raise _ApiError(
        400,
        f"'reasoning_effort' : value {effort!r} is not supported with this model; use one of "
        "low, medium, high",
        param="reasoning_effort",
    )


def _complete(params: _ChatParams, answer: str) -> _Completion:
    """Fits reasoning and answer into ``max_tokens`` and shapes them as Groq would."""
    reasoning_used = min(params.reasoning_tokens, params.max_tokens)
    room = params.max_tokens - reasoning_used
    truncated = reasoning_used < params.reasoning_tokens
    if estimate_tokens(answer) > room:
        answer = answer[: 4 * room]
        truncated = True
    reasoning = _reasoning_text(reasoning_used)
    content = answer
    shown: str | None = None
    if params.reasoning_format == "raw" and reasoning_used:
        # Groq's raw format inlines the reasoning in <think> tags; cut short, the tag stays open.
        think = f"<think>\n{reasoning}"
        content = (
            f"{think}\n</think>\n\n{answer}" if reasoning_used == params.reasoning_tokens else think
        )
    elif (params.reasoning_format == "parsed" or params.include_reasoning) and reasoning_used:
        shown = reasoning
    return _Completion(
        content=content,
        reasoning=shown,
        finish_reason="length" if truncated else "stop",
        prompt_tokens=estimate_prompt_tokens(params.messages),
        completion_tokens=reasoning_used + estimate_tokens(answer),
        reasoning_tokens=reasoning_used,
    )


def _completion_payload(model: str, completion: _Completion, request_id: str) -> dict[str, Any]:
    """The OpenAI ``chat.completion`` object, with Groq's extras."""
    message: dict[str, Any] = {"role": "assistant", "content": completion.content}
    if completion.reasoning is not None:
        message["reasoning"] = completion.reasoning
    # Plausible, deterministic timings: fast prompt processing, ~1000 tokens/s generation.
    prompt_time = round(completion.prompt_tokens / 20000, 6)
    completion_time = round(completion.completion_tokens / 1000, 6)
    usage: dict[str, Any] = {
        "queue_time": 0.0001,
        "prompt_tokens": completion.prompt_tokens,
        "prompt_time": prompt_time,
        "completion_tokens": completion.completion_tokens,
        "completion_time": completion_time,
        "total_tokens": completion.cost,
        "total_time": round(prompt_time + completion_time, 6),
    }
    if is_reasoning_model(model):
        usage["completion_tokens_details"] = {"reasoning_tokens": completion.reasoning_tokens}
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": completion.finish_reason,
            }
        ],
        "usage": usage,
        "system_fingerprint": f"fp_{uuid.uuid5(uuid.NAMESPACE_URL, model).hex[:10]}",
        "service_tier": "on_demand",
        "x_groq": {"id": request_id},
    }


def _model_payload(model: str) -> dict[str, Any]:
    owners = {"openai/": "OpenAI", "qwen/": "Alibaba Cloud", "llama": "Meta"}
    owner = next((o for prefix, o in owners.items() if model.startswith(prefix)), "Emulator")
    return {
        "id": model,
        "object": "model",
        "created": 1_700_000_000,
        "owned_by": owner,
        "active": True,
        "context_window": CONTEXT_WINDOW,
        "public_apps": None,
        "max_completion_tokens": MAX_COMPLETION_TOKENS,
    }


# --------------------------------------------------------------------------------------------
# The emulator


class GroqEmulator:
    """Groq's chat completions API with its rate limits, served from a background thread.

    ``start()`` / ``stop()`` or a ``with`` block control the server.  Every other public method
    is thread-safe and may be called while it runs, from any thread or event loop.  See the
    module docstring for the accounting, rate-limit and fault contracts.
    """

    def __init__(
        self,
        limits: EmulatorLimits | None = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        models: Sequence[str] = DEFAULT_MODELS,
        retired_models: Sequence[str] = RETIRED_MODELS,
        responder: Responder | None = None,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        record_limit: int = 100_000,
    ) -> None:
        """Configures, without starting, an emulator.

        Args:
            limits: per-model rate limits (``EmulatorLimits()`` by default).
            api_key: the one bearer token accepted; others get 401 ``invalid_api_key``.
            models: the models served; ``retired_models`` answer 404 ``model_not_found``.
            responder: produces answers (:func:`default_responder` by default).
            clock: seconds, monotonic; rate-limit windows run on it, so tests can fake time.
            host, port: where to listen; port 0 picks a free port at each ``start()``.
            record_limit: how many :class:`RequestRecord` to keep (oldest dropped first);
                counters and :meth:`wait_for_requests` are unaffected by the cap.
        """
        if not models:
            raise ValueError("at least one model must be served")
        overlap = set(models) & set(retired_models)
        if overlap:
            raise ValueError(f"models both served and retired: {sorted(overlap)}")
        self._served = frozenset(models)
        self._model_order = tuple(dict.fromkeys(models))
        self._retired = frozenset(retired_models)
        self._clock = clock
        self._host = host
        self._requested_port = port

        # Everything below ``_lock`` is shared between the server thread and callers.
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._limits = limits if limits is not None else EmulatorLimits()
        self._api_key = api_key
        self._responder: Responder = responder if responder is not None else default_responder
        self._usage: dict[str, _ModelUsage] = {}
        self._faults: deque[_Fault] = deque()
        self._outage: _Fault | None = None
        self._hang_all = False
        self._records: deque[RequestRecord] = deque(maxlen=record_limit)
        self._received = 0
        self._statuses: Counter[int] = Counter()
        self._hung = 0

        # Lifecycle, guarded by ``_lifecycle``; written by the server thread before it signals
        # readiness, so start() reads them after the ready event.
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._bound_port: int | None = None
        self._start_error: OSError | None = None
        self._connection_ids = itertools.count(1)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Starts listening; returns once the port is bound.

        Raises:
            RuntimeError: if already running or the server thread fails to come up.
            OSError: if the address cannot be bound.
        """
        with self._lifecycle:
            if self._thread is not None:
                raise RuntimeError("the Groq emulator is already running")
            ready = threading.Event()
            self._start_error = None
            thread = threading.Thread(
                target=self._run, args=(ready,), name="groq-emulator", daemon=True
            )
            thread.start()
            if not ready.wait(_START_TIMEOUT):
                raise RuntimeError("the Groq emulator did not start in time")
            if self._start_error is not None:
                thread.join(_START_TIMEOUT)
                raise self._start_error
            if self._bound_port is None:
                thread.join(_START_TIMEOUT)
                raise RuntimeError("the Groq emulator thread died while starting")
            self._thread = thread

    def stop(self, timeout: float = 5.0) -> None:
        """Stops listening, drops every connection (hung requests included) and joins the thread.

        Idempotent.  Must not be called from a responder (the server's own thread).

        Raises:
            RuntimeError: if called from the server thread, or it does not stop within
                ``timeout`` seconds.
        """
        with self._lifecycle:
            thread = self._thread
            if thread is None:
                return
            if threading.current_thread() is thread:
                raise RuntimeError("stop() called from the Groq emulator's own thread")
            loop, stop_event = self._loop, self._stop_event
            if loop is not None and stop_event is not None:
                # RuntimeError: the loop already closed because the thread ended on its own.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(stop_event.set)
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError("the Groq emulator did not stop in time")
            self._thread = None
            self._loop = None
            self._stop_event = None
            self._bound_port = None

    def __enter__(self) -> GroqEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._bound_port is not None

    @property
    def port(self) -> int:
        """The bound port.  Raises RuntimeError when not running."""
        port = self._bound_port
        if port is None:
            raise RuntimeError("the Groq emulator is not running")
        return port

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``, what to pass as the SDK's ``base_url``."""
        return f"http://{self._host}:{self.port}"

    @property
    def models(self) -> tuple[str, ...]:
        """The served models."""
        return self._model_order

    # ---------------------------------------------------------------- configuration and faults

    @property
    def limits(self) -> EmulatorLimits:
        with self._lock:
            return self._limits

    def set_limits(self, limits: EmulatorLimits) -> None:
        """Applies new limits to later requests; usage already counted stays in the windows."""
        with self._lock:
            self._limits = limits

    def set_api_key(self, api_key: str) -> None:
        """Changes the accepted bearer token."""
        with self._lock:
            self._api_key = api_key

    def set_responder(self, responder: Responder | None) -> None:
        """Installs a responder (``None``: the default one)."""
        with self._lock:
            self._responder = responder if responder is not None else default_responder

    def fail_next(self, status: int, count: int = 1, retry_after: float | None = None) -> None:
        """Makes the next ``count`` chat completions fail with ``status`` (4xx or 5xx) and a
        Groq-like error body; with ``retry_after``, a ``retry-after`` header (whole seconds,
        rounded up) is sent too.  Queued after faults already pending."""
        if not 400 <= status <= 599:
            raise ValueError(f"fault status must be 4xx or 5xx, not {status}")
        if count < 0:
            raise ValueError("count must not be negative")
        if retry_after is not None and not (math.isfinite(retry_after) and retry_after >= 0):
            raise ValueError("retry_after must be a non-negative number of seconds")
        with self._lock:
            self._faults.extend(_Fault(status, retry_after) for _ in range(count))

    def hang_next(self, count: int = 1) -> None:
        """Makes the next ``count`` chat completions hang: read, never answered (the connection
        stays open until the client gives up or stop()).  Queued after pending faults."""
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            self._faults.extend(_Fault(None) for _ in range(count))

    def set_outage(self, status: int | None, retry_after: float | None = None) -> None:
        """Fails every chat completion with ``status`` until called with ``None``."""
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"outage status must be 4xx or 5xx, not {status}")
        with self._lock:
            self._outage = None if status is None else _Fault(status, retry_after)

    def set_hang(self, hang: bool) -> None:
        """Hangs every chat completion while ``hang`` is true."""
        with self._lock:
            self._hang_all = hang

    def clear_faults(self) -> None:
        """Drops pending one-shot faults and ends any outage or hang."""
        with self._lock:
            self._faults.clear()
            self._outage = None
            self._hang_all = False

    # ---------------------------------------------------------------- observability

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the recorded requests, oldest first."""
        with self._lock:
            return list(self._records)

    def count_by_status(self) -> dict[int, int]:
        """Answered requests per HTTP status since the last reset_stats() (hangs excluded)."""
        with self._lock:
            return dict(self._statuses)

    @property
    def rate_limited(self) -> int:
        """How many 429s were sent (real and injected) since the last reset_stats()."""
        with self._lock:
            return self._statuses[429]

    @property
    def hung(self) -> int:
        """How many requests were deliberately left unanswered since the last reset_stats()."""
        with self._lock:
            return self._hung

    @property
    def received(self) -> int:
        """How many requests were received since the last reset_stats()."""
        with self._lock:
            return self._received

    def wait_for_requests(self, n: int, timeout: float) -> bool:
        """Blocks until ``n`` requests were received since the last reset_stats() (answered or
        hung), or ``timeout`` real seconds pass; returns whether they were."""
        with self._changed:
            return self._changed.wait_for(lambda: self._received >= n, timeout)

    def reset_stats(self) -> None:
        """Forgets records and counters (not rate-limit usage: see reset_usage())."""
        with self._lock:
            self._records.clear()
            self._statuses.clear()
            self._received = 0
            self._hung = 0

    def reset_usage(self) -> None:
        """Empties every rate-limit window, as if no request had ever been accepted."""
        with self._lock:
            self._usage.clear()

    def remaining(self, model: str) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers a response about ``model`` would carry now."""
        with self._lock:
            usage = self._usage.get(model) or _ModelUsage()
            return usage.headers(self._clock(), self._limits)

    # ---------------------------------------------------------------- server thread

    def _run(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._main(ready))
        finally:
            ready.set()  # Never leave start() waiting, whatever happened.

    async def _main(self, ready: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        stop_event = asyncio.Event()
        connections: set[asyncio.Task[None]] = set()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Our own tasks rather than a coroutine callback: start_server's wrapper task calls
            # task.exception() on completion, which raises if the task was cancelled by stop().
            task = loop.create_task(self._connection(reader, writer, next(self._connection_ids)))
            connections.add(task)
            task.add_done_callback(connections.discard)

        try:
            server = await asyncio.start_server(
                on_connect, self._host, self._requested_port, limit=_MAX_HEAD, backlog=1024
            )
        except OSError as exc:
            self._start_error = exc
            return
        self._loop = loop
        self._stop_event = stop_event
        self._bound_port = int(server.sockets[0].getsockname()[1])
        ready.set()
        try:
            await stop_event.wait()
        finally:
            self._bound_port = None
            server.close()
            for task in list(connections):
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)
            await server.wait_closed()

    async def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int
    ) -> None:
        """Serves one TCP connection until it closes, errs, idles out or the server stops."""
        try:
            await self._serve_requests(reader, writer, connection)
        except asyncio.CancelledError:
            # stop(): drop the connection at once, hung or idle, without a graceful close.
            writer.transport.abort()
            raise
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            # The peer went away or stalled mid-request; nothing to answer to.
            logger.debug("groq emulator: connection %d dropped: %r", connection, exc)
            writer.transport.abort()
        except Exception:
            # A bug in the emulator: log it loudly, lose this connection, keep serving others.
            logger.exception("groq emulator: connection %d failed", connection)
            writer.transport.abort()
        else:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), _CLOSE_TIMEOUT)

    async def _serve_requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int
    ) -> None:
        """The keep-alive loop: one request, one response, until either side wants to close."""
        while True:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _IDLE_TIMEOUT)
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    await self._send(writer, self._bad_framing(connection, "truncated"), False)
                return  # Otherwise a clean close between requests.
            except asyncio.LimitOverrunError:
                await self._send(writer, self._bad_framing(connection, "too_large"), False)
                return
            except TimeoutError:
                return  # Idle keep-alive connection.
            try:
                request = _parse_head(head.lstrip(b"\r\n"))
            except _ApiError as error:
                response = error.response()
                self._record(connection, "?", "?", None, response)
                await self._send(writer, response, False)
                return
            if request.expect_continue and request.content_length:
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            try:
                body = await asyncio.wait_for(
                    reader.readexactly(request.content_length), _IO_TIMEOUT
                )
            except TimeoutError:
                response = _ApiError(408, "Timed out reading the body", close=True).response()
                self._record(connection, request.method, request.path, None, response)
                await self._send(writer, response, False)
                return
            answer = self._dispatch(request, body, connection)
            if answer is None:
                await self._hang(reader)
                return
            keep_alive = request.keep_alive and not answer.close
            await self._send(writer, answer, keep_alive)
            if not keep_alive:
                return

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, response: _Response, keep_alive: bool) -> None:
        writer.write(_encode_response(response, keep_alive))
        await asyncio.wait_for(writer.drain(), _IO_TIMEOUT)

    @staticmethod
    async def _hang(reader: asyncio.StreamReader) -> None:
        """Never answers: waits until the client closes (or stop() cancels us)."""
        while await asyncio.wait_for(reader.read(65536), _HANG_TIMEOUT):
            pass  # Whatever the client sends now (a pipelined request) is ignored too.

    def _bad_framing(self, connection: int, what: str) -> _Response:
        if what == "too_large":
            error = _ApiError(431, "Request header fields too large", close=True)
        else:
            error = _ApiError(
                400, "Malformed HTTP request: connection closed mid-request", close=True
            )
        response = error.response()
        self._record(connection, "?", "?", None, response)
        return response

    # ---------------------------------------------------------------- API logic (loop thread)

    def _dispatch(self, request: _HttpRequest, body: bytes, connection: int) -> _Response | None:
        """Answers one HTTP request; ``None`` means hang.  Synchronous on purpose: with no
        ``await`` between the rate-limit check and its commit, concurrent requests cannot both
        take the last slot."""
        path = request.path
        if path == CHAT_PATH:
            if request.method != "POST":
                return self._finish(connection, request, None, _method_not_allowed("POST"))
            return self._chat(request, body, connection)
        if path == MODELS_PATH or path.startswith(MODELS_PATH + "/"):
            if request.method != "GET":
                return self._finish(connection, request, None, _method_not_allowed("GET"))
            return self._finish(connection, request, None, self._models(request))
        error = _ApiError(
            404,
            f"Unknown request URL: {request.method} {path}. Please check the URL for typos, or "
            "see the docs at https://console.groq.com/docs/",
            code="unknown_url",
        )
        return self._finish(connection, request, None, error.response())

    def _models(self, request: _HttpRequest) -> _Response:
        if not self._authorized(request):
            return _unauthorized()
        if request.path == MODELS_PATH:
            data = [_model_payload(model) for model in self._model_order]
            return _Response(200, {"object": "list", "data": data}, {})
        model = urllib.parse.unquote(request.path[len(MODELS_PATH) + 1 :])
        if model in self._served:
            return _Response(200, _model_payload(model), {})
        error = _ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
        return error.response()

    def _authorized(self, request: _HttpRequest) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            expected = self._api_key
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), expected.encode()
        )

    def _chat(self, request: _HttpRequest, body: bytes, connection: int) -> _Response | None:
        with self._lock:
            fault = self._take_fault()
            responder = self._responder
        if fault is not None:
            peeked = _peek_json(body)
            if fault.status is None:
                self._record(connection, request.method, request.path, peeked, None)
                return None
            headers: dict[str, str] = {}
            if fault.retry_after is not None:
                headers["retry-after"] = str(math.ceil(fault.retry_after))
            model = peeked.get("model") if peeked is not None else None
            model = model if isinstance(model, str) else "unknown"
            if fault.status == 429 and model in self._served:
                headers.update(self.remaining(model))
            error = _fault_error(fault, model)
            return self._finish(connection, request, peeked, error.response(headers))
        if not self._authorized(request):
            return self._finish(connection, request, _peek_json(body), _unauthorized())
        data: dict[str, Any] | None = None
        try:
            data = _parse_json_object(body)
            params = _validate_chat(data, self._served, self._retired)
            answer = _call_responder(responder, data)
        except _ApiError as error:
            return self._finish(connection, request, data, error.response())
        return self._admit(connection, request, data, params, _complete(params, answer))

    def _take_fault(self) -> _Fault | None:
        """The fault for the current request, consuming a one-shot one.  Holds ``_lock``."""
        if self._hang_all:
            return _Fault(None)
        if self._outage is not None:
            return self._outage
        return self._faults.popleft() if self._faults else None

    def _admit(
        self,
        connection: int,
        request: _HttpRequest,
        data: dict[str, Any],
        params: _ChatParams,
        completion: _Completion,
    ) -> _Response:
        """Checks the rate limits and, if the request fits, commits its cost and answers it;
        all under the lock so that the check and the commit are atomic."""
        model = params.model
        cost = completion.cost
        with self._lock:
            now = self._clock()
            limits = self._limits
            usage = self._usage.setdefault(model, _ModelUsage())
            too_large = next(
                (
                    (label, limit)
                    for label, limit in (
                        ("tokens per minute (TPM)", limits.tpm),
                        ("tokens per day (TPD)", limits.tpd),
                    )
                    if cost > limit
                ),
                None,
            )
            blocked = None if too_large else usage.blocking_limit(now, limits, cost)
            if too_large is None and blocked is None:
                usage.add(now, cost)
            headers = usage.headers(now, limits)
            if too_large is not None:
                label, limit = too_large
                error = _ApiError(
                    413,
                    f"Request too large for model `{model}` in organization `{ORGANIZATION}` "
                    f"service tier `on_demand` on {label}: Limit {limit}, Requested {cost}, please "
                    f"reduce your message size and try again. {_TOKENS_UPSELL}",
                    type_="tokens",
                    code="rate_limit_exceeded",
                )
                response = error.response(headers)
            elif blocked is not None:
                hint = _TOKENS_UPSELL if blocked.kind == "tokens" else _REQUESTS_HINT
                error = _ApiError(
                    429,
                    f"Rate limit reached for model `{model}` in organization `{ORGANIZATION}` "
                    f"service tier `on_demand` on {blocked.label}: Limit {blocked.limit}, Used "
                    f"{blocked.used}, Requested {blocked.requested}. Please try again in "
                    f"{format_duration(blocked.wait)}. {hint}",
                    type_=blocked.kind,
                    code="rate_limit_exceeded",
                )
                headers["retry-after"] = str(math.ceil(round(blocked.wait, 6)))
                response = error.response(headers)
            else:
                request_id = f"req_{uuid.uuid4().hex[:26]}"
                headers["x-request-id"] = request_id
                response = _Response(
                    200, _completion_payload(model, completion, request_id), headers
                )
            self._record_locked(
                now, connection, request.method, request.path, data, response, completion
            )
        return response

    def _finish(
        self,
        connection: int,
        request: _HttpRequest,
        data: dict[str, Any] | None,
        response: _Response,
    ) -> _Response:
        """Records a response that involves no rate-limit accounting, then returns it."""
        self._record(connection, request.method, request.path, data, response)
        return response

    def _record(
        self,
        connection: int,
        method: str,
        path: str,
        data: dict[str, Any] | None,
        response: _Response | None,
    ) -> None:
        with self._lock:
            self._record_locked(self._clock(), connection, method, path, data, response, None)

    def _record_locked(
        self,
        now: float,
        connection: int,
        method: str,
        path: str,
        data: dict[str, Any] | None,
        response: _Response | None,
        completion: _Completion | None,
    ) -> None:
        """Appends a record and wakes wait_for_requests().  Holds ``_lock``."""
        status = None if response is None else response.status
        error_code: str | None = None
        if response is not None and isinstance(response.payload, dict):
            error = response.payload.get("error")
            if isinstance(error, dict):
                error_code = error.get("code") or error.get("type")
        model = data.get("model") if data is not None else None
        self._records.append(
            RequestRecord(
                time=now,
                connection=connection,
                method=method,
                path=path,
                request=data,
                model=model if isinstance(model, str) else None,
                status=status,
                prompt_tokens=completion.prompt_tokens if completion else 0,
                completion_tokens=completion.completion_tokens if completion else 0,
                reasoning_tokens=completion.reasoning_tokens if completion else 0,
                error_code=error_code,
                headers=MappingProxyType(dict(response.headers) if response else {}),
            )
        )
        self._received += 1
        if status is None:
            self._hung += 1
        else:
            self._statuses[status] += 1
        self._changed.notify_all()


def _unauthorized() -> _Response:
    error = _ApiError(401, "Invalid API Key", code="invalid_api_key")
    return error.response()


def _method_not_allowed(allowed: str) -> _Response:
    error = _ApiError(405, "Method Not Allowed", code="method_not_allowed")
    return error.response({"allow": allowed})


# --------------------------------------------------------------------------------------------
# Command line


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m voidmail.rig.groq_emulator",
        description="Serve a local emulator of Groq's chat completions API until SIGINT/SIGTERM.",
    )
    defaults = EmulatorLimits()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--rpm", type=int, default=defaults.rpm)
    parser.add_argument("--tpm", type=int, default=defaults.tpm)
    parser.add_argument("--rpd", type=int, default=defaults.rpd)
    parser.add_argument("--tpd", type=int, default=defaults.tpd)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serves until SIGINT or SIGTERM; prints ``listening on URL`` once ready.  Returns 0."""
    args = _parse_args(argv)
    limits = EmulatorLimits(rpm=args.rpm, tpm=args.tpm, rpd=args.rpd, tpd=args.tpd)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()  # Only flag it: the main thread does the shutdown outside the handler.

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with GroqEmulator(limits, api_key=args.api_key, host=args.host, port=args.port) as emulator:
            print(f"groq emulator listening on {emulator.base_url}", flush=True)
            stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
