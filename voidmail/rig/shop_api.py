"""Local emulators of the Tiendanube and WooCommerce order APIs, for tests and benchmarks.

Written from the public documentation (see ``../shared/FACTS.md``), with the parts a client
can trip over:

**Tiendanube** (``/{version}/{store_id}/orders``):

* ``Authentication: bearer TOKEN`` (that header, not ``Authorization``), else 401;
* a ``User-Agent`` is mandatory, else 400;
* ``q`` searches the order number, the customer's name or the contact email; ``page`` and
  ``per_page`` (at most 200) paginate, with a ``Link`` header for the next page; a search
  that finds nothing answers 404 ``Last page is 0``;
* a leaky bucket of ``capacity`` requests (40) draining at ``rate`` a second (2), per store:
  a request that does not fit gets 429; every answer carries ``x-rate-limit-limit``,
  ``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (milliseconds until the bucket is
  empty).

**WooCommerce** (``/wp-json/wc/v3/orders``): HTTP Basic with the consumer key and secret, else
401 ``woocommerce_rest_cannot_view``; ``search``, ``page``, ``per_page`` (at most 100) with
``X-WP-Total`` and ``X-WP-TotalPages``; and, when the Shipment Tracking extension is
"installed", ``/wp-json/wc-shipment-tracking/v3/orders/<id>/shipment-trackings`` (else 404
``rest_no_route``).

Faults for both: :meth:`ShopApi.fail_next` and :meth:`ShopApi.set_outage`. The server is the
standard library's threading HTTP server on loopback, so sync code and asyncio tests alike
reach it; the bucket's clock can be injected.
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from voidmail.rig.jsonhttp import JsonServer, Reply

VERSION = "2025-03"


@dataclasses.dataclass
class ShopOrder:
    """One order, turned into each API's own JSON by :meth:`tiendanube` and :meth:`woo`."""

    id: int
    number: str
    email: str
    name: str = "Cliente"
    created: date = date(2026, 11, 20)
    status: str = "open"  # tiendanube: open | closed | cancelled
    payment_status: str = "paid"  # tiendanube: pending | authorized | paid | refunded | voided
    shipping_status: str = "unpacked"  # tiendanube: unpacked | unshipped | shipped
    carrier: str = "Correo Argentino"
    tracking_number: str = ""
    tracking_url: str = ""
    shipped: date | None = None
    max_days: int | None = 7
    products: Sequence[tuple[str, int]] = (("Remera Lisa", 1),)
    woo_status: str = "processing"  # pending | on-hold | processing | completed | cancelled ...

    def tiendanube(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": int(self.number),
            "token": f"tok{self.id}",
            "contact_email": self.email,
            "contact_name": self.name,
            "customer": {"id": self.id + 1000, "name": self.name, "email": self.email},
            "created_at": f"{self.created.isoformat()}T10:00:00-0300",
            "status": self.status,
            "payment_status": self.payment_status,
            "shipping_status": self.shipping_status,
            "shipping_option": self.carrier,
            "shipping_tracking_number": self.tracking_number or None,
            "shipping_tracking_url": self.tracking_url or None,
            "shipped_at": f"{self.shipped.isoformat()}T12:00:00-0300" if self.shipped else None,
            "shipping_min_days": 3,
            "shipping_max_days": self.max_days,
            "next_action": "close" if self.shipping_status == "shipped" else "pack_order",
            "products": [
                {"name": name, "quantity": quantity, "price": "15000.00"}
                for name, quantity in self.products
            ],
        }

    def woo(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "status": self.woo_status,
            "date_created": f"{self.created.isoformat()}T10:00:00",
            "date_completed": f"{self.shipped.isoformat()}T12:00:00" if self.shipped else None,
            "billing": {"first_name": self.name, "email": self.email},
            "line_items": [{"name": n, "quantity": q} for n, q in self.products],
        }

    def woo_trackings(self) -> list[dict[str, Any]]:
        if not self.tracking_number:
            return []
        return [
            {
                "tracking_id": f"t{self.id}",
                "tracking_provider": self.carrier,
                "tracking_link": self.tracking_url,
                "tracking_number": self.tracking_number,
                "date_shipped": self.shipped.isoformat() if self.shipped else None,
            }
        ]


