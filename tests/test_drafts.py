"""Review before send: answers written as drafts in the shop's own mailbox (real Dovecot with
special-use folders), at most once, threaded, and the customer's message left for a person."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import imaplib
import smtplib
from email.message import Message
from pathlib import Path

import pytest

from tests.fixtures.daemon import SHOP, Wired, wait_until
from tests.test_llm_pipeline import PRODUCT_QUESTION, customer_replies, groq, settings_for
from tests.test_pipeline import FAQ_QUESTIONS, mail
from voidmail import config, review, stats
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.groq_emulator import GroqEmulator
from voidmail.rig.smtp_sink import SmtpSink

__all__ = ["groq"]
pytestmark = pytest.mark.timeout(180)


def drafts_in(dovecot: Dovecot) -> list[tuple[frozenset[str], Message]]:
    """Every message of the Drafts folder: its flags and the message."""
    found = []
    with imaplib.IMAP4(dovecot.host, dovecot.port) as conn:
        conn.login(dovecot.username, dovecot.password)
        conn.select("Drafts", readonly=True)
        _, data = conn.uid("SEARCH", "ALL")
        for uid in data[0].split():
            _, parts = conn.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
            head, raw = parts[0]
            flags = frozenset(imaplib.ParseFlags(head))
            found.append((frozenset(f.decode() for f in flags), email.message_from_bytes(raw)))
    return found


def reviewing(
    settings: config.Settings, *, faq: config.Review = "send", llm: config.Review = "draft"
) -> config.Settings:
    return dataclasses.replace(settings, review=config.ReviewSettings(faq=faq, llm=llm))


async def test_an_llm_answer_becomes_one_threaded_draft_and_the_mail_waits_flagged(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    uid = dovecot.append(mail(1, PRODUCT_QUESTION, subject="Buzo"))
    settings = reviewing(
        settings_for(dovecot, smtp_sink, database_url, tmp_path, groq), faq="send", llm="draft"
    )
    async with Wired(settings) as p:
        await wait_until(lambda: drafts_in(dovecot), what="the draft")
        await wait_until(lambda: "\\Flagged" in dovecot.flags(uid), what="\\Flagged")
        row = (await p.tasks())["<m1@correo.example>"]
        ledger = await p.store.pool.fetch(
            "SELECT channel, status FROM outbound WHERE kind = 'reply'"
        )
    [(flags, draft)] = drafts_in(dovecot)
    assert {"\\Draft", "\\Seen"} <= flags
    assert draft["In-Reply-To"] == "<m1@correo.example>"
    assert "<m1@correo.example>" in draft["References"]
    assert draft["To"] == "cliente1@correo.example"
    assert str(draft["Subject"]) == "Re: Buzo"
    assert "\\Seen" not in dovecot.flags(uid), "the customer's mail stays unread"
    assert customer_replies(smtp_sink) == [], "nothing was sent to the customer"
    assert (row["status"], row["route"]) == ("human", "llm")
    assert [(r["channel"], r["status"]) for r in ledger] == [("draft", "sent")]


@pytest.mark.parametrize("already_there", [True, False], ids=["after-append", "before-append"])
async def test_a_draft_interrupted_by_a_kill_is_written_exactly_once(
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    tmp_path: Path,
    groq: GroqEmulator,
    already_there: bool,
) -> None:
    dovecot.append(mail(1, PRODUCT_QUESTION, subject="Buzo"))
    settings = reviewing(
        settings_for(dovecot, smtp_sink, database_url, tmp_path, groq), llm="draft"
    )
    async with Wired(settings) as p:
        await wait_until(lambda: drafts_in(dovecot), what="the draft")
        await wait_until(lambda: p.all_finished(1), what="handled")
        # As a kill -9 would leave it: the ledger row still 'sending', the task pending; the
        # APPEND either went through (after-append) or not (before-append).
        await p.store.pool.execute("UPDATE outbound SET status = 'sending'")
        await p.store.pool.execute(
            "UPDATE tasks SET status = 'pending', attempts = 0, finished_at = NULL"
        )
    if not already_there:
        with imaplib.IMAP4(dovecot.host, dovecot.port) as conn:
            conn.login(dovecot.username, dovecot.password)
            conn.select("Drafts")
            conn.uid("STORE", "1:*", "+FLAGS", "(\\Deleted)")
            conn.expunge()
        assert drafts_in(dovecot) == []
    async with Wired(settings) as p:
        await wait_until(lambda: p.status_is("<m1@correo.example>", "human"), what="handled again")
        ledger = await p.store.pool.fetch("SELECT status FROM outbound WHERE kind = 'reply'")
    assert len(drafts_in(dovecot)) == 1
    assert [r["status"] for r in ledger] == ["sent"]
    assert len(groq.requests) >= 1
    assert customer_replies(smtp_sink) == []


async def test_hold_hands_the_message_to_a_person_without_an_answer(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    dovecot.append(mail(1, FAQ_QUESTIONS[0]))
    settings = reviewing(
        settings_for(dovecot, smtp_sink, database_url, tmp_path, groq), faq="hold", llm="send"
    )
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(1), what="handled")
        row = (await p.tasks())["<m1@correo.example>"]
    assert (row["status"], row["error_message"]) == ("human", "review.faq = hold")
    assert customer_replies(smtp_sink) == []
    assert drafts_in(dovecot) == []


def person_acts_on_drafts(dovecot: Dovecot, sink: SmtpSink, edits: dict[str, str | None]) -> None:
    """What an owner does in a mail client, for the draft answering each parent Message-ID:
    a text sends it (the draft's own text when it is "", else that text instead), None deletes
    it. A sent draft goes through SMTP and is saved to Sent; either way it leaves Drafts."""
    with imaplib.IMAP4(dovecot.host, dovecot.port) as conn:
        conn.login(dovecot.username, dovecot.password)
        conn.select("Drafts")
        _, data = conn.uid("SEARCH", "ALL")
        for uid in data[0].split():
            _, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = parts[0][1]
            assert isinstance(raw, bytes)
            draft = email.message_from_bytes(raw, policy=email.policy.SMTP)
            edit = edits[str(draft["In-Reply-To"])]
            if edit is not None:
                if edit:
                    draft.set_content(edit + "\n")
                    raw = draft.as_bytes()
                with smtplib.SMTP(sink.host, sink.port) as smtp:
                    smtp.sendmail(SHOP, [str(draft["To"])], raw)
                conn.append("Sent", "(\\Seen)", None, raw)
            conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        conn.expunge()


async def test_what_became_of_each_draft_is_recorded_and_stats_show_it(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    questions = [f"{PRODUCT_QUESTION} Pregunta {n}." for n in range(3)]
    dovecot.append_many([mail(n, q, subject=f"Buzo {n}") for n, q in enumerate(questions)])
    settings = reviewing(settings_for(dovecot, smtp_sink, database_url, tmp_path, groq))
    settings = dataclasses.replace(
        settings, review=dataclasses.replace(settings.review, check_seconds=0.2)
    )
    async with Wired(settings) as p:
        await wait_until(lambda: len(drafts_in(dovecot)) == 3, what="three drafts")
        person_acts_on_drafts(
            dovecot,
            smtp_sink,
            {
                "<m0@correo.example>": "",  # sent as written
                "<m1@correo.example>": "Hola! Sí, nos queda en talle L, pasá por el local.",
                "<m2@correo.example>": None,  # deleted
            },
        )

        async def all_reviewed() -> bool:
            rows = await p.store.pool.fetch("SELECT review FROM outbound WHERE review IS NOT NULL")
            return len(rows) == 3 and all(r["review"] != "pending" for r in rows)

        await wait_until(all_reviewed, what="a verdict for every draft")
        rows = await p.store.pool.fetch(
            "SELECT t.message_id, o.review, o.review_similarity FROM outbound o "
            "JOIN tasks t ON t.id = o.task_id"
        )
        report = await stats.collect(p.store, 3600, settings.llm)
        statuses = await p.statuses()
        turns = await p.store.pool.fetch("SELECT task_id, body FROM turns WHERE role = 'shop'")
    assert statuses == {
        "<m0@correo.example>": "done",  # sent by a person: answered
        "<m1@correo.example>": "done",
        "<m2@correo.example>": "human",  # discarded: still a person's to answer
    }
    assert any("pasá por el local" in t["body"] for t in turns), "the edited text is the turn"
    verdicts = {r["message_id"]: (r["review"], r["review_similarity"]) for r in rows}
    assert verdicts["<m0@correo.example>"][0] == "approved"
    assert verdicts["<m0@correo.example>"][1] >= review.SAME
    assert verdicts["<m1@correo.example>"][0] == "edited"
    assert verdicts["<m1@correo.example>"][1] < review.SAME
    assert verdicts["<m2@correo.example>"] == ("discarded", None)
    [line] = report["reviews"]
    assert (line["route"], line["drafts"], line["approved"], line["edited"], line["discarded"]) == (
        "llm", 3, 1, 1, 1,
    )  # fmt: skip
    assert "drafts (route/intent)" in stats.render(report)


async def test_a_draft_sent_between_the_two_looks_is_not_taken_for_discarded(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    """The tracker looks in Sent, then in Drafts. A person who sends the draft in between
    (saved to Sent, then removed from Drafts) has sent it: it must not count as discarded."""
    dovecot.append(mail(0, PRODUCT_QUESTION, subject="Buzo"))
    settings = reviewing(settings_for(dovecot, smtp_sink, database_url, tmp_path, groq))

    class SentInBetween(review.ReviewTracker):
        acted = False

        async def _look_in_sent(self, connection, drafts):  # type: ignore[no-untyped-def]
            unsent = await super()._look_in_sent(connection, drafts)
            if not self.acted:  # the person acts right after the first look
                self.acted = True
                person_acts_on_drafts(dovecot, smtp_sink, {"<m0@correo.example>": ""})
            return unsent

    async with Wired(settings) as p:
        await wait_until(lambda: len(drafts_in(dovecot)) == 1, what="a draft")
        # The draft is in the folder before its row is pending in the database.
        await wait_until(lambda: p.all_finished(1), what="the draft recorded")
        assert await SentInBetween(settings, p.store).check() == 1
        statuses = await p.statuses()
        [row] = await p.store.pool.fetch("SELECT review FROM outbound")
    assert row["review"] == "approved"
    assert statuses == {"<m0@correo.example>": "done"}


def test_similarity_ignores_spacing_and_case_and_tells_a_rewrite() -> None:
    assert review.similarity("Hola,  lo tenemos en L.", "hola, lo tenemos en l.") == 1.0
    assert review.similarity("Lo tenemos en L.", "No nos queda, perdón.") < review.SAME


async def test_a_sent_reply_is_copied_to_sent_once(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    dovecot.append(mail(1, FAQ_QUESTIONS[0]))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    assert settings.smtp.saves_sent_copy, "auto saves a copy on a server that keeps none"
    async with Wired(settings) as p:
        await wait_until(lambda: p.status_is("<m1@correo.example>", "done"), what="the reply")
        await wait_until(lambda: dovecot.messages("Sent"), what="the copy in Sent")
        # A second look (as after a retry) finds it there and adds nothing.
        reply = customer_replies(smtp_sink)[0]
        await p.daemon.responder.sent_box.put(reply)  # type: ignore[attr-defined]
    [copy] = dovecot.messages("Sent")
    assert copy.message_id == reply["Message-ID"]
    assert "\\Seen" in copy.flags
    assert len(customer_replies(smtp_sink)) == 1


@pytest.mark.parametrize(
    ("host", "save_sent", "saves"),
    [
        ("smtp.gmail.com", "auto", False),  # Gmail keeps a copy of what goes through it
        ("smtp.googlemail.com", "auto", False),
        ("smtp.office365.com", "auto", True),
        ("mail.tienda.example", "auto", True),
        ("smtp.gmail.com", "yes", True),
        ("mail.tienda.example", "no", False),
    ],
)
def test_save_sent_auto_skips_servers_that_keep_a_copy(
    host: str, save_sent: str, saves: bool
) -> None:
    smtp = config.SmtpSettings(host=host, save_sent=save_sent)  # type: ignore[arg-type]
    assert smtp.saves_sent_copy is saves
