"""Part 1: LLM throughput against the provider's limit, and the seed's policy beside it.

For each run the emulator counts requests and tokens in strict sliding 60 s windows at RPM=R and
TPM=T, and the daemon is configured with the same plan (``llm.requests_per_minute = R``,
``llm.tokens_per_minute = T``). N LLM-bound mails (product questions, each routed to the LLM by
``triage.decide``, each from its own sender) wait in the mailbox when the daemon starts, so
the provider's limit, not the arrival of mail, is what bounds the rate.

The binding limit is ``min(R, T / tokens per request)`` requests per minute, with the tokens per
request the emulator counted. The achieved rate is the arrivals at the emulator from the first
to the last: ``(n - 1) / (t_last - t_first)``. The busiest 60 s window shows what the provider
saw at worst; it must never exceed R (or T), which is what makes a 429 impossible.

Beside it, against a second emulator with the same limits and at the same time, the seed's
policy is replayed: one mail at a time, a fixed 10 s sleep after each, at most 8 requests per
minute, backoff 30/60/120 s on a 429. It sends the very prompts voidmail builds for its mails,
so only the policy differs. The replay leaves out the seed's own per-mail work (it took 30–90 s
a mail), which flatters it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import groq
from groq.types.chat import ChatCompletionMessageParam

from bench import rig
from voidmail import answer, catalog, config, parse, triage
from voidmail.rig.groq_emulator import CHAT_PATH, EmulatorLimits, GroqEmulator, RequestRecord

SEED_SLEEP = 10.0
SEED_RPM = 8
SEED_BACKOFF = (30.0, 60.0, 120.0, 120.0)
SEED_ATTEMPTS = 5


@dataclasses.dataclass(frozen=True)
class Run:
    name: str
    rpm: int
    tpm: int
    mails: int
    seed_mails: int


@dataclasses.dataclass
class Rates:
    """What the emulator saw of one client."""

    sent: int  # requests answered 200
    rate_limited: int  # 429s
    other: dict[str, int]  # other statuses
    tokens_per_request: float
    requests_per_minute: float  # arrivals, first to last
    tokens_per_minute: float
    busiest_requests: int  # most requests in any 60 s window
    busiest_tokens: int
    span: float  # seconds from the first request to the last
    times: list[float]  # arrivals, seconds after the run's start


@dataclasses.dataclass
class RunResult:
    run: Run
    voidmail: Rates
    seed: Rates
    binding_rpm: float  # min(R, T / tokens per request), with voidmail's tokens per request
    binding: str  # "requests" or "tokens"
    fraction: float  # voidmail's achieved rate / binding_rpm
    seed_fraction: float
    replies: int
    first_reply: float  # seconds after the daemon started
    last_reply: float
    tasks: dict[str, int]
    problems: dict[str, int]


def runs(quick: bool, mails: int | None) -> list[Run]:
    if quick:
        return [
            Run("rpm-bound", 120, 1_000_000, mails or 60, 6),
            Run("tpm-bound (free tier)", 30, 8000, 20, 4),
        ]
    return [
        # The figure: 120 RPM, 120 mails, a TPM that never binds.
        Run("rpm-bound", 120, 1_000_000, 120, 12),
        # Three windows: after the first minute the window itself gates every request.
        Run("rpm-bound, 3 windows", 120, 1_000_000, mails or 360, 12),
        # gpt-oss-20b's free tier: 30 RPM and 8,000 TPM, where the tokens bind first.
        Run("tpm-bound (free tier)", 30, 8000, 60, 12),
    ]


def rates(records: Sequence[RequestRecord], start: float) -> Rates:
    chats = [r for r in records if r.path == CHAT_PATH]
    accepted = [r for r in chats if r.status == 200]
    statuses = Counter(str(r.status) for r in chats if r.status not in (200, 429))
    times = [r.time for r in accepted]
    costs = [r.prompt_tokens + r.completion_tokens for r in accepted]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    per_minute = (len(times) - 1) / span * 60 if span > 0 else float("nan")
    # Tokens sent before the last arrival, over the same span.
    tokens_per_minute = sum(costs[:-1]) / span * 60 if span > 0 else float("nan")
    busiest_requests = busiest_tokens = 0
    first = window_tokens = 0
    for last, now in enumerate(times):
        window_tokens += costs[last]
        while now - times[first] >= 60.0:  # the emulator's strict window
            window_tokens -= costs[first]
            first += 1
        busiest_requests = max(busiest_requests, last - first + 1)
        busiest_tokens = max(busiest_tokens, window_tokens)
    return Rates(
        sent=len(accepted),
        rate_limited=sum(1 for r in chats if r.status == 429),
        other=dict(statuses),
        tokens_per_request=sum(costs) / len(costs) if costs else float("nan"),
        requests_per_minute=per_minute,
        tokens_per_minute=tokens_per_minute,
        busiest_requests=busiest_requests,
        busiest_tokens=busiest_tokens,
        span=span,
        times=[t - start for t in times],
    )


def seed_prompts(config_path: Path, mails: Sequence[bytes]) -> list[list[dict[str, str]]]:
    """The prompts voidmail itself builds for ``mails`` (first contact, no earlier turns)."""
    settings = config.load(config_path)
    answers = rig.load_faq()
    shop_catalog = catalog.Catalog(settings.catalog.file)
    prompts = []
    for raw in mails:
        mail = parse.parse(raw)
        decision = triage.decide(mail, answers)
        products = shop_catalog.relevant(
            f"{mail.subject}\n{mail.new_text[: answer.MAX_CUSTOMER_CHARS]}"
        )
        built = answer.build(settings, mail, decision, answers, products, [], shop_catalog)
        prompts.append(built.messages)
    return prompts


def seed_replay(base_url: str, prompts: Sequence[list[dict[str, str]]]) -> None:
    """The seed's loop: one mail at a time, its 8 RPM cap, a fixed sleep after every mail."""
    client = groq.Groq(api_key=rig.API_KEY, base_url=base_url, max_retries=0, timeout=30.0)
    sent: deque[float] = deque(maxlen=SEED_RPM)
    try:
        for messages in prompts:
            for attempt in range(SEED_ATTEMPTS):
                if len(sent) == SEED_RPM:  # at most 8 requests in any minute
                    time.sleep(max(0.0, sent[0] + 60.0 - time.monotonic()))
                sent.append(time.monotonic())
                try:
                    client.chat.completions.create(
                        model=rig.MODEL,
                        messages=cast("list[ChatCompletionMessageParam]", messages),
                        max_completion_tokens=150,
                        reasoning_effort="low",
                    )
                    break
                except groq.RateLimitError:
                    time.sleep(SEED_BACKOFF[min(attempt, len(SEED_BACKOFF) - 1)])
            time.sleep(SEED_SLEEP)
    finally:
        client.close()


