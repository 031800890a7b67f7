"""End to end: real Dovecot, real SMTP sink, real PostgreSQL, the real responder.

The crash test runs ``python -m voidmail run`` as a user would and kills it with SIGKILL in
the middle of a batch, several times.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import pytest

from tests.fixtures.daemon import SHOP, Wired, rig_settings, wait_until
from voidmail import dlq, mailer
from voidmail.config import Secret
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.smtp_sink import SmtpSink

pytestmark = pytest.mark.timeout(300)
REPO = Path(__file__).resolve().parent.parent

FAQ_QUESTIONS = [
    "Hola, ¿hacen envíos a todo el país?",
    "Buenas, ¿qué medios de pago aceptan?",
    "Hola! ¿cómo hago para cambiar una prenda por otro talle?",
    "¿Tienen guía de talles?",
    "Hola, ¿cuánto tarda en llegar un envío?",
]


def mail(
    n: int,
    body: str,
    *,
    subject: str = "Consulta",
    sender: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender or f"Cliente {n} <cliente{n}@correo.example>"
    msg["To"] = SHOP
    msg["Subject"] = subject
    msg["Message-ID"] = f"<m{n}@correo.example>"
    msg["Date"] = "Tue, 24 Nov 2026 10:00:00 -0300"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(f"{body}\n\nGracias, cliente {n}")
    return msg.as_bytes()


class Pipeline(Wired):
    """The real daemon with the real responder (no LLM key: the FAQ and handoffs only)."""

    def __init__(
        self,
        dovecot: Dovecot,
        sink: SmtpSink,
        database_url: str,
        state_dir: Path,
        *,
        imap_password: Secret | None = None,
    ) -> None:
        """With ``imap_password`` (a wrong one) the daemon is not waited for to be ready."""
        settings = rig_settings(
            dovecot, database_url, state_dir, sink,
            daemon={"notify_delay": 0.5, "shutdown_timeout": 5.0},
        )  # fmt: skip
        if imap_password is not None:
            imap = dataclasses.replace(settings.imap, password=imap_password)
            settings = dataclasses.replace(settings, imap=imap)
        super().__init__(settings, wait_ready=imap_password is None)


def replies_to(sink: SmtpSink) -> Counter[str]:
    return Counter(str(m.message["In-Reply-To"]) for m in sink.messages if m.message["In-Reply-To"])


async def test_faq_question_gets_a_threaded_reply(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    uid = dovecot.append(
        mail(1, FAQ_QUESTIONS[0], subject="RE: Re: envíos", headers={"References": "<a@b.c>"})
    )
    async with Pipeline(dovecot, smtp_sink, database_url, tmp_path) as p:
        await wait_until(lambda: smtp_sink.messages, what="a reply")
        await wait_until(lambda: "\\Answered" in dovecot.flags(uid), what="\\Answered")
        statuses = await p.statuses()
    reply = smtp_sink.messages[0].message
    assert reply["To"] == "cliente1@correo.example"
    assert reply["From"].addresses[0].addr_spec == SHOP
    assert reply["Subject"] == "Re: envíos"
    assert reply["In-Reply-To"] == "<m1@correo.example>"
    assert reply["References"].split() == ["<a@b.c>", "<m1@correo.example>"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Message-ID"].endswith("@tienda.example>")
    assert reply["Date"]
    assert reply.get_content_type() == "text/plain"
    assert reply.get_content_charset() == "utf-8"
    assert "envío" in reply.get_content().lower()
    assert statuses["<m1@correo.example>"] == "done"
    assert dovecot.flags(uid) >= {"\\Seen", "\\Answered"}


async def test_a_reply_is_recorded_sent_once_the_server_took_it_not_after_quit(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    # A server that would hang at QUIT: the reply is "sent" (and the task done) the moment the
    # server takes the data, before any QUIT (the connection is even kept for the next reply),
    # so a kill now would find it done after a restart, not "sending" (handed to a person).
    smtp_sink.hold_quit()
    dovecot.append(mail(1, FAQ_QUESTIONS[1]))
    async with Pipeline(dovecot, smtp_sink, database_url, tmp_path) as p:
        await wait_until(lambda: p.status_is("<m1@correo.example>", "done"), what="done")
        ledger = await p.store.pool.fetch("SELECT status FROM outbound")
        assert smtp_sink.quits_held == 0  # nothing has said QUIT yet
        smtp_sink.release_quit()
    assert [row["status"] for row in ledger] == ["sent"]
    assert len(smtp_sink.messages) == 1


async def test_auto_reply_is_ignored_and_a_complaint_goes_to_a_person(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    vacation = dovecot.append(
        mail(2, "Estoy de vacaciones hasta el lunes.", subject="Respuesta automática: Consulta",
             headers={"Auto-Submitted": "auto-replied"})
    )  # fmt: skip
    complaint = dovecot.append(
        mail(3, "Me cobraron dos veces el pedido 4411 y nadie me responde. Quiero el reembolso.",
             subject="Cobro duplicado")
    )  # fmt: skip
    async with Pipeline(dovecot, smtp_sink, database_url, tmp_path) as p:
        await wait_until(lambda: "\\Flagged" in dovecot.flags(complaint), what="flagged")
        await wait_until(lambda: "\\Seen" in dovecot.flags(vacation), what="seen")
        # The admin gets one digest naming the complaint.
        await wait_until(lambda: smtp_sink.messages, what="the admin's digest")
        statuses = await p.statuses()
    assert statuses == {"<m2@correo.example>": "ignored", "<m3@correo.example>": "human"}
    assert "\\Seen" not in dovecot.flags(complaint), "handed-off mail stays unread"
    assert [m.message["To"] for m in smtp_sink.messages] == ["duena@tienda.example"]
    assert "cliente3@correo.example" in smtp_sink.messages[0].message.get_content()


async def test_smtp_4xx_is_retried_and_5xx_parks_the_task(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    smtp_sink.fail_next(451, count=1)
    dovecot.append(mail(4, FAQ_QUESTIONS[1]))
    async with Pipeline(dovecot, smtp_sink, database_url, tmp_path) as p:
        await wait_until(lambda: smtp_sink.messages, within=60, what="the retried reply")
        smtp_sink.set_failure(550)
        dovecot.append(mail(5, FAQ_QUESTIONS[2], sender="Rosa <rosa@correo.example>"))
        await wait_until(
            lambda: p.status_is("<m5@correo.example>", "dead_letter"), what="dead letter"
        )
        statuses = await p.statuses()
    assert statuses["<m4@correo.example>"] == "done"
    assert replies_to(smtp_sink) == Counter({"<m4@correo.example>": 1})


CONFIG = """
[imap]
host = "127.0.0.1"
port = {imap_port}
security = "plain"
username = "{user}"
password = "{password}"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "plain"

