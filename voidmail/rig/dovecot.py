"""A real Dovecot IMAP server on loopback ports, from a throwaway configuration.

:class:`Dovecot` writes a self-contained ``dovecot.conf`` (nothing from ``/etc/dovecot`` is
read) under a base directory and runs ``dovecot -F`` as a child process:

* one plaintext IMAP port that offers STARTTLS and one implicit-TLS IMAPS port, both on
  127.0.0.1, with a throwaway CA and server certificate (see :mod:`voidmail.rig.certs`);
* one ``passwd-file`` user with a Maildir (``INBOX`` plus special-use ``Sent``, ``Drafts``,
  ``Junk`` and ``Trash``), PLAIN/LOGIN authentication allowed without TLS (loopback only);
* helpers to put mail in (``append``/``append_many`` over IMAP, returning the new UIDs), to
  look at it (``messages``, ``flags``, ``uidvalidity``) and to make trouble for a client
  (``restart`` on the same ports, ``stop(graceful=False)``, ``change_uidvalidity``).

The API is synchronous and thread-safe; from asyncio code call the blocking methods through
``asyncio.to_thread``. ``start()`` takes a few tens of milliseconds.

As root, Dovecot's login processes run as ``dovenull`` and its auth and mail processes as
``dovecot`` (the Maildir is owned by that user), so the base directory and every directory
above it must be searchable (``x``) by that user for as long as the server runs: not a
``tempfile.mkdtemp`` directory (0700) as it is, and not under pytest's ``pytest-of-<user>``
(reset to 0700 whenever a pytest session starts). As any other user everything runs as that
user.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import grp
import imaplib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from voidmail.rig.certs import CertBundle, make_certs

__all__ = [
    "DEFAULT_USERNAME",
    "Dovecot",
    "DovecotError",
    "MessageInfo",
]

DEFAULT_USERNAME = "shop@example.test"
LOOPBACK = "127.0.0.1"

_SEARCH_PATHS = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
# Characters allowed in paths written into dovecot.conf and the passwd-file. Dovecot expands
# %variables and $settings, and ':' separates passwd-file fields and maildir options.
_SAFE_PATH_RE = re.compile(r"^[A-Za-z0-9._/+@=,-]+$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9._+@-]+$")
# A system flag (\Seen) or a keyword (NonJunk, $Forwarded): an IMAP atom.
_FLAG_RE = re.compile(r'^\\?[^\x00-\x20\x7f(){%*"\\\]]+$')
_APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) ([0-9:,]+)\]")
_UID_RE = re.compile(rb"\bUID (\d+)")
_FLAGS_RE = re.compile(rb"\bFLAGS \(([^)]*)\)")
_UIDVALIDITY_RE = re.compile(rb"\bUIDVALIDITY (\d+)")
_LINE_END_RE = re.compile(rb"\r?\n")

# Limits of one MULTIAPPEND command in append_many().
_APPEND_BATCH_MESSAGES = 500
_APPEND_BATCH_BYTES = 8 * 1024 * 1024


class DovecotError(RuntimeError):
    """Dovecot failed to start, a command failed, or the server answered NO/BAD."""


@dataclass(frozen=True)
class MessageInfo:
    """One message of a mailbox as seen by a fresh IMAP session.

    ``flags`` holds system flags with their backslash (``"\\Seen"``) and keywords as they
    are; ``message_id`` is the Message-ID header (angle brackets included) or ``None``.
    """

    uid: int
    flags: frozenset[str]
    message_id: str | None


def _find_program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SEARCH_PATHS))
    if found is None:
        raise DovecotError(f"{name} not found; install dovecot-imapd")
    return found


def _free_ports(count: int) -> list[int]:
    """Ports the kernel hands out as free on loopback (all different from each other)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def _can_search(path: Path, uid: int, gids: Sequence[int]) -> bool:
    info = path.stat()
    mode = info.st_mode
    if uid == 0:
        return True
    if info.st_uid == uid:
        return bool(mode & stat.S_IXUSR)
    if info.st_gid in gids:
        return bool(mode & stat.S_IXGRP)
    return bool(mode & stat.S_IXOTH)


