"""Routing over the labelled corpus: precision and recall per route, against the issue's bars.

``tests/corpus/labels.toml`` says what each message must get. The holdout half was written
before the rules were tuned; both halves must meet the bars: FAQ precision >= 0.98 and recall
>= 0.85, every auto-generated message ignored, every handoff case held for a person.
"""

from __future__ import annotations

import random
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from voidmail import assembly, config, faq, guard, parse, triage
from voidmail.errors import ConfigError

CORPUS = Path(__file__).parent / "corpus"
LABELS = tomllib.loads((CORPUS / "labels.toml").read_text(encoding="utf-8"))
SHOP = "hola@lupeindumentaria.com.ar"
ANSWERS = faq.load(
    config.DATA_DIR / "faq.toml",
    assembly.placeholders(config.Settings(shop=config.ShopSettings(name="Lupe", address=SHOP))),
)


def route(name: str) -> tuple[str, str | None, str]:
    mail = parse.parse((CORPUS / name).read_bytes())
    ignored = guard.check(mail, frozenset({SHOP}), frozenset({SHOP.partition("@")[2]}))
    if ignored is not None:
        return "ignored", None, ignored
    decision = triage.decide(mail, ANSWERS)
    return decision.route, decision.faq_id, decision.reason


def test_the_corpus_is_large_and_covers_every_route() -> None:
    assert len(LABELS) >= 150
    routes = Counter(label["route"] for label in LABELS.values())
    assert set(routes) == {"faq", "llm", "human", "ignored"}
    assert all(n >= 15 for n in routes.values()), routes
    assert all((CORPUS / name).is_file() for name in LABELS)


def score(split: str) -> dict[str, tuple[float, float, list[str], list[str]]]:
    """Per route: precision, recall, the wrongly predicted and the missed messages."""
    got = {name: route(name) for name in LABELS if name.startswith(split + "/")}
    assert got, f"no {split} messages"
    result = {}
    for wanted in ("faq", "llm", "human", "ignored"):
        labelled = {n for n in got if LABELS[n]["route"] == wanted}
        predicted = {n for n in got if got[n][0] == wanted}
        right = {
            n for n in labelled & predicted
            if wanted != "faq" or got[n][1] == LABELS[n].get("faq_id")
        }  # fmt: skip
        precision = len(right) / len(predicted) if predicted else 1.0
        recall = len(right) / len(labelled) if labelled else 1.0
        result[wanted] = (precision, recall, sorted(predicted - right), sorted(labelled - right))
    return result


@pytest.mark.parametrize("split", ["dev", "holdout", "blind", "blind2"])
def test_precision_and_recall_meet_the_bars(split: str) -> None:
    result = score(split)
    report = [f"{r}: precision {p:.3f} recall {c:.3f}" for r, (p, c, _, _) in result.items()]
    precision, recall, wrong, missed = result["faq"]
    assert precision >= 0.98, (report, wrong)
    assert recall >= 0.85, (report, missed)
    for held in ("ignored", "human"):
        assert not result[held][3], f"{held} cases not held: {result[held][3]}"
    print(f"{split}: " + "; ".join(report))


# blind3 and blind4 are below the FAQ precision bar (labels.toml says why): these floors keep
# what they reached after their general fixes from slipping.
FLOORS = {
    "blind3": {"faq": (0.88, 0.75), "human": (0.89, 0.97), "ignored": (1.0, 1.0)},
    "blind4": {"faq": (0.91, 0.71), "human": (1.0, 1.0), "ignored": (1.0, 1.0)},
}


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_the_newest_blind_sets_keep_their_floors(split: str) -> None:
    result = score(split)
    for wanted, (precision_floor, recall_floor) in FLOORS[split].items():
        precision, recall, wrong, missed = result[wanted]
        assert precision >= precision_floor, (wanted, precision, wrong)
        assert recall >= recall_floor, (wanted, recall, missed)


def test_no_auto_generated_message_is_ever_answered() -> None:
    auto = [n for n, label in LABELS.items() if label["route"] == "ignored"]
    answered = {n: route(n) for n in auto if route(n)[0] != "ignored"}
    assert not answered


def test_the_key_index_finds_exactly_what_comparing_every_key_finds() -> None:
    # The index is only a faster way to ask same_key of every known key: over the corpus's
    # words and typo'd copies of the FAQ's own keys it must agree with the slow way.
    known = _faq_keys(ANSWERS)
    texts = [parse.parse(path.read_bytes()).new_text for path in CORPUS.glob("*/*.eml")]
    probes = {k for text in texts for k in faq.content_keys(text)}
    rng = random.Random(7)
    for word in sorted(known):
        if len(word) > 2:
            i = rng.randrange(len(word) - 1)
            probes |= {
                word[:i] + word[i + 1 :],  # a letter dropped
                word[:i] + "x" + word[i + 1 :],  # one replaced
                word[:i] + word[i + 1] + word[i] + word[i + 2 :],  # two swapped
                word[:i] + "a" + word[i:],  # one added
            }
    for probe in sorted(probes):
        assert ANSWERS.index.matches(probe) == {k for k in known if faq.same_key(k, probe)}, probe


