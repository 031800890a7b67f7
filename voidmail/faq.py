"""The FAQ: curated answers, and the matcher that says which one (if any) a question asks for.

The shop owner edits ``faq.toml`` (its header comment documents the format). Matching is
keyword based, so that the owner can see and fix why a question matched: every word is
compared by a *key* that ignores case, accents, repeated letters, the usual spelling slips of
Argentine mail (v/b, z/s/c, ll/y, a silent h, qu/k) and Spanish endings, so "envío" matches
"envios", "enviar", "envían", "enviás" and "emvio". Longer keys also tolerate one typo
("coutas" for "cuotas").

A message is split into clauses (sentences, and "… y si …"); each clause gets at most one topic,
the first entry in file order that it matches, so "¿puedo cambiar por otro talle?" is about
exchanges, not sizes. :meth:`Faq.match` answers only when exactly one topic is asked about and
nothing in the message falls outside what that answer covers.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from voidmail.errors import ConfigError

# Evidence is keywords + hints/2 + similarity to the closest example; the score squashes it
# into [0, 1) and one keyword alone reaches the threshold.
THRESHOLD = 0.5
HINT_WEIGHT = 0.5
# A message as close as this to one of an entry's examples counts as asking about it even
# without a keyword.
EXAMPLE_MATCH = 0.75

ENTRY_FIELDS = frozenset(
    {"id", "answer", "examples", "keywords", "hints", "exclude", "ignore", "after_purchase"}
)
LIST_FIELDS = ("examples", "keywords", "hints", "exclude", "ignore")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

# Words that carry no topic. Compared after accents are stripped.
STOPWORDS = frozenset(
    """
        a al algo algun alguna alguno ante bien como con cual cuales cuando cuanto cuanta
        cuantos cuantas de del desde donde e el ella ellos en entre era es esa ese eso esta
        estan estas este esto estos fue ha hay hola la las le les lo los mas me mi mis mucho muy
        nada ni no nos o os para pero poco por porque pues que quien se ser si so sobre su sus
        tambien te ti toda todo tu tus u un una uno unos unas usted ustedes vos y ya yo
        buenas dia dias tardes noches gracias saludos hey holis holaa
        consulta consultar pregunta quisiera queria quiero saber favor porfa
    """.split()
)  # fmt: skip
# Set phrases that say nothing about the question: greetings, and fillers whose words would
# mean something alone ("una consulta rápida" is not fast shipping, "de nuevo" not new stock,
# "si vale la pena esperar" no price).
_GREETINGS = re.compile(
    r"\bbuen[oa]?s?\s+(?:dias?|tardes?|noches?)\b|\bmuchas\s+gracias\b"
    r"|\b(?:consult|pregunt|dud)(?:a|as|ita|itas)\s+(?:rapid|cortit|chiquit|simple|sencill)\w*"
    r"|\bvale\s+la\s+pena\b"
    r"|\b(?:a|muchas|algunas|varias)\s+veces\b|\bun\s+monton\b|\bde\s+nuevo\b|\bnuevamente\b"
    r"|\b(?:hola|holis|holaa|buenas|gracias|saludos|chau|genias)\s+chic[oa]s\b|(?:^|\n)\s*chic[oa]s\b"
    r"|\b(?:toda\s+la|a\s+la|por\s+la|esta|de|en\s+la|una)\s+tarde\b"  # the afternoon, not "tardar"
    r"|\bmas\s+adelante\b|\bpor\s+ejemplo\b|\b100\s*%|\bcien\s+por\s+ciento\b"
    r"|\bacerca\s+de\b|\bcon\s+el\s+(?:fin|objeto|proposito)\s+de\b|\ba\s+(?:los\s+)?efectos\s+de\b"
    r"|\bpor\s+las\s+dudas\b|\blo\s+unico\b"
    # Where a company is ("nuestra empresa, con domicilio en Godoy Cruz"), not a delivery.
    r"|\bcon\s+domicilio\s+(?:legal\s+|fiscal\s+|comercial\s+)?en\b"
    # The weather told ("tuvimos 43 grados"): no answer keeps a temperature.
    r"|\b\d{1,2}\s*(?:grados\b|°|de\s+sensacion\b)"
)
# Runs of non-space characters; links and addresses among them are dropped by _no_links. One
# character class, so linear (a pattern like "\S+@\S+" rescans a long run from every start).
_TOKENS = re.compile(r"\S+")
# Time since something happened ("hace 40 días", "la semana pasada", "ayer"), which must fall
# inside a window the answer states in days ("Tenés 30 días desde que…"). Linear: each
# alternative is a fixed run of words.
_ELAPSED = re.compile(
    r"\bhace\s+(?:(?:(?:como|unos|unas|casi|apenas|aproximadamente|mas\s+o\s+menos|(?P<more>mas\s+de))\s+)?"
    r"(?P<n>\d{1,3}|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|quince"
    r"|veinte|treinta|cuarenta)\s+)?(?P<unit>dias?|semanas?|mes(?:es)?|anos?)\b"
    r"|\b(?:la|el)\s+(?P<last>semana|mes|ano)\s+pasad[oa]\b|\b(?P<day>ayer|anteayer|antes\s+de\s+ayer)\b"
)
# A date something is needed by ("antes del viernes", "para navidad", "para el 24"): no answer
# promises one, so a question with a deadline is never fully covered. ("Por el día del padre"
# is the occasion.)
_DEADLINE = re.compile(
    r"\b(?:antes\s+del?|para\s+(?:el|la|las)?|hasta\s+el|(?<!\bpor\s)el)\s*"
    r"(?:\d{1,2}(?:\s+de\s+[a-z]+)?|lunes|martes"
    r"|miercoles|jueves|viernes|sabado|domingo|finde|fin\s+de\s+(?:semana|mes|ano)|navidad|nochebuena"
    r"|reyes|ano\s+nuevo|fiestas|dia\s+de\s+la\s+madre|dia\s+del\s+(?:padre|nino|amigo)|san\s+valentin"
    r"|(?:la\s+)?semana\s+que\s+viene|(?:el\s+)?mes\s+que\s+viene"
    r"|manana|pasado\s+manana)\b"
    # The same day: "¿llega en el día?", "¿lo paso a buscar hoy a la tarde?".
    r"|\b(?:el\s+mismo\s+dia|en\s+el\s+dia|hoy\s+mismo|hoy\s+a\s+la\s+(?:tarde|noche|manana))\b"
)
# What a number counts: the word after it, past a range ("2 a 4 semanas", "3 y 7 días").
_COUNTED = re.compile(r"\b\d+(?:\s+(?:a|y|o)\s+\d+)?\s+([a-z]+)")
_NUMBER_WORDS = {
    "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "quince": 15, "veinte": 20, "treinta": 30, "cuarenta": 40,
}  # fmt: skip
_UNIT_DAYS = {"dia": 1, "semana": 7, "mes": 31, "ano": 365}
_WINDOW = re.compile(r"\b(\d{1,3})\s+(?:dias|(semanas)|(horas))\b")
_SPACES = re.compile(r"[^\S\n]+")
_BLANKS = re.compile(r" ?\n(?: ?\n)* ?")
_LAUGHTER = re.compile(r"(?:[jh][aeiou]){2,}[jh]?")
# The number, letter or bullet that opens an item of a list of questions ("1) ¿Envían…?",
# "2. ¿Y…?", "b) …", "- dónde veo…"): formatting, not a number the answer must say, and no
# word before the question's own first word. Read after white space is made one.
_NUMBERING = re.compile(r"^ ?(?:(?:\d{1,2}|[a-e])(?:\)|[.-](?= ))|[-*•·](?= )) ?", re.MULTILINE)
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # letters only: "#1000" stays a number
# How customers shorten the words every rule reads ("q", "xq", "tmb", "x favor"), spelled out
# once here so that no rule has to list both. "x" only before a word: "2 x 1" stays.
_SHORTHAND = {
    "q": "que", "k": "que", "ke": "que", "xq": "porque", "pq": "porque", "porq": "porque",
    "tb": "tambien", "tmb": "tambien", "tmbn": "tambien", "tambn": "tambien",
    "dsp": "despues", "dps": "despues", "xfa": "por favor", "porfa": "por favor",
    "x": "por", "xa": "para", "cdo": "cuando", "msj": "mensaje", "bno": "bueno", "cn": "con",
    # Spelt by ear: "me cobraron 2 beses", "el buso bino con un ujero", "ke ago?".
    "beses": "veces", "bes": "vez", "bino": "vino", "binieron": "vinieron", "ujero": "agujero",
    "aujero": "agujero", "buso": "buzo", "ago": "hago", "aser": "hacer", "asta": "hasta",
    "oy": "hoy", "ola": "hola", "oi": "hoy", "ai": "hay", "aki": "aqui", "nose": "no se",
    "aver": "a ver", "porfavor": "por favor", "abia": "habia", "ise": "hice", "asen": "hacen",
    "acen": "hacen", "ase": "hace", "asemos": "hacemos",
    # Said short: "como hago pa saber", "si pago por transfe".
    "pa": "para", "transfe": "transferencia", "transfer": "transferencia", "gral": "general",
    "bn": "bien", "slds": "saludos", "dnd": "donde",
}  # fmt: skip
# Spelt by ear, letter by letter: "k" before e and i is "qu" ("kiero", "keda"; not in the
# few words written with it), "nb" is "nv" ("enbio": Spanish writes no "nb"), "yeg" is "lleg"
# ("yego") and "deb" before "uel" or "olu" is "dev" ("debuelvan", "debolucion").
_BY_EAR = (
    (
        re.compile(r"\bk(?=[ei])(?!ilo|imono|iosc|iosk|inder|it\b|iwi|erosen|etchup|efir|ermes)"),
        "qu",
    ),
    (re.compile(r"(?<=[a-z])nb(?=[a-z])"), "nv"),
    (re.compile(r"\byeg(?=[aoue])"), "lleg"),
    (re.compile(r"\bdeb(?=uel|olu)"), "dev"),
)
# Punctuation said aloud to a phone's dictation: "¿hacen envíos coma cuánto tarda signo de
# pregunta" is "¿hacen envíos, cuánto tarda?". "Punto" alone is a stop only at the end of a
# line ("un punto de retiro" is a place).
_DICTATED = (
    (re.compile(r"\s*\b(?:abr\w+\s+|cerr\w+\s+)?signos?\s+de\s+(?:pregunta|interrogacion)\b"), "?"),
    (re.compile(r"\s*\b(?:abr\w+\s+|cerr\w+\s+)?signos?\s+de\s+(?:exclamacion|admiracion)\b"), "!"),
    (re.compile(r"\s*\bpunto\s+(?:y\s+aparte|final|seguido)\b|\s*\bpunto\s*$", re.MULTILINE), "."),
    (re.compile(r"\s+coma\s+"), ", "),
    # Words the dictation splits or the autocorrect swaps: "en vio" is "envío", "cuitas" "cuotas".
    (re.compile(r"\ben\s+vio(s?)\b"), r"envio\1"),
    (re.compile(r"\bcuitas\b"), "cuotas"),
)
_WRITTEN_OUT = _BY_EAR + _DICTATED
_SHORT = re.compile(
    r"\b(?:" + "|".join(w for w in _SHORTHAND if w != "x") + r")\b|(?<!\d )\bx(?= [a-z])"
)
_WORD = re.compile(r"[a-z0-9ñ]+")
_SENTENCE_BREAK = re.compile(r"[.!?;\n]+")
# Split a sentence where a second question joins the first ("… los envíos y si hay cambios").
_CLAUSE_BREAK = re.compile(
    r"[?!.;:\n]+|\s(?:y|e)\s+(?=(?:si|que|cuanto|cuantos|cuanta|cuando|como|donde|cual|"
    r"tambien|ademas|hacen|tienen|aceptan|puedo|se\s+puede|hay)\b)|\b(?:ademas|tambien|"
    r"otra\s+cosa|otra\s+pregunta|por\s+otro\s+lado)\b"
)
# A clause opening with a question word, or with one after "¿", asks ("y como les pago").
_INTERROGATIVE = re.compile(
    r"(?:^|¿)\W*(?:y\s+)?(?:como|cuando|donde|cuanto|cuanta|cuantos|cuantas|que|cual)\b"
)
_ENCLITICS = tuple("melo mela selo sela noslo los las les lo la le me te se nos".split())
_VERB_ENDINGS = ("ar", "er", "ir", "ando", "iendo")
# Infinitives too short to tell from a noun by their ending ("verlo", "usarla"; "charla", "perla"
# and "Carla" are no verbs).
_SHORT_INFINITIVES = frozenset("ver dar ir oir ser leer usar".split())
_SUFFIXES = tuple(
    sorted(
        """
            aciones acion ciones cion amente mente ieron aron ando iendo adas ados idas idos ada
            ado ida ido amos emos imos aban aba ara ar er ir an en as es is os a e i o s n
        """.split(),
        key=len,
        reverse=True,
    )
)
MIN_STEM = 3
SIGNATURE_CHARS = 40  # an answer's sentence this long is specific enough to recognise quoted
MIN_TYPO_EVERYDAY = 6  # keys this long may be an everyday word with a typo


def _words_of(path: Path) -> list[str]:
    """The words of a shipped word list: separated by spaces, "#" starting a comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [word for line in lines for word in line.partition("#")[0].split()]


