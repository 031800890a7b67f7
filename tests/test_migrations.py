"""Migrations against a real PostgreSQL: from zero, re-run, and tampering detected."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from voidmail import migrate
from voidmail.errors import DatabaseError

TASK_COLUMNS = {
    "id", "mailbox", "uidvalidity", "uid", "message_id", "sender", "subject", "status", "route",
    "attempts", "error_message", "last_attempt_at", "next_attempt_at", "prompt_tokens",
    "completion_tokens", "created_at", "finished_at",
}  # fmt: skip
STATUSES = ("pending", "processing", "done", "failed", "dead_letter", "reprocessing", "human",
            "ignored", "purged")  # fmt: skip

SNAPSHOT = """
SELECT 'column', table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conname || ':' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2
"""


async def snapshot(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in await conn.fetch(SNAPSHOT)]


async def test_migrates_an_empty_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await snapshot(conn) == []
        applied = await migrate.apply(conn)
        assert applied == [m.version for m in migrate.discover()]
        assert applied[0] == 1

        tables = {
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
        assert {"tasks", "outbound", "turns", "llm_usage", "mailbox_state", "incidents",
                "admin_notes", "task_bodies", "schema_migrations"} <= tables  # fmt: skip
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'tasks'"
            )
        }
        assert columns >= TASK_COLUMNS

        # Every status of the contract is accepted, anything else refused.
        for uid, status in enumerate(STATUSES, start=1):
            await conn.execute(
                "INSERT INTO tasks (mailbox, uidvalidity, uid, status, message_key) "
                "VALUES ('INBOX', 1, $1, $2, $3)",
                uid,
                status,
                f"key-{uid}",
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO tasks (mailbox, uidvalidity, uid, status, message_key) "
                "VALUES ('INBOX', 1, 99, 'x', 'k99')"
            )
        # Routes: faq:<id>, llm, human, ignored.
        await conn.execute("UPDATE tasks SET route = 'faq:envios' WHERE uid = 1")
        await conn.execute("UPDATE tasks SET route = 'llm' WHERE uid = 2")
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("UPDATE tasks SET route = 'robot' WHERE uid = 3")
        # One task per (mailbox, uidvalidity, uid).
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO tasks (mailbox, uidvalidity, uid, message_key) "
                "VALUES ('INBOX', 1, 1, 'x')"
            )
        # One original per message; a second copy is recorded pointing at it.
        first = await conn.fetchval(
            "INSERT INTO tasks (mailbox, uidvalidity, uid, message_id, message_key) "
            "VALUES ('INBOX', 2, 1, '<a@x>', '<a@x>') RETURNING id"
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO tasks (mailbox, uidvalidity, uid, message_id, message_key) "
                "VALUES ('INBOX', 2, 2, '<a@x>', '<a@x>')"
            )
        await conn.execute(
            "INSERT INTO tasks (mailbox, uidvalidity, uid, message_id, message_key, duplicate_of, "
            "status) VALUES ('INBOX', 2, 2, '<a@x>', '<a@x>', $1, 'ignored')",
            first,
        )
        # A task gets at most one reply in the outbound ledger.
        await conn.execute(
            "INSERT INTO outbound (task_id, kind, message_id, recipient, subject, body) "
            "VALUES ($1, 'reply', '<r1@shop>', 'c@x', 'Re: hola', 'hola')",
            first,
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO outbound (task_id, kind, message_id, recipient, subject, body) "
                "VALUES ($1, 'reply', '<r2@shop>', 'c@x', 'Re: hola', 'hola')",
                first,
            )
    finally:
        await conn.close()


async def test_rerun_changes_nothing(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate.apply(conn)
        before = await snapshot(conn)
        recorded = await conn.fetch("SELECT version, checksum, applied_at FROM schema_migrations")
        assert await migrate.apply(conn) == []
        assert await snapshot(conn) == before
        again = await conn.fetch("SELECT version, checksum, applied_at FROM schema_migrations")
        assert again == recorded
    finally:
        await conn.close()


async def test_concurrent_migrators_apply_once(database_url: str) -> None:
    conns = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate.apply(c) for c in conns))
        applied = sorted(v for result in results for v in result)
        assert applied == [m.version for m in migrate.discover()]
    finally:
        for c in conns:
            await c.close()


async def test_an_edited_migration_is_refused(database_url: str, tmp_path: Path) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate.apply(conn)
        edited = [
            migrate.Migration(m.version, m.name, m.sql + "\n-- edited\n")
            for m in migrate.discover()
        ]
        with pytest.raises(DatabaseError, match="changed after it was applied"):
            await migrate.apply(conn, edited)
    finally:
        await conn.close()


def test_discover_refuses_gaps_and_bad_names(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;", encoding="utf-8")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(DatabaseError, match="0002 is missing"):
        migrate.discover(tmp_path)
    (tmp_path / "0003_c.sql").unlink()
    (tmp_path / "2-b.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(DatabaseError, match="not named like"):
        migrate.discover(tmp_path)
