"""``voidmail demo``: the whole pipeline on sample mail, locally and offline.

Everything the demo uses is local and thrown away afterwards: a temporary directory holds the
embedded PostgreSQL and a Dovecot serving the shop's mailbox on a loopback port, an SMTP sink
takes the replies, and the LLM is the real Groq when ``GROQ_API_KEY`` is set, else the local
Groq emulator (the screen says which). No configuration file and no ``VOIDMAIL_*`` variable is
read. The daemon is the one ``voidmail run`` builds (:func:`voidmail.assembly.wired`); the demo only
delivers the bundled sample mail (``voidmail/data/demo``, described by its ``manifest.toml``),
waits until each is handled, and prints a table of what happened to it.

The directory is removed at the end; after a failure it is kept and its path printed.

aioimaplib's bundled ``imap-testing-server`` cannot stand in for Dovecot: it answers neither
``UID SEARCH UNSEEN`` nor ``UID SEARCH UID n:*``, takes no UID sets (``1,2``) in FETCH or
STORE, and needs pytz, which aioimaplib does not install. Without Dovecot the demo says so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from voidmail import answer, assembly, config, daemon, faq, listener, logs, triage
from voidmail.config import Secret
from voidmail.errors import ServiceError, VoidmailError
from voidmail.rig.dovecot import Dovecot, DovecotError
from voidmail.rig.groq_emulator import DEFAULT_API_KEY, EmulatorLimits, GroqEmulator
from voidmail.rig.smtp_sink import SmtpSink

DEMO_DIR = config.DATA_DIR / "demo"
SHOP = config.ShopSettings(
    name="Tienda Aconcagua",
    address="hola@tiendaaconcagua.example",
    admin_email="duena@tiendaaconcagua.example",
    signature="Tienda Aconcagua · Av. San Martín 1250, Mendoza",
    facts="Local en Av. San Martín 1250, Mendoza, de lunes a sábado de 10 a 20.",
)
READY_WITHIN = 30.0  # seconds for the daemon to log in and select the mailbox
HANDLE_WITHIN = 45.0  # seconds for every sample to be handled (and the admin's note sent)
STOP_WITHIN = 15.0  # seconds for the daemon to stop
POLL = 0.05  # seconds between looks at the task table
# The emulator gets roomy limits: at a free plan's 30 requests a minute, the limiter's pacing
# (one request every 2 s) would be most of what the table's times show.
EMULATOR_LIMITS = EmulatorLimits(rpm=600, tpm=600_000, rpd=100_000, tpd=10**8)
FINISHED = frozenset({"done", "human", "ignored", "dead_letter"})
SUBJECT_WIDTH = 30
REPLY_WIDTH = 60
NO_DOVECOT = (
    "voidmail demo: needs Dovecot for its local IMAP server; install it with "
    "`apt-get install dovecot-imapd` (aioimaplib's imap-testing-server cannot serve the daemon)"
)


@dataclass(frozen=True)
class Sample:
    """One bundled mail and what the manifest says about it."""

    file: str
    raw: bytes
    message_id: str
    subject: str
    route: str
    after: str | None
    shows: str


def load_samples(directory: Path = DEMO_DIR) -> list[Sample]:
    """The sample mail in delivery order, as ``manifest.toml`` lists it.

    Raises VoidmailError when a file is missing or the manifest is inconsistent.
    """
    try:
        manifest = tomllib.loads((directory / "manifest.toml").read_text(encoding="utf-8"))
        samples = []
        for entry in manifest["mail"]:
            raw = (directory / entry["file"]).read_bytes()
            header = listener.summarize(raw, len(raw))
            if header.message_id is None:
                raise VoidmailError(f"sample {entry['file']} has no Message-ID")
            samples.append(
                Sample(
                    file=entry["file"],
                    raw=raw,
                    message_id=header.message_id,
                    subject=header.subject,
                    route=entry["route"],
                    after=entry.get("after"),
                    shows=entry.get("shows", ""),
                )
            )
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise VoidmailError(
            f"the demo's sample mail in {directory} is unreadable ({exc.__class__.__name__}: "
            f"{exc}); reinstall voidmail"
        ) from exc
    files = [s.file for s in samples]
    for sample in samples:
        if sample.after is not None and sample.after not in files[: files.index(sample.file)]:
            raise VoidmailError(f"sample {sample.file} comes after {sample.after}, listed later")
    return samples


class Progress:
    """What a person at a terminal sees while the demo works; nothing when stdout is not one."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._shown: tuple[int, int] | None = None

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        began = time.monotonic()
        self._write(f"{text} … ")
        try:
            yield
        except BaseException:
            self._write("failed\n")
            raise
        self._write(f"ok ({time.monotonic() - began:.1f} s)\n")

    def count(self, handled: int, total: int) -> None:
        if self._shown != (handled, total):
            self._shown = (handled, total)
            self._write(f"\r  {handled}/{total} handled")

    def end_count(self) -> None:
        if self._shown is not None:
            self._shown = None
            self._write("\n")

    def _write(self, text: str) -> None:
        if self.live:
            self.stream.write(text)
            self.stream.flush()


