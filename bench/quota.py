"""Replies paced at a mail provider's sending quota, with no quota refusals.

``python -m bench.quota [--minute N] [--day N]`` runs the daemon as ``voidmail run`` against
the rig (Dovecot, PostgreSQL, and an SMTP sink playing the provider):

* **Microsoft 365** (30 messages a minute; the excess is delayed, the sink counts it): N FAQ
  questions wait in the mailbox, ``smtp.max_per_minute = 30``. Reported: the replies in the
  busiest 60 s, the pace, and the messages beyond the cap (there must be none).
* **Free Gmail** (a daily recipient quota; the sink answers ``550 5.4.5`` past it): N questions
  more than ``smtp.max_per_day``. Reported: replies sent, replies waiting (none lost, none
  dead-lettered), 5.4.5 refusals (there must be none).

Figures go to stdout; nothing is written. A run with the defaults takes about 2.5 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import rig

MICROSOFT_PER_MINUTE = 30


def busiest_minute(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 60:
            start += 1
        best = max(best, end - start + 1)
    return best


def microsoft(root: Path, database: rig.Database, count: int) -> None:
    print(f"Microsoft 365: {count} FAQ questions, {MICROSOFT_PER_MINUTE} messages a minute")
    with rig.servers(root, database, "m365", quota_per_minute=MICROSOFT_PER_MINUTE) as s:
        s.dovecot.append_many([rig.faq_mail("m365-", n)[1] for n in range(count)])
        config_path = rig.write_config(
            s, smtp={"max_per_minute": MICROSOFT_PER_MINUTE}, shop={"admin_email": ""}
        )
        replies = rig.Replies(s.sink)
        started = time.monotonic()
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            if not replies.wait(count, timeout=count * 4 + 120, daemon=daemon):
                raise rig.BenchError(f"{replies.poll()} of {count} replies")
            daemon.stop()
        took = time.monotonic() - started
        times = [m.received_monotonic for m in s.sink.messages]
        print(f"  {len(times)} replies in {took:.0f} s; busiest 60 s: {busiest_minute(times)} "
              f"(cap {MICROSOFT_PER_MINUTE}); beyond the cap: {s.sink.over_minute}; "
              f"duplicates: {replies.duplicates}")  # fmt: skip


def gmail(root: Path, database: rig.Database, day: int) -> None:
    count = day + 10
    print(f"free Gmail: {count} FAQ questions, a quota of {day} recipients a day")
    with rig.servers(root, database, "gmail", quota_per_day=day) as s:
        s.dovecot.append_many([rig.faq_mail("gmail-", n)[1] for n in range(count)])
        config_path = rig.write_config(s, smtp={"max_per_day": day}, shop={"admin_email": ""})
        replies = rig.Replies(s.sink)
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            if not replies.wait(day, timeout=day * 2 + 120, daemon=daemon):
                raise rig.BenchError(f"{replies.poll()} of {day} replies")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = sum(n for k, n in rig.task_summary(s.database_url).items()
                              if k.startswith("failed/"))  # fmt: skip
                if waiting == count - day:
                    break
                time.sleep(0.2)
            daemon.stop()
        summary = rig.task_summary(s.database_url)

        def count_of(status: str) -> int:
            return sum(n for k, n in summary.items() if k.startswith(status + "/"))

        refused = [r for r in s.sink.rejections if r.code == 550]
        print(f"  replies sent: {replies.poll()}; waiting for the window: {count_of('failed')}; "
              f"dead letters: {count_of('dead_letter')}; "
              f"5.4.5 refusals: {len(refused)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.quota", description=__doc__)
    parser.add_argument("--minute", type=int, default=75, help="questions for the 365 run")
    parser.add_argument("--day", type=int, default=40, help="the Gmail run's daily quota")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="voidmail-bench-quota-"))
    root.chmod(0o755)
    database = rig.Database(root, args.database_url or None)
    try:
        database.start()
        try:
            microsoft(root, database, args.minute)
            gmail(root, database, args.day)
        finally:
            database.stop()
    except rig.BenchError as exc:
        print(f"bench.quota: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
