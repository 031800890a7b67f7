"""Loop and abuse safety: decide whether a message must never be answered automatically.

:func:`check` returns a short machine reason when the message is auto-generated, bulk, spam,
our own mail coming back, or has no one to answer; otherwise None. It is deliberately strict
about machines and lenient about people: a vacation reply answered is the start of a loop, but
a real customer writing from Gmail or Outlook carries none of these marks.

Sources: RFC 3834 (Auto-Submitted, List-*, null return path) and the rules that helpdesks
(Discourse, Zammad, Chatwoot, Request Tracker) converged on after their own loops.

Two marks are deliberately *not* treated as proof on their own:

- ``X-Auto-Response-Suppress`` asks *us* not to auto-reply. Exchange adds values such as
  ``DR, OOF, AutoReply`` to ordinary mail (messages sent through distribution lists, for
  one), so only ``All`` is taken as a machine mark; the rest is ignored.
- ``Feedback-ID`` and ESP headers (``X-SG-EID``, ``X-Mailgun-*``): contact forms relaying a
  customer's question travel through the same providers. Bulk mail from them is caught by its
  ``List-Unsubscribe`` or ``Precedence`` instead.
"""

from __future__ import annotations

import re
import unicodedata

from voidmail import parse

# Header names that mark automatic mail whatever their value (Discourse's pattern). The three
# headers below are checked by value instead, so they are left out here.
AUTO_HEADER = re.compile(
    r"auto[-_]?(?:response|submitted|replied|reply|generated|respond)|holidayreply|machinegenerated"
)
VALUE_CHECKED = frozenset({"auto-submitted", "x-auto-response-suppress"})
NEGATIVE_VALUES = frozenset({"no", "false", "0", "off", "none"})
X_AUTOREPLY = frozenset({"x-autoreply", "x-autorespond", "x-autoresponder", "x-autoresponse"})
LIST_HEADERS = frozenset({"mailing-list", "x-mailing-list", "x-list"})
PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply", "auto-reply"})
REPORT_TYPES = frozenset(
    {
        "multipart/report",
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/feedback-report",
        "text/rfc822-headers",
    }
)

# RFC 8601 "method=result" pairs; the header value is capped before it is read.
AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
MAX_AUTH_RESULTS = 4096
RSPAMD_SPAM_ACTIONS = frozenset({"reject", "add header", "rewrite subject", "soft reject"})
SCL_SPAM = 5  # Microsoft's spam confidence level: 5 and above is spam
FOREFRONT_SCL = re.compile(r"\bSCL:(-?\d+)", re.IGNORECASE)

# Local parts that no person reads. "+tag" and "-suffix" variants count too.
DAEMON_LOCAL = re.compile(r"^(?:mailer[-_.]?daemon|post[-_.]?master|bounces?)(?:[-+_.].*)?$")
NOREPLY_LOCAL = re.compile(
    r"""^(?:
        no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|no[-_.]?responder|no[-_.]?responda
      | no[-_.]?respuesta|no[-_.]?contestar|notificaciones?|notifications?|notify|alertas?|avisos
      | alerts?|newsletters?|automated|auto[-_.]?confirm|auto[-_.]?mail|mailer[-_.]?noreply
    )(?:[-+_.].*)?$""",
    re.VERBOSE,
)

LOCAL_SEPARATOR = re.compile(r"[-_.+]")
# The sentences of an absence notice sent without any automatic mark (no Auto-Submitted, a
# subject that is only "Re: …"). Counted only when the new text holds no question.
OUT_OF_OFFICE = re.compile(
    r"\b(?:estoy|me\s+encuentro|estar[eé]|estaremos|estamos)\s+"
    r"(?:de\s+licencia|de\s+vacaciones|fuera\s+de\s+(?:la\s+)?oficina|ausente)\s+"
    r"(?:hasta|desde|del|entre)\b"
    r"|\bdurante\s+mi\s+ausencia\b"
    r"|\bi\s+am\s+(?:currently\s+)?out\s+of\s+(?:the\s+)?office\b|\bduring\s+my\s+absence\b",
    re.IGNORECASE,
)