async def main(args: argparse.Namespace) -> int:
    """Run the demo; 0 when every sample was handled, 1 otherwise."""
    del args  # no configuration is read: the demo brings its own servers and settings
    logs.configure("warning", stream=sys.stderr)
    samples = load_samples()
    workdir = scratch_dir()
    try:
        imap_server = Dovecot(workdir / "imap")
    except DovecotError:
        shutil.rmtree(workdir, ignore_errors=True)
        print(NO_DOVECOT, file=sys.stderr)
        return assembly.EXIT_FAILURE
    try:
        code = await _demo(workdir, imap_server, samples, Progress(sys.stdout))
    except BaseException:
        print(f"voidmail demo: its files are kept in {workdir}", file=sys.stderr)
        raise
    if code == assembly.EXIT_OK:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"voidmail demo: its files are kept in {workdir}", file=sys.stderr)
    return code


def scratch_dir() -> Path:
    """A new directory for the demo's servers, which other users may enter: as root, Dovecot
    and PostgreSQL run as other users."""
    path = Path(tempfile.mkdtemp(prefix="voidmail-demo-"))
    path.chmod(0o755)
    return path


async def _demo(
    workdir: Path, imap_server: Dovecot, samples: Sequence[Sample], progress: Progress
) -> int:
    api_key = os.environ.get("GROQ_API_KEY", "").strip()
    async with contextlib.AsyncExitStack() as stack:
        with progress.step("IMAP: starting Dovecot on a loopback port"):
            try:
                await asyncio.to_thread(imap_server.start)
            except DovecotError as exc:
                # Its message holds the tail of the log over several lines: point to the log.
                raise VoidmailError(f"Dovecot did not start; see {imap_server.log_path}") from exc
            stack.push_async_callback(
                asyncio.to_thread, functools.partial(imap_server.stop, graceful=False)
            )
        with progress.step("SMTP: starting the local sink that takes the replies"):
            sink = SmtpSink()
            await asyncio.to_thread(sink.start)
            stack.push_async_callback(asyncio.to_thread, sink.stop)
        if api_key:
            llm_settings = config.LlmSettings(api_key=Secret(api_key))
            llm_line = (
                f"LLM: the real Groq API ({llm_settings.model}), with the key in GROQ_API_KEY."
            )
        else:
            with progress.step("LLM: GROQ_API_KEY is not set, starting the local Groq emulator"):
                emulator = GroqEmulator(EMULATOR_LIMITS, responder=emulated_answer)
                await asyncio.to_thread(emulator.start)
                stack.push_async_callback(asyncio.to_thread, emulator.stop)
            llm_settings = config.LlmSettings(
                api_key=Secret(DEFAULT_API_KEY),
                base_url=emulator.base_url,
                requests_per_minute=EMULATOR_LIMITS.rpm,
                tokens_per_minute=EMULATOR_LIMITS.tpm,
                timeout=10.0,
            )
            llm_line = (
                "LLM: the local Groq emulator, not the real Groq (GROQ_API_KEY is not set); "
                "its answers are canned."
            )
        settings = _settings(workdir, imap_server, sink, llm_settings)
        with progress.step(f"PostgreSQL: starting the embedded server in {workdir}"):
            service = await stack.enter_async_context(assembly.wired(settings))
        running = asyncio.create_task(service.run(), name="daemon")
        try:
            with progress.step("daemon: logging in to the mailbox"):
                await _ready(service, running)
            if progress.live:
                progress.stream.write(f"delivering {len(samples)} sample mails\n")
            rows = await _deliver(service, running, imap_server, sink, samples, progress)
        finally:
            progress.end_count()
            service.stop()
            await _stopped(running)
    if progress.live:
        progress.stream.write("\n")
    print(render(samples, rows, sink))
    print(llm_line)
    late = [s for s in samples if _status(rows, s) not in FINISHED]
    if late:
        hint = "; is api.groq.com reachable? Without GROQ_API_KEY the demo runs offline"
        print(
            f"voidmail demo: {len(late)} of {len(samples)} mails were not handled within "
            f"{HANDLE_WITHIN:g} s{hint if api_key else ''}",
            file=sys.stderr,
        )
        return assembly.EXIT_FAILURE
    return assembly.EXIT_OK


