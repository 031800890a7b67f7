"""Part 3: a backlog of FAQ mails waiting when the daemon starts.

N FAQ-bound mails (each from its own sender, each body different) are put in the mailbox
before the daemon starts. The clock starts when the daemon process is spawned and stops when
the SMTP sink holds the last reply, so start-up, the first sweep (recording all N in
PostgreSQL) and the answering all count. The daemon's memory is read from
``/proc/PID/status`` while it runs: ``VmHWM`` is its peak resident set. That is the daemon
process alone; PostgreSQL, Dovecot and the SMTP server are processes of their own.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from bench import rig


@dataclasses.dataclass
class Result:
    mails: int
    append_seconds: float  # putting the backlog in (not part of the figure)
    ready: float  # spawn -> daemon_ready (the first sweep recorded every mail)
    first_reply: float  # seconds after spawn
    last_reply: float  # seconds after spawn: the time to clear the backlog
    mails_per_second: float  # mails / last_reply
    answering_per_second: float  # mails / (last_reply - first_reply)
    peak_rss_mib: float  # VmHWM
    end_rss_mib: float  # VmRSS once the backlog is cleared
    cpu_seconds: float  # the daemon's user + system time, spawn to the last reply
    rss_series: list[tuple[float, float]]  # (seconds after spawn, MiB), every 0.5 s
    tasks: dict[str, int]
    duplicates: int
    problems: dict[str, int]


def run(root: Path, database: rig.Database, mails: int) -> Result:
    print(f"  backlog: {mails} FAQ mails waiting at start ...", flush=True)
    tag = f"bl{mails}-"
    rig.check_faq_mails(tag, rig.load_faq())
    with rig.servers(root, database, f"backlog{mails}") as s:
        began = time.monotonic()
        s.dovecot.append_many([rig.faq_mail(tag, n)[1] for n in range(mails)])
        appended = time.monotonic() - began
        config_path = rig.write_config(s)
        replies = rig.Replies(s.sink)
        series: list[tuple[float, float]] = []
        ready = None
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            deadline = daemon.started + max(600.0, mails * 0.5)
            next_sample = daemon.started
            while replies.poll() < mails:
                now = time.monotonic()
                if not daemon.alive():
                    raise rig.BenchError(f"the daemon exited: {daemon.tail()}")
                if now > deadline:
                    raise rig.BenchError(f"{replies.poll()} of {mails} replies in time")
                if ready is None and daemon.saw("daemon_ready"):
                    ready = now - daemon.started
                if now >= next_sample:
                    series.append((now - daemon.started, daemon.sample().rss_kib / 1024))
                    next_sample += 0.5
                time.sleep(0.05)
            sample = daemon.sample()
            status = daemon.stop()
            if status != 0:
                raise rig.BenchError(f"the daemon exited with {status}: {daemon.tail()}")
            problems = daemon.problems()
        tasks = rig.task_summary(s.database_url)
    times = sorted(replies.at.values())
    first, last = times[0] - daemon.started, times[-1] - daemon.started
    result = Result(
        mails=mails,
        append_seconds=appended,
        ready=ready if ready is not None else float("nan"),
        first_reply=first,
        last_reply=last,
        mails_per_second=mails / last,
        answering_per_second=mails / (last - first),
        peak_rss_mib=sample.hwm_kib / 1024,
        end_rss_mib=sample.rss_kib / 1024,
        cpu_seconds=sample.cpu,
        rss_series=series,
        tasks=tasks,
        duplicates=replies.duplicates,
        problems=problems,
    )
    print(
        f"    cleared in {last:.1f} s = {result.mails_per_second:.1f} mails/s; peak RSS "
        f"{result.peak_rss_mib:.1f} MiB; CPU {sample.cpu:.1f} s",
        flush=True,
    )
    return result


def main(root: Path, database: rig.Database, sizes: list[int]) -> list[Result]:
    return [run(root, database, size) for size in sizes]


def as_json(results: list[Result]) -> list[dict[str, Any]]:
    out = []
    for result in results:
        data = dataclasses.asdict(result)
        data.pop("rss_series")
        out.append(data)
    return out
