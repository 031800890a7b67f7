"""``voidmail check`` run as a user runs it, against the rig's real servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.daemon import SHOP
from tests.test_pipeline import REPO, mail
from voidmail import assembly, check, config
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.groq_emulator import DEFAULT_API_KEY, RETIRED_MODELS, GroqEmulator
from voidmail.rig.shop_api import ShopApi
from voidmail.rig.smtp_sink import SmtpSink

pytestmark = pytest.mark.timeout(120)

NAMES = ["configuration", "imap", "smtp", "database", "llm", "orders"]
MODEL = "openai/gpt-oss-20b"

CONFIG = """
[imap]
host = "127.0.0.1"
port = {imap_port}
security = "{imap_security}"{imap_ca_file}
username = "{user}"
password = "{password}"
timeout = 10

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "plain"
timeout = {smtp_timeout}

[shop]
name = "Tienda Mendoza"
address = "{shop}"

[database]
url = "{database_url}"

[daemon]
state_dir = "{state_dir}"
log_level = "warning"
"""

LLM = """
[llm]
api_key = "{api_key}"
base_url = "{base_url}"
model = "{model}"
timeout = 10
"""


@pytest.fixture
def groq() -> Iterator[GroqEmulator]:
    with GroqEmulator() as emulator:
        yield emulator


def write_config(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_port: int,
    database_url: str,
    *,
    password: str | None = None,
    imap_security: config.Security = "plain",
    imap_ca_file: Path | None = None,
    smtp_timeout: float = 10,
    llm: dict[str, str] | None = None,
) -> Path:
    text = CONFIG.format(
        imap_port=dovecot.tls_port if imap_security == "tls" else dovecot.port,
        imap_security=imap_security,
        imap_ca_file=f'\nca_file = "{imap_ca_file}"' if imap_ca_file else "",
        user=dovecot.username, password=password or dovecot.password,
        smtp_port=smtp_port, smtp_timeout=smtp_timeout, shop=SHOP, database_url=database_url,
        state_dir=tmp_path / "state",
    )  # fmt: skip
    if llm is not None:
        text += LLM.format(**llm)
    path = tmp_path / "voidmail.toml"
    path.write_text(text, encoding="utf-8")
    return path


def llm_section(groq: GroqEmulator, **overrides: str) -> dict[str, str]:
    return {"api_key": DEFAULT_API_KEY, "base_url": groq.base_url, "model": MODEL, **overrides}


class Checked:
    """The outcome of one ``voidmail check``: exit status, output and each line's verdict."""

    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        self.returncode = result.returncode
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.lines: dict[str, tuple[str, str]] = {}
        for line in result.stdout.splitlines():
            name, verdict, detail = line.split(maxsplit=2)
            self.lines[name] = (verdict, detail)

    def verdict(self, name: str) -> str:
        return self.lines[name][0]

    def detail(self, name: str) -> str:
        return self.lines[name][1]


