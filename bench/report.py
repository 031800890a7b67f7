"""``bench/REPORT.md`` and ``bench/llm_rpm.png`` from the parts' results."""

from __future__ import annotations

import bisect
import dataclasses
import math
from pathlib import Path
from typing import Any

from bench import backlog, idle, latency, rig, throughput, tokens


@dataclasses.dataclass
class Report:
    command: str
    started: str  # local date and time
    minutes: float
    machine: dict[str, str]
    load_end: str = ""
    throughput: list[throughput.RunResult] | None = None
    latency: latency.Result | None = None
    backlog: list[backlog.Result] | None = None
    tokens: tokens.Result | None = None
    idle: idle.Result | None = None
    limiter: str | None = None  # bench_llm_limiter's table
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    chart: str = ""  # what happened to the chart


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _yes(met: bool) -> str:
    return "**met**" if met else "**missed**"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _problems(problems: dict[str, int]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(problems.items())) or "none"


def targets(r: Report) -> list[list[str]]:
    rows = []
    if r.throughput:
        issue = next((t for t in r.throughput if t.run.mails == t.run.rpm), r.throughput[0])
        rows.append(
            [
                "1",
                f"{issue.run.rpm} RPM strict window, {issue.run.mails} LLM mails: zero 429s and "
                "≥ 90 % of the limit used",
                f"{issue.voidmail.rate_limited} 429s, {issue.fraction:.1%} "
                f"(seed policy: {issue.seed_fraction:.1%})",
                _yes(throughput.target_met(issue)),
            ]
        )
    if r.latency:
        rows.append(
            [
                "2",
                "FAQ reply: overhead above the IDLE push floor ≤ 100 ms at p50",
                f"{_ms(r.latency.overhead_p50())} (p50 {_ms(rig.percentile(r.latency.latency, 50))}"
                f" vs floor {_ms(rig.percentile(r.latency.push, 50))})",
                _yes(r.latency.overhead_p50() <= 0.100),
            ]
        )
    if r.backlog:
        big = max(r.backlog, key=lambda b: b.mails)
        rows.append(
            [
                "3",
                f"peak RSS ≤ 200 MiB with {big.mails:,} mails waiting",
                f"{big.peak_rss_mib:.0f} MiB, cleared at {big.mails_per_second:.1f} mails/s",
                _yes(big.peak_rss_mib <= 200),
            ]
        )
    if r.tokens:
        typical = r.tokens.three_turn_prompt(r.tokens.typical)
        worst = r.tokens.three_turn_prompt(r.tokens.worst)
        rows.append(
            [
                "4",
                "mean prompt ≤ 350 tokens with catalog excerpt and 3 turns",
                f"{typical:.0f} (typical answers), {worst:.0f} (full-budget answers); "
                f"first contact {rig.mean([c.prompt for c in r.tokens.corpus_calls]):.0f}",
                _yes(typical <= 350 and worst <= 350),
            ]
        )
    if r.idle:
        rows.append(
            [
                "5",
                f"idle cost over {r.idle.seconds:.0f} s (no target)",
                f"{r.idle.cpu_seconds * 1000:.0f} ms CPU ({r.idle.cpu_percent:.3f} % of a core), "
                f"RSS {r.idle.rss_mib:.0f} MiB",
                "—",
            ]
        )
    return rows


def render(r: Report, chart_name: str) -> str:
    m = r.machine
    out = [
        "# voidmail benchmark report",
        "",
        f"Produced by `{r.command}` on {r.started}, in {r.minutes:.0f} minutes. Every figure "
        "comes from that run; `python -m bench --help` lists the options.",
        "",
        "## Machine",
        "",
    ]
    out += _table(
        ["", ""],
        [
            ["CPU", f"{m['cpu']}, {m['cores']} cores"],
            ["RAM", m["memory"]],
            ["OS", m["os"]],
            ["Python", m["python"]],
            ["Dovecot", m["dovecot"]],
            ["PostgreSQL", m["postgresql"]],
            ["voidmail", m["voidmail"]],
            ["load average (1/5/15 min)", f"{m['load']} at start, {r.load_end} at the end"],
        ],
    )
    out += [
        "",
        "Everything runs on this one machine, on loopback: the daemon as its own process "
        "(`python -m voidmail --config FILE run`, log level `info`, 4 workers), a throwaway "
        "Dovecot per part, the aiosmtpd SMTP sink and the Groq emulator in threads of the "
        "benchmark process, and PostgreSQL. Other jobs may have shared the machine; the load "
        "average above says how busy it was. Dovecot runs with its default IDLE timers "
        "(`mailbox_idle_check_interval = 30 s`, `imap_idle_notify_interval = 2 min`; the test "
        "rig's are 1 s and 10 s), and the SMTP sink's connections get `TCP_NODELAY`: without it "
        "aiosmtpd's EHLO reply stalls 40 ms on Nagle and delayed ACK for every message, an "
        "artefact of the test server (see `voidmail/rig/smtp_sink.py`).",
        "",
        "## Targets",
        "",
    ]
    out += _table(["#", "target", "result", ""], targets(r))
    for name, error in r.errors.items():
        out += ["", f"**{name} failed:** `{error}`"]
    if r.throughput:
        out += ["", *_throughput(r.throughput, chart_name, r.chart)]
    if r.latency:
        out += ["", *_latency(r.latency)]
    if r.backlog:
        out += ["", *_backlog(r.backlog)]
    if r.tokens:
        out += ["", *_tokens(r.tokens)]
    if r.idle:
        out += ["", *_idle(r.idle)]
    if r.limiter:
        out += ["", *_limiter(r.limiter)]
    return "\n".join(out) + "\n"


