"""The outbound ledger: every message voidmail sends is written to it first, and this module
owns every change of a row's state.

::

    pending ─┬─ the server accepted MAIL and RCPT ──> sending ── 250 to the data ──> sent
             │                                           │
    failed <─┴── 4xx, or the connection failed before ───┘ (4xx to the data)
                 the data: certainly not sent, retry
    abandoned <── 5xx: certainly not sent, and never will be as it is

A row is marked ``sending`` only when the data transfer is about to start, so a failure while
connecting, in TLS, EHLO, AUTH, MAIL or RCPT is a plain retry. A row left ``sending`` (the
connection died during the data, or we were killed) is a message whose fate is unknown: it is
never sent again, and a person is told.

A reply whose channel is ``draft`` goes to the mailbox's Drafts folder instead
(:mod:`voidmail.drafts`). Writing a draft looks for it first, so a draft row left ``sending``
is simply written again: exactly one draft, never a draft and a send (one row per task).
"""

from __future__ import annotations

import functools
from email.message import EmailMessage

from voidmail import drafts, imap, store
from voidmail.errors import VoidmailError
from voidmail.mailer import Mailer, SmtpPermanent, SmtpTemporary, SmtpUncertain


class DeliveryUnknown(VoidmailError):
    """The message may have left: never send it again; a person must look."""


class Ledger:
    """Sends ledger rows at most once, over one mailer, from one envelope sender."""

    def __init__(self, st: store.Store, mailer: Mailer, sender: str) -> None:
        self.store = st
        self.mailer = mailer
        self.sender = sender

    async def deliver(self, outbound_id: int, message: EmailMessage, recipient: str) -> None:
        """Send row ``outbound_id`` (``message``, already written to the ledger).

        Returns once the server took it. Raises ``SmtpTemporary`` (the row is ``failed``: safe
        to try again), ``SmtpPermanent`` (``abandoned``) or ``DeliveryUnknown`` (``sending``).
        """

        async def starting() -> None:
            if not await self.store.mark_sending(outbound_id):
                raise DeliveryUnknown("this message is already being sent, or was")

        try:
            await self.mailer.send(
                message,
                self.sender,
                [recipient],
                starting=starting,
                accepted=functools.partial(self.store.mark_sent, outbound_id),
            )
        except SmtpTemporary as exc:
            await self.store.mark_send_failed(outbound_id, "failed", str(exc))
            raise
        except SmtpPermanent as exc:
            await self.store.mark_send_failed(outbound_id, "abandoned", str(exc))
            raise
        except SmtpUncertain as exc:
            raise DeliveryUnknown(str(exc)) from exc

    async def draft(self, outbound_id: int, message: EmailMessage, box: drafts.Folder) -> str:
        """Write row ``outbound_id`` as a draft; the folder. ``sent`` once it is there; on an
        IMAP failure ``failed`` and the ImapError is raised (retrying is safe)."""
        if not await self.store.mark_drafting(outbound_id):
            raise DeliveryUnknown("this reply is not a draft, or was already written")
        try:
            folder = await box.put(message)
        except imap.ImapError as exc:
            await self.store.mark_send_failed(outbound_id, "failed", str(exc))
            raise
        await self.store.mark_drafted(outbound_id)
        return folder