def _imap_utf7(name: str) -> str:
    """Encode a mailbox name in IMAP's modified UTF-7 (RFC 3501 section 5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quote_mailbox(name: str) -> str:
    if not name or any(char in name for char in "\r\n\x00"):
        raise ValueError(f"invalid mailbox name: {name!r}")
    encoded = _imap_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flag_list(flags: Iterable[str]) -> str:
    flags = list(flags)
    for flag in flags:
        if not _FLAG_RE.match(flag) or flag.lower() == "\\recent":
            raise ValueError(f"invalid IMAP flag: {flag!r}")
    return "(" + " ".join(flags) + ")"


def _parse_uid_set(text: bytes) -> list[int]:
    uids: list[int] = []
    for part in text.decode("ascii").split(","):
        first, _, last = part.partition(":")
        start = int(first)
        end = int(last) if last else start
        uids.extend(range(min(start, end), max(start, end) + 1))
    return uids


def _check(typ: str, data: Sequence[object], what: str) -> None:
    if typ != "OK":
        detail = b" ".join(item for item in data if isinstance(item, bytes))
        raise DovecotError(f"{what} failed: {typ} {detail.decode('utf-8', 'replace')}")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _tail(path: Path, since: int, limit: int = 4000) -> str:
    """The end of what was written to ``path`` after byte offset ``since``."""
    try:
        with path.open("rb") as file:
            file.seek(max(since, _size(path) - limit))
            text = file.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return "(none)"
    return text.strip() or "(empty)"


class Dovecot:
    """A throwaway Dovecot IMAP server on free loopback ports.

    Construction only chooses names and paths; :meth:`start` writes the files and runs the
    server. Ports are chosen on the first start and kept for the object's lifetime, so
    :meth:`restart` (and ``stop()`` then ``start()``) comes back on the same ports with the
    same mail. Stopping kills every process of the server; no process outlives ``stop()``.

    Layout of ``base_dir`` (created, mode 0755, if missing): ``dovecot.conf``, ``users``
    (the passwd-file), ``dovecot.log`` (``log_path``), ``dovecot.stderr`` (early errors),
    ``state/``, ``certs/`` (when no certificates are given) and ``home/Maildir``. The runtime
    sockets live in a short-lived directory under the system temporary directory (unix
    socket paths are limited to 107 bytes), removed on stop.

    Thread-safe: the methods may be called from several threads.
    """

    def __init__(
        self,
        base_dir: Path | str,
        *,
        username: str = DEFAULT_USERNAME,
        password: str | None = None,
        certs: CertBundle | None = None,
        port: int | None = None,
        tls_port: int | None = None,
        idle_notify_interval: int = 10,
        startup_timeout: float = 10.0,
        dovecot_binary: str | None = None,
        doveadm_binary: str | None = None,
        oauth2_introspection_url: str | None = None,
    ) -> None:
        """Describe a server; nothing is started or written yet.

        ``password`` defaults to a random one. ``port``/``tls_port`` default to free ports
        chosen on the first start. ``idle_notify_interval`` is Dovecot's
        ``imap_idle_notify_interval`` in seconds (how often an idling client gets
        ``* OK Still here``). Raises ``ValueError`` for names or paths Dovecot's
        configuration cannot carry safely. With ``oauth2_introspection_url``, XOAUTH2 and
        OAUTHBEARER logins are offered too, their tokens checked by an ``oauth2`` passdb that
        POSTs them to that RFC 7662 introspection endpoint.
        """
        self._base_dir = Path(base_dir).absolute()
        if not _SAFE_PATH_RE.match(str(self._base_dir)):
            raise ValueError(
                f"base_dir {str(self._base_dir)!r} must consist of letters, digits and ._/+@=,-"
            )
        if not _USERNAME_RE.match(username):
            raise ValueError(f"invalid username: {username!r}")
        if password is None:
            password = secrets.token_urlsafe(18)
        if not password or any(char == ":" or ord(char) < 0x20 for char in password):
            raise ValueError("the password must be non-empty, without ':' or control characters")
        if idle_notify_interval < 1:
            raise ValueError("idle_notify_interval must be at least 1 second")
        self._username = username
        self._password = password
        self._certs = certs
        self._requested_ports = (port, tls_port)
        self._ports: tuple[int, int] | None = (
            (port, tls_port) if port is not None and tls_port is not None else None
        )
        self._idle_notify_interval = idle_notify_interval
        if oauth2_introspection_url is not None and not re.fullmatch(
            r"http://127\.0\.0\.1:\d+/[\w/]*", oauth2_introspection_url
        ):
            raise ValueError("oauth2_introspection_url must be an http URL on 127.0.0.1")
        self._introspection_url = oauth2_introspection_url
        self._startup_timeout = startup_timeout
        self._dovecot = dovecot_binary or _find_program("dovecot")
        self._doveadm = doveadm_binary or _find_program("doveadm")
        self._lock = threading.RLock()
        self._process: subprocess.Popen[bytes] | None = None
        self._runtime_dir: Path | None = None
        self._start_seconds: float | None = None
        self._finalizer: weakref.finalize[[int, Path], Dovecot] | None = None
        self._log_offsets = (0, 0)  # sizes of dovecot.log and dovecot.stderr at the last start

    # -- properties ---------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address both ports listen on (``127.0.0.1``)."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The plaintext IMAP port (offers STARTTLS). Known after the first ``start()``."""
        return self._require_ports()[0]

    @property
    def tls_port(self) -> int:
        """The implicit-TLS IMAPS port. Known after the first ``start()``."""
        return self._require_ports()[1]

    @property
    def ca_file(self) -> Path:
        """The CA certificate that verifies the server's certificate for ``127.0.0.1``."""
        return self._require_certs().ca_cert

    @property
    def certs(self) -> CertBundle:
        """The CA and server certificate in use. Known after the first ``start()``."""
        return self._require_certs()

    @property
    def username(self) -> str:
        """The login name of the single mail user."""
        return self._username

    @property
    def password(self) -> str:
        """The password of the single mail user."""
        return self._password

    @property
    def mailbox(self) -> str:
        """The mailbox new mail arrives in: ``"INBOX"``."""
        return "INBOX"

    @property
    def base_dir(self) -> Path:
        """The directory holding the configuration, the log and the Maildir."""
        return self._base_dir

    @property
    def log_path(self) -> Path:
        """Dovecot's log file (errors and info, kept across restarts)."""
        return self._base_dir / "dovecot.log"

    @property
    def config_path(self) -> Path:
        """The generated ``dovecot.conf`` (rewritten on every start)."""
        return self._base_dir / "dovecot.conf"

    @property
    def maildir(self) -> Path:
        """The user's Maildir."""
        return self._base_dir / "home" / "Maildir"

    @property
    def pid(self) -> int | None:
        """The Dovecot master's process id (also its process group), or None when stopped."""
        with self._lock:
            return self._process.pid if self._process is not None else None

    @property
    def is_running(self) -> bool:
        """Whether the server was started and its master process is still alive."""
        with self._lock:
            return self._process is not None and self._process.poll() is None

    @property
    def last_start_seconds(self) -> float | None:
        """Wall time the last successful ``start()`` took, in seconds."""
        return self._start_seconds

    def _require_ports(self) -> tuple[int, int]:
        ports = self._ports
        if ports is None:
            raise DovecotError("the ports are chosen on the first start(); start the server")
        return ports

    def _require_certs(self) -> CertBundle:
        certs = self._certs
        if certs is None:
            raise DovecotError("certificates are made on the first start(); start the server")
        return certs

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server; return once the IMAP port greets (``* OK``).

        A no-op when already running. Raises :class:`DovecotError` carrying the tail of
        Dovecot's log if the server exits or does not greet within ``startup_timeout``
        seconds; nothing is left running then. When the ports were chosen automatically and
        another process took one before Dovecot bound it, fresh ports are tried (first start
        only: later starts keep their ports so that clients can reconnect).
        """
        with self._lock:
            if self.is_running:
                return
            self._reap()
            began = time.monotonic()
            attempts = 3 if self._ports is None else 1
            for attempt in range(attempts):
                if self._ports is None or attempt > 0:
                    port, tls_port = self._requested_ports
                    free = _free_ports(2)
                    self._ports = (port or free[0], tls_port or free[1])
                try:
                    self._start_once()
                except _PortInUseError:
                    if attempt + 1 == attempts:
                        raise
                    continue
                self._start_seconds = time.monotonic() - began
                return

    def stop(self, *, graceful: bool = True) -> None:
        """Stop the server and every process it started. A no-op when not running.

        ``graceful`` sends SIGTERM and lets Dovecot end its sessions (clients get ``* BYE``
        or see the connection close); Dovecot's shutdown takes about a second (its master
        waits that long for the log process). ``graceful=False`` sends SIGKILL to the whole
        process group at once, like a crash. Either way no Dovecot process is left
        afterwards. Mail and ports are kept.
        """
        with self._lock:
            process = self._process
            if process is None:
                return
            try:
                if process.poll() is None:
                    if graceful:
                        process.terminate()
                        try:
                            process.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            _kill_group(process.pid)
                    else:
                        _kill_group(process.pid)
                process.wait()
            finally:
                # Children normally exit with the master; kill stragglers anyway.
                _kill_group(process.pid)
                if self._finalizer is not None:
                    self._finalizer.detach()
                    self._finalizer = None
                self._process = None
                self._remove_runtime_dir()

    def restart(self, *, graceful: bool = True) -> None:
        """Stop and start again on the same ports with the same Maildir."""
        with self._lock:
            self.stop(graceful=graceful)
            self.start()

    def _reap(self) -> None:
        # The master died on its own (e.g. killed from outside): clean up after it.
        if self._process is not None:
            self.stop()

    def _remove_runtime_dir(self) -> None:
        if self._runtime_dir is not None:
            shutil.rmtree(self._runtime_dir, ignore_errors=True)
            self._runtime_dir = None

    def _start_once(self) -> None:
        users = self._prepare_files()
        runtime_dir = Path(tempfile.mkdtemp(prefix="voidmail-dovecot-"))
        runtime_dir.chmod(0o755)  # login processes (dovenull) connect to sockets in here
        self._runtime_dir = runtime_dir
        self.config_path.write_text(self._config(users, runtime_dir), encoding="utf-8")
        stderr_path = self._base_dir / "dovecot.stderr"
        self._log_offsets = (_size(self.log_path), _size(stderr_path))
        env = dict(os.environ)
        # Inherited from a systemd unit, this would make Dovecot report *its* readiness to
        # systemd as the parent service's.
        env.pop("NOTIFY_SOCKET", None)
        with stderr_path.open("ab") as stderr:
            stderr.write(f"--- start {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
            stderr.flush()
            process = subprocess.Popen(
                [self._dovecot, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                env=env,
                start_new_session=True,  # own process group, so stop() can kill all of it
            )
        self._process = process
        # Safety net for an owner that never calls stop() (crash, forgotten fixture): kill the
        # server when this object is collected or the interpreter exits.
        self._finalizer = weakref.finalize(self, _emergency_stop, process.pid, runtime_dir)
        try:
            self._wait_until_ready(process)
        except BaseException:
            self.stop(graceful=False)
            raise

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self._startup_timeout
        backoff = 0.005
        last_error: OSError | None = None
        # Dovecot has no portable readiness signal (sd_notify only in systemd builds), so poll
        # the IMAP port: connection refused until the master has bound its listeners, then the
        # greeting arrives once imap-login runs. Short backoff, bounded by the deadline.
        while True:
            if process.poll() is not None:
                self._fail(f"Dovecot exited with status {process.returncode} during startup")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(
                    f"Dovecot did not greet on {LOOPBACK}:{self.port} within "
                    f"{self._startup_timeout:g} s (last error: {last_error})"
                )
            try:
                # A short timeout per attempt, so that a dead master is noticed promptly.
                attempt_timeout = min(remaining, 0.5)
                with socket.create_connection((LOOPBACK, self.port), attempt_timeout) as sock:
                    greeting = b""
                    while b"\n" not in greeting and (chunk := sock.recv(1024)):
                        greeting += chunk
                if greeting.startswith(b"* OK"):
                    return
                last_error = OSError(f"unexpected greeting {greeting!r}")
            except OSError as exc:
                last_error = exc
            time.sleep(min(backoff, max(0.0, deadline - time.monotonic())))
            backoff = min(backoff * 2, 0.1)

    def _fail(self, message: str) -> None:
        log_since, stderr_since = self._log_offsets
        log = _tail(self.log_path, log_since)
        stderr = _tail(self._base_dir / "dovecot.stderr", stderr_since)
        text = f"{message}\n--- {self.log_path}:\n{log}\n--- stderr:\n{stderr}"
        if "Address already in use" in log + stderr and self._requested_ports == (None, None):
            raise _PortInUseError(text)
        raise DovecotError(text)

    # -- files --------------------------------------------------------------------------

    def _accounts(self) -> tuple[pwd.struct_passwd, pwd.struct_passwd | None]:
        """(user running auth and mail processes, login user or None when not root)."""
        if os.geteuid() == 0:
            try:
                return pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
            except KeyError as exc:
                raise DovecotError(
                    "running as root needs the 'dovecot' and 'dovenull' system users "
                    "(created by the dovecot-core package)"
                ) from exc
        try:
            return pwd.getpwuid(os.geteuid()), None
        except KeyError as exc:
            raise DovecotError(f"uid {os.geteuid()} has no passwd entry") from exc

    def _prepare_files(self) -> pwd.struct_passwd:
        user, _ = self._accounts()
        base = self._base_dir
        if not base.exists():
            base.mkdir(parents=True)
            base.chmod(0o755)
        gids = os.getgrouplist(user.pw_name, user.pw_gid)
        for directory in (base, *base.parents):
            if not _can_search(directory, user.pw_uid, gids):
                raise DovecotError(
                    f"{directory} is not searchable by {user.pw_name!r}, which Dovecot's auth "
                    f"and mail processes run as; allow it (chmod o+x) or choose another base_dir"
                )
        if self._certs is None:
            self._certs = make_certs(base / "certs")
        home = base / "home"
        for directory in (home, base / "state"):
            directory.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(home, user.pw_uid, user.pw_gid)
        home.chmod(0o700)
        users = base / "users"
        entry = (
            f"{self._username}:{{PLAIN}}{self._password}:{user.pw_uid}:{user.pw_gid}::{home}::\n"
        )
        users.write_text(entry, encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(users, 0, user.pw_gid)  # the auth process (dovecot) reads it
            users.chmod(0o640)
        else:
            users.chmod(0o600)
        return user

    def _oauth2_passdb(self) -> str:
        """The oauth2 passdb and its settings file (written here), or nothing."""
        if self._introspection_url is None:
            return ""
        settings = self._base_dir / "dovecot-oauth2.conf.ext"
        settings.write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self._introspection_url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n",
            encoding="utf-8",
        )
        return f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {settings}
}}
"""

    def _config(self, user: pwd.struct_passwd, runtime_dir: Path) -> str:
        base = self._base_dir
        certs = self._require_certs()
        port, tls_port = self._require_ports()
        group = grp.getgrgid(user.pw_gid).gr_name
        _, login_user = self._accounts()
        for path in (certs.server_cert, certs.server_key, runtime_dir):
            if not _SAFE_PATH_RE.match(str(path)):
                raise DovecotError(f"path {str(path)!r} cannot be used in dovecot.conf")
        return f"""\
# Generated by voidmail.rig.dovecot; rewritten on every start.
base_dir = {runtime_dir}
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S "
protocols = imap
listen = {LOOPBACK}
instance_name = voidmail-{port}

default_login_user = {login_user.pw_name if login_user else user.pw_name}
default_internal_user = {user.pw_name}
default_internal_group = {group}
first_valid_uid = {user.pw_uid}
first_valid_gid = {user.pw_gid}

ssl = yes
ssl_cert = <{certs.server_cert}
ssl_key = <{certs.server_key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login{" xoauth2 oauthbearer" if self._introspection_url else ""}
auth_verbose = yes
# Dovecot delays failed logins by 2 s by default; 0 leaves ~0.5 s (its flush timer).
auth_failure_delay = 0

mail_location = maildir:{base}/home/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = {self._idle_notify_interval} secs

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
{self._oauth2_passdb()}userdb {{
  driver = passwd-file
  args = username_format=%u {base}/users
}}

protocol imap {{
  mail_max_userip_connections = 200
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = {LOOPBACK}
    port = {port}
  }}
  inet_listener imaps {{
    address = {LOOPBACK}
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No auth penalty: after a failed login anvil would delay every later login from the same
  # IP (all of them are 127.0.0.1) by 2, 4, 8... up to 15 s.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

    # -- mail helpers -------------------------------------------------------------------

    @contextlib.contextmanager
    def _imap(self) -> Iterator[imaplib.IMAP4]:
        if not self.is_running:
            raise DovecotError("Dovecot is not running")
        conn = imaplib.IMAP4(LOOPBACK, self.port, timeout=30)
        try:
            _check(*conn.login(self._username, self._password), "LOGIN")
            yield conn
        finally:
            try:
                conn.logout()  # also closes the socket
            except (imaplib.IMAP4.error, OSError):
                with contextlib.suppress(OSError):
                    conn.shutdown()

    def append(self, raw: bytes, mailbox: str = "INBOX", flags: Iterable[str] = ()) -> int:
        """Append one message (``raw`` RFC 5322 bytes) and return its UID.

        Line endings are normalised to CRLF. Raises :class:`DovecotError` if the server
        refuses (e.g. the mailbox does not exist).
        """
        return self.append_many([raw], mailbox, flags)[0]

    def append_many(
        self, raws: Iterable[bytes], mailbox: str = "INBOX", flags: Iterable[str] = ()
    ) -> list[int]:
        """Append messages in order over one connection; return their UIDs in the same order.

        Uses MULTIAPPEND with non-synchronising literals (LITERAL+), a few hundred messages per
        command, so thousands of messages take well under a second per thousand. Each
        command is atomic: on failure, messages of earlier commands stay appended.
        """
        flag_list = _flag_list(flags)
        prefix = f"APPEND {_quote_mailbox(mailbox)}".encode()
        messages = [_LINE_END_RE.sub(b"\r\n", raw) for raw in raws]
        if any(not message for message in messages):
            raise ValueError("cannot append an empty message")
        if not messages:
            return []
        uids: list[int] = []
        with self._imap() as conn:
            start = 0
            batch = 0
            while start < len(messages):
                end, size = start, 0
                while end < len(messages) and end - start < _APPEND_BATCH_MESSAGES:
                    if end > start and size + len(messages[end]) > _APPEND_BATCH_BYTES:
                        break
                    size += len(messages[end])
                    end += 1
                tag = f"VMA{batch}".encode()
                parts = [tag, b" ", prefix]
                for message in messages[start:end]:
                    parts += [b" ", flag_list.encode(), b" {%d+}\r\n" % len(message), message]
                parts.append(b"\r\n")
                conn.send(b"".join(parts))
                line = self._read_tagged(conn, tag)
                match = _APPENDUID_RE.search(line)
                if not line.startswith(tag + b" OK") or match is None:
                    raise DovecotError(
                        f"APPEND to {mailbox!r} failed: {line.decode('utf-8', 'replace')}"
                    )
                new = _parse_uid_set(match.group(2))
                if len(new) != end - start:
                    raise DovecotError(
                        f"APPENDUID names {len(new)} UIDs for {end - start} messages"
                    )
                uids += new
                start = end
                batch += 1
        return uids

    @staticmethod
    def _read_tagged(conn: imaplib.IMAP4, tag: bytes) -> bytes:
        while True:
            line = conn.readline()
            if not line:
                raise DovecotError("the IMAP server closed the connection")
            if line.startswith(tag + b" "):
                return line.rstrip(b"\r\n")

    def messages(self, mailbox: str = "INBOX") -> list[MessageInfo]:
        """All messages of ``mailbox`` in UID order, read without changing any flag."""
        with self._imap() as conn:
            return self._fetch(conn, mailbox, "1:*")

    def flags(self, uid: int, mailbox: str = "INBOX") -> frozenset[str]:
        """The flags of the message with ``uid``; ``KeyError`` if there is none."""
        with self._imap() as conn:
            found = self._fetch(conn, mailbox, str(uid))
        for info in found:
            if info.uid == uid:
                return info.flags
        raise KeyError(uid)

    @staticmethod
    def _fetch(conn: imaplib.IMAP4, mailbox: str, uids: str) -> list[MessageInfo]:
        _check(*conn.select(_quote_mailbox(mailbox), readonly=True), f"EXAMINE {mailbox}")
        typ, data = conn.uid("FETCH", uids, "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        _check(typ, data, "UID FETCH")
        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        found: dict[int, MessageInfo] = {}
        # imaplib gives (b"1 (UID 1 FLAGS (...) BODY[...] {n}", header_bytes) followed by
        # b")" (or b" FLAGS (...))" when the server puts items after the literal).
        index = 0
        while index < len(data):
            item = data[index]
            index += 1
            if isinstance(item, tuple):
                meta, header = item[0], item[1]
                trailer = data[index] if index < len(data) else None
                if isinstance(trailer, bytes):
                    meta += trailer
                    index += 1
            elif isinstance(item, bytes):
                meta, header = item, b""
            else:
                continue
            uid_match = _UID_RE.search(meta)
            if uid_match is None:
                continue
            flags_match = _FLAGS_RE.search(meta)
            flags = frozenset(flags_match.group(1).decode().split()) if flags_match else frozenset()
            message_id = parser.parsebytes(header).get("Message-ID")
            uid = int(uid_match.group(1))
            found[uid] = MessageInfo(
                uid=uid,
                flags=flags - {"\\Recent"},
                message_id=str(message_id) if message_id is not None else None,
            )
        return [found[uid] for uid in sorted(found)]

    def set_flags(self, uid: int, flags: Iterable[str], mailbox: str = "INBOX") -> None:
        """Replace the flags of message ``uid`` (as another mail client would)."""
        flag_list = _flag_list(flags)
        with self._imap() as conn:
            _check(*conn.select(_quote_mailbox(mailbox)), f"SELECT {mailbox}")
            _check(*conn.uid("STORE", str(uid), "FLAGS.SILENT", flag_list), "UID STORE")

    def expunge(self, uids: Iterable[int], mailbox: str = "INBOX") -> None:
        """Delete messages for good (flag ``\\Deleted`` and EXPUNGE)."""
        uid_set = ",".join(str(int(uid)) for uid in uids)
        if not uid_set:
            return
        with self._imap() as conn:
            _check(*conn.select(_quote_mailbox(mailbox)), f"SELECT {mailbox}")
            _check(*conn.uid("STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)"), "UID STORE")
            _check(*conn.expunge(), "EXPUNGE")

    def uidvalidity(self, mailbox: str = "INBOX") -> int:
        """The mailbox's current UIDVALIDITY."""
        with self._imap() as conn:
            typ, data = conn.status(_quote_mailbox(mailbox), "(UIDVALIDITY)")
        _check(typ, data, f"STATUS {mailbox}")
        for item in data:
            if isinstance(item, bytes) and (match := _UIDVALIDITY_RE.search(item)):
                return int(match.group(1))
        raise DovecotError(f"STATUS {mailbox} gave no UIDVALIDITY: {data!r}")

    def change_uidvalidity(self, new: int, mailbox: str = "INBOX") -> None:
        """Set the mailbox's UIDVALIDITY to ``new`` (1..2**32-1), as after a server migration.

        Uses ``doveadm mailbox update --uid-validity``; needs the server running. Sessions
        that have the mailbox selected are disconnected by Dovecot (``* BYE IMAP session
        state is inconsistent, please relogin.``); new sessions see the new value.
        """
        if not 0 < new < 2**32:
            raise ValueError(f"UIDVALIDITY must be in 1..2**32-1, not {new}")
        if not self.is_running:
            raise DovecotError("Dovecot is not running")
        self._doveadm_run(
            "mailbox", "update", "-u", self._username, "--uid-validity", str(new), mailbox
        )

    def create_mailbox(self, name: str, *, exist_ok: bool = False) -> None:
        """Create mailbox ``name`` (``/`` separates levels). Subscribed, like a client would."""
        with self._imap() as conn:
            typ, data = conn.create(_quote_mailbox(name))
            if typ != "OK" and not (exist_ok and b"ALREADYEXISTS" in b"".join(data or [b""])):
                _check(typ, data, f"CREATE {name}")
            _check(*conn.subscribe(_quote_mailbox(name)), f"SUBSCRIBE {name}")

    def _doveadm_run(self, *args: str) -> str:
        try:
            result = subprocess.run(
                [self._doveadm, "-c", str(self.config_path), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DovecotError(f"doveadm {' '.join(args)} timed out") from exc
        if result.returncode != 0:
            raise DovecotError(
                f"doveadm {' '.join(args)} failed with status {result.returncode}: "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result.stdout


class _PortInUseError(DovecotError):
    """Startup failed because a chosen port was taken meanwhile."""


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _emergency_stop(pgid: int, runtime_dir: Path) -> None:
    _kill_group(pgid)
    shutil.rmtree(runtime_dir, ignore_errors=True)
