"""``voidmail run`` as systemd runs it: READY=1, STATUS=, WATCHDOG=1 and a clean SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.test_pipeline import REPO, mail, write_config
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.smtp_sink import SmtpSink


def receive_until(sock: socket.socket, wanted: str, within: float) -> list[str]:
    """Datagrams received until one holds ``wanted`` (or fail after ``within`` seconds)."""
    got: list[str] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            break
        if any(wanted in g for g in got):
            return got
    raise AssertionError(f"no {wanted!r} within {within}s; got {got}")


@contextlib.contextmanager
def run_under_systemd(
    config_path: Path, tmp_path: Path, **env: str
) -> Iterator[tuple[socket.socket, subprocess.Popen[bytes]]]:
    """``voidmail run`` with a notify socket of ours (and ``env``), as systemd starts it;
    killed on the way out if the test did not stop it."""
    socket_path = str(tmp_path / "notify.sock")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    clean |= {"NOTIFY_SOCKET": socket_path, **env}
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(socket_path)
        process = subprocess.Popen(
            [sys.executable, "-m", "voidmail", "--config", str(config_path), "run"],
            cwd=REPO, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            yield sock, process
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


def test_run_notifies_systemd_and_stops_cleanly_on_sigterm(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    dovecot.append(mail(1, "Hola, ¿hacen envíos a todo el país?"))
    config_path = write_config(tmp_path, dovecot, smtp_sink, database_url)
    with run_under_systemd(config_path, tmp_path, WATCHDOG_USEC="2000000") as (sock, process):
        got = receive_until(sock, "READY=1", within=60)
        got += receive_until(sock, "WATCHDOG=1", within=10)
        assert any(g.startswith("STATUS=") for g in got), got
        assert smtp_sink.wait_for(1, timeout=30), "the waiting mail was answered"
        process.send_signal(signal.SIGTERM)
        got += receive_until(sock, "STOPPING=1", within=30)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr
    assert len(smtp_sink.messages) == 1


def test_ready_with_the_mailbox_down_and_answering_once_it_is_up(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    # The IMAP server is down at boot: the daemon still says READY=1 (so systemd does not
    # kill it at TimeoutStartSec), says in STATUS= that it keeps trying, and answers the mail
    # once the server is back.
    dovecot.append(mail(1, "Hola, ¿hacen envíos a todo el país?"))
    dovecot.stop()
    config_path = write_config(tmp_path, dovecot, smtp_sink, database_url)
    with run_under_systemd(config_path, tmp_path) as (sock, process):
        receive_until(sock, "READY=1", within=60)
        receive_until(sock, "connecting to IMAP", within=30)
        dovecot.start()
        assert smtp_sink.wait_for(1, timeout=90), "the mail was answered once IMAP was back"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()[-2000:]
