"""Busy days at the free tier's limits (30 requests and 8,000 tokens a minute), two waves.

``python -m bench.waves [--sale N] [--spam N]`` runs the daemon as ``voidmail run`` against the
rig (Dovecot, the SMTP sink, the Groq emulator at the free tier's limits, PostgreSQL):

* **Sale day.** N product questions (LLM-bound) wait in the mailbox; once the daemon has taken
  them in, two FAQ questions arrive. Reported: each FAQ reply's time from arrival, the LLM's
  pace over the backlog against the provider's limit, 429s.
* **Spam wave.** N unmarked spam mails (Spanish and English, the kind a shop gets: SEO, loans,
  crypto, fake invoices, sweepstakes, B2B lists), then four customers: two FAQ questions and
  two product questions. The emulator plays a model that answers ``SPAM`` to spam, as the
  prompt's rules ask. Reported: each customer's time to a reply, LLM requests and tokens
  spent on spam in the first 90 s, and replies sent to spam.

The figures go to stdout; nothing is written. A run takes about 8 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import rig
from voidmail.rig.groq_emulator import CHAT_PATH, EmulatorLimits, default_responder

FREE_TIER = EmulatorLimits(rpm=30, tpm=8_000, rpd=1_000, tpd=200_000)

# Unmarked spam: nothing in its headers says bulk, as when no filter sits in front.
SPAM = (
    "Hola! Somos una agencia SEO. Posicionamos su tienda en el primer lugar de Google en 7 "
    "días. Respóndanos para recibir una auditoría gratis de su sitio.",
    "Préstamos personales aprobados en 24 horas sin verificar ingresos. Escribinos y te "
    "contamos cómo acceder hoy mismo.",
    "Invierta en criptomonedas con nuestro bot de trading y gane hasta 300% mensual. Cupos "
    "limitados, conteste este correo para reservar el suyo.",
    "Adjuntamos la factura pendiente N° 00045-88812. Por favor confirme el pago a la brevedad "
    "desde el enlace del portal de proveedores.",
    "¡Felicitaciones! Su correo fue seleccionado en nuestro sorteo mensual de un iPhone. Para "
    "reclamar su premio complete sus datos en el formulario.",
    "We sell verified B2B email lists of fashion retailers in Latin America, 50,000 contacts, "
    "updated monthly. Reply for a free sample.",
    "Dear business owner, we can build you a new mobile app for your store at a fraction of "
    "the usual price. Are you available for a quick call this week?",
    "Ofrecemos seguidores y likes reales para Instagram y TikTok desde $999. Resultados "
    "garantizados en 48 horas, consultanos por este medio.",
    "Your mailbox storage is almost full. Verify your account within 24 hours at the link "
    "below to avoid losing incoming messages.",
    "Le ofrecemos un crédito para su empresa con tasa preferencial y sin garantías. Un "
    "asesor lo contactará si responde este mensaje.",
)
SPAM_MARKERS = (
    "SEO", "Préstamos", "criptomonedas", "factura pendiente", "sorteo", "B2B", "mobile app",
    "seguidores", "mailbox storage", "crédito para su empresa",
)  # fmt: skip


def model(request: dict[str, Any]) -> str:
    """A model that recognises spam, as the rules ask, and answers everything else."""
    customer = str(request["messages"][-1]["content"])
    if any(marker in customer for marker in SPAM_MARKERS):
        return "SPAM"
    return default_responder(request)


def chat_records(s: rig.Servers) -> list[Any]:
    return [r for r in s.emulator.requests if r.path.endswith(CHAT_PATH)]


def wait_for_the_lane(daemon: rig.DaemonProcess) -> None:
    """Until the daemon has taken the first wave in: LLM-bound mail waits in its lane."""
    deadline = time.monotonic() + 120
    while not daemon.saw("task_waiting_for_llm"):
        if time.monotonic() > deadline or not daemon.alive():
            raise rig.BenchError(f"the wave was not taken in: {daemon.tail()}")
        time.sleep(0.05)


def arrive(s: rig.Servers, mails: list[tuple[str, bytes]]) -> dict[str, float]:
    """Append ``mails`` (Message-ID, raw) one by one; when each arrived, by Message-ID."""
    arrivals = {}
    for message_id, raw in mails:
        arrivals[message_id] = time.monotonic()
        s.dovecot.append(raw)
    return arrivals


def reply_times(replies: rig.Replies, arrivals: dict[str, float], into: dict[str, float]) -> None:
    """Add to ``into`` the seconds from arrival to reply of every newly answered arrival."""
    replies.poll()
    for message_id, at in arrivals.items():
        if message_id in replies.at and message_id not in into:
            into[message_id] = replies.at[message_id] - at


def sale_day(root: Path, database: rig.Database, backlog: int) -> None:
    print(f"sale day: {backlog} product questions waiting, then 2 FAQ questions", flush=True)
    answers = rig.load_faq()
    questions = rig.product_questions(answers)[:backlog]
    with rig.servers(root, database, "sale", FREE_TIER) as s:
        s.dovecot.append_many(
            [rig.llm_mail("sale-", n, subject, q)[1] for n, (subject, q) in enumerate(questions)]
        )
        config_path = rig.write_config(s, rpm=FREE_TIER.rpm, tpm=FREE_TIER.tpm)
        replies = rig.Replies(s.sink)
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            wait_for_the_lane(daemon)
            arrivals = arrive(s, [rig.faq_mail("sale-faq-", n) for n in range(2)])
            waited: dict[str, float] = {}
            while len(waited) < 2:
                reply_times(replies, arrivals, waited)
                if time.monotonic() - min(arrivals.values()) > 600:
                    raise rig.BenchError("the FAQ questions got no reply in 10 minutes")
                time.sleep(0.05)
            llm_done_at_faq = len(chat_records(s))
            if not replies.wait(backlog + 2, timeout=backlog * 3 + 120, daemon=daemon):
                raise rig.BenchError(f"{replies.poll()} of {backlog + 2} replies")
            records = chat_records(s)
            daemon.stop()
    ok = [r for r in records if r.status == 200]
    sent = [r.time for r in ok]
    limited = sum(1 for r in records if r.status == 429)
    span = sent[-1] - sent[0] if len(sent) > 1 else float("nan")
    pace = (len(sent) - 1) / span * 60 if len(sent) > 1 else float("nan")
    tokens = sum(r.prompt_tokens + r.completion_tokens for r in ok[1:])
    token_pace = tokens / span * 60 if len(sent) > 1 else float("nan")
    print(f"  FAQ replies after arrival: {', '.join(f'{v:.2f} s' for v in waited.values())} "
          f"(LLM answers sent by then: {llm_done_at_faq} of {backlog})")  # fmt: skip
    print(f"  LLM: {len(sent)} requests over {span:.0f} s = {pace:.1f}/min "
          f"({pace / FREE_TIER.rpm:.1%} of {FREE_TIER.rpm}/min), {token_pace:.0f} tokens/min "
          f"({token_pace / FREE_TIER.tpm:.1%} of {FREE_TIER.tpm}); 429s: {limited}")  # fmt: skip


def spam_wave(root: Path, database: rig.Database, wave: int) -> None:
    print(f"spam wave: {wave} unmarked spam mails, then 4 customers", flush=True)
    answers = rig.load_faq()
    products = rig.product_questions(answers)[:2]
    with rig.servers(root, database, "spam", FREE_TIER) as s:
        s.emulator.set_responder(model)
        spam = []
        for n in range(wave):
            message_id = f"<spam-{n}@promo{n % 37}.example>"
            sender = f"Promo {n} <ventas{n}@promo{n % 37}.example>"
            body = f"{SPAM[n % len(SPAM)]}\n\nRef. {n}"
            spam.append(rig.customer_mail(message_id, sender, "Propuesta comercial", body))
        s.dovecot.append_many(spam)
        config_path = rig.write_config(
            s, rpm=FREE_TIER.rpm, tpm=FREE_TIER.tpm,
            llm={"requests_per_day": FREE_TIER.rpd, "tokens_per_day": FREE_TIER.tpd},
        )  # fmt: skip
        replies = rig.Replies(s.sink)
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            wait_for_the_lane(daemon)
            started = time.monotonic()
            customers = [rig.faq_mail("wave-faq-", n) for n in range(2)]
            customers += [
                rig.llm_mail("wave-llm-", n, subject, q) for n, (subject, q) in enumerate(products)
            ]
            arrivals = arrive(s, customers)
            answered: dict[str, float] = {}
            while time.monotonic() - started < 90:
                reply_times(replies, arrivals, answered)
                time.sleep(0.05)
            records = chat_records(s)
            daemon.stop()
        spam_replies = sum(1 for parent in replies.at if parent.startswith("<spam-"))
        tasks = rig.task_summary(s.database_url)
    spam_requests = [
        r for r in records
        if r.request and any(m in str(r.request["messages"][-1]["content"]) for m in SPAM_MARKERS)
    ]  # fmt: skip
    tokens = sum(r.prompt_tokens + r.completion_tokens for r in spam_requests)
    for message_id in arrivals:
        took = answered.get(message_id)
        print(f"  {message_id}: " + (f"{took:.2f} s" if took is not None else "no reply in 90 s"))
    print(f"  in 90 s: {len(records)} LLM requests, {len(spam_requests)} for spam "
          f"({tokens} tokens, {tokens / FREE_TIER.tpd:.1%} of the day's tokens); "
          f"replies to spam: {spam_replies}")  # fmt: skip
    print(f"  tasks: {dict(Counter(tasks))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.waves", description=__doc__)
    parser.add_argument("--sale", type=int, default=120, help="product questions (0: skip)")
    parser.add_argument("--spam", type=int, default=300, help="spam mails (0: skip)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the files and logs")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="voidmail-waves-"))
    try:
        if args.keep:
            print(f"files (logs included) kept in {root}")
        root.chmod(0o755)  # as root, the servers run as their own users and must enter it
        database = rig.Database(root, args.database_url)
        database.start()
        try:
            if args.sale:
                sale_day(root, database, args.sale)
            if args.spam:
                spam_wave(root, database, args.spam)
        finally:
            database.stop()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
