"""parse: every MIME shape and charset, broken input, header injection, quote stripping."""

from __future__ import annotations

import base64
import random
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from voidmail import parse

CORPUS = Path(__file__).parent / "corpus"


def raw(headers: str, body: bytes | str = b"") -> bytes:
    """A message from header lines (\\n separated) and a body, with CRLF line ends."""
    head = headers.strip("\n").replace("\n", "\r\n").encode("utf-8")
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head + b"\r\n\r\n" + data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def no_controls(value: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value)


# --------------------------------------------------------------------------- headers


def test_plain_message_fields() -> None:
    mail = parse.parse(
        raw(
            """From: =?UTF-8?Q?Luc=C3=ADa_P=C3=A9rez?= <Lucia.Perez@Gmail.com>
To: hola@tienda.example
Subject: Consulta
Date: Mon, 3 Feb 2025 10:00:00 -0300
Message-ID: < CA+abc@mail.gmail.com >
In-Reply-To: <voidmail.1@tienda.example>
References: <a@x> <voidmail.1@tienda.example>
Return-Path: <lucia.perez@gmail.com>
Content-Type: text/plain; charset=utf-8""",
            "Hola, ¿hacen envíos?\n",
        )
    )
    assert mail.sender == "lucia.perez@gmail.com"
    assert mail.sender_name == "Lucía Pérez"
    assert mail.subject == "Consulta"
    assert mail.message_id == "<CA+abc@mail.gmail.com>"
    assert mail.in_reply_to == "<voidmail.1@tienda.example>"
    assert mail.references == ("<a@x>", "<voidmail.1@tienda.example>")
    assert mail.return_path == "lucia.perez@gmail.com"
    assert mail.reply_to is None
    assert mail.reply_address == "lucia.perez@gmail.com"
    assert mail.date == datetime(2025, 2, 3, 10, 0, tzinfo=timezone(timedelta(hours=-3)))
    assert mail.text == "Hola, ¿hacen envíos?"
    assert mail.new_text == "Hola, ¿hacen envíos?"
    assert mail.header("SUBJECT") == "Consulta"
    assert mail.header("x-missing") is None
    assert mail.defects == ()


def test_missing_headers_give_empty_values() -> None:
    mail = parse.parse(b"\r\njust a body\r\n")
    assert mail.sender == ""
    assert mail.subject == ""
    assert mail.message_id is None
    assert mail.in_reply_to is None
    assert mail.references == ()
    assert mail.return_path is None
    assert mail.date is None
    assert mail.text == "just a body"
    assert mail.reply_address == ""


def test_reply_to_wins_for_reply_address() -> None:
    mail = parse.parse(
        raw(
            """From: Formulario web <web@tienda.example>
Reply-To: "Juan, cliente" <Juan@Example.com>, otro@example.com
Subject: x""",
            "hola",
        )
    )
    assert mail.reply_to == "juan@example.com"
    assert mail.reply_address == "juan@example.com"
    assert mail.sender == "web@tienda.example"


def test_addresses_read_names_and_survive_a_header_nested_too_deep() -> None:
    mail = parse.parse(
        raw(
            'From: a@b.example\nTo: "Cuyo Textil" <hola@cuyo.example>, x@y.example\nSubject: x',
            "hola",
        )
    )
    assert mail.addresses("To") == [("Cuyo Textil", "hola@cuyo.example"), ("", "x@y.example")]
    nested = parse.parse(raw("From: a@b.example\nTo: " + ":" * 3000 + "\nSubject: x", "hola"))
    assert nested.addresses("To") == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("<>", ""), ("<  >", ""), ("<Bounce@Example.COM>", "bounce@example.com")],
)
def test_return_path(value: str, expected: str) -> None:
    assert parse.parse(raw(f"Return-Path: {value}\nFrom: a@b.example", "x")).return_path == expected


def test_message_id_without_brackets_and_folded() -> None:
    mail = parse.parse(raw("From: a@b.example\nMessage-ID:\n  abc.123@host.example", "x"))
    assert mail.message_id == "<abc.123@host.example>"
    assert parse.parse(raw("From: a@b.example\nMessage-ID: <>", "x")).message_id is None


