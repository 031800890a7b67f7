"""What happens to one claimed task: understand the message, decide, act, and say how it ended.

ignore → ``ignored`` and \\Seen; hand to a person → ``human``, \\Flagged and a note for the
admin; answer (FAQ or LLM) → the reply goes through the outbound ledger, then ``done`` and
\\Seen \\Answered.

At most once. The reply and its Message-ID are written to the ``outbound`` ledger before SMTP
(one reply per task, enforced by a unique index); :mod:`voidmail.ledger` owns its states. A
task that finds its reply already ``sent`` is done. A task that finds it ``sending`` was
interrupted while the server may have been taking the data: it is not sent again but handed
to a person, who can see whether it went. A task retried after a refused or failed send
sends the text already in the ledger, without asking the LLM again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from email.message import EmailMessage
from typing import Any, Protocol

import structlog

from voidmail import compose, drafts, faq, guard, imap, lanes, orders, parse, store, triage
from voidmail.breaker import BreakerOpen
from voidmail.config import Settings, ShopSettings
from voidmail.errors import PermanentError
from voidmail.ledger import DeliveryUnknown, Ledger
from voidmail.mailer import SmtpQuota
from voidmail.reply import Answer, HandOff, Spam, follow_up_for, thread_key
from voidmail.throttle import Throttle

log = structlog.get_logger("voidmail.respond")

SEEN = "\\Seen"
ANSWERED = "\\Seen \\Answered"
FLAGGED = "\\Flagged"
# review.<route> -> the ledger's channel ("hold" never reaches the ledger).
CHANNEL = {"send": "smtp", "draft": "draft"}
QUOTA_ALERT_EVERY = 6 * 3600.0  # seconds between alerts about a spent sending quota


class LlmAnswerer(Protocol):
    """Produces the LLM's answer for a message, or raises (RetryableError to retry later,
    PermanentError or HandOff to give it to a person). ``klass`` is the message's lane class
    (lanes.py), which decides its share of the day; ``order`` the facts of the customer's own
    order, when the question is about it."""

    async def __call__(
        self,
        task: dict[str, Any],
        mail: parse.Mail,
        decision: triage.Decision,
        klass: int,
        order: str = "",
    ) -> Answer: ...

    async def covers(self, mail: parse.Mail, canned: str, klass: int) -> bool: ...


class MailResponder:
    """The daemon's Responder: everything between a claimed task and its outcome."""

    def __init__(
        self,
        settings: Settings,
        st: store.Store,
        ledger: Ledger,
        answers: faq.Faq,
        llm: LlmAnswerer | None = None,
        order_desk: orders.OrderDesk | None = None,
    ) -> None:
        self.settings = settings
        self.store = st
        self.ledger = ledger
        self._alerts = Throttle()
        self.draft_box = drafts.drafts_folder(settings.imap)
        self.sent_box = drafts.sent_folder(settings.imap) if settings.smtp.saves_sent_copy else None
        self.faq = answers
        self.llm = llm
        self.orders = order_desk
        shop = settings.shop.address.lower()
        self.own_addresses = frozenset({shop})
        self.own_domains = frozenset({compose.domain_of(shop)})

    async def aclose(self) -> None:
        """Close the connections kept to the mailbox's folders and the order source."""
        for folder in (self.draft_box, self.sent_box):
            if folder is not None:
                await folder.close()
        if self.orders is not None:
            await self.orders.aclose()

    async def handle(self, task: dict[str, Any]) -> store.Outcome | lanes.Later:
        """Decide ``task`` and do whatever needs no LLM; what does is returned as a ``Later``."""
        raw = await self.store.body(task["id"])
        if raw is None:
            return await self._hand_off(task, None, "no message body was recorded", None)
        # Reading and deciding are pure CPU on customer bytes: a thread keeps the event loop
        # (IDLE, the watchdog, other workers) running whatever the message holds.
        mail = await asyncio.to_thread(parse.parse, raw)
        if parse.unreadable(mail):
            return await self._hand_off(task, mail, "the message could not be read", None)
        reason = guard.check(
            mail,
            self.own_addresses,
            self.own_domains,
            authserv_id=self.settings.guard.authserv_id,
        )
        if reason is not None:
            log.info("message_ignored", reason=reason)
            return store.Outcome("ignored", "ignored", error=f"ignored: {reason}", imap_flags=SEEN)
        try:
            compose.recipient(mail.reply_address)
        except ValueError as exc:
            # Known before any answer is paid for: a person replies by hand, if at all.
            return await self._hand_off(task, mail, f"cannot address a reply: {exc}", None)
        limited = await self._over_limits(task, mail)
        if limited is not None:
            log.info("message_ignored", reason=limited)
            return store.Outcome("ignored", "ignored", error=f"ignored: {limited}", imap_flags=SEEN)

        decision = await asyncio.to_thread(triage.decide, mail, self.faq)
        log.info(
            "message_triaged",
            route=decision.route,
            intent=decision.intent,
            faq_id=decision.faq_id,
            score=round(decision.score, 3),
            reason=decision.reason,
        )
        if self.orders is not None and decision.intent == "pedido" and decision.route != "faq":
            # About an order: its facts come from the shop's order source, a slow and paced
            # resource, so the lookup waits in the orders lane and this worker goes on.
            klass = await self._lane_class(task, mail, decision)
            step = functools.partial(self._about_order, task, mail, decision, klass)
            return lanes.Later(klass, step, lane="orders")
        if decision.route == "human":
            return await self._hand_off(task, mail, decision.reason, decision.intent)
        earlier = await self.store.reply_of(task["id"])
        if earlier is not None:
            # A retry after a send that failed: the ledger's text is the answer, already paid.
            answer = Answer(earlier["body"], follow_up=follow_up_for(earlier["body"]))
            route = f"faq:{decision.faq_id}" if decision.route == "faq" else "llm"
            return await self._reply(task, mail, decision, route, answer, earlier["channel"])
        review = self.settings.review
        if decision.route == "faq" and decision.faq_id is not None:
            if review.faq == "hold":
                return await self._hand_off(task, mail, "review.faq = hold", decision.intent)
            if self.settings.faq.verify == "llm" and self.llm is not None:
                # The shop prefers tokens to risk: the LLM confirms the canned answer first.
                klass = await self._lane_class(task, mail, decision)
                verify = functools.partial(self._verified_faq, task, mail, decision, klass)
                return lanes.Later(klass, verify)
            answer = Answer(self.faq.entry(decision.faq_id).answer)
            route = f"faq:{decision.faq_id}"
            return await self._reply(task, mail, decision, route, answer, self._faq_channel)
        if self.llm is None:
            return await self._hand_off(
                task, mail, "needs a written answer; no LLM configured", decision.intent
            )
        if review.llm == "hold":
            return await self._hand_off(task, mail, "review.llm = hold", decision.intent)
        # The scarce part: queued in the LLM lane, so this worker goes on to cheap work.
        klass = await self._lane_class(task, mail, decision)
        log.info("message_for_the_llm", lane_class=lanes.NAMES[klass])
        return lanes.Later(
            klass, functools.partial(self._answer_with_llm, task, mail, decision, klass)
        )

    async def _lane_class(
        self, task: dict[str, Any], mail: parse.Mail, decision: triage.Decision
    ) -> int:
        wrote_before = await self.store.shop_wrote_to(mail.reply_address)
        # Reading customer text is CPU on up to 200,000 characters: off the event loop.
        read = await asyncio.to_thread(triage.reading, mail.new_text)
        klass = lanes.lane_class(
            shop_wrote_before=wrote_before,
            intent=decision.intent,
            asks=read.asks,
            shop_language=read.in_shop_language,
        )
        await self.store.set_lane_class(task["id"], lanes.NAMES[klass])
        return klass

    async def _about_order(
        self, task: dict[str, Any], mail: parse.Mail, decision: triage.Decision, klass: int
    ) -> store.Outcome | lanes.Later:
        """Answer about the sender's own order from the shop's data: a template for a plain
        status question, the LLM (with the order's facts) for a mixed one, a person for a
        cancelled, refunded, delivered or late order. Nothing about an order goes to anyone
        but the order's own address."""
        assert self.orders is not None
        question = await asyncio.to_thread(triage.order_question, mail)
        try:
            found = await self.orders.find(question.number, mail.reply_address)
        except (orders.OrderSourceError, BreakerOpen) as exc:
            if decision.route == "human" or task["attempts"] >= self.settings.worker.max_attempts:
                # A person is never kept waiting for the order source, nor is a customer
                # once the attempts are spent: a person answers, without the facts.
                reason = f"{decision.reason}; the order source failed: {exc}"
                return await self._hand_off(task, mail, reason, decision.intent)
            raise
        except PermanentError as exc:
            return await self._hand_off(task, mail, f"order source: {exc}", decision.intent)
        order = found.order
        log.info("order_looked_up", found=found.why, plain=question.plain)
        facts = order.facts() if order is not None else found.why
        if decision.route == "human":
            return await self._hand_off(task, mail, f"{decision.reason}\n{facts}", "pedido")
        if order is None:
            if self.settings.orders.unmatched == "human":
                return await self._hand_off(task, mail, f"order: {found.why}", "pedido")
            answer = Answer(orders.UNMATCHED_REPLY)
            return await self._reply(
                task, mail, decision, "order:unmatched", answer, self._faq_channel
            )
        worry = orders.concern(order, orders.today())
        if worry is not None:
            return await self._hand_off(task, mail, f"{worry}\n{facts}", "pedido")
        if question.plain:
            answer = Answer(orders.status_reply(order))
            return await self._reply(
                task, mail, decision, "order:status", answer, self._faq_channel
            )
        if self.llm is None:
            reason = f"needs a written answer; no LLM configured\n{facts}"
            return await self._hand_off(task, mail, reason, "pedido")
        if self.settings.review.llm == "hold":
            return await self._hand_off(task, mail, f"review.llm = hold\n{facts}", "pedido")
        step = functools.partial(self._answer_with_llm, task, mail, decision, klass, facts)
        return lanes.Later(klass, step)

    async def _verified_faq(
        self, task: dict[str, Any], mail: parse.Mail, decision: triage.Decision, klass: int
    ) -> store.Outcome:
        """The canned answer if the LLM says it covers the message, else a written one."""
        assert self.llm is not None
        assert decision.faq_id is not None
        canned = self.faq.entry(decision.faq_id).answer
        if await self.llm.covers(mail, canned, klass):
            route = f"faq:{decision.faq_id}"
            return await self._reply(task, mail, decision, route, Answer(canned), self._faq_channel)
        log.info("faq_not_confirmed", faq_id=decision.faq_id)
        written = dataclasses.replace(
            decision, route="llm", faq_id=None, reason=f"{decision.reason}; the LLM said no"
        )
        if self.settings.review.llm == "hold":
            return await self._hand_off(task, mail, "review.llm = hold", decision.intent)
        return await self._answer_with_llm(task, mail, written, klass)

    @property
    def _faq_channel(self) -> str:
        """Where a deterministic answer (FAQ, order template) goes: review.faq decides."""
        return CHANNEL[self.settings.review.faq]

    async def _answer_with_llm(
        self,
        task: dict[str, Any],
        mail: parse.Mail,
        decision: triage.Decision,
        klass: int,
        order: str = "",
    ) -> store.Outcome:
        assert self.llm is not None
        try:
            answer = await self.llm(task, mail, decision, klass, order)
        except HandOff as exc:
            outcome = await self._hand_off(task, mail, str(exc), decision.intent)
            return dataclasses.replace(
                outcome, prompt_tokens=exc.prompt_tokens, completion_tokens=exc.completion_tokens
            )
        except Spam as exc:
            log.info("message_ignored", reason="spam_llm")
            return store.Outcome(
                "ignored",
                "ignored",
                error="ignored: spam_llm",
                imap_flags=SEEN,
                prompt_tokens=exc.prompt_tokens,
                completion_tokens=exc.completion_tokens,
            )
        channel = CHANNEL[self.settings.review.llm]
        return await self._reply(task, mail, decision, "llm", answer, channel)

    async def _reply(
        self,
        task: dict[str, Any],
        mail: parse.Mail,
        decision: triage.Decision,
        route: str,
        answer: Answer,
        channel: str,
    ) -> store.Outcome:
        try:
            folder = await self._send_reply(task, mail, answer.text, channel)
        except SmtpQuota as exc:
            # Not a failure of this reply: it waits, its attempts unspent (a Deferred).
            if self._alerts.allow("smtp_quota", QUOTA_ALERT_EVERY):
                await self.store.add_note(
                    None,
                    "alert",
                    f"El correo de la tienda no acepta más envíos por ahora ({exc}). Las "
                    "respuestas esperan y salen solas cuando se libere el cupo; nada se pierde.",
                )
            raise
        except DeliveryUnknown as exc:
            return await self._hand_off(task, mail, str(exc), decision.intent)
        except _OverCap:
            # Others to this address were reserved while this one was being answered.
            log.info("message_ignored", reason="sender_hourly_cap")
            return store.Outcome(
                "ignored", "ignored", error="ignored: sender_hourly_cap", imap_flags=SEEN
            )
        if folder is not None:
            # Written as a draft: a person reviews and sends it; until then the customer's
            # message stays unread and flagged, and nothing was said to them.
            await self._remember(task, mail, None)
            await self._note(
                task, mail, f"borrador en {folder} para revisar y enviar", kind="draft"
            )
            return store.Outcome(
                "human",
                route,
                intent=decision.intent,
                error=f"a draft waits in {folder} for review",
                imap_flags=FLAGGED,
                prompt_tokens=answer.prompt_tokens,
                completion_tokens=answer.completion_tokens,
                noted=True,
            )
        await self._remember(task, mail, answer.text)
        if answer.follow_up:
            await self._note(task, mail, answer.follow_up, kind="follow_up")
            log.info("reply_needs_follow_up", reason=answer.follow_up)
        return store.Outcome(
            "done",
            route,
            intent=decision.intent,
            imap_flags=ANSWERED,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            noted=answer.follow_up is not None,
        )

    async def _remember(self, task: dict[str, Any], mail: parse.Mail, reply: str | None) -> None:
        """The conversation's turns: the customer's new text, and our reply when one went out."""
        customer = mail.reply_address
        thread = thread_key(mail.subject)
        text = mail.new_text.strip()
        if text:
            await self.store.add_turn(
                customer, thread, "customer", task["id"], mail.message_id, text
            )
        if reply:
            await self.store.add_turn(customer, thread, "shop", task["id"], None, reply)

    async def _over_limits(self, task: dict[str, Any], mail: parse.Mail) -> str | None:
        """Per-sender cap and repeated bodies: the last line of defence against loops."""
        recipient = mail.reply_address
        recent = await self.store.replies_to(recipient, hours=1)
        if recent >= self.settings.worker.sender_hourly_cap:
            return "sender_hourly_cap"
        if mail.new_text.strip():
            digest = parse.body_hash(mail.new_text)
            if await self.store.repeated_body(task["id"], mail.sender, digest):
                return "repeated_body"
        return None

    async def _hand_off(
        self, task: dict[str, Any], mail: parse.Mail | None, why: str, intent: str | None
    ) -> store.Outcome:
        await self._note(task, mail, why)
        if mail is not None:
            await self._remember(task, mail, None)
        log.info("message_handed_off", reason=why)
        return store.Outcome("human", "human", intent=intent, error=why, imap_flags=FLAGGED)

    async def _note(
        self, task: dict[str, Any], mail: parse.Mail | None, why: str, *, kind: str = "handoff"
    ) -> None:
        """A line for the admin's digest: who, about what, and what a person must do.

        ``handoff``: held, flagged and unread, nobody answered; ``follow_up``: answered, and
        the answer promised that a person writes.
        """
        sender = mail.sender if mail is not None else task["sender"]
        subject = mail.subject if mail is not None else task["subject"]
        await self.store.add_note(task["id"], kind, f"{sender} · {subject} · {why}")

    async def _send_reply(
        self, task: dict[str, Any], mail: parse.Mail, text: str, channel: str
    ) -> str | None:
        """Send the reply over SMTP (None), or write it as a draft (the folder's name). A retry
        sends, or drafts, exactly what the first attempt wrote to the ledger."""
        try:
            message = draft(self.settings.shop, mail, text)
        except ValueError as exc:
            raise PermanentError(f"cannot address a reply: {exc}") from exc
        row = await self.store.reserve_reply(
            task["id"],
            str(message["Message-ID"]),
            mail.reply_address,
            str(message["Subject"]),
            text,
            hourly_cap=self.settings.worker.sender_hourly_cap,
            channel=channel,
        )
        if row is None:
            raise _OverCap
        if row["message_id"] != message["Message-ID"]:
            message = draft(self.settings.shop, mail, row["body"], message_id=row["message_id"])
        if row["channel"] == "draft":
            if row["status"] == "sent":
                return self.settings.imap.drafts_mailbox
            return await self.ledger.draft(row["id"], message, self.draft_box)
        if row["status"] == "sent":
            log.info("reply_already_sent", reply_id=row["message_id"])
            return None
        if row["status"] in ("sending", "abandoned"):
            raise DeliveryUnknown(
                "an earlier attempt was interrupted while sending the reply; it may or may not "
                f"have been delivered (reply Message-ID {row['message_id']})"
            )
        await self.ledger.deliver(row["id"], message)
        log.info("reply_sent", reply_id=row["message_id"])
        await self._save_sent_copy(message)
        return None

    async def _save_sent_copy(self, message: EmailMessage) -> None:
        """The owner sees in Sent what the shop said (smtp.save_sent). The reply has left
        already: a copy that cannot be saved is logged, never a reason to send again."""
        if self.sent_box is None:
            return
        try:
            await self.sent_box.put(message)
        except (imap.ImapError, imap.ImapLoginError) as exc:
            log.warning("sent_copy_not_saved", reply_id=str(message["Message-ID"]), error=str(exc))


def draft(
    shop: ShopSettings, mail: parse.Mail, text: str, *, message_id: str | None = None
) -> EmailMessage:
    """The reply to ``mail`` saying ``text``, from the shop, in the mail's thread.

    Raises ValueError when the mail has no address a reply could go to.
    """
    original = compose.Original(
        reply_to=mail.reply_address,
        subject=mail.subject,
        message_id=mail.message_id,
        references=mail.references,
    )
    return compose.reply(
        original,
        text,
        shop_name=shop.name,
        shop_address=shop.address,
        signature=shop.signature,
        message_id=message_id,
    )


class _OverCap(Exception):
    """The recipient's hourly cap was reached when the reply was to be reserved."""
