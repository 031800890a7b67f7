"""An SMTP server on a loopback port that records what it receives and fails on demand.

:class:`SmtpSink` runs an aiosmtpd server in a background thread (its own event loop), so
it works the same from synchronous code, from threads and from asyncio tests::

    with SmtpSink() as sink:
        await aiosmtplib.send(msg, hostname=sink.host, port=sink.port)
        assert await sink.wait_for_async(1, timeout=5)
        assert sink.messages[0].message["Subject"] == "Hello"

Options: AUTH PLAIN/LOGIN with one username/password (allowed without TLS: loopback only),
STARTTLS or implicit TLS with a certificate from :mod:`voidmail.rig.certs`, and injected
failures at MAIL, RCPT or DATA (``fail_next``, ``set_failure``). All methods are
thread-safe.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.parser
import email.policy
import hmac
import logging
import socket
import ssl
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session, TLSSetupException

__all__ = ["ReceivedMessage", "Rejection", "SmtpSink", "SmtpStage"]

SmtpStage = Literal["mail", "rcpt", "data"]
_STAGES: tuple[SmtpStage, ...] = ("mail", "rcpt", "data")
LOOPBACK = "127.0.0.1"
_STOP_TIMEOUT_S = 10.0

_log = logging.getLogger(__name__)

# Exceptions that only mean "the client went away" (or botched TLS): not worth a traceback.
_DISCONNECT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
    TLSSetupException,
    asyncio.IncompleteReadError,
)


@dataclass(frozen=True)
class ReceivedMessage:
    """One message accepted by the sink (answered 250 to DATA).

    ``raw`` is the message as transmitted (CRLF line ends, dot-stuffing removed) and
    ``message`` the same parsed with ``email.policy.default`` after turning CRLF into ``\n``
    (so ``get_content()`` has Python line ends). ``received_monotonic`` is
    ``time.monotonic()`` and ``received_at`` ``time.time()`` at acceptance.
    ``authenticated_as`` is the AUTH login, if any; ``tls`` tells whether the session was
    encrypted (STARTTLS or implicit TLS).
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    received_monotonic: float
    received_at: float
    authenticated_as: str | None
    tls: bool


@dataclass(frozen=True)
class Rejection:
    """A command the sink failed on purpose (see ``fail_next``/``set_failure``)."""

    stage: SmtpStage
    code: int
    mail_from: str | None
    rcpt_tos: tuple[str, ...]
    received_monotonic: float


@dataclass(frozen=True)
class _Fault:
    stage: SmtpStage
    code: int
    text: str


def _default_text(code: int) -> str:
    if code == 421:
        return "4.3.2 Service not available, closing transmission channel (injected)"
    if code < 500:
        return "4.3.0 Temporary failure (injected)"
    if code == 552:
        return "5.3.4 Message too big (injected)"
    return "5.7.1 Message rejected (injected)"


class _Handler:
    """aiosmtpd handler hooks; all state lives in the owning sink."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2: ``user=…\x01auth=Bearer …\x01\x01``, inline or after a 334."""
        check = self._sink._xoauth2
        if check is None:
            return AuthResult(success=False, handled=False)
        if len(args) > 1:
            blob: object = args[1].encode()
        else:
            blob = await server.challenge_auth("")
        if not isinstance(blob, bytes):
            return AuthResult(success=False, handled=True)
        try:
            fields = base64.b64decode(blob, validate=True).decode().split("\x01")
        except (ValueError, UnicodeDecodeError):
            return AuthResult(success=False, handled=False)
        values = dict(f.split("=", 1) for f in fields if "=" in f)
        user, bearer = values.get("user", ""), values.get("auth", "")
        if bearer.startswith("Bearer ") and check(user, bearer[7:]):
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self._sink.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        sink = self._sink
        if sink._max_connections is not None and sink.open_connections > sink._max_connections:
            with sink._cond:
                sink._rejections.append(Rejection("mail", 432, address, (), time.monotonic()))
            return "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"
        fault = self._sink._take_fault("mail", address, ())
        if fault is not None:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        fault = self._sink._take_fault("rcpt", envelope.mail_from, (*envelope.rcpt_tos, address))
        if fault is not None:
            return fault
        sink = self._sink
        with sink._cond:
            if sink._quota_per_day is not None and sink.recipients >= sink._quota_per_day:
                sink._rejections.append(Rejection("rcpt", 550, envelope.mail_from, (address,),
                                                  time.monotonic()))  # fmt: skip
                return "550 5.4.5 Daily user sending limit exceeded."
            sink.recipients += 1
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self._sink._take_fault("data", envelope.mail_from, tuple(envelope.rcpt_tos))
        if fault is not None:
            return fault
        raw = envelope.original_content or b""
        auth = session.auth_data
        login = auth.login if isinstance(auth, LoginPassword) else None
        self._sink._record(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            authenticated_as=login.decode("utf-8", "replace") if isinstance(login, bytes) else None,
            tls=self._sink._implicit_tls or session.ssl is not None,
        )
        return "250 2.0.0 OK: queued"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        sink = self._sink
        if not sink._quit_open.is_set():
            with sink._cond:
                sink._quits_held += 1
                sink._cond.notify_all()
            # Waits in a worker thread: the sink's loop keeps serving other sessions.
            await asyncio.get_running_loop().run_in_executor(None, sink._quit_open.wait, 60.0)
        return "221 Bye"

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, _DISCONNECT_ERRORS):
            _log.debug("SMTP client went away: %r", error)
        else:
            _log.warning("SMTP sink handler error: %r", error, exc_info=error)
        return "421 4.3.0 Internal error, closing connection"


