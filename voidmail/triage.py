"""Decide what happens to a message the guard let through: FAQ answer, LLM, or a person.

Precision comes first. A curated answer goes out only for a generic question about exactly
one FAQ topic; everything else that needs an answer goes to the LLM, and anything touching
money, a broken promise, the law or an angry customer is held for a person. The order of the
checks is the policy:

1. nothing left after quotes and signatures (or only an attachment)  → human
2. a handoff case: refund, double charge, cancellation, address change, faulty or wrong item,
   something that came and "¿cómo seguimos?", legal threat, asking for a person, complaint,
   insults or shouting                                               → human
3. not Spanish                                                       → llm (answers in kind)
4. about one specific order ("mi pedido", "no me llegó", "#10458")   → llm, intent pedido
   (rules 2 and 4 skip what the customer tells of another shop: "en otra tienda me
   devolvieron la plata")
5. personal sizing advice ("mido 1,60")                             → llm, intent talles
6. about one specific product (colour, size, model, price), unless the one topic asked is an
   answer for buyers of anything (exchanges)                        → llm, intent producto/stock
7. FAQ topics, read from the sentences that ask: none → llm; two or more → llm; one, but
   excluded, not a question, or a long question → llm
8. the closed world: a word of the question (or of a sentence naming its topic) that the
   entry does not account for, or a number or time around it that disagrees with the answer
   (see :meth:`faq.Faq.coverage`)                                     → llm; otherwise → faq

The rules read the normalised text (lower case, no accents; see :func:`faq.normalize`). They
are written for kinds of messages, not for sentences.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from voidmail import faq as faq_module
from voidmail import parse

Route = Literal["faq", "llm", "human"]
INTENTS = ("envios", "pagos", "cambios", "talles", "stock", "producto", "pedido", "reclamo", "otro")

# A message longer than this, or with more questions than this, needs a composed answer.
REPLY_SUBJECT = re.compile(r"^\s*(?:re|rv|rta|resp|aw|sv)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
# A customer telling us the last answer did not help, or that nobody answered: a person's job.
# Matched on the normalised new text of a reply only.
NOT_HELPED = re.compile(
    r"\bno\s+(?:me\s+)?(?:respond\w*|contest\w*)\s+(?:a\s+)?(?:lo\s+que|mi\s+(?:pregunta|consulta))"
    r"|\bno\s+(?:es|era)\s+(?:eso\s+)?lo\s+que\s+(?:pregunt|consult)\w*"
    r"|\b(?:el|la)\s+mism[oa]\s+(?:mensaje|respuesta|mail|correo|texto)"
    r"|\b(?:mensaje|respuesta|mail|correo)\s+automatic[oa]\b.{0,40}\bno\s+(?:me\s+)?(?:sirv|ayud|respond|contest)\w*"
    r"|\bno\s+me\s+(?:sirv|ayud)\w*"
    r"|\b(?:les|te|le)?\s*pregunte\s+otra\s+cosa\b"
    r"|\bnadie\s+(?:me\s+)?(?:respond|contest)\w*"
    r"|\bsigo\s+sin\s+(?:respuesta|saber)\b"
    r"|\bno\s+(?:tiene|tienen|tenga|tengan)\s+(?:nada\s+)?que\s+ver\s+con\s+(?:lo\s+que|mi\s+(?:pregunta|consulta))"
    r"|\b(?:yo\s+)?no\s+(?:les\s+|te\s+)?pregunte\b|\b(?:eso|esto)\s+ya\s+lo\s+(?:lei|vi|sabia|se|hice)\b"
    r"|\brespuestas?\s+que\s+no\s+tienen?\s+nada\s+que\s+ver\b"
)
REACH = 300  # characters around a handoff phrase read for what excuses it: its sentence
ADULT_AGE = 13  # from here on a person wears the shop's sizes; younger, a child's are asked
MAX_FAQ_WORDS = 80  # rambling customers are still asking one thing; longer ones rarely are
MAX_FAQ_QUESTIONS = 4
MAX_ANALYSED_CHARS = 3000
MAX_READ_CHARS = 20_000  # beyond this a message is read for harm only, then written to
MONTH_NUMBERS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
MONTHS = "|".join(MONTH_NUMBERS)
WEEKDAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    """Where a message goes and why. ``faq_id`` is set only for route "faq"."""

    route: Route
    intent: str
    faq_id: str | None
    score: float
    reason: str
    # For a FAQ topic: what accounted for each word of the question, or what nothing did.
    coverage: faq_module.Coverage | None = None


# --------------------------------------------------------------------------- vocabulary


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Sizes by their letters, and the plain names of colours.
SIZE_LETTERS = r"xxs|xs|s|m|l|xl|xxl|xxxl"
COLOR_NAMES = (
    r"negr[oa]s?|blanc[oa]s?|gris|grises|azul|azules|roj[oa]s?|verdes?|beige|bordo|rosad[oa]s?"
    r"|lilas?|celestes?|marron(?:es)?|amarill[oa]s?|violetas?|fucsias?|turquesas?"
)
# One size or colour, as said of what was ordered or what came ("la M", "en negro", "talle 42").
_SIZE_OR_COLOR = (
    rf"(?:es\s+)?(?:(?:el|la|un|una|en|de)\s+)?(?:color\s+)?(?:talle\s+(?:{SIZE_LETTERS}|\d{{1,2}})"
    rf"|{SIZE_LETTERS}|{COLOR_NAMES})\b"
)

# Handoff: (category, intent, pattern). Patterns run on normalised text, line by line.
HANDOFF: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "refund",
        "reclamo",
        _any(
            r"(?<!\bcontra\s)(?<!\bcontra)\breembols\w*",  # (not "contra reembolso": cash on delivery)
            r"\breintegr\w*+(?!\s+(?:de|del)\s+(?:iva|impuestos?|tax)\b)",  # (the state's, to a tourist)
            # ("El impacto de las devoluciones en las compras online" speaks of them in general.)
            r"(?<!\bde\slas\s)(?<!\bsobre\slas\s)(?<!\bevitar\s)"
            r"\bdevoluc\w*+(?!\s+(?:de|del)\s+(?:iva|impuestos?|tax)\b)",
            r"\bdevolver(?:me|nos|lo|la)?\b",
            # ("Mi yerno paga y yo le devuelvo el dinero" pays a relative back.)
            r"(?<!\ble\s)(?<!\bte\s)\bdevuelv\w*"
            r"|\b(?:le|te)\s+devuelv\w*+(?!\s+(?:el\s+|la\s+)?(?:dinero|plata|guita)\b)",
            r"\bdevolv\w*",
            r"\b(?:quiero|necesito)\s+(?:mi|la|el)\s+(?:dinero|plata)\b",
            r"\brecuperar\s+(?:mi|el|la)\s+(?:dinero|plata)\b",
            r"\bcontracargo",
            r"\bdesconoc\w*\s+(?:el|la|un|una|los|las|del|de\s+la)\s+(?:pago|compra|cargo|debito|consumo|cobro)",
            r"(?<!\btax\s)\brefund\w*",  # a tourist's "tax refund" is the state's
            r"\bmoney\s+back\b",
            r"\breturn\s+(?:it|this|the|my)\b",
            r"\bestorn\w*",
        ),
    ),
    (
        "double_charge",
        "reclamo",
        _any(
            r"\b(?:cobr|debit|descont|carg|factur|pag)\w*\b.{0,40}\b(?<!pienso\s)(?<!pensar\s)(?<!pensarlo\s)"
            r"(?:dos|2|tres|3)\s+veces\b",
            r"\b(?:dos|2|tres|3)\s+(?:cargos|cobros|debitos|pagos|descuentos|consumos)\b",
            r"\b(?:figura|figuran|aparece|aparecen|veo|sale|salen)\s+dos\s+veces\b"
            r"|\bdos\s+veces\s+el\s+mismo\s+(?:importe|monto|cargo|cobro|pago|consumo)\b",
            r"\b(?:cobro|cargo|debito|pago|descuento)s?\s+(?:doble|duplicad\w*|repetid\w*)",
            r"\bduplic\w*",
            r"\bcobr\w*\s+(?:de\s+mas|doble|el\s+doble)\b",
            r"\bcobr\w*\s+mas\s+(?:de\s+lo\s+que|que\s+lo\s+que|caro\s+(?:de\s+lo|que))\b",
            # Charged again for what was paid: "me cobró 5000 de gastos, ya había pagado el envío".
            r"\bcobr\w*\b.{0,120}\bya\s+(?:lo\s+|la\s+)?(?:habia|habiamos|tenia|teniamos)\s+(?:pagad|abonad)\w*"
            r"|\bcobr\w*\b.{0,120}\bya\s+(?:estaba|estaban)\s+(?:pagad|abonad)\w*",
            r"\b(?:charged|billed)\s+twice\b|\bdouble\s+charg\w*|\bduplicate\s+charg\w*",
            r"\bcobrad[oa]\s+duas\s+vezes\b",
        ),
    ),
    (
        "cancellation",
        "reclamo",
        _any(
            r"(?<!\bse\s)\bcancel\w*",  # "antes de que se cancele el pedido" asks the terms
            r"\banul(?:ar|en|o|a|aron|acion|ame|amos)\w*\b",
            r"\bdar\s+de\s+baja\b",
            # "Me arrepentí de no llevarme nada" is no order, nor "preguntar antes que arrepentirme".
            r"(?<!\bantes\sque\s)(?<!\bantes\sde\s)(?<!\bsin\s)(?<!\bno\s)\barrepent\w*+(?!\s+de\s+no\b)",
            r"\b(?:dejar\w*|quede|queda)\s+sin\s+efecto\b",
            r"\bfren(?:ar|en|arlo|enlo|arla|enla|ame|amelo)\b",
            r"\bpreferiria\s+no\s+recibirl[oa]\b|\bya\s+no\s+(?:lo|la)\s+necesito\b",
            r"\bno\s+seguir\s+(?:adelante\s+)?con\s+(?:la|el|mi|esta|este)\s+(?:compra|pedido|orden)\b",
            r"\bya\s+no\s+(?:lo|la|los|las)\s+(?:quiero|necesito)\b",
            r"\bno\s+quiero\s+(?:mas\s+)?(?:el|la|mi)\s+(?:pedido|compra|orden)\b",
        ),
    ),
    (
        "address_change",
        "pedido",
        _any(
            # ("El cambio en la calle", "el dólar blue": money changed, not an address.)
            r"\b(?:cambi|modific|correg|actualiz|rectific)\w*+(?!\s+(?:en\s+la\s+calle|blue|oficial)\b)"
            r".{0,30}\b(?:direccion|domicilio|calle"
            r"|codigo\s+postal|destinatario|departamento|dpto|altura|numeracion)\b",
            r"\b(?:direccion|domicilio|calle|altura)\b.{0,120}\b(?:corregir|correg\w+|cambiar\w*)\b",
            r"\bla\s+(?:nueva\s+)?direccion\s+(?:seria|correcta\s+es|nueva\s+es)\b",
            r"\b(?:direccion|domicilio)\s+(?:equivocad|incorrect|erron|mal\b|viej|nuev|distint)\w*",
            r"\b(?:puse|escribi|cargue|ingrese|pusimos|anote)\s+mal\b",
            r"\bme\s+equivoque\b",
            # "Puso la dirección de su casa, pero las próximas semanas va a estar en lo de mi
            # hermana": the address the order carries is not where it should go.
            r"\b(?:puse|puso|pusimos|cargue|cargo|ingrese|ingreso|deje|dejo)\s+(?:la|mi|su)\s+direccion\b"
            r".{0,120}\b(?:pero|sin\s+querer|por\s+error)\b",
            # Moving house matters for an order on its way, not for the next one.
            # (In one sentence: "¿cuánto tarda un envío a CABA? Me mudé a Buenos Aires" asks
            # before buying.)
            r"\b(?:me\s+(?:mude|estoy\s+mudando)|mudanza)\b[^.?!\n]{0,60}\b(?:pedido|compra|orden|paquete"
            r"|envio)\b|\b(?:pedido|compra|orden|paquete|envio)\b[^.?!\n]{0,60}\b(?:me\s+(?:mude"
            r"|estoy\s+mudando)|mudanza)\b",
            r"\botr[oa]\s+(?:direccion|domicilio|lugar\s+de\s+entrega)\b|\blugar\s+de\s+entrega\b",
            r"\ben\s+(?:vez|lugar)\s+de\s+(?:la|mi|el)\s+(?:direccion|domicilio)\b",
            # "El paquete que compré, ¿me lo mandan a lo de mi hija en vez de a la mía?" (before
            # buying, "¿a la sucursal en vez de a mi casa?" asks how shipping works).
            r"\b(?:compre|pedi|pague)\b.{0,120}\ben\s+(?:vez|lugar)\s+de\s+(?:a\s+)?(?:la\s+mia|mi\s+casa"
            r"|mi\s+domicilio|mi\s+direccion)\b",
            # A parcel on its way sent elsewhere or held: "¿pueden hacer que lo desvíen a San Luis?".
            r"\b(?:que\s+)?(?:lo|la|los|las)\s+(?:desvien|redirijan|redireccionen|retenga|retengan)\b"
            r"|\b(?:desviar|redirigir|redireccionar|retener)\s+(?:el|mi)\s+(?:pedido|paquete|envio)\b",
            r"\b(?:change|update|correct)\s+(?:the|my)\s+(?:shipping\s+|delivery\s+)?address\b",
            r"\bwrong\s+address\b",
        ),
    ),
    (
        # An order already placed, changed: an item added, a size changed before it leaves.
        "order_change",
        "pedido",
        _any(
            r"\b(?:agreg|sum|anad)\w*\b.{0,60}\b(?:al|a\s+mi|a\s+la)\s+(?:mismo\s+)?"
            r"(?:pedido|compra|orden|envio|paquete)\b",
            r"\b(?:agreg|sum|anad)\w*\b.{0,80}\b(?:todo\s+junto|en\s+el\s+mismo\s+(?:envio|paquete))\b",
            r"\bme\s+olvide\s+de\s+(?:sumar|agregar|pedir|poner|incluir)\b",
            r"\b(?:cambi|modific|correg|corrij)\w*\b.{0,60}\bantes\s+de\s+(?:que\s+(?:me\s+)?(?:lo|la|los|las)?\s*"
            r"(?:despachen|manden|envien|salga)\b|(?:despach|mand|envi)ar(?:me|nos)?(?:lo|la|los|las)?\b)",
            r"\btendria\s+que\s+haber\s+(?:pedido|elegido|comprado|puesto)\b",
            # Another way to pay an order placed: "¿me pueden cambiar la forma de pago?".
            r"\b(?:cambi|modific)\w*\s+(?:la\s+|el\s+)?(?:forma|medio|metodo)\s+de\s+pago\b",
        ),
    ),
    (
        # An order overdue or lost: somebody has to look at it with the courier.
        "delivery_problem",
        "pedido",
        _any(
            r"\b(?:figura|aparece|dice|marca|sale|esta|puso)\s+(?:como\s+)?[\"'“”«]?\s*entregad[oa]s?\b",
            # ("nunca llego a los negocios abiertos" is the writer who never makes it.)
            r"\bnunca\s+(?:me\s+|nos\s+)?(?:llego|llegaron|recibi|recibimos)\b"
            r"(?!\s+a\s+(?:los|las|el|la|tiempo|horario)\b)",
            # ("¿Todavía llego?" asks whether the writer is still in time: "llego" needs a "no".)
            r"^(?=.*\b(?:(?:todavia|aun)\s+no|sigo\s+sin|seguimos\s+sin)\s+(?:me\s+|nos\s+)?"
            r"(?:llego|llegaron|llega|recibi|recibimos|recibir|nada)\b"
            r"|.*\bno\s+(?:me\s+|nos\s+)?(?:llego|llegaron|recibi|recibimos)\s+(?:ningun|ninguna|nada)\b"
            r"|.*\bno\s+(?:me\s+|nos\s+)?(?:llego|llegaron|recibi|recibimos)\s+(?:el|la)\s+(?:mail|correo|aviso"
            r"|codigo|numero|confirmacion)\b"
            r"|.*\bno\s+(?:tengo|tuve|tenemos)\s+(?:ninguna\s+)?(?:novedad\w*|noticias?)\b"
            r"|.*\bno\s+se\s+(?:movio|mueve|ha\s+movido)\b)"
            r"(?=.*\b(?<!fin\sde\s)(?:semanas?|mes|meses|(?:[5-9]|\d{2,})\s+dias)\b)"
            r"(?=.*\b(?:pedido|compra|paquete|envio|encomienda|cambi\w*|seguimiento|compre|pedi|pague|mande)\b)",
            r"\bno\s+(?:me\s+|nos\s+)?(?:llega|llego)\s+(?:hace|desde\s+hace)\s+(?:\w+\s+)?(?:semanas?|mes|meses)\b",
            # Paid days ago, and one word for what came since: "Pagué el 2/3. Hoy es 16/3. Nada."
            r"^(?=.*\b(?:pague|compre|transferi|abone)\s+hace\s+(?:(?:[5-9]|\d{2,})\s+dias|(?:\w+\s+)?semanas?"
            r"|(?:un|\w+)\s+mes(?:es)?)\b)(?=.*(?:^|[.!?]\s*)(?:y\s+)?nada\W*$)",
            r"\b(?:\d+|dos|tres|cuatro|varias|unas)\s+(?:semanas|meses)\s+(?:esperando|de\s+espera)\b"
            r"|\besperando\s+(?:hace|desde\s+hace)\s+(?:\w+\s+)?(?:semanas?|mes|meses)\b",
            r"\b(?:has|have|did|was)\s*n['’]?t\s+(?:received|arrived|come|got(?:ten)?|been\s+delivered)\b"
            r"|\bnever\s+(?:received|arrived|came|got)\b|\bnot\s+(?:yet\s+)?received\b"
            r"|\b(?:tracking|status)\b.{0,40}\b(?:has|have)\s*n['’]?t\s+(?:updated|moved|changed)\b",
            r"\b(?:nunca|no)\s+vino\s+nadie\b",
            # Left with somebody who says it never came: "el vecino dice que no recibió nada".
            r"\b(?:dice|dicen|dijo|dijeron)\s+que\s+no\s+(?:lo\s+|la\s+)?(?:recibio|recibieron)\b",
            # Nobody home, says the courier; left at another door.
            r"\b(?:dijo|dice|dicen|puso|pusieron|figura|aparece)\s+que\s+no\s+(?:habia|hay|estaba|encontro)\s+nadie\b"
            r"|\b(?:lo|la|los|las)\s+(?:dejaron|entregaron|dejo|entrego)\s+en\s+(?:otra|otro)\s+(?:casa|direccion"
            r"|domicilio|departamento|depto|piso|edificio|lado)\b",
            # A notice of delivery, and nothing came: "me llegó este aviso pero yo no recibí nada".
            r"\b(?:aviso|notificacion|mail|mensaje|entregad[oa])\b.{0,60}\bpero\s+(?:yo\s+)?no\s+"
            r"(?:recibi|recibimos|me\s+llego|nos\s+llego)\s+nada\b",
            r"\b(?:llego|llegue|llegaron)\s+(?:\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez)\s+dias\s+tarde\b",
            r"\b(?:semanas?|\d+\s+dias|dias)\s+sin\s+(?:movimiento|novedad|cambios)\b|\bcreo\s+que\s+se\s+(?:perdio|extravio)\b",
            r"\b(?:sigue|siguen)\s+sin\s+(?:llegar|aparecer|moverse|despachar|salir)\b|\btraspapel\w*",
            # Tracking that stopped: "el seguimiento está clavado en 'en planta' desde el 5/12".
            r"\b(?:seguimiento|paquete|pedido|envio|encomienda)\s+(?:\w+\s+){0,3}?(?:esta|sigue|quedo|figura)"
            r"\s+(?:clavad|trabad|estancad|frenad|parad|detenid)[oa]s?\b",
            # A pickup that was not there: "fui a retirar… y me dijeron que no lo encontraban".
            r"\b(?:fui|fuimos|pase|pasamos)\b.{0,60}\ba\s+(?:retirar|buscar)\b.{0,150}\b(?:no\s+(?:estaba|lo\s+encontra\w*"
            r"|la\s+encontra\w*|lo\s+tenian|la\s+tenian)|estaba\s+cerrado|me\s+dijeron\s+que\s+no)\b",
            # Still waiting for the parcel: "todavía estoy esperando el paquete".
            r"\b(?:todavia|aun|sigo|seguimos)\s+(?:estoy\s+|estamos\s+)?esperando\s+(?:el|mi|la|los|que\s+"
            r"(?:me\s+)?llegue)\s*(?:pedido|paquete|envio|compra|encomienda|cambio|llegue)?\b",
            r"\bseguimiento\b.{0,40}\bno\s+(?:se\s+)?(?:actualiz|mueve|muev|movio|avanz|cambi)\w*",
            # A tracking code the courier does not know, a week on (on the first days it may
            # not be loaded yet).
            r"^(?=.*(?:\bseguimiento\b.{0,40}\bno\s+(?:funciona|anda|existe|aparece|figura|sirve)\b"
            r"|\b(?:envio|codigo|numero|pieza)\s+inexistente\b|\bno\s+se\s+encontraron\s+resultados\b))"
            r"(?=.*\b(?:semanas?|mes|meses|(?:[5-9]|\d{2,}|cinco|seis|siete|ocho|nueve|diez|quince|veinte)\s+dias)\b)",
            # A status that has not moved: "dice 'en preparación' desde hace una semana", "está
            # quieto hace 9 días".
            r"\b(?:en\s+preparacion|en\s+transito|en\s+camino|en\s+distribucion|pendiente\s+de\s+envio"
            r"|quiet[oa]|parad[oa]|estancad[oa]|frenad[oa])"
            r"\W{0,3}\s+(?:desde\s+)?hace\s+(?:\w+\s+)?(?:semanas?|mes|meses|(?:[5-9]|\d{2,})\s+dias)\b"
            r"|\b(?:esta|sigue|figura)\s+igual\W{0,3}\s+desde\s+hace\s+(?:\w+\s+)?(?:semanas?|mes|meses"
            r"|(?:[5-9]|\d{2,})\s+dias)\b",
            # Standing at a branch for days: "figura hace cinco días en una sucursal de Bahía Blanca".
            r"\b(?:figura|esta|aparece|sigue)\s+(?:desde\s+)?hace\s+(?:\w+\s+)?(?:semanas?|mes|meses|(?:[5-9]|\d{2}"
            r"|cinco|seis|siete|ocho|nueve|diez)\s+dias)\s+en\s+(?:una|la|el)\s+(?:sucursal|centro|planta"
            r"|deposito)\b",
            # Left somewhere, says the courier: "dice que lo dejó en portería" (and there is none).
            r"\b(?:dice|dicen|figura|aparece|marca|puso|pusieron)\s+que\s+(?:lo|la|los|las)\s+(?:dejo|dejaron"
            r"|entrego|entregaron|recibio|recibieron)\b",
            r"\bdevuelt[oa]\s+al\s+remitente\b|\breturned\s+to\s+sender\b"
            r"|\b(?:lo|la|los|las)\s+(?:habian\s+|han\s+|habrian\s+)?devuelto\s+a\s+(?:ustedes|origen|la\s+tienda)\b"
            r"|\b(?:volvio|regreso|vuelve)\s+al\s+remitente\b",
            # "¿Qué pasó con mi pedido?": something went wrong, somebody has to look.
            r"\bque\s+paso\s+con\s+(?:mi|el|nuestro)\s+(?:pedido|compra|paquete|envio|cambio)\b",
            # A garment sent back for an exchange, and nothing since.
            r"^(?=.*\b(?:mande|mandamos|envie|enviamos|devolvi|despache)\b.{0,80}\bcambi\w*)"
            r"(?=.*\b(?:no\s+(?:tengo|tuve|hay|se|supe)\s+(?:mas\s+)?(?:nada|novedad\w*|noticias?)"
            r"|ni\s+(?:tengo\s+)?novedad\w*|no\s+(?:me\s+)?llego"
            r"|no\s+(?:me\s+)?(?:han\s+)?(?:dicho|dijeron|avisado|avisaron|respondido|respondieron"
            r"|contestado|contestaron|escrito|escribieron)\s+nada)\b)",
            r"^(?=.*\b(?:paso|pasaron|hace)\s+(?:casi\s+|mas\s+de\s+)?(?:un|una|\d+|dos|tres)\s+(?:mes|meses"
            r"|semanas?)\b)(?=.*\bno\s+(?:me\s+)?(?:llego|llegaron|recibi)\b)"
            r"(?=.*\b(?:pedido|compra|cambio|paquete|envio|seguimiento|encomienda)\b)",
            # Silence about an order or an exchange for weeks.
            r"^(?=.*\b(?:no\s+(?:tengo|tuve|hay)|sin|ni)\s+(?:ninguna\s+)?(?:noticias?|novedad(?:es)?)\b)"
            r"(?=.*\b(?:semanas?|mes|meses|\d{2,}\s+dias)\b)",
            r"\ben\s+transito\W{0,3}\s+desde\s+hace\s+(?:\w+\s+)?(?:semanas?|mes|meses)\b",
            # A parcel the courier reports lost or damaged: "figura como siniestrado".
            r"\bsiniestrad[oa]s?\b",
            r"\b(?:se\s+)?(?:perdio|extravio|perdieron|extraviaron)\s+(?:mi|el|la)\s+(?:pedido"
            r"|paquete|envio|compra|encomienda)\b",
            # The day it was for gone by, and the parcel still on its way: "ya pasó el día del
            # padre y el regalo sigue 'en camino'".
            r"^(?=.*\bya\s+(?:paso|pasaron)\s+(?:el|la|los|las)\s+(?:dia|fecha|cumple\w*|navidad|reyes"
            r"|fiesta\w*|casamiento|evento)\b)(?=.*\b(?:(?:sigue|siguen)\s+\W{0,2}(?:en\s+camino|en\s+transito"
            r"|en\s+preparacion|sin\s+llegar)|(?:todavia\s+|aun\s+)?no\s+(?:me\s+)?(?:llego|llegaron|llega))\b)",
            # Still "en preparación": "el pedido sigue en preparación", "… desde el martes".
            r"\b(?:sigue|siguen)\s+(?:figurando\s+|apareciendo\s+|como\s+)?\W{0,2}en\s+preparacion\b"
            r"|^(?=.*\b(?:todavia|aun)\s+(?:figura|figuran|esta|estan|aparece|aparecen|dice)\s+(?:como\s+)?\W{0,2}"
            r"en\s+preparacion\b)(?=.*\b(?:semanas?|mes|meses|(?:[5-9]|\d{2,})\s+dias)\b)"
            r"|\ben\s+preparacion\W{0,3}\s+desde\s+(?:el\s+\w+\s+pasado|la\s+semana\s+pasada)\b",
            # Weeks since paying, and still nothing: "ya van dos semanas desde que pagué".
            r"^(?=.*\b(?:van|pasaron|hace)\s+(?:\w+\s+)?(?:semanas|semanitas|mes|meses)\s+(?:desde\s+)?que\s+"
            r"(?:pague|compre|hice|abone)\b)(?=.*\b(?:todavia|aun|sigo|sin|no)\b)",
            r"^(?=.*\bno\s+(?:he|hemos)\s+recibido\s+(?:el|la|los|las|mi|mis|nuestro|nuestra|ningun|nada)\b"
            r"(?!\s+(?:respuesta|contestacion)\b))(?=.*\b(?:semanas?|mes|meses|\d{2,}\s+dias)\b)",
            # ("Ya no sé nada de mi cuerpo" is no silence of ours.)
            r"\b(?:no\s+(?:supe|supimos|se|sabemos)|sin\s+saber)\s+(?:mas\s+)?nada\b(?!\s+de\s+(?:mi|mis|la|el|los"
            r"|las)\s+(?!pedido|compra|paquete|envio|cambio|orden|plata|dinero|devolucion)\w+).{0,40}$"
            r"|\bdesde\s+(?:ahi|entonces)\s+no\s+(?:supe|supimos|se|sabemos)\b",
        ),
    ),
    (
        # Money taken, and the order does not show it.
        "payment_problem",
        "pagos",
        _any(
            r"\bme\s+(?:debitaron|descontaron|cobraron)\b.{0,80}\b(?:pendiente|(?:no|ni)\s+figura|(?:no|ni)\s+aparece"
            r"|impag\w*|sin\s+confirmar|no\s+se\s+acredit\w*)",
            r"\bsigue\s+(?:(?:apareciendo|figurando|diciendo|estando|saliendo)\s+)?(?:como\s+)?\W{0,2}pendiente"
            r"\b",
            r"\b(?:pague|pagamos|transferi|abone|hice\s+(?:una|la)\s+transferencia)\b.{0,80}"
            r"\b(?:pendiente\s+de\s+pago|no\s+figura"
            r"|no\s+aparece|impag\w*|sin\s+confirmar|no\s+se\s+acredit\w*)",
            r"\brechazad[oa]\b.{0,120}\b(?:debitaron|descontaron|cobraron)\b"
            r"|\brechazad[oa]\b.{0,120}\b(?:figura|aparece|veo)\s+(?:el\s+)?(?:debito|cobro|cargo|descuento)\b",
            r"\b(?:me\s+)?(?:debito|debitaron|cobro|cobraron|desconto|descontaron)\b.{0,120}\b(?:no\s+figura|no\s+aparece"
            r"|no\s+me\s+llego\s+ningun\s+mail)\b",
            # A charge on the statement for nothing bought.
            r"\b(?:cargo|cobro|debito|consumo)\b.{0,40}\bque\s+no\s+reconozco\b|\bno\s+reconozco\s+(?:el|este|un|ese)"
            r"\s+(?:cargo|cobro|debito|consumo)\b|\b(?:aparece|figura)\s+un\s+(?:cargo|cobro|debito)\b.{0,120}\bno\s+hice"
            r"\s+(?:ninguna|ningun)\s+(?:compra|pedido)\b",
            # A charge or an order the writer never made: "me aparece un cargo de ustedes y nunca
            # compré", "me llegó la confirmación de un pedido que no hice".
            r"^(?=.*\b(?:cargo|cobro|cobraron|cobrado|debito|consumo|resumen|confirmando|confirmacion)\b)"
            r"(?=.*\b(?:no\s+hice\s+(?:ninguna|ningun|esa|ese|esta|este)\s+(?:compra|pedido)|nunca\s+(?:les\s+compre"
            r"|compre\s+(?:en\s+(?:la\s+tienda|su\s+tienda|la\s+pagina|ustedes)|nada))|no\s+recuerdo\s+haber"
            r"\s+(?:comprado|hecho|pedido)|(?<!\bdesde\sque\s)me\s+(?:clonaron|habran\s+clonado)|usaron\s+mis\s+datos)\b)",
            # Charged, and the writer asks whether it was a mistake: "¿puede ser un error?".
            r"\bcobr(?:aron|o|ado)\b.{0,120}\berror\b",
            # Paid, and the order cancelled.
            r"\b(?:pague|transferi|abone|hice\s+la\s+transferencia)\b.{0,120}\b(?:se\s+cancelo|cancelaron"
            r"|se\s+anulo|anularon)\b",
            # Charged with no order to show for it.
            r"\b(?:pague|pagamos|transferi|abone|hice\s+(?:una|la)\s+transferencia)\b.{0,120}\bno\s+(?:me\s+)?"
            r"(?:llego|recibi|tengo)\s+(?:ningun|ninguna"
            r"|el|la)\s+(?:mail\s+de\s+confirmacion|correo\s+de\s+confirmacion|confirmacion|numero\s+de\s+pedido)\b",
            r"\bque\s+(?:paso|pasa)\s+con\s+(?:mi|la|el)\s+(?:plata|dinero|pago|cobro)\b",
            # A discount shown and not charged: "figuraba el 15% y me cobraron el total".
            r"\b(?:cupon|codigo|descuento)\b.{0,150}\bcobr\w*\s+(?:el\s+)?(?:total|precio\s+(?:completo|lleno|entero)"
            r"|todo|sin\s+(?:el\s+)?descuento)\b"
            r"|\bno\s+(?:se\s+|me\s+)?(?:aplico|desconto|hizo|tomo)\s+(?:el\s+)?(?:cupon|descuento|codigo)\b",
            r"\bdonde\s+esta\s+(?:mi|la)\s+(?:plata|dinero)\b",
            r"\b(?:debitaron|descontaron|cobraron)\b.{0,80}\bno\s+(?:me\s+)?(?:llego|llegaron|recibi)\s+"
            r"(?:ningun|ninguna|nada|ni)\b",
            r"\b(?:error|fallo|no\s+se\s+completo)\b.{0,120}\b(?:figura|aparece|veo)\s+(?:el\s+)?(?:cobro"
            r"|cargo|debito|descuento)\b",
        ),
    ),
    (
        "faulty_item",
        "reclamo",
        _any(
            r"\bfallad[oa]s?\b|\bfalla\b|\bfallas\b",
            r"\bdefect\w*",
            r"(?<!\bblanco\s)\brot[oa]s?\b|\brompi\w*",  # ("blanco roto" is a colour)
            r"\bdescos\w*|\bdescoc\w*|\bdesarm\w*|\bdeshilach\w*",
            # A garment that smells, or lacks a part: "vino con olor a humedad", "le falta un botón".
            r"\b(?:vino|vinieron|llego|llegaron|tiene|tienen|con)\s+(?:un\s+)?(?:olor|olorcito)\s+(?:a\s+\w+|raro|feo"
            r"|fuerte|horrible)\b",
            r"\b(?:le|les)\s+falta(?:ba|n|ban)?\s+(?:un|una|el|la|los|las|dos)\s+(?:botones|boton|broches?|cierres?"
            r"|hebillas?|cordon(?:es)?|tiras?|mangas?)\b",
            r"(?<!\bno\s)\bse\s+(?:le\s+|les\s+)?(?:abrio|rompio|despego|destino|solto|corrio|achico|encogio|decoloro|estiro"
            r"|deformo|deformaron)\b",
            r"\bcostura\s+(?:abierta|suelta|rota|salida)",
            r"\bcosturas?\b.{0,50}\b(?:vien\w*|esta|estan|quedo|llego)\s+(?:un\s+)?(?:poco\s+|poquito\s+)?"
            r"(?:medio\s+|algo\s+|bastante\s+)?(?:abiert|suelt|rot|descosid)[oa]s?\b",
            r"\bcosturas?\s+(?:de|del)\s+(?:la\s+|el\s+)?\w+\s+(?:abiert|suelt|rot|descosid|salid)[oa]s?\b",
            r"\b(?:suelta|suelte|sueltan|pierde|pierden)\s+(?:tantas\s+|muchas\s+)?plum\w*",
            r"\bmanch\w*",
            r"\b(?:cierre|boton|broche|abrojo)\b.{0,60}\btrab(?:ad[oa]s?|a|an|o|e|en|ando)\b",
            # ("largo color arena" is a long dress's colour: the verb is not followed by a colour.)
            rf"\blarg(?:o|a|aron|an)\s+(?:color|tintura|tinta)\b(?!\s+(?:{COLOR_NAMES}|arena|crudo|natural"
            r"|camel|nude|chocolate|tostado|oliva|khaki|caqui|militar|mostaza|salmon|coral))|\bdespint\w*",
            r"\bagujer\w*",
            r"\bhilo\s+(?:salido|suelto)",
            r"\bdesten\w*|\bdestin(?:e|io|ida|ido)\b|\bdecolor\w*",
            r"\b(?:hizo|hicieron|tiene|salieron|salen)\s+(?:pelotitas|bolitas|pelusa)\b"
            r"|\bllen[oa]s?\s+de\s+(?:pelotitas|bolitas|pelusa)\b",
            # Washed, and another colour since: "después del segundo lavado quedó gris".
            rf"\blavad[oa]s?\b.{{0,60}}\b(?:quedo|quedaron)\s+(?:todo\s+|toda\s+|medio\s+|re\s+|mas\s+)?"
            rf"(?:{COLOR_NAMES}|gastad[oa]s?|percudid[oa]s?|opac[oa]s?|apagad[oa]s?|palid[oa]s?)\b",
            # (Not a cut in the power, the water or the line: "se cortó la luz".)
            r"\bse\s+(?:le\s+)?(?:salio|salieron|cayo|cayeron|corto|cuarteo|pelo)\s+(?:un|una|el|la|los|las)\b"
            r"(?!\s+(?:luz|agua|internet|wifi|senal|gas|electricidad|corriente|conexion|llamada|linea)\b)",
            r"\bcuarte(?!l(?:es)?\b)\w*|\bno\s+(?:funciona|anda|cierra|sube|baja)\s+(?:el|la)\s+(?:cierre|boton|broche)\b",
            r"\bfallad\w*|\b(?:llego|recibi|vino)\b.{0,120}\b(?:se\s+transparenta\w*|transparente)\b",
            r"\b(?:cierre|boton|broche)\s+no\s+(?:engancha|funciona|anda|cierra|sube|baja|prende)\w*"
            r"|\bse\s+abre\s+sol[oa]\b",
            r"\bdanad[oa]s?\b",
            r"\b(?:lave|lavamos|lavo)\b.{0,100}\b(?:quedo|quedaron)\s+(?:asi|horrible|arruinad\w*|destenid\w*"
            r"|achicad\w*|encogid\w*|deformad\w*|(?:\w+\s+)?(?:talles?\s+|tallas?\s+|numeros?\s+)?mas\s+chic[oa]s?)",
            r"\bse\s+(?:le\s+|les\s+)?(?:esta|estan)\s+(?:pelando|despegando|rompiendo|descosiendo|deshilachando"
            r"|destinendo|saliendo|abriendo)\b",
            r"\b(?:llego|llegaron|vino|vinieron)\s+(?:mal|abiert[oa]|mojad[oa]|sucio|sucia|usad[oa])\b",
            r"\b(?:paquete|caja|bolsa|sobre)\b.{0,40}\b(?:abiert[oa]|violad[oa]|despegad[oa])\b",
            r"\b(?:damaged|broken|defective|faulty|torn|ripped|stained|stains?|holes?)\b",
            # (Portuguese "quebrado" is broken; "la Quebrada" is a place.)
            r"\b(?:com\s+)?defeito\b|(?<!\bla\s)\bquebrad[oa]\b|\brasgad[oa]\b",
        ),
    ),
    (
        "wrong_item",
        "reclamo",
        _any(
            # ("me llegó el jueves, la quiero en otro color" wants an exchange.)
            # (In one sentence: "¿puedo ir mañana? La otra vez…" is another thing; "si llego o me
            # busco otra cosa" is the writer making it in time.)
            r"(?<!\bsi\s)\b(?:llego|llegaron|vino|vinieron|mandaron|enviaron|entregaron|recibi|despacharon)\b"
            r"(?:(?!\bquiero\b|\bquisiera\b|\bprefiero\b|\bgustaria\b|\bcambiar)[^.?!]){0,40}"
            r"\b(?:otr[oa]s?|equivocad\w*|incorrect\w*|distint\w*|cambiad\w*)\b",
            r"\b(?:pedi|compre|encargue|elegi)\b.{0,80}\by\s+(?:me\s+)?(?:llegaron|vinieron|mandaron|enviaron)\s+"
            r"(?:dos|tres|cuatro|\d)\s+\w+",
            # ("dónde lo había comprado" asks somebody else; "ya les había comprado en 2024" and
            # "quiero ver qué había comprado" tell the past.)
            r"(?<!\blo\s)(?<!\bla\s)(?<!\blos\s)(?<!\blas\s)(?<!\bya\s)(?<!\bya\sles\s)(?<!\bver\sque\s)(?<!\bsaber\sque\s)"
            r"\b(?:yo\s+)?(?:habia|habiamos)\s+(?:pedido|comprado|elegido|encargado)\b",
            r"\bno\s+(?:es|era|son|eran)\s+(?:lo|el|la|los|las)\s+(?:que\s+)?(?:pedi|compre|encargue"
            r"|elegi)\b",
            r"\bque\s+(?:yo\s+)?no\s+(?:pedi|compre|encargue|elegi|ordene)\b",
            r"\b(?:paquete|pedido|caja)\s+que\s+no\s+es\s+mio\b|\ba\s+nombre\s+de\s+otra\s+persona\b"
            r"|\btiene\s+el\s+nombre\s+de\s+otra\s+persona\b",
            r"\b(?:llego|vino|mandaron|enviaron|recibi)\b.{0,40}\ben\s+(?:vez|lugar)\s+de\b",
            # One size or colour ordered, another came: "pedí la azul y me llegó la roja".
            rf"\b(?:pedi|compre|encargue|elegi)\s+{_SIZE_OR_COLOR}.{{0,30}}\by\s+(?:me\s+)?(?:llego|vino"
            rf"|mandaron|enviaron|trajeron)\s+{_SIZE_OR_COLOR}",
            rf"\b(?:llego|vino|mandaron|enviaron|trajeron)\s+{_SIZE_OR_COLOR}.{{0,30}}\by\s+(?:yo\s+)?"
            rf"(?:(?:la|lo|las|los)\s+)?(?:pedi|compre|encargue|elegi|habia\s+(?:pedido|comprado|elegido))\s+"
            rf"{_SIZE_OR_COLOR}",
            # Another than the one ordered, in a sentence of its own: "Es otro color del que pedí."
            r"\botr[oa]s?\s+(?:color|talle|modelo|tono)\b[^.?!]{0,20}\b(?:que|del|de\s+la|al)\s+(?:que\s+)?"
            r"(?:pedi|compre|elegi|encargue)\b",
            r"\bveio\s+errad[oa]\b|\berrad[oa]s?\b",
            r"\bequivocad[oa]s?\b",
            r"\bmal\s+(?:etiquetad|rotulad|talliad)\w*",
            r"\bincorrect[oa]s?\b",
            r"\bfalta(?:ba|n|ban)?\s+(?:una|un|el|la|algo|una\s+prenda|un\s+producto)\b.{0,30}"
            r"\b(?:paquete|caja|pedido|bolsa|envio|compra)\b",
            r"\bincomplet[oa]s?\b",
            # A part that did not come with it: "el vestido vino sin el cinto".
            r"\b(?:vino|vinieron|llego|llegaron)\s+sin\s+(?:el|la|los|las|su|sus)\s+(?!(?:mismo|misma)\b)[a-z]+",
            r"\b(?:llego|llegaron|recibi|vino|vinieron|cuento)\b.{0,150}\bfalt(?:a|aba|aban|aria|an|arian|o|aron)\s+(?:el|la|los|las"
            r"|un|una)\b",
            r"\bfalt(?:o|aron)\s+(?:el|la|los|las|un|una|uno|algo|una\s+prenda|un\s+producto)\b",
            # Fewer came: "faltan 3 buzos talle M" (not "faltan 3 días").
            r"\bfalta(?:n|ban|ron)?\s+(?:\d{1,3}|dos|tres|cuatro|cinco|seis)\s+(?!(?:dias|semanas|meses|horas"
            r"|minutos|anos|cuotas|kilos|kg|cm|centimetros|pesos|mil)\b)[a-z]+",
            r"(?<!\bno\s)(?<!\bno\sme\s)\b(?:vino|vinieron|llego|llegaron|recibi)\s+(?:solo|solamente"
            r"|nada\s+mas)\b",
            r"\b(?:habia|venia|vino|llego|trajo)\s+(?:una?\s+)?(?:sola|solo|solamente)\b",
            r"\ben\s+(?:el\s+paquete|la\s+caja|la\s+bolsa|el\s+envio)\s+no\s+(?:venia|vino|estaba|esta|estan"
            r"|habia|llego)\b"
            r"|\bquedo\s+afuera\b",
            r"\b(?:recibi|llego|llegaron|vino)\s+(?:solo\s+|solamente\s+)?(?:una\s+parte|parte\s+del"
            r"|la\s+mitad)\b",
            r"\b(?:vinieron|llegaron|venian)\b.{0,60}\bpero\s+no\s+(?:encontre|estaba|vino|venia|llego)\b",
            r"\b(?:vinieron|llegaron|venian|vino|llego)\b.{0,60}\bpero\s+no\s+(?:el|la|los|las)\s+\w+\s*(?:[.,;!?]|$)",
            # Fewer came than were ordered: "pedí 3 cosas y llegaron 2", "vinieron 2 y pedí 3".
            r"\b(?:vinieron|llegaron|recibi)\s+(?:\d|dos|tres|cuatro)\s+(?:cosas|prendas|productos"
            r"|articulos)\b.{0,20}\b(?:pedi|compre|encargue)\s+(?:\d|dos|tres|cuatro|cinco|seis)\b",
            r"\b(?:pedi|compre|encargue)\s+(?:\d|dos|tres|cuatro|cinco|seis)\s+(?:cosas|prendas|productos"
            r"|articulos|items)\b.{0,30}\b(?:llegaron|vinieron|recibi|llego|vino)\s+(?:\d|una?|dos|tres"
            r"|cuatro|cinco|solo|solamente)\b",
            # What came is not what was chosen: "elegí talle M y la etiqueta dice S".
            r"\b(?:elegi|pedi|compre)\b.{0,40}\btalle\s+\w+\b.{0,80}\b(?:dice|llego|vino|mandaron)\b",
            r"\bno\s+(?:el|la)\s+(?:\w+\s+)?que\s+(?:habiamos\s+hablado|pedi|elegi|compre|encargue)\b",
            # "Pedí un 40 y me volvió a llegar un 38": a size or another article in its place.
            r"\b(?:pedi|compre|encargue|elegi)\b.{0,60}\by\s+(?:me\s+)?(?:volvio\s+a\s+)?(?:llegar|llego"
            r"|vino|mandaron|enviaron)\s+(?:un|una|el|la)\s+"
            rf"(?:\d{{1,2}}\b(?!\s+de\s+(?:{MONTHS})\b)|talle|xxs|xs|s|m|l|xl|xxl)\b",
            r"\bwrong\s+(?:size|item|colou?r|product|order)\b|\bnot\s+what\s+i\s+ordered\b",
        ),
    ),
    (
        # What came does not look like the photos: "el color es más claro que en la foto".
        "not_as_shown",
        "reclamo",
        _any(
            r"\b(?:mas\s+(?:clar|oscur|apagad|brillant)[oa]|distint[oa]|diferente)\s+(?:que|a|al\s+de|de\s+lo\s+que"
            r"\s+se\s+ve)\s+(?:(?:la|el|los|las)\s+de\s+)?(?:en\s+)?(?:la|las)\s+fotos?\b",
            r"\b(?:casi\s+)?parece\s+(?:de\s+)?otro\s+(?:color|tono|modelo)\b",
            r"\ben\s+(?:la|las)\s+fotos?\s+(?:parecia|se\s+veia)\b|\ben\s+la\s+web\s+parecia\b",
            r"\bmas\s+\w+\s+que\s+en\s+(?:la|las)\s+fotos?\b",
            r"\bno\s+es\s+(?:del|el)\s+(?:color|tono|largo)\s+que\s+(?:se\s+veia|mostraba|figuraba|aparecia"
            r"|salia)\b",
            r"\bno\s+es\s+(?:el\s+)?mism[oa]\s+que\s+(?:el\s+de\s+|la\s+de\s+)?(?:la|las)\s+fotos?\b",
            r"\b(?:color|tono|largo|tela)\s+no\s+es\s+(?:el|la)\s+de\s+(?:la|las)\s+fotos?\b",
            # A size that came as another: "compré la L de siempre y vino como una M".
            r"\b(?:vino|vinieron|llego|llegaron|viene|vienen)\s+como\s+(?:una?\s+)?(?:talle\s+)?(?:xxs|xs|s|m|l"
            r"|xl|xxl|\d{2})\b",
        ),
    ),
    (
        "legal",
        "reclamo",
        _any(
            r"\bdefensa\s+(?:del|al|de\s+los)\s+consumidor",
            # "mi abogado", "un abogado": a signature's "Estudio Pérez - Abogados" threatens nobody.
            r"\b(?:mi|mis|un|una|unos|nuestr[oa]s?|el|los|al|del)\s+(?:abogad|advogad)\w*",
            r"\bdenunci\w*",
            r"\bdemandar\w*|\buna\s+demanda\b|\bdemanda\s+(?:judicial|legal)\b",
            r"\bcarta\s+documento\b",
            # The courts as a step taken ("iniciar acciones por la vía judicial", "nos vemos en
            # tribunales"), not as where one works ("el Poder Judicial", "compromisos en
            # tribunales") or a name ("la Primera Circunscripción Judicial").
            r"\b(?:via|accion|acciones|instancia|reclamo|demanda|denuncia|medidas?|proceso|sede)"
            r"\s+judicial(?:es)?\b|\bjudicialmente\b|\bjudicializ\w*|\bjuicio\b"
            r"|\b(?:a|ante|vemos\s+en)\s+(?:los\s+)?tribunal\w*|\bmediacion\b",
            r"\bcoprec\b|\bventanilla\s+federal\b|\bley\s+(?:de\s+defensa|24\.?240)\b",
            r"\bestaf\w*|\bfraude\w*|\bpolicia\b",
            r"\bacciones?\s+legal\w*|\bmedidas\s+legales\b|\bvia\s+legal\b|\blegalmente\b",
            r"\blawyer\b|\blegal\s+action\b|\bsue\b|\bscam\w*|\bfraud\w*",
            r"\bprocon\b",
        ),
    ),
    (
        # Something came and the customer asks how it gets fixed, without naming what is wrong:
        # "El jean que me llegó tiene algo raro en la costura. ¿Cómo seguimos?"
        "problem_with_order",
        "reclamo",
        _any(
            r"\b(?:llego|llegaron|recibi|me\s+mandaron|me\s+enviaron|vino|vinieron|me\s+entregaron)\b"
            r".{0,200}\b(?:como\s+(?:seguimos|hacemos|procedemos|lo\s+solucionamos|lo\s+resolvemos"
            r"|lo\s+solucionan|lo\s+resuelven)|que\s+(?:alternativas?\s+)?(?:me\s+|nos\s+)?(?:pueden|podrian)"
            r"\s+ofrecer"
            r"|que\s+solucion\w*|(?:pueden|podrian)\s+revisarlo)\b",
        ),
    ),
    (
        # Their data erased or their account closed: a person answers for that.
        "privacy",
        "otro",
        _any(
            r"\b(?:eliminen|borren|supriman|elimine|borre|eliminar|borrar|suprimir|den\s+de\s+baja|dar\s+de\s+baja)"
            r"\s+(?:toda\s+)?(?:mi|mis|todos\s+mis)\s+(?:cuenta|datos|informacion|usuario)\b",
            r"\bmis\s+datos\s+personales\b.{0,60}\b(?:elimin|borr|supri)\w*"
            r"|\b(?:elimin|borr|supri)\w*\b.{0,60}\bmis\s+datos\s+personales\b",
            r"\b(?:delete|erase|remove)\s+(?:my|all\s+my)\s+(?:data|account|personal)\b",
        ),
    ),
    (
        "wants_person",
        "otro",
        _any(
            r"\bhablar\s+con\s+(?:una\s+persona|alguien|un\s+humano|una\s+humana|un\s+ser\s+humano"
            r"|un\s+operador|una\s+operadora|un\s+asesor|una\s+asesora|el\s+encargado|la\s+encargada"
            r"|el\s+dueno|la\s+duena|un\s+responsable|un\s+representante|un\s+vendedor"
            r"|una\s+vendedora|atencion|un\s+supervisor|una\s+supervisora|un\s+gerente)",
            r"\batencion\s+(?:humana|personalizada|personal)\b",
            r"\bpersona\s+real\b|\bun\s+humano\b|\bser\s+humano\b",
            r"\b(?:atienda|atender|atiende|responda|conteste|hable)\s+(?:una\s+persona|alguien)\b",
            # ("no siempre hay alguien en la recepción" is somebody else's door.)
            r"\b(?:alguien|persona)\s+de\s+verdad\b|\bpas(?:ame|enme|arme)\s+con\b",
            r"\bhay\s+alguien\s*(?:\?|ahi\b|que\s+(?:lea|responda|conteste|atienda|me)\b)",
            r"\bhabl(?:o|e|emos|ar)\s+con\s+(?:alguien|una\s+persona)\b",
            r"\b(?:tienen|tenes|hay|pas(?:ame|enme|en|an)|me\s+pasan|dame|denme)\s+(?:un\s+|algun\s+)?"
            r"(?:whatsapp|wsp|wpp|telefono|numero\s+de\s+(?:telefono|whatsapp|celular)|celular)\b",
            r"\bpas(?:ame|enme)\s+(?:un|el|su)\s+numero\b",
            r"\b(?:telefono|numero|whatsapp|celular)\s+para\s+(?:llamar|comunicarme|hablar|contactar)\w*",
            r"\bno\s+(?:con\s+)?(?:un\s+)?(?:robot|bot|contestador|maquina)\b|\bsos\s+un\s+(?:robot|bot)\b",
            # ("¿Tengo que llamar al correo?" would call the courier, not the shop.)
            r"\b(?:me\s+)?(?:llamen|llamenme|llame|llamar|llamarme|llamame)\s+(?:al|a\s+mi|por)\b"
            r"(?!\s+(?:correo|banco|transporte|expreso|andreani|oca)\b)",
            r"\bllam(?:enme|eme|ame)\b|\bque\s+me\s+llamen\b",
            r"\bme\s+(?:llamara|llamaran|llamaria|llamarian|puedan\s+llamar|podrian\s+llamar"
            r"|pueden\s+llamar)\b",
            r"\bhablarlo\s+con\s+(?:alguien|una\s+persona)\b",
            # "que alguien del equipo se comunique conmigo por teléfono".
            r"\b(?:alguien|una\s+persona)\b.{0,40}\b(?:se\s+(?:comunique|contacte|ponga\s+en\s+contacto)"
            r"|me\s+(?:contacte|llame|escriba))\b",
            r"\b(?:hablar|conversar|charlar)(?:lo|la)?\s+(?:con\s+\w+\s+)?personalmente\b"
            r"|\b(?:conversarlo|charlarlo)\s+con\b",
            r"\bpasar(?:me|nos)?\s+(?:un|el|su)\s+(?:telefono|numero|whatsapp|celular)\b",
            r"\bpasar(?:me|nos)?\s+con\s+(?:la\s+duena|el\s+dueno|el\s+encargado|la\s+encargada"
            r"|alguien\s+que\s+decida)\b|\bhablar\s+directamente\s+con\b|\bver\s+con\s+alguien\b",
            r"\bpasar(?:me)?\s+con\s+(?:alguien|una\s+persona|un\s+humano|otra\s+persona)\b",
            r"\bhablar\s+por\s+telefono\b|\bhablar\w*\s+por\s+telefono\s+con\b",
            # An exception to the terms is a person's decision.
            r"\b(?:una|alguna)\s+excepcion\b",
            r"\b(?:speak|talk)\s+(?:to|with)\s+(?:a\s+|an\s+|someone|somebody)?\s*(?:human|person"
            r"|real|agent|representative|manager)?",
            r"\breal\s+person\b|\bhuman\s+being\b",
            r"\bfalar\s+com\s+(?:uma\s+pessoa|alguem|um\s+atendente|um\s+humano)",
        ),
    ),
    (
        "insult",
        "reclamo",
        _any(
            # "forro" is the lining of a garment too: an insult only when said of somebody.
            r"\b(?:sos|son|eres|sois|que|unos|unas|manga\s+de)\s+(?:un\s+|una\s+)?forr[oa]s?\b",
            r"\b(?:boludo|boludos|boluda|pelotud\w*|chorr[oa]s?|chant[ae]s?"
            r"|ladron\w*|garca\w*|mierda\w*|carajo|concha|puta|puto|putos|hdp|idiota\w*|imbecil\w*"
            r"|inutil\w*|sinverguenza\w*|tarad[oa]s?|estupid[oa]s?|(?<!\bla\s)basura|verga|cagad[oa]s?"
            r"|caradura\w*|delincuente\w*|rata|ratas|truch[oa]s?|vendehumo\w*)\b",
            r"\bhij[oa]s?\s+de\s+puta\b",
            r"\b(?:fuck\w*|shit\w*|bullshit|asshole\w*|idiots?)\b",
        ),
    ),
    (
        "anger",
        "reclamo",
        _any(
            # ("ya me da vergüenza" is the writer's own embarrassment.)
            r"(?<!\bda\s)(?<!\bdaba\s)(?<!\bdio\s)\bverguenza\b|\bvergonzos[oa]\b",
            r"\bun\s+desastre\b|\bdesastros[oa]s?\b",
            r"\bpesim[oa]s?\b|\bnefast[oa]s?\b|\blamentables?\b|\bhorrible\w*|\bespantos[oa]\b",
            r"\bindignad[oa]s?\b|\bindignante\b",
            # ("voy harto a Mendoza" is Chilean for "often").
            r"\b(?:estoy|estamos|ya|me\s+tienen|nos\s+tienen|me\s+tiene|quede)\s+(?:re\s+|muy\s+|bastante\s+)?"
            r"hart[oa]s?\b|\bhart[oa]s?\s+de\b|\bpodrid[oa]s?\b|\bfurios[oa]s?\b|\benojad[oa]s?\b"
            # ("Cansada de entrar a páginas donde el talle más grande es un 44": of other shops.)
            r"|\bcansad[oa]s?\b(?!\s+de\s+(?:entrar|buscar|ver|probar|recorrer|no\s+encontrar|no\s+entrar"
            r"|que\s+(?:las|los)\s+(?:marcas|tiendas|negocios|paginas)))",
            r"\binadmisible\b|\binaceptable\b|\bintolerable\b|\babuso\b|\bburla\b|\bfalta\s+de\s+respeto\b",
            r"\bdecepcion\w*|\bdefraudad[oa]s?\b|\bdisconform\w*|\bno\s+estoy\s+conforme\b",
            r"\b(?:mal|mala|malisim[oa]|horrible|pesim[oa]|terrible)\s+(?:servicio|atencion"
            r"|experiencia|trato|calidad)\b",
            r"\bnadie\s+(?:me\s+|nos\s+)?(?:responde|contesta|atiende|da\s+bola|dice\s+nada|llama)\b",
            r"\bnadie\s+(?:me\s+|nos\s+)?(?:volvio\s+a\s+)?(?:respondio|contesto|escribio|escribir|llamo)\b",
            r"\bsigo\s+esperando\b|\bya\s+no\s+se\s+(?:bien\s+)?(?:que\s+hacer|a\s+quien\s+recurrir)\b",
            r"\bno\s+(?:me\s+|nos\s+)?(?:responden|contestan|atienden|dan\s+bola|dan\s+respuesta)\b",
            r"\bsin\s+(?:ninguna\s+)?respuesta\b|\bni\s+respuesta\b",
            r"\bno\s+(?:tuve|tengo|tuvimos|tenemos|recibi|hubo)\s+(?:ninguna\s+|ni\s+una\s+)?respuesta\b",
            r"\bni\s+(?:me|nos)\s+(?:contestaron|respondieron|contestan|responden)\b",
            r"\bclavaron\s+el\s+visto\b|\ben\s+visto\b",
            r"\b(?:segunda|tercera|cuarta|quinta|\d+)\s+vez\s+que\s+(?:escribo|pregunto|reclamo|llamo"
            r"|consulto|mando|pago|pagamos|devuelvo|mandamos)\b",
            r"\bultimo\s+aviso\b|\bpor\s+las\s+buenas\b",
            # Said in few words: "Necesito una solución ya.", "No me parece.", "Ustedes dirán."
            r"\bnecesito\s+una\s+solucion\b|\bquiero\s+una\s+solucion\b",
            r"(?:^|[.!]\s*)no\s+me\s+parece(?:\s+(?:bien|justo|correcto|serio|normal))?\W*$",
            r"(?:^|[.!]\s*)ustedes\s+(?:diran|me\s+diran)\W*$",
            r"\b(?:subo|publico|expongo|escracho)\s+(?:todo|las\s+capturas|los\s+mails|esto)\b",
            r"\b(?:segundo|tercer|tercero|cuarto|quinto)\s+(?:mail|correo|mensaje)\s+que\s+(?:les\s+)?(?:mando|envio"
            r"|escribo)\b",
            r"(?<!\bno\s)\b(?:ir|fui|viaje|venir|vine|hicieron\s+ir)\s+al\s+pedo\b|\bquede\s+como\s+un[oa]?\s+(?:guas[oa]|boludo|boluda"
            r"|idiota|tonto|tonta|gil)\b",
            # ("Respondan a este otro mail, porfa" says where to answer.)
            r"(?<!que\s)(?<!me\s)(?<!nos\s)\b(?:respondan|contesten|atiendan)\b(?!\s+(?:a|al|porfa|por\s+favor"
            r"|por\s+(?:mail|correo|aca|este|whatsapp)|cuando|apenas)\b)",
            r"(?<!no\s)(?<!no\slos\s)(?<!no\slas\s)(?<!no\sles\s)(?<!no\slo\s)\bmolest[oa]s?\b|\bfalta\s+de\s+(?:seriedad|compromiso)\b|\bpoco\s+seri[oa]s?\b",
            # ("¿No hay más nunca más o vuelven?" asks of stock.)
            r"(?<!\bmas\s)\bnunca\s+mas\b|\bno\s+(?:les\s+)?(?:compro|vuelvo\s+a\s+comprar)\s+mas\b|\bescrach\w*",
            r"\bme\s+(?:atendieron|trataron|respondieron)\s+(?:muy\s+)?mal\b",
            r"\b(?:me\s+)?(?:contesto|contestaron|respondio|atendio|trato)\s+de\s+(?:mala|muy\s+mala)\s+manera\b",
            r"\breport\s+you\b|\bchargeback\b",
            r"\bmaleducad\w*|\bmal\s+educad\w*|\bgroser\w*|\bmaltrat\w*|\bdesubicad\w*",
            r"\bno\s+puede\s+ser\s+que\b|\bes\s+una\s+(?:joda|cargada|tomada\s+de\s+pelo)\b",
            r"\b(?:terrible|awful|horrible)\s+(?:service|experience)\b|\bworst\b|\bunacceptable\b"
            r"|\bridiculous\b|\bdisgust\w*|\bangry\b|\bfurious\b|\bdisappoint\w*",
            r"\bpessim[oa]\b|\bvergonhos[oa]\b|\babsurdo\b",
        ),
    ),
    (
        "complaint",
        "reclamo",
        _any(
            # ("se queja del frío" is somebody else's; a problem with sizes is the customer's.)
            r"\breclam\w*|(?<!\bse\s)\bqueja\w*|\bquejar\w*|\blibro\s+de\s+quejas\b",
            r"\b(?:tengo|tuve|tenemos)\s+(?:un|algun)\s+(?:problema|inconveniente)\b"
            r"(?!\s+(?:\w+\s+)?con\s+(?:los|las|el|la|mi|mis)\s+(?:talles?|medidas|talla|tallas)\b)",
            r"\bproblema\s+con\s+(?:mi|el|la|los|las)\s+(?:pedido|compra|orden|envio|paquete|producto"
            r"|prenda|pago|cobro)\b",
            r"\bcomplain\w*|\breclamac\w*",
            # What came is not what was shown: "esperaba otra cosa", "nada que ver con las fotos".
            r"\besperaba\s+otra\s+(?:cosa|calidad|tela|terminacion)\b|\besperaba\s+(?:mas|mejor)\s+calidad\b|\bnada\s+que\s+ver\s+con\s+(?:las?\s+fotos?|lo\s+que\s+se\s+ve"
            r"|la\s+publicacion|la\s+pagina)\b",
            r"\b(?:que\s+)?(?:me\s+lo\s+|me\s+la\s+|lo\s+|la\s+)?(?:solucionen|resuelvan|arreglen)\s*(?:esto|ya"
            r"|por\s+favor|porque|[.,;!]|$)",
            r"\b(?:indiquen|digan|expliquen|avisen)\s+como\s+(?:resolverlo|solucionarlo)\b",
            # Written again, nothing heard: "es el tercer mail", "sigo sin noticias del pedido".
            r"\b(?:segundo|tercer|tercero|cuarto|quinto)\s+(?:mail|correo|mensaje)\b"
            r"|\bsigo\s+sin\s+(?:noticias?|novedad\w*)\b|\bpor\s+si\s+se\s+les\s+paso\b",
            r"\bhubo\s+(?:una\s+)?(?:confusion|equivocacion)\b",
            r"\bme\s+cobraron\s+(?:distinto|de\s+mas|otro\s+monto|otro\s+importe|otra\s+cosa)\b",
            r"\b(?:me\s+)?rechazaron\s+(?:el|mi|la)\s+(?:cambio|devolucion|reclamo)\b",
            r"\bme\s+(?:figura|figuran|aparece|aparecen|cobraron)\b.{0,40}\b(?:recargo|interes(?:es)?)\b",
            # A discount shown and not charged: "me cobraron el total sin el 10%".
            r"\b(?:cupon|descuento|codigo)\b.{0,120}\bcobraron\b.{0,40}\bsin\s+(?:el\s+|la\s+)?(?:descuento"
            r"|\d+\s*%|cupon|promo\w*)",
            r"\bno\s+(?:se\s+)?(?:me\s+)?(?:aplico|aplicaron|desconto|descontaron)\s+(?:el|la)\s+(?:cupon|descuento"
            r"|promo\w*)\b",
            # A charge that is not the published price.
            r"\b(?:publicad[oa]|figuraba|decia|estaba|salia)\s+(?:a\s+)?\$\s?\d.{0,100}\b(?:cobraron"
            r"|debitaron|descontaron)\s+\$\s?\d",
        ),
    ),
)

# A past purchase, said in passing: specific unless the FAQ answer is for buyers (exchanges).
PURCHASE = re.compile(
    r"(?<!nunca\s)(?<!no\s)(?<!jamas\s)(?<!todavia\sno\s)(?<!aun\sno\s)"
    # ("Me encargué de coordinar las compras" took charge of them.)
    r"\b(?:compre|pedi|pague|(?<!\bme\s)encargue|transferi|abone|deposite|compramos|pedimos|pagamos"
    r"|(?:hice|realice|hicimos|efectue|hizo)\s+(?:un|una|el|la|mi)\s+(?:pedido|compra|orden))\b"
)
# A purchase just made ("ya pagué con Mercado Pago", "compré ayer a la tarde", "hice una
# compra anoche"): what comes next is what happens to every order, unless its number is given
# or something is missing (``ORDER``).
JUST_BOUGHT = re.compile(
    r"\b(?:ya|recien)\s+(?:lo\s+|la\s+)?(?:pague|compre|transferi|abone|hice\s+(?:el\s+pago|la\s+compra))\b"
    # (Not long ago: "ya pagué hace una semana" is an order late.)
    r"(?![^.?!\n]{0,20}\b(?:hace|el\s+\d|desde)\b)"
    r"|\b(?:pague|compre|transferi|abone|hice\s+(?:una|la)\s+compra|hice\s+(?:un|el)\s+pedido)\s+"
    r"(?:recien|hoy|ayer|anoche|hace\s+un\s+rato)\b(?:[^.?!\n]{0,30}?\by\s+(?:pague|abone)\b)?"
)
# A purchase in the subjunctive, asked or advised, not made: "mi hijo me dice que compre por
# internet", "¿puede pasar que compre y no haya?".
NOT_BOUGHT = re.compile(
    r"\b(?:dice|dicen|dijo|dijeron|pide|piden|pidio|pidieron|recomienda\w*|aconseja\w*|quiere|quieren"
    r"|insiste(?:n)?(?:\s+con|\s+en)?|puede\s+pasar|pasa|puede\s+ser|puede|y|sin"
    r"|antes\s+de|para|hasta|en\s+caso\s+de|ojala|una\s+vez|despues\s+de|luego\s+de)\s+que\s+(?:le\s+"
    r"|les\s+|lo\s+|la\s+|los\s+|las\s+|(?:se|me|te)\s+(?:lo|la|los|las)\s+)?(?:compre|pague)\b"
    # A purchase never made, with its pronoun: "nunca le compré ropa por internet".
    r"|\b(?:nunca|jamas|no)\s+(?:le|les|me|te|se|nos)\s+(?:(?:lo|la|los|las)\s+)?(?:compre|pedi|pague"
    r"|compramos|pedimos|pagamos)\b"
    # Somebody else's purchase: "me preocupa que otra persona la compre".
    r"|\b(?:otra\s+persona|alguien|nadie|otr[oa]\s+clienta?)\s+(?:(?:se\s+)?(?:lo|la|los|las)\s+)?"
    r"(?:compre|pague)\b"
    # "Si pagamos hoy, ¿en cuántos días llega?": the present of "we", not the past.
    r"|\bsi\s+(?:lo\s+|la\s+|los\s+|las\s+|le\s+)?(?:compramos|pagamos|pedimos)\b"
)
# A purchase told as history ("el año pasado me compré…", "siempre pagué con tarjeta", "me
# compré un buzo en el local"): no order of ours waiting for an answer.
HABIT = (
    r"\b(?:el\s+ano\s+pasado|la\s+otra\s+vez|la\s+vez\s+pasada|la\s+ultima\s+vez|siempre|hace\s+tiempo"
    r"|hace\s+(?:un|bastante|mucho)\s+tiempo|hace\s+(?:unos|varios|algunos|un\s+par\s+de)\s+(?:meses|anos)"
    r"|(?:el|la)\s+(?:invierno|verano|otono|primavera|temporada|navidad|mes|semana)\s+pasad[oa]"
    r"|(?:varias|muchas|un\s+par\s+de|mil)\s+veces"
    rf"|hace\s+anos|en\s+(?:semana\s+santa|vacaciones|(?:el\s+)?(?:verano|invierno|otono|primavera)|la\s+vendimia"
    rf"|{MONTHS})"
    r"|cuando\s+(?:estuve|fui|vine|pase)|(?:por|durante)\s+(?:muchos\s+)?anos"
    # Years ago, or in a year named: "hace dos años", "hace un año y medio", "en el 2023".
    r"|hace\s+(?:(?:como|casi|mas\s+de|unos|unas)\s+)?(?:un|uno|dos|tres|cuatro|cinco|seis|\d{1,2})\s+"
    r"(?:ani?os?|inviernos|veranos)|hace\s+(?:bastante|mucho|rato)|ani?os\s+atras"
    r"|en\s+(?:el\s+)?(?:ano\s+)?(?:19|20)\d\d)\b"
)
HISTORY = re.compile(rf"{HABIT}|\b(?:en\s+el\s+local|en\s+persona)\b")
# What the customer always did, or did once long ago: told, not asked.
TOLD = re.compile(HABIT)
SELF_MOCK = re.compile(
    r"\b(?:soy|fui|me\s+siento|que|consulta|pregunta|duda)\s+(?:una?\s+)?"
    r"(?:(?:re|medio|muy|tan|capaz|quizas|algo|bastante|un\s+poco)\s+)?$"
)
# A clause telling what the customer does not know ("no estoy segura del talle", "no tengo
# ni idea de su talle"), up to where the sentence goes on. Not an embedded question: "no sé
# cuánto tarda el envío" asks it.
NOT_KNOWING = re.compile(
    r"\bno\s+(?:se|sabemos|tengo\s+(?:ni\s+)?(?:idea|la\s+menor\s+idea)|estoy\s+segur[oa]"
    r"|conozco|sabria)\b(?!\s+(?:de\s+)?(?:si|que|cual\w*|cuant\w*|como|donde|cuando|quien)\b)"
    r"[^,.;:!?\n]*"
)
# A purchase supposed, not made: "si pago hoy, ¿cuándo lo despachan?".
SUPPOSED_PURCHASE = re.compile(
    r"\bsi\s+(?:hoy\s+|manana\s+|ahora\s+|ya\s+)?(?:compro|pago|pido|encargo|transfiero|compramos"
    r"|pagamos|pedimos|hago\s+(?:el|un|una|la|mi)\s+(?:pedido|compra))\b"
)
# How to follow an order, asked before there is one: "¿cómo hago para saber dónde está el
# paquete una vez que lo mandan?" (with "mi pedido" it is theirs: OWN_ORDER).
HOW_TO_FOLLOW = re.compile(
    r"\bcomo\s+(?:hago|hacemos|hace|puedo|podemos|puede|se|sabria|sabemos)\s+(?:pa\s+|para\s+)?"
    r"(?:saber|ver|seguir|rastrear|averiguar|enterarme)\b"
)
OWN_ORDER = re.compile(r"\bmis?\s+(?:pedido|compra|orden|paquete|envio|encomienda)s?\b")
# What happened once, somewhere, told as the reason for worry. Read just before a handoff word.
PAST = re.compile(
    r"\b(?:una\s+vez|la\s+otra\s+vez|la\s+vez\s+pasada|hace\s+anos|el\s+ano\s+pasado"
    r"|(?:varias|muchas|algunas|un\s+par\s+de)\s+veces)\b"
)
# Something that came to the customer: whoever got it has bought, or been given, ours.
GOT = re.compile(r"\bme\s+(?:llego|llegaron)\b|\brecibi\b")
# Handoffs that, named in a subject by somebody who has not bought, name what they ask about
# ("Envío a otra dirección"); a fault in a subject is a question only with its mark.
CHANGES = ("address_change", "order_change")
# The customer's own old things ("los míos ya tienen agujeros"), not what we sold.
MINE = re.compile(r"\b(?:los|las|el|la)\s+mi[oa]s?\b")
# The restock notice a customer signed up for: a mail that never came is no parcel.
RESTOCK_NOTICE = re.compile(
    r"\bdeje\s+(?:mi|el)\s+(?:mail|correo|email)\b|\baviso\s+de\s+reposicion\b"
    r"|\bme\s+avisen\s+cuando\s+(?:vuelva|repongan|entre)\b|\bme\s+(?:anote|suscribi|registre)\b"
)
# An exchange asked for: a change of mind that wants another garment is no cancellation.
EXCHANGE = re.compile(r"\bcambi(?:ar|arlo|arla|o|en|ame|armelo|armela)\b")
# Money wanted back: a refund, whatever else the sentence says of an exchange.
MONEY_BACK = re.compile(r"\b(?:plata|dinero|reembols\w*|reintegr\w*|devolucion\s+del\s+dinero)\b")
# A bank's or a wallet's promotion, where "reintegro" is cash back, not a refund of ours.
PROMOTION = re.compile(
    r"\b(?:cuenta\s+dni|modo|banco|bancos|promo\w*|descuento|lunes|martes|miercoles|jueves|viernes"
    r"|tarjeta|billetera)\b|%"
)
# Something that came: what is wrong with it is no question about a product.
RECEIVED = re.compile(
    r"\b(?:me\s+llego|llego|llegaron|recibi|recibimos|vino|vinieron|me\s+mandaron|me\s+enviaron"
    r"|compre|pedi)\b"
)
# A supposition: "si no me gusta", "y si es más barata" ("sí, …" is a yes).
SUPPOSING = re.compile(
    r"\b(?:si|suponiendo\s+que|supongamos\s+que|en\s+caso\s+de\s+que|en\s+el\s+caso\s+de\s+que)\s+(?=\w)"
)
# Somebody else the customer speaks of ("en mi barrio el correo es un desastre", "mi banco es
# un desastre"): what is said of them is not said to us. Read just before an angry word.
THIRD_PARTY = re.compile(
    r"\b(?:el\s+correo|correo\s+argentino|andreani|oca|via\s+cargo|mi\s+banco|el\s+banco"
    r"|la\s+municipalidad|el\s+gobierno|en\s+mi\s+(?:pueblo|barrio|ciudad|zona|provincia|trabajo)"
    # Things and people of theirs: "la señal es un desastre", "mi tía con la tecnología…".
    r"|la\s+senal|la\s+conexion|internet|el\s+wifi|el\s+clima|el\s+transito|la\s+tecnologia"
    r"|el\s+calor|la\s+luz|la\s+heladera"
    r"|mi\s+(?:tia|tio|mama|papa|vieja|viejo|abuela|abuelo|hermana|hermano|marido|esposo|esposa))\b"
    # Something that happened to somebody else: "a una vecina le clonaron la tarjeta".
    r"|\ba\s+(?:una?|mi|mis)\s+(?:vecin|amig|herman|prim|conocid|companer|cunad|tia|tio|suegr|mama"
    r"|madre|papa|padre|hij|abuel|novi)\w*\b(?:\s+\w+){0,5}?\s+(?:le|les|la|lo)\s+(?:clonaron|robaron"
    r"|paso|pasaron|estafaron|hackearon|vaciaron|cobraron|vendieron)\b"
)
LAUGHTER = re.compile(r"\b(?:ja|je|ji|ha){2,}\w*|😂|🤣|😅|😆")  # (🙃 is irony: "Sigo esperando 🙃")
# A body that only points at its attachment: "ver adjunto", "les mando el comprobante adjunto".
# Read only on a body this short (its optional parts could otherwise backtrack).
MAX_POINTER_CHARS = 80
SEE_ATTACHED = re.compile(
    r"\W*(?:hola\W+)?(?:ver|va|(?:les|te)\s+(?:mando|envio|paso)|mando|envio|paso|adjunto)?\s*"
    r"(?:(?:el|lo|la)\s+)?(?:archivo|comprobante|foto|captura)?\s*(?:adjunt[oa]s?|en\s+el\s+adjunto)?"
    r"\W*(?:gracias|saludos)?\W*"
)
# What the writer will not do, right before a complaint word: "ni reclamando", "sin reclamar".
NOT_DOING = re.compile(r"\b(?:ni|sin)\s+(?:andar\s+)?$")
# What the customer says they do not want ("no quiero que me devuelvan la plata, solo
# cambiarlo"): no handoff for it. Read just before a handoff phrase.
UNWANTED = re.compile(
    r"\bno\s+(?:quiero|queremos|necesito|busco|pido|pretendo)\s+(?:que\s+)?(?:(?:me|nos|lo|la|los|las|se)\s+){0,2}$"
    r"|\bno\s+(?:es|son)\s+(?:un\s+|una\s+)?$"
)
# What the sentence tells before a refund, from somebody who has not bought: a fear or a wish
# against it ("no quiero pagar y que después… me devuelvan", "me da miedo que"), a habit
# ("siempre termino devolviendo todo") or never ("nunca hice una devolución"). Not a refund.
NOT_NOW = re.compile(
    r"\b(?:no\s+(?:quiero|queremos|quisiera|me\s+gustaria)|(?:me\s+da|tengo|con)\s+miedo"
    r"|miedo\s+(?:a|de)|para\s+no\s+tener\s+que|siempre\s+termin\w+|nunca\s+(?:hice|tuve|pedi"
    r"|necesite|hicimos|tuvimos))\b"
)
# A wish said (not denied): "quiero que me devuelvan la plata".
WANTED = re.compile(r"(?<!\bno\s)\b(?:quiero|queremos|necesito|pido|solicito|prefiero)\b")
# A fault denied, right before it: "no tiene manchas", "sin agujeros", "ni roturas".
NO_FAULT = re.compile(
    r"(?:\bno\s+(?:tiene|tenia|tienen|tenian|hay|habia|esta|estaba|estan|estaban|vino|venia)"
    r"|\bsin|\bni)\s+(?:ningun\s+|ninguna\s+)?$"
)
# Time since something the writer did: their order, unless the question is one an answer for
# buyers covers (then its window decides, see faq.Faq.coverage).
SINCE = re.compile(
    r"\b(?:hace|ya\s+pasaron|pasaron)\s+(?:\d+|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|varios"
    r"|unos|mas\s+de)\s+(?:dias|semanas|mes|meses)\b"
)
# What the time since is counted from, for it to be an order: "hace dos semanas me vine a
# Mendoza" is a move.
DEALT = re.compile(
    # (Not wanted: "hace varios días que quiero comprar la campera".)
    r"(?<!quiero\s)(?<!queria\s)(?<!quisiera\s)(?<!quise\s)(?<!intento\s)(?<!voy\sa\s)(?<!estoy\spor\s)"
    r"\b(?:compr|ped|pag|abon|transfer|recib|lleg|encarg|hice|hicimos|mand|envi|despach|retir)\w*"
)
# A specific order of the writer's.
ORDER = _any(
    # (Not a purchase still to make: "antes de concretar mi compra".)
    r"(?<!concretar\s)(?<!hacer\s)(?<!realizar\s)(?<!efectuar\s)(?<!finalizar\s)(?<!terminar\s)"
    r"(?<!armar\s)(?<!pagar\s)(?<!abonar\s)\bmis?\s+(?:pedido|compra|orden|paquete|envio|encomienda|seguimiento|cambio)s?\b",
    r"\bme\s+(?:salio(?!\s+(?:que|un|una|el|la|error)\b)|costo|cobraron)\b",
    r"\btengo\s+(?:un|una|el|la|mi)\s+(?:pedido|compra|orden)\b",
    # What they chose in it: "en el pedido puse talle M", "elegí negro en la compra".
    r"\ben\s+(?:el|la)\s+(?:pedido|compra|orden)\b.{0,40}\b(?:puse|pusimos|elegi|elegimos|marque|pedi)\b"
    r"|\b(?:puse|pusimos|elegi|elegimos|marque)\b.{0,40}\ben\s+(?:el|la)\s+(?:pedido|compra|orden)\b",
    r"\b(?:el|la)\s+(?:pedido|compra|orden)\s+que\s+(?:hice|realice|hicimos|pague|me\s+llego)\b",
    r"\b(?:envie|mande|adjunto)\s+(?:el|la|los)\s+(?:comprobante|transferencia|pago)\b",
    r"\b(?:reenvi\w*|adjunt\w*)\b.{0,30}\b(?:compra|pedido|orden|comprobante|factura"
    r"|confirmacion|recibo|ticket)\b",
    r"\b(?:ya\s+)?(?:me\s+)?(?:despacharon|enviaron|mandaron)\s+(?:mi|el|la|lo)\b",
    # ("no llego a hacerla", "todo junto no llego", "de una sola vez no llego", "no llego al
    # local con los horarios", "vivo en Roma y no llego para las fiestas" are the writer not
    # managing, not a parcel missing.)
    r"(?<!\bjunto\s)(?<!\bde\suna\s)(?<!\bun\spago\s)(?<!\buna\ssola\s)(?<!\bsola\svez\s)"
    r"\bno\s+(?:me\s+)?(?:llego|llegaron|recibi|recibimos)\b"
    r"(?!\s+(?:a\s+[a-z]*(?:ar|er|ir)(?:la|lo|las|los)?|al\s+local|antes\s+de|a\s+fin\s+de\s+mes"
    r"|con\s+(?:la\s+plata|el\s+sueldo|los\s+horarios|el\s+horario|el\s+tiempo)"
    r"|para\s+(?:las\s+fiestas|navidad|fin\s+de\s+ano|ano\s+nuevo))\b)|\btodavia\s+no\s+(?:me\s+)?(?:llega|llego|recibi)\b",
    # ("¿Tiene seguimiento para ir viendo dónde está el paquete?" asks how shipping works, and
    # so do "¿cómo sé dónde está el paquete?" and "¿cómo sabemos dónde está?".)
    r"(?<!viendo\s)(?<!para\sver\s)(?<!\bcomo\sse\s)(?<!\bsaber\s)(?<!\bcomo\ssabre\s)"
    r"(?<!\bcomo\ssabemos\s)"
    r"\bdonde\s+esta\s+(?:mi|el|la)\s+(?:pedido|compra|paquete|envio|orden)\b",
    r"#\s?\d{3,}\b",
    r"\b(?:pedido|orden|compra|order)\s*(?:n(?:ro|umero|o)?\.?\s*)?#?\s*\d{3,}\b",
    # The number itself ("número de pedido: 4521"); "ya tengo el número de pedido" is ready to
    # start what an answer asks it for.
    r"\bnumero\s+de\s+(?:pedido|orden|compra)\b(?=\W{0,5}(?:es\s+(?:el\s+)?)?#?\s*\d)",
    # Without it, what the answer asks for is missing: "no tengo el número de pedido".
    r"\b(?:sin|(?:no|ni)\s+(?:tengo|tenemos|tiene|tienen|se|sabe|sabemos|encuentro|conozco)|ni)\s+(?:el\s+|su\s+"
    r"|mi\s+|ningun\s+)?numero\s+de\s+(?:pedido|orden|compra)\b",
    r"\b(?:el|mi)\s+(?:seguimiento|codigo\s+de\s+seguimiento|tracking)\s+(?:dice|figura|muestra|no|esta"
    r"|marca|aparece|que)\b",
    r"\b(?:dice|figura|aparece|marca)\s+(?:como\s+)?(?:entregado|en\s+camino|despachado|en\s+preparacion"
    r"|en\s+sucursal|en\s+distribucion)\b",
    # ("¿Me avisan cuándo lo despachan?" before buying asks how it works; after, PURCHASE says so.)
    r"\bya\s+(?:lo|la|los|las)\s+(?:despachan|mandan|envian|despacharon)\b"
    r"|\bcuando\s+(?:lo|la|los|las)\s+despacharon\b",
    r"\b(?:my|placed\s+an?|placed\s+my)\s+order\b|\border\s+#?\d{3,}\b",
    r"\bmeu\s+pedido\b|\bminha\s+compra\b",
)

# The number of an order: "#1234", "pedido 1234", "orden nro. 1234".
ORDER_NUMBER = re.compile(
    r"#\s?(\d{3,10})\b"
    r"|\b(?:pedido|orden|compra|order)\s{0,2}(?:n(?:ro|umero|o)?\.?\s{0,2})?#?\s{0,2}(\d{3,10})\b"
)
# Asking where an order is, and nothing else.
STATUS_ASK = _any(
    r"\bdonde\s+(?:esta|estan|anda|va)\b",
    r"\bcuando\s+(?:me\s+)?(?:llega|llegan|llegaria|sale|salen|lo\s+\w+an|la\s+\w+an|los\s+\w+an"
    r"|me\s+lo|me\s+la|va\s+a\s+llegar|voy\s+a\s+recibir|lo\s+voy\s+a\s+recibir|lo\s+recibo)\b",
    r"\b(?:estado|novedad\w*|seguimiento|tracking)\b",
    r"\ben\s+que\s+(?:anda|va|esta|quedo)\b|\bcomo\s+(?:va|viene|anda)\b",
    r"\bya\s+(?:salio|lo\s+\w+aron|la\s+\w+aron|fue\s+despachad[oa]|esta\s+en\s+camino)\b",
    r"\b(?:lo|la|los)\s+(?:despacharon|enviaron|mandaron)\b|\bsab\w+\s+algo\b",
    r"\bya\s+(?:despach|envi|mand)\w*\s+(?:mi|el|la)\s+(?:pedido|compra|orden|paquete)\b",
    r"\bcuanto\s+(?:falta|tarda|demora)\b",
)

GARMENTS = (
    r"remer\w*|buzo\w*|camper\w*|jeans?|pantal\w*|vestid\w*|camis\w*|musculos\w*|shorts?|pollera\w*"
    r"|faldas?|tops?|bodys?|calzas?|joggers?|chaleco\w*|sweaters?|sueter\w*|cardigan\w*"
    r"|(?<!me\s)(?<!lo\s)(?<!la\s)(?<!te\s)sacos?|tapado\w*"
    r"|blazers?|parkas?|chomba\w*|polera\w*|bermuda\w*|mallas?|bikinis?|medias?(?!\s+hora)|gorr[oa]s?"
    r"|bufanda\w*"
    r"|cinturon\w*|carteras?|bolsos?|mochila\w*|zapatilla\w*|botas?|sandalia\w*|pilotos?|rompeviento\w*"
    r"|overol\w*|enterito\w*|monos?|kimono\w*|blusa\w*|camisola\w*|bombacha\w*|babucha\w*|palazzo\w*"
    r"|corpi\w*|bralette\w*|pijama\w*|hoodies?|canguro\w*|poleron\w*|sobretodo\w*|ponchos?|ruanas?"
    r"|chalina\w*|tejido\w*|conjunto\w*|jardinero\w*|chupin\w*|(?<!sin\s)(?<!a\s)cargo|joggin\w*"
    r"|pulover\w*|polar|abrigos?"
    # Said in the Spanish of other countries: "chaqueta", "chamarra", "chompa", "bluyín".
    r"|chaqueta\w*|chamarra\w*|chompa\w*|sudadera\w*|bluyin\w*|playera\w*|franela\w*"
)
COLORS = (
    r"negr[oa]s?|blanc[oa]s?|gris|grises|azul|azules|roj[oa]s?|verdes?|beige|crudo|camel|bordo|rosas?"
    r"|rosad[oa]s?|lila|celeste\w*|marron\w*|amarill\w*|violeta\w*|natural|khaki|caqui|militar|mostaza|salmon|fucsia"
    r"|turquesa|coral|nude|chocolate|arena|tostado|oliva|aqua|plateado|dorado|estampad[oa]s?"
    r"|rayad[oa]s?|floread[oa]s?|lis[oa]s?|a\s+cuadros|animal\s+print"
)
FABRICS = (
    r"algodon|lino|corderoy|lana|hilo|modal|frisa|cuero|seda|gabardina|morley|lycra|polar|pana"
    r"|tusor|bengalina|fibrana|microfibra|paño|pano|termic[oa]s?"
)
SIZE_TOKEN = rf"{SIZE_LETTERS}|2xl|3xl|\d{{1,2}}"  # clothing sizes, lettered or numbered
PRODUCT_ATTRIBUTE = _any(
    rf"\b(?:{COLORS})\b",
    rf"\btalle\s+(?:{SIZE_TOKEN})\b",
    rf"\b(?:en|el|un|una|la)\s+(?:{SIZE_LETTERS})\b|\b(?:xxs|xs|xl|xxl|xxxl)\b",
    rf"\b(?:{FABRICS})\b",
    # Jean is a fabric only of another garment ("campera de jean"); "un jean" is the garment.
    rf"\b(?:{GARMENTS})\s+de\s+jean\b",
    r"\b(?:oversize|recto|recta|mom|skinny|wide\s+leg|cargo|tiro\s+(?:alto|bajo|medio)|manga\s+(?:larga"
    r"|corta)|con\s+capucha|basic[oa]|crop|largo|larga|corto|corta|de\s+hombre|de\s+mujer|unisex)\b",
    r"\b(?:modelo|de\s+la\s+foto|que\s+subieron|del\s+posteo|de\s+instagram|del\s+catalogo|(?<!de\s)(?<!ano\s)nuev[oa])\b",
    r"\b(?:ese|esa|este|esta|estos|estas)\s+(?:" + GARMENTS + r")\b",
)
GARMENT = re.compile(rf"\b(?:{GARMENTS})\b")
# A garment with its fabric ("el pantalón de lino", "la calza térmica") is a garment.
GARMENT_OF_FABRIC = re.compile(rf"\b({GARMENTS})\s+(?:de\s+)?(?:{FABRICS})\b")
# Seeing, and the networks it happens on.
SEEING = (
    r"vi|vio|vimos|vieron|visto|mire|miraba|mostraba|mostro|subieron|publicaron|encontre|conoci"
)
SOCIAL = r"instagram|ig|insta|tiktok|tik\s+tok|facebook|face"
# Set phrases that say nothing an answer must cover, said plainly for the closed world: the
# formal "a fin de consultar" is "para consultar"; paying, before it is done, is the purchase
# ("antes de pagar", "no quiero pagar y que después no haya"); clothes for a season are clothes.
PLAIN_PHRASES = (
    (re.compile(r"\b(?:a|con\s+el)\s+fin\s+de\b(?=\s+\w+r(?:le|les|la|lo|me|nos|se)?\b)"), "para"),
    (
        re.compile(r"\bantes\s+de\s+pagar(?!\s+(?:con|en|por|mediante|via)\b)"),
        "antes de comprar",
    ),
    # Filling the cart is buying: "antes de armar el carrito".
    (re.compile(r"\b(?:armar|llenar|cargar)\s+el\s+carrito\b"), "comprar"),
    # Paying as buying: "me da miedo pagar y que después me digan que no hay".
    (re.compile(r"\bpagar\s+y\s+que\b"), "comprar y que"),
    (re.compile(r"\bno\s+(?:hay|tengo)\s+(?:apuro|urgencia|drama)\b"), ""),
    # "En caso de que fuera necesario": the subjunctive of "ser", not "fuera de plazo".
    (
        re.compile(
            r"\b((?:si|que)\s+(?:\w+\s+){0,3}?)fuera\b(?!\s+de\s+(?:plazo|termino|fecha|tiempo|stock"
            r"|temporada|horario))"
        ),
        r"\1es",
    ),
    (re.compile(r"\btienda\s+en\s+linea\b"), "tienda online"),
    (re.compile(r"\bhome\s*banking\b"), "homebanking"),
    # Whether it costs, asked both ways: "¿tiene algún costo o es gratis?", "¿es gratis o se
    # paga aparte?".
    (
        re.compile(
            r"\b(?:tiene|hay)\s+(?:algun\s+)?(?:costo|cargo)\s+o\s+(?:es\s+)?gratis\b"
            r"|\bes\s+gratis\s+o\s+(?:tiene\s+(?:algun\s+)?(?:costo|cargo)|se\s+paga|hay\s+que\s+pagar)\b"
        ),
        "tiene costo",
    ),
    (re.compile(r"\bun\s+par\s+de\b"), "unas"),
    # Whether a policy still holds, asked by who bought before: "¿sigue siendo así?", "¿siguen
    # teniendo cuotas?" ask what the answer says now.
    (re.compile(r"\bsigue\s+siendo\b"), "es"),
    (re.compile(r"\bsiguen\s+siendo\b"), "son"),
    (re.compile(r"\bsigue\s+habiendo\b"), "hay"),
    (re.compile(r"\bsiguen\s+teniendo\b"), "tienen"),
    # Two or three garments are a few, and "las dos", "somos dos" are which and who: no count an
    # answer must meet ("queremos cambiar dos buzos", "¿con cualquiera de las dos puedo pagar?").
    (re.compile(r"\b(?:dos|tres|2|3)\s+(?=prendas?\b)"), "unas "),
    (re.compile(r"\b(?:los|las|somos|ambos|ambas)\s+dos\b"), ""),
    # Which site to do something on ("¿en qué página lo pongo para rastrear?") asks an address
    # no shipped answer gives; the shop's own page is everyday, so it is said as one.
    (re.compile(r"\ben\s+(?:que|cual)\s+(?:pagina|sitio|web)\b"), "en que url"),
    # Two sizes counted, not size 2: "si estoy entre 2 talles".
    (re.compile(r"\b2\s+(?=talles\b)"), "dos "),
    # How many questions, and that they follow: "tengo 3 dudas", "consultar lo siguiente:".
    (
        re.compile(
            r"\b(?:\d|dos|tres|cuatro|cinco)\s+(?=(?:dudas|dudit\w*|preguntas|preguntit\w*|consultas"
            r"|consultit\w*|inquietudes)\b)"
            r"|\blo\s+siguiente\b|\b(?:las|los)\s+siguientes\s+(?=(?:dudas|preguntas|consultas|puntos"
            r"|inquietudes)\b)|\b(?:la|una)\s+siguiente\s+(?=(?:duda|pregunta|consulta|inquietud)\b)"
        ),
        "",
    ),
    (re.compile(r"\bdado\s+que\b"), "porque"),
    # "Apenas" before a verb is "as soon as": "¿me llega apenas pago?" ("apenas lo usé" is
    # barely, and stays).
    (
        re.compile(
            r"\bapenas\s+(?=(?:pago|pague|compro|compre|llega|llegue|sale|salga|despachan|despachen"
            r"|recibo|reciba|acredita|acredite|se\s+acredita)\b)"
        ),
        "cuando ",
    ),
    # The size next to one's own is another size: "cambiarlo por el talle anterior", "un talle
    # menos", "el talle de arriba".
    (
        re.compile(
            r"\b(?:el|un|al)\s+talle\s+(?:anterior|siguiente|de\s+abajo|de\s+arriba|menos|mas)\b"
        ),
        "otro talle",
    ),
    # What it costs, asked as what it comes to: "¿cuánto me sale?", "¿cuánto me cobran?".
    (
        re.compile(
            r"\bcuanto\s+(?:me|nos|le|les)\s+(?:sale|saldria|cobran|cobrarian|cuesta|costaria)\b"
            r"(?!\s+(?:el|la|los|las|un|una|esa|ese|esta|este)\b)"
        ),
        "que costo tiene",
    ),
    (re.compile(r"\bsale\s+(?:algo|plata|extra)\b"), "tiene costo"),
    # "Sale" as what a thing costs: "sale bastante, ¿puedo pagar en cuotas?", "no quiero que me
    # salga más caro el envío que la remera".
    (
        re.compile(r"\bsal(?:e|en|ga|gan)\s+(?:mas\s+|muy\s+)?(?:caro|caros|cara|caras)\b"),
        "cuesta mas",
    ),
    (re.compile(r"\bsalen?\s+(?=(?:bastante|mucho)\b)"), "cuesta "),
    (re.compile(r"\ba\s+mano\b"), ""),
    # Where they saw us is no condition: "mi prima vio sus cosas en mi historia de ig", "vi un
    # tiktok de una chica". (Buying or paying "por Instagram" is: no answer speaks of it.)
    (
        re.compile(
            rf"\b({SEEING})\b((?:\s+\w+){{0,5}}?)\s+(?:en|por|desde)\s+(?:(?:su|sus|mi|mis|el|un|una|la|tu)\s+)?"
            rf"(?:(?:historias?|story|stories|reels?|posteos?|posts?|perfil|cuenta|feed|videos?|vivos?)\s+"
            rf"(?:de\s+)?)?(?:{SOCIAL})\b"
        ),
        r"\1\2",
    ),
    (
        re.compile(
            rf"\b({SEEING})\s+(?:un|el|ese|este|unos|varios|sus|tus)\s+(?:tiktoks?|reels?|posteos?"
            rf"|historias?|videos?\s+(?:de|en)\s+(?:{SOCIAL}))\b"
        ),
        r"\1",
    ),
    # Idioms of wanting and needing: "lo único que me falta saber", "¿hace falta la etiqueta?"
    # ("falta de stock" stays), and of getting along: "no me llevo bien con la computadora".
    (re.compile(r"\b(?:lo\s+unico\s+que\s+)?me\s+falta\s+saber\b"), "quiero saber"),
    (re.compile(r"\bhace\s+falta\b"), "hay que"),
    (
        re.compile(r"\bme\s+llevo(?:\s+(?:muy|tan|nada))?(?:\s+bien)?(?=\s+con\b|\W*$|\.)"),
        "me manejo",
    ),
    # Not going to the shop is why they ask: "¿cómo sé qué talle pedir sin ir al local?", "no
    # quiere venir al local a probarse".
    (
        re.compile(
            r"\b(?:sin|no\s+(?:puedo|podemos|puede|quiere|quiero|tengo\s+tiempo\s+de)|imposible|dificil)\s+"
            r"(?:\w+\s+){0,2}?(?:ir|venir|acercarme|trasladarme|pasar|llegar)\s+(?:hasta\s+|por\s+)?(?:al|el)\s+local\b"
        ),
        "sin ir",
    ),
    # A formal opening: "Junto con saludar, quisiera consultar…".
    (re.compile(r"\bjunto\s+con\s+saludar(?:le|les|los|las|te)?\b"), ""),
    # A fifteenth birthday is a party: "un vestido para un 15", "los 15 de mi hija" (not "el 15",
    # a day, nor "15 días").
    (
        re.compile(
            rf"\b(?:un|mi|su|sus|los|mis|unos)\s+15\b(?!\s*(?:dias|semanas|meses|anos|de\s+(?:{MONTHS})\b"
            r"|%|cuotas|pesos|mil|cm|kg))"
        ),
        "un cumpleanos",
    ),
    # An apology for a thing of theirs is courtesy: "perdón la desconfianza", "disculpen las
    # mayúsculas", "perdón por mi ignorancia".
    (
        re.compile(
            r"\b(?:perdon|perdona|perdonen|perdoname|disculpa|disculpe|disculpen|disculpame|disculpas)\s+"
            r"(?:por\s+)?(?:la|las|el|los|mi|mis|tanta|tantas|tanto|tantos)\s+\w+"
        ),
        "perdon",
    ),
    # "Tiro la pregunta", "les tiro una consulta": asking.
    (
        re.compile(r"\b(?:les\s+|te\s+)?tiro\s+(?:la|una|mi)\s+(?:pregunta|consulta|duda)\b"),
        "pregunto",
    ),
    (
        re.compile(
            r"\buna\s+vez\s+(?:hecho\s+el\s+pedido|hecha\s+la\s+compra|realizad[oa]\s+(?:el|la)\s+\w+)"
        ),
        "despues de comprar",
    ),
    # "Antes de volver a comprar": again, not a return.
    (
        re.compile(
            r"\bvolver\s+a\s+(?=(?:comprar|pasar|pedir|escribir|consultar|preguntar|intentar)\b)"
        ),
        "",
    ),
    # "Lo que sale agotado": what shows as sold out.
    (re.compile(r"\bsalen?\s+(?=(?:como\s+)?(?:agotad\w*|sin\s+stock|disponibles?)\b)"), "esta "),
    # Why they write instead of coming: "no puedo ir al local a probarme".
    (
        re.compile(
            r"\bno\s+(?:puedo|podemos|puede)\s+(?:ir|pasar|acercarme|acercarnos)\s+(?:al|por\s+el)\s+local\b"
        ),
        "",
    ),
    # ("efectivamente" would read as "efectivo", cash.)
    (re.compile(r"\befectivamente\b"), "realmente"),
    # The occasion of a gift, not a date to meet: "un saco por el Día de la Madre".
    (
        re.compile(
            r"\bpor\s+el\s+dia\s+de\s+(?:la\s+madre|el\s+padre|los\s+enamorados|la\s+mujer|el\s+nino"
            r"|la\s+primavera|san\s+valentin)\b"
        ),
        "de regalo",
    ),
    (re.compile(r"\baparte\s+de\b"), "ademas de"),
    # The occasion a gift is bought for, or that is coming, not a date to meet: "comprarle algo
    # para el Día del Padre", "se viene el Día del Padre" ("¿llega para el Día del Padre?" is).
    (
        re.compile(
            r"\b(?:(?:compr|regal)\w*\s+(?:(?:le|les|algo|un|una|unos|unas|regalo|regalito|me|se)\s+){0,3}"
            r"para|se\s+viene|se\s+acerca|ya\s+viene)\s+el\s+dia\s+del?\s+(?:la\s+)?(?:padre|madre|nino"
            r"|amigo|abuelo|abuela)\b"
        ),
        "de regalo",
    ),
    # What the customer earns, not what the shop charges: "cobro el viernes", "donde cobro la
    # jubilación" (the day itself stays, a date the answer must meet).
    (
        re.compile(
            r"\bcobro\s+(?=(?:recien\s+|casi\s+)?(?:el|la|los|las|mi|a\s+fin|todo|por|en|cuando)\b)"
        ),
        "",
    ),
    (
        re.compile(
            r"\b(?:la\s+)?(?:coleccion\s+(?:nueva|de\s+(?:invierno|verano|otono|primavera|temporada))"
            r"|nueva\s+coleccion)\b"
        ),
        "la ropa",
    ),
    (re.compile(r"\b(condicion(?:es)?|politicas?)\s+vigentes?\b"), r"\1"),
    (
        re.compile(
            r"\b(ropa|prendas?)\s+(?:de|para)\s+(?:hombres?|mujer(?:es)?|dama|damas|caballeros?)\b"
        ),
        r"\1",
    ),
    (re.compile(r"\bfui\s+a\s+pagar\b"), "fui a comprar"),
    # Who is bad with computers: "no se lleva muy bien con la tecnología".
    (
        re.compile(
            r"\bno\s+se\s+(?:lleva|llevan|llevaba|da|dan)\s+(?:muy\s+|tan\s+|mucho\s+)?(?:bien\s+)?con\s+"
            r"(?:la|las|el|los|esto\s+de\s+la)\s+(?:tecnologia|computadora|compu|celular|internet|pc|mail"
            r"|computacion|maquina|aparatos)\b"
        ),
        "",
    ),
    # Money arriving is a payment credited: "hasta que les llegue la plata", "que caiga la transfe".
    (
        re.compile(
            r"\b(?:les?\s+|te\s+|nos\s+)?(?:llegue|lleguen|llega|llego|caiga|cae|cayo|impacte|impacta)\s+"
            r"(?:la\s+plata|el\s+dinero|el\s+pago|la\s+transferencia|la\s+transfe)\b"
        ),
        "se acredite el pago",
    ),
    (
        re.compile(
            r"\b(ropa|prendas?)\s+(?:de|para\s+el|para\s+la)\s+(?:invierno|verano|otono|primavera"
            r"|media\s+estacion)\b"
        ),
        r"\1",
    ),
)
# A postal code given ("cp 8316", "C.P. M5500"): the code an answer may ask for, not a number
# it must say.
POSTAL_CODE = re.compile(r"\b(?:cp|c\.p\.?|codigo\s+postal)\s*:?\s*[a-z]?\d{4}(?:[a-z]{3})?\b")
# The shop's words said in English inside Spanish mail ("¿aceptan debit card?", "¿hacen
# restock?"), said in Spanish. A message mostly in English goes to the LLM before any of this.
ENGLISH = tuple(
    (re.compile(pattern), spanish)
    for pattern, spanish in (
        (r"\bsize\s+(?:chart|guide)\b", "guia de talles"),
        (r"\b(?:out\s+of\s+stock|sold\s+out)\b", "agotado"),
        (r"\bin\s+stock\b", "disponible"),
        (r"\brestock(?:s|ing|ean)?\b", "reposicion"),
        (r"\bfree\s+shipping\b", "envio gratis"),
        (r"\b(?:do\s+you\s+)?ship\s+to\b", "envian a"),
        (r"\bshipping\b", "envio"),
        (r"\btracking(?:\s+(?:number|code))?\b", "codigo de seguimiento"),
        (r"\bdebit(?:\s+card)?\b", "tarjeta de debito"),
        (r"\bcredit(?:\s+card)?\b", "tarjeta de credito"),
        (r"\b(?:bank\s+)?transfer\b", "transferencia"),
        (r"\binstal+ments\b", "cuotas"),
        (r"\bswap\b", "cambiar"),
        (r"\bhow\s+does\s+it\s+work\b", "como funciona"),
        (r"\bwhere(?:'s|\s+is)\b", "donde esta"),
        # And in the Spanish of Colombia, Venezuela or Peru: a tracking number is a "guía".
        (r"\b(?:numero|codigo)\s+de\s+guia\b", "numero de seguimiento"),
    )
)
# Portuguese words inside Spanish mail, written by Brazilians who live in or visit Mendoza
# (portuñol: "¿cómo faço a troca?", "mi tamanho"), said in Spanish. A message mostly in
# Portuguese goes to the LLM before any of this.
PORTUGUESE = {
    "troca": "cambio", "trocas": "cambio", "trocar": "cambiar", "trocarla": "cambiar",
    "trocarlo": "cambiar", "trocarlas": "cambiar", "trocarlos": "cambiar", "tamanho": "talle",
    "tamanhos": "talle", "esgotado": "agotado", "esgotada": "agotada", "esgotados": "agotados",
    "esgotadas": "agotadas", "apertado": "ajustado", "apertada": "ajustada",
    "apertados": "ajustados", "apertadas": "ajustadas", "encomenda": "encargo", "loja": "tienda",
    "lojas": "tienda", "cartao": "tarjeta", "pagamento": "pago", "frete": "envio",
    "prazo": "plazo", "roupa": "ropa", "roupas": "ropa", "calca": "pantalon",
    "calcas": "pantalon", "moletom": "buzo", "jaqueta": "campera", "quanto": "cuanto",
    "quanta": "cuanta", "quantos": "cuantos", "quantas": "cuantas", "custa": "cuesta",
    "chegar": "llegar", "chega": "llega", "chegam": "llegan", "quando": "cuando",
    "onde": "donde", "posso": "puedo", "pode": "puede", "podem": "pueden", "faco": "hago",
    "fazer": "hacer", "tenho": "tengo", "tem": "tiene", "quero": "quiero",
    "gostaria": "quisiera", "voltar": "volver", "vai": "va", "nao": "no", "ou": "o",
    "com": "con", "sem": "sin", "mais": "mas", "tudo": "todo", "bem": "bien",
    "tambem": "tambien", "entao": "entonces", "voce": "vos", "voces": "vos", "meu": "mi",
    "minha": "mi", "um": "un", "uma": "una", "obrigado": "gracias", "obrigada": "gracias",
    "obrigados": "gracias", "obrigadas": "gracias", "valeu": "gracias", "beijo": "besos",
    "beijos": "besos",
}  # fmt: skip
PORTUGUESE_WORD = re.compile(
    r"\b(?:" + "|".join(sorted(PORTUGUESE, key=len, reverse=True)) + r")\b"
)
# A cut in the power, the water or the line: "se cortó la luz" names no short garment.
POWER_CUT = re.compile(
    r"\bse\s+(?:nos\s+|me\s+|les?\s+)?corto\s+(?:la|el)\s+(?:luz|agua|internet|wifi|senal|gas"
    r"|electricidad|corriente|conexion|llamada|linea)\b"
)
# A colour by its name ("la quiero en verde"): a colour wherever the answer speaks of colours.
COLOR_NAMED = re.compile(rf"\b(?:{COLOR_NAMES})\b")
# A bank by its name ("débito del Banco Nación", "transferencia desde Brubank"): a bank wherever
# the answer speaks of cards and transfers from any, and "cuotas + banco" wherever it does not.
# Names that are common words or places ("Provincia", "Ciudad", "Nación") only after "banco",
# or "el" for the one said so ("la del Nación").
BANK_NAMED = re.compile(
    r"\bbanco\s+(?:de\s+la\s+)?(?:nacion|provincia|ciudad|patagonia|frances|columbia|municipal"
    r"|credicoop|galicia|santander|macro|supervielle|hipotecario|comafi|itau|icbc|hsbc|bbva)\b"
    r"|\b(?<=el\s)nacion\b"
    r"|\b(?:galicia|santander|bbva|supervielle|icbc|hsbc|credicoop|brubank|uala|bancor|bapro)\b"
)
# A size by its letters ("¿soy M o L?", "talle XL"): a size wherever the answer speaks of sizes.
SIZE_NAMED = re.compile(rf"\b(?:talle\s+)?(?:{SIZE_LETTERS})\b(?![.'´]\w)")
# Two sizes side by side ("entre una S y una M", "¿M o L?"): choosing between two sizes, which
# is what a sizes answer speaks of, and no product.
TWO_SIZES = re.compile(
    rf"\b(?:entre\s+)?(?:(?:un|una|el|la)\s+)?(?:{SIZE_LETTERS})\s+(?:y|o)\s+"
    rf"(?:(?:un|una|el|la)\s+)?(?:{SIZE_LETTERS})\b(?![.'´]\w)",
    re.IGNORECASE,
)
# "¿Es porque lo tienen?", "¿quiere decir que no hay?", "¿es seguro que está?": asking whether
# something is in stock. ("Es que está lindo" gives a reason: "está" needs "porque" or "seguro".)
IN_STOCK = re.compile(
    r"\b(?:es|significa|quiere\s+decir)\s+(?:(?:porque|por\s+que|que|seguro\s+que)\s+(?:no\s+)?"
    r"(?:lo\s+|la\s+|los\s+|las\s+)?(?:hay|tienen|tenes|tenemos)"
    r"|(?:porque|seguro\s+que)\s+(?:no\s+)?(?:lo\s+|la\s+)?(?:esta|estan))\b"
)
# What the shop's site lists ("lo que está en la página", "las cosas que se ven en la web"):
# its stock, which the stock answer speaks of.
ON_THE_SITE = re.compile(
    r"\b(?:lo|las\s+cosas|las\s+prendas|los\s+productos|todo\s+lo|el\s+stock)\s+que\s+(?:esta|estan|aparece|aparecen"
    r"|sale|salen"
    r"|figura|figuran|se\s+ve|se\s+ven|ves|muestra|muestran|dice|hay|publican)\s+en\s+la\s+(?:pagina|web"
    r"|tienda)\b"
)
# A size or colour the site shows as there ("si en la web dice que está mi talle", "figura el
# talle M"): what is available, which the stock answer speaks of, not how to choose a size.
SIZE_SHOWN = re.compile(
    r"\b(?:dice|dicen|figura|figuran|aparece|aparecen|muestra|muestran|sale|salen)\s+(?:que\s+)?"
    r"(?:(?:hay|esta|estan|tienen)\s+)?(?:mi|el|la|un|una|ese|esa|tu|su)?\s*(?:talle|color)"
    rf"(?:\s+(?:{SIZE_TOKEN})\b)?"
)
# What the site would show of a size or colour ("si en la web dice que hay talle M"), or shows
# of most things ("en talle L dice agotado en casi todo"): the site's stock, which any size
# illustrates. What one product's page says ("el chaleco dice últimas unidades") is that product.
SITE_SHOWS = re.compile(
    r"\bsi\s+(?:\w+\s+){0,4}?(?:(?:la\s+)?(?:pagina|web|tienda\s+online)\b.{0,40}\b(?:dice|dicen|figura|figuran"
    r"|aparece|aparecen|muestra|muestran|deja\s+elegir|hay)|(?:dice|figura|aparece|sale)\s+(?:que\s+)?(?:hay"
    r"|agotad\w*|disponible|sin\s+stock))\b"
    r"|\b(?:dice|dicen|figura|figuran|aparece|aparecen|sale|salen)\s+(?:que\s+)?(?:agotad\w*|sin\s+stock)\s+en"
    r"\s+(?:casi\s+)?(?:todo|todos|todas|la\s+mayoria|varios|varias|muchos|muchas)\b"
)
# A question pointing at where the writer is: "¿llegan hasta acá?".
HERE = re.compile(r"\b(?:aca|alla|aqui|ahi)\b")
# Where a question sends or picks up, named in it: a town of the country ("localidad", see
# _placed) after a word that leads to it, or the shop itself ("¿puedo retirar en el local?").
DESTINATION = re.compile(
    r"\b(?:a|al|hasta|para|en|incluid[oa]s?)\s+(?:(?:la|el)\s+)?localidad\b"
    r"|\b(?:retir\w*|buscar\w*)\b[^.?!\n]{0,30}\b(?:local|tienda)\b",
    re.IGNORECASE,
)
# A kind of place ("un pueblo chico", "las ciudades grandes"), like a town's name.
PLACE_WORD = re.compile(
    r"\b(?:pueblo|pueblito|ciudad|ciudades|provincia|provincias|barrio|zona|paraje|capital|capitales|localidad"
    r"|localidades|lugar|lugares|lugarcito)(?:\s+(?:norte|sur|oeste|este|centro|chic[oa]s?|pequen[oa]s?|grandes?|lejan[oa]s?|alejad[oa]s?|del\s+interior))?\b"
)
COLOR_ASK = re.compile(
    rf"\b(?:en|color)\s+(?:{COLORS})\b|\btalle\s+(?:{SIZE_TOKEN})\b|\ben\s+(?:xxs|xs|xl|xxl|xxxl)\b"
)
PRICE_ASK = _any(
    r"\bcuanto\s+(?:(?:me|nos|le|les|te)\s+)?(?:sale|salen|cuesta|cuestan|esta|estan|vale|valen|saldria"
    r"|va\s+a\s+salir)\b",
    r"\bprecios?\b",
    r"\bvalor\b",
)
SHIPPING = re.compile(r"\s+(?:de\s+|del\s+|el\s+|los\s+|la\s+)?(?:envio|envios|flete|correo)\b")
SHIPPING_WORD = re.compile(r"\benvi\w*|\bmand\w*|\bcorreo\b|\bflete\b|\bdespach\w*")
AVAILABILITY = _any(
    r"\btienen\b|\btenes\b|\bhay\b|\bqueda\b|\bquedan\b|\bvienen?\s+en\b|\brepon\w*|\bvuelv\w*",
    r"\btraer\b|\bentra\b|\bdisponible\w*|\bstock\b|\bagot\w*|\bconsigo\b|\bconseguir\b",
)
# Asking whether something is there to have: "¿tienen…?", "¿hay…?" (not "hay que").
HELD = re.compile(
    r"\b(?:tienen|tenes|tendran|hay(?!\s+que\b)|stock|disponibles?|quedan?\s+(?:en|de)\b)"
)
# Verbs asking for a recommendation, for both rules that read one.
RECOMMENDING = r"recomiendan|recomendas|recomendarian|aconsejan|sugieren"
# A body measured: "mido 1,80", "peso 70 kilos", "soy alta (1,78)".
MEASURED = _any(
    r"\bmido\s+\d|\bmido\s+(?:un|uno)\b|\bpeso\s+\d|\d+\s*(?:kg|kilos)\b",
    r"\b1[.,]\d{2}\s*(?:m|mts|metros)?\b",
    r"\bmi\s+(?:altura|estatura|peso)\b",
    r"\b(?:normalmente|siempre|generalmente)?\s*uso\s+(?:talle\s+)?(?:xxs|xs|s|m|l|xl|xxl|\d{2})\b",
)
# The measure itself, which tells who wears it and is no condition of an answer.
MEASURE = re.compile(
    r"\b1[.,]\d{2}\s*(?:m|mts|metros)?\b|\b\d{2,3}\s*(?:kg|kilos)\b"
    r"|\b(?:mido|mide)\s+\d(?:[.,]\d{1,2})?\s*(?:m|mts|metros)?\b|\bpes[oa]\s+\d{2,3}\b"
)
# A size chosen for somebody, asked: "¿qué talle me va?", "¿cuál le queda?", "¿me entra el L?".
ADVICE_ASKED = _any(
    r"\bque\s+talle\b|\bcual\s+(?:talle\s+)?(?:me|le|les|nos|te)\b",
    r"\b(?:me|le|les|nos|te)\s+(?:va|irian?|queda|quedaria|quedarian|entra|entraria|conviene"
    r"|convendria|sirve|serviria)\b",
    r"\b(?:pido|elijo|compro|llevo)\s+(?:el|la|un|una|talle)\b",
)
PERSONAL_SIZE = _any(
    rf"\bque\s+talle\s+(?:me\s+)?(?:{RECOMMENDING})\b",
)
# A body described: "ella es más bien flaquita y bajita".
BODY = re.compile(
    r"\b(?:es|soy|sos|somos|son|esta|estoy)\s+(?:mas\s+bien\s+|medio\s+|muy\s+|re\s+|bastante\s+"
    r"|un\s+poco\s+)?(?:flac|flaq|gord|bajit|petis|robust|delgad|rellenit|grandot|menud|alt[oa]s?\b"
    r"|baj[oa]s?\b)\w*"
)
# The size somebody wears, told: "soy talle 8", "uso talle XL", "mi mamá usa un 46".
SIZE_WORN = re.compile(
    rf"\b(?:soy|es|somos|son)\s+talle\s+(?:{SIZE_LETTERS}|\d{{1,2}})\b"
    rf"|\b(?:uso|usa|usamos|usan)\s+(?:(?:un|el)\s+)?(?:talle\s+)?(?:{SIZE_LETTERS}|\d{{1,2}})\b"
)
# Which of them to choose, asked: "¿cómo sé cuál pedir?", "¿cuál pido cuando pasa eso?".
WHICH_TO_CHOOSE = re.compile(
    r"\bcual\s+(?:talle\s+)?(?:pido|pedir|pedimos|elijo|elegir|elegimos|llevo|llevar|compro|comprar)\b"
)
RECOMMEND = re.compile(rf"\bque\s+(?:talle\s+)?(?:me\s+|le\s+)?(?:{RECOMMENDING})\b")
# How a reason is joined to what it explains; one list for every rule that reads one.
BECAUSE = r"ya\s+que|porque|puesto\s+que|debido\s+a\s+que|dado\s+que"
QUESTION = _any(
    r"\?",
    # Mid-sentence, "como", "cuando" and "donde" join clauses ("…cuando ya puse la tarjeta").
    r"(?:^|[.,;:!¿(]\s*|\b(?:y|e|o|pero|hola|consulta|pregunta|duda)\s+)"
    # ("como" is also "since": "pero como él no está al tanto…", "como ya tengo la guía…".)
    r"(?:como(?!\s+(?:el|ella|ellos|ellas|yo|no|ya|es|son|soy|estoy|tengo(?!\s+que)|vivo|nunca"
    r"|siempre|todavia)\b)|cuanto|cuantos|cuanta|cuantas|donde|cual|cuales"
    # ("Cuando vuelva veo bien todo": "cuando" before the subjunctive tells a time.)
    r"|cuando(?!\s+(?:vuelva|vuelvan|vuelvas|llegue|lleguen|tenga|tengan|tengas|pueda|puedan|puedas|este"
    r"|esten|sea|sean|haya|hayan|vaya|vayan|salga|salgan|termine|terminen|regrese|regresen|reciba"
    r"|reciban|vea|vean|sepa|sepan|cobre|cobren"
    # (Nor before a past: "cuando fui a pagar ya no quedaba".)
    r"|fui|fue|fuimos|entre|entro|quise|intente|compre|compramos|pague|llego|llegaron|vi|vimos|abri"
    r"|abrio|recibi|recibimos|estaba|estaban|era|eran|tenia|tenian|hice|hizo)\b))\b",
    # "…y es sorpresa como hago": how to do it, asked at the end without its mark.
    r"\bcomo\s+(?:hago|hacemos|seria)\W*$",
    # ... or leading to what they want to do: "buenas tardes como hago para saber el talle".
    r"\bcomo\s+(?:hago|hacemos|haria|puedo\s+hacer)\s+(?:para|con|si)\b",
    r"\b(?:cuanto|cuantos|cuanta|cuantas|cual|cuales)\b",
    # (After a comma "quien" is who: "mi esposo, quien cumple años".)
    # (After a comma, "que" before a subject, "es" or an aside tells on: "el invierno, que allá
    # es bravo", "el tapado de lana, que además me parece una idea buenísima".)
    r"(?:^|[.;:!]\s*)que\b|,\s*que\b(?!\s+(?:es|era|fue|son|eran|esta|estaba|estan|alla|aca|aqui|ahi"
    r"|siempre|nunca|recien|tambien|justo|ya|yo|el|ella|ellos|ellas|mi|su|sus|mis|ademas|encima"
    r"|no|la\s+verdad|por\s+cierto|obviamente)\b)"
    # (Nor before a verb in the imperfect: "un buzo para mi hijo, que cumplía años".)
    r"(?!\s+\w+(?:aba|aban|ia|ian)\b)"
    r"|(?:^|[.;:!]\s*)quien\b",
    # "Lo pregunto porque…" explains the question asked elsewhere; it asks nothing itself.
    # ("No quiero arruinar nada antes de preguntar" tells what they do.)
    r"(?<!\bantes\sde\s)(?<!\bsin\s)(?<!\bdespues\sde\s)"
    # ("Me pidió que les pregunte si…": the question passed on; "le pregunté" is the past.)
    r"\b(?:consultar(?:les)?|preguntar(?:les)?|pregunto|consulto|consulta(?:les?)?|pregunta(?:les?)?"
    r"|(?:(?<=que\s)|(?<=que\sles\s))(?:pregunte|consulte))\b"
    f"(?!\\s+(?:{BECAUSE}|por\\s+que))",
    # "Saber" asks when wanted ("quería saber"), not when told ("nunca termino de saber mi talle").
    r"\b(?:quisiera|queria|quiero|necesito|necesitaria|me\s+gustaria|desearia|deseo|queriamos"
    r"|quisieramos|me\s+interesa|me\s+(?:re\s+)?(?:sirve|serviria|ayudaria|vendria\s+bien))\s+"
    r"(?:saber|consultar|preguntar|hacer|cambiar|pagar|info|conocer)\b",
    # Somebody else, or the writer in the third person: "el Sr. Funes desea saber si…" (not
    # "no quiere saber nada con probarse").
    r"(?<!\bno\s)\b(?:quiere|quieren|desea|desean|necesita|necesitan|le\s+gustaria|les\s+gustaria)\s+"
    r"(?:saber|consultar|preguntar|conocer)\b",
    r"\b(?:solicito|solicitamos|pido|pedimos)\s+(?:informacion|info|detalles)\b",
    # The formal request: "les agradecería me indiquen de qué manera…", "solicitamos nos
    # confirmen si…", "tengan a bien informarnos…".
    r"\b(?:agradeceria|agradeceriamos|agradecere|agradezco|solicito|solicitamos|rogamos|ruego)\s+"
    r"(?:que\s+)?(?:me|nos)\s+(?:indiquen|informen|digan|comenten|cuenten|expliquen|detallen|envien|pasen"
    r"|confirmen|aclaren)\b",
    r"\btengan?\s+a\s+bien\s+(?:informar|indicar|confirmar|detallar|aclarar)\w*",
    # Mid-sentence, "hay" and "tienen" tell ("acá hay poco"); at its start they ask.
    r"(?:^|[.,;:!¿(]\s*|\b(?:y|e|o|pero|hola|consulta|pregunta|duda|si|me\s+dicen|dime|diganme)\s+)"
    r"(?:se\s+puede|puedo|pueden|podrian|podes|hacen|tienen|aceptan|envian|mandan|manejan|hay)\b",
    # (Not negated, with or without a pronoun: "no puedo ir al local", "ya no me puedo
    # dormir" tell why they write.)
    r"(?<!\bno\s)(?<!\bno\s\w\w\s)(?<!\bno\s\w\w\w\s)"
    r"\b(?:se\s+puede|puedo|pueden|podrian|podes|aceptan|envian|mandan|manejan)\b",
    r"\b(?:info|informacion|detalles)\b",
)
# "No sé si me conviene el L": a question without its mark.
UNSURE = re.compile(
    r"\bno\s+(?:se|sabia|sabemos|estoy\s+segur[oa])\s+(?:si|que|cual|como|cuanto)\b"
    r"|\bno\s+(?:encuentro|encontre|logro\s+(?:ver|encontrar)|veo)\s+(?:donde|como|cual|en\s+que)\b"
)
# A question that only offers another choice continues the one before: "¿Se puede cambiar
# por otro color? ¿O solo por talle?".
ALTERNATIVE = re.compile(r"¿?\s*o\s+(?!sea\b)")
# A sentence and the punctuation that ends it (one character class each, so linear). An
# emoji ends a sentence as a full stop would ("…en la cordillera 😄 Lo único que quiero…").
_STOPS = ".!?;\n\u2600-\u27bf\U0001f000-\U0001faff"
SENTENCE = re.compile(f"[^{_STOPS}]+[{_STOPS}]*")
WRAPPED_WIDTH = 50  # a line this long, broken before a lower-case word, was wrapped
# Sentences that ask nothing unless they carry a question mark: thanks for an earlier answer,
# what the customer says they already know ("ya sé que el envío tarda"), and an exclamation
# ("¡qué lindas las fotos nuevas!", "q divino todo 😍").
NOT_ASKING = _any(
    r"^\W{0,10}(?:muchas\s+)?gracias\s+por\b",
    # What there is that they liked, or that is gone: "hay camisas que me gustaron pero…",
    # "hay modelos que ya no están en mi talle" (with no mark, "hay" opens a statement).
    r"^\W{0,10}hay\s+(?:\w+\s+){1,5}?que\s+(?:(?:me|nos|le|les)\s+(?:gust|encant|interes)\w*|ya\s+no)\b",
    # ("ya se había pasado el tiempo" is "se" of the verb, not "I know".)
    r"\bya\s+lo\s+se\b|\bya\s+(?:lo\s+)?(?:se\s+(?:que|como|cuanto|cuando|donde|cual|de|del|por)"
    r"|sabemos|vi|lei|calcule|averigue|tengo\s+claro)\b",
    # What the writer now knows: "me doy cuenta cuál pedir".
    r"\b(?:me\s+doy|me\s+di)\s+cuenta\s+(?:de\s+)?(?:cual|cuanto|como|que|donde)\b",
    r"^\W{0,10}que\b[^!]*!+\W*$",
    r"^\W{0,10}que\s+(?:re\s+|muy\s+|tan\s+)?(?:lind|hermos|bonit|divin|copad|genial|buen|bien"
    r"|precios|ric[oa]|lujo|placer|alegria|suerte|pena|lastima|bronca|onda|facha|increibl)",
    # A question announced, not asked: "Les hago una consulta antes de volverme loca".
    r"^\W{0,10}(?:hola\W+)?(?:les|te|le)\s+(?:hago|hacemos|quiero\s+hacer|queria\s+hacer)\s+una"
    r"\s+(?:consulta|pregunta)\b",
    # Resignation, and a story announced: "qué le vamos a hacer", "les cuento: …".
    r"\bque\s+(?:le\s+)?(?:vamos|va|vas)\s+a\s+hacer\b|\bque\s+se\s+le\s+va\s+a\s+hacer\b",
    r"^\W{0,10}(?:les|te|le)\s+cuento\b(?!.*\b(?:saber|consultar|preguntar|si\s+(?:pueden|hacen|tienen)))",
)
CONTACT_DIGITS = 7  # a line with this many digits is a phone number or an address, not prose
STREET_LINE = re.compile(
    r"\s*(?:Av|Avda|Avenida|Calle|Bv|Bvd|Boulevard|Ruta|Pje|Pasaje)\b\.?\s[^\n]{0,60}?\d",
    re.IGNORECASE,
)
# A closing line; the short lines under it (name, company, address) are a signature.
SIGN_OFF = re.compile(
    r"\W*(?:saludos?|slds|gracias|muchas\s+gracias|desde\s+ya|atte|atentamente|cordialmente"
    r"|abrazos?|besos?|un\s+saludo|cordiales\s+saludos|quedo\s+a\s+la\s+espera|espero\s+respuesta)\b"
)
SIGNATURE_LINES = 12
PLACES_FILE = Path(__file__).parent / "data" / "localidades.txt"
WORD = re.compile(r"\w+")
# The address of one product's page ("…/productos/campera-inflable-negra/"): a product named.
PRODUCT_LINK = re.compile(
    r"\bhttps?://[^\s/]{1,100}/(?:[^\s/]{1,60}/){0,3}?(?:productos?|products?|p|item|articulo)/[^\s/]",
    re.IGNORECASE,
)
# The words a place follows ("envían a salta", "vivo en la plata"); not "de", which a common
# phrase follows as often ("el largo de la falda", "el motivo de la consulta").
PLACE_LEADS = frozenset({"a", "al", "en", "hasta", "desde", "para", "hacia"})
MAX_PLACE_WORDS = 6
# Words too common to be a name's beginning ("la" does not begin Laura).
SHORT_WORDS = faq_module.STOPWORDS | faq_module.EVERYDAY
SIGNATURE_WORDS = 12  # "Av. San Martín 1234, Piso 3 - Ciudad de Mendoza"
# A line that is a name: one to five capitalised words or initials ("Dra. Viviana Bustos").
NAME_LINE = re.compile(
    # (With the pronouns a signature may give: "Fermín Luna (él/lo)".)
    r"[A-ZÁÉÍÓÚÑ][\w.]*(?:[ \t]+(?:[A-ZÁÉÍÓÚÑ][\w.]*|de|del|y))[ \t\w.|,&-]{0,40}"
    r"(?:[ \t]*\(\w+/\w+\))?$"
)
# Lines a contact form adds around the customer's words.
FORM_LABEL = re.compile(
    r"^[^\S\n]*(?:nombre|name|apellido|e-?mail|correo(?:\s+electronico)?|tel[eé]fono|telefono|celular"
    r"|whatsapp|movil|asunto|subject|empresa|ciudad|provincia|localidad|dni|phone|motivo|tema)"
    r"[^\S\n]*:.*$|^[^\S\n]*nuevo\s+mensaje\s+(?:recibido\s+)?desde\s.*$"
    r"|^(?=[^\n]{0,120}\bformulario\s+de\s+contacto\b)[^\n?]*$",
    re.IGNORECASE | re.MULTILINE,
)
FORM_SUBJECT = re.compile(
    r"^\s*(?:nuevo\s+mensaje|nueva\s+consulta|nuevo\s+contacto|mensaje)(?:\s+de\s+contacto)?"
    r"(?:\s+(?:desde|de|en)\s+\S+)?\s*(?:[:\-–|]\s*|$)",
    re.IGNORECASE,
)
FORM_BODY_LABEL = re.compile(
    r"^[^\S\n]*(?:mensaje|message|consulta|comentarios?)[^\S\n]*:[^\S\n]*",
    re.IGNORECASE | re.MULTILINE,
)
# The day something came or was bought, or since when a status stands, read on the text as
# written: "lo recibí el 23 de diciembre", "me llegó el 27", "hice el pedido el 28/11", "me
# llegó el martes pasado", "figura en preparación desde el 8". Each alternative is a fixed run
# of words, so linear.
_RECEIVED = (
    r"\b(?P<verb>(?:recib[ií]|recibimos|lleg[oó]|llegaron|compr[eé]|compramos|pagu[eé]|ped[ií]"
    r"|hice|hicimos|desde)(?:\s+[^\W\d]+){0,3}?)\s+el\s+"
)
_WEEKDAY = r"(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)"
RECEIVED_ON = re.compile(
    rf"{_RECEIVED}(?:{_WEEKDAY}\s+)?(?P<day>\d{{1,2}})"
    rf"(?:\s+de\s+(?P<month>{MONTHS})|/(?P<month_number>\d{{1,2}})(?:/(?P<year>\d{{4}}|\d{{2}}))?)?\b"
    r"(?!\s*(?:/|de\s+\d))",
    re.IGNORECASE,
)
RECEIVED_WEEKDAY = re.compile(
    rf"{_RECEIVED}(?P<weekday>{_WEEKDAY})(?P<last>\s+pasado)?\b(?!\s+\d)", re.IGNORECASE
)
MONTH = re.compile(rf"\b(?:{MONTHS})\b", re.IGNORECASE)
MAX_DATED_DAYS = 400  # a day further back is no purchase a window could hold
# What is asked, announced: "la pregunta es:", "mi consulta es la siguiente:".
QUESTION_ANNOUNCED = re.compile(
    r"\b(?:la|mi|nuestra)\s+(?:pregunta|consulta|duda|inquietud)\s+es(?:\s+la\s+siguiente)?\s*[:,]"
    r"|\bpara\s+(?:consultar|preguntar)(?:les|le)?\s*:"
    # "Antes de apretar el botón quería saber: ¿…?", "tengo una duda:", "tiro la pregunta:".
    r"|\b(?:queria|quisiera|quiero|necesito|queriamos|quisieramos)\s+(?:saber|consultar(?:les)?"
    r"|preguntar(?:les)?)\s*:"
    r"|\b(?:una|tengo\s+una|tenemos\s+una|tiro\s+la|les\s+hago\s+una)\s+(?:pregunta|consulta"
    r"|duda)\s*:"
)
# A question relayed, introduced: "les copio lo que puse", "les paso mi consulta de Instagram".
RELAYED = re.compile(
    r"\b(?:copio|pego|paso|reenvio|transcribo)\s+(?:lo\s+que\s+(?:les\s+)?(?:puse|escribi|pregunte|mande"
    r"|consulte)|(?:mi|la)\s+(?:consulta|pregunta|mensaje|duda))\b"
)
# A question opened by a supposition: "si hago la compra hoy y pago con tarjeta, ¿…?".
SUPPOSITION_FIRST = re.compile(r"\W{0,3}(?:y\s+)?si\s+[^,¿?]{1,120}(?:,\s*¿?|¿)")
# A day of a month: "el 20 de diciembre".
DATE = re.compile(rf"\b\d{{1,2}}\s+de\s+(?:{MONTHS})\b")
# A day told: "el 24", "el 6 de enero" (not a size range, "el 38 al 42", nor "el 28/11").
DAY_TOLD = re.compile(
    rf"\bel\s+(?P<day>\d{{1,2}})(?:\s+de\s+(?P<month>{MONTHS}))?\b(?!\s*(?:/|al\s|de\s+\d))",
    re.IGNORECASE,
)
MAX_AHEAD_DAYS = 60  # further ahead, a day is no gift or trip of this purchase
# A letter's dateline, alone on a line: "Salta, 5 de febrero de 2025", "Mendoza, 12/03/2026".
# When and where the letter was written, not a date the question keeps.
DATELINE = re.compile(
    r"^[^\S\n]*[A-ZÁÉÍÓÚÑ][^\n,\d]{1,40},[^\S\n]*(?:[a-záéíóú]+[^\S\n]+)?(?:\d{1,2}[^\S\n]+de[^\S\n]+"
    rf"(?:{MONTHS})(?:[^\S\n]+del?[^\S\n]+\d{{4}})?|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\.?[^\S\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
# The stamp a chat pasted from WhatsApp puts before each message: "[10:42, 3/2/2026] Romi: "
# (iPhone) or "3/2/26, 10:42 - Romi: " (Android).
CHAT_STAMP = re.compile(
    r"^[^\S\n]*(?:\[\d{1,2}:\d{2}(?::\d{2})?(?:[^\S\n]*[ap]\.?[^\S\n]*m\.?)?,[^\S\n]*\d{1,2}/\d{1,2}/\d{2,4}\]"
    r"|\d{1,2}/\d{1,2}/\d{2,4},?[^\S\n]+\d{1,2}:\d{2}(?:[^\S\n]*[ap]\.?[^\S\n]*m\.?)?[^\S\n]+-)"
    r"[^\S\n]*[^:\n]{1,40}:[^\S\n]*",
    re.IGNORECASE | re.MULTILINE,
)
# A group chat pasted in, line by line ("[8/9 19:02] Meli: chiques pregunta…"): what others
# said; the writer's own question follows it.
CHAT_PASTED = re.compile(
    r"^[^\S\n]*\[\d{1,2}/\d{1,2}(?:/\d{2,4})?,?[^\S\n]+\d{1,2}:\d{2}(?:[^\S\n]*[ap]\.?[^\S\n]*m\.?)?\]"
    r"[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)

NAME_JOINERS = frozenset({"-", "–", "|", "de", "del", "y"})  # "Oberá - Misiones"
# Words of a short reply that is a message after all ("Muchas Gracias", "Buenas Tardes").
COURTESY_WORDS = frozenset(
    "hola gracias muchas buenas buenos buen dia dias tardes noches saludos ok dale perfecto genial"
    " listo joya barbaro excelente si no chau abrazo besos".split()
)
COURTESY_CHEER = re.compile(
    r"\b(?:gracias|hola|saludos|besos|abrazos?|genial|genias|chau|buen\s+dia)[^\w!]*!+",
    re.IGNORECASE,
)
# A company footer: confidentiality notices, "think before printing", separator rules.
DISCLAIMER = _any(
    r"\bconfidencial\w*|\bconfidential\w*|\bdestinatari[oa]\b|\bintended\s+recipient",
    r"\bsecreto\s+profesional\b|\baviso\s+legal\b|\bdisclaimer\b",
    r"\bantes\s+de\s+imprimir\b|\bmedio\s+ambiente\b|\bplease\s+consider\s+the\s+environment",
    r"^[\s_=*~-]{10,}$",
)
# A sentence about another shop ("la última vez que compré en otra tienda me perdieron el
# paquete"): the customer's past elsewhere is not a purchase, a loss or a refund of ours.
ELSEWHERE = _any(
    r"\b(?:en|con|de|a)\s+otr[oa]s?\s+(?:(?:dos|tres|varias|muchas|\d+)\s+)?(?:tienda|negocio|lugar"
    r"|lado|sitio|pagina|marca|local|comercio|web|empresa|vendedor)(?:e?s)?\b",
    # ("de un lado" is a side, not a shop: with "un", only a shop's own nouns.)
    r"\b(?:en|con|de|a)\s+una?\s+(?:(?:supuesta|supuesto|falsa|falso|trucha|trucho)\s+)?(?:tienda|negocio"
    r"|pagina|marca|local|comercio|web|empresa|vendedor)\b",
    r"\b(?:no|ni)\s+(?:aca|aqui|con\s+ustedes|a\s+ustedes)\b|\bno\s+(?:era|fue|es)\s+(?:de|con)\s+ustedes\b",
    # A shop by its kind: "ya me pasó con una zapatillería", "en una juguetería".
    r"\b(?:en|con|de|a)\s+una\s+[a-z]+eria\b",
    r"\b(?:muchas|otras|varias|algunas|casi\s+todas\s+las)\s+(?:tiendas|paginas|marcas|negocios"
    r"|empresas|comercios)\b",
    # A marketplace or a big store by name: "en Mercado Libre me pasó que…".
    r"\b(?:en|con|de|a|por)\s+(?:mercado\s*libre|meli|amazon|aliexpress|shein|temu|marketplace"
    r"|dafiti|falabella|tiendamia)\b",
)
# The lines that open a company's legal footer: everything from the first of them on is the
# footer, also when no blank line sets it apart from the message.
LEGAL_NOTICE = re.compile(
    r"\bconfidencial\w*|\bconfidential\w*|\baviso\s+legal\b|\bdisclaimer\b|\bsecreto\s+profesional\b"
    r"|\bantes\s+de\s+imprimir\b|\bno\s+imprima\w*|\bplease\s+consider\s+the\s+environment\b"
)
# Where a sentence turns to the reason for asking, or to what the answer is for (", así veo si
# me conviene…"). Split with the connector kept in front of the reason, so nothing is lost when
# both parts stay.
REASON = re.compile(rf"(?=,? ?\b(?:{BECAUSE})\b|,\s*asi\s+(?!que\b|como\b))")
# What a reason given after a question may itself ask: "¿cómo es?, porque no sé, ¿se puede?",
# "…porque falta, pero antes quería saber:". Wanting to do something is a reason.
ASKS_WITHIN = re.compile(r"\?|\b(?:saber|consultar(?:les)?|preguntar(?:les)?|como\s+hago)\b")
# "Que" opening the sentence after a question: why it was asked ("¿me avisan? que no hay mi
# talle"), unless another question word follows ("que cuánto tarda").
WHY_AFTER = re.compile(r"\W{0,10}que\s+(?!(?:como|cuanto|cuantos|cuando|donde|cual|si)\b)")
# A sentence that gives the reason for asking ("Porque en mi pueblo a veces las encomiendas se
# pierden."): context, not part of what is asked.
REASON_FIRST = re.compile(
    rf"\W{{0,10}}(?:{BECAUSE}|es\s+que|(?:lo\s+)?(?:pregunto|consulto)\s+(?:{BECAUSE}))\b"
)
# A person named by a title, as assistants write of their boss: "el Dr. Ricardo Pereyra", "la
# Sra. Graciela Gómez". Read on the text as written, where a name has its capitals.
TITLED = re.compile(
    r"\b(?:Dr|Dra|Doctor|Doctora|Ing|Ingeniero|Ingeniera|Lic|Licenciado|Licenciada|Sr|Sra|Srta|Señor"
    r"|Señora|Señorita|Cdor|Cdora|Contador|Contadora|Arq|Prof|Profesor|Profesora"
    # ... or by kinship: "mi abuela Susana", "mi nieta Valentina", "mis hijos (Tobías y Renzo)".
    r"|[Mm]is?\s+(?:abuel[oa]s?|mam[aá]|madre|pap[aá]|padre|hij[oa]s?|niet[oa]s?|sobrin[oa]s?|herman[oa]s?"
    r"|t[ií][oa]s?|prim[oa]s?|suegr[oa]|novi[oa]|espos[oa]|marido|amig[oa]s?|cuñad[oa]s?|nuera|yerno"
    r"|jef[ea]|vieja|viejo))\.?,?[^\S\n]+\(?"
    r"((?:(?!(?:Dr|Dra|Ing|Lic|Sr|Sra|Srta|Cdor|Cdora|Arq|Prof)\b)[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+"
    r"(?:,?[^\S\n]+[ye][^\S\n]+|,[^\S\n]*|[^\S\n]+)?){1,5})"
)
# How long the writer has lived, worked or bought somewhere: "vivo en Las Heras hace dos
# años", "hace años que les compro", "vivo en Barcelona desde el 2002". Who writes, not when
# anything came; the time belongs to that clause only ("vivo en Maipú y compré hace dos meses"
# keeps the purchase's).
LIVED = re.compile(
    r"\b(?:vivo|vivimos|resido|residimos|trabajo|trabajamos|les\s+compro|soy\s+client[ae])\b"
    r"(?:(?!\b(?:y|pero|que|compr\w*|ped\w*|pag\w*|recib\w*|lleg\w*|regal\w*|mand\w*|envi\w*)\b)"
    r"[^.?!\n,;]){0,40}?(?:\bhace\s+(?:(?:mas\s+de|casi|unos|unas|como)\s+)?(?:\w+\s+){0,2}"
    r"(?:anos|meses)\b(?!\s+que\b)|\bdesde\s+(?:el\s+)?(?:ano\s+)?(?:19|20)\d\d\b)"
    r"|\bhace\s+(?:(?:mas\s+de|casi|unos|unas|como)\s+)?(?:\w+\s+)?(?:anos|meses)\s+que\s+"
    r"(?:vivo|vivimos|resido|trabajo|trabajamos|les\s+compro|soy\s+client[ae])\b"
)
# Whom a line greets by name: "Hola Caro,", "Buen día Sole!" (written with its capital).
GREETED = re.compile(
    r"^\W*(?:[Hh]ola+|[Hh]olis|[Bb]uenas|[Bb]uen\s+d[ií]a|[Bb]uenos\s+d[ií]as|[Bb]uenas\s+(?:tardes|noches)"
    r"|[Qq]uerid[oa]s?|[Ee]stimad[oa]s?)[ \t,!]+([A-ZÁÉÍÓÚÑ][a-záéíóúñ]{2,})\b",
    re.MULTILINE,
)
# What a purchase is for: "regalarle algo para el día de la madre", "cumple el 3 de septiembre".
OCCASION = (
    r"(?:el\s+)?(?:dia\s+de\s+la\s+madre|dia\s+del\s+(?:padre|nino|amigo)|navidad|reyes|san\s+valentin"
    r"|(?:su|mi|el|sus|mis)\s+cumple\w*|(?:su|el|nuestro|mi)\s+aniversario"
    # The season's parties and holidays: "para las fiestas", "para fin de año", "para las
    # vacaciones de invierno", and a family's events: "para el casamiento de mi prima".
    r"|(?:las\s+)?fiestas|fin\s+de\s+ano|(?:las\s+)?vacaciones(?:\s+de\s+(?:invierno|verano))?"
    r"|(?:el\s+)?dia\s+del\s+estudiante|(?:un|el|su|mi)\s+(?:casamiento|bautismo|egreso)\b(?:\s+de\s+\w+\s+\w+)?)"
)
# When an event is, said of it: "el casamiento es el 21 de noviembre", "que es el sábado 13".
# (Not "cobro el 5" or "compré el 3": what the writer does on a day.)
EVENT_ON = re.compile(
    rf"\b(?:es|son|sera|seria|cae|caeria)\s+(?:recien\s+)?el\s+(?:(?:lunes|martes|miercoles|jueves|viernes"
    rf"|sabado|domingo)\s+)?\d{{1,2}}(?:\s+de\s+(?:{MONTHS}))?\b(?!\s*(?:/|de\s+\d))"
)
# A girl's fifteenth birthday party: "los 15 de mi hija", "la fiesta de 15" (not "los 15 días").
QUINCE = re.compile(
    r"\b(?:fiesta\s+de|los|sus|mis|tus)\s+(?:15|quince)(?:\s+anos)?\b(?!\s+(?:dias|de\s+(?:cada|este|ese)"
    r"|minutos|horas|semanas|meses|pesos|mil|cuotas)\b)"
)
GIFT_FOR = re.compile(rf"\b((?:regal|compr)\w*)\b((?:\s+\w+){{0,6}}?)\s+para\s+{OCCASION}\b")
BIRTHDAY_ON = re.compile(
    rf"\bcumple(?:\s+anos)?\s+el\s+\d{{1,2}}(?:\s+de\s+(?:{MONTHS}))?\b"
    rf"|\bel\s+\d{{1,2}}(?:\s+de\s+(?:{MONTHS}))?\s+cumple(?:\s+anos)?\b"
)
# Asking how to be told, or what the site's showing means ("¿el talle que figura como
# disponible está de verdad?"); asking in general.
HOW_TOLD = re.compile(
    r"\b(?:alguna\s+forma|alguna\s+manera|hay\s+(?:forma|manera)|como\s+hago|como\s+puedo)\s+"
    r"(?:de\s+|para\s+)?(?:que\s+me\s+(?:avisen|notifiquen)|enterarme|saber\s+cuando)\b"
    r"|\beso\s+(?:quiere\s+decir|significa)\b"
    r"|\b(?:figura|figuran|aparece|aparecen|dice|dicen|muestra|muestran)\s+(?:como\s+)?(?:disponibles?"
    r"|en\s+stock|con\s+stock)\b"
)
IN_GENERAL = re.compile(r"\b(?:pregunta|consulta)\s+general\b|\ben\s+general\b")
# An answer that holds for every garment says so.
EACH_GARMENT = re.compile(
    r"\b(?:cada|toda\s+(?:la|nuestra)|todas\s+las|todos\s+los)\s+(?:prendas?|productos?|articulos?"
    r"|modelos?)\b"
)
# A question pointing back at a garment told: "¿la puedo cambiar?", "¿puedo cambiarlo?", "¿lo
# tienen en rojo?" (not "¿los datos los tengo que sacar de la página?").
_ON_GARMENTS = r"cambiar|devolver|comprar|pedir|reservar|conseguir|encargar"
BACK_REFERENCE = re.compile(
    rf"\b(?:lo|la|los|las)\s+(?:\w+\s+){{0,2}}?(?:{_ON_GARMENTS}|tienen|traen|venden|hay)\b"
    rf"|\b(?:{_ON_GARMENTS})(?:lo|la|los|las)\b"
)
# An aside in brackets.
ASIDE = re.compile(r"\([^()\n]{0,200}\)")
# Where a sentence that asks nothing divides into what it tells: an aside, a comma, "y", "pero",
# "porque".
TELLING_PARTS = re.compile(rf"({ASIDE.pattern})|,|\s(?:y|e|pero|aunque|asi\s+que|{BECAUSE})\s")
# Who writes, by what they bought: "soy Brenda, la del pedido de las dos remeras".
INTRODUCED = re.compile(r"\W*(?:hola\w*\W+)?(?:soy|les\s+escribe|te\s+escribe)\b")
# A purchase of theirs told: "les compré", "la que compró el tapado", "me mandaron dos
# camisolas", "la del pedido de las dos remeras", "la terminé comprando".
BOUGHT_BEFORE = re.compile(
    rf"{PURCHASE.pattern}|\b(?:la|el)\s+(?:de\s+\w+\s+)?que\s+(?:les\s+)?(?:compro|pidio|encargo)\b"
    r"|\b(?:me|nos)\s+(?:mandaron|enviaron)\b|\b(?:la|el)\s+del\s+pedido\b|\bcomprando(?:la|lo|las|los)?\b"
)
# A purchase about to be made: "ahora quiero comprarme una malla", "voy a hacer un pedido".
ABOUT_TO_BUY = re.compile(
    r"\b(?:quiero|queria|quisiera|voy\s+a|vamos\s+a|estoy\s+por|estamos\s+por|pienso|pensaba"
    r"|me\s+gustaria)\s+(?:volver\s+a\s+)?(?:comprar\w*|pedir|encargar|hacer\s+(?:un|el|otro)\s+pedido)\b"
)
# A question of any purchase, not of one told: "si pido un talle y no me va", "¿se puede
# cambiar una prenda?".
ANY_PURCHASE = re.compile(
    r"\bsi\s+(?:\w+\s+){0,3}?(?:pido|compro|encargo|algo|no\s+me\s+(?:va|queda|gusta|convence|entra))\b"
    r"|\buna\s+prenda\b|\b(?:las|una|cualquier)\s+prendas?\b"
)
# A time of day or a distance in a story: "en la finca desde las 6 de la mañana", "son las 4
# am", "vivo a 10 cuadras". Around a question it is when or where they are, not a condition.
CLOCK = re.compile(
    r"\b(?:a|desde|hasta|de|son)\s+las\s+\d{1,2}(?:[:.]\d{2})?(?:\s+y\s+(?:pico|media|cuarto))?"
    r"(?:\s*(?:hs|horas?|am|pm|de\s+la\s+(?:manana|tarde|noche)))?\b"
    r"|\ba\s+\d{1,3}\s+(?:cuadras|km|kilometros|metros)\b"
)
# Whether something arrives, or in time: then an occasion named is a deadline.
ARRIVAL = re.compile(
    r"\b(?:llega|llegue|lleguen|llegaria|llegarian|llegan|llegara|tarda|tardan|tardaria|tardarian"
    r"|a\s+tiempo|despach\w*|tenerlo|tenerla|tenerlos|tenerlas)\b"
)
# The age of the person the customer buys for: "mi hija (14)", "mi hijo de 16", "cumple 30".
AGE = re.compile(
    r"\b(?:(?:hij|nen|niet|sobrin|herman|chic|pib|nin|ahijad|amig|prim|novi|cunad|suegr|espos"
    r"|marido|mujer|adolescente|mam|pap|madre|padre|abuel|tia|tio|jef|companer|vecin)\w*"
    r"|la\s+mas\s+grande|el\s+mas\s+grande|la\s+mayor|el\s+mayor"
    r"|tengo|tiene|cumple|cumplen|cumplio|cumplir|para\s+sus|de\s+sus|cumple\s+de)\s+(?:de\s+)?\(?(\d{1,2})(?!\d)\)?"
    r"(?!\s*(?:dias|semanas|meses|horas|cuotas|%|pesos|\$|cm|kg|kilos))(?:\s+anos\b)?"
)
# A baby's age or a pregnancy's, in months or weeks: "mi bebé de 4 meses", "embarazada de 30
# semanas".
BABY_AGE = re.compile(
    r"\b(?:bebe|beba|bb|nen[ae]|hij[oa]|gordit[oa]|embarazada|panza|criatura|recien\s+nacid[oa]"
    r"|estoy|esta)\s+(?:de\s+|tiene\s+|con\s+)?\d{1,2}\s*(?:meses|semanas|mes)\b"
)
# Children, their school and pregnancy, said as who wears the garment: "los chicos", "la ropa
# del colegio", "empieza primer año", "(Valentín 6, Lola 9 y Benjamín 12)", "Tomás (9 años)".
CHILD = re.compile(
    r"\b(?:nen[ea]s?|nenit[oa]s?|bebes?|bebas?|bb|nin[oa]s?|ninit[oa]s?|criaturas?|embarazada"
    r"|embarazo|panza|chiquit[oa]s?|gur[ie]s?|recien\s+nacid[oa]s?|chic[oa]s|pibes|pibas"
    r"|colegio|cole|escuela|escolar|jardin|primaria|secundaria|clases"
    r"|(?:primer|primero|segundo|tercer|tercero|cuarto|quinto|sexto|septimo|\d(?:ro|do|er|to|mo|o)?)"
    r"\s+(?:ano|grado)|(?<!mas )(?<!menos )(?<!cerca )de\s+\d{1,2}\s+anos)\b"
    r"|\(\s*(?:[a-z]+\s+)?\d{1,2}(?:\s+anos)?(?:\s*(?:,|\by\b)\s*(?:[a-z]+\s+)?\d{1,2}(?:\s+anos)?)*\s*\)"
)
# An order that "sale" leaves: "¿en cuánto tiempo sale el pedido?". Its price asked ("¿cuánto
# sale el pedido?") is not this.
ORDER_LEAVING = re.compile(
    r"(?<!cuanto )(?<!cuanto me )\bsalen?\s+(?=(?:el|mi|los|mis|nuestro)\s+(?:pedidos?|paquetes?"
    r"|compras?)\b)"
)
# A number and what it counts: "2 conjuntos", "3 chicos" (not a day: "cobro el 5 jaja").
COUNT = re.compile(r"(?<!\bel\s)(?<!\bdel\s)(?<!\bal\s)(?<!\blos\s)\b\d{1,3}\s+(?P<what>[a-z]+)\b")
# What a number counts that is a time, money, an instalment or a date, never left out. (Nor
# is a number followed by a word that says nothing of what it counts: "mi nene de 8 para su
# cumple", "el 5 de marzo".)
KEPT_COUNT = re.compile(
    r"(?:dia|dias|semana|semanas|mes|meses|ano|anos|hora|horas|hs|hrs|h|min|minuto|minutos|habiles"
    rf"|am|pm|pesos|peso|mil|lucas|dolares|usd|reales|euros|cuota|cuotas|{MONTHS})"
)
# A sentence that goes on with the one before: "… y me devolvieron la plata re tarde".
GOES_ON = re.compile(r"\W{0,3}y\s")
# What "they" did, in the past: after a sentence about another shop ("compré en otra página un
# saco"), "tardaron un mes en devolverme la plata" still tells of that shop.
THEY_DID = re.compile(r"\b[a-z]{2,}(?:aron|ieron)\b")
# What names this shop: a sentence or an aside that does is about us, whoever else it names.
OURS = re.compile(
    # ("No era de ustedes", "en otra tienda, no en la de ustedes" say it was not ours.)
    r"(?<!\bno\sera\sde\s)(?<!\bno\sfue\scon\s)(?<!\bno\sfue\sde\s)(?<!\bno\sen\sla\sde\s)"
    r"(?<!\bno\sen\sel\sde\s)(?<!\bno\scon\s)(?<!\bni\scon\s)\bustedes\b"
    r"|\bles\s+(?:compre|pedi|pague)\b|\bsu\s+(?:tienda|pagina|local|web|atencion)\b"
)
# Somebody other than the buyer: "ella", "otra persona", "mi hermana", "una amiga".
SOMEBODY_ELSE = (
    r"ella|otra\s+persona|alguien(?:\s+mas)?|un\s+tercero|(?:mi|una?)\s+(?:amig|herman|mama|madre|papa"
    r"|padre|hij|novi|espos|marido|mujer|vecin|abuel|tia|tio|prim|viej|companer|cunad|suegr|sobrin"
    r"|pareja|familiar|conocid)\w*"
)
# Subjects the curated answers say nothing about, however close their words: a curated answer
# about shipping is wrong for "do you ship wholesale orders?".
NOT_COVERED = _any(
    r"\bpor\s+mayor\b|\bmayorist\w*|\brevend\w*|\breventa\b|\bwholesale\b",
    r"\bgift\s*cards?\b|\bticket\s+(?:de\s+)?(?:regalo|cambio)\b|\bvoucher\w*|\btarjetas?\s+(?:de\s+)?regalo\b|\bcupon(?:es)?\s+de\s+regalo\b",
    r"\benvuelt[oa]s?\b|\benvolver\w*|\benvoltori\w*|\bpapel\s+de\s+regalo\b|\bpaquete\s+de\s+regalo\b",
    r"\bfactura\s+[abc]\b|\bcuit\b",
    r"\befectivo\b|\bdescuentos?\b|\bpromo\s+bancaria\b",
    # Paying cash at a payment office or on delivery: "un cupón para Rapipago", "¿se puede pagar
    # cuando llega?", "contra entrega". The answer lists card, Mercado Pago and transfer only.
    r"\brapi\s?pago\b|\bpago\s?facil\b|\bcontra\s?(?:entrega|reembolso)\b"
    r"|\bpag(?:ar|o|a|amos|arlo|arla|arlos|arlas)\s+(?:(?:al|cuando|apenas|recien\s+cuando)\s+(?:me\s+|lo\s+|la\s+)?"
    r"(?:llega|llegue|recibo|reciba|recibir|recibirlo|recibirla|tenga|tengo|vea)\b|en\s+(?:la\s+)?puerta\b)",
    # Where the shop is: no answer gives its address.
    r"\bdonde\s+(?:queda|quedan|esta|estan|se\s+encuentra)\s+(?:ubicad[oa]\s+)?(?:el|la|su|sus)\s+"
    r"(?:local|tienda|negocio|showroom|deposito)\b|\bdireccion\s+del\s+(?:local|negocio|showroom)\b"
    r"|\b(?:tienen|hay|abrieron|tendran)\s+(?:un\s+|algun\s+|otro\s+)?(?:local|sucursal|tienda)\s+"
    r"(?:en|aca|alla|por)\b",
    r"\bbusqueda\s+laboral\b|\bcurriculum\b|\bcv\b|\bcolabora\w*|\bcanje\s+(?:con|por)\s+"
    r"(?:publicidad|contenido|posteo)",
    # Somebody else doing what the answer tells the buyer to do: "¿lo puede ir a buscar mi
    # amiga?", "¿la puede cambiar ella?", "otra persona lo puede retirar" ("¿se puede
    # cambiar…?" asks the rule).
    rf"(?<!\bse\s)\b(?:puede|podria|pudiera|pueda)\s+(?:ir\s+a\s+)?(?:retirar|buscar|cambiar|recibir)\w*\s+"
    rf"(?:(?:el|la|los|las)\s+\w+\s+)?(?:{SOMEBODY_ELSE})\b"
    rf"|\b(?:{SOMEBODY_ELSE})\s+(?:lo\s+|la\s+|los\s+|las\s+)?(?:puede|podria|pueda|va\s+a\s+poder)\s+"
    r"(?:ir\s+a\s+)?(?:retirar|buscar|cambiar|recibir)\w*",
    # What happens once a window stated is missed: "si no llego a hacerla en las 48 hs, ¿qué
    # pasa?"; a cart held: "¿los productos que dejé en el carrito me los guardan?".
    r"\b(?:(?:si|y)\s+no\s+llego|si\s+(?:se\s+)?pasan?|pasad[oa]s\s+las|se\s+vence|se\s+vencen)\b[^.?!\n]{0,40}"
    r"\b\d+\s*(?:hs|horas|dias)\b",
    r"\bcarrito\b[^.?!\n]{0,60}\b(?:guardan|reservan|guardado|reservado|mantienen)\b"
    r"|\b(?:guardan|reservan)\b[^.?!\n]{0,60}\bcarrito\b",
    # Hygiene rules for swimwear and underwear: "leí que por higiene las mallas no tienen cambio".
    r"\bhigien\w*|\bropa\s+interior\b",
    # A garment bought at the shop itself ("lo compré en el local, ¿cómo hago el cambio?"): the
    # answers speak of orders placed online.
    r"\b(?:lo|la|los|las)\s+compre\s+(?:\w+\s+){0,2}?en\s+(?:el|su|tu)\s+local\b",
    # When a collection comes out ("¿cuándo sale la colección de invierno?"), and whether paying
    # on the site is safe ("¿es seguro poner los datos de la tarjeta en la página?"): no answer
    # says.
    r"\b(?:cuando|que\s+dia|que\s+fecha)\s+(?:sale|salen|sacan|lanzan|largan|llega|llegan|entra"
    r"|entran)\s+(?:la\s+)?(?:nueva\s+)?(?:coleccion|temporada)\b",
    r"\bes\s+seguro\s+(?:pagar|poner|ingresar|cargar|dar|transferir|comprar|usar)\b"
    r"|\b(?:pagina|sitio|web|tienda)\s+(?:es\s+)?(?:segura|segur[oa]\s+para|confiable)\b"
    r"|\bconexion\s+no\s+es\s+privada\b",
    # A season's collection brought back: the stock answer speaks of models restocked in weeks.
    r"\bcoleccion\b[^.?!\n]{0,80}\b(?:volver|vuelven|vuelve|vuelvan)\s+a\s+(?:traer|sacar|tener|hacer"
    r"|fabricar)\w*|\b(?:volver|vuelven|vuelve|vuelvan)\s+a\s+(?:traer|sacar|tener|hacer|fabricar)\w*"
    r"[^.?!\n]{0,80}\bcoleccion\b",
    # Picking up anywhere but at the shop: "si estoy en San Juan, ¿puedo retirar en algún lado?".
    r"\b(?:retir\w*|(?:ir|pasar)\s+a\s+buscar\w*)\s+(?:\w+\s+){0,2}?(?:en|por)\s+(?:algun|alguna|otro|otra)\s+(?:lado|lugar"
    r"|parte|punto|sucursal)\b",
    # Splitting one payment between two means.
    r"\b(?:una\s+parte|la\s+mitad|mitad)\s+con\b.{0,60}\b(?:otra\s+parte|la\s+otra|el\s+resto|otra\s+mitad)\b"
    r"|\bcombinar\s+(?:medios|formas|pagos|tarjetas?|dos\s+tarjetas)\b|\bdos\s+tarjetas\b",
    # Paying with somebody else's card or account, or in somebody else's name.
    r"\b(?:pagar|pago|abonar|abono)\s+con\s+(?:la\s+)?(?:tarjeta|cuenta|billetera)(?:\s+de\s+(?:credito|debito))?"
    r"\s+de\s+(?:mi|mis|otra|otro|un|una)\s+(?:mama|madre|papa|padre|hij[oa]s?|herman[oa]s?|novi[oa]|espos[oa]"
    r"|marido|pareja|amig[oa]s?|abuel[oa]s?|tia|tio|suegr[oa]|persona|tercero|familiar|viej[oa])\b"
    r"|\btarjeta\b.{0,60}\ba\s+nombre\s+de\s+(?:otra\s+persona|un\s+tercero|ella|el|mi\s+\w+)\b",
    # When a pickup is ready: the shipping answer says only that pickup is free.
    r"\b(?:cuando|desde\s+cuando|a\s+partir\s+de\s+cuando)\s+(?:lo\s+|la\s+|los\s+|las\s+)?(?:puedo\s+|podria\s+"
    r"|se\s+puede\s+|podemos\s+)?(?:pasar\s+a\s+buscar|retirar|ir\s+a\s+buscar)\w*"
    r"|\bcuando\s+(?:esta|estan|estaria)\s+list[oa]s?\b|\blist[oa]s?\s+para\s+retirar\b",
    # A garment no longer as the exchange answer requires it ("le saqué la etiqueta"): whether
    # it can be exchanged anyway is an exception the answer does not speak of.
    r"\b(?:le\s+|les\s+)?(?:saque|corte|arranque|quite|perdi|tire)\s+(?:la|las)\s+(?:etiquetas?|bolsa)\b"
    r"|\bsin\s+(?:la\s+|las\s+|su\s+)?(?:etiquetas?|bolsa)\b"
    r"|\b(?:ya\s+)?no\s+(?:tiene|tengo|conservo|tenemos|trae)\s+(?:la|las|su|sus)\s+(?:etiquetas?|bolsa)\b"
    r"|\b(?:la|las)\s+(?:etiquetas?|bolsa)\s+(?:se\s+)?(?:la|las|le|les)\s+(?:saque|corte|arranque|quite|perdi|tire)\b"
    r"|\betiquetas?\b.{0,40}\b(?:guardada|guardadas|aparte|suelta|sueltas|cortada|cortadas|arrancada)\b",
    # Sending something back to the shop: the shipping answer is about parcels we send.
    # ("Les mando un abrazo" sends greetings.)
    r"\b(?:les|se\s+(?:lo|la|los|las))\s+(?:mando|envio|despacho|devuelvo)\b(?!\s+(?:un|una|mis|muchos"
    r"|muchas)?\s*(?:gran|enorme|fuerte|cordial|afectuoso|cariñoso|carinoso)?\s*(?:abrazo|beso|saludo"
    r"|cariño|carino)s?\b)"
    r"|\b(?:mandar|enviar|despachar|devolver)(?:lo|la|los|las)?\s+yo\b|\b(?:lo|la)\s+(?:mando|envio|despacho)\s+yo\b"
    r"|\bquien\s+paga\s+(?:ese|el|este)\s+envio\b",
)
# Things the shop does not sell, broken in a story: "la calefacción rota", "el celular roto".
NOT_OURS = re.compile(
    r"\b(?:calefaccion|heladera|lavarropas|secarropas|estufa|caldera|ventilador|aire\s+acondicionado"
    r"|auto|coche|camioneta|moto|colectivo|bondi|micro|tren|bici|bicicleta|celular|celu|telefono"
    r"|compu|computadora|notebook|tele|televisor|ascensor|canilla|ducha|techo|pierna|brazo|rodilla"
    r"|tobillo|muneca|muela|diente|corazon)\b"
)
# A yes-or-no question asked without its mark: "no sé si…", "quería saber si…".
WONDERING = re.compile(
    r"\b(?:no\s+se|saber|consultar(?:les)?|preguntar(?:les)?|pregunto|consulto)\s+si\b"
)
# Opening hours, which no answer gives, when asked: told ("aprovecho el horario de almuerzo",
# "los regalos los abren el 24") they are the writer's day.
OPENING_HOURS = re.compile(
    r"\bhorarios?\b(?!\s+(?:de|del)\s+(?:mi\s+)?(?:almuerzo|trabajo|oficina|laburo|clase|cursada|facu"
    r"|colegio|guardia))|\babren\b|\batienden\s+(?:los|el)\s+(?:sabado|domingo|feriado)"
)

# Language markers: words frequent in one language and rare in Argentine Spanish mail.
LANGUAGE_MARKERS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """
            the and you your do does is are have has i my to of for can could would what how
            when where hi hello thanks thank please with it this that be will an there usually
            run small next month visiting placed week tell best regards different received would
            like full pay card us ship shipping size sizes order item exchange store pick
        """.split()
    ),
    "pt": frozenset(
        """
            voce voces nao obrigado obrigada ola oi tem uma com do da dos das na em sao qual
            quais quanto posso pode podem gostaria frete tamanho tamanhos troca cartao pagamento
            jaqueta beijos enviam aceitam iguais aos ao meu minha vou estou quero obrigada
            tambem
        """.split()
    ),
    "it": frozenset(
        """
            buongiorno grazie spedite vorrei sono il della per mille taglia costa spedizione
            ciao salve avete quanto potete
        """.split()
    ),
    "fr": frozenset(
        """
            bonjour merci vous je est des une pour avec taille livraison commande avez pouvez
        """.split()
    ),
    "de": frozenset(
        """
            hallo danke ich sie und der die das ist nicht bitte versand grosse
        """.split()
    ),
}
SPANISH_MARKERS = frozenset(
    """
        hola buenas buen gracias que de la el los las en y por para con se me mi un una es hay
        tienen hacen quiero queria quisiera saber puedo pueden cuanto cuando donde como envio
        envios talle talles saludos consulta si lo le les del al mas muy esta estan son tengo
        necesito vos usted ustedes todo pais cambio pago cuotas stock tarda llega
    """.split()
)
FOREIGN_INTENTS = (
    ("pedido", re.compile(r"\border\b|\bpedido\b|\bordine\b|\bcommande\b|\bbestellung\b")),
    ("envios", re.compile(r"\bship\w*|\bdeliver\w*|\benvi\w*|\bfrete\b|\bsped\w*|\blivraison\b")),
    ("pagos", re.compile(r"\bpay\w*|\bcard\b|\bpagamento\b|\bcartao\b|\bpagar\b")),
    ("cambios", re.compile(r"\bexchange\w*|\btroca\w*|\bcambi\w*|\bechange\w*")),
    ("talles", re.compile(r"\bsizes?\b|\btamanho\w*|\btaglia\b|\btaille\b")),
    ("stock", re.compile(r"\bstock\b|\brestock\w*|\bavailab\w*")),
)


# --------------------------------------------------------------------------- decision


def decide(mail: parse.Mail, faq: faq_module.Faq) -> Decision:
    """Route ``mail`` (already passed by the guard) to "faq", "llm" or "human"."""
    text = _customer_text(mail.new_text)
    passed_on = parse.forwarded(mail.text, mail.subject)
    said_nothing = not re.search(r"\w", text)
    if (
        passed_on
        and not faq.analyse(text).topics
        and (not said_nothing or any(_asks(s) for s in _sentences(passed_on)))
    ):
        # "Mi mamá quiere saber esto", or nothing added to a partner's "¿vuelve a entrar?":
        # the question is the one forwarded below. A bare forward that asks nothing is a
        # person's to read.
        text = f"{text}\n\n{_customer_text(passed_on)}".strip()
    subject_only = not re.search(r"\w", text) and _subject_asks(mail.subject, faq)
    if subject_only:
        text = mail.subject  # the whole question in the subject, nothing in the body
    if not re.search(r"\w", text) or (
        mail.attachments
        and len(text) <= MAX_POINTER_CHARS
        and SEE_ATTACHED.fullmatch(faq_module.normalize(text))
    ):
        reason = "attachment_only" if mail.attachments else "empty"
        return Decision("human", "otro", None, 1.0, f"human: {reason}")
    if _only_a_name(text) or _only_a_signature(text):
        # A reply whose new part is its signature: whatever they meant is in an attachment, a
        # picture, or nowhere; a person looks.
        return Decision("human", "otro", None, 1.0, "human: nothing but a signature")
    text = _dated(text, mail.date)
    normal = _unwrapped(faq_module.normalize(text))  # a wrapped paragraph is one line again
    subject = faq_module.normalize(_bare_subject(mail.subject))

    # What the rules below read for harm or an order of ours: sentences about another shop left out.
    here = _here(normal)
    handoff = _handoff(here, subject, text)
    if handoff:
        category, intent, found = handoff
        return Decision("human", intent, None, 1.0, f"human: {category} ({found!r})")

    # A reply in a thread: whatever it asks, a canned answer already in it is not sent again,
    # and a customer saying the last answer did not help (or nobody answered) gets a person.
    is_reply = mail.in_reply_to is not None or bool(REPLY_SUBJECT.match(mail.subject))
    quoted = faq_module.quoted_entries(mail.text, faq) if is_reply else []
    if is_reply:
        unhelped = NOT_HELPED.search(normal)
        if unhelped:
            intent = quoted[0] if quoted else "reclamo"
            return Decision(
                "human", intent, None, 1.0, f"human: not helped by our answer ({unhelped[0]!r})"
            )

    language = detect_language(normal)
    if language != "es":
        return Decision("llm", _foreign_intent(normal), None, 0.0, f"llm: language {language}")
    if len(text) > MAX_READ_CHARS:
        # Read whole for harm above; no canned answer covers a message this long, and reading
        # it sentence by sentence for one would only take time.
        return Decision("llm", "otro", None, 0.0, f"llm: long message ({len(text)} characters)")

    # "Fwd: Recibimos tu pedido #5578": an order named in the subject is as specific, unless
    # the reply asks something else ("Re: Tu pedido #4630 está en camino" - "¿reponen talles?").
    said = _sentences(text)
    ordered = "".join(
        sentence
        for sentence in SENTENCE.findall(here)
        if not SUPPOSED_PURCHASE.search(sentence)
        and not (HOW_TO_FOLLOW.search(sentence) and not OWN_ORDER.search(sentence))
        and not HISTORY.search(sentence)
    )
    order = ORDER.search(ordered) or _thread_order(subject, said)
    followed = [q for q in quoted if faq.entry(q).after_purchase]
    if order and followed:
        # Our answer asked them to reply with their order ("respondé con tu número de pedido"):
        # this is that reply, and a person takes it from here.
        reason = f"human: {followed[0]} requested for an order ({order.group(0)!r})"
        return Decision("human", followed[0], None, 1.0, reason)
    # "Me llegó hoy mi pedido", without its number and asking nothing of it, tells a purchase:
    # an answer for buyers of anything still covers it (see ``for_buyers`` below).
    told_order = (
        order
        if order
        and OWN_ORDER.fullmatch(order.group(0))
        and not ORDER.search(OWN_ORDER.sub(" ", ordered))
        else None
    )
    if order and not told_order:
        return Decision("llm", "pedido", None, 0.0, f"llm: specific order ({order.group(0)!r})")

    # A body described or measured is personal advice when a size is asked for it; as the
    # reason for asking whether the guide gives the length ("soy alta (1,78), ¿figura el
    # largo?") it is context.
    described = MEASURED.search(normal) or BODY.search(normal)
    advised = described and (
        RECOMMEND.search(normal)
        or any(ADVICE_ASKED.search(REASON.split(s)[0]) and _asks(s) for s in said)
    )
    # ("Ella es bajita y no sé su talle. Si no le queda, ¿lo puede cambiar?": asked of an
    # answer that chooses no size for anyone, the body described is who wears it.)
    personal = PERSONAL_SIZE.search(normal) or (
        described if advised and not _chooses_no_size(faq, said) else None
    )
    if personal:
        return Decision("llm", "talles", None, 0.0, f"llm: personal advice ({personal.group(0)!r})")

    # The topic of a long message only sets its intent, so its start is enough.
    analysed = text[:MAX_ANALYSED_CHARS]
    analysis = faq.analyse(_placed(analysed))
    bare_subject = "" if subject_only else _bare_subject(mail.subject).strip()
    if not analysis.topics and bare_subject:
        # "Asunto: Stock" and a body asking "¿lo que figura en la web está disponible?": the
        # subject names the topic the body only hints at.
        analysed = f"{bare_subject}.\n{analysed}"
        analysis = faq.analyse(_placed(analysed))
    current = "".join(
        s for s in SENTENCE.findall(NOT_BOUGHT.sub(" ", here)) if not HISTORY.search(s)
    )
    uncovered = NOT_COVERED.search(normal) or next(
        (
            hours
            for s in (_sentences(normal) if OPENING_HOURS.search(normal) else ())
            if _asks(s) and (hours := OPENING_HOURS.search(s))
        ),
        None,
    )
    if uncovered:
        intent = analysis.primary() or "otro"
        return Decision("llm", intent, None, 0.0, f"llm: not an faq topic ({uncovered.group(0)!r})")
    # The topic is what the questions ask about; a topic only mentioned around them ("the
    # shipping I already know, I want to know how to pay") is context.
    # A subject asks only with a question mark: "Re: Consulta talles" names the thread.
    title = _sentences(bare_subject)
    body = [kept for s in _sentences(analysed) if (kept := _here(s).strip())]
    body, prefaces = _announced(body)
    unasked = prefaces | _said_why(body)  # they lead to a question, or say why it was asked
    sentences = title + body
    # A subject asks only with its mark, unless the body says it again ("CUANTOS DIAS TENGO…").
    # In a reply, the subject is the thread's first question, already answered: "Re: ¿Tienen
    # stock?" above "¿Y cómo sé qué talle pedir?" asks only the second.
    asking = [
        s
        for s in sentences
        if _asks(s) and s not in unasked and (s in body or ("?" in s and not is_reply))
    ]
    # What is asked comes before the reason given for it: "¿cómo elijo el talle?, ya que me
    # preocupa tener que pagar un cambio" asks about sizes.
    asked_parts = [_asked_part(REASON.split(s)[0].strip() or s, faq) for s in asking]
    asked = faq.analyse("\n".join(asked_parts)).topics if asking else ()
    if len(asked) > 1:
        # "No sé su talle, ¿si no le queda lo puede cambiar?": what they do not know is why they
        # ask; the topic is what they ask.
        sure = faq.analyse(NOT_KNOWING.sub(" ", "\n".join(asking))).topics
        asked = sure if len(sure) == 1 else asked
    # Asked of no topic ("¿desde cuándo se cuentan?"), the topics are the message's, but not
    # those of the reason given ("xq a veces el correo tarda una banda").
    reasons = [s for s in body if REASON_FIRST.match(s)]
    topics = asked or (
        faq.analyse(_placed("\n".join(s for s in body if s not in reasons))).topics
        if reasons
        else analysis.topics
    )
    asked_topics = topics
    topics, answered_within = _answered_together(faq, topics, asking)
    # A purchase of theirs makes the question about that order, unless what they ask is for
    # buyers of anything: "Hice una compra y quería saber si puedo cambiar el talle".
    for_buyers = len(topics) == 1 and faq.entry(topics[0]).after_purchase
    purchase = (
        told_order
        or PURCHASE.search(JUST_BOUGHT.sub(" ", current))
        or next(
            (
                since
                for said_then in SENTENCE.findall(current)
                if (since := SINCE.search(said_then)) and DEALT.search(said_then)
            ),
            None,
        )
    )
    if purchase and not for_buyers:
        return Decision("llm", "pedido", None, 0.0, f"llm: specific order ({purchase.group(0)!r})")
    # One product named (its colour, size, model or price) needs the catalog, unless the answer
    # is for buyers of anything: "¿el jean lo puedo cambiar por otro color?" is an exchange.
    # Read without the signature, where "Rosa" is a name and not a colour.
    # A garment of another shop's story ("me pasó con otra marca que pedí M y me vino como un
    # S") is not one of ours asked about.
    # Nor one they bought long ago, told ("el buzo de polar que les compré el invierno pasado"),
    # unless the question points back at it ("¿se la podría cambiar?").
    refers_back = any(_asks(s) and BACK_REFERENCE.search(s) for s in said)
    ours = [
        s
        for s in said
        if _here(s).strip()
        and (
            refers_back
            or "?" in s
            or not ((HISTORY.search(s) or INTRODUCED.match(s)) and BOUGHT_BEFORE.search(s))
        )
    ]
    product = _specific_product(ours, linked=PRODUCT_LINK.search(text) is not None)
    # "¿El largo de los pantalones figura?" asks what the sizes answer names: no product.
    named = len(topics) == 1 and product is not None and faq.names(topics[0], product.found)
    # "Le encantaron los buzos de frisa. ¿Hacen envíos a Córdoba?": the garment they like is
    # why they ask, and an answer that speaks of no garment is the same for every one.
    # So is the garment of a question that asks how to be told, or what the site's showing
    # means ("¿hay alguna forma de que me avisen cuando vuelva a haber talle S?", "no me deja
    # elegir el XS, ¿eso quiere decir que no hay?"): the answer is the same for every one.
    aside = (
        product is not None
        and product.attribute
        and len(topics) == 1
        and (
            any(HOW_TOLD.search(s) for s in asking)
            or (
                not _specific_product(_asking_parts(asking))
                and (
                    not _for_garments(faq, topics[0])
                    or any(IN_GENERAL.search(s) for s in asking)
                    or _told_garment_covered(faq, topics[0], analysis, asking)
                )
            )
        )
    )
    # An answer for buyers covers any garment, unless whether one is there is asked ("¿tienen
    # la remera blanca en M para cambiarla por esa?"), which no such answer says.
    if product and not (
        product.attribute
        and (
            (for_buyers and not any(HELD.search(s) and _specific_product([s]) for s in asking))
            or named
            or aside
        )
    ):
        reason = f"llm: specific product ({product.found!r})"
        return Decision("llm", product.intent, None, 0.0, reason)
    if not topics:
        intent = "producto" if GARMENT.search(normal) else "otro"
        return Decision("llm", intent, None, 0.0, "llm: no faq topic")
    topic = topics[0]
    score = round(analysis.evidence[topic].score, 3)
    if len(topics) > 1:
        return Decision("llm", topic, None, score, f"llm: several topics {'+'.join(topics)}")
    if topic in analysis.excluded and any(DESTINATION.search(_placed(s)) for s in asking):
        # "Les escribo desde Montevideo. ¿Hacen envíos a Buenos Aires?": where they write from,
        # or a story's place, is not where the question goes when it names its own.
        analysis = dataclasses.replace(
            analysis, excluded=faq.analyse(_placed("\n".join(asking))).excluded
        )
    if topic in analysis.excluded:
        # The entry itself says these words are outside its answer.
        excluded = faq_module.Coverage(topic, (), analysis.excluded[topic], excluded=True)
        return Decision("llm", topic, None, score, f"llm: {excluded.describe()}", excluded)
    if not asking:
        return Decision("llm", topic, None, score, f"llm: {topic} mentioned but nothing asked")
    # The closed world: every word of what is asked, and of what speaks of the topic, must be
    # accounted for by the entry; around it, only numbers must (a 40-day-old purchase is not
    # one the 30-day answer covers).
    # (What another entry's question the answer says was read against that sentence alone.)
    closed = [
        s
        for s in sentences
        if (s in asking or (topic in faq.analyse(s).topics and not REASON_FIRST.match(s)))
        and s not in answered_within
    ]
    if any(HERE.search(s) for s in asking) and any("localidad" in s for s in sentences):
        # "Vivimos en Bernal. ¿Llegan hasta acá?": the question points at the place named.
        closed.append("localidad")
    called = _called(mail, text, normal)
    question = _generic("\n".join(map(_told_aside_left_out, closed)), called)
    word_count = len(faq_module.words(question))
    questions = len(re.findall(r"\?+", text))
    if word_count > MAX_FAQ_WORDS or questions > MAX_FAQ_QUESTIONS:
        return Decision(
            "llm", topic, None, score, f"llm: long question ({word_count} words, {questions} ?)"
        )
    # What they always did ("siempre compré en el local y pagué con tarjeta") names the topic
    # but asks nothing of the answer: only its numbers are read, as context.
    told = [s for s in closed if s not in asking and TOLD.search(s)]
    # Sentences read in two parts: what the answer must cover word by word, and what is told
    # around it, read like the context for what must agree. The reason a question gives after
    # it ("¿la guía tiene el largo?, porque soy bajita") says why it is asked, as a reason said
    # apart does.
    apart = {
        s: (parts[0], parts[1])
        for s in closed
        if s in asking
        and not REASON_FIRST.match(s)
        and len(parts := REASON.split(s, maxsplit=1)) > 1
        and parts[0].strip()
        and not (ASKS_WITHIN.search(parts[1]) or UNSURE.search(parts[1]))
    }
    # A sentence that asks nothing is read for the topic only in the parts that speak of it:
    # "Quiero un conjunto de lactancia y prefiero pagar por transferencia" says how they pay;
    # the rest is context. Not when a question points back at it ("¿Se puede?").
    pointed_at = {
        told_first
        for told_first, then in itertools.pairwise(sentences)
        if then in asking and topic not in faq.analyse(then).topics
    }
    for s in closed:
        if s in asking or s in apart or s in pointed_at:
            continue
        parts = [p for p in TELLING_PARTS.split(s) if p and p.strip()]
        speaking = [p for p in parts if topic in faq.analyse(p).topics]
        if speaking and len(speaking) < len(parts):
            apart[s] = (" ".join(speaking), " ".join(p for p in parts if p not in speaking))
    # Who wears the garment matters to an answer about choosing one, not to one for any buyer
    # or one that speaks of no garment. (Read before _generic, which drops the comma of "1,87".)
    sized = _for_garments(faq, topic) and not faq.entry(topic).after_purchase
    asked_of = _generic(
        _wearer_left_out(
            "\n".join(
                _told_aside_left_out(apart[s][0] if s in apart else s)
                for s in closed
                if s not in told
            ),
            sized=sized,
        ),
        called,
    )
    occasion = functools.partial(_occasion_left_out, waited=ARRIVAL.search(normal) is not None)
    coverage = faq.coverage(topic, occasion(_wearer_left_out(asked_of, sized=sized)))
    around = [s for s in body if s not in closed or s in told]  # a title is no context
    around += [told_with for _, told_with in apart.values()]
    if (
        not faq.entry(topic).after_purchase
        or any(ANY_PURCHASE.search(s) and not BACK_REFERENCE.search(s) for s in asking)
        or (
            any(ABOUT_TO_BUY.search(s) for s in body)
            and not any(BACK_REFERENCE.search(s) and not SUPPOSING.search(s) for s in asking)
        )
    ):
        # When they bought before ("les compré el año pasado") is no time an answer must
        # meet, unless the answer is for buyers and the question is not of any purchase
        # ("si algo no me va", "una prenda") or of the one about to be made ("ahora quiero
        # comprarme una malla"), but maybe of that one ("¿la puedo cambiar?").
        around = [s for s in around if not TOLD.search(s)]
    told_around = CLOCK.sub(
        " ", occasion(_wearer_left_out(_plainly("\n".join(around)), sized=sized))
    )
    if faq.entry(topic).after_purchase:
        told_around = _ahead_left_out(told_around, mail.date)
    context = faq.coverage(topic, _uncounted(told_around, faq.entry(topic).counts))
    if context.disagreements:
        coverage = dataclasses.replace(
            coverage, uncovered=coverage.uncovered + context.disagreements
        )
    if not coverage.complete:
        return Decision("llm", topic, None, score, f"llm: {coverage.describe()}", coverage)
    settled = topic if answered_within else None
    matched = faq.match(question, coverage, settled=settled)
    if matched is None or matched.faq_id != topic:
        return Decision("llm", topic, None, score, f"llm: {topic} below threshold", coverage)
    if topic in quoted:
        # They have this answer already: a written one, which sees the thread, is needed.
        return Decision("llm", topic, None, score, f"llm: {topic} already answered in this thread")
    reason = f"faq: {matched.reason}"
    if answered_within:
        # Say which other question its answer also covers, for `voidmail try`.
        other = next(t for t in asked_topics if t != topic)
        reason += f"; its answer also says what is asked of {other}"
    return Decision("faq", topic, topic, matched.score, reason, coverage)


@dataclasses.dataclass(frozen=True, slots=True)
class OrderQuestion:
    """What a message about an order asks: the order's number, if it names one, and whether
    it only asks where the order is (a status template answers that)."""

    number: str | None
    plain: bool


def order_question(mail: parse.Mail) -> OrderQuestion:
    """The order number in ``mail`` (digits only, parsed, never passed on as text) and whether
    every question in it is about the order's whereabouts."""
    text = _customer_text(mail.new_text)
    normal = faq_module.normalize(text)
    found = ORDER_NUMBER.search(normal) or ORDER_NUMBER.search(
        faq_module.normalize(_bare_subject(mail.subject))
    )
    number = None if found is None else (found.group(1) or found.group(2))
    asking = [s for s in _sentences(text) if _asks(s)]
    plain = bool(asking) and all(STATUS_ASK.search(s) for s in asking)
    return OrderQuestion(number, plain)


