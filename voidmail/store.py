"""PostgreSQL access: the database's lifecycle, the pool and the named queries.

``open_store`` starts the embedded server when ``database.url`` is empty, opens an asyncpg
pool, applies the migrations, and undoes all of it on the way out. Queries live in
``voidmail/sql/queries.sql`` as ``-- name: x --`` blocks.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from voidmail import migrate, pgembed
from voidmail.config import Settings
from voidmail.errors import DatabaseError, PermanentError

QUERIES_FILE = Path(__file__).resolve().parent / "sql" / "queries.sql"
NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*--\s*$", re.MULTILINE)
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0
# pg_advisory_lock(LOCK_NAMESPACE, daemon_id) is held by each live daemon for its lifetime.
LOCK_NAMESPACE = 0x766D  # "vm"
# pg_advisory_xact_lock(RECIPIENT_LOCK, hashtext(address)) serialises reply reservations to one
# address, so the per-recipient hourly cap is counted and taken in one step.
RECIPIENT_LOCK = 0x7672  # "vr"
TASK_STATUSES = (
    "pending", "processing", "done", "failed", "dead_letter", "reprocessing", "human", "ignored",
    "purged",
)  # fmt: skip


class Unstorable(PermanentError):
    """PostgreSQL refused a value of one message (a data error, an index entry too large)."""


@dataclass(frozen=True)
class NewMessage:
    """A message fetched from IMAP, as the listener records it."""

    mailbox: str
    uidvalidity: int
    uid: int
    message_key: str
    message_id: str | None
    sender: str
    reply_to: str | None
    subject: str
    size: int
    received_at: datetime | None
    raw: bytes | None
    status: str = "pending"
    route: str | None = None
    error: str | None = None
    imap_flags: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How a task ended (or why it waits): what ``Store.finish`` writes."""

    status: str
    route: str | None
    intent: str | None = None
    error: str | None = None
    imap_flags: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    noted: bool = False  # a note for the admin was added (not stored: it only wakes the notifier)


def load_queries(path: Path = QUERIES_FILE) -> dict[str, str]:
    """Map each ``-- name: x --`` block of the file to its SQL."""
    text = path.read_text(encoding="utf-8")
    parts = NAME_LINE.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise DatabaseError(f"query {name!r} is defined twice in {path.name}")
        lines = [line for line in body.strip().splitlines() if not line.lstrip().startswith("--")]
        queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries


