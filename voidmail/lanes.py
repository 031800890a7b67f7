"""Where mail that needs the LLM waits, and which goes first: the one visible policy.

Cheap work (ignoring, handing to a person, FAQ answers) is done by the workers the moment it
is decided. A message that needs the LLM is decided by a worker too, then queued here, and the
worker goes on to the next message: no worker waits for tokens, so an LLM backlog never delays
an FAQ answer. A separate set of LLM workers takes from this lane, best first:

1. ``CONVERSATION``: the shop has written to this customer before (a reply in a thread the shop
   answered, or a returning customer);
2. ``ABOUT_THE_SHOP``: a first contact, in the shop's language, that asks about one of the
   shop's topics (shipping, payments, exchanges, sizes, stock, a product, an order);
3. ``OTHER``: everything else.

Age still counts, so nothing starves: a message's place is its arrival time moved earlier by
its class's head start, and one that has waited longer than the difference goes first anyway.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voidmail import store

CONVERSATION, ABOUT_THE_SHOP, OTHER = 0, 1, 2
# Seconds of head start over OTHER: 10 and 5 minutes.
HEAD_START = {CONVERSATION: 600.0, ABOUT_THE_SHOP: 300.0, OTHER: 0.0}
SHOP_INTENTS = frozenset(
    {"envios", "pagos", "cambios", "talles", "stock", "producto", "pedido", "reclamo",
     "reembolso", "cancelacion"}
)  # fmt: skip


# The day's LLM budget each class may use, as a share of the whole: first contacts about
# something else stop at 60 % and those about the shop at 85 %, keeping the rest for customers
# the shop already writes to. A class over its share waits for the day's window to move on.
DAILY_SHARE = {CONVERSATION: 1.0, ABOUT_THE_SHOP: 0.85, OTHER: 0.6}
NAMES = {CONVERSATION: "conversation", ABOUT_THE_SHOP: "about_the_shop", OTHER: "other"}


def lane_class(*, shop_wrote_before: bool, intent: str, asks: bool, shop_language: bool) -> int:
    """The class of an LLM-bound message (see the module doc). A first contact is plainly
    about the shop when it is in the shop's language, its intent is one of the shop's topics
    and it asks something: offers, notices and spam tell the shop to do things ("respondé",
    "confirme el pago") far more than they ask."""
    if shop_wrote_before:
        return CONVERSATION
    about = intent in SHOP_INTENTS and asks and shop_language
    return ABOUT_THE_SHOP if about else OTHER


def place(klass: int, arrived: datetime) -> float:
    """Where a message of ``klass`` that arrived at ``arrived`` stands: lower goes first."""
    return arrived.timestamp() - HEAD_START[klass]


@dataclass(frozen=True)
class Later:
    """A decided message that needs a scarce resource: its class, the rest of its handling
    (which may need another resource: a ``Later`` again), and the lane it waits in: "llm" or
    "orders" (the shop's order source)."""

    klass: int
    run: Callable[[], Awaitable[store.Outcome | Later]]
    lane: str = "llm"


@dataclass(order=True)
class Entry:
    place: float
    seq: int
    task: dict[str, Any] = field(compare=False)
    later: Later = field(compare=False)


class Lane:
    """A bounded priority queue of claimed, decided, LLM-bound tasks.

    When it is full, a better-placed newcomer still gets in: the worst-placed entry is pushed
    out and handed back to the caller (who gives its task back, to be looked at again). So
    the order holds whatever the capacity, and a wave of low-class mail cannot keep a
    customer out.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._heap: list[Entry] = []
        self._seq = itertools.count()
        self._ready = asyncio.Event()

    def offer(self, task: dict[str, Any], later: Later) -> tuple[bool, Entry | None]:
        """Queue ``task``: (taken, pushed out). Not taken when the lane is full of better-placed
        entries; ``pushed out`` is an entry that made room for it."""
        arrived = task.get("created_at") or datetime.now().astimezone()
        entry = Entry(place(later.klass, arrived), next(self._seq), task, later)
        pushed_out = None
        if len(self._heap) >= self._capacity:
            worst = max(self._heap)
            if not entry < worst:
                return False, None
            self._heap.remove(worst)
            heapq.heapify(self._heap)
            pushed_out = worst
        heapq.heappush(self._heap, entry)
        self._ready.set()
        return True, pushed_out

    async def take(self) -> Entry:
        while not self._heap:
            self._ready.clear()
            await self._ready.wait()
        return heapq.heappop(self._heap)

    def drain(self) -> list[Entry]:
        """Everything still waiting (on stop: each goes back to pending)."""
        entries, self._heap = sorted(self._heap), []
        return entries

    def __len__(self) -> int:
        return len(self._heap)
