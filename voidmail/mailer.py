"""Send mail over SMTP, and say exactly how sure we are that it left.

A send ends in one of four ways:

- it returns: the server accepted the message (250 after the data);
- ``SmtpTemporary``: it certainly did not leave, and trying later may work (4xx, a refused or
  dropped connection before the data was sent);
- ``SmtpPermanent``: it certainly did not leave and never will as it is (5xx);
- ``SmtpUncertain``: the connection died or timed out while the data was on its way, so the
  server may or may not have accepted it. The caller must not send it again blindly.

The steps (MAIL, RCPT, DATA) are issued one by one to keep that last window as short as the
data transfer itself, and ``accepted`` is awaited as soon as the server has said 250 to the
data, before anything else: a kill or a hung server afterwards must not leave an accepted
message looking unsent.

Connections: at most ``smtp.max_connections`` are open at once (Microsoft 365 refuses a
fourth with ``432 4.3.2``), and one that has just sent is kept a few seconds for the next
reply, so replies ready together go out over one connection. A kept connection is checked
with NOOP before it is used again; one the server has dropped is replaced, not counted as a
failure of the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import EmailMessage

import aiosmtplib

from voidmail import oauth
from voidmail.config import SmtpSettings, is_loopback
from voidmail.errors import Deferred, PermanentError, RetryableError, VoidmailError
from voidmail.imap import tls_context

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "plain": 25}


class SmtpTemporary(RetryableError):
    """Not sent; worth trying again later."""


class SmtpPermanent(PermanentError):
    """Not sent; the server refused it for good (5xx) or it cannot be sent as it is."""


class SmtpQuota(SmtpTemporary, Deferred):
    """Not sent: the mailbox's sending quota is spent (Gmail's 550 5.4.5, Exchange Online's
    554 5.2.0 SubmissionQuotaExceededException, or our own smtp.max_per_day). Not a reason
    to give up on the reply, nor to spend its attempts: it waits for the quota to free up."""


class SmtpBusy(SmtpTemporary, Deferred):
    """Not sent: the server has no room for another connection now (Exchange Online's
    ``432 4.3.2 … sender thread limit exceeded``). It waits a little, attempts unspent."""


class SmtpUncertain(VoidmailError):
    """The server may or may not have accepted the message."""


KEEP_IDLE = 10.0  # seconds a connection that just sent waits for the next reply
BUSY_RETRY = 30.0  # seconds before a reply refused for too many connections is tried again


class Mailer:
    """Sends messages over at most ``smtp.max_connections`` connections, reusing one that has
    just sent. Safe to share between the tasks of one event loop."""

    def __init__(self, settings: SmtpSettings, *, clock: Callable[[], float] | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._open = 0
        self._room: asyncio.Condition | None = None
        self.connections = 0  # opened since start, for tests and benchmarks

    def _now(self) -> float:
        return self.clock() if self.clock is not None else asyncio.get_running_loop().time()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
        """A logged-in connection: a kept one still alive, else a new one when there is room.
        Given back for reuse when the block ends cleanly, closed otherwise."""
        if self._room is None:
            self._room = asyncio.Condition()
        room = self._room
        limit = self.settings.max_connections
        while True:
            kept: tuple[aiosmtplib.SMTP, float] | None = None
            async with room:
                while not self._idle and limit and self._open >= limit:
                    await room.wait()
                if self._idle:
                    kept = self._idle.pop()
                else:
                    self._open += 1
            if kept is None:
                smtp = await self._fresh()
                break
            smtp, since = kept
            if self._now() - since <= KEEP_IDLE and await _alive(smtp):
                break
            await self._closed(smtp)  # the server dropped it, or it waited too long
        clean = False
        try:
            yield smtp
            clean = True
        finally:
            if clean and smtp.is_connected:
                async with room:
                    self._idle.append((smtp, self._now()))
                    room.notify()
            else:
                await self._closed(smtp)

    async def _fresh(self) -> aiosmtplib.SMTP:
        """A new connection, logged in; its place is given back if that fails."""
        smtp: aiosmtplib.SMTP | None = None
        try:
            smtp = self.client()
            await self.open(smtp)
        except BaseException:
            await self._closed(smtp)
            raise
        self.connections += 1
        return smtp

    async def _closed(self, smtp: aiosmtplib.SMTP | None) -> None:
        if smtp is not None:
            await _quit(smtp)
        assert self._room is not None
        async with self._room:
            self._open -= 1
            self._room.notify()

    async def aclose(self) -> None:
        """Say QUIT on the kept connections."""
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for smtp, _since in idle:
            await _quit(smtp)

    def client(self) -> aiosmtplib.SMTP:
        """A client for the configured server, not yet connected (plaintext only to loopback)."""
        s = self.settings
        if s.security == "plain" and not is_loopback(s.host):
            raise SmtpPermanent("plaintext SMTP is allowed only to loopback")
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port or DEFAULT_PORTS[s.security],
            timeout=s.timeout,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            validate_certs=True,
            tls_context=tls_context(str(s.ca_file) if s.ca_file else None)
            if s.security != "plain"
            else None,
        )

    async def send(
        self,
        message: EmailMessage,
        sender: str,
        recipients: list[str],
        *,
        starting: Callable[[], Awaitable[object]] | None = None,
        accepted: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Deliver ``message`` to ``recipients`` with envelope ``sender``; see the module doc.

        ``starting`` runs once the server accepted MAIL and every RCPT, just before the data
        (an exception from it ends the send, nothing sent); ``accepted`` runs once the server
        took the data, before the connection is closed.
        """
        async with self._connection() as smtp:
            utf8 = not all(a.isascii() for a in [sender, *recipients])
            if utf8 and not smtp.supports_extension("smtputf8"):
                raise SmtpPermanent("the server cannot take non-ASCII addresses (no SMTPUTF8)")
            options = ["SMTPUTF8"] if utf8 else []
            encoding = "utf-8" if utf8 else "ascii"
            try:
                await smtp.mail(sender, options=options, encoding=encoding)
                for recipient in recipients:
                    await smtp.rcpt(recipient, encoding=encoding)
            except aiosmtplib.SMTPResponseException as exc:
                raise _refused(exc) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise SmtpTemporary(
                    f"SMTP connection failed before the data: {_name(exc)}"
                ) from exc
            if starting is not None:
                await starting()
            try:
                await smtp.data(message.as_bytes())
            except aiosmtplib.SMTPResponseException as exc:
                raise _refused(exc) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise SmtpUncertain(
                    f"SMTP connection failed while sending the data: {_name(exc)}"
                ) from exc
            if accepted is not None:
                await accepted()

    async def open(self, smtp: aiosmtplib.SMTP) -> None:
        """Connect ``smtp`` and log in; SmtpTemporary or SmtpPermanent when that fails."""
        s = self.settings
        try:
            await smtp.connect()
            if s.username and s.auth == "xoauth2":
                await self._xoauth2(smtp)
            elif s.username:
                await smtp.login(s.username, s.password.get())
        except oauth.OAuthUnavailable as exc:
            raise SmtpTemporary(f"cannot get an access token for SMTP: {exc}") from exc
        except (oauth.TokenRevoked, oauth.OAuthError) as exc:
            raise SmtpPermanent(str(exc)) from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            hint = ""
            if "5.7.30" in exc.message:
                hint = (
                    ': the server takes no password for sending (5.7.30): set smtp.auth = "xoauth2"'
                )
            elif exc.code == 534 or "5.7.9" in exc.message:
                hint = ': the server wants an app password or OAuth2 (smtp.auth = "xoauth2")'
            elif exc.code == 535:
                hint = ": check smtp.username and smtp.password (or the app password)"
            raise SmtpPermanent(f"SMTP login as {s.username!r} refused ({exc.code}){hint}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _refused(exc) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SmtpTemporary(f"cannot reach SMTP server {s.host}: {_name(exc)}") from exc

    async def _xoauth2(self, smtp: aiosmtplib.SMTP) -> None:
        """AUTH XOAUTH2 with the account's access token; a refused one is refreshed and tried
        once more."""
        source = oauth.current()
        token = await source.token()
        try:
            await smtp.auth_xoauth2(self.settings.username, token)
        except aiosmtplib.SMTPAuthenticationError:
            token = await source.refresh(stale=token)
            await smtp.auth_xoauth2(self.settings.username, token)


# Refusals that mean "the mailbox has sent its quota", whatever the reply code says: they
# clear as the provider's window rolls on (sources in ../shared/FACTS.md).
QUOTA_REPLIES = re.compile(
    r"\b5\.4\.5\b.{0,40}sending\s+limit|daily\s+user\s+sending\s+limit"
    r"|SubmissionQuotaExceeded|\b4\.4\.2\b.{0,40}submission\s+rate",
    re.IGNORECASE,
)
BUSY_REPLIES = re.compile(r"\b4\.3\.2\b.{0,60}thread\s+limit|sender\s+thread\s+limit")
QUOTA_RETRY = 3600.0  # seconds before a reply refused for quota is tried again


def _refused(exc: aiosmtplib.SMTPResponseException) -> VoidmailError:
    said = " ".join(exc.message.split())[:200]
    text = f"SMTP server answered {exc.code}: {said}"
    if QUOTA_REPLIES.search(said):
        return SmtpQuota(f"the mailbox's sending quota is spent ({text})", retry_after=QUOTA_RETRY)
    if BUSY_REPLIES.search(said):
        return SmtpBusy(
            f"the server has no room for another connection ({text})", retry_after=BUSY_RETRY
        )
    if 400 <= exc.code < 500:
        return SmtpTemporary(text)
    return SmtpPermanent(text)


async def _alive(smtp: aiosmtplib.SMTP) -> bool:
    if not smtp.is_connected:
        return False
    try:
        await smtp.noop(timeout=5)
    except (aiosmtplib.SMTPException, OSError):
        return False
    return True


async def _quit(smtp: aiosmtplib.SMTP) -> None:
    if smtp.is_connected:
        try:
            await smtp.quit(timeout=5)
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()  # whatever was sent is decided already; QUIT is manners


def _name(exc: BaseException) -> str:
    detail = str(exc)
    return f"{exc.__class__.__name__}: {detail}" if detail else exc.__class__.__name__