def _throughput(results: list[throughput.RunResult], chart_name: str, chart: str) -> list[str]:
    out = [
        "## 1. LLM throughput",
        "",
        (throughput.__doc__ or "").split("\n\n", 1)[1].strip(),
        "",
    ]
    rows = []
    for t in results:
        v, s = t.voidmail, t.seed
        tpm = "—" if t.run.tpm >= 1_000_000 else f"{t.run.tpm:,}"
        rows.append(
            [
                t.run.name,
                f"{t.run.rpm} / {tpm}",
                f"{t.run.mails}",
                f"{v.tokens_per_request:.0f}",
                f"{t.binding_rpm:.1f} ({t.binding})",
                f"{v.requests_per_minute:.1f}",
                f"**{t.fraction:.1%}**",
                f"{v.rate_limited}",
                f"{v.busiest_requests} / {v.busiest_tokens:,}",
                f"{t.last_reply:.0f} s",
                f"{s.sent}: {s.requests_per_minute:.1f} = {t.seed_fraction:.1%}, "
                f"{s.rate_limited} 429s",
            ]
        )
    out += _table(
        [
            "run",
            "RPM / TPM",
            "mails",
            "tokens/request",
            "binding limit, req/min",
            "achieved req/min",
            "of the limit",
            "429s",
            "busiest 60 s: requests / tokens",
            "all answered after",
            "seed replay: requests, req/min, of the limit",
        ],
        rows,
    )
    out += [
        "",
        "The achieved rate counts arrivals from the first request to the last. A strict window "
        "lets R requests arrive within any 60 s, and the limiter lets 3 go back to back after "
        "a pause, so a run of about R requests can show slightly more than 100 %; the busiest "
        "60 s column is what the provider saw at worst, and it never exceeds R or T. "
        '"All answered after" runs from the daemon\'s start to the last reply at the SMTP '
        "server, start-up and the first sweep included.",
        "",
        "The seed replay sends a dozen mails, one every 10 s plus the request (the 8 RPM cap "
        "never binds behind the sleep), so it is reported per minute like the rest.",
        "",
    ]
    for t in results:
        tasks = ", ".join(f"{k} {v}" for k, v in t.tasks.items())
        out.append(
            f"- {t.run.name}: replies {t.replies}; tasks {tasks}; daemon warnings and errors: "
            f"{_problems(t.problems)}; other statuses at the emulator: "
            f"{t.voidmail.other or 'none'}."
        )
    out += ["", f"![LLM requests per minute against the limit]({chart_name})" if chart else ""]
    if chart and chart != "written":
        out[-1] = f"Chart: {chart}."
    return out


def _latency(r: latency.Result) -> list[str]:
    doc = (latency.__doc__ or "").split("\n\n", 1)[1].strip()
    out = ["## 2. FAQ latency", "", doc, ""]
    rows = []
    for name, values in (
        ("arrival → reply at the SMTP server", r.latency),
        ("floor: arrival → IDLE push (bare client)", r.push),
        ("overhead: reply − push, per mail", r.overhead),
    ):
        st = r.stats(values)
        rows.append([name, _ms(st["p50"]), _ms(st["p95"]), _ms(st["p99"]), _ms(st["max"])])
    out += _table([f"{r.mails} FAQ mails", "p50", "p95", "p99", "max"], rows)
    out += [
        "",
        f"Overhead at p50 (p50 latency − p50 floor): **{_ms(r.overhead_p50())}**. Tasks: "
        + ", ".join(f"{k} {v}" for k, v in r.tasks.items())
        + f". Daemon warnings and errors: {_problems(r.problems)}.",
    ]
    return out