# Subjects of vacation replies, delivery failures and read receipts, matched at the start
# after any "[tag]" and reply prefixes. Only phrases a person does not open a question with.
AUTO_SUBJECT = re.compile(
    r"""^(?:
        auto\s*:|automatic\s+reply|auto[-\s]?reply|auto[-\s]?response|autoresponder
      | out\s+of\s+(?:the\s+)?office|ooo\s*:
      | respuesta\s+autom[aá]tica|contestaci[oó]n\s+autom[aá]tica|fuera\s+de\s+(?:la\s+)?oficina
      | mensaje\s+autom[aá]tico
      | r[ée]ponse\s+automatique|absence\s+du\s+bureau|absent\s*:
      | abwesenheitsnotiz|automatische\s+antwort|abwesend\s*:
      | resposta\s+autom[aá]tica|fora\s+do\s+escrit[oó]rio|aus[eê]ncia\s*:
      | risposta\s+automatica|fuori\s+(?:sede|ufficio)
      | automatisch\s+antwoord|autosvar|automatisk\s+svar
      | undeliverable|undelivered\s+mail|delivery\s+status\s+notification|delivery\s+failure
      | delivery\s+has\s+failed|delivery\s+notification|failure\s+notice|returned\s+mail
      | mail\s+delivery\s+(?:failed|failure|system|subsystem)|mail\s+system\s+error
      | message\s+not\s+delivered|non[-\s]?delivery|warning\s*:\s*delay
      | notificaci[oó]n\s+de\s+estado\s+de\s+entrega
      | no\s+entregado\s*:
      | nicht\s+zustellbar|unzustellbar|non\s+remis|non\s+distribu[ée]|n[aã]o\s+entregue
      | le[ií]do\s*:|no\s+le[ií]do\s*:|read\s*:|not\s+read\s*:|gelesen\s*:
      | acuse\s+de\s+recibo|read\s+receipt|return\s+receipt
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Delivery failures in words a customer also uses of a parcel ("Devuelto al remitente??",
# "Entrega fallida de mi pedido"): a notice only as a title, alone or before ":" or "(".
DELIVERY_SUBJECT = re.compile(
    r"^(?:no\s+se\s+puede\s+entregar|no\s+se\s+pudo\s+entregar|entrega\s+fallida|mensaje\s+no\s+entregado"
    r"|error\s+en\s+la\s+entrega|devuelto\s+al\s+remitente)\s*(?:$|[:(\[-])",
    re.IGNORECASE,
)
SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:\[[^\]]{0,40}\]|(?:re|fw|fwd|rv|tr|aw|wg)\s*:))+\s*", re.I)

# Notices that say of themselves they are automatic ("no respondas este mensaje"). Matched on
# the new text only, so a customer forwarding such a notice with a question is not caught.
AUTO_BODY = re.compile(
    r"""(?:
        (?:mensaje|correo|e-?mail|mail|notificaci[oó]n)\s+(?:generad[oa]\s+)?autom[aá]tic(?:o|a|amente)
        .{0,80}?no\s+(?:lo\s+|la\s+)?(?:respond|conteste)
      | (?:por\s+favor,?\s+)?no\s+(?:respondas|responda|responder|conteste)\s+(?:a\s+)?
        (?:este|esta)\s+(?:mensaje|correo|e-?mail|mail|notificaci[oó]n|direcci[oó]n)
      | (?:this\s+is\s+an\s+automated\s+(?:message|email|notification))
      | please\s+do\s+not\s+reply\s+to\s+this\s+(?:message|email)
    )""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def check(
    mail: parse.Mail,
    own_addresses: frozenset[str],
    own_domains: frozenset[str],
    *,
    authserv_id: str = "",
) -> str | None:
    """The reason ``mail`` must be ignored (a short snake_case word), or None to go on.

    ``own_addresses`` and ``own_domains`` are lower case: the shop's mailbox address(es) and the
    domains its Message-IDs are made in. ``authserv_id`` names the receiving server whose
    Authentication-Results header is believed (``guard.authserv_id``).
    """
    own_addresses = frozenset(a.lower() for a in own_addresses)
    own_domains = frozenset(d.lower().lstrip("@") for d in own_domains)
    for rule in (
        _sender,
        lambda m: _ours(m, own_addresses, own_domains),
        lambda m: _forged(m, authserv_id),
        _spam_verdict,
        _headers,
        _report,
        _machine_sender,
        _subject,
        _body,
    ):
        reason = rule(mail)
        if reason:
            return reason
    return None


def _sender(mail: parse.Mail) -> str | None:
    if not mail.reply_address:
        return "no_sender"
    return None


def _ours(
    mail: parse.Mail, own_addresses: frozenset[str], own_domains: frozenset[str]
) -> str | None:
    # A web contact form may send as the shop with the customer in Reply-To: answering that
    # reaches the customer, not us, so only mail whose reply would come back here is a loop.
    relayed = mail.reply_to is not None and not _in_domains(mail.reply_to, own_domains)
    if mail.reply_to and mail.reply_to in own_addresses:
        return "own_address"
    if relayed:
        return None
    senders = {mail.sender, *(_address_of(v) for v in mail.header_all("sender"))}
    if senders & own_addresses:
        return "own_address"
    if mail.message_id and _in_domains(mail.message_id.strip("<>"), own_domains):
        return "own_message_id"
    return None


def _forged(mail: parse.Mail, authserv_id: str) -> str | None:
    """The shop's own receiving server says the sender is forged: a reply would be backscatter.

    Only one Authentication-Results header is read: the topmost one whose authserv-id is the
    configured one (or the topmost of all, with "topmost"). The receiving server adds its
    header above everything the message arrived with, so a copy written by the sender, even
    one naming the same server, sits below it and is never read.
    """
    wanted = authserv_id.strip().lower()
    if not wanted:
        return None
    for value in mail.header_all("authentication-results"):
        value = value[:MAX_AUTH_RESULTS]
        server = value.split(";", 1)[0].strip().split(None, 1)[0].lower() if value else ""
        if wanted != "topmost" and server != wanted:
            continue
        results = {method.lower(): result.lower() for method, result in AUTH_RESULT.findall(value)}
        if results.get("dmarc") == "fail":
            return "dmarc_fail"
        if results.get("spf") == "fail" and results.get("dkim") != "pass":
            return "spf_fail"
        return None
    return None


def _spam_verdict(mail: parse.Mail) -> str | None:
    """A spam filter in front of the mailbox said spam (Rspamd, SpamAssassin, Microsoft).

    These headers could be written by the sender too; believing them costs the sender only
    its own reply, so they are read wherever they are.
    """
    for name, value in mail.headers:
        word = _first_token(value)
        if name in ("x-spam-flag", "x-spam") and word in ("yes", "true"):
            return "spam_flag"
        if name == "x-spam-status" and word.startswith("yes"):
            return "spam_flag"
        if name == "x-rspamd-action" and value.strip().lower() in RSPAMD_SPAM_ACTIONS:
            return "spam_rspamd"
        if name == "x-ms-exchange-organization-scl" and _scl(value) >= SCL_SPAM:
            return "spam_scl"
        if name == "x-forefront-antispam-report":
            found = FOREFRONT_SCL.search(value[:MAX_AUTH_RESULTS])
            if found and _scl(found.group(1)) >= SCL_SPAM:
                return "spam_scl"
    return None


def _scl(value: str) -> int:
    try:
        return int(value.strip()[:3])
    except ValueError:
        return -1


def _headers(mail: parse.Mail) -> str | None:
    for name, value in mail.headers:
        word = _first_token(value)
        if name == "auto-submitted":
            if word != "no":
                return "auto_submitted"
        elif name == "x-auto-response-suppress":
            if "all" in {part.strip().lower() for part in value.split(",")}:
                return "auto_response_suppress"
        elif name in X_AUTOREPLY:
            if word not in NEGATIVE_VALUES:
                return "x_autoreply"
        elif name in ("precedence", "x-precedence"):
            if word in PRECEDENCE:
                return f"precedence_{word.replace('-', '_')}"
        elif name.startswith("list-") or name in LIST_HEADERS:
            return "list_header"
        elif name == "x-ms-exchange-inbox-rules-loop":
            return "exchange_loop"
        elif name == "x-ms-exchange-generated-message-source":
            return "exchange_generated"
        elif name == "x-loop":
            return "x_loop"
        elif name == "x-ms-exchange-message-is-ndr":
            return "delivery_report"
        elif name not in VALUE_CHECKED and AUTO_HEADER.search(name) and word not in NEGATIVE_VALUES:
            return "autoreply_header"
    if mail.return_path == "":
        return "null_return_path"
    return None


def _report(mail: parse.Mail) -> str | None:
    if any(ctype in REPORT_TYPES for ctype in mail.content_types):
        return "delivery_report"
    return None


def _machine_sender(mail: parse.Mail) -> str | None:
    local = mail.sender.partition("@")[0]
    if DAEMON_LOCAL.match(local):
        return "mailer_daemon"
    if _noreply(local):
        # Shop platforms relay contact forms from a no-reply address with the customer in
        # Reply-To; a Reply-To elsewhere that a person reads makes the message answerable.
        reply = mail.reply_to
        if reply and _domain(reply) != _domain(mail.sender):
            reply_local = reply.partition("@")[0]
            if not (_noreply(reply_local) or DAEMON_LOCAL.match(reply_local)):
                return None
        return "noreply_sender"
    if mail.reply_to:
        # A person's address in From, but replies go to a no-reply box: a platform's notice.
        reply_local = mail.reply_to.partition("@")[0]
        if _noreply(reply_local) or DAEMON_LOCAL.match(reply_local):
            return "noreply_reply_to"
    return None


def _subject(mail: parse.Mail) -> str | None:
    subject = SUBJECT_PREFIX.sub("", _fold(mail.subject))
    if AUTO_SUBJECT.match(subject) or DELIVERY_SUBJECT.match(subject):
        return "autoreply_subject"
    return None


def _noreply(local: str) -> bool:
    """A no-reply local part, also as a later component: "googlealerts-noreply", "x.no-reply"."""
    starts = [0, *(found.end() for found in LOCAL_SEPARATOR.finditer(local))]
    return any(NOREPLY_LOCAL.match(local[start:]) for start in starts)


def _body(mail: parse.Mail) -> str | None:
    text = " ".join(mail.new_text.split())
    if AUTO_BODY.search(text):
        return "automatic_notice"
    if "?" not in text and OUT_OF_OFFICE.search(text):
        # An absence notice asks nothing; a customer who mentions a trip asks something.
        return "out_of_office"
    return None


def _first_token(value: str) -> str:
    # "auto-replied (vacation)", "bulk; x", "Yes, score=12.4": the keyword comes first.
    return re.split(r"[\s;,(]", value.strip().lower(), maxsplit=1)[0] if value.strip() else ""


def _address_of(value: str) -> str:
    match = re.search(r"[^\s<>\"]+@[^\s<>\"]+", value)
    return match.group(0).lower() if match else ""


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _in_domains(address: str, domains: frozenset[str]) -> bool:
    domain = _domain(address)
    return any(domain == d or domain.endswith("." + d) for d in domains if d)


def _fold(text: str) -> str:
    # NFC so "automática" written with a combining accent still matches the patterns.
    return unicodedata.normalize("NFC", text)