class Reading(NamedTuple):
    """What the lane class needs to know of the customer's new text."""

    asks: bool  # a question mark, or a question's words: "quería saber", "¿cuánto…"
    in_shop_language: bool  # Spanish


def reading(text: str) -> Reading:
    """Whether the customer's new text asks something, and whether it is in the shop's
    language: one pass over text that may be 200,000 characters long."""
    normal = faq_module.normalize(_customer_text(text))
    return Reading(bool(QUESTION.search(normal)), detect_language(normal) == "es")


def detect_language(normal: str) -> str:
    """ "es" unless another language clearly dominates the normalised text (then its code)."""
    tokens = re.findall(r"[a-z]+", normal)
    spanish = sum(1 for t in tokens if t in SPANISH_MARKERS)
    spanish += 2 * len(re.findall(r"[¿¡ñ]", normal))
    best, best_count = "es", 0
    for language, markers in LANGUAGE_MARKERS.items():
        count = sum(1 for t in tokens if t in markers)
        if count > best_count:
            best, best_count = language, count
    if best_count >= 2 and best_count > spanish:
        return best
    return "es"


# --------------------------------------------------------------------------- helpers


def _customer_text(new_text: str) -> str:
    """The customer's words: contact-form field lines and a letter's dateline dropped,
    "Mensaje:" labels removed, and the legal notices and eco footers a company signature
    appends (never the first paragraph)."""
    text = FORM_LABEL.sub("", CHAT_STAMP.sub("", CHAT_PASTED.sub("", DATELINE.sub("", new_text))))
    text = FORM_BODY_LABEL.sub("", text).strip()
    lines = text.split("\n")
    notice = next(
        (
            i
            for i, line in enumerate(lines[1:], 1)
            if LEGAL_NOTICE.search(faq_module.normalize(line))
        ),
        len(lines),
    )
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines[:notice]))
    kept = paragraphs[:1] + [
        p for p in paragraphs[1:] if not DISCLAIMER.search(faq_module.normalize(p))
    ]
    return "\n\n".join(kept).strip()


