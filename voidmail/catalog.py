"""The shop's catalog: a CSV file reloaded when it changes, or the shop's platform read on a
schedule, and the products a message is about.

The file has the header ``sku,name,category,price,sizes,colors,stock,description``; ``sizes``
and ``colors`` are lists separated by ``|``, ``;`` or ``,`` inside the cell. From Tiendanube,
WooCommerce or the shop's PostgreSQL (``[catalog] source``) every product comes with its
variants (size × colour), each with its own stock and price, so the prompt says whether the
green L is left, not whether "the product" is; a question naming a size or colour gets just
those variants. Relevance compares
the FAQ matcher's word keys (:func:`voidmail.faq.key`), so "remeras negras" finds "Remera …"
in colour "negro", with or without accents.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import os
import re
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from voidmail import faq, storefront
from voidmail.config import Settings
from voidmail.errors import ConfigError, PermanentError, RetryableError

log = structlog.get_logger("voidmail.catalog")

HEADER = ("sku", "name", "category", "price", "sizes", "colors", "stock", "description")
MAX_EXCERPT = 2000
TOP = 3
# A product scoring under this share of the best match is left out: "buzo cuello redondo azul"
# names one buzo, and another buzo in the prompt only costs tokens and invites confusion.
RELATIVE_CUTOFF = 0.5
MAX_DESCRIPTION = 60
MAX_VARIANTS = 8
_SIZE_WORDS = frozenset("xxs xs s m l xl xxl xxxl 2xl 3xl u unico".split()) | frozenset(
    str(n) for n in range(1, 61)
)
_LIST_SPLIT = re.compile(r"\s*[|;,/]\s*")
_PRICE = re.compile(r"\d[\d.,]*")
# Weights of a word found in each field: a name or category says more than a description.
WEIGHTS = {"name": 3.0, "category": 2.0, "colors": 2.0, "sizes": 1.0, "description": 1.0}


@dataclasses.dataclass(frozen=True, slots=True)
class Variant:
    size: str
    colour: str
    stock: int | None  # None: the platform does not count it
    price: str = ""

    def label(self) -> str:
        return " ".join(part for part in (self.colour, self.size) if part) or "único"

    def stock_word(self) -> str:
        if self.stock is None:
            return "sin dato"
        return "agotado" if self.stock <= 0 else f"{self.stock} disponibles"


@dataclasses.dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    price: str
    sizes: tuple[str, ...]
    colors: tuple[str, ...]
    stock: int | None
    description: str
    variants: tuple[Variant, ...] = ()

    def line(self, *, describe: bool = True, asked: frozenset[str] = frozenset()) -> str:
        """One compact line for the prompt; ``describe`` adds the start of the description.
        With variants, the stock of those the question names (``asked``: its word keys) or,
        when it names none, of all of them, as many as fit."""
        stock = "sin dato" if self.stock is None else ("agotado" if self.stock <= 0 else "sí")
        parts = [f"{self.name} ({self.sku})", f"${self.price}"]
        if self.sizes:
            parts.append("talles " + ",".join(self.sizes))
        if self.colors:
            parts.append("colores " + ",".join(self.colors))
        if self.variants:
            chosen = asked_variants(self.variants, asked)
            shown = [f"{v.label()}: {v.stock_word()}" for v in chosen[:MAX_VARIANTS]]
            more = len(chosen) - len(shown)
            parts.append("stock " + "; ".join(shown) + (f"; y {more} más" if more > 0 else ""))
        else:
            parts.append(f"stock {stock}")
        if describe and self.description:
            parts.append(self.description[:MAX_DESCRIPTION])
        return "- " + " · ".join(parts)

    def price_value(self) -> int | None:
        """The price in whole pesos ("12.500", "12500,00" and "12500" are 12500)."""
        return price_value(self.price)


def asked_keys(text: str) -> frozenset[str]:
    """The word keys of a question, sizes ("L", "38") included as written."""
    return frozenset(faq.content_keys(text)) | frozenset(
        w for w in faq.words(text) if w in _SIZE_WORDS
    )


def asked_variants(variants: Iterable[Variant], asked: frozenset[str]) -> list[Variant]:
    """The variants a question names: of the sizes it names (if any) and the colours it names
    (if any); all of them when it names neither."""
    variants = list(variants)
    colours = {v.colour: frozenset(faq.content_keys(v.colour)) for v in variants}
    sizes = {v.size.lower() for v in variants} & asked
    colour_named = any(keys & asked for keys in colours.values())
    return [
        v
        for v in variants
        if (not sizes or v.size.lower() in sizes)
        and (not colour_named or colours[v.colour] & asked)
    ]


def price_value(text: str) -> int | None:
    """A price written the Argentine way as whole units: dots group thousands, a comma (or a
    dot followed by exactly two digits at the end) starts the cents."""
    found = _PRICE.search(text)
    if found is None:
        return None
    digits = found.group(0).rstrip(".,")
    digits = re.sub(r"[.,]\d{1,2}$", "", digits) if re.search(r"[.,]\d{1,2}$", digits) else digits
    whole = re.sub(r"[.,]", "", digits)
    return int(whole) if whole.isdigit() else None


@dataclasses.dataclass(frozen=True, slots=True)
class _Indexed:
    product: Product
    keys: dict[str, frozenset[str]]


class Catalog:
    """The products of ``path``, re-read whenever the file's size or mtime changes.

    A file that cannot be read after a change keeps the last good products and logs why; a file
    that is bad at start is a configuration error.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._items: tuple[_Indexed, ...] = ()
        self._keys = faq.KeyIndex(())
        if path is not None:
            self._use(load(path))
            self._stamp = _stamp(path)

    @property
    def products(self) -> tuple[Product, ...]:
        self._refresh()
        return tuple(item.product for item in self._items)

    def relevant(self, text: str, limit: int = TOP) -> list[Product]:
        """Up to ``limit`` products ``text`` talks about, best first; none when nothing matches."""
        self._refresh()
        words = set(faq.content_keys(text))
        if not words:
            return []
        said = self._keys.near(words).said  # the product keys the text has
        scored: list[tuple[float, int, Product]] = []
        for order, item in enumerate(self._items):
            score = 0.0
            for field, keys in item.keys.items():
                score += WEIGHTS[field] * len(keys & said)
            # A colour or size alone names no product; a name or category word must be there.
            named = bool(item.keys["name"] & said or item.keys["category"] & said)
            if named and score > 0:
                scored.append((score, -order, item.product))
        scored.sort(reverse=True)
        if not scored:
            return []
        floor = scored[0][0] * RELATIVE_CUTOFF
        return [product for score, _, product in scored[:limit] if score >= floor]

    def excerpt(
        self, products: Iterable[Product], limit: int = MAX_EXCERPT, *, asked: str = ""
    ) -> str:
        """The prompt lines of ``products``, at most ``limit`` characters in all; ``asked``
        (the question) picks the variants shown."""
        chosen = list(products)
        keys = asked_keys(asked)
        lines: list[str] = []
        used = 0
        for product in chosen:
            # One product gets its description; several are told apart by name and attributes.
            line = product.line(describe=len(chosen) == 1, asked=keys)
            if used + len(line) + 1 > limit:
                break
            lines.append(line)
            used += len(line) + 1
        return "\n".join(lines)

    def prices(self) -> frozenset[int]:
        """Every catalog price in whole units (variants' too), for the output guard."""
        self._refresh()
        texts = [item.product.price for item in self._items] + [
            v.price for item in self._items for v in item.product.variants if v.price
        ]
        return frozenset(value for text in texts if (value := price_value(text)) is not None)

    def replace(self, products: Iterable[Product]) -> None:
        """Use ``products`` from now on (a live source's latest read)."""
        products = list(products)
        self._use(products)
        log.info("catalog_loaded", source="live", products=len(products))

    async def read(self, fetch: Callable[[], Awaitable[list[Product]]]) -> bool:
        """Read the live source once; a failed read keeps the last good products (and is
        logged): it never empties the catalog."""
        try:
            self.replace(await fetch())
        except (RetryableError, PermanentError) as exc:
            log.warning("catalog_refresh_failed", error=str(exc))
            return False
        return True

    async def keep_fresh(
        self, fetch: Callable[[], Awaitable[list[Product]]], every: float, stop: asyncio.Event
    ) -> None:
        """Read the live source every ``every`` seconds until ``stop``."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            if not stop.is_set():
                await self.read(fetch)

    def _use(self, products: Iterable[Product]) -> None:
        self._items = _index(products)
        self._keys = faq.KeyIndex(
            k for item in self._items for keys in item.keys.values() for k in keys
        )

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            stamp = _stamp(self.path)
        except OSError as exc:
            log.warning("catalog_unreadable", path=str(self.path), error=exc.strerror)
            return
        if stamp == self._stamp:
            return
        try:
            products = load(self.path)
        except ConfigError as exc:
            log.warning("catalog_reload_failed", path=str(self.path), error=str(exc))
            self._stamp = stamp  # don't retry the same bad file on every message
            return
        self._use(products)
        self._stamp = stamp
        log.info("catalog_loaded", path=str(self.path), products=len(products))


def _stamp(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_mtime_ns, info.st_size


def _index(products: Iterable[Product]) -> tuple[_Indexed, ...]:
    return tuple(
        _Indexed(
            p,
            {
                "name": frozenset(faq.content_keys(p.name)),
                "category": frozenset(faq.content_keys(p.category)),
                "colors": frozenset(k for c in p.colors for k in faq.content_keys(c)),
                "sizes": frozenset(s.lower() for s in p.sizes),
                "description": frozenset(faq.content_keys(p.description)),
            },
        )
        for p in products
    )


def load(path: Path) -> list[Product]:
    """Read the CSV at ``path``. Raises ConfigError naming the file and the row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", key="catalog.file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text", key="catalog.file") from exc
    return parse(text, source=str(path))


