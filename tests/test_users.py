"""voidmail as the people who run it: an ordinary user with the default state directory, and
the unit's ``voidmail`` user with systemd's ``StateDirectory=``. Subprocesses, real database."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from voidmail import pgembed

pytestmark = pytest.mark.timeout(180)


def voidmail(
    *args: str, env: dict[str, str], user: int | None = None, group: int | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VOIDMAIL_", "GROQ_", "XDG_")) and k != "STATE_DIRECTORY"
    }
    return subprocess.run(
        [sys.executable, "-m", "voidmail", *args],
        capture_output=True,
        text=True,
        timeout=150,
        env={**clean, **env},
        cwd="/",  # not the checkout: no ./voidmail.toml, as for a user anywhere
        user=user,
        group=group,
        extra_groups=[] if user is not None else None,
    )


def assert_every_command_works(env: dict[str, str], **who: int) -> None:
    for args in (["migrate"], ["tasks", "--json"], ["dlq", "list"], ["stats", "--json"]):
        result = voidmail(*args, env=env, **who)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    listing = voidmail("tasks", "--json", env=env, **who)
    assert json.loads(listing.stdout) == []


def private_dir(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


@pytest.mark.unprivileged
def test_an_ordinary_user_gets_the_default_state_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert_every_command_works({"HOME": str(home)})
    state = home / ".local" / "state" / "voidmail"
    assert (state / "pgdata" / "PG_VERSION").is_file()
    assert private_dir(state / "pgdata")
    server = pgembed.EmbeddedPostgres(state)
    assert private_dir(server.socket_dir)
    # The last command out stopped the server it started.
    assert server.running_pid() is None


@pytest.fixture
def service_state_dir() -> Iterator[tuple[Path, int, int]]:
    """A ``StateDirectory=voidmail`` as systemd makes it: 0700, owned by the service user."""
    try:
        entry = pwd.getpwnam(pgembed.SERVICE_USER)
    except KeyError:
        entry = pgembed._create_service_user()
    base = Path(tempfile.mkdtemp(prefix="voidmail-unit-", dir="/var/tmp"))
    os.chmod(base, 0o755)  # noqa: S103 - /var/lib is searchable too
    state = base / "voidmail"
    state.mkdir(mode=0o700)
    os.chown(state, entry.pw_uid, entry.pw_gid)
    try:
        yield state, entry.pw_uid, entry.pw_gid
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.root
def test_the_service_user_runs_in_its_state_directory(
    service_state_dir: tuple[Path, int, int],
) -> None:
    state, uid, gid = service_state_dir
    for path in (Path(sys.executable), Path(sys.prefix)):
        if pgembed._first_unsearchable(path) is not None:
            # A venv under a private home (pyenv's under /root): the service user cannot run
            # this Python. CI builds one it can reach, and there this is a failure.
            message = f"{path} is out of the service user's reach"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    env = {"STATE_DIRECTORY": str(state), "HOME": "/nonexistent"}
    assert_every_command_works(env, user=uid, group=gid)
    pgdata = state / "pgdata"
    assert pgdata.stat().st_uid == uid
    assert private_dir(pgdata)
    assert pgembed.EmbeddedPostgres(state).running_pid() is None
