"""The systemd notification protocol (sd_notify), written out: one datagram per state change.

Under ``Type=notify`` systemd passes a socket in ``$NOTIFY_SOCKET`` (a path, or ``@name`` for an
abstract socket) and, with ``WatchdogSec=``, the watchdog interval in ``$WATCHDOG_USEC``. Outside
systemd there is no socket and every call is a no-op, so callers never check where they run.

A failed send never raises: a lost ``STATUS=`` is not worth stopping the daemon for, and a lost
``WATCHDOG=1`` is what the watchdog exists to notice. The first failure is logged, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable, Mapping
from types import TracebackType

import structlog

log = structlog.get_logger("voidmail.sdnotify")


class SystemdNotifier:
    """Sends ``READY=1``, ``STATUS=…``, ``WATCHDOG=1``, ``STOPPING=1`` to the service manager.

    Reads ``env`` (default: ``os.environ``) once, when built. Each method returns True when the
    datagram went out, False when there is no manager to tell or the send failed.
    """

    __slots__ = ("_address", "_failed", "_sock", "_watchdog")

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self._address = _socket_address(env.get("NOTIFY_SOCKET", ""))
        self._watchdog = _watchdog_interval(env)
        self._sock: socket.socket | None = None
        self._failed = False

    @property
    def enabled(self) -> bool:
        """True when running under a service manager that listens for notifications."""
        return self._address is not None

    def ready(self) -> bool:
        """Start-up is complete: systemd moves the unit to ``active``."""
        return self.send("READY=1")

    def status(self, text: str) -> bool:
        """A one-line status shown by ``systemctl status``."""
        return self.send("STATUS=" + " ".join(text.split()))

    def watchdog(self) -> bool:
        """Still alive: resets the ``WatchdogSec=`` timer."""
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        """Shutdown has begun (systemd then waits up to ``TimeoutStopSec=``)."""
        return self.send("STOPPING=1")

    def reloading(self) -> bool:
        """Reloading the configuration; send ``ready()`` when done."""
        # MONOTONIC_USEC lets systemd (253+) tell this reload from an older one.
        return self.send(f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for ``seconds`` more before the start (or stop) timeout fires."""
        return self.send(f"EXTEND_TIMEOUT_USEC={max(int(seconds * 1_000_000), 0)}")

    def watchdog_interval(self) -> float | None:
        """Seconds within which systemd expects ``WATCHDOG=1``; None if not watched."""
        return self._watchdog

    def send(self, message: str) -> bool:
        """Send one raw notification (``KEY=VALUE`` lines). Never raises."""
        if self._address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                # Never block the event loop: a full queue on systemd's side drops the message.
                self._sock.setblocking(False)
            self._sock.sendto(message.encode(), socket.MSG_NOSIGNAL, self._address)
        except OSError as exc:
            if not self._failed:
                self._failed = True
                log.warning(
                    "sd_notify_failed",
                    state=message.partition("=")[0],
                    error=exc.strerror or repr(exc),
                )
            return False
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> SystemdNotifier:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def watchdog_loop(
    notifier: SystemdNotifier,
    interval: float | None,
    stop: asyncio.Event,
    healthy: Callable[[], bool],
) -> None:
    """Send ``WATCHDOG=1`` every ``interval / 2`` seconds while ``healthy()``, until ``stop``.

    ``interval`` is the watchdog interval (``notifier.watchdog_interval()``). A blocked event
    loop sends nothing by itself; ``healthy()`` covers the rest (a dead listener, say): while it
    is false no ping goes out and systemd restarts the service once the interval has passed.
    With no interval this only waits for ``stop``, so it can run as a side task either way.
    """
    if interval is None or interval <= 0:
        await stop.wait()
        return
    period = interval / 2
    was_healthy = True
    while not stop.is_set():
        is_healthy = healthy()
        if is_healthy:
            notifier.watchdog()
        elif was_healthy:
            log.error("watchdog_withheld", restart_in=interval)
        was_healthy = is_healthy
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=period)


def _socket_address(value: str) -> str | bytes | None:
    """The ``sendto`` address for ``$NOTIFY_SOCKET``; None when unset or unsupported."""
    if value.startswith("/"):
        return value
    if value.startswith("@") and len(value) > 1:
        return b"\0" + os.fsencode(value[1:])  # Linux abstract namespace
    if value:
        # vsock: and friends are for VMs; voidmail runs as an ordinary service.
        log.warning("sd_notify_unsupported_socket", notify_socket=value)
    return None


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    if pid := env.get("WATCHDOG_PID", ""):
        try:
            if int(pid) != os.getpid():
                return None  # meant for another process (a parent that exec'd us, say)
        except ValueError:
            return None
    return usec / 1_000_000
