"""The shop's catalog: a CSV file, reloaded when it changes, and the products a message is about.

The file has the header ``sku,name,category,price,sizes,colors,stock,description``; ``sizes``
and ``colors`` are lists separated by ``|``, ``;`` or ``,`` inside the cell. Relevance compares
the FAQ matcher's word keys (:func:`voidmail.faq.key`), so "remeras negras" finds "Remera …"
in colour "negro", with or without accents.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

import structlog

from voidmail import faq
from voidmail.errors import ConfigError

log = structlog.get_logger("voidmail.catalog")

HEADER = ("sku", "name", "category", "price", "sizes", "colors", "stock", "description")
MAX_EXCERPT = 2000
TOP = 3
# A product scoring under this share of the best match is left out: "buzo cuello redondo azul"
# names one buzo, and another buzo in the prompt only costs tokens and invites confusion.
RELATIVE_CUTOFF = 0.5
MAX_DESCRIPTION = 60
_LIST_SPLIT = re.compile(r"\s*[|;,/]\s*")
_PRICE = re.compile(r"\d[\d.,]*")
# Weights of a word found in each field: a name or category says more than a description.
WEIGHTS = {"name": 3.0, "category": 2.0, "colors": 2.0, "sizes": 1.0, "description": 1.0}


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

    def line(self, *, describe: bool = True) -> str:
        """One compact line for the prompt; ``describe`` adds the start of the description."""
        stock = "sin dato" if self.stock is None else ("agotado" if self.stock <= 0 else "sí")
        parts = [f"{self.name} ({self.sku})", f"${self.price}"]
        if self.sizes:
            parts.append("talles " + ",".join(self.sizes))
        if self.colors:
            parts.append("colores " + ",".join(self.colors))
        parts.append(f"stock {stock}")
        if describe and self.description:
            parts.append(self.description[:MAX_DESCRIPTION])
        return "- " + " · ".join(parts)

    def price_value(self) -> int | None:
        """The price in whole pesos ("12.500", "12500,00" and "12500" are 12500)."""
        return price_value(self.price)


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

    def excerpt(self, products: Iterable[Product], limit: int = MAX_EXCERPT) -> str:
        """The prompt lines of ``products``, at most ``limit`` characters in all."""
        chosen = list(products)
        lines: list[str] = []
        used = 0
        for product in chosen:
            # One product gets its description; several are told apart by name and attributes.
            line = product.line(describe=len(chosen) == 1)
            if used + len(line) + 1 > limit:
                break
            lines.append(line)
            used += len(line) + 1
        return "\n".join(lines)

    def prices(self) -> frozenset[int]:
        """Every catalog price in whole units, for the output guard."""
        self._refresh()
        return frozenset(
            value for item in self._items if (value := item.product.price_value()) is not None
        )

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
