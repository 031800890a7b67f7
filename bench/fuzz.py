"""A mutation campaign over real and hostile mail: every stage that reads a message, timed.

``python -m bench.fuzz [--count N] [--seed S]`` mutates the routing corpus and the hand-written
hostile cases (``tests/hostile.py``) and runs each mutant through what the daemon does before
it replies: ``listener.summarize``, ``parse.parse``, ``guard.check``, ``triage.decide`` and
``respond.draft`` (with the serialised-header check). It reports exceptions (there must be
none: a reply that cannot be addressed is a ``ValueError`` by contract and counted apart), the
slowest mutants, and the throughput. The hand-written cases are timed one by one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from collections import Counter

from tests import hostile
from voidmail import config, faq, guard, listener, parse, respond, triage

SHOP = config.ShopSettings(name="Tienda", address="hola@tienda.example")


def read(raw: bytes, answers: faq.Faq) -> str:
    """Every stage, as the daemon runs them; 'reply', 'unaddressable' or 'ignored'."""
    listener.summarize(raw, len(raw))
    mail = parse.parse(raw)
    if guard.check(mail, frozenset({SHOP.address}), frozenset({"tienda.example"})):
        return "ignored"
    triage.decide(mail, answers)
    try:
        respond.draft(SHOP, mail, "Gracias por escribir.")
    except ValueError:
        return "unaddressable"
    return "reply"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    answers = faq.load(config.DATA_DIR / "faq.toml", {})

    print("hand-written hostile cases (seconds, all stages):")
    for name, raw in hostile.cases().items():
        started = time.perf_counter()
        outcome = read(raw, answers)
        print(f"  {time.perf_counter() - started:7.3f}  {len(raw):>9} B  {outcome:13} {name}")

    outcomes: Counter[str] = Counter()
    timings: list[tuple[float, int]] = []
    failures: list[str] = []
    started = time.perf_counter()
    for index, raw in enumerate(hostile.mutants(args.count, args.seed)):
        begun = time.perf_counter()
        try:
            outcomes[read(raw, answers)] += 1
        except Exception:  # noqa: BLE001 - the campaign counts every failure, whatever it is
            failures.append(f"mutant {index}: {traceback.format_exc(limit=3)}")
        timings.append((time.perf_counter() - begun, index))
    total = time.perf_counter() - started
    times = sorted(t for t, _ in timings)
    print(f"\n{args.count} mutants (seed {args.seed}) in {total:.1f} s: "
          f"{args.count / total:.0f} mails/s")  # fmt: skip
    print(f"  outcomes: {dict(outcomes)}")
    print(f"  exceptions: {len(failures)}")
    p99 = times[int(len(times) * 0.99)]
    print(f"  per mutant: median {statistics.median(times) * 1000:.2f} ms, "
          f"p99 {p99 * 1000:.1f} ms, max {times[-1] * 1000:.0f} ms")  # fmt: skip
    for failure in failures[:5]:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
