"""The real-server rig: Dovecot over IMAP/IMAPS/STARTTLS and IDLE, the SMTP sink, the certs."""

# The fixtures dovecot, rig_certs and smtp_sink come from tests/fixtures/mailservers.py by way
# of tests/conftest.py.

from __future__ import annotations

import asyncio
import imaplib
import logging
import os
import socket
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

import aioimaplib
import aiosmtplib
import pytest

from tests.fixtures.mailservers import dovecot_base_dir
from voidmail.rig.certs import CertBundle, make_certs
from voidmail.rig.dovecot import Dovecot, DovecotError
from voidmail.rig.smtp_sink import SmtpSink

TIMEOUT = 10.0


def raw_message(n: int, subject: str = "Order question") -> bytes:
    return (
        f"From: Customer {n} <customer{n}@example.org>\r\n"
        f"To: shop@example.test\r\n"
        f"Subject: {subject} {n}\r\n"
        f"Message-ID: <msg-{n}@example.org>\r\n"
        f"\r\n"
        f"Where is my order {n}?\r\n"
    ).encode()


def outgoing(subject: str = "Re: Order question") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "shop@example.test"
    msg["To"] = "customer@example.org"
    msg["Subject"] = subject
    msg.set_content("Your order ships tomorrow. Grüße!\n")
    return msg


def group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is left in the process group."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


# -- certificates -------------------------------------------------------------------------


def test_make_certs_rejects_bad_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="host name"):
        make_certs(tmp_path, hostnames=["bad name"])
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        make_certs(tmp_path, ip_addresses=["300.1.2.3"])