def _chooses_no_size(faq: faq_module.Faq, said: Sequence[str]) -> bool:
    """Whether what ``said`` asks is of topics whose answers choose no size for anyone: an
    answer for buyers of anything (how to exchange) or one that speaks of no garment (how to
    pay, how it ships)."""
    topics = faq.analyse("\n".join(s for s in said if _asks(s))).topics
    return bool(topics) and all(
        faq.entry(t).after_purchase or not _for_garments(faq, t) for t in topics
    )


def _for_garments(faq: faq_module.Faq, topic: str) -> bool:
    """Whether the answer of ``topic`` speaks of garments, their sizes, colours or models (a
    sizes or exchanges answer does; a shipping or payments one does not)."""
    return any(faq.names(topic, word) for word in ("prenda", "talle", "color", "modelo"))


def _told_garment_covered(
    faq: faq_module.Faq, topic: str, analysis: faq_module.Analysis, asking: list[str]
) -> bool:
    """Whether the answer of ``topic``, which holds for each garment, covers the garment told
    around the question ("Quiero la calza térmica negra. ¿Qué talle me conviene pedir?"). Only
    when the question itself speaks of the topic or asks which to choose, no other answer's
    topic is told around it ("mi talla dice 'agotado', ¿van a tener de nuevo esta talla?" asks
    of stock, and "dice que queda solo uno en talle S. ¿Es así?" of that one), and neither
    whether it is there nor a recommendation is asked."""
    return (
        _for_each_garment(faq, topic)
        and set(analysis.topics) <= {topic}
        and any(
            topic in faq.analyse(s).topics or ADVICE_ASKED.search(s) or WHICH_TO_CHOOSE.search(s)
            for s in asking
        )
        and not any(
            HELD.search(s) or BACK_REFERENCE.search(s) or RECOMMEND.search(s) for s in asking
        )
    )