def _settings(
    workdir: Path, imap_server: Dovecot, sink: SmtpSink, llm_settings: config.LlmSettings
) -> config.Settings:
    return config.Settings(
        imap=config.ImapSettings(
            host=imap_server.host,
            port=imap_server.port,
            security="plain",
            username=imap_server.username,
            password=Secret(imap_server.password),
            timeout=10.0,
        ),
        smtp=config.SmtpSettings(host=sink.host, port=sink.port, security="plain", timeout=10.0),
        shop=SHOP,
        # database.url stays empty: the embedded PostgreSQL runs under state_dir.
        daemon=config.DaemonSettings(
            state_dir=workdir / "state",
            log_level="warning",
            notify_delay=0.2,
            shutdown_timeout=5.0,
        ),
        llm=llm_settings,
        catalog=config.CatalogSettings(file=config.DATA_DIR / "catalog.csv"),
        # The demo shows the answers themselves; a new installation drafts the LLM's instead.
        review=config.ReviewSettings(llm="send"),
    )


async def _ready(service: daemon.Daemon, running: asyncio.Task[None]) -> None:
    """Return once the daemon has selected the mailbox; raise if it dies or takes too long."""
    ready = asyncio.ensure_future(service.ready.wait())
    try:
        done, _ = await asyncio.wait(
            {ready, running}, timeout=READY_WITHIN, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        ready.cancel()
    _check_alive(running)
    if not done:
        raise VoidmailError(f"the daemon did not reach the local mailbox in {READY_WITHIN:g} s")


async def _deliver(
    service: daemon.Daemon,
    running: asyncio.Task[None],
    imap_server: Dovecot,
    sink: SmtpSink,
    samples: Sequence[Sample],
    progress: Progress,
) -> dict[str, dict[str, Any]]:
    """Append the samples to the mailbox, each once the one it follows is handled, and wait
    until all are handled and the admin got the note about those held for a person.

    Returns the task rows by Message-ID, as far as they got within ``HANDLE_WITHIN``.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANDLE_WITHIN
    waiting = list(samples)
    by_file = {s.file: s for s in samples}
    limit = 2 * len(samples) + 10
    rows: dict[str, dict[str, Any]] = {}
    while True:
        handled = {m for m, row in rows.items() if row["status"] in FINISHED}
        due = [s for s in waiting if s.after is None or by_file[s.after].message_id in handled]
        if due:
            await asyncio.to_thread(imap_server.append_many, [s.raw for s in due])
            waiting = [s for s in waiting if s not in due]
        tasks = await service.store.list_tasks(None, limit)
        rows = {row["message_id"]: row for row in tasks if row["message_id"]}
        handled_now = sum(1 for s in samples if _status(rows, s) in FINISHED)
        progress.count(handled_now, len(samples))
        humans = any(row["route"] == "human" for row in rows.values())
        if not waiting and handled_now == len(samples) and (not humans or _admin_notes(sink)):
            return rows
        if loop.time() > deadline:
            return rows
        # Poll the table; wake at once if the daemon dies meanwhile.
        await asyncio.wait({running}, timeout=POLL)
        _check_alive(running)


def _status(rows: dict[str, dict[str, Any]], sample: Sample) -> str | None:
    row = rows.get(sample.message_id)
    return None if row is None else str(row["status"])


def _check_alive(running: asyncio.Task[None]) -> None:
    if running.done():
        running.result()  # raises what killed it
        raise ServiceError("the daemon stopped by itself")


async def _stopped(running: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(running, timeout=STOP_WITHIN)
    except TimeoutError:
        raise VoidmailError(f"the daemon did not stop within {STOP_WITHIN:g} s") from None


def _admin_notes(sink: SmtpSink) -> int:
    return sum(1 for m in sink.messages if SHOP.admin_email in m.rcpt_tos)


def render(samples: Sequence[Sample], rows: dict[str, dict[str, Any]], sink: SmtpSink) -> str:
    """The table of what happened to each sample, and a line on what went out by SMTP."""
    replies = {
        str(m.message["In-Reply-To"]): m.message
        for m in sink.messages
        if m.message["In-Reply-To"] and SHOP.admin_email not in m.rcpt_tos
    }
    header = ("mail", "route", "reply", "tokens", "ms")
    table: list[tuple[str, ...]] = []
    for sample in samples:
        row = rows.get(sample.message_id)
        subject = clip(sample.subject, SUBJECT_WIDTH)
        if row is None:
            table.append((subject, "-", "(not delivered yet)", "-", "-"))
            continue
        finished = row["status"] in FINISHED
        route = row["route"] if finished and row["route"] else "-"
        reply = replies.get(sample.message_id)
        if reply is not None:
            text = clip(str(reply.get_content()), REPLY_WIDTH)
        elif not finished:
            text = f"(still {row['status']})"
        else:
            text = f"({_why_no_reply(row)})"
        spent = row["prompt_tokens"] + row["completion_tokens"]
        tokens = f"{row['prompt_tokens']}+{row['completion_tokens']}" if spent else "-"
        took = "-"
        if finished and row["finished_at"] is not None:
            took = f"{(row['finished_at'] - row['created_at']).total_seconds() * 1000:.0f}"
        table.append((subject, route, text, tokens, took))
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    numeric = (False, False, False, True, True)

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    lines = [line([h.upper() for h in header]), *(line(r) for r in table)]
    notes = _admin_notes(sink)
    lines.append("")
    lines.append(
        f"{_count(len(replies), 'reply', 'replies')} to customers and "
        f"{_count(notes, 'note', 'notes')} to the admin ({SHOP.admin_email}) went to the "
        "local SMTP sink."
    )
    return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _why_no_reply(row: dict[str, Any]) -> str:
    error = str(row.get("error") or "")
    if row["status"] == "ignored":
        return "not answered: " + (error.removeprefix("ignored: ") or "ignored")
    if row["status"] == "human":
        return "for a person: " + (error.removeprefix("human: ") or "handed off")
    return f"{row['status']}: {error}"


def clip(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def emulated_answer(request: dict[str, Any]) -> str:
    """The emulator's stand-in for a model: a short canned reply in the customer's language,
    naming the first catalog product the prompt carries, so the table shows what was found."""
    messages = request.get("messages") or [{}]
    system = str(messages[0].get("content", ""))
    customer = str(messages[-1].get("content", ""))
    product = _first_product(system)
    if triage.detect_language(faq.normalize(customer)) == "en":
        if product:
            return (
                f"Hi! {product}: someone from our team will confirm size, colour and stock "
                "shortly. Thanks for writing to us!"
            )
        return "Hi! Thanks for writing to us: someone from our team will answer shortly."
    if product:
        return (
            f"¡Hola! {product}: una persona del equipo te confirma talle, color y stock a la "
            "brevedad. ¡Gracias por escribirnos!"
        )
    return "¡Hola! Gracias por escribirnos: una persona del equipo te responde a la brevedad."


def _first_product(system_prompt: str) -> str | None:
    """``Name (SKU)`` of the first product in the prompt's catalog excerpt, if any."""
    _, found, rest = system_prompt.partition(answer.PRODUCTS_HEADING + "\n")
    if not found or not rest.startswith("- "):
        return None
    return rest[2:].split(" · ", 1)[0].strip() or None
