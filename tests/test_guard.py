"""guard: every loop and abuse rule, and real customers' mail that must get through."""

from __future__ import annotations

from pathlib import Path

import pytest

from voidmail import guard, parse

CORPUS = Path(__file__).parent / "corpus"
OWN_ADDRESSES = frozenset({"hola@tienda.example"})
OWN_DOMAINS = frozenset({"tienda.example"})

CUSTOMER = """From: Ana Gómez <ana.gomez@gmail.com>
To: hola@tienda.example
Subject: Consulta
Date: Mon, 3 Feb 2025 10:00:00 -0300
Message-ID: <CAabc123@mail.gmail.com>
Return-Path: <ana.gomez@gmail.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8"""


def mail(
    extra: str = "", body: str = "Hola, ¿hacen envíos a Salta?", base: str = CUSTOMER
) -> parse.Mail:
    """The customer message with header lines in ``extra`` replacing same-named ones."""
    lines = [line for line in base.split("\n") if line]
    for line in extra.strip("\n").split("\n") if extra.strip() else []:
        name = line.split(":", 1)[0].lower()
        lines = [
            kept for kept in lines if kept.split(":", 1)[0].lower() != name or name == "received"
        ]
        lines.append(line)
    data = "\r\n".join(line for line in lines if not line.endswith(": DROP"))
    return parse.parse((data + "\r\n\r\n" + body + "\r\n").encode("utf-8"))


def check(message: parse.Mail) -> str | None:
    return guard.check(message, OWN_ADDRESSES, OWN_DOMAINS)


def test_plain_customer_passes() -> None:
    assert check(mail()) is None


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Auto-Submitted: auto-replied", "auto_submitted"),
        ("Auto-Submitted: auto-generated", "auto_submitted"),
        ("Auto-Submitted: auto-replied (vacation)", "auto_submitted"),
        ("Auto-Submitted: auto-notified", "auto_submitted"),
        ("X-Autoreply: yes", "x_autoreply"),
        ("X-Autorespond: Re: consulta", "x_autoreply"),
        ("X-Autoresponder: 1", "x_autoreply"),
        ("X-Auto-Response-Suppress: All", "auto_response_suppress"),
        ("X-FC-Machinegenerated: true", "autoreply_header"),
        ("X-Auto-Generated: yes", "autoreply_header"),
        ("X-HolidayReply: 1", "autoreply_header"),
        ("Precedence: bulk", "precedence_bulk"),
        ("Precedence: list", "precedence_list"),
        ("Precedence: junk", "precedence_junk"),
        ("Precedence: auto_reply", "precedence_auto_reply"),
        ("X-Precedence: bulk", "precedence_bulk"),
        ("List-Id: <emprendedoras.googlegroups.com>", "list_header"),
        ("List-Unsubscribe: <mailto:unsub@news.example>", "list_header"),
        ("List-Post: <mailto:grupo@lists.example>", "list_header"),
        ("Mailing-List: list grupo@lists.example", "list_header"),
        ("Return-Path: <>", "null_return_path"),
        ("X-Loop: soporte@helpdesk.example", "x_loop"),
        ("X-MS-Exchange-Inbox-Rules-Loop: ana@empresa.example", "exchange_loop"),
        ("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "exchange_generated"),
        ("X-Spam-Flag: YES", "spam_flag"),
        ("X-Spam-Status: Yes, score=9.1 required=5.0", "spam_flag"),
        ("X-Spam: yes", "spam_flag"),
    ],
)
def test_header_rules(header: str, reason: str) -> None:
    assert check(mail(header)) == reason


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: no",
        "X-Autoreply: no",
        # Exchange adds these to ordinary mail (distribution lists): not proof of a machine.
        "X-Auto-Response-Suppress: DR, OOF, AutoReply",
        "X-Auto-Response-Suppress: OOF",
        "X-Spam-Flag: NO",
        "X-Spam-Status: No, score=-0.1 required=5.0",
        "Precedence: first-class",
        "Feedback-ID: 1:2:gmail",
    ],
)
def test_harmless_header_values_pass(header: str) -> None:
    assert check(mail(header)) is None


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("MAILER-DAEMON@mx.example.com", "mailer_daemon"),
        ("Mail Delivery System <Mailer-Daemon@host.example>", "mailer_daemon"),
        ("postmaster@outlook.com", "mailer_daemon"),
        ("bounces+123@em.example.com", "mailer_daemon"),
        ("noreply@andreani.example", "noreply_sender"),
        ("no-reply@mail.instagram.com", "noreply_sender"),
        ("no_reply@afip.example", "noreply_sender"),
        ("do-not-reply@facturacion.example", "noreply_sender"),
        ("donotreply@banco.example", "noreply_sender"),
        ("no-responder@banco.example", "noreply_sender"),
        ("notificaciones@correo.example", "noreply_sender"),
        ("notifications@github.example", "noreply_sender"),
        ("newsletter@marca.example", "noreply_sender"),
    ],
)
def test_machine_senders(sender: str, reason: str) -> None:
    assert check(mail(f"From: {sender}")) == reason


