"""The embedded PostgreSQL: survives restarts and SIGKILL, distrusts stale PID files."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.fixtures.database import make_base_dir
from voidmail import pgembed
from voidmail.errors import DatabaseError

HOLDER = """
import sys
from pathlib import Path
from voidmail.pgembed import EmbeddedPostgres
server = EmbeddedPostgres(Path(sys.argv[1]))
print(server.start(), flush=True)
sys.stdin.read()
"""


@pytest.fixture
def state_dir() -> Iterator[Path]:
    base = make_base_dir("voidmail-pgembed-")
    yield base / "state"
    # Whatever a test left running, stop it so no server outlives the suite.
    server = pgembed.EmbeddedPostgres(base / "state")
    if server.running_pid() is not None:
        server.start()
        server.stop()


def sql(dsn: str, query: str) -> list[asyncpg.Record]:
    """Run ``query`` (one statement, or several with no result) on a fresh connection."""

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            if ";" in query:
                await conn.execute(query)
                return []
            return await conn.fetch(query)
        finally:
            await conn.close()

    return asyncio.run(run())


def spawn_holder(state_dir: Path) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert child.stdout is not None
    dsn = child.stdout.readline().strip()
    assert dsn.startswith("postgresql://"), "the holder did not start the server"
    return child, dsn


def test_data_survives_a_clean_restart(state_dir: Path) -> None:
    server = pgembed.EmbeddedPostgres(state_dir)
    dsn = server.start()
    sql(dsn, "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')")
    first_pid = server.running_pid()
    server.stop()
    assert server.running_pid() is None

    again = pgembed.EmbeddedPostgres(state_dir)
    dsn = again.start()
    assert [r["v"] for r in sql(dsn, "SELECT v FROM t")] == ["kept"]
    assert again.running_pid() not in (None, first_pid)
    again.stop()
    assert again.running_pid() is None


def test_server_outlives_sigkill_and_is_reused(state_dir: Path) -> None:
    child, dsn = spawn_holder(state_dir)
    sql(dsn, "CREATE TABLE t (v text); INSERT INTO t VALUES ('before the kill')")
    postmaster = pgembed.EmbeddedPostgres(state_dir).running_pid()
    assert postmaster is not None
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)

    server = pgembed.EmbeddedPostgres(state_dir)
    dsn = server.start()
    assert server.running_pid() == postmaster, "the surviving server is reused, not replaced"
    assert [r["v"] for r in sql(dsn, "SELECT v FROM t")] == ["before the kill"]
    server.stop()  # the killed holder's lock died with it: we are the last one out
    assert server.running_pid() is None


def test_last_holder_out_stops_the_server(state_dir: Path) -> None:
    child, _ = spawn_holder(state_dir)
    try:
        server = pgembed.EmbeddedPostgres(state_dir)
        server.start()
        server.stop()
        assert server.running_pid() is not None, "another process still holds the server"
    finally:
        child.communicate(timeout=10)  # EOF on stdin: the holder stops holding and exits
    server = pgembed.EmbeddedPostgres(state_dir)
    server.start()
    server.stop()
    assert server.running_pid() is None


def test_stale_pidfile_of_an_unrelated_process_is_not_trusted(state_dir: Path) -> None:
    server = pgembed.EmbeddedPostgres(state_dir)
    dsn = server.start()
    sql(dsn, "CREATE TABLE t (v text); INSERT INTO t VALUES ('x')")
    server.stop()

    bystander = subprocess.Popen(["cat"], stdin=subprocess.PIPE)
    try:
        # As after a reboot: the file names a PID that now belongs to some other process.
        pidfile = state_dir / "pgdata" / "postmaster.pid"
        pidfile.write_text(f"{bystander.pid}\n{state_dir / 'pgdata'}\n0\n5432\n\n\n\nready\n")
        assert server.running_pid() is None
        dsn = server.start()
        assert [r["v"] for r in sql(dsn, "SELECT v FROM t")] == ["x"]
        server.stop()
        assert bystander.poll() is None, "stopping the server must not touch the bystander"
    finally:
        bystander.kill()
        bystander.communicate(timeout=10)


@pytest.mark.root
def test_as_root_the_server_runs_as_another_user(state_dir: Path) -> None:
    server = pgembed.EmbeddedPostgres(state_dir)
    server.start()
    try:
        pid = server.running_pid()
        assert pid is not None
        assert os.stat(f"/proc/{pid}").st_uid != 0
        assert (state_dir / "run").stat().st_mode & 0o077 == 0, "socket dir is private"
    finally:
        server.stop()


@pytest.mark.root
def test_binaries_the_server_user_cannot_reach_are_copied_with_their_libraries(
    state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a clean clone under a 0700 directory: the venv is out of the server user's reach.
    hidden = tmp_path / "hidden" / "site-packages"
    source = pgembed.find_binaries()
    package = source.parent.parent
    shutil.copytree(package, hidden / package.name, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, hidden / libs.name, symlinks=True)
    os.chmod(tmp_path / "hidden", 0o700)
    moved = hidden / package.name / source.parent.name / "bin"
    monkeypatch.setattr(pgembed, "find_binaries", lambda: moved)
    server = pgembed.EmbeddedPostgres(state_dir)
    dsn = server.start()
    try:
        assert sql(dsn, "SELECT 1")[0][0] == 1
        pid = server.running_pid()
        assert pid is not None
        assert os.readlink(f"/proc/{pid}/exe").startswith(str(server.state_dir))
    finally:
        server.stop()


@pytest.mark.root
def test_unreachable_state_dir_is_a_clear_error(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(DatabaseError, match="cannot enter"):
        pgembed.EmbeddedPostgres(private / "state").start()