def run_check(config_path: Path) -> Checked:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    result = subprocess.run(
        [sys.executable, "-m", "voidmail", "--config", str(config_path), "check"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return Checked(result)


def test_everything_reachable_passes(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, groq: GroqEmulator, tmp_path: Path
) -> None:
    dovecot.append(mail(1, "Hola, ¿hacen envíos?"))
    path = write_config(tmp_path, dovecot, smtp_sink.port, database_url, llm=llm_section(groq))

    result = run_check(path)

    assert result.returncode == assembly.EXIT_OK, result.stdout + result.stderr
    assert list(result.lines) == NAMES
    assert all(result.verdict(name) == "ok" for name in NAMES[:-1]), result.stdout
    assert result.lines["orders"][0] == "skipped"  # no [orders] source configured
    assert result.detail("configuration") == str(path)
    imap_line = result.detail("imap")
    assert f"127.0.0.1:{dovecot.port} plain, INBOX 1 message, UIDVALIDITY" in imap_line
    # A new installation drafts the LLM's answers: check finds where they go.
    assert imap_line.endswith(", IDLE, drafts go to Drafts")
    assert (
        result.detail("smtp")
        == f"127.0.0.1:{smtp_sink.port} plain, no login (smtp.username is empty)"
    )
    assert result.detail("database").startswith("PostgreSQL ")
    assert result.detail("database").endswith(", 0 tasks")
    assert result.detail("llm") == f"model {MODEL} at {groq.base_url}"
    # The columns line up: every detail starts at the same place.
    starts = {
        line.index(detail)
        for line, (_, detail) in zip(result.stdout.splitlines(), result.lines.values(), strict=True)
    }
    assert len(starts) == 1
    # Nothing was sent: no mail, no chat completion (the key and model check costs no tokens).
    assert smtp_sink.messages == []
    [request] = groq.requests
    assert (request.method, request.status) == ("GET", 200)
    assert request.path.startswith("/openai/v1/models/")
    for secret in (dovecot.password, DEFAULT_API_KEY):
        assert secret not in result.stdout + result.stderr


def test_wrong_imap_password_fails_that_line_and_the_others_still_run(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    wrong = "not-the-password-7f3a"
    path = write_config(tmp_path, dovecot, smtp_sink.port, database_url, password=wrong)

    result = run_check(path)

    assert result.returncode == assembly.EXIT_FAILURE
    assert list(result.lines) == NAMES
    assert result.verdict("imap") == "FAILED"
    assert "login refused (check imap.username / imap.password)" in result.detail("imap")
    assert result.verdict("smtp") == "ok"
    assert result.verdict("database") == "ok"
    # No key: skipped, which is not a failure of its own.
    assert result.lines["llm"] == (
        "skipped",
        "no llm.api_key: mail that needs a written answer goes to a person",
    )
    assert wrong not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"api_key": "gsk_wrong_key_0123"}, "the API key was refused (llm.api_key)"),
        (
            {"model": RETIRED_MODELS[0]},
            f"model {RETIRED_MODELS[0]} is retired or unknown (llm.model)",
        ),
    ],
    ids=["wrong key", "retired model"],
)
def test_llm_key_and_model_are_checked(
    overrides: dict[str, str],
    expected: str,
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    groq: GroqEmulator,
    tmp_path: Path,
) -> None:
    llm = llm_section(groq, **overrides)
    path = write_config(tmp_path, dovecot, smtp_sink.port, database_url, llm=llm)

    result = run_check(path)

    assert result.returncode == assembly.EXIT_FAILURE
    assert result.lines["llm"] == ("FAILED", expected)
    assert [result.verdict(name) for name in NAMES[:4]] == ["ok"] * 4
    assert llm["api_key"] not in result.stdout + result.stderr
    assert not [r for r in groq.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port held by a socket that does not listen: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (in the kernel's backlog) and never speaks."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_smtp_with_nothing_listening_fails(
    dovecot: Dovecot, closed_port: int, database_url: str, tmp_path: Path
) -> None:
    path = write_config(tmp_path, dovecot, closed_port, database_url)

    result = run_check(path)

    assert result.returncode == assembly.EXIT_FAILURE
    assert result.lines["smtp"] == ("FAILED", f"127.0.0.1:{closed_port} plain: connection refused")
    assert [result.verdict(name) for name in ("configuration", "imap", "database")] == ["ok"] * 3


def test_silent_smtp_server_fails_within_the_timeout(
    dovecot: Dovecot, silent_port: int, database_url: str, tmp_path: Path
) -> None:
    path = write_config(tmp_path, dovecot, silent_port, database_url, smtp_timeout=1)

    started = time.monotonic()
    result = run_check(path)
    elapsed = time.monotonic() - started

    assert result.returncode == assembly.EXIT_FAILURE
    assert result.verdict("smtp") == "FAILED"
    assert result.detail("smtp").startswith(f"127.0.0.1:{silent_port} plain: ")
    assert "timed out" in result.detail("smtp").lower()
    assert result.verdict("database") == "ok"
    # aiosmtplib's own default is 60 s: the whole run, imports and all, stays far below it.
    assert elapsed < 30


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imap_certificate_is_verified(
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    tmp_path: Path,
    security: config.Security,
) -> None:
    port = dovecot.tls_port if security == "tls" else dovecot.port

    def imap_line(ca_file: Path | None) -> tuple[str, str]:
        path = write_config(
            tmp_path, dovecot, smtp_sink.port, database_url,
            imap_security=security, imap_ca_file=ca_file,
        )  # fmt: skip
        return run_check(path).lines["imap"]

    verdict, detail = imap_line(None)
    assert verdict == "FAILED"
    assert detail.startswith(f"127.0.0.1:{port} {security}: certificate not trusted")
    assert detail.endswith("(is its CA in imap.ca_file?)")
    verdict, detail = imap_line(dovecot.ca_file)
    assert verdict == "ok", detail
    assert detail.startswith(f"127.0.0.1:{port} {security}, INBOX 0 messages")


def test_bad_configuration_stops_everything(tmp_path: Path) -> None:
    path = tmp_path / "voidmail.toml"
    path.write_text('[smtp]\nhost = "127.0.0.1"\n[shop]\naddress = "a@b.example"\n')

    result = run_check(path)

    assert result.returncode == assembly.EXIT_CONFIG
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        "voidmail: configuration error: imap.host: is missing; set it in " + str(path)
    )


@pytest.mark.parametrize(
    ("host", "hint"),
    [
        ("smtp.gmail.com", "smtp.max_per_day = 500 (free Gmail) or 2000 (Workspace)"),
        ("smtp.office365.com", "smtp.max_per_minute = 30 and smtp.max_per_day = 10000"),
        ("mail.tienda.example", ""),
    ],
)
def test_check_suggests_the_sending_quota_of_known_providers(host: str, hint: str) -> None:
    suggested = check.quota_hint(config.SmtpSettings(host=host))
    assert (hint in suggested) if hint else suggested == ""
    assert check.quota_hint(config.SmtpSettings(host=host, max_per_day=400)) == ""


@pytest.mark.parametrize(("token", "verdict"), [("tn-good", "ok"), ("tn-wrong-7f3a", "FAILED")])
def test_the_order_source_is_checked_with_its_credentials(
    token: str,
    verdict: str,
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    tmp_path: Path,
) -> None:
    with ShopApi(token="tn-good") as api:
        path = write_config(tmp_path, dovecot, smtp_sink.port, database_url)
        with path.open("a", encoding="utf-8") as f:
            f.write(
                f'\n[orders]\nsource = "tiendanube"\nstore_id = "{api.store_id}"\n'
                f'access_token = "{token}"\nbase_url = "{api.tiendanube_url}"\n'
            )
        result = run_check(path)
    assert result.verdict("orders") == verdict, result.stdout
    assert token not in result.stdout + result.stderr
    if verdict == "FAILED":
        assert "credentials" in result.detail("orders")
