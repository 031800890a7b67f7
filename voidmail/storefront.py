"""The shop platforms' HTTP APIs, as the order lookups and the catalog both reach them.

* :class:`TiendanubeApi`: ``https://api.tiendanube.com/{version}/{store_id}``, the header
  ``Authentication: bearer TOKEN`` (that name, not ``Authorization``) and a mandatory
  ``User-Agent``; paced by our own copy of its leaky bucket (40 requests, draining at 2 a
  second), kept a little inside it and corrected by the ``x-rate-limit-*`` headers it sends,
  so a busy day earns no 429.
  A search that finds nothing answers 404, which is an empty list here.
* :class:`WooCommerceApi`: ``/wp-json/...`` with HTTP Basic (the REST key and secret; HTTPS
  only, which the configuration enforces).

A timeout, a 5xx or a 429 is :class:`SourceUnavailable` (a RetryableError carrying the
server's reset as ``retry_after``); refused credentials are a PermanentError naming what to
check. TLS is verified; nothing is logged of the credentials.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from voidmail import __version__
from voidmail.errors import PermanentError, RetryableError

PAGE_LIMIT = 50  # pages read of one listing at most: a catalog of 10,000 products
HEADROOM = 1  # requests of a server's bucket we leave unused (LeakyBucket.inside)
PACE = 0.9  # the share of a server's drain rate we use


class SourceUnavailable(RetryableError):
    """The shop's platform did not answer now (timeout, 5xx, 429): try again later."""


class LeakyBucket:
    """A rate limit on our side: ``capacity`` requests, draining at ``rate`` a second.
    :meth:`take` waits until a request fits."""

    def __init__(
        self, capacity: float, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self.level = 0.0
        self.at = clock()
        self._lock = asyncio.Lock()

    def _drain(self) -> None:
        now = self.clock()
        self.level = max(0.0, self.level - (now - self.at) * self.rate)
        self.at = now

    async def take(self) -> None:
        async with self._lock:
            while True:
                self._drain()
                if self.level + 1 <= self.capacity:
                    self.level += 1
                    return
                await asyncio.sleep((self.level + 1 - self.capacity) / self.rate)

    @classmethod
    def inside(cls, capacity: float, rate: float) -> LeakyBucket:
        """Our copy of a server's bucket, kept a little inside it: a request arrives some time
        after it was let go, and two let go apart may land together. One request of room and
        a tenth of the rate spare that jitter."""
        return cls(capacity=capacity - HEADROOM, rate=rate * PACE)

    def fill(self, remaining: int, limit: int) -> None:
        """Believe the server's count (``x-rate-limit-remaining``) when it says less room."""
        self._drain()
        self.level = max(self.level, float(limit - remaining))


class ApiClient:
    """One HTTP client for one platform: TLS verified, failures as our errors."""

    name = "http"

    def __init__(
        self, base_url: str, headers: Mapping[str, str], timeout: float, **kw: Any
    ) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=dict(headers), timeout=timeout, **kw
        )

    async def get(self, path: str, params: Mapping[str, str | int]) -> httpx.Response:
        """The response (any status below 500 but 401, 403 and 429)."""
        try:
            response = await self.client.get(path, params=dict(params))
        except httpx.TimeoutException:
            raise SourceUnavailable(f"{self.name} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"{self.name}: {exc.__class__.__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise SourceUnavailable(
                f"{self.name} answered {response.status_code}",
                retry_after=_retry_after(response.headers),
            )
        if response.status_code in (401, 403):
            raise PermanentError(
                f"{self.name} refused the credentials ({response.status_code}); "
                "check the token or key in [orders]"
            )
        return response

    async def get_list(self, path: str, params: Mapping[str, str | int]) -> list[Any]:
        """A JSON list (empty for a 404: nothing found)."""
        response = await self.get(path, params)
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise SourceUnavailable(f"{self.name} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SourceUnavailable(f"{self.name} sent something that is not JSON") from None
        if not isinstance(body, list):
            raise SourceUnavailable(f"{self.name} sent no list")
        return body

    async def get_all(self, path: str, params: Mapping[str, str | int], per_page: int) -> list[Any]:
        """Every page of a listing (at most :data:`PAGE_LIMIT`)."""
        found: list[Any] = []
        for page in range(1, PAGE_LIMIT + 1):
            chunk = await self.get_list(path, {**params, "page": page, "per_page": per_page})
            found += chunk
            if len(chunk) < per_page:
                break
        return found

    async def aclose(self) -> None:
        await self.client.aclose()


def _retry_after(headers: httpx.Headers) -> float | None:
    reset = headers.get("x-rate-limit-reset")  # Tiendanube: milliseconds
    if reset and reset.isdigit():
        return int(reset) / 1000
    after = headers.get("retry-after")
    if after and after.isdigit():
        return float(after)
    return None


class TiendanubeApi(ApiClient):
    name = "tiendanube"

    def __init__(self, base_url: str, token: str, *, contact: str, timeout: float) -> None:
        super().__init__(
            base_url,
            {
                "Authentication": f"bearer {token}",
                "User-Agent": f"voidmail/{__version__} ({contact or 'voidmail'})",
                "Accept": "application/json",
            },
            timeout,
        )
        self.bucket = LeakyBucket.inside(capacity=40, rate=2.0)

    async def get(self, path: str, params: Mapping[str, str | int]) -> httpx.Response:
        await self.bucket.take()
        response = await super().get(path, params)
        limit = response.headers.get("x-rate-limit-limit", "")
        remaining = response.headers.get("x-rate-limit-remaining", "")
        if limit.isdigit() and remaining.isdigit():
            self.bucket.fill(int(remaining), int(limit))
        return response


class WooCommerceApi(ApiClient):
    name = "woocommerce"

    def __init__(self, base_url: str, key: str, secret: str, *, timeout: float) -> None:
        super().__init__(
            base_url,
            {"Accept": "application/json", "User-Agent": f"voidmail/{__version__}"},
            timeout,
            auth=httpx.BasicAuth(key, secret),
        )