[shop]
name = "Tienda Mendoza"
address = "{shop}"
admin_email = ""

[database]
url = "{database_url}"

[daemon]
state_dir = "{state_dir}"
log_level = "warning"

[worker]
concurrency = 4
"""


def write_config(tmp_path: Path, dovecot: Dovecot, sink: SmtpSink, database_url: str) -> Path:
    """A voidmail.toml for ``python -m voidmail run`` against the rig; returns its path."""
    path = tmp_path / "voidmail.toml"
    path.write_text(
        CONFIG.format(
            imap_port=dovecot.port, user=dovecot.username, password=dovecot.password,
            smtp_port=sink.port, shop=SHOP, database_url=database_url,
            state_dir=tmp_path / "state",
        ),
        encoding="utf-8",
    )  # fmt: skip
    return path


async def test_sigkill_mid_batch_loses_nothing_and_duplicates_nothing(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    count = 50
    dovecot.append_many([mail(n, FAQ_QUESTIONS[n % len(FAQ_QUESTIONS)]) for n in range(count)])
    config_path = write_config(tmp_path, dovecot, smtp_sink, database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    rng = random.Random(20261125)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "voidmail", "--config", str(config_path), "run"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(3):
            process = start()
            target = len(smtp_sink.messages) + rng.randint(3, 10)
            await wait_until(
                lambda: len(smtp_sink.messages) >= target or process.poll() is not None,  # noqa: B023
                within=60, what="some replies before the kill",
            )  # fmt: skip
            assert process.poll() is None, process.communicate()[1].decode()[-2000:]
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)

        process = start()

        async def all_finished() -> bool:
            n = await conn.fetchval(
                "SELECT count(*) FROM tasks WHERE status IN ('done', 'human') "
                "AND duplicate_of IS NULL"
            )
            return bool(n == count)

        await wait_until(all_finished, within=120, what="every message to finish")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert b"Traceback" not in stderr

        rows = await conn.fetch("SELECT message_id, status, error_message FROM tasks")
    finally:
        await conn.close()

    per_message = replies_to(smtp_sink)
    assert max(per_message.values()) == 1, "a reply was sent twice"
    finished = {r["message_id"]: r["status"] for r in rows}
    assert len(finished) == count, "a message was lost"
    answered = {m for m, s in finished.items() if s == "done"}
    assert answered <= set(per_message), "a message marked done has no reply"
    uncertain = [r for r in rows if r["status"] == "human"]
    # A kill can land while the server takes a reply's data: such a message goes to a person
    # instead of being sent again. Everything else is answered exactly once.
    assert all("may or may not" in (r["error_message"] or "") for r in uncertain)
    assert set(per_message) <= set(finished), "a reply went to a message we never recorded"


async def test_an_encoded_crlf_in_the_subject_injects_no_header(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    raw = (
        b"From: Cliente <cliente9@correo.example>\r\nTo: " + SHOP.encode() + b"\r\n"
        b"Subject: =?utf-8?q?Env=C3=ADos=0D=0ABcc:_robo@evil.example=0D=0AX-Evil:_1?=\r\n"
        b"Message-ID: <m9@correo.example>\r\nDate: Tue, 24 Nov 2026 10:00:00 -0300\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Hola, \xc2\xbfqu\xc3\xa9 medios de pago aceptan?\r\n"
    )
    # The body asks a canned question (the subject, full of words no answer covers, only
    # names the thread), so the reply is the FAQ's, sent with the decoded subject.
    dovecot.append(raw)
    async with Pipeline(dovecot, smtp_sink, database_url, tmp_path):
        await wait_until(lambda: smtp_sink.messages, what="a reply")
    received = smtp_sink.messages[0]
    reply = received.message
    assert reply["Bcc"] is None
    assert reply["X-Evil"] is None
    assert "\n" not in reply["Subject"]
    assert reply["Subject"].startswith("Re: Envíos")
    assert received.rcpt_tos == ("cliente9@correo.example",)


async def test_a_refused_imap_login_alerts_the_admin_once(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    wrong = Pipeline(dovecot, smtp_sink, database_url, tmp_path, imap_password=Secret("wrong"))
    async with wrong:
        await wait_until(lambda: smtp_sink.messages, within=60, what="the admin's alert")
    [alert] = [m.message for m in smtp_sink.messages]
    assert alert["To"] == "duena@tienda.example"
    assert "imap.password" in alert.get_content()
    assert "wrong" not in alert.get_content()


async def test_the_hourly_cap_holds_with_every_worker_answering_one_sender(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    sender = "Insistente <insistente@correo.example>"
    dovecot.append_many([mail(n, FAQ_QUESTIONS[n % 5], sender=sender) for n in range(8)])
    settings = rig_settings(
        dovecot, database_url, tmp_path, smtp_sink,
        worker={"concurrency": 4, "sender_hourly_cap": 2, "retry_base": 1.0},
        shop={"admin_email": ""},
    )  # fmt: skip
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(8), what="eight messages handled", within=60)
        statuses = Counter((await p.statuses()).values())
    assert len([m for m in smtp_sink.messages if m.message["In-Reply-To"]]) == 2
    assert statuses == Counter({"done": 2, "ignored": 6})


async def test_a_purged_dead_letter_never_comes_back(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    smtp_sink.set_failure(550)
    dovecot.append(mail(6, FAQ_QUESTIONS[0]))
    async with Pipeline(dovecot, smtp_sink, database_url, tmp_path) as p:
        await wait_until(lambda: p.status_is("<m6@correo.example>", "dead_letter"), what="parked")
        assert await dlq.purge(p.store, 0) == 1
        smtp_sink.set_failure(None)
        dovecot.append(mail(7, FAQ_QUESTIONS[1]))
        await wait_until(lambda: p.status_is("<m7@correo.example>", "done"), what="next mail")
    # A restart reads the mailbox afresh: the purged message is still unread there.
    async with Pipeline(dovecot, smtp_sink, database_url, tmp_path) as p:
        dovecot.append(mail(8, FAQ_QUESTIONS[2]))
        await wait_until(lambda: p.status_is("<m8@correo.example>", "done"), what="after restart")
        rows = await p.store.pool.fetch("SELECT id, message_id, status FROM tasks ORDER BY id")
        body = await p.store.body(rows[0]["id"]) if rows else None
    assert [(r["message_id"], r["status"]) for r in rows] == [
        ("<m6@correo.example>", "purged"),
        ("<m7@correo.example>", "done"),
        ("<m8@correo.example>", "done"),
    ]
    assert body is None


async def test_forged_mail_gets_no_reply_and_a_planted_verdict_changes_nothing(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    fail = (
        "mx.google.com; dkim=none; spf=fail smtp.mailfrom=cliente1@correo.example; "
        "dmarc=fail (p=REJECT) header.from=correo.example"
    )
    passed = (
        "mx.google.com; dkim=pass header.i=@correo.example; spf=pass "
        "smtp.mailfrom=cliente2@correo.example; dmarc=pass header.from=correo.example"
    )
    forged = b"Authentication-Results: " + fail.encode() + b"\r\n" + mail(1, FAQ_QUESTIONS[0])
    # Written by the sender (below the server's header): it must change nothing.
    planted = (
        b"Authentication-Results: " + passed.encode() + b"\r\n"
        + b"Authentication-Results: " + fail.replace("cliente1", "cliente2").encode() + b"\r\n"
        + mail(2, FAQ_QUESTIONS[1])
    )  # fmt: skip
    dovecot.append_many([forged, planted])
    settings = rig_settings(
        dovecot, database_url, tmp_path, smtp_sink,
        guard={"authserv_id": "mx.google.com"}, shop={"admin_email": ""},
    )  # fmt: skip
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(2), what="both handled")
        rows = await p.tasks()
    assert rows["<m1@correo.example>"]["status"] == "ignored"
    assert rows["<m1@correo.example>"]["error_message"] == "ignored: dmarc_fail"
    assert rows["<m2@correo.example>"]["status"] == "done"
    assert [m.message["To"] for m in smtp_sink.messages] == ["cliente2@correo.example"]


async def test_a_spent_sending_quota_makes_replies_wait_not_die(
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Gmail after ~500 recipients in 24 h: a 5xx that clears as the window rolls on.
    monkeypatch.setattr(mailer, "QUOTA_RETRY", 1.0)
    smtp_sink.fail_next(550, count=2, text="5.4.5 Daily user sending limit exceeded.")
    dovecot.append(mail(1, FAQ_QUESTIONS[0]))
    settings = rig_settings(
        dovecot, database_url, tmp_path, smtp_sink,
        worker={"max_attempts": 1, "retry_base": 1.0}, daemon={"notify_delay": 0.2},
    )  # fmt: skip
    async with Wired(settings) as p:
        await wait_until(
            lambda: p.status_is("<m1@correo.example>", "done"), within=60, what="the late reply"
        )
        notes = await p.store.pool.fetch("SELECT note FROM admin_notes WHERE kind = 'alert'")
    # max_attempts = 1, yet two refusals did not dead-letter it: quota waits cost no attempt.
    assert [m.message["To"] for m in smtp_sink.messages if m.message["In-Reply-To"]] == [
        "cliente1@correo.example"
    ]
    assert len(notes) == 1, "the admin is told once per incident"
    assert "cupo" in notes[0]["note"]


async def test_max_per_day_holds_replies_back_within_the_mailboxs_quota(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    dovecot.append_many([mail(n, FAQ_QUESTIONS[n]) for n in range(3)])
    settings = rig_settings(dovecot, database_url, tmp_path, smtp_sink, shop={"admin_email": ""})
    settings = dataclasses.replace(settings, smtp=dataclasses.replace(settings.smtp, max_per_day=2))
    async with Wired(settings) as p:
        await wait_until(lambda: len(smtp_sink.messages) == 2, what="two replies")

        async def third_waits() -> bool:
            rows = await p.tasks()
            return [r["status"] for r in rows.values()].count("failed") == 1

        await wait_until(third_waits, what="the third reply waiting")
        rows = await p.tasks()
    waiting = [r for r in rows.values() if r["status"] == "failed"]
    assert "max_per_day" in waiting[0]["error_message"]
    assert waiting[0]["attempts"] == 0, "waiting for the quota spends no attempt"
    assert len(smtp_sink.messages) == 2
