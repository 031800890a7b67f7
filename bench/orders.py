"""Order lookups against Tiendanube's rate limit, and the tokens the status template saves.

``python -m bench.orders [--lookups N]``:

* **Pace.** N order lookups at once through voidmail's Tiendanube source against the emulator
  (``voidmail.rig.shop_api``) with the documented bucket: 40 requests, draining at 2 a second.
  Reported: lookups per second over the whole run and after the first 40 (the burst), and the
  429s (there must be none: the client keeps its own copy of the bucket).
* **Tokens saved.** For the order-status questions of the labelled corpus, the prompt the
  LLM would have been sent (with the order's facts, as for a mixed question) against the
  template's zero: prompt tokens estimated as the daemon does, plus the answer budget.

Figures go to stdout; nothing is written. A run with the default 100 lookups takes about 35 s.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tomllib
from datetime import timedelta
from pathlib import Path

from voidmail import answer, assembly, catalog, config, faq, orders, parse, triage
from voidmail.rig.shop_api import ShopApi, ShopOrder

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


async def pace(lookups: int) -> dict[str, float]:
    today = orders.today()
    shop = [
        ShopOrder(
            id=n, number=str(1000 + n), email=f"cliente{n}@correo.example",
            shipping_status="shipped", tracking_number=f"CA{n:09d}AR",
            shipped=today - timedelta(days=1),
        )
        for n in range(lookups)
    ]  # fmt: skip
    with ShopApi(shop) as api:
        source = orders.TiendanubeOrders(
            api.tiendanube_url, api.token, contact="hola@tienda.example", timeout=30.0
        )
        started = time.monotonic()
        done: list[float] = []

        async def one(n: int) -> None:
            found = await source.lookup(str(1000 + n), f"cliente{n}@correo.example")
            assert found, n
            done.append(time.monotonic() - started)

        try:
            await asyncio.gather(*(one(n) for n in range(lookups)))
        finally:
            await source.aclose()
        total = time.monotonic() - started
        done.sort()
        burst = min(40, lookups)
        after = done[-1] - done[burst - 1] if lookups > burst else 0.0
        return {
            "lookups": lookups,
            "seconds": round(total, 2),
            "per_second": round(lookups / total, 2),
            "per_second_after_burst": round((lookups - burst) / after, 2) if after else 0.0,
            "status_429": api.count(429),
            "status_200": api.count(200),
        }


def tokens_saved() -> dict[str, float]:
    settings = config.Settings(
        shop=config.ShopSettings(name="Lupe", address="hola@lupeindumentaria.com.ar")
    )
    answers = faq.load(settings.faq.file, assembly.placeholders(settings))
    shop_catalog = catalog.Catalog(config.DATA_DIR / "catalog.csv")
    labels = tomllib.loads((CORPUS / "labels.toml").read_text(encoding="utf-8"))
    order = orders.Order(
        "1042", "x@y.example", orders.today(), "open", "paid", "shipped",
        carrier="Correo Argentino", tracking_number="CA123456789AR",
        tracking_url="https://seguimiento.example/CA123456789AR", eta_days=7,
        items=(orders.Item("Remera Lisa", "M", "negro"),), shipped=orders.today(),
    )  # fmt: skip
    prompts = []
    for name, label in labels.items():
        if label.get("intent") != "pedido" or label["route"] != "llm":
            continue
        mail = parse.parse((CORPUS / name).read_bytes())
        decision = triage.decide(mail, answers)
        built = answer.build(settings, mail, decision, answers, [], [], shop_catalog, order.facts())
        prompts.append(built.estimated_tokens + settings.llm.max_tokens)
    return {
        "order_mails": len(prompts),
        "tokens_per_llm_answer": round(sum(prompts) / len(prompts), 1) if prompts else 0.0,
        "tokens_per_template_answer": 0,
        "template_length_chars": len(orders.status_reply(order)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.orders", description=__doc__)
    parser.add_argument("--lookups", type=int, default=100)
    args = parser.parse_args()
    print("pace:", asyncio.run(pace(args.lookups)))
    print("tokens:", tokens_saved())


if __name__ == "__main__":
    main()
