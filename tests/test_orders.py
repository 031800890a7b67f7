"""Order status from the shop's own data: the four sources against real servers (a CSV file,
PostgreSQL, the Tiendanube and WooCommerce emulators), and the daemon answering "¿dónde está
mi pedido?" end to end with Dovecot and the SMTP sink."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.fixtures.daemon import SHOP, Wired, rig_settings, wait_until
from tests.test_llm_pipeline import chat_requests, groq, settings_for
from tests.test_pipeline import mail
from voidmail import breaker, config, orders, parse, stats, storefront, triage
from voidmail.errors import PermanentError
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.groq_emulator import GroqEmulator
from voidmail.rig.shop_api import ShopApi, ShopOrder
from voidmail.rig.smtp_sink import SmtpSink

__all__ = ["groq"]  # a fixture, used by name

pytestmark = pytest.mark.timeout(120)

ANA = "ana@correo.example"
BETO = "beto@correo.example"
TODAY = orders.today()
CSV = (
    "number,email,created,status,payment_status,shipping_status,carrier,tracking_number,"
    "tracking_url,eta_days,items,shipped\n"
    f"1001,{ANA},{TODAY - timedelta(days=3)},open,paid,shipped,Correo Argentino,CA123456789AR,"
    f"https://seguimiento.example/CA123456789AR,7,Remera Lisa|M|negro|1;Jean Mom|38|azul|1,"
    f"{TODAY - timedelta(days=1)}\n"
    f"1002,{BETO},{TODAY - timedelta(days=2)},open,paid,unshipped,,,,,Buzo Canguro|L|gris|1,\n"
    f"1003,{ANA},{TODAY - timedelta(days=40)},open,paid,shipped,Andreani,AN999,"
    f"https://seguimiento.example/AN999,3,Campera|M|negro|1,{TODAY - timedelta(days=30)}\n"
    f"1004,{BETO},{TODAY - timedelta(days=10)},cancelled,refunded,unshipped,,,,,Top|S|blanco|1,\n"
)


@pytest.fixture
def orders_csv(tmp_path: Path) -> Path:
    path = tmp_path / "pedidos.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def desk_for(source: orders.OrderSource) -> orders.OrderDesk:
    return orders.OrderDesk(source, timeout=5.0, breaker=breaker.CircuitBreaker(3, 60.0))


# --------------------------------------------------------------------------- sources


async def test_csv_finds_by_number_and_by_sender_and_reads_the_file_again_when_it_changes(
    orders_csv: Path,
) -> None:
    desk = desk_for(orders.CsvOrders(orders_csv))
    found = await desk.find("1001", ANA)
    assert found.order is not None
    assert found.order.tracking_number == "CA123456789AR"
    assert [i.name for i in found.order.items] == ["Remera Lisa", "Jean Mom"]
    latest = await desk.find(None, "ANA@Correo.Example")  # addresses compare in any case
    assert latest.order is not None
    assert latest.order.number == "1001"

    changed = CSV.replace("CA123456789AR", "CA000000000AR")
    await asyncio.to_thread(orders_csv.write_text, changed, encoding="utf-8")
    again = await desk.find("1001", ANA)
    assert again.order is not None
    assert again.order.tracking_number == "CA000000000AR"


async def test_an_order_is_only_ever_the_senders_own(orders_csv: Path) -> None:
    desk = desk_for(orders.CsvOrders(orders_csv))
    assert (await desk.find("1002", ANA)).order is None  # Beto's order
    assert (await desk.find("9999", ANA)).order is None  # no such order
    assert (await desk.find(None, "diana@correo.example")).order is None
    # A longer address that contains the owner's is somebody else.
    assert (await desk.find("1001", "xana@correo.example")).order is None
    assert (await desk.find("1001", ANA + ".ar")).order is None


def test_what_a_person_is_asked_to_look_at() -> None:
    base = orders.Order("1", ANA, TODAY, "open", "paid", "shipped", shipped=TODAY, eta_days=5)
    assert orders.concern(base, TODAY) is None
    late = dataclasses.replace(base, shipped=TODAY - timedelta(days=20))
    assert "past its estimated delivery" in (orders.concern(late, TODAY) or "")
    assert orders.concern(dataclasses.replace(base, status="cancelled"), TODAY)
    assert orders.concern(dataclasses.replace(base, payment_status="refunded"), TODAY)
    assert orders.concern(dataclasses.replace(base, shipping_status="delivered"), TODAY)


@pytest.mark.parametrize(
    ("body", "number", "plain"),
    [
        ("Hola, ¿dónde está mi pedido #1001?", "1001", True),
        ("Buenas, hice el pedido nro. 1001 el lunes. ¿Cuándo me llega?", "1001", True),
        ("¿Me pasan el seguimiento de la orden 1001?", "1001", True),
        ("Hola, ¿ya salió mi compra? Gracias", None, True),
        ("¿Dónde está mi pedido? ¿Y puedo cambiar el talle del jean?", None, False),
        ("pedido 1001'; DROP TABLE orders; -- ¿dónde está?", "1001", True),
    ],
)
def test_the_number_is_parsed_and_a_plain_status_question_recognised(
    body: str, number: str | None, plain: bool
) -> None:
    raw = (
        f"From: Ana <{ANA}>\nTo: {SHOP}\nSubject: Pedido\nMessage-ID: <q@x>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()
    question = triage.order_question(parse.parse(raw))
    assert (question.number, question.plain) == (number, plain)


@pytest.fixture
def shop_api() -> Iterator[ShopApi]:
    tn = [
        ShopOrder(
            id=501, number="1001", email=ANA, name="Ana Gómez", shipping_status="shipped",
            tracking_number="CA123456789AR", tracking_url="https://seguimiento.example/CA1",
            shipped=TODAY - timedelta(days=1), woo_status="completed",
        ),
        ShopOrder(id=502, number="1002", email=BETO, name="Beto Ruiz"),
    ]  # fmt: skip
    with ShopApi(tn) as api:
        yield api


async def test_tiendanube_by_number_and_by_email_with_its_own_headers(shop_api: ShopApi) -> None:
    source = orders.TiendanubeOrders(
        shop_api.tiendanube_url, shop_api.token, contact=SHOP, timeout=5.0
    )
    try:
        desk = desk_for(source)
        found = await desk.find("1001", ANA)
        assert found.order is not None
        assert found.order.shipping_status == "shipped"
        assert found.order.tracking_url == "https://seguimiento.example/CA1"
        assert found.order.eta_days == 7
        latest = await desk.find(None, BETO)
        assert latest.order is not None
        assert latest.order.number == "1002"
        assert (await desk.find(None, "nadie@correo.example")).order is None  # a 404
    finally:
        await source.aclose()
    assert [r.status for r in shop_api.requests] == [200, 200, 404]
    assert shop_api.requests[0].query["q"] == "1001"


async def test_tiendanube_is_paced_by_its_bucket_and_never_earns_a_429(
    shop_api: ShopApi,
) -> None:
    shop_api.capacity, shop_api.rate = 5, 40.0
    source = orders.TiendanubeOrders(
        shop_api.tiendanube_url, shop_api.token, contact=SHOP, timeout=5.0
    )
    source.api.bucket = storefront.LeakyBucket.inside(capacity=5, rate=40.0)
    try:
        await asyncio.gather(*(source.lookup("1001", ANA) for _ in range(30)))
    finally:
        await source.aclose()
    assert shop_api.count(429) == 0
    assert shop_api.count(200) == 30


async def test_a_429_storm_is_a_retry_after_the_reset_and_opens_the_breaker(
    shop_api: ShopApi,
) -> None:
    source = orders.TiendanubeOrders(
        shop_api.tiendanube_url, shop_api.token, contact=SHOP, timeout=5.0
    )
    desk = desk_for(source)
    shop_api.set_outage(429)
    try:
        for _ in range(3):
            with pytest.raises(orders.OrderSourceError) as failed:
                await desk.find("1001", ANA)
            assert failed.value.retry_after is not None
        with pytest.raises(breaker.BreakerOpen):
            await desk.find("1001", ANA)
        assert len(shop_api.requests) == 3  # the open breaker sent nothing
    finally:
        await source.aclose()


async def test_a_wrong_tiendanube_token_is_a_configuration_error(shop_api: ShopApi) -> None:
    source = orders.TiendanubeOrders(shop_api.tiendanube_url, "wrong", contact=SHOP, timeout=5.0)
    try:
        with pytest.raises(PermanentError, match="credentials"):
            await source.lookup("1001", ANA)
    finally:
        await source.aclose()


@pytest.mark.parametrize("extension", [True, False])
async def test_woocommerce_with_and_without_the_shipment_tracking_extension(
    shop_api: ShopApi, extension: bool
) -> None:
    shop_api.shipment_tracking = extension
    source = orders.WooCommerceOrders(
        shop_api.woocommerce_url, shop_api.consumer_key, shop_api.consumer_secret, timeout=5.0
    )
    try:
        found = await desk_for(source).find("1001", ANA)
    finally:
        await source.aclose()
    assert found.order is not None
    assert found.order.shipping_status == "shipped"
    assert found.order.tracking_number == ("CA123456789AR" if extension else "")


async def test_woocommerce_refuses_a_wrong_secret(shop_api: ShopApi) -> None:
    source = orders.WooCommerceOrders(
        shop_api.woocommerce_url, shop_api.consumer_key, "wrong", timeout=5.0
    )
    try:
        with pytest.raises(PermanentError):
            await source.lookup("1001", ANA)
    finally:
        await source.aclose()


SHOP_SCHEMA = """
CREATE TABLE clientes (id int PRIMARY KEY, mail text NOT NULL);
CREATE TABLE pedidos (
    nro int PRIMARY KEY, cliente int REFERENCES clientes, fecha date, estado text,
    pago text, envio text, correo text, guia text, link text, dias int, despachado date
);
INSERT INTO clientes VALUES (1, 'ana@correo.example'), (2, 'beto@correo.example');
INSERT INTO pedidos VALUES
    (1001, 1, current_date - 3, 'open', 'paid', 'shipped', 'OCA', 'OC1', 'https://o.example/1',
     5, current_date - 1),
    (1002, 2, current_date - 2, 'open', 'pending', 'unshipped', NULL, NULL, NULL, NULL, NULL);
