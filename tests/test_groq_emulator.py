"""The Groq emulator, exercised through the official ``groq`` SDK as voidmail uses it.

Time is faked: the emulator's rate-limit windows run on a ``FakeClock`` the tests move by hand,
and waits for the server use its condition-based ``wait_for_requests`` with a deadline.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import groq
import httpx
import pytest
from groq import AsyncGroq
from groq.types.chat import ChatCompletion, ChatCompletionMessageParam

from voidmail.rig.groq_emulator import (
    REASONING_TOKENS,
    EmulatorLimits,
    GroqEmulator,
    default_responder,
    estimate_tokens,
    format_duration,
)

KEY = "gsk_test_key"
MODEL = "openai/gpt-oss-20b"
QUESTION = "¿Dónde está mi pedido?"  # 22 characters: 6 tokens, plus 4 for the message.
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": QUESTION}]
PROMPT_TOKENS = 10
ANSWER_TOKENS = estimate_tokens(default_responder({}))
# The cost of MESSAGES with default settings: prompt + medium reasoning + the default answer.
COST = PROMPT_TOKENS + REASONING_TOKENS["medium"] + ANSWER_TOKENS
START = 1000.0
REPO_ROOT = Path(__file__).resolve().parents[1]
DURATION = re.compile(r"^(?:\d+h)?(?:\d+m)?\d+(?:\.\d{1,2})?s$")
RATE_HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
)


class FakeClock:
    """A settable monotonic clock, read from the emulator's thread."""

    def __init__(self, now: float = START) -> None:
        self._lock = threading.Lock()
        self._now = now

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def set(self, now: float) -> None:
        with self._lock:
            self._now = now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[GroqEmulator]:
    with GroqEmulator(api_key=KEY, clock=clock) as emu:
        yield emu


@pytest.fixture
async def client(emulator: GroqEmulator) -> AsyncIterator[AsyncGroq]:
    async with AsyncGroq(
        base_url=emulator.base_url, api_key=KEY, max_retries=0, timeout=10.0
    ) as sdk:
        yield sdk


async def ask(client: AsyncGroq, model: str = MODEL) -> ChatCompletion:
    return await client.chat.completions.create(model=model, messages=MESSAGES)


def error_of(exc: groq.APIStatusError) -> dict[str, Any]:
    """The ``error`` object of a Groq error body (the SDK keeps the whole body in ``.body``)."""
    body = exc.body
    assert isinstance(body, dict)
    error = body["error"]
    assert isinstance(error, dict)
    return error


async def test_completion_parses_with_usage_and_rate_limit_headers(
    emulator: GroqEmulator, client: AsyncGroq
) -> None:
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    completion = await raw.parse()

    assert raw.status_code == 200
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == MODEL
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    content = choice.message.content
    assert content is not None
    assert content.startswith("¡Hola! Gracias por escribirnos.")
    assert not re.search(r"https?://|www\.|\d|[€$]", content)
    assert choice.message.reasoning is None
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens == PROMPT_TOKENS
    assert usage.completion_tokens == REASONING_TOKENS["medium"] + ANSWER_TOKENS
    assert usage.total_tokens == COST
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 64
    assert usage.total_time is not None
    assert completion.x_groq is not None
    assert completion.x_groq.id == raw.headers["x-request-id"]

    headers = raw.headers
    assert headers["x-ratelimit-limit-requests"] == "14400"
    assert headers["x-ratelimit-remaining-requests"] == "14399"
    assert headers["x-ratelimit-limit-tokens"] == "6000"
    assert headers["x-ratelimit-remaining-tokens"] == str(6000 - COST)
    assert headers["x-ratelimit-reset-tokens"] == "1m0s"
    assert headers["x-ratelimit-reset-requests"] == "24h0m0s"
    assert DURATION.match(headers["x-ratelimit-reset-tokens"])
    assert DURATION.match(headers["x-ratelimit-reset-requests"])
    assert "retry-after" not in headers

    (record,) = emulator.requests
    assert (record.status, record.model, record.path) == (200, MODEL, "/openai/v1/chat/completions")
    assert (record.prompt_tokens, record.completion_tokens) == (PROMPT_TOKENS, COST - 10)
    assert record.time == START
    assert record.headers["x-ratelimit-remaining-tokens"] == str(6000 - COST)


async def test_models_lists_served_models_only(client: AsyncGroq) -> None:
    models = await client.models.list()
    assert [m.id for m in models.data] == [
        "openai/gpt-oss-20b",
        "openai/gpt-oss-120b",
        "qwen/qwen3-32b",
    ]
    assert (await client.models.retrieve("qwen/qwen3-32b")).id == "qwen/qwen3-32b"
    with pytest.raises(groq.NotFoundError):
        await client.models.retrieve("llama-3.1-8b-instant")


