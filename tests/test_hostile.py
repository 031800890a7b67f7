"""Hostile mail through every stage that reads it, then through the running daemon.

Every stage must read anything without an exception or a stall (each case has a deadline far
below what the super-linear code it replaced needed), no reply may carry a header or recipient
the customer wrote, and the daemon must record every message and keep answering.
"""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from tests import hostile
from tests.fixtures.daemon import SHOP, Wired, rig_settings, wait_until
from voidmail import compose, config, faq, guard, listener, parse, respond, triage
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.smtp_sink import SmtpSink

pytestmark = pytest.mark.timeout(60)

CASES = hostile.cases()
ANSWERS = faq.load(config.DATA_DIR / "faq.toml", {})
SHOP_SETTINGS = config.ShopSettings(name="Tienda", address=SHOP)


def read(raw: bytes) -> tuple[listener.HeaderSummary, parse.Mail, EmailMessage | None]:
    """Every stage a message goes through before a reply is sent."""
    header = listener.summarize(raw, len(raw))
    mail = parse.parse(raw)
    guard.check(mail, frozenset({SHOP}), frozenset({"tienda.example"}))
    triage.decide(mail, ANSWERS)
    try:
        reply = respond.draft(SHOP_SETTINGS, mail, "Gracias por escribir.")
    except ValueError:
        reply = None
    return header, mail, reply


def wire_headers(reply: EmailMessage) -> EmailMessage:
    """The reply as its recipient's program reads it: serialised, then parsed again."""
    parsed = message_from_bytes(reply.as_bytes(), policy=SMTP)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_stage_reads_hostile_mail(name: str) -> None:
    header, mail, reply = read(CASES[name])
    stored = [header.key, header.message_id or "", header.sender, header.subject]
    assert not any("\x00" in value for value in stored)
    assert len(header.sender) <= parse.MAX_ADDRESS_CHARS
    assert len(header.subject) <= listener.MAX_SUBJECT_CHARS
    assert len(header.key) <= listener.MAX_ID_CHARS
    if reply is not None:
        seen = wire_headers(reply)
        assert seen["Bcc"] is None
        assert seen["X-Evil"] is None
        assert seen["To"] == compose.recipient(mail.reply_address)
        assert sorted(seen.keys()) == sorted(reply.keys())


def test_identifiers_are_written_as_they_came_never_decoded() -> None:
    _, mail, reply = read(CASES["message-id-encoded-crlf"])
    assert reply is not None
    raw = reply.as_bytes()
    assert f"In-Reply-To: {mail.message_id}\r\n".encode() in raw
    assert b"robo@evil.example" not in raw
    _, mail, reply = read(CASES["references-crlf-word"])
    assert reply is not None
    assert b"X-Evil" not in reply.as_bytes()


def test_a_long_outlook_message_id_still_threads() -> None:
    _, mail, reply = read(CASES["message-id-outlook-long"])
    assert reply is not None
    seen = wire_headers(reply)
    assert len(mail.message_id or "") > 77
    assert seen["In-Reply-To"] == mail.message_id
    assert "=?" not in reply.as_bytes().decode("ascii")


def test_a_subject_that_looks_encoded_is_decoded_once() -> None:
    _, _, reply = read(CASES["subject-encoded-twice"])
    assert reply is not None
    seen = wire_headers(reply)
    assert seen["Subject"] == "Re: =?utf-8?q?x=0D=0ABcc:_robo@evil.example?="
    assert seen["Bcc"] is None


def test_an_internationalised_domain_goes_out_in_idna() -> None:
    _, mail, reply = read(CASES["from-idn-domain"])
    assert mail.sender == "ana@café.example"
    assert reply is not None
    assert wire_headers(reply)["To"] == "ana@xn--caf-dma.example"


def test_an_overlong_or_broken_sender_is_refused_never_cut() -> None:
    header, mail, reply = read(CASES["from-3000-char-address"])
    assert header.sender == ""
    assert mail.sender == ""
    assert reply is None
    _, mail, reply = read(CASES["from-double-dot-domain"])
    assert reply is None


def test_a_body_in_an_unusable_charset_is_still_read() -> None:
    for name in ("body-nul-charset", "body-undefined-charset"):
        _, mail, _ = read(CASES[name])
        assert "hacen env" in mail.text, name
        assert mail.sender.startswith("cliente-")
        assert mail.sender.endswith("@correo.example")


def test_mutants_of_real_mail_never_break_a_stage() -> None:
    for raw in hostile.mutants(1500, seed=20261206):
        read(raw)


# -- through the daemon -----------------------------------------------------------------------


async def test_no_hostile_mail_stops_the_inbox(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    uids = dovecot.append_many(list(CASES.values()))
    question = hostile.message(
        {b"Message-ID": b"<after@correo.example>", b"From": b"Rosa <rosa@correo.example>"}
    )
    last = dovecot.append(question)
    settings = rig_settings(
        dovecot, database_url, tmp_path, smtp_sink, daemon={"notify_delay": 0.5}
    )
    async with Wired(settings) as p:
        await wait_until(
            lambda: p.status_is("<after@correo.example>", "done"), within=90, what="the FAQ reply"
        )
        rows = await p.store.pool.fetch("SELECT uid, status, route FROM tasks")
        await wait_until(
            lambda: all(r["status"] != "pending" for r in rows), what="every message handled"
        )
    recorded = {r["uid"] for r in rows}
    assert recorded == {*uids, last}, "every message is recorded, none skipped"
    for name in ("body-nul-charset", "from-double-dot-domain"):
        status = next(r["status"] for r in rows if r["uid"] == uids[list(CASES).index(name)])
        assert status in ("human", "done"), f"{name} went to {status}, not to a person"
    replied = [m.message for m in smtp_sink.messages if m.message["In-Reply-To"]]
    assert all(m["Bcc"] is None and m["X-Evil"] is None for m in replied)
