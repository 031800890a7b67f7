"""Apply the numbered SQL files in ``migrations/`` in order, once each.

Each file runs in its own transaction and is recorded in ``schema_migrations`` with a checksum.
An advisory lock serialises daemons that start together on one database. Running again changes
nothing. A recorded file whose text has since changed stops the run: an applied migration is
never edited, a new one is added.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import asyncpg.pool

from voidmail.errors import DatabaseError

# pg_advisory_lock key: the first 8 bytes of sha256("voidmail.migrate") as a signed bigint.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"voidmail.migrate").digest()[:8], "big", signed=True)
FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations_dir() -> Path:
    """Installed: ``voidmail/migrations``; in a source checkout: ``<repo>/migrations``."""
    here = Path(__file__).resolve().parent
    installed = here / "migrations"
    return installed if installed.is_dir() else here.parent / "migrations"


def discover(directory: Path | None = None) -> list[Migration]:
    """The migrations in version order. Raises on gaps, duplicates and stray names."""
    directory = directory or migrations_dir()
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = FILENAME.match(path.name)
        if match is None:
            raise DatabaseError(f"migration {path.name} is not named like 0001_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise DatabaseError(
                f"migrations jump to {migration.version:04d}; {expected:04d} is missing"
            )
    return found


async def apply(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    migrations: list[Migration] | None = None,
) -> list[int]:
    """Apply what is missing; return the versions applied by this call."""
    migrations = discover() if migrations is None else migrations
    applied_now: list[int] = []
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        await conn.execute(CREATE_TABLE)
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        recorded = {row["version"]: row for row in rows}
        for migration in migrations:
            row = recorded.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise DatabaseError(
                        f"migration {migration.version:04d}_{migration.name} changed after it was "
                        "applied; restore it and add a new numbered migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(migration.version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    return applied_now
