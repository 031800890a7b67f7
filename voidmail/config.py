"""Settings: one TOML file, overridden by the environment, validated before anything connects.

Where the file is looked for, first match wins: ``--config PATH``, ``$VOIDMAIL_CONFIG``,
``./voidmail.toml``, ``/etc/voidmail/voidmail.toml``. Any key can be overridden from the
environment as ``VOIDMAIL_<SECTION>__<KEY>`` (``VOIDMAIL_IMAP__PASSWORD``). A secret may also
come from a file (``password_file``, ``api_key_file``) or, under systemd, from a credential in
``$CREDENTIALS_DIRECTORY`` (``imap_password``, ``smtp_password``, ``llm_api_key``);
``GROQ_API_KEY`` is honoured for ``llm.api_key``.

Every problem is a :class:`~voidmail.errors.ConfigError` naming the key and how to fix it.
Secrets are held as :class:`Secret`, whose ``repr`` and ``str`` never show the value.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from voidmail.errors import ConfigError

Security = Literal["tls", "starttls", "plain"]
Review = Literal["send", "draft", "hold"]

ENV_PREFIX = "VOIDMAIL_"
DATA_DIR = Path(__file__).resolve().parent / "data"
SEARCH_PATH = (Path("voidmail.toml"), Path("/etc/voidmail/voidmail.toml"))


class Secret:
    """A string that never shows itself in logs, reprs or error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__


NO_SECRET = Secret("")


@dataclasses.dataclass(frozen=True)
class ImapSettings:
    host: str = ""  # IMAP server name
    port: int = 0  # 0 picks 993 for tls, 143 for starttls and plain
    security: Security = "tls"  # tls | starttls | plain (plain only to loopback)
    username: str = ""  # login name
    # "password" (LOGIN with the password), or "xoauth2" (an OAuth2 access token, see [oauth])
    auth: Literal["password", "xoauth2"] = "password"
    password: Secret = NO_SECRET  # login password (or password_file)
    password_file: Path | None = None  # file holding the password
    mailbox: str = "INBOX"  # mailbox to watch
    ca_file: Path | None = None  # extra CA bundle; verification stays on
    idle_seconds: float = 300.0  # re-issue IDLE this often (RFC 2177: under 29 min)
    timeout: float = 30.0  # seconds for any one IMAP command
    max_message_bytes: int = 10 * 1024 * 1024  # larger mail goes to a person unread
    # Where drafts go when no mailbox has the \Drafts special-use attribute (RFC 6154).
    drafts_mailbox: str = "Drafts"
    sent_mailbox: str = "Sent"  # likewise for \Sent, where a reviewed draft is found once sent


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str = ""  # SMTP server name
    port: int = 0  # 0 picks 465 for tls, 587 for starttls, 25 for plain
    security: Security = "tls"  # tls | starttls | plain (plain only to loopback)
    username: str = ""  # login name; empty sends without AUTH
    auth: Literal["password", "xoauth2"] = "password"  # as for IMAP
    password: Secret = NO_SECRET  # login password (or password_file)
    password_file: Path | None = None  # file holding the password
    ca_file: Path | None = None  # extra CA bundle; verification stays on
    timeout: float = 30.0  # seconds for any one SMTP exchange
    # A copy of each reply sent goes to the mailbox's Sent folder: "auto" does it unless the
    # server keeps one by itself (Gmail), "yes" always, "no" never.
    save_sent: Literal["auto", "yes", "no"] = "auto"
    # The mailbox's sending quota (messages): 0 is no limit. Free Gmail about 500 a day,
    # Workspace 2,000; Microsoft 365 30 a minute and 10,000 a day. Replies wait, never die.
    max_per_minute: int = 0
    max_per_day: int = 0
    # Connections open at once, at most (Microsoft 365 allows 3); replies ready together share
    # one. 0 is no limit.
    max_connections: int = 3

    @property
    def saves_sent_copy(self) -> bool:
        """Whether voidmail should APPEND its own copy of a sent reply to \\Sent."""
        if self.save_sent != "auto":
            return self.save_sent == "yes"
        host = self.host.lower().rstrip(".")
        return not any(host == h or host.endswith("." + h) for h in KEEPS_SENT_COPY)