def _asking_parts(asking: list[str]) -> list[str]:
    """The parts of each sentence in ``asking`` that ask, without what it tells around them:
    "quería comprar el vestido de lino en verde, pero no sé qué talle pedir, ¿cómo hago?" asks
    only how to choose."""
    return [
        part
        for sentence in asking
        for part in (
            [p for p in TELLING_PARTS.split(sentence) if p and p.strip() and _asks(p)] or [sentence]
        )
    ]


def _for_each_garment(faq: faq_module.Faq, topic: str) -> bool:
    """Whether the answer of ``topic`` says it holds for each garment ("en la página de cada
    prenda encontrás la guía de talles"), not for most of them ("reponemos la mayoría de los
    modelos")."""
    return EACH_GARMENT.search(faq_module.normalize(faq.entry(topic).answer)) is not None


def _announced(sentences: list[str]) -> tuple[list[str], set[str]]:
    """``sentences`` with each question announced ("…, la pregunta es: ¿cuánto tiempo hay
    para un cambio?") apart from what leads to it, and those leads, with the sentences that
    introduce a question relayed ("les copio lo que puse:"): they tell why, they do not ask."""
    split: list[str] = []
    prefaces: set[str] = set()
    for sentence in sentences:
        if "?" not in sentence and RELAYED.search(sentence):
            split.append(sentence)
            prefaces.add(sentence)  # "les copio lo que puse:", the question below
            continue
        announced = QUESTION_ANNOUNCED.search(sentence)
        if announced is None or not re.search(r"\w", sentence[announced.end() :]):
            split.append(sentence)
            continue
        lead, asked = sentence[: announced.start()].strip(), sentence[announced.end() :].strip()
        if lead:
            split.append(lead)
            prefaces.add(lead)
        split.append(asked)
    return split, prefaces