def test_header_all_and_order() -> None:
    mail = parse.parse(raw("Received: one\nreceived: two\nFrom: a@b.example", "x"))
    assert mail.header_all("Received") == ("one", "two")
    assert mail.headers[0] == ("received", "one")


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("=?UTF-8?Q?Env=C3=ADo_a_C=C3=B3rdoba?=", "Envío a Córdoba"),
        ("=?utf-8?B?wr9Ib2xhPw==?=", "¿Hola?"),
        ("=?ISO-8859-1?Q?Consulta_env=EDo?=", "Consulta envío"),
        ("=?windows-1252?Q?=93hola=94?=", "“hola”"),
        # adjacent encoded words are joined without the space between them
        ("=?utf-8?q?Gu=C3=ADa_de_tal?= =?utf-8?q?les?=", "Guía de talles"),
        ("Re: =?utf-8?q?cambio?= de talle", "Re: cambio de talle"),
        # truncated base64 is repaired, an unknown charset falls back
        ("=?utf-8?B?SG9sYSBxdWUgdGFs?=", "Hola que tal"),
        ("=?x-unknown?Q?caf=C3=A9?=", "café"),
        # malformed words are left as they are, never raise
        ("=?utf-8?X?abc?=", "=?utf-8?X?abc?="),
        ("=?utf-8?Q?sin cierre", "=?utf-8?Q?sin cierre"),
        ("=?utf-8?B?!!!?=", ""),
    ],
)
def test_rfc2047_subjects(encoded: str, decoded: str) -> None:
    assert parse.parse(raw(f"From: a@b.example\nSubject: {encoded}", "x")).subject == decoded


@pytest.mark.parametrize(
    "subject",
    [
        "=?utf-8?q?hola=0D=0ABcc:_evil@example.com?=",
        "=?utf-8?b?aG9sYQ0KQmNjOiBldmlsQGV4YW1wbGUuY29t?=",
        "=?utf-8?q?a=00b=1Bc=E2=80=A8d=E2=80=AEe?=",
        "hola\r\n Bcc: evil@example.com",
    ],
)
def test_subject_is_always_one_clean_line(subject: str) -> None:
    mail = parse.parse(raw(f"From: a@b.example\nSubject: {subject}", "x"))
    assert "\r" not in mail.subject
    assert "\n" not in mail.subject
    assert no_controls(mail.subject)
    assert all(no_controls(v) and "\n" not in v for _, v in mail.headers)


def test_eight_bit_headers_are_decoded() -> None:
    data = (
        b"From: Eduardo Pi\xf1ero <edu@example.com>\r\n"
        b"Subject: Consulta pago con d\xe9bito\r\n"
        b"X-Utf: se\xc3\xb1or\r\n\r\nhola\r\n"
    )
    mail = parse.parse(data)
    assert mail.sender_name == "Eduardo Piñero"
    assert mail.subject == "Consulta pago con débito"
    assert mail.header("x-utf") == "señor"


def test_unusable_from_is_empty_with_a_defect() -> None:
    mail = parse.parse(raw("From: nadie\nSubject: x", "hola"))
    assert mail.sender == ""
    assert "unusable_from" in mail.defects