async def test_wrong_api_key_is_an_authentication_error(emulator: GroqEmulator) -> None:
    async with AsyncGroq(base_url=emulator.base_url, api_key="gsk_wrong", max_retries=0) as bad:
        with pytest.raises(groq.AuthenticationError) as caught:
            await ask(bad)
    assert caught.value.status_code == 401
    assert error_of(caught.value) == {
        "message": "Invalid API Key",
        "type": "invalid_request_error",
        "code": "invalid_api_key",
    }
    assert emulator.count_by_status() == {401: 1}


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ("llama-3.1-8b-instant", "has been decommissioned"),
        ("llama-3.3-70b-versatile", "has been decommissioned"),
        ("gpt-4o", "does not exist"),
    ],
)
async def test_retired_and_unknown_models_are_not_found(
    client: AsyncGroq, model: str, fragment: str
) -> None:
    with pytest.raises(groq.NotFoundError) as caught:
        await ask(client, model=model)
    error = error_of(caught.value)
    assert error["code"] == "model_not_found"
    assert error["type"] == "invalid_request_error"
    assert f"The model `{model}` {fragment}" in error["message"]


async def test_rpm_is_a_strict_sliding_window(
    emulator: GroqEmulator, client: AsyncGroq, clock: FakeClock
) -> None:
    emulator.set_limits(EmulatorLimits(rpm=3))
    for offset in (0, 20, 40):
        clock.set(START + offset)
        await ask(client)

    clock.set(START + 50)
    with pytest.raises(groq.RateLimitError) as caught:
        await ask(client)
    response = caught.value.response
    assert response.headers["retry-after"] == "10"
    assert all(name in response.headers for name in RATE_HEADERS)
    error = error_of(caught.value)
    assert error["type"] == "requests"
    assert error["code"] == "rate_limit_exceeded"
    assert (
        f"Rate limit reached for model `{MODEL}` in organization `org_emulator` service tier "
        "`on_demand` on requests per minute (RPM): Limit 3, Used 3, Requested 1. "
        "Please try again in 10s." in error["message"]
    )

    # A hundredth of a second before the first request leaves the window, still full.
    clock.set(START + 59.99)
    with pytest.raises(groq.RateLimitError) as caught:
        await ask(client)
    assert caught.value.response.headers["retry-after"] == "1"

    clock.set(START + 60)
    await ask(client)
    # Sliding, not fixed: the requests of t+20 and t+40 still count.
    with pytest.raises(groq.RateLimitError) as caught:
        await ask(client)
    assert caught.value.response.headers["retry-after"] == "20"
    clock.set(START + 80)
    await ask(client)
    assert emulator.count_by_status() == {200: 5, 429: 3}
    assert emulator.rate_limited == 3


async def test_tpm_limit_and_rejections_consume_nothing(
    emulator: GroqEmulator, client: AsyncGroq, clock: FakeClock
) -> None:
    tpm = 3 * COST + COST // 2
    emulator.set_limits(EmulatorLimits(tpm=tpm))
    for offset in (0, 10, 20):
        clock.set(START + offset)
        await ask(client)

    clock.set(START + 30)
    for _ in range(2):  # The same answer twice: the first rejection took nothing.
        with pytest.raises(groq.RateLimitError) as caught:
            await ask(client)
        headers = caught.value.response.headers
        assert headers["retry-after"] == "30"
        assert headers["x-ratelimit-remaining-tokens"] == str(tpm - 3 * COST)
        assert headers["x-ratelimit-limit-tokens"] == str(tpm)
        error = error_of(caught.value)
        assert error["type"] == "tokens"
        assert error["code"] == "rate_limit_exceeded"
        assert (
            f"on tokens per minute (TPM): Limit {tpm}, Used {3 * COST}, Requested {COST}. "
            "Please try again in 30s. Need more tokens?" in error["message"]
        )

    clock.set(START + 60)
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(tpm - 3 * COST)
    assert raw.headers["x-ratelimit-reset-tokens"] == "1m0s"


async def test_limits_are_per_model(emulator: GroqEmulator, client: AsyncGroq) -> None:
    emulator.set_limits(EmulatorLimits(rpm=1))
    await ask(client)
    with pytest.raises(groq.RateLimitError):
        await ask(client)
    await ask(client, model="openai/gpt-oss-120b")


