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

from voidmail import drafts, imap, limiter, store
from voidmail.errors import VoidmailError
from voidmail.mailer import Mailer, SmtpPermanent, SmtpQuota, SmtpTemporary, SmtpUncertain


class DeliveryUnknown(VoidmailError):
    """The message may have left: never send it again; a person must look."""


class Ledger:
    """Sends ledger rows at most once, over one mailer, from one envelope sender, paced to
    the mailbox's sending quota when one is given (``smtp.max_per_minute``/``max_per_day``)."""

    def __init__(
        self, st: store.Store, mailer: Mailer, sender: str, *, pace: limiter.Limiter | None = None
    ) -> None:
        self.store = st
        self.mailer = mailer
        self.sender = sender
        self.pace = pace

    async def deliver(self, outbound_id: int, message: EmailMessage) -> None:
        """Send row ``outbound_id`` (``message``, already written to the ledger) to its ``To``,
        a checked addr-spec (:func:`voidmail.compose.recipient`).

        Returns once the server took it. Raises ``SmtpTemporary`` (the row is ``failed``: safe
        to try again), ``SmtpPermanent`` (``abandoned``) or ``DeliveryUnknown`` (``sending``).
        """

        async def starting() -> None:
            if not await self.store.mark_sending(outbound_id):
                raise DeliveryUnknown("this message is already being sent, or was")

        reservation = await self._reserve(outbound_id)
        counted = False  # whether the attempt counts against the sending quota
        try:
            await self.mailer.send(
                message,
                self.sender,
                [str(message["To"])],
                starting=starting,
                accepted=functools.partial(self.store.mark_sent, outbound_id),
            )
            counted = True
        except SmtpTemporary as exc:
            await self.store.mark_send_failed(outbound_id, "failed", str(exc))
            raise
        except SmtpPermanent as exc:
            await self.store.mark_send_failed(outbound_id, "abandoned", str(exc))
            raise
        except SmtpUncertain as exc:
            counted = True  # the server may have taken it
            raise DeliveryUnknown(str(exc)) from exc
        finally:
            if reservation is not None:
                if counted:
                    reservation.settle(1)
                else:
                    reservation.cancel()  # refused or never sent: the quota is not touched

    async def _reserve(self, outbound_id: int) -> limiter.Reservation | None:
        """A place in the mailbox's sending quota; SmtpQuota (a wait, not a failure) when the
        day's is spent."""
        if self.pace is None:
            return None
        try:
            return await self.pace.acquire(1)
        except limiter.DailyLimitReached as exc:
            error = SmtpQuota(
                "smtp.max_per_day replies were sent in the last 24 hours; this one waits",
                retry_after=exc.retry_after,
            )
            await self.store.mark_send_failed(outbound_id, "failed", str(error))
            raise error from exc

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


def sending_pace(max_per_minute: int, max_per_day: int) -> limiter.Limiter | None:
    """The limiter for a mailbox's sending quota, shared by replies and notes; None for none."""
    if max_per_minute <= 0 and max_per_day <= 0:
        return None
    big = 10**9
    return limiter.Limiter(
        max_per_minute if max_per_minute > 0 else big, big,
        max_per_day if max_per_day > 0 else big, big,
    )  # fmt: skip