def _answered_together(
    faq: faq_module.Faq, topics: tuple[str, ...], asking: list[str]
) -> tuple[tuple[str, ...], list[str]]:
    """Two topics asked, and one answer that says what is asked of the other ("¿Dónde veo la
    guía de talles? ¿Y si no me queda, el cambio se paga?": the sizes answer says the first
    exchange for a size is free): that answer's topic alone, and the sentences of the other
    it answers. Otherwise ``topics`` and none."""
    if len(topics) != 2:
        return topics, []
    for first, second in (topics, topics[::-1]):
        theirs = [s for s in asking if second in faq.analyse(s).topics]
        if theirs and all(faq.answers_within(first, second, s) for s in theirs):
            return (first,), theirs
    return topics, []


def _said_why(body: list[str]) -> set[str]:
    """The sentences that open with "que" right after a question, without a mark of their own:
    "¿Me avisan cuando repongan? Que no hay mi talle" says why, as "porque" would."""
    return {
        after
        for before, after in itertools.pairwise(body)
        if before.rstrip().endswith("?") and "?" not in after and WHY_AFTER.match(after)
    }


def _asked_part(sentence: str, faq: faq_module.Faq) -> str:
    """What ``sentence`` asks after the supposition it opens with, when that part has a topic
    of its own: "si hago la compra hoy y pago con tarjeta, ¿cuándo lo mandan?" asks about
    shipping. A bare "si no me queda, ¿qué hago?" asks within the supposition."""
    supposed = SUPPOSITION_FIRST.match(sentence)
    if supposed is None:
        return sentence
    rest = sentence[supposed.end() :]
    analysis = faq.analyse(rest)
    # "Si algo está agotado, ¿cuánto tarda en volver?": how long, of what the supposition names.
    topics = analysis.topics
    named = len(topics) == 1 and not analysis.evidence[topics[0]].only_how_long
    return rest if named else sentence