# SMTP servers that put a copy of what is sent through them in Sent by themselves.
KEEPS_SENT_COPY = ("gmail.com", "googlemail.com")


@dataclasses.dataclass(frozen=True)
class ShopSettings:
    name: str = ""  # shop name, used in replies
    address: str = ""  # From of every reply; mail from it is never answered
    admin_email: str = ""  # where alerts and handoff notes go
    signature: str = ""  # appended to every reply
    facts: str = ""  # a few lines the LLM may rely on: hours, address, policies, prices


@dataclasses.dataclass(frozen=True)
class DatabaseSettings:
    url: Secret = NO_SECRET  # PostgreSQL URL; "" runs an embedded server in state_dir


@dataclasses.dataclass(frozen=True)
class DaemonSettings:
    state_dir: Path | None = None  # where the embedded database lives
    log_level: Literal["debug", "info", "warning", "error"] = "info"  # lowest level logged
    notify_delay: float = 60.0  # seconds notes to the admin wait, to go out as one mail
    shutdown_timeout: float = 20.0  # seconds in-flight messages get to finish on stop


@dataclasses.dataclass(frozen=True)
class LlmSettings:
    api_key: Secret = NO_SECRET  # Groq API key (or api_key_file, or GROQ_API_KEY)
    api_key_file: Path | None = None  # file holding the API key
    base_url: str = "https://api.groq.com"  # without /openai/v1; the SDK adds it
    model: str = "openai/gpt-oss-20b"  # a model Groq serves today
    reasoning_effort: Literal["low", "medium", "high"] = (
        "low"  # reasoning models only; reasoning tokens count against max_tokens
    )
    requests_per_minute: int = 30  # the provider's RPM limit for this model
    tokens_per_minute: int = 8000  # the provider's TPM limit for this model
    requests_per_day: int = 1000  # the provider's RPD limit for this model
    tokens_per_day: int = 200_000  # the provider's TPD limit for this model
    max_tokens: int = 150  # answer budget per reply
    # For `voidmail stats`' cost estimate only: your plan's US$ per million tokens.
    price_input_per_million: float = 0.075
    price_output_per_million: float = 0.30
    timeout: float = 30.0  # seconds for one LLM request


@dataclasses.dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 4  # messages handled at once
    max_attempts: int = 5  # then the message goes to the dead-letter queue
    sender_hourly_cap: int = 5  # automatic replies to one address per hour, at most
    retry_base: float = 15.0  # seconds before the first retry; doubled each time, with jitter


@dataclasses.dataclass(frozen=True)
class BreakerSettings:
    threshold: int = 3  # consecutive LLM failures that open the breaker
    reset_timeout: float = 120.0  # seconds open before one probe is let through


@dataclasses.dataclass(frozen=True)
class ReviewSettings:
    # What happens to an answer, per route: "send" it, write it as a "draft" in the mailbox's
    # Drafts folder for a person to send, or "hold" the message for a person.
    faq: Review = "send"
    llm: Review = "draft"
    check_seconds: float = 300.0  # how often the Sent and Drafts folders are looked at


@dataclasses.dataclass(frozen=True)
class GuardSettings:
    # Whose Authentication-Results header to believe (RFC 8601): the shop's own receiving
    # server. "" believes none; "topmost" the first one, for servers that write no
    # authserv-id (Microsoft 365). Gmail and Google Workspace: "mx.google.com".
    authserv_id: str = ""


@dataclasses.dataclass(frozen=True)
class FaqSettings:
    file: Path = DATA_DIR / "faq.toml"  # FAQ entries; defaults to the shipped file
    # "llm": before a canned answer goes out, ask the LLM (one word, a tiny prompt) whether it
    # fully answers the message; "no" sends it to the LLM to write one. Costs a request per
    # FAQ answer and makes FAQ answers wait for the LLM: for shops that prefer tokens to risk.
    verify: Literal["off", "llm"] = "off"


