"""The shop's orders, where it keeps them, and what voidmail may say about one.

One interface, :class:`OrderSource`: ``lookup(number, email)`` gives the orders with that
customer-facing number (when given) or the address's recent orders. Four backends:

* ``csv``: a file with :data:`CSV_HEADER`, read again when it changes (tests, small shops);
* ``postgres``: the shop's own database, one read-only query with ``$1`` = number (text or
  NULL) and ``$2`` = email, in a read-only transaction under a statement timeout;
* ``tiendanube``: ``GET /orders?q=`` of the Tiendanube/Nuvemshop API (``Authentication:
  bearer`` header, a mandatory ``User-Agent``), paced by its leaky bucket of 40 requests
  draining at 2 a second;
* ``woocommerce``: ``GET /wp-json/wc/v3/orders?search=`` with the REST key and secret over
  HTTPS, and the Shipment Tracking extension's trackings when it is installed.

:class:`OrderDesk` is what the responder uses: it finds the order a message is about and
decides whether its owner may hear about it. **Privacy first**: order details go only to the
address on the order, compared as whole addresses; a question about someone else's order gets
the same answer as one about an order that does not exist. The number is parsed from the text
(:func:`voidmail.triage.order_number`) and only ever passed as a query parameter.

A source that fails (timeout, 5xx, 429) raises :class:`OrderSourceError`, a RetryableError,
and opens its own circuit breaker: voidmail never guesses a status.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import structlog

from voidmail import storefront
from voidmail.breaker import CircuitBreaker
from voidmail.config import OrdersSettings, ShopSettings
from voidmail.errors import ConfigError, PermanentError

log = structlog.get_logger("voidmail.orders")

CSV_HEADER = (
    "number", "email", "created", "status", "payment_status", "shipping_status", "carrier",
    "tracking_number", "tracking_url", "eta_days", "items",
)  # fmt: skip
TIENDANUBE_API = "https://api.tiendanube.com/2025-03/{store_id}"
RECENT = 5  # orders of one address looked at, newest first
MAX_FIELD = 300  # characters kept of any text field from a source
STATEMENT_TIMEOUT_MS = 5000


# --------------------------------------------------------------------------- the model


@dataclasses.dataclass(frozen=True, slots=True)
class Item:
    name: str
    size: str = ""
    colour: str = ""
    quantity: int = 1

    def line(self) -> str:
        detail = ", ".join(part for part in (self.size, self.colour) if part)
        return f"{self.quantity} × {self.name}" + (f" ({detail})" if detail else "")


@dataclasses.dataclass(frozen=True, slots=True)
class Order:
    """One order, in the words every backend is translated to.

    ``status`` is open, closed or cancelled; ``payment_status`` pending, paid, refunded,
    voided or failed; ``shipping_status`` unshipped, shipped or delivered.
    """

    number: str
    email: str
    created: date | None
    status: str
    payment_status: str
    shipping_status: str
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    eta_days: int | None = None  # days from dispatch to delivery, at most
    items: tuple[Item, ...] = ()
    shipped: date | None = None

    def belongs_to(self, address: str) -> bool:
        """Whether ``address`` is the order's own address (whole addresses, any case)."""
        return bool(self.email) and self.email.strip().casefold() == address.strip().casefold()

    def facts(self) -> str:
        """A few lines for the LLM's prompt or a person's note."""
        lines = [
            f"Pedido #{self.number}, hecho el {_day(self.created)}",
            f"estado {self.status}, pago {self.payment_status}, envío {self.shipping_status}",
        ]
        if self.shipped:
            lines.append(f"despachado el {_day(self.shipped)}")
        if self.carrier or self.tracking_number:
            lines.append(f"correo {self.carrier or '-'}, seguimiento {self.tracking_number or '-'}")
        if self.tracking_url:
            lines.append(f"link de seguimiento {self.tracking_url}")
        if self.eta_days is not None:
            lines.append(f"entrega estimada: hasta {self.eta_days} días hábiles desde el despacho")
        if self.items:
            lines.append("artículos: " + "; ".join(item.line() for item in self.items))
        return "\n".join(lines)