def _dated(text: str, sent: datetime.datetime | None) -> str:
    """``text`` with the day something came or was bought said as the time since, counted
    from the day the mail was sent: "lo recibí el 23 de diciembre", written on the 28th, is
    "lo recibí hace 5 días", and "me llegó el martes" the days since the last Tuesday, which
    an answer's window can be held to. Without a Date the day stays, a date no answer
    covers."""
    if sent is None:
        return text
    today = sent.date()
    # A bare day ("me llegó el 20") is of this month or the last, unless a month is named
    # anywhere ("compré en enero, creo que me llegó el 20"): then it stays as written.
    months_named = MONTH.search(text) is not None

    def since(found: re.Match[str]) -> str:
        day = int(found["day"])
        month = MONTH_NUMBERS[found["month"].lower()] if found["month"] else None
        if found["month_number"]:
            month = int(found["month_number"]) or 13  # "el 5/0" is no day: left as written
        if (month is None and months_named) or found["year"]:
            return found.group(0)  # a month named elsewhere, or a year: the day stays
        try:
            when = today.replace(month=month or today.month, day=day)
            if when > today:  # "el 27" of last month, "el 23 de diciembre" of last year
                when = (
                    when.replace(year=when.year - 1)
                    if month
                    else (when.replace(day=1) - datetime.timedelta(days=1)).replace(day=day)
                )
        except ValueError:
            return found.group(0)  # no such day: left as written
        days = (today - when).days
        return f"{found['verb']} hace {days} dias" if days <= MAX_DATED_DAYS else found.group(0)

    def weekday(found: re.Match[str]) -> str:
        named = WEEKDAYS.index(faq_module.normalize(found["weekday"]))
        days = (today.weekday() - named) % 7 or 7  # said on a Tuesday, "el martes" is last week's
        days += 7 if found["last"] else 0
        return f"{found['verb']} hace {days} dias"

    return RECEIVED_WEEKDAY.sub(weekday, RECEIVED_ON.sub(since, text))