# The closed world: words any question may hold without changing what it asks. Greetings and
# courtesy, question scaffolding, pronouns and particles, everyday verbs, and the shop's own
# generic nouns. Compared by key, so "podrían", "pueden" and "podés" are one word with "poder".
# Every other word of a question must be accounted for by the entry that answers it (its answer
# text, examples or keywords, and their synonyms); a place, a group of people, a number, a
# condition or a second meaning that nothing accounts for means the answer may not cover the
# question. Hints only point to a topic ("banco" to payments): the answer may say nothing of
# them. Time spans, places, children, seasons and money are deliberately absent: they are
# conditions. Who the customer is and why they ask (family, gifts, work, feelings) are here.
EVERYDAY = frozenset(
    """
        hola holis buenas buen buenos buena dia noches saludo saludos gracias muchas
        mil abrazo abrazos beso besos cordial cordiales atentamente atte amable amables
        disculpa disculpas disculpen disculpe perdon perdonen molestia molestar molesto
        agradezco agradeceria agradecere desde ya espera espero aguardo quedo quedamos
        respuesta respuestas pronta genial barbaro perfecto ok okey dale bueno bien joya
        lindo linda lindos lindas hermoso hermosa hermosos hermosas encanta encantan encanto
        encantaron gusta gustan gusto gustaron
        consulta consultas consultar consulto consultarles pregunta preguntas preguntar pregunto
        preguntarles duda dudas info informacion saber sabe saben sabes sabria sabrian
        sepa averiguar quiero quiera quisiera queria queriamos queremos querria necesito necesitaria
        necesitamos necesitaba sabran sabras sabra
        puedo puede pueden podes podemos podria podrian podrias podra poder posible se
        tengo tiene tienen tenes tenemos tendria tendrian tener
        hago hace hacen haces hacer hacemos hacerlo haria harian hice hizo hicimos hicieron
        es son soy somos sos seria serian sea sean ser esta estan estoy estas estamos estar
        estaria
        hay habia habra haber he has han hemos
        voy va van vamos ir iba
        doy da dan dar
        digo dice dicen decir dijeron decirme
        veo ve ven ver vi vimos mirar mire mirando miro fije fijar fijarme
        escribo escribir escribiendo escribirles escribe contar cuento cuenten contame
        cuentan explicar expliquen explicame aclarar aclaren entender entiendo entendi
        creo parece pienso pensaba
        ayuda ayudar ayudan ayuden ayudarme
        aca aqui alli ahi alla asi ahora hoy ya todavia aun recien antes despues luego
        siempre nunca tambien tampoco solo solamente bastante demasiado
        mas menos medio re super bien mal nomas capaz quizas quiza tal vez acaso igual
        mismo misma mismos mismas otro otra otros otras cada cualquier cualquiera varios
        varias
        sí si no claro seguro realmente exactamente
        algun alguna alguno algunos algunas ningun ninguna
        cosa cosas tema temas caso casi dato datos
        tienda tiendita negocio pagina web sitio online internet link
        compra compras comprar compro compre comprando
        prenda prendas ropa producto productos articulo articulos
        usted ustedes vos che gente
        ustedes le les lo la los las me te se nos su sus mi mis tu tus
        primera primero vez
        hasta segun traves mediante durante mientras entonces osea tal tan tanto tanta
        tantos tantas muchos pocos poca poco esos esas aquel aquella cuales general generalmente
        normalmente aproximadamente basicamente concreto concretamente justo verdad correcto
        pedir pido pidio pedirles encontrar encuentro encontre figura figuran aparece aparecen
        funciona funcionan funcionaria conviene convendria suele suelen realizar realizan
        realizo seguir sigue indicar indiquen indicarme indicame dirijo comunicar comunico
        deseo desearia deseamos gustaria aprovecho aprovechar significa
        forma formas manera maneras modo opcion opciones modalidad procedimiento idea
        momento parte
        estimados estimadas estimado estimada senor senora senores senoras senorita presente
        intermedio
        vuestra vuestro teneis quisieramos
        consultita preguntita cosita ultima ultimo
        usar uso usan use usas usamos llegar llega llegan llego llegue llegara
        terminar termina terminan termino terminaron pasar pasan pasa pasen pasame pasarme
        mandar mandan manda mando mandame mandarme probar probarme probarmelo probarla
        probarlo pruebo probe
        dijo decia decian dijeron tenia tenian importa elijo elegir elegi eligiendo
        venir viene vienen vino vinieron disponer dispone disponen disponemos andan andas
        pls plis
        incluye incluyen incluir iniciar inicio empezar empiezo comenzar poner ponerme pongo
        tramite tramites proceso pasos todos todas onda lado
        b c d f g j k n p r t v w x z
        debo debe deben deberia deberian resulta resulte resultar efectuar adquirir adquiri
        adquirida adquirido conocer conozco alguien mensaje prefiero preferiria
        vender venden vendan acertar acierto errar equivocar equivocarme equivoque pifiar
        dicho dicha agrado sirve servir calculo calcular trae traen deja dejan posta ahorita
        probable entere enterarme mercaderia localidad propia propio virtual tuve tuvo
        tuvimos tuviera poquito necesario necesaria conservar alcanza alcanzaria verificar
        chequear revisar breve brevedad fui fuimos cliente clienta clientes aceptan acepten
        aceptar acepta manejan manejar maneja manejamos guardar guardo guarde guardan estuve
        estuvo estuvimos estaba estabamos di dio dimos mia mio mias mios tuya tuyo tuyas tuyos
        suya suyo publicado publicada publicados aproximada aproximado
    """.split()
    # Who the customer is, who they buy for and why, how they feel, their day, their praise:
    # none of it changes what an answer about shipping, payment, exchanges, sizes or stock
    # says. Children are not there ("talles de nene" is a question the size guide may not
    # answer), nor seasons or collections ("la colección de invierno" is not restocking).
    + _words_of(Path(__file__).parent / "data" / "everyday.txt")
)  # fmt: skip
# Words that say the same thing as a word an answer uses: a question with one is covered
# wherever the answer (or the entry's examples) has another of its group.
SYNONYMS = tuple(
    frozenset(group.split())
    for group in (
        "recomendar recomiendan recomendamos recomendas aconsejar aconsejan sugerir sugieren",
        "guia guiarse guiarme guio orientar oriento orientarme orientacion",
        "medir mido mide miden medirme medida medidas tomar tomarme tomarle",
        "tardar tarda tardan tardaria tardarian demora demoran demorar demoraria",
        "costo cuesta cobran cobra cobrar cargo adicional extra aparte saldria precio",
        "condiciones condicion requisitos requisito politica",
        "otro otra distinto distinta diferente",
        "uso usada usado puesta puesto",
        "despachar despachan despacho despachamos despacharon salio",
        "promo promos promocion promociones",
        "cuotas financiacion financiar financian",
        "pagar abonar abono plata dinero",
        "transferencia transferir homebanking banco bancaria depositar deposito depositan deposite",
        "reserva reservar guardan guardar",
        "acredite acredita acreditado acreditar acreditada caiga cae caer impacte impacta impactar",
        "envio entrega",
        "pedido paquete encomienda encomiendas",
        "seguimiento rastreo rastrear rastreando",
        "chico chica chicos chicas pequeno pequena pequenos pequenas",
        "retirar retiro recoger recojo",
        "actual actualizado actualizada",
        "centimetro centimetros cm pulgada pulgadas",
        "entrar ingresar ingresa ingresan ingrese reingresa reingresar reingrese",
        "tiempo plazo dias horas semanas",
        "mail email correo",
        "avisar avisan avisen aviso avisame avisenme avisemos notificar notifiquen notifican",
        "disponible disponibles conseguir consiguen consigue conseguirlo existencia existencias",
        "agotado agotada agotados agotadas acaba acabo acabaron tachado tachada tachados tachadas",
    )
)