"""
SHOP_QUERY = """
SELECT p.nro::text AS number, c.mail AS email, p.fecha AS created, p.estado AS status,
       p.pago AS payment_status, p.envio AS shipping_status, p.correo AS carrier,
       p.guia AS tracking_number, p.link AS tracking_url, p.dias AS eta_days, '' AS items,
       p.despachado AS shipped
FROM pedidos p JOIN clientes c ON c.id = p.cliente
WHERE ($1::text IS NOT NULL AND p.nro::text = $1) OR ($1::text IS NULL AND c.mail = $2)
ORDER BY p.fecha DESC
"""


async def test_postgres_runs_the_owners_query_read_only_with_parameters(
    database_url: str,
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(SHOP_SCHEMA)
    finally:
        await conn.close()
    source = orders.PostgresOrders(database_url, SHOP_QUERY, timeout=5.0)
    writer = orders.PostgresOrders(
        database_url,
        "UPDATE pedidos SET estado = 'closed' WHERE nro::text = $1 OR $2 = '' "
        "RETURNING nro::text AS number",
        5.0,
    )
    try:
        desk = desk_for(source)
        found = await desk.find("1001", ANA)
        assert found.order is not None
        assert found.order.carrier == "OCA"
        assert (await desk.find("1002", ANA)).order is None  # Beto's
        latest = await desk.find(None, BETO)
        assert latest.order is not None
        assert latest.order.payment_status == "pending"
        with pytest.raises(PermanentError, match=r"orders\.query failed"):
            await writer.lookup("1001", ANA)  # a read-only transaction refuses to write
    finally:
        await source.aclose()
        await writer.aclose()
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pedidos WHERE estado = 'open'") == 2
    finally:
        await conn.close()


# --------------------------------------------------------------------------- end to end


def orders_settings(
    dovecot: Dovecot, sink: SmtpSink, database_url: str, tmp_path: Path, **orders_: object
) -> config.Settings:
    return rig_settings(
        dovecot, database_url, tmp_path, sink,
        daemon={"notify_delay": 0.3, "shutdown_timeout": 5.0},
        orders=orders_,
    )  # fmt: skip


def to_customers(sink: SmtpSink) -> list[str]:
    return [
        m.message.get_content() for m in sink.messages if m.message["To"] != "duena@tienda.example"
    ]


def notes(sink: SmtpSink) -> list[str]:
    return [
        m.message.get_content() for m in sink.messages if m.message["To"] == "duena@tienda.example"
    ]


async def test_status_by_number_by_sender_and_for_someone_elses_order(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, orders_csv: Path
) -> None:
    dovecot.append_many(
        [
            mail(1, "Hola, ¿dónde está mi pedido #1001?", sender=f"Ana <{ANA}>"),
            mail(2, "Buenas, ¿ya despacharon mi compra?", sender=f"Beto <{BETO}>"),
            mail(3, "Hola, ¿dónde está el pedido 1002?", sender=f"Ana <{ANA}>"),
            mail(4, "Hola, ¿dónde está el pedido 7777?", sender=f"Ana <{ANA}>"),
        ]
    )
    settings = orders_settings(
        dovecot, smtp_sink, database_url, tmp_path, source="csv", file=orders_csv
    )
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(4), what="four answers")
        rows = await p.tasks()
        report = stats.render(await stats.collect(p.store, 3600, settings.llm))
    assert "answered by orders  4" in report
    by_id = {mid: row for mid, row in rows.items()}
    assert by_id["<m1@correo.example>"]["route"] == "order:status"
    assert by_id["<m2@correo.example>"]["route"] == "order:status"
    assert by_id["<m3@correo.example>"]["route"] == "order:unmatched"
    assert by_id["<m4@correo.example>"]["route"] == "order:unmatched"
    assert all(r["prompt_tokens"] in (None, 0) for r in rows.values())  # no LLM at all
    replies = {m.message["In-Reply-To"]: m.message.get_content() for m in smtp_sink.messages}
    assert "CA123456789AR" in replies["<m1@correo.example>"]
    assert "https://seguimiento.example/CA123456789AR" in replies["<m1@correo.example>"]
    assert "lo estamos preparando" in replies["<m2@correo.example>"]
    # Someone else's order and no order at all read the same, and say nothing of either.
    assert replies["<m3@correo.example>"] == replies["<m4@correo.example>"]
    assert "1002" not in replies["<m3@correo.example>"]
    assert "prepar" not in replies["<m3@correo.example>"]


async def test_a_late_or_cancelled_order_goes_to_a_person_with_its_facts(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, orders_csv: Path
) -> None:
    dovecot.append_many(
        [
            mail(1, "Hola, ¿dónde está mi pedido 1003?", sender=f"Ana <{ANA}>"),
            mail(2, "¿Qué pasó con el pedido 1004?", sender=f"Beto <{BETO}>"),
        ]
    )
    settings = orders_settings(
        dovecot, smtp_sink, database_url, tmp_path, source="csv", file=orders_csv
    )
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(2), what="both held")
        await wait_until(lambda: notes(smtp_sink), what="the note to the admin")
        statuses = await p.statuses()
    assert set(statuses.values()) == {"human"}
    assert not to_customers(smtp_sink)
    note = "\n".join(notes(smtp_sink))
    assert "AN999" in note  # the late order's facts are in the note
    assert "cancelled" in note or "refunded" in note


async def test_the_source_down_then_up_loses_nothing_and_invents_nothing(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, shop_api: ShopApi
) -> None:
    shop_api.set_outage(503)
    dovecot.append(mail(1, "Hola, ¿dónde está mi pedido #1001?", sender=f"Ana <{ANA}>"))
    settings = orders_settings(
        dovecot, smtp_sink, database_url, tmp_path,
        source="tiendanube", store_id=shop_api.store_id,
        access_token=config.Secret(shop_api.token), base_url=shop_api.tiendanube_url,
    )  # fmt: skip
    async with Wired(settings) as p:
        await wait_until(lambda: shop_api.count(503) >= 2, what="two failed lookups")
        assert not smtp_sink.messages  # no status was guessed
        # Waiting for a retry (or in one), its reply unwritten, nothing given up.
        assert (await p.statuses())["<m1@correo.example>"] not in ("done", "dead_letter", "human")
        shop_api.set_outage(None)
        await wait_until(lambda: p.all_finished(1), within=60, what="the answer after recovery")
        row = (await p.tasks())["<m1@correo.example>"]
    assert row["status"] == "done"
    assert row["route"] == "order:status"
    [reply] = to_customers(smtp_sink)
    assert "CA123456789AR" in reply


async def test_a_mixed_question_goes_to_the_llm_with_the_orders_facts(
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    tmp_path: Path,
    groq: GroqEmulator,
    orders_csv: Path,
) -> None:
    body = "Hola, ¿dónde está mi pedido 1001? ¿Y el jean se puede lavar en lavarropas?"
    dovecot.append(mail(1, body, sender=f"Ana <{ANA}>"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    settings = dataclasses.replace(
        settings,
        orders=dataclasses.replace(settings.orders, source="csv", file=orders_csv),
    )
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(1), what="the LLM's reply")
        row = (await p.tasks())["<m1@correo.example>"]
    assert row["route"] == "llm"
    [request] = chat_requests(groq)
    system = request["messages"][0]["content"]
    assert "Pedido #1001" in system
    assert "CA123456789AR" in system


def test_order_facts_never_leave_the_order_for_the_wrong_address() -> None:
    order = orders.Order("1001", ANA, date(2026, 12, 1), "open", "paid", "unshipped")
    assert order.belongs_to(ANA)
    assert order.belongs_to(" Ana@Correo.Example ")
    assert not order.belongs_to("na@correo.example")
    assert not order.belongs_to("")
    assert not dataclasses.replace(order, email="").belongs_to("")