def test_certs_from_another_ca_are_not_trusted(
    rig_certs: CertBundle, dovecot: Dovecot, tmp_path: Path
) -> None:
    other = make_certs(tmp_path)
    assert other.ca_cert.read_bytes() != rig_certs.ca_cert.read_bytes()
    assert oct(other.server_key.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(dovecot.host, dovecot.tls_port, ssl_context=other.client_context())


# -- Dovecot: connections ------------------------------------------------------------------


def test_login_over_plaintext_port(dovecot: Dovecot) -> None:
    with imaplib.IMAP4(dovecot.host, dovecot.port, timeout=TIMEOUT) as conn:
        assert "STARTTLS" in conn.capabilities
        assert conn.login(dovecot.username, dovecot.password)[0] == "OK"
        assert conn.select(dovecot.mailbox) == ("OK", [b"0"])
    with (
        imaplib.IMAP4(dovecot.host, dovecot.port, timeout=TIMEOUT) as conn,
        pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"),
    ):
        conn.login(dovecot.username, dovecot.password + "x")
    # No auth penalty: after a failure, the next login from 127.0.0.1 is not held back for
    # seconds (Dovecot's default would be 2 s, growing to 15 s).
    began = time.monotonic()
    with imaplib.IMAP4(dovecot.host, dovecot.port, timeout=TIMEOUT) as conn:
        assert conn.login(dovecot.username, dovecot.password)[0] == "OK"
    assert time.monotonic() - began < 1.5


def test_imaps_verifies_against_the_ca(dovecot: Dovecot) -> None:
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with imaplib.IMAP4_SSL(
        dovecot.host, dovecot.tls_port, ssl_context=context, timeout=TIMEOUT
    ) as conn:
        assert conn.login(dovecot.username, dovecot.password)[0] == "OK"
        assert conn.sock.version() in {"TLSv1.2", "TLSv1.3"}  # type: ignore[attr-defined]
    # Without the CA the system trust store cannot verify the throwaway certificate.
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(dovecot.host, dovecot.tls_port, ssl_context=ssl.create_default_context())


def test_starttls_on_the_plain_port(dovecot: Dovecot) -> None:
    with imaplib.IMAP4(dovecot.host, dovecot.port, timeout=TIMEOUT) as conn:
        typ, _ = conn.starttls(ssl_context=dovecot.certs.client_context())
        assert typ == "OK"
        assert isinstance(conn.sock, ssl.SSLSocket)
        assert conn.login(dovecot.username, dovecot.password)[0] == "OK"


# -- Dovecot: mail helpers -----------------------------------------------------------------


def test_append_returns_increasing_uids_seen_by_messages(dovecot: Dovecot) -> None:
    first = dovecot.append(raw_message(1))
    second = dovecot.append(raw_message(2).replace(b"\r\n", b"\n"), flags=["\\Seen", "NonJunk"])
    assert 0 < first < second
    infos = dovecot.messages()
    assert [(m.uid, m.message_id) for m in infos] == [
        (first, "<msg-1@example.org>"),
        (second, "<msg-2@example.org>"),
    ]
    assert infos[0].flags == frozenset()
    assert dovecot.flags(second) == {"\\Seen", "NonJunk"}
    with pytest.raises(KeyError):
        dovecot.flags(second + 100)

    dovecot.set_flags(first, ["\\Answered"])
    assert dovecot.flags(first) == {"\\Answered"}
    dovecot.expunge([first])
    assert [m.uid for m in dovecot.messages()] == [second]

    with pytest.raises(ValueError, match="flag"):
        dovecot.append(raw_message(3), flags=["bad flag"])
    with pytest.raises(DovecotError, match="APPEND"):
        dovecot.append(raw_message(3), mailbox="NoSuchBox")


def test_append_many_thousands(dovecot: Dovecot) -> None:
    raws = [raw_message(n) for n in range(2000)]
    began = time.monotonic()
    uids = dovecot.append_many(raws)
    elapsed = time.monotonic() - began
    print(f"append_many: 2000 messages in {elapsed:.3f} s")
    assert uids == list(range(uids[0], uids[0] + 2000))
    infos = dovecot.messages()
    assert len(infos) == 2000
    assert infos[-1].message_id == "<msg-1999@example.org>"
    assert dovecot.append(raw_message(2000)) == uids[-1] + 1


def test_mailboxes_and_uidvalidity(dovecot: Dovecot) -> None:
    dovecot.create_mailbox("Kunden/Rückfragen")
    dovecot.create_mailbox("Kunden/Rückfragen", exist_ok=True)
    with pytest.raises(DovecotError, match="CREATE"):
        dovecot.create_mailbox("Kunden/Rückfragen")
    uid = dovecot.append(raw_message(1), mailbox="Kunden/Rückfragen")
    assert [m.uid for m in dovecot.messages("Kunden/Rückfragen")] == [uid]
    assert dovecot.messages() == []
    assert dovecot.uidvalidity("Sent") > 0

    dovecot.append(raw_message(2))
    before = dovecot.uidvalidity()
    dovecot.change_uidvalidity(before + 7)
    assert dovecot.uidvalidity() == before + 7
    with imaplib.IMAP4(dovecot.host, dovecot.port, timeout=TIMEOUT) as conn:
        conn.login(dovecot.username, dovecot.password)
        conn.select(dovecot.mailbox)
        assert conn.response("UIDVALIDITY") == ("UIDVALIDITY", [str(before + 7).encode()])
    with pytest.raises(ValueError, match="UIDVALIDITY"):
        dovecot.change_uidvalidity(0)


async def test_idle_receives_exists_after_append(dovecot: Dovecot) -> None:
    lost = asyncio.Event()
    client = aioimaplib.IMAP4(
        dovecot.host, dovecot.port, timeout=TIMEOUT, conn_lost_cb=lambda _exc: lost.set()
    )
    try:
        await _idle_until_exists(client, dovecot)
    finally:
        # aioimaplib never closes its transport, not even after LOGOUT: it waits for the
        # server to hang up. When Dovecot's FIN comes after the test's event loop is closed,
        # the socket is left open and reported as unclosed whenever it is garbage-collected.
        transport = client.protocol.transport
        if transport is not None:
            transport.close()
            await asyncio.wait_for(lost.wait(), TIMEOUT)


async def _idle_until_exists(client: aioimaplib.IMAP4, dovecot: Dovecot) -> None:
    await client.wait_hello_from_server()
    assert (await client.login(dovecot.username, dovecot.password)).result == "OK"
    assert (await client.select(dovecot.mailbox)).result == "OK"
    idle = await client.idle_start(timeout=TIMEOUT)
    try:
        appended_at = time.monotonic()
        uid = await asyncio.to_thread(dovecot.append, raw_message(1))
        deadline = appended_at + TIMEOUT
        pushed: list[bytes] = []
        while not any(line.endswith(b"EXISTS") for line in pushed):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no EXISTS push, got {pushed!r}"
            batch = await client.wait_server_push(timeout=remaining)
            assert isinstance(batch, list), batch
            pushed += batch
        latency = time.monotonic() - appended_at
        print(f"IDLE push latency after APPEND: {latency * 1000:.1f} ms")
        assert b"1 EXISTS" in pushed
    finally:
        client.idle_done()
        done = await asyncio.wait_for(idle, TIMEOUT)
    assert done.result == "OK"
    response = await client.uid("fetch", str(uid), "(FLAGS)")
    assert response.result == "OK"
    await client.logout()


def test_restart_keeps_ports_and_mail(dovecot: Dovecot) -> None:
    uid = dovecot.append(raw_message(1))
    port, tls_port, validity = dovecot.port, dovecot.tls_port, dovecot.uidvalidity()
    old_pid = dovecot.pid
    assert old_pid is not None
    conn = imaplib.IMAP4(dovecot.host, dovecot.port, timeout=TIMEOUT)
    try:
        conn.login(dovecot.username, dovecot.password)
        conn.select(dovecot.mailbox)
        dovecot.restart()
        # The old session is gone: the server said BYE or the connection closed.
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            conn.noop()
    finally:
        conn.shutdown()
    assert not group_alive(old_pid)
    assert (dovecot.port, dovecot.tls_port) == (port, tls_port)
    assert [m.uid for m in dovecot.messages()] == [uid]
    assert dovecot.uidvalidity() == validity
    assert dovecot.append(raw_message(2)) == uid + 1

    dovecot.stop(graceful=False)  # like a crash
    assert not dovecot.is_running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((dovecot.host, dovecot.port), timeout=TIMEOUT)
    dovecot.start()
    assert [m.uid for m in dovecot.messages()] == [uid, uid + 1]
    print(f"Dovecot start: {dovecot.last_start_seconds * 1000:.0f} ms")  # type: ignore[operator]


def test_start_failure_reports_the_log(
    request: pytest.FixtureRequest, rig_certs: CertBundle
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        server = Dovecot(
            dovecot_base_dir(request, "dovecot-fail-"),
            certs=rig_certs,
            port=taken.getsockname()[1],
        )
        with pytest.raises(DovecotError, match="Address already in use") as excinfo:
            server.start()
    assert str(server.log_path) in str(excinfo.value)
    assert not server.is_running
    assert server.pid is None


def test_start_is_fast_and_stop_leaves_no_process(
    request: pytest.FixtureRequest, rig_certs: CertBundle
) -> None:
    server = Dovecot(dovecot_base_dir(request, "dovecot-ctx-"), certs=rig_certs)
    with server:
        pid = server.pid
        assert pid is not None
        assert server.last_start_seconds is not None
        print(f"Dovecot start: {server.last_start_seconds * 1000:.0f} ms")
        assert server.last_start_seconds < 5
        assert group_alive(pid)
    assert not group_alive(pid)
    assert server.pid is None


@pytest.mark.root
def test_unsearchable_base_dir_is_refused(tmp_path: Path) -> None:
    # tmp_path lies under pytest's 0700 directories.
    (tmp_path / "private").mkdir(mode=0o700)
    server = Dovecot(tmp_path / "private" / "dovecot")
    with pytest.raises(DovecotError, match="not searchable"):
        server.start()


# -- SMTP sink ----------------------------------------------------------------------------


async def test_sink_records_a_message(smtp_sink: SmtpSink) -> None:
    before = time.monotonic()
    await aiosmtplib.send(
        outgoing(),
        hostname=smtp_sink.host,
        port=smtp_sink.port,
        start_tls=False,
        recipients=["customer@example.org", "cc@example.org"],
        timeout=TIMEOUT,
    )
    assert await smtp_sink.wait_for_async(1, timeout=TIMEOUT)
    [received] = smtp_sink.messages
    assert received.mail_from == "shop@example.test"
    assert received.rcpt_tos == ("customer@example.org", "cc@example.org")
    assert received.message["Subject"] == "Re: Order question"
    assert received.message.get_content() == "Your order ships tomorrow. Grüße!\n"
    assert b"Subject: Re: Order question\r\n" in received.raw
    assert before <= received.received_monotonic <= time.monotonic()
    assert abs(received.received_at - time.time()) < TIMEOUT
    assert received.authenticated_as is None
    assert not received.tls
    smtp_sink.clear()
    assert smtp_sink.messages == []
    assert not smtp_sink.wait_for(1, timeout=0.05)


async def test_sink_auth() -> None:
    with SmtpSink(username="mailer", password="s3cret") as sink:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as excinfo:
            await aiosmtplib.send(
                outgoing(),
                hostname=sink.host,
                port=sink.port,
                start_tls=False,
                username="mailer",
                password="wrong",
                timeout=TIMEOUT,
            )
        assert excinfo.value.code == 535
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await aiosmtplib.send(
                outgoing(), hostname=sink.host, port=sink.port, start_tls=False, timeout=TIMEOUT
            )
        assert refused.value.code == 530
        for mechanism in ("PLAIN", "LOGIN"):
            client = aiosmtplib.SMTP(
                hostname=sink.host, port=sink.port, start_tls=False, timeout=TIMEOUT
            )
            async with client:
                await client.ehlo()
                if mechanism == "PLAIN":
                    await client.auth_plain("mailer", "s3cret")
                else:
                    await client.auth_login("mailer", "s3cret")
                await client.send_message(outgoing(mechanism))
        assert sink.wait_for(2, timeout=TIMEOUT)
        assert [m.authenticated_as for m in sink.messages] == ["mailer", "mailer"]
        assert [m.message["Subject"] for m in sink.messages] == ["PLAIN", "LOGIN"]


async def test_sink_starttls_verified_against_the_ca(rig_certs: CertBundle) -> None:
    with SmtpSink(tls_context=rig_certs.server_context(), require_starttls=True) as sink:
        await aiosmtplib.send(
            outgoing(),
            hostname=sink.host,
            port=sink.port,
            start_tls=True,
            tls_context=rig_certs.client_context(),
            timeout=TIMEOUT,
        )
        assert await sink.wait_for_async(1, timeout=TIMEOUT)
        assert sink.messages[0].tls
        # A client that does not trust the throwaway CA fails the handshake.
        with pytest.raises(ssl.SSLCertVerificationError):
            await aiosmtplib.send(
                outgoing(),
                hostname=sink.host,
                port=sink.port,
                start_tls=True,
                tls_context=ssl.create_default_context(),
                timeout=TIMEOUT,
            )
        # STARTTLS is required: a plaintext MAIL is refused.
        with pytest.raises(aiosmtplib.SMTPResponseException) as excinfo:
            await aiosmtplib.send(
                outgoing(), hostname=sink.host, port=sink.port, start_tls=False, timeout=TIMEOUT
            )
        assert excinfo.value.code == 530
        assert len(sink.messages) == 1


async def test_sink_implicit_tls(rig_certs: CertBundle) -> None:
    with SmtpSink(tls_context=rig_certs.server_context(), implicit_tls=True) as sink:
        await aiosmtplib.send(
            outgoing(),
            hostname=sink.host,
            port=sink.port,
            use_tls=True,
            tls_context=rig_certs.client_context(),
            timeout=TIMEOUT,
        )
        assert await sink.wait_for_async(1, timeout=TIMEOUT)
        assert sink.messages[0].tls


@pytest.mark.parametrize(
    ("code", "exception"),
    [(451, aiosmtplib.SMTPDataError), (550, aiosmtplib.SMTPDataError)],
)
async def test_sink_fail_next_data(
    smtp_sink: SmtpSink, code: int, exception: type[aiosmtplib.SMTPResponseException]
) -> None:
    smtp_sink.fail_next(code, count=2)
    for _ in range(2):
        with pytest.raises(exception) as excinfo:
            await aiosmtplib.send(
                outgoing(), hostname=smtp_sink.host, port=smtp_sink.port, timeout=TIMEOUT
            )
        assert excinfo.value.code == code
    await aiosmtplib.send(outgoing(), hostname=smtp_sink.host, port=smtp_sink.port)
    assert await smtp_sink.wait_for_async(1, timeout=TIMEOUT)
    assert [(r.stage, r.code) for r in smtp_sink.rejections] == [("data", code)] * 2


async def test_sink_fail_at_mail_and_rcpt(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(421, stage="mail", text="4.7.0 Try again later")
    with pytest.raises(aiosmtplib.SMTPResponseException) as mail_error:
        await aiosmtplib.send(
            outgoing(), hostname=smtp_sink.host, port=smtp_sink.port, timeout=TIMEOUT
        )
    assert mail_error.value.code == 421
    assert "Try again later" in mail_error.value.message

    smtp_sink.fail_next(550, stage="rcpt")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as rcpt_error:
        await aiosmtplib.send(
            outgoing(), hostname=smtp_sink.host, port=smtp_sink.port, timeout=TIMEOUT
        )
    assert [r.code for r in rcpt_error.value.recipients] == [550]

    smtp_sink.set_failure(451)
    for _ in range(3):
        with pytest.raises(aiosmtplib.SMTPDataError):
            await aiosmtplib.send(
                outgoing(), hostname=smtp_sink.host, port=smtp_sink.port, timeout=TIMEOUT
            )
    smtp_sink.set_failure(None)
    await aiosmtplib.send(outgoing(), hostname=smtp_sink.host, port=smtp_sink.port)
    assert await smtp_sink.wait_for_async(1, timeout=TIMEOUT)
    assert [r.stage for r in smtp_sink.rejections] == ["mail", "rcpt", "data", "data", "data"]
    with pytest.raises(ValueError, match="4xx or 5xx"):
        smtp_sink.fail_next(250)


async def test_sink_survives_rude_clients_and_restarts(
    smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    # A client that vanishes mid-DATA, and one that resets the connection: no traceback, and
    # the sink keeps serving.
    caplog.set_level(logging.DEBUG)
    reader, writer = await asyncio.open_connection(smtp_sink.host, smtp_sink.port)
    await reader.readline()
    for command in (b"EHLO rude\r\n", b"MAIL FROM:<a@b>\r\n", b"RCPT TO:<c@d>\r\n", b"DATA\r\n"):
        writer.write(command)
        await writer.drain()
        reply = await reader.readline()
        while reply[3:4] == b"-":  # multi-line reply
            reply = await reader.readline()
    writer.write(b"Subject: half\r\n")
    writer.close()
    await writer.wait_closed()
    with socket.create_connection((smtp_sink.host, smtp_sink.port), timeout=TIMEOUT) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    port = smtp_sink.port
    await asyncio.to_thread(smtp_sink.stop)  # joins the server thread: all handling is done
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert problems == []
    await asyncio.to_thread(smtp_sink.start)
    assert smtp_sink.port == port
    await aiosmtplib.send(outgoing(), hostname=smtp_sink.host, port=smtp_sink.port)
    assert await smtp_sink.wait_for_async(1, timeout=TIMEOUT)