# --------------------------------------------------------------------------- text keys


def normalize(text: str) -> str:
    """Lower case, no accents, no links or addresses, letters (not digits) repeated 3+ times
    collapsed, list numbering dropped, chat shorthand and spelling by ear written out ("q" and
    "ke" are "que", "kiero" is "quiero"), white space runs made one.

    "¿Cuándo LLEGAAA?" becomes "¿cuando llega?"; punctuation and line breaks stay, so the
    result can still be split into sentences. "ñ" becomes "n".
    """
    text = _TOKENS.sub(_no_links, text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Runs of white space become one space, one line break or one blank line, so no pattern
    # reading the result meets a long run of it (where "\s*…\s*" would backtrack).
    plain = _BLANKS.sub(_one_break, _SPACES.sub(" ", plain))
    plain = _NUMBERING.sub("", _REPEATS.sub(r"\1", plain))
    for by_ear, written in _WRITTEN_OUT:
        plain = by_ear.sub(written, plain)
    return _SHORT.sub(lambda short: _SHORTHAND[short.group(0)], plain)


def _one_break(run: re.Match[str]) -> str:
    return "\n\n" if run.group(0).count("\n") > 1 else "\n"


def _no_links(token: re.Match[str]) -> str:
    word = token.group(0)
    lower = word.lower()
    if lower.startswith(("http://", "https://", "www.")):
        return " "
    at = word.find("@")
    if at > 0 and "." in word[at + 2 : -1]:
        return " "
    return word


def key(word: str) -> str:
    """The matching key of one normalised word: its stem, spelt phonetically.

    Stemming comes first on the written form (endings are spelt the same whatever the
    typo), then the spelling is folded: g(e/i)→j, gu(e/i)→g, ll→y, qu→k, c(e/i)→s, c→k, z→s,
    v→b, h→"", m before b/p→n, doubled letters once.
    """
    word = re.sub(r"g(?=[ei])", "j", word)  # "pajina" is "página"
    word = re.sub(r"gu(?=[ei])", "g", word)
    stem = _stem(word)
    stem = stem.replace("ll", "y").replace("qu", "k")
    stem = re.sub(r"c(?=[ei])", "s", stem)
    stem = stem.replace("ch", "\0").replace("c", "k").replace("h", "").replace("\0", "ch")
    stem = stem.replace("z", "s").replace("v", "b")
    stem = re.sub(r"m(?=[bp])", "n", stem)
    return re.sub(r"(.)\1+", r"\1", stem)


def _stem(word: str) -> str:
    if len(word) <= MIN_STEM or word.isdigit():
        return word
    for clitic in _ENCLITICS:
        base = word[: -len(clitic)]
        if word.endswith(clitic) and (
            (base.endswith(_VERB_ENDINGS) and len(base) > MIN_STEM + 1)
            or base in _SHORT_INFINITIVES
        ):
            word = base
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def _undiminished(word: str) -> tuple[str, ...]:
    """The keys ``word`` may have without its diminutive ending: "bolsita" is a "bolsa",
    "paquetito" a "paquete", "chiquito" "chico", "diitas" "días"; () when it has none."""
    found = _DIMINUTIVE.fullmatch(word)
    if found is None:
        return ()
    base = found.group(1)
    base = base[:-2] + "c" if base.endswith("qu") else base
    base = base[:-2] + "g" if base.endswith("gu") else base
    plural = "s" if found.group(3).endswith("s") else ""
    if found.group(2):  # "grandecito", "calorcito": the whole word before "-cito"
        return (key(base + plural),)
    return tuple(key(base + vowel + plural) for vowel in ("o", "a", "e"))


def same_key(a: str, b: str) -> bool:
    """Keys match exactly, or within one typo when long enough to stay unambiguous. A typo
    keeps the first letter, unless two letters swap: "ticket" is no "etiqueta" missing its e."""
    if a == b:
        return True
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 4:
        return False
    if a[0] != b[0] and not (a[:2] == b[1::-1] and a[2:] == b[2:]):
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            return a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]  # swapped letters
        return len(diff) == 1 and len(a) >= 5
    if abs(len(a) - len(b)) != 1 or min(len(a), len(b)) < 5:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# A time asked or told ("¿cuántos días tengo?", "¿hasta cuándo?", "en 48 horas"): what an