class _CountingSMTP(SMTP):
    """aiosmtpd's SMTP session, counting the connections open on the sink."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sink = self.event_handler._sink
        with sink._cond:
            sink.connections += 1
            sink.open_connections += 1
            sink.max_open = max(sink.max_open, sink.open_connections)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        sink = self.event_handler._sink
        with sink._cond:
            sink.open_connections -= 1


class _Controller(Controller):
    """A Controller on a socket bound beforehand, which closes its sessions when stopping.

    aiosmtpd's own stop() just cancels tasks and stops the loop, so sessions still open (or
    connections accepted a moment before) keep their sockets: "unclosed socket" warnings and
    leaked file descriptors. Here stop() first aborts every session inside the loop.
    """

    def __init__(self, sock: socket.socket, **kwargs: Any) -> None:
        self._sock = sock
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        host, port = sock.getsockname()[:2]
        super().__init__(hostname=host, port=port, **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)

    def factory(self) -> SMTP:
        smtp = _CountingSMTP(self.handler, **self.SMTP_kwargs)  # as Controller.factory() does
        self._sessions.add(smtp)
        return smtp

    async def _close_sessions(self) -> None:
        # Accept no more connections, but keep the server open for now: a connection accepted
        # a moment ago still has to get its transport, and asyncio (3.11) fails that and leaks
        # the socket once the server is closed. A few loop rounds let those finish.
        self.loop.remove_reader(self._sock.fileno())
        current = asyncio.current_task()
        for _ in range(3):
            await asyncio.sleep(0)
        for _ in range(5):
            for smtp in list(self._sessions):
                transport = smtp.transport
                if isinstance(transport, asyncio.WriteTransport):
                    transport.abort()
                elif transport is not None:
                    transport.close()
            tasks = {task for task in asyncio.all_tasks() if task is not current}
            if not tasks:
                break
            # Aborted sessions end their tasks by themselves; cancel whatever lingers.
            _, pending = await asyncio.wait(tasks, timeout=0.5)
            for task in pending:
                task.cancel()
        if self.server is not None:
            self.server.close()
        # Aborted transports close their sockets in callbacks scheduled for the next rounds.
        for _ in range(3):
            await asyncio.sleep(0)

    def stop(self, no_assert: bool = False) -> None:
        if self._thread is not None and not self.loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._close_sessions(), self.loop)
            try:
                future.result(timeout=_STOP_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001  (stopping anyway; aiosmtpd cancels the rest)
                _log.warning("SMTP sink: closing sessions failed: %r", exc)
        super().stop(no_assert)


class SmtpSink:
    """A recording SMTP server on ``127.0.0.1`` with optional AUTH/TLS and injected faults.

    The port is chosen on the first :meth:`start` and kept across ``stop()``/``start()``, so
    a client configured once can reconnect. Received messages and faults survive a restart;
    :meth:`clear` forgets them.

    Contract of the options:
      * ``username``/``password`` (both or neither): AUTH PLAIN and LOGIN are offered, also
        without TLS; wrong credentials get ``535``. With ``auth_required`` (the default when
        credentials are set) MAIL without AUTH gets ``530``.
      * ``tls_context``: a server context (e.g. ``CertBundle.server_context()``); STARTTLS is
        offered, and required before MAIL/AUTH when ``require_starttls``. With
        ``implicit_tls`` the port speaks TLS from the first byte instead (SMTPS).
    """

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        auth_required: bool | None = None,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        implicit_tls: bool = False,
        port: int = 0,
        server_hostname: str = "sink.voidmail.test",
        data_size_limit: int = 32 * 1024 * 1024,
        xoauth2: Callable[[str, str], bool] | None = None,
        max_connections: int | None = None,
        quota_per_day: int | None = None,
        quota_per_minute: int | None = None,
    ) -> None:
        """``xoauth2`` (user, access token) -> valid: AUTH XOAUTH2 is offered and required.
        ``max_connections``: MAIL on a connection beyond that many open at once gets
        Exchange Online's ``432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded``.
        ``connections`` counts the connections accepted, ``max_open`` the most open at once.
        ``quota_per_day``: like free Gmail, RCPT after that many recipients gets
        ``550 5.4.5 Daily user sending limit exceeded``. ``quota_per_minute``: like Exchange
        Online, which delays the excess rather than refusing it, messages beyond that many in
        60 s are accepted and counted in ``over_minute``."""
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        if (require_starttls or implicit_tls) and tls_context is None:
            raise ValueError("require_starttls and implicit_tls need a tls_context")
        if require_starttls and implicit_tls:
            raise ValueError("require_starttls and implicit_tls exclude each other")
        self._username = username.encode() if username is not None else None
        self._password = password.encode() if password is not None else None
        self._xoauth2 = xoauth2
        self._max_connections = max_connections
        self._quota_per_day = quota_per_day
        self._quota_per_minute = quota_per_minute
        self.recipients = 0
        self.over_minute = 0
        self.connections = 0
        self.open_connections = 0
        self.max_open = 0
        if auth_required is None:
            auth_required = username is not None or xoauth2 is not None
        self._auth_required = auth_required
        if self._auth_required and username is None and xoauth2 is None:
            raise ValueError("auth_required needs a username and password")
        self._tls_context = tls_context
        self._require_starttls = require_starttls
        self._implicit_tls = implicit_tls
        self._requested_port = port
        self._port: int | None = None
        self._server_hostname = server_hostname
        self._data_size_limit = data_size_limit
        self._cond = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        self._rejections: list[Rejection] = []
        self._pending: dict[SmtpStage, deque[_Fault]] = {stage: deque() for stage in _STAGES}
        self._persistent: _Fault | None = None
        self._controller: _Controller | None = None
        self._lifecycle = threading.Lock()
        self._parser = email.parser.BytesParser(policy=email.policy.default)
        self._quit_open = threading.Event()
        self._quit_open.set()
        self._quits_held = 0

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the sink listens on (``127.0.0.1``)."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The listening port; known after the first ``start()``."""
        if self._port is None:
            raise RuntimeError("the port is chosen on the first start(); start the sink")
        return self._port

    @property
    def is_running(self) -> bool:
        """Whether the sink is accepting connections."""
        return self._controller is not None

    @property
    def auth_required(self) -> bool:
        """Whether MAIL is refused (530) until the client authenticated."""
        return self._auth_required

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
        """Listen and serve in a background thread; return once connections are accepted.

        A no-op when already running.
        """
        with self._lifecycle:
            if self._controller is not None:
                return
            # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets whose proto
            # says TCP, and accepted sockets inherit it. Without it, EHLO's multi-line reply
            # stalls 40 ms on Nagle and delayed ACK for every message.
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((LOOPBACK, self._port or self._requested_port))
                sock.listen(128)
                sock.setblocking(False)
            except BaseException:
                sock.close()
                raise
            loop = asyncio.new_event_loop()
            loop.set_exception_handler(_quiet_exception_handler)
            kwargs: dict[str, Any] = {
                "loop": loop,
                "server_hostname": self._server_hostname,
                "data_size_limit": self._data_size_limit,
                "enable_SMTPUTF8": True,
            }
            if self._username is not None:
                kwargs["authenticator"] = self._authenticate
                kwargs["auth_require_tls"] = False
            if self._xoauth2 is not None:
                kwargs["auth_require_tls"] = False
            else:
                kwargs["auth_exclude_mechanism"] = ["XOAUTH2"]
            if self._implicit_tls:
                kwargs["ssl_context"] = self._tls_context
            elif self._tls_context is not None:
                kwargs["tls_context"] = self._tls_context
                kwargs["require_starttls"] = self._require_starttls
            controller = _Controller(sock, handler=_Handler(self), **kwargs)
            try:
                controller.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    controller.stop(no_assert=True)
                sock.close()
                if not loop.is_closed():
                    loop.close()
                raise
            self._port = int(sock.getsockname()[1])
            self._controller = controller

    def stop(self) -> None:
        """Stop serving; open sessions are cut. A no-op when not running."""
        with self._lifecycle:
            controller = self._controller
            if controller is None:
                return
            self._controller = None
            self._quit_open.set()
            controller.stop()

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self, code: int, count: int = 1, text: str | None = None, *, stage: SmtpStage = "data"
    ) -> None:
        """Answer the next ``count`` commands of ``stage`` (MAIL, RCPT or DATA) with ``code``.

        ``code`` is a 4xx or 5xx reply code; ``text`` replaces the default reply text. Queued
        faults are used up in order and take precedence over :meth:`set_failure`.
        """
        fault = self._fault(code, text, stage)
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        with self._cond:
            self._pending[stage].extend([fault] * count)

    def hold_quit(self) -> None:
        """Leave QUIT unanswered (for up to 60 s) until :meth:`release_quit`; the messages
        are taken as usual. A server that hangs after accepting the data looks like this."""
        self._quit_open.clear()

    def release_quit(self) -> None:
        """Answer the QUITs held by :meth:`hold_quit`, and every later one at once."""
        self._quit_open.set()

    @property
    def quits_held(self) -> int:
        """How many QUITs have waited on :meth:`hold_quit` so far."""
        with self._cond:
            return self._quits_held

    def set_failure(
        self, code: int | None, text: str | None = None, *, stage: SmtpStage = "data"
    ) -> None:
        """Answer every command of ``stage`` with ``code`` until ``set_failure(None)``."""
        fault = None if code is None else self._fault(code, text, stage)
        with self._cond:
            self._persistent = fault

    @staticmethod
    def _fault(code: int, text: str | None, stage: SmtpStage) -> _Fault:
        if not 400 <= code <= 599:
            raise ValueError(f"an injected failure needs a 4xx or 5xx code, not {code}")
        if stage not in _STAGES:
            raise ValueError(f"stage must be one of {_STAGES}, not {stage!r}")
        if text is not None and ("\r" in text or "\n" in text):
            raise ValueError("the reply text must be a single line")
        return _Fault(stage, code, text if text is not None else _default_text(code))

    def _take_fault(
        self, stage: SmtpStage, mail_from: str | None, rcpt_tos: tuple[str, ...]
    ) -> str | None:
        with self._cond:
            pending = self._pending[stage]
            fault = pending.popleft() if pending else None
            if fault is None and self._persistent is not None and self._persistent.stage == stage:
                fault = self._persistent
            if fault is None:
                return None
            self._rejections.append(
                Rejection(stage, fault.code, mail_from, rcpt_tos, time.monotonic())
            )
            self._cond.notify_all()
        return f"{fault.code} {fault.text}"

    # -- recording ----------------------------------------------------------------------

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: object,
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and self._username is not None
            and self._password is not None
            and hmac.compare_digest(auth_data.login, self._username)
            and hmac.compare_digest(auth_data.password, self._password)
        ):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def _record(
        self,
        *,
        mail_from: str,
        rcpt_tos: tuple[str, ...],
        raw: bytes,
        authenticated_as: str | None,
        tls: bool,
    ) -> None:
        parsed = self._parser.parsebytes(raw.replace(b"\r\n", b"\n"))
        if not isinstance(parsed, EmailMessage):  # policy.default always makes EmailMessage
            raise TypeError(f"unexpected message class {type(parsed).__name__}")
        received = ReceivedMessage(
            mail_from=mail_from,
            rcpt_tos=rcpt_tos,
            raw=raw,
            message=parsed,
            received_monotonic=time.monotonic(),
            received_at=time.time(),
            authenticated_as=authenticated_as,
            tls=tls,
        )
        with self._cond:
            if self._quota_per_minute is not None:
                recent = [
                    m
                    for m in self._messages
                    if received.received_monotonic - m.received_monotonic < 60
                ]
                if len(recent) >= self._quota_per_minute:
                    self.over_minute += 1
            self._messages.append(received)
            self._cond.notify_all()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of the messages received so far, oldest first."""
        with self._cond:
            return list(self._messages)

    @property
    def rejections(self) -> list[Rejection]:
        """A copy of the injected failures answered so far, oldest first."""
        with self._cond:
            return list(self._rejections)

    def wait_for(self, n: int, timeout: float) -> bool:
        """Block until at least ``n`` messages were received; False after ``timeout`` s."""
        return self.wait_until(lambda: len(self._messages) >= n, timeout)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` is true, re-checked on every message or rejection.

        The predicate runs with the sink's lock held: it may read ``messages`` and
        ``rejections`` but must not block.
        """
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    async def wait_for_async(self, n: int, timeout: float) -> bool:  # noqa: ASYNC109
        """:meth:`wait_for` without blocking the event loop (runs in a worker thread).

        ``timeout`` mirrors :meth:`wait_for`; the worker thread cannot be cancelled, so a
        deadline it owns is used rather than ``asyncio.timeout``.
        """
        return await asyncio.to_thread(self.wait_for, n, timeout)

    def clear(self) -> None:
        """Forget received messages, rejections and pending or persistent faults."""
        with self._cond:
            self._messages.clear()
            self._rejections.clear()
            for pending in self._pending.values():
                pending.clear()
            self._persistent = None


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Log client disconnects and broken TLS quietly; everything else the default way."""
    error = context.get("exception")
    if isinstance(error, (*_DISCONNECT_ERRORS, asyncio.CancelledError)):
        _log.debug("SMTP sink: %s: %r", context.get("message"), error)
        return
    loop.default_exception_handler(context)
