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
from pathlib import Path
from typing import Any

import asyncpg

from voidmail import migrate, pgembed
from voidmail.config import Settings
from voidmail.errors import DatabaseError

QUERIES_FILE = Path(__file__).resolve().parent / "sql" / "queries.sql"
NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*--\s*$", re.MULTILINE)
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0
TASK_STATUSES = (
    "pending", "processing", "done", "failed", "dead_letter", "reprocessing", "human", "ignored",
)  # fmt: skip


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
        pool = await create_pool(url, max_size or settings.worker.concurrency + 4)
        try:
            if apply_migrations:
                async with pool.acquire() as conn:
                    await migrate.apply(conn)
            yield Store(pool, load_queries())
        finally:
            await asyncio.shield(pool.close())
    finally:
        await stop_database(server)


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
