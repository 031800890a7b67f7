"""Turn raw RFC 5322 bytes into a :class:`Mail`: headers decoded, body readable, reply isolated.

``parse`` never raises. Mail in the wild is broken in every way a parser can imagine: wrong or
unknown charsets, 8-bit bytes in headers, malformed RFC 2047 words, truncated base64, MIME trees
nested without end. Each step falls back to something readable and records what went wrong in
``Mail.defects``, so a bad message still reaches triage (and usually a person) instead of
killing the worker.

The stdlib ``email`` package is used with the ``compat32`` policy, which never raises on bad
headers; every header is then decoded here by hand. ``new_text`` is what the customer newly
wrote: quoted replies, forwarded history and signatures are cut by :func:`strip_reply`.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import dataclasses
import email
import email.message
import email.parser
import email.utils
import hashlib
import html
import html.parser
import quopri
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.policy import compat32

# Beyond these the message is odd enough that a person should look at it anyway.
MAX_DEPTH = 12
MAX_PARTS = 200
MAX_TEXT_CHARS = 200_000
MAX_HTML_CHARS = 2_000_000
MAX_HTML_NESTING = 256
MAX_TAG_CHARS = 8_192  # a longer tag or comment is text, not markup
# What a header may hold: longer values are cut before decoding (RFC 5322 allows 998 per line;
# a folded References of a long thread stays far below this).
MAX_HEADER_CHARS = 32_768
MAX_SUBJECT_CHARS = 998
# An address longer than RFC 5321 allows (a 256-octet path less "<>") is refused, never cut.
MAX_ADDRESS_CHARS = 254
# Lines longer than this are text, never an attribution, separator or signature.
MAX_MARKER_LINE = 400
# Single-byte charsets whose bytes always "decode", so a UTF-8 body mislabelled as one of them
# would silently turn into mojibake: valid UTF-8 is tried first for these.
LATIN_FAMILY = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
# Mail clients mean Windows-1252 when they say ASCII or Latin-1 (as browsers assume too): its
# printable 0x80-0x9F range holds the curly quotes and dashes Outlook writes.
AS_CP1252 = frozenset({"ascii", "iso8859-1"})
FALLBACK_CHARSETS = ("utf-8", "cp1252")

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_BETWEEN_WORDS = re.compile(r"(=\?[^?\s]+\?[QqBb]\?[^?]*\?=)\s+(?==\?[^?\s]+\?[QqBb]\?[^?]*\?=)")
_MSG_ID = re.compile(r"<([^<>]*)>")
# A run of characters that may stand in an addr-spec: one character class, so linear.
_ADDRESS_TOKEN = re.compile(r"[^\s<>()\[\]\\,;:\"]+")
# The stdlib address parser recurses per comment level and is slow on long garbage: beyond
# these, only the linear token scan is used.
MAX_PARSED_ADDRESS_HEADER = 4_096
MAX_COMMENT_MARKS = 32
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


@dataclasses.dataclass(frozen=True, slots=True)
class Attachment:
    """A part that is not body text. Its contents are never kept, only what it is."""

    filename: str
    content_type: str
    size: int


@dataclasses.dataclass(frozen=True)
class Mail:
    """One parsed message. Every string is decoded text; none holds CR, LF or other controls
    except ``text`` and ``new_text``, which keep their line breaks."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: str
    sender_name: str
    reply_to: str | None
    return_path: str | None
    subject: str
    date: datetime | None
    headers: tuple[tuple[str, str], ...]
    text: str
    new_text: str
    attachments: tuple[Attachment, ...]
    size: int
    defects: tuple[str, ...]
    # Every MIME type in the tree, root first, lower case (the guard looks for reports).
    content_types: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        key = name.lower()
        for field, value in self.headers:
            if field == key:
                return value
        return None

    def header_all(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (any case), in message order."""
        key = name.lower()
        return tuple(value for field, value in self.headers if field == key)

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, address) pairs of every header ``name`` ("To", "Cc"), best effort: a
        header too long, too nested or too broken to read gives what can be read, never an
        error."""
        return [pair for value in self.header_all(name) for pair in _addresses(value)]

    @property
    def reply_address(self) -> str:
        """Where a reply goes: Reply-To when it holds a usable address, else the sender."""
        return self.reply_to or self.sender


# --------------------------------------------------------------------------- entry points


def parse(raw: bytes) -> Mail:
    """Parse ``raw`` into a :class:`Mail`. Never raises, whatever the bytes."""
    return _guarded(raw, headers_only=False)


def parse_headers(raw: bytes) -> Mail:
    """Only the headers of ``raw`` (``text`` and ``attachments`` stay empty): what the
    listener records before any worker reads the message. Never raises."""
    return _guarded(raw, headers_only=True)


def _guarded(raw: bytes, *, headers_only: bool) -> Mail:
    try:
        return _parse(raw, headers_only=headers_only)
    except Exception as exc:  # noqa: BLE001
        # The contract is "never raises": any input, however broken, becomes a Mail so the
        # message can still be recorded and handed to a person. Known failure modes are handled
        # where they happen; this only catches what nobody foresaw.
        failure = f"parse_failed:{type(exc).__name__}"
        if not headers_only:
            # The headers alone may still say who wrote (so a person can answer).
            headers = _guarded(raw, headers_only=True)
            return dataclasses.replace(headers, defects=(*headers.defects, failure))
        return Mail(
            message_id=None,
            in_reply_to=None,
            references=(),
            sender="",
            sender_name="",
            reply_to=None,
            return_path=None,
            subject="",
            date=None,
            headers=(),
            text="",
            new_text="",
            attachments=(),
            size=len(raw) if isinstance(raw, bytes | bytearray) else 0,
            defects=(failure,),
        )


def unreadable(mail: Mail) -> bool:
    """True when ``mail`` could not be parsed at all: a person must look at the raw message."""
    return any(defect.startswith("parse_failed:") for defect in mail.defects)


def body_hash(text: str) -> str:
    """A stable digest of ``text`` (normally ``Mail.new_text``) for spotting repeated bodies.

    Case, accents' composition form and whitespace do not change the digest.
    """
    normal = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- decoding helpers


def decode_bytes(data: bytes, declared: str | None, defects: list[str] | None = None) -> str:
    """Decode ``data`` trying the declared charset, UTF-8 and cp1252, then Latin-1.

    Latin-1 maps every byte, so this always returns; a fallback is noted in ``defects``.
    """
    charset = _codec_name(declared)
    if charset in AS_CP1252:
        charset = "cp1252"
    order: list[str] = []
    if charset and charset not in LATIN_FAMILY:
        order.append(charset)
    order.extend(FALLBACK_CHARSETS)
    if charset in LATIN_FAMILY:
        # After UTF-8 (which fails fast on real Latin-1) but before plain cp1252.
        order.insert(1, charset)
    for name in order:
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if defects is not None and charset and name != charset and not _is_ascii(data):
            defects.append(f"charset_fallback:{charset}->{name}")
        return _undoubled(text, defects)
    if defects is not None:
        defects.append(f"charset_fallback:{charset or 'none'}->latin-1")
    return data.decode("latin-1")


# UTF-8 encoded twice ("dÃ©bito", "Â¿cÃ³mo?"): each accented letter became two Latin-1 ones.
DOUBLED_UTF8 = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")


def _undoubled(text: str, defects: list[str] | None) -> str:
    """``text`` with letters a sender's program encoded to UTF-8 twice decoded once more."""
    if not DOUBLED_UTF8.search(text):
        return text
    if defects is not None:
        defects.append("doubled_utf8")
    return DOUBLED_UTF8.sub(lambda pair: pair.group(0).encode("latin-1").decode("utf-8"), text)


def _codec_name(declared: str | None) -> str | None:
    if not declared:
        return None
    label = declared.strip().strip("\"'").lower()
    # RFC 2231 language suffix: utf-8*es
    label = label.split("*", 1)[0]
    if label in ("unknown-8bit", "x-unknown", "unknown", "8bit", "default", "charset"):
        return None
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None


def _is_ascii(data: bytes) -> bool:
    return all(b < 0x80 for b in data)


def header_text(value: str) -> str:
    """A header value read with compat32, its raw 8-bit bytes (surrogate escapes) decoded."""
    return _surrogates_to_text(value)


def _surrogates_to_text(value: str) -> str:
    """Headers read with compat32 carry raw 8-bit bytes as surrogate escapes; decode them."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("ascii", "surrogateescape")
    return decode_bytes(data, None)


def decode_rfc2047(value: str) -> str:
    """Decode RFC 2047 encoded words in ``value``; malformed words are left as they are."""
    if "=?" not in value:
        return value
    # Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
    value = _BETWEEN_WORDS.sub(r"\1", value)
    return _ENCODED_WORD.sub(_decode_word, value)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.group(1), match.group(2).lower(), match.group(3)
    try:
        if encoding == "q":
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=False)
        else:
            padded = payload + "=" * (-len(payload) % 4)
            data = base64.b64decode(padded.encode("ascii"), validate=False)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return match.group(0)
    return decode_bytes(data, charset)


def single_line(value: str) -> str:
    """Collapse whitespace and drop every control or formatting character: one clean line."""
    out = []
    for ch in value:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp") or ch.isspace():
            out.append(" ")
        elif category in ("Cf", "Cs"):
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def _clean_text(value: str) -> str:
    """Normalise line breaks and drop control characters, keeping newlines and tabs."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in value:
        if ch in "\n\t":
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or category == "Cs":
            continue
        if category in ("Zl", "Zp"):
            out.append("\n")
            continue
        out.append(ch)
    lines = [_SPACES.sub(" ", line).rstrip() for line in "".join(out).split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


# --------------------------------------------------------------------------- headers


def _header_pairs(msg: email.message.Message, defects: list[str]) -> list[tuple[str, str, str]]:
    """(lower-case name, raw unfolded value, decoded single-line value) for every header."""
    pairs = []
    for name, value in msg.raw_items():
        raw_name = single_line(_surrogates_to_text(str(name)[:MAX_HEADER_CHARS])).lower()
        raw_value = _surrogates_to_text(str(value)[:MAX_HEADER_CHARS])
        if len(str(value)) > MAX_HEADER_CHARS:
            defects.append(f"header_truncated:{raw_name}")
        try:
            decoded = decode_rfc2047(raw_value)
        except (ValueError, LookupError) as exc:  # pragma: no cover - _decode_word is total
            defects.append(f"header_decode:{raw_name}:{type(exc).__name__}")
            decoded = raw_value
        pairs.append((raw_name, single_line(raw_value), single_line(decoded)))
    return pairs


def _first(pairs: Sequence[tuple[str, str, str]], name: str, *, raw: bool = False) -> str | None:
    for field, raw_value, decoded in pairs:
        if field == name:
            return raw_value if raw else decoded
    return None


def _addresses(raw_value: str) -> list[tuple[str, str]]:
    """(display name, lower-case addr-spec) pairs from an address header, best effort."""
    found: list[tuple[str, str]] = []
    parsed: list[tuple[str, str]] = []
    if len(raw_value) <= MAX_PARSED_ADDRESS_HEADER and raw_value.count("(") <= MAX_COMMENT_MARKS:
        try:
            parsed = email.utils.getaddresses([raw_value])
        except (ValueError, TypeError, IndexError, RecursionError):
            parsed = []
    for name, address in parsed:
        address = address.strip().strip("<>").lower()
        if _usable_address(address):
            found.append((single_line(decode_rfc2047(name)).strip("\"' "), address))
    if not found:
        # getaddresses gives up on some broken headers; a bare addr-spec is still usable.
        for match in _ADDRESS_TOKEN.finditer(raw_value):
            address = match.group(0).strip(".").lower()
            if "." in address.rpartition("@")[2] and _usable_address(address):
                name = raw_value[: match.start()].strip().strip("<").strip()
                shown = single_line(decode_rfc2047(name[:MAX_SUBJECT_CHARS])).strip("\"' ")
                found.append((shown, address))
                break
    return found


def _usable_address(address: str) -> bool:
    if address.count("@") != 1 or len(address) > MAX_ADDRESS_CHARS:
        return False
    local, domain = address.split("@")
    if not local or not domain or domain.startswith(".") or domain.endswith("."):
        return False
    return not any(ch.isspace() or ch in '<>()[]\\,;:"' or ord(ch) < 32 for ch in address)


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    compact = "".join(value.split())
    ids = [f"<{m}>" for m in _MSG_ID.findall(compact) if m]
    if not ids and compact and "<" not in compact and ">" not in compact:
        ids = [f"<{compact}>"]
    return ids


def _return_path(raw_value: str | None) -> str | None:
    if raw_value is None:
        return None
    inner = "".join(raw_value.split()).strip("<>")
    if not inner:
        return ""
    found = _addresses(raw_value)
    return found[0][1] if found else inner.lower()


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("bad_date")
        return None
    if parsed.tzinfo is None:
        # RFC 5322 "-0000": the zone is unknown; UTC keeps comparisons possible.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --------------------------------------------------------------------------- body


@dataclasses.dataclass
class _Body:
    """What the walk over the MIME tree collects."""

    attachments: list[Attachment] = dataclasses.field(default_factory=list)
    content_types: list[str] = dataclasses.field(default_factory=list)
    defects: list[str] = dataclasses.field(default_factory=list)
    parts: int = 0


def _content_type(part: email.message.Message) -> str:
    try:
        ctype = part.get_content_type()
    except (ValueError, TypeError, AttributeError, IndexError):
        return "text/plain"
    return single_line(_surrogates_to_text(ctype)).lower() or "text/plain"


def _param(part: email.message.Message, name: str, header: str = "content-type") -> str | None:
    try:
        value = part.get_param(name, header=header)
    except (ValueError, TypeError, AttributeError, IndexError, LookupError):
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            return email.utils.collapse_rfc2231_value(value, fallback_charset=charset or "utf-8")
        except (LookupError, ValueError, TypeError):
            return str(text)
    return _surrogates_to_text(str(value))


def _filename(part: email.message.Message) -> str:
    name = _param(part, "filename", "content-disposition") or _param(part, "name") or ""
    return single_line(decode_rfc2047(name))


def _disposition(part: email.message.Message) -> str:
    value = part.get("content-disposition")
    if value is None:
        return ""
    return single_line(_surrogates_to_text(str(value))).split(";", 1)[0].strip().lower()


def _payload_bytes(part: email.message.Message, body: _Body) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, binascii.Error, AssertionError):
        body.defects.append("payload_decode_failed")
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    return b""


def _walk(part: email.message.Message, body: _Body, depth: int) -> tuple[str, str] | None:
    """The readable text of this subtree as (kind, text), kind "plain" or "html"; attachments
    and content types are collected on ``body`` along the way."""
    body.parts += 1
    if body.parts > MAX_PARTS:
        if "too_many_parts" not in body.defects:
            body.defects.append("too_many_parts")
        return None
    ctype = _content_type(part)
    body.content_types.append(ctype)
    body.defects.extend(type(d).__name__ for d in getattr(part, "defects", ()))
    if ctype.startswith("message/") or (ctype.startswith("multipart/") and depth >= MAX_DEPTH):
        # A forwarded message (or a report) travels as a unit: it is context, not new text.
        if depth >= MAX_DEPTH:
            body.defects.append("max_depth")
        size = _size_of(part)
        body.attachments.append(Attachment(_filename(part) or ctype, ctype, size))
        _note_inner_types(part, body)
        return None
    if part.is_multipart():
        children = part.get_payload()
        if not isinstance(children, list):
            return None
        results = [
            _walk(child, body, depth + 1)
            for child in children
            if isinstance(child, email.message.Message)
        ]
        texts = [r for r in results if r is not None and r[1].strip()]
        if not texts:
            return None
        if ctype == "multipart/alternative":
            plain = [r for r in texts if r[0] == "plain"]
            return plain[0] if plain else texts[-1]
        kind = "plain" if any(r[0] == "plain" for r in texts) else "html"
        return kind, "\n\n".join(r[1] for r in texts)
    disposition = _disposition(part)
    filename = _filename(part)
    is_body = ctype in ("text/plain", "text/html")
    if disposition == "attachment" or not is_body or (filename and ctype != "text/plain"):
        data = _payload_bytes(part, body)
        body.attachments.append(Attachment(filename, ctype, len(data)))
        return None
    data = _payload_bytes(part, body)
    text = decode_bytes(data, _param(part, "charset"), body.defects)
    if ctype == "text/html":
        return "html", html_to_text(text)
    if (_param(part, "format") or "").lower() == "flowed":
        text = _unflow(text, (_param(part, "delsp") or "").lower() == "yes")
    return "plain", text


def _size_of(part: email.message.Message) -> int:
    try:
        return len(part.as_bytes())
    except (ValueError, TypeError, LookupError, UnicodeError, AttributeError, RecursionError):
        # Serialising a pathologically nested part just to measure it is not worth failing for.
        return 0


def _note_inner_types(part: email.message.Message, body: _Body) -> None:
    payload = part.get_payload()
    if isinstance(payload, list):
        for inner in payload[:MAX_PARTS]:
            if isinstance(inner, email.message.Message):
                body.content_types.append(_content_type(inner))


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676: join soft line breaks (a line ending in a space), except the "-- " line."""
    out: list[str] = []
    carry = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.endswith(" ") and line != "-- ":
            carry += line[:-1] if delsp else line
            continue
        out.append(carry + line)
        carry = ""
    if carry:
        out.append(carry)
    return "\n".join(out)


# --------------------------------------------------------------------------- HTML to text

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN_TAGS = frozenset({"head", "script", "style", "title", "noscript", "template", "svg"})
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|max-height\s*:\s*0")


class _TextExtractor(html.parser.HTMLParser):
    """Collect visible text: block tags break lines, links keep their address, blockquotes are
    marked with "> " like plain-text quotes so quote stripping treats both alike."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hides its content)
        self.hiding = 0  # how many entries of the stack hide their content
        self.quote_depth = 0
        self.pre_depth = 0
        self.link: str | None = None
        self.link_text: list[str] = []

    @property
    def hidden(self) -> bool:
        return self.hiding > 0

    def break_line(self, *, force: bool = False) -> None:
        """End the current line; block edges add no line when nothing was written (a <br>
        does, which is how HTML mail writes blank lines)."""
        if not force and not "".join(self.current).strip():
            self.current = []
            return
        line = "".join(self.current)
        if self.pre_depth == 0:
            line = " ".join(line.split())
        self.lines.append(("> " * self.quote_depth + line) if line else "")
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if tag in _VOID_TAGS:
            if self.hidden:
                return
            if tag == "br":
                self.break_line(force=True)
            elif tag == "hr":
                self.break_line()
                self.lines.append("_" * 32)
            return
        hides = (
            tag in _HIDDEN_TAGS
            or "hidden" in attributes
            or bool(_HIDDEN_STYLE.search(attributes.get("style", "").lower()))
        )
        if len(self.stack) < MAX_HTML_NESTING:
            # Deeper nesting is flattened: tracking it would only cost time.
            self.stack.append((tag, hides))
            self.hiding += hides
        if self.hidden:
            return
        if tag in _BLOCK_TAGS:
            self.break_line()
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag == "a":
            href = attributes.get("href", "").strip()
            self.link = href if href.lower().startswith(("http:", "https:", "mailto:")) else None
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return
        was_hidden = self.hidden
        while self.stack:
            open_tag, hides = self.stack.pop()
            self.hiding -= hides
            if open_tag == tag:
                break
        if was_hidden:
            return
        if tag == "a" and self.link:
            shown = "".join(self.link_text).strip()
            target = self.link.removeprefix("mailto:")
            if shown and target not in shown:
                self.current.append(f" ({target})")
            self.link = None
        if tag == "blockquote":
            self.break_line()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag in _BLOCK_TAGS:
            self.break_line()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre_depth == 0:
            data = _SPACES.sub(" ", data.replace("\r", " ").replace("\n", " "))
        self.current.append(data)
        if self.link is not None:
            self.link_text.append(data)

    def text(self) -> str:
        self.break_line()
        return "\n".join(self.lines)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body: no styles, scripts or images; links kept as text."""
    markup = _defuse(markup[:MAX_HTML_CHARS])
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
    except (AssertionError, ValueError, IndexError):
        # html.parser is lenient but not total on every malformed declaration.
        return _clean_text(re.sub(r"<[^>]*>", " ", markup))
    return _clean_text(extractor.text())


# How a markup construct that starts with "<" + the key ends; anything else ends at ">".
_CONSTRUCT_ENDS = (("!--", "-->"), ("![CDATA[", "]]>"))


def _defuse(markup: str) -> str:
    """``markup`` with every "<" that does not open a complete, short construct escaped.

    html.parser rescans from an unfinished construct ("<a ", "<!--", "</") to the end of the
    input, once per such "<": quadratic, minutes for a few hundred kilobytes. Escaping them
    first leaves the parser only constructs that end within ``MAX_TAG_CHARS``. Linear: each
    search for an end is remembered, so a missing end is looked for once.
    """
    out: list[str] = []
    ends: dict[str, int] = {}  # terminator -> where it next occurs (-1: nowhere after here)
    start = 0
    at = markup.find("<")
    while at != -1:
        terminator = ">"
        for opener, closer in _CONSTRUCT_ENDS:
            if markup.startswith(opener, at + 1):
                terminator = closer
                break
        found = ends.get(terminator)
        if found is None or (found != -1 and found < at):
            found = markup.find(terminator, at + 1)
            ends[terminator] = found
        follower = markup[at + 1 : at + 2]
        opens = follower.isalpha() or follower in ("/", "!", "?")
        if not opens or found == -1 or found - at > MAX_TAG_CHARS:
            out.append(markup[start:at])
            out.append("&lt;")
            start = at + 1
            at = markup.find("<", start)
            continue
        at = markup.find("<", found + len(terminator))
    out.append(markup[start:])
    return "".join(out)


# --------------------------------------------------------------------------- quote stripping

# "El lun, 3 feb 2025 a las 10:00, Fulano (<x@y>) escribió:" and its English, Portuguese,
# French and German forms; matched on up to three joined lines because clients wrap them.
# The verb is looked for only at the end of the (short) line; the rest is checked with string
# operations, so no pattern can backtrack over the customer's text.
_ATTRIBUTION_VERB = re.compile(
    r"\b(?:escribi[oó]|wrote|escreveu|a\s{1,3}[ée]crit|schrieb)\Z", re.IGNORECASE
)
_ATTRIBUTION_LEAD = re.compile(r"(?:el|on|em|le|am)\b", re.IGNORECASE)
_VERB_SPAN = 16  # longest verb form, with its spaces
# The lines that open quoted or forwarded history. Between dashes: "-----Mensaje original-----"
# (Outlook opens replies and forwards with it) or a forward's own name; ending in a colon: the
# line Apple Mail and Gmail put before a forwarded message.
_DASHED_ORIGINAL = (
    r"original\s+message|mensaje\s+original|mensagem\s+original|message\s+d'origine"
    r"|urspr[üu]ngliche\s+nachricht"
)
_DASHED_FORWARD = (
    r"forwarded\s+message|mensaje\s+reenviado|mensagem\s+encaminhada|message\s+transf[ée]r[ée]"
    r"|weitergeleitete\s+nachricht"
)
_FORWARD_LEAD = (
    r"inicio\s+del\s+mensaje\s+reenviado|begin\s+forwarded\s+message"
    r"|in[ií]cio\s+da\s+mensagem\s+reencaminhada"
)
_SEPARATOR = re.compile(
    rf"^\s*(?:[-_=*]{{2,}}\s*(?:{_DASHED_ORIGINAL}|{_DASHED_FORWARD})\s*[-_=*]*"
    rf"|(?:{_FORWARD_LEAD})\s*:)\s*$",
    re.IGNORECASE,
)
# The separators that open a forwarded message and nothing else.
_FORWARD = re.compile(
    rf"^\s*(?:[-_=*]{{2,}}\s*)?(?:{_DASHED_FORWARD}|{_FORWARD_LEAD})\s*[-_=*:]*\s*$",
    re.IGNORECASE,
)
# A subject that says the message is a forward.
FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|rv|reenv(?:io|iado)?|tr|enc)\s*:", re.IGNORECASE)
_FROM_FIELD = re.compile(r"^\s*\*?(?:de|from|von|da|exp[ée]diteur)\s*:\*?\s*\S", re.IGNORECASE)
_OTHER_FIELDS = re.compile(
    r"^\s*\*?(?:enviado(?:\s+el)?|sent|date|fecha|data|gesendet|envoy[ée]|para|to|a|an|[àa]"
    r"|asunto|subject|assunto|betreff|objet|cc)\s*:\*?",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:_{5,}|-{5,})\s*$")
# Matched at the start of a stripped line of at most MAX_MARKER_LINE characters; no pattern
# has two unbounded runs that could share characters.
_SIGNATURE = re.compile(
    r"""(?:
        --\Z
      | (?:enviado|enviada)\s+(?:desde|con)\s+
        (?:mi|el|la|yahoo|outlook|correo|gmail|samsung|huawei|xiaomi|motorola|proton)
      | sent\s+(?:from|with|via)\s+(?:my|yahoo|outlook|mail|gmail|samsung|proton)
      | (?:obtener|obt[ée]n|descargar|descarga|get|download)\s+outlook\s+(?:para|for)\s+\w
      | enviado\s+do\s+meu\s
      | envoy[ée]\s+de\s+mon\s
      | von\s+meinem\s(?=.*\sgesendet\Z)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_QUOTED_LINE = re.compile(r"^\s*>")
CAPITALS_SHARE = 0.9  # a line this much in capitals, inside our quoted message, is an answer


def strip_reply(text: str) -> str:
    """What the writer added: everything before quoted or forwarded history and before the
    signature, without ``>``-quoted lines (inline answers between quotes are kept)."""
    lines = _without_opening_attribution(text.split("\n"))
    cut = _history_start(lines)
    kept = lines[:cut]
    for index, line in enumerate(kept):
        if len(line) <= MAX_MARKER_LINE and _SIGNATURE.match(line.strip()):
            kept = kept[:index]
            break
    kept = [line for line in kept if not _QUOTED_LINE.match(line)]
    added = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    return added or _answered_in_capitals(lines[cut:])


def _answered_in_capitals(history: Sequence[str]) -> str:
    """The lines written in capitals inside the history of a reply that adds nothing above
    it: the writer's answers typed into our quoted message, under each of our questions
    ("¿Cómo preferís pagar?" / "TRANSFERENCIA. ¿A DÓNDE LES TRANSFIERO?"), as Outlook users
    do. Header fields and ``>``-quoted lines are never such answers."""
    answers = []
    for line in history:
        stripped = line.strip()
        if (
            not stripped
            or _QUOTED_LINE.match(stripped)
            or _FROM_FIELD.match(stripped)
            or _OTHER_FIELDS.match(stripped)
        ):
            continue
        letters = [ch for ch in stripped[:MAX_MARKER_LINE] if ch.isalpha()]
        upper = sum(ch.isupper() for ch in letters)
        if len(letters) >= 2 and upper >= CAPITALS_SHARE * len(letters):
            answers.append(stripped)
    return "\n".join(answers)


def forwarded(text: str, subject: str = "") -> str:
    """The words of the first message forwarded in ``text`` (its header fields, its own quoted
    history and its signature left out), or "" when nothing is forwarded: "mi mamá quiere
    saber esto" above a relative's question.

    A forward opens with its own separator, or, under a subject that says it is one ("RV:",
    "Fwd:"), with whatever opens the history: Outlook's rule and header block, "Mensaje
    original"."""
    lines = text.split("\n")
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if len(line) <= MAX_MARKER_LINE and _FORWARD.match(line)
        ),
        None,
    )
    if start is None and FORWARD_SUBJECT.match(subject):
        history = _history_start(lines)
        start = history if history < len(lines) else None
    if start is None:
        return ""
    body = start + 1
    while body < len(lines) and (
        not lines[body].strip()
        or _FROM_FIELD.match(lines[body])
        or _OTHER_FIELDS.match(lines[body])
    ):
        body += 1
    return strip_reply("\n".join(lines[body:]))


