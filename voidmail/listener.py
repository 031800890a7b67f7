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
from collections.abc import Callable, Iterator
from datetime import datetime

import structlog

from voidmail import imap, parse, store
from voidmail.config import ImapSettings
from voidmail.throttle import Throttle

log = structlog.get_logger("voidmail.listener")

# Bodies are fetched in small batches, each under a deadline of imap.timeout plus its size at
# MIN_FETCH_BYTES_PER_SECOND, so one slow or broken message costs little and is found out.
FETCH_BATCH_COUNT = 10
FETCH_BATCH_BYTES = 2 * 1024 * 1024
MIN_FETCH_BYTES_PER_SECOND = 256 * 1024
MAX_FETCH_TRIES = 3  # failed body fetches before a message goes to a person without its body
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
LOGIN_ALERT_AFTER = 3  # refused logins in a row before the admin is told
LOGIN_ALERT_EVERY = 3600.0  # seconds between such alerts
MAX_ID_CHARS = 500  # of a Message-ID kept in the task table
MAX_SUBJECT_CHARS = 500


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
        self.failures = 0  # connection attempts in a row without a completed sweep
        self._alerts = Throttle()
        # Failed body fetches per (uidvalidity, uid): such a message is fetched alone, and
        # after MAX_FETCH_TRIES it is recorded for a person without its body.
        self._fetch_failures: dict[tuple[int, int], int] = {}

    async def run(self, stop: asyncio.Event) -> None:
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
                await self._serve(connection, selected, stop)
            except imap.ImapLoginError as exc:
                self.failures += 1
                log.error("imap_login_refused", error=str(exc), attempt=self.failures)
                await self._alert_login(self.failures, str(exc))
            except imap.ImapError as exc:
                self.failures += 1
                log.warning("imap_connection_failed", error=str(exc), attempt=self.failures)
            finally:
                self.connected = False
                await connection.close()
            if not stop.is_set():
                await self._backoff(self.failures, stop)

    async def _serve(
        self, connection: imap.ImapConnection, selected: imap.Selected, stop: asyncio.Event
    ) -> None:
        await self._sweep(connection, selected)
        # Only a sweep that went through proves the connection works: until then the backoff
        # keeps growing, however often SELECT succeeds.
        self.failures = 0
        self.ready.set()
        while not stop.is_set():
            # Cleared before the flags are read, so a worker's wake-up during the STORE is
            # kept for the IDLE below (which then returns at once).
            self.wake.clear()
            await self._apply_flags(connection, selected.uidvalidity)
            if connection.new_mail:
                # A command's response said new mail arrived; IDLE would not say it again.
                connection.new_mail = False
                await self._sweep(connection, selected)
                continue
            if stop.is_set():
                break
            reason = await connection.idle(self.settings.idle_seconds, self.wake)
            log.debug("imap_woke", reason=reason)
            # Sweep after every wake: a push tells us only that something changed.
            await self._sweep(connection, selected)

    async def _alert_login(self, failures: int, error: str) -> None:
        """After a few refused logins in a row, tell the admin (at most hourly): nothing is
        read until the password is fixed, and mail waits safely on the server meanwhile."""
        if failures < LOGIN_ALERT_AFTER or not self._alerts.allow("login", LOGIN_ALERT_EVERY):
            return
        await self.store.add_note(
            None,
            "alert",
            f"El servidor IMAP rechaza el acceso ({error}). "
            + (
                "Volvé a iniciar sesión con `voidmail auth`"
                if self.settings.auth == "xoauth2"
                else "Revisá imap.username e imap.password"
            )
            + "; el correo espera en el servidor y se responde cuando vuelva.",
        )
        self.on_alert()

    async def _backoff(self, failures: int, stop: asyncio.Event) -> None:
        ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(failures - 1, 16))
        delay = self.rng.uniform(ceiling / 2, ceiling)
        log.info("imap_reconnect_scheduled", delay=round(delay, 2))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _sweep(self, connection: imap.ImapConnection, selected: imap.Selected) -> None:
        """Record every message not recorded yet, then remember how far we got."""
        uidvalidity = selected.uidvalidity
        last_uid = await self._last_recorded_uid(uidvalidity)
        if last_uid is None:
            todo, highest = await self._first_look(connection)
        else:
            todo, highest = await self._since(connection, last_uid)
        todo = await self._unrecorded(uidvalidity, todo)
        if todo:
            log.info("imap_sweep", mailbox=self.settings.mailbox, new=len(todo))
            await self._catch_up(connection, uidvalidity, todo)
        await self.store.set_mailbox_state(self.settings.mailbox, uidvalidity, highest)

    async def _last_recorded_uid(self, uidvalidity: int) -> int | None:
        """The highest UID recorded in this mailbox, or None when we start afresh: the first
        connection, or a changed UIDVALIDITY (whose stale flag requests are dropped)."""
        mailbox = self.settings.mailbox
        state = await self.store.mailbox_state(mailbox)
        if state is None:
            return None
        if state[0] != uidvalidity:
            log.warning("imap_uidvalidity_changed", mailbox=mailbox, old=state[0], new=uidvalidity)
            await self.store.drop_stale_flags(mailbox, uidvalidity)
            return None
        return int(state[1])

    async def _first_look(self, connection: imap.ImapConnection) -> tuple[list[int], int]:
        """Starting afresh only UNSEEN mail is work: old read mail is history. Every message is
        still matched by Message-ID against what is recorded, so nothing is answered twice."""
        todo = await connection.uid_search("UNSEEN")
        everything = await connection.uid_search("ALL")
        return todo, max(everything, default=0)

    async def _since(self, connection: imap.ImapConnection, last_uid: int) -> tuple[list[int], int]:
        """Everything above ``last_uid``, and every UNSEEN message (a retry, a reset flag)."""
        candidates = set(await connection.uid_search("UNSEEN"))
        # "n:*" always matches the highest UID, even below n: filter locally.
        found = await connection.uid_search("UID", f"{last_uid + 1}:*")
        above = [uid for uid in found if uid > last_uid]
        candidates.update(above)
        return sorted(candidates), max([last_uid, *above])

    async def _unrecorded(self, uidvalidity: int, uids: list[int]) -> list[int]:
        known: set[int] = set()
        for chunk in _chunks(uids, 1000):
            known |= await self.store.known_uids(self.settings.mailbox, uidvalidity, chunk)
        return [uid for uid in uids if uid not in known]

    async def _catch_up(
        self, connection: imap.ImapConnection, uidvalidity: int, todo: list[int]
    ) -> None:
        done = 0
        for chunk in _chunks(todo, 500):
            await self._ingest(connection, uidvalidity, chunk)
            done += len(chunk)
            if len(todo) > 500:
                # A backlog: show how far the catch-up has come.
                log.info("imap_catch_up_progress", fetched=done, total=len(todo))

    async def _ingest(
        self, connection: imap.ImapConnection, uidvalidity: int, uids: list[int]
    ) -> None:
        cap = self.settings.max_message_bytes
        meta = []
        for item in await connection.fetch(uids, "UID RFC822.SIZE"):
            if self._fetch_failures.get((uidvalidity, item.uid), 0) < MAX_FETCH_TRIES:
                meta.append(item)
                continue
            await self._record_for_a_person(
                uidvalidity,
                item.uid,
                item.size,
                None,
                f"the server failed {MAX_FETCH_TRIES} times to send this message",
            )
        small = [m for m in meta if m.size <= cap]
        large = [m for m in meta if m.size > cap]
        # A message that failed before is fetched alone, so it cannot hold others back.
        suspects = [[m] for m in small if (uidvalidity, m.uid) in self._fetch_failures]
        healthy = [m for m in small if (uidvalidity, m.uid) not in self._fetch_failures]
        for batch in [*suspects, *_by_size(healthy, FETCH_BATCH_COUNT, FETCH_BATCH_BYTES)]:
            fetched = await self._fetch_bodies(connection, uidvalidity, batch)
            recorded = 0
            for item in fetched:
                if item.raw is None:
                    continue  # expunged between the two fetches: nothing to answer
                recorded += await self._record(
                    uidvalidity, item.uid, item.size or len(item.raw), item.raw
                )
            if recorded:
                self.on_recorded()
        for item in large:
            headers = await connection.fetch([item.uid], "UID RFC822.SIZE BODY.PEEK[HEADER]")
            raw = headers[0].raw if headers and headers[0].raw else b""
            why = f"message of {item.size} bytes is over imap.max_message_bytes"
            if await self._record_for_a_person(uidvalidity, item.uid, item.size, raw, why):
                log.warning("message_too_large", uid=item.uid, size=item.size, cap=cap)

    async def _fetch_bodies(
        self, connection: imap.ImapConnection, uidvalidity: int, batch: list[imap.Fetched]
    ) -> list[imap.Fetched]:
        """The bodies of ``batch``, under a deadline that grows with their size. A failure
        is counted against each of them (and drops the connection, as any IMAP error does)."""
        size = sum(m.size for m in batch)
        deadline = self.settings.timeout + size / MIN_FETCH_BYTES_PER_SECOND
        try:
            fetched = await connection.fetch(
                [m.uid for m in batch], "UID RFC822.SIZE BODY.PEEK[]", deadline=deadline
            )
        except imap.ImapError:
            for m in batch:
                key = (uidvalidity, m.uid)
                self._fetch_failures[key] = self._fetch_failures.get(key, 0) + 1
            raise
        for m in batch:
            self._fetch_failures.pop((uidvalidity, m.uid), None)
        return fetched

    async def _record(self, uidvalidity: int, uid: int, size: int, raw: bytes) -> int:
        """Record one message; 1 if it is new. Whatever it holds, it ends up recorded: a value
        PostgreSQL refuses sends the message to a person instead."""
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
            raw=raw,
        )
        try:
            task_id = await self.store.record(message)
        except store.Unstorable as exc:
            log.warning("message_unstorable", uid=uid, error=str(exc))
            return await self._record_for_a_person(
                uidvalidity, uid, size, raw, "its headers could not be stored"
            )
        if task_id is None:
            log.info("message_already_recorded", uid=uid, message_id=header.message_id)
            return 0
        log.info(
            "message_recorded", task_id=task_id, uid=uid, message_id=header.message_id, size=size
        )
        return 1

    async def _record_for_a_person(
        self, uidvalidity: int, uid: int, size: int, raw: bytes | None, why: str
    ) -> int:
        """Record a message no worker should touch: status ``human``, \\Flagged in the
        mailbox, a line in the admin's digest. Its body is kept only if it is small enough."""
        keep_body = raw is not None and size <= self.settings.max_message_bytes
        # Its headers are kept only when they alone were fetched (a message too large): a
        # kept body whose headers could not be stored, or no bytes at all, leave only the UID.
        header = summarize(raw, size) if raw is not None and not keep_body else None
        message = store.NewMessage(
            mailbox=self.settings.mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            message_key=header.key if header else f"uid:{uidvalidity}:{uid}",
            message_id=header.message_id if header else None,
            sender=header.sender if header else "",
            reply_to=None,
            subject=header.subject if header else "",
            size=size,
            received_at=None,
            raw=raw if keep_body else None,
            status="human",
            route="human",
            error=why,
            imap_flags="\\Flagged",
        )
        task_id = await self.store.record(message)
        if task_id is None:
            return 0
        log.warning("message_for_a_person", task_id=task_id, uid=uid, reason=why)
        await self.store.add_note(
            task_id,
            "handoff",
            f"{self.settings.mailbox} UID {uid} ({size} bytes) · {why}; "
            "quedó destacado (\\Flagged) en el buzón para que lo mire una persona",
        )
        self.on_alert()
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
    """Message-ID, sender, Reply-To, subject and date of ``raw``; never raises.

    The headers are read by ``parse`` (the one owner of header decoding: linear, capped), then
    cut to what the task table can index. A NUL never reaches PostgreSQL.
    """
    mail = parse.parse_headers(raw)
    message_id = _storable(mail.message_id or "", MAX_ID_CHARS) or None
    sender = mail.sender if len(mail.sender) <= parse.MAX_ADDRESS_CHARS else ""
    subject = _storable(mail.subject, MAX_SUBJECT_CHARS)
    if message_id:
        key = message_id
    else:
        basis = "\n".join([str(mail.date or ""), sender, subject, str(size)])
        key = "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()
    return HeaderSummary(key, message_id, sender, mail.reply_to, subject, mail.date)


def _storable(text: str, limit: int) -> str:
    """``text`` on one line, without NULs (PostgreSQL refuses them in text), capped."""
    return " ".join(text.replace("\x00", " ").split())[:limit]


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