def test_bad_date_is_none() -> None:
    mail = parse.parse(raw("From: a@b.example\nDate: el martes a la tarde", "x"))
    assert mail.date is None
    assert "bad_date" in mail.defects
    naive = parse.parse(raw("From: a@b.example\nDate: Mon, 3 Feb 2025 10:00:00 -0000", "x"))
    assert naive.date == datetime(2025, 2, 3, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- bodies and charsets


def test_multipart_alternative_prefers_plain() -> None:
    body = """--b
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hola, =C2=BFtienen cuotas?

--b
Content-Type: text/html; charset="UTF-8"

<div>HTML version</div>
--b--
"""
    mail = parse.parse(
        raw('From: a@b.example\nContent-Type: multipart/alternative; boundary="b"', body)
    )
    assert mail.text == "Hola, ¿tienen cuotas?"
    assert mail.content_types == ("multipart/alternative", "text/plain", "text/html")


def test_html_only_becomes_clean_text() -> None:
    html = """<html><head><title>t</title><style>p{color:red}</style>
<script>alert('x')</script></head><body>
<p style="display:none">Texto oculto de preheader</p>
<p>Hola&nbsp;chicas,<br>&iquest;hacen env&iacute;os?</p>
<ul><li>uno</li><li>dos</li></ul>
<p>Mir&aacute; <a href="https://tienda.example/talles">la gu&iacute;a</a> o
<a href="https://x.example">https://x.example</a>.</p>
<img src="https://track.example/open.gif" width="1" height="1">
</body></html>"""
    mail = parse.parse(raw("From: a@b.example\nContent-Type: text/html; charset=utf-8", html))
    assert "Hola chicas,\n¿hacen envíos?" in mail.text
    assert "- uno\n- dos" in mail.text
    assert "la guía (https://tienda.example/talles)" in mail.text
    assert "https://x.example (https://x.example)" not in mail.text
    for gone in ("color:red", "alert", "preheader", "track.example", "<", "title"):
        assert gone not in mail.text


def test_html_blockquote_is_quoted_history() -> None:
    html = (
        '<div dir="ltr">¿Y los envíos?</div><div class="gmail_quote">'
        "<div>El lun, 3 feb 2025 a las 10:00, Tienda (&lt;hola@tienda.example&gt;) escribió:</div>"
        "<blockquote><div>Hola, gracias por escribirnos.</div></blockquote></div>"
    )
    mail = parse.parse(raw("From: a@b.example\nContent-Type: text/html; charset=utf-8", html))
    assert "> Hola, gracias por escribirnos." in mail.text
    assert mail.new_text == "¿Y los envíos?"


def test_base64_body() -> None:
    encoded = base64.encodebytes("Hola, ¿tienen guía de talles?\n".encode()).decode()
    mail = parse.parse(
        raw(
            "From: a@b.example\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: base64",
            encoded,
        )
    )
    assert mail.text == "Hola, ¿tienen guía de talles?"


def test_broken_base64_does_not_raise() -> None:
    mail = parse.parse(
        raw(
            "From: a@b.example\nContent-Type: text/plain\nContent-Transfer-Encoding: base64",
            "SG9sYS!!!@@ZXN0b3kgcm90bw",
        )
    )
    assert isinstance(mail.text, str)


@pytest.mark.parametrize(
    ("charset", "payload", "expected"),
    [
        ("iso-8859-1", "Env=EDo a C=F3rdoba", "Envío a Córdoba"),
        ("windows-1252", "=93Gracias=94 =96 Mar=EDa", "“Gracias” – María"),
        # Outlook says ISO-8859-1 and means Windows-1252
        ("iso-8859-1", "=93comillas=94", "“comillas”"),
        # declared Latin-1, really UTF-8
        ("iso-8859-1", "Env=C3=ADo", "Envío"),
        ("us-ascii", "Se=F1ora", "Señora"),
        ("x-no-such-charset", "Se=C3=B1ora", "Señora"),
    ],
)
def test_quoted_printable_charsets(charset: str, payload: str, expected: str) -> None:
    mail = parse.parse(
        raw(
            f"From: a@b.example\nContent-Type: text/plain; charset={charset}\n"
            "Content-Transfer-Encoding: quoted-printable",
            payload,
        )
    )
    assert mail.text == expected


def test_wrong_declared_charset_falls_back_with_a_defect() -> None:
    data = raw("From: a@b.example\nContent-Type: text/plain; charset=utf-8", b"\xbfC\xf3mo s\xe9?")
    mail = parse.parse(data)
    assert mail.text == "¿Cómo sé?"
    assert any(d.startswith("charset_fallback") for d in mail.defects)


def test_utf8_encoded_twice_is_decoded_once_more_with_a_defect() -> None:
    # A sender's program encoded "¿cómo?" to UTF-8 twice: "Â¿cÃ³mo?" in the decoded text.
    body = "¿Se puede con débito? ¿Y cómo es la transferencia?".encode().decode("latin-1")
    mail = parse.parse(
        raw("From: a@b.example\nContent-Type: text/plain; charset=utf-8", body.encode())
    )
    assert mail.text == "¿Se puede con débito? ¿Y cómo es la transferencia?"
    assert "doubled_utf8" in mail.defects
    plain = parse.parse(
        raw("From: a@b.example\nContent-Type: text/plain; charset=utf-8", "Ñandú ¿sí?".encode())
    )
    assert plain.text == "Ñandú ¿sí?"
    assert "doubled_utf8" not in plain.defects


def test_no_charset_eight_bit_body() -> None:
    mail = parse.parse(raw("From: a@b.example\nContent-Type: text/plain", b"Ma\xf1ana \xbfs\xed?"))
    assert mail.text == "Mañana ¿sí?"


def test_format_flowed_is_joined() -> None:
    body = "Hola, quisiera saber si hacen \nenvíos a Salta.\n-- \nAna\n"
    mail = parse.parse(
        raw("From: a@b.example\nContent-Type: text/plain; charset=utf-8; format=flowed", body)
    )
    assert mail.text.splitlines()[0] == "Hola, quisiera saber si hacen envíos a Salta."
    assert mail.new_text == "Hola, quisiera saber si hacen envíos a Salta."


def test_nested_multipart_with_attachments() -> None:
    image = base64.encodebytes(b"\xff\xd8\xff\xe0" + bytes(600)).decode()
    body = f"""--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Les mando la foto de la falla.
--alt
Content-Type: text/html; charset=utf-8

<p>Les mando la foto de la falla.</p>
--alt--
--rel
Content-Type: image/png; name="logo.png"
Content-ID: <logo>
Content-Transfer-Encoding: base64

{image}
--rel--
--outer
Content-Type: image/jpeg; name="IMG_1.jpg"
Content-Disposition: attachment; filename*=utf-8''Foto%20ca%C3%B1a.jpg
Content-Transfer-Encoding: base64

{image}
--outer
Content-Type: text/plain; charset=utf-8; name="notas.txt"
Content-Disposition: attachment; filename="notas.txt"

nota adjunta
--outer--
"""
    mail = parse.parse(
        raw('From: a@b.example\nContent-Type: multipart/mixed; boundary="outer"', body)
    )
    assert mail.text == "Les mando la foto de la falla."
    names = [(a.filename, a.content_type) for a in mail.attachments]
    assert names == [
        ("logo.png", "image/png"),
        ("Foto caña.jpg", "image/jpeg"),
        ("notas.txt", "text/plain"),
    ]
    assert mail.attachments[1].size == 604
    assert not hasattr(mail.attachments[0], "data")


def test_forwarded_message_attachment_is_not_body() -> None:
    body = """--m
Content-Type: text/plain; charset=utf-8

Les reenvío el mail.
--m
Content-Type: message/rfc822

From: otro@example.com
Subject: viejo

texto viejo que no es del cliente
--m--
"""
    mail = parse.parse(raw('From: a@b.example\nContent-Type: multipart/mixed; boundary="m"', body))
    assert mail.text == "Les reenvío el mail."
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]


