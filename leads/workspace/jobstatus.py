"""The scheduled jobs seen from outside (`jobs status` and /admin/jobs): each job's last run, whether a
live process holds its lock, when it runs next, the queues waiting for it, and late destructions. And the lead
sync's own page (/admin/sync): its last runs and what it quarantined.

A job whose last run is still `running` but whose lock nobody holds was killed: it is shown as `died`,
exactly as the next holder of its lock will record it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from leads.ingest import sync
from leads.jobs import locks, runs
from leads.jobs.schedule import EVERY, Queue
from leads.models import JobRun, QuarantinedEntity, SyncRun
from leads.retention import forecast, watch

# What each job also wakes for, besides its interval (the worker's `wake_at`).
WAKES: dict[str, Callable[[Session], datetime | None]] = {
    "sweep": lambda session: forecast.next_deadline(session=session),
}
# Work waiting for a job, one counting function each: a backlog added here shows in `jobs status` and
# /admin/jobs.
QUEUES: tuple[Callable[[Session], Queue], ...] = (lambda session: watch.source_deletions(session=session),)


@dataclass(frozen=True)
class JobStatus:
    """One job as it stands."""

    name: str
    every: timedelta
    state: str  # running, died, never run, or the last run's outcome
    last: JobRun | None
    counts: dict
    lock_held: bool
    lock_pid: int | None  # PostgreSQL: the server process holding the advisory lock
    next_run: datetime | None  # None: at the worker's next check
    late: bool  # not started for longer than twice its interval


@dataclass(frozen=True)
class Overview:
    """Everything the status command and page show."""

    as_of: datetime
    jobs: list[JobStatus]
    queues: list[Queue]
    late_destructions: list[watch.LateDestruction]


def overview(*, session: Session, now: datetime) -> Overview:
    """The jobs, their queues and late destructions, as of `now`."""
    last = runs.latest(session=session, jobs=EVERY)
    late = runs.late_jobs(session=session, now=now, every=EVERY)
    return Overview(
        as_of=now,
        jobs=[_job(session, name, every, last.get(name), name in late) for name, every in EVERY.items()],
        queues=[count(session) for count in QUEUES],
        late_destructions=watch.late_destructions(session=session, now=now),
    )


def _job(session: Session, name: str, every: timedelta, last: JobRun | None, late: bool) -> JobStatus:
    engine = session.get_bind()
    held = locks.is_held(engine=engine, name=name)  # type: ignore[arg-type]
    pid = locks.holder_pid(engine=engine, name=name) if held and engine.dialect.name == "postgresql" else None
    return JobStatus(
        name=name,
        every=every,
        state=_state(last, held),
        last=last,
        counts=json.loads(last.counts) if last is not None and last.counts else {},
        lock_held=held,
        lock_pid=pid,
        next_run=_next_run(session, name, every, last),
        late=late,
    )


def _state(last: JobRun | None, held: bool) -> str:
    if last is None:
        return "running" if held else "never run"
    if last.outcome == "running":
        return "running" if held else "died"
    return last.outcome


def _next_run(session: Session, name: str, every: timedelta, last: JobRun | None) -> datetime | None:
    if last is None:
        return None
    planned = last.started_at + every
    wake = WAKES[name](session) if name in WAKES else None
    return min(planned, wake) if wake is not None else planned


@dataclass(frozen=True)
class SyncPage:
    """The lead sync's latest runs, newest first, and the entities it could not make leads of, most recently
    seen first."""

    runs: list[SyncRun]
    quarantine: list[QuarantinedEntity]


def sync_page(*, session: Session) -> SyncPage:
    """What /admin/sync shows: `sync.recent_runs` and `sync.quarantine` at their default lengths."""
    return SyncPage(runs=sync.recent_runs(session=session), quarantine=sync.quarantine(session=session))