def _faq_keys(answers: faq.Faq) -> set[str]:
    return {
        k
        for e in answers.entries
        for phrases in (e.keywords, e.hints, e.exclude, e.ignore)
        for phrase in phrases
        for k in phrase.keys
    } | {k for e in answers.entries for keys in e.example_keys for k in keys}


def _decide(body: str, subject: str = "Consulta") -> triage.Decision:
    raw = (
        f"From: Ana <ana@correo.example>\nTo: {SHOP}\nSubject: {subject}\n"
        f"Message-ID: <x@correo.example>\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()
    return triage.decide(parse.parse(raw), ANSWERS)


@pytest.mark.parametrize(
    ("body", "route", "faq_id"),
    [
        # Capitals are a way of writing; with a volley of "!!" and a demand they are anger.
        ("HOLA QUERIA SABER SI HACEN ENVIOS A TODO EL PAIS GRACIAS", "faq", "envios"),
        ("QUIERO QUE ME RESPONDAN YA MISMO!!! ESTO ES UNA VERGUENZA", "human", None),
        # A company footer is not part of the question.
        (
            "¿Aceptan transferencia bancaria?\n\nJuan Gómez\n\nEste mensaje es confidencial y "
            "está dirigido solo a su destinatario. Si lo recibió por error, bórrelo.",
            "faq",
            "pagos",
        ),
        ("Hola, ¿cómo hago para cambiar un buzo que compré la semana pasada?", "faq", "cambios"),
        ("Hola, compré ayer, ¿ya lo despacharon?", "llm", None),
        ("¿Venden por mayor? ¿Hacen envíos a Salta?", "llm", None),
        ("¿Tienen tarjetas de regalo?", "llm", None),
        ("Mi pedido figura entregado y no me llegó nada", "human", None),
        ("Pagué por transferencia y el pedido sigue pendiente de pago", "human", None),
        ("Hace tres semanas que compré y todavía no recibí nada", "human", None),
        ("Mariana López", "human", None),
        ("¿Cuáles son los medios de pago disponibles?", "faq", "pagos"),
    ],
)
def test_fresh_phrasings_route_as_a_person_would(body: str, route: str, faq_id: str | None) -> None:
    decision = _decide(body)
    assert (decision.route, decision.faq_id) == (route, faq_id), decision.reason


def test_the_subject_names_the_topic_the_body_only_hints_at() -> None:
    decision = _decide("¿Lo que figura en la web está disponible?", subject="Stock")
    assert (decision.route, decision.faq_id) == ("faq", "stock"), decision.reason


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            {"id": "x", "answer": "a", "keywords": ["envío"], "after_purchase": "yes"},
            "true or false",
        ),
        ({"id": "x", "answer": "a", "keywords": ["envío"], "sometimes": True}, "unknown field"),
    ],
)
def test_bad_faq_entries_are_configuration_errors(entry: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        faq.from_document({"faq": [entry]}, {})


def _reply_to_canned(faq_id: str, new_text: str) -> triage.Decision:
    """A customer's reply quoting the canned answer ``faq_id`` sent by the shop."""
    quoted = "\n".join(f"> {line}" for line in ANSWERS.entry(faq_id).answer.splitlines())
    body = f"{new_text}\n\nEl mar, 4 nov 2025 a las 10:12, Lupe <{SHOP}> escribió:\n{quoted}"
    raw = (
        f"From: Ana <ana@correo.example>\nTo: {SHOP}\nSubject: Re: Consulta\n"
        f"Message-ID: <y@correo.example>\nIn-Reply-To: <r1@lupeindumentaria.com.ar>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()
    return triage.decide(parse.parse(raw), ANSWERS)


@pytest.mark.parametrize("faq_id", ["envios", "pagos", "cambios", "talles", "stock"])
def test_a_canned_answer_is_never_sent_twice_in_a_thread(faq_id: str) -> None:
    # The same question again, in a reply under that very answer: it did not settle it.
    question = ANSWERS.entry(faq_id).examples[0]
    assert _decide(question).route == "faq", "the question alone gets the canned answer"
    again = _reply_to_canned(faq_id, question)
    assert again.route == "llm"
    assert again.faq_id is None


@pytest.mark.parametrize(
    "complaint",
    [
        "No me respondieron lo que pregunté.",
        "Otra vez el mismo mensaje. No me sirve.",
        "Esto no es lo que consulté, leé bien por favor",
        "Sigo sin respuesta, nadie contesta",
    ],
)
def test_a_reply_saying_our_answer_did_not_help_goes_to_a_person(complaint: str) -> None:
    decision = _reply_to_canned("envios", complaint)
    assert decision.route == "human"
    assert decision.intent in ("envios", "reclamo")
