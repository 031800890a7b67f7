"""The catalog read live from the shop's platform, with stock per size and colour: the
Tiendanube and WooCommerce emulators, a real PostgreSQL, the refresh, and the LLM's prompt
naming the variant the customer asks about."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.fixtures.daemon import Wired, wait_until
from tests.test_llm_pipeline import chat_requests, groq, settings_for
from tests.test_pipeline import mail
from voidmail import answer, catalog, config, parse
from voidmail.config import Secret
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.groq_emulator import GroqEmulator
from voidmail.rig.shop_api import ShopApi, ShopProduct
from voidmail.rig.smtp_sink import SmtpSink

__all__ = ["groq"]  # a fixture, used by name

pytestmark = pytest.mark.timeout(120)

BUZO = ShopProduct(
    id=7,
    name="Buzo canguro con capucha",
    category="Buzos",
    variants=[
        ("M", "verde", 4, "32900.00"),
        ("L", "verde", 0, "32900.00"),
        ("L", "negro", 2, "32900.00"),
        ("XL", "negro", None, "34900.00"),
    ],
)
QUESTION = "Hola, ¿el buzo canguro verde lo tienen en talle L?"


@pytest.fixture
def shop_api() -> Iterator[ShopApi]:
    with ShopApi() as api:
        api.products = [
            BUZO,
            ShopProduct(id=8, name="Remera lisa", variants=[("S", "blanco", 9, "12500")]),
        ]
        yield api


def live_settings(api: ShopApi, source: str, **catalog_: object) -> config.Settings:
    return config.Settings(
        shop=config.ShopSettings(address="hola@tienda.example"),
        orders=config.OrdersSettings(
            store_id=api.store_id, access_token=Secret(api.token),
            base_url=api.tiendanube_url if source == "tiendanube" else api.woocommerce_url,
            consumer_key=api.consumer_key, consumer_secret=Secret(api.consumer_secret),
        ),
        catalog=config.CatalogSettings(source=source, **catalog_),  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize("source", ["tiendanube", "woocommerce"])
async def test_the_platforms_variants_and_the_one_asked_about(
    shop_api: ShopApi, source: str
) -> None:
    fetch = catalog.live_source(live_settings(shop_api, source))
    assert fetch is not None
    shop = catalog.Catalog(None)
    assert await shop.read(fetch)
    [buzo] = shop.relevant(QUESTION)
    assert buzo.sizes == ("M", "L", "XL")
    assert buzo.colors == ("verde", "negro")
    assert buzo.stock == 6  # the counted variants; XL is not counted
    excerpt = shop.excerpt([buzo], asked=QUESTION)
    assert "verde L: agotado" in excerpt
    assert "negro" not in excerpt.split("stock", 1)[1]  # only the variant asked about
    everything = shop.excerpt([buzo], asked="¿tienen el buzo canguro?")
    assert "verde M: 4 disponibles" in everything
    assert "negro XL: sin dato" in everything
    assert 34900 in shop.prices()


async def test_a_refresh_picks_up_a_sale_and_a_failed_read_keeps_the_last_good(
    shop_api: ShopApi,
) -> None:
    fetch = catalog.live_source(live_settings(shop_api, "tiendanube"))
    assert fetch is not None
    shop = catalog.Catalog(None)
    stop = asyncio.Event()
    assert await shop.read(fetch)
    refresher = asyncio.create_task(shop.keep_fresh(fetch, 0.05, stop))
    try:
        BUZO_SOLD = dataclasses.replace(BUZO, variants=[("M", "verde", 0, "32900.00")])
        shop_api.products = [BUZO_SOLD]

        def sold_out() -> bool:
            found = shop.relevant(QUESTION)
            return bool(found) and found[0].stock == 0

        await wait_until(sold_out, what="the sale seen")
        shop_api.set_outage(503)
        before = len(shop_api.requests)
        await wait_until(lambda: len(shop_api.requests) > before + 2, what="failed reads")
        assert shop.relevant(QUESTION)  # the last good products stay
    finally:
        stop.set()
        await refresher
    assert shop_api.count(429) == 0


async def test_postgres_gives_one_row_per_variant(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "CREATE TABLE variantes (sku text, nombre text, talle text, color text, stock int,"
            " precio numeric);"
            "INSERT INTO variantes VALUES ('BUZ-1', 'Buzo canguro', 'L', 'verde', 0, 32900),"
            " ('BUZ-1', 'Buzo canguro', 'M', 'verde', 3, 32900)"
        )
    finally:
        await conn.close()
    settings = config.Settings(
        orders=config.OrdersSettings(url=Secret(database_url)),
        catalog=config.CatalogSettings(
            source="postgres",
            query="SELECT sku, nombre AS name, 'Buzos' AS category, precio::text AS price,"
            " talle AS size, color AS colour, stock, '' AS description FROM variantes",
        ),
    )
    fetch = catalog.live_source(settings)
    assert fetch is not None
    shop = catalog.Catalog(None)
    assert await shop.read(fetch)
    [buzo] = shop.products
    assert [(v.size, v.stock) for v in buzo.variants] == [("L", 0), ("M", 3)]
    assert "verde L: agotado" in shop.excerpt([buzo], asked="¿buzo verde en L?")


async def test_the_llm_is_told_the_stock_of_the_variant_asked_about(
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    tmp_path: Path,
    groq: GroqEmulator,
    shop_api: ShopApi,
) -> None:
    dovecot.append(mail(1, QUESTION, subject="Buzo"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    live = live_settings(shop_api, "tiendanube")
    settings = dataclasses.replace(settings, orders=live.orders, catalog=live.catalog)
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(1), what="the answer")
    [request] = chat_requests(groq)
    system = request["messages"][0]["content"]
    assert "verde L: agotado" in system


async def test_an_answer_that_sells_a_sold_out_variant_is_held_back(shop_api: ShopApi) -> None:
    fetch = catalog.live_source(live_settings(shop_api, "tiendanube"))
    assert fetch is not None
    shop = catalog.Catalog(None)
    assert await shop.read(fetch)
    raw = (
        "From: Ana <ana@correo.example>\nTo: hola@tienda.example\nSubject: Buzo\n"
        f"Message-ID: <b@x>\nContent-Type: text/plain; charset=utf-8\n\n{QUESTION}\n"
    ).encode()
    gone = answer.sold_out_asked(shop, parse.parse(raw))
    assert gone == ["Buzo canguro con capucha verde L"]

    def verdict(text: str, sold_out: list[str]) -> str | None:
        return answer.review(
            text, "stop", system_prompt="Reglas.", own_domains=["tienda.example"],
            known_prices=[], sold_out=sold_out,
        )  # fmt: skip

    assert verdict("¡Hola! Sí, lo tenemos en verde, talle L.", gone)
    assert verdict("¡Hola! El verde en L está agotado; en negro L sí hay.", gone) is None
    assert verdict("¡Hola! Sí, lo tenemos en verde, talle L.", []) is None
    # Asking about one in stock is nothing to hold back.
    in_stock = raw.replace(b"verde lo tienen en talle L", b"negro lo tienen en talle L")
    assert answer.sold_out_asked(shop, parse.parse(in_stock)) == []
