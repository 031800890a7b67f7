"""The SMTP sender's connections, against the rig's real SMTP server: at most
``smtp.max_connections`` open, replies ready together sharing one, a dropped kept connection
replaced, and Exchange Online's ``432 4.3.2`` for one connection too many."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from voidmail import config, mailer
from voidmail.rig.smtp_sink import SmtpSink

pytestmark = pytest.mark.timeout(60)

SHOP = "hola@tienda.example"


def message(n: int) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = SHOP, f"cliente{n}@correo.example", f"Re: consulta {n}"
    m.set_content("¡Hola! Gracias por escribirnos.")
    return m


def sender_for(sink: SmtpSink, max_connections: int) -> mailer.Mailer:
    return mailer.Mailer(
        config.SmtpSettings(
            host="127.0.0.1", port=sink.port, security="plain", max_connections=max_connections
        )
    )


@pytest.fixture
def exchange() -> Iterator[SmtpSink]:
    """A server like Exchange Online: a fourth connection at once gets 432 4.3.2."""
    sink = SmtpSink(max_connections=3)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


async def send_all(sender: mailer.Mailer, count: int) -> list[BaseException | None]:
    async def one(n: int) -> None:
        await sender.send(message(n), SHOP, [f"cliente{n}@correo.example"])

    return await asyncio.gather(*(one(n) for n in range(count)), return_exceptions=True)


async def test_replies_ready_together_share_few_connections(smtp_sink: SmtpSink) -> None:
    sender = sender_for(smtp_sink, max_connections=2)
    before = smtp_sink.connections  # the sink's own readiness probe
    try:
        results = await send_all(sender, 8)
    finally:
        await sender.aclose()
    assert results == [None] * 8
    assert len(smtp_sink.messages) == 8
    assert smtp_sink.max_open <= 2
    assert smtp_sink.connections - before == sender.connections <= 2


async def test_within_the_limit_exchange_never_says_432(exchange: SmtpSink) -> None:
    sender = sender_for(exchange, max_connections=3)
    try:
        results = await send_all(sender, 12)
    finally:
        await sender.aclose()
    assert results == [None] * 12
    assert not [r for r in exchange.rejections if r.code == 432]


async def test_one_connection_too_many_waits_without_spending_an_attempt(
    exchange: SmtpSink,
) -> None:
    sender = sender_for(exchange, max_connections=0)  # no limit of our own
    try:
        results = await send_all(sender, 6)
    finally:
        await sender.aclose()
    busy = [r for r in results if r is not None]
    assert busy, "six connections at once should meet the limit of three"
    assert all(isinstance(r, mailer.SmtpBusy) for r in busy), busy
    assert all(r.retry_after == mailer.BUSY_RETRY for r in busy if isinstance(r, mailer.SmtpBusy))
    assert len(exchange.messages) + len(busy) == 6
    assert len([r for r in exchange.rejections if r.code == 432]) == len(busy)


async def test_a_kept_connection_the_server_dropped_is_replaced(smtp_sink: SmtpSink) -> None:
    sender = sender_for(smtp_sink, max_connections=1)
    try:
        await sender.send(message(1), SHOP, ["cliente1@correo.example"])
        smtp_sink.stop()  # the server goes away; the kept connection is dead
        smtp_sink.start()
        await sender.send(message(2), SHOP, ["cliente2@correo.example"])
    finally:
        await sender.aclose()
    assert len(smtp_sink.messages) == 2
    assert sender.connections == 2


async def test_a_refused_password_is_a_configuration_error_that_says_what_to_check() -> None:
    with SmtpSink(username="hola@tienda.example", password="la-buena") as sink:
        sender = mailer.Mailer(
            config.SmtpSettings(
                host="127.0.0.1", port=sink.port, security="plain",
                username="hola@tienda.example", password=config.Secret("otra"),
            )
        )  # fmt: skip
        try:
            with pytest.raises(
                mailer.SmtpPermanent, match=r"refused \(535\): check smtp\.username"
            ):
                await sender.send(message(1), SHOP, ["cliente1@correo.example"])
        finally:
            await sender.aclose()
        assert not sink.messages
