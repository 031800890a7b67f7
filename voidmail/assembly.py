"""The daemon put together: settings in, the running parts out.

``voidmail run``, ``voidmail demo`` and ``voidmail check`` build what they need here, so none
of them imports another, and the command line (:mod:`voidmail.cli`) stays a thin layer of
argument parsing over these.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import AsyncIterator

import structlog

from voidmail import (
    answer,
    breaker,
    catalog,
    config,
    daemon,
    faq,
    ledger,
    limiter,
    llm,
    logs,
    oauth,
    orders,
    respond,
    sdnotify,
    store,
)
from voidmail.mailer import Mailer
from voidmail.notify import Notifier
from voidmail.review import ReviewTracker

EXIT_OK = 0
EXIT_FAILURE = 1  # a runtime failure: an unreachable database, a dead part of the daemon
EXIT_CONFIG = 2  # bad configuration or usage

log = structlog.get_logger("voidmail.assembly")


def load_settings(args: argparse.Namespace) -> config.Settings:
    """The validated settings for ``args.config``, logging to stderr (for one-shot commands)."""
    settings = config.load(args.config)
    logs.configure(settings.daemon.log_level, stream=sys.stderr)
    oauth.use(settings)
    return settings


@contextlib.asynccontextmanager
async def wired(
    settings: config.Settings, *, systemd: sdnotify.SystemdNotifier | None = None
) -> AsyncIterator[daemon.Daemon]:
    """The daemon with its real collaborators, as ``voidmail run`` builds it, not yet started.

    The store (and an embedded PostgreSQL) and the LLM client live as long as the block.
    Raises ConfigError for a bad FAQ, catalog or orders file before anything connects.
    """
    oauth.use(settings)
    answers = faq.load(settings.faq.file, placeholders(settings))
    shop_catalog = catalog.Catalog(settings.catalog.file)
    if settings.orders.source == "csv" and settings.orders.file is not None:
        orders.load_csv(settings.orders.file)
    mailer = Mailer(settings.smtp)
    async with store.open_store(settings) as st, contextlib.AsyncExitStack() as stack:
        answerer = None
        if settings.llm.api_key:
            client = await stack.enter_async_context(llm_client(settings, st))
            answerer = answer.LlmAnswerer(settings, st, client, answers, shop_catalog)
        else:
            log.warning("llm_disabled", reason="llm.api_key is not set; such mail goes to a person")
        # One ledger for replies and notes: they share the mailbox's sending quota.
        pace = ledger.sending_pace(settings.smtp.max_per_minute, settings.smtp.max_per_day)
        outbound = ledger.Ledger(st, mailer, settings.shop.address, pace=pace)
        stack.push_async_callback(mailer.aclose)
        responder = respond.MailResponder(
            settings, st, outbound, answers, answerer, order_desk(settings)
        )
        stack.push_async_callback(responder.aclose)
        notifier = Notifier(settings, st, outbound, settings.daemon.notify_delay)
        drafting = "draft" in (settings.review.faq, settings.review.llm)
        tracker = ReviewTracker(settings, st) if drafting else None
        background = []
        fetch = catalog.live_source(settings)
        if fetch is not None:
            await shop_catalog.read(fetch)  # before any question is answered
            every = settings.catalog.refresh_seconds
            background.append(functools.partial(shop_catalog.keep_fresh, fetch, every))
        yield daemon.Daemon(
            settings,
            st,
            responder,
            notifier=notifier,
            tracker=tracker,
            background=background,
            systemd=systemd,
        )


@contextlib.asynccontextmanager
async def llm_client(settings: config.Settings, st: store.Store) -> AsyncIterator[llm.LlmClient]:
    """The process's one LLM client, with its shared limiter and breaker.

    The limiter starts from today's usage recorded in the database, so a restart does not
    spend the day's budget twice.
    """
    s = settings.llm
    pace = limiter.Limiter(s.requests_per_minute, s.tokens_per_minute, s.requests_per_day,
                           s.tokens_per_day)  # fmt: skip
    requests, tokens = await st.llm_usage_today(s.model)
    if requests or tokens:
        pace.seed_daily(requests, tokens)
    guard = breaker.CircuitBreaker(settings.breaker.threshold, settings.breaker.reset_timeout)
    async with llm.LlmClient(s, pace, guard) as client:
        yield client


def order_desk(settings: config.Settings) -> orders.OrderDesk | None:
    """The order source of ``[orders]``, behind a breaker of its own; None without one."""
    source = orders.open_source(settings.orders, settings.shop)
    if source is None:
        return None
    guard = breaker.CircuitBreaker(settings.breaker.threshold, settings.breaker.reset_timeout)
    return orders.OrderDesk(source, timeout=settings.orders.timeout, breaker=guard)


def placeholders(settings: config.Settings) -> dict[str, str]:
    """What ``{name}`` placeholders in FAQ answers are filled with."""
    return {"shop_name": settings.shop.name, "shop_email": settings.shop.address}