@dataclasses.dataclass(frozen=True)
class CatalogSettings:
    file: Path | None = None  # CSV: sku,name,category,price,sizes,colors,stock,description
    # Where products, prices and stock per size and colour come from: "csv" (the file above,
    # the default), or live from "tiendanube", "woocommerce" or "postgres", with the
    # credentials of [orders]; refreshed every refresh_seconds.
    source: Literal["csv", "tiendanube", "woocommerce", "postgres"] = "csv"
    refresh_seconds: float = 600.0
    # postgres: one row per variant: sku, name, category, price, size, colour, stock,
    # description (on orders.url)
    query: str = ""


@dataclasses.dataclass(frozen=True)
class OAuthSettings:
    # Who issues the mailbox's OAuth2 tokens, for imap.auth / smtp.auth = "xoauth2":
    # "google" (Gmail, Google Workspace), "microsoft" (Microsoft 365) or "custom".
    provider: Literal["", "google", "microsoft", "custom"] = ""
    client_id: str = ""  # the app registration's client id
    client_secret: Secret = NO_SECRET  # its secret, if it has one (or client_secret_file)
    client_secret_file: Path | None = None
    tenant: str = "common"  # microsoft: the tenant id or domain, or "organizations"
    # The refresh token, when not obtained with `voidmail auth` (which stores it in
    # daemon.state_dir); as a credential: oauth_refresh_token.
    refresh_token: Secret = NO_SECRET
    refresh_token_file: Path | None = None
    # custom (and tests): the endpoints and the scope; google and microsoft know their own.
    token_url: str = ""
    device_url: str = ""  # the device authorization endpoint (RFC 8628)
    auth_url: str = ""  # the authorization endpoint (loopback redirect flow)
    scope: str = ""


@dataclasses.dataclass(frozen=True)
class OrdersSettings:
    # Where "¿dónde está mi pedido?" is answered from: "" (nowhere: the LLM or a person),
    # "csv", "postgres", "tiendanube" or "woocommerce".
    source: Literal["", "csv", "postgres", "tiendanube", "woocommerce"] = ""
    file: Path | None = None  # csv: number,email,created,status,payment_status,...,items
    url: Secret = NO_SECRET  # postgres: the shop's database (read only), like database.url
    # postgres: a SELECT with $1 = order number (text or NULL) and $2 = customer email, giving
    # the csv's columns by name (see README, "Orders").
    query: str = ""
    store_id: str = ""  # tiendanube: the store id (the app's user_id)
    access_token: Secret = NO_SECRET  # tiendanube: the app's token (or access_token_file)
    access_token_file: Path | None = None
    # tiendanube: https://api.tiendanube.com/2025-03/{store_id} unless set (tests);
    # woocommerce: the shop's address, https://tienda.example
    base_url: str = ""
    consumer_key: str = ""  # woocommerce: REST API key (ck_...)
    consumer_secret: Secret = NO_SECRET  # woocommerce: its secret (or consumer_secret_file)
    consumer_secret_file: Path | None = None
    # A question about an order that is not the sender's, or that cannot be found: "reply"
    # asking for the purchase address and number (revealing nothing), or "human".
    unmatched: Literal["reply", "human"] = "reply"
    timeout: float = 10.0  # seconds for one lookup


