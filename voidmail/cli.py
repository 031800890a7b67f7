"""The ``voidmail`` command line.

Every subcommand answers ``--help`` without a database or a mailbox. Errors a user can fix
(configuration, an unreachable database) print one line and exit non-zero; no traceback reaches
the terminal. Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from voidmail import (
    __version__,
    answer,
    catalog,
    compose,
    config,
    daemon,
    dlq,
    faq,
    guard,
    lanes,
    logs,
    migrate,
    oauth,
    parse,
    respond,
    sdnotify,
    stats,
    store,
    triage,
)
from voidmail.assembly import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, load_settings, placeholders, wired
from voidmail.errors import ConfigError, DatabaseError, VoidmailError

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
log = structlog.get_logger("voidmail.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voidmail",
        description="Answers a shop's customer email: FAQ, LLM or a person. "
        "With no subcommand, runs the daemon.",
    )
    parser.add_argument("--version", action="version", version=f"voidmail {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="TOML file (default: $VOIDMAIL_CONFIG, ./voidmail.toml, /etc/voidmail/voidmail.toml)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="watch the mailbox and answer mail (the default)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser("check", help="check configuration, IMAP, SMTP, database and LLM")

    tasks = sub.add_parser("tasks", help="list recorded messages and their state")
    tasks.add_argument("--status", choices=store.TASK_STATUSES, help="only tasks in this state")
    tasks.add_argument("--limit", type=_positive_int, default=100, help="rows (default 100)")
    tasks.add_argument("--json", action="store_true", help="print a JSON array")

    dlq = sub.add_parser("dlq", help="inspect and replay the dead-letter queue")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    dlq_list = dlq_sub.add_parser("list", help="list dead letters")
    dlq_list.add_argument("--json", action="store_true", help="print a JSON array")
    dlq_show = dlq_sub.add_parser("show", help="show one dead letter")
    dlq_show.add_argument("id", type=_positive_int)
    dlq_retry = dlq_sub.add_parser("retry", help="send dead letters back to the queue")
    target = dlq_retry.add_mutually_exclusive_group(required=True)
    target.add_argument("id", type=_positive_int, nargs="?")
    target.add_argument("--all", action="store_true", help="every dead letter")
    dlq_purge = dlq_sub.add_parser("purge", help="drop old dead letters for good")
    dlq_purge.add_argument("--older-than", required=True, metavar="DURATION", help="e.g. 30d")

    stats = sub.add_parser("stats", help="what was answered, how, how fast, at what cost")
    stats.add_argument("--since", default="24h", metavar="DURATION", help="e.g. 24h, 7d")
    stats.add_argument("--json", action="store_true", help="print JSON")

    try_ = sub.add_parser("try", help="show the decision and reply for one .eml, sending nothing")
    try_.add_argument("file", type=Path, metavar="FILE.eml")

    sub.add_parser("demo", help="run the whole pipeline locally on sample mail")

    auth = sub.add_parser(
        "auth",
        help="log the mailbox in with OAuth2 (XOAUTH2) and keep its refresh token",
        description="microsoft (and custom): the device-code flow, a URL and a code to type on "
        "any device; google: a browser login with a loopback redirect, or the address the "
        "browser ended on pasted back. The refresh token goes to daemon.state_dir.",
    )
    auth.add_argument("provider", choices=["microsoft", "google", "custom"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "run"
    handler = HANDLERS[command]
    try:
        return asyncio.run(handler(args))
    except ConfigError as exc:
        print(f"voidmail: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseError as exc:
        print(f"voidmail: database error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except VoidmailError as exc:
        print(f"voidmail: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the boundary: a bug is one line, not a traceback
        print(f"voidmail: internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE


async def _run(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    settings.require_servers()
    logs.configure(settings.daemon.log_level, stream=sys.stdout)
    with sdnotify.SystemdNotifier() as systemd:
        async with wired(settings, systemd=systemd) as service:
            with daemon.SignalHandlers(asyncio.get_running_loop(), service.stop):
                await service.run()
    return EXIT_OK


async def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    async with (
        store.open_store(settings, apply_migrations=False, max_size=2) as st,
        st.pool.acquire() as conn,
    ):
        applied = await migrate.apply(conn)
    if applied:
        print("applied migrations: " + ", ".join(f"{v:04d}" for v in applied))
    else:
        print("database is up to date")
    return EXIT_OK


TASK_COLUMNS = ("id", "status", "route", "attempts", "sender", "subject", "created_at")


async def _tasks(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    async with store.open_store(settings, max_size=2) as st:
        rows = await st.list_tasks(args.status, args.limit)
    if args.json:
        print(json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("no tasks" + (f" with status {args.status}" if args.status else ""))
        return EXIT_OK
    print(_table(TASK_COLUMNS, [[_cell(row.get(c)) for c in TASK_COLUMNS] for row in rows]))
    return EXIT_OK


async def _dlq(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    async with store.open_store(settings, max_size=2) as st:
        action = args.dlq_command
        if action == "list":
            rows = await dlq.entries(st)
            if args.json:
                print(json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2))
            elif not rows:
                print("the dead-letter queue is empty")
            else:
                columns = ("id", "attempts", "sender", "subject", "error")
                print(_table(columns, [[_cell(r.get(c)) for c in columns] for r in rows]))
                print("\nreplay with: voidmail dlq retry ID (or --all)")
            return EXIT_OK
        if action == "show":
            found = await dlq.detail(st, args.id)
            if found is None:
                print(f"voidmail: no task {args.id}", file=sys.stderr)
                return EXIT_FAILURE
            outbound = found.pop("outbound")
            for key, value in found.items():
                print(f"{key:>18}: {_cell(value, 200)}")
            for row in outbound:
                print(f"{'outbound':>18}: {row['kind']} {row['status']} to {row['recipient']} "
                      f"{row['message_id']} {_cell(row['error'], 120)}")  # fmt: skip
            return EXIT_OK
        if action == "retry":
            replayed = await dlq.replay(st, None if args.all else [args.id])
            if not replayed:
                print(
                    "nothing to replay"
                    + ("" if args.all else f": task {args.id} is not a dead letter")
                )
                return EXIT_OK if args.all else EXIT_FAILURE
            print(f"replaying {len(replayed)} task(s): {', '.join(map(str, replayed))}")
            return EXIT_OK
        try:
            seconds = dlq.parse_duration(args.older_than)
        except ValueError as exc:
            print(f"voidmail: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        print(f"purged {await dlq.purge(st, seconds)} dead letter(s)")
        return EXIT_OK


async def _stats(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    try:
        seconds = dlq.parse_duration(args.since)
    except ValueError as exc:
        print(f"voidmail: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    async with store.open_store(settings, max_size=2) as st:
        report = await stats.collect(st, seconds, settings.llm)
    if args.json:
        print(json.dumps(report, default=_json_default, ensure_ascii=False, indent=2))
    else:
        print(stats.render(report))
    return EXIT_OK


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: Any, width: int = 40) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _print_coverage(coverage: faq.Coverage) -> None:
    """What accounted for each word of the question, or the words nothing did: a shop owner
    adds an example with those words to the entry (faq.toml) when its answer covers them."""
    if coverage.excluded:
        print(f"excluded    {', '.join(coverage.uncovered)}")
        print(f"            (entry {coverage.entry_id!r} lists them under 'exclude': its answer")
        print("             does not cover them)")
    elif coverage.uncovered:
        print(f"not covered {', '.join(coverage.uncovered)}")
        print(f"            (nothing in entry {coverage.entry_id!r} or the everyday words accounts")
        print("             for them; if its answer covers them, add an example that uses them)")
    by_source: dict[str, list[str]] = {}
    for word, source in coverage.covered:
        by_source.setdefault(source, []).append(word)
    for source, found in by_source.items():
        print(f"covered by  {source}: {', '.join(found)}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be more than 0")
    return value


TRY_SHOP = "tienda@example.invalid"


async def _try(args: argparse.Namespace) -> int:
    """The decision for one .eml and what would be sent, with no database, mailbox or LLM."""
    settings = load_settings(args)
    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"voidmail: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    shop = settings.shop.address or TRY_SHOP
    if not settings.shop.address:
        settings = dataclasses.replace(
            settings, shop=dataclasses.replace(settings.shop, address=shop)
        )
    answers = faq.load(settings.faq.file, placeholders(settings))
    mail = parse.parse(raw)
    print(
        f"from        {mail.sender or '-'}"
        + (f" (reply to {mail.reply_to})" if mail.reply_to else "")
    )
    print(f"subject     {mail.subject or '-'}")
    print(f"new text    {len(mail.new_text.strip())} characters after quotes and signature")
    ignored = guard.check(
        mail,
        frozenset({shop.lower()}),
        frozenset({compose.domain_of(shop)}),
        authserv_id=settings.guard.authserv_id,
    )
    if ignored is not None:
        print(f"route       ignored ({ignored}): no reply, marked \\Seen")
        return EXIT_OK
    decision = triage.decide(mail, answers)
    print(f"route       {decision.route}")
    print(f"intent      {decision.intent}")
    print(f"faq entry   {decision.faq_id or '-'}")
    print(f"score       {decision.score:.3f}")
    print(f"reason      {decision.reason}")
    if decision.coverage is not None:
        _print_coverage(decision.coverage)
    print("(the per-sender hourly cap and repeated-body checks need the database; not applied)")
    if decision.route == "human":
        print("\nheld for a person: \\Flagged, left unread, and a note to shop.admin_email")
        return EXIT_OK
    if decision.route == "faq" and decision.faq_id is not None:
        message = respond.draft(settings.shop, mail, answers.entry(decision.faq_id).answer)
        print("\nreply (not sent):\n")
        for name, value in message.items():
            print(f"{name}: {value}")
        print()
        print(message.get_content().rstrip())
        return EXIT_OK
    read = triage.reading(mail.new_text)
    first = lanes.lane_class(
        shop_wrote_before=False,
        intent=decision.intent,
        asks=read.asks,
        shop_language=read.in_shop_language,
    )
    print(
        f"lane        the LLM lane, class {lanes.NAMES[first]} (conversation instead if the shop "
        f"has written to this address before); its share of the day's LLM budget: "
        f"{lanes.DAILY_SHARE[first]:.0%}"
    )
    shop_catalog = catalog.Catalog(settings.catalog.file)
    products = answer.products_for(shop_catalog, mail)
    prompt = answer.build(settings, mail, decision, answers, products, [], shop_catalog)
    print(
        f"\nLLM prompt (not sent; {prompt.estimated_tokens} tokens estimated + "
        f"max_tokens {settings.llm.max_tokens}; earlier turns are looked up only when running):"
    )
    for message_part in prompt.messages:
        print(f"\n--- {message_part['role']} ---\n{message_part['content']}")
    return EXIT_OK


# check and demo import their modules when run: they import this one, and --help stays fast.
async def _check(args: argparse.Namespace) -> int:
    from voidmail import check

    return await check.main(args)


async def _demo(args: argparse.Namespace) -> int:
    from voidmail import demo

    return await demo.main(args)


async def _auth(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings.oauth.provider != args.provider:
        raise ConfigError(
            f'set provider = "{args.provider}" (and client_id) in [oauth] first',
            key="oauth.provider",
        )
    if not settings.oauth.client_id:
        raise ConfigError("is needed to log in: the app registration's id", key="oauth.client_id")
    account = oauth.Account.of(settings)
    if args.provider == "google" or not account.device_url:
        loop = asyncio.get_running_loop()

        async def pasted() -> str:
            return await loop.run_in_executor(None, sys.stdin.readline)

        answer = await oauth.browser_login(account, print, pasted)
    else:
        answer = await oauth.device_login(account, lambda text: print(text, flush=True))
    minutes = int(float(answer.get("expires_in", 0)) // 60)
    print(f"logged in: the refresh token is kept in {account.store}")
    print(f"(access tokens last {minutes} min; voidmail renews them by itself)")
    return EXIT_OK


HANDLERS: dict[str, Handler] = {
    "auth": _auth,
    "check": _check,
    "demo": _demo,
    "try": _try,
    "run": _run,
    "migrate": _migrate,
    "dlq": _dlq,
    "stats": _stats,
    "tasks": _tasks,
}
