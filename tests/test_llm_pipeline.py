"""LLM answers end to end: real Dovecot, SMTP sink, PostgreSQL and the Groq emulator reached
through the official SDK, with the daemon's real responder, limiter and breaker."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.daemon import Wired, rig_settings, wait_until
from tests.test_pipeline import mail, replies_to
from voidmail import answer, config, dlq, lanes, stats, store
from voidmail.config import Secret
from voidmail.rig.dovecot import Dovecot
from voidmail.rig.groq_emulator import DEFAULT_API_KEY, EmulatorLimits, GroqEmulator
from voidmail.rig.smtp_sink import SmtpSink

pytestmark = pytest.mark.timeout(180)

PRODUCT_QUESTION = "Hola, ¿el buzo canguro negro lo tienen en talle L?"
ADMIN = "duena@tienda.example"


@pytest.fixture
def groq() -> Iterator[GroqEmulator]:
    with GroqEmulator(EmulatorLimits(rpm=600, tpm=600_000, rpd=100_000, tpd=10**8)) as emu:
        yield emu


def settings_for(
    dovecot: Dovecot,
    sink: SmtpSink,
    database_url: str,
    state_dir: Path,
    groq: GroqEmulator,
    *,
    api_key: str = DEFAULT_API_KEY,
    reset_timeout: float = 120.0,
) -> config.Settings:
    return rig_settings(
        dovecot, database_url, state_dir, sink,
        daemon={"notify_delay": 0.3, "shutdown_timeout": 5.0},
        llm={"api_key": Secret(api_key), "base_url": groq.base_url, "timeout": 10.0,
             "requests_per_minute": 600, "tokens_per_minute": 600_000},
        breaker={"threshold": 3, "reset_timeout": reset_timeout},
        catalog={"file": config.DATA_DIR / "catalog.csv"},
    )  # fmt: skip


def chat_requests(groq: GroqEmulator) -> list[dict[str, Any]]:
    return [r.request for r in groq.requests if r.path.endswith("/chat/completions") and r.request]


def customer_replies(sink: SmtpSink) -> list[Any]:
    return [m.message for m in sink.messages if m.message["To"] != ADMIN]


async def test_product_question_is_answered_with_the_product_in_the_prompt(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    uid = dovecot.append(mail(1, PRODUCT_QUESTION, subject="Buzo"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    async with Wired(settings) as p:
        await wait_until(lambda: customer_replies(smtp_sink), what="the LLM reply")
        await wait_until(lambda: "\\Answered" in dovecot.flags(uid), what="\\Answered")
        row = (await p.tasks())["<m1@correo.example>"]
    [request] = chat_requests(groq)
    system = request["messages"][0]["content"]
    assert "BUZ-001" in system
    assert len(system) < 2000 + 1200
    assert request["max_completion_tokens"] == 150
    assert request["reasoning_effort"] == "low"
    assert PRODUCT_QUESTION in request["messages"][-1]["content"]
    reply = customer_replies(smtp_sink)[0]
    assert reply["In-Reply-To"] == "<m1@correo.example>"
    assert reply["Subject"] == "Re: Buzo"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert "Gracias por escribirnos" in reply.get_content()
    assert row["status"] == "done"
    assert row["route"] == "llm"
    assert row["prompt_tokens"] > 0
    assert row["completion_tokens"] > 0


async def test_follow_up_prompt_holds_the_earlier_turn(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    sender = "Ana <ana@correo.example>"
    async with Wired(settings):
        dovecot.append(mail(1, PRODUCT_QUESTION, subject="Buzo canguro", sender=sender))
        await wait_until(lambda: len(customer_replies(smtp_sink)) == 1, what="first reply")
        dovecot.append(
            mail(2, "¿Y en color bordo también lo tienen?", subject="Re: Buzo canguro",
                 sender=sender, headers={"In-Reply-To": "<m1@correo.example>"})
        )  # fmt: skip
        await wait_until(lambda: len(customer_replies(smtp_sink)) == 2, what="second reply")
    second = chat_requests(groq)[-1]["messages"]
    roles = [m["role"] for m in second]
    assert roles == ["system", "user", "assistant", "user"]
    assert PRODUCT_QUESTION in second[1]["content"]
    # Our first answer, without its greeting and thanks: they cost tokens and say nothing.
    assert second[2]["content"].startswith("Hemos recibido tu consulta")
    assert "Gracias por escribirnos" not in second[2]["content"]
    assert "bordo" in second[3]["content"]


async def test_an_echoed_system_prompt_is_never_sent(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    groq.set_responder(lambda request: str(request["messages"][0]["content"]))
    uid = dovecot.append(mail(1, PRODUCT_QUESTION))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    async with Wired(settings) as p:
        await wait_until(lambda: "\\Flagged" in dovecot.flags(uid), what="handed to a person")
        await wait_until(lambda: smtp_sink.messages, what="the admin's note")
        row = (await p.tasks())["<m1@correo.example>"]
    assert customer_replies(smtp_sink) == []
    assert row["status"] == "human"
    assert "held back" in row["error_message"]
    assert row["prompt_tokens"] > 0, "tokens spent on a held-back answer are still counted"


async def test_the_model_can_hand_a_message_to_a_person_or_flag_its_promise_of_one(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    # The rules tell the model to answer DERIVAR when the data is not enough; an answer that
    # promises a person anyway is sent, and the admin is told too.
    def responder(request: dict[str, Any]) -> str:
        customer = str(request["messages"][-1]["content"])
        if "canguro" in customer:
            return answer.HANDOFF_WORD
        return "Lo tenemos en verde oliva. Una persona del equipo te confirma el envío hoy."

    groq.set_responder(responder)
    unsure = dovecot.append(mail(1, PRODUCT_QUESTION))
    promised = dovecot.append(mail(2, "¿La remera oversize la tienen en verde oliva talle M?"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    async with Wired(settings) as p:
        await wait_until(lambda: "\\Flagged" in dovecot.flags(unsure), what="handed over")
        await wait_until(lambda: "\\Answered" in dovecot.flags(promised), what="answered")
        await wait_until(lambda: len(smtp_sink.messages) == 2, what="the reply and the note")
        rows = await p.tasks()
    assert rows["<m1@correo.example>"]["status"] == "human"
    assert rows["<m2@correo.example>"]["status"] == "done"
    (reply,) = customer_replies(smtp_sink)
    assert reply["To"] == "cliente2@correo.example"
    assert answer.HANDOFF_WORD not in reply.get_content()
    (note,) = [m.message for m in smtp_sink.messages if m.message["To"] == ADMIN]
    text = note.get_content()
    assert "cliente1@correo.example" in text
    assert "cliente2@correo.example" in text
    assert "alguien del equipo" in text
    # Each under the heading of how it really ended.
    held, answered = text.index("sin responder"), text.index("ya respondidos")
    first, second = sorted((held, answered))
    section_of = {held: "held", answered: "answered"}
    sections = {
        section_of[first]: text[first:second],
        section_of[second]: text[second:],
    }
    assert "cliente1@correo.example" in sections["held"]
    assert "cliente2@correo.example" not in sections["held"]
    assert "cliente2@correo.example" in sections["answered"]


async def test_bad_api_key_parks_tasks_mails_the_admin_and_replay_answers_them(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    ids = [f"<m{n}@correo.example>" for n in (1, 2)]
    dovecot.append(mail(1, PRODUCT_QUESTION))
    dovecot.append(mail(2, "¿La campera puffer viene en verde militar?"))
    wrong = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq, api_key="gsk_wrong")
    async with Wired(wrong) as p:
        for message_id in ids:
            await wait_until(lambda: p.status_is(message_id, "dead_letter"), what="parked")  # noqa: B023
        await wait_until(lambda: smtp_sink.messages, what="the admin's note")
        parked = await p.tasks()
    assert all(parked[m]["attempts"] == 1 for m in ids), "a 401 is not retried"
    assert all("api_key" in parked[m]["error_message"] for m in ids)
    notes = [m.message for m in smtp_sink.messages]
    assert [n["To"] for n in notes] == [ADMIN], "one mail for the incident"
    assert "voidmail dlq retry" in notes[0].get_content()
    assert customer_replies(smtp_sink) == []

    fixed = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    async with Wired(fixed) as p:
        assert len(await dlq.replay(p.store, None)) == 2
        for message_id in ids:
            await wait_until(lambda: p.status_is(message_id, "done"), what="answered")  # noqa: B023
    assert set(replies_to(smtp_sink)) == set(ids)
    assert max(replies_to(smtp_sink).values()) == 1


async def test_outage_opens_the_breaker_which_holds_fire_then_recovers(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    groq.set_outage(503)
    questions = [
        PRODUCT_QUESTION,
        "¿La campera puffer viene en verde militar?",
        "¿El jean mom tiro alto lo tienen en 44?",
        "¿La camisa de lino viene en celeste?",
        "¿El vestido midi floreado está en talle S?",
        "¿La remera oversize estampada la tienen en XL?",
    ]
    for n, question in enumerate(questions, start=1):
        dovecot.append(mail(n, question, sender=f"c{n} <c{n}@correo.example>"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq, reset_timeout=1.5)
    async with Wired(settings) as p:
        await wait_until(lambda: groq.count_by_status().get(503, 0) >= 3, what="three failures")
        groq.set_outage(None)
        failed_while_down = groq.count_by_status().get(503, 0)

        await wait_until(
            lambda: p.all_done(len(questions)),
            within=90,
            what="every question answered after the outage",
        )
        rows = await p.tasks()
    # The breaker opened after the threshold: what had already left (one per worker at most)
    # failed, nothing more was sent while it was open, and the probe found the provider back.
    assert failed_while_down <= settings.worker.concurrency
    assert groq.count_by_status().get(503, 0) == failed_while_down
    assert len(customer_replies(smtp_sink)) == len(questions)
    assert all(r["attempts"] <= 2 for r in rows.values()), "deferred tasks keep their attempts"
    assert max(replies_to(smtp_sink).values()) == 1


async def test_daily_limit_holds_llm_mail_tells_the_admin_once_and_faq_goes_on(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    with GroqEmulator(EmulatorLimits(rpm=600, tpm=600_000, rpd=1, tpd=10**8)) as groq:
        settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
        async with Wired(settings) as p:
            dovecot.append(mail(1, PRODUCT_QUESTION, sender="a <a@correo.example>"))
            await wait_until(lambda: p.status_is("<m1@correo.example>", "done"), what="first")
            for n, question in ((2, "¿La campera puffer viene en verde militar?"),
                                (3, "¿El jean mom tiro alto lo tienen en 44?")):  # fmt: skip
                dovecot.append(mail(n, question, sender=f"c{n} <c{n}@correo.example>"))
            dovecot.append(mail(4, "Hola, ¿hacen envíos a todo el país?", sender="d <d@c.example>"))
            await wait_until(lambda: p.status_is("<m4@correo.example>", "done"), what="the FAQ")

            def alerts() -> list[Any]:
                return [m for m in smtp_sink.messages if m.message["To"] == ADMIN]

            await wait_until(alerts, within=90, what="the admin's alert")
            rows = await p.tasks()
    assert len(alerts()) == 1
    assert "cupo diario" in alerts()[0].message.get_content()
    for waiting in ("<m2@correo.example>", "<m3@correo.example>"):
        assert rows[waiting]["status"] in ("failed", "pending"), rows[waiting]
        assert rows[waiting]["attempts"] == 0, "waiting for the day spends no attempt"
    assert groq.count_by_status().get(200) == 1


async def test_a_429_storm_delays_but_loses_nothing_and_parks_nothing(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    groq.fail_next(429, count=12, retry_after=1)
    questions = [
        PRODUCT_QUESTION,
        "¿La campera puffer viene en verde militar?",
        "¿El jean mom tiro alto lo tienen en 44?",
        "¿La camisa de lino viene en celeste?",
        "¿El vestido midi floreado está en talle S?",
    ]
    for n, question in enumerate(questions, start=1):
        dovecot.append(mail(n, question, sender=f"c{n} <c{n}@correo.example>"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq, reset_timeout=1.0)
    async with Wired(settings) as p:
        await wait_until(
            lambda: p.all_done(len(questions)),
            within=120,
            what="every question answered after the storm",
        )
        rows = await p.tasks()
        limited = await p.store.pool.fetchval("SELECT sum(rate_limited) FROM llm_usage")
    assert groq.count_by_status().get(429, 0) >= 3
    assert all(r["attempts"] <= 1 for r in rows.values()), "a throttle spends no attempt"
    assert limited == groq.count_by_status()[429]
    assert len(customer_replies(smtp_sink)) == len(questions)
    assert max(replies_to(smtp_sink).values()) == 1


async def test_a_send_refused_before_the_data_is_retried_with_the_text_already_paid_for(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    # 451 to RCPT: nothing left, so the ledger row must be 'failed' (not 'sending', which
    # would hand it to a person), and the retry sends the ledger's text without a new request.
    smtp_sink.fail_next(451, count=1, stage="rcpt")
    dovecot.append(mail(1, PRODUCT_QUESTION, subject="Buzo"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    async with Wired(settings) as p:
        await wait_until(lambda: customer_replies(smtp_sink), within=60, what="the retried reply")
        await wait_until(lambda: p.status_is("<m1@correo.example>", "done"), what="done")
        ledger = await p.store.pool.fetch("SELECT status, attempts, body FROM outbound")
    assert len(chat_requests(groq)) == 1, "the retry asked the LLM again"
    [row] = ledger
    assert (row["status"], row["attempts"]) == ("sent", 1)
    [reply] = customer_replies(smtp_sink)
    assert reply.get_content().startswith(row["body"].strip()[:40])


async def test_faq_mail_is_answered_at_once_behind_an_llm_backlog(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    # An LLM paced to one request every 10 s and 12 product questions waiting: the FAQ
    # questions that arrive behind them need nothing scarce and must not wait for them.
    backlog = [mail(n, f"{PRODUCT_QUESTION} Pregunta {n}.", subject=f"Buzo {n}") for n in range(12)]
    dovecot.append_many(backlog)
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    llm_settings = dataclasses.replace(settings.llm, requests_per_minute=6)
    settings = dataclasses.replace(settings, llm=llm_settings)
    async with Wired(settings) as p:
        await wait_until(lambda: len(p.daemon.lane) > 0, what="LLM mail waiting in the lane")
        latencies = []
        for n, question in ((20, "Hola, ¿hacen envíos a todo el país?"),
                            (21, "¿Cuántos días tengo para hacer un cambio?")):  # fmt: skip
            started = time.monotonic()
            dovecot.append(mail(n, question, subject="Consulta"))
            key = f"<m{n}@correo.example>"
            await wait_until(lambda: p.status_is(key, "done"), within=30, what="the FAQ reply")  # noqa: B023
            latencies.append(time.monotonic() - started)
        answered_by_llm = len(chat_requests(groq))
    assert max(latencies) < 5.0, latencies
    assert answered_by_llm < 12, "the FAQ mail was answered only after the LLM backlog"


def test_lane_order_is_conversation_then_the_shops_topics_then_the_rest() -> None:
    t0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    other = lanes.place(lanes.OTHER, t0)
    shop = lanes.place(lanes.ABOUT_THE_SHOP, t0 + timedelta(seconds=60))
    ongoing = lanes.place(lanes.CONVERSATION, t0 + timedelta(seconds=120))
    assert ongoing < shop < other
    # Age still counts: a stranger who waited 11 minutes goes before a customer just arrived.
    assert lanes.place(lanes.OTHER, t0) < lanes.place(
        lanes.CONVERSATION, t0 + timedelta(minutes=11)
    )

    def klass(wrote: bool, intent: str, asks: bool = True, spanish: bool = True) -> int:
        return lanes.lane_class(
            shop_wrote_before=wrote, intent=intent, asks=asks, shop_language=spanish
        )

    assert klass(True, "otro", asks=False, spanish=False) == lanes.CONVERSATION
    assert klass(False, "envios") == lanes.ABOUT_THE_SHOP
    # An offer or a notice tells the shop to do something; it asks nothing.
    assert klass(False, "pagos", asks=False) == lanes.OTHER
    assert klass(False, "otro") == lanes.OTHER
    # "Are you available for a call?": a topic word, a question, not the shop's language.
    assert klass(False, "stock", spanish=False) == lanes.OTHER


def test_a_full_lane_still_takes_a_better_placed_message_and_gives_back_the_worst() -> None:
    lane = lanes.Lane(capacity=2)
    t0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    def offer(n: int, klass: int) -> tuple[bool, lanes.Entry | None]:
        async def run() -> store.Outcome:
            raise AssertionError("not run here")

        task = {"id": n, "created_at": t0 + timedelta(seconds=n)}
        return lane.offer(task, lanes.Later(klass, run))

    assert offer(1, lanes.OTHER) == (True, None)
    assert offer(2, lanes.OTHER) == (True, None)
    assert offer(3, lanes.OTHER) == (False, None), "no better than what waits: given back"
    taken, pushed_out = offer(4, lanes.ABOUT_THE_SHOP)
    assert taken
    assert pushed_out is not None
    assert pushed_out.task["id"] == 2, "the worst-placed one made room"
    assert [entry.task["id"] for entry in lane.drain()] == [4, 1]


async def test_mail_the_model_calls_spam_is_ignored_and_gets_no_reply(
    dovecot: Dovecot, smtp_sink: SmtpSink, database_url: str, tmp_path: Path, groq: GroqEmulator
) -> None:
    def responder(request: dict[str, Any]) -> str:
        customer = str(request["messages"][-1]["content"])
        return answer.SPAM_WORD if "criptomonedas" in customer else "Sí, lo tenemos en L."

    groq.set_responder(responder)
    spam = "Invierta hoy en criptomonedas y gane 300% por mes, escríbanos ya a nuestro asesor."
    dovecot.append_many([mail(1, spam, subject="Oportunidad"), mail(2, PRODUCT_QUESTION)])
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(2), what="both handled")
        rows = await p.tasks()
        report = await stats.collect(p.store, 3600, settings.llm)
    by_class = {lane["lane_class"]: lane for lane in report["lanes"]}
    assert by_class["other"]["ignored"] == 1
    assert by_class["about_the_shop"]["answered"] == 1
    assert all(lane["tokens"] > 0 for lane in by_class.values())
    assert "LLM lane class" in stats.render(report)
    assert rows["<m1@correo.example>"]["status"] == "ignored"
    assert rows["<m1@correo.example>"]["error_message"] == "ignored: spam_llm"
    assert rows["<m1@correo.example>"]["prompt_tokens"] > 0, "the tokens spent are recorded"
    assert [m["To"] for m in customer_replies(smtp_sink)] == ["cliente2@correo.example"]
    system = chat_requests(groq)[0]["messages"][0]["content"]
    assert f"solo {answer.SPAM_WORD}" in system


@pytest.mark.parametrize(("verdict", "route"), [("SI", "faq:envios"), ("NO", "llm")])
async def test_faq_verify_asks_the_llm_before_a_canned_answer(
    verdict: str,
    route: str,
    dovecot: Dovecot,
    smtp_sink: SmtpSink,
    database_url: str,
    tmp_path: Path,
    groq: GroqEmulator,
) -> None:
    written = "¡Hola! Sí, enviamos a todo el país; a Tafí del Valle llega por Correo Argentino."

    def model(request: dict[str, Any]) -> str:
        if str(request["messages"][0]["content"]).startswith("Sos un control de calidad"):
            return verdict
        return written

    groq.set_responder(model)
    dovecot.append(mail(1, "Hola, ¿hacen envíos a todo el país?"))
    settings = settings_for(dovecot, smtp_sink, database_url, tmp_path, groq)
    settings = dataclasses.replace(settings, faq=config.FaqSettings(verify="llm"))
    async with Wired(settings) as p:
        await wait_until(lambda: p.all_finished(1), what="the answer")
        row = (await p.tasks())["<m1@correo.example>"]
    assert row["route"] == route
    requests = chat_requests(groq)
    assert len(requests) == (1 if verdict == "SI" else 2)
    assert requests[0]["max_completion_tokens"] == answer.VERIFY_TOKENS
    [reply] = customer_replies(smtp_sink)
    body = reply.get_content()
    assert (written in body) == (verdict == "NO")
    assert ("48 horas hábiles" in body) == (verdict == "SI")