def test_noreply_relay_with_customer_reply_to_passes() -> None:
    # Shop platforms send contact forms from no-reply with the customer in Reply-To.
    relayed = mail(
        "From: Tienda Nube <no-reply@tiendanube.example>\nReply-To: Gonza <gonza@gmail.com>"
    )
    assert check(relayed) is None
    same_domain = mail("From: no-reply@courier.example\nReply-To: ayuda@courier.example")
    assert check(same_domain) == "noreply_sender"
    noreply_reply_to = mail("From: no-reply@x.example\nReply-To: noreply@y.example")
    assert check(noreply_reply_to) == "noreply_sender"


@pytest.mark.parametrize(
    "subject",
    [
        "Respuesta automática: Consulta",
        "=?iso-8859-1?Q?Respuesta_autom=E1tica:_Consulta?=",
        "Fuera de la oficina: Pedido",
        "Auto: Consulta por envíos",
        "Automatic reply: Your question",
        "Out of Office: Wholesale enquiry",
        "RE: Out of office",
        "[Ticket] Autoreply: recibido",
        "Undeliverable: Re: Consulta",
        "Undelivered Mail Returned to Sender",
        "Delivery Status Notification (Failure)",
        "Mail delivery failed: returning message to sender",
        "failure notice",
        "No se puede entregar: Re: Consulta",
        "Devuelto al remitente: Consulta",
        "Entrega fallida (error 550)",
        "Notificación de estado de entrega (error)",
        "Réponse automatique : Commande",
        "Abwesenheitsnotiz: Anfrage",
        "Automatische Antwort: Anfrage",
        "Resposta automática: Parceria",
        "Risposta automatica: Ordine",
        "Leído: Re: Consulta envío",
        "Read: Order",
    ],
)
def test_autoreply_subjects(subject: str) -> None:
    assert check(mail(f"Subject: {subject}")) == "autoreply_subject"


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Consulta por envíos",
        "Consulta sobre respuesta automática de mi pedido",
        "¿Fuera de stock?",
        "Out of stock?",
        "Automotriz: uniformes para el taller",
        "Ausencia de respuesta!!",
        "Lu: consulta",
        "Autos y motos",
        "Delivery a Godoy Cruz",
        # A customer's parcel in the courier's words, not a bounce.
        "Devuelto al remitente??",
        "Entrega fallida de mi pedido 4521",
    ],
)
def test_customer_subjects_pass(subject: str) -> None:
    assert check(mail(f"Subject: {subject}")) is None


def test_delivery_reports_by_content_type() -> None:
    report = mail(
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\nReturn-Path: DROP',
        body="--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--r\r\nContent-Type: "
        "message/delivery-status\r\n\r\nAction: failed\r\n--r--",
    )
    assert check(report) == "delivery_report"
    receipt = mail(
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"',
        body="--r\r\nContent-Type: text/plain\r\n\r\nleido\r\n--r\r\nContent-Type: "
        "message/disposition-notification\r\n\r\nDisposition: displayed\r\n--r--",
    )
    assert check(receipt) == "delivery_report"


def test_own_address_from_sender_and_reply_to() -> None:
    assert check(mail("From: Tienda <hola@tienda.example>")) == "own_address"
    assert check(mail("From: HOLA@Tienda.Example")) == "own_address"
    assert check(mail("Sender: hola@tienda.example")) == "own_address"
    assert check(mail("Reply-To: hola@tienda.example")) == "own_address"


