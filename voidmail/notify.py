"""Notes to the shop's admin: handoffs and alerts, batched into one mail per window.

A person handed ten messages in a minute gets one mail listing ten, not ten mails. Notes wait in
``admin_notes``; once the oldest has waited ``delay`` seconds, all waiting notes go out as one
digest. The digest follows the same ledger as replies (written, then ``sending``, then
``sent``), so a crash never sends it twice; one that certainly failed is tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage

import structlog

from voidmail import compose, store
from voidmail.config import Settings
from voidmail.ledger import DeliveryUnknown, Ledger
from voidmail.mailer import SmtpPermanent, SmtpTemporary

log = structlog.get_logger("voidmail.notify")

FALLBACK = 60.0
KIND_TITLES = {
    "alert": "aviso(s) del sistema",
    "handoff": "mensaje(s) sin responder, para responder a mano (destacados y sin leer)",
    "draft": "borrador(es) de respuesta para revisar y enviar desde tu correo",
    "follow_up": "mensaje(s) ya respondidos cuya respuesta promete que alguien del equipo escribe",
    "dead_letter": "mensaje(s) sin poder procesar",
}


class Notifier:
    """Runs beside the workers; ``poke()`` when a note was added."""

    def __init__(self, settings: Settings, st: store.Store, ledger: Ledger, delay: float) -> None:
        self.settings = settings
        self.store = st
        self.ledger = ledger
        self.delay = delay
        self.poked = asyncio.Event()

    def poke(self) -> None:
        self.poked.set()

    async def run(self, stop: asyncio.Event) -> None:
        if not self.settings.shop.admin_email:
            # Notes stay recorded (``voidmail tasks --status human`` lists them); nobody is
            # mailed. Wait for the stop like every side task, so the daemon sees no death.
            log.warning("admin_notes_disabled", reason="shop.admin_email is not set")
            await stop.wait()
            return
        while not stop.is_set():
            self.poked.clear()
            await self._resend_failed()
            age = await self.store.oldest_unsent_note_age()
            if age is not None and age >= self.delay:
                await self._send_digest()
                continue
            wait = FALLBACK if age is None else max(self.delay - age, 0.05)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked_or(stop), timeout=wait)

    async def _poked_or(self, stop: asyncio.Event) -> None:
        waits = {asyncio.ensure_future(self.poked.wait()), asyncio.ensure_future(stop.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _send_digest(self) -> None:
        notes = await self.store.unsent_notes()
        if not notes:
            return
        shop = self.settings.shop
        lines = []
        for kind in sorted({n["kind"] for n in notes}):
            group = [n for n in notes if n["kind"] == kind]
            lines.append(f"{len(group)} {KIND_TITLES.get(kind, kind)}:")
            lines += [
                f"  - tarea {n['task_id']}: {compose.one_line(n['note'], 300)}"
                if n["task_id"] is not None
                else f"  - {compose.one_line(n['note'], 300)}"
                for n in group
            ]
            lines.append("")
        lines.append("Los mensajes para responder a mano quedan marcados (\\Flagged) y sin leer.")
        lines.append("Detalle: voidmail tasks --status human")
        about_mail = sum(1 for n in notes if n["task_id"] is not None)
        subject = (
            f"[voidmail] {about_mail} mensaje(s) necesitan a una persona"
            if about_mail
            else "[voidmail] aviso del sistema"
        )
        message = compose.note(
            subject, "\n".join(lines), to=shop.admin_email, shop_name=shop.name,
            shop_address=shop.address,
        )  # fmt: skip
        outbound_id = await self.store.queue_digest(
            [n["id"] for n in notes], str(message["Message-ID"]), shop.admin_email, subject,
            message.get_content(),
        )  # fmt: skip
        await self._deliver(outbound_id, message)

    async def _resend_failed(self) -> None:
        shop = self.settings.shop
        for row in await self.store.unsent_outbound():
            message = compose.note(
                row["subject"], row["body"], to=row["recipient"], shop_name=shop.name,
                shop_address=shop.address,
            )  # fmt: skip
            del message["Message-ID"]
            message["Message-ID"] = row["message_id"]
            await self._deliver(row["id"], message)

    async def _deliver(self, outbound_id: int, message: EmailMessage) -> None:
        try:
            await self.ledger.deliver(outbound_id, message)
        except SmtpTemporary as exc:
            log.warning("admin_note_failed", error=str(exc))
            return
        except SmtpPermanent as exc:
            log.error("admin_note_refused", error=str(exc))
            return
        except DeliveryUnknown as exc:
            log.error("admin_note_uncertain", error=str(exc))
            return
        log.info("admin_note_sent", outbound_id=outbound_id)
