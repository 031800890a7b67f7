"""Review before send: answers written as drafts in the shop's own mailbox (real Dovecot with
special-use folders), at most once, threaded, and the customer's message left for a person."""

from __future__ import annotations

import dataclasses
import email
import imaplib
from email.message import Message
from pathlib import Path

import pytest

from tests.fixtures.daemon import Wired, wait_until
from tests.test_llm_pipeline import PRODUCT_QUESTION, customer_replies, groq, settings_for
from tests.test_pipeline import FAQ_QUESTIONS, mail
from voidmail import config
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
