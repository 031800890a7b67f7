"""Replies written as drafts in the shop's own mailbox, for a person to review and send.

The owner's mail client (Gmail, Thunderbird, a phone) is the review screen: the draft sits in
the mailbox's Drafts folder (found by its RFC 6154 ``\\Drafts`` attribute, else
``imap.drafts_mailbox``), threaded (In-Reply-To, References, ``Re:``) and addressed to the
customer, so one click sends it.

Writing a draft is idempotent, unlike an SMTP send: the folder is searched for the reply's
Message-ID first, so a draft interrupted by a kill (the ledger row left ``sending``) is written
again only if it is not there. Never two drafts for one task.
"""

from __future__ import annotations

from email.message import EmailMessage

import structlog

from voidmail import imap
from voidmail.config import ImapSettings

log = structlog.get_logger("voidmail.drafts")

DRAFT_FLAGS = "(\\Draft \\Seen)"


class DraftBox:
    """Puts drafts in the mailbox over a connection of its own (the listener keeps IDLE)."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings

    async def put(self, message: EmailMessage) -> str:
        """Write ``message`` as a draft unless a draft with its Message-ID is there already;
        the folder's name. Raises ImapError (retryable) or ImapLoginError."""
        message_id = str(message["Message-ID"])
        connection = imap.ImapConnection(self.settings)
        try:
            await connection.connect()
            folder = await connection.special_use("\\Drafts") or self.settings.drafts_mailbox
            await connection.select(folder)
            found = await connection.uid_search("HEADER", "Message-ID", imap.quote(message_id))
            if found:
                log.info("draft_already_there", folder=folder, reply_id=message_id)
                return folder
            await connection.append(folder, message.as_bytes(), DRAFT_FLAGS)
            log.info("draft_written", folder=folder, reply_id=message_id)
            return folder
        finally:
            await connection.close()
