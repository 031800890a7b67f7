"""The daemon: one event loop, one IMAP listener, a dispatcher, a fixed set of workers.

The listener records messages in PostgreSQL. The dispatcher moves the ids of runnable tasks
into a bounded ``asyncio.Queue``; it wakes when the listener records something, when a worker
frees a place, and when the next scheduled retry falls due (a timer, with a slow fallback
sweep as a safety net). Workers claim each id with ``SELECT … FOR UPDATE SKIP LOCKED``, so two
daemons on one database never process the same task, and every claim ends in a terminal state
or a scheduled retry.

Each daemon holds a PostgreSQL advisory lock for as long as it lives. Tasks claimed by a
daemon whose lock is gone (it was killed) go back to ``pending``; this runs at start and then
now and again, so a surviving daemon also picks up what a dead one left.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol

import asyncpg
import structlog

from voidmail import dlq, lanes, sdnotify, store
from voidmail.config import Settings
from voidmail.errors import Deferred, PermanentError, RetryableError, ServiceError
from voidmail.listener import Listener
from voidmail.notify import Notifier
from voidmail.review import ReviewTracker

log = structlog.get_logger("voidmail.daemon")

QUEUE_PER_WORKER = 4
LANE_PER_WORKER = 16  # LLM-bound tasks decided and waiting, per LLM worker
ORDER_WORKERS = 2  # order lookups at once: the order source paces them anyway
LANE_FULL_RETRY = 15.0  # seconds before a task that found the LLM lane full is looked at again
RECLAIM_EVERY = 30.0  # seconds between sweeps for tasks of dead daemons
FALLBACK_WAKE = 30.0  # the dispatcher looks at the table at least this often
CLAIM_RETRY = 1.0  # seconds a worker waits after the database refused a claim
STATUS_EVERY = 10.0  # seconds between STATUS= lines to systemd


class Responder(Protocol):
    """Decides what one claimed task needs and does it, or returns what needs the LLM as a
    ``lanes.Later`` for the LLM workers. Raises to ask for a retry."""

    async def handle(self, task: dict[str, Any]) -> store.Outcome | lanes.Later: ...


def retry_delay(
    attempt: int, retry_after: float | None, rng: random.Random, base: float = 2.0
) -> float:
    """Exponential backoff with jitter: uniform in [c/2, c] for c = base·2^(attempt-1), capped
    at 10 min, and never sooner than ``retry_after``."""
    ceiling = min(600.0, base * 2 ** min(max(attempt - 1, 0), 16))
    return max(retry_after or 0.0, rng.uniform(ceiling / 2, ceiling))


class Daemon:
    """Owns the queue, the tasks and the collaborators it is given."""

    def __init__(
        self,
        settings: Settings,
        st: store.Store,
        responder: Responder,
        *,
        notifier: Notifier | None = None,
        tracker: ReviewTracker | None = None,
        background: Sequence[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = (),
        systemd: sdnotify.SystemdNotifier | None = None,
        shutdown_grace: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.store = st
        self.responder = responder
        self.notifier = notifier
        self.tracker = tracker
        self.background = background  # side tasks run until stop (the live catalog's refresh)
        self.systemd = systemd or sdnotify.SystemdNotifier({})
        self.shutdown_grace = (
            settings.daemon.shutdown_timeout if shutdown_grace is None else shutdown_grace
        )
        self.rng = rng or random.Random()
        self.daemon_id = self.rng.randrange(1, 2**31 - 1)
        concurrency = settings.worker.concurrency
        self.queue: asyncio.Queue[int] = asyncio.Queue(maxsize=concurrency * QUEUE_PER_WORKER)
        self.inflight: set[int] = set()
        self.busy: dict[int, int] = {}  # worker number -> task id
        # Tasks that need a scarce resource wait here, claimed and decided, for the workers of
        # that resource (see lanes.py): the LLM, and the shop's order source.
        self.lane = lanes.Lane(concurrency * LANE_PER_WORKER)
        self.order_lane = lanes.Lane(ORDER_WORKERS * LANE_PER_WORKER)
        self.lanes = {"llm": self.lane, "orders": self.order_lane}
        self.llm_busy: dict[int, int] = {}  # lane worker number -> task id
        self.stop_event = asyncio.Event()
        self.work = asyncio.Event()
        self.listener = Listener(
            settings.imap, st, on_recorded=self.work.set, on_alert=self._poke, rng=self.rng
        )
        self.ready = self.listener.ready
        self.processed = 0

    def _poke(self) -> None:
        if self.notifier is not None:
            self.notifier.poke()

    def stop(self) -> None:
        """Ask the daemon to finish; safe to call from a signal handler, more than once."""
        self.stop_event.set()
        self.listener.wake.set()
        self.work.set()

    async def run(self) -> None:
        """Run until ``stop()``; raises if a side task dies, so the service manager restarts us."""
        async with self._liveness():
            released = await self.store.release_dead_claims()
            if released:
                log.warning("tasks_released", count=len(released), reason="daemon_gone")
            listener = asyncio.create_task(self.listener.run(self.stop_event), name="listener")
            dispatcher = asyncio.create_task(self._dispatch(), name="dispatcher")
            workers = [
                asyncio.create_task(self._worker(n), name=f"worker-{n}")
                for n in range(self.settings.worker.concurrency)
            ]
            concurrency = self.settings.worker.concurrency
            llm_workers = [
                asyncio.create_task(self._lane_worker(self.lane, n), name=f"llm-worker-{n}")
                for n in range(concurrency)
            ] + [
                asyncio.create_task(
                    self._lane_worker(self.order_lane, concurrency + n), name=f"order-worker-{n}"
                )
                for n in range(ORDER_WORKERS)
            ]
            side = {listener, dispatcher}
            if self.notifier is not None:
                side.add(asyncio.create_task(self.notifier.run(self.stop_event), name="notifier"))
            if self.tracker is not None:
                side.add(asyncio.create_task(self.tracker.run(self.stop_event), name="review"))
            for number, job in enumerate(self.background):
                side.add(asyncio.create_task(job(self.stop_event), name=f"background-{number}"))
            side.add(asyncio.create_task(self._report(), name="systemd"))
            side.add(
                asyncio.create_task(
                    sdnotify.watchdog_loop(
                        self.systemd,
                        self.systemd.watchdog_interval(),
                        self.stop_event,
                        healthy=lambda: not listener.done() and not dispatcher.done(),
                    ),
                    name="watchdog",
                )
            )
            stopper = asyncio.create_task(self.stop_event.wait(), name="stop")
            log.info(
                "daemon_started",
                daemon_id=self.daemon_id,
                workers=len(workers),
                mailbox=self.settings.imap.mailbox,
            )
            try:
                done, _ = await asyncio.wait(
                    {stopper, *side, *workers, *llm_workers}, return_when=asyncio.FIRST_COMPLETED
                )
                asked_to_stop = self.stop_event.is_set()
                # A side task that ends by itself, with or without an exception, has died.
                crashed = [
                    t
                    for t in done
                    if t is not stopper
                    and (not asked_to_stop or t.cancelled() or t.exception() is not None)
                ]
                for task in crashed:
                    exc = task.exception() if not task.cancelled() else None
                    log.critical("side_task_died", task=task.get_name(), error=repr(exc))
                self.stop()
                self.systemd.stopping()
                self.systemd.status(f"stopping · {len(self.busy)} in flight")
                await self._shutdown(listener, dispatcher, workers, llm_workers)
                # The notifier sends what is left (a crash's own alert among it). Waiting with
                # asyncio.wait, never awaiting the task: a crashed one must not re-raise here.
                rest = [t for t in side - {listener, dispatcher} if not t.done()]
                if rest:
                    await asyncio.wait(rest, timeout=5.0)
                if crashed:
                    first = crashed[0]
                    cause = None if first.cancelled() else first.exception()
                    detail = f": {cause.__class__.__name__}: {cause}" if cause else ""
                    message = f"{first.get_name()} stopped unexpectedly{detail}"
                    raise ServiceError(message) from cause
            finally:
                stopper.cancel()
                for task in (*side, *workers, *llm_workers):
                    task.cancel()
                await asyncio.gather(*side, *workers, *llm_workers, return_exceptions=True)
        log.info("daemon_stopped", processed=self.processed)

    async def _report(self) -> None:
        """READY=1 as soon as the daemon runs, then a STATUS= line every few seconds.

        READY means: the configuration is valid, the database is reachable and migrated, and
        the listener and workers are running. It does not wait for the mailbox: a daemon
        whose IMAP server is down at boot is up and keeps trying (STATUS= says so), instead
        of being killed by systemd at TimeoutStartSec and started again, over and over.
        """
        self.systemd.ready()
        log.info("daemon_ready", mailbox=self.settings.imap.mailbox)
        while not self.stop_event.is_set():
            self.systemd.status(self.status_line())
            await self._wait_for(self.stop_event.wait(), STATUS_EVERY)

    def status_line(self) -> str:
        """One line for systemd's STATUS=: the mailbox connection, the queue, the count."""
        if self.listener.connected:
            state = "idle"
        elif self.listener.failures:
            state = f"connecting to IMAP ({self.listener.failures} failed attempts, retrying)"
        else:
            state = "connecting to IMAP"
        queued = self.queue.qsize() + len(self.busy)
        waiting = len(self.lane) + len(self.order_lane) + len(self.llm_busy)
        handled = self.processed
        return f"{state} · {queued} queued · {waiting} for the LLM or orders · {handled} handled"

    async def _shutdown(
        self,
        listener: asyncio.Task[None],
        dispatcher: asyncio.Task[None],
        workers: list[asyncio.Task[None]],
        llm_workers: list[asyncio.Task[None]],
    ) -> None:
        """One stop sequence: nothing new is claimed (``stop_event`` is set and the dispatcher
        ends); idle workers end now; busy ones end after their task, within the grace period,
        then are cancelled (their task goes back to pending); tasks waiting in the LLM lane go
        back to pending; the listener sets the last flags and logs out. Queued ids were never
        claimed: they stay pending."""
        dispatcher.cancel()
        busy = []
        for pool, busy_numbers in ((workers, self.busy), (llm_workers, self.llm_busy)):
            for number, task in enumerate(pool):
                if number in busy_numbers:
                    busy.append(task)
                else:
                    task.cancel()
        if busy:
            log.info("daemon_draining", in_flight=len(busy), grace=self.shutdown_grace)
            _, late = await asyncio.wait(busy, timeout=self.shutdown_grace)
            for task in late:
                task.cancel()
        for lane in self.lanes.values():
            for entry in lane.drain():
                await self._settle(self.store.release_claim(entry.task["id"], self.daemon_id))
        if not listener.done():
            await asyncio.wait([listener], timeout=self.settings.imap.timeout)
        listener.cancel()

    @contextlib.asynccontextmanager
    async def _liveness(self) -> AsyncIterator[None]:
        """Hold our advisory lock on a pooled connection kept for the daemon's lifetime."""
        conn = await self.store.pool.acquire()

        def wake(*_args: object) -> None:
            self.work.set()

        try:
            await conn.execute(
                "SELECT pg_advisory_lock($1::int4, $2::int4)", store.LOCK_NAMESPACE, self.daemon_id
            )
            # `voidmail dlq retry` NOTIFYs this channel: replays start at once.
            await conn.add_listener(dlq.WORK_CHANNEL, wake)
            yield
        finally:
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await asyncio.shield(conn.remove_listener(dlq.WORK_CHANNEL, wake))
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await asyncio.shield(
                    conn.execute(
                        "SELECT pg_advisory_unlock($1::int4, $2::int4)",
                        store.LOCK_NAMESPACE,
                        self.daemon_id,
                    )
                )
            await asyncio.shield(self.store.pool.release(conn))

    # -- dispatcher ----------------------------------------------------------------------

    async def _dispatch(self) -> None:
        last_reclaim = time.monotonic()
        while not self.stop_event.is_set():
            self.work.clear()
            if time.monotonic() - last_reclaim > RECLAIM_EVERY:
                last_reclaim = time.monotonic()
                released = await self.store.release_dead_claims()
                if released:
                    log.warning("tasks_released", count=len(released), reason="daemon_gone")
            room = self.queue.maxsize - self.queue.qsize()
            if room > 0:
                ids = await self.store.runnable_ids(sorted(self.inflight), room)
                for task_id in ids:
                    self.inflight.add(task_id)
                    self.queue.put_nowait(task_id)
                if len(ids) == room:
                    # Full: the next wake comes from a worker taking an item.
                    await self._wait_for(self.work.wait(), FALLBACK_WAKE)
                    continue
            due = await self.store.next_due_in(sorted(self.inflight))
            timeout = FALLBACK_WAKE if due is None else min(FALLBACK_WAKE, max(due, 0.05))
            await self._wait_for(self.work.wait(), timeout)

    @staticmethod
    async def _wait_for(awaitable: Awaitable[Any], seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(awaitable, timeout=seconds)

    # -- workers -------------------------------------------------------------------------

    async def _worker(self, number: int) -> None:
        """Take ids from the queue until stopped; once stopped, claim nothing more."""
        while not self.stop_event.is_set():
            task_id = await self.queue.get()
            self.work.set()  # a place in the queue is free
            self.busy[number] = task_id
            try:
                if self.stop_event.is_set():
                    return  # unclaimed: it stays pending for the next start
                task = await self.store.claim(task_id, self.daemon_id)
                if task is not None:
                    await self._process(task, functools.partial(self.responder.handle, task))
            except Exception:  # the database refused the claim: the task stays where it was
                log.exception("task_claim_failed", task_id=task_id)
                await self._wait_for(self.stop_event.wait(), CLAIM_RETRY)
            finally:
                self.busy.pop(number, None)
                self.inflight.discard(task_id)
                self.queue.task_done()

    async def _lane_worker(self, lane: lanes.Lane, number: int) -> None:
        """Take decided tasks from ``lane``, best first, until stopped."""
        while not self.stop_event.is_set():
            entry = await lane.take()
            if self.stop_event.is_set():
                await self._settle(self.store.release_claim(entry.task["id"], self.daemon_id))
                return
            self.llm_busy[number] = entry.task["id"]
            try:
                await self._process(entry.task, entry.later.run)
            finally:
                self.llm_busy.pop(number, None)

    async def _process(
        self,
        task: dict[str, Any],
        step: Callable[[], Awaitable[store.Outcome | lanes.Later]],
    ) -> None:
        task_id = task["id"]
        structlog.contextvars.bind_contextvars(
            task_id=task_id, uid=task["uid"], message_id=task["message_id"]
        )
        try:
            await self._run(task, step)
        except Exception:
            # The database refused the task's state write even after the outcome's own handling:
            # the task keeps its claim, and a restart (or this daemon's lock lapsing) gives it
            # back. The worker goes on with the next one.
            log.exception("task_state_write_failed")
        finally:
            structlog.contextvars.unbind_contextvars("task_id", "uid", "message_id")
            self.work.set()

    async def _run(
        self,
        task: dict[str, Any],
        step: Callable[[], Awaitable[store.Outcome | lanes.Later]],
    ) -> None:
        """Run ``step`` for ``task`` and record what came of it."""
        task_id = task["id"]
        started = time.monotonic()
        try:
            result = await step()
        except asyncio.CancelledError:
            # Shutdown ran out of time: give the task back, its attempt unspent.
            await asyncio.shield(self.store.release_claim(task_id, self.daemon_id))
            log.warning("task_interrupted")
            raise
        except Deferred as exc:
            delay = retry_delay(1, exc.retry_after, self.rng)
            await self._settle(
                self.store.schedule_retry(task_id, str(exc), delay, refund_attempt=True)
            )
            log.info("task_deferred", error=str(exc), retry_in=round(delay, 1))
            self._poke()  # the responder may have left an alert for the admin
        except RetryableError as exc:
            await self._retry_or_park(task, str(exc), exc.retry_after)
        except PermanentError as exc:
            await self._park(task, str(exc))
        except Exception as exc:  # the one broad except: a bug must not kill a worker
            log.exception("task_crashed")
            await self._retry_or_park(
                task, f"internal error: {exc.__class__.__name__}: {exc}", None
            )
        else:
            if isinstance(result, lanes.Later):
                await self._to_lane(task, result)
                return
            try:
                await self._settle(self.store.finish(task_id, result))
            except Exception as exc:  # a refused write must not stop the worker either
                # Whatever was sent is in the outbound ledger, so running the task again sends
                # nothing twice: as after a crash between sending and this write.
                log.exception("task_finish_failed", status=result.status)
                await self._retry_or_park(
                    task, f"could not record the outcome: {exc.__class__.__name__}: {exc}", None
                )
                return
            if result.imap_flags:
                self.listener.wake.set()
            if result.status == "human" or result.noted:
                self._poke()
            self.processed += 1
            log.info(
                "task_finished",
                status=result.status,
                route=result.route,
                intent=result.intent,
                error=result.error,
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                ms=round((time.monotonic() - started) * 1000, 1),
            )

    async def _to_lane(self, task: dict[str, Any], later: lanes.Later) -> None:
        """Queue a decided task for the workers of its lane; when the lane is full, give it
        back (its attempt unspent) to be looked at again later."""
        lane = self.lanes[later.lane]
        taken, pushed_out = lane.offer(task, later)
        if taken:
            log.info("task_waiting", lane=later.lane, lane_class=later.klass, waiting=len(lane))
        given_back = task if not taken else pushed_out.task if pushed_out is not None else None
        if given_back is None:
            return
        delay = retry_delay(1, LANE_FULL_RETRY, self.rng)
        waiting_for = "the LLM" if later.lane == "llm" else "the order source"
        retry = self.store.schedule_retry(
            given_back["id"], f"waiting for {waiting_for}", delay, refund_attempt=True
        )
        await self._settle(retry)
        log.info("task_deferred", deferred_task=given_back["id"],
                 error=f"the {later.lane} lane is full", retry_in=round(delay, 1))  # fmt: skip

    async def _retry_or_park(
        self, task: dict[str, Any], error: str, retry_after: float | None
    ) -> None:
        attempts = task["attempts"]
        if attempts >= self.settings.worker.max_attempts:
            await self._park(task, error)
            return
        delay = retry_delay(attempts, retry_after, self.rng, self.settings.worker.retry_base)
        await self._settle(self.store.schedule_retry(task["id"], error, delay))
        log.warning("task_retry_scheduled", attempt=attempts, error=error, retry_in=round(delay, 1))

    async def _park(self, task: dict[str, Any], error: str) -> None:
        outcome = store.Outcome(status="dead_letter", route=None, error=error)
        await self._settle(self.store.finish(task["id"], outcome))
        note = f"{task['sender']} · {task['subject']} · {error} (voidmail dlq retry {task['id']})"
        await self._settle(self.store.add_note(task["id"], "dead_letter", note))
        self._poke()
        log.critical("task_dead_lettered", attempts=task["attempts"], error=error)

    @staticmethod
    async def _settle(write: Awaitable[None]) -> None:
        """The final state write of a task survives cancellation of the worker."""
        await asyncio.shield(write)


class SignalHandlers:
    """SIGTERM/SIGINT ask the daemon to stop; a second one exits at once.

    Exiting at once loses nothing recorded: every task is in PostgreSQL, and claims of a dead
    daemon are released by the next one. The embedded database outlives us and is reused.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
        self.loop = loop
        self.stop = stop
        self.received = 0

    def __enter__(self) -> SignalHandlers:
        for signum in self.SIGNALS:
            self.loop.add_signal_handler(signum, self._on_signal, signum)
        return self

    def __exit__(self, *_exc: object) -> None:
        for signum in self.SIGNALS:
            self.loop.remove_signal_handler(signum)

    def _on_signal(self, signum: int) -> None:
        self.received += 1
        if self.received == 1:
            log.info("stop_requested", signal=signal.Signals(signum).name)
            self.stop()
            return
        log.warning("exiting_now", signal=signal.Signals(signum).name)
        os._exit(128 + signum)
