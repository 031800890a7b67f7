"""What became of each draft: sent as written, sent after editing, discarded, or pending.

Every ``review.check_seconds`` a connection of its own looks at each draft still pending:

1. In the sent folder (RFC 6154 ``\\Sent``, else ``imap.sent_mailbox``) for the message a person
   sent: one carrying the draft's Message-ID (most clients keep it when they send a draft) or
   answering the customer's message (``In-Reply-To``). Its new text is compared with ours:
   ``approved`` when it is the same (similarity at least ``SAME``), else ``edited`` with the
   similarity.
2. Else in the drafts folder for the draft's Message-ID: still there is ``pending``; gone,
   and still nothing in the sent folder when it is looked at again (a draft sent between the
   two looks is there by then), is ``discarded``.

``voidmail stats`` shows the rates per route and intent, and says when a kind of mail could be
switched to ``send``. voidmail never switches by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
from typing import Any

import structlog

from voidmail import imap, parse, store
from voidmail.config import Settings
from voidmail.reply import thread_key

log = structlog.get_logger("voidmail.review")

SAME = 0.98  # similarity at or above which a sent draft counts as sent as written
MAX_COMPARED = 5_000  # characters of each text compared (the similarity is quadratic)
# The suggestion to switch a kind of mail to "send": enough drafts, nearly all unchanged.
SUGGEST_AFTER = 50
SUGGEST_RATE = 0.95


def similarity(ours: str, sent: str) -> float:
    """How alike two reply texts are, 0..1, ignoring spacing and case."""
    a = " ".join(ours.split()).casefold()[:MAX_COMPARED]
    b = " ".join(sent.split()).casefold()[:MAX_COMPARED]
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


class ReviewTracker:
    """A side task of the daemon; ``run`` returns when ``stop`` is set."""

    def __init__(self, settings: Settings, st: store.Store) -> None:
        self.settings = settings
        self.store = st

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except imap.ImapError as exc:
                # The mailbox is unreachable now; the drafts wait for the next look.
                log.warning("review_check_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.review.check_seconds)

    async def check(self) -> int:
        """Look at every pending draft once; how many got a verdict. Each folder is selected
        once per look: first Sent for all of them, then Drafts for those not found there,
        then Sent again for those gone from Drafts."""
        pending = await self.store.pending_drafts()
        if not pending:
            return 0
        s = self.settings.imap
        connection = imap.ImapConnection(s)
        decided = 0
        try:
            await connection.connect()
            await connection.select(await connection.special_use("\\Sent", s.sent_mailbox))
            unsent = await self._look_in_sent(connection, pending)
            decided += len(pending) - len(unsent)
            gone = []
            if unsent:
                drafts = await connection.special_use("\\Drafts", s.drafts_mailbox)
                await connection.select(drafts)
            for draft in unsent:
                message_id = imap.quote(draft["message_id"])
                if not await connection.uid_search("HEADER", "Message-ID", message_id):
                    gone.append(draft)
            if gone:
                # Gone from Drafts: sent or deleted. A client saves to Sent before it removes
                # the draft, so one sent since Sent was looked at is there now.
                await connection.select(await connection.special_use("\\Sent", s.sent_mailbox))
                for draft in await self._look_in_sent(connection, gone):
                    await self._decide(draft, "discarded", None)
                decided += len(gone)
        finally:
            await connection.close()
        return decided

    async def _look_in_sent(
        self, connection: imap.ImapConnection, drafts: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Record a verdict for each of ``drafts`` a person sent (the Sent folder is selected);
        the ones not found there."""
        unsent = []
        for draft in drafts:
            sent = await self._sent_text(connection, draft)
            if sent is None:
                unsent.append(draft)
                continue
            score = await asyncio.to_thread(similarity, draft["body"], sent)
            await self._decide(draft, "approved" if score >= SAME else "edited", score)
            await self._answered(draft, sent)
        return unsent

    async def _sent_text(
        self, connection: imap.ImapConnection, draft: dict[str, Any]
    ) -> str | None:
        """The new text of what a person sent for ``draft`` (the Sent folder is selected), or
        None if nothing was sent."""
        criteria = ["HEADER", "Message-ID", imap.quote(draft["message_id"])]
        if draft["parent"]:
            criteria = ["OR", *criteria, "HEADER", "In-Reply-To", imap.quote(draft["parent"])]
        found = await connection.uid_search(*criteria)
        if not found:
            return None
        fetched = await connection.fetch([found[-1]], "UID BODY.PEEK[]")
        raw = fetched[0].raw if fetched and fetched[0].raw else b""
        return (await asyncio.to_thread(parse.parse, raw)).new_text

    async def _decide(self, draft: dict[str, Any], review: str, score: float | None) -> None:
        await self.store.set_review(draft["id"], review, score)
        log.info("draft_reviewed", reply_id=draft["message_id"], review=review,
                 similarity=None if score is None else round(score, 3))  # fmt: skip

    async def _answered(self, draft: dict[str, Any], sent_text: str) -> None:
        """A person sent it: the task is done, and what they said is the shop's turn in the
        conversation (so a follow-up is answered knowing it)."""
        await self.store.draft_answered(draft["task_id"])
        thread = thread_key(draft["subject"] or "")
        await self.store.add_turn(
            draft["recipient"], thread, "shop", draft["task_id"], None, sent_text.strip()
        )
