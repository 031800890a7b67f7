"""``voidmail check``: configuration, IMAP, SMTP, database and LLM, one verdict a line.

Each check connects the way ``voidmail run`` does (the same client code, settings and
timeouts) and stops short of doing anything: no mail is sent, no chat completion is asked for.
A check that fails says why on its line and the next check still runs; only a bad
configuration stops everything (a ConfigError, which ``cli.main`` prints before exiting 2).
Secrets never reach the output. Returns 0 when no check failed (skipped is not a failure),
1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import aiosmtplib
import asyncpg
import groq
import httpx

from voidmail import assembly, catalog, config, faq, imap, llm, mailer, oauth, orders, store
from voidmail.errors import DatabaseError, PermanentError

Verdict = Literal["ok", "FAILED", "skipped"]

NAMES = ("configuration", "imap", "smtp", "database", "llm")
NAME_WIDTH = max(len(name) for name in NAMES)
VERDICT_WIDTH = len("skipped")
# A check as a whole gets its section's timeout plus this: the clients' own per-step timeouts
# (of the same length) then fire first and say which step hung.
GRACE = 1.0
QUIT_TIMEOUT = 5.0
REDACTED = "********"


@dataclass(frozen=True, slots=True)
class Result:
    verdict: Verdict
    detail: str


def ok(detail: str) -> Result:
    return Result("ok", detail)


def failed(detail: str) -> Result:
    return Result("FAILED", detail)


def skipped(detail: str) -> Result:
    return Result("skipped", detail)


async def main(args: argparse.Namespace) -> int:
    """Run every check in order, print one line for each, return the exit status."""
    settings = assembly.load_settings(args)
    settings.require_servers()
    # ``run`` refuses to start on a bad FAQ or catalog file: so does ``check``, as a
    # configuration error.
    faq.load(settings.faq.file, assembly.placeholders(settings))
    catalog.Catalog(settings.catalog.file)
    secrets = secret_values(settings)
    source = str(settings.source) if settings.source else "no file: the environment only"
    report(ok(source), "configuration", secrets)
    checks: list[tuple[str, Callable[[], Awaitable[Result]]]] = []
    if "xoauth2" in (settings.imap.auth, settings.smtp.auth):
        checks.append(("oauth", lambda: check_oauth(settings)))
    checks += [
        (
            "imap",
            lambda: check_imap(
                settings.imap, drafting="draft" in (settings.review.faq, settings.review.llm)
            ),
        ),
        ("smtp", lambda: check_smtp(settings.smtp)),
        ("database", lambda: check_database(settings)),
        ("llm", lambda: check_llm(settings.llm)),
        ("orders", lambda: check_orders(settings)),
    ]
    all_passed = True
    for name, check in checks:
        try:
            result = await check()
        except Exception as exc:  # noqa: BLE001 - each check is a boundary: a surprise is its verdict
            result = failed(f"unexpected {describe(exc)}")
        report(result, name, secrets)
        all_passed = all_passed and result.verdict != "FAILED"
    return assembly.EXIT_OK if all_passed else assembly.EXIT_FAILURE


def report(result: Result, name: str, secrets: Iterable[str]) -> None:
    detail = " ".join(result.detail.split())  # one line, whatever a library put in its message
    for secret in secrets:
        detail = detail.replace(secret, REDACTED)
    line = f"{name:<{NAME_WIDTH}}  {result.verdict:<{VERDICT_WIDTH}}  {detail}"
    print(line.rstrip(), flush=True)


async def check_imap(s: config.ImapSettings, *, drafting: bool = False) -> Result:
    """Log in, look for IDLE, SELECT the mailbox (and, when answers are drafted, the folder
    drafts go to), log out."""
    where = f"{address(s.host, s.port or imap.DEFAULT_PORTS[s.security])} {s.security}"
    connection = imap.ImapConnection(s)
    drafts = ""
    try:
        async with asyncio.timeout(s.timeout + GRACE):
            await connection.connect()
            if drafting:
                folder = await connection.special_use("\\Drafts", s.drafts_mailbox)
                try:
                    await connection.select(folder)
                except imap.ImapError:
                    return failed(
                        f"{where}: no mailbox carries \\Drafts and {folder!r} cannot be "
                        "selected; create it or set imap.drafts_mailbox"
                    )
                drafts = f", drafts go to {folder}"
            selected = await connection.select(s.mailbox)
    except imap.ImapCredentialsRefused as exc:
        said = f"; the server said {exc.said!r}" if exc.said else ""
        return failed(f"{where}: login refused (check imap.username / imap.password){said}")
    except imap.ImapLoginError as exc:
        # Settings no server could accept; the message names the fix.
        return failed(f"{where}: {exc}")
    except imap.ImapError as exc:
        return failed(f"{where}: {network_reason(exc, 'imap.ca_file') or exc}")
    except TimeoutError:
        return failed(f"{where}: no answer within {s.timeout:g} s (imap.timeout)")
    finally:
        await connection.close()
    idle = "IDLE" if connection.idle_supported else "no IDLE: new mail is found by polling"
    return ok(
        f"{where}, {s.mailbox} {plural(selected.exists, 'message')}, "
        f"UIDVALIDITY {selected.uidvalidity}, {idle}{drafts}"
    )


async def check_smtp(s: config.SmtpSettings) -> Result:
    """Connect, secure and log in exactly as a send does, then QUIT before MAIL FROM."""
    where = f"{address(s.host, s.port or mailer.DEFAULT_PORTS[s.security])} {s.security}"
    sender = mailer.Mailer(s)
    try:
        # Mailer's own connection code, so the TLS mode, certificate checks and login are
        # the ones every reply goes through.
        smtp = sender.client()
    except mailer.SmtpPermanent as exc:
        return failed(f"{where}: {exc}")
    try:
        async with asyncio.timeout(s.timeout + GRACE):
            await sender.open(smtp)
    except (mailer.SmtpPermanent, mailer.SmtpTemporary) as exc:
        if isinstance(exc.__cause__, aiosmtplib.SMTPAuthenticationError):
            return failed(f"{where}: login refused (check smtp.username / smtp.password)")
        return failed(f"{where}: {network_reason(exc, 'smtp.ca_file') or exc}")
    except TimeoutError:
        return failed(f"{where}: no answer within {s.timeout:g} s (smtp.timeout)")
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit(timeout=min(s.timeout, QUIT_TIMEOUT))
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()  # the verdict is already known; QUIT is manners
    login = f"logged in as {s.username}" if s.username else "no login (smtp.username is empty)"
    return ok(f"{where}, {login}{quota_hint(s)}")


# Sending quotas of the mailboxes shops use, by SMTP host (../shared/FACTS.md).
QUOTA_PRESETS = (
    (("gmail.com", "googlemail.com"), "smtp.max_per_day = 500 (free Gmail) or 2000 (Workspace)"),
    (("office365.com", "outlook.com"), "smtp.max_per_minute = 30 and smtp.max_per_day = 10000"),
)


def quota_hint(s: config.SmtpSettings) -> str:
    """A suggestion of the sending quota for a known provider when none is set."""
    if s.max_per_minute or s.max_per_day:
        return ""
    host = s.host.lower().rstrip(".")
    for domains, preset in QUOTA_PRESETS:
        if any(host == d or host.endswith("." + d) for d in domains):
            return f"; this provider limits sending: set {preset}"
    return ""


async def check_database(settings: config.Settings) -> Result:
    """Open the store as ``run`` does (starting the embedded server, migrating), count tasks.

    Not cancelled from outside: a cancelled start would leave an embedded server running.
    Every step is bounded already: the server's start by pgembed, the connection and each
    statement by the store's timeouts.
    """
    url = settings.database.url.get()
    where = f"embedded in {settings.state_dir}" if not url else f"at {database_place(url)}"
    try:
        async with store.open_store(settings, max_size=2) as st:
            async with st.pool.acquire() as conn:
                version = conn.get_server_version()
            tasks = sum((await st.count_by_status()).values())
    except DatabaseError as exc:
        return failed(f"{where}: {exc}")
    except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
        return failed(f"{where}: {describe(exc)}")
    return ok(f"PostgreSQL {version.major}.{version.minor} {where}, {plural(tasks, 'task')}")


async def check_llm(s: config.LlmSettings) -> Result:
    """Ask the provider for the configured model: proves the key and the model, costs nothing."""
    if not s.api_key:
        return skipped("no llm.api_key: mail that needs a written answer goes to a person")
    # As llm.LlmClient builds it, without the limiter: one GET spends no tokens.
    client = groq.AsyncGroq(
        api_key=s.api_key.get(),
        base_url=s.base_url,
        max_retries=0,
        timeout=httpx.Timeout(s.timeout, connect=min(llm.CONNECT_TIMEOUT, s.timeout)),
    )
    try:
        async with asyncio.timeout(s.timeout + GRACE):
            model_id = await _find_model(client, s.model)
    except groq.APIStatusError as exc:
        error = llm.status_error(exc, s.model)
        if isinstance(error, llm.LlmAuthError):
            return failed("the API key was refused (llm.api_key)")
        if isinstance(error, llm.LlmModelError):
            return failed(f"model {s.model} is retired or unknown (llm.model)")
        return failed(str(error))
    except (groq.APITimeoutError, TimeoutError):
        return failed(f"{s.base_url} did not answer within {s.timeout:g} s (llm.timeout)")
    except groq.APIConnectionError as exc:
        reason = network_reason(exc) or describe(exc.__cause__ or exc)
        return failed(f"cannot reach {s.base_url} (llm.base_url): {reason}")
    except groq.APIError as exc:
        return failed(f"{s.base_url} sent an unreadable answer: {describe(exc)}")
    finally:
        await client.close()
    return ok(f"model {model_id} at {s.base_url}")


async def _find_model(client: groq.AsyncGroq, model: str) -> str:
    """The id of ``model`` as the provider knows it; raises the SDK's error when unknown.

    A 404 on ``/models/{id}`` is checked against the model list before it counts: the SDK
    sends "openai/gpt-oss-20b" with its slash encoded, and a proxy may not route that.
    """
    try:
        return (await client.models.retrieve(model)).id
    except groq.NotFoundError:
        listed = await client.models.list()
        if any(m.id == model for m in listed.data):
            return model
        raise


async def check_oauth(settings: config.Settings) -> Result:
    """A fresh access token for the mailbox: who is logged in, and for how long."""
    source = oauth.current()
    stored = source.account.store.is_file()
    try:
        await source.refresh()
    except (oauth.TokenRevoked, oauth.OAuthError, oauth.OAuthUnavailable) as exc:
        return failed(str(exc))
    minutes = max(0, int((source.expires_at - time.time()) // 60))
    kept = f"kept in {source.account.store}" if stored else "from the configuration"
    return ok(
        f"{settings.oauth.provider} login of {settings.imap.username or settings.smtp.username}: "
        f"access token good for {minutes} min, refresh token {kept}"
    )


async def check_orders(settings: config.Settings) -> Result:
    """One lookup against the order source: it answers, and takes our credentials."""
    desk = assembly.order_desk(settings)
    if desk is None:
        return skipped("no [orders] source: order questions go to the LLM or a person")
    try:
        found = await desk.find(None, settings.shop.address)
    except (orders.OrderSourceError, PermanentError) as exc:
        return failed(f"{settings.orders.source}: {exc}")
    finally:
        await desk.aclose()
    return ok(f"{settings.orders.source} answers ({found.why.replace('sender', 'shop')})")


def secret_values(settings: config.Settings) -> list[str]:
    """Everything that must not be printed, longest first (a password inside a URL)."""
    values = [
        settings.imap.password.get(),
        settings.smtp.password.get(),
        settings.llm.api_key.get(),
        settings.database.url.get(),
        settings.orders.url.get(),
        settings.orders.access_token.get(),
        settings.orders.consumer_secret.get(),
        settings.oauth.client_secret.get(),
        settings.oauth.refresh_token.get(),
    ]
    url = settings.database.url.get()
    if url:
        # Not a URL: the whole string is redacted already.
        with contextlib.suppress(ValueError):
            values.append(urlsplit(url).password or "")
    return sorted({v for v in values if v}, key=len, reverse=True)


def database_place(url: str) -> str:
    """Host, port and database of ``url``, without the user or the password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
        port = parts.port
    except ValueError:
        return "the configured database.url"
    name = parts.path.lstrip("/")
    return address(host, port) + (f"/{name}" if name else "")


def address(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def network_reason(exc: BaseException, ca_key: str | None = None) -> str | None:
    """What the network said, from the bottom of ``exc``'s chain, if that is the story.

    ``ca_key`` is the setting that adds a CA, for the hint on an untrusted certificate.
    """
    seen: BaseException | None = exc
    for _ in range(10):  # a chain is short; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            hint = f" (is its CA in {ca_key}?)" if ca_key else ""
            return f"certificate not trusted: {seen.verify_message}{hint}"
        if isinstance(seen, socket.gaierror):
            return "host name not found"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and not isinstance(seen, ssl.SSLError) and seen.errno:
            return os.strerror(seen.errno).lower()
        seen = seen.__cause__ or seen.__context__
    return None


def describe(exc: BaseException) -> str:
    detail = str(exc)
    return f"{exc.__class__.__name__}: {detail}" if detail else exc.__class__.__name__