class Store:
    """The daemon's window on PostgreSQL. Holds the pool; every method is one round trip."""

    def __init__(self, pool: asyncpg.Pool, queries: dict[str, str]) -> None:
        self.pool = pool
        self.queries = queries

    async def list_tasks(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(self.queries["list_tasks"], status, limit)
        return [dict(row) for row in rows]

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.pool.fetch(self.queries["count_tasks_by_status"])
        return {row["status"]: row["n"] for row in rows}

    # -- the listener's side ------------------------------------------------------------

    async def mailbox_state(self, mailbox: str) -> tuple[int, int] | None:
        row = await self.pool.fetchrow(self.queries["get_mailbox_state"], mailbox)
        return None if row is None else (row["uidvalidity"], row["last_uid"])

    async def set_mailbox_state(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        await self.pool.execute(self.queries["set_mailbox_state"], mailbox, uidvalidity, last_uid)

    async def known_uids(self, mailbox: str, uidvalidity: int, uids: list[int]) -> set[int]:
        rows = await self.pool.fetch(self.queries["known_uids"], mailbox, uidvalidity, uids)
        return {row["uid"] for row in rows}

    async def record(self, message: NewMessage) -> int | None:
        """Record one fetched message with its body; the task id, or None if already known.

        A message already recorded under another UID is kept as an ignored duplicate.
        """
        try:
            return await self._record(message)
        except (asyncpg.DataError, asyncpg.ProgramLimitExceededError) as exc:
            raise Unstorable(f"{type(exc).__name__}: {exc}") from exc

    async def _record(self, m: NewMessage) -> int | None:
        async with self.pool.acquire() as conn, conn.transaction():
            task_id: int | None = await conn.fetchval(
                self.queries["insert_task"], m.mailbox, m.uidvalidity, m.uid, m.message_id,
                m.message_key, m.sender, m.reply_to, m.subject, m.size, m.received_at,
                m.status, m.route, m.error, m.imap_flags,
            )  # fmt: skip
            if task_id is None:
                await conn.fetchval(
                    self.queries["insert_duplicate"], m.mailbox, m.uidvalidity, m.uid,
                    m.message_id, m.message_key, m.sender, m.reply_to, m.subject, m.size,
                    m.received_at,
                )  # fmt: skip
                return None
            if m.raw is not None:
                await conn.execute(self.queries["insert_body"], task_id, m.raw)
            return task_id

    async def pending_flags(
        self, mailbox: str, uidvalidity: int, limit: int = 200
    ) -> list[tuple[int, int, str]]:
        rows = await self.pool.fetch(self.queries["pending_flags"], mailbox, uidvalidity, limit)
        return [(row["id"], row["uid"], row["imap_flags"]) for row in rows]

    async def clear_flags(self, task_ids: list[int]) -> None:
        await self.pool.execute(self.queries["clear_flags_many"], task_ids)

    async def drop_stale_flags(self, mailbox: str, uidvalidity: int) -> None:
        await self.pool.execute(self.queries["drop_stale_flags"], mailbox, uidvalidity)

    # -- the workers' side --------------------------------------------------------------

    async def runnable_ids(self, exclude: list[int], limit: int) -> list[int]:
        rows = await self.pool.fetch(self.queries["runnable_ids"], exclude, limit)
        return [row["id"] for row in rows]

    async def next_due_in(self, exclude: list[int]) -> float | None:
        value: float | None = await self.pool.fetchval(self.queries["next_due_in"], exclude)
        return value

    async def claim(self, task_id: int, daemon_id: int) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(self.queries["claim"], task_id, daemon_id)
        return None if row is None else dict(row)

    async def body(self, task_id: int) -> bytes | None:
        raw: bytes | None = await self.pool.fetchval(self.queries["get_body"], task_id)
        return raw

    async def release_dead_claims(self) -> list[int]:
        rows = await self.pool.fetch(self.queries["release_dead_claims"], LOCK_NAMESPACE)
        return [row["id"] for row in rows]

    async def release_claim(self, task_id: int, daemon_id: int) -> None:
        await self.pool.execute(self.queries["release_claim"], task_id, daemon_id)

    async def finish(self, task_id: int, outcome: Outcome) -> None:
        o = outcome
        await self.pool.execute(
            self.queries["finish"], task_id, o.status, o.route, o.intent, o.error,
            o.imap_flags, o.prompt_tokens, o.completion_tokens,
        )  # fmt: skip

    async def schedule_retry(
        self, task_id: int, error: str, delay: float, *, refund_attempt: bool = False,
        prompt_tokens: int = 0, completion_tokens: int = 0,
    ) -> None:  # fmt: skip
        await self.pool.execute(
            self.queries["schedule_retry"], task_id, error, delay, prompt_tokens,
            completion_tokens, refund_attempt,
        )  # fmt: skip

    async def replies_to(self, recipient: str, hours: int) -> int:
        count: int = await self.pool.fetchval(self.queries["replies_to"], recipient, hours)
        return count

    async def repeated_body(self, task_id: int, sender: str, digest: str) -> bool:
        seen: bool = await self.pool.fetchval(
            self.queries["repeated_body"], task_id, sender, digest
        )
        return seen

    async def add_note(self, task_id: int | None, kind: str, note: str) -> None:
        await self.pool.execute(self.queries["add_note"], task_id, kind, note)

    async def unsent_notes(self, limit: int = 500) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.pool.fetch(self.queries["unsent_notes"], limit)]

    async def oldest_unsent_note_age(self) -> float | None:
        age: float | None = await self.pool.fetchval(self.queries["oldest_unsent_note_age"])
        return age

    async def queue_digest(
        self, note_ids: list[int], message_id: str, recipient: str, subject: str, body: str
    ) -> int:
        """Write a digest to the ledger and tie its notes to it, in one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            outbound_id: int = await conn.fetchval(
                self.queries["add_outbound"], None, "handoff_digest", message_id, recipient,
                subject, body,
            )  # fmt: skip
            await conn.execute(self.queries["attach_notes"], outbound_id, note_ids)
        return outbound_id

    async def unsent_outbound(self, limit: int = 20) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.pool.fetch(self.queries["unsent_outbound"], limit)]

    async def add_turn(
        self, customer: str, thread: str, role: str, task_id: int | None, message_id: str | None,
        body: str,
    ) -> None:  # fmt: skip
        await self.pool.execute(
            self.queries["add_turn"], customer, thread, role, task_id, message_id, body
        )

    async def recent_turns(
        self, customer: str, thread: str, task_id: int | None, limit: int = 3
    ) -> list[tuple[str, str]]:
        rows = await self.pool.fetch(self.queries["recent_turns"], customer, thread, task_id, limit)
        return [(row["role"], row["body"]) for row in rows]

    async def add_llm_usage(
        self, model: str, requests: int, prompt_tokens: int, completion_tokens: int,
        rate_limited: int,
    ) -> None:  # fmt: skip
        await self.pool.execute(
            self.queries["add_llm_usage"], model, requests, prompt_tokens, completion_tokens,
            rate_limited,
        )  # fmt: skip

    async def llm_usage_today(self, model: str) -> tuple[int, int]:
        row = await self.pool.fetchrow(self.queries["llm_usage_today"], model)
        return (0, 0) if row is None else (row["requests"], row["tokens"])

    # -- the outbound ledger ------------------------------------------------------------

    async def reserve_reply(
        self, task_id: int, message_id: str, recipient: str, subject: str, body: str, *,
        hourly_cap: int, channel: str = "smtp",
    ) -> dict[str, Any] | None:  # fmt: skip
        """Write the reply of task ``task_id`` to the ledger, or return the one already there.

        None when ``recipient`` already has ``hourly_cap`` replies from the last hour: counted
        under a lock on the address, so concurrent workers cannot all pass the cap.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(self.queries["lock_recipient"], RECIPIENT_LOCK, recipient)
            existing = await conn.fetchrow(self.queries["reply_of"], task_id)
            if existing is not None:
                return dict(existing)
            recent: int = await conn.fetchval(self.queries["replies_to"], recipient, 1)
            if recent >= hourly_cap:
                return None
            row = await conn.fetchrow(
                self.queries["insert_reply"], task_id, message_id, recipient, subject, body,
                channel,
            )  # fmt: skip
            assert row is not None
            return dict(row)

    async def add_outbound(
        self, task_id: int | None, kind: str, message_id: str, recipient: str, subject: str,
        body: str,
    ) -> int:  # fmt: skip
        outbound_id: int = await self.pool.fetchval(
            self.queries["add_outbound"], task_id, kind, message_id, recipient, subject, body
        )
        return outbound_id

    async def set_lane_class(self, task_id: int, name: str) -> None:
        await self.pool.execute(self.queries["set_lane_class"], task_id, name)

    async def shop_wrote_to(self, customer: str) -> bool:
        """True if the shop has answered this address before (any thread)."""
        wrote: bool = await self.pool.fetchval(self.queries["shop_wrote_to"], customer)
        return wrote

    async def reply_of(self, task_id: int) -> dict[str, Any] | None:
        """The reply already in the ledger for task ``task_id``, if any."""
        row = await self.pool.fetchrow(self.queries["reply_of"], task_id)
        return None if row is None else dict(row)

    async def mark_sending(self, outbound_id: int) -> bool:
        return await self.pool.fetchval(self.queries["mark_sending"], outbound_id) is not None

    async def mark_drafting(self, outbound_id: int) -> bool:
        return await self.pool.fetchval(self.queries["mark_drafting"], outbound_id) is not None

    async def mark_drafted(self, outbound_id: int) -> None:
        await self.pool.execute(self.queries["mark_drafted"], outbound_id)

    async def pending_drafts(self, limit: int = 200) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.pool.fetch(self.queries["pending_drafts"], limit)]

    async def set_review(self, outbound_id: int, review: str, similarity: float | None) -> None:
        await self.pool.execute(self.queries["set_review"], outbound_id, review, similarity)

    async def draft_answered(self, task_id: int) -> None:
        await self.pool.execute(self.queries["draft_answered"], task_id)

    async def mark_sent(self, outbound_id: int) -> None:
        await self.pool.execute(self.queries["mark_sent"], outbound_id)

    async def mark_send_failed(self, outbound_id: int, status: str, error: str) -> None:
        await self.pool.execute(self.queries["mark_send_failed"], outbound_id, status, error)


