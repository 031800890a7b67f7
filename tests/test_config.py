"""Configuration: lookup order, environment overrides, secrets, and every kind of bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voidmail import config
from voidmail.errors import ConfigError

GOOD = """
[imap]
host = "imap.example.com"
username = "shop@example.com"
password = "imap-secret-123"

[smtp]
host = "smtp.example.com"
security = "starttls"

[shop]
name = "Tienda Mendoza"
address = "hola@tienda.example"
admin_email = "duena@tienda.example"

[llm]
api_key = "gsk_file_key"
"""


def write(tmp_path: Path, text: str, name: str = "voidmail.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> config.Settings:
    return config.load(write(tmp_path, text), env=env or {})


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    s = load(tmp_path, GOOD)
    assert s.imap.host == "imap.example.com"
    assert s.imap.security == "tls"
    assert s.imap.mailbox == "INBOX"
    assert s.smtp.security == "starttls"
    assert s.llm.max_tokens == 150
    assert s.worker.max_attempts == 5
    assert s.breaker.threshold == 3
    assert s.breaker.reset_timeout == 120
    assert s.llm.model not in ("llama-3.1-8b-instant", "llama-3.3-70b-versatile")
    assert s.faq.file == config.DATA_DIR / "faq.toml"
    assert s.faq.file.is_file()
    assert s.database.url.get() == ""
    s.require_servers()


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = write(tmp_path, GOOD, "explicit.toml")
    from_env = write(tmp_path, GOOD, "env.toml")
    monkeypatch.chdir(tmp_path)
    assert config.find_config(explicit, {"VOIDMAIL_CONFIG": str(from_env)}) == explicit
    assert config.find_config(None, {"VOIDMAIL_CONFIG": str(from_env)}) == from_env
    assert config.find_config(None, {}) in (None, Path("/etc/voidmail/voidmail.toml"))
    write(tmp_path, GOOD)
    assert config.find_config(None, {}) == Path("voidmail.toml")


def test_environment_overrides_every_type(tmp_path: Path) -> None:
    env = {
        "VOIDMAIL_IMAP__PASSWORD": "from-env",
        "VOIDMAIL_IMAP__PORT": "1993",
        "VOIDMAIL_SMTP__SECURITY": "tls",
        "VOIDMAIL_BREAKER__RESET_TIMEOUT": "2.5",
        "VOIDMAIL_WORKER__CONCURRENCY": "7",
        "VOIDMAIL_CONFIG": "ignored-here",
    }
    s = load(tmp_path, GOOD, env)
    assert s.imap.password.get() == "from-env"
    assert s.imap.port == 1993
    assert s.smtp.security == "tls"
    assert s.breaker.reset_timeout == 2.5
    assert s.worker.concurrency == 7


def test_groq_api_key_from_environment(tmp_path: Path) -> None:
    without_key = GOOD.replace('api_key = "gsk_file_key"', "")
    assert load(tmp_path, without_key, {"GROQ_API_KEY": "gsk_env"}).llm.api_key.get() == "gsk_env"
    # An explicit setting wins over the SDK's conventional variable.
    assert load(tmp_path, GOOD, {"GROQ_API_KEY": "gsk_env"}).llm.api_key.get() == "gsk_file_key"
    env = {"GROQ_API_KEY": "gsk_env", "VOIDMAIL_LLM__API_KEY": "gsk_voidmail"}
    assert load(tmp_path, without_key, env).llm.api_key.get() == "gsk_voidmail"


def test_secret_from_file_and_from_systemd_credentials(tmp_path: Path) -> None:
    secret_file = tmp_path / "imap.pass"
    secret_file.write_text("from-file\n", encoding="utf-8")
    text = GOOD.replace('password = "imap-secret-123"', f'password_file = "{secret_file}"')
    assert load(tmp_path, text).imap.password.get() == "from-file"

    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "smtp_password").write_text("from-credential", encoding="utf-8")
    (creds / "llm_api_key").write_text("gsk_credential", encoding="utf-8")
    s = load(
        tmp_path,
        GOOD.replace('api_key = "gsk_file_key"', ""),
        {"CREDENTIALS_DIRECTORY": str(creds)},
    )
    assert s.smtp.password.get() == "from-credential"
    assert s.llm.api_key.get() == "gsk_credential"


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "catalog.csv").write_text("sku,name\n", encoding="utf-8")
    s = load(tmp_path, GOOD + '\n[catalog]\nfile = "catalog.csv"\n')
    assert s.catalog.file == tmp_path / "catalog.csv"


def test_secrets_never_show(tmp_path: Path) -> None:
    s = load(tmp_path, GOOD)
    for text in (repr(s), str(s), repr(s.imap), f"{s.llm.api_key}"):
        assert "imap-secret-123" not in text
        assert "gsk_file_key" not in text


BAD_CASES = [
    pytest.param("[imapp]\nhost='x'\n", "imapp", id="unknown-section"),
    pytest.param("[imap]\nhots = 'x'\n", "imap.hots", id="unknown-key"),
    pytest.param("[imap]\nsecurity = 'ssl'\n", "imap.security", id="unknown-word"),
    pytest.param("[smtp]\nport = 70000\n", "smtp.port", id="port-out-of-range"),
    pytest.param("[imap]\nport = -1\n", "imap.port", id="negative-port"),
    pytest.param("[imap]\nport = '993'\n", "imap.port", id="port-as-string"),
    pytest.param("[worker]\nconcurrency = 0\n", "worker.concurrency", id="zero-count"),
    pytest.param("[worker]\nmax_attempts = -3\n", "worker.max_attempts", id="negative-count"),
    pytest.param("[llm]\nrequests_per_minute = 0\n", "llm.requests_per_minute", id="zero-rpm"),
    pytest.param("[breaker]\nreset_timeout = -1\n", "breaker.reset_timeout", id="negative-time"),
    pytest.param("[faq]\nfile = 'nope.toml'\n", "faq.file", id="missing-faq-file"),
    pytest.param("[catalog]\nfile = 'nope.csv'\n", "catalog.file", id="missing-catalog"),
    pytest.param("[imap]\npassword_file = 'nope'\n", "imap.password_file", id="missing-secret"),
    pytest.param(
        "[imap]\nhost = 'imap.example.com'\nsecurity = 'plain'\n",
        "imap.security",
        id="plain-to-remote",
    ),
    pytest.param(
        "[smtp]\nhost = '10.0.0.5'\nsecurity = 'plain'\n", "smtp.security", id="plain-to-lan"
    ),
    pytest.param("[shop]\naddress = 'not-an-address'\n", "shop.address", id="bad-address"),
    pytest.param("[llm]\nbase_url = 'https://api.groq.com/openai/v1'\n", "llm.base_url", id="v1"),
    pytest.param("[llm]\nbase_url = 'http://api.groq.com'\n", "llm.base_url", id="http-remote"),
    pytest.param("[llm]\nmax_tokens = 9000\n", "llm.max_tokens", id="max-tokens-over-tpm"),
    pytest.param("[database]\nurl = 'mysql://x'\n", "database.url", id="bad-db-url"),
    pytest.param("[imap]\nidle_seconds = 3600\n", "imap.idle_seconds", id="idle-over-29min"),
    pytest.param("imap = 3\n", "imap", id="section-not-table"),
    pytest.param("[orders]\nsource = 'shopify'\n", "orders.source", id="unknown-order-source"),
    pytest.param("[imap]\nauth = 'xoauth2'\n", "oauth.provider", id="xoauth2-without-provider"),
    pytest.param(
        "[smtp]\nauth = 'xoauth2'\n[oauth]\nprovider = 'microsoft'\n",
        "oauth.client_id",
        id="xoauth2-without-client",
    ),
    pytest.param(
        "[oauth]\nprovider = 'custom'\nclient_id = 'x'\n", "oauth.token_url", id="custom-no-url"
    ),
    pytest.param(
        "[oauth]\nprovider = 'custom'\ntoken_url = 'http://login.example/token'\n",
        "oauth.token_url",
        id="oauth-over-http",
    ),
    pytest.param("[orders]\nsource = 'csv'\n", "orders.file", id="csv-without-file"),
    pytest.param(
        "[orders]\nsource = 'tiendanube'\nstore_id = '1'\n",
        "orders.access_token",
        id="tiendanube-without-token",
    ),
    pytest.param(
        "[orders]\nsource = 'woocommerce'\nbase_url = 'http://tienda.example'\n"
        "consumer_key = 'ck'\nconsumer_secret = 'cs'\n",
        "orders.base_url",
        id="woocommerce-over-http",
    ),
    pytest.param(
        "[orders]\nsource = 'postgres'\nurl = 'mysql://x'\nquery = 'SELECT 1'\n",
        "orders.url",
        id="orders-bad-db-url",
    ),
]


@pytest.mark.parametrize(("text", "key"), BAD_CASES)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert key in str(info.value)


def test_bad_environment_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"imap\.port"):
        load(tmp_path, GOOD, {"VOIDMAIL_IMAP__PORT": "nine"})
    with pytest.raises(ConfigError, match="unknown section"):
        load(tmp_path, GOOD, {"VOIDMAIL_NOPE__HOST": "x"})
    with pytest.raises(ConfigError, match=r"imap\.hostname"):
        load(tmp_path, GOOD, {"VOIDMAIL_IMAP__HOSTNAME": "x"})


def test_missing_hosts_are_reported_for_the_daemon(tmp_path: Path) -> None:
    s = load(tmp_path, "[shop]\naddress = 'hola@tienda.example'\n")
    with pytest.raises(ConfigError, match=r"imap\.host"):
        s.require_servers()


def test_invalid_toml_and_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(tmp_path, "[imap\nhost=")
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "absent.toml", env={})


def test_secret_values_stay_out_of_error_messages(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, "[database]\nurl = 'mysql://root:hunter2@db'\n")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        load(tmp_path, "[imap]\npassword = 12345\n")
    assert "12345" not in str(info.value)


def test_plain_is_fine_to_loopback(tmp_path: Path) -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.53"):
        s = load(tmp_path, f"[imap]\nhost = '{host}'\nsecurity = 'plain'\n")
        assert s.imap.security == "plain"


def test_example_file_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "voidmail.example.toml"
    s = config.load(example, env={})
    s.require_servers()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[imap]\nport = 99999\n", "imap.port"),
        ("[imap]\nhost = 'mail.example.com'\nsecurity = 'plain'\n", "imap.security"),
        ("[shop]\naddress = 'hola@tienda.example'\n", "imap.host"),
    ],
)
def test_the_program_exits_2_with_one_line_and_no_traceback(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = write(tmp_path, text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    result = subprocess.run(
        [sys.executable, "-m", "voidmail", "--config", str(path), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