def _wearer_left_out(normal: str, *, sized: bool) -> str:
    """``normal`` without the ages of grown-ups and teenagers it tells ("mi hija de 15"), the
    heights and weights (``MEASURE``) and how long the writer has lived or worked somewhere
    (``LIVED``): they are who the garment is for or who writes, not a condition the answer must
    meet. A child ("mi nena de 4", "el bebé de 3 meses") stays when the answer is ``sized``,
    for whoever is choosing a garment: the shop's sizes may not be theirs. To any other answer
    (how to pay, to exchange what was bought) a child, a pregnancy, a body described ("es
    muy alta") or the size worn ("soy talle 8") is who wears it."""

    def drop(age: re.Match[str]) -> str:
        whole = age.group(0)
        if sized and int(age.group(1)) < ADULT_AGE:
            return whole
        return whole[: age.start(1) - age.start()]

    unaged = AGE.sub(drop, normal)
    if not sized:
        unaged = SIZE_WORN.sub(" ", BODY.sub(" ", CHILD.sub(" ", BABY_AGE.sub(" ", unaged))))
    return LIVED.sub(" ", MEASURE.sub(" ", unaged))


def _uncounted(normal: str, counts: frozenset[str]) -> str:
    """``normal`` without the numbers that count what the answer does not ("llevo 2 conjuntos",
    "tengo 10 min de break"): how many garments or children is no condition on an answer that
    counts days. Times, money and instalments stay, and so does anything the answer counts."""

    def drop(found: re.Match[str]) -> str:
        what = found["what"]
        kept = (
            what in faq_module.STOPWORDS
            or faq_module.key(what) in counts
            or KEPT_COUNT.fullmatch(what)
        )
        return found.group(0) if kept else what

    return COUNT.sub(drop, normal)


