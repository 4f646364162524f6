"""The worker process (Procfile `worker:`): runs the lead sync and the retention sweeper on a schedule.

A failing run is logged and does not stop the loop; the next run resumes (both jobs are resumable).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app

from leads import db
from leads.ingest import sources, sync
from leads.jobs import runs
from leads.retention import forecast, sweeper

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A named job run every `every`, and also whenever `wake_at()` (if given) says a deadline has come."""

    name: str
    every: timedelta
    run: Callable[[], str]
    wake_at: Callable[[], datetime | None] | None = None


def due(jobs: tuple[Job, ...], last_run: dict[str, datetime], now: datetime) -> list[Job]:
    """The jobs whose interval has passed since their last run (never run: due now) or whose wake time came."""
    return [
        job for job in jobs if job.name not in last_run or now - last_run[job.name] >= job.every or _woken(job, now)
    ]


def _woken(job: Job, now: datetime) -> bool:
    wake = job.wake_at() if job.wake_at else None
    return wake is not None and wake <= now


def run_sync() -> str:
    """One lead sync run; a summary line."""
    table = sources.lead_table(current_app.config)
    if table is None:
        return "skipped: AZURE_TABLES_CONNECTION_STRING is not set"
    try:
        run = sync.run(
            session=db.session(),
            source=table,
            clock=db.now,
            tombstone_key=current_app.config["TOMBSTONE_KEY"],
            overlap=timedelta(minutes=current_app.config["SYNC_OVERLAP_MINUTES"]),
        )
    finally:
        table.close()
    return f"{run.new} new, {run.updated} updated, {run.quarantined} quarantined, {run.skipped} skipped"


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
        )
    finally:
        if table is not None:
            table.close()
    return "another sweeper is running" if not report.ran else str(report.summary())


JOBS = (
    Job("sync", timedelta(minutes=5), run_sync),
    Job("sweep", timedelta(hours=1), run_sweep, wake_at=lambda: forecast.next_deadline(session=db.session())),
)


def run_due(app: Flask, last_run: dict[str, datetime], jobs: tuple[Job, ...] = JOBS) -> None:
    """Run every due job once, each in its own app context; failures are logged, never raised."""
    with app.app_context():
        now = db.now()
        ready = due(jobs, last_run, now)
    for job in ready:
        last_run[job.name] = now
        with app.app_context():
            try:
                log.info("%s: %s", job.name, job.run())
            except Exception:
                log.exception("%s failed; it will run again in %s", job.name, job.every)


def loop(app: Flask, *, sleep: Callable[[float], None], iterations: int | None = None, tick: float = 30) -> None:
    """Check for due jobs every `tick` seconds, forever (or `iterations` times, for tests and --once)."""
    last_run: dict[str, datetime] = {}
    count = 0
    while True:
        run_due(app, last_run)
        count += 1
        if iterations is not None and count >= iterations:
            return
        sleep(tick)