# entry's own window answers, never a sentence of another entry.
_TIME_ASKED = re.compile(r"\b(?:\d+|dias?|semanas?|mes|meses|horas?|plazo|tiempo|cuando|hasta)\b")
# A question asking how, where, which or what, not whether: a sentence of another entry's
# answer tells whether, and not how ("si no te queda bien, el primer cambio no tiene costo").
_OPEN_QUESTION = re.compile(
    r"\b(?:como|donde|cuando|cual|cuales|quien|cuanto|cuantos|cuanta|cuantas)\b"
    r"|(?:^|[¿,;:]|\by)\s*que\b"
)
# What a sentence saying what something costs ("no tiene costo") also answers: whether it is
# free, paid for, money lost ("¿sale plata?", "¿se paga?", "¿pierdo plata?", "¿es gratis?").
_COSTS = re.compile(r"\b(?:costo|cuesta|cargo|gratis)\b")
_WHETHER_FREE = "gratis gratuito sin nada paga pagar plata sale pierdo perder"
# A diminutive: the base of at least two letters, then "-ito", "-ita", "-itos", "-itas", or
# after an "e", an "n" or an "r" "-cito" and its kin ("grandecito", "camioncito", "calorcito").
_DIMINUTIVE = re.compile(r"([a-z]{2,}?)((?<=[enr])c)?it(o|a|os|as)")
EVERYDAY_KEYS = frozenset(key(w) for w in EVERYDAY)
_DURATION_KEYS = frozenset(
    key(w) for w in "tardar tarda tardan tardaria demora demoran demorar".split()
)
SYNONYM_KEYS = tuple(tuple(sorted({key(w) for w in group})) for group in SYNONYMS)