@dataclasses.dataclass(frozen=True)
class Settings:
    imap: ImapSettings = dataclasses.field(default_factory=ImapSettings)
    smtp: SmtpSettings = dataclasses.field(default_factory=SmtpSettings)
    shop: ShopSettings = dataclasses.field(default_factory=ShopSettings)
    database: DatabaseSettings = dataclasses.field(default_factory=DatabaseSettings)
    daemon: DaemonSettings = dataclasses.field(default_factory=DaemonSettings)
    llm: LlmSettings = dataclasses.field(default_factory=LlmSettings)
    worker: WorkerSettings = dataclasses.field(default_factory=WorkerSettings)
    breaker: BreakerSettings = dataclasses.field(default_factory=BreakerSettings)
    guard: GuardSettings = dataclasses.field(default_factory=GuardSettings)
    review: ReviewSettings = dataclasses.field(default_factory=ReviewSettings)
    faq: FaqSettings = dataclasses.field(default_factory=FaqSettings)
    catalog: CatalogSettings = dataclasses.field(default_factory=CatalogSettings)
    orders: OrdersSettings = dataclasses.field(default_factory=OrdersSettings)
    oauth: OAuthSettings = dataclasses.field(default_factory=OAuthSettings)
    source: Path | None = None

    @property
    def state_dir(self) -> Path:
        """The configured state directory, else the platform's default for this user."""
        return self.daemon.state_dir or default_state_dir()

    def require_servers(self) -> None:
        """Check what ``run`` and ``check`` need on top of a well-formed file."""
        for key, value in (
            ("imap.host", self.imap.host),
            ("smtp.host", self.smtp.host),
            ("shop.address", self.shop.address),
        ):
            if not value:
                raise ConfigError(f"is missing; set it in {self._where()}", key=key)

    def _where(self) -> str:
        return str(self.source) if self.source else "voidmail.toml or the environment"


SECTIONS: dict[str, type[Any]] = {
    f.name: typing.get_type_hints(Settings)[f.name]
    for f in dataclasses.fields(Settings)
    if f.name != "source"
}

# Names under $CREDENTIALS_DIRECTORY (systemd LoadCredential=) for each secret.
CREDENTIALS = {
    ("imap", "password"): "imap_password",
    ("smtp", "password"): "smtp_password",
    ("llm", "api_key"): "llm_api_key",
    ("database", "url"): "database_url",
    ("orders", "url"): "orders_url",
    ("orders", "access_token"): "orders_access_token",
    ("orders", "consumer_secret"): "orders_consumer_secret",
    ("oauth", "client_secret"): "oauth_client_secret",
    ("oauth", "refresh_token"): "oauth_refresh_token",
}
SECRET_FILES = {
    ("imap", "password"): "password_file",
    ("smtp", "password"): "password_file",
    ("llm", "api_key"): "api_key_file",
    ("orders", "access_token"): "access_token_file",
    ("orders", "consumer_secret"): "consumer_secret_file",
    ("oauth", "client_secret"): "client_secret_file",
    ("oauth", "refresh_token"): "refresh_token_file",
}


def default_state_dir() -> Path:
    """``$STATE_DIRECTORY`` under systemd, /var/lib/voidmail for root, else the XDG state dir."""
    if state := os.environ.get("STATE_DIRECTORY"):
        return Path(state.split(":")[0])
    if os.geteuid() == 0:
        return Path("/var/lib/voidmail")
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "voidmail"


