"""Logging: structlog to stdout, one line per event, secrets and bodies redacted.

Event names are stable snake_case (``task_claimed``) with bound fields (``task_id``, ``uid``).
Where the lines go decides how they look:

- journald (``$JOURNAL_STREAM`` is our stream): ``<4>task_retry_scheduled task_id=7 …``. The
  ``<N>`` prefix is the syslog priority, so ``journalctl -p warning`` filters by level; no
  timestamp (journald adds one), no colours.
- a terminal: structlog's coloured console, for people.
- anything else (a file, a pipe): logfmt, ``ts=… level=info event=task_finished …``.

In the journal and in logfmt every event is one line: tracebacks are joined with `` ⏎ ``.
Library logging through the stdlib goes through the same pipeline and redaction. The chatty
client libraries are held at WARNING whatever our level: aioimaplib logs whole messages and
the LOGIN line at DEBUG and INFO, groq and httpx log request bodies.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from voidmail.config import Secret

# Keys whose values never reach a log line, whatever their content.
REDACTED_KEYS = frozenset(
    {
        "password",
        "passwd",
        "api_key",
        "secret",
        "token",
        "authorization",
        "cookie",
        "body",
        "raw",
        "text",
        "html",
        "reply",
        "prompt",
        "messages",
        "content",
    }
)
# … and keys ending like these (imap_password, llm_api_key).
REDACTED_SUFFIXES = ("_password", "_api_key", "_secret", "_token")
REDACTION = "[redacted]"

# Secrets recognised inside any string: event text, values, exception text.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Groq API keys.
    (re.compile(r"gsk_[A-Za-z0-9]{10,}"), REDACTION),
    # The password part of URL credentials: scheme://user:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/@:]*):[^\s/]*@"), rf"\1:{REDACTION}@"),
    # password=…, api_key: …, "token": "…" in free text, libpq DSNs and JSON.
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|api[_-]?key|secret|token|access_token)"
            r"""(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;'"]+)"""
        ),
        rf"\1\2{REDACTION}",
    ),
    # HTTP bearer tokens.
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), rf"\1{REDACTION}"),
)

# Loggers held at WARNING: below it they log message bodies, credentials or request payloads.
QUIET_LOGGERS = ("aioimaplib", "aiosmtplib", "httpx", "httpcore", "groq")

# Syslog priorities for the journal's <N> line prefix (sd-daemon(3)).
PRIORITIES = {"debug": 7, "info": 6, "warning": 4, "warn": 4, "error": 3, "critical": 2}

EMOJIS = {
    "daemon_started": "🚀",
    "daemon_stopped": "🛑",
    "task_finished": "✅",
    "reply_sent": "📤",
    "message_ignored": "🚫",
    "message_handed_off": "🙋",
    "task_retry_scheduled": "🔁",
    "task_dead_lettered": "☠️",
    "side_task_died": "💥",
}

NEWLINE = " ⏎ "  # stands for a line break inside a one-line event
_TRAILING = ("exception", "stack")  # long fields, rendered last


def scrub(text: str) -> str:
    """``text`` with anything that looks like a secret replaced by ``[redacted]``."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop secret and body-like values, mask Secrets, scrub secrets out of all text.

    Runs after exceptions are rendered to text, so their messages are scrubbed too.
    """
    for key, value in event.items():
        if key.startswith("_"):  # structlog's own bookkeeping (_record …)
            continue
        event[key] = _redact_value(key, value)
    return event


def _redact_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in REDACTED_KEYS or lowered.endswith(REDACTED_SUFFIXES) or isinstance(value, Secret):
        return REDACTION
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(key, v) for v in value]
    # Anything else is shown as text: scrub that text, not an object we cannot see into.
    return scrub(repr(value) if isinstance(value, BaseException) else str(value))


def under_journald(stream: TextIO) -> bool:
    """True when ``stream`` is the journal stream systemd gave us ($JOURNAL_STREAM)."""
    marker = os.environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in marker.split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