@dataclasses.dataclass
class ShopProduct:
    """One product with its variants (size, colour, stock, price), in each API's JSON."""

    id: int
    name: str
    category: str = "Remeras"
    description: str = "<p>Algodón peinado.</p>"
    variants: list[tuple[str, str, int | None, str]] = dataclasses.field(default_factory=list)

    def tiendanube(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": {"es": self.name},
            "description": {"es": self.description},
            "attributes": [{"es": "Talle"}, {"es": "Color"}],
            "categories": [{"id": 1, "name": {"es": self.category}}],
            "published": True,
            "variants": [
                {
                    "id": self.id * 100 + n,
                    "sku": f"P{self.id}-{n}",
                    "price": price,
                    "stock_management": stock is not None,
                    "stock": stock,
                    "values": [{"es": size}, {"es": colour}],
                }
                for n, (size, colour, stock, price) in enumerate(self.variants)
            ],
        }

    def woo(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": "variable" if self.variants else "simple",
            "sku": f"P{self.id}",
            "price": self.variants[0][3] if self.variants else "10000",
            "short_description": self.description,
            "categories": [{"id": 1, "name": self.category}],
            "stock_quantity": None,
        }

    def woo_variations(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self.id * 100 + n,
                "sku": f"P{self.id}-{n}",
                "price": price,
                "stock_quantity": stock,
                "stock_status": "outofstock" if stock == 0 else "instock",
                "attributes": [
                    {"id": 1, "name": "Talle", "option": size},
                    {"id": 2, "name": "Color", "option": colour},
                ],
            }
            for n, (size, colour, stock, price) in enumerate(self.variants)
        ]


@dataclasses.dataclass
class Request:
    """What the emulator received: for tests that check headers and pacing."""

    at: float
    api: str
    path: str
    query: dict[str, str]
    status: int