def find_config(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """The file to read, or None when there is none anywhere (all defaults)."""
    if explicit is not None:
        return explicit
    if from_env := env.get("VOIDMAIL_CONFIG"):
        return Path(from_env)
    for candidate in SEARCH_PATH:
        if candidate.is_file():
            return candidate
    return None


def load(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, override and validate the settings. Raises ConfigError on any problem."""
    env = os.environ if env is None else env
    source = find_config(path, env)
    raw: dict[str, Any] = {}
    if source is not None:
        raw = _read_toml(source)
    base = source.parent if source is not None else Path.cwd()
    _apply_env(raw, env)
    settings = _build(raw, base, source)
    settings = _resolve_secrets(settings, env)
    _validate(settings)
    return settings


def _read_toml(source: Path) -> dict[str, Any]:
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {source} does not exist; create it from voidmail.example.toml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {source}: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """Lay ``VOIDMAIL_SECTION__KEY`` values over the file's, as strings to be typed later."""
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if section not in SECTIONS:
            raise ConfigError(
                f"unknown section {section!r} in environment variable {name}; "
                f"sections are: {', '.join(SECTIONS)}"
            )
        table = raw.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table", key=section)
        table[key] = _EnvValue(value)
    llm = raw.get("llm")
    has_key = isinstance(llm, dict) and ("api_key" in llm or "api_key_file" in llm)
    if not has_key and (groq_key := env.get("GROQ_API_KEY")):
        raw.setdefault("llm", {})["api_key"] = _EnvValue(groq_key)


class _EnvValue(str):
    """A string from the environment: typed by the field it lands in, not by TOML."""


def _build(raw: dict[str, Any], base: Path, source: Path | None) -> Settings:
    sections: dict[str, Any] = {}
    for section, table in raw.items():
        if section not in SECTIONS:
            raise ConfigError(f"unknown section [{section}]; sections are: {', '.join(SECTIONS)}")
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table", key=section)
        sections[section] = _build_section(section, SECTIONS[section], table, base)
    return Settings(**sections, source=source)


def _build_section(section: str, cls: type[Any], table: dict[str, Any], base: Path) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(
                f"unknown key; [{section}] takes: {', '.join(sorted(fields))}",
                key=f"{section}.{key}",
            )
        values[key] = _convert(f"{section}.{key}", hints[key], value, base)
    return cls(**values)


def _convert(key: str, hint: Any, value: Any, base: Path) -> Any:
    from_env = isinstance(value, _EnvValue)
    origin = typing.get_origin(hint)
    if origin is Literal:
        words = typing.get_args(hint)
        if value not in words:
            raise ConfigError(
                f"{_show(key, value)} is not one of: {', '.join(map(repr, words))}", key=key
            )
        return str(value)
    if origin in (types.UnionType, typing.Union):
        # Only ``Path | None`` is used: an empty string means "not set".
        return None if value == "" else _to_path(key, value, base)
    if hint is Path:
        return _to_path(key, value, base)
    if hint is Secret:
        if not isinstance(value, str):
            raise ConfigError("must be a string", key=key)
        return Secret(str(value))
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{_show(key, value)} must be a string (in quotes)", key=key)
        return str(value)
    if hint is bool:
        if from_env and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        if not isinstance(value, bool):
            raise ConfigError(f"{_show(key, value)} must be true or false", key=key)
        return value
    if hint is int:
        if from_env:
            try:
                return int(value)
            except ValueError:
                raise ConfigError(f"{_show(key, value)} must be a whole number", key=key) from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{_show(key, value)} must be a whole number", key=key)
        return value
    if hint is float:
        if from_env:
            try:
                return float(value)
            except ValueError:
                raise ConfigError(f"{_show(key, value)} must be a number", key=key) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{_show(key, value)} must be a number", key=key)
        return float(value)
    raise AssertionError(f"no converter for {key}: {hint!r}")  # a schema bug, not user input


def _to_path(key: str, value: Any, base: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError("must be a file path (a non-empty string)", key=key)
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _show(key: str, value: Any) -> str:
    """A value for an error message; secrets are never shown."""
    if any(word in key for word in ("password", "api_key", "url", "token", "secret")):
        return "the value"
    return repr(value)


def _resolve_secrets(settings: Settings, env: Mapping[str, str]) -> Settings:
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    updates: dict[str, Any] = {}
    for (section, key), cred_name in CREDENTIALS.items():
        table = updates.get(section) or getattr(settings, section)
        current: Secret = getattr(table, key)
        file_key = SECRET_FILES.get((section, key))
        file_path: Path | None = getattr(table, file_key) if file_key else None
        if current and file_path is not None:
            raise ConfigError(
                f"both {section}.{key} and {section}.{file_key} are set; keep one",
                key=f"{section}.{key}",
            )
        value: str | None = None
        if file_path is not None:
            value = _read_secret(f"{section}.{file_key}", file_path)
        elif not current and cred_dir:
            candidate = Path(cred_dir) / cred_name
            if candidate.is_file():
                value = _read_secret(f"credential {cred_name}", candidate)
        if value is not None:
            updates[section] = dataclasses.replace(table, **{key: Secret(value)})
    return dataclasses.replace(settings, **updates) if updates else settings


def _read_secret(key: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"file {path} does not exist", key=key) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc.__class__.__name__}", key=key) from None


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses, where plaintext is acceptable."""
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _validate(s: Settings) -> None:
    for section, table in (("imap", s.imap), ("smtp", s.smtp)):
        if not 0 <= table.port <= 65535:
            raise ConfigError(
                f"{table.port} is out of range; use 1-65535, or 0 for the default",
                key=f"{section}.port",
            )
        if table.security == "plain" and table.host and not is_loopback(table.host):
            raise ConfigError(
                f'"plain" sends the password unencrypted to {table.host}; '
                'use "tls" or "starttls" (plain is allowed only to 127.0.0.1/localhost)',
                key=f"{section}.security",
            )
        if table.ca_file is not None and not table.ca_file.is_file():
            raise ConfigError(f"file {table.ca_file} does not exist", key=f"{section}.ca_file")
        if table.timeout <= 0:
            raise ConfigError("must be more than 0 seconds", key=f"{section}.timeout")
    if not 0 < s.imap.idle_seconds <= 29 * 60:
        raise ConfigError(
            "must be more than 0 and at most 1740 (29 minutes, RFC 2177)", key="imap.idle_seconds"
        )
    for key, value in (
        ("smtp.max_per_minute", s.smtp.max_per_minute),
        ("smtp.max_per_day", s.smtp.max_per_day),
        ("smtp.max_connections", s.smtp.max_connections),
    ):
        if value < 0:
            raise ConfigError("must be 0 (no limit) or more", key=key)
    if not s.imap.mailbox:
        raise ConfigError('must not be empty; the usual value is "INBOX"', key="imap.mailbox")
    _positive(
        ("imap.max_message_bytes", s.imap.max_message_bytes),
        ("llm.requests_per_minute", s.llm.requests_per_minute),
        ("llm.tokens_per_minute", s.llm.tokens_per_minute),
        ("llm.requests_per_day", s.llm.requests_per_day),
        ("llm.tokens_per_day", s.llm.tokens_per_day),
        ("llm.max_tokens", s.llm.max_tokens),
        ("llm.timeout", s.llm.timeout),
        ("worker.concurrency", s.worker.concurrency),
        ("worker.max_attempts", s.worker.max_attempts),
        ("worker.sender_hourly_cap", s.worker.sender_hourly_cap),
        ("worker.retry_base", s.worker.retry_base),
        ("review.check_seconds", s.review.check_seconds),
        ("breaker.threshold", s.breaker.threshold),
        ("daemon.notify_delay", s.daemon.notify_delay),
        ("daemon.shutdown_timeout", s.daemon.shutdown_timeout),
        ("breaker.reset_timeout", s.breaker.reset_timeout),
    )
    if s.llm.max_tokens >= s.llm.tokens_per_minute:
        raise ConfigError(
            "must be below llm.tokens_per_minute, or no request could ever be sent",
            key="llm.max_tokens",
        )
    _web_address("llm.base_url", s.llm.base_url)
    if s.llm.base_url.rstrip("/").endswith("/openai/v1"):
        raise ConfigError("drop the /openai/v1 suffix; the groq SDK adds it", key="llm.base_url")
    for key, address in (
        ("shop.address", s.shop.address),
        ("shop.admin_email", s.shop.admin_email),
    ):
        if address and not _looks_like_address(address):
            raise ConfigError(f"{address!r} is not an email address", key=key)
    if not s.faq.file.is_file():
        raise ConfigError(f"file {s.faq.file} does not exist", key="faq.file")
    if s.catalog.file is not None and not s.catalog.file.is_file():
        raise ConfigError(f"file {s.catalog.file} does not exist", key="catalog.file")
    _validate_orders(s.orders)
    _validate_catalog(s)
    _validate_oauth(s)
    state_dir = s.daemon.state_dir
    if state_dir is not None and state_dir.exists() and not state_dir.is_dir():
        raise ConfigError(f"{s.daemon.state_dir} is not a directory", key="daemon.state_dir")
    url = s.database.url.get()
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            'must start with postgresql:// (or be "" for the embedded database)',
            key="database.url",
        )


def _validate_oauth(s: Settings) -> None:
    """XOAUTH2 needs a provider and a client; endpoints are HTTPS unless on loopback."""
    o = s.oauth
    for section, table in (("imap", s.imap), ("smtp", s.smtp)):
        if table.auth != "xoauth2":
            continue
        if not o.provider:
            raise ConfigError(
                f'{section}.auth = "xoauth2" needs [oauth] provider ("google", "microsoft" or '
                '"custom")',
                key="oauth.provider",
            )
        if not o.client_id:
            raise ConfigError(
                "is needed for XOAUTH2: the app registration's id", key="oauth.client_id"
            )
        if not table.username:
            raise ConfigError(
                "is needed for XOAUTH2: the mailbox's address", key=f"{section}.username"
            )
    if o.provider == "custom" and not o.token_url:
        raise ConfigError('is needed by provider = "custom"', key="oauth.token_url")
    for key, url in (
        ("token_url", o.token_url),
        ("device_url", o.device_url),
        ("auth_url", o.auth_url),
    ):
        if url:
            _web_address(f"oauth.{key}", url)


def _validate_catalog(s: Settings) -> None:
    """A live catalog needs its platform's credentials, given in [orders]."""
    c = s.catalog
    if c.refresh_seconds < 60:
        raise ConfigError("must be at least 60 seconds", key="catalog.refresh_seconds")
    needs = {
        "tiendanube": (
            ("orders.store_id", s.orders.store_id),
            ("orders.access_token", s.orders.access_token.get()),
        ),
        "woocommerce": (
            ("orders.base_url", s.orders.base_url),
            ("orders.consumer_key", s.orders.consumer_key),
            ("orders.consumer_secret", s.orders.consumer_secret.get()),
        ),
        "postgres": (("orders.url", s.orders.url.get()), ("catalog.query", c.query)),
    }
    for key, value in needs.get(c.source, ()):
        if not value:
            raise ConfigError(f'is needed by [catalog] source = "{c.source}"', key=key)


def _validate_orders(o: OrdersSettings) -> None:
    """Each order source has what it needs, and its secrets go only over TLS."""
    needs: dict[str, tuple[tuple[str, object], ...]] = {
        "csv": (("file", o.file),),
        "postgres": (("url", o.url.get()), ("query", o.query)),
        "tiendanube": (("store_id", o.store_id), ("access_token", o.access_token.get())),
        "woocommerce": (
            ("base_url", o.base_url),
            ("consumer_key", o.consumer_key),
            ("consumer_secret", o.consumer_secret.get()),
        ),
    }
    for name, value in needs.get(o.source, ()):
        if not value:
            raise ConfigError(f'is needed by source = "{o.source}"', key=f"orders.{name}")
    if o.source == "csv" and o.file is not None and not o.file.is_file():
        raise ConfigError(f"file {o.file} does not exist", key="orders.file")
    url = o.url.get()
    if o.source == "postgres" and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("must start with postgresql://", key="orders.url")
    if o.base_url:
        _web_address("orders.base_url", o.base_url)
    if o.timeout <= 0:
        raise ConfigError("must be more than 0 seconds", key="orders.timeout")


def _web_address(key: str, url: str) -> None:
    """An https:// address, or http:// to loopback only (secrets travel to it)."""
    if not url.startswith(("https://", "http://")):
        raise ConfigError("must start with https://", key=key)
    host = url.split("://", 1)[1].split("/")[0].rsplit(":", 1)[0]
    if url.startswith("http://") and not is_loopback(host):
        raise ConfigError(
            "plain http is allowed only to 127.0.0.1/localhost; use https://", key=key
        )


def _positive(*pairs: tuple[str, float]) -> None:
    for key, value in pairs:
        if value <= 0:
            raise ConfigError(f"{value} must be more than 0", key=key)


def _looks_like_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in address))