class QuietLibraries(logging.Filter):
    """Drops records below WARNING from :data:`QUIET_LOGGERS`, even if one was turned up.

    The logger levels already do this; the filter holds when something else (``GROQ_LOG=debug``,
    a library's own setup) lowers them after :func:`configure`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not any(
            record.name == name or record.name.startswith(name + ".") for name in QUIET_LOGGERS
        )


def configure(level: str = "info", stream: TextIO | None = None, emojis: bool = False) -> None:
    """Set up structlog and route stdlib logging through it. Idempotent.

    ``level`` is the lowest level logged (debug, info, warning, error, critical); ``stream``
    defaults to stdout; ``emojis`` puts a symbol before a few event names on the terminal and
    in the journal (never in logfmt, which is for tools).
    """
    stream = stream or sys.stdout
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}")
    journald = under_journald(stream)
    terminal = not journald and stream.isatty()
    if not _can_encode(stream, NEWLINE + "".join(EMOJIS.values())):
        emojis = False

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact,
    ]
    foreign: list[Any] = [*shared[:2], structlog.stdlib.add_logger_name, *shared[2:]]
    renderer: Callable[[Any, str, MutableMapping[str, Any]], str]
    if journald:
        renderer = JournalRenderer(emojis=emojis, newline=_newline(stream))
    elif terminal:
        stamp = structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False)
        shared.append(stamp)
        foreign.append(stamp)
        renderer = _console(emojis)
    else:
        stamp = structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts")
        shared.append(stamp)
        foreign.append(stamp)
        renderer = LogfmtRenderer(newline=_newline(stream))

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.addFilter(QuietLibraries())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=foreign,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class LogfmtRenderer:
    """``ts=… level=… event=… key=value …`` on one line, for files and pipes."""

    def __init__(self, newline: str = NEWLINE) -> None:
        self.newline = newline

    def __call__(self, _logger: Any, _method: str, event: MutableMapping[str, Any]) -> str:
        head = [f"{key}={_logfmt(event.pop(key))}" for key in ("ts", "level") if key in event]
        head.append(f"event={_logfmt(_one_line(str(event.pop('event', '')), self.newline))}")
        return " ".join(head + _fields(event, self.newline))


class JournalRenderer:
    """``<N>event key=value …``: a syslog priority prefix, no timestamp, one line."""

    def __init__(self, *, emojis: bool = False, newline: str = NEWLINE) -> None:
        self.emojis = emojis
        self.newline = newline

    def __call__(self, _logger: Any, method: str, event: MutableMapping[str, Any]) -> str:
        level = str(event.pop("level", method))
        name = str(event.pop("event", ""))
        text = _one_line(name, self.newline)
        if self.emojis and name in EMOJIS:
            text = f"{EMOJIS[name]} {text}"
        priority = PRIORITIES.get(level, 6)
        return " ".join([f"<{priority}>{text}", *_fields(event, self.newline)])


def _console(emojis: bool) -> Callable[[Any, str, MutableMapping[str, Any]], str]:
    # Exceptions arrive already rendered (and scrubbed) as text; the console prints them as is.
    console = structlog.dev.ConsoleRenderer(colors=True)
    if not emojis:
        return console

    def render(logger: Any, method: str, event: MutableMapping[str, Any]) -> str:
        name = event.get("event")
        if isinstance(name, str) and name in EMOJIS:
            event["event"] = f"{EMOJIS[name]} {name}"
        return console(logger, method, event)

    return render


def _fields(event: Mapping[str, Any], newline: str) -> list[str]:
    keys = [k for k in event if k not in _TRAILING] + [k for k in _TRAILING if k in event]
    out = []
    for key in keys:
        value = event[key]
        if key in _TRAILING and isinstance(value, str):
            value = _one_line(value.rstrip("\n"), newline)
        out.append(f"{key}={_logfmt(value)}")
    return out


def _one_line(text: str, newline: str) -> str:
    """``text`` with line breaks shown as ``newline`` and other control characters escaped."""
    text = text.replace("\r\n", "\n").replace("\n", newline)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _logfmt(value: Any) -> str:
    """A logfmt value: bare when safe, else double-quoted with escapes; never a line break."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text and text.isprintable() and not any(c in text for c in ' ="\\'):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else repr(c)[1:-1] for c in escaped) + '"'


def _can_encode(stream: TextIO, text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _newline(stream: TextIO) -> str:
    return NEWLINE if _can_encode(stream, NEWLINE) else " | "