def test_delivery_report_types_are_recorded() -> None:
    data = (CORPUS / "holdout" / "h-auto-bounce-postfix.eml").read_bytes()
    mail = parse.parse(data)
    assert "multipart/report" in mail.content_types
    assert "message/delivery-status" in mail.content_types


def test_deep_nesting_is_cut_short() -> None:
    depth = 60
    head = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(1, depth)
    )
    tail = "".join(f"\n--b{i}--" for i in reversed(range(depth)))
    body = "--b0\n" + head + "Content-Type: text/plain\n\nhondo" + tail
    mail = parse.parse(raw('From: a@b.example\nContent-Type: multipart/mixed; boundary="b0"', body))
    assert "max_depth" in mail.defects
    assert mail.text == ""


def test_thousands_of_levels_keep_the_headers() -> None:
    depth = 3000
    head = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(1, depth)
    )
    body = "--b0\n" + head + "Content-Type: text/plain\n\nhondo"
    mail = parse.parse(
        raw('From: A <a@b.example>\nContent-Type: multipart/mixed; boundary="b0"', body)
    )
    assert mail.sender == "a@b.example"
    assert "mime_too_deep" in mail.defects


def test_huge_nested_html_is_fast() -> None:
    markup = "<div>" * 100_000 + "hola" + "</div>" * 100_000
    mail = parse.parse(raw("From: a@b.example\nContent-Type: text/html", markup))
    assert mail.text == "hola"