class KeyIndex:
    """The known keys each key matches under :func:`same_key`, without comparing it to every
    known key: a key and its one-letter deletions are filed under each other (a symmetric
    delete index). Two keys one substitution, swap, insertion or deletion apart share a
    deletion, so the candidates hold every match, and :func:`same_key` settles them."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._near: dict[str, set[str]] = {}
        for known in set(keys):
            for variant in _variants(known):
                self._near.setdefault(variant, set()).add(known)

    def matches(self, key: str) -> frozenset[str]:
        """The known keys ``same_key`` pairs with ``key``."""
        candidates: set[str] = set()
        for variant in _variants(key):
            candidates.update(self._near.get(variant, ()))
        return frozenset(k for k in candidates if same_key(k, key))

    def near(self, keys: Iterable[str]) -> Near:
        """:meth:`matches` for each of ``keys`` (and for the blank of a masked word)."""
        found = {k: self.matches(k) for k in {"", *keys}}
        return Near(found, frozenset().union(*found.values()))


@dataclasses.dataclass(frozen=True, slots=True)
class Near:
    """The keys of a text and the known keys each matches (:meth:`KeyIndex.near`)."""

    of: Mapping[str, frozenset[str]]
    said: frozenset[str]  # every known key some key of the text matches


def _variants(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _elapsed(text: str) -> list[tuple[str, int]]:
    """Each "time since" in ``text`` and its length in days (a year, if the count is vague)."""
    found = []
    for m in _ELAPSED.finditer(normalize(text)):
        if m["day"]:
            days = 1 if m["day"] == "ayer" else 2
        elif m["last"]:
            days = 2 * _UNIT_DAYS[m["last"]]  # "la semana pasada": up to two weeks ago
        else:
            count = m["n"]
            number = int(count) if count and count.isdigit() else _NUMBER_WORDS.get(count or "", 0)
            unit = next(d for name, d in _UNIT_DAYS.items() if m["unit"].startswith(name))
            days = number * unit if number else 365  # "hace días", "hace meses"
            days += 1 if m["more"] else 0  # "hace más de 30 días" is 31 or more
        found.append((m.group(0), days))
    return found


def words(text: str) -> list[str]:
    """The normalised words of ``text`` (greetings removed)."""
    return _WORD.findall(_flat(text))


def content_keys(text: str) -> list[str]:
    """Keys of the words of ``text`` that can carry a topic (stopwords dropped)."""
    return [key(w) for w in words(text) if w not in STOPWORDS]


def _flat(text: str) -> str:
    """``text`` normalised, with its greetings and set phrases left out."""
    return _GREETINGS.sub(" ", normalize(text))


def clauses(text: str) -> list[str]:
    """``text`` split into sentences and joined questions, normalised, empty ones dropped."""
    return _clauses_of(_flat(text))


def _clauses_of(flat: str) -> list[str]:
    return [part.strip() for part in _CLAUSE_BREAK.split(flat) if part and part.strip()]


# --------------------------------------------------------------------------- data model


@dataclasses.dataclass(frozen=True, slots=True)
class Phrase:
    """A keyword as written in the file, and the keys that must appear in a row."""

    text: str
    keys: tuple[str, ...]
    # For an exclude written "color + gratis": the phrases that must all appear in one sentence.
    together: tuple[tuple[str, ...], ...] = ()
    # A name that stopwords would shorten to one word ("Punta del Este" to "punta", which "la
    # otra punta" has too), as written, normalised: it is found only whole (Faq.analyse).
    name: str = ""

    @classmethod
    def of(cls, text: str) -> Phrase:
        written = words(text)
        if (
            text[:1].isupper()
            and "+" not in text
            and len(written) > 1
            and len(content_keys(text)) < 2
        ):
            return cls(text, (key("".join(written)),), name=" ".join(written))
        parts = tuple(tuple(content_keys(part)) for part in text.split("+"))
        together = parts if len(parts) > 1 else ()
        return cls(text, tuple(k for part in parts for k in part), together)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One FAQ entry, placeholders filled in."""

    id: str
    answer: str
    examples: tuple[str, ...]
    keywords: tuple[Phrase, ...]
    hints: tuple[Phrase, ...]
    exclude: tuple[Phrase, ...]
    ignore: tuple[Phrase, ...]
    example_keys: tuple[frozenset[str], ...]
    after_purchase: bool = False  # the answer is for people who already bought (exchanges)

    @functools.cached_property
    def vocabulary(self) -> Mapping[str, str]:
        """Each key this entry accounts for, and where it comes from: what a question answered
        by this entry may speak of, beside the everyday words."""
        found: dict[str, str] = {}
        sources: list[tuple[str, Iterable[str]]] = [
            ("keyword", (k for p in self.keywords for k in p.keys)),
            ("example", (k for keys in self.example_keys for k in keys)),
            ("answer", (key(w) for w in words(self.answer))),
        ]
        for source, keys in sources:
            for k in keys:
                found.setdefault(k, source)
        for group in SYNONYM_KEYS:
            origin = next((found[k] for k in group if k in found), None)
            if origin is not None:
                for k in group:
                    found.setdefault(k, origin)
        return found

    @functools.cached_property
    def window(self) -> int:
        """The longest span in days the answer states ("30 días", "2 a 4 semanas", "48 horas"),
        0 if none: time since within it is covered; with none, time since is no condition."""
        spans = (
            int(n) * 7 if weeks else -(-int(n) // 24) if hours else int(n)
            for n, weeks, hours in _WINDOW.findall(normalize(self.answer))
        )
        return max(spans, default=0)

    @functools.cached_property
    def counts(self) -> frozenset[str]:
        """The keys of what the answer counts: the word after each number it says ("30 días",
        "entre 3 y 7 días hábiles", "48 horas")."""
        return frozenset(key(m) for m in _COUNTED.findall(normalize(self.answer)))

    @functools.cached_property
    def signatures(self) -> tuple[str, ...]:
        """Normalised sentences of the answer long enough to be its own (not the greeting
        every entry shares): one of them in a message means the message quotes this answer."""
        flat = " ".join(normalize(self.answer).split())
        sentences = (part.strip() for part in re.split(r"(?<=[.!?:])\s+", flat))
        return tuple(sentence for sentence in sentences if len(sentence) >= SIGNATURE_CHARS)


def quoted_entries(text: str, answers: Faq) -> list[str]:
    """The ids of FAQ entries whose answer ``text`` quotes (a reply to our canned answer). A
    sentence two answers share ("El primer cambio por talle no tiene costo") names neither."""
    flat = " ".join(normalize(text.replace(">", " ")).split())
    own = answers.own_signatures
    return [e.id for e in answers.entries if any(sig in flat for sig in own[e.id])]


@dataclasses.dataclass(frozen=True, slots=True)
class Evidence:
    """What one entry found in a piece of text."""

    entry_id: str
    keywords: tuple[str, ...]
    hints: tuple[str, ...]
    example: float

    @property
    def present(self) -> bool:
        """Enough to say the text asks about this entry."""
        return bool(self.keywords) or len(self.hints) >= 2 or self.example >= EXAMPLE_MATCH

    @property
    def weight(self) -> float:
        return len(self.keywords) + HINT_WEIGHT * len(self.hints) + self.example

    @property
    def only_how_long(self) -> bool:
        """Whether what was found asks only how long ("¿cuánto tarda?"), of no topic itself."""
        found = [key(w) for p in self.keywords + self.hints for w in words(p) if w not in STOPWORDS]
        return not found or _only_how_long(found)

    @property
    def score(self) -> float:
        return self.weight / (self.weight + 1.0)

    def describe(self) -> str:
        parts = []
        if self.keywords:
            parts.append("keywords=" + ",".join(self.keywords))
        if self.hints:
            parts.append("hints=" + ",".join(self.hints))
        if self.example:
            parts.append(f"example={self.example:.2f}")
        return " ".join(parts) or "nothing"


@dataclasses.dataclass(frozen=True, slots=True)
class Coverage:
    """What accounts for each word of a question, against one entry (:meth:`Faq.coverage`)."""

    entry_id: str
    covered: tuple[tuple[str, str], ...]  # (word, "keyword"|"example"|"answer"|"everyday")
    uncovered: tuple[str, ...]  # words nothing accounts for, in order, once each
    late: tuple[str, ...] = ()  # the times since that fall outside the answer's window
    excluded: bool = False  # the uncovered words are the entry's own "exclude" phrases

    @property
    def disagreements(self) -> tuple[str, ...]:
        """The uncovered numbers, dates and times since: conditions that must agree with the
        answer even when said around the question rather than in it. (A deadline without a
        date, "para navidad", counts only in the question itself.)"""
        return tuple(w for w in self.uncovered if any(ch.isdigit() for ch in w) or w in self.late)

    @property
    def complete(self) -> bool:
        return not self.uncovered

    def describe(self) -> str:
        if self.uncovered:
            return f"{self.entry_id} does not cover " + ", ".join(map(repr, self.uncovered))
        by_source: dict[str, list[str]] = {}
        for word, source in self.covered:
            by_source.setdefault(source, []).append(word)
        return "; ".join(f"{source}: {', '.join(ws)}" for source, ws in by_source.items())


@dataclasses.dataclass(frozen=True, slots=True)
class Analysis:
    """The topics of a text: one per clause at most, in order of first appearance."""

    topics: tuple[str, ...]
    evidence: Mapping[str, Evidence]  # over the whole text, by entry id
    excluded: Mapping[str, tuple[str, ...]]  # entry id -> exclude phrases found

    def primary(self) -> str | None:
        return self.topics[0] if self.topics else None


@dataclasses.dataclass(frozen=True, slots=True)
class FaqMatch:
    """A curated answer chosen for a question, with the score and the features behind it."""

    faq_id: str
    answer: str
    score: float
    reason: str


@dataclasses.dataclass(frozen=True)
class Faq:
    """The loaded FAQ. Entries earlier in the file win when one sentence touches two."""

    entries: tuple[Entry, ...]
    threshold: float = THRESHOLD
    index: KeyIndex = dataclasses.field(init=False, repr=False, compare=False)
    vocabulary_index: KeyIndex = dataclasses.field(init=False, repr=False, compare=False)
    filler: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    # Per entry, the signatures no other answer also holds (:func:`quoted_entries`).
    own_signatures: Mapping[str, tuple[str, ...]] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    # The names among the phrases (``Phrase.name``), found only whole.
    name_pattern: re.Pattern[str] | None = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        phrases = [
            p
            for e in self.entries
            for written in (e.keywords, e.hints, e.exclude, e.ignore)
            for p in written
        ]
        known = [k for p in phrases for k in p.keys]
        known += [k for e in self.entries for keys in e.example_keys for k in keys]
        object.__setattr__(self, "index", KeyIndex(known))
        vocabulary = [k for e in self.entries for k in e.vocabulary] + list(EVERYDAY_KEYS)
        object.__setattr__(self, "vocabulary_index", KeyIndex(vocabulary))
        # Everyday words carry no topic ("¿de qué formas se puede pagar?" names "formas de
        # pagar"), unless an entry's keyword or hint is made of them ("no me queda").
        object.__setattr__(self, "filler", EVERYDAY_KEYS - {k for p in phrases for k in p.keys})
        answered = {e.id: " ".join(normalize(e.answer).split()) for e in self.entries}
        own = {
            e.id: tuple(
                sig
                for sig in e.signatures
                if not any(sig in answer for i, answer in answered.items() if i != e.id)
            )
            for e in self.entries
        }
        object.__setattr__(self, "own_signatures", own)
        names = sorted({p.name for p in phrases if p.name})
        alternatives = "|".join(r"\s+".join(map(re.escape, n.split())) for n in names)
        object.__setattr__(
            self, "name_pattern", re.compile(rf"\b(?:{alternatives})\b") if names else None
        )

    def entry(self, faq_id: str) -> Entry:
        """The entry called ``faq_id``; KeyError if there is none."""
        for entry in self.entries:
            if entry.id == faq_id:
                return entry
        raise KeyError(faq_id)

    def analyse(self, text: str) -> Analysis:
        """Which entries ``text`` asks about, clause by clause, and what excludes them."""
        flat = self._named(_flat(text))
        # An ignore phrase is found only in words in a row as written: "no me anda, ¿puedo
        # cambiarlo?" is no "andar cambiando", though "puedo" is filler.
        written = [_clause_keys(part) for part in _clauses_of(flat)]
        near = self.index.near(k for keys in written for k in keys)
        masked = [
            [k for k in _mask(self._ignores(), keys, near) if k not in self.filler]
            for keys in written
        ]
        topics: list[str] = []
        for part, keys in zip(_clauses_of(flat), masked, strict=True):
            if topics and _only_how_long(keys):
                continue  # "Cuando algo se agota, ¿vuelve a entrar? ¿Cuánto tarda?": the same topic
            topic = self._clause_topic(keys, near, bool(_INTERROGATIVE.search(part)))
            if topic and topic not in topics:
                topics.append(topic)
        whole = [k for keys in masked for k in keys]
        whole_set = {k for k in whole if k}
        said = frozenset().union(*(near.of[k] for k in whole_set))
        evidence = {e.id: _evidence(e, whole, said, near, self.filler) for e in self.entries}
        if not topics:
            # No single clause is conclusive, but the closest example may be.
            topics = [e.id for e in self.entries if evidence[e.id].example >= EXAMPLE_MATCH][:1]
        if not topics:
            # Nor is any example, but hints spread over several clauses may add up, for one
            # entry only ("Disponibilidad" in the subject, "¿está disponible?" in the body).
            present = [e.id for e in self.entries if evidence[e.id].present]
            topics = present if len(present) == 1 else []
        # Words joined with "+" in an exclude phrase must meet in one sentence.
        sentences = [
            [k for k in _clause_keys(part) if k not in self.filler and k in near.of]
            for part in _SENTENCE_BREAK.split(flat)
        ]
        excluded = {
            e.id: found for e in self.entries if (found := _excluded(e, whole, sentences, near))
        }
        return Analysis(tuple(topics), evidence, excluded)

    def names(self, faq_id: str, phrase: str) -> bool:
        """Whether entry ``faq_id`` itself names every word of ``phrase`` (in its answer,
        examples or keywords): "largo" for an answer that lists the length among its measures."""
        vocabulary = self.entry(faq_id).vocabulary
        found = [key(w) for w in words(phrase) if w not in STOPWORDS]
        return bool(found) and all(k in vocabulary for k in found)

    def coverage(self, faq_id: str, text: str) -> Coverage:
        """Which words of ``text`` entry ``faq_id`` accounts for, and which nothing does.

        A word is accounted for when its key (or a key one typo away) is in the entry's
        vocabulary or among the everyday words; a number only when the answer says it."""
        return self._coverage(self.entry(faq_id), text)

    def answers_within(self, faq_id: str, other: str, text: str) -> bool:
        """Whether a sentence of entry ``faq_id``'s answer that speaks of entry ``other``
        accounts for every word of ``text``: the sizes answer's "si no te queda bien, el primer
        cambio por talle no tiene costo" answers "¿y si no me queda, el cambio se paga?" too.
        Only what that sentence says counts (not the entry's examples or keywords), and a
        time or a date is never accounted for: the other entry keeps its own window."""
        normal = normalize(text)
        if _elapsed(text) or _DEADLINE.search(normal) or _TIME_ASKED.search(normal):
            return False
        if _OPEN_QUESTION.search(normal):
            return False  # "¿y si no me queda, cómo hago el cambio?": a how the sentence omits
        return any(
            self._coverage(said, text).complete
            for said in self._said_of_others.get((faq_id, other), ())
        )

    @functools.cached_property
    def _said_of_others(self) -> Mapping[tuple[str, str], tuple[Entry, ...]]:
        """For an entry and another its answer speaks of, each sentence of the answer that does,
        as an entry of that sentence's words alone (:meth:`answers_within`). Worked out once."""
        found: dict[tuple[str, str], list[Entry]] = {}
        for entry in self.entries:
            for sentence in _SENTENCE_BREAK.split(normalize(entry.answer)):
                others = [t for t in self.analyse(sentence).topics if t != entry.id]
                if not others:
                    continue
                # A sentence that says what something costs says whether it is free.
                costs = _COSTS.search(sentence) is not None
                said = dataclasses.replace(
                    entry,
                    answer=f"{sentence} {_WHETHER_FREE}" if costs else sentence,
                    examples=(),
                    keywords=(),
                    hints=(),
                    example_keys=(),
                )
                for other in others:
                    found.setdefault((entry.id, other), []).append(said)
        return {pair: tuple(sentences) for pair, sentences in found.items()}

    def _coverage(self, entry: Entry, text: str) -> Coverage:
        vocabulary = entry.vocabulary
        covered: list[tuple[str, str]] = []
        late: list[str] = []
        for span, days in _elapsed(text):
            if not entry.window:
                covered.append((span, "everyday"))  # the answer has no time limit to keep
            elif days <= entry.window:
                covered.append((span, "answer"))
            else:
                late.append(span)
        uncovered = list(late)
        normal = _ELAPSED.sub(" ", normalize(text))
        if entry.window:  # an answer that keeps no time has no date to miss
            uncovered += [m.group(0) for m in _DEADLINE.finditer(normal) if " " in m.group(0)]
        seen: set[str] = set()
        for word in words(_DEADLINE.sub(" ", normal)):
            if word in seen or word in STOPWORDS:
                continue
            seen.add(word)
            source = self._accounts_for(vocabulary, word)
            if source is None:
                uncovered.append(word)
            else:
                covered.append((word, source))
        return Coverage(entry.id, tuple(covered), tuple(uncovered), tuple(late))

    def _accounts_for(self, vocabulary: Mapping[str, str], word: str) -> str | None:
        k = key(word)
        if k in vocabulary:
            return vocabulary[k]
        if word.isdigit():
            return None
        if k in EVERYDAY_KEYS or _LAUGHTER.fullmatch(word):
            return "everyday"
        for plain in _undiminished(word):
            if plain in vocabulary:
                return vocabulary[plain]
            if plain in EVERYDAY_KEYS:
                return "everyday"
        near = self.vocabulary_index.matches(k)
        for other in near:
            if other in vocabulary:
                return vocabulary[other]
        # A typo of an everyday word, when long enough not to be another word a typo away
        # ("precio" is not "precioso", "interés" not "enterarme").
        if len(k) >= MIN_TYPO_EVERYDAY and not near.isdisjoint(EVERYDAY_KEYS):
            return "everyday"
        # A last letter doubled for emphasis ("se agotó todoo", "graciass"); three or more are
        # one already (``normalize``).
        if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1].isalpha():
            return self._accounts_for(vocabulary, word[:-1])
        return None

    def match(
        self, text: str, coverage: Coverage | None = None, *, settled: str | None = None
    ) -> FaqMatch | None:
        """The curated answer for ``text`` when it asks about exactly one entry, with evidence
        over the threshold and every word of it accounted for (:meth:`coverage`, or the
        ``coverage`` of ``text`` already worked out); else None. ``settled``: the entry the
        caller found to answer every topic asked (:meth:`answers_within`)."""
        analysis = self.analyse(text)
        if settled is not None and settled in analysis.topics:
            faq_id = settled
        elif len(analysis.topics) == 1:
            faq_id = analysis.topics[0]
        else:
            return None
        if coverage is None or coverage.entry_id != faq_id:
            coverage = self.coverage(faq_id, text)
        if faq_id in analysis.excluded or not coverage.complete:
            return None
        evidence = analysis.evidence[faq_id]
        if evidence.score < self.threshold:
            return None
        return FaqMatch(
            faq_id=faq_id,
            answer=self.entry(faq_id).answer,
            score=round(evidence.score, 3),
            reason=f"{faq_id}: {evidence.describe()}",
        )

    def _clause_topic(self, keys: Sequence[str], near: Near, asks: bool) -> str | None:
        # A keyword beats hints; between equals, the entry listed first wins. A word inside a
        # longer phrase of another entry is that phrase's: "talle" in "por otro talle" (an
        # exchange) does not name the sizes answer.
        spans = {
            e.id: {
                i
                for p in e.keywords + e.hints
                if len(p.keys) > 1 and not p.together
                for start in _find(p, keys, near)
                for i in range(start, start + len(p.keys))
            }
            for e in self.entries
        }
        found = [
            _evidence(e, _owned(keys, spans, e.id), frozenset(), near, self.filler)
            for e in self.entries
        ]
        with_keywords = [ev for ev in found if ev.keywords]
        if with_keywords:
            # The entry whose keywords cover more of the clause wins: "formas de pago" (two
            # words) over "disponibles" (one) in "¿qué formas de pago hay disponibles?".
            return max(with_keywords, key=lambda ev: self._covered(ev)).entry_id
        with_hints = [ev for ev in found if ev.present]
        if with_hints:
            return with_hints[0].entry_id
        # A question that is nothing but one entry's hint asks about it: "¿y cómo les pago?".
        alone = [ev for ev in found if ev.hints]
        said = [k for k in keys if k]
        if asks and len(alone) == 1 and len(said) == 1:
            return alone[0].entry_id
        return None

    def _covered(self, evidence: Evidence) -> int:
        found = set(evidence.keywords)
        return sum(len(p.keys) for p in self.entry(evidence.entry_id).keywords if p.text in found)

    def _named(self, flat: str) -> str:
        """``flat`` with each name of the entries' phrases (``Phrase.name``) as one word."""
        if self.name_pattern is None:
            return flat
        return self.name_pattern.sub(lambda found: re.sub(r"\s+", "", found.group(0)), flat)

    def _ignores(self) -> tuple[Phrase, ...]:
        return tuple(p for e in self.entries for p in e.ignore)


