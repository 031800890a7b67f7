"""The dead-letter queue: tasks that failed ``worker.max_attempts`` times or for good.

A person inspects them (``voidmail dlq list``, ``dlq show ID``), fixes the cause (a bad API
key, an SMTP outage) and replays them (``dlq retry ID|--all``): they go back to the queue as
``reprocessing`` with their attempts reset, and a running daemon is woken at once through
PostgreSQL's NOTIFY. ``dlq purge --older-than 30d`` drops old ones for good: their bodies are
deleted and each leaves a ``purged`` tombstone, so the message, still unread in the mailbox,
is never recorded and processed again.
"""

from __future__ import annotations

import re
from typing import Any

from voidmail import store

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
WORK_CHANNEL = "voidmail_work"


def parse_duration(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` in seconds. Raises ValueError otherwise."""
    match = DURATION.match(text.lower())
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 30d, 12h or 90m")
    return float(match[1]) * UNIT_SECONDS[match[2]]


async def entries(st: store.Store, limit: int = 1000) -> list[dict[str, Any]]:
    return [dict(r) for r in await st.pool.fetch(st.queries["dlq_list"], limit)]


async def detail(st: store.Store, task_id: int) -> dict[str, Any] | None:
    row = await st.pool.fetchrow(st.queries["task_detail"], task_id)
    if row is None:
        return None
    found = dict(row)
    found["outbound"] = [dict(r) for r in await st.pool.fetch(st.queries["task_outbound"], task_id)]
    return found


async def replay(st: store.Store, task_ids: list[int] | None) -> list[int]:
    """Send dead letters (``None``: all of them) back to the queue; the ids replayed."""
    async with st.pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(st.queries["dlq_retry"], task_ids)
        replayed = [row["id"] for row in rows]
        if replayed:
            await conn.execute(st.queries["reopen_refused_replies"], replayed)
            await conn.execute(st.queries["notify_work"])
    return replayed


async def purge(st: store.Store, older_than: float) -> int:
    rows = await st.pool.fetch(st.queries["dlq_purge"], older_than)
    return len(rows)