async def test_rpd_uses_a_day_window(
    emulator: GroqEmulator, client: AsyncGroq, clock: FakeClock
) -> None:
    emulator.set_limits(EmulatorLimits(rpd=2))
    await ask(client)
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.headers["x-ratelimit-remaining-requests"] == "0"

    clock.set(START + 60)
    with pytest.raises(groq.RateLimitError) as caught:
        await ask(client)
    assert caught.value.response.headers["retry-after"] == str(86400 - 60)
    error = error_of(caught.value)
    assert error["type"] == "requests"
    assert "requests per day (RPD): Limit 2, Used 2" in error["message"]
    assert "Please try again in 23h59m0s." in error["message"]

    clock.set(START + 86400)
    await ask(client)


async def test_oversized_request_is_413_and_consumes_nothing(client: AsyncGroq) -> None:
    huge: list[ChatCompletionMessageParam] = [{"role": "user", "content": "x" * 24_000}]
    requested = 6000 + 4 + REASONING_TOKENS["medium"] + ANSWER_TOKENS
    with pytest.raises(groq.APIStatusError) as caught:
        await client.chat.completions.create(model=MODEL, messages=huge)
    assert caught.value.status_code == 413
    assert not isinstance(caught.value, groq.RateLimitError)
    assert "retry-after" not in caught.value.response.headers
    error = error_of(caught.value)
    assert (error["type"], error["code"]) == ("tokens", "rate_limit_exceeded")
    assert (
        f"Request too large for model `{MODEL}` in organization `org_emulator` service tier "
        f"`on_demand` on tokens per minute (TPM): Limit 6000, Requested {requested}, please "
        "reduce your message size and try again." in error["message"]
    )

    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(6000 - COST)


async def test_injected_faults_and_recovery(emulator: GroqEmulator, client: AsyncGroq) -> None:
    emulator.fail_next(503)
    with pytest.raises(groq.InternalServerError) as caught:
        await ask(client)
    assert caught.value.status_code == 503
    assert error_of(caught.value)["type"] == "internal_server_error"
    await ask(client)

    emulator.fail_next(429, retry_after=2.5)
    with pytest.raises(groq.RateLimitError) as limited:
        await ask(client)
    assert limited.value.response.headers["retry-after"] == "3"
    assert all(name in limited.value.response.headers for name in RATE_HEADERS)
    assert "Please try again in 2.5s." in error_of(limited.value)["message"]

    emulator.set_outage(502)
    for _ in range(2):
        with pytest.raises(groq.InternalServerError) as caught:
            await ask(client)
        assert caught.value.status_code == 502
    emulator.set_outage(None)
    await ask(client)

    assert emulator.count_by_status() == {200: 2, 429: 1, 502: 2, 503: 1}
    # Faults consume no budget: only the two answers count.
    assert emulator.remaining(MODEL)["x-ratelimit-remaining-requests"] == str(14400 - 2)


async def test_hang_times_out_the_client_and_does_not_block_stop(
    emulator: GroqEmulator, client: AsyncGroq
) -> None:
    emulator.hang_next()
    with pytest.raises(groq.APITimeoutError):
        await client.with_options(timeout=0.5).chat.completions.create(
            model=MODEL, messages=MESSAGES
        )
    await ask(client)  # One-shot: the next request is answered.

    emulator.set_hang(True)
    pending = asyncio.create_task(ask(client))
    assert await asyncio.to_thread(emulator.wait_for_requests, 3, 5.0)
    assert emulator.hung == 2
    started = time.monotonic()
    await asyncio.to_thread(emulator.stop)
    assert time.monotonic() - started < 2.0
    assert not emulator.running
    # The server dropped the hung connection: a connection error, not a timeout.
    with pytest.raises(groq.APIConnectionError) as caught:
        await pending
    assert not isinstance(caught.value, groq.APITimeoutError)


async def test_reasoning_effort_spends_completion_tokens(client: AsyncGroq) -> None:
    low = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, reasoning_effort="low", max_tokens=150
    )
    assert low.choices[0].finish_reason == "stop"
    assert low.choices[0].message.content == default_responder({})
    assert low.usage is not None
    assert low.usage.completion_tokens == 16 + ANSWER_TOKENS
    assert low.usage.completion_tokens_details is not None
    assert low.usage.completion_tokens_details.reasoning_tokens == 16

    high = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, reasoning_effort="high", max_tokens=100
    )
    assert high.choices[0].finish_reason == "length"
    assert high.choices[0].message.content == ""
    assert high.usage is not None
    assert high.usage.completion_tokens == 100
    assert high.usage.completion_tokens_details is not None
    assert high.usage.completion_tokens_details.reasoning_tokens == 100

    # Medium reasoning (64) leaves 16 tokens of a longer answer: cut, finish_reason "length".
    cut = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, max_completion_tokens=80
    )
    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content == default_responder({})[:64]