def _history_start(lines: Sequence[str]) -> int:
    """Index of the first line of quoted or forwarded history, or len(lines)."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">") or len(stripped) > MAX_MARKER_LINE:
            # A quoted attribution belongs to the quote, which is dropped anyway; the writer's
            # words may come after it (bottom-posting, as Apple Mail does).
            continue
        if _SEPARATOR.match(stripped):
            return index
        if _is_header_block(lines, index):
            previous = _previous_nonblank(lines, index)
            return previous if previous is not None and _RULE.match(lines[previous]) else index
        if _RULE.match(stripped) and _next_is_header_block(lines, index):
            return index
        if _is_attribution(lines, index) and not _bottom_posted(lines, index):
            return index
    return len(lines)


def _without_opening_attribution(lines: list[str]) -> list[str]:
    """``lines`` without the attribution that opens a bottom-posted reply (its quote goes with
    the other quoted lines)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or not _is_attribution(lines, first) or not _bottom_posted(lines, first):
        return lines
    end = next(i for i in range(first, first + 3) if lines[i].rstrip().endswith(":"))
    return lines[:first] + lines[end + 1 :]


def _bottom_posted(lines: Sequence[str], index: int) -> bool:
    """The attribution at ``index`` opens the text and the writer's words follow the quote
    under it (bottom-posting): nothing written above it, unquoted text after the quote."""
    if any(line.strip() for line in lines[:index]):
        return False
    quoted = next((i for i in range(index, len(lines)) if _QUOTED_LINE.match(lines[i])), None)
    if quoted is None:
        return False
    return any(line.strip() and not _QUOTED_LINE.match(line) for line in lines[quoted:])