def match(faq: Faq, text: str) -> FaqMatch | None:
    """Module-level spelling of :meth:`Faq.match`."""
    return faq.match(text)


# --------------------------------------------------------------------------- matching


def _only_how_long(keys: Sequence[str]) -> bool:
    """Whether a clause asks only how long ("¿más o menos cuánto tarda?"): of the topic before
    it, whatever that is."""
    said = [k for k in keys if k]
    return bool(said) and all(k in _DURATION_KEYS for k in said)


def _clause_keys(clause: str) -> list[str]:
    return [key(w) for w in _WORD.findall(clause) if w not in STOPWORDS]


def _find(phrase: Phrase, keys: Sequence[str], near: Near) -> list[int]:
    """Start positions where the phrase's keys occur in a row (``near``: what each of
    ``keys`` matches, from :meth:`KeyIndex.near`)."""
    n = len(phrase.keys)
    if n == 0 or not all(k in near.said for k in phrase.keys):
        return []
    if phrase.together:
        # Found where its last part is, once every part is found.
        starts = [_find(Phrase(phrase.text, part), keys, near) for part in phrase.together]
        return starts[-1] if all(starts) else []
    return [
        i
        for i in range(len(keys) - n + 1)
        if all(phrase.keys[j] in near.of[keys[i + j]] for j in range(n))
    ]