def test_size_is_raw_length() -> None:
    data = raw("From: a@b.example", "hola")
    assert parse.parse(data).size == len(data)


# --------------------------------------------------------------------------- quote stripping

QUOTE_CASES = [
    (
        "gmail_es_wrapped_address",
        "¿Hacen envíos a Salta?\n\nEl lun, 3 feb 2025 a las 10:00, Lupe Indumentaria (<\n"
        "hola@tienda.example>) escribió:\n\n> Hola\n> Gracias por escribirnos\n",
        "¿Hacen envíos a Salta?",
    ),
    (
        "gmail_es_wrapped_verb",
        "Gracias!\n\nEl mié, 5 mar 2025 a las 9:12, Tienda (<hola@tienda.example>)\nescribió:\n\n> hola\n",
        "Gracias!",
    ),
    (
        "gmail_en",
        "Thanks, and sizes?\n\nOn Mon, Feb 3, 2025 at 10:00 AM Tienda <hola@tienda.example> wrote:\n\n> hi\n",
        "Thanks, and sizes?",
    ),
    (
        "apple_quoted_attribution",
        "¿Tienen cuotas?\n\nEnviado desde mi iPhone\n\n> El 3 feb 2025, a las 10:00, Tienda "
        "<hola@tienda.example> escribió:\n>\n> Hola\n",
        "¿Tienen cuotas?",
    ),
    (
        "apple_long_form",
        "Perfecto\n\nEl 3 de febrero de 2025, a la(s) 10:00, Tienda <hola@tienda.example> "
        "escribió:\n\n> Hola\n",
        "Perfecto",
    ),
    (
        "thunderbird",
        "Otra pregunta\n\nEl 3/2/25 a las 10:00, Tienda escribió:\n> Hola\n",
        "Otra pregunta",
    ),
    (
        "bare_address_attribution",
        "dale, gracias\n\nTienda <hola@tienda.example> escribió:\n> Hola\n",
        "dale, gracias",
    ),
    (
        "outlook_es_block",
        "Quiero cambiar el talle\n\nObtener Outlook para Android\n\n________________________________\n"
        "De: Tienda <hola@tienda.example>\nEnviado: lunes, 3 de febrero de 2025 10:00\n"
        "Para: Ana <ana@example.com>\nAsunto: Re: consulta\n\nHola Ana\n",
        "Quiero cambiar el talle",
    ),
    (
        "outlook_en_block_without_rule",
        "See below\n\nFrom: Shop <hola@tienda.example>\nSent: Monday, February 3, 2025 10:00 AM\n"
        "To: Ana <ana@example.com>\nSubject: Re: x\n\nold\n",
        "See below",
    ),
    (
        "mensaje_original",
        "Gracias.\n\n-----Mensaje original-----\nDe: Tienda\nEnviado el: lunes\nPara: Ana\n"
        "Asunto: x\n\nviejo\n",
        "Gracias.",
    ),
    (
        "original_message",
        "Thanks\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold\n",
        "Thanks",
    ),
    (
        "samsung_original",
        "hola tienen stock?\n\n\nEnviado desde mi Samsung Galaxy\n\n\n-------- Mensaje original "
        "--------\nDe: Tienda <hola@tienda.example>\nFecha: 3/2/25 10:00 (GMT-03:00)\nA: "
        "ana@example.com\nAsunto: Re: consulta\n\nHola\n",
        "hola tienen stock?",
    ),
    (
        "gmail_forward",
        "les reenvío la compra\n\n---------- Forwarded message ---------\nDe: Tienda "
        "<hola@tienda.example>\nDate: lun, 3 feb 2025 a las 10:00\nSubject: Compra\nTo: "
        "<ana@example.com>\n\nPedido #1\n",
        "les reenvío la compra",
    ),
    (
        "mensaje_reenviado",
        "mirá esto\n\n---------- Mensaje reenviado ----------\nDe: X <x@y.example>\n\ncontenido\n",
        "mirá esto",
    ),
    (
        "apple_forward",
        "¿Qué es esto?\n\nInicio del mensaje reenviado:\n\n> De: Correo <n@correo.example>\n",
        "¿Qué es esto?",
    ),
    ("only_forward", "---------- Forwarded message ---------\nDe: a@b.example\n\nviejo\n", ""),
    (
        "signature_dashes",
        "¿Cuánto sale el envío?\n\n-- \nMarta Pérez\nCel 261 555 1234\n",
        "¿Cuánto sale el envío?",
    ),
    ("sent_from_iphone", "Hola!\nSent from my iPhone\n", "Hola!"),
    ("sent_from_yahoo", "Hola!\n\nEnviado desde Yahoo Mail para Android\n", "Hola!"),
    ("outlook_ios", "Hola!\n\nObtener Outlook para iOS\n", "Hola!"),
    (
        "inline_answers_kept",
        "> ¿Cuál es tu talle?\nM\n> ¿Y el color?\nNegro\n",
        "M\nNegro",
    ),
    # Things that look like history but are the customer's own words.
    (
        "de_in_text",
        "De: Ana, para la tienda.\nQuería saber si hacen envíos.",
        "De: Ana, para la tienda.\nQuería saber si hacen envíos.",
    ),
    (
        "escribio_without_colon",
        "El lunes mi hermana les escribió y no tuvo respuesta",
        "El lunes mi hermana les escribió y no tuvo respuesta",
    ),
    (
        "envio_line_is_not_a_signature",
        "Hola\nEnvío desde mi casa a Córdoba, ¿cuánto sale?",
        "Hola\nEnvío desde mi casa a Córdoba, ¿cuánto sale?",
    ),
    (
        "question_before_attribution_is_kept",
        "Una pregunta, ¿se puede cambiar por otro color?\n\nEl sáb, 30 ago 2025 a las 00:40, "
        "Tienda (<hola@tienda.example>) escribió:\n\n> Hola\n",
        "Una pregunta, ¿se puede cambiar por otro color?",
    ),
    (
        "bottom_posted_under_an_opening_attribution",
        "El mié., 12 nov. 2025 16:39, Tienda <hola@tienda.example> escribió:\n> ¡Hola!\n>\n"
        "> Podés pagar con tarjeta.\n\nGracias.\n\nOtra pregunta: ¿cada cuánto reponen?\n",
        "Gracias.\n\nOtra pregunta: ¿cada cuánto reponen?",
    ),
    (
        "nothing_added_under_an_opening_attribution",
        "El mié., 12 nov. 2025 16:39, Tienda <hola@tienda.example> escribió:\n> ¡Hola!\n",
        "",
    ),
    (
        "answers_typed_in_capitals_into_our_quoted_outlook_message",
        "________________________________\nDe: Tienda <hola@tienda.example>\nEnviado: viernes, 4 "
        "de septiembre de 2026 12:48\nAsunto: Tu consulta\n\nHola Walter.\n\n¿Querés algo más?\n"
        "SI.\n\n¿Cómo preferís pagar?\nTRANSFERENCIA. A DONDE LES TRANSFIERO?\n\nSaludos,\nEquipo",
        "SI.\nTRANSFERENCIA. A DONDE LES TRANSFIERO?",
    ),
    (
        "capitals_in_the_history_are_not_read_when_the_writer_added_text_above",
        "Gracias, ¿y cuotas?\n________________________________\nDe: Tienda <hola@tienda.example>\n"
        "Enviado: viernes, 4 de septiembre de 2026 12:48\nAsunto: Tu consulta\n\nHOT SALE: 30% OFF",
        "Gracias, ¿y cuotas?",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in QUOTE_CASES], ids=[c[0] for c in QUOTE_CASES]
)
def test_strip_reply(text: str, expected: str) -> None:
    assert parse.strip_reply(text) == expected