def _told_aside_left_out(sentence: str) -> str:
    """``sentence`` without an aside that tells of another time: "pagar por transferencia como
    la otra vez (cuando les compré tres remeras de algodón)"."""
    if not HISTORY.search(sentence):
        return sentence
    return ASIDE.sub(lambda a: " " if BOUGHT_BEFORE.search(a.group(0)) else a.group(0), sentence)


def _occasion_left_out(normal: str, *, waited: bool) -> str:
    """``normal`` without the occasion a purchase is for ("le quiero comprar algo a mi señora
    para el día de la madre", "cumple el 3 de septiembre"): why they buy, not a day the answer
    must meet. Unless the message asks whether something arrives (``waited``): then the day is
    the deadline it must arrive by."""
    if waited:
        return normal
    return QUINCE.sub(
        " ", EVENT_ON.sub(" ", BIRTHDAY_ON.sub("cumple", GIFT_FOR.sub(r"\1\2", normal)))
    )


def _ahead_left_out(text: str, sent: datetime.datetime | None) -> str:
    """``text`` without the days still ahead of the mail's Date it tells ("lo abren el 24",
    written on the 20th): said around a question for buyers, they are when a gift is given or
    a trip made, not the day something came, from which the answer's window counts. A day
    before the Date, or any day without one, stays: it may be the purchase."""
    if sent is None:
        return text
    today = sent.date()

    def drop(found: re.Match[str]) -> str:
        month = MONTH_NUMBERS[found["month"].lower()] if found["month"] else today.month
        try:
            when = today.replace(month=month, day=int(found["day"]))
            if when < today and found["month"]:
                when = when.replace(year=when.year + 1)  # "el 6 de enero", said in December
        except ValueError:
            return found.group(0)
        return " " if 0 < (when - today).days <= MAX_AHEAD_DAYS else found.group(0)

    return DAY_TOLD.sub(drop, text)


def _idioms(normal: str) -> str:
    """``normal`` with idioms said plainly, so that they name their topic: two sizes side by
    side are "entre dos talles", "¿es porque lo tienen?" is "¿está disponible?", "lo que
    está en la página" is the site's stock, a size it shows is "disponible", a postal code
    given is "código postal", an order that "sale" is dispatched, the shop's words in English
    or Portuguese are said in Spanish, and a power cut is gone."""
    for english, spanish in ENGLISH:
        normal = english.sub(spanish, normal)
    normal = PORTUGUESE_WORD.sub(lambda word: PORTUGUESE[word.group(0)], normal)
    normal = POSTAL_CODE.sub("codigo postal", POWER_CUT.sub("", normal))
    normal = ORDER_LEAVING.sub("despachan ", normal)
    normal = ON_THE_SITE.sub("el stock de la pagina", SIZE_SHOWN.sub("figura disponible", normal))
    return IN_STOCK.sub(" esta disponible", TWO_SIZES.sub(" entre dos talles ", normal))


def _unsigned(lines: list[str]) -> list[str]:
    """``lines`` without the signature: a closing line and the short lines under it, or a
    last block of short lines that opens with a name ("Graciela Bustos / Estudio Bustos /
    Av. San Martín 1234")."""
    for index in range(len(lines) - 1, max(len(lines) - SIGNATURE_LINES, 0) - 1, -1):
        if SIGN_OFF.match(faq_module.normalize(lines[index])) and "?" not in lines[index]:
            # Under a closing line: the name, the company, its address and its legal lines,
            # anything but a question.
            below = lines[index + 1 :]
            if all(
                _signature_line(line) or not _asks(faq_module.normalize(line)) for line in below
            ):
                return lines[:index]
            break
    blank = max((i for i, line in enumerate(lines) if not line.strip()), default=-1)
    if _signature_block([line for line in lines[blank + 1 :] if line.strip()]):
        return lines[: blank + 1]
    return lines


def _signature_block(block: list[str]) -> bool:
    """Whether ``block`` (lines, none blank) is a signature: a few short lines under a name."""
    return (
        2 <= len(block) <= SIGNATURE_LINES
        and bool(NAME_LINE.match(block[0].strip()))
        and all(_signature_line(line) for line in block)
        and not _asks(faq_module.normalize(block[0]))  # "DONDE ESTA LA TABLA DE TALLES"
    )


def _contact_line(line: str) -> bool:
    """A phone number or an address: a line with ``CONTACT_DIGITS`` digits or more, or a
    street and its number ("Av. del Libertador 15.340")."""
    return len(re.findall(r"\d", line)) >= CONTACT_DIGITS or bool(STREET_LINE.match(line))


def _signature_line(line: str) -> bool:
    return len(line.split()) <= SIGNATURE_WORDS and "?" not in line


def _thread_order(subject: str, said: list[str]) -> re.Match[str] | None:
    """The order a subject names, when the message (its sentences ``said``) asks about it:
    nothing asked, or where it is or when it comes."""
    order = ORDER.search(subject)
    if order is None:
        return None
    asking = [s for s in said if _asks(s)]
    return order if not asking or any(STATUS_ASK.search(s) for s in asking) else None


def _unwrapped(normal: str) -> str:
    """``normal`` with the paragraphs a mail program wrapped at a fixed width joined again: a
    long line that ends inside a sentence and a next line that goes on in lower case."""
    lines = normal.split("\n")
    out = lines[:1]
    for line in lines[1:]:
        last = out[-1]
        ends_inside = last[-1:].isalnum() or last.endswith(",")
        if len(last) >= WRAPPED_WIDTH and ends_inside and line[:1].islower():
            out[-1] = f"{last} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def _here(normal: str) -> str:
    """``normal`` without the sentences, or the reasons given in them ("…, ya que en otra
    tienda me pasó que…"), that speak of another shop and not of this one."""
    kept: list[str] = []
    elsewhere = False
    for m in SENTENCE.finditer(normal):
        for part in REASON.split(m.group(0)):
            if not re.search(r"\w", part):
                if not elsewhere:
                    kept.append(part)  # ")." after "(??": the story goes on past it
                continue
            # "…en otra tienda compré algo 💀 y me devolvieron la plata re tarde": a sentence
            # that opens with "y" goes on with the story before it.
            goes_on = elsewhere and (
                GOES_ON.match(part) is not None
                or (THEY_DID.search(part) is not None and not _asks(part) and not OURS.search(part))
            )
            elsewhere = goes_on or (ELSEWHERE.search(part) is not None and not OURS.search(part))
            if not elsewhere:
                kept.append(part)
    return "".join(kept)


def _sentences(text: str) -> list[str]:
    """The normalised sentences of ``text``, each with its closing punctuation, its idioms
    said plainly (``_idioms``) and its places as "localidad" (``_placed``). A short closing
    line ("Saludos, Ana", "Gracias!") and the short lines under it are a signature and are
    left out, and so are lines holding a phone number."""
    lines = [line for line in text.split("\n") if not DISCLAIMER.search(faq_module.normalize(line))]
    kept = [line for line in _unsigned(lines) if not _contact_line(line)]
    flat = _idioms(_unwrapped(faq_module.normalize(_placed("\n".join(kept)))))
    found: list[str] = []
    for m in SENTENCE.finditer(flat):
        sentence = m.group(0).strip()
        if not re.search(r"\w", sentence):
            continue
        if (
            found
            and found[-1].endswith("?")
            and sentence.endswith("?")
            and ALTERNATIVE.match(sentence)
        ):
            found[-1] = f"{found[-1].rstrip('?')} {sentence.lstrip('¿')}"
        else:
            found.append(sentence)
    return found


def _called(mail: parse.Mail, text: str, normal: str) -> tuple[str, ...]:
    """The people the message names: the sender ("Julieta Correa"), by whose name a forwarded
    message may call them ("Juli, preguntales…"), the shop as the mail is addressed to it
    ("preguntá en Cuyo Textil si…") or by the name its address begins with ("Lupe" for
    hola@lupeindumentaria.com.ar), whoever ``text`` names by a title ("del Dr. Ricardo
    Pereyra", for whom an assistant writes) and whom it greets ("Hola Caro, ¿cómo estás?").
    Who they are is no condition. ``normal`` is ``text`` normalised, where the shop's name is
    looked for."""
    addressed = mail.addresses("To")
    names = " ".join(
        [
            mail.sender_name,
            *(name for name, _ in addressed),
            *TITLED.findall(text),
            *GREETED.findall(text),
        ]
    )
    # The shop by the name its address begins with: "Lupe" for hola@lupeindumentaria.com.ar.
    domains = [address.rpartition("@")[2].partition(".")[0].lower() for _, address in addressed]
    shop = [
        word
        for word in set(re.findall(r"[a-z]{4,}", normal))
        if any(domain.startswith(word) for domain in domains)
    ]
    called = [n for n in re.findall(r"[a-z]+", faq_module.normalize(names)) if len(n) >= 3]
    return tuple(called + shop)


def _plainly(normal: str) -> str:
    """``normal`` with its set phrases said plainly (``PLAIN_PHRASES``)."""
    for phrase, plain in PLAIN_PHRASES:
        normal = phrase.sub(plain, normal)
    return normal


def _generic(normal: str, called: tuple[str, ...] = ()) -> str:
    """``normal`` with each garment (and its fabric) said as "prenda" and each place word as
    "localidad": a jean is covered wherever the answer speaks of garments, and "mi pueblo"
    wherever it ships to every town. The names ``called`` are left out, and what begins one
    ("Juli" for Julieta, "Gus" for Gustavo), unless it is a short word of the language ("la"
    does not begin Laura: "hoy a la noche" keeps its deadline)."""
    normal = SIZE_NAMED.sub("talle", GARMENT.sub("prenda", GARMENT_OF_FABRIC.sub(r"\1", normal)))
    normal = BANK_NAMED.sub("banco", _plainly(COLOR_NAMED.sub("color", normal)))
    tokens = re.findall(r"[a-z0-9ñ]+", normal)
    out = [
        t
        for t in tokens
        if not (
            t in called
            or ((len(t) >= 4 or t not in SHORT_WORDS) and any(n.startswith(t) for n in called))
        )
    ]
    # Places are already "localidad" (_placed), so "Capital Federal" is not "localidad federal".
    return PLACE_WORD.sub("localidad", " ".join(out))


def _placed(text: str) -> str:
    """``text`` with each place in the country (``PLACES_FILE``) said as "localidad", whatever
    its accents: Malargüe is a town wherever the answer ships to every town, and "¿Llegan a
    Godoy Cruz?" asks about shipping as "¿Llegan a Neuquén?" does."""
    found = list(WORD.finditer(text))
    keys = [faq_module.normalize(m.group(0)) for m in found]
    places = _places()
    out: list[str] = []
    done = index = after_place = 0
    while index < len(found):
        for size in range(min(MAX_PLACE_WORDS, len(found) - index), 0, -1):
            name = tuple(keys[index : index + size])
            if name not in places:
                continue
            capitals = places[name]
            words = [m.group(0) for m in found[index : index + size]]
            led = index > 0 and (keys[index - 1] in PLACE_LEADS or index == after_place)
            if capitals is not None and not (led or _as_listed(words, capitals)):
                continue
            start, end = found[index].start(), found[index + size - 1].end()
            span = "LOCALIDAD" if text[start:end].isupper() else "localidad"
            out += [text[done:start], span]
            done = end
            index = after_place = index + size
            break
        else:
            index += 1
    return "".join([*out, text[done:]])


def _as_listed(words: Sequence[str], capitals: tuple[bool, ...]) -> bool:
    """Whether ``words`` are capitalised as the name is listed ("La Plata", not "la plata")."""
    return all(
        word[:1].isupper() and not word[1:].isupper()
        for word, capital in zip(words, capitals, strict=True)
        if capital
    )


@functools.cache
def _places() -> Mapping[tuple[str, ...], tuple[bool, ...] | None]:
    """Each place's words, and for a name that is also a common phrase (marked "~" in the
    file) which of its words are written with a capital: it names the place only so written,
    after a word a place follows (``PLACE_LEADS``) or right after another place ("Orán,
    Salta")."""
    places: dict[tuple[str, ...], tuple[bool, ...] | None] = {}
    for line in PLACES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        written = WORD.findall(line.removeprefix("~"))
        name = tuple(faq_module.normalize(word) for word in written)
        places[name] = tuple(w[:1].isupper() for w in written) if line.startswith("~") else None
    return places


def _asks(sentence: str) -> bool:
    if "?" not in sentence and NOT_ASKING.search(sentence):
        return False
    return bool(QUESTION.search(sentence) or UNSURE.search(sentence))


def _subject_asks(subject: str, faq: faq_module.Faq) -> bool:
    """A subject that is a question (with its mark, or its words and a topic: "cuanto tarda el
    envio a la rioja"), not the name of a thread ("Re: Consulta") or a bare topic ("Envíos")."""
    if REPLY_SUBJECT.match(subject):
        return False
    if "?" in subject:
        return True
    normal = faq_module.normalize(subject)
    return _asks(normal) and bool(faq.analyse(normal).topics) and len(normal.split()) >= 3


def _bare_subject(subject: str) -> str:
    """``subject`` without reply and forward prefixes, or a contact form's own words ("Nuevo
    mensaje de contacto: Envíos")."""
    bare = re.sub(r"^(?:\s*(?:re|fw|fwd|rv|tr|aw|wg)\s*:)+", "", subject, flags=re.IGNORECASE)
    return FORM_SUBJECT.sub("", bare)


def _handoff(normal: str, subject: str, text: str) -> tuple[str, str, str] | None:
    # Nothing bought yet: "si no me gusta, ¿me devuelven la plata?" asks the terms of a refund,
    # and a subject "Devoluciones" names them.
    # (A purchase told as history, "les compré el año pasado un sweater", is not this one.)
    now = "".join(s for s in SENTENCE.findall(normal) if ORDER.search(s) or not HISTORY.search(s))
    buyer = any(
        ORDER.search(said) or PURCHASE.search(said) or GOT.search(said) for said in (now, subject)
    )
    # An exchange asked anywhere ("3 preguntitas: ¿se puede cambiar x otro color? ¿tengo q
    # devolverla con la bolsa?"): the garment given back is the exchange's. Read only for a
    # refund found.
    exchanging = functools.cache(
        lambda: any(
            "?" in sentence and _exchange_wanted(sentence, 0, len(sentence))
            for source in (normal, subject)
            for sentence in SENTENCE.findall(source)
        )
    )
    for source in (normal, subject):
        for line in source.split("\n"):
            for category, intent, pattern in HANDOFF:
                for found in pattern.finditer(line):
                    if not _excused(category, line, found, buyer, source is subject, exchanging):
                        return category, intent, found.group(0)
    if _shouting(text):
        return "anger", "reclamo", "all capitals"
    return None


def _excused(
    category: str,
    line: str,
    found: re.Match[str],
    buyer: bool,
    in_subject: bool,
    exchanging: Callable[[], bool] = lambda: False,
) -> bool:
    """Whether the handoff words ``found`` in ``line`` are not what they seem: denied ("no es
    reclamo"), asked of a supposition before buying, a promotion, told of the past or of
    somebody else, laughed at or said of oneself."""
    start, end = found.start(), found.end()
    if UNWANTED.search(line, max(0, start - 40), start):
        return True
    if category in ("cancellation", "payment_problem") and not buyer and _supposed(line, found):
        return True  # "si pago el viernes y se acredita el martes, ¿me cancelan el pedido?"
    if category == "refund" and not buyer:
        if in_subject or _supposed(line, found):
            return True  # "si no me gusta, ¿me devuelven la plata?"; a subject "Devoluciones"
        if found.group(0).startswith("reintegr") and PROMOTION.search(
            line, max(0, start - 40), end + 40
        ):
            return True  # "con Cuenta DNI los miércoles hay reintegro"
    if (
        category in ("address_change", "order_change", "faulty_item", "not_as_shown")
        and not buyer
        and ((in_subject and ("?" in line or category in CHANGES)) or _asked_before(line, found))
    ):
        return True  # "¿puedo comprar y que lo manden a otra dirección?", "¿destiñe?"
    if (
        category == "faulty_item"
        and not buyer
        and NOT_OURS.search(line, max(0, start - 40), start)
        and not GARMENT.search(line, max(0, start - 40), start)
    ):
        return True  # "el bondi tiene la calefacción rota": a thing we did not sell
    if category in ("anger", "insult", "legal") and _of_others(PAST, line, start - 60, start):
        return True  # "una vez me estafaron en Marketplace": told, not happening
    if (
        category == "refund"
        and not buyer
        and (_in_question(line, end) or _wondered(line, start))
        and (_exchange_wanted(line, start - REACH, end + REACH) or exchanging())
        and not MONEY_BACK.search(line, max(0, start - REACH), end + REACH)
    ):
        return True  # "¿cuál es el plazo para devolver una prenda y cambiarla por otra?"
    if category == "refund" and not buyer and _not_now(line, start):
        return True  # "no quiero pagar y andar esperando que me devuelvan", "nunca hice una…"
    if category == "refund" and not buyer and _of_others(PAST, line, start - 100, start):
        return True  # "me pasó varias veces que… me devuelven la plata cuando quieren"
    if (
        category == "cancellation"
        and found.group(0).startswith("arrepent")
        and EXCHANGE.search(line, max(0, start - REACH), end + REACH)
    ):
        return True  # "me arrepentí, prefiero el otro modelo: ¿se puede cambiar?"
    if category == "wants_person" and (
        (found.group(0).startswith("hay") and not _in_question(line, found.end()))
        or re.search(r"\bno\s+(?:puedo|podemos|puede)\s+$", line[max(0, start - 20) : start])
    ):
        return True  # "en la página hay un número de WhatsApp"; "soy sorda, no puedo llamar por…"
    if category == "faulty_item" and NO_FAULT.search(line, max(0, start - 30), start):
        return True  # "no tiene manchas ni nada, está impecable"
    if category == "faulty_item" and not buyer and _of_others(MINE, line, start - 60, start):
        return True  # "los míos ya tienen más agujeros que el colador"
    if (
        category == "wrong_item"
        and re.match(r"(?:pedi|compre|encargue|elegi)\b", found.group(0))
        and (DATE.search(found.group(0)) or re.search(r"\bhace\s+\d+\s+dias\b", found.group(0)))
    ):
        return True  # "compré el 20 de diciembre y me llegó el 27": days, not sizes
    if category == "delivery_problem" and RESTOCK_NOTICE.search(
        line, max(0, start - REACH), end + REACH
    ):
        return True  # "dejé mi mail para que me avisen cuando vuelva… y nunca me llegó nada"
    if category == "complaint" and NOT_DOING.search(line, max(0, start - 60), start):
        return True  # "no tengo tiempo de andar llamando ni reclamando si algo sale mal"
    if category == "complaint" and _of_others(THIRD_PARTY, line, start - 100, start):
        return True  # "a una vecina le clonaron la tarjeta y estuvo meses reclamando"
    return category in ("anger", "insult") and bool(
        LAUGHTER.search(line, end, end + 30)
        or SELF_MOCK.search(line, max(0, start - 30), start)
        or _of_others(THIRD_PARTY, line, start - 100, start)
    )  # "un desastre jaja", "una consulta re boluda", "mi banco… un desastre": not at us


def _not_now(line: str, position: int) -> bool:
    """Whether the sentence of ``line`` tells, before ``position``, a fear, a habit or a never
    (``NOT_NOW``) with no wish said after it: "no quiero cambiarla, quiero que me devuelvan la
    plata" wants the refund."""
    told = list(NOT_NOW.finditer(line, _opened(line, position), position))
    return bool(told) and not WANTED.search(line, told[-1].end(), position)


def _exchange_wanted(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` asks for an exchange, not one the writer does not want ("no
    quiero cambiarla")."""
    return any(
        not UNWANTED.search(text, max(0, m.start() - 40), m.start())
        for m in EXCHANGE.finditer(text, max(0, start), end)
    )


def _of_others(pattern: re.Pattern[str], line: str, start: int, end: int) -> bool:
    """Whether ``pattern`` finds, in ``line[start:end]``, somebody else or another time with
    nothing after it that names us (``OURS``): "mi banco… un desastre", not "el correo y
    ustedes… un desastre"."""
    start = max(0, start)
    return any(not OURS.search(line, m.end(), end) for m in pattern.finditer(line, start, end))


def _asked_before(line: str, found: re.Match[str]) -> bool:
    """Whether ``found`` is in a question and nothing in ``line`` tells of something received:
    "¿el buzo destiñe?", "¿puedo hacer la compra y que lo manden a otra dirección?"."""
    near = max(0, found.start() - REACH), found.end() + REACH
    return _in_question(line, found.end()) and not RECEIVED.search(line, *near)


def _opened(line: str, position: int) -> int:
    """Where the sentence of ``line`` that holds ``position`` opens, read back at most
    ``REACH``."""
    reach = max(0, position - REACH)
    return max(reach - 1, *(line.rfind(stop, reach, position) for stop in ".!?;")) + 1


def _supposed(line: str, found: re.Match[str]) -> bool:
    """Whether ``found`` is asked of a supposition, in a question opened by "si" ("¿y si la
    otra es más barata me devuelven algo?")."""
    opened = _opened(line, found.start())
    return _in_question(line, found.end()) and bool(SUPPOSING.search(line, opened, found.start()))


def _wondered(line: str, position: int) -> bool:
    """Whether the sentence of ``line`` that holds ``position`` wonders about it before it
    ("no sé si tengo que pagar el correo… para que me la devuelvan"): a question without its
    mark."""
    return bool(WONDERING.search(line, _opened(line, position), position))


def _in_question(line: str, position: int) -> bool:
    """Whether the sentence of ``line`` that holds ``position`` ends with a question mark
    (within ``REACH``: a sentence longer than that asks nothing of a handoff phrase in it)."""
    ends = [i for stop in ".!;?" if (i := line.find(stop, position, position + REACH)) >= 0]
    return bool(ends) and line[min(ends)] == "?"


def _only_a_signature(text: str) -> bool:
    """True for a company signature and nothing else: short lines under a name, one of them a
    way to reach the writer ("Tel.: (011) 4201-3388", "www…")."""
    lines = [line for line in text.split("\n") if line.strip()]
    return _signature_block(lines) and any(
        _contact_line(line) or "www." in line or "@" in line for line in lines
    )


def _only_a_name(text: str) -> bool:
    """True for a text of two to four capitalised words and nothing else ("Claudia Ferreyra",
    "Lic. Ana M. Pérez"), perhaps with a line for the town under it ("Oberá - Misiones"): a
    signature, not a message."""
    lines = [line for line in text.split("\n") if line.strip()]
    tokens = [t for t in text.split() if t not in NAME_JOINERS]
    return (
        len(lines) <= 2
        and 2 <= len(tokens) <= 4 * len(lines)
        and all(t[0].isupper() and re.fullmatch(r"[^\W\d_]+[.,]?", t) for t in tokens)
        and not any(w in COURTESY_WORDS for w in re.findall(r"\w+", faq_module.normalize(text)))
        and not _asks(faq_module.normalize(lines[0]))  # "DONDE ESTA LA TABLA DE TALLES"
    )


def _shouting(text: str) -> bool:
    """Capitals with a volley of exclamation marks. Capitals alone are a way of writing (older
    customers, phones stuck in caps lock), not anger: "QUERIA SABER SI HACEN ENVIOS"."""
    letters = [ch for ch in text if ch.isalpha()]
    # "GRACIAS!!" is warmth, not a volley.
    if len(letters) < 20 or not re.search(r"!{2,}", COURTESY_CHEER.sub(" ", text)):
        return False
    upper = sum(1 for ch in letters if ch.isupper())
    return upper / len(letters) >= 0.7


@dataclasses.dataclass(frozen=True, slots=True)
class _Product:
    intent: str
    found: str
    attribute: bool  # named by what it is (colour, size, model), not asked its price


def _specific_product(said: list[str], linked: bool = False) -> _Product | None:
    """The product the customer's sentences single out: a garment's price (a garment named,
    or ``linked`` by its page's address), or a colour, size or model said of a garment in the
    same sentence ("me gustó que no todo sea negro" and "los buzos" in another sentence single
    out nothing)."""
    normal = "\n".join(said)
    garment = linked or GARMENT.search(normal)
    # "¿Cuánto sale el envío?" is the price of shipping, not of the jean named beside it, and so
    # is the price asked in a sentence that sends and names no garment, nor links one
    # ("¿cuánto tarda en llegar el envío y más o menos cuánto sale?").
    price = next(
        (
            m
            for sentence in said
            for m in PRICE_ASK.finditer(sentence)
            if not SHIPPING.match(sentence, m.end())
            and not (SHIPPING_WORD.search(sentence) and not (linked or GARMENT.search(sentence)))
        ),
        None,
    )
    shipping_price = SHIPPING_WORD.search(normal)
    generic_price = re.search(r"\bprecios?\b|\bvalor\b", normal)
    if price and (garment or (not shipping_price and generic_price)):
        return _Product("producto", price.group(0), attribute=False)
    for sentence in said:
        if SITE_SHOWS.search(sentence):
            continue  # "si en la web dice que hay talle M, ¿lo tienen?": an example of the site
        pattern = PRODUCT_ATTRIBUTE if GARMENT.search(sentence) else COLOR_ASK
        attribute = pattern.search(sentence)
        if attribute:
            intent = "stock" if AVAILABILITY.search(normal) else "producto"
            return _Product(intent, attribute.group(0), attribute=True)
    return None


def _foreign_intent(normal: str) -> str:
    for intent, pattern in FOREIGN_INTENTS:
        if pattern.search(normal):
            return intent
    return "otro"
