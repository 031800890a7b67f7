"""Logging: the three renderers, redaction in all of them, and the libraries kept quiet."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from voidmail import logs
from voidmail.config import Secret
from voidmail.errors import DatabaseError

MODES = ("journald", "console", "logfmt")
ANSI = re.compile(r"\x1b\[")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

# Each must never be seen in any output.
PASSWORD = "hunter2-imap-pw"
API_KEY = "gsk_T3stKeyAbCdEfGhIjKlMn0123"
SECRET = "secret-object-value"
BODY = "Dear shop, my card number is 4111"
DSN_PASSWORD = "dsn-pass-8472"
FREE_PASSWORD = "free-text-pw-123"
FREE_API_KEY = "free-text-key-456"
BEARER = "bearer-token-789"
LEAKS = (PASSWORD, API_KEY, SECRET, BODY, DSN_PASSWORD, FREE_PASSWORD, FREE_API_KEY, BEARER)


class Terminal(io.StringIO):
    """A stream that says it is a terminal (and has no file descriptor)."""

    def isatty(self) -> bool:
        return True


Output = Callable[[], str]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Leave the stdlib and structlog configuration as this test found it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
    structlog.reset_defaults()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Output]]:
    """``setup(mode, level, emojis=False)`` configures logging; the result reads the output."""
    files: list[io.TextIOWrapper] = []

    def configure(mode: str, level: str = "debug", *, emojis: bool = False) -> Output:
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
        stream: io.TextIOBase
        if mode == "journald":
            journal = (tmp_path / "journal").open("w+", encoding="utf-8")
            files.append(journal)
            st = os.fstat(journal.fileno())
            monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
            stream = journal
        elif mode == "console":
            stream = Terminal()
        else:
            stream = io.StringIO()
        logs.configure(level, stream, emojis=emojis)

        def output() -> str:
            if isinstance(stream, io.StringIO):
                return stream.getvalue()
            stream.flush()
            return (tmp_path / "journal").read_text(encoding="utf-8")

        return output

    yield configure
    for handle in files:
        handle.close()


def emit_everything() -> None:
    """Secrets handed to the logger every way the code (or a library) might."""
    log = structlog.get_logger("voidmail.test")
    log.info(
        "imap_login",
        password=PASSWORD,
        api_key=API_KEY,
        llm_api_key=API_KEY,
        credential=Secret(SECRET),
        body=BODY,
        text=BODY,
        raw=BODY.encode(),
        prompt=BODY,
        headers={"authorization": f"Bearer {BEARER}"},
    )
    log.warning(f"login failed password={FREE_PASSWORD} api_key: {FREE_API_KEY} key {API_KEY}")
    log.info("llm_request", note=f"Authorization: Bearer {BEARER}", keys=[API_KEY])
    try:
        try:
            raise OSError(f"connection refused\n  to postgresql://voidmail:{DSN_PASSWORD}@db/vm")
        except OSError as exc:
            raise DatabaseError(f"cannot reach postgresql://voidmail:{DSN_PASSWORD}@db") from exc
    except DatabaseError as exc:
        log.exception("database_unreachable")
        log.error("database_unreachable_again", error=exc, cause=repr(exc.__cause__))
        logging.getLogger("asyncpg").error("pool failed: %s", exc, exc_info=True)
    structlog.get_logger("voidmail.test").info("done_marker")


@pytest.mark.parametrize("mode", MODES)
def test_no_secret_or_body_reaches_the_output(setup: Callable[..., Output], mode: str) -> None:
    output = setup(mode, "debug")
    emit_everything()
    text = output()
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked in {mode} output"
    # Not vacuous: the events themselves are there, redacted.
    for event in (
        "imap_login",
        "login failed",
        "database_unreachable",
        "pool failed",
        "done_marker",
    ):
        assert event in text
    assert logs.REDACTION in text
    assert "postgresql://voidmail:[redacted]@db" in text
    assert "DatabaseError" in text  # the traceback is kept, only the secret is gone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key is {API_KEY}.", "key is [redacted]."),
        ("password=hunter2 host=db", "password=[redacted] host=db"),
        ('{"api_key": "abc def", "n": 1}', '{"api_key": [redacted], "n": 1}'),
        ("API-KEY: xyz, next", "API-KEY: [redacted], next"),
        ("smtps://shop:p@ss:w0rd@mail.example:465/", "smtps://shop:[redacted]@mail.example:465/"),
        ("https://:tok@host/x", "https://:[redacted]@host/x"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer [redacted]"),
        ("imap://shop@mail.example", "imap://shop@mail.example"),
        ("prompt_tokens=12 completion_tokens=3", "prompt_tokens=12 completion_tokens=3"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert logs.scrub(text) == expected


@pytest.mark.parametrize(
    ("method", "priority"),
    [("debug", 7), ("info", 6), ("warning", 4), ("error", 3), ("critical", 2)],
)
def test_journald_lines_carry_the_syslog_priority(
    setup: Callable[..., Output], method: str, priority: int
) -> None:
    output = setup("journald", "debug")
    getattr(structlog.get_logger("voidmail.test"), method)("something_happened", n=1)
    getattr(logging.getLogger("asyncio"), method)("from the stdlib")
    assert output().splitlines() == [
        f"<{priority}>something_happened n=1",
        f"<{priority}>from the stdlib logger=asyncio",
    ]


def test_journald_lines_have_no_timestamp_or_colour(setup: Callable[..., Output]) -> None:
    output = setup("journald", "info")
    structlog.get_logger().info("task_finished", task_id=3, status="replied", error=None)
    text = output()
    assert text == "<6>task_finished task_id=3 status=replied error=null\n"
    assert not ISO_TIME.search(text)
    assert not ANSI.search(text)


@pytest.mark.parametrize("mode", ["journald", "logfmt"])
def test_tracebacks_stay_on_one_line(setup: Callable[..., Output], mode: str) -> None:
    output = setup(mode, "info")
    log = structlog.get_logger("voidmail.test")
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        log.exception("task_crashed", task_id=9)
        logging.getLogger("asyncio").error("Task exception was never retrieved", exc_info=True)
    log.info("after", note="a\nb")
    lines = output().splitlines()
    assert len(lines) == 3
    crashed, foreign, after = lines
    for line in (crashed, foreign):
        assert "Traceback (most recent call last):" in line
        assert "ValueError: first line ⏎ second line" in line
        assert line.count(logs.NEWLINE) >= 3
    assert "task_id=9" in crashed
    assert crashed.index("task_id=9") < crashed.index("exception=")
    assert r'note="a\nb"' in after


def test_logfmt_lines_have_an_iso_timestamp_and_level(setup: Callable[..., Output]) -> None:
    output = setup("logfmt", "info")
    structlog.get_logger().warning("task_retry_scheduled", attempt=2, error='smtp said "no"')
    line = output().rstrip("\n")
    assert re.fullmatch(
        r"ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z level=warning event=task_retry_scheduled "
        r'attempt=2 error="smtp said \\"no\\""',
        line,
    ), line
    assert not ANSI.search(line)


def test_terminal_is_coloured(setup: Callable[..., Output]) -> None:
    output = setup("console", "info")
    structlog.get_logger().info("task_finished", task_id=3)
    text = output()
    assert ANSI.search(text)
    assert "task_finished" in text
    assert not text.startswith("<")


@pytest.mark.parametrize("mode", MODES)
def test_level_filters(setup: Callable[..., Output], mode: str) -> None:
    output = setup(mode, "warning")
    log = structlog.get_logger()
    log.info("not_shown")
    logging.getLogger("asyncio").info("not shown either")
    log.warning("shown")
    text = output()
    assert "shown" in text
    assert "not_shown" not in text
    assert "not shown either" not in text


@pytest.mark.parametrize("mode", MODES)
def test_aioimaplib_debug_never_appears(setup: Callable[..., Output], mode: str) -> None:
    output = setup(mode, "debug")
    imap = logging.getLogger("aioimaplib.aioimaplib")
    imap.debug("Sending : b'A001 LOGIN shop hunter2'")
    imap.info("server says * 1 FETCH (BODY[] {42} Dear shop ...)")
    # Even when something turns the library up after us (GROQ_LOG=debug does that to groq).
    logging.getLogger("aioimaplib").setLevel(logging.DEBUG)
    logging.getLogger("groq").setLevel(logging.DEBUG)
    imap.debug("Received : b'A002 OK FETCH completed, message text follows'")
    for name in ("aiosmtplib", "httpx", "httpcore.http11", "groq._base_client"):
        logging.getLogger(name).debug("request body %s", name)
    imap.warning("connection_lost_marker")
    structlog.get_logger().debug("our_own_debug")
    text = output()
    for hidden in ("LOGIN", "FETCH", "request body"):
        assert hidden not in text
    assert "connection_lost_marker" in text  # warnings from the library still come through
    assert "our_own_debug" in text  # and level=debug is in effect for everyone else


@pytest.mark.parametrize("mode", MODES)
def test_emojis_are_off_by_default(setup: Callable[..., Output], mode: str) -> None:
    output = setup(mode, "info")
    structlog.get_logger().info("task_finished", task_id=1)
    assert "✅" not in output()


@pytest.mark.parametrize(
    ("mode", "shown"), [("journald", True), ("console", True), ("logfmt", False)]
)
def test_emojis_when_enabled(setup: Callable[..., Output], mode: str, shown: bool) -> None:
    output = setup(mode, "info", emojis=True)
    log = structlog.get_logger()
    log.info("task_finished", task_id=1)
    log.info("something_else")
    text = output()
    assert ("✅ task_finished" in text) is shown
    assert "event=task_finished" in text or "task_finished" in text
    assert "something_else" in text


def test_configure_rejects_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="verbose"):
        logs.configure("verbose", io.StringIO())