async def start_database(settings: Settings) -> tuple[str, pgembed.EmbeddedPostgres | None]:
    """The URL to connect to, starting the embedded server if no URL is configured."""
    url = settings.database.url.get()
    if url:
        return url, None
    server = pgembed.EmbeddedPostgres(settings.state_dir)
    return await asyncio.to_thread(server.start), server


async def stop_database(server: pgembed.EmbeddedPostgres | None) -> None:
    if server is not None:
        # Shielded: a cancelled shutdown must still stop the server it started.
        await asyncio.shield(asyncio.to_thread(server.stop))


@asynccontextmanager
async def open_store(
    settings: Settings, *, apply_migrations: bool = True, max_size: int | None = None
) -> AsyncIterator[Store]:
    """A ready Store for the configured database; stops what it started on exit."""
    url, server = await start_database(settings)
    try:
        size = max_size or settings.worker.concurrency + 4
        async with open_store_at(url, size, apply_migrations=apply_migrations) as st:
            yield st
    finally:
        await stop_database(server)


@asynccontextmanager
async def open_store_at(
    url: str, max_size: int = 4, *, apply_migrations: bool = True
) -> AsyncIterator[Store]:
    """A Store on the database at ``url``, migrated unless told otherwise."""
    pool = await create_pool(url, max_size)
    try:
        if apply_migrations:
            async with pool.acquire() as conn:
                await migrate.apply(conn)
        yield Store(pool, load_queries())
    finally:
        await asyncio.shield(pool.close())


async def create_pool(url: str, max_size: int) -> asyncpg.Pool:
    try:
        return await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=max_size,
            timeout=CONNECT_TIMEOUT,
            command_timeout=COMMAND_TIMEOUT,
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise DatabaseError(f"cannot connect to the database: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    """An error's text without anything a URL might carry (a password)."""
    text = str(exc) or exc.__class__.__name__
    return re.sub(r"postgres(?:ql)?://\S+", "postgresql://…", text)
