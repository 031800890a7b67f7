"""Hostile mail: hand-written cases of every class that ever broke or stalled a mail path,
and a seeded mutator that turns real mail into broken mail.

Large cases are built here rather than kept as files. Each case is a complete message whose
sender (where it has one) is ``cliente@correo.example``, so a test can tell a message that was
read from one that was lost.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SENDER = b"Cliente <cliente@correo.example>"


def message(
    headers: dict[bytes, bytes] | None = None,
    body: bytes = b"Hola, \xc2\xbfhacen env\xc3\xados a todo el pa\xc3\xads?\r\n",
    *,
    content_type: bytes = b"text/plain; charset=utf-8",
) -> bytes:
    fields = {
        b"From": SENDER,
        b"To": b"hola@tienda.example",
        b"Subject": b"Consulta",
        b"Date": b"Tue, 24 Nov 2026 10:00:00 -0300",
        b"Content-Type": content_type,
        **(headers or {}),
    }
    head = b"".join(name + b": " + value + b"\r\n" for name, value in fields.items())
    return head + b"\r\n" + body


def b64_word(text: bytes) -> bytes:
    return b"=?utf-8?b?" + base64.b64encode(text) + b"?="


def cases() -> dict[str, bytes]:
    """name -> raw bytes. Every class a fuzz campaign or a review found, and their cousins.

    Each case that uses the default sender gets its own address (``cliente-N@…``), so the
    loop guard's per-sender limits do not mistake the set for one chatty customer.
    """
    return {
        name: raw.replace(SENDER, b"Cliente <cliente-%d@correo.example>" % n)
        for n, (name, raw) in enumerate(_cases().items())
    }


def _cases() -> dict[str, bytes]:
    big = 4 * 1024 * 1024
    return {
        # Headers that do not decode.
        "subject-one-char-base64": message({b"Subject": b"=?utf-8?b?a?="}),
        "subject-unknown-charset": message({b"Subject": b"=?x-nada?q?hola?= =?utf-8?q?y?="}),
        "subject-nul-charset": message({b"Subject": b"=?utf\x00-8?q?hola?="}),
        "subject-4mb-encoded": message({b"Subject": b"=?utf-8?q?" + b"a" * big + b"?="}),
        "subject-encoded-words-1mb": message({b"Subject": b"=?a?q?x " * (1024 * 128)}),
        "subject-8bit-latin1": message({b"Subject": b"Env\xedo a C\xf3rdoba"}),
        "subject-encoded-twice": message(
            {b"Subject": b64_word(b"=?utf-8?q?x=0D=0ABcc:_robo@evil.example?=")}
        ),
        "date-20-digit-year": message({b"Date": b"Mon, 1 Jan 99999999999999999999 00:00 +0000"}),
        "date-garbage": message({b"Date": b"ayer a la tarde"}),
        "from-thousand-parens": message({b"From": b"(" * 1000 + b"cliente@correo.example"}),
        "from-long-no-at": message({b"From": b"a" * 200_000}),
        "from-at-runs": message({b"From": b"a@" * 100_000}),
        "from-3000-char-address": message({b"From": b"<" + b"x" * 3000 + b"@correo.example>"}),
        "from-double-dot-domain": message({b"From": b"Cliente <cliente@correo..example>"}),
        "from-idn-domain": message({b"From": "Ana <ana@café.example>".encode()}),
        "message-id-nul": message({b"Message-ID": b"<a\x00b@correo.example>"}),
        "message-id-encoded-crlf": message(
            {b"Message-ID": b"<" + b64_word(b"x\r\nBcc: robo@evil.example") + b"@y.example>"}
        ),
        "message-id-outlook-long": message(
            {b"Message-ID": b"<" + b"A" * 60 + b"." + b"B" * 20 + b"@namprd01.outlook.com>"}
        ),
        "message-id-5000-chars": message({b"Message-ID": b"<" + b"m" * 5000 + b"@x.example>"}),
        "references-crlf-word": message(
            {b"References": b"<" + b64_word(b"\r\nX-Evil: 1") + b"@z.example>"}
        ),
        "header-without-colon": b"From cliente@correo.example\r\nNo colon here\r\n\r\nhola\r\n",
        # Bodies.
        "body-nul-charset": message(content_type=b'text/plain; charset="\x00"'),
        "body-undefined-charset": message(content_type=b"text/plain; charset=x-undefined"),
        "body-utf7": message(content_type=b"text/plain; charset=utf-7", body=b"+AKE-hola?\r\n"),
        "body-bad-base64": message(
            {b"Content-Transfer-Encoding": b"base64"}, body=b"!!!not base64 at all==="
        ),
        "body-at-lines": message(body=b"a@a@a@a@a@a@a@a@a@a@\r\n" * 10_000),
        "body-signature-spaces": message(body=b"von meinem" + b" " * 5000 + b"x\r\n"),
        "body-long-token": message(body=b"x" * 400_000),
        "body-url-run": message(body=b"http://a" * 50_000),
        "body-space-runs-after-keywords": message(
            body=b"pedido" + b" " * 200_000 + b"x\r\nhace" + b" \r\n" * 50_000 + b"dias?\r\n"
        ),
        "body-blank-line-runs": message(body=b"Nombre" + b"\t\r\n" * 100_000 + b"mensaje:\r\n"),
        # Runs of what the routing rules look for: commas before a reason, sizes side by side,
        # dates, emoji ending sentences, another shop, capitalised names.
        "body-comma-runs": message(body=b", " * 100_000 + b"ya que en otra tienda?\r\n"),
        "body-size-runs": message(body=b"entre una m y " * 20_000 + b"l?\r\n"),
        "body-deadline-runs": message(body=b"para el " * 30_000 + b"24?\r\n"),
        "body-emoji-runs": message(body="😄 ".encode() * 50_000 + b"ya se\r\n"),
        "body-name-lines": message(body=b"hola?\r\n\r\n" + b"Ana Maria " * 40_000 + b"\r\n"),
        # Handoff phrases that are each excused by words far along the same line.
        "body-excused-handoff-runs": message(
            body=b"me arrepenti " * 8_000 + b"quiero cambiarlo?\r\n"
        ),
        "body-refund-runs": message(body=b"devolver y " * 10_000 + b"cambiarla?\r\n"),
        "html-unclosed-tags": message(body=b"<a " * 100_000, content_type=b"text/html"),
        "html-end-tag-run": message(body=b"</" * 200_000, content_type=b"text/html"),
        "html-comment-run": message(body=b"<!--" * 100_000, content_type=b"text/html"),
        "mime-deep": _deep_mime(5000),
        "mime-no-boundary": message(
            body=b"--x\r\nContent-Type: text/plain\r\n\r\nhola\r\n",
            content_type=b"multipart/mixed",
        ),
        "mime-unterminated": message(
            body=b"--b\r\nContent-Type: text/plain\r\n\r\nhola",
            content_type=b'multipart/alternative; boundary="b"',
        ),
        "mime-many-parts": _many_parts(2000),
        "only-headers": b"From: cliente@correo.example\r\nSubject: hola",
        "empty-lines": b"\r\n\r\n\r\n",
        "binary-junk": bytes(range(256)) * 64,
    }


def _deep_mime(levels: int) -> bytes:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(levels)
    )
    return message(
        body=head + b"Content-Type: text/plain\r\n\r\nhola\r\n", content_type=b"text/plain"
    )


def _many_parts(count: int) -> bytes:
    parts = b"".join(
        b"--p\r\nContent-Type: text/plain\r\n\r\nparte %d\r\n" % i for i in range(count)
    )
    return message(body=parts + b"--p--\r\n", content_type=b'multipart/mixed; boundary="p"')


# -- mutation ---------------------------------------------------------------------------------

TOKENS = [
    b"=?", b"?=", b"=?utf-8?b?", b"=?x?q?", b"<", b">", b"</", b"<!--", b"(", b")", b"\"",
    b"\\", b"@", b"..", b":", b";", b",", b"\x00", b"\r", b"\n", b"\r\n ", b"\t", b"\xff",
    b"\xc3", b"--", b"boundary=", b"charset=", b"Content-Type: multipart/mixed\r\n",
    b"http://", b"De: x\r\nPara: y\r\nAsunto: z\r\n", b" escribi\xc3\xb3:", b"&#", b"%",
]  # fmt: skip


def seeds() -> list[bytes]:
    """Real mail from the routing corpus, plus the hand-written cases that are small."""
    found = [path.read_bytes() for path in sorted(CORPUS.rglob("*.eml"))]
    return found + [raw for raw in cases().values() if len(raw) < 64 * 1024]


def mutants(count: int, seed: int) -> Iterator[bytes]:
    """``count`` mutants of the seeds: tokens inserted, bytes flipped, spans repeated or cut."""
    rng = random.Random(seed)
    pool = seeds()
    for _ in range(count):
        raw = bytearray(rng.choice(pool))
        for _ in range(rng.randint(1, 6)):
            if not raw:
                raw.extend(rng.choice(TOKENS))
                continue
            at = rng.randrange(len(raw))
            action = rng.randrange(5)
            if action == 0:
                raw[at:at] = rng.choice(TOKENS) * rng.choice((1, 1, 2, 50, 2000))
            elif action == 1:
                raw[at] = rng.randrange(256)
            elif action == 2:
                span = bytes(raw[at : at + rng.randint(1, 40)])
                raw[at:at] = span * rng.choice((2, 10, 500))
            elif action == 3:
                del raw[at : at + rng.randint(1, 200)]
            else:
                raw = raw[:at]
        yield bytes(raw)