def test_own_form_with_customer_reply_to_passes() -> None:
    # A web form that sends as the shop: the reply reaches the customer, not us.
    form = mail(
        "From: Tienda <hola@tienda.example>\nReply-To: ana@gmail.com\nMessage-ID: <f1@tienda.example>"
    )
    assert check(form) is None


def test_own_message_id_is_our_mail_coming_back() -> None:
    assert check(mail("Message-ID: <voidmail.1234@tienda.example>")) == "own_message_id"
    assert check(mail("Message-ID: <x@mail.tienda.example>")) == "own_message_id"
    # a reply *to* us references our id, which is normal
    assert check(mail("In-Reply-To: <voidmail.1234@tienda.example>")) is None
    assert check(mail("Message-ID: <x@otratienda.example>")) is None


def test_no_usable_sender() -> None:
    assert check(mail("From: DROP")) == "no_sender"
    assert check(mail("From: Nadie")) == "no_sender"


@pytest.mark.parametrize(
    "body",
    [
        "Tu envío fue despachado. Este es un mensaje generado automáticamente, por favor no lo "
        "respondas.",
        "Hola. Por favor no responda este correo.",
        "This is an automated message. Tracking: 123.",
    ],
)
def test_notices_that_say_they_are_automatic(body: str) -> None:
    assert check(mail(body=body)) == "automatic_notice"


def test_forwarded_notice_with_a_question_passes() -> None:
    body = (
        "Hola, me llegó esto, ¿qué significa?\r\n\r\n---------- Forwarded message ---------\r\n"
        "De: Correo <notificaciones@correo.example>\r\n\r\nEste es un mensaje automático, no lo "
        "respondas.\r\n"
    )
    assert check(mail(body=body)) is None


@pytest.mark.parametrize(
    "name",
    [
        "d-faq-envios-01.eml",  # Gmail with DKIM, ARC and X-Gm headers
        "d-faq-envios-02.eml",  # Outlook.com with X-MS-Exchange-* and Thread-Index
        "d-faq-envios-11.eml",  # Apple Mail
        "d-faq-envios-05.eml",  # Yahoo
        "d-faq-pagos-10.eml",  # the shop's own web form, customer in Reply-To
        "d-faq-envios-12.eml",  # a shop platform's contact form from no-reply
        "d-human-fallado-02.eml",  # attachments
        "d-faq-pagos-11-8bit-header.eml",
    ],
)
def test_real_customers_in_the_corpus_pass(name: str) -> None:
    data = (CORPUS / "dev" / name).read_bytes()
    own = frozenset({"hola@lupeindumentaria.com.ar"})
    assert guard.check(parse.parse(data), own, frozenset({"lupeindumentaria.com.ar"})) is None


def test_parse_failure_is_still_safe() -> None:
    # A Mail with nothing usable must be ignored, not answered.
    assert check(parse.parse(b"\x00\xff")) == "no_sender"


# -- forged senders and spam verdicts ---------------------------------------------------------

GMAIL_FAIL = (
    "Authentication-Results: mx.google.com; dkim=none; spf=fail (google.com: domain of "
    "ana.gomez@gmail.com does not designate 203.0.113.9 as permitted sender) "
    "smtp.mailfrom=ana.gomez@gmail.com; dmarc=fail (p=NONE) header.from=gmail.com"
)
GMAIL_PASS = (
    "Authentication-Results: mx.google.com; dkim=pass header.i=@gmail.com; spf=pass "
    "smtp.mailfrom=ana.gomez@gmail.com; dmarc=pass (p=NONE) header.from=gmail.com"
)


def raw_mail(header_lines: list[str]) -> parse.Mail:
    """The customer message with ``header_lines`` on top, in that order (topmost first)."""
    data = "\r\n".join([*header_lines, *CUSTOMER.split("\n")])
    return parse.parse((data + "\r\n\r\nHola, ¿hacen envíos a Salta?\r\n").encode("utf-8"))


def test_a_dmarc_fail_from_the_trusted_server_gets_no_reply() -> None:
    forged = raw_mail([GMAIL_FAIL])
    assert guard.check(forged, OWN_ADDRESSES, OWN_DOMAINS, authserv_id="mx.google.com") == (
        "dmarc_fail"
    )
    # Without a trusted server configured, nobody's header is believed.
    assert check(forged) is None