def test_new_text_of_corpus_replies_has_no_history() -> None:
    for path in sorted((CORPUS / "dev").glob("*.eml")):
        if "-auto-" in path.name:
            continue  # machine mail, some of it our own replies
        mail = parse.parse(path.read_bytes())
        assert "Gracias por escribirnos" not in mail.new_text, path.name
        assert "escribió:" not in mail.new_text, path.name
        assert "Enviado desde mi" not in mail.new_text, path.name


# --------------------------------------------------------------------------- body_hash


def test_body_hash_ignores_case_and_whitespace() -> None:
    a = parse.body_hash("Hola,  ¿hacen envíos?\n")
    assert a == parse.body_hash("hola, ¿HACEN ENVÍOS?")
    assert a == parse.body_hash(unicodedata.normalize("NFD", "Hola, ¿hacen envíos?"))
    assert a != parse.body_hash("Hola, ¿hacen cambios?")
    assert len(a) == 64


# --------------------------------------------------------------------------- never raises


def check_mail(mail: parse.Mail) -> None:
    assert isinstance(mail, parse.Mail)
    assert no_controls(mail.subject)
    assert "\n" not in mail.subject
    assert all(no_controls(name + value) for name, value in mail.headers)
    assert isinstance(mail.text, str)
    assert isinstance(mail.new_text, str)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n",
        b"\x00\x01\x02\xff\xfe",
        b"From:\r\nSubject:\r\n\r\n",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n--x\r\n--x--',
        b"Content-Type: text/plain; charset=\xff\xfe\r\n\r\nhola",
        b"Content-Type: text/plain; charset*=''%FF%FE\r\n\r\nhola",
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 f\r\nnot uu\r\n",
        b"Content-Type: text/html\r\n\r\n<![if !mso]><!DOCTYPE x><p<<>>&#xffffffff;&#0;</p",
        b"Subject: =?utf-8?b?" + b"A" * 5000 + b"?=\r\n\r\n",
        b"From: " + b"<" * 3000 + b"\r\n\r\n",
    ],
)
def test_garbage_never_raises(data: bytes) -> None:
    check_mail(parse.parse(data))


