"""Build reply mail: one composer for FAQ and LLM answers, and for notes to the admin.

No value that came from a customer's message is ever parsed as a header by the email package,
because its header parser decodes RFC 2047 words, and a decoded word can hold CR/LF:

- identifiers (Message-ID, In-Reply-To, References) are checked against the msg-id grammar and
  written verbatim, never decoded and never re-encoded, so long and odd ones still thread;
- the subject is encoded here, as whole base64 words when it is not plain ASCII text;
- the recipient is a checked addr-spec, its domain in IDNA form, refused (never cut) when over
  the RFC 5321 length.

Then the serialised header block is checked line by line: exactly the fields we wrote, each
once, so nothing in a customer's text can add a header or a recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

MAX_SUBJECT = 200
MAX_REFERENCES = 10
# Reply/forward prefixes in the languages our customers' mail programs use.
REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|rv|rta|resp|aw|sv|tr|enc)\s*(\[\d+\])?\s*:\s*)+", re.I)
# RFC 5322 msg-id: dot-atom-text "@" (dot-atom-text / no-fold-literal), printable ASCII only.
_ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
MESSAGE_ID = re.compile(rf"<{_ATEXT}(?:\.{_ATEXT})*@(?:{_ATEXT}(?:\.{_ATEXT})*|\[[!-Z^-~]*\])>")
MAX_MESSAGE_ID = 250  # longer identifiers are not threaded on (and would need folding)
MAX_ADDRESS = 254  # RFC 5321: a 256-octet path, less the angle brackets
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
# Values set raw are written exactly as given (``set_raw`` plus "long" refolding would send a
# long identifier back through the header parser, which decodes it).
POLICY = SMTP.clone(refold_source="none")


@dataclass(frozen=True)
class Original:
    """What a reply needs to know about the message it answers."""

    reply_to: str
    subject: str
    message_id: str | None
    references: tuple[str, ...] = ()


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """``text`` with every control character (CR, LF, tabs…) turned into a space, capped."""
    cleaned = " ".join(CONTROL.sub(" ", text).split())
    return cleaned[:limit]


def reply_subject(subject: str) -> str:
    """``Re: <subject>`` without stacking prefixes (``Re: RE: Fwd:`` becomes ``Re:``)."""
    base = REPLY_PREFIX.sub("", one_line(subject)).strip()
    return f"Re: {base}" if base else "Re: tu consulta"


def valid_message_ids(values: tuple[str, ...] | list[str]) -> list[str]:
    """The well-formed msg-ids in ``values``, as they are: never decoded."""
    ids: list[str] = []
    for value in values:
        ids.extend(m for m in MESSAGE_ID.findall(value) if len(m) <= MAX_MESSAGE_ID)
    return ids


def recipient(address: str) -> str:
    """``address`` as a reply may be sent to it: a checked addr-spec, domain in IDNA form.

    Raises ValueError for anything else: too long (never cut: a cut address is someone else's),
    not one address, a non-ASCII local part (that needs SMTPUTF8, which we do not speak).
    """
    if len(address) > MAX_ADDRESS:
        raise ValueError("the address is longer than RFC 5321 allows")
    local, at, domain = address.strip().rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local):
        raise ValueError("not a usable email address")
    if not domain or "" in domain.split("."):
        raise ValueError("not a usable email domain")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError("the domain is not a valid internationalised name") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("not a usable email domain")
    result = f"{local}@{ascii_domain}"
    if len(result) > MAX_ADDRESS:
        raise ValueError("the address is longer than RFC 5321 allows")
    return result


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def new_message_id(shop_address: str) -> str:
    return make_msgid(idstring="voidmail", domain=domain_of(shop_address))


def reply(
    original: Original,
    body: str,
    *,
    shop_name: str,
    shop_address: str,
    signature: str = "",
    message_id: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """A text/plain UTF-8 reply in the thread of ``original``.

    Raises ValueError if the recipient is not a usable address; the caller decides what then.
    """
    msg = EmailMessage(policy=POLICY)
    msg["From"] = Address(display_name=one_line(shop_name, 100), addr_spec=shop_address)
    msg.set_raw("To", recipient(original.reply_to))
    msg.set_raw("Subject", _encoded_text(reply_subject(original.subject)))
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg.set_raw("Message-ID", message_id or new_message_id(shop_address))
    parent = valid_message_ids([original.message_id or ""])
    if parent:
        references = valid_message_ids(list(original.references))
        chain = [ref for ref in references if ref != parent[0]][-(MAX_REFERENCES - 1) :]
        msg.set_raw("In-Reply-To", parent[0])
        # Folded between identifiers, never inside one.
        msg.set_raw("References", "\r\n ".join([*chain, parent[0]]))
    # RFC 3834: mark automatic replies; ask Exchange and friends not to auto-answer them.
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Precedence"] = "auto_reply"
    text = body.strip()
    if signature.strip():
        text = f"{text}\n\n-- \n{signature.strip()}"
    msg.set_content(text + "\n", charset="utf-8", cte="quoted-printable")
    _check_headers(msg)
    return msg


def note(
    subject: str,
    body: str,
    *,
    to: str,
    shop_name: str,
    shop_address: str,
    now: datetime | None = None,
) -> EmailMessage:
    """A note from voidmail to the shop's admin (alerts, handoffs, dead letters)."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = Address(
        display_name=one_line(f"voidmail · {shop_name}", 100), addr_spec=shop_address
    )
    msg["To"] = _address(to)
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = new_message_id(shop_address)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(body.strip() + "\n", charset="utf-8", cte="quoted-printable")
    _check_headers(msg)
    return msg


def _address(addr_spec: str) -> Address:
    try:
        return Address(addr_spec=recipient(addr_spec))
    except HeaderParseError as exc:
        raise ValueError("not a usable email address") from exc


def _encoded_text(text: str) -> str:
    """An unstructured header value that no reader decodes into anything but ``text``.

    Plain ASCII without "=?" goes as it is; anything else as UTF-8 base64 encoded words, so
    a subject that merely looks like an encoded word is not decoded a second time.
    """
    text = one_line(text)
    if text.isascii() and "=?" not in text:
        return text
    return Header(text, "utf-8", header_name="Subject").encode(linesep="\r\n")


_FIELD = re.compile(r"([!-9;-~]+):")


def _check_headers(msg: EmailMessage) -> None:
    """Serialise ``msg`` and refuse it unless its header block holds exactly the fields set,
    once each, every line short, ASCII and free of bare CR or LF."""
    raw = msg.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    expected = [name.lower() for name in msg]
    seen: list[str] = []
    for line in head.split(b"\r\n"):
        if len(line) > 998 or not line.isascii() or b"\r" in line or b"\n" in line:
            raise ValueError("a header line of the reply is malformed")
        if line[:1] in (b" ", b"\t"):
            if not seen or not line.strip():
                raise ValueError("a header line of the reply is malformed")
            continue
        field = _FIELD.match(line.decode("ascii"))
        if field is None:
            raise ValueError("a header line of the reply is malformed")
        seen.append(field.group(1).lower())
    if seen != expected:
        raise ValueError(f"the reply's header fields changed when written: {seen}")
