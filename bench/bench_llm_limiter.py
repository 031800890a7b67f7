"""How close to the provider's limit the LLM client runs, and whether it ever gets a 429.

Usage: ``python bench/bench_llm_limiter.py [--quick] [--workers N]``

It starts the Groq emulator, which counts in strict sliding 60 s windows on the real clock. Eight
workers then share one ``LlmClient``, one ``Limiter`` and one ``CircuitBreaker``, as in the
daemon, and drain a queue of jobs through ``complete()``. Every request is real HTTP through the
official SDK. There are two runs:

* **rpm-bound**: 120 RPM with a TPM too large to matter. There are 240 jobs, two full windows:
  the first fills the window through the pace, and the second is gated by the window itself.
  About 2 minutes.
* **tpm-bound**: the same RPM, with a TPM set to half of it in requests (each request costs a
  fixed, known number of tokens). There are 120 jobs. About 2 minutes.

``--quick`` runs at 600 RPM with 200 and 100 jobs, about 20 s each. The window never fills
there, so it measures the pace alone and not the window invariant; the full run does both.

For each run it reports:

* how many requests went and how many 429s came back;
* the sustained request and token rates at the emulator, as a fraction of the limits: arrivals
  from the first to the last request;
* the most requests and tokens any 60 s window at the emulator held.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voidmail import breaker, limiter, llm, logs
from voidmail.config import LlmSettings, Secret
from voidmail.errors import VoidmailError
from voidmail.rig.groq_emulator import (
    REASONING_TOKENS,
    EmulatorLimits,
    GroqEmulator,
    RequestRecord,
    default_responder,
    estimate_prompt_tokens,
    estimate_tokens,
)

KEY = "gsk_bench"
MODEL = "openai/gpt-oss-20b"
BIG = 10**9
MESSAGES = [
    {
        "role": "system",
        "content": "Eres el asistente de atención al cliente de una pequeña tienda online. "
        "Responde en español, con cortesía y sin inventar precios ni enlaces.",
    },
    {
        "role": "user",
        "content": "Hola, hice un pedido hace una semana y todavía no me ha llegado. "
        "¿Podéis decirme cuándo lo recibiré? Gracias.",
    },
]
# What each request costs at the emulator: prompt + low reasoning + the default answer.
COST = (
    estimate_prompt_tokens(MESSAGES)
    + REASONING_TOKENS["low"]
    + estimate_tokens(default_responder({}))
)


@dataclass(frozen=True)
class Run:
    name: str
    rpm: int
    tpm: int
    jobs: int


@dataclass(frozen=True)
class Result:
    run: Run
    sent: int
    rate_limited: int
    errors: int
    wall: float
    requests_per_minute: float
    tokens_per_minute: float
    most_requests: int
    most_tokens: int


def runs(quick: bool) -> list[Run]:
    rpm = 600 if quick else 120
    return [
        Run("rpm-bound", rpm, BIG, 200 if quick else 2 * rpm),
        Run("tpm-bound", rpm, COST * rpm // 2, 100 if quick else rpm),
    ]


async def bench(run: Run, workers: int) -> Result:
    limits = EmulatorLimits(rpm=run.rpm, tpm=run.tpm, rpd=BIG, tpd=BIG)
    with GroqEmulator(limits, api_key=KEY) as emulator:
        settings = LlmSettings(
            api_key=Secret(KEY),
            base_url=emulator.base_url,
            model=MODEL,
            reasoning_effort="low",
            requests_per_minute=run.rpm,
            tokens_per_minute=run.tpm,
            max_tokens=150,
            timeout=30.0,
        )
        shared_limiter = limiter.Limiter(run.rpm, run.tpm, BIG, BIG)
        shared_breaker = breaker.CircuitBreaker(3, 120.0)
        jobs: asyncio.Queue[int] = asyncio.Queue()
        for job in range(run.jobs):
            jobs.put_nowait(job)
        errors = 0

        async def worker(client: llm.LlmClient) -> None:
            nonlocal errors
            while not jobs.empty():
                jobs.get_nowait()
                try:
                    await client.complete(MESSAGES)
                except VoidmailError as exc:
                    errors += 1
                    print(f"  {run.name}: {type(exc).__name__}: {exc}", file=sys.stderr)

        started = time.monotonic()
        async with llm.LlmClient(settings, shared_limiter, shared_breaker) as client:
            await asyncio.gather(*(worker(client) for _ in range(workers)))
        wall = time.monotonic() - started
        accepted = [r for r in emulator.requests if r.status == 200]
        return summarize(run, accepted, emulator.rate_limited, errors, wall)


def summarize(
    run: Run, accepted: list[RequestRecord], rate_limited: int, errors: int, wall: float
) -> Result:
    times = [r.time for r in accepted]
    costs = [r.prompt_tokens + r.completion_tokens for r in accepted]
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    # Arrivals from the first to the last: n - 1 intervals, and the tokens sent before the last.
    per_minute = (len(times) - 1) / span * 60
    tokens_per_minute = sum(costs[:-1]) / span * 60
    most_requests = most_tokens = 0
    start = 0
    window_tokens = 0
    for end, now in enumerate(times):
        window_tokens += costs[end]
        while now - times[start] >= 60.0:
            window_tokens -= costs[start]
            start += 1
        most_requests = max(most_requests, end - start + 1)
        most_tokens = max(most_tokens, window_tokens)
    return Result(
        run,
        len(accepted),
        rate_limited,
        errors,
        wall,
        per_minute,
        tokens_per_minute,
        most_requests,
        most_tokens,
    )


def table(results: list[Result]) -> str:
    header = (
        f"{'run':<10} {'RPM':>5} {'TPM':>7} {'sent':>5} {'429s':>5} {'errors':>6} "
        f"{'wall s':>7} {'req/min':>16} {'tok/min':>16} {'max req/60s':>11} {'max tok/60s':>11}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        tpm = "-" if r.run.tpm >= BIG else str(r.run.tpm)
        tokens = (
            f"{r.tokens_per_minute:7.0f}"
            if r.run.tpm >= BIG
            else f"{r.tokens_per_minute:7.0f} ({r.tokens_per_minute / r.run.tpm:6.1%})"
        )
        lines.append(
            f"{r.run.name:<10} {r.run.rpm:>5} {tpm:>7} {r.sent:>5} {r.rate_limited:>5} "
            f"{r.errors:>6} {r.wall:>7.1f} "
            f"{r.requests_per_minute:7.1f} ({r.requests_per_minute / r.run.rpm:6.1%}) "
            f"{tokens:>16} {r.most_requests:>11} {r.most_tokens:>11}"
        )
    return "\n".join(lines)


async def main(quick: bool, workers: int) -> int:
    logs.configure("warning")  # The client's per-call debug lines are not the point here.
    print(f"{workers} workers, one shared limiter; each request costs {COST} tokens")
    results = []
    for run in runs(quick):
        print(f"running {run.name}: {run.jobs} jobs at {run.rpm} RPM ...", flush=True)
        results.append(await bench(run, workers))
    print()
    print(table(results))
    return 1 if any(r.rate_limited or r.errors for r in results) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="600 RPM, about 20 s per run")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.quick, args.workers)))
