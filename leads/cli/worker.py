"""The worker process (Procfile `worker:`): runs the lead sync and the retention sweeper on a schedule.

A failing run is logged and does not stop the loop; the next run resumes (both jobs are resumable).
SIGTERM or SIGINT (a deploy, Ctrl-C) asks it to stop: the job in hand finishes its batch (or page), commits,
releases its lock and the worker exits; a second signal stops it at once (the open transaction rolls back).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from leads import db
from leads.consent import mailer, sending
from leads.grants import grants
from leads.ingest import sources, sync_job
from leads.jobs import runs
from leads.jobs.schedule import EVERY
from leads.retention import forecast, sweeper

log = logging.getLogger(__name__)
STOP = threading.Event()  # set by the first SIGTERM/SIGINT; every job asks it between batches


def request_stop(signum: int, _frame: object) -> None:
    """Signal handler: the first signal stops after the batch in hand, a second one at once."""
    if STOP.is_set():
        raise KeyboardInterrupt
    log.warning("%s received: stopping after the batch in hand", signal.Signals(signum).name)
    STOP.set()


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT call `request_stop` (the worker command's loop runs here); the
    previous handlers come back afterwards."""
    STOP.clear()
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@dataclass(frozen=True)
class Job:
    """A named job run every `every`, and also whenever `wake_at()` (if given) says a deadline has come."""

    name: str
    every: timedelta
    run: Callable[[], str]
    wake_at: Callable[[], datetime | None] | None = None


def due(jobs: tuple[Job, ...], last_run: dict[str, datetime], now: datetime) -> list[Job]:
    """The jobs whose interval has passed since their last run (never run: due now) or whose wake time came.
    Jobs that keep deadlines (those with `wake_at`) come first: after downtime the worker's first pass
    destroys what is overdue before it syncs."""
    ready = [
        job for job in jobs if job.name not in last_run or now - last_run[job.name] >= job.every or _woken(job, now)
    ]
    return sorted(ready, key=lambda job: job.wake_at is None)


def _woken(job: Job, now: datetime) -> bool:
    wake = job.wake_at() if job.wake_at else None
    return wake is not None and wake <= now


def run_sync() -> str:
    """One lead sync run; a summary line."""
    if sources.lead_table(current_app.config) is None:
        return "skipped: AZURE_TABLES_CONNECTION_STRING is not set"
    run = sync_job.run(
        session=db.session(), config=current_app.config, clock=db.now, holder=runs.holder(), should_stop=STOP.is_set
    )
    if run is None:
        return "another sync is running"
    return f"{run.status}: {run.new} new, {run.updated} updated, {run.quarantined} quarantined, {run.skipped} skipped"


def run_sweep() -> str:
    """One retention sweep; a summary line."""
    table = sources.lead_table(current_app.config)
    try:
        report = sweeper.sweep(
            session=db.session(),
            now=db.now(),
            source=table,
            tombstone_key=current_app.config["TOMBSTONE_KEY"],
            holder=runs.holder(),
            batch_size=current_app.config.get("SWEEP_BATCH_SIZE", sweeper.BATCH_SIZE),
            clock=db.now,
            should_stop=STOP.is_set,
            export_cache=Path(current_app.config["EXPORT_CACHE"]),
        )
    finally:
        if table is not None:
            table.close()
    return "another sweeper is running" if not report.ran else str(report.summary())


def run_grant_lapse() -> str:
    """Lapse every support grant whose 10-day window has closed (its data destroyed at once); a summary line.
    A single-runner job like the sweep: its lock dies with its holder, and its runs are recorded."""
    session = db.session()
    with runs.exclusive(session=session, job="grants", holder=runs.holder(), clock=db.now) as tracked:
        if tracked is None:
            return "another grant lapse is running"
        lapsed = grants.lapse_due(session=session, now=db.now())
        tracked.outcome, tracked.counts = "succeeded", {"lapsed": lapsed}
    return f"{lapsed} grants lapsed"


def run_mail() -> str:
    """Send the queued marketing email that is due, each through the consent gate at the moment it is sent, at
    MAIL_RATE_PER_SECOND; a summary line. Single-runner, so no message is sent twice by two workers."""
    config = current_app.config
    if not config["MAIL_URL"]:
        return "skipped: MAIL_URL is not set"
    session = db.session()
    with runs.exclusive(session=session, job="mail", holder=runs.holder(), clock=db.now) as tracked:
        if tracked is None:
            return "another mail sender is running"
        with mailer.Transport(mailer.parse_url(config["MAIL_URL"])) as transport:
            counts = sending.send_due(
                session=session,
                sender=sender(config, transport),
                clock=db.now,
                batch_size=config["MAIL_BATCH_SIZE"],
                pause=lambda: STOP.wait(1 / config["MAIL_RATE_PER_SECOND"]),
                should_stop=STOP.is_set,
            )
        tracked.outcome, tracked.counts = "succeeded", dict(counts)
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "nothing to send"


def sender(config: Any, transport: sending.Transport) -> sending.Sender:
    """The worker's (and `marketing send`'s) sender, from the MAIL_* settings."""
    return sending.Sender(
        transport=transport,
        sender=config["MAIL_FROM"],
        reply_to=config["MAIL_REPLY_TO"] or None,
        public_url=config["PUBLIC_URL"],
        unsubscribe_mailto=config["MAIL_UNSUBSCRIBE_MAILTO"] or None,
        secret=config["SECRET_KEY"],
        max_attempts=config["MAIL_MAX_ATTEMPTS"],
        retry_after=config["MAIL_RETRY_AFTER"],
    )


JOBS = (
    Job("sync", EVERY["sync"], run_sync),
    Job("mail", EVERY["mail"], run_mail),
    # Woken at the next lapse, so "destroyed immediately" holds to the worker's tick, not the sweeper's hour.
    Job("grants", EVERY["grants"], run_grant_lapse, wake_at=lambda: grants.next_lapse(session=db.session())),
    Job("sweep", EVERY["sweep"], run_sweep, wake_at=lambda: forecast.next_deadline(session=db.session())),
)


def run_due(app: Flask, last_run: dict[str, datetime], jobs: tuple[Job, ...] = JOBS) -> None:
    """Run every due job once, each in its own app context; failures are logged, never raised."""
    with app.app_context():
        now = db.now()
        ready = due(jobs, last_run, now)
    for job in ready:
        if STOP.is_set():
            return
        last_run[job.name] = now
        with app.app_context():
            try:
                log.info("%s: %s", job.name, job.run())
            except Exception:
                log.exception("%s failed; it will run again in %s", job.name, job.every)


def loop(app: Flask, *, sleep: Callable[[float], object], iterations: int | None = None, tick: float = 30) -> None:
    """Check for due jobs every `tick` seconds until asked to stop (or `iterations` times, for tests and
    --once). `sleep` should wake early when STOP is set (the command passes `STOP.wait`)."""
    last_run: dict[str, datetime] = {}
    count = 0
    while not STOP.is_set():
        run_due(app, last_run)
        count += 1
        if STOP.is_set() or (iterations is not None and count >= iterations):
            return
        sleep(tick)
