"""voidmail's benchmarks, in one command: ``python -m bench``.

Parts (all by default, in this order):

* ``tokens``: prompt and completion tokens per LLM mail over the labelled corpus, and in
  follow-up threads with 3 earlier turns;
* ``latency``: FAQ mail from IMAP APPEND to the reply at the SMTP server, against Dovecot's
  bare IDLE push;
* ``throughput``: LLM requests per minute against the provider's limits (strict sliding
  windows), with the seed's policy replayed beside it; draws ``bench/llm_rpm.png``;
* ``backlog``: 1,000 and 10,000 FAQ mails waiting at start: how fast they clear, peak RSS;
* ``idle``: CPU and memory of a daemon left alone for 5 minutes;
* ``limiter``: the LLM client and limiter alone (``bench/bench_llm_limiter.py``).

The full run takes about 30 minutes; ``--quick`` about 6. It writes ``bench/REPORT.md``,
``bench/llm_rpm.png`` (with matplotlib: ``pip install '.[bench]'``) and ``bench/results.json``.
Needs Debian's ``dovecot-imapd``; PostgreSQL is the embedded one unless ``--database-url`` names
a server (the user must be allowed to create databases).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from datetime import datetime
from pathlib import Path

from bench import backlog, idle, latency, report, rig, throughput, tokens

PARTS = ("tokens", "latency", "throughput", "backlog", "idle", "limiter")


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give numbers separated by commas") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive numbers")
    return sizes


def _parts(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(PARTS)}")
    return [part for part in PARTS if part in parts]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join((__doc__ or "").split("\n\n")[1:]),
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, a few minutes (not for the README)"
    )
    parser.add_argument(
        "--parts", type=_parts, default=list(PARTS), help=f"comma-separated: {','.join(PARTS)}"
    )
    parser.add_argument(
        "--backlog", type=_sizes, metavar="N,N", help="backlog sizes (1000,10000; quick 200,1000)"
    )
    parser.add_argument(
        "--latency-mails", type=int, metavar="N", help="FAQ mails for latency (300; quick 30)"
    )
    parser.add_argument(
        "--llm-mails",
        type=int,
        metavar="N",
        help="mails of the long rpm-bound throughput run (360; quick 60)",
    )
    parser.add_argument(
        "--threads", type=int, metavar="N", help="follow-up threads for tokens (8; quick 4)"
    )
    parser.add_argument("--idle-seconds", type=float, metavar="S", help="idle span (300; quick 30)")
    parser.add_argument("--database-url", metavar="URL", help="an external PostgreSQL server")
    parser.add_argument(
        "--report", type=Path, default=rig.BENCH_DIR / "REPORT.md", help="where the report goes"
    )
    parser.add_argument(
        "--chart", type=Path, default=rig.BENCH_DIR / "llm_rpm.png", help="where the chart goes"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the working directory (logs, Maildirs)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quick: bool = args.quick
    command = shlex.join(
        [os.path.relpath(sys.executable, rig.REPO), "-m", "bench", *(argv or sys.argv[1:])]
    )
    began = time.monotonic()
    started = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    root = Path(tempfile.mkdtemp(prefix="voidmail-bench-"))
    root.chmod(0o755)
    database = rig.Database(root, args.database_url)
    print(f"voidmail benchmarks ({'quick' if quick else 'full'}): {', '.join(args.parts)}")
    print(f"working directory {root}")
    failed = False
    try:
        database.start()
        result = report.Report(
            command=command, started=started, minutes=0.0, machine=rig.machine(database)
        )
        for part in args.parts:
            try:
                run_part(part, result, root, database, args)
            except Exception as exc:  # noqa: BLE001 - one part failing must not lose the others
                failed = True
                result.errors[part] = f"{type(exc).__name__}: {exc}"
                print(f"  {part} FAILED:", file=sys.stderr)
                traceback.print_exc()
        result.minutes = (time.monotonic() - began) / 60
        result.load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
        args.report.with_name("results.json").write_text(
            json.dumps(report.as_json(result), indent=1, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8",
        )
        if result.throughput:
            try:
                result.chart = report.draw(result.throughput, args.chart)
            except Exception as exc:  # noqa: BLE001 - the numbers matter more than the picture
                failed = True
                result.chart = f"failed: {type(exc).__name__}: {exc}"
                traceback.print_exc()
        chart_link = os.path.relpath(args.chart, args.report.parent)
        args.report.write_text(report.render(result, chart_link), encoding="utf-8")
        print(f"wrote {args.report}" + (f" and {args.chart}" if result.chart == "written" else ""))
        if result.chart != "written" and result.throughput:
            print(f"chart {result.chart}")
        for row in report.targets(result):
            print(f"  {row[0]}. {row[1]}: {row[2]} {row[3].strip('*')}")
    finally:
        with contextlib.suppress(Exception):
            database.stop()
        if args.keep or failed:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


def run_part(
    part: str,
    result: report.Report,
    root: Path,
    database: rig.Database,
    args: argparse.Namespace,
) -> None:
    """Runs one part and puts its result in ``result``."""
    quick: bool = args.quick
    if part == "tokens":
        result.tokens = tokens.main(root, database, args.threads or (4 if quick else 8))
    elif part == "latency":
        result.latency = latency.main(root, database, args.latency_mails or (30 if quick else 300))
    elif part == "throughput":
        result.throughput = throughput.main(root, database, quick, args.llm_mails)
    elif part == "backlog":
        sizes = args.backlog or ([200, 1000] if quick else [1000, 10000])
        result.backlog = backlog.main(root, database, sizes)
    elif part == "idle":
        result.idle = idle.main(root, database, args.idle_seconds or (30.0 if quick else 300.0))
    elif part == "limiter":
        result.limiter = _limiter(quick)


def _limiter(quick: bool) -> str:
    from bench import bench_llm_limiter
    from voidmail import logs

    logs.configure("warning")  # the client's per-call debug lines are not the point here
    print(f"  limiter alone ({'quick' if quick else 'full'}) ...", flush=True)
    workers = 8
    results = [
        asyncio.run(bench_llm_limiter.bench(run, workers)) for run in bench_llm_limiter.runs(quick)
    ]
    table = bench_llm_limiter.table(results)
    print("\n".join(f"    {line}" for line in table.splitlines()), flush=True)
    return (
        f"{workers} workers, one shared limiter; each request costs "
        f"{bench_llm_limiter.COST} tokens\n\n{table}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
