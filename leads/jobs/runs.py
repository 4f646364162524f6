"""Running a single-runner job: take its lock, record the run, end the record however the run ends.

The lock decides who runs (leads/jobs/locks.py); the `JobRun` rows only tell. Whoever holds the lock
knows that any run of the same job still marked `running` belongs to a process that died (it would
otherwise still hold the lock), and marks it `died`.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from leads.jobs import locks
from leads.models import JobRun


def holder() -> str:
    """This process's name in a job run: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class Tracked:
    """The run in hand: the job's body fills in how it went; `exclusive` writes it when the body ends."""

    run: JobRun
    lock: locks.JobLock
    outcome: str = "succeeded"
    counts: dict[str, Any] = field(default_factory=dict)
    late: int = 0
    most_late_seconds: int | None = None


@contextmanager
def exclusive(*, session: Session, job: str, holder: str, clock: Callable[[], datetime]) -> Iterator[Tracked | None]:
    """Run the body as the only live runner of `job`, or yield None (and record nothing) if another holds it.

    The run is recorded `running` before the body starts and finished after it: with the body's outcome, or
    `failed` and the error's class if it raised (the error is re-raised). The lock is released last, always.
    """
    lock = locks.try_acquire(engine=session.get_bind(), name=job)  # type: ignore[arg-type]
    if lock is None:
        yield None
        return
    try:
        tracked = Tracked(_start(session, job, holder, clock()), lock)
        try:
            yield tracked
        except BaseException as error:
            session.rollback()
            tracked.outcome, tracked.run.error_class = "failed", type(error).__name__[:100]
            _finish(session, tracked, clock())
            raise
        _finish(session, tracked, clock())
    finally:
        lock.release()


def _start(session: Session, job: str, holder: str, now: datetime) -> JobRun:
    dead = update(JobRun).where(col(JobRun.job) == job, col(JobRun.outcome) == "running").values(outcome="died")
    session.exec(dead)  # type: ignore[call-overload]
    run = JobRun(job=job, holder=holder, started_at=now, outcome="running")
    session.add(run)
    session.commit()
    return run


def _finish(session: Session, tracked: Tracked, now: datetime) -> None:
    run = tracked.run
    run.finished_at, run.outcome = now, tracked.outcome
    run.counts = json.dumps(tracked.counts, sort_keys=True, default=str)
    run.late, run.most_late_seconds = tracked.late, tracked.most_late_seconds
    session.add(run)
    session.commit()


def latest(*, session: Session, jobs: Iterable[str]) -> dict[str, JobRun]:
    """Each of these jobs' most recent run (jobs never run are left out)."""
    found = {}
    for job in jobs:
        query = select(JobRun).where(col(JobRun.job) == job).order_by(col(JobRun.started_at).desc()).limit(1)
        if (run := session.exec(query).first()) is not None:
            found[job] = run
    return found


def late_jobs(*, session: Session, now: datetime, every: Mapping[str, timedelta]) -> dict[str, datetime]:
    """Jobs that have run before but not started for longer than twice their interval: when each last did.
    One index lookup a job (max of `started_at` on ix_jobrun_job_started), so /healthz can afford it."""
    late = {}
    for job, interval in every.items():
        query = select(func.max(JobRun.started_at)).where(col(JobRun.job) == job)
        last = session.exec(query).one()
        if last is not None and now - last > 2 * interval:
            late[job] = last
    return late


def recent(*, session: Session, job: str, limit: int = 10) -> list[JobRun]:
    """A job's latest runs, newest first."""
    query = select(JobRun).where(col(JobRun.job) == job).order_by(col(JobRun.id).desc()).limit(limit)
    return list(session.exec(query))