def _backlog(results: list[backlog.Result]) -> list[str]:
    out = ["## 3. Backlog", "", (backlog.__doc__ or "").split("\n\n", 1)[1].strip(), ""]
    rows = []
    for b in results:
        rows.append(
            [
                f"{b.mails:,}",
                f"{b.last_reply:.1f} s",
                f"**{b.mails_per_second:.1f}**",
                f"{b.ready:.1f} s",
                f"{b.first_reply:.1f} s",
                f"**{b.peak_rss_mib:.1f} MiB**",
                f"{b.end_rss_mib:.1f} MiB",
                f"{b.cpu_seconds:.1f} s ({b.cpu_seconds / b.mails * 1000:.1f} ms/mail)",
            ]
        )
    out += _table(
        [
            "mails waiting",
            "cleared after",
            "mails/s",
            "all recorded (ready)",
            "first reply",
            "peak RSS (VmHWM)",
            "RSS at the end",
            "daemon CPU",
        ],
        rows,
    )
    out.append("")
    for b in results:
        tasks = ", ".join(f"{k} {v}" for k, v in b.tasks.items())
        out.append(
            f"- {b.mails:,}: tasks {tasks}; duplicate replies {b.duplicates}; daemon warnings and "
            f"errors: {_problems(b.problems)}; appending the backlog took {b.append_seconds:.1f} s "
            "(not counted)."
        )
    return out


def _tokens(r: tokens.Result) -> list[str]:
    out = ["## 4. Tokens", "", (tokens.__doc__ or "").split("\n\n", 1)[1].strip(), ""]
    rows = []

    def row(name: str, calls: list[tokens.Call]) -> list[str]:
        s = tokens.summary(calls)
        return [
            name,
            f"{s['calls']:.0f}",
            f"**{s['prompt_mean']:.0f}**",
            f"{s['prompt_p50']:.0f}",
            f"{s['prompt_p95']:.0f}",
            f"{s['prompt_max']:.0f}",
            f"{s['completion_mean']:.0f}",
            f"{s['total_mean']:.0f}",
        ]

    rows.append(row("corpus, first contact", r.corpus_calls))
    rows.append(row("… with a catalog excerpt", [c for c in r.corpus_calls if c.catalog]))
    rows.append(row("… without", [c for c in r.corpus_calls if not c.catalog]))
    for label, steps in (("typical answers", r.typical), ("full-budget answers", r.worst)):
        for n, step in enumerate(steps, start=1):
            turns = {c.turns for c in step}
            rows.append(row(f"thread, {label}, message {n} ({_turns(turns)})", step))
    out += _table(
        ["LLM mails", "n", "prompt mean", "p50", "p95", "max", "completion", "total"], rows
    )
    out += [
        "",
        "Where the tokens of the prompts with a catalog excerpt and 3 earlier turns go (mean, "
        "by the emulator's count of each part; the sum can differ from the prompt by rounding):",
        "",
    ]
    breakdown = []
    for label, steps in (("typical answers", r.typical), ("full-budget answers", r.worst)):
        parts = tokens.mean_parts(tokens.three_turn_calls(steps))
        breakdown.append([label, *(f"{parts[p]:.0f}" for p in tokens.PARTS)])
    out += _table(["3-turn prompts", *tokens.PARTS], breakdown)
    labels = ", ".join(f"{k} {v}" for k, v in sorted(r.corpus_by_label.items()))
    tasks = ", ".join(f"{k} {v}" for k, v in r.corpus_tasks.items())
    out += [
        "",
        f"Mean prompt with a catalog excerpt and 3 earlier turns: "
        f"**{r.three_turn_prompt(r.typical):.0f}** tokens with typical answers, "
        f"**{r.three_turn_prompt(r.worst):.0f}** with full-budget answers (target ≤ 350). "
        f"Corpus: {r.corpus_messages} messages; the LLM answered those labelled {labels}; "
        f"tasks {tasks}. Daemon warnings and errors: {_problems(r.problems)}.",
    ]
    return out


def _turns(turns: set[int]) -> str:
    if len(turns) == 1:
        n = next(iter(turns))
        return f"{n} earlier turn" + ("" if n == 1 else "s")
    return "earlier turns " + ", ".join(str(t) for t in sorted(turns))


