"""The listener's header summary, recorded for every message before anything else."""

from __future__ import annotations

from voidmail import listener


def test_raw_utf8_and_latin1_headers_are_read_not_mangled() -> None:
    utf8 = "Subject: Consulta por envíos\nFrom: José <Jose@Correo.example>\n\nx".encode()
    summary = listener.summarize(utf8, len(utf8))
    assert summary.subject == "Consulta por envíos"
    assert summary.sender == "jose@correo.example"
    latin1 = "Subject: café\n\nx".encode("latin-1")
    assert listener.summarize(latin1, len(latin1)).subject == "café"


def test_encoded_words_and_missing_message_id() -> None:
    raw = b"Subject: =?utf-8?q?Env=C3=ADos?=\nFrom: nobody\n\nx"
    summary = listener.summarize(raw, len(raw))
    assert summary.subject == "Envíos"
    assert summary.message_id is None
    assert summary.key.startswith("sha256:")
    assert summary.sender == ""


def test_message_id_is_the_key() -> None:
    raw = b"Message-ID:  <abc@host.example> \nReply-To: Ana <ANA@x.example>\n\nx"
    summary = listener.summarize(raw, len(raw))
    assert summary.key == summary.message_id == "<abc@host.example>"
    assert summary.reply_to == "ana@x.example"
