"""OAuth2 for the mailbox: XOAUTH2 access tokens for IMAP and SMTP, and logging in to get them.

Gmail, Google Workspace and Microsoft 365 log mail clients in with an OAuth2 access token
(SASL XOAUTH2) instead of a password. voidmail keeps the refresh token and trades it for
access tokens:

* :class:`TokenSource` gives a valid access token, refreshed a minute before it expires and
  once more when the server refuses one (:meth:`TokenSource.refresh`). One source per process
  and account (:func:`tokens`), shared by the IMAP connections and the SMTP sender, so two
  refreshes never race. Tokens are never logged.
* The refresh token lives in ``daemon.state_dir/oauth-token.json`` (mode 0600). Microsoft
  replaces it on every use: the new one is written there atomically (a temporary file, fsync,
  rename) as soon as it arrives, before it is used, so a crash keeps a valid token. Without
  that file, ``oauth.refresh_token`` (or the credential ``oauth_refresh_token``) is used.
* A refresh token the provider refuses (revoked, expired: Google's apps in "Testing" expire
  them after 7 days) is a :class:`TokenRevoked`, a PermanentError that says what to run.
* ``voidmail auth microsoft`` runs the device-code flow (:func:`device_login`): a URL and a
  code to type on any device, for a VPS without a browser. ``voidmail auth google`` runs the
  installed-app flow with a loopback redirect and PKCE (:func:`browser_login`); on a VPS it
  prints the URL and takes the address the browser was sent to, pasted back.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import structlog

from voidmail.config import OAuthSettings, Settings
from voidmail.errors import ConfigError, PermanentError, RetryableError

log = structlog.get_logger("voidmail.oauth")

TOKEN_FILE = "oauth-token.json"  # noqa: S105 - a file name, not a secret
EARLY = 60.0  # seconds before expiry an access token is replaced
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PROVIDERS = {
    "google": {
        "token_url": "https://oauth2.googleapis.com/token",
        "auth_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "device_url": "",
        "scope": "https://mail.google.com/",
    },
    "microsoft": {
        "token_url": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        "auth_url": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
        "device_url": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
        "scope": "https://outlook.office.com/IMAP.AccessAsUser.All "
        "https://outlook.office.com/SMTP.Send offline_access",
    },
}


class TokenRevoked(PermanentError):
    """The provider refuses the refresh token: someone must log in again."""


class OAuthUnavailable(RetryableError):
    """The token endpoint did not answer now (timeout, 5xx, 429)."""


@dataclasses.dataclass(frozen=True)
class Account:
    """Everything needed to get tokens for one mailbox: endpoints, client, where the refresh
    token is kept."""

    provider: str
    client_id: str
    client_secret: str
    token_url: str
    device_url: str
    auth_url: str
    scope: str
    store: Path
    configured_token: str  # oauth.refresh_token, used while the store holds none
    timeout: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> Account:
        o: OAuthSettings = settings.oauth
        known = PROVIDERS.get(o.provider, {})

        def pick(name: str, given: str) -> str:
            return given or known.get(name, "").format(tenant=o.tenant or "common")

        return cls(
            provider=o.provider,
            client_id=o.client_id,
            client_secret=o.client_secret.get(),
            token_url=pick("token_url", o.token_url),
            device_url=pick("device_url", o.device_url),
            auth_url=pick("auth_url", o.auth_url),
            scope=pick("scope", o.scope),
            store=settings.state_dir / TOKEN_FILE,
            configured_token=o.refresh_token.get(),
        )

    def __repr__(self) -> str:  # secrets stay out of reprs and logs
        return f"Account({self.provider!r}, {self.client_id!r}, store={str(self.store)!r})"


# --------------------------------------------------------------------------- the stored token


def read_refresh_token(account: Account) -> str:
    """The newest refresh token: the stored one, else the configured one."""
    try:
        data = json.loads(account.store.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return account.configured_token
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read {account.store}: {exc.__class__.__name__}", key="oauth.refresh_token"
        ) from None
    token = data.get("refresh_token") if isinstance(data, dict) else None
    return token if isinstance(token, str) and token else account.configured_token


def store_refresh_token(account: Account, token: str, **extra: object) -> None:
    """Replace the stored refresh token atomically: the old file stays whole until the new one
    is on disk (a crash in between leaves one of the two, never neither)."""
    directory = account.store.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = directory / f".{TOKEN_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    payload = json.dumps({"refresh_token": token, "saved_at": int(time.time()), **extra})
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, account.store)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# --------------------------------------------------------------------------- access tokens


class TokenSource:
    """Valid access tokens for one account, refreshed before they expire."""

    def __init__(self, account: Account, *, clock: Callable[[], float] = time.time) -> None:
        self.account = account
        self.clock = clock
        self._access = ""
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.refreshes = 0

    @property
    def expires_at(self) -> float:
        return self._expires_at

    async def token(self) -> str:
        """An access token valid for at least another minute."""
        if self._access and self.clock() < self._expires_at - EARLY:
            return self._access
        return await self.refresh(stale=self._access)

    async def refresh(self, stale: str | None = None) -> str:
        """A new access token. ``stale`` is the token the server refused: if another caller
        has replaced it meanwhile, that one is returned without a second refresh."""
        async with self._lock:
            if self._access and stale is not None and self._access != stale:
                return self._access
            refresh_token = read_refresh_token(self.account)
            if not refresh_token:
                raise TokenRevoked(
                    f"no refresh token for {self.account.provider}: run "
                    f"`voidmail auth {self.account.provider}` to log the mailbox in"
                )
            form = {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.account.client_id,
                "scope": self.account.scope,
            }
            if self.account.client_secret:
                form["client_secret"] = self.account.client_secret
            answer = await _post(self.account, self.account.token_url, form)
            rotated = answer.get("refresh_token")
            if isinstance(rotated, str) and rotated and rotated != refresh_token:
                # Microsoft replaces it on use: keep the new one before anything else.
                store_refresh_token(self.account, rotated)
            self._access = str(answer["access_token"])
            self._expires_at = self.clock() + float(answer.get("expires_in", 3600))
            self.refreshes += 1
            log.info("oauth_token_refreshed", provider=self.account.provider,
                     expires_in=int(float(answer.get("expires_in", 3600))))  # fmt: skip
            return self._access


_SOURCES: dict[tuple[Account, int], TokenSource] = {}
_ACCOUNT: Account | None = None


def use(settings: Settings) -> None:
    """Make ``settings``' mailbox account the process's (``voidmail.assembly`` does, once the
    settings are loaded): the IMAP and SMTP logins take their tokens from it."""
    global _ACCOUNT
    needed = "xoauth2" in (settings.imap.auth, settings.smtp.auth)
    _ACCOUNT = Account.of(settings) if needed else None


def current() -> TokenSource:
    """The token source of the process's account (one per event loop, shared by every
    connection in it)."""
    if _ACCOUNT is None:
        raise ConfigError("xoauth2 login without an [oauth] account", key="oauth.provider")
    key = (_ACCOUNT, id(asyncio.get_running_loop()))
    source = _SOURCES.get(key)
    if source is None:
        source = _SOURCES[key] = TokenSource(_ACCOUNT)
    return source


async def _post(account: Account, url: str, form: dict[str, str]) -> dict[str, Any]:
    """POST a form to the provider; its JSON, or the error it names as our exception."""
    try:
        async with httpx.AsyncClient(timeout=account.timeout) as client:
            response = await client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OAuthUnavailable(f"token endpoint: {exc.__class__.__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 429 or response.status_code >= 500:
        after = response.headers.get("retry-after", "")
        raise OAuthUnavailable(
            f"token endpoint answered {response.status_code}",
            retry_after=float(after) if after.isdigit() else None,
        )
    if response.status_code != 200:
        error = str(body.get("error") or response.status_code)
        if error in ("invalid_grant", "interaction_required", "consent_required"):
            raise TokenRevoked(
                f"{account.provider} refused the refresh token ({error}: revoked, expired or "
                f"no longer consented): run `voidmail auth {account.provider}` to log in again"
            )
        if error in ("invalid_client", "unauthorized_client"):
            raise TokenRevoked(f"{account.provider} refused the client ({error}): check [oauth]")
        raise OAuthError(error, str(body.get("error_description") or ""))
    if "access_token" not in body and form.get("grant_type") != DEVICE_GRANT:
        raise OAuthUnavailable("token endpoint answered without an access token")
    return body


class OAuthError(PermanentError):
    """An OAuth error the flow does not expect; ``code`` is the provider's ``error``."""

    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code