def _idle(r: idle.Result) -> list[str]:
    out = ["## 5. Idle cost", "", (idle.__doc__ or "").split("\n\n", 1)[1].strip(), ""]
    out += _table(
        ["", ""],
        [
            ["idle span", f"{r.seconds:.0f} s"],
            [
                "daemon CPU",
                f"**{r.cpu_seconds * 1000:.0f} ms** ({r.cpu_percent:.3f} % of one core; "
                f"`/proc/PID/stat` ticks: {r.cpu_ticks_seconds * 1000:.0f} ms)",
            ],
            ["daemon RSS at the end / peak", f"**{r.rss_mib:.1f} MiB** / {r.peak_rss_mib:.1f} MiB"],
            ["start-up: spawn → ready", f"{r.startup_seconds:.2f} s, {r.startup_cpu:.2f} s CPU"],
            [
                "its PostgreSQL backends",
                f"{r.backends} connections, {r.backend_cpu_seconds * 1000:.0f} ms CPU",
            ],
            [
                "transactions in its database",
                f"{r.transactions} ({r.transactions / r.seconds * 60:.1f} per minute)",
            ],
        ],
    )
    out += ["", f"Daemon warnings and errors: {_problems(r.problems)}."]
    return out


def _limiter(table: str) -> list[str]:
    return [
        "## The limiter alone",
        "",
        "`bench/bench_llm_limiter.py`: eight workers share one `LlmClient`, `Limiter` and "
        "`CircuitBreaker` and drain a queue through `complete()`, with no mail around them; "
        "every request is real HTTP to the emulator through the official SDK. The same strict "
        "sliding windows; rates are arrivals from the first to the last request.",
        "",
        "```",
        table,
        "```",
    ]


def draw(results: list[throughput.RunResult], path: Path) -> str:
    """The chart; returns "written" or why it was not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "skipped: matplotlib is not installed (`pip install '.[bench]'`)"
    fig, axes = plt.subplots(len(results), 1, figsize=(12.5, 3.3 * len(results)), squeeze=False)
    for ax, t in zip(axes[:, 0], results, strict=True):
        end = max([*t.voidmail.times, *t.seed.times, t.last_reply]) + 5
        xs, ys = _window_series(t.voidmail.times, end, 60.0)
        ax.plot(
            xs, ys, color="tab:blue", linewidth=1.8, label="voidmail: requests in the last 60 s"
        )
        xs, ys = _window_series(t.voidmail.times, end, 10.0)
        ax.plot(
            xs,
            [y * 6 for y in ys],
            color="tab:blue",
            linewidth=0.8,
            alpha=0.45,
            label="voidmail: last 10 s × 6 (its pace)",
        )
        xs, ys = _window_series(t.seed.times, end, 60.0)
        ax.plot(
            xs,
            ys,
            color="tab:orange",
            linewidth=1.8,
            label="seed policy (10 s sleep, 8 RPM cap): last 60 s",
        )
        ax.axhline(
            t.run.rpm, color="red", linestyle="--", linewidth=1, label=f"RPM limit {t.run.rpm}"
        )
        if t.binding == "tokens":
            ax.axhline(
                t.binding_rpm,
                color="darkorange",
                linestyle=":",
                linewidth=1.2,
                label=f"TPM limit {t.run.tpm:,} ÷ {t.voidmail.tokens_per_request:.0f} "
                f"tokens = {t.binding_rpm:.1f} req/min",
            )
        ax.set_title(
            f"{t.run.name}: {t.run.mails} LLM mails, {t.voidmail.rate_limited} × 429, "
            f"{t.fraction:.0%} of the limit",
            fontsize=10,
        )
        ax.set_xlabel("seconds since the daemon started")
        ax.set_ylabel("requests per minute")
        ax.set_xlim(0, end)
        ax.set_ylim(0, t.run.rpm * 1.25)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return "written"


def _window_series(times: list[float], end: float, span: float) -> tuple[list[float], list[int]]:
    """Requests in the trailing ``span`` s (60 s: the provider's strict window), every 0.25 s."""
    xs: list[float] = []
    ys: list[int] = []
    ordered = sorted(times)
    steps = math.ceil(end / 0.25)
    for step in range(steps + 1):
        now = step * 0.25
        ys.append(bisect.bisect_right(ordered, now) - bisect.bisect_right(ordered, now - span))
        xs.append(now)
    return xs, ys


def as_json(r: Report) -> dict[str, Any]:
    return {
        "command": r.command,
        "started": r.started,
        "minutes": r.minutes,
        "machine": r.machine,
        "load_end": r.load_end,
        "throughput": throughput.as_json(r.throughput) if r.throughput else None,
        "latency": latency.as_json(r.latency) if r.latency else None,
        "backlog": backlog.as_json(r.backlog) if r.backlog else None,
        "tokens": tokens.as_json(r.tokens) if r.tokens else None,
        "idle": idle.as_json(r.idle) if r.idle else None,
        "errors": r.errors,
    }