def _owned(keys: Sequence[str], spans: Mapping[str, set[int]], entry_id: str) -> list[str]:
    """``keys`` with the words blanked that another entry's longer phrase holds and this
    entry's does not."""
    others = set().union(*(span for other, span in spans.items() if other != entry_id))
    taken = others - spans[entry_id]
    return ["" if i in taken else k for i, k in enumerate(keys)]


def _mask(ignores: Iterable[Phrase], keys: list[str], near: Near) -> list[str]:
    """Blank the words covered by an "ignore" phrase ("enviar un mensaje" is not shipping)."""
    masked = list(keys)
    for phrase in ignores:
        for start in _find(phrase, keys, near):
            for i in range(start, start + len(phrase.keys)):
                masked[i] = ""
    return masked


def _phrases_in(phrases: Iterable[Phrase], keys: Sequence[str], near: Near) -> tuple[str, ...]:
    """The phrases found; one per set of keys, so "pago" and "pagar" (both "pag") are one word
    found, not two pieces of evidence."""
    found: dict[tuple[str, ...], str] = {}
    for p in phrases:
        if p.keys not in found and _find(p, keys, near):
            found[p.keys] = p.text
    return tuple(found.values())


def _excluded(
    entry: Entry, whole: Sequence[str], sentences: Sequence[Sequence[str]], near: Near
) -> tuple[str, ...]:
    """The exclude phrases of ``entry`` found: a phrase anywhere in the text, words joined with
    "+" in one sentence ("le encantó el color" and "¿tiene costo?" are two things)."""
    alone = [p for p in entry.exclude if not p.together]
    together = [p for p in entry.exclude if p.together]
    found = list(_phrases_in(alone, whole, near))
    for keys in sentences:
        found += [text for text in _phrases_in(together, keys, near) if text not in found]
    return tuple(found)