async def test_reasoning_visibility(client: AsyncGroq) -> None:
    shown = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, include_reasoning=True
    )
    message = shown.choices[0].message
    assert message.reasoning is not None
    assert estimate_tokens(message.reasoning) == 64
    assert message.content == default_responder({})

    raw = await client.chat.completions.create(
        model="qwen/qwen3-32b", messages=MESSAGES, reasoning_format="raw"
    )
    content = raw.choices[0].message.content
    assert content is not None
    assert content.startswith("<think>\n")
    assert content.endswith("</think>\n\n" + default_responder({}))
    assert raw.choices[0].message.reasoning is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (7.66, "7.66s"),
        (179.56, "2m59.56s"),
        (3723.5, "1h2m3.5s"),
        (0.5, "0.5s"),
        (0, "0s"),
        (60, "1m0s"),
        (0.001, "0.01s"),  # Rounded up: never tell a client to wait too little.
        (59.999, "1m0s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


async def test_unsupported_parameters_are_bad_requests(
    emulator: GroqEmulator, client: AsyncGroq
) -> None:
    with pytest.raises(groq.BadRequestError) as caught:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES, n=2)
    assert error_of(caught.value)["type"] == "invalid_request_error"
    with pytest.raises(groq.BadRequestError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES, logprobs=True)
    with pytest.raises(groq.BadRequestError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES, logit_bias={"1": 1})
    with pytest.raises(groq.BadRequestError):
        await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, extra_body={"reasoning_effort": "extreme"}
        )
    assert emulator.count_by_status() == {400: 4}
    assert emulator.remaining(MODEL)["x-ratelimit-remaining-requests"] == "14400"


async def test_malformed_requests_get_400_and_the_server_survives(
    emulator: GroqEmulator, client: AsyncGroq
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", emulator.port)
    try:
        writer.write(b"THIS IS NOT HTTP\r\n\r\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 5.0)
    finally:
        writer.close()
        await writer.wait_closed()
    assert reply.startswith(b"HTTP/1.1 400 ")

    async with httpx.AsyncClient(base_url=emulator.base_url) as http:
        response = await http.post(
            "/openai/v1/chat/completions",
            content=b"{not json",
            headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
        response = await http.post(
            "/openai/v1/chat/completions",
            json={"model": MODEL},
            headers={"authorization": f"Bearer {KEY}"},
        )
        assert response.status_code == 400
        assert "messages" in response.json()["error"]["message"]
        response = await http.get("/v1/chat/completions")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_url"

    await ask(client)


async def test_concurrent_requests_never_exceed_rpm(
    emulator: GroqEmulator, client: AsyncGroq
) -> None:
    emulator.set_limits(EmulatorLimits(rpm=10))
    results = await asyncio.gather(*(ask(client) for _ in range(20)), return_exceptions=True)
    assert sum(isinstance(r, ChatCompletion) for r in results) == 10
    assert sum(isinstance(r, groq.RateLimitError) for r in results) == 10
    assert emulator.count_by_status() == {200: 10, 429: 10}


async def test_custom_responder_and_a_failing_one(
    emulator: GroqEmulator, client: AsyncGroq
) -> None:
    def echo(request: dict[str, Any]) -> str:
        return f"Eco: {request['messages'][-1]['content']}"

    def broken(request: dict[str, Any]) -> str:
        raise RuntimeError("responder bug")

    emulator.set_responder(echo)
    completion = await ask(client)
    assert completion.choices[0].message.content == f"Eco: {QUESTION}"

    emulator.set_responder(broken)
    with pytest.raises(groq.InternalServerError):
        await ask(client)
    emulator.set_responder(None)
    assert (await ask(client)).choices[0].message.content == default_responder({})


def test_sync_client_reuses_one_keep_alive_connection(emulator: GroqEmulator) -> None:
    with groq.Groq(base_url=emulator.base_url, api_key=KEY, max_retries=0) as sync_client:
        for _ in range(3):
            sync_client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len({record.connection for record in emulator.requests}) == 1
    assert emulator.wait_for_requests(3, timeout=0.0)
    assert not emulator.wait_for_requests(4, timeout=0.05)
    emulator.reset_stats()
    assert emulator.requests == []
    assert emulator.received == 0


async def test_command_line_serves_until_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "voidmail.rig.groq_emulator",
        "--port",
        "0",
        "--tpm",
        "1234",
        "--api-key",
        "gsk_cli",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10.0)).decode()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        async with AsyncGroq(base_url=match[1], api_key="gsk_cli", max_retries=0) as sdk:
            raw = await sdk.chat.completions.with_raw_response.create(
                model=MODEL, messages=MESSAGES
            )
        assert raw.headers["x-ratelimit-limit-tokens"] == "1234"
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 10.0)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