# --------------------------------------------------------------------------- logging in


async def device_login(
    account: Account,
    show: Callable[[str], None],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> dict[str, Any]:
    """RFC 8628: show the user a URL and a code, poll until they approve, store the refresh
    token. Returns the token answer (without the tokens logged anywhere)."""
    if not account.device_url:
        raise ConfigError(
            f"{account.provider} has no device-code endpoint here: set oauth.device_url",
            key="oauth.device_url",
        )
    start = await _post_device(account)
    show(
        start.get("message")
        or f"Open {start['verification_uri']} and enter the code {start['user_code']}"
    )
    interval = float(start.get("interval", 5))
    deadline = time.monotonic() + float(start.get("expires_in", 900))
    form = {
        "grant_type": DEVICE_GRANT,
        "device_code": str(start["device_code"]),
        "client_id": account.client_id,
    }
    if account.client_secret:
        form["client_secret"] = account.client_secret
    while time.monotonic() < deadline:
        await sleep(interval)
        try:
            answer = await _post(account, account.token_url, form)
        except OAuthError as exc:
            if exc.code == "authorization_pending":
                continue
            if exc.code == "slow_down":
                interval += 5
                continue
            if exc.code in ("expired_token", "access_denied", "authorization_declined"):
                raise PermanentError(f"the login was not completed ({exc.code})") from None
            raise
        return _keep(account, answer)
    raise PermanentError("the code expired before the login was completed; run it again")


async def _post_device(account: Account) -> dict[str, Any]:
    form = {"client_id": account.client_id, "scope": account.scope}
    try:
        async with httpx.AsyncClient(timeout=account.timeout) as client:
            response = await client.post(account.device_url, data=form)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OAuthUnavailable(f"device endpoint: {exc.__class__.__name__}") from None
    if response.status_code != 200 or not isinstance(body, dict) or "device_code" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        raise PermanentError(
            f"the device endpoint refused the login ({error or response.status_code})"
        )
    return body


def authorization_url(account: Account, redirect_uri: str) -> tuple[str, str, str]:
    """The URL to open, its ``state`` and the PKCE verifier (RFC 7636, S256)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(16)
    query = {
        "client_id": account.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": account.scope,
        "state": state,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "access_type": "offline",  # Google: a refresh token, please
        "prompt": "consent",
    }
    return f"{account.auth_url}?{urlencode(query)}", state, verifier


def code_from_redirect(address: str, state: str) -> str:
    """The authorization code in the address the browser was sent to; checks ``state``."""
    query = parse_qs(urlsplit(address.strip()).query)
    if query.get("state", [""])[0] != state:
        raise PermanentError("that address is not the answer to this login (state differs)")
    if "error" in query:
        raise PermanentError(f"the login was refused ({query['error'][0]})")
    code = query.get("code", [""])[0]
    if not code:
        raise PermanentError("that address carries no authorization code")
    return code


async def exchange_code(
    account: Account, code: str, verifier: str, redirect_uri: str
) -> dict[str, Any]:
    """Trade the authorization code for tokens and store the refresh token."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
        "client_id": account.client_id,
    }
    if account.client_secret:
        form["client_secret"] = account.client_secret
    return _keep(account, await _post(account, account.token_url, form))


