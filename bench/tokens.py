"""Part 4: prompt and completion tokens per LLM mail, as the provider (the emulator) counts them.

Two phases against one daemon and one emulator (~4 characters a token, as Groq's own count):

* **The labelled corpus.** Every message of ``tests/corpus`` (dev and holdout) is put in the
  mailbox. Whatever the daemon sends to the LLM is counted: first contact, no earlier turns.
  The shop is the corpus's own (``hola@lupeindumentaria.com.ar``), the catalog and FAQ are the
  shipped ones, and the shop's facts are the example configuration's.
* **Follow-ups, 3 turns.** Threads of four messages about one catalog product: a question, then
  three replies to our answers (each quoting it, as mail clients do). The 3rd and 4th messages
  go out with 3 earlier turns, the most the prompt keeps. The threads run twice: with the
  emulator's default answer (about 70 tokens, a typical short reply) and with answers that use
  the whole ``max_tokens`` budget (134 tokens after 16 of reasoning), so every earlier turn of
  ours is as long as a real one can be: the worst case.

Completion tokens are the emulator's: 16 reasoning tokens (``reasoning_effort="low"``) plus its
answer. They say how the budget is spent, not how long a real model's answers are.
"""

from __future__ import annotations

import dataclasses
import time
import tomllib
from pathlib import Path
from typing import Any

from bench import rig
from voidmail import answer, catalog, parse, triage
from voidmail.rig.groq_emulator import (
    CHAT_PATH,
    RequestRecord,
    default_responder,
    estimate_tokens,
)

CORPUS = rig.REPO / "tests" / "corpus"
CORPUS_SHOP = "hola@lupeindumentaria.com.ar"
CORPUS_SHOP_NAME = "Lupe Indumentaria"
CATALOG_MARK = answer.PRODUCTS_HEADING
FULL_ANSWER = (
    "¡Hola! Gracias por escribirnos. Te cuento que ese modelo lo tenemos disponible en varios "
    "talles y colores, y se está vendiendo muy bien esta temporada. Si querés, podemos "
    "reservarte una unidad por unas horas mientras decidís. Los envíos salen dentro de las 24 "
    "horas hábiles posteriores a la compra y podés seguir el pedido con el código que te llega "
    "por correo. Si el talle no te queda, el primer cambio no tiene costo. Cualquier otra duda "
    "sobre medidas o telas, respondé a este mismo correo y te ayudamos."
)
FOLLOW_UPS = (
    "Hola, ¿el {name} lo tienen en talle {size}?",
    "Gracias. ¿Y en color {color} también lo tienen?",
    "Perfecto. ¿El {name} en {color} lo tienen en talle {size2}?",
    "Buenísimo. ¿Cuánto sale el {name} y cuánto tarda el envío a Córdoba?",
)
TERMINAL = ("done", "human", "ignored", "dead_letter")


@dataclasses.dataclass
class Call:
    """One LLM request as the emulator counted it."""

    prompt: int
    completion: int
    turns: int  # earlier turns in the prompt
    catalog: bool  # the prompt holds a catalog excerpt
    parts: dict[str, int]  # where the prompt's tokens go (see _parts)


@dataclasses.dataclass
class Result:
    corpus_messages: int
    corpus_calls: list[Call]
    corpus_by_label: dict[str, int]  # LLM calls by the corpus label of their message
    corpus_tasks: dict[str, int]
    threads: int
    typical: list[list[Call]]  # per step (1..4), one call per thread; default answers
    worst: list[list[Call]]  # the same with full-budget answers
    problems: dict[str, int]

    def three_turn_prompt(self, steps: list[list[Call]]) -> float:
        """Mean prompt of the calls with 3 earlier turns and a catalog excerpt."""
        return rig.mean([c.prompt for c in three_turn_calls(steps)])


def three_turn_calls(steps: list[list[Call]]) -> list[Call]:
    return [c for step in steps for c in step if c.turns == 3 and c.catalog]


def mean_parts(calls: list[Call]) -> dict[str, float]:
    return {part: rig.mean([c.parts[part] for c in calls]) for part in PARTS}


def _calls(records: list[RequestRecord]) -> list[Call]:
    calls = []
    for record in records:
        if record.path != CHAT_PATH or record.status != 200 or record.request is None:
            continue
        messages = record.request["messages"]
        calls.append(
            Call(
                prompt=record.prompt_tokens,
                completion=record.completion_tokens,
                turns=len(messages) - 2,
                catalog=CATALOG_MARK in str(messages[0]["content"]),
                parts=_parts(messages),
            )
        )
    return calls


