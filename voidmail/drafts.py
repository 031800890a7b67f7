"""Replies written to the shop's own mailbox: drafts for a person to review and send, and
copies of sent replies in the Sent folder.

The owner's mail client (Gmail, Thunderbird, a phone) is the review screen: the draft sits in
the mailbox's Drafts folder (found by its RFC 6154 ``\\Drafts`` attribute, else
``imap.drafts_mailbox``), threaded (In-Reply-To, References, ``Re:``) and addressed to the
customer, so one click sends it.

Writing to a folder is idempotent, unlike an SMTP send: the folder is searched for the reply's
Message-ID first, so a draft interrupted by a kill (the ledger row left ``sending``) is written
again only if it is not there. Never two drafts, or two sent copies, of one reply.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import structlog

from voidmail import imap
from voidmail.config import ImapSettings

log = structlog.get_logger("voidmail.drafts")

DRAFT_FLAGS = "(\\Draft \\Seen)"
SENT_FLAGS = "(\\Seen)"


class Folder:
    """One special-use folder, written over a connection of its own (the listener keeps IDLE),
    kept open between writes and rebuilt after any failure. Writes take turns."""

    def __init__(self, settings: ImapSettings, special_use: str, fallback: str, flags: str):
        self.settings = settings
        self.special_use = special_use
        self.fallback = fallback
        self.flags = flags
        self._lock = asyncio.Lock()
        self._connection: imap.ImapConnection | None = None
        self._folder = ""

    async def put(self, message: EmailMessage) -> str:
        """Write ``message`` unless one with its Message-ID is there already; the folder's
        name. Raises ImapError (retryable) or ImapLoginError."""
        message_id = str(message["Message-ID"])
        async with self._lock:
            try:
                connection = await self._open()
                found = await connection.uid_search("HEADER", "Message-ID", imap.quote(message_id))
                if found:
                    log.info("already_in_folder", folder=self._folder, reply_id=message_id)
                    return self._folder
                await connection.append(self._folder, message.as_bytes(), self.flags)
            except (imap.ImapError, imap.ImapLoginError):
                await self.close()
                raise
        log.info("written_to_folder", folder=self._folder, reply_id=message_id)
        return self._folder

    async def _open(self) -> imap.ImapConnection:
        if self._connection is not None and not self._connection.lost.is_set():
            # Reselect: it makes the server show what others appended since.
            await self._connection.select(self._folder)
            return self._connection
        await self.close()
        connection = imap.ImapConnection(self.settings)
        self._connection = connection
        await connection.connect()
        self._folder = await connection.special_use(self.special_use, self.fallback)
        await connection.select(self._folder)
        return connection

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


def drafts_folder(settings: ImapSettings) -> Folder:
    return Folder(settings, "\\Drafts", settings.drafts_mailbox, DRAFT_FLAGS)


def sent_folder(settings: ImapSettings) -> Folder:
    return Folder(settings, "\\Sent", settings.sent_mailbox, SENT_FLAGS)