async def browser_login(
    account: Account, show: Callable[[str], None], pasted: Callable[[], Awaitable[str]]
) -> dict[str, Any]:
    """The installed-app flow: a loopback redirect catches the code when the browser runs on
    this machine; otherwise the user pastes the address the browser ended on."""
    if not account.auth_url:
        raise ConfigError("set oauth.auth_url for this provider", key="oauth.auth_url")
    caught: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def on_redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            line = await asyncio.wait_for(reader.readline(), 10)
            target = line.decode("latin-1").split(" ")[1] if line.count(b" ") >= 2 else ""
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Connection: close\r\n\r\nListo: ya puede cerrar esta ventana.\n"
            )
            await writer.drain()
            if not caught.done() and ("code=" in target or "error=" in target):
                caught.set_result(f"http://127.0.0.1{target}")
        writer.close()

    server = await asyncio.start_server(on_redirect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    redirect_uri = f"http://127.0.0.1:{port}"
    url, state, verifier = authorization_url(account, redirect_uri)
    show(
        "Open this address in a browser and log in with the shop's mailbox:\n\n"
        f"{url}\n\nIf the browser is on another computer, it ends on an address that "
        "does not load: copy that address from its address bar and paste it here."
    )
    typed = asyncio.ensure_future(pasted())
    try:
        async with server:
            done, _ = await asyncio.wait({caught, typed}, return_when=asyncio.FIRST_COMPLETED)
            address = caught.result() if caught in done else typed.result()
    finally:
        typed.cancel()
    return await exchange_code(account, code_from_redirect(address, state), verifier, redirect_uri)


def _keep(account: Account, answer: dict[str, Any]) -> dict[str, Any]:
    token = answer.get("refresh_token")
    if not isinstance(token, str) or not token:
        raise PermanentError(
            "the provider gave no refresh token: the app must ask for offline access "
            "(Microsoft: the offline_access scope)"
        )
    store_refresh_token(account, token)
    return {
        k: v for k, v in answer.items() if k not in ("access_token", "refresh_token", "id_token")
    }