class ShopApi(JsonServer):
    """Both APIs on one loopback port: Tiendanube under ``/{VERSION}/{store_id}``,
    WooCommerce under ``/wp-json``."""

    def __init__(
        self,
        orders: Sequence[ShopOrder] = (),
        *,
        store_id: str = "123456",
        token: str = "tn-token",  # noqa: S107 - the emulator's own test token
        consumer_key: str = "ck_test",
        consumer_secret: str = "cs_test",  # noqa: S107 - likewise
        capacity: int = 40,
        rate: float = 2.0,
        shipment_tracking: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.orders = list(orders)
        self.products: list[ShopProduct] = []
        self.store_id = store_id
        self.token = token
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.capacity = capacity
        self.rate = rate
        self.shipment_tracking = shipment_tracking
        self.clock = clock
        self.requests: list[Request] = []
        self._level = 0.0
        self._at = clock()
        self._faults: list[int] = []
        self._outage: int | None = None
        self._lock = threading.Lock()

    # -- control -------------------------------------------------------------------------

    @property
    def tiendanube_url(self) -> str:
        return f"{self.url}/{VERSION}/{self.store_id}"

    @property
    def woocommerce_url(self) -> str:
        return self.url

    def fail_next(self, status: int, count: int = 1) -> None:
        """The next ``count`` order requests get ``status`` (a 5xx, or 429)."""
        with self._lock:
            self._faults.extend([status] * count)

    def set_outage(self, status: int | None) -> None:
        """Every order request gets ``status`` until cleared with None."""
        with self._lock:
            self._outage = status

    def count(self, status: int) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.status == status)

    # -- the bucket ----------------------------------------------------------------------

    def _drain(self, now: float) -> None:
        self._level = max(0.0, self._level - (now - self._at) * self.rate)
        self._at = now

    def _rate_headers(self) -> dict[str, str]:
        remaining = max(0, int(self.capacity - self._level))
        reset_ms = int(self._level / self.rate * 1000)
        return {
            "x-rate-limit-limit": str(self.capacity),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset_ms),
        }

    # -- serving -------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, fields: dict[str, str], headers: dict[str, str]
    ) -> Reply:
        api = "tiendanube" if path.startswith(f"/{VERSION}/") else "woocommerce"
        status, out_headers, body = self._serve(api, method, path, fields, headers)
        with self._lock:
            self.requests.append(Request(self.clock(), api, path, fields, status))
        return status, out_headers, body

    def _serve(
        self,
        api: str,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> Reply:
        if method != "GET":
            return 405, {}, {"message": "Method Not Allowed"}
        if api == "tiendanube":
            return self._tiendanube(path, query, headers)
        return self._woocommerce(path, query, headers)

    def _fault(self) -> int | None:
        with self._lock:
            if self._outage is not None:
                return self._outage
            return self._faults.pop(0) if self._faults else None

    def _tiendanube(self, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Reply:
        if not headers.get("user-agent"):
            return 400, {}, {"code": 400, "message": "Bad Request", "description": "User-Agent"}
        wanted = f"bearer {self.token}"
        given = headers.get("authentication", "")
        if not hmac.compare_digest(given.lower().encode(), wanted.lower().encode()):
            return 401, {}, {"code": 401, "message": "Unauthorized", "description": "Invalid token"}
        with self._lock:
            now = self.clock()
            self._drain(now)
            if self._level + 1 > self.capacity:
                rate = self._rate_headers()
                return 429, rate, {"code": 429, "message": "Too Many Requests"}
            self._level += 1
            rate = self._rate_headers()
        fault = self._fault()
        if fault is not None:
            return fault, rate, {"code": fault, "message": "Injected fault"}
        listing = path.rstrip("/").removeprefix(f"/{VERSION}/{self.store_id}")
        if listing not in ("/orders", "/products"):
            return 404, rate, {"code": 404, "message": "Not Found"}
        q = query.get("q", "").strip().lower()
        found: list[Any]
        if listing == "/products":
            found = list(self.products)
        else:
            found = [o for o in self.orders if _tiendanube_matches(o, q)]
        per_page = min(max(int(query.get("per_page", "30") or 30), 1), 200)
        page = max(int(query.get("page", "1") or 1), 1)
        pages = (len(found) + per_page - 1) // per_page
        if page > pages:
            return (
                404,
                rate,
                {"code": 404, "message": "Not Found", "description": f"Last page is {pages}"},
            )
        if page < pages:
            rate["link"] = f'<{self.tiendanube_url}/orders?q={q}&page={page + 1}>; rel="next"'
        chunk = found[(page - 1) * per_page : page * per_page]
        return 200, rate, [item.tiendanube() for item in chunk]

    def _woocommerce(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> Reply:
        if not self._woo_authorised(headers.get("authorization", "")):
            return (
                401,
                {},
                {
                    "code": "woocommerce_rest_cannot_view",
                    "message": "Sorry, you cannot list resources.",
                    "data": {"status": 401},
                },
            )
        fault = self._fault()
        if fault is not None:
            return fault, {}, {"code": "internal_server_error", "data": {"status": fault}}
        tracking = re.fullmatch(
            r"/wp-json/wc-shipment-tracking/v3/orders/(\d+)/shipment-trackings/?", path
        )
        if tracking:
            if not self.shipment_tracking:
                return 404, {}, {"code": "rest_no_route", "data": {"status": 404}}
            order = next((o for o in self.orders if o.id == int(tracking[1])), None)
            if order is None:
                return 404, {}, {"code": "woocommerce_rest_shop_order_invalid_id"}
            return 200, {}, order.woo_trackings()
        variations = re.fullmatch(r"/wp-json/wc/v3/products/(\d+)/variations/?", path)
        if variations:
            product = next((p for p in self.products if p.id == int(variations[1])), None)
            if product is None:
                return 404, {}, {"code": "woocommerce_rest_product_invalid_id"}
            return self._woo_page(product.woo_variations(), query)
        if path.rstrip("/") == "/wp-json/wc/v3/products":
            return self._woo_page([p.woo() for p in self.products], query)
        if path.rstrip("/") != "/wp-json/wc/v3/orders":
            return 404, {}, {"code": "rest_no_route", "data": {"status": 404}}
        search = query.get("search", "").strip().lower()
        found = [o for o in self.orders if _woo_matches(o, search)]
        per_page = min(max(int(query.get("per_page", "10") or 10), 1), 100)
        page = max(int(query.get("page", "1") or 1), 1)
        pages = (len(found) + per_page - 1) // per_page
        chunk = found[(page - 1) * per_page : page * per_page]
        return (
            200,
            {"X-WP-Total": str(len(found)), "X-WP-TotalPages": str(pages)},
            [o.woo() for o in chunk],
        )

    @staticmethod
    def _woo_page(items: list[Any], query: Mapping[str, str]) -> Reply:
        per_page = min(max(int(query.get("per_page", "10") or 10), 1), 100)
        page = max(int(query.get("page", "1") or 1), 1)
        pages = (len(items) + per_page - 1) // per_page
        chunk = items[(page - 1) * per_page : page * per_page]
        return 200, {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}, chunk

    def _woo_authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            key, _, secret = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(key, self.consumer_key) and hmac.compare_digest(
            secret, self.consumer_secret
        )


def _tiendanube_matches(order: ShopOrder, q: str) -> bool:
    return bool(q) and (q == order.number or q == order.email.lower() or q in order.name.lower())


def _woo_matches(order: ShopOrder, search: str) -> bool:
    if not search:
        return True
    return search == order.number or search in order.email.lower() or search in order.name.lower()