def test_spf_fail_counts_only_without_a_dkim_pass() -> None:
    spf_only = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=ana@x; dkim=none"
    with_dkim = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=ana@x; dkim=pass"
    trusted = {"authserv_id": "mx.example.net"}
    assert guard.check(raw_mail([spf_only]), OWN_ADDRESSES, OWN_DOMAINS, **trusted) == "spf_fail"
    assert guard.check(raw_mail([with_dkim]), OWN_ADDRESSES, OWN_DOMAINS, **trusted) is None


def test_a_verdict_written_by_the_sender_changes_nothing() -> None:
    # The sender's own copy, naming the trusted server, sits below the server's real header.
    planted = raw_mail([GMAIL_PASS, GMAIL_FAIL])
    assert guard.check(planted, OWN_ADDRESSES, OWN_DOMAINS, authserv_id="mx.google.com") is None
    # A header from another server is not read at all.
    other = raw_mail([GMAIL_FAIL.replace("mx.google.com", "mx.evil.example")])
    assert guard.check(other, OWN_ADDRESSES, OWN_DOMAINS, authserv_id="mx.google.com") is None


def test_topmost_reads_a_header_without_authserv_id_as_microsoft_writes_it() -> None:
    microsoft = (
        "Authentication-Results: spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=gmail.com; "
        "dkim=none (message not signed) header.d=none;dmarc=fail action=none "
        "header.from=gmail.com;compauth=fail reason=001"
    )
    assert guard.check(
        raw_mail([microsoft]), OWN_ADDRESSES, OWN_DOMAINS, authserv_id="topmost"
    ) == ("dmarc_fail")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("X-Rspamd-Action: add header", "spam_rspamd"),
        ("X-Rspamd-Action: reject", "spam_rspamd"),
        ("X-MS-Exchange-Organization-SCL: 6", "spam_scl"),
        ("X-Forefront-Antispam-Report: CIP:203.0.113.9;CTRY:;LANG:es;SCL:9;SRV:;", "spam_scl"),
        ("X-Spam-Status: Yes, score=12.1 required=5.0", "spam_flag"),
    ],
)
def test_spam_verdicts_of_the_shops_filter(header: str, reason: str) -> None:
    assert check(raw_mail([header])) == reason


@pytest.mark.parametrize(
    "header",
    [
        "X-Rspamd-Action: no action",
        "X-MS-Exchange-Organization-SCL: 1",
        "X-MS-Exchange-Organization-SCL: -1",
        "X-Forefront-Antispam-Report: CIP:203.0.113.9;SCL:1;SRV:;",
    ],
)
def test_clean_verdicts_pass(header: str) -> None:
    assert check(raw_mail([header])) is None


@pytest.mark.parametrize(
    "sender",
    ["googlealerts-noreply@google.com", "ventas.no-reply@tienda.example", "x+donotreply@y.com"],
)
def test_a_noreply_component_anywhere_in_the_local_part_is_a_machine(sender: str) -> None:
    assert check(mail(f"From: Alertas <{sender}>")) == "noreply_sender"


def test_an_absence_notice_without_marks_is_ignored_but_a_traveller_asking_is_not() -> None:
    notice = "Estoy de licencia hasta el 3 de septiembre. Durante mi ausencia escriba a Ramiro."
    assert check(mail(body=notice)) == "out_of_office"
    asking = "Estoy de vacaciones hasta el lunes, ¿pueden mandar el pedido después?"
    assert check(mail(body=asking)) is None


def test_replies_that_would_go_to_a_noreply_box_are_not_sent() -> None:
    notice = mail(
        "From: Mercado Libre <info@mercadolibre.com.ar>\nReply-To: noreply@mercadolibre.com.ar"
    )
    assert check(notice) == "noreply_reply_to"
    bank = mail("From: Banco <avisos@notificaciones.banco.example>")
    assert check(bank) == "noreply_sender"
    # A contact form: a no-reply sender relaying the customer, who is in Reply-To.
    form = mail("From: Tienda Web <noreply@tiendanube.com>\nReply-To: ana.gomez@gmail.com")
    assert check(form) is None
