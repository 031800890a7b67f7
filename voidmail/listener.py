"""The IMAP listener: keeps one connection, records every new message, sets flags, IDLEs.

One cycle, repeated while the connection lives:

1. sweep: find the messages not yet recorded (every UID above the last one recorded, and every
   UNSEEN one), fetch them with ``BODY.PEEK[]`` (nothing becomes \\Seen before its reply is
   out) and record each in PostgreSQL before any worker may see it;
2. flags: set the IMAP flags the workers asked for (\\Seen \\Answered, \\Flagged, \\Seen);
3. IDLE until the server pushes, a worker asks for flags, ``idle_seconds`` pass, or we stop.

Any connection failure drops the connection and builds a new one after an exponential backoff
with jitter, forever: mail that arrives meanwhile is found by the next sweep.

On the first connection to a mailbox, and after its UIDVALIDITY changed, only UNSEEN mail is
taken (old read mail is history, not work), and every message is matched against what is
recorded by its Message-ID, so nothing is answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

import structlog

from voidmail import imap, notify, parse, store
from voidmail.config import ImapSettings

log = structlog.get_logger("voidmail.listener")

FETCH_BATCH_COUNT = 50
FETCH_BATCH_BYTES = 8 * 1024 * 1024
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
LOGIN_ALERT_AFTER = 3  # refused logins in a row before the admin is told
LOGIN_ALERT_EVERY = 3600.0  # seconds between such alerts


class Listener:
    """Feeds the task table from one mailbox. ``run`` returns only when ``stop`` is set."""

    def __init__(
        self,
        settings: ImapSettings,
        st: store.Store,
        *,
        on_recorded: Callable[[], None],
        on_alert: Callable[[], None] = lambda: None,
        rng: random.Random | None = None,
    ) -> None:
        """``on_recorded`` is called when new tasks are in the table, ``on_alert`` when a note
        for the admin was added."""
        self.settings = settings
        self.store = st
        self.on_recorded = on_recorded
        self.on_alert = on_alert
        self.wake = asyncio.Event()
        self.ready = asyncio.Event()
        self.connected = False
        self.rng = rng or random.Random()
        self.uidvalidity: int | None = None
        self._alerts = notify.Throttle()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            connection = imap.ImapConnection(self.settings)
            try:
                await connection.connect()
                selected = await connection.select(self.settings.mailbox)
                self.uidvalidity = selected.uidvalidity
                log.info(
                    "imap_connected",
                    host=self.settings.host,
                    mailbox=self.settings.mailbox,
                    uidvalidity=selected.uidvalidity,
                    exists=selected.exists,
                    idle=connection.idle_supported,
                )
                self.connected = True
                failures = 0
                await self._serve(connection, selected, stop)
            except imap.ImapLoginError as exc:
                failures += 1
                log.error("imap_login_refused", error=str(exc), attempt=failures)
                await self._alert_login(failures, str(exc))
            except imap.ImapError as exc:
                failures += 1
                log.warning("imap_connection_failed", error=str(exc), attempt=failures)
            finally:
                self.connected = False
                await connection.close()
            if not stop.is_set():
                await self._backoff(failures, stop)

    async def _serve(
        self, connection: imap.ImapConnection, selected: imap.Selected, stop: asyncio.Event
    ) -> None:
        await self._sweep(connection, selected)
        self.ready.set()
        while not stop.is_set():
            await self._apply_flags(connection, selected.uidvalidity)
            self.wake.clear()
            if stop.is_set():
                break
            reason = await connection.idle(self.settings.idle_seconds, self.wake)
            log.debug("imap_woke", reason=reason)
            # Sweep after every wake: untagged responses outside IDLE are dropped by the
            # library, and a push tells us only that something changed.
            await self._sweep(connection, selected)

    async def _alert_login(self, failures: int, error: str) -> None:
        """After a few refused logins in a row, tell the admin (at most hourly): nothing is
        read until the password is fixed, and mail waits safely on the server meanwhile."""
        if failures < LOGIN_ALERT_AFTER or not self._alerts.allow("login", LOGIN_ALERT_EVERY):
            return
        await self.store.add_note(
            None,
            "alert",
            f"El servidor IMAP rechaza el acceso ({error}). Revisá imap.username e "
            "imap.password; el correo espera en el servidor y se responde cuando vuelva.",
        )
        self.on_alert()

    async def _backoff(self, failures: int, stop: asyncio.Event) -> None:
        ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(failures - 1, 16))
        delay = self.rng.uniform(ceiling / 2, ceiling)
        log.info("imap_reconnect_scheduled", delay=round(delay, 2))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _sweep(self, connection: imap.ImapConnection, selected: imap.Selected) -> None:
        mailbox = self.settings.mailbox
        state = await self.store.mailbox_state(mailbox)
        fresh_start = state is None or state[0] != selected.uidvalidity
        if state is not None and state[0] != selected.uidvalidity:
            log.warning(
                "imap_uidvalidity_changed",
                mailbox=mailbox,
                old=state[0],
                new=selected.uidvalidity,
            )
            await self.store.drop_stale_flags(mailbox, selected.uidvalidity)
        last_uid = 0 if fresh_start or state is None else state[1]

        candidates = set(await connection.uid_search("UNSEEN"))
        highest = last_uid
        if fresh_start:
            everything = await connection.uid_search("ALL")
            highest = max(everything, default=0)
        else:
            # "n:*" always matches the highest UID, even below n: filter locally.
            above = [
                u for u in await connection.uid_search("UID", f"{last_uid + 1}:*") if u > last_uid
            ]
            candidates.update(above)
            highest = max([last_uid, *above])
        todo = sorted(candidates)
        if todo:
            known = set()
            for chunk in _chunks(todo, 1000):
                known |= await self.store.known_uids(mailbox, selected.uidvalidity, chunk)
            todo = [u for u in todo if u not in known]
        if todo:
            log.info("imap_sweep", mailbox=mailbox, new=len(todo), fresh_start=fresh_start)
            done = 0
            for chunk in _chunks(todo, 500):
                await self._ingest(connection, selected.uidvalidity, chunk)
                done += len(chunk)
                if len(todo) > 500:
                    # A backlog: show how far the catch-up has come.
                    log.info("imap_catch_up_progress", fetched=done, total=len(todo))
        await self.store.set_mailbox_state(mailbox, selected.uidvalidity, highest)

    async def _ingest(
        self, connection: imap.ImapConnection, uidvalidity: int, uids: list[int]
    ) -> None:
        cap = self.settings.max_message_bytes
        meta = await connection.fetch(uids, "UID RFC822.SIZE")
        small = [m for m in meta if m.size <= cap]
        large = [m for m in meta if m.size > cap]
        for batch in _by_size(small, FETCH_BATCH_COUNT, FETCH_BATCH_BYTES):
            fetched = await connection.fetch([m.uid for m in batch], "UID RFC822.SIZE BODY.PEEK[]")
            recorded = 0
            for item in fetched:
                if item.raw is None:
                    continue  # expunged between the two fetches: nothing to answer
                recorded += await self._record(
                    uidvalidity, item.uid, item.size or len(item.raw), item.raw, False
                )
            if recorded:
                self.on_recorded()
        for item in large:
            headers = await connection.fetch([item.uid], "UID RFC822.SIZE BODY.PEEK[HEADER]")
            raw = headers[0].raw if headers and headers[0].raw else b""
            recorded = await self._record(uidvalidity, item.uid, item.size, raw, True)
            if recorded:
                log.warning("message_too_large", uid=item.uid, size=item.size, cap=cap)

    async def _record(
        self, uidvalidity: int, uid: int, size: int, raw: bytes, too_large: bool
    ) -> int:
        header = summarize(raw, size)
        message = store.NewMessage(
            mailbox=self.settings.mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            message_key=header.key,
            message_id=header.message_id,
            sender=header.sender,
            reply_to=header.reply_to,
            subject=header.subject,
            size=size,
            received_at=header.date,
            raw=None if too_large else raw,
            status="human" if too_large else "pending",
            route="human" if too_large else None,
            error=f"message of {size} bytes is over imap.max_message_bytes" if too_large else None,
            imap_flags="\\Flagged" if too_large else None,
        )
        task_id = await self.store.record(message)
        if task_id is None:
            log.info("message_already_recorded", uid=uid, message_id=header.message_id)
            return 0
        log.info(
            "message_recorded", task_id=task_id, uid=uid, message_id=header.message_id, size=size
        )
        return 1

    async def _apply_flags(self, connection: imap.ImapConnection, uidvalidity: int) -> None:
        """Set the flags workers asked for, one STORE per distinct set of flags."""
        while True:
            pending = await self.store.pending_flags(self.settings.mailbox, uidvalidity)
            groups: dict[str, list[tuple[int, int]]] = {}
            for task_id, uid, flags in pending:
                groups.setdefault(flags, []).append((task_id, uid))
            for flags, members in groups.items():
                await connection.add_flags([uid for _, uid in members], flags)
                await self.store.clear_flags([task_id for task_id, _ in members])
            if len(pending) < 200:
                return


class HeaderSummary:
    """The few header fields the task table keeps, decoded defensively."""

    __slots__ = ("date", "key", "message_id", "reply_to", "sender", "subject")

    def __init__(
        self,
        key: str,
        message_id: str | None,
        sender: str,
        reply_to: str | None,
        subject: str,
        date: datetime | None,
    ) -> None:
        self.key = key
        self.message_id = message_id
        self.sender = sender
        self.reply_to = reply_to
        self.subject = subject
        self.date = date


def summarize(raw: bytes, size: int) -> HeaderSummary:
    """Message-ID, sender, Reply-To, subject and date of ``raw``; never raises."""
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    # Raw values, not get(): raw 8-bit bytes in a header (RFC 6532, or a careless mailer) are
    # read as parse.py reads them (UTF-8, else Latin-1) instead of turning into U+FFFD.
    headers: dict[str, list[str]] = {}
    for name, value in parsed.raw_items():
        headers.setdefault(str(name).lower(), []).append(parse.header_text(str(value)))

    def first(name: str) -> str | None:
        return headers[name][0] if name in headers else None

    message_id = _message_id(first("message-id"))
    sender = _first_address(headers.get("from", []))
    reply_to = _first_address(headers.get("reply-to", [])) or None
    subject = _decoded(first("subject"))
    date = _date(first("date"))
    if message_id:
        key = message_id
    else:
        basis = "\n".join([first("date") or "", sender, subject, str(size)])
        key = "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()
    return HeaderSummary(key, message_id, sender, reply_to, subject[:500], date)


def _message_id(value: object) -> str | None:
    if value is None:
        return None
    text = "".join(str(value).split())
    if not text:
        return None
    start, end = text.find("<"), text.find(">")
    if 0 <= start < end:
        text = text[start : end + 1]
    return text[:500] or None


def _decoded(value: object) -> str:
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        text = str(value)
    return " ".join(text.replace("\x00", " ").split())


def _first_address(values: Sequence[object]) -> str:
    try:
        pairs = getaddresses([_decoded(v) for v in values])
    except (ValueError, IndexError):
        return ""
    for _name, address in pairs:
        address = address.strip()
        if "@" in address and " " not in address:
            return address.lower()
    return ""


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_size(items: list[imap.Fetched], count: int, limit: int) -> Iterator[list[imap.Fetched]]:
    """Batches of at most ``count`` messages and about ``limit`` bytes (at least one each)."""
    batch: list[imap.Fetched] = []
    total = 0
    for item in items:
        if batch and (len(batch) >= count or total + item.size > limit):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += item.size
    if batch:
        yield batch
