"""A local OAuth2 authorization server, for tests of XOAUTH2 logins and of ``voidmail auth``.

What Google's and Microsoft's endpoints do, as far as a mail client sees it:

* ``POST /token``:
  * ``grant_type=refresh_token`` gives an access token (``expires_in`` seconds) and, with
    ``rotate`` (Microsoft), a new refresh token that replaces the old one, which then stops
    working;
  * ``grant_type=urn:ietf:params:oauth:grant-type:device_code`` answers
    ``authorization_pending`` until :meth:`OAuthServer.approve` (``slow_down`` when polled
    faster than the interval, ``expired_token``, ``access_denied``);
  * ``grant_type=authorization_code`` checks the PKCE verifier (S256) and the redirect URI.

  Errors are RFC 6749 JSON (``invalid_grant``, ``invalid_client``, ...), with status 400.
* ``POST /devicecode``: ``device_code``, ``user_code``, ``verification_uri``, ``interval``.
* ``GET /authorize``: what a browser gets after the user logs in: a 302 to the redirect URI
  with ``code`` and ``state``.
* ``POST /introspect`` (RFC 7662): ``{"active": true, "username": ...}`` for a live access
  token, ``{"active": false}`` otherwise; Dovecot's ``oauth2`` passdb asks it about every
  XOAUTH2 login.

:meth:`OAuthServer.revoke` kills every token of the account (a password change, an admin);
:meth:`OAuthServer.expire_access_tokens` makes the live access tokens expire now.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from voidmail.rig.jsonhttp import JsonServer, Reply


@dataclasses.dataclass
class _Device:
    user_code: str
    scope: str
    expires_at: float
    approved: bool = False
    denied: bool = False
    last_poll: float = 0.0


class OAuthServer(JsonServer):
    """One account (``username``) and one client (``client_id``, ``client_secret``)."""

    def __init__(
        self,
        *,
        username: str,
        client_id: str = "voidmail-test-client",
        client_secret: str = "",
        expires_in: int = 3600,
        rotate: bool = True,
        interval: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.username = username
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.rotate = rotate
        self.interval = interval
        self.clock = clock
        self._refresh: set[str] = set()
        self._access: dict[str, float] = {}  # token -> expiry
        self._devices: dict[str, _Device] = {}
        self._codes: dict[str, tuple[str, str]] = {}  # code -> (challenge, redirect_uri)
        self.grants: list[str] = []  # grant types asked for, in order
        self.introspections = 0
        self._faults: list[int] = []
        self._lock = threading.Lock()

    # -- control -------------------------------------------------------------------------

    def issue_refresh_token(self) -> str:
        """A refresh token for the account, as an earlier login would have left."""
        token = "rt-" + secrets.token_urlsafe(16)
        with self._lock:
            self._refresh.add(token)
        return token

    def live_refresh_tokens(self) -> set[str]:
        with self._lock:
            return set(self._refresh)

    def approve(self, user_code: str | None = None, *, deny: bool = False) -> None:
        """The user typed the code (the last one shown, by default) and said yes (or no)."""
        with self._lock:
            for device in self._devices.values():
                if user_code in (None, device.user_code):
                    device.approved, device.denied = not deny, deny

    def revoke(self) -> None:
        with self._lock:
            self._refresh.clear()
            self._access.clear()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access = dict.fromkeys(self._access, 0.0)

    def fail_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._faults.extend([status] * count)

    # -- endpoints -----------------------------------------------------------------------

    def answer(
        self, method: str, path: str, fields: dict[str, str], headers: dict[str, str]
    ) -> Reply:
        # Dovecot may send the token to introspect as a Bearer header instead of a field.
        bearer = headers.get("authorization", "")
        if path == "/introspect" and "token" not in fields and bearer.lower().startswith("bearer "):
            fields = {**fields, "token": bearer[7:].strip()}
        return self.serve(method, path, fields)

    def serve(self, method: str, path: str, form: dict[str, str]) -> Reply:
        if path == "/introspect":
            return self._introspect(form)
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            return fault, {}, {"error": "temporarily_unavailable"}
        if method == "POST" and path == "/token":
            return self._token(form)
        if method == "POST" and path == "/devicecode":
            return self._device_code(form)
        if method == "GET" and path == "/authorize":
            return self._authorize(form)
        return 404, {}, {"error": "not_found"}

    def _client_ok(self, form: dict[str, str]) -> bool:
        if form.get("client_id") != self.client_id:
            return False
        return not self.client_secret or hmac.compare_digest(
            form.get("client_secret", ""), self.client_secret
        )

    def _token(self, form: dict[str, str]) -> Reply:
        grant = form.get("grant_type", "")
        with self._lock:
            self.grants.append(grant)
        if not self._client_ok(form):
            return 401, {}, {"error": "invalid_client"}
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            with self._lock:
                if token not in self._refresh:
                    return 400, {}, {"error": "invalid_grant", "error_description": "AADSTS70008"}
                if self.rotate:
                    self._refresh.discard(token)
            return 200, {}, self._tokens(new_refresh=self.rotate)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self._poll(form.get("device_code", ""))
        if grant == "authorization_code":
            return self._exchange(form)
        return 400, {}, {"error": "unsupported_grant_type"}

    def _tokens(self, *, new_refresh: bool) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = self.clock() + self.expires_in
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": self.expires_in,
            "scope": "https://outlook.office.com/IMAP.AccessAsUser.All",
        }
        if new_refresh:
            answer["refresh_token"] = self.issue_refresh_token()
        return answer

    def _device_code(self, form: dict[str, str]) -> Reply:
        if form.get("client_id") != self.client_id:
            return 400, {}, {"error": "invalid_client"}
        device_code = secrets.token_urlsafe(24)
        user_code = secrets.token_hex(4).upper()
        with self._lock:
            self._devices[device_code] = _Device(
                user_code, form.get("scope", ""), self.clock() + 900
            )
        return (
            200,
            {},
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": f"{self.url}/device",
                "expires_in": 900,
                "interval": self.interval,
                "message": f"To sign in, open {self.url}/device and enter the code {user_code}.",
            },
        )

    def _poll(self, device_code: str) -> Reply:
        with self._lock:
            device = self._devices.get(device_code)
            if device is None or self.clock() > device.expires_at:
                return 400, {}, {"error": "expired_token"}
            now = self.clock()
            too_fast = now - device.last_poll < self.interval * 0.5
            device.last_poll = now
            if device.denied:
                return 400, {}, {"error": "access_denied"}
            if not device.approved:
                error = "slow_down" if too_fast else "authorization_pending"
                return 400, {}, {"error": error}
            del self._devices[device_code]
        return 200, {}, self._tokens(new_refresh=True)

    def _authorize(self, query: dict[str, str]) -> Reply:
        if query.get("client_id") != self.client_id or query.get("code_challenge_method") != "S256":
            return 400, {}, {"error": "invalid_request"}
        code = "code-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (query.get("code_challenge", ""), query.get("redirect_uri", ""))
        target = (
            query.get("redirect_uri", "")
            + "?"
            + urlencode({"code": code, "state": query.get("state", "")})
        )
        return 302, {"Location": target}, {}

    def _exchange(self, form: dict[str, str]) -> Reply:
        with self._lock:
            issued = self._codes.pop(form.get("code", ""), None)
        if issued is None:
            return 400, {}, {"error": "invalid_grant"}
        challenge, redirect_uri = issued
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if digest.rstrip(b"=").decode() != challenge or form.get("redirect_uri") != redirect_uri:
            return 400, {}, {"error": "invalid_grant", "error_description": "PKCE or redirect"}
        return 200, {}, self._tokens(new_refresh=True)

    def _introspect(self, form: dict[str, str]) -> Reply:
        token = form.get("token", "")
        with self._lock:
            self.introspections += 1
            expiry = self._access.get(token)
            live = expiry is not None and self.clock() < expiry
        if not live:
            return 200, {}, {"active": False}
        return 200, {}, {"active": True, "username": self.username, "scope": "mail"}