class OrderSource(Protocol):
    name: str

    async def lookup(self, number: str | None, email: str) -> list[Order]:
        """Orders with customer-facing ``number`` if given, else ``email``'s recent ones."""
        ...

    async def aclose(self) -> None: ...


# The order source did not answer now (timeout, 5xx, 429): try again later.
OrderSourceError = storefront.SourceUnavailable


# --------------------------------------------------------------------------- answering


@dataclasses.dataclass(frozen=True, slots=True)
class Found:
    """What a message about an order may be told: its order (the sender's own), or nothing."""

    order: Order | None
    why: str  # for logs and notes: how it was found, or why nothing may be said


class OrderDesk:
    """Finds the order a message is about, behind a circuit breaker of its own."""

    def __init__(
        self,
        source: OrderSource,
        *,
        timeout: float,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.source = source
        self.timeout = timeout
        self.breaker = breaker or CircuitBreaker(threshold=3, reset_timeout=60.0)
        self.lookups = 0

    async def find(self, number: str | None, address: str) -> Found:
        """The order ``number`` if it is ``address``'s, else ``address``'s latest order."""
        self.breaker.acquire()
        try:
            async with asyncio.timeout(self.timeout):
                orders = await self.source.lookup(number, address)
        except TimeoutError:
            self.breaker.record_failure()
            raise OrderSourceError(
                f"the order source ({self.source.name}) did not answer in {self.timeout:g} s"
            ) from None
        except OrderSourceError:
            self.breaker.record_failure()
            raise
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.record_success()
        self.lookups += 1
        if number is not None:
            named = [o for o in orders if o.number.lstrip("#") == number]
            if not named:
                return Found(None, f"no order #{number}")
            owned = [o for o in named if o.belongs_to(address)]
            if not owned:
                return Found(None, f"order #{number} is not the sender's")
            return Found(owned[0], f"order #{number}, the sender's")
        mine = sorted(
            (o for o in orders if o.belongs_to(address)),
            key=lambda o: o.created or date.min,
            reverse=True,
        )
        if not mine:
            return Found(None, "no order from the sender's address")
        return Found(mine[0], f"the sender's latest order #{mine[0].number}")

    async def aclose(self) -> None:
        await self.source.aclose()


def concern(order: Order, today: date) -> str | None:
    """Why a person should answer about ``order`` rather than a template: cancelled,
    refunded, delivered (while the customer asks where it is), or late; else None."""
    if order.status == "cancelled":
        return "the order is cancelled"
    if order.payment_status in ("refunded", "voided"):
        return f"the payment is {order.payment_status}"
    if order.payment_status == "failed":
        return "the payment failed"
    if order.shipping_status == "delivered":
        return "the order shows as delivered and the customer asks about it"
    if order.shipping_status == "shipped" and order.shipped and order.eta_days is not None:
        late = _business_days(order.shipped, today) - order.eta_days
        if late > 0:
            return f"the order is {late} business days past its estimated delivery"
    return None


def status_reply(order: Order) -> str:
    """The answer to "¿dónde está mi pedido?" for a plain case, in the shop's voice."""
    lines = ["¡Hola! Gracias por escribirnos.", ""]
    number = f"#{order.number}"
    if order.payment_status == "pending":
        lines.append(
            f"Tu pedido {number} está esperando que se acredite el pago. Apenas se acredite, "
            "lo preparamos y lo despachamos dentro de las 48 horas hábiles."
        )
    elif order.shipping_status == "shipped":
        when = f" el {_day(order.shipped)}" if order.shipped else ""
        carrier = f" por {order.carrier}" if order.carrier else ""
        lines.append(f"Tu pedido {number} ya salió: lo despachamos{when}{carrier}.")
        if order.tracking_number:
            lines.append(f"Número de seguimiento: {order.tracking_number}")
        if order.tracking_url:
            lines.append(f"Podés seguirlo acá: {order.tracking_url}")
        if order.eta_days is not None:
            lines.append(
                f"La entrega estimada es de hasta {order.eta_days} días hábiles desde el despacho."
            )
    else:
        lines.append(
            f"Tu pedido {number} está pago y lo estamos preparando. Lo despachamos dentro de "
            "las 48 horas hábiles y te llega un mail con el código de seguimiento."
        )
    return "\n".join(lines)


UNMATCHED_REPLY = (
    "¡Hola! Gracias por escribirnos.\n\n"
    "Para darte información de un pedido necesitamos que nos escribas desde el mail con el que "
    "hiciste la compra, indicándonos el número de pedido (lo encontrás en el mail de "
    "confirmación). Así te respondemos enseguida."
)


def _day(when: date | None) -> str:
    return when.strftime("%d/%m/%Y") if when else "(sin fecha)"


def _business_days(start: date, end: date) -> int:
    """Monday-to-Friday days after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start.toordinal() + offset) % 7 not in (6, 0):  # ordinal % 7: 6 Saturday, 0 Sunday
            count += 1
    return count


# --------------------------------------------------------------------------- backends


def open_source(settings: OrdersSettings, shop: ShopSettings) -> OrderSource | None:
    """The configured source, or None when ``orders.source`` is empty."""
    if settings.source == "csv":
        assert settings.file is not None  # checked by config
        return CsvOrders(settings.file)
    if settings.source == "postgres":
        return PostgresOrders(settings.url.get(), settings.query, settings.timeout)
    if settings.source == "tiendanube":
        base = settings.base_url or TIENDANUBE_API.format(store_id=settings.store_id)
        return TiendanubeOrders(
            base, settings.access_token.get(), contact=shop.address, timeout=settings.timeout
        )
    if settings.source == "woocommerce":
        return WooCommerceOrders(
            settings.base_url,
            settings.consumer_key,
            settings.consumer_secret.get(),
            timeout=settings.timeout,
        )
    return None


class CsvOrders:
    """Orders from a CSV file with :data:`CSV_HEADER`, read again when it changes.

    ``items`` holds ``name|size|colour|quantity`` entries separated by ``;``. ``created`` is
    an ISO date; ``eta_days`` a whole number or empty.
    """

    name = "csv"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._orders: list[Order] = []

    async def lookup(self, number: str | None, email: str) -> list[Order]:
        orders = await asyncio.to_thread(self._current)
        if number is not None:
            return [o for o in orders if o.number.lstrip("#") == number]
        wanted = email.strip().casefold()
        return [o for o in orders if o.email.strip().casefold() == wanted][-RECENT:]

    async def aclose(self) -> None:
        return None

    def _current(self) -> list[Order]:
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise OrderSourceError(f"cannot read {self.path}: {exc.strerror}") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._orders = load_csv(self.path)
            self._stamp = stamp
            log.info("orders_loaded", source="csv", orders=len(self._orders))
        return self._orders


def load_csv(path: Path) -> list[Order]:
    """Every order in the CSV at ``path``; ConfigError naming the line for a bad one."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OrderSourceError(f"cannot read {path}: {exc.__class__.__name__}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = set(CSV_HEADER) - set(reader.fieldnames or ())
    if missing:
        raise ConfigError(
            f"{path}: missing column(s) {', '.join(sorted(missing))}; the header is "
            + ",".join(CSV_HEADER),
            key="orders.file",
        )
    orders = []
    for line, row in enumerate(reader, start=2):
        try:
            orders.append(_from_row(row))
        except ValueError as exc:
            raise ConfigError(f"{path}, line {line}: {exc}", key="orders.file") from None
    return orders


def _from_row(row: Mapping[str, Any]) -> Order:
    """An order from named columns (a CSV row or a database record)."""

    def text(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()[:MAX_FIELD]

    number = text("number").lstrip("#")
    if not number:
        raise ValueError("an order without a number")
    return Order(
        number=number,
        email=text("email"),
        created=_date(row.get("created")),
        status=_one_of(text("status") or "open", ("open", "closed", "cancelled"), "status"),
        payment_status=_one_of(
            text("payment_status") or "pending",
            ("pending", "paid", "refunded", "voided", "failed"),
            "payment_status",
        ),
        shipping_status=_one_of(
            text("shipping_status") or "unshipped",
            ("unshipped", "shipped", "delivered"),
            "shipping_status",
        ),
        carrier=text("carrier"),
        tracking_number=text("tracking_number"),
        tracking_url=_https(text("tracking_url")),
        eta_days=_whole(row.get("eta_days")),
        items=_items(row.get("items")),
        shipped=_date(row.get("shipped")),
    )


def _one_of(value: str, allowed: Sequence[str], name: str) -> str:
    value = value.lower()
    if value not in allowed:
        raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")
    return value


def _date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _whole(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number of days") from None


def _https(url: str) -> str:
    """A tracking link is passed on only when it is a plain https address."""
    return url if re.fullmatch(r"https://[^\s<>\"']{1,290}", url) else ""


def _items(value: object) -> tuple[Item, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str) and value.lstrip().startswith("["):
        value = json.loads(value)
    if isinstance(value, list):
        return tuple(
            Item(
                str(v.get("name", ""))[:MAX_FIELD],
                str(v.get("size", "") or ""),
                str(v.get("colour", v.get("color", "")) or ""),
                int(v.get("quantity", 1) or 1),
            )
            for v in value
            if isinstance(v, dict)
        )
    items = []
    for part in str(value).split(";"):
        fields = [f.strip() for f in part.split("|")]
        if not fields[0]:
            continue
        fields += [""] * (4 - len(fields))
        items.append(Item(fields[0][:MAX_FIELD], fields[1], fields[2], int(fields[3] or 1)))
    return tuple(items)


class PostgresOrders:
    """Orders from the shop's own PostgreSQL: the owner's query, read-only, time-limited.

    The query gets ``$1`` (the order number as text, or NULL) and ``$2`` (the sender's
    address) and returns :data:`CSV_HEADER`'s columns by name (``shipped`` optional; ``items``
    as text or JSON). It runs in a read-only transaction under a statement timeout, so a
    mistaken query can neither change nor stall the shop's database.
    """

    name = "postgres"

    def __init__(self, url: str, query: str, timeout: float) -> None:
        self.url = url
        self.query = query
        self.timeout = timeout
        self._pool: asyncpg.Pool | None = None

    async def lookup(self, number: str | None, email: str) -> list[Order]:
        try:
            pool = await self._connect()
            async with pool.acquire() as conn, conn.transaction(readonly=True):
                await conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
                rows = await conn.fetch(self.query, number, email)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.QueryCanceledError) as exc:
            raise OrderSourceError(f"the orders database: {exc.__class__.__name__}") from None
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # A query the database refuses is the owner's to fix, not a thing to retry.
            raise PermanentError(f"orders.query failed: {exc.__class__.__name__}") from None
        try:
            return [_from_row(dict(row)) for row in rows][: RECENT * 4]
        except (ValueError, TypeError) as exc:
            raise PermanentError(f"orders.query returned a bad row: {exc}") from None

    async def _connect(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=0, max_size=2, timeout=self.timeout
            )
        return self._pool

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()


class TiendanubeOrders:
    """Tiendanube/Nuvemshop: ``GET {base}/orders?q=`` (number, name or email)."""

    name = "tiendanube"

    def __init__(self, base_url: str, token: str, *, contact: str, timeout: float) -> None:
        self.api = storefront.TiendanubeApi(base_url, token, contact=contact, timeout=timeout)

    async def lookup(self, number: str | None, email: str) -> list[Order]:
        query = number if number is not None else email
        found = await self.api.get_list("/orders", {"q": query, "per_page": 20})
        try:
            return [_tiendanube(o) for o in found]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise OrderSourceError(
                f"tiendanube sent an order voidmail cannot read: {exc}"
            ) from None

    async def aclose(self) -> None:
        await self.api.aclose()


def _tiendanube(o: Mapping[str, Any]) -> Order:
    customer = o.get("customer") or {}
    shipping = str(o.get("shipping_status") or "unshipped")
    payment = str(o.get("payment_status") or "pending")
    return Order(
        number=str(o["number"]),
        email=str(o.get("contact_email") or customer.get("email") or ""),
        created=_date(o.get("created_at")),
        status=str(o.get("status") or "open"),
        payment_status={"authorized": "pending", "abandoned": "failed"}.get(payment, payment),
        shipping_status={"unpacked": "unshipped"}.get(shipping, shipping),
        carrier=str(o.get("shipping_option") or o.get("shipping_carrier_name") or "")[:MAX_FIELD],
        tracking_number=str(o.get("shipping_tracking_number") or "")[:MAX_FIELD],
        tracking_url=_https(str(o.get("shipping_tracking_url") or "")),
        eta_days=_whole(o.get("shipping_max_days")),
        items=tuple(
            Item(
                str(p.get("name", ""))[:MAX_FIELD],
                quantity=int(p.get("quantity", 1) or 1),
            )
            for p in o.get("products") or ()
        ),
        shipped=_date(o.get("shipped_at")),
    )


class WooCommerceOrders:
    """WooCommerce REST v3: ``GET /wp-json/wc/v3/orders?search=``; tracking from the Shipment
    Tracking extension when it answers."""

    name = "woocommerce"

    def __init__(self, base_url: str, key: str, secret: str, *, timeout: float) -> None:
        self.api = storefront.WooCommerceApi(base_url, key, secret, timeout=timeout)

    async def lookup(self, number: str | None, email: str) -> list[Order]:
        query = number if number is not None else email
        raw = await self.api.get_list("/wp-json/wc/v3/orders", {"search": query, "per_page": 20})
        try:
            orders = [_woocommerce(o) for o in raw]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise OrderSourceError(
                f"woocommerce sent an order voidmail cannot read: {exc}"
            ) from None
        found = []
        for o, order in zip(raw, orders, strict=True):
            if order.shipping_status == "shipped":
                order = await self._with_tracking(str(o["id"]), order)
            found.append(order)
        return found

    async def aclose(self) -> None:
        await self.api.aclose()

    async def _with_tracking(self, order_id: str, order: Order) -> Order:
        path = f"/wp-json/wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings"
        response = await self.api.get(path, {})
        if response.status_code != 200:
            return order  # the extension is not installed, or has nothing for this order
        try:
            trackings = response.json()
            last = trackings[-1] if trackings else None
        except (ValueError, TypeError, IndexError):
            return order
        if not isinstance(last, dict):
            return order
        return dataclasses.replace(
            order,
            carrier=str(last.get("tracking_provider") or order.carrier)[:MAX_FIELD],
            tracking_number=str(last.get("tracking_number") or "")[:MAX_FIELD],
            tracking_url=_https(str(last.get("tracking_link") or "")),
            shipped=_date(last.get("date_shipped")) or order.shipped,
        )


# WooCommerce order statuses, as (status, payment, shipping).
_WOO_STATUS = {
    "pending": ("open", "pending", "unshipped"),
    "on-hold": ("open", "pending", "unshipped"),
    "processing": ("open", "paid", "unshipped"),
    "completed": ("closed", "paid", "shipped"),
    "cancelled": ("cancelled", "voided", "unshipped"),
    "refunded": ("closed", "refunded", "unshipped"),
    "failed": ("open", "failed", "unshipped"),
}


def _woocommerce(o: Mapping[str, Any]) -> Order:
    status, payment, shipping = _WOO_STATUS.get(
        str(o.get("status")), ("open", "pending", "unshipped")
    )
    billing = o.get("billing") or {}
    return Order(
        number=str(o.get("number") or o["id"]),
        email=str(billing.get("email") or ""),
        created=_date(o.get("date_created")),
        status=status,
        payment_status=payment,
        shipping_status=shipping,
        items=tuple(
            Item(str(p.get("name", ""))[:MAX_FIELD], quantity=int(p.get("quantity", 1) or 1))
            for p in o.get("line_items") or ()
        ),
        shipped=_date(o.get("date_completed")),
    )


def today() -> date:
    """The local date: order estimates are counted in the shop's days."""
    return datetime.now().astimezone().date()
