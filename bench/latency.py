"""Part 2: FAQ latency, from arrival to the reply at the SMTP server, against Dovecot's floor.

The daemon idles on an empty mailbox. FAQ-bound mails then arrive one at a time: each is put
in with IMAP APPEND over a connection kept open, and the next goes only once the reply to the
last one is in the SMTP sink and a varied pause of 0.6–1.2 s has passed. So nothing queues, no
timer falls into step with the arrivals, and Dovecot's batching timer of the last push (armed
again by the index update that follows a push, 0.5 s long) has run out: a message that arrives
while that timer runs is pushed when it fires, sooner than 0.5 s, by chance.

* **Arrival** is the moment APPEND's tagged OK came back: the message is in the mailbox.
* **Reply** is the moment the sink had received and parsed the reply (its own clock, the same
  monotonic clock as ours).
* **Floor**: nothing can answer before Dovecot tells it a message arrived. A second, bare IMAP
  client idles the whole time on a mailbox of its own on the same Dovecot, and just before
  every customer mail a probe message is appended there; the probe's ``* N EXISTS`` push,
  after its own APPEND, is the floor, measured at the same moments as the mail. (The probe
  cannot share the daemon's mailbox: Dovecot batches every change of a mailbox behind one
  timer per connection, and the daemon's own flag changes would start that timer early and
  make the probe's push look faster than it is.)
"""

from __future__ import annotations

import dataclasses
import imaplib
import random
import re
import threading
import time
from pathlib import Path
from typing import Any

from bench import rig
from voidmail.rig.dovecot import Dovecot

_EXISTS = re.compile(rb"^\* (\d+) EXISTS")
FLOOR = "Floor"


@dataclasses.dataclass
class Result:
    mails: int
    latency: list[float]  # seconds, per mail
    push: list[float]  # the bare IDLE push, per mail
    overhead: list[float]  # latency - push, per mail
    tasks: dict[str, int]
    problems: dict[str, int]

    def stats(self, values: list[float]) -> dict[str, float]:
        return {
            "p50": rig.percentile(values, 50),
            "p95": rig.percentile(values, 95),
            "p99": rig.percentile(values, 99),
            "max": max(values),
        }

    def overhead_p50(self) -> float:
        """The target's figure: p50 latency above the p50 floor."""
        return rig.percentile(self.latency, 50) - rig.percentile(self.push, 50)


class IdleWatcher:
    """A bare IMAP client in IDLE that stamps every ``* N EXISTS`` (monotonic)."""

    def __init__(self, dovecot: Dovecot, mailbox: str) -> None:
        self.conn = imaplib.IMAP4(dovecot.host, dovecot.port, timeout=30)
        self.conn.login(dovecot.username, dovecot.password)
        self.conn.select(mailbox)
        self.exists: dict[int, float] = {}
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, name="idle-watcher", daemon=True)
        assert self.conn.sock is not None
        self.conn.sock.settimeout(None)  # idle as long as it takes; DONE ends it
        self.conn.send(b"W1 IDLE\r\n")
        if not self.conn.readline().startswith(b"+"):
            raise rig.BenchError("Dovecot refused IDLE")
        self._thread.start()

    def _read(self) -> None:
        while True:
            line = self.conn.readline()
            now = time.monotonic()
            if not line or line.startswith(b"W1 "):
                return
            match = _EXISTS.match(line)
            if match:
                with self._cond:
                    self.exists.setdefault(int(match.group(1)), now)
                    self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> float:
        with self._cond:
            if not self._cond.wait_for(lambda: count in self.exists, timeout):
                raise rig.BenchError(f"no IDLE push for message {count} within {timeout} s")
            return self.exists[count]

    def close(self) -> None:
        self.conn.send(b"DONE\r\n")
        self._thread.join(10)
        self.conn.logout()


def _append(conn: imaplib.IMAP4, mailbox: str, raw: bytes) -> float:
    """APPEND ``raw``; the moment the server said OK (monotonic)."""
    typ, data = conn.append(mailbox, "", None, raw)
    done = time.monotonic()
    if typ != "OK":
        raise rig.BenchError(f"APPEND to {mailbox} failed: {data!r}")
    return done


def main(root: Path, database: rig.Database, mails: int) -> Result:
    print(f"  latency: {mails} FAQ mails, one at a time ...", flush=True)
    rig.check_faq_mails("lat-", rig.load_faq())
    rng = random.Random(7)
    latency: list[float] = []
    push: list[float] = []
    with rig.servers(root, database, "latency") as s:
        config_path = rig.write_config(s)
        replies = rig.Replies(s.sink)
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            daemon.wait_for_event("daemon_ready", 60)
            time.sleep(2.0)  # let start-up work (the first sweep, the notifier) settle
            s.dovecot.create_mailbox(FLOOR)
            watcher = IdleWatcher(s.dovecot, FLOOR)
            appender = imaplib.IMAP4(s.dovecot.host, s.dovecot.port, timeout=30)
            appender.login(s.dovecot.username, s.dovecot.password)
            try:
                for n in range(mails):
                    message_id, raw = rig.faq_mail("lat-", n)
                    probed = _append(appender, FLOOR, raw)
                    arrived = _append(appender, "INBOX", raw)
                    if not replies.wait(n + 1, 30, daemon, every=0.005):
                        raise rig.BenchError(f"no reply to {message_id} within 30 s")
                    pushed = watcher.wait_for(n + 1, 10)
                    latency.append(replies.at[message_id] - arrived)
                    push.append(pushed - probed)
                    time.sleep(rng.uniform(0.6, 1.2))
            finally:
                watcher.close()
                appender.logout()
            status = daemon.stop()
            if status != 0:
                raise rig.BenchError(f"the daemon exited with {status}: {daemon.tail()}")
            problems = daemon.problems()
        tasks = rig.task_summary(s.database_url)
    overhead = [a - b for a, b in zip(latency, push, strict=True)]
    result = Result(mails, latency, push, overhead, tasks, problems)
    print(
        f"    p50 {rig.percentile(latency, 50) * 1000:.0f} ms, floor p50 "
        f"{rig.percentile(push, 50) * 1000:.0f} ms, overhead p50 "
        f"{result.overhead_p50() * 1000:.0f} ms",
        flush=True,
    )
    return result


def as_json(result: Result) -> dict[str, Any]:
    return {
        "mails": result.mails,
        "latency": result.stats(result.latency),
        "push": result.stats(result.push),
        "overhead": result.stats(result.overhead),
        "overhead_p50_target": result.overhead_p50(),
        "tasks": result.tasks,
        "problems": result.problems,
    }
