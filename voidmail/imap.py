"""An IMAP connection for the listener, over aioimaplib, with the gaps it leaves filled.

aioimaplib does not notice a dead socket by itself: ``connection_lost`` only calls a callback,
pending commands are not failed and ``idle_start`` can wait forever (its issues #107 and #110).
So every await here has a timeout and races a "connection lost" event that the callback sets;
any failure surfaces as :class:`ImapError`, after which the caller drops the connection and
builds a new one. aioimaplib has no STARTTLS either: we send the command and upgrade the
transport with ``loop.start_tls``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aioimaplib

from voidmail import oauth
from voidmail.config import ImapSettings, is_loopback
from voidmail.errors import PermanentError, RetryableError

T = TypeVar("T")

DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
FETCH_LINE = re.compile(rb"^\d+ FETCH \(")
UID_ITEM = re.compile(rb"\bUID (\d+)")
SIZE_ITEM = re.compile(rb"\bRFC822\.SIZE (\d+)")
FLAGS_ITEM = re.compile(rb"\bFLAGS \(([^)]*)\)")
LITERAL_END = re.compile(rb"\{(\d+)\}$")
CODE_ITEM = re.compile(rb"\[(UIDVALIDITY|UIDNEXT) (\d+)\]")
LIST_LINE = re.compile(rb'^\(([^)]*)\)\s+(?:"[^"]*"|NIL)\s+(.+)$')
UNTAGGED_EXISTS = re.compile(rb"^\*\s+\d+\s+EXISTS\b")


class ImapError(RetryableError):
    """The connection failed or the server said no: rebuild the connection and carry on."""


class ImapLoginError(PermanentError):
    """We cannot log in with these settings. Retrying with the same ones cannot help."""


class ImapCredentialsRefused(ImapLoginError):
    """The server said no to the username and password; ``said`` is its own text."""

    def __init__(self, message: str, *, said: str = "") -> None:
        super().__init__(message + (f": the server said {said!r}" if said else ""))
        self.said = said


@dataclass(frozen=True)
class Selected:
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass
class Fetched:
    uid: int
    size: int = 0
    flags: frozenset[str] = frozenset()
    raw: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Certificate and host name verification on; ``ca_file`` only adds trust."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def quote(text: str) -> str:
    """An IMAP quoted string (RFC 3501), for user names with spaces or quotes."""
    if any(c in text for c in "\r\n\0"):
        raise ValueError("IMAP strings cannot hold CR, LF or NUL")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapConnection:
    """One logged-in connection with a selected mailbox. Not reusable after an ImapError."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.timeout = settings.timeout
        self.lost = asyncio.Event()
        self._client: aioimaplib.IMAP4 | None = None
        self.idle_supported = True
        self.new_mail = False  # an EXISTS came with a command's response: sweep again

    @property
    def client(self) -> aioimaplib.IMAP4:
        if self._client is None:
            raise ImapError("not connected")
        return self._client

    async def connect(self) -> None:
        """Connect, secure, log in. Raises ImapLoginError or ImapError."""
        s = self.settings
        port = s.port or DEFAULT_PORTS[s.security]
        if s.security == "plain" and not is_loopback(s.host):
            raise ImapLoginError("plaintext IMAP is allowed only to loopback")
        context = tls_context(str(s.ca_file) if s.ca_file else None)
        client = aioimaplib.IMAP4(
            host=s.host,
            port=port,
            timeout=self.timeout,
            conn_lost_cb=self._on_lost,
            ssl_context=context if s.security == "tls" else None,
        )
        self._client = client
        self._notice_new_mail(client.protocol)
        await self._call(client.wait_hello_from_server(), "connect")
        if s.security == "starttls":
            await self._starttls(context)
        if s.auth == "xoauth2":
            response = await self._xoauth2(client)
        else:
            if "LOGINDISABLED" in client.protocol.capabilities:
                # RFC 3501 6.2.3: LOGIN is refused on this connection whatever the password.
                raise ImapLoginError(
                    f"{s.host} refuses LOGIN without TLS (it advertises LOGINDISABLED): set "
                    'imap.security to "starttls" or "tls"'
                )
            response = await self._call(client.login(quote(s.username), s.password.get()), "login")
        if response.result != "OK":
            raise ImapCredentialsRefused(
                f"IMAP login as {s.username!r} refused by {s.host}",
                said=server_text(response.lines),
            )
        # Without IDLE we fall back to a timed sweep (see idle()).
        self.idle_supported = "IDLE" in client.protocol.capabilities

    async def _xoauth2(self, client: aioimaplib.IMAP4) -> aioimaplib.Response:
        """AUTHENTICATE XOAUTH2 with the account's access token; a refused token is refreshed
        and tried once more (it may have been revoked or expired early)."""
        self._answer_sasl_errors(client.protocol)
        user = self.settings.username
        try:
            source = oauth.current()
            token = await source.token()
            response = await self._call(client.xoauth2(user, token), "login")
            if response.result != "OK":
                token = await source.refresh(stale=token)
                response = await self._call(client.xoauth2(user, token), "login")
        except oauth.OAuthUnavailable as exc:
            raise ImapError(f"cannot get an access token: {exc}") from exc
        except (oauth.TokenRevoked, oauth.OAuthError) as exc:
            raise ImapLoginError(str(exc)) from exc
        return response

    async def _starttls(self, context: ssl.SSLContext) -> None:
        protocol = self.client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapLoginError(
                f'{self.settings.host} does not offer STARTTLS; use security = "tls"'
            )
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        response = await self._call(protocol.execute(command), "starttls")
        if response.result != "OK":
            raise ImapError("server refused STARTTLS")
        loop = asyncio.get_running_loop()
        transport = await self._call(
            loop.start_tls(
                protocol.transport, protocol, context, server_hostname=self.settings.host
            ),
            "tls handshake",
        )
        protocol.transport = transport
        # Capabilities before TLS must not be trusted (RFC 3501 6.2.1): ask again.
        await self._call(protocol.capability(), "capability")

    async def select(self, mailbox: str) -> Selected:
        response = await self._call(self.client.select(_mailbox_arg(mailbox)), "select")
        if response.result != "OK":
            raise ImapError(f"cannot select mailbox {mailbox!r}")
        codes: dict[bytes, int] = {}
        exists = 0
        for line in _lines(response.lines):
            for name, value in CODE_ITEM.findall(line):
                codes[name] = int(value)
            if line.endswith(b" EXISTS"):
                exists = int(line.split()[0])
        if b"UIDVALIDITY" not in codes:
            raise ImapError("server sent no UIDVALIDITY")
        return Selected(codes[b"UIDVALIDITY"], codes.get(b"UIDNEXT"), exists)

    async def uid_search(self, *criteria: str) -> list[int]:
        response = await self._call(self.client.uid_search(*criteria, charset=None), "search")
        if response.result != "OK":
            raise ImapError("UID SEARCH failed")
        uids: list[int] = []
        # aioimaplib strips the "SEARCH" keyword: the result is a line of bare numbers. Other
        # untagged lines ("4 EXISTS") and the completion text have words in them.
        for line in _lines(response.lines[:-1]):
            words = line.split()
            if words and words[0] == b"SEARCH":
                words = words[1:]
            if all(word.isdigit() for word in words):
                uids.extend(int(word) for word in words)
        return sorted(set(uids))

    async def fetch(
        self, uids: Iterable[int], items: str, *, deadline: float | None = None
    ) -> list[Fetched]:
        """UID FETCH ``items`` for ``uids``; messages that vanished are simply absent.

        ``deadline`` (seconds; default: the command timeout) gives a large body its time.
        """
        uid_list = ",".join(str(u) for u in uids)
        if not uid_list:
            return []
        response = await self._call(
            self.client.uid("fetch", uid_list, f"({items})"), "fetch", deadline=deadline
        )
        if response.result != "OK":
            raise ImapError("UID FETCH failed")
        return parse_fetch(response.lines)

    async def special_use(self, attribute: str, fallback: str) -> str:
        """The mailbox carrying the RFC 6154 ``attribute`` (``\\Drafts``, ``\\Sent``), else
        ``fallback`` (the configured name).

        A plain LIST: Dovecot, Gmail and Exchange show special-use attributes in it.
        """
        response = await self._call(self.client.list('""', "*"), "list")
        if response.result != "OK":
            raise ImapError("LIST failed")
        wanted = attribute.lower()
        for line in _lines(response.lines[:-1]):
            found = LIST_LINE.match(line)
            if found is None:
                continue
            attributes = found.group(1).decode("ascii", "replace").lower().split()
            if wanted in attributes:
                return _list_name(found.group(2))
        return fallback

    async def append(self, mailbox: str, raw: bytes, flags: str) -> None:
        """APPEND ``raw`` to ``mailbox`` with ``flags`` (``(\\Draft \\Seen)``)."""
        response = await self._call(
            self.client.append(raw, mailbox=_mailbox_arg(mailbox), flags=flags), "append"
        )
        if response.result != "OK":
            raise ImapError(f"cannot append to mailbox {mailbox!r}")

    async def add_flags(self, uids: list[int], flags: str) -> None:
        uid_set = ",".join(str(uid) for uid in uids)
        response = await self._call(
            self.client.uid("store", uid_set, "+FLAGS.SILENT", f"({flags})"), "store"
        )
        if response.result != "OK":
            raise ImapError(f"cannot set flags on UIDs {uid_set}")

    async def idle(self, seconds: float, wake: asyncio.Event) -> str:
        """IDLE until the server pushes, ``wake`` is set or ``seconds`` pass.

        Returns "push", "wake" or "timeout"; raises ImapError if the connection dies.
        """
        if not self.idle_supported:
            return await self._wait_plain(seconds, wake)
        client = self.client
        idle_done = await self._call(client.idle_start(timeout=seconds + self.timeout), "idle")
        waits = {
            asyncio.ensure_future(client.wait_server_push(timeout=seconds)): "push",
            asyncio.ensure_future(wake.wait()): "wake",
            asyncio.ensure_future(self.lost.wait()): "lost",
        }
        try:
            done, _ = await asyncio.wait(
                waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waits:
                waiter.cancel()
        reason = "timeout"
        for waiter in done:
            if waiter.cancelled() or waiter.exception() is not None:
                continue  # a push wait that timed out counts as a timeout
            reason = waits[waiter]
            if reason == "lost":
                raise ImapError("connection lost during IDLE")
            if reason == "push" and waiter.result() == aioimaplib.STOP_WAIT_SERVER_PUSH:
                reason = "timeout"
        if client.has_pending_idle():
            client.idle_done()
        await self._call(idle_done, "idle done")
        return reason

    async def _wait_plain(self, seconds: float, wake: asyncio.Event) -> str:
        """For servers without IDLE: wait, then let the caller sweep."""
        waits = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(self.lost.wait())}
        try:
            done, _ = await asyncio.wait(
                waits, timeout=min(seconds, 30.0), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waits:
                waiter.cancel()
        if self.lost.is_set():
            raise ImapError("connection lost")
        return "wake" if done else "timeout"

    async def close(self) -> None:
        """Log out politely if we can; never raises, never waits long."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.has_pending_idle():
                client.idle_done()
            if not self.lost.is_set():
                await asyncio.wait_for(client.logout(), timeout=min(self.timeout, 5.0))
        except (aioimaplib.AioImapException, OSError, TimeoutError):
            pass  # the connection is being thrown away; its manners no longer matter
        finally:
            transport = client.protocol.transport
            if transport is not None:
                transport.close()
            for task in list(client.tasks) + list(client.protocol.tasks):
                task.cancel()
        # Let a TLS transport finish closing (connection_lost sets ``lost``), or it is reported
        # as unclosed when the loop ends.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.lost.wait(), timeout=1.0)

    def _notice_new_mail(self, protocol: Any) -> None:
        """Set ``new_mail`` on every untagged EXISTS, whatever command it came with.

        aioimaplib drops an EXISTS that arrives with an asynchronous command (UID FETCH, UID
        STORE, UID SEARCH): nobody waits for it. The server will not repeat it in the next
        IDLE, so the message would wait for the next push or ``idle_seconds``. The protocol's
        one entry point for untagged lines is wrapped to notice it.
        """
        untagged = protocol._untagged_response

        def noting(line: bytes) -> Any:
            if UNTAGGED_EXISTS.match(line):
                self.new_mail = True
            return untagged(line)

        protocol._untagged_response = noting

    @staticmethod
    def _answer_sasl_errors(protocol: Any) -> None:
        """Answer the server's error challenge in a failed AUTHENTICATE with an empty line.

        A server refusing an XOAUTH2 token sends a ``+`` continuation holding the error
        (RFC 7628 3.2.2) and waits for the client's empty response before its tagged NO.
        aioimaplib keeps such a line for the command and answers nothing, so the login would
        hang until the timeout. The protocol's continuation handler is wrapped to answer it.
        """
        continuation = protocol._continuation

        def answering(line: bytes) -> Any:
            pending = protocol.pending_sync_command
            if pending is not None and pending.name == "AUTHENTICATE":
                protocol.transport.write(b"\r\n")
                return None
            return continuation(line)

        protocol._continuation = answering

    def _on_lost(self, _exc: Exception | None) -> None:
        self.lost.set()

    async def _call(
        self, awaitable: Awaitable[T], what: str, *, deadline: float | None = None
    ) -> T:
        """Await with the command timeout, racing the connection-lost event."""
        limit = self.timeout if deadline is None else deadline
        work = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            done, _ = await asyncio.wait(
                {work, lost}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:
            work.cancel()  # the caller was cancelled: the command goes with it
            raise
        finally:
            lost.cancel()
        if work not in done:
            work.cancel()
            if self.lost.is_set():
                raise ImapError(f"connection lost during {what}")
            raise ImapError(f"IMAP {what} timed out after {limit:g}s")
        try:
            return work.result()
        except (aioimaplib.AioImapException, OSError, TimeoutError, ssl.SSLError) as exc:
            raise ImapError(f"IMAP {what} failed: {exc.__class__.__name__}: {exc}") from exc


def parse_fetch(lines: list[Any]) -> list[Fetched]:
    """Turn aioimaplib's FETCH response lines into one Fetched per UID.

    A FETCH line with a literal ends in ``{n}``; the next element is the literal's bytes.
    Unsolicited FETCHes (flag changes from other clients) carry no UID and are skipped.
    """
    found: dict[int, Fetched] = {}
    current: Fetched | None = None
    expecting_literal = False
    for item in lines:
        if expecting_literal and isinstance(item, bytearray | bytes) and current is not None:
            current.raw = bytes(item)
            expecting_literal = False
            continue
        expecting_literal = False
        if not isinstance(item, bytes | bytearray):
            continue
        line = bytes(item)
        if not FETCH_LINE.match(line):
            continue
        uid_match = UID_ITEM.search(line)
        if uid_match is None:
            current = None
            continue
        uid = int(uid_match[1])
        current = found.setdefault(uid, Fetched(uid))
        if size := SIZE_ITEM.search(line):
            current.size = int(size[1])
        if flags := FLAGS_ITEM.search(line):
            current.flags = frozenset(flags[1].decode("ascii", "replace").split())
        expecting_literal = LITERAL_END.search(line) is not None
    return [found[uid] for uid in sorted(found)]


def server_text(lines: list[Any], limit: int = 200) -> str:
    """The server's own words from a response (its last line: the tagged completion), as one
    printable line. The password is never part of a response."""
    text = b" ".join(_lines(lines)[-1:]).decode("utf-8", "replace")
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:limit]


def _lines(lines: list[Any]) -> list[bytes]:
    return [bytes(line) for line in lines if isinstance(line, bytes | bytearray)]


def _list_name(raw: bytes) -> str:
    """A mailbox name as LIST wrote it: quoted (with escapes) or an atom."""
    text = raw.decode("utf-8", "replace").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def _mailbox_arg(name: str) -> str:
    return name if name.isalnum() else quote(name)