def parse(text: str, *, source: str = "catalog") -> list[Product]:
    """Products of CSV ``text``; same errors as :func:`load`."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ConfigError(f"{source} is empty", key="catalog.file") from None
    header = [h.strip().lower() for h in header]
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise ConfigError(
            f"{source}: the header lacks {', '.join(missing)}; it must be {','.join(HEADER)}",
            key="catalog.file",
        )
    at = {name: header.index(name) for name in HEADER}
    products: list[Product] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ConfigError(
                f"{source}: line {number} has {len(row)} fields, the header {len(header)}",
                key="catalog.file",
            )
        if len(row) > len(header) and header[-1] == "description":
            # An unquoted comma in the last column: a shop owner's editor does that.
            row = [*row[: len(header) - 1], ",".join(row[len(header) - 1 :])]
        elif len(row) > len(header):
            raise ConfigError(
                f"{source}: line {number} has {len(row)} fields, the header {len(header)}; "
                "quote cells that hold commas",
                key="catalog.file",
            )
        cell = {name: row[i].strip() for name, i in at.items()}
        if not cell["name"]:
            raise ConfigError(f"{source}: line {number} has no name", key="catalog.file")
        stock_text = cell["stock"]
        stock = int(stock_text) if re.fullmatch(r"-?\d+", stock_text) else None
        products.append(
            Product(
                sku=cell["sku"],
                name=cell["name"],
                category=cell["category"],
                price=cell["price"].lstrip("$ "),
                sizes=tuple(s for s in _LIST_SPLIT.split(cell["sizes"]) if s),
                colors=tuple(c for c in _LIST_SPLIT.split(cell["colors"]) if c),
                stock=stock,
                description=" ".join(cell["description"].split()),
            )
        )
    return products


# --------------------------------------------------------------------------- live sources

SIZE_ATTRIBUTES = ("talle", "talla", "size", "tamanho", "tamaño", "medida", "numero", "número")
COLOUR_ATTRIBUTES = ("color", "colour", "cor", "colores")
MAX_PRODUCTS = 5000


def live_source(settings: Settings) -> Callable[[], Awaitable[list[Product]]] | None:
    """How to read the products of ``[catalog] source`` (None for the CSV file)."""
    c, o = settings.catalog, settings.orders
    if c.source == "tiendanube":
        base = o.base_url or storefront_url(o.store_id)

        async def tiendanube() -> list[Product]:
            api = storefront.TiendanubeApi(
                base, o.access_token.get(), contact=settings.shop.address, timeout=o.timeout
            )
            try:
                return [_from_tiendanube(p) for p in await api.get_all("/products", {}, 200)]
            finally:
                await api.aclose()

        return tiendanube
    if c.source == "woocommerce":

        async def woocommerce() -> list[Product]:
            api = storefront.WooCommerceApi(
                o.base_url, o.consumer_key, o.consumer_secret.get(), timeout=o.timeout
            )
            try:
                return await _from_woocommerce(api)
            finally:
                await api.aclose()

        return woocommerce
    if c.source == "postgres":

        async def postgres() -> list[Product]:
            return await _from_postgres(o.url.get(), c.query, o.timeout)

        return postgres
    return None


def storefront_url(store_id: str) -> str:
    return f"https://api.tiendanube.com/2025-03/{store_id}"


def _localised(value: object) -> str:
    """Tiendanube's ``{"es": "…", "pt": "…"}`` in Spanish (or whatever language it has)."""
    if isinstance(value, dict):
        for language in ("es", "es_AR", "pt", "en"):
            if value.get(language):
                return str(value[language])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def _plain(html: str) -> str:
    return " ".join(re.sub(r"<[^<>]{0,200}>", " ", html).split())[: MAX_DESCRIPTION * 4]


