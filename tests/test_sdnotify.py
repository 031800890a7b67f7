"""sd_notify against a real AF_UNIX datagram socket, the way systemd listens."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from voidmail import sdnotify

TIMEOUT = 5.0  # seconds to wait for a datagram that should come


class Manager:
    """The service manager's end: a bound datagram socket and the NOTIFY_SOCKET naming it."""

    def __init__(self, sock: socket.socket, notify_socket: str) -> None:
        self.sock = sock
        self.notify_socket = notify_socket

    def notifier(self, **env: str) -> sdnotify.SystemdNotifier:
        return sdnotify.SystemdNotifier({"NOTIFY_SOCKET": self.notify_socket, **env})

    def receive(self) -> str:
        self.sock.settimeout(TIMEOUT)
        return self.sock.recv(4096).decode()

    async def areceive(self) -> str:
        self.sock.setblocking(False)
        loop = asyncio.get_running_loop()
        return (await asyncio.wait_for(loop.sock_recv(self.sock, 4096), TIMEOUT)).decode()

    def pending(self) -> list[str]:
        """Whatever has arrived so far, without waiting."""
        self.sock.setblocking(False)
        got: list[str] = []
        while True:
            try:
                got.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return got


@pytest.fixture
def path_manager(tmp_path: Path) -> Iterator[Manager]:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        yield Manager(sock, str(path))


@pytest.fixture
def abstract_manager() -> Iterator[Manager]:
    name = f"voidmail-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        yield Manager(sock, "@" + name)


@pytest.fixture(params=["path", "abstract"])
def manager(request: pytest.FixtureRequest) -> Manager:
    fixture: Manager = request.getfixturevalue(f"{request.param}_manager")
    return fixture


def test_states_reach_the_manager(manager: Manager) -> None:
    with manager.notifier() as notifier:
        assert notifier.enabled
        assert notifier.ready()
        assert manager.receive() == "READY=1"
        assert notifier.status("3 messages\nin flight")
        assert manager.receive() == "STATUS=3 messages in flight"
        assert notifier.watchdog()
        assert manager.receive() == "WATCHDOG=1"
        assert notifier.stopping()
        assert manager.receive() == "STOPPING=1"
        assert notifier.extend_timeout(1.5)
        assert manager.receive() == "EXTEND_TIMEOUT_USEC=1500000"
        assert notifier.reloading()
        first, second = manager.receive().split("\n")
        assert first == "RELOADING=1"
        assert second.startswith("MONOTONIC_USEC=")
        assert int(second.partition("=")[2]) > 0


def test_reads_os_environ_by_default(
    path_manager: Manager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", path_manager.notify_socket)
    with sdnotify.SystemdNotifier() as notifier:
        assert notifier.ready()
    assert path_manager.receive() == "READY=1"


def test_outside_systemd_everything_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    with sdnotify.SystemdNotifier() as notifier:
        assert not notifier.enabled
        assert not notifier.ready()
        assert not notifier.status("x")
        assert not notifier.watchdog()
        assert not notifier.stopping()


def test_unsupported_socket_is_a_no_op() -> None:
    with structlog.testing.capture_logs() as logs:
        notifier = sdnotify.SystemdNotifier({"NOTIFY_SOCKET": "vsock:2:1234"})
    assert not notifier.enabled
    assert not notifier.ready()
    assert [e["event"] for e in logs] == ["sd_notify_unsupported_socket"]


def test_send_failure_never_raises_and_is_logged_once(tmp_path: Path) -> None:
    env = {"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")}
    with structlog.testing.capture_logs() as logs, sdnotify.SystemdNotifier(env) as notifier:
        assert not notifier.ready()
        assert not notifier.watchdog()
        assert not notifier.stopping()
    assert [(e["event"], e["state"]) for e in logs] == [("sd_notify_failed", "READY")]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "60000000"}, 60.0),
        ({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(os.getpid())}, 0.5),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "nope"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "-5"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
    ],
)
def test_watchdog_interval(env: dict[str, str], expected: float | None) -> None:
    assert sdnotify.SystemdNotifier(env).watchdog_interval() == expected


async def test_watchdog_loop_pings_while_healthy(manager: Manager) -> None:
    stop = asyncio.Event()
    with manager.notifier(WATCHDOG_USEC="40000") as notifier:
        interval = notifier.watchdog_interval()
        assert interval == 0.04
        loop = asyncio.create_task(sdnotify.watchdog_loop(notifier, interval, stop, lambda: True))
        try:
            # Several pings: the loop goes on pinging, not just once at the start.
            for _ in range(3):
                assert await manager.areceive() == "WATCHDOG=1"
        finally:
            stop.set()
            await asyncio.wait_for(loop, TIMEOUT)


async def test_watchdog_loop_withholds_pings_while_unhealthy(manager: Manager) -> None:
    stop = asyncio.Event()
    checked = asyncio.Event()
    answers = [True, False, False, True]
    asked: list[bool] = []

    def healthy() -> bool:
        asked.append(answers[len(asked)])
        if len(asked) == len(answers):
            checked.set()
            stop.set()
        return asked[-1]

    with manager.notifier() as notifier, structlog.testing.capture_logs() as logs:
        loop = asyncio.create_task(sdnotify.watchdog_loop(notifier, 0.01, stop, healthy))
        await asyncio.wait_for(checked.wait(), TIMEOUT)
        await asyncio.wait_for(loop, TIMEOUT)
    assert manager.pending() == ["WATCHDOG=1", "WATCHDOG=1"]
    # One line when the pings stop, not one per missed ping.
    assert [e["event"] for e in logs] == ["watchdog_withheld"]


async def test_watchdog_loop_without_interval_waits_for_stop(manager: Manager) -> None:
    stop = asyncio.Event()
    with manager.notifier() as notifier:
        loop = asyncio.create_task(sdnotify.watchdog_loop(notifier, None, stop, lambda: True))
        await asyncio.sleep(0)  # let it start: it must not return on its own
        assert not loop.done()
        stop.set()
        await asyncio.wait_for(loop, TIMEOUT)
    assert manager.pending() == []


async def test_watchdog_loop_returns_promptly_on_stop(manager: Manager) -> None:
    stop = asyncio.Event()
    with manager.notifier() as notifier:
        # A one-hour interval: only the stop event can end the wait.
        loop = asyncio.create_task(sdnotify.watchdog_loop(notifier, 3600.0, stop, lambda: True))
        assert await manager.areceive() == "WATCHDOG=1"
        stop.set()
        await asyncio.wait_for(loop, TIMEOUT)