PARTS = ("rules", "facts", "policies", "products", "earlier turns", "new message")
_BLOCKS = {
    answer.FACTS_HEADING: "facts",
    answer.POLICIES_HEADING: "policies",
    answer.PRODUCTS_HEADING: "products",
}


def _parts(messages: list[dict[str, Any]]) -> dict[str, int]:
    """The prompt's tokens by what they carry, counted as the emulator counts (4 characters a
    token, 4 a message): the system prompt's paragraphs by their heading (the rules are the
    rest), the earlier turns, and the customer's new message."""
    parts = dict.fromkeys(PARTS, 0)
    parts["rules"] = 4
    for block in str(messages[0]["content"]).split("\n\n"):
        name = next((v for k, v in _BLOCKS.items() if block.startswith(k)), "rules")
        parts[name] += estimate_tokens(block)
    for message in messages[1:-1]:
        parts["earlier turns"] += estimate_tokens(str(message["content"])) + 4
    parts["new message"] = estimate_tokens(str(messages[-1]["content"])) + 4
    return parts


def _full_answer(request: dict[str, Any]) -> str:
    del request
    return FULL_ANSWER


def _wait_tasks(url: str, count: int, daemon: rig.DaemonProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        rows = rig.query(url, "SELECT status, count(*) AS n FROM tasks GROUP BY 1")
        total = sum(int(r["n"]) for r in rows)
        busy = sum(int(r["n"]) for r in rows if r["status"] not in TERMINAL)
        if total >= count and busy == 0:
            return
        if not daemon.alive():
            raise rig.BenchError(f"the daemon exited: {daemon.tail()}")
        if time.monotonic() > deadline:
            raise rig.BenchError(f"tasks still running after {timeout:.0f} s: {rows}")
        time.sleep(0.2)


def _thread_steps(threads: int) -> list[tuple[str, list[str]]]:
    """(subject, the four messages) per thread; every message is checked to go to the LLM."""
    products = catalog.Catalog(rig.CATALOG).products
    answers = rig.load_faq()
    out = []
    for n in range(threads):
        product = products[n % len(products)]
        values = {
            "name": product.name.lower(),
            "size": product.sizes[0],
            "size2": product.sizes[-1],
            "color": product.colors[-1],
        }
        bodies = [template.format(**values) for template in FOLLOW_UPS]
        for step, body in enumerate(bodies):
            subject = product.name if step == 0 else f"Re: {product.name}"
            raw = rig.customer_mail("<x@x.example>", "x@x.example", subject, body)
            decision = triage.decide(parse.parse(raw), answers)
            if decision.route != "llm":
                raise rig.BenchError(f"follow-up {body!r} routes to {decision.route}")
        out.append((product.name, bodies))
    return out


def _threads(
    s: rig.Servers, daemon: rig.DaemonProcess, replies: rig.Replies, tag: str, threads: int
) -> list[list[Call]]:
    """Runs the threads step by step; the calls of each step."""
    plan = _thread_steps(threads)
    last_reply: dict[int, tuple[str, str]] = {}  # thread -> (reply Message-ID, reply text)
    steps = []
    for step in range(len(FOLLOW_UPS)):
        s.emulator.reset_stats()
        sent = []
        for n, (subject, bodies) in enumerate(plan):
            message_id = f"<{tag}{n}-{step}@correo.example>"
            sender = f"Hilo {n} <{tag}{n}@correo.example>"
            parent = last_reply.get(n)
            raw = rig.customer_mail(
                message_id,
                sender,
                subject if step == 0 else f"Re: {subject}",
                bodies[step],
                in_reply_to=parent[0] if parent else None,
                quoted=parent[1] if parent else None,
            )
            s.dovecot.append(raw)
            sent.append(message_id)
        if not replies.wait(len(replies.at) + threads, 120, daemon):
            raise rig.BenchError(f"{tag}: step {step + 1} was not answered in 120 s")
        for received in s.sink.messages:
            parent_id = str(received.message["In-Reply-To"] or "")
            if parent_id in sent:
                n = sent.index(parent_id)
                last_reply[n] = (
                    str(received.message["Message-ID"]),
                    received.message.get_content(),
                )
        steps.append(_calls(s.emulator.requests))
    return steps


def _labels() -> dict[str, str]:
    """Message-ID -> labelled route, for the corpus."""
    labels = tomllib.loads((CORPUS / "labels.toml").read_text(encoding="utf-8"))
    out = {}
    for name, label in labels.items():
        mail = parse.parse((CORPUS / name).read_bytes())
        if mail.message_id:
            out[mail.message_id] = str(label["route"])
    return out


def main(root: Path, database: rig.Database, threads: int) -> Result:
    files = sorted(CORPUS.glob("*/*.eml"))
    print(f"  tokens: {len(files)} corpus messages, then {threads} threads x 4 twice ...")
    with rig.servers(root, database, "tokens") as s:
        s.dovecot.append_many([path.read_bytes() for path in files])
        config_path = rig.write_config(s, shop_address=CORPUS_SHOP, shop_name=CORPUS_SHOP_NAME)
        replies = rig.Replies(s.sink)
        with rig.DaemonProcess(config_path, s.directory / "daemon.log") as daemon:
            daemon.wait_for_event("daemon_ready", 120)
            recorded = rig.query(s.database_url, "SELECT count(*) AS n FROM tasks")[0]["n"]
            _wait_tasks(s.database_url, int(recorded), daemon, 300)
            corpus_calls = _calls(s.emulator.requests)
            corpus_tasks = rig.task_summary(s.database_url)
            rows = rig.query(
                s.database_url,
                "SELECT message_id FROM tasks WHERE prompt_tokens > 0 AND duplicate_of IS NULL",
            )
            replies.poll()
            typical = _threads(s, daemon, replies, "thread-", threads)
            s.emulator.set_responder(_full_answer)
            worst = _threads(s, daemon, replies, "long-", threads)
            s.emulator.set_responder(default_responder)
            status = daemon.stop()
            if status != 0:
                raise rig.BenchError(f"the daemon exited with {status}: {daemon.tail()}")
            problems = daemon.problems()
            if replies.duplicates:
                problems["duplicate_replies"] = replies.duplicates
    labels = _labels()
    by_label: dict[str, int] = {}
    for row in rows:
        label = labels.get(str(row["message_id"]), "?")
        by_label[label] = by_label.get(label, 0) + 1
    result = Result(
        corpus_messages=len(files),
        corpus_calls=corpus_calls,
        corpus_by_label=by_label,
        corpus_tasks=corpus_tasks,
        threads=threads,
        typical=typical,
        worst=worst,
        problems=problems,
    )
    print(
        f"    corpus: {len(corpus_calls)} LLM mails, mean prompt "
        f"{rig.mean([c.prompt for c in corpus_calls]):.0f}; 3 turns + catalog: "
        f"{result.three_turn_prompt(typical):.0f} (typical answers), "
        f"{result.three_turn_prompt(worst):.0f} (full-budget answers)",
        flush=True,
    )
    return result


def summary(calls: list[Call]) -> dict[str, float]:
    prompts = [c.prompt for c in calls]
    completions = [c.completion for c in calls]
    return {
        "calls": len(calls),
        "prompt_mean": rig.mean(prompts),
        "prompt_p50": rig.percentile(prompts, 50),
        "prompt_p95": rig.percentile(prompts, 95),
        "prompt_max": max(prompts, default=float("nan")),
        "completion_mean": rig.mean(completions),
        "total_mean": rig.mean([c.prompt + c.completion for c in calls]),
    }


def as_json(result: Result) -> dict[str, Any]:
    return {
        "corpus_messages": result.corpus_messages,
        "corpus": summary(result.corpus_calls),
        "corpus_with_catalog": summary([c for c in result.corpus_calls if c.catalog]),
        "corpus_by_label": result.corpus_by_label,
        "corpus_tasks": result.corpus_tasks,
        "threads": result.threads,
        "typical_steps": [summary(step) for step in result.typical],
        "worst_steps": [summary(step) for step in result.worst],
        "three_turn_parts_typical": mean_parts(three_turn_calls(result.typical)),
        "three_turn_parts_worst": mean_parts(three_turn_calls(result.worst)),
        "three_turn_prompt_typical": result.three_turn_prompt(result.typical),
        "three_turn_prompt_worst": result.three_turn_prompt(result.worst),
        "problems": result.problems,
    }