def test_fuzz_random_and_mutated_bytes() -> None:
    rng = random.Random(20250203)
    seeds = [p.read_bytes() for p in sorted((CORPUS / "dev").glob("*.eml"))[::6]]
    for _ in range(150):
        check_mail(parse.parse(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 600)))))
    for _ in range(400):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 25)):
            if not data:
                break
            position = rng.randrange(len(data))
            operation = rng.random()
            if operation < 0.4:
                data[position] = rng.getrandbits(8)
            elif operation < 0.6:
                del data[position : position + rng.randint(1, 200)]
            elif operation < 0.8:
                data[position:position] = rng.choice(
                    [
                        b"\r\n",
                        b"=?",
                        b"?=",
                        b"--",
                        b"\xff",
                        b"Content-Type: multipart/mixed\r\n",
                        b"<",
                    ]
                )
            else:
                data = data[: rng.randrange(1, len(data) + 1)]
        check_mail(parse.parse(bytes(data)))


def test_whole_corpus_parses_without_parse_failures() -> None:
    for path in sorted(CORPUS.glob("*/*.eml")):
        mail = parse.parse(path.read_bytes())
        assert not any(d.startswith("parse_failed") for d in mail.defects), path.name


OUTLOOK_HISTORY = (
    "Les reenvío, gracias\n\n________________________________\n"
    "De: Marcelo <marcelo@correo.example>\nEnviado: domingo, 2 de marzo de 2025 06:05\n"
    "Para: Lorena <lorena@correo.example>\nAsunto: consulta\n\n"
    "Lore, preguntales cuánto cuesta el envío a Cutral Có.\n"
)


def test_a_forward_subject_makes_outlook_history_the_forwarded_message() -> None:
    # Outlook and "Mensaje original" forwards carry no forward separator of their own: the
    # subject says what the history is. Under "RE:" the same block is a quoted reply.
    said = "Lore, preguntales cuánto cuesta el envío a Cutral Có."
    assert parse.forwarded(OUTLOOK_HISTORY, "RV: consulta") == said
    assert parse.forwarded(OUTLOOK_HISTORY, "Fwd: consulta") == said
    assert parse.forwarded(OUTLOOK_HISTORY, "RE: consulta") == ""
    assert parse.forwarded(OUTLOOK_HISTORY) == ""
    original = "Mirá esto\n\n-------- Mensaje original --------\nDe: Sergio <s@x.example>\n"
    original += "Fecha: 21/2/25 23:55\nPara: a@x.example\nAsunto: pregunta\n\nPreguntales si hay.\n"
    assert parse.forwarded(original, "Fwd: pregunta") == "Preguntales si hay."
