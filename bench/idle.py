"""Part 5: what a daemon costs while nothing happens.

The daemon starts on an empty mailbox, with the LLM configured, and is left alone for the
measured span once it is ready and has settled for 10 s. Its CPU time (all threads) comes from
``/proc/PID/task/*/schedstat`` (nanoseconds; ``/proc/PID/stat`` counts 10 ms ticks, too coarse
here) and its memory from ``/proc/PID/status``. For context, the same span's cost to the
database: the CPU of the PostgreSQL backends serving the daemon's connections (found in
``pg_stat_activity``) and the transactions committed in its database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path
from typing import Any

from bench import rig

SETTLE = 10.0


@dataclasses.dataclass
class Result:
    seconds: float
    startup_seconds: float  # spawn -> daemon_ready
    startup_cpu: float  # CPU seconds until ready
    cpu_seconds: float  # over the idle span (schedstat, nanoseconds)
    cpu_ticks_seconds: float  # the same from /proc/PID/stat (10 ms ticks), as a cross-check
    rss_mib: float  # at the end
    peak_rss_mib: float
    backends: int  # the daemon's connections to PostgreSQL
    backend_cpu_seconds: float  # their CPU over the span
    transactions: int  # committed in the daemon's database over the span
    problems: dict[str, int]

    @property
    def cpu_percent(self) -> float:
        return 100 * self.cpu_seconds / self.seconds


def _backends(url: str) -> list[int]:
    """The PIDs of the backends serving the daemon (every connection to its database but ours)."""
    rows = rig.query(
        url,
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    return [int(row["pid"]) for row in rows]


def _cpu_of(pids: list[int]) -> dict[int, float]:
    cpu = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            cpu[pid] = rig.proc_sample(pid).cpu
    return cpu


def _transactions(url: str) -> int:
    rows = rig.query(
        url, "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(rows[0]["n"])


def main(root: Path, database: rig.Database, seconds: float) -> Result:
    print(f"  idle: {seconds:.0f} s of an idle daemon ...", flush=True)
    with rig.servers(root, database, "idle") as s:
        config_path = rig.write_config(s)
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            ready = daemon.wait_for_event("daemon_ready", 60) - daemon.started
            startup = daemon.sample()
            time.sleep(SETTLE)
            transactions_before = _transactions(s.database_url)
            backends_before = _cpu_of(_backends(s.database_url))
            before = daemon.sample()
            precise_before = rig.threads_cpu(daemon.pid)
            began = time.monotonic()
            time.sleep(seconds)
            after = daemon.sample()
            precise = rig.threads_cpu(daemon.pid) - precise_before
            span = time.monotonic() - began
            backends_after = _cpu_of(_backends(s.database_url))
            # The statistics of a transaction reach pg_stat_database within a second or so.
            time.sleep(1.5)
            # Take our own three queries in between off.
            transactions = _transactions(s.database_url) - transactions_before - 3
            status = daemon.stop()
            if status != 0:
                raise rig.BenchError(f"the daemon exited with {status}: {daemon.tail()}")
            problems = daemon.problems()
    backend_cpu = sum(cpu - backends_before.get(pid, 0.0) for pid, cpu in backends_after.items())
    result = Result(
        seconds=span,
        startup_seconds=ready,
        startup_cpu=startup.cpu,
        cpu_seconds=precise,
        cpu_ticks_seconds=after.cpu - before.cpu,
        rss_mib=after.rss_kib / 1024,
        peak_rss_mib=after.hwm_kib / 1024,
        backends=len(backends_after),
        backend_cpu_seconds=backend_cpu,
        transactions=transactions,
        problems=problems,
    )
    print(
        f"    CPU {result.cpu_seconds:.3f} s in {span:.0f} s ({result.cpu_percent:.3f} % of a "
        f"core), RSS {result.rss_mib:.1f} MiB",
        flush=True,
    )
    return result


def as_json(result: Result) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["cpu_percent"] = result.cpu_percent
    return data