def _is_attribution(lines: Sequence[str], index: int) -> bool:
    """An "El … escribió:" line starts at ``index``, possibly wrapped over up to three lines."""
    parts: list[str] = []
    for line in lines[index : index + 3]:
        part = line.strip().lstrip(">").strip()
        if not part:
            return False
        parts.append(part)
        joined = " ".join(parts)
        if len(joined) > MAX_MARKER_LINE:
            return False
        before = _before_attribution_verb(joined)
        if before is None:
            continue
        lead = _ATTRIBUTION_LEAD.match(before)
        if lead is not None and 4 <= len(before) - lead.end() <= 250:
            return True
        if _bare_attribution(before, parts[0]):
            return True
    return False


def _before_attribution_verb(line: str) -> str | None:
    """What comes before "escribió:" (or another verb) ending ``line``, or None."""
    line = line.rstrip()
    if not line.endswith(":"):
        return None
    head = line[:-1].rstrip()
    verb = _ATTRIBUTION_VERB.search(head, max(0, len(head) - _VERB_SPAN))
    return None if verb is None else head[: verb.start()]


def _bare_attribution(before: str, first_line: str) -> bool:
    """ "Fulano <x@y> escribió:": no question or exclamation, an address mark on the first line
    with at most 200 characters on either side of it."""
    if "?" in before or "!" in before or not ("@" in first_line or "<" in first_line):
        return False
    marks = [i for i, ch in enumerate(before) if ch in "@<"]
    return any(i <= 200 and len(before) - i - 1 <= 201 for i in marks)


