"""The command line, run as a user runs it: a subprocess, real database, no traceback."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from voidmail import assembly, migrate

REPO = Path(__file__).resolve().parent.parent
SUBCOMMANDS = [
    ["run"], ["migrate"], ["check"], ["tasks"], ["dlq"], ["dlq", "list"], ["dlq", "show"],
    ["dlq", "retry"], ["dlq", "purge"], ["stats"], ["try"], ["demo"],
]  # fmt: skip


def voidmail(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    return subprocess.run(
        [sys.executable, "-m", "voidmail", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
        cwd=REPO,
    )


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_answers_help_without_config_or_database(
    words: list[str], tmp_path: Path
) -> None:
    # A config path that does not exist proves --help never reads it.
    result = voidmail("--config", str(tmp_path / "absent.toml"), *words, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: voidmail" in result.stdout


def database_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"VOIDMAIL_DATABASE__URL": database_url, "VOIDMAIL_DAEMON__STATE_DIR": str(tmp_path)}


def test_migrate_then_tasks_json(database_url: str, tmp_path: Path) -> None:
    env = database_env(database_url, tmp_path)
    first = voidmail("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "applied migrations: 0001" in first.stdout
    second = voidmail("migrate", env=env)
    assert second.returncode == 0
    assert "up to date" in second.stdout

    async def seed() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "INSERT INTO tasks (mailbox, uidvalidity, uid, message_id, message_key, sender, "
                "subject, status, route) VALUES "
                "('INBOX', 7, 1, '<m1@x>', '<m1@x>', 'ana@cliente.example', '¿Hacen envíos?', "
                "'done', 'faq:envios'), "
                "('INBOX', 7, 2, '<m2@x>', '<m2@x>', 'beto@cliente.example', 'Quiero cancelar', "
                "'human', 'human')"
            )
        finally:
            await conn.close()

    asyncio.run(seed())
    listing = voidmail("tasks", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert [r["message_id"] for r in rows] == ["<m2@x>", "<m1@x>"]
    required = {"id", "message_id", "sender", "subject", "status", "route", "attempts", "error",
                "prompt_tokens", "completion_tokens", "created_at", "finished_at"}  # fmt: skip
    assert all(required <= row.keys() for row in rows)
    assert rows[1]["subject"] == "¿Hacen envíos?"

    humans = json.loads(voidmail("tasks", "--status", "human", "--json", env=env).stdout)
    assert [r["sender"] for r in humans] == ["beto@cliente.example"]
    table = voidmail("tasks", env=env)
    assert "faq:envios" in table.stdout
    assert "STATUS" in table.stdout


def test_dlq_and_stats_commands(database_url: str, tmp_path: Path) -> None:
    env = database_env(database_url, tmp_path)
    assert voidmail("migrate", env=env).returncode == 0

    async def seed() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "INSERT INTO tasks (mailbox, uidvalidity, uid, message_id, message_key, sender, "
                "subject, status, route, attempts, error_message, prompt_tokens, "
                "completion_tokens, finished_at) VALUES "
                "('INBOX', 7, 1, '<d1@x>', '<d1@x>', 'ana@cliente.example', 'Buzo', "
                "'dead_letter', NULL, 5, 'the LLM provider refused the API key', 0, 0, now()), "
                "('INBOX', 7, 2, '<d2@x>', '<d2@x>', 'beto@cliente.example', 'Jean', "
                "'dead_letter', NULL, 1, 'SMTP 550', 0, 0, now()), "
                "('INBOX', 7, 3, '<ok@x>', '<ok@x>', 'caro@cliente.example', 'Envíos', "
                "'done', 'llm', 1, NULL, 300, 50, now())"
            )
        finally:
            await conn.close()

    asyncio.run(seed())
    listing = voidmail("dlq", "list", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    dead = json.loads(listing.stdout)
    assert [d["message_id"] for d in dead] == ["<d1@x>", "<d2@x>"]
    assert dead[0]["error"] == "the LLM provider refused the API key"
    assert "voidmail dlq retry" in voidmail("dlq", "list", env=env).stdout

    shown = voidmail("dlq", "show", str(dead[0]["id"]), env=env)
    assert shown.returncode == 0
    assert "refused the API key" in shown.stdout
    assert voidmail("dlq", "show", "999", env=env).returncode == 1

    one = voidmail("dlq", "retry", str(dead[1]["id"]), env=env)
    assert one.returncode == 0
    assert "replaying 1 task(s)" in one.stdout
    rest = voidmail("dlq", "retry", "--all", env=env)
    assert "replaying 1 task(s)" in rest.stdout
    tasks = {r["message_id"]: r for r in json.loads(voidmail("tasks", "--json", env=env).stdout)}
    assert tasks["<d1@x>"]["status"] == tasks["<d2@x>"]["status"] == "reprocessing"
    assert tasks["<d1@x>"]["attempts"] == 0
    assert "the dead-letter queue is empty" in voidmail("dlq", "list", env=env).stdout

    assert voidmail("dlq", "purge", "--older-than", "soon", env=env).returncode == 2
    assert "purged 0" in voidmail("dlq", "purge", "--older-than", "30d", env=env).stdout

    stats = voidmail("stats", "--json", env=env)
    assert stats.returncode == 0, stats.stderr
    report = json.loads(stats.stdout)
    assert report["mails_in"] == 3
    assert report["answered_llm"] == 1
    assert report["prompt_tokens"] == 300
    assert report["waiting"] == 2
    assert "answered by LLM     1" in voidmail("stats", "--since", "7d", env=env).stdout


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {
        "VOIDMAIL_DATABASE__URL": "postgresql://u:hunter2@127.0.0.1:1/nope",
        "VOIDMAIL_DAEMON__STATE_DIR": str(tmp_path),
    }
    result = voidmail("tasks", env=env)
    assert result.returncode == assembly.EXIT_FAILURE
    assert "database error" in result.stderr
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert voidmail("tasks", "--status", "bogus").returncode == 2
    assert voidmail("dlq", "retry").returncode == 2


def test_migrations_ship_with_the_package() -> None:
    assert migrate.discover(), "no migrations found"
