"""Build reply mail: one composer for FAQ and LLM answers, and for notes to the admin.

Every value that came from a customer's message is cleaned before it becomes a header, so no
decoded input (an encoded CR/LF in a subject, say) can add a header of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

MAX_SUBJECT = 200
MAX_REFERENCES = 10
# Reply/forward prefixes in the languages our customers' mail programs use.
REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|rv|rta|resp|aw|sv|tr|enc)\s*(\[\d+\])?\s*:\s*)+", re.I)
MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")


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
    ids: list[str] = []
    for value in values:
        ids.extend(MESSAGE_ID.findall(value))
    return ids


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
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=one_line(shop_name, 100), addr_spec=shop_address)
    msg["To"] = _address(original.reply_to)
    msg["Subject"] = reply_subject(original.subject)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id or new_message_id(shop_address)
    parent = valid_message_ids([original.message_id or ""])
    if parent:
        references = valid_message_ids(list(original.references))
        chain = [ref for ref in references if ref != parent[0]][-(MAX_REFERENCES - 1) :]
        msg["In-Reply-To"] = parent[0]
        msg["References"] = " ".join([*chain, parent[0]])
    # RFC 3834: mark automatic replies; ask Exchange and friends not to auto-answer them.
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Precedence"] = "auto_reply"
    text = body.strip()
    if signature.strip():
        text = f"{text}\n\n-- \n{signature.strip()}"
    msg.set_content(text + "\n", charset="utf-8", cte="quoted-printable")
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
    msg = EmailMessage(policy=SMTP)
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
    return msg


def _address(addr_spec: str) -> Address:
    cleaned = one_line(addr_spec, 320)
    local, at, domain = cleaned.rpartition("@")
    if not at or not local or not domain or " " in cleaned or "<" in cleaned or "," in cleaned:
        raise ValueError("not a usable email address")
    return Address(addr_spec=cleaned)