def _is_header_block(lines: Sequence[str], index: int) -> bool:
    """A "De: … / Enviado: … / Para: … / Asunto: …" block starts at ``index``."""
    if not _FROM_FIELD.match(lines[index].lstrip("> ")):
        return False
    following = [line.lstrip("> ") for line in lines[index + 1 : index + 7] if line.strip()]
    return sum(1 for line in following[:5] if _OTHER_FIELDS.match(line)) >= 2


def _next_is_header_block(lines: Sequence[str], index: int) -> bool:
    following = _next_nonblank(lines, index)
    return following is not None and _is_header_block(lines, following)


def _previous_nonblank(lines: Sequence[str], index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if lines[i].strip():
            return i
    return None


def _next_nonblank(lines: Sequence[str], index: int) -> int | None:
    for i in range(index + 1, min(len(lines), index + 4)):
        if lines[i].strip():
            return i
    return None


# --------------------------------------------------------------------------- assembly


def _parse(raw: bytes, *, headers_only: bool) -> Mail:
    raw = bytes(raw)
    defects: list[str] = []
    deep = headers_only
    try:
        msg = email.parser.BytesParser(policy=compat32).parsebytes(raw, headersonly=headers_only)
    except RecursionError:
        # The stdlib parser recurses once per MIME level; thousands of levels are an attack,
        # not a message. The headers are still worth having: sender, loop marks.
        msg = email.parser.BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
        defects.append("mime_too_deep")
        deep = True
    pairs = _header_pairs(msg, defects)

    from_raw = _first(pairs, "from", raw=True)
    senders = _addresses(from_raw) if from_raw else []
    if from_raw and not senders:
        defects.append("unusable_from")
    sender_name, sender = senders[0] if senders else ("", "")
    reply_raw = _first(pairs, "reply-to", raw=True)
    reply_tos = _addresses(reply_raw) if reply_raw else []

    message_ids = _message_ids(_first(pairs, "message-id", raw=True))
    in_reply_to = _message_ids(_first(pairs, "in-reply-to", raw=True))

    body = _Body()
    found = None if deep else _walk(msg, body, 0)
    text = _clean_text(found[1]) if found else ""
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        defects.append("text_truncated")
    defects.extend(body.defects)

    return Mail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(_message_ids(_first(pairs, "references", raw=True))),
        sender=sender,
        sender_name=sender_name,
        reply_to=reply_tos[0][1] if reply_tos else None,
        return_path=_return_path(_first(pairs, "return-path", raw=True)),
        subject=(_first(pairs, "subject") or "")[:MAX_SUBJECT_CHARS],
        date=_date(_first(pairs, "date"), defects),
        headers=tuple((name, decoded) for name, _raw, decoded in pairs),
        text=text,
        new_text=strip_reply(text),
        attachments=tuple(body.attachments),
        size=len(raw),
        defects=tuple(_dedupe(defects)),
        content_types=tuple(body.content_types),
    )


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