def _stock(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _assemble(
    sku: str, name: str, category: str, price: str, description: str, variants: list[Variant]
) -> Product:
    sizes = tuple(dict.fromkeys(v.size for v in variants if v.size))
    colours = tuple(dict.fromkeys(v.colour for v in variants if v.colour))
    counted = [v.stock for v in variants if v.stock is not None]
    prices = [v.price for v in variants if price_value(v.price) is not None]
    lowest = min(prices, key=lambda text: price_value(text) or 0) if prices else price
    return Product(
        sku=sku,
        name=name,
        category=category,
        price=str(price_value(lowest) or lowest),
        sizes=sizes,
        colors=colours,
        stock=sum(max(n, 0) for n in counted) if counted else None,
        description=description,
        variants=tuple(variants),
    )


def _from_tiendanube(p: dict[str, Any]) -> Product:
    attributes = [_localised(a).casefold() for a in p.get("attributes") or ()]
    variants = []
    for v in p.get("variants") or ():
        values = [_localised(x) for x in v.get("values") or ()]
        size = colour = ""
        for attribute, value in zip(attributes, values, strict=False):
            if attribute.startswith(SIZE_ATTRIBUTES):
                size = value
            elif attribute.startswith(COLOUR_ATTRIBUTES):
                colour = value
        managed = v.get("stock_management", True)
        variants.append(
            Variant(
                size, colour, _stock(v.get("stock")) if managed else None, str(v.get("price") or "")
            )
        )
    categories = p.get("categories") or ()
    category = _localised(categories[0].get("name")) if categories else ""
    first_sku = next((str(v.get("sku")) for v in p.get("variants") or () if v.get("sku")), "")
    return _assemble(
        first_sku or str(p.get("id", "")),
        _localised(p.get("name")),
        category,
        "",
        _plain(_localised(p.get("description"))),
        variants,
    )


async def _from_woocommerce(api: storefront.WooCommerceApi) -> list[Product]:
    products = []
    for p in await api.get_all("/wp-json/wc/v3/products", {"status": "publish"}, 100):
        variants = []
        if p.get("type") == "variable":
            path = f"/wp-json/wc/v3/products/{int(p['id'])}/variations"
            for v in await api.get_all(path, {}, 100):
                size = colour = ""
                for attribute in v.get("attributes") or ():
                    name = str(attribute.get("name", "")).casefold()
                    if name.startswith(SIZE_ATTRIBUTES):
                        size = str(attribute.get("option", ""))
                    elif name.startswith(COLOUR_ATTRIBUTES):
                        colour = str(attribute.get("option", ""))
                stock = _stock(v.get("stock_quantity"))
                if stock is None and v.get("stock_status") == "outofstock":
                    stock = 0
                variants.append(Variant(size, colour, stock, str(v.get("price") or "")))
        categories = p.get("categories") or ()
        product = _assemble(
            str(p.get("sku") or p.get("id", "")),
            str(p.get("name", "")),
            str(categories[0].get("name", "")) if categories else "",
            str(p.get("price") or ""),
            _plain(str(p.get("short_description") or "")),
            variants,
        )
        if not variants:
            stock = _stock(p.get("stock_quantity"))
            if stock is None and p.get("stock_status") == "outofstock":
                stock = 0
            product = dataclasses.replace(product, stock=stock)
        products.append(product)
        if len(products) >= MAX_PRODUCTS:
            break
    return products


async def _from_postgres(url: str, query: str, connect_timeout: float) -> list[Product]:
    """One row per variant (sku, name, category, price, size, colour, stock, description),
    read in a read-only transaction under a statement timeout."""
    try:
        conn = await asyncpg.connect(url, timeout=connect_timeout)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise storefront.SourceUnavailable(
            f"the shop's database: {exc.__class__.__name__}"
        ) from None
    try:
        async with conn.transaction(readonly=True):
            await conn.execute("SET LOCAL statement_timeout = 5000")
            rows = await conn.fetch(query)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise PermanentError(f"catalog.query failed: {exc.__class__.__name__}") from None
    finally:
        await conn.close()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows[: MAX_PRODUCTS * 20]:
        record = dict(row)
        grouped.setdefault(str(record.get("sku") or record.get("name")), []).append(record)
    products = []
    for sku, records in grouped.items():
        first = records[0]
        variants = [
            Variant(str(r.get("size") or ""), str(r.get("colour") or ""), _stock(r.get("stock")),
                    str(r.get("price") or ""))
            for r in records
        ]  # fmt: skip
        products.append(
            _assemble(sku, str(first.get("name") or ""), str(first.get("category") or ""),
                      str(first.get("price") or ""), str(first.get("description") or ""),
                      variants)
        )  # fmt: skip
    return products
