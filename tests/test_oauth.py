"""XOAUTH2: tokens from a local authorization server, a real Dovecot checking them through its
``oauth2`` passdb, the SMTP sink taking AUTH XOAUTH2, the device-code and browser logins, and
the daemon answering mail on a mailbox it reaches only with tokens."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.fixtures.daemon import SHOP, Wired, rig_settings, wait_until
from tests.fixtures.mailservers import dovecot_base_dir, running
from tests.test_pipeline import REPO, mail
from voidmail import config, imap, mailer, oauth
from voidmail.config import NO_SECRET, Secret
from voidmail.errors import PermanentError
from voidmail.rig.certs import CertBundle
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.oauth_server import OAuthServer
from voidmail.rig.smtp_sink import SmtpSink

pytestmark = pytest.mark.timeout(120)

USER = "tienda"


@pytest.fixture
def auth() -> Iterator[OAuthServer]:
    with OAuthServer(username=USER) as server:
        yield server


@pytest.fixture
def oauth_dovecot(
    request: pytest.FixtureRequest, rig_certs: CertBundle, auth: OAuthServer
) -> Iterator[Dovecot]:
    server = Dovecot(
        dovecot_base_dir(request, "dovecot-oauth-"),
        username=USER,
        certs=rig_certs,
        oauth2_introspection_url=f"{auth.url}/introspect",
    )
    with running(server):
        yield server


@pytest.fixture
def oauth_sink(auth: OAuthServer) -> Iterator[SmtpSink]:
    def valid(user: str, token: str) -> bool:
        answer = httpx.post(f"{auth.url}/introspect", data={"token": token}).json()
        return bool(answer.get("active")) and user == USER

    with SmtpSink(xoauth2=valid) as sink:
        yield sink


def settings_for(
    tmp_path: Path,
    auth: OAuthServer,
    dovecot: Dovecot | None = None,
    sink: SmtpSink | None = None,
    *,
    refresh_token: str = "",
) -> config.Settings:
    return config.Settings(
        imap=config.ImapSettings(
            host="127.0.0.1", port=dovecot.port if dovecot else 1, security="plain",
            username=USER, auth="xoauth2", timeout=10.0,
        ),
        smtp=config.SmtpSettings(
            host="127.0.0.1", port=sink.port if sink else 1, security="plain",
            username=USER, auth="xoauth2", timeout=10.0,
        ),
        oauth=config.OAuthSettings(
            provider="custom", client_id=auth.client_id, token_url=f"{auth.url}/token",
            device_url=f"{auth.url}/devicecode", auth_url=f"{auth.url}/authorize",
            scope="mail offline_access",
            refresh_token=Secret(refresh_token) if refresh_token else NO_SECRET,
        ),
        daemon=config.DaemonSettings(state_dir=tmp_path / "state"),
    )  # fmt: skip


def stored(tmp_path: Path) -> Path:
    return tmp_path / "state" / oauth.TOKEN_FILE


# --------------------------------------------------------------------------- tokens


async def test_tokens_are_refreshed_before_they_expire_and_rotated_ones_kept(
    tmp_path: Path, auth: OAuthServer
) -> None:
    first = auth.issue_refresh_token()
    account = oauth.Account.of(settings_for(tmp_path, auth, refresh_token=first))
    now = [1000.0]
    source = oauth.TokenSource(account, clock=lambda: now[0])

    token = await source.token()
    assert await source.token() == token  # still good: no second request
    assert auth.grants == ["refresh_token"]
    # Microsoft replaces the refresh token on use: the new one is kept, privately.
    assert first not in auth.live_refresh_tokens()
    assert oauth.read_refresh_token(account) in auth.live_refresh_tokens()
    assert stored(tmp_path).stat().st_mode & 0o777 == 0o600

    now[0] += 3600 - oauth.EARLY + 1  # within a minute of expiry
    renewed = await source.token()
    assert renewed != token
    assert auth.grants == ["refresh_token", "refresh_token"]


async def test_one_refresh_for_many_callers_whose_token_was_refused(
    tmp_path: Path, auth: OAuthServer
) -> None:
    account = oauth.Account.of(
        settings_for(tmp_path, auth, refresh_token=auth.issue_refresh_token())
    )
    source = oauth.TokenSource(account)
    stale = await source.token()
    fresh = await asyncio.gather(*(source.refresh(stale=stale) for _ in range(5)))
    assert len(set(fresh)) == 1
    assert auth.grants.count("refresh_token") == 2


async def test_a_revoked_token_is_permanent_and_says_what_to_run(
    tmp_path: Path, auth: OAuthServer
) -> None:
    account = oauth.Account.of(
        settings_for(tmp_path, auth, refresh_token=auth.issue_refresh_token())
    )
    auth.revoke()
    with pytest.raises(oauth.TokenRevoked, match="voidmail auth custom"):
        await oauth.TokenSource(account).token()


async def test_a_failing_token_endpoint_is_a_retry(tmp_path: Path, auth: OAuthServer) -> None:
    account = oauth.Account.of(
        settings_for(tmp_path, auth, refresh_token=auth.issue_refresh_token())
    )
    auth.fail_next(503)
    with pytest.raises(oauth.OAuthUnavailable):
        await oauth.TokenSource(account).token()
    assert await oauth.TokenSource(account).token()  # the next try works


def test_a_failed_write_keeps_the_stored_token_whole(
    tmp_path: Path, auth: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = oauth.Account.of(settings_for(tmp_path, auth))
    oauth.store_refresh_token(account, "rt-old")

    def crash(*_args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        oauth.store_refresh_token(account, "rt-new")
    assert oauth.read_refresh_token(account) == "rt-old"
    assert [p.name for p in stored(tmp_path).parent.iterdir()] == [oauth.TOKEN_FILE]


# --------------------------------------------------------------------------- IMAP and SMTP


async def test_imap_logs_in_with_xoauth2_and_refreshes_a_refused_token(
    tmp_path: Path, auth: OAuthServer, oauth_dovecot: Dovecot
) -> None:
    settings = settings_for(tmp_path, auth, oauth_dovecot, refresh_token=auth.issue_refresh_token())
    oauth.use(settings)
    connection = imap.ImapConnection(settings.imap)
    await connection.connect()
    await connection.close()
    # The server stops accepting the access token before its time: one refresh, then in.
    auth.expire_access_tokens()
    again = imap.ImapConnection(settings.imap)
    await again.connect()
    await again.close()
    assert auth.grants == ["refresh_token", "refresh_token"]
    assert auth.introspections >= 3


async def test_imap_with_a_revoked_login_is_a_login_error_that_names_the_fix(
    tmp_path: Path, auth: OAuthServer, oauth_dovecot: Dovecot
) -> None:
    settings = settings_for(tmp_path, auth, oauth_dovecot, refresh_token=auth.issue_refresh_token())
    oauth.use(settings)
    auth.revoke()
    connection = imap.ImapConnection(settings.imap)
    with pytest.raises(imap.ImapLoginError, match="voidmail auth"):
        await connection.connect()
    await connection.close()


async def test_smtp_sends_with_xoauth2(
    tmp_path: Path, auth: OAuthServer, oauth_sink: SmtpSink
) -> None:
    settings = settings_for(
        tmp_path, auth, sink=oauth_sink, refresh_token=auth.issue_refresh_token()
    )
    oauth.use(settings)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SHOP, "ana@correo.example", "Hola"
    message.set_content("hola")
    to = ["ana@correo.example"]
    for _ in range(2):
        sender = mailer.Mailer(settings.smtp)
        try:
            await sender.send(message, SHOP, to)
        finally:
            await sender.aclose()
        auth.expire_access_tokens()
    assert [m.authenticated_as for m in oauth_sink.messages] == [USER, USER]
    assert auth.grants == ["refresh_token", "refresh_token"]


# --------------------------------------------------------------------------- logging in


async def test_the_device_code_login_stores_the_refresh_token(
    tmp_path: Path, auth: OAuthServer
) -> None:
    account = oauth.Account.of(settings_for(tmp_path, auth))
    shown: list[str] = []
    polls = 0

    async def sleep(_seconds: float) -> None:
        nonlocal polls
        polls += 1
        if polls == 3:
            auth.approve()  # the user typed the code on their phone
        await asyncio.sleep(0)

    answer = await oauth.device_login(account, shown.append, sleep=sleep)
    assert "enter the code" in shown[0]
    assert "access_token" not in answer
    assert oauth.read_refresh_token(account) in auth.live_refresh_tokens()


async def test_a_declined_device_login_is_a_clear_failure(
    tmp_path: Path, auth: OAuthServer
) -> None:
    account = oauth.Account.of(settings_for(tmp_path, auth))

    async def sleep(_seconds: float) -> None:
        auth.approve(deny=True)
        await asyncio.sleep(0)

    with pytest.raises(PermanentError, match="access_denied"):
        await oauth.device_login(account, lambda _text: None, sleep=sleep)
    assert not stored(tmp_path).exists()


async def test_the_browser_login_takes_the_pasted_redirect(
    tmp_path: Path, auth: OAuthServer
) -> None:
    account = oauth.Account.of(settings_for(tmp_path, auth))
    shown: list[str] = []

    async def browser_elsewhere() -> str:
        # The user logs in on another computer; the browser lands on the loopback address,
        # which does not load there, and they paste it back.
        await wait_until(lambda: shown, what="the URL")
        url = next(line for line in shown[0].splitlines() if line.startswith("http"))
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
        return response.headers["location"]

    await oauth.browser_login(account, shown.append, browser_elsewhere)
    assert oauth.read_refresh_token(account) in auth.live_refresh_tokens()


def test_voidmail_auth_runs_the_device_flow_from_the_command_line(
    tmp_path: Path, auth: OAuthServer
) -> None:
    path = tmp_path / "voidmail.toml"
    path.write_text(
        f'[imap]\nhost = "127.0.0.1"\nusername = "{USER}"\nauth = "xoauth2"\n'
        f'[smtp]\nhost = "127.0.0.1"\n[shop]\naddress = "{SHOP}"\n'
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nlog_level = "warning"\n'
        f'[oauth]\nprovider = "custom"\nclient_id = "{auth.client_id}"\n'
        f'token_url = "{auth.url}/token"\ndevice_url = "{auth.url}/devicecode"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "voidmail", "--config", str(path), "auth", "custom"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "enter the code" in first
    auth.approve(first.rstrip(".\n").rsplit(" ", 1)[1])
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "logged in" in out
    assert "Traceback" not in err
    assert stored(tmp_path).is_file()
    for token in auth.live_refresh_tokens():
        assert token not in out + err


# --------------------------------------------------------------------------- the daemon


async def test_the_daemon_answers_a_mailbox_it_reaches_only_with_tokens(
    tmp_path: Path,
    auth: OAuthServer,
    oauth_dovecot: Dovecot,
    oauth_sink: SmtpSink,
    database_url: str,
) -> None:
    base = rig_settings(oauth_dovecot, database_url, tmp_path, oauth_sink)
    wanted = settings_for(
        tmp_path, auth, oauth_dovecot, oauth_sink, refresh_token=auth.issue_refresh_token()
    )
    settings = config.Settings(
        **{
            **{f: getattr(base, f) for f in ("shop", "database", "daemon", "worker", "review")},
            "imap": wanted.imap,
            "smtp": wanted.smtp,
            "oauth": wanted.oauth,
        }
    )
    oauth_dovecot.append(mail(1, "Hola, ¿hacen envíos a todo el país?"))
    async with Wired(settings) as p:
        await wait_until(lambda: oauth_sink.messages, what="the reply")
        await wait_until(lambda: p.all_finished(1), what="the task done")
    assert oauth_sink.messages[0].authenticated_as == USER
    assert oauth_sink.messages[0].message["In-Reply-To"] == "<m1@correo.example>"