def bench_run(
    root: Path, database: rig.Database, run: Run, questions: list[tuple[str, str]]
) -> RunResult:
    limits = EmulatorLimits(rpm=run.rpm, tpm=run.tpm, rpd=rig.BIG_DAY[0], tpd=rig.BIG_DAY[1])
    tag = f"t{run.rpm}x{run.mails}-"
    if run.mails + run.seed_mails > len(questions):
        raise rig.BenchError(f"only {len(questions)} distinct product questions")
    mails = [rig.llm_mail(tag, n, *questions[n]) for n in range(run.mails)]
    seed_mails = [
        rig.llm_mail(tag + "seed-", n, *questions[run.mails + n])[1] for n in range(run.seed_mails)
    ]
    with (
        rig.servers(root, database, "throughput", limits) as s,
        GroqEmulator(limits, api_key=rig.API_KEY) as seed_emulator,
    ):
        s.dovecot.append_many([raw for _, raw in mails])
        config_path = rig.write_config(s, rpm=run.rpm, tpm=run.tpm)
        prompts = seed_prompts(config_path, seed_mails)
        replies = rig.Replies(s.sink)
        daemon = rig.DaemonProcess(config_path, s.directory / "daemon.log")
        seed = threading.Thread(
            target=seed_replay, args=(seed_emulator.base_url, prompts), daemon=True
        )
        expected_rpm = min(run.rpm, run.tpm / 450)
        timeout = 120 + 1.5 * 60 * run.mails / expected_rpm
        with daemon:
            seed.start()
            if not replies.wait(len(mails), timeout, daemon):
                raise rig.BenchError(
                    f"{run.name}: {replies.poll()} of {len(mails)} replies in {timeout:.0f} s"
                )
            status = daemon.stop()
            if status != 0:
                raise rig.BenchError(f"the daemon exited with {status}: {daemon.tail()}")
        seed.join(timeout=30 + run.seed_mails * (SEED_SLEEP + 30))
        ours = rates(s.emulator.requests, daemon.started)
        theirs = rates(seed_emulator.requests, daemon.started)
        tasks = rig.task_summary(s.database_url)
        reply_times = sorted(replies.at.values())
        problems = daemon.problems()
        if replies.duplicates:
            problems["duplicate_replies"] = replies.duplicates
    token_rpm = run.tpm / ours.tokens_per_request
    binding_rpm = min(run.rpm, token_rpm)
    return RunResult(
        run=run,
        voidmail=ours,
        seed=theirs,
        binding_rpm=binding_rpm,
        binding="requests" if run.rpm <= token_rpm else "tokens",
        fraction=ours.requests_per_minute / binding_rpm,
        seed_fraction=theirs.requests_per_minute / binding_rpm,
        replies=len(reply_times),
        first_reply=reply_times[0] - daemon.started,
        last_reply=reply_times[-1] - daemon.started,
        tasks=tasks,
        problems=problems,
    )


def main(root: Path, database: rig.Database, quick: bool, mails: int | None) -> list[RunResult]:
    questions = rig.product_questions(rig.load_faq())
    results = []
    for run in runs(quick, mails):
        print(
            f"  throughput {run.name}: {run.mails} mails at {run.rpm} RPM / {run.tpm} TPM "
            f"(seed replay: {run.seed_mails} mails) ...",
            flush=True,
        )
        result = bench_run(root, database, run, questions)
        print(
            f"    {result.voidmail.requests_per_minute:.1f} req/min = {result.fraction:.1%} of "
            f"{result.binding_rpm:.1f}; 429s {result.voidmail.rate_limited}; seed "
            f"{result.seed.requests_per_minute:.1f} req/min = {result.seed_fraction:.1%}",
            flush=True,
        )
        results.append(result)
    return results


def as_json(results: list[RunResult]) -> list[dict[str, Any]]:
    out = []
    for result in results:
        data = dataclasses.asdict(result)
        data["voidmail"].pop("times")
        data["seed"].pop("times")
        out.append(data)
    return out


def target_met(result: RunResult) -> bool:
    """The issue's target: zero 429s and at least 90 % of the provider's limit used."""
    return result.voidmail.rate_limited == 0 and result.fraction >= 0.9