def _evidence(
    entry: Entry, keys: Sequence[str], said: frozenset[str], near: Near, filler: frozenset[str]
) -> Evidence:
    """What ``entry`` finds in ``keys``; ``said`` (the known keys they match, masked words left
    out) is empty where examples are not to count."""
    example = 0.0
    for all_keys in entry.example_keys:
        example_keys = all_keys - filler
        if len(example_keys) >= 2 and said:
            example = max(example, len(example_keys & said) / len(example_keys))
    return Evidence(
        entry_id=entry.id,
        keywords=_phrases_in(entry.keywords, keys, near),
        hints=_phrases_in(entry.hints, keys, near),
        example=round(example, 2),
    )


# --------------------------------------------------------------------------- loading


def load(path: Path | str, placeholders: Mapping[str, str]) -> Faq:
    """Read the FAQ file at ``path`` and fill ``{name}`` placeholders in the answers.

    Raises ConfigError naming the file and the entry for an unreadable file, bad TOML, a
    missing or mistyped field, a duplicate id or a placeholder not in ``placeholders``.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", key="faq.file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: {exc.reason}", key="faq.file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", key="faq.file") from exc
    return from_document(document, placeholders, source=str(path))


def from_document(
    document: Mapping[str, Any], placeholders: Mapping[str, str], *, source: str = "faq"
) -> Faq:
    """Build a :class:`Faq` from parsed TOML; same errors as :func:`load`."""
    raw_entries = document.get("faq")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise ConfigError(f"{source} has no [[faq]] entries", key="faq.file")
    unknown_top = set(document) - {"faq"}
    if unknown_top:
        raise ConfigError(
            f"{source}: unknown top-level key(s) {', '.join(sorted(unknown_top))}", key="faq.file"
        )
    entries: list[Entry] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_entries, start=1):
        entry = _entry(raw, index, placeholders, source)
        if entry.id in seen:
            raise ConfigError(f"{source}: entry {entry.id!r} appears twice", key="faq.file")
        seen.add(entry.id)
        entries.append(entry)
    return Faq(tuple(entries))


def _entry(raw: object, index: int, placeholders: Mapping[str, str], source: str) -> Entry:
    where = f"{source}: [[faq]] entry #{index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a table", key="faq.file")
    faq_id = raw.get("id")
    if not isinstance(faq_id, str) or not ID_PATTERN.match(faq_id):
        raise ConfigError(
            f"{where}: 'id' must be a short name of letters, digits, - and _", key="faq.file"
        )
    where = f"{source}: entry {faq_id!r}"
    unknown = set(raw) - ENTRY_FIELDS
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(ENTRY_FIELDS))}",
            key="faq.file",
        )
    answer = raw.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        raise ConfigError(f"{where}: 'answer' must be a non-empty string", key="faq.file")
    lists: dict[str, tuple[str, ...]] = {}
    for field in LIST_FIELDS:
        value = raw.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{where}: {field!r} must be a list of strings", key="faq.file")
        lists[field] = tuple(v.strip() for v in value)
    after_purchase = raw.get("after_purchase", False)
    if not isinstance(after_purchase, bool):
        raise ConfigError(f"{where}: 'after_purchase' must be true or false", key="faq.file")
    if not lists["keywords"] and not lists["examples"]:
        raise ConfigError(f"{where}: give 'keywords' or 'examples' to match on", key="faq.file")
    for field in ("keywords", "hints", "exclude", "ignore"):
        for phrase in lists[field]:
            if "+" in phrase and field != "exclude":
                raise ConfigError(
                    f"{where}: {field} entry {phrase!r}: only 'exclude' joins words with +",
                    key="faq.file",
                )
            if not all(content_keys(part) for part in phrase.split("+")):
                raise ConfigError(
                    f"{where}: {field} entry {phrase!r} has only filler words", key="faq.file"
                )
    # Filler words ("no", "algo", "me") are not read, so "cambió algo" to ignore would be read
    # as "cambio" and hide every question the keyword "cambio" finds.
    keyword_keys = {tuple(content_keys(k)): k for k in lists["keywords"]}
    for phrase in lists["ignore"]:
        same = keyword_keys.get(tuple(content_keys(phrase)))
        if same is not None:
            raise ConfigError(
                f"{where}: ignore entry {phrase!r} reads as the keyword {same!r} (filler words "
                "such as 'no' or 'algo' are not read), so it would ignore every question the "
                "keyword finds",
                key="faq.file",
            )
    return Entry(
        id=faq_id,
        answer=_fill(reflow(answer.strip("\n")), placeholders, where),
        examples=lists["examples"],
        keywords=tuple(Phrase.of(p) for p in lists["keywords"]),
        hints=tuple(Phrase.of(p) for p in lists["hints"]),
        exclude=tuple(Phrase.of(p) for p in lists["exclude"]),
        ignore=tuple(Phrase.of(p) for p in lists["ignore"]),
        example_keys=tuple(frozenset(content_keys(e)) for e in lists["examples"]),
        after_purchase=after_purchase,
    )


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s")


def reflow(text: str) -> str:
    """Join the lines of each paragraph, so an answer wrapped in the file reads as prose in the
    customer's mail program. Blank lines and list items ("- ", "1. ") keep their breaks."""
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if out and stripped and out[-1] and not _LIST_ITEM.match(line):
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped if not _LIST_ITEM.match(line) else line.rstrip())
    return "\n".join(out)


def _fill(answer: str, placeholders: Mapping[str, str], where: str) -> str:
    def replace(found: re.Match[str]) -> str:
        token = found.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = (found.group(1) or "").strip()
        if name not in placeholders:
            known = ", ".join("{" + k + "}" for k in sorted(placeholders)) or "none"
            raise ConfigError(
                f"{where}: unknown placeholder {token} in 'answer'; known: {known} "
                "(write {{ and }} for literal braces)",
                key="faq.file",
            )
        return placeholders[name]

    return PLACEHOLDER.sub(replace, answer)
