"""Logging: structlog to stdout, one line per event, secrets and bodies redacted.

Event names are stable snake_case (``task_claimed``) with bound fields (``task_id``, ``uid``).
Under journald the lines carry no timestamp (journald adds one); on a terminal they are
rendered for people. Library logging through the stdlib goes through the same pipeline.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from voidmail.config import Secret

# Keys whose values never reach a log line, whatever their content.
REDACTED_KEYS = frozenset(
    {"password", "api_key", "authorization", "body", "raw", "text", "reply", "prompt", "content"}
)
REDACTION = "[redacted]"


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop the values of secret and body-like keys; show Secret objects as masked."""
    for key, value in event.items():
        if key in REDACTED_KEYS or isinstance(value, Secret):
            event[key] = REDACTION
    return event


def under_journald(stream: TextIO) -> bool:
    """True when ``stream`` is the journal stream systemd gave us ($JOURNAL_STREAM)."""
    marker = os.environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in marker.split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    """Set up structlog and route stdlib logging through it. Idempotent."""
    stream = stream or sys.stdout
    numeric = logging.getLevelName(level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        redact,
    ]
    journald = under_journald(stream)
    renderer: Any
    if journald or not stream.isatty():
        if not journald:
            shared.append(structlog.processors.TimeStamper(fmt="iso", utc=True))
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.KeyValueRenderer(
            key_order=["level", "event"], drop_missing=True
        )
    else:
        shared.append(structlog.processors.TimeStamper(fmt="%H:%M:%S"))
        renderer = structlog.dev.ConsoleRenderer(colors=True)

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
